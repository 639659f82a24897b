"""myomri: quantitative thigh-muscle MRI for idiopathic inflammatory myopathies.

Stages (data flows one way): ``io -> preprocess -> features | t2 | segment -> tables ->
analysis -> report``; ``cli`` and ``pipeline`` orchestrate on top. Importing the package is cheap
and configures no logging: the names below load their module on first use (``docs/api.md``).

Examples
--------
>>> import myomri
>>> myomri.EPGModel.__name__
'EPGModel'
"""

from ._lazy import attach
from ._version import __version__

__getattr__, __dir__, _exports = attach(
    __name__,
    {
        # io
        "Image": "myomri.io.image",
        "read_image": "myomri.io.read",
        "read_mask": "myomri.io.read",
        "write_image": "myomri.io.read",
        "require_echo_times": "myomri.io.read",
        "describe_path": "myomri.io.describe",
        # preprocess
        "transfer_mask": "myomri.preprocess.geometry",
        # features
        "FeatureExtractor": "myomri.features.extractor",
        "read_params": "myomri.features.params",
        # t2
        "EPGModel": "myomri.t2.epg_model",
        "MonoExpModel": "myomri.t2.mono",
        "make_model": "myomri.t2.build",
        "fit_volume": "myomri.t2.volume",
        "write_fit": "myomri.t2.maps",
        # segment
        "segment_classical": "myomri.segment.classical",
        "segment_dl": "myomri.segment.infer",
        # tables
        "roi_statistics": "myomri.tables.roistats",
        # analysis
        "load_study": "myomri.analysis.study_config",
        "run_study": "myomri.analysis.study",
        "analyze_roc": "myomri.analysis.stats",
        "correlate_markers": "myomri.analysis.stats",
        # demo and the whole pipeline
        "generate_cohort": "myomri.demo.cohort",
        "load_pipeline": "myomri.pipeline.config",
        "run_pipeline": "myomri.pipeline.runner",
    },
)
__all__ = ["__version__", *_exports]

"""End-to-end study pipeline: a study file -> T2, features, study, statistics, report.

``load_pipeline(path)`` validates a study file (every problem at once); ``run_pipeline(config,
outdir)`` runs the stages with per-stage caching and writes ``report.html``.
"""

from .._lazy import attach

__getattr__, __dir__, __all__ = attach(
    __name__,
    {
        "PipelineConfig": ".config",
        "SubjectSpec": ".config",
        "load_pipeline": ".config",
        "parse_pipeline": ".config",
        "RunResult": ".runner",
        "run_pipeline": ".runner",
    },
)

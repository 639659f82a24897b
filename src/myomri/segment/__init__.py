"""Segmentation: classical tissue classes from Dixon/T1, the per-muscle network, its training from
label maps (synthetic images), incremental learning and federated merging.

``segment_dl(image)`` labels the twelve thigh muscles of each leg on any contrast;
``segment_classical(water, fat=...)`` gives muscle / fat / bone tissue classes; ``METHODS`` names
them for the CLI and the pipeline. Torch is imported only by the network functions.
"""

from .._lazy import attach

__getattr__, __dir__, __all__ = attach(
    __name__,
    {
        "METHODS": ".methods",
        "segment": ".methods",
        "segment_dl": ".infer",
        "segment_classical": ".classical",
        "load_model": ".model_io",
        "save_model": ".model_io",
        "train_mixed": ".recipe",
        "refine_model": ".refine",
        "add_tissues": ".tissues",
        "synthesize": ".synth",
        "dice": ".evaluate",
        "hd95": ".evaluate",
    },
)

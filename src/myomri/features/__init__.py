"""PyRadiomics-compatible radiomics features (first order, GLCM, GLRLM, GLSZM, GLDM, NGTDM) on
original and LBP-filtered images, batches over a manifest, and robustness to mask perturbation.

:class:`FeatureExtractor` reads a PyRadiomics parameter file (:func:`read_params`) and returns
PyRadiomics' column names.
"""

from .._lazy import attach

__getattr__, __dir__, __all__ = attach(
    __name__,
    {
        "FeatureExtractor": ".extractor",
        "Params": ".params",
        "read_params": ".params",
        "compute_features": ".compute",
        "feature_names": ".compute",
        "read_manifest": ".batch",
        "run_batch": ".batch",
        "BatchResult": ".batch",
        "assess_robustness": ".robustness",
        "perturb_mask": ".robustness",
    },
)

"""Synthetic demo cohort: an anatomical two-thigh phantom per subject rendered as STIR, multi-echo
spin-echo (EPG) and Dixon series with muscle labels, reader ROIs, a clinical table and the ground
truth, deterministic by seed. Entry point: :func:`myomri.demo.cohort.generate_cohort` (CLI:
``myomri demo-data``); settings in :mod:`myomri.config.demo`.
"""

from .._lazy import attach

__getattr__, __dir__, __all__ = attach(
    __name__,
    {
        "generate_cohort": ".cohort",
        "is_same_cohort": ".cohort",
        "CohortSummary": ".cohort",
        "simulate_subject": ".subject",
    },
)

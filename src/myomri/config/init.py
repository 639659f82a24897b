"""Defaults of ``myomri init`` (DICOM tree -> study): series classification and pseudonyms."""

from __future__ import annotations

__all__ = [
    "ROLES",
    "STIR_MAX_TI_MS",
    "MESE_MIN_ECHOES",
    "SUBJECT_ID_FORMAT",
    "KEY_FILE",
    "CLINICAL_ID_COLUMNS",
    "ROLE_COLUMNS",
    "ROI_FILE_PATTERN",
]

#: Roles a series can be given (``--role UID=ROLE``); ``skip`` leaves a series out.
ROLES: tuple[str, ...] = ("stir", "mese", "water", "fat", "in_phase", "out_phase", "t1", "t2map", "skip")

#: STIR is inversion recovery with a short TI that nulls fat: ~150 ms at 1.5 T, ~230 ms at 3 T.
#: FLAIR-like long-TI inversion recovery (> 1500 ms) is not STIR; this bound separates them.
STIR_MAX_TI_MS = 300.0

#: A spin-echo series with at least this many distinct echo times is a T2-mapping (MESE) series;
#: two echoes are a proton-density/T2 dual echo, not enough to fit T2 reliably.
MESE_MIN_ECHOES = 3

#: Pseudonymous subject ids, numbered in the order of the sorted PatientIDs.
SUBJECT_ID_FORMAT = "sub-{:03d}"

#: The one local file linking pseudonymous ids to PatientID (written beside the study file).
KEY_FILE = "subject_key.csv"

#: Column names of a clinical table that hold the patient or subject id, tried in this order.
CLINICAL_ID_COLUMNS: tuple[str, ...] = ("participant_id", "patient_id", "PatientID", "subject", "id")

#: Study manifest column of each role (the columns ``myomri run`` reads by default).
ROLE_COLUMNS: dict[str, str] = {"stir": "image", "mese": "mese", "water": "dixon_water", "fat": "dixon_fat"}

#: Reader ROI file names under ``myomri init --rois DIR/<subject>/``: reader id and optional session.
ROI_FILE_PATTERN = r"^.*?(?:_ses-(?P<ses>[A-Za-z0-9]+))?_reader-(?P<reader>[A-Za-z0-9]+)_roi\.nii(?:\.gz)?$"

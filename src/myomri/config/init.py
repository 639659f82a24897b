"""Defaults of ``myomri init`` (DICOM tree or BIDS / ORMIR-MIDS folder -> study): classification, pseudonyms."""

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
    "NIFTI_SUFFIX_ROLES",
    "NIFTI_DIXON_PARTS",
    "NIFTI_NOT_IMAGES",
    "ORMIR_FOLDER_PREFIX",
    "PARTICIPANTS_FILE",
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

# --- BIDS / ORMIR-MIDS folders (``myomri init`` on NIfTI files with JSON sidecars) ---
#: File-name suffix (lower case; the tokens after the last ``key-value`` entity) -> role. BIDS writes
#: ``_T1w``, ``_MESE`` (with ``echo-<N>`` per file) and ``_T2map``; ORMIR-MIDS writes ``_mese`` (4-D),
#: ``_t1w`` and, under ``mr-quant/``, ``_t2`` / ``_wt2`` maps; the demo cohort writes ``_stir``.
NIFTI_SUFFIX_ROLES: dict[str, str] = {
    "stir": "stir", "mese": "mese", "t1w": "t1", "t2map": "t2map", "t2": "t2map", "wt2": "t2map",
    "water": "water", "fat": "fat", "w": "water", "f": "fat",
    "inphase": "in_phase", "in": "in_phase", "ip": "in_phase",
    "outphase": "out_phase", "oppphase": "out_phase", "opp": "out_phase", "out": "out_phase", "op": "out_phase",
}  # fmt: skip
#: Dixon component named by a ``part-`` / ``desc-`` / ``acq-`` entity value or a token after ``_dixon``.
NIFTI_DIXON_PARTS: dict[str, str] = {
    k: v for k, v in NIFTI_SUFFIX_ROLES.items() if v in ("water", "fat", "in_phase", "out_phase")
}
#: Suffixes of files that are not acquisitions of a role, with the reason listed in series.csv.
NIFTI_NOT_IMAGES: dict[str, str] = {
    "dseg": "a segmentation label map (dseg), not an acquisition; myomri segments the muscles itself",
    "probseg": "a probabilistic segmentation (probseg), not an acquisition",
    "mask": "a mask, not an acquisition",
    "roi": "a reader ROI, not an acquisition; give reader ROIs with --rois",
    "megre": "multi-echo gradient echo (megre): T2* decay, not the spin-echo train a T2 fit needs",
    "ph": "a phase image, not a magnitude image",
    "phase": "a phase image, not a magnitude image",
    "t1": "a T1 map, not one of the roles myomri uses",
    "ff": "a fat-fraction map; myomri fits the fat fraction from the MESE series",
}
#: ORMIR-MIDS image-method folders start with this (``mr-anat``, ``mr-quant``); their sidecars give
#: times in ms, where BIDS gives seconds.
ORMIR_FOLDER_PREFIX = "mr-"
#: The BIDS / ORMIR-MIDS participants table at the dataset root, used as the clinical table by default.
PARTICIPANTS_FILE = "participants.tsv"

"""The demo cohort as scanner-like DICOM series (``myomri demo-data --dicom``).

Layout under ``OUTDIR/dicom/``: one folder per patient (``DEMO001``...), one folder per series
(``02_t2_tirm_tra_stir``, ``03_t2_mese_tra``, ``04_dixon_tra_W``, ``05_dixon_tra_F``) with one file
per slice (and echo), plus ``clinical.tsv`` keyed by the synthetic PatientID, so that
``myomri init`` can be tried as on a site's exports. Every patient field is synthetic: the
PatientID and PatientName are built from the demo's subject number, no date of birth is written,
and the study date is a fixed placeholder. The demo has no T1-weighted series, so none is written.
The readers' STIR ROIs go beside it, as a site would keep them, under
``OUTDIR/dicom_rois/<PatientID>/<PatientID>[_ses-2]_reader-<ID>_roi.nii.gz`` (``myomri init --rois``).
"""

from __future__ import annotations

from pathlib import Path

from ..io.dicom_write import stable_uid, write_dicom_series
from .subject import SubjectData

__all__ = ["SERIES", "ROI_FOLDER", "patient_id", "write_subject_dicom", "write_subject_rois"]

#: Folder (beside ``dicom/``) of the readers' STIR ROIs in the layout ``myomri init --rois`` reads.
ROI_FOLDER = "dicom_rois"

#: image key -> (SeriesNumber, folder/description, series-specific header fields)
SERIES: dict[str, tuple[int, str, dict]] = {
    "stir": (
        2,
        "t2_tirm_tra_stir",
        {
            "ScanningSequence": "IR",
            "SequenceVariant": "SK\\SP",
            "MRAcquisitionType": "2D",
            "ImageType": ["ORIGINAL", "PRIMARY", "M", "ND"],
            "SequenceName": "*tir2d1",
        },
    ),
    "mese": (
        3,
        "t2_mese_tra",
        {
            "ScanningSequence": "SE",
            "SequenceVariant": "SK",
            "MRAcquisitionType": "2D",
            "ImageType": ["ORIGINAL", "PRIMARY", "M", "ND"],
            "SequenceName": "*se2d10",
        },
    ),
    "water": (
        4,
        "dixon_tra_W",
        {
            "ScanningSequence": "GR",
            "SequenceVariant": "SP",
            "MRAcquisitionType": "3D",
            "ImageType": ["DERIVED", "PRIMARY", "DIXON", "WATER"],
            "SequenceName": "*fl3d2",
        },
    ),
    "fat": (
        5,
        "dixon_tra_F",
        {
            "ScanningSequence": "GR",
            "SequenceVariant": "SP",
            "MRAcquisitionType": "3D",
            "ImageType": ["DERIVED", "PRIMARY", "DIXON", "FAT"],
            "SequenceName": "*fl3d2",
        },
    ),
}


def patient_id(subject: str) -> str:
    """Synthetic PatientID of a demo subject: ``sub-007`` -> ``DEMO007``."""
    return "DEMO" + subject.split("-")[1]


def _common(data: SubjectData, seed: int) -> dict:
    pid = patient_id(data.subject)
    return {
        "PatientID": pid, "PatientName": f"Demo^Subject{pid[4:]}",
        "StudyInstanceUID": stable_uid("myomri-demo", str(seed), data.subject, "study"),
        "StudyID": "1", "StudyDate": "20000101", "StudyDescription": "myomri synthetic thigh MRI",
        "Manufacturer": "myomri synthetic", "BodyPartExamined": "THIGH",
    }  # fmt: skip


def _series_header(image, number: int, name: str, extra: dict) -> dict:
    meta = image.meta
    hdr = {"SeriesNumber": number, "SeriesDescription": name, **extra}
    for key in ("RepetitionTime", "InversionTime", "MagneticFieldStrength", "FlipAngle"):
        if meta.get(key) is not None:
            hdr[key] = f"{float(meta[key]):.6g}"
    if image.echo_times is None and meta.get("EchoTime") is not None:
        hdr["EchoTime"] = f"{float(meta['EchoTime']):.6g}"
    if image.echo_times is not None:
        hdr["EchoTrainLength"] = len(image.echo_times)
    return hdr


def write_subject_dicom(root: Path, data: SubjectData, seed: int) -> list[Path]:
    """Write the subject's STIR, MESE and Dixon water/fat series under ``root/<PatientID>/``."""
    common = _common(data, seed)
    files = []
    for key, (number, name, extra) in SERIES.items():
        image = data.images[key]
        header = {**common, **_series_header(image, number, name, extra)}
        kind = image.meta.get("MRAcquisitionType")
        if kind:  # what the simulation modelled (the MESE slice profile or not), named alike
            header["MRAcquisitionType"] = kind
            header["SequenceName"] = header["SequenceName"].replace("2d", kind.lower()).replace("3d", kind.lower())
        uid = stable_uid("myomri-demo", str(seed), data.subject, key)
        folder = root / common["PatientID"] / f"{number:02d}_{name}"
        files += write_dicom_series(image, folder, header=header, series_uid=uid)
    return files


def write_subject_rois(root: Path, data: SubjectData, readers) -> list[Path]:
    """Write the subject's reader ROIs under ``root/<PatientID>/`` (the repeat reading R1b is session 2)."""
    from ..io.read import write_image

    pid = patient_id(data.subject)
    files = []
    for reader in readers:
        ses = "_ses-2" if reader.endswith("b") else ""  # the demo manifest's session of a repeat reading
        path = root / pid / f"{pid}{ses}_reader-{reader}_roi.nii.gz"
        path.parent.mkdir(parents=True, exist_ok=True)
        write_image(data.images[f"roi_{reader}"], path)
        files.append(path)
    return files

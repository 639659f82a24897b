"""A run's per-subject maps and masks as a BIDS derivative dataset (``OUTDIR/derivatives/myomri``).

Layout (BIDS 1.9 derivatives; ``T2map`` and ``dseg`` are BIDS suffixes, ``FFmap`` is the fat-fraction
map's name in the BIDS quantitative-MRI proposal)::

    dataset_description.json              DatasetType "derivative", GeneratedBy myomri + version
    sub-<label>/anat/sub-<label>_desc-water_T2map.nii.gz (+ .json)   water T2 (ms), 0 = not fitted
    sub-<label>/anat/sub-<label>_FFmap.nii.gz (+ .json)               fat fraction 0..1 (EPG fit)
    sub-<label>/anat/sub-<label>_desc-muscles_dseg.nii.gz (+ .json)   muscle labels on the T2 grid

Sidecars hold settings and the alignment record, never input paths (a path can name a patient).
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

from ..config import io as cfg
from .atomic import atomic_path, atomic_write_text

__all__ = ["bids_label", "write_dataset_description", "write_subject_derivatives"]


def bids_label(subject: str) -> str:
    """The BIDS ``sub-`` label of a subject id: 'sub-001' -> '001', 's_1' -> 's1' (alphanumerics only)."""
    sid = subject[4:] if subject.startswith("sub-") else subject
    label = re.sub(r"[^A-Za-z0-9]", "", sid)
    if not label:
        from ..errors import InputError

        raise InputError(f"subject id {subject!r}: no letters or digits to form a BIDS sub- label")
    return label


def write_dataset_description(root: Path, *, version: str) -> Path:
    """``dataset_description.json`` of the derivative dataset (BIDS: Name, BIDSVersion, GeneratedBy)."""
    root.mkdir(parents=True, exist_ok=True)
    path = root / "dataset_description.json"
    atomic_write_text(
        path,
        json.dumps(
            {
                "Name": "myomri derivatives",
                "BIDSVersion": cfg.BIDS_VERSION,
                "DatasetType": "derivative",
                "GeneratedBy": [
                    {
                        "Name": "myomri",
                        "Version": version,
                        "Description": "myomri run: muscle water T2 "
                        "and fat-fraction maps and the muscle labels they were averaged in",
                    }
                ],
            },
            indent=1,
        ),
    )
    return path


def _copy(src: Path, dst: Path, sidecar: dict) -> None:
    with atomic_path(dst) as tmp:
        shutil.copyfile(src, tmp)
    atomic_write_text(dst.with_name(dst.name.replace(".nii.gz", ".json")), json.dumps(sidecar, indent=1))


def write_subject_derivatives(
    root: Path, subject: str, stage_dir: Path, *, t2_settings: dict, segmentation: dict, alignment: dict | None
) -> list[Path]:
    """Copy one subject's T2 stage maps (``t2.nii.gz``, ``ff.nii.gz``, ``labels.nii.gz``) into ``root``.

    Parameters
    ----------
    root : Path
        The derivative dataset's folder.
    subject : str
        The (pseudonymous) subject id.
    stage_dir : Path
        The subject's T2 stage folder.
    t2_settings, segmentation : dict
        The run's t2 and segmentation settings (into the sidecars).
    alignment : dict or None
        The subject's alignment record (into the label map's sidecar, without the ITK details).

    Returns
    -------
    list of Path
        The image files written.
    """
    label = bids_label(subject)
    anat = root / f"sub-{label}" / "anat"
    anat.mkdir(parents=True, exist_ok=True)
    model = {
        "model": t2_settings.get("model"),
        "fat_t2_ms": t2_settings.get("fat_t2"),
        "fat_fraction": t2_settings.get("fat_fraction"),
        "slices": t2_settings.get("slices"),
    }
    written = []
    t2 = anat / f"sub-{label}_desc-water_T2map.nii.gz"
    _copy(
        stage_dir / "t2.nii.gz",
        t2,
        {
            "Description": "water T2 of the muscles fitted to the MESE series; 0 where not fitted",
            "Units": "ms",
            "Fit": model,
        },
    )
    written.append(t2)
    if (stage_dir / "ff.nii.gz").is_file():
        ff = anat / f"sub-{label}_FFmap.nii.gz"
        _copy(
            stage_dir / "ff.nii.gz",
            ff,
            {
                "Description": "fat fraction of the bi-component EPG fit",
                "Units": "arbitrary (fraction 0..1)",
                "Fit": model,
            },
        )
        written.append(ff)
    align = {k: v for k, v in (alignment or {}).items() if k not in ("registration", "subject")}
    dseg = anat / f"sub-{label}_desc-muscles_dseg.nii.gz"
    _copy(
        stage_dir / "labels.nii.gz",
        dseg,
        {
            "Description": "muscle labels on the T2 grid (0 where not fitted)",
            "Segmentation": segmentation.get("method"),
            "Alignment": align or None,
        },
    )
    written.append(dseg)
    return written

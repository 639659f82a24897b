"""Reader ROIs for ``myomri init --rois DIR``: STIR masks drawn by readers, matched to subjects.

``DIR`` holds one folder per subject, named by its PatientID or by its pseudonymous id, with files
``<anything>[_ses-<N>]_reader-<ID>_roi.nii[.gz]`` (masks on the subject's STIR grid). Each is given a
link named after the pseudonymous id (``series/sub-001/roi/sub-001_reader-R1_roi.nii.gz``), because
the folder and file names of ``DIR`` may carry the PatientID.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from ..config import init as cfg
from ..errors import InputError

__all__ = ["find_rois", "link_rois"]

_ROI = re.compile(cfg.ROI_FILE_PATTERN)


def find_rois(root: str | os.PathLike, ids: dict[str, str]) -> dict[str, list[dict]]:
    """Pseudonymous id -> ROI records ``{reader, session, path}`` (sorted by session, reader).

    Parameters
    ----------
    root : path
        The ROI folder.
    ids : dict
        PatientID -> pseudonymous id (from :func:`myomri.io.init_study.pseudonyms`).

    Raises
    ------
    InputError
        ``root`` is not a folder, a subject folder matches no subject (both sets listed), or an
        image file's name does not follow the pattern.
    """
    root = Path(root)
    if not root.is_dir():
        raise InputError(f"--rois {root}: not a folder; expected one folder per subject of ROI files")
    by_name = {**{p: s for p, s in ids.items()}, **{s: s for s in ids.values()}}
    folders = sorted(p for p in root.iterdir() if p.is_dir())
    unknown = [p.name for p in folders if p.name not in by_name]
    if unknown:
        raise InputError(
            f"--rois {root}: folder(s) {unknown[:10]} match no subject of the dataset; expected "
            f"one of the {len(ids)} subjects' PatientID or pseudonymous id ({sorted(ids.values())[:10]})"
        )
    out: dict[str, list[dict]] = {}
    for folder in folders:
        for f in sorted(folder.iterdir()):
            if not f.name.endswith((".nii", ".nii.gz")):
                continue  # sidecars, notes: not masks
            m = _ROI.match(f.name)
            if m is None:
                raise InputError(
                    f"--rois {f}: file name not understood; expected <anything>[_ses-<N>]_reader-<ID>_roi.nii.gz"
                )
            out.setdefault(by_name[folder.name], []).append(
                {"reader": m["reader"], "session": m["ses"] or "1", "path": f.resolve()}
            )
    for recs in out.values():
        recs.sort(key=lambda r: (r["session"], r["reader"]))
    return out


def link_rois(sid: str, records: list[dict], folder: Path) -> list[dict]:
    """Link a subject's ROI files into ``folder`` under pseudonymous names; records with ``link``."""
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.iterdir():  # a re-run must not keep another run's links
        if old.is_symlink():
            old.unlink()
    out = []
    for r in records:
        ses = "" if r["session"] == "1" else f"_ses-{r['session']}"
        suffix = ".nii.gz" if r["path"].name.endswith(".gz") else ".nii"
        link = folder / f"{sid}{ses}_reader-{r['reader']}_roi{suffix}"
        if link.exists() or link.is_symlink():
            raise InputError(
                f"--rois: two ROI files of subject {sid} for reader {r['reader']} session "
                f"{r['session']} (the second: {r['path'].name})"
            )
        os.symlink(r["path"], link)
        out.append({**r, "link": link})
    return out

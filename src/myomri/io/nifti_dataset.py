"""Find the images of a BIDS or ORMIR-MIDS folder and classify each from its name and JSON sidecar.

A dataset is a folder with ``dataset_description.json`` and/or ``sub-<label>/`` folders holding
NIfTI files. Every NIfTI file under a ``sub-`` folder is one candidate series (``echo-<N>`` files of
one acquisition are one series); its key, the one ``--role`` names, is the path relative to the
dataset. The ``sub-`` label is the subject id: such datasets are already pseudonymous. Only an
allow-list of sidecar fields is read (ORMIR-MIDS keeps patient fields in ``*_patient.json``, which
is never opened).
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..config import init as cfg
from ..errors import GeometryError, MissingFileError, MyomriError
from .discover import SeriesInfo
from .sidecar import SIDECAR_FIELDS, applicable_sidecars, echo_times_ms, merge_sidecars, parse_name, sidecar_path

__all__ = ["NiftiSeries", "is_nifti_dataset", "scan_nifti_dataset", "classify_nifti", "write_series_file"]

_NIFTI = (".nii.gz", ".nii")
#: Sidecar fields read for classification besides the copied ones (times in the dataset's unit).
_CLASSIFY_FIELDS = ("EchoTime", "InversionTime", "ScanningSequence", "ImageType", "PulseSequenceType")
_SAID = {
    "stir": "STIR", "t1": "T1-weighted", "t2map": "T2 map", "water": "Dixon water", "fat": "Dixon fat",
    "in_phase": "Dixon in-phase", "out_phase": "Dixon out-of-phase",
}  # fmt: skip


@dataclass
class NiftiSeries(SeriesInfo):
    """One image of a NIfTI dataset (``series_uid`` is its path relative to the dataset)."""

    suffix: tuple[str, ...] = ()
    entities: dict[str, str] = field(default_factory=dict)
    unit: str = "s"  # of the sidecar's times: "s" (BIDS) or "ms" (ORMIR-MIDS)
    shape: tuple[int, ...] = ()
    sidecar: dict[str, Any] = field(default_factory=dict)  # allow-listed fields, times as written
    echo_ms: tuple[float, ...] = ()  # in file order (one per volume, or one per echo file)
    error: str = ""  # why the file cannot be used (unreadable image or sidecar)


def is_nifti_dataset(root: str | os.PathLike) -> bool:
    """True for a BIDS / ORMIR-MIDS folder: ``dataset_description.json`` or ``sub-*/`` folders with NIfTI files."""
    root = Path(root)
    if (root / "dataset_description.json").is_file():
        return True
    return any(d.is_dir() and any(f.name.lower().endswith(_NIFTI) for f in d.rglob("*")) for d in root.glob("sub-*"))


def _read_sidecar(series: NiftiSeries, path: Path, root: Path) -> None:
    try:  # the sidecar beside the file and those it inherits from folders up to the dataset root
        sides = applicable_sidecars(path, root)
        data, echo_from = merge_sidecars(sides, root=root)
    except MyomriError as exc:
        series.error = str(exc)
        return
    series.sidecar = {k: data[k] for k in (*SIDECAR_FIELDS, *_CLASSIFY_FIELDS) if data.get(k) is not None}
    if "EchoTime" in series.sidecar:
        try:
            series.echo_ms = echo_times_ms(series.sidecar["EchoTime"], echo_from or sides[-1], unit=series.unit)
        except MyomriError as exc:
            series.error = str(exc)


def _one_file(root: Path, path: Path, subject: str) -> NiftiSeries:
    from .nifti import read_nifti_header

    rel = path.relative_to(root).as_posix()
    entities, suffix = parse_name(path.name)
    unit = "ms" if any(p.startswith(cfg.ORMIR_FOLDER_PREFIX) for p in path.relative_to(root).parts[:-1]) else "s"
    s = NiftiSeries(subject, rel, suffix=suffix, entities=entities, unit=unit, files=[path])
    try:
        s.shape, _ = read_nifti_header(path)
    except MyomriError as exc:
        s.error = f"unreadable NIfTI ({str(exc).removeprefix(f'{path}: ')})"
        return s
    _read_sidecar(s, path, root)
    s.description = str(s.sidecar.get("SeriesDescription", "") or "")
    s.acquisition_type = str(s.sidecar.get("MRAcquisitionType", "") or "")
    s.echo_times = set(s.echo_ms)
    return s


def _merge_echoes(group: list[NiftiSeries]) -> NiftiSeries:
    """``echo-<N>`` files of one acquisition as one series (files in echo order)."""
    group = sorted(group, key=lambda s: (s.echo_ms[:1] or (float("inf"),), s.series_uid))
    first = group[0]
    key = re.sub(r"_echo-[A-Za-z0-9]+", "", first.series_uid)
    merged = NiftiSeries(
        first.patient_key, key, description=first.description, acquisition_type=first.acquisition_type,
        suffix=first.suffix, entities={k: v for k, v in first.entities.items() if k != "echo"}, unit=first.unit,
        shape=first.shape, sidecar=first.sidecar, files=[f for s in group for f in s.files],
    )  # fmt: skip
    bad = [s for s in group if s.error or len(s.echo_ms) != 1 or s.shape != first.shape or len(s.shape) != 3]
    if bad:
        b = bad[0]
        merged.error = b.error or (
            f"echo file {Path(b.series_uid).name} has shape {b.shape} and {len(b.echo_ms)} EchoTime value(s); "
            f"expected 3-D files of shape {first.shape} with one EchoTime each"
        )
    merged.echo_ms = tuple(e for s in group for e in s.echo_ms)
    merged.echo_times = set(merged.echo_ms)
    return merged


def scan_nifti_dataset(root: str | os.PathLike) -> list[NiftiSeries]:
    """Every NIfTI image under the ``sub-*`` folders of ``root`` (unreadable ones with ``error`` set).

    Returns
    -------
    list of NiftiSeries
        Sorted by subject and path; files outside ``sub-*`` folders (``derivatives/``, ``sourcedata/``)
        are not part of the raw dataset and are left out.
    """
    root = Path(root)
    if not root.is_dir():
        raise MissingFileError(root, "BIDS / ORMIR-MIDS folder")
    out: list[NiftiSeries] = []
    for sub in sorted(d for d in root.glob("sub-*") if d.is_dir()):
        groups: dict[str, list[NiftiSeries]] = {}
        for path in sorted(sub.rglob("*")):
            if path.name.startswith(".") or not path.is_file() or not path.name.lower().endswith(_NIFTI):
                continue
            s = _one_file(root, path, sub.name)
            if "echo" in s.entities:
                groups.setdefault(re.sub(r"_echo-[A-Za-z0-9]+", "", s.series_uid), []).append(s)
            else:
                out.append(s)
        out += [_merge_echoes(g) if len(g) > 1 else g[0] for g in groups.values()]
    return sorted(out, key=lambda s: (s.patient_key, s.series_uid))


def _ms(s: NiftiSeries, name: str) -> float | None:
    value = s.sidecar.get(name)
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return None
    return float(value) * (1000.0 if s.unit == "s" else 1.0)


def _words(value: Any) -> list[str]:
    items = value if isinstance(value, list) else str(value or "").replace("\\", " ").split()
    return [str(v).upper() for v in items]


def classify_nifti(s: NiftiSeries) -> tuple[str | None, str]:
    """(role or None, why) of one NIfTI series, from its file-name suffix and entities, then its sidecar."""
    if s.error:
        return None, s.error
    name = "_".join(s.suffix)
    n_echo = len(set(s.echo_ms))
    four_d = len(s.shape) == 4 and s.shape[3] > 1
    parts = {k: s.entities[k].lower() for k in ("part", "desc", "acq") if k in s.entities}
    for token in s.suffix[::-1]:
        if token in cfg.NIFTI_NOT_IMAGES:
            return None, cfg.NIFTI_NOT_IMAGES[token]
    if parts.get("part") in ("phase", "imag", "real"):
        return None, f"part-{parts['part']}: not a magnitude image"
    dixon = [(k, v) for k, v in parts.items() if v in cfg.NIFTI_DIXON_PARTS and (k != "acq" or name == "dixon")]
    if dixon:
        k, v = dixon[0]
        return cfg.NIFTI_DIXON_PARTS[v], f"Dixon {cfg.NIFTI_DIXON_PARTS[v]} ({k}-{s.entities[k]}, suffix _{name})"
    role = cfg.NIFTI_SUFFIX_ROLES.get(s.suffix[-1]) if s.suffix else None
    if role in cfg.NIFTI_DIXON_PARTS.values() and len(s.suffix) > 1 and s.suffix[0] != "dixon":
        role = None  # '_megre_w' or the like: not a Dixon output
    if role == "mese":
        if n_echo < cfg.MESE_MIN_ECHOES:
            return None, (
                f"suffix _{name} with {n_echo} echo time(s); a T2 fit needs at least {cfg.MESE_MIN_ECHOES} "
                "(EchoTime list in the sidecar, one per volume, or echo-<N> files)"
            )
        if four_d and n_echo != s.shape[3]:
            return None, f"suffix _{name}: {len(s.echo_ms)} EchoTime values for the {s.shape[3]} volumes"
        return "mese", f"suffix _{name}, {n_echo} echo times ({min(s.echo_ms):g}-{max(s.echo_ms):g} ms)"
    if role is not None:
        return role, f"{_SAID[role]} (suffix _{name})"
    return _classify_by_sidecar(s, name, n_echo, four_d, parts)


def _classify_by_sidecar(s: NiftiSeries, name: str, n_echo: int, four_d: bool, parts: dict) -> tuple[str | None, str]:
    """Names that do not say the role (``_T2w``, ``_acq-stir_T2w``, a bare 4-D file): acq- and sidecar fields."""
    acq = parts.get("acq", "")
    if "stir" in acq or "tirm" in acq:
        return "stir", f"acq-{s.entities['acq']} names STIR (suffix _{name})"
    seq = _words(s.sidecar.get("ScanningSequence"))
    ti = _ms(s, "InversionTime")
    if "IR" in seq and ti is not None:
        if ti <= cfg.STIR_MAX_TI_MS:
            return "stir", f"inversion recovery with short TI {ti:g} ms (sidecar)"
        return None, f"inversion recovery with long TI {ti:g} ms (not STIR)"
    if four_d and n_echo >= cfg.MESE_MIN_ECHOES and "GR" not in seq:
        if n_echo != s.shape[3]:
            return None, f"{len(s.echo_ms)} EchoTime values for the {s.shape[3]} volumes of a 4-D image"
        return "mese", f"4-D, {n_echo} echo times ({min(s.echo_ms):g}-{max(s.echo_ms):g} ms), not gradient echo"
    return None, f"suffix _{name}: no rule matched (not STIR, MESE, Dixon, T1-weighted or a T2 map)"


def _bids_sidecar(s: NiftiSeries) -> dict[str, Any]:
    """The allow-listed sidecar fields in BIDS units (seconds), echo times one per volume."""
    out = {k: s.sidecar[k] for k in SIDECAR_FIELDS if k in s.sidecar}
    if s.unit == "ms" and isinstance(out.get("RepetitionTime"), (int, float)):
        out["RepetitionTime"] = float(out["RepetitionTime"]) / 1000.0
    if s.echo_ms:
        tes = [round(t / 1000.0, 9) for t in s.echo_ms]
        out["EchoTime"] = tes if len(tes) > 1 else tes[0]
    return out


def _stack_echoes(s: NiftiSeries, dest: Path) -> None:
    """One 4-D file from ``echo-<N>`` files (``myomri run`` reads a MESE series as one image)."""
    from .nifti import read_nifti
    from .read import write_image

    images = [read_nifti(f) for f in s.files]
    ref = images[0]
    for f, im in zip(s.files[1:], images[1:]):
        if not (
            np.allclose(im.spacing, ref.spacing, atol=1e-4)
            and np.allclose(im.origin, ref.origin, atol=1e-3)
            and np.allclose(im.direction, ref.direction, atol=1e-5)
        ):
            raise GeometryError(
                f"{f}: echo file of {s.series_uid} on another grid than {s.files[0].name}; expected the "
                "echo-<N> files of one acquisition to share spacing, origin and orientation"
            )
    stacked = np.stack([np.asarray(im.array) for im in images], axis=-1)
    write_image(ref.with_array(stacked, echo_times=None), dest)


def write_series_file(s: NiftiSeries, folder: Path, name: str) -> Path:
    """``folder/name.nii[.gz]`` for ``myomri run``: a link to the image (or the stacked echo files) and
    a sidecar in BIDS units beside it with only the allow-listed fields (never the source's own sidecar,
    which may hold other fields and, in ORMIR-MIDS, gives times in ms)."""
    from .atomic import atomic_write_text

    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.iterdir():  # a re-run must not keep another series' files
        if old.is_symlink() or old.suffix in (".json", ".gz", ".nii"):
            old.unlink()
    if len(s.files) > 1:
        dest = folder / f"{name}.nii.gz"
        _stack_echoes(s, dest)
    else:
        src = s.files[0]
        dest = folder / (name + (".nii.gz" if src.name.lower().endswith(".gz") else ".nii"))
        os.symlink(src.resolve(), dest)
    side = _bids_sidecar(s)
    if side:  # an empty one would only say "no sidecar" less plainly
        atomic_write_text(sidecar_path(dest), json.dumps(side, indent=2, sort_keys=True) + "\n")
    return dest

"""Find the DICOM series of a tree of any layout and classify each one from its headers.

Files are grouped by (PatientID, SeriesInstanceUID): a folder holding two patients is split,
and a series UID reused across patients (a broken export) is never merged. PatientID is kept
only in :class:`SeriesInfo` (``patient_key``) so that the caller can pseudonymise; it is never
part of a description, a reason or a message.
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass, field
from pathlib import Path

from ..config import init as cfg
from ..config import io as io_cfg
from ..errors import MissingFileError
from .dicom import looks_like_dicom

__all__ = ["SeriesInfo", "scan_tree", "classify_series"]


@dataclass
class SeriesInfo:
    """Headers of one series (no patient field but ``patient_key``, which callers must not output)."""

    patient_key: str
    series_uid: str
    number: int | None = None
    description: str = ""
    image_type: tuple[str, ...] = ()
    scanning_sequence: str = ""
    acquisition_type: str = ""
    inversion_time: float | None = None
    repetition_time: float | None = None
    echo_times: set = field(default_factory=set)
    files: list[Path] = field(default_factory=list)

    @property
    def folders(self) -> set[Path]:
        """The folders holding this series' files."""
        return {f.parent for f in self.files}


def _float(value) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


#: Enhanced MR's EchoPulseSequence in the classic ScanningSequence words the rules below read.
_PULSE_SEQUENCE_WORDS = {"SPIN": "SE", "GRADIENT": "GR", "BOTH": "SE\\GR"}


def _enhanced(ds) -> tuple[list, str, float | None]:
    """Echo times, sequence words and inversion time of an enhanced multi-frame MR object, which keeps
    them per frame (``MREchoSequence``), as ``EchoPulseSequence`` and in ``MRModifierSequence``; looked up
    per frame with the shared groups as the fallback, as the reader does (``dicom_headers.frames_of``)."""
    from pydicom.multival import MultiValue

    from .dicom_headers import _first, _group_value

    shared = _first(ds, "SharedFunctionalGroupsSequence")
    per_frame = list(ds.get("PerFrameFunctionalGroupsSequence") or ())
    tes = [_group_value((frame, shared), "MREchoSequence", "EffectiveEchoTime") for frame in per_frame]
    first = (per_frame[0] if per_frame else None, shared)
    ir = str(_group_value(first, "MRModifierSequence", "InversionRecovery") or "").upper() == "YES"
    times = _group_value(first, "MRModifierSequence", "InversionTimes") if ir else None  # one value or several
    ti = None if times in (None, "") else _float(times[0] if isinstance(times, MultiValue) else times)
    words = _PULSE_SEQUENCE_WORDS.get(str(ds.get("EchoPulseSequence", "") or "").upper(), "")
    return [te for te in tes if te is not None], "\\".join(w for w in (words, "IR" if ir else "") if w), ti


def _add(series: dict, ds, path: Path) -> None:
    key = (str(ds.get("PatientID", "") or ""), str(ds.get("SeriesInstanceUID", "") or ""))
    multi = "PerFrameFunctionalGroupsSequence" in ds
    tes, pulse_words, multi_ti = _enhanced(ds) if multi else ([], "", None)
    tes = tes or [ds.get("EchoTime")]  # a multi-frame object may keep its one TE at the top level, as the reader reads
    info = series.get(key)
    if info is None:
        num = ds.get("SeriesNumber")
        seq = ds.get("ScanningSequence")
        info = series[key] = SeriesInfo(
            key[0],
            key[1],
            number=int(num) if num not in (None, "") else None,
            description=str(ds.get("SeriesDescription", "") or ""),
            image_type=tuple(str(v).upper() for v in (ds.get("ImageType") or ())),
            scanning_sequence=(seq if isinstance(seq, str) else "\\".join(seq or ())) or pulse_words,
            acquisition_type=str(ds.get("MRAcquisitionType", "") or ""),
            inversion_time=_float(ds.get("InversionTime")) if multi_ti is None else multi_ti,
            repetition_time=_float(ds.get("RepetitionTime")),
        )
    for te in map(_float, tes):
        if te is not None:
            info.echo_times.add(round(te, io_cfg.ECHO_TIME_DECIMALS))
    info.files.append(path)


def scan_tree(root: str | os.PathLike) -> tuple[list[SeriesInfo], list[tuple[Path, str]]]:
    """Every image series under ``root`` and every file that looks like DICOM but cannot be read.

    Returns
    -------
    series : list of SeriesInfo
        Sorted by (patient key, series number, UID).
    unreadable : list of (path, reason)
        Files with a DICOM suffix or signature whose header cannot be read, or that hold no image.
        Other files (notes, tables) are not DICOM and are left out silently.
    """
    import pydicom

    root = Path(root)
    if not root.is_dir():
        raise MissingFileError(root, "DICOM folder")
    series: dict[tuple[str, str], SeriesInfo] = {}
    unreadable: list[tuple[Path, str]] = []
    for path in sorted(p for p in root.rglob("*") if p.is_file() and not p.name.startswith(".")):
        claimed = path.suffix.lower() in io_cfg.DICOM_SUFFIXES or looks_like_dicom(path)
        try:
            with warnings.catch_warnings():  # pydicom's VR warnings on damaged files: the reason is listed
                warnings.simplefilter("ignore")
                ds = pydicom.dcmread(str(path), stop_before_pixels=True, force=claimed)
        except Exception as exc:  # noqa: BLE001 - any header failure is listed with its reason
            if claimed:
                unreadable.append((path, f"unreadable DICOM header ({type(exc).__name__}: {exc})"))
            continue
        if "Rows" not in ds or "SeriesInstanceUID" not in ds:
            if claimed:
                unreadable.append((path, "DICOM object without an image (no Rows or SeriesInstanceUID)"))
            continue
        _add(series, ds, path)
    out = sorted(
        series.values(), key=lambda s: (s.patient_key, s.number if s.number is not None else 1 << 30, s.series_uid)
    )
    return out, unreadable


def _has(words, *needles) -> bool:
    return any(n in w for w in words for n in needles)


def classify_series(info: SeriesInfo) -> tuple[str | None, str]:
    """(role or None, why) of one series, from ImageType, sequence fields, TI, echo times, description."""
    desc = info.description.lower()
    it = info.image_type
    tokens = desc.replace("-", "_").replace(" ", "_").split("_")
    if _has(it, "T2_MAP", "T2MAP", "T2 MAP") or "t2map" in desc.replace(" ", "").replace("_", ""):
        return "t2map", "vendor T2 map (ImageType or description says T2 map)"
    dixon = {
        "WATER": "water",
        "FAT": "fat",
        "IN_PHASE": "in_phase",
        "OUT_PHASE": "out_phase",
        "OPP_PHASE": "out_phase",
        "IN": "in_phase",
        "OPP": "out_phase",
        "OUT": "out_phase",
    }
    joined = "\\".join(it)
    for word in it[2:]:
        if word in dixon:
            return dixon[word], f"Dixon {dixon[word]} (ImageType {joined})"
    suffix = {
        "w": "water",
        "water": "water",
        "f": "fat",
        "fat": "fat",
        "in": "in_phase",
        "opp": "out_phase",
        "out": "out_phase",
    }
    if "dixon" in desc and tokens[-1] in suffix:
        return suffix[tokens[-1]], f"Dixon {suffix[tokens[-1]]} (description {info.description!r})"
    n_te = len(info.echo_times)
    if "IR" in info.scanning_sequence.upper().split("\\") and info.inversion_time is not None:
        if info.inversion_time <= cfg.STIR_MAX_TI_MS:
            return "stir", f"inversion recovery with short TI {info.inversion_time:g} ms"
        return None, f"inversion recovery with long TI {info.inversion_time:g} ms (not STIR)"
    if "stir" in desc or "tirm" in desc:
        return "stir", f"description {info.description!r} names STIR"
    if n_te >= cfg.MESE_MIN_ECHOES and "GR" not in info.scanning_sequence.upper().split("\\"):
        return "mese", f"{n_te} echo times ({min(info.echo_times):g}-{max(info.echo_times):g} ms), spin echo"
    if "t1" in tokens or "t1w" in tokens:
        return "t1", f"description {info.description!r} names T1"
    return None, "no rule matched (not STIR, MESE, Dixon, T1-weighted or a T2 map)"

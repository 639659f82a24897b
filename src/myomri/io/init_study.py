"""``myomri init``: a DICOM tree or a BIDS / ORMIR-MIDS folder -> a study file that ``myomri run`` accepts.

Writes, beside the study file: ``manifest.csv`` (one row per subject, DICOM series folders by role),
``participants.tsv`` (the clinical table keyed by the pseudonymous ``participant_id``, its
PatientID column dropped), ``series.csv`` (one row per series and per unreadable file: role and
why, ambiguous and skipped ones with the override that resolves them) and the key file
(:data:`myomri.config.init.KEY_FILE`) linking ``sub-001``... to PatientID: the only output that
holds a patient field. Every series used is given a folder of symbolic links to its own files
(``series/sub-001/mese/``), because ``myomri run`` reads a series as a folder and the export's
folder names may carry patient names.

A BIDS or ORMIR-MIDS folder (:mod:`myomri.io.nifti_dataset`) is read by file name and sidecar; its
``sub-`` labels are the subject ids (already pseudonymous: no key file), ``--role`` is keyed by the
file's path relative to the dataset, and each image used is linked as ``series/sub-01/mese/
sub-01_mese.nii.gz`` with a sidecar in BIDS units beside it (ORMIR-MIDS gives times in ms).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from ..config import init as cfg
from ..errors import InputError, StudyInputError
from .atomic import atomic_write_text
from .discover import SeriesInfo, classify_series, scan_tree
from .nifti_dataset import classify_nifti, is_nifti_dataset, scan_nifti_dataset, write_series_file

__all__ = ["InitResult", "assign_roles", "pseudonyms", "read_clinical", "init_study"]

SERIES_COLUMNS = (
    "subject",
    "series_uid",
    "series_number",
    "description",
    "n_files",
    "acquisition",
    "role",
    "status",
    "reason",
    "path",
)


@dataclass
class InitResult:
    """What :func:`init_study` wrote and found."""

    study: Path
    key_file: Path | None  # None for a BIDS / ORMIR-MIDS folder: its sub- labels are already pseudonymous
    subjects: list[str]
    rows: list[dict] = field(default_factory=list)

    def count(self, status: str) -> int:
        """Rows of ``series.csv`` with this status (used, ambiguous, skipped, unused)."""
        return sum(r["status"] == status for r in self.rows)


def pseudonyms(series: list[SeriesInfo]) -> dict[str, str]:
    """PatientID -> ``sub-001``..., numbered in sorted PatientID order."""
    keys = sorted({s.patient_key for s in series})
    return {k: cfg.SUBJECT_ID_FORMAT.format(n + 1) for n, k in enumerate(keys)}


def _row(sid: str, s: SeriesInfo, role: str, status: str, reason: str) -> dict:
    return {
        "subject": sid,
        "series_uid": s.series_uid,
        "series_number": "" if s.number is None else s.number,
        "description": s.description,
        "n_files": len(s.files),
        "acquisition": s.acquisition_type,
        "role": role,
        "status": status,
        "reason": reason,
        "path": "",
    }


def assign_roles(series: list[SeriesInfo], ids: dict[str, str], overrides: dict[str, str], classify=classify_series):
    """(chosen series by subject and role, series.csv rows). Nothing is chosen silently: two
    candidates for one role of one subject are both listed as ambiguous, with the override; a
    subject without any MESE candidate gets a ``missing`` row (its T2 is skipped, not an error)."""
    chosen: dict[str, dict[str, SeriesInfo]] = {sid: {} for sid in ids.values()}
    rows = []
    by_subject: dict[str, list[tuple[SeriesInfo, str | None, str]]] = {}
    for s in series:
        role: str | None
        if s.series_uid in overrides:
            role, why = overrides[s.series_uid], f"set by --role {s.series_uid}={overrides[s.series_uid]}"
        else:
            role, why = classify(s)
        by_subject.setdefault(ids[s.patient_key], []).append((s, role, why))
    for sid, items in by_subject.items():
        for role in cfg.ROLES[:-1]:
            cands = [(s, why) for s, r, why in items if r == role]
            forced = [(s, why) for s, why in cands if s.series_uid in overrides]
            if len(forced) == 1 or len(cands) == 1:
                s, why = (forced or cands)[0]
                chosen[sid][role] = s
                rows.append(_row(sid, s, role, "used", why))
                rows += [
                    _row(sid, o, role, "unused", f"{w}; another series was set by --role")
                    for o, w in cands
                    if o is not s
                ]
            elif len(cands) > 1:
                hint = " or ".join(f"--role {o.series_uid}={role}" for o, _ in cands)
                rows += [
                    _row(
                        sid, o, role, "ambiguous", f"{w}; {len(cands)} {role} series for {sid}: choose one with {hint}"
                    )
                    for o, w in cands
                ]
            elif role == "mese":
                rows.append({**{c: "" for c in SERIES_COLUMNS}, "subject": sid, "n_files": 0, "role": "mese",
                             "status": "missing", "reason": f"no MESE series for {sid}: its T2 is skipped "
                             "(set one with --role if it was not recognised)"})  # fmt: skip
        rows += [_row(sid, s, "", "skipped", why) for s, r, why in items if r in (None, "skip")]
    return chosen, rows


def read_clinical(path: Path, ids: dict[str, str]):
    """The clinical table keyed by pseudonymous ``participant_id`` (its id column dropped)."""
    import pandas as pd

    suffix = path.suffix.lower()
    if not path.is_file():
        raise InputError(f"{path}: clinical table not found; expected a CSV, TSV or XLSX file")
    if suffix in (".xlsx", ".xlsm"):
        try:
            import openpyxl  # noqa: F401 - pandas needs it for .xlsx
        except ModuleNotFoundError:
            raise InputError(
                f"{path}: reading .xlsx needs the package 'openpyxl', which is not installed; "
                "install it or save the table as CSV/TSV"
            ) from None
        table = pd.read_excel(path, dtype=str)
    elif suffix in (".csv", ".tsv", ".tab", ".txt"):
        try:
            table = pd.read_csv(path, sep="\t" if suffix in (".tsv", ".tab") else ",", dtype=str,
                                na_values=["n/a", "NA", ""], keep_default_na=False)  # fmt: skip
        except (UnicodeDecodeError, ValueError) as exc:  # pandas' ParserError and EmptyDataError are ValueErrors
            raise InputError(
                f"{path}: not a readable {suffix[1:].upper()} table ({type(exc).__name__}: {exc})"
            ) from None
    else:
        raise InputError(
            f"{path}: clinical table of type {suffix or '(none)'!r}; expected a .csv, .tsv, .tab, .txt, .xlsx or .xlsm file"
        )
    col = next((c for c in cfg.CLINICAL_ID_COLUMNS if c in table.columns), None)
    if col is None:
        raise InputError(
            f"{path}: no id column; expected one of {', '.join(cfg.CLINICAL_ID_COLUMNS)}, "
            f"found {', '.join(map(str, table.columns))}"
        )
    values = table[col].astype(str).str.strip()
    # an id may be the PatientID (a site's table) or already the pseudonym (a BIDS table)
    mapped = values.map(lambda v: ids.get(v, v if v in ids.values() else None))
    if mapped.notna().sum() == 0:
        raise StudyInputError(
            [
                f"no id of column {col!r} matches a subject of the dataset: table ids "
                f"{sorted(values)[:10]}; dataset subjects {sorted(ids.values())[:10]} (their "
                f"PatientIDs are in {cfg.KEY_FILE})"
            ],
            path,
        )
    out = table.drop(columns=[col]).assign(participant_id=mapped)
    out = out[out["participant_id"].notna()]
    return out[["participant_id"] + [c for c in out.columns if c != "participant_id"]]


def _series_folder(s: SeriesInfo, links: Path) -> Path:
    """A folder of symbolic links to exactly this series' files.

    Always a link folder, never the export's own folder: the export's folder names often carry
    the patient's name or ID, and must not reach the study file; and a folder may hold several
    series or patients, while ``myomri run`` reads one series per folder.
    """
    links.mkdir(parents=True, exist_ok=True)
    for old in links.iterdir():  # a re-run must not keep links to another series' files
        if old.is_symlink():
            old.unlink()
    for n, f in enumerate(sorted(s.files)):
        os.symlink(f.resolve(), links / f"{n:05d}.dcm")
    return links


def _csv(rows: list[dict], columns) -> str:
    import csv
    import io

    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(columns), lineterminator="\n", extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue()


def _study_text(chosen: dict, has_clinical: bool, with_rois: bool = False) -> str:
    import yaml

    with_mese = [r for r in chosen.values() if "mese" in r]
    dixon = bool(with_mese) and all("water" in r and "fat" in r for r in with_mese)
    study = {
        "subjects": "manifest.csv", "clinical": "participants.tsv",
        # DICOM exports carry no muscle labels and no reader ROIs: muscles are segmented from the
        # Dixon pair when every T2 subject has one (else by the network); radiomics needs reader ROIs (--rois)
        "segmentation": {"method": "classical" if dixon else "dl"},
        "features": {"enabled": with_rois},
        "reductions": [] if has_clinical else ["no clinical table given to myomri init: groups unknown"],
    }  # fmt: skip
    return "# written by myomri init; every path is relative to this file\n" + yaml.safe_dump(study, sort_keys=False)


def _rois(rois, ids: dict[str, str]) -> dict[str, list[dict]]:
    """ROI records by pseudonymous id; their readers must be the ones the default analysis compares."""
    if rois is None:
        return {}
    from ..config.pipeline import ANALYSIS
    from .init_rois import find_rois

    found = find_rois(rois, ids)
    if not found:  # radiomics would be on with nothing to extract
        raise InputError(
            f"--rois {rois}: no reader ROI found; expected <PatientID or sub-id>/<anything>_reader-<ID>_roi.nii.gz"
        )
    rep = ANALYSIS["reproducibility"]
    wanted = {ANALYSIS["reference_reader"], *rep["inter"], *rep["intra"]}
    readers = {r["reader"] for recs in found.values() for r in recs}
    if not wanted <= readers:
        raise InputError(
            f"--rois {rois}: readers {sorted(readers)} found; the study's reproducibility analysis "
            f"compares readers {sorted(wanted)} (inter {rep['inter']}, intra {rep['intra']}): name the "
            "files _reader-<ID> accordingly"
        )
    return found


def _roi_rows(rec: dict, records: list[dict], base: Path, rows: list[dict]) -> list[dict]:
    """The subject's manifest rows: one per reader ROI (with the STIR series), else one without ROI."""
    if not records:
        return [rec]
    from .init_rois import link_rois

    sid = rec["subject"]
    if not rec[cfg.ROLE_COLUMNS["stir"]]:  # listed, never dropped silently
        rows += [
            {
                "subject": sid,
                "series_uid": "",
                "series_number": "",
                "description": "reader ROI",
                "n_files": 1,
                "role": "roi",
                "status": "skipped",
                "path": "",
                "reason": "reader ROI without a STIR series for this subject",
            }
            for _ in records
        ]
        return [rec]
    linked = link_rois(sid, records, base / "series" / sid / "roi")
    return [
        {**rec, "reader": r["reader"], "session": r["session"], "mask": os.path.relpath(r["link"], base), "label": 1}
        for r in linked
    ]


def _unreadable_rows(unreadable: list[tuple[Path, str]], dataset: str | os.PathLike) -> list[dict]:
    """``series.csv`` rows of the files that could not be read, each skipped with its reason."""
    return [
        {
            "subject": "",
            "series_uid": "",
            "series_number": "",
            "description": "",
            "n_files": 1,
            "role": "",
            "status": "skipped",
            "reason": reason,
            "path": os.path.relpath(p, dataset),
        }
        for p, reason in unreadable
    ]


def init_study(
    dataset: str | os.PathLike,
    output: str | os.PathLike,
    *,
    clinical: str | os.PathLike | None = None,
    roles: dict[str, str] | None = None,
    rois: str | os.PathLike | None = None,
) -> InitResult:
    """Scan ``dataset``, classify its series, write the study file ``output`` and its tables.

    ``dataset`` is a DICOM tree or a BIDS / ORMIR-MIDS folder (:func:`~myomri.io.nifti_dataset.is_nifti_dataset`);
    ``roles`` maps a SeriesInstanceUID, or for a NIfTI folder a file path relative to it, to a role.
    ``clinical`` defaults to a NIfTI folder's own ``participants.tsv``. ``rois`` is a folder of reader
    ROIs on the STIR series (:mod:`myomri.io.init_rois`); with it the manifest has one row per subject
    and ROI and the study's radiomics is on.

    Raises
    ------
    InputError
        No series found, a ``roles`` key that is not in the dataset, or a bad clinical table.
    """
    output = Path(output).absolute()
    base = output.parent
    nifti = is_nifti_dataset(dataset)
    series, unreadable, ids, classify = _scan(Path(dataset), nifti)
    roles = dict(roles or {})
    bad = sorted(set(roles) - {s.series_uid for s in series})
    if bad:
        what = "file(s) (paths relative to the dataset)" if nifti else "series"
        raise InputError(f"--role: {what} {', '.join(bad)} not found in {dataset}")
    chosen, rows = assign_roles(series, ids, roles, classify)
    if clinical is None and nifti and (Path(dataset) / cfg.PARTICIPANTS_FILE).is_file():
        clinical = Path(dataset) / cfg.PARTICIPANTS_FILE  # the dataset's own participants table
    table = read_clinical(Path(clinical), ids) if clinical is not None else None
    roi_records = _rois(rois, ids)
    manifest = []
    for sid, by_role in sorted(chosen.items()):
        rec = {"subject": sid, **{c: "" for c in cfg.ROLE_COLUMNS.values()}}
        for role, col in cfg.ROLE_COLUMNS.items():
            if role in by_role:
                folder = base / "series" / sid / role
                s = by_role[role]
                used = write_series_file(s, folder, f"{sid}_{role}") if nifti else _series_folder(s, folder)
                rec[col] = os.path.relpath(used, base)
                next(r for r in rows if r["series_uid"] == s.series_uid and r["status"] == "used")["path"] = rec[col]
        manifest += _roi_rows(rec, roi_records.get(sid, []), base, rows)
    rows += _unreadable_rows(unreadable, dataset)
    atomic_write_text(
        base / "manifest.csv",
        _csv(manifest, ["subject", "reader", "session", *cfg.ROLE_COLUMNS.values(), "mask", "label"]),
    )
    atomic_write_text(base / "series.csv", _csv(rows, SERIES_COLUMNS))
    if table is None:
        import pandas as pd

        table = pd.DataFrame({"participant_id": sorted(chosen), "group": "n/a"})
    atomic_write_text(base / "participants.tsv", table.to_csv(sep="\t", index=False, na_rep="n/a"))
    key = None if nifti else base / cfg.KEY_FILE
    if key is not None:
        atomic_write_text(
            key,
            _csv(
                [{"subject": v, "patient_id": k} for k, v in sorted(ids.items(), key=lambda x: x[1])],
                ["subject", "patient_id"],
            ),
        )
    atomic_write_text(output, _study_text(chosen, table is not None and clinical is not None, bool(roi_records)))
    return InitResult(output, key, sorted(chosen), rows)


def _scan(dataset: Path, nifti: bool):
    """(series, unreadable files, subject key -> id, classifier) of a DICOM tree or a NIfTI dataset."""
    if nifti:
        found = scan_nifti_dataset(dataset)
        if not found:
            raise InputError(
                f"{dataset}: a BIDS / ORMIR-MIDS folder (dataset_description.json) without NIfTI images in "
                "sub-<label>/ folders; expected e.g. sub-01/anat/sub-01_T1w.nii.gz or sub-01/mr-anat/sub-01_mese.nii.gz"
            )
        return found, [], {s.patient_key: s.patient_key for s in found}, classify_nifti
    series, unreadable = scan_tree(dataset)
    if not series:
        raise InputError(f"{dataset}: no DICOM image series found ({len(unreadable)} unreadable file(s))")
    return series, unreadable, pseudonyms(series), classify_series

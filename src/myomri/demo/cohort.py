"""Generate and write the whole demo cohort (ORMIR-MIDS-like layout) with its ground truth.

Layout under ``OUTDIR`` (paths in the tables are relative to ``OUTDIR``, POSIX style)::

    dataset_description.json, participants.tsv (clinical table; missing = n/a), manifest.csv,
    dseg_labels.txt (ITK-SNAP label description of the 24 muscle labels)
    sub-001/anat/sub-001_stir.nii.gz (+ .json)          STIR, one 8 mm axial slice
    sub-001/mese/sub-001_mese.nii.gz (+ .json)          4-D MESE, EchoTime list in seconds
    sub-001/dixon/sub-001_water.nii.gz, sub-001_fat.nii.gz
    sub-001/seg/sub-001_dseg.nii.gz                     muscle labels on the Dixon grid
    sub-001/roi/sub-001_reader-R1_roi.nii.gz            reader ROIs on the STIR slice (R1, R2, R1b)
    truth/planted.json, truth/planted.csv               planted effects per subject + link settings
    truth/sub-001/sub-001_T2water.nii.gz, _FF, _B1, _labels (MESE grid), _roi (STIR grid)

The cohort is written into a temporary sibling folder and renamed onto ``OUTDIR`` at the end, so
an interrupted run leaves no partial cohort. Same seed and settings give byte-identical files.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from ..config.demo import GROUPS, DemoConfig
from ..errors import InputError
from ..io.atomic import atomic_write_text
from ..io.labels import write_itksnap_labels
from ..io.nifti import write_nifti
from .subject import SubjectData, simulate_subject

__all__ = ["CohortSummary", "assign_subjects", "generate_cohort", "is_same_cohort", "subject_files"]

MANIFEST_COLUMNS = (
    "subject", "session", "reader", "image", "mask", "label", "group", "mese", "mese_json",
    "dixon_water", "dixon_fat", "dseg", "truth_t2", "truth_ff", "truth_b1", "truth_labels", "truth_roi",
)  # fmt: skip
CLINICAL_COLUMNS = ("participant_id", "group", "age", "sex", "CK", "ALT", "AST", "LDH", "ILD_score",
                    "anti_Jo1", "anti_ARS")  # fmt: skip


@dataclass
class CohortSummary:
    """What :func:`generate_cohort` wrote."""

    outdir: Path
    n_per_group: dict[str, int]
    n_files: int
    n_bytes: int
    t2_mean_per_group: dict[str, float]
    seconds: float
    subjects: list[str] = field(default_factory=list)
    dicom: bool = False

    def format(self) -> str:
        """Short human-readable summary (the CLI prints it)."""
        groups = ", ".join(f"{g} {n}" for g, n in self.n_per_group.items())
        t2 = ", ".join(f"{g} {v:.1f}" for g, v in self.t2_mean_per_group.items())
        return (
            f"demo cohort in {self.outdir}: {sum(self.n_per_group.values())} subjects ({groups})\n"
            f"files written: {self.n_files} ({self.n_bytes / 1e6:.1f} MB)\n"
            f"true mean muscle water T2 per group (ms): {t2}\n"
            f"time taken: {self.seconds:.1f} s"
        ) + (
            f"\nDICOM series: {self.outdir / 'dicom'} (clinical.tsv inside); reader ROIs for myomri init "
            f"--rois: {self.outdir / 'dicom_rois'}"
            if self.dicom
            else ""
        )


def assign_subjects(config: DemoConfig) -> list[tuple[str, str]]:
    """``(subject_id, group)`` for every subject; groups are shuffled over IDs by the seed so the
    ID does not reveal the group."""
    groups = [g for g in GROUPS for _ in range(int(config.composition.get(g, 0)))]
    order = np.random.default_rng([config.seed, 10_000]).permutation(len(groups))
    return [(f"sub-{n + 1:03d}", groups[i]) for n, i in enumerate(order)]


def subject_files(subject: str, readers) -> dict[str, str]:
    """Relative output path of every image key of a subject."""
    s = subject
    files = {
        "stir": f"{s}/anat/{s}_stir.nii.gz",
        "mese": f"{s}/mese/{s}_mese.nii.gz",
        "water": f"{s}/dixon/{s}_water.nii.gz",
        "fat": f"{s}/dixon/{s}_fat.nii.gz",
        "dseg": f"{s}/seg/{s}_dseg.nii.gz",
        "truth_t2": f"truth/{s}/{s}_T2water.nii.gz",
        "truth_ff": f"truth/{s}/{s}_FF.nii.gz",
        "truth_b1": f"truth/{s}/{s}_B1.nii.gz",
        "truth_labels": f"truth/{s}/{s}_labels.nii.gz",
        "truth_roi": f"truth/{s}/{s}_roi.nii.gz",
    }
    for r in readers:
        files[f"roi_{r}"] = f"{s}/roi/{s}_reader-{r}_roi.nii.gz"
    return files


def _json(obj) -> str:
    return json.dumps(obj, indent=2, sort_keys=True) + "\n"


def _sidecar(meta: dict, echo_times_ms=None) -> dict:
    """BIDS-style sidecar: times in seconds."""
    out = {"SeriesDescription": meta.get("SeriesDescription", ""),
           "MagneticFieldStrength": meta.get("MagneticFieldStrength")}  # fmt: skip
    if echo_times_ms is not None:
        out["EchoTime"] = [round(t / 1000.0, 6) for t in echo_times_ms]
    elif "EchoTime" in meta:
        out["EchoTime"] = round(meta["EchoTime"] / 1000.0, 6)
    for key in ("RepetitionTime", "InversionTime"):
        if key in meta:
            out[key] = round(meta[key] / 1000.0, 6)
    if "SliceThickness" in meta:
        out["SliceThickness"] = meta["SliceThickness"]  # mm, as in DICOM/BIDS
    if "MRAcquisitionType" in meta:
        out["MRAcquisitionType"] = meta["MRAcquisitionType"]
    return out


def _write_subject(root: Path, data: SubjectData, config: DemoConfig) -> dict[str, str]:
    files = subject_files(data.subject, config.reader_bias)
    for key, rel in files.items():
        write_nifti(data.images[key], root / rel)
    atomic_write_text(root / files["stir"].replace(".nii.gz", ".json"), _json(_sidecar(data.images["stir"].meta)))
    mese = data.images["mese"]
    atomic_write_text(root / files["mese"].replace(".nii.gz", ".json"), _json(_sidecar(mese.meta, mese.echo_times)))
    return files


def _tsv_value(v) -> str:
    return "n/a" if v is None else str(v)


def _generated_by(folder: Path) -> dict | None:
    """The ``GeneratedBy`` entry of a cohort's dataset_description.json (None: unreadable)."""
    try:
        entry = json.loads((folder / "dataset_description.json").read_text())["GeneratedBy"][0]
    except (OSError, ValueError, KeyError, IndexError, TypeError):
        return None
    return entry if isinstance(entry, dict) else None


def _is_demo_cohort(folder: Path) -> bool:
    return (_generated_by(folder) or {}).get("Name") == "myomri demo-data"


def is_same_cohort(folder: str | os.PathLike, config: DemoConfig) -> bool:
    """True when ``folder`` holds a complete demo cohort generated with ``config``'s seed and
    composition (every group's size, not only the total), so that it can be reused as it is.

    Examples
    --------
    >>> is_same_cohort("no-such-folder", DemoConfig())
    False
    """
    folder = Path(folder)
    if not _is_demo_cohort(folder) or (_generated_by(folder) or {}).get("Seed") != config.seed:
        return False
    try:
        planted = json.loads((folder / "truth" / "planted.json").read_text())
        written = {str(g): int(n) for g, n in planted["composition"].items() if n}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return False
    wanted = {g: int(n) for g, n in config.composition.items() if n}
    n_dirs = sum(1 for p in folder.glob("sub-*") if p.is_dir())
    return written == wanted and n_dirs == config.n_subjects and (folder / "manifest.csv").is_file()


def _check_outdir(outdir: Path, overwrite: bool) -> None:
    if outdir.exists() and not outdir.is_dir():
        raise InputError(f"{outdir}: exists and is not a folder; expected a new or empty output folder")
    if not outdir.is_dir() or not any(outdir.iterdir()):
        return
    if not overwrite:
        raise InputError(
            f"{outdir}: folder is not empty; expected a new or empty folder (or overwrite=True to replace it)",
            option="overwrite",
        )
    # --overwrite deletes the folder: only ever a previous demo cohort, never the working folder
    if not _is_demo_cohort(outdir):
        raise InputError(
            f"{outdir}: overwriting only replaces a previous demo cohort (dataset_description.json written "
            "by myomri demo-data), and this folder is not one; choose a new or empty folder"
        )
    cwd = Path.cwd().resolve()
    if cwd == outdir.resolve() or outdir.resolve() in cwd.parents:
        raise InputError(f"{outdir}: refusing to replace the folder holding the current working directory")


def _simulate_and_write(root: Path, subject: str, group: str, config: DemoConfig, dicom: bool = False):
    from threadpoolctl import threadpool_limits

    # the generator's small matrix products gain nothing from BLAS threads, which thrash on a
    # shared machine (measured: 3x the CPU time under load)
    with threadpool_limits(limits=1):
        data = simulate_subject(int(subject.split("-")[1]), subject, group, config)
        files = _write_subject(root, data, config)
        if dicom:
            from .dicom_export import ROI_FOLDER, write_subject_dicom, write_subject_rois

            write_subject_dicom(root / "dicom", data, config.seed)
            write_subject_rois(root / ROI_FOLDER, data, config.reader_bias)
    rows = []
    for reader in config.reader_bias:
        rows.append({
            "subject": subject, "session": 2 if reader.endswith("b") else 1, "reader": reader,
            "image": files["stir"], "mask": files[f"roi_{reader}"], "label": 1, "group": group,
            "mese": files["mese"], "mese_json": files["mese"].replace(".nii.gz", ".json"),
            "dixon_water": files["water"], "dixon_fat": files["fat"], "dseg": files["dseg"],
            **{k: files[k] for k in ("truth_t2", "truth_ff", "truth_b1", "truth_labels", "truth_roi")},
        })  # fmt: skip
    return rows, {"participant_id": subject, **data.clinical}, data.planted


def generate_cohort(
    outdir: str | os.PathLike,
    *,
    config: DemoConfig | None = None,
    overwrite: bool = False,
    progress: bool = True,
    n_jobs: int = 1,
    dicom: bool = False,
) -> CohortSummary:
    """Simulate the demo cohort and write it to ``outdir``.

    Parameters
    ----------
    outdir : path
        Output folder; must be new or empty unless ``overwrite``.
    config : DemoConfig
        Generator settings (seed, composition, ...); default ``DemoConfig()`` (84 subjects).
    overwrite : bool
        Replace a non-empty ``outdir``.
    progress : bool
        Show a tqdm progress bar on stderr.
    n_jobs : int
        Subjects simulated in parallel (joblib processes); the files do not depend on it.
    dicom : bool
        Also write the STIR, MESE and Dixon series as DICOM under ``dicom/`` (synthetic
        headers, see :mod:`myomri.demo.dicom_export`) with ``dicom/clinical.tsv``.
    """
    from tqdm.auto import tqdm

    t0 = time.perf_counter()
    config = (config or DemoConfig()).validate()
    outdir = Path(outdir).absolute()  # so '.' or 'x/..' still has a name and a parent
    _check_outdir(outdir, overwrite)
    outdir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{outdir.name}.tmp-", dir=outdir.parent))
    try:
        manifest, clinical, planted = [], [], []
        subjects = assign_subjects(config)
        if n_jobs == 1:
            results = (_simulate_and_write(tmp, s, g, config, dicom) for s, g in subjects)
        else:
            from joblib import Parallel, delayed

            results = Parallel(n_jobs=n_jobs, return_as="generator")(
                delayed(_simulate_and_write)(tmp, s, g, config, dicom) for s, g in subjects
            )
        for rows, clin, plant in tqdm(results, total=len(subjects), desc="demo subjects", unit="subject",
                                      disable=not progress):  # fmt: skip
            manifest.extend(rows)
            clinical.append(clin)
            planted.append(plant)
        _write_tables(tmp, config, manifest, clinical, planted)
        if dicom:
            _write_dicom_clinical(tmp / "dicom", clinical)
        n_files, n_bytes = _count(tmp)
        if outdir.exists():
            shutil.rmtree(outdir)
        os.replace(tmp, outdir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    per_group = {g: int(config.composition.get(g, 0)) for g in GROUPS if config.composition.get(g, 0)}
    t2 = {g: float(np.mean([p["t2_mean_ms"] for p in planted if p["group"] == g])) for g in per_group}
    return CohortSummary(outdir, per_group, n_files, n_bytes, t2, time.perf_counter() - t0,
                         [s for s, _ in subjects], dicom)  # fmt: skip


def _write_tables(root: Path, config: DemoConfig, manifest, clinical, planted) -> None:
    lines = [",".join(MANIFEST_COLUMNS)]
    lines += [",".join(str(row[c]) for c in MANIFEST_COLUMNS) for row in manifest]
    atomic_write_text(root / "manifest.csv", "\n".join(lines) + "\n")
    rows = ["\t".join(CLINICAL_COLUMNS)]
    rows += ["\t".join(_tsv_value(rec.get(c)) for c in CLINICAL_COLUMNS) for rec in clinical]
    atomic_write_text(root / "participants.tsv", "\n".join(rows) + "\n")
    write_itksnap_labels(root / "dseg_labels.txt")
    atomic_write_text(root / "dataset_description.json", _json({
        "Name": "myomri synthetic thigh MRI demo cohort", "BIDSVersion": "1.8.0", "DatasetType": "derivative",
        "GeneratedBy": [{"Name": "myomri demo-data", "Seed": config.seed}],
    }))  # fmt: skip
    keys = list(planted[0]) if planted else []
    csv = [",".join(keys)] + [",".join(str(p[k]) for k in keys) for p in planted]
    atomic_write_text(root / "truth" / "planted.csv", "\n".join(csv) + "\n")
    links = {
        "enzymes": "log(E) = intercept + slope * (T2_mean_ms - 34) / 10 + group offset + noise",
        "enzyme_intercepts": config.enzyme_intercepts, "enzyme_slopes": config.enzyme_slopes,
        "enzyme_noise_sd": config.enzyme_noise_sd,
        "ild_t2_link": 0.0, "ars_oedema_boost": config.ars_oedema_boost,
        "groups": {g: asdict(p) for g, p in config.groups.items() if g in config.composition},
    }  # fmt: skip
    atomic_write_text(root / "truth" / "planted.json", _json({
        "seed": config.seed, "composition": config.composition, "links": links, "subjects": planted,
    }))  # fmt: skip


def _write_dicom_clinical(root: Path, clinical) -> None:
    """The clinical table as a site would hold it: keyed by PatientID (synthetic), no subject ids."""
    from .dicom_export import patient_id

    cols = ("patient_id",) + CLINICAL_COLUMNS[1:]
    rows = ["\t".join(cols)]
    rows += [
        "\t".join([patient_id(rec["participant_id"])] + [_tsv_value(rec.get(c)) for c in cols[1:]]) for rec in clinical
    ]
    atomic_write_text(root / "clinical.tsv", "\n".join(rows) + "\n")


def _count(root: Path) -> tuple[int, int]:
    files = [p for p in root.rglob("*") if p.is_file()]
    return len(files), sum(p.stat().st_size for p in files)

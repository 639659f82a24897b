"""The subjects a viewer session serves, and the folders it may read and write.

Three ways in, as on the command line: one image (with optional labels and map), the output
folder of ``myomri run`` / ``myomri demo``, or a cohort manifest (``manifest.csv`` of
``myomri demo-data``, or any table with ``subject``, ``image``, ``mask`` columns). Every file the
page names afterwards is resolved by :func:`resolve_served` against the served folders.
"""

from __future__ import annotations

import csv
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import InputError, MissingFileError

__all__ = ["Entry", "Catalog", "catalog_single", "catalog_run", "catalog_manifest", "resolve_served"]

_IMAGE_SUFFIXES = (".nii.gz", ".nii", ".nrrd", ".nhdr")


@dataclass
class Entry:
    """One subject: the image the labels were drawn on, the labels, an optional map, the STIR image
    and ROI rows for reader mode, other images to show alongside, and flags to show in the list."""

    subject: str
    image: Path
    labels: Path | None = None
    map: Path | None = None
    stir: Path | None = None
    readers: list[str] = field(default_factory=list)
    manifest_row: dict | None = None
    others: list[Path] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)


@dataclass
class Catalog:
    """Every subject of a session and the folders it serves (resolved, no symlinks left)."""

    entries: list[Entry]
    roots: list[Path]
    label_table: list[dict] | None = None
    manifest: Path | None = None
    model: Path | None = None

    def entry(self, subject: str) -> Entry:
        """The entry of ``subject`` (raises ``KeyError`` when unknown)."""
        for e in self.entries:
            if e.subject == subject:
                return e
        raise KeyError(subject)

    @property
    def corrections_csv(self) -> Path:
        """Where saved corrections are listed: in the first served folder."""
        return self.roots[0] / "corrections.csv"


def resolve_served(roots, path: str) -> Path:
    """``path`` (relative to a served folder) as an existing file inside one of ``roots``.

    Symlinks are resolved before the check, so a link pointing out of the served folders is refused
    like ``../`` and absolute paths.

    Raises
    ------
    PermissionError
        The path is absolute, climbs out, or resolves outside every served folder.
    FileNotFoundError
        No such file inside a served folder.
    """
    if not path or os.path.isabs(path) or path.startswith(("/", "\\")) or ".." in Path(path).parts:
        raise PermissionError(f"{path!r}: only paths relative to the served folders are allowed")
    for root in roots:
        candidate = (root / path).resolve()
        if not candidate.is_relative_to(root):
            raise PermissionError(f"{path!r} resolves outside the served folders")
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(f"{path!r}: no such file in the served folders")


def _label_table(path: Path | None):
    from ..io.labels import read_label_table

    return read_label_table(path) if path is not None and path.is_file() else None


def _sidecar_flags(labels: Path | None) -> list[str]:
    """Confidence flags a segmenter wrote into the label map's JSON sidecar, when it did."""
    if labels is None:
        return []
    side = labels.with_name(labels.name.split(".")[0] + ".json")
    if not side.is_file():
        return []
    try:
        meta = json.loads(side.read_text())
    except ValueError:
        return [f"unreadable sidecar {side.name}"]
    flags = meta.get("flags") or meta.get("SegmentationFlags") or []
    out = [str(f) for f in (flags if isinstance(flags, list) else [flags])]
    conf = meta.get("confidence", meta.get("SegmentationConfidence"))
    if conf is not None:
        out.insert(0, f"confidence {conf}")
    # the record `myomri segment --method dl` writes (segment.confidence)
    if meta.get("low_confidence"):
        out.insert(0, "low segmentation confidence")
    if meta.get("flagged_slices"):
        out.append(f"review slices {', '.join(str(k) for k in meta['flagged_slices'])}")
    return out


def catalog_single(image, labels=None, value_map=None, *, label_file=None, model=None) -> Catalog:
    """One subject from files given on the command line."""
    paths = [Path(p).resolve() for p in (image, labels, value_map) if p is not None]
    for p, what in zip(paths, ("image", "label map", "map"), strict=False):
        if not p.exists():
            raise MissingFileError(p, what)
    image = paths[0]
    labels = Path(labels).resolve() if labels else None
    value_map = Path(value_map).resolve() if value_map else None
    name = image.name
    for suf in _IMAGE_SUFFIXES:
        name = name.removesuffix(suf)
    roots = sorted({p.parent for p in paths}, key=lambda p: (p != (labels or image).parent, str(p)))
    entry = Entry(name, image, labels, value_map, flags=_sidecar_flags(labels))
    return Catalog([entry], roots, _label_table(Path(label_file) if label_file else None), model=model)


def _read_rows(path: Path) -> list[dict]:
    with open(path, newline="", encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    if not rows or not {"subject", "image"} <= set(rows[0]):
        raise InputError(f"{path}: expected a manifest with at least the columns subject, image (and mask)")
    return rows


def catalog_manifest(path, *, run_dir: Path | None = None, model=None, label_file=None) -> Catalog:
    """Subjects of a cohort manifest (paths relative to it); with ``run_dir``, the run's T2 maps too.

    A demo-style manifest (``dixon_water``, ``dseg`` columns) shows the muscle labels on the water
    image; a plain one (``image``, ``mask``) shows its first mask on its image.
    """
    path = Path(path).resolve()
    if not path.is_file():
        raise MissingFileError(path, "manifest")
    base = path.parent
    by_subject: dict[str, list[dict]] = {}
    for row in _read_rows(path):
        by_subject.setdefault(row["subject"], []).append(row)
    entries = []
    for subject, rows in by_subject.items():
        entries.append(_manifest_entry(subject, rows, base, run_dir))
    roots = [base] if run_dir is None else [run_dir.resolve(), base]
    label_file = Path(label_file) if label_file else base / "dseg_labels.txt"
    return Catalog(entries, roots, _label_table(label_file), manifest=path, model=model)


def _manifest_entry(subject: str, rows: list[dict], base: Path, run_dir: Path | None) -> Entry:
    def file(row, key):  # an existing file of the row, resolved, or None
        v = (row.get(key) or "").strip()
        return (base / v).resolve() if v and (base / v).exists() else None

    first = rows[0]
    water, dseg = file(first, "dixon_water"), file(first, "dseg")
    image, labels = (water, dseg) if water and dseg else (file(first, "image"), file(first, "mask"))
    if image is None:
        raise MissingFileError(base / first.get("image", ""), f"image of {subject}")
    others = [p for key in ("image", "dixon_fat", "dixon_water", "mese") if (p := file(first, key))]
    value_map = None
    if run_dir is not None:
        from ..pipeline.layout import t2_subject_dir

        t2dir = t2_subject_dir(run_dir, subject)
        value_map = t2dir / "t2.nii.gz" if (t2dir / "t2.nii.gz").is_file() else None
        others += sorted(p.resolve() for p in t2dir.glob("*.nii.gz"))
    others = [p for i, p in enumerate(others) if p != image and p not in others[:i]]
    readers = [r["reader"] for r in rows if r.get("reader")]
    return Entry(subject, image, labels, value_map, stir=file(first, "image"), readers=readers,
                 manifest_row=dict(first), others=others, flags=_sidecar_flags(labels))  # fmt: skip


def catalog_run(outdir, *, model=None, label_file=None) -> Catalog:
    """Subjects of a ``myomri run`` / ``myomri demo`` output folder, with its T2 maps and failures."""
    outdir = Path(outdir).resolve()
    manifest = None
    run_manifest = outdir / "run_manifest.json"
    if run_manifest.is_file():
        try:
            study = Path(json.loads(run_manifest.read_text())["study_file"])
            from ..pipeline.config import load_pipeline

            manifest = load_pipeline(study).subjects_table if study.is_file() else None
        except (ValueError, KeyError, OSError):
            manifest = None
    for candidate in (outdir / "data" / "manifest.csv", outdir / "manifest.csv"):
        if manifest is None and candidate.is_file():
            manifest = candidate
    if manifest is None:
        raise InputError(
            f"{outdir}: not a myomri run or demo output (no run_manifest.json with a readable "
            "study file, no data/manifest.csv); expected an image with its labels, or a manifest"
        )
    cat = catalog_manifest(manifest, run_dir=outdir, model=model, label_file=label_file)
    _add_failures(cat, outdir / "failures.csv")
    return cat


def _add_failures(cat: Catalog, failures: Path) -> None:
    if not failures.is_file():
        return
    with open(failures, newline="") as fh:
        for row in csv.DictReader(fh):
            try:
                entry = cat.entry(row.get("subject", ""))
            except KeyError:
                continue
            entry.flags.append(f"{row.get('stage', 'run')} failed: {row.get('error', row.get('reason', ''))}")

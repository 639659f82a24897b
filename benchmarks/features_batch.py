"""Whole-process feature extraction: ``myomri extract --manifest`` vs PyRadiomics' batch CLI.

What a user feels: each tool is run as a fresh subprocess over the same manifest (start-up, reading
the files, preprocessing, every feature, writing the CSV), in the same run, one after the other.

Settings:

* ``3d``: 24 seeded synthetic 3-D muscle-like ROIs of about 195,000 voxels (NIfTI, 1 mm), binWidth 2.5,
  the six classes firstorder, glcm, gldm, glrlm, glszm, ngtdm, no resampling; myomri with ``--jobs 1``
  and ``--jobs 2``, PyRadiomics with its default (one process).
* ``stir2d``: the seed paper's own setting: 24 2-D STIR-like slices (0.8 x 0.8 x 6 mm) with a
  muscle ROI, normalised (scale 100), resampled to 3 mm (B-spline), force2D, Original + LBP-2D:
  186 features.

Wall times need a quiet machine: on one shared with other work, the CPU times (user + system of the
process and its workers) are the fairer figure for one process, and only wall time can show what
``--jobs 2`` gains (the load average before each setting is printed). Per setting it prints the wall times, the ratios (PyRadiomics / myomri, jobs 1 / jobs 2) and the
largest relative difference between the two tools' values (all cases, all features; PyRadiomics'
CSV holds them to 17 significant digits). The last line is a JSON summary (``make bench``).

Usage::

    python benchmarks/features_batch.py [--cases 24] [--pyradiomics /tmp/pyrad/bin/pyradiomics]
        [--settings 3d stir2d] [--workdir DIR] [--keep]

myomri runs as ``python -m myomri`` with this interpreter (``PYTHONPATH`` as set by the caller).
PyRadiomics is not a dependency: it runs from its own environment (``--pyradiomics`` or the
``PYRADIOMICS_CLI`` variable); without it only myomri is timed.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

SIX = ("firstorder", "glcm", "gldm", "glrlm", "glszm", "ngtdm")


def _params_yaml(setting: str) -> str:
    classes = "\n".join(f"  {c}:" for c in SIX)
    if setting == "3d":
        return f"setting:\n  binWidth: 2.5\n  label: 1\nimageType:\n  Original: {{}}\nfeatureClass:\n{classes}\n"
    # the seed paper: myomri.config.pipeline.FEATURE_PARAMS
    return (
        "setting:\n  normalize: true\n  normalizeScale: 100\n  resampledPixelSpacing: [3, 3, 3]\n"
        "  interpolator: sitkBSpline\n  force2D: true\n  force2Ddimension: 0\n  label: 1\n"
        f"imageType:\n  Original: {{}}\n  LBP2D: {{}}\nfeatureClass:\n{classes}\n"
    )


def _texture(rng, shape, sigma):
    from scipy import ndimage

    t = ndimage.gaussian_filter(rng.normal(0, 1, shape), sigma)
    return t / t.std()


def write_cases(root: Path, setting: str, n: int, seed: int) -> Path:
    """Write ``n`` seeded cases and one manifest read by both tools; returns the manifest path."""
    from myomri.io.image import Image
    from myomri.io.nifti import write_nifti

    rng = np.random.default_rng(seed)
    rows = []
    for c in range(n):
        if setting == "3d":
            shape, spacing = (100, 96, 64), (1.0, 1.0, 1.0)
            radii = np.array([41.5, 36.5, 27.5]) * rng.uniform(0.97, 1.03, 3)
        else:
            shape, spacing = (300, 260, 1), (0.8, 0.8, 6.0)
            radii = np.array([70.0, 48.0, np.inf]) * rng.uniform(0.9, 1.1, 3)
        grid = np.meshgrid(*[np.arange(s) - (s - 1) / 2 for s in shape], indexing="ij")
        # a lumpy ellipsoid (a muscle belly): the radius varies with a smooth random field
        wobble = 1 + 0.08 * _texture(rng, shape, 6.0)
        r2 = sum((g / r) ** 2 for g, r in zip(grid, radii) if math.isfinite(r))
        mask = (r2 <= wobble**2).astype(np.uint8)
        # muscle: smooth texture + fat streaks + noise; STIR: bright oedema patches
        img = 300 + 28 * _texture(rng, shape, 1.2) + 12 * np.maximum(_texture(rng, shape, 3.0) - 1.2, 0)
        img = img + rng.normal(0, 8, shape)
        if setting == "3d":
            img = np.round(img * 4) / 4  # quarter-unit intensities, float data (like a scaled scanner image)
        d = root / f"case{c:02d}"
        d.mkdir(parents=True, exist_ok=True)
        write_nifti(Image(img.astype(np.float32), spacing=spacing), d / "image.nii.gz")
        write_nifti(Image(mask, spacing=spacing), d / "mask.nii.gz")
        rows.append((f"sub-{c:02d}", "R1", str(d / "image.nii.gz"), str(d / "mask.nii.gz")))
    manifest = root / "manifest.csv"
    with open(manifest, "w", newline="") as fh:
        w = csv.writer(fh)
        # myomri reads subject/reader/image/mask, PyRadiomics Image/Mask: one file for both
        w.writerow(["subject", "reader", "image", "mask", "Image", "Mask"])
        for s, r, i, m in rows:
            w.writerow([s, r, i, m, i, m])
    (root / "params.yaml").write_text(_params_yaml(setting))
    return manifest


def _timed(cmd: list[str], env: dict) -> tuple[float, float]:
    """Wall time and CPU time (user + system, the process and its children) of one command.

    The CPU time is the fairer figure for one process on a machine shared with other work (wall
    time then counts the other work's share of the cores); for ``--jobs 2`` only wall time says
    whether the two workers overlap.
    """
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def run_myomri(manifest: Path, jobs: int, out: Path, repeat: int = 1) -> tuple[float, float]:
    """Median wall and CPU time of fresh ``myomri extract --manifest`` processes (nothing cached before
    each: its ``.parts`` folder is removed)."""
    cmd = [sys.executable, "-m", "myomri", "extract", "--manifest", str(manifest), "--params",
           str(manifest.with_name("params.yaml")), "-o", str(out), "--jobs", str(jobs), "--no-progress"]
    times = []
    for _ in range(repeat):
        shutil.rmtree(out.with_name(out.name + ".parts"), ignore_errors=True)
        times.append(_timed(cmd, dict(os.environ)))
    return float(np.median([t[0] for t in times])), float(np.median([t[1] for t in times]))


def _warm_up(manifest: Path, out: Path) -> None:
    """One untimed case, so that the timed runs find numba's cache filled (a first run after an edit
    of the kernels compiles them; :func:`startup` times that separately)."""
    with open(manifest, newline="") as fh:
        lines = fh.read().splitlines()
    one = manifest.with_name("warmup_manifest.csv")
    one.write_text("\n".join(lines[:2]) + "\n")
    run_myomri(one, 1, out)


def startup(root: Path, manifest: Path) -> dict:
    """One-case ``myomri extract IMAGE MASK`` in fresh processes with an empty numba cache: the first
    compiles the kernels (cold), the next ones load them (warm; numba saving nothing there shows the
    cache is really hit); and ``myomri --help``."""
    with open(manifest, newline="") as fh:
        first = next(csv.DictReader(fh))
    cache = root / "numba_cache"
    shutil.rmtree(cache, ignore_errors=True)
    env = dict(os.environ, NUMBA_CACHE_DIR=str(cache))
    cmd = [sys.executable, "-m", "myomri", "extract", first["image"], first["mask"], "--params",
           str(manifest.with_name("params.yaml")), "-o", str(root / "one.csv")]
    res = {"cold_s": _timed(cmd, env)[0]}
    warm = [_timed(cmd, env)[0] for _ in range(3)]
    res["warm_s"] = float(np.median(warm))
    debug = subprocess.run(cmd, env=dict(env, NUMBA_DEBUG_CACHE="1"), capture_output=True, text=True)
    res["warm_numba_saves"] = debug.stdout.count("data saved to")
    res["warm_numba_loads"] = debug.stdout.count("data loaded from")
    res["help_s"] = float(np.median([_timed([sys.executable, "-m", "myomri", "--help"], env)[0] for _ in range(3)]))
    return res


def run_pyradiomics(cli: str, manifest: Path, out: Path) -> tuple[float, float]:
    """Wall and CPU time of PyRadiomics' batch CLI on the same manifest and parameters."""
    cmd = [cli, str(manifest), "-p", str(manifest.with_name("params.yaml")), "-o", str(out), "-f", "csv"]
    out.unlink(missing_ok=True)  # its batch mode appends to an existing CSV (a second header row)
    return _timed(cmd, dict(os.environ))


def _features(path: Path) -> list[dict[str, float]]:
    with open(path, newline="") as fh:
        rows = list(csv.DictReader(fh))
    keep = ("original_", "lbp-2D_")
    return [{k: float(v) for k, v in r.items() if k.startswith(keep) and "_shape_" not in k} for r in rows]


def max_rel_diff(ours: Path, ref: Path) -> tuple[float, int]:
    """Largest relative difference over all cases and PyRadiomics' features, and the feature count."""
    a, b = _features(ours), _features(ref)
    worst = 0.0
    for ra, rb in zip(a, b, strict=True):
        missing = set(rb) - set(ra)
        if missing:
            raise RuntimeError(f"myomri lacks {len(missing)} PyRadiomics column(s), e.g. {sorted(missing)[:3]}")
        for k, v in rb.items():
            if math.isnan(v) and math.isnan(ra[k]):
                continue
            worst = max(worst, abs(ra[k] - v) / max(abs(v), 1e-12))
    return worst, len(b[0])


def bench_setting(root: Path, setting: str, n: int, cli: str | None, seed: int, repeat: int) -> dict:
    """Write the cases of one setting and time myomri (jobs 1 and 2) and PyRadiomics on them."""
    manifest = write_cases(root / setting, setting, n, seed)
    res: dict = {"setting": setting, "cases": n, "load_average_before": os.getloadavg()[0]}
    _warm_up(manifest, root / setting / "warmup.csv")
    res["myomri_jobs1_s"], res["myomri_jobs1_cpu_s"] = run_myomri(manifest, 1, root / setting / "ours1.csv", repeat)
    res["myomri_jobs2_s"], res["myomri_jobs2_cpu_s"] = run_myomri(manifest, 2, root / setting / "ours2.csv", repeat)
    res["jobs2_speedup"] = res["myomri_jobs1_s"] / res["myomri_jobs2_s"]
    if cli:
        res["pyradiomics_s"], res["pyradiomics_cpu_s"] = run_pyradiomics(cli, manifest, root / setting / "pyrad.csv")
        res["ratio_wall"] = res["pyradiomics_s"] / res["myomri_jobs1_s"]
        res["ratio_cpu"] = res["pyradiomics_cpu_s"] / res["myomri_jobs1_cpu_s"]
        res["max_rel_diff"], res["n_features"] = max_rel_diff(root / setting / "ours1.csv", root / setting / "pyrad.csv")
    return res


def _line(r: dict) -> str:
    line = (f"{r['setting']:7s} {r['cases']} cases (load average {r['load_average_before']:.1f}) | myomri --jobs 1: {r['myomri_jobs1_s']:6.2f} s wall "
            f"{r['myomri_jobs1_cpu_s']:6.2f} s CPU | --jobs 2: {r['myomri_jobs2_s']:6.2f} s wall "
            f"{r['myomri_jobs2_cpu_s']:6.2f} s CPU (x{r['jobs2_speedup']:.2f} wall)")
    if "pyradiomics_s" in r:
        line += (f" | PyRadiomics {r['pyradiomics_s']:6.2f} s wall {r['pyradiomics_cpu_s']:6.2f} s CPU | "
                 f"ratio {r['ratio_wall']:.1f}x wall, {r['ratio_cpu']:.1f}x CPU | {r['n_features']} features, "
                 f"max rel diff {r['max_rel_diff']:.1e}")
    return line


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", type=int, default=24)
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--settings", nargs="+", default=["3d", "stir2d"], choices=["3d", "stir2d"])
    ap.add_argument("--pyradiomics", default=os.environ.get("PYRADIOMICS_CLI", "/tmp/pyrad/bin/pyradiomics"))
    ap.add_argument("--workdir", type=Path, default=None, help="keep the cases and outputs here")
    ap.add_argument("--repeat", type=int, default=3, help="myomri runs per figure (median); PyRadiomics runs once")
    args = ap.parse_args(argv)
    cli = args.pyradiomics if Path(args.pyradiomics).is_file() else None
    if cli is None:
        print(f"PyRadiomics CLI not found at {args.pyradiomics}: timing myomri only")
    root = args.workdir or Path(tempfile.mkdtemp(prefix="features_batch_"))
    results = []
    start: dict = {}
    try:
        for setting in args.settings:
            r = bench_setting(root, setting, args.cases, cli, args.seed, args.repeat)
            results.append(r)
            print(_line(r), flush=True)
        start = startup(root, root / args.settings[0] / "manifest.csv")
        print(f"start-up, one-case extract: cold (numba compiles) {start['cold_s']:.2f} s, warm {start['warm_s']:.2f} s "
              f"(numba cache: {start['warm_numba_loads']} loaded, {start['warm_numba_saves']} saved); "
              f"myomri --help {start['help_s']:.2f} s", flush=True)
    finally:
        if args.workdir is None:
            shutil.rmtree(root, ignore_errors=True)
    print(json.dumps({"benchmark": "features_batch", "results": results, "startup": start}))
    return 0


if __name__ == "__main__":
    sys.exit(main())

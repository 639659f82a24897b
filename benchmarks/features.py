"""Time myomri's feature engine against PyRadiomics 3.0.1 on the same inputs (93 features, one process).

Cases (seeded synthetic muscle-like images):

* ``2d_5000px``: a 2-D ROI of about 5,000 pixels, binWidth 25 (about 70 grey levels);
* ``3d_200k``: a 3-D ROI of about 200,000 voxels, binWidth 25;
* ``2d_180gl``: the 2-D case discretised to about 180 grey levels.

Usage::

    .venv/bin/python benchmarks/features.py [--pyradiomics-python /tmp/pyrad/bin/python] [--repeat 5]

PyRadiomics is not a dependency: it runs in its own interpreter (``--pyradiomics-python`` or the
``PYRADIOMICS_PYTHON`` environment variable, default ``/tmp/pyrad/bin/python``) through a subprocess.
When it is missing, only our times are printed. Times are the best of ``--repeat`` runs after one
warm-up run (numba compilation, imports), single-threaded (``NUMBA_NUM_THREADS=1``, one process).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

os.environ.setdefault("NUMBA_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402

SIX = {c: None for c in ("firstorder", "glcm", "gldm", "glrlm", "glszm", "ngtdm")}


def make_case(name: str) -> tuple[np.ndarray, np.ndarray, tuple[float, float, float], dict]:
    """Image (float64), 0/1 mask, spacing, params of a benchmark case, in [i, j, k] order."""
    from scipy import ndimage

    rng = np.random.default_rng(2024)
    if name.startswith("2d"):
        shape = (110, 100, 1)
        spacing = (0.8, 0.8, 6.0)
        radii = (44, 37, None)
    else:
        shape = (96, 96, 44)
        spacing = (1.0, 1.0, 1.0)
        radii = (42, 40, 28)
    grid = np.meshgrid(*[np.arange(n) - (n - 1) / 2 for n in shape], indexing="ij")
    r2 = (grid[0] / radii[0]) ** 2 + (grid[1] / radii[1]) ** 2
    if radii[2]:
        r2 = r2 + (grid[2] / radii[2]) ** 2
    mask = (r2 <= 1).astype(np.uint8)
    texture = ndimage.gaussian_filter(rng.normal(0, 1, shape), 1.5)
    image = 400 + 250 * texture / texture.std() + rng.normal(0, 60, shape)
    image = np.round(image).astype(np.float64)
    bin_width = 25.0
    if name == "2d_180gl":
        roi = image[mask > 0]
        bin_width = float(np.ptp(roi) / 180)
    params = {"setting": {"binWidth": bin_width, "force2D": name.startswith("2d"), "label": 1},
              "imageType": {"Original": {}}, "featureClass": SIX}
    return image, mask, spacing, params


def time_ours(image, mask, spacing, params, repeat: int) -> tuple[float, dict]:
    from myomri.features.extractor import FeatureExtractor
    from myomri.io.image import Image

    img = Image(image, spacing=spacing)
    msk = img.with_array(mask)
    ext = FeatureExtractor(params)
    values = ext.extract(img, msk)  # warm-up (numba compilation)
    best = np.inf
    for _ in range(repeat):
        t0 = time.perf_counter()
        ext.extract(img, msk)
        best = min(best, time.perf_counter() - t0)
    return best, {k: float(v) for k, v in values.items() if not k.startswith("diagnostics_")}


PYRAD_SCRIPT = textwrap.dedent(
    """
    import json, sys, time, logging
    import numpy as np, SimpleITK as sitk
    import radiomics
    from radiomics import featureextractor
    radiomics.setVerbosity(logging.ERROR)
    z = np.load(sys.argv[1])
    params = json.loads(open(sys.argv[2]).read())
    repeat = int(sys.argv[3])
    img = sitk.GetImageFromArray(np.ascontiguousarray(z["image"].T)); img.SetSpacing([float(s) for s in z["spacing"]])
    msk = sitk.GetImageFromArray(np.ascontiguousarray(z["mask"].T)); msk.CopyInformation(img)
    ext = featureextractor.RadiomicsFeatureExtractor(params)
    res = ext.execute(img, msk)
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter(); ext.execute(img, msk); best = min(best, time.perf_counter() - t0)
    vals = {k: float(v) for k, v in res.items() if not k.startswith("diagnostics_")}
    print(json.dumps({"time": best, "values": vals, "version": radiomics.__version__}))
    """
)


def time_pyradiomics(python: str, image, mask, spacing, params, repeat: int) -> dict | None:
    if not Path(python).is_file():
        return None
    with tempfile.TemporaryDirectory() as tmp:
        npz = Path(tmp) / "case.npz"
        np.savez(npz, image=image, mask=mask, spacing=np.asarray(spacing))
        pj = Path(tmp) / "params.json"
        pj.write_text(json.dumps(params))
        script = Path(tmp) / "run.py"
        script.write_text(PYRAD_SCRIPT)
        env = dict(os.environ, OMP_NUM_THREADS="1")
        proc = subprocess.run([python, str(script), str(npz), str(pj), str(repeat)], capture_output=True,
                              text=True, env=env)
    if proc.returncode != 0:
        print(f"  PyRadiomics failed: {proc.stderr.strip().splitlines()[-1] if proc.stderr else proc.returncode}")
        return None
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--pyradiomics-python", default=os.environ.get("PYRADIOMICS_PYTHON", "/tmp/pyrad/bin/python"))
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--cases", nargs="+", default=["2d_5000px", "3d_200k", "2d_180gl"])
    args = ap.parse_args(argv)
    have_pyrad = Path(args.pyradiomics_python).is_file()
    if not have_pyrad:
        print(f"PyRadiomics interpreter not found at {args.pyradiomics_python}: timing myomri only "
              "(install it as described in benchmarks/make_pyradiomics_reference.py)")
    print(f"{'case':<11} {'ROI':>8} {'levels':>6} {'n':>3} {'myomri s':>10} {'PyRad s':>10} {'ratio':>7} {'max rel diff':>12}")
    for name in args.cases:
        image, mask, spacing, params = make_case(name)
        roi = image[mask > 0]
        bw = params["setting"]["binWidth"]
        levels = int(np.floor(roi.max() / bw) - np.floor(roi.min() / bw) + 1)
        repeat = max(1, args.repeat if name.startswith("2d") else min(args.repeat, 3))
        ours, values = time_ours(image, mask, spacing, params, repeat)
        ref = time_pyradiomics(args.pyradiomics_python, image, mask, spacing, params, repeat) if have_pyrad else None
        if ref:
            diffs = [abs(values[k] - v) / max(abs(v), 1e-300) for k, v in ref["values"].items() if k in values]
            missing = [k for k in ref["values"] if k not in values]
            diff = f"{max(diffs):.1e}" + (f" ({len(missing)} missing)" if missing else "")
            print(f"{name:<11} {roi.size:>8} {levels:>6} {len(values):>3} {ours:>10.4f} {ref['time']:>10.4f} "
                  f"{ref['time'] / ours:>6.1f}x {diff:>12}")
        else:
            print(f"{name:<11} {roi.size:>8} {levels:>6} {len(values):>3} {ours:>10.4f} {'-':>10} {'-':>7} {'-':>12}")
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())

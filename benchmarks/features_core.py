"""Time the feature engine core (93 features, one process) on the three cases of issue 3.

Synthetic, seeded inputs (smoothed noise, MR-like intensities):

* ``2d``:      a 2-D disk ROI of ~5,000 px, ~35 grey levels (binWidth 25);
* ``3d``:      a 3-D ellipsoid ROI of ~200,000 voxels, same intensities;
* ``2d-180``:  the 2-D case discretised to ~180 grey levels.

The first call (numba JIT compile or cache load) is timed separately and excluded from the per-case
figures (median of ``--repeat`` runs; wall time and process CPU time, the latter being the fairer
figure on a machine shared with other work). BLAS is limited to one thread (one process, one thread). Run: ``python benchmarks/features_core.py [--repeat 20]``.
The comparison with PyRadiomics itself is in ``benchmarks/features.py``.
"""

from __future__ import annotations

import os

# one process, one thread (as PyRadiomics): keep OpenBLAS from spinning threads in the small eigen/SVD
# problems of GLCM MCC (on a loaded 2-core box its threads make them ~10x slower)
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402
from scipy import ndimage  # noqa: E402

from myomri.features.compute import compute_features  # noqa: E402

CLASSES = ("firstorder", "glcm", "gldm", "glrlm", "glszm", "ngtdm")


def make_cases(seed: int = 0) -> dict[str, tuple]:
    """Synthetic cases -> (values, mask, spacing, settings)."""
    rng = np.random.default_rng(seed)
    img2 = ndimage.gaussian_filter(rng.normal(size=(256, 256)), 2.0)
    img2 = (400 + 800 * (img2 - img2.mean()) / img2.std() * 0.25).astype(np.int16)[:, :, None]
    ii, jj = np.indices((256, 256))
    disk = (((ii - 128) ** 2 + (jj - 128) ** 2) < 40**2)[:, :, None]
    img3 = ndimage.gaussian_filter(rng.normal(size=(160, 160, 60)), 1.5)
    img3 = (400 + 200 * (img3 - img3.mean()) / img3.std()).astype(np.int16)
    i3, j3, k3 = np.indices(img3.shape)
    ell = ((i3 - 80) / 50.0) ** 2 + ((j3 - 80) / 45.0) ** 2 + ((k3 - 30) / 21.0) ** 2 < 1
    return {
        "2d": (img2, disk, (0.8, 0.8, 5.0), {"binWidth": 25}),
        "3d": (img3, ell, (1.0, 1.0, 3.0), {"binWidth": 25}),
        "2d-180": (img2, disk, (0.8, 0.8, 5.0), {"binWidth": 6}),
    }


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=20)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    cases = make_cases(args.seed)
    values, mask, spacing, settings = cases["2d"]
    t0 = time.perf_counter()
    compute_features(values, mask, spacing=spacing, settings=settings, classes=CLASSES)
    print(f"first call (numba compile or cache load): {time.perf_counter() - t0:.2f} s")
    for name, (values, mask, spacing, settings) in cases.items():
        feats = compute_features(values, mask, spacing=spacing, settings=settings, classes=CLASSES)
        times, cpu = [], []
        for _ in range(args.repeat if name != "3d" else max(3, args.repeat // 4)):
            t, c = time.perf_counter(), time.process_time()
            compute_features(values, mask, spacing=spacing, settings=settings, classes=CLASSES)
            times.append(time.perf_counter() - t)
            cpu.append(time.process_time() - c)
        levels = feats["glcm_JointAverage"]  # touch a value so nothing is optimised away
        n_levels = len(np.unique(np.floor(values[mask] / settings["binWidth"])))
        print(f"{name:7s} ROI {int(mask.sum()):7d} vox, {n_levels:4d} grey levels, {len(feats)} features: "
              f"wall median {1000 * np.median(times):8.2f} ms (min {1000 * min(times):.2f}), "
              f"CPU median {1000 * np.median(cpu):8.2f} ms [{levels:.3g}]")


if __name__ == "__main__":
    main()

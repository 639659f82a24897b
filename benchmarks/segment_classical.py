"""Time and score the classical whole-muscle segmenter on the Huashan IDEAL thighs (512x512x16).

For each subject: best-of-``--repeat`` wall time of :func:`myomri.segment.classical.segment_classical`
(Dixon water + fat) and the Dice of its muscle label (1) and muscle compartment (1 + 4) against the
union of the 11 nnU-Net muscle labels shipped with the data (which leave adductor longus/brevis,
the hip muscles and the end slices unlabelled).

Usage::

    .venv/bin/python benchmarks/segment_classical.py [--reference ../shared/reference] [--repeat 3]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from myomri.io.nifti import read_nifti
from myomri.segment.classical import compute_dice, muscle_mask, segment_classical


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default_ref = Path(__file__).resolve().parents[2] / "shared" / "reference"
    parser.add_argument("--reference", type=Path, default=default_ref)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    folder = args.reference / "muscle" / "huashan_thigh_ideal"
    print(f"{'subject':10s} {'time_s':>7s} {'dice_muscle':>11s} {'dice_compartment':>16s} {'femur_slices':>12s}")
    for subject in ("Thigh_001", "Thigh_002", "Thigh_003"):
        fat = read_nifti(folder / f"{subject}_0000.nii.gz")
        water = read_nifti(folder / f"{subject}_0001.nii.gz")
        truth = read_nifti(folder / f"{subject}_seg.nii.gz").array > 0
        times = []
        for _ in range(args.repeat):
            start = time.perf_counter()
            labels = segment_classical(water, fat=fat).array
            times.append(time.perf_counter() - start)
        femur = sum(bool((labels[:, :, k] == 3).any()) for k in range(labels.shape[2]))
        print(f"{subject:10s} {min(times):7.2f} {compute_dice(labels == 1, truth):11.3f} "
              f"{compute_dice(muscle_mask(labels, compartment=True), truth):16.3f} "
              f"{femur:>8d}/{labels.shape[2]}")


if __name__ == "__main__":
    main()

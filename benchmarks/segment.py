"""Per-muscle DL segmentation: inference time of a 16-slice two-thigh volume, Dice on held-out data.

Timing: ``segment_dl`` end to end (normalisation, resampling, L/R split, network, resampling back,
largest-component cleanup) on a 512 x 512 x 16 IDEAL water volume (Huashan ``Thigh_003``) with
``--threads`` torch threads (default 2); best of ``--repeat`` runs after one warm-up. The target
is <= 30 s on 2 CPU cores. Timing does not depend on the weights, so without shipped weights a
freshly initialised network of the shipped architecture is timed.

Dice (``--evaluate``): per muscle on held-out Huashan ``Thigh_003`` (never used for training; its
labels are the authors' nnU-Net predictions, not manual truth, and have no laterality and no AL,
so Dice is side-free and AL is not scored) and, with ``--demo DIR``, on demo subjects (files
``*_water.nii.gz`` + ``*_dseg.nii.gz``; generated with a seed not used for training), per muscle
over both legs with laterality (a muscle on the wrong side counts as wrong).

Usage::

    .venv/bin/python benchmarks/segment.py [--model M] [--threads 2] [--repeat 3] [--evaluate] [--demo DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

REFERENCE = Path(os.environ.get("MYOMRI_REFERENCE", Path(__file__).resolve().parents[2] / "shared" / "reference"))
HUASHAN = REFERENCE / "muscle" / "huashan_thigh_ideal"


def _model(path):
    from myomri.segment.infer import default_model_path
    from myomri.segment.model_io import load_model, new_model

    if path:
        return load_model(path), str(path)
    try:
        p = default_model_path()
        return load_model(p), str(p)
    except FileNotFoundError:
        return new_model(seed=0), "untrained (shipped architecture)"


def _dice(a, b) -> float:
    s = int(a.sum()) + int(b.sum())
    return float(2 * np.logical_and(a, b).sum() / s) if s else float("nan")


def time_inference(model, image, *, threads: int, repeat: int) -> float:
    from myomri.segment.infer import segment_dl

    segment_dl(image, model=model, n_threads=threads)  # warm-up
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        segment_dl(image, model=model, n_threads=threads)
        best = min(best, time.perf_counter() - t)
    return best


def evaluate_huashan(model, subject: str = "Thigh_003", *, threads: int) -> dict:
    from myomri.config.labels import MUSCLES
    from myomri.io.read import read_image
    from myomri.segment.infer import segment_dl
    from myomri.segment.preprocess import muscle_indices

    image = read_image(HUASHAN / f"{subject}_0001.nii.gz")
    truth = muscle_indices(read_image(HUASHAN / f"{subject}_seg.nii.gz").array, scheme="huashan")
    pred = muscle_indices(segment_dl(image, model=model, n_threads=threads).array)
    return {m: _dice(pred == i, truth == i) for i, m in enumerate(MUSCLES, 1) if m != "AL"}


def evaluate_demo(model, folder: Path, *, threads: int) -> dict:
    from myomri.config.labels import MUSCLES, N_MUSCLES
    from myomri.io.read import read_image
    from myomri.segment.infer import segment_dl

    per: dict[str, list[float]] = {m: [] for m in MUSCLES}
    for water in sorted(folder.glob("*_water.nii.gz")):
        truth = read_image(Path(str(water).replace("_water", "_dseg"))).array
        pred = segment_dl(read_image(water), model=model, n_threads=threads).array
        for i, m in enumerate(MUSCLES, 1):
            # both legs pooled, laterality kept: right value i with right value i, left i+12 with left
            a = (pred == i) | (pred == i + N_MUSCLES)
            inter = np.logical_and(pred == i, truth == i).sum() + np.logical_and(pred == i + 12, truth == i + 12).sum()
            s = a.sum() + ((truth == i) | (truth == i + N_MUSCLES)).sum()
            per[m].append(float(2 * inter / s) if s else float("nan"))
    return {m: float(np.nanmean(v)) for m, v in per.items() if v}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default=None)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--evaluate", action="store_true")
    ap.add_argument("--demo", type=Path, default=None)
    args = ap.parse_args(argv)
    import torch

    torch.set_num_threads(args.threads)
    from myomri.io.read import read_image

    model, name = _model(args.model)
    out = {"model": name, "lineage": model.lineage, "threads": args.threads}
    image = read_image(HUASHAN / "Thigh_003_0001.nii.gz")
    out["volume"] = list(image.array.shape)
    out["inference_s"] = round(time_inference(model, image, threads=args.threads, repeat=args.repeat), 2)
    if args.evaluate:
        d = evaluate_huashan(model, threads=args.threads)
        out["huashan_Thigh_003_dice"] = {k: round(v, 3) for k, v in d.items()}
        out["huashan_Thigh_003_mean"] = round(float(np.nanmean(list(d.values()))), 3)
    if args.demo:
        d = evaluate_demo(model, args.demo, threads=args.threads)
        out["demo_dice"] = {k: round(v, 3) for k, v in d.items()}
        out["demo_mean"] = round(float(np.nanmean(list(d.values()))), 3)
    print(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Per-muscle DL segmentation: inference time, Dice and HD95 on held-out real and demo data, confidence.

Timing: ``segment_dl`` end to end (normalisation, resampling, leg split, network, resampling back,
largest-component cleanup, confidence) on the 512 x 512 x 16 Huashan ``Thigh_003`` water volume
with ``--threads`` torch threads; best of ``--repeat`` runs after one warm-up (target <= 15 s on
2 cores).

``--evaluate``:

* Huashan ``Thigh_003`` (never trained on), its IDEAL **water** image alone and its **fat** image
  alone: per-muscle Dice and HD95 (mm) of the 11 labelled muscles (side-free: the reference has no
  laterality; AL is not labelled there, so predicted AL counts as background), and the
  whole-muscle Dice (union of the 11). The reference maps are the authors' nnU-Net predictions,
  not manual masks. Targets: mean per-muscle >= 0.85, whole >= 0.93, no muscle < 0.70.
* Leakage check: the whole-muscle Dice between Thigh_003's map and every training label map
  carried onto its grid through world coordinates (must stay <= 0.85).
* Demo subjects of ``DemoConfig(seed=202)`` (training used seed 1000): per muscle with laterality.
* Confidence: the volume verdict on Thigh_003 and on a calf scan (``qmritools_calf`` water), which
  must come out ``low_confidence``.

Usage::

    .venv/bin/python benchmarks/segment.py [--model M] [--threads 2] [--repeat 3] [--evaluate] [--demo N] [--refine]

``--refine``: ``myomri segment refine`` with Thigh_003's labels on slices 4, 8 and 12 standing in for a
user's corrections; mean per-muscle Dice on its other 13 slices before and after.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

REFERENCE = Path(os.environ.get("MYOMRI_REFERENCE", Path(__file__).resolve().parents[2] / "shared" / "reference"))
MUSCLE = REFERENCE / "muscle"
HUASHAN = MUSCLE / "huashan_thigh_ideal"


def _model(path):
    from myomri.segment.infer import default_model_path
    from myomri.segment.model_io import load_model

    p = Path(path) if path else default_model_path()
    return load_model(p), str(p)


def time_inference(model, image, *, threads: int, repeat: int) -> float:
    from myomri.segment.infer import segment_dl

    segment_dl(image, model=model, n_threads=threads)  # warm-up
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        segment_dl(image, model=model, n_threads=threads)
        best = min(best, time.perf_counter() - t)
    return best


def evaluate_huashan(model, subject: str, kind: str, *, threads: int) -> dict:
    from myomri.config.labels import MUSCLES
    from myomri.io.read import read_image
    from myomri.segment.evaluate import dice, per_muscle_scores
    from myomri.segment.infer import segment_dl
    from myomri.segment.tiling import muscle_indices

    image = read_image(HUASHAN / f"{subject}_{'0001' if kind == 'water' else '0000'}.nii.gz")
    truth = muscle_indices(read_image(HUASHAN / f"{subject}_seg.nii.gz").array, scheme="huashan")
    seg = segment_dl(image, model=model, n_threads=threads)
    pred = muscle_indices(seg.array)
    pred[pred == MUSCLES.index("AL") + 1] = 0
    scores = per_muscle_scores(pred, truth, spacing=image.spacing, muscles=MUSCLES[:-1])
    d = [s["dice"] for s in scores.values()]
    return {"per_muscle": {m: {k: round(v, 3) for k, v in s.items()} for m, s in scores.items()},
            "mean_dice": round(float(np.nanmean(d)), 3), "min_dice": round(float(np.nanmin(d)), 3),
            "mean_hd95_mm": round(float(np.nanmean([s["hd95_mm"] for s in scores.values()])), 1),
            "whole_muscle_dice": round(dice(pred > 0, truth > 0), 3),
            "low_confidence": seg.meta["confidence"]["low_confidence"],
            "flagged_slices": seg.meta["confidence"]["flagged_slices"]}  # fmt: skip


def leakage(subject: str = "Thigh_003") -> dict:
    """Whole-muscle Dice of ``subject``'s map with every label map carried onto its grid."""
    from myomri.errors import GeometryError
    from myomri.io.read import read_mask
    from myomri.preprocess.geometry import transfer_mask
    from myomri.segment.evaluate import dice

    ref = read_mask(HUASHAN / f"{subject}_seg.nii.gz")
    out = {}
    for p in sorted((MUSCLE / "mmthigh_labels").glob("*.nii.gz")):
        try:
            moved, _ = transfer_mask(read_mask(p), ref)
            out[p.name] = round(dice(moved.array > 0, ref.array > 0), 3)
        except GeometryError:
            out[p.name] = 0.0
    return {"max": max(out.values()), "argmax": max(out, key=out.get), "n_maps": len(out)}


def evaluate_demo(model, n: int, *, threads: int) -> dict:
    """Per-muscle Dice with laterality on ``n`` demo subjects of seed 202, for three inputs: the
    Dixon water image, the Dixon fat image (both against ``dseg``) and the first echo of the MESE
    series (against the true labels on the MESE grid)."""
    from myomri.config.demo import GROUPS, DemoConfig
    from myomri.config.labels import MUSCLES, N_MUSCLES
    from myomri.demo.subject import simulate_subject
    from myomri.segment.infer import segment_dl

    inputs = {"water": "dseg", "fat": "dseg", "mese_echo1": "truth_labels"}
    per: dict[str, dict[str, list[float]]] = {k: {m: [] for m in MUSCLES} for k in inputs}
    for i in range(n):
        data = simulate_subject(i, f"sub-{i}", GROUPS[i % len(GROUPS)], DemoConfig(seed=202))
        for kind, truth_key in inputs.items():
            image = data.images["mese"].volume(0) if kind == "mese_echo1" else data.images[kind]
            truth = data.images[truth_key].array
            pred = segment_dl(image, model=model, n_threads=threads).array
            for j, m in enumerate(MUSCLES, 1):
                # both legs pooled, laterality kept: right value j with right j, left j+12 with left
                inter = ((pred == j) & (truth == j)).sum() + ((pred == j + N_MUSCLES) & (truth == j + N_MUSCLES)).sum()
                s = ((pred == j) | (pred == j + N_MUSCLES)).sum() + ((truth == j) | (truth == j + N_MUSCLES)).sum()
                per[kind][m].append(float(2 * inter / s) if s else float("nan"))
    out: dict = {"subjects": n}
    for kind, table in per.items():
        means = {m: round(float(np.nanmean(v)), 3) for m, v in table.items()}
        out[kind] = {"per_muscle": means, "mean_dice": round(float(np.nanmean(list(means.values()))), 3)}
    return out


def calf_confidence(model, *, threads: int) -> dict:
    from myomri.io.read import read_image
    from myomri.segment.infer import segment_dl

    seg = segment_dl(read_image(MUSCLE / "qmritools_calf" / "water.nii.gz"), model=model, n_threads=threads)
    c = seg.meta["confidence"]
    return {"low_confidence": c["low_confidence"], "flagged_fraction": c["flagged_fraction"],
            "median_probability": c["median_probability"]}  # fmt: skip


def refine_on_slices(model_path: str, subject: str = "Thigh_003", slices=(4, 8, 12), *, threads: int) -> dict:
    """``myomri segment refine`` on ``slices`` of ``subject`` (its labels standing in for a user's
    corrections); per-muscle Dice on the subject's other slices before and after."""
    import tempfile

    from myomri.cli import main as cli
    from myomri.io.image import Image
    from myomri.io.nifti import write_nifti
    from myomri.io.read import read_image
    from myomri.segment.model_io import load_model

    image = read_image(HUASHAN / f"{subject}_0001.nii.gz")
    labels = read_image(HUASHAN / f"{subject}_seg.nii.gz")
    others = [k for k in range(image.array.shape[2]) if k not in slices]
    out = {"corrected_slices": list(slices), "scored_slices": others}
    with tempfile.TemporaryDirectory() as tmp:
        args = ["segment", "refine", "--model", model_path, "--label-scheme", "huashan", "--threads", str(threads),
                "-o", f"{tmp}/refined.pt", "--images"]
        masks = []
        for k in slices:
            origin = tuple(image.index_to_world(np.array([0.0, 0.0, float(k)])))
            for name, src, dst in (("img", image, args), ("lab", labels, masks)):
                one = Image(np.ascontiguousarray(src.array[:, :, k:k + 1]), spacing=src.spacing, origin=origin,
                            direction=src.direction)
                write_nifti(one, f"{tmp}/{name}{k}.nii.gz")
                dst.append(f"{tmp}/{name}{k}.nii.gz")
        t0 = time.perf_counter()
        with contextlib.redirect_stdout(sys.stderr):  # stdout carries this script's JSON only
            assert cli(args + ["--masks", *masks]) == 0
        out["refine_s"] = round(time.perf_counter() - t0, 1)
        for tag, m in (("before", load_model(model_path)), ("after", load_model(f"{tmp}/refined.pt"))):
            out[tag] = _slice_dice(m, image, labels, others, threads=threads)
    return out


def _slice_dice(model, image, labels, slices, *, threads: int) -> float:
    from myomri.config.labels import MUSCLES
    from myomri.segment.evaluate import dice
    from myomri.segment.infer import segment_dl
    from myomri.segment.tiling import muscle_indices

    pred = muscle_indices(segment_dl(image, model=model, n_threads=threads).array)[:, :, slices]
    truth = muscle_indices(labels.array, scheme="huashan")[:, :, slices]
    return round(float(np.nanmean([dice(pred == i, truth == i) for i in range(1, len(MUSCLES))])), 3)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default=None)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--evaluate", action="store_true")
    ap.add_argument("--demo", type=int, default=5, help="held-out demo subjects to score with --evaluate")
    ap.add_argument("--refine", action="store_true", help="refine on 3 slices of Thigh_003, Dice on the others")
    args = ap.parse_args(argv)
    import torch

    torch.set_num_threads(args.threads)
    from myomri.io.read import read_image

    model, name = _model(args.model)
    out = {"model": name, "lineage": model.lineage, "threads": args.threads,
           "size_mb": round(Path(name).stat().st_size / 2**20, 2)}  # fmt: skip
    image = read_image(HUASHAN / "Thigh_003_0001.nii.gz")
    out["volume"] = list(image.array.shape)
    out["inference_s"] = round(time_inference(model, image, threads=args.threads, repeat=args.repeat), 2)
    if args.evaluate:
        for kind in ("water", "fat"):
            out[f"Thigh_003_{kind}"] = evaluate_huashan(model, "Thigh_003", kind, threads=args.threads)
        out["leakage_whole_muscle_dice"] = leakage()
        if args.demo:
            out["demo_seed202"] = evaluate_demo(model, args.demo, threads=args.threads)
        out["calf_confidence"] = calf_confidence(model, threads=args.threads)
    if args.refine:
        out["refine_Thigh_003"] = refine_on_slices(name, threads=args.threads)
    print(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())

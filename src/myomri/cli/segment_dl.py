"""The deep-learning parts of ``myomri segment``: ``--method dl``, ``segment train``, ``segment refine``.

Not a command module of its own: :mod:`myomri.cli.segment` registers these under ``segment``.
"""

from __future__ import annotations

import argparse
import sys

__all__ = [
    "add_dl_options",
    "add_train_parser",
    "add_refine_parser",
    "run_dl",
    "run_train",
    "run_refine",
    "write_confidence",
]


def add_dl_options(p: argparse.ArgumentParser) -> None:
    """Options of ``myomri segment IMAGE`` used by ``--method dl``."""
    from ..config.segment_dl import CONTRASTS

    p.add_argument(
        "--contrast",
        choices=CONTRASTS,
        default="water",
        help="contrast of IMAGE for --method dl: only a hint for older models (the shipped model is "
        "contrast-agnostic and ignores it)",
    )
    p.add_argument(
        "--model",
        metavar="M",
        default=None,
        help="model file for --method dl (default: the weights shipped with myomri)",
    )
    p.add_argument(
        "--no-tta",
        dest="tta",
        action="store_false",
        help="--method dl: one network pass per tile instead of the average over 5 shifted tiles "
        "(test-time augmentation: ~0.01 higher mean Dice measured, 5x the network time)",
    )


def _common_training(p: argparse.ArgumentParser, defaults: dict) -> None:
    from .argtypes import positive_int

    p.add_argument(
        "--epochs", type=positive_int, default=defaults["epochs"], help=f"epochs (default {defaults['epochs']})"
    )
    optimiser_options(p, defaults)


def optimiser_options(p: argparse.ArgumentParser, defaults: dict) -> None:
    """``--batch-size``, ``--lr``, ``--seed``, ``--threads`` and ``-o`` of ``segment train``/``refine``."""
    from .argtypes import output_file, positive_float, positive_int, seed

    p.add_argument(
        "--batch-size",
        type=positive_int,
        default=defaults["batch_size"],
        help=f"tiles per batch (default {defaults['batch_size']})",
    )
    p.add_argument(
        "--lr",
        type=positive_float,
        default=defaults["learning_rate"],
        help=f"peak learning rate (default {defaults['learning_rate']})",
    )
    p.add_argument("--seed", type=seed, default=defaults["seed"], help=f"random seed (default {defaults['seed']})")
    p.add_argument("--threads", type=positive_int, default=None, help="torch CPU threads (default from config)")
    p.add_argument(
        "-o",
        "--output",
        metavar="MODEL",
        required=True,
        type=output_file,
        help="output model file (written atomically)",
    )


def _pairs(p: argparse.ArgumentParser) -> None:
    from ..config.segment_dl import CONTRASTS

    p.add_argument(
        "--cases",
        metavar="TSV",
        default=None,
        help="tab-separated case list with columns image, mask[, scheme, contrast]",
    )
    p.add_argument("--images", nargs="+", default=[], metavar="IMAGE", help="images (paired with --masks)")
    p.add_argument("--masks", nargs="+", default=[], metavar="MASK", help="label maps on the images' grids")
    p.add_argument(
        "--label-scheme",
        choices=("myomri", "huashan"),
        default="myomri",
        help="labels of --masks: myomri (1..24, right then left) or huashan (11 labels, no AL)",
    )
    p.add_argument("--contrast", choices=CONTRASTS, default="water", help="contrast of --images (default water)")


def add_train_parser(sub) -> None:
    """``segment train`` (in :mod:`myomri.cli.segment_train`)."""
    from .segment_train import add_train_parser as add

    add(sub)


def add_refine_parser(sub) -> None:
    from ..config.segment_dl import REFINE

    p = sub.add_parser("refine", prog="myomri segment refine",
                       help="fine-tune a model on corrected masks (incremental learning)",
                       description="Fine-tune MODEL on user-corrected masks for a few epochs; prints the Dice "
                                   "before and after on those cases and on --validation.")  # fmt: skip
    p.add_argument("--model", metavar="M", required=True, help="model to refine")
    _pairs(p)
    p.add_argument("--validation", metavar="TSV", default=None, help="case list of a validation set")
    _common_training(p, REFINE)
    p.set_defaults(func=run_refine)


def _cases(args) -> list:
    from ..errors import InputError
    from ..segment.train import read_case_list

    cases = read_case_list(args.cases) if args.cases else []
    if len(args.images) != len(args.masks):
        raise InputError(f"{len(args.images)} --images but {len(args.masks)} --masks; expected one mask per image")
    cases += [(i, m, args.label_scheme, args.contrast) for i, m in zip(args.images, args.masks, strict=True)]
    if not cases:
        raise InputError("no cases: give --cases TSV or --images ... --masks ...")
    return cases


def _refuse_overwrite(args, cases) -> None:
    """The model written must not replace an input: a case file, image, mask or model."""
    from ..io.paths import refuse_output_over_input

    inputs = {
        "case list": args.cases,
        "image": [c[0] for c in cases],
        "mask": [c[1] for c in cases],
        "model": getattr(args, "model", None) or getattr(args, "init", None),
        "validation case list": getattr(args, "validation", None),
    }
    refuse_output_over_input(inputs, [args.output])


def _threads(args) -> int:
    from ..config.segment_dl import N_THREADS

    return args.threads or N_THREADS


def run_train(args: argparse.Namespace) -> int:
    """``segment train`` (in :mod:`myomri.cli.segment_train`)."""
    from .segment_train import run_train as run

    return run(args)


def run_refine(args: argparse.Namespace) -> int:
    import torch

    from ..segment.model_io import load_model, save_model
    from ..segment.refine import format_report, refine_model
    from ..segment.train import load_cases, read_case_list

    cases = _cases(args)
    _refuse_overwrite(args, cases)
    torch.set_num_threads(_threads(args))
    model = load_model(args.model)
    pre = {"tile": model.preprocess["tile"], "pixel_mm": model.preprocess["pixel_mm"]}
    data = load_cases(cases, **pre)
    val = load_cases(read_case_list(args.validation), **pre) if args.validation else None
    log = lambda s: print(s, file=sys.stderr, flush=True)  # noqa: E731
    refined, report = refine_model(model, data, validation=val, epochs=args.epochs, batch_size=args.batch_size,
                                   learning_rate=args.lr, seed=args.seed, n_threads=_threads(args),
                                   log=log)  # fmt: skip
    path = save_model(refined, args.output)
    print(format_report(report))
    print(f"{path}: model {refined.lineage} (parent {refined.parent})")
    return 0


def run_dl(args: argparse.Namespace, image) -> int:
    """``myomri segment IMAGE --method dl``: write the 24-label muscle map (or a 0/1 muscle mask)."""
    import numpy as np

    from ..config.labels import label_name
    from ..io.read import write_image
    from ..segment.infer import segment_dl

    labels = segment_dl(image, model=args.model, contrast=args.contrast, n_threads=_threads_default(), tta=args.tta)
    out = labels if args.mask == "tissue" else labels.with_array((labels.array > 0).astype(np.uint8))
    path = write_image(out, args.output)
    conf = labels.meta["confidence"]
    sidecar = write_confidence(conf, path, model=labels.meta["model_lineage"])
    if conf["low_confidence"]:
        print(f"warning: {image.source or 'image'}: low segmentation confidence ({len(conf['flagged_slices'])} of "
              f"{len(conf['slices'])} slices flagged; is this an axial thigh image?): review {path} before use",
              file=sys.stderr)  # fmt: skip
    elif conf["flagged_slices"]:
        print(f"slices to review: {conf['flagged_slices']} (see {sidecar})", file=sys.stderr)
    voxel_ml = float(np.prod(labels.spacing)) / 1000.0
    counts = np.bincount(labels.array.ravel(), minlength=25)
    parts = [f"{label_name(v)} {counts[v] * voxel_ml:.1f} mL" for v in range(1, 25) if counts[v]]
    print(f"{path}: dl segmentation ({'muscles' if out is labels else 'muscle mask'}); " + ", ".join(parts))
    return 0


def write_confidence(conf: dict, labels_path, *, model: str):
    """Write the confidence record beside ``labels_path`` (``NAME.nii.gz`` -> ``NAME.json``), atomically."""
    import json
    from pathlib import Path

    from ..io.atomic import atomic_write_text

    p = Path(labels_path)
    stem = p.name[: -len(".nii.gz")] if p.name.endswith(".nii.gz") else p.stem
    sidecar = p.with_name(stem + ".json")
    atomic_write_text(sidecar, json.dumps({"segmentation": "myomri dl", "model": model, **conf}, indent=1))
    return sidecar


def _threads_default() -> int:
    from ..config.segment_dl import N_THREADS

    return N_THREADS

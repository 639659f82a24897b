"""The deep-learning parts of ``myomri segment``: ``--method dl``, ``segment train``, ``segment refine``.

Not a command module of its own: :mod:`myomri.cli.segment` registers these under ``segment``.
"""

from __future__ import annotations

import argparse
import sys

__all__ = ["add_dl_options", "add_train_parser", "add_refine_parser", "run_dl", "run_train", "run_refine"]


def add_dl_options(p: argparse.ArgumentParser) -> None:
    """Options of ``myomri segment IMAGE`` used by ``--method dl``."""
    from ..config.segment_dl import CONTRASTS

    p.add_argument("--contrast", choices=CONTRASTS, default="water",
                   help="contrast of IMAGE for --method dl (default water; fat and t1 are inverted first)")
    p.add_argument("--model", metavar="M", default=None,
                   help="model file for --method dl (default: the weights shipped with myomri)")


def _common_training(p: argparse.ArgumentParser, defaults: dict) -> None:
    from .argtypes import output_file, positive_float, positive_int, seed

    p.add_argument("--epochs", type=positive_int, default=defaults["epochs"], help=f"epochs (default {defaults['epochs']})")
    p.add_argument("--batch-size", type=positive_int, default=defaults["batch_size"],
                   help=f"tiles per batch (default {defaults['batch_size']})")
    p.add_argument("--lr", type=positive_float, default=defaults["learning_rate"],
                   help=f"peak learning rate (default {defaults['learning_rate']})")
    p.add_argument("--seed", type=seed, default=defaults["seed"], help=f"random seed (default {defaults['seed']})")
    p.add_argument("--threads", type=positive_int, default=None, help="torch CPU threads (default from config)")
    p.add_argument("-o", "--output", metavar="MODEL", required=True, type=output_file, help="output model file (written atomically)")


def _pairs(p: argparse.ArgumentParser) -> None:
    from ..config.segment_dl import CONTRASTS

    p.add_argument("--cases", metavar="TSV", default=None,
                   help="tab-separated case list with columns image, mask[, scheme, contrast]")
    p.add_argument("--images", nargs="+", default=[], metavar="IMAGE", help="images (paired with --masks)")
    p.add_argument("--masks", nargs="+", default=[], metavar="MASK", help="label maps on the images' grids")
    p.add_argument("--label-scheme", choices=("myomri", "huashan"), default="myomri",
                   help="labels of --masks: myomri (1..24, right then left) or huashan (11 labels, no AL)")
    p.add_argument("--contrast", choices=CONTRASTS, default="water", help="contrast of --images (default water)")


def add_train_parser(sub) -> None:
    from ..config.segment_dl import TRAIN

    p = sub.add_parser("train", prog="myomri segment train", help="train a per-muscle model on image/mask pairs",
                       description="Train the per-muscle network (the recipe of the shipped weights) on your data.")
    _pairs(p)
    p.add_argument("--init", metavar="MODEL", default=None, help="start from this model instead of random weights")
    p.add_argument("--max-minutes", type=float, default=None, help="stop after this much training time")
    _common_training(p, TRAIN)
    p.set_defaults(func=run_train)


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


def _threads(args) -> int:
    from ..config.segment_dl import N_THREADS

    return args.threads or N_THREADS


def run_train(args: argparse.Namespace) -> int:
    from ..segment.model_io import load_model, new_model, save_model
    from ..segment.train import load_cases, train_model

    model = load_model(args.init) if args.init else new_model(seed=args.seed)
    data = load_cases(_cases(args), tile=model.preprocess["tile"], pixel_mm=model.preprocess["pixel_mm"])
    log = lambda s: print(s, file=sys.stderr, flush=True)  # noqa: E731
    model = train_model(data, model=model, epochs=args.epochs, batch_size=args.batch_size, learning_rate=args.lr,
                        seed=args.seed, n_threads=_threads(args), log=log,
                        max_seconds=None if args.max_minutes is None else 60 * args.max_minutes)  # fmt: skip
    path = save_model(model, args.output)
    print(f"{path}: model {model.lineage} trained on {len(data)} tiles")
    return 0


def run_refine(args: argparse.Namespace) -> int:
    from ..segment.model_io import load_model, save_model
    from ..segment.refine import format_report, refine_model
    from ..segment.train import load_cases, read_case_list

    import torch

    torch.set_num_threads(_threads(args))
    model = load_model(args.model)
    pre = {"tile": model.preprocess["tile"], "pixel_mm": model.preprocess["pixel_mm"]}
    data = load_cases(_cases(args), **pre)
    val = load_cases(read_case_list(args.validation), **pre) if args.validation else None
    log = lambda s: print(s, file=sys.stderr, flush=True)  # noqa: E731
    refined, report = refine_model(model, data, validation=val, epochs=args.epochs, batch_size=args.batch_size,
                                   learning_rate=args.lr, seed=args.seed, log=log)  # fmt: skip
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

    labels = segment_dl(image, model=args.model, contrast=args.contrast, n_threads=_threads_default())
    out = labels if args.mask in ("tissue", "compartment") else labels.with_array((labels.array > 0).astype(np.uint8))
    path = write_image(out, args.output)
    voxel_ml = float(np.prod(labels.spacing)) / 1000.0
    counts = np.bincount(labels.array.ravel(), minlength=25)
    parts = [f"{label_name(v)} {counts[v] * voxel_ml:.1f} mL" for v in range(1, 25) if counts[v]]
    print(f"{path}: dl segmentation ({'muscles' if out is labels else 'muscle mask'}); " + ", ".join(parts))
    return 0


def _threads_default() -> int:
    from ..config.segment_dl import N_THREADS

    return N_THREADS

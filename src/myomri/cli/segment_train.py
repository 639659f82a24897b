"""``myomri segment train``: the recipe of the shipped per-muscle weights (and of your own).

Not a command module of its own: :mod:`myomri.cli.segment_dl` registers it under ``segment``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

__all__ = ["add_train_parser", "run_train", "collect_maps"]


def add_train_parser(sub) -> None:
    """Add ``segment train``."""
    from ..config.segment_dl import DEVICE, DEVICES, NETWORK, TRAIN
    from .argtypes import positive_float, positive_int
    from .segment_dl import _pairs, optimiser_options

    p = sub.add_parser(
        "train",
        prog="myomri segment train",
        help="train a per-muscle model (label maps, images, phantoms)",
        description="Train the contrast-agnostic per-muscle network from any mix of: real label maps "
        "(synthetic images drawn from them, --label-maps), real image/mask pairs (--images/--masks "
        "or --cases) and demo phantoms (--demo-subjects). Progress (loss, validation Dice) goes to "
        "stderr; --checkpoint saves the state every 200 steps and --resume continues from it.",
    )
    p.add_argument(
        "--label-maps",
        nargs="+",
        default=[],
        metavar="PATH",
        help="label maps (files or folders of .nii.gz) in the Huashan 11-muscle numbering",
    )
    p.add_argument(
        "--exclude",
        nargs="+",
        default=[],
        metavar="NAME",
        help="leave out label maps whose file name contains NAME (e.g. the scan of an evaluation subject)",
    )
    _pairs(p)
    p.add_argument("--demo-subjects", type=int, default=0, metavar="N", help="demo phantoms to add (default 0)")
    p.add_argument(
        "--validation-maps",
        nargs="+",
        default=[],
        metavar="PATH",
        help="label maps for the progress Dice (synthetic images with a fixed seed; not trained on)",
    )
    p.add_argument(
        "--steps", type=positive_int, default=TRAIN["steps"], help=f"training steps (default {TRAIN['steps']})"
    )
    p.add_argument("--init", metavar="MODEL", default=None, help="start from this model instead of random weights")
    p.add_argument(
        "--base-channels",
        type=positive_int,
        default=None,
        metavar="N",
        help=f"width of a new network's top level, a multiple of 8 (default {NETWORK['base_channels']}; "
        "weights grow with its square: 16 -> 8.9 MB, 24 -> 20.0 MB)",
    )
    p.add_argument(
        "--device",
        choices=DEVICES,
        default=DEVICE,
        help=f"where the network trains: cpu, a CUDA GPU, or auto (the GPU when one is seen; default {DEVICE})",
    )
    p.add_argument("--max-minutes", type=positive_float, default=None, help="stop after this much training time")
    p.add_argument("--checkpoint", metavar="FILE", default=None, help="checkpoint file (written atomically)")
    p.add_argument("--resume", action="store_true", help="continue from --checkpoint when it exists")
    p.add_argument(
        "--workdir",
        metavar="DIR",
        default=None,
        help="folder for the generated demo phantoms (default: beside the output model)",
    )
    optimiser_options(p, TRAIN)
    p.set_defaults(func=run_train)


def collect_maps(paths, exclude=()) -> list[Path]:
    """Label-map files from files and folders (sorted), without those whose name contains an ``exclude``."""
    from ..errors import MissingFileError

    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            out += sorted(p.glob("*.nii.gz")) + sorted(p.glob("*.nii"))
        elif p.is_file():
            out.append(p)
        else:
            raise MissingFileError(p, "label map file or folder")
    return [p for p in out if not any(e in p.name for e in exclude)]


def run_train(args: argparse.Namespace) -> int:
    """Build the sources, train, write the model."""
    from ..config.segment_dl import N_THREADS
    from ..errors import InputError
    from ..segment.model_io import save_model
    from ..segment.recipe import Sources, demo_tiles, synthetic_from_maps, train_mixed
    from ..segment.train import load_cases, read_case_list

    if args.steps < 1 or args.batch_size < 1 or args.demo_subjects < 0 or args.lr <= 0:
        raise InputError(
            f"--steps {args.steps}, --batch-size {args.batch_size}, --lr {args.lr}, --demo-subjects "
            f"{args.demo_subjects}: expected positive steps, batch size and rate, demo >= 0"
        )
    from ..io.paths import refuse_output_over_input

    maps = collect_maps(args.label_maps, args.exclude)
    refuse_output_over_input({"label map": maps + collect_maps(args.validation_maps), "image": args.images,
                              "mask": args.masks, "case list": args.cases, "model": args.init},
                             [args.output, args.checkpoint])  # fmt: skip
    log = lambda s: print(s, file=sys.stderr, flush=True)  # noqa: E731
    model = _start_model(args)
    pre: dict[str, Any] = {"tile": int(model.preprocess["tile"]), "pixel_mm": float(model.preprocess["pixel_mm"])}
    src = Sources()
    if maps:
        src.synthetic = synthetic_from_maps(maps, seed=args.seed, **pre)
        src.names += [p.name for p in maps]
        log(f"{len(maps)} label maps -> {len(src.synthetic)} synthetic tissue tiles")
    cases = read_case_list(args.cases) if args.cases else []
    if len(args.images) != len(args.masks):
        raise InputError(f"{len(args.images)} --images but {len(args.masks)} --masks; expected one mask per image")
    cases += [(i, m, args.label_scheme, "water") for i, m in zip(args.images, args.masks, strict=True)]
    if cases:
        src.real = load_cases([(i, m, s, "water") for i, m, s, _ in cases], progress=False, **pre)
        src.names += [Path(c[0]).name for c in cases]
        log(f"{len(cases)} real image(s) -> {len(src.real)} tiles")
    workdir = Path(args.workdir) if args.workdir else Path(args.output).resolve().parent / "segment_train_work"
    if args.demo_subjects:
        src.demo = demo_tiles(args.demo_subjects, seed=1000 + args.seed, workdir=workdir, **pre)
        src.names.append(f"demo phantoms x{args.demo_subjects} (seed {1000 + args.seed})")
        log(f"{args.demo_subjects} demo phantoms -> {len(src.demo)} tiles")
    val = None
    if args.validation_maps:
        val = _validation_set(collect_maps(args.validation_maps), seed=args.seed, **pre)
        log(f"validation: {len(val)} synthetic tiles")
    model.preprocess["contrast_agnostic"] = True
    model = train_mixed(model, src, steps=args.steps, batch_size=args.batch_size, learning_rate=args.lr,
                        seed=args.seed, n_threads=args.threads or N_THREADS, log=log, validation=val, device=args.device,
                        checkpoint=Path(args.checkpoint) if args.checkpoint else None, resume=args.resume,
                        max_seconds=None if args.max_minutes is None else 60 * args.max_minutes)  # fmt: skip
    path = save_model(model, args.output)
    print(f"{path}: model {model.lineage} trained for {model.history[-1]['steps']} steps")
    return 0


def _start_model(args: argparse.Namespace):
    """The model to train: ``--init``'s, or a new one (``--base-channels`` wide when given)."""
    from ..config.segment_dl import NETWORK
    from ..errors import InputError
    from ..segment.model_io import load_model, new_model

    width = args.base_channels
    if width is not None and (width % 8 or width > 64):
        raise InputError(f"--base-channels {width}: expected a multiple of 8 up to 64 (the default is "
                         f"{NETWORK['base_channels']})")  # fmt: skip
    if not args.init:
        return new_model(None if width is None else {**NETWORK, "base_channels": width}, seed=args.seed)
    model = load_model(args.init)
    if width is not None and width != model.arch.get("base_channels"):
        raise InputError(f"--base-channels {width} with --init {args.init}: that model is "
                         f"{model.arch.get('base_channels')} channels wide; fine-tuning keeps its width")  # fmt: skip
    return model


def _validation_set(maps, *, seed: int, tile: int, pixel_mm: float):
    """Synthetic images of ``maps`` drawn once with a fixed seed, as a TileSet flagged 'AL unlabelled'."""
    import numpy as np
    import torch

    from ..segment.recipe import synthetic_from_maps
    from ..segment.synth import synthesize
    from ..segment.train import TileSet

    syn = synthetic_from_maps(maps, seed=seed + 7919, tile=tile, pixel_mm=pixel_mm, variants=1)
    gen = torch.Generator().manual_seed(seed + 7919)
    x = synthesize(torch.from_numpy(syn.tissues.astype(np.int64)), gen)[:, 0].numpy()
    return TileSet(x, syn.targets, np.ones(len(x), bool))

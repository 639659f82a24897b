"""Rebuild the shipped per-muscle weights (``src/myomri/data/thigh_unet.pt``) with ``myomri segment train``.

The recipe (run exactly this; it prints the command it runs):

* synthetic images from the 35 real label maps of ``mmthigh_labels`` (three sites) except the two
  held out for the progress Dice (``Helsinki_STIR_THIGH_123``, ``MyoSegmenTUM_Fat_HV005``):
  tissues added around the muscles (``segment.tissues``), new random intensities at every draw
  (``segment.synth``);
* the real Huashan IDEAL images of ``Thigh_001`` and ``Thigh_002``, water and fat each alone;
* 10 demo phantoms (``DemoConfig(seed=1000)``), water and fat;
* ``Thigh_003`` is never used (it is the evaluation subject of ``benchmarks/segment.py``; no
  training map overlaps it by a whole-muscle Dice above 0.65, which that script checks). The
  map ``Training_T2_THIGH_038_0003`` is the subject of ``Thigh_002``: pass ``--exclude
  THIGH_038`` too when ``Thigh_002`` is to be scored.

Seed 0, 8000 steps of 16 tiles (10 synthetic, 4 real, 2 phantoms), AdamW, warm-up + cosine, 2
threads, a checkpoint every 200 steps (rerun the same command to resume after an interruption).
Warm restarts (``--stage2 STAGE1.pt``, ``--stage3 STAGE2.pt``) use seed K-1 and the peak
learning rate halved per stage (1e-3, 5e-4), with their own checkpoint. The run is
step-deterministic; ``--minutes`` only caps it (the schedule then anneals by time and a rerun on a
machine of another speed may differ). The shipped run: see the README.

Usage::

    .venv/bin/python benchmarks/segment_train_shipped.py WORKDIR [--minutes 110] [-o thigh_unet.pt]
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
from pathlib import Path

REFERENCE = Path(os.environ.get("MYOMRI_REFERENCE", Path(__file__).resolve().parents[2] / "shared" / "reference"))
MUSCLE = REFERENCE / "muscle"
HELD_OUT_MAPS = ("Helsinki_STIR_THIGH_123_0001.nii.gz", "MyoSegmenTUM_Fat_HV005_1_0000.nii.gz")


def recipe(workdir: Path, output: Path, minutes: float | None, steps: int = 8000, init: Path | None = None,
           threads: int = 2, stage: int = 2, device: str = "cpu", base_channels: int | None = None) -> list[str]:
    """The ``myomri`` argument list of the shipped recipe (``init``: fine-tune that model as ``stage``;
    ``device``/``base_channels``: the same recipe on a GPU or for a wider network, not the shipped run)."""
    h = MUSCLE / "huashan_thigh_ideal"
    images = [str(h / f"Thigh_00{s}_000{c}.nii.gz") for s in (1, 2) for c in (0, 1)]
    masks = [str(h / f"Thigh_00{s}_seg.nii.gz") for s in (1, 2) for _ in (0, 1)]
    maps = MUSCLE / "mmthigh_labels"
    args = ["segment", "train", "--label-maps", str(maps), "--exclude", *(m.split("_0")[0] for m in HELD_OUT_MAPS),
            "--images", *images, "--masks", *masks, "--label-scheme", "huashan", "--demo-subjects", "10",
            "--validation-maps", *(str(maps / m) for m in HELD_OUT_MAPS), "--steps", str(steps),
            "--threads", str(threads), "--resume", "--workdir", str(workdir), "-o", str(output),
            "--device", device]  # fmt: skip
    if base_channels is not None:
        args += ["--base-channels", str(base_channels)]
    if init is None:
        args += ["--seed", "0", "--checkpoint", str(workdir / "train.ckpt")]
    else:  # a warm restart of stage K: new draws (seed K-1), the peak learning rate halved per stage
        lr = 2e-3 / 2 ** (stage - 1)
        args += ["--seed", str(stage - 1), "--lr", f"{lr:g}", "--init", str(init),
                 "--checkpoint", str(workdir / f"stage{stage}.ckpt")]  # fmt: skip
    if minutes:
        args += ["--max-minutes", str(minutes)]
    return args


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("workdir", type=Path)
    ap.add_argument("--minutes", type=float, default=110.0)
    ap.add_argument("--steps", type=int, default=8000)
    ap.add_argument("--stage2", type=Path, default=None, metavar="MODEL", help="fine-tune this stage-1 model")
    ap.add_argument("--stage3", type=Path, default=None, metavar="MODEL", help="fine-tune this stage-2 model")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--device", default="cpu", help="cpu (the shipped run), cuda or auto")
    ap.add_argument("--base-channels", type=int, default=None, help="a wider new network (default 16)")
    ap.add_argument("-o", "--output", type=Path, default=None)
    args = ap.parse_args(argv)
    from myomri.cli import main as cli

    args.workdir.mkdir(parents=True, exist_ok=True)
    out = args.output or args.workdir / "thigh_unet.pt"
    if args.stage2 and args.stage3:
        ap.error("--stage2 and --stage3 name one warm restart each; give one of them")
    init, stage = (args.stage3, 3) if args.stage3 else (args.stage2, 2)
    argv_ = recipe(args.workdir, out, args.minutes, args.steps, init, args.threads, stage, args.device,
                   args.base_channels)
    print("myomri " + " ".join(shlex.quote(a) for a in argv_), file=sys.stderr)
    return cli(argv_)


if __name__ == "__main__":
    sys.exit(main())

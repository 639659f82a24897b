"""Reproduce the training run of the shipped per-muscle weights (``src/myomri/data/thigh_unet.pt``).

Data: 30 demo subjects (``DemoConfig(seed=101)``, subject indices 0..29): the Dixon water image of
every subject plus the Dixon fat image (``contrast='fat'``, inverted) of every second subject, with
the 24-label ``dseg`` maps; and Huashan IDEAL water ``Thigh_001`` and ``Thigh_002`` (11 labels, no
laterality, no AL: AL is merged with background in the loss), repeated 4 times so the real scans
weigh about as much as the phantoms. ``Thigh_003`` and the demo subjects of ``DemoConfig(seed=202)``
are held out for ``benchmarks/segment.py --evaluate --demo``.

Training: :func:`myomri.segment.train.train_model` with the config defaults (seed 0, batch 16,
AdamW, warm-up + cosine schedule over the time budget, full augmentation) on 2 CPU threads. The
schedule follows the wall-clock budget, so a rerun on a machine of another speed sees a different
number of epochs (the shipped run: see the model file's ``history``).

Usage::

    .venv/bin/python benchmarks/segment_train_shipped.py WORKDIR [--minutes 40] [-o thigh_unet.pt]
    .venv/bin/python benchmarks/segment_train_shipped.py WORKDIR --generate-only   # demo data only
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

REFERENCE = Path(os.environ.get("MYOMRI_REFERENCE", Path(__file__).resolve().parents[2] / "shared" / "reference"))
HUASHAN = REFERENCE / "muscle" / "huashan_thigh_ideal"


def generate(folder: Path, seed: int, n: int) -> None:
    """Dixon water/fat and dseg of ``n`` demo subjects (skips those already written)."""
    from tqdm import tqdm

    from myomri.config.demo import GROUPS, DemoConfig
    from myomri.demo.subject import simulate_subject
    from myomri.io.nifti import write_nifti

    c = DemoConfig(seed=seed)
    folder.mkdir(parents=True, exist_ok=True)
    for i in tqdm(range(n), desc=f"demo seed {seed}", file=sys.stderr):
        s = f"sub-{seed}-{i:03d}"
        if (folder / f"{s}_dseg.nii.gz").exists():
            continue
        d = simulate_subject(i, s, GROUPS[i % len(GROUPS)], c)
        write_nifti(d.images["water"], folder / f"{s}_water.nii.gz")
        write_nifti(d.images["fat"], folder / f"{s}_fat.nii.gz")
        write_nifti(d.images["dseg"], folder / f"{s}_dseg.nii.gz")


def cases(train_dir: Path) -> list[tuple[str, str, str, str]]:
    out = []
    for k, seg in enumerate(sorted(train_dir.glob("*_dseg.nii.gz"))):
        base = str(seg)[: -len("_dseg.nii.gz")]
        out.append((base + "_water.nii.gz", str(seg), "myomri", "water"))
        if k % 2 == 0:
            out.append((base + "_fat.nii.gz", str(seg), "myomri", "fat"))
    for _ in range(4):
        for i in (1, 2):
            out.append((str(HUASHAN / f"Thigh_00{i}_0001.nii.gz"), str(HUASHAN / f"Thigh_00{i}_seg.nii.gz"),
                        "huashan", "water"))  # fmt: skip
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("workdir", type=Path)
    ap.add_argument("--minutes", type=float, default=40.0)
    ap.add_argument("-o", "--output", type=Path, default=Path("thigh_unet.pt"))
    ap.add_argument("--generate-only", action="store_true")
    args = ap.parse_args(argv)
    generate(args.workdir / "demo_train", 101, 30)
    generate(args.workdir / "demo_test", 202, 5)
    if args.generate_only:
        return 0
    from myomri.segment.model_io import new_model, save_model
    from myomri.segment.train import load_cases, train_model

    data = load_cases(cases(args.workdir / "demo_train"))
    model = train_model(data, model=new_model(seed=0), epochs=60, max_seconds=60 * args.minutes,
                        log=lambda s: print(s, file=sys.stderr, flush=True))  # fmt: skip
    save_model(model, args.output)
    print(f"{args.output}: {model.lineage}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

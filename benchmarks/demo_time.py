"""Time ``myomri demo`` as a user runs it (a fresh output folder, the default settings, 2 cores).

Usage::

    .venv/bin/python benchmarks/demo_time.py [--jobs 2] [--repeats N]

Prints the wall time, the CV repeats and T2 slices the demo ran with, and a ``BENCH`` JSON line.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET_S = 300.0


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--jobs", type=int, default=2)
    p.add_argument("--repeats", type=int, default=None, help="override the demo's CV repeats")
    args = p.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "demo_out"
        cmd = [sys.executable, "-m", "myomri", "demo", "-o", str(out), "--jobs", str(args.jobs), "--no-progress"]
        if args.repeats:
            cmd += ["--repeats", str(args.repeats)]
        t0 = time.perf_counter()
        done = subprocess.run(cmd, capture_output=True, text=True)
        wall = time.perf_counter() - t0
        if done.returncode != 0:
            print(done.stderr[-3000:], file=sys.stderr)
            return done.returncode
        import yaml

        study = yaml.safe_load((out / "data" / "study.yaml").read_text())
    cv = study.get("analysis", {}).get("validation", {})
    what = f"myomri demo ({cv.get('repeats', '?')} CV repeats, T2 slices: {study.get('t2', {}).get('slices', '?')})"
    print(f"{what}: {wall:.0f} s wall (target <= {TARGET_S:.0f} s)")
    print("BENCH " + json.dumps({"rows": [{"what": what, "ours_s": round(wall, 1), "peer": None, "peer_s": None,
                                           "ratio": None, "target_s": TARGET_S}]}))  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())

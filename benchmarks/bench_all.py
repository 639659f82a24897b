"""``make bench``: run every whole-command benchmark and print one table of ours, the peer timed in
the same run (PyRadiomics, the scikit-learn + mlxtend loop; MyoQMRI's published 296 s where it is
not installable) and the ratio, with the machine it ran on.

Each script runs in its own process and ends with a machine-readable JSON line, collected here:

* ``features_batch.py``: ``myomri extract --manifest`` (24 3-D ROIs; the paper's 2-D STIR setting)
  against PyRadiomics' batch CLI (``PYRADIOMICS_CLI``, default ``/tmp/pyrad/bin/pyradiomics``);
* ``t2.py``: ``myomri t2fit`` on the MyoQMRI calf (default; MyoQMRI's criterion) and a 1-million-voxel fit;
* ``study.py --repeats 100``: the nested protocol against the naive loop;
* ``demo_time.py``: ``myomri demo``.

Usage::

    .venv/bin/python benchmarks/bench_all.py [--quick]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _last_json(text: str) -> dict:
    for line in reversed(text.strip().splitlines()):
        line = line.removeprefix("BENCH ").strip()
        if line.startswith("{"):
            return json.loads(line)
    raise RuntimeError("no JSON summary line in the benchmark's output")


def _run(script: str, *args: str) -> dict:
    cmd = [sys.executable, str(HERE / script), *args]
    print("$ " + " ".join(cmd[1:]), file=sys.stderr, flush=True)
    done = subprocess.run(cmd, capture_output=True, text=True)
    sys.stderr.write(done.stdout[-4000:])
    if done.returncode != 0:
        sys.stderr.write(done.stderr[-4000:])
        raise RuntimeError(f"{script} failed (exit {done.returncode})")
    return _last_json(done.stdout)


def _rows_features(out: dict) -> list[tuple]:
    rows = []
    for r in out["results"]:
        what = {"3d": "extract --manifest, 24 3-D ROIs ~195k voxels", "stir2d": "extract --manifest, 2-D STIR, LBP+orig"}
        name = what.get(r["setting"], r["setting"])
        peer = r.get("pyradiomics_s")
        rows.append((name + " (--jobs 1)", r["myomri_jobs1_s"], "PyRadiomics batch CLI", peer,
                     peer / r["myomri_jobs1_s"] if peer else None, ">= 10x"))  # fmt: skip
        rows.append((name + " (--jobs 2 vs --jobs 1)", r["myomri_jobs2_s"], "myomri --jobs 1", r["myomri_jobs1_s"],
                     r["jobs2_speedup"], ">= 1.8x"))  # fmt: skip
    return rows


def _rows_generic(out: dict) -> list[tuple]:
    return [(r["what"], r["ours_s"], r.get("peer"), r.get("peer_s"), r.get("ratio"),
             f"<= {r['target_s']:g} s" if r.get("target_s") else "") for r in out["rows"]]  # fmt: skip


def _rows_study(out: dict) -> list[tuple]:
    ours, naive = out["myomri_s_per_repeat"], out.get("naive_s_per_repeat")
    return [("nested study protocol, 100 repeats (s per repeat)", ours, "scikit-learn + mlxtend loop", naive,
             naive / ours if naive else None, ">= 36x (floor 20x)")]  # fmt: skip


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="fewer repeats everywhere (a smoke run)")
    args = p.parse_args(argv)
    q = args.quick
    rows: list[tuple] = []
    rows += _rows_features(_run("features_batch.py", *(["--repeat", "1"] if q else [])))
    rows += _rows_generic(_run("t2.py", "--repeat", "1" if q else "2", *(["--skip-synthetic"] if q else [])))
    rows += _rows_study(_run("study.py", "--repeats", "3" if q else "100", "--naive-repeats", "1", "--jobs", "2"))
    rows += _rows_generic(_run("demo_time.py"))
    load = os.getloadavg()[0]
    print(f"\nmachine: {platform.machine()}, {os.cpu_count()} CPU(s), Python {platform.python_version()}, "
          f"{platform.system()} {platform.release()}; load average at the end {load:.1f}")
    print(f"{'what':58s} {'ours s':>9s}  {'peer':32s} {'peer s':>9s} {'ratio':>7s}  target")
    for what, ours, peer, peer_s, ratio, target in rows:
        ps = f"{peer_s:9.2f}" if isinstance(peer_s, (int, float)) else f"{'':9s}"
        rs = f"{ratio:6.1f}x" if isinstance(ratio, (int, float)) else f"{'':7s}"
        print(f"{what:58s} {ours:9.2f}  {(peer or ''):32s} {ps} {rs}  {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

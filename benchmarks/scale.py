"""Scale: N synthetic subjects through T2 fitting + ROI statistics and feature extraction.

Shows that ``myomri run`` streams subjects (each worker reads, fits and writes one subject, the
parent keeps only small per-subject summaries), so memory stays flat as the cohort grows.

Synthetic, seeded subjects, written as files first (not timed): a 2-D STIR-like slice (160 x 160,
1.2 mm, smoothed noise texture) with a disc ROI for two readers, and a 10-echo CPMG series
(96 x 96 x 2, EPG signal of a per-subject T2 with Rician noise) with a two-label muscle map. The
study file then runs the pipeline's T2 stage (mono-exponential or EPG), the features stage
(original image, first order + GLCM, seed-paper preprocessing) and the clinical statistics.

Measured: wall time per stage (from the run manifest), peak RSS of the parent process and of the
largest single process and of all processes together (sampled from /proc), and the parent's peak Python heap (``tracemalloc``).

Run: ``python benchmarks/scale.py --subjects 1000 --jobs 2 [--model epg] [--workdir DIR]``
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import threading
import time
import tracemalloc
from pathlib import Path

import numpy as np


def write_subjects(root: Path, n: int, *, seed: int) -> None:
    """Write ``n`` synthetic subjects plus manifest, clinical table and study file under ``root``."""
    from scipy import ndimage

    from myomri.io.image import Image
    from myomri.io.nifti import write_nifti
    from myomri.t2.epg import epg_cpmg

    rng = np.random.default_rng(seed)
    tes = 10.0 * np.arange(1, 11)
    rows, clin = ["subject,reader,session,image,mask,label,mese,echo_times,dseg"], ["participant_id,group,CK"]
    yy, xx = np.mgrid[:160, :160]
    disc = ((yy - 80) ** 2 + (xx - 80) ** 2) < 45 ** 2
    my, mx = np.mgrid[:96, :96]
    for s in range(n):
        sid = f"sub-{s + 1:04d}"
        group = "IIM" if s % 3 else "HC"
        t2 = rng.normal(48.0, 6.0) if group == "IIM" else rng.normal(34.0, 1.0)
        d = root / sid
        d.mkdir(parents=True, exist_ok=True)
        stir = ndimage.gaussian_filter(rng.normal(0, 1, (160, 160)), 2.0) * 40 + 300 + 4 * (t2 - 34)
        write_nifti(Image(stir[:, :, None].astype(np.float32), spacing=(1.2, 1.2, 8.0)), d / "stir.nii.gz")
        for reader, shift in (("R1", 0), ("R2", 1)):
            roi = np.roll(disc, shift, axis=0).astype(np.uint8)[:, :, None]
            write_nifti(Image(roi, spacing=(1.2, 1.2, 8.0)), d / f"roi_{reader}.nii.gz")
            rows.append(f"{sid},{reader},1,{sid}/stir.nii.gz,{sid}/roi_{reader}.nii.gz,1,{sid}/mese.nii.gz,"
                        f"\"{','.join(f'{t:g}' for t in tes)}\",{sid}/labels.nii.gz")
        labels = np.zeros((96, 96, 2), np.uint8)
        labels[((my - 48) ** 2 + (mx - 30) ** 2) < 20 ** 2] = 1
        labels[((my - 48) ** 2 + (mx - 66) ** 2) < 20 ** 2] = 13
        # one EPG train per tissue (muscle left/right, background), then per-voxel Rician noise
        trains = 1000 * epg_cpmg(np.array([30.0, t2, t2 + 1.0]), esp=10.0, n_echoes=10, b1=0.95)
        tissue = np.select([labels == 1, labels == 13], [1, 2], 0)
        sig = trains[tissue]
        sig = np.abs(sig + rng.normal(0, 15, sig.shape) + 1j * rng.normal(0, 15, sig.shape))
        write_nifti(Image(sig.astype(np.float32), spacing=(1.7, 1.7, 6.0), echo_times=tuple(tes)), d / "mese.nii.gz")
        write_nifti(Image(labels, spacing=(1.7, 1.7, 6.0)), d / "labels.nii.gz")
        clin.append(f"{sid},{group},{int(np.exp(4.6 + (t2 - 34) / 10 + rng.normal(0, 0.5)))}")
    (root / "manifest.csv").write_text("\n".join(rows) + "\n")
    (root / "clinical.csv").write_text("\n".join(clin) + "\n")


class RssSampler(threading.Thread):
    """Samples, every ``period`` s, the resident memory (KiB, /proc) of this process and all its
    descendants (joblib/loky workers stay alive between tasks, so ``RUSAGE_CHILDREN`` misses them)."""

    def __init__(self, period: float = 0.5):
        super().__init__(daemon=True)
        self.period, self.max_total, self.max_single = period, 0, 0
        self._stop_event = threading.Event()

    @staticmethod
    def _rss_of_tree(root: int) -> list[int]:
        parents = {}
        for d in os.listdir("/proc"):
            if d.isdigit():
                try:
                    stat = open(f"/proc/{d}/stat").read()
                    parents[int(d)] = int(stat.rsplit(")", 1)[1].split()[1])
                except (OSError, ValueError, IndexError):
                    continue
        tree, grew = {root}, True
        while grew:
            new = {p for p, pp in parents.items() if pp in tree and p not in tree}
            tree |= new
            grew = bool(new)
        rss = []
        for p in tree:
            try:
                for line in open(f"/proc/{p}/status"):
                    if line.startswith("VmRSS:"):
                        rss.append(int(line.split()[1]))
            except OSError:
                continue
        return rss

    def run(self):
        while not self._stop_event.is_set():
            rss = self._rss_of_tree(os.getpid())
            self.max_total = max(self.max_total, sum(rss))
            self.max_single = max([self.max_single, *rss])
            self._stop_event.wait(self.period)

    def stop(self):
        self._stop_event.set()
        self.join()


def study_file(root: Path, model: str) -> Path:
    import yaml

    study = {
        "subjects": "manifest.csv", "clinical": "clinical.csv",
        "columns": {"stir": "image", "roi": "mask", "labels": "dseg"},
        "t2": {"model": model, "fat_fraction": 0.0 if model == "epg" else "fit"},
        "features": {"enabled": True, "params": {
            "setting": {"normalize": True, "normalizeScale": 100, "resampledPixelSpacing": [3, 3, 3],
                        "force2D": True},
            "imageType": {"Original": {}}, "featureClass": {"firstorder": [], "glcm": []}}},
        "analysis": {"tasks": []},
        "statistics": {"positive": ["IIM"], "negative": ["HC"], "correlations": ["CK"],
                       "continuous": ["CK"], "categorical": []},
        "report": {"overlays": 2, "title": "scale benchmark"},
    }
    path = root / "study.yaml"
    path.write_text(yaml.safe_dump(study))
    return path


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--subjects", type=int, default=1000)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--model", choices=("mono", "epg"), default="mono")
    ap.add_argument("--workdir", default=None, help="folder for the synthetic cohort and the run (default: temp)")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)

    import tempfile

    from myomri.pipeline import load_pipeline, run_pipeline

    work = Path(args.workdir or tempfile.mkdtemp(prefix="myomri-scale-"))
    data = work / "data"
    t0 = time.perf_counter()
    if not (data / "manifest.csv").is_file():
        write_subjects(data, args.subjects, seed=args.seed)
    t_write = time.perf_counter() - t0
    config = load_pipeline(study_file(data, args.model))
    sampler = RssSampler()
    sampler.start()
    tracemalloc.start()
    t0 = time.perf_counter()
    result = run_pipeline(config, work / f"run_{args.model}", jobs=args.jobs, progress=True)
    wall = time.perf_counter() - t0
    _, heap_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    sampler.stop()
    me = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB -> MiB
    kids = sampler.max_single / 1024
    n_mb = sum(p.stat().st_size for p in data.rglob("*.nii.gz")) / 1e6
    out = {"subjects": args.subjects, "jobs": args.jobs, "model": args.model, "write_s": round(t_write, 1),
           "run_s": round(wall, 1), "s_per_subject": round(wall / args.subjects, 3),
           "stages": {k: v.get("status") for k, v in result.stages.items() if isinstance(v, dict)},
           "failures": len(result.failures), "input_MB": round(n_mb, 1),
           "peak_rss_parent_MiB": round(me, 1), "peak_rss_largest_worker_MiB": round(kids, 1),
           "peak_rss_all_processes_MiB": round(sampler.max_total / 1024, 1),
           "peak_python_heap_parent_MiB": round(heap_peak / 2**20, 1), "workdir": str(work)}
    print(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())

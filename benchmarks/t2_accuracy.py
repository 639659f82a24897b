"""Bias and RMSE of EPG water T2 (and FF, B1) over a grid of known truths with Rician noise.

Grid: water T2 25-70 ms x FF 0-0.6 x B1 0.65-1.15 x SNR 30-100 (SNR = M0 / sigma), ``--n``
voxels per cell (seeded). Protocols:

* ``17e-free``: 17 echoes x 10 ms, FF fitted (the MyoQMRI protocol);
* ``10e-ff0``: 10 echoes x 10 ms (seed paper 2), fat-saturated so FF fixed at 0 (only FF = 0
  cells).

Signals are simulated and fitted with the Hann-sinc slice profile, or with ideal pulses
(``--no-slice-profile``).

Usage::

    .venv/bin/python benchmarks/t2_accuracy.py [--n 200] [--protocol 17e-free 10e-ff0] [--no-slice-profile]

Prints one row per cell and a summary per protocol and SNR.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "t2"))

T2S = (25.0, 40.0, 55.0, 70.0)
FFS = (0.0, 0.2, 0.4, 0.6)
B1S = (0.65, 0.9, 1.15)
SNRS = (30, 60, 100)
PROTOCOLS = {
    "17e-free": dict(n_echoes=17, fat_fraction=None, ffs=FFS),
    "10e-ff0": dict(n_echoes=10, fat_fraction=0.0, ffs=(0.0,)),
}


def run(protocol: str, n: int, seed: int = 0, slice_profile: bool = True):
    from _synth import synth_voxels  # tests/t2/_synth.py: the same generator as the tests

    from myomri.t2 import EPGModel
    from myomri.t2.dictionary import default_slice_profile

    spec = PROTOCOLS[protocol]
    prof = default_slice_profile() if slice_profile else None
    esp, ne = 10.0, spec["n_echoes"]
    model = EPGModel(esp * np.arange(1, ne + 1), fat_fraction=spec["fat_fraction"],
                     slice_profile=slice_profile, noise_threshold=0)
    rows = []
    k = 0
    for snr in SNRS:
        for t2 in T2S:
            for ff in spec["ffs"]:
                for b1 in B1S:
                    k += 1
                    y = synth_voxels(t2, ff, b1, esp=esp, n_echoes=ne, snr=snr, n=n,
                                     seed=seed + k, slice_profile=prof)
                    fit = model.fit(y)
                    d = fit.t2 - t2
                    rows.append(dict(snr=snr, t2=t2, ff=ff, b1=b1, bias=d.mean(),
                                     rmse=np.sqrt(np.mean(d**2)), ff_bias=(fit.ff - ff).mean(),
                                     b1_bias=(fit.b1 - b1).mean(), failed=int((~fit.fitted).sum())))
    return rows


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=200)
    p.add_argument("--protocol", nargs="+", default=list(PROTOCOLS))
    p.add_argument("--summary-only", action="store_true")
    p.add_argument("--no-slice-profile", action="store_true",
                   help="ideal pulses in both simulation and fit (no slice profile)")
    args = p.parse_args(argv)
    for protocol in args.protocol:
        rows = run(protocol, args.n, slice_profile=not args.no_slice_profile)
        prof = "ideal pulses" if args.no_slice_profile else "slice profile"
        print(f"\n== {protocol} ({prof}): {args.n} voxels per cell ==")
        if not args.summary_only:
            print(f"{'SNR':>4s} {'T2':>5s} {'FF':>4s} {'B1':>5s} {'bias ms':>8s} {'RMSE ms':>8s} {'FF bias':>8s} {'B1 bias':>8s} {'unfit':>5s}")
            for r in rows:
                print(f"{r['snr']:4d} {r['t2']:5.0f} {r['ff']:4.1f} {r['b1']:5.2f} {r['bias']:+8.2f} "
                      f"{r['rmse']:8.2f} {r['ff_bias']:+8.3f} {r['b1_bias']:+8.3f} {r['failed']:5d}")
        for snr in SNRS:
            sub = [r for r in rows if r["snr"] == snr]
            bias = np.array([r["bias"] for r in sub])
            rmse = np.array([r["rmse"] for r in sub])
            print(f"SNR {snr:3d}: |bias| median {np.median(np.abs(bias)):.2f} ms (max {np.abs(bias).max():.2f}), "
                  f"RMSE median {np.median(rmse):.2f} ms (max {rmse.max():.2f})")


if __name__ == "__main__":
    main()

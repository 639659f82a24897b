"""Learning from corrections: ``segment refine`` on the saved corrections, in the background.

The page starts a job, polls its progress, and then keeps or discards the new model. The model in
use is never replaced: the candidate is written as a new file (``models/refined-<lineage>.pt``
in the first served folder); *keep* makes it the session's model for the next round and says
where it is, *discard* deletes it. Training uses only the tiles of the slices the user corrected
(tiles whose labels differ from the original label map), and the Dice before and after is measured
on those same tiles, as ``segment refine`` reports it.
"""

from __future__ import annotations

import csv
import json
import re
import threading
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import InputError

__all__ = ["LearnJob", "handle_learn", "corrected_tiles", "latest_corrections"]


def latest_corrections(catalog) -> list[tuple[Any, Path, Path]]:
    """``(entry, original, corrected)`` of the newest saved correction of every subject in ``corrections.csv``."""
    path = catalog.corrections_csv
    if not path.is_file():
        return []
    latest: dict[str, tuple] = {}
    with open(path, newline="") as fh:
        for row in csv.DictReader(fh):
            try:
                entry = catalog.entry(row["subject"])
            except KeyError:
                continue
            corrected = path.parent / row["corrected"]
            if corrected.is_file() and entry.labels is not None:
                latest[row["subject"]] = (entry, entry.labels, corrected)
    return list(latest.values())


def corrected_tiles(model, image_path, original, corrected):
    """The model's tiles of the slices (and legs) where ``corrected`` differs from ``original``."""
    from ..io.read import read_image, read_mask
    from ..preprocess.geometry import check_same_grid
    from ..segment.tiling import muscle_indices, prepare_volume
    from ..segment.train import TileSet

    image = read_image(image_path)
    new, old = read_mask(corrected), read_mask(original)
    check_same_grid(image, new, names=("corrected label map", "image"))
    pre = {"tile": model.preprocess["tile"], "pixel_mm": model.preprocess["pixel_mm"],
           "contrast": model.preprocess.get("contrast", "water")}  # fmt: skip
    tiles, lab_new, _ = prepare_volume(image, labels=muscle_indices(new.array, scheme="myomri"), **pre)
    _, lab_old, _ = prepare_volume(image, labels=muscle_indices(old.array, scheme="myomri"), **pre)
    changed = np.any(lab_new != lab_old, axis=(1, 2))
    return TileSet(tiles[changed], lab_new[changed])


class LearnJob:
    """One refinement run in a daemon thread; the page polls :meth:`status`."""

    def __init__(self, catalog, *, epochs: int | None = None):
        self.catalog = catalog
        self.epochs = epochs
        self.state, self.progress = "running", 0.0
        self.log: list[str] = []
        self.report: dict[str, Any] | None = None
        self.candidate: Path | None = None
        self.current: str | None = None
        self._thread = threading.Thread(target=self._run, name="myomri-view-learn", daemon=True)

    def start(self) -> LearnJob:
        """Start the thread; returns self."""
        self._thread.start()
        return self

    def _say(self, line: str) -> None:
        self.log.append(line)
        m = re.search(r"epoch (\d+)/(\d+)", line)
        if m:
            self.progress = 0.1 + 0.85 * int(m.group(1)) / int(m.group(2))

    def _run(self) -> None:
        try:
            self._refine()
        except Exception as exc:  # noqa: BLE001 - the page shows why
            self.state = "failed"
            self._say(f"failed: {type(exc).__name__}: {exc}")

    def _refine(self) -> None:
        import torch

        from ..config.segment_dl import N_THREADS, REFINE
        from ..segment.infer import default_model_path
        from ..segment.model_io import load_model, save_model
        from ..segment.refine import refine_model
        from ..segment.train import TileSet

        torch.set_num_threads(N_THREADS)
        model_path = Path(self.catalog.model) if self.catalog.model else default_model_path()
        self.current = str(model_path)
        model = load_model(model_path)
        self._say(f"model {model.lineage} from {model_path.name}")
        sets = []
        for entry, original, corrected in latest_corrections(self.catalog):
            ts = corrected_tiles(model, entry.image, original, corrected)
            self._say(f"{entry.subject}: {len(ts)} corrected tile(s) from {corrected.name}")
            if len(ts):
                sets.append(ts)
        if not sets:
            raise InputError("no corrected slices to learn from: edit a muscle label map and save it first")
        self.progress = 0.1
        epochs = int(self.epochs or REFINE["epochs"])
        refined, report = refine_model(model, TileSet.concat(sets), epochs=epochs, log=self._say,
                                       n_threads=N_THREADS)  # fmt: skip
        folder = self.catalog.roots[0] / "models"
        self.candidate = save_model(refined, folder / f"refined-{refined.lineage}.pt")
        before, after = report["cases"]["before"]["mean"], report["cases"]["after"]["mean"]
        self.report = {"dice_before": _num(before), "dice_after": _num(after), "lineage": refined.lineage,
                       "parent": refined.parent, "candidate": str(self.candidate),
                       "per_muscle": {m: [_num(v), _num(report["cases"]["after"]["per_muscle"].get(m, np.nan))]
                                      for m, v in report["cases"]["before"]["per_muscle"].items()}}  # fmt: skip
        self._say(f"mean Dice on the corrected slices {before:.3f} -> {after:.3f}; keep or discard the new model")
        self.progress, self.state = 1.0, "done"

    def status(self) -> dict:
        """What the page shows."""
        return {
            "state": self.state,
            "progress": self.progress,
            "log": self.log[-50:],
            "report": self.report,
            "current_model": self.current,
        }

    def keep(self) -> dict:
        """Use the candidate for the next round (its file stays; the old model's file is untouched)."""
        if self.state != "done" or self.candidate is None:
            raise InputError(f"no new model to keep (job {self.state})")
        self.catalog.model = self.candidate
        self.state = "kept"
        self._say(f"kept {self.candidate}; segment with it: myomri segment IMAGE --model {self.candidate}")
        return self.status()

    def discard(self) -> dict:
        """Delete the candidate; the current model stays as it was."""
        if self.state != "done" or self.candidate is None:
            raise InputError(f"no new model to discard (job {self.state})")
        self.candidate.unlink(missing_ok=True)
        self.state = "discarded"
        self._say(f"discarded the new model; still using {self.current}")
        return self.status()

    def cancel(self) -> None:
        """Nothing to undo: an unfinished candidate was never written (the thread is a daemon)."""


def _num(x):
    x = float(x)
    return x if np.isfinite(x) else None


def handle_learn(api, method: str, parts: list[str], query: dict, body: bytes) -> dict:
    """``GET /api/learn`` (status), ``POST /api/learn/start`` (JSON ``{"epochs": n}``), ``.../keep``, ``.../discard``."""
    from .corrections import ConflictError

    job = api.learner
    action = parts[0] if parts else ""
    if method == "GET" and not action:
        return job.status() if job is not None else {"state": "idle", "progress": 0, "log": [], "report": None}
    if method == "POST" and action == "start":
        if job is not None and job.state == "running":
            raise ConflictError("a learning job is already running")
        if job is not None and job.state == "done":
            raise ConflictError("keep or discard the last new model first")
        opts = json.loads(body or b"{}")
        epochs = opts.get("epochs")
        api.learner = LearnJob(api.catalog, epochs=int(epochs) if epochs else None).start()
        return api.learner.status()
    if method == "POST" and action in ("keep", "discard") and job is not None:
        return job.keep() if action == "keep" else job.discard()
    raise InputError(f"learning: cannot {method} {action or 'status'} now (job {job.state if job else 'idle'})")

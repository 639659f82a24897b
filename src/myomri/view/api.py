"""The ``/api/...`` answers of the viewer: subjects, volumes, statistics, saves, reader ROIs, learning.

Volumes travel as raw little-endian arrays (``i`` fastest; float32 images, uint16 labels) with
their description in a JSON ``meta`` answer; everything else is JSON.
"""

from __future__ import annotations

import json
import threading

import numpy as np

from ..errors import InputError
from .catalog import Catalog, resolve_served
from .corrections import correction_target, file_signature, naming_base, save_correction, save_reader_roi
from .volumes import display_window, from_bytes, label_entries, label_stats, load_subject, sample_onto, to_bytes

__all__ = ["ViewerApi"]

_BIN = "application/octet-stream"
_JSON = "application/json"


def _json(obj) -> tuple[int, str, bytes]:
    return 200, _JSON, json.dumps(obj, allow_nan=False, default=str).encode()


class ViewerApi:
    """State of one session: the catalog, the loaded subjects, the learning job."""

    def __init__(self, catalog: Catalog):
        self.catalog = catalog
        self._views: dict[tuple[str, str], object] = {}
        self._lock = threading.Lock()
        self.learner = None

    def close(self) -> None:
        """Stop a running learning job (the server is going away)."""
        if self.learner is not None:
            self.learner.cancel()

    # --- dispatch ------------------------------------------------------------------------------
    def handle(self, method: str, path: str, query: dict, body: bytes):
        """Answer ``/api/<path>``; returns ``(status, content type, bytes)``."""
        parts = [p for p in path.split("/") if p]
        if parts == ["subjects"] and method == "GET":
            return _json(self.subjects())
        if parts and parts[0] == "learn":
            from .learn import handle_learn

            return _json(handle_learn(self, method, parts[1:], query, body))
        if len(parts) >= 3 and parts[0] == "subject":
            return self._subject_call(method, parts[1], parts[2:], query, body)
        from .server import HttpError

        raise HttpError(404, f"no such API call: {method} /api/{path}")

    def _subject_call(self, method: str, subject: str, rest: list[str], query: dict, body: bytes):
        mode = "reader" if query.get("mode") == "reader" else "labels"
        what = rest[0]
        if method == "GET" and what == "meta":
            return _json(self.meta(subject, mode))
        if method == "GET" and what == "volume":
            return 200, _BIN, self.volume(subject, mode, rest[1] if len(rest) > 1 else "image")
        if method == "GET" and what == "second":
            return 200, _BIN, self.second(subject, mode, query.get("path", ""))
        if method == "POST" and what == "stats":
            view = self.view(subject, mode)
            return _json(self.stats(view, from_bytes(body, view.grid.spatial_shape)))
        if method == "POST" and what == "save" and mode == "labels":
            return _json(self.save(subject, body, query.get("base", "")))
        if method == "POST" and what == "save" and mode == "reader":
            return _json(self.save_reader(subject, body, query.get("reader", "")))
        from .server import HttpError

        raise HttpError(404, f"no such API call: {method} subject/{subject}/{'/'.join(rest)}")

    # --- subjects and volumes ------------------------------------------------------------------
    def subjects(self) -> dict:
        """The subject list with flags, and what the session offers."""
        rows = [{"subject": e.subject, "flags": e.flags, "has_labels": e.labels is not None,
                 "has_map": e.map is not None, "reader_mode": e.stir is not None,
                 "image": e.image.name, "labels": e.labels.name if e.labels else None}
                for e in self.catalog.entries]  # fmt: skip
        return {
            "subjects": rows,
            "roots": [str(r) for r in self.catalog.roots],
            "learning": self.catalog.model is not None or _has_torch(),
        }

    def view(self, subject: str, mode: str = "labels"):
        """The loaded :class:`~myomri.view.volumes.SubjectView` (read once, then kept)."""
        key = (subject, mode)
        with self._lock:
            if key not in self._views:
                entry = self.catalog.entry(subject)
                if mode == "reader":
                    if entry.stir is None:
                        raise InputError(f"{subject}: no STIR image in the manifest: reader mode needs one")
                    # blinding: a reader starts from an empty ROI and never gets anyone's
                    self._views[key] = load_subject(subject, entry.stir)
                else:
                    target, exists = correction_target(naming_base(entry.labels, entry.image))
                    self._views[key] = load_subject(subject, entry.image, entry.labels, entry.map,
                                                    start_labels=target if exists else None)  # fmt: skip
            return self._views[key]

    def meta(self, subject: str, mode: str) -> dict:
        """Grid, windows, label table, notes and the save target of a subject."""
        view = self.view(subject, mode)
        entry = self.catalog.entry(subject)
        grid = view.grid
        target, _ = correction_target(naming_base(view.label_path, view.image_path))
        values = np.unique(view.labels).tolist() if mode == "labels" else [1]
        labels = label_entries(values, self.catalog.label_table) if mode == "labels" else \
            [{"value": 1, "name": "ROI", "rgb": [255, 64, 64]}]  # fmt: skip
        return {
            "subject": subject, "mode": mode, "shape": list(grid.spatial_shape), "spacing": list(grid.spacing),
            "voxel_ml": view.voxel_ml, "window": display_window(view.image),
            "map_window": display_window(view.map_on_grid) if view.map_on_grid is not None else None,
            "labels": labels, "notes": view.notes, "image_file": view.image_path.name,
            "labels_file": view.label_path.name if view.label_path else None,
            "target_file": target.name if mode == "labels" else None,
            "base": file_signature(target) if mode == "labels" else None,
            "taken_readers": len(entry.readers) if mode == "reader" else None,
            "others": self._others(entry), "stats": self.stats(view) if mode == "labels" else [],
        }  # fmt: skip

    def _others(self, entry) -> list[str]:
        out = []
        for p in entry.others + ([entry.map] if entry.map else []):
            for root in self.catalog.roots:
                if p.is_relative_to(root):
                    rel = p.relative_to(root).as_posix()
                    if rel not in out:
                        out.append(rel)
                    break
        return out

    def volume(self, subject: str, mode: str, kind: str) -> bytes:
        """``image``, ``map`` (float32) or ``labels`` (uint16; in reader mode always empty)."""
        view = self.view(subject, mode)
        if kind == "image":
            return to_bytes(view.image, np.float32)
        if kind == "map" and view.map_on_grid is not None:
            return to_bytes(view.map_on_grid, np.float32)
        if kind == "labels":
            empty = np.zeros(view.grid.spatial_shape, np.uint16)
            return to_bytes(view.labels if mode == "labels" else empty, np.uint16)
        raise FileNotFoundError(f"{subject}: no {kind} volume")

    def second(self, subject: str, mode: str, rel: str) -> bytes:
        """Any image of the served folders, carried onto the subject's grid through world coordinates."""
        from ..io.read import read_image

        path = resolve_served(self.catalog.roots, rel)
        view = self.view(subject, mode)
        pixels = sample_onto(read_image(path), view.grid)
        if not np.isfinite(pixels).any():
            raise InputError(f"{rel} does not overlap {subject}'s grid at all (different patient space?)")
        return to_bytes(pixels, np.float32)

    def stats(self, view, labels: np.ndarray | None = None) -> list[dict]:
        """Per-label volume and map statistics (of ``labels``, default the loaded ones)."""
        names = {e["value"]: e["name"] for e in label_entries([], self.catalog.label_table)}
        return label_stats(view, labels, names=names)

    # --- saving ----------------------------------------------------------------------------------
    def save(self, subject: str, body: bytes, base: str) -> dict:
        """Save the posted label map as the subject's correction."""
        view = self.view(subject, "labels")
        labels = from_bytes(body, view.grid.spatial_shape)
        try:
            result = save_correction(view, labels, base=base, corrections_csv=self.catalog.corrections_csv)
        except OSError as exc:
            raise OSError(
                f"could not save: {exc.strerror or exc} ({exc.filename or view.label_path}); "
                "nothing was written and your edits are still in this page"
            ) from exc
        result["stats"] = self.stats(view)
        return result

    def save_reader(self, subject: str, body: bytes, reader: str) -> dict:
        """Save a reader's ROI under the cohort's naming and add the manifest row."""
        view = self.view(subject, "reader")
        roi = from_bytes(body, view.grid.spatial_shape)
        entry = self.catalog.entry(subject)
        return save_reader_roi(entry, reader, roi, view.grid, self.catalog.manifest)


def _has_torch() -> bool:
    import importlib.util

    return importlib.util.find_spec("torch") is not None

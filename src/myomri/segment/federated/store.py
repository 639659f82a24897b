"""The federated server's versioned model store, merge rule and acceptance gate (no HTTP here).

Store layout (``DIR``)::

    v0001.pt, v0002.pt, ...   every accepted model (model files of ``segment.model_io``)
    current.json              {"version": N, "n_samples": S}: the served version and the data
                              size it represents
    log.json                  every event (init, accepted, rejected, rollback) with Dice values

Merge: FedAvg-style weighted average of the served weights (weight ``S``, the data it already
represents) and the site's weights (weight ``n_samples``). Gate: the merge is accepted only if the
merged model's validation mean Dice is not lower than the served model's by more than
``tolerance`` AND the site's own model is not lower by more than ``candidate_tolerance`` (a random
or poisoned upload fails both, whatever data size it claims). DAFNE's default threshold of -0.001
never rejects; this gate does. Rejected uploads never touch the served version.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from ...errors import FormatError, InputError
from ...io.atomic import atomic_write_text

__all__ = ["ModelStore", "average_states", "GateRejection"]


class GateRejection(InputError):
    """An upload that is well-formed but refused (unknown lineage, worse validation Dice)."""

    def __init__(self, message: str, record: dict):
        super().__init__(message)
        self.record = record


def average_states(states, weights):
    """Weighted average of state dicts (same keys and shapes); weights need not sum to 1."""
    total = float(sum(weights))
    if total <= 0 or len(states) != len(weights):
        raise InputError(f"averaging needs positive weights, one per model; got {list(weights)}")
    out = {}
    for name in states[0]:
        acc = sum(float(w) / total * s[name].double() for s, w in zip(states, weights, strict=True))
        out[name] = acc.to(states[0][name].dtype)
    return out


class ModelStore:
    """Versioned models in a folder; see the module docstring for the layout."""

    def __init__(self, root, *, initial_model=None, initial_samples: int = 1):
        from ..model_io import save_model

        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        if not (self.root / "current.json").is_file():
            if initial_model is None:
                raise InputError(f"{self.root}: empty model store; give an initial model to start from")
            save_model(initial_model, self._file(1))
            self._write_current(1, int(initial_samples))
            self._append({"event": "init", "version": 1, "lineage": initial_model.lineage,
                          "n_samples": int(initial_samples)})  # fmt: skip

    # --- files -------------------------------------------------------------------------------
    def _file(self, version: int) -> Path:
        return self.root / f"v{version:04d}.pt"

    def _write_current(self, version: int, n_samples: int) -> None:
        atomic_write_text(self.root / "current.json", json.dumps({"version": version, "n_samples": n_samples}))

    def log(self) -> list[dict]:
        """All events, oldest first."""
        p = self.root / "log.json"
        return json.loads(p.read_text()) if p.is_file() else []

    def _append(self, record: dict) -> None:
        record = {"time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), **record}
        atomic_write_text(self.root / "log.json", json.dumps(self.log() + [record], indent=1))

    def current_info(self) -> dict:
        """``{"version", "n_samples"}`` of the served model."""
        try:
            return json.loads((self.root / "current.json").read_text())
        except (OSError, ValueError) as exc:
            raise FormatError(f"{self.root / 'current.json'}: unreadable store pointer: {exc}") from exc

    def versions(self) -> list[int]:
        return sorted(int(p.stem[1:]) for p in self.root.glob("v[0-9][0-9][0-9][0-9].pt"))

    def load(self, version: int | None = None):
        from ..model_io import load_model

        return load_model(self._file(self.current_info()["version"] if version is None else version))

    def model_bytes(self) -> tuple[bytes, dict]:
        info = self.current_info()
        return self._file(info["version"]).read_bytes(), info

    def known_lineages(self) -> set[str]:
        return {r["lineage"] for r in self.log() if r.get("event") in ("init", "accepted") and "lineage" in r}

    # --- submissions ---------------------------------------------------------------------------
    def submit(self, candidate, *, site: str, n_samples: int, base_lineage: str, evaluate, tolerance: float,
               candidate_tolerance: float) -> dict:  # fmt: skip
        """Gate and merge a validated candidate model; returns the log record.

        ``evaluate(model) -> mean Dice`` on the server's validation set.

        Raises
        ------
        GateRejection
            Another architecture, an unknown base lineage, or a validation Dice drop beyond the
            tolerances; the record is logged and the served version is unchanged.
        """
        from ..model_io import check_state_dict

        info = self.current_info()
        current = self.load(info["version"])
        rec = {"event": "rejected", "site": site, "n_samples": int(n_samples), "base_lineage": base_lineage,
               "candidate_lineage": candidate.lineage, "served_version": info["version"]}  # fmt: skip

        def reject(reason: str):
            rec["reason"] = reason
            self._append(rec)
            raise GateRejection(f"upload from site {site!r} rejected: {reason}", rec)

        if candidate.arch != current.arch:
            reject(f"architecture {candidate.arch} differs from the served {current.arch}")
        try:
            check_state_dict(candidate.network.state_dict(), current.arch, source=f"upload from {site}")
        except FormatError as exc:
            reject(str(exc))
        if base_lineage not in self.known_lineages():
            reject(f"base lineage {base_lineage!r} is not a model this server distributed")
        s = int(info["n_samples"])
        merged = self.load(info["version"])
        merged.network.load_state_dict(average_states(
            [current.network.state_dict(), candidate.network.state_dict()], [s, int(n_samples)]))  # fmt: skip
        merged.parent = current.lineage
        merged.history.append({"step": "federated merge", "site": site, "n_samples": int(n_samples),
                               "served_samples": s, "parent": current.lineage})  # fmt: skip
        d_cur, d_cand, d_merge = evaluate(current), evaluate(candidate), evaluate(merged)
        rec.update({"dice_served": d_cur, "dice_candidate": d_cand, "dice_merged": d_merge})
        if not (d_merge >= d_cur - tolerance):  # also catches NaN
            reject(f"merged validation Dice {d_merge:.4f} < served {d_cur:.4f} - tolerance {tolerance}")
        if not (d_cand >= d_cur - candidate_tolerance):
            reject(f"site model validation Dice {d_cand:.4f} < served {d_cur:.4f} - {candidate_tolerance}")
        from ..model_io import save_model

        version = max(self.versions()) + 1
        save_model(merged, self._file(version))
        self._write_current(version, s + int(n_samples))
        rec.update({"event": "accepted", "version": version, "lineage": merged.lineage,
                    "n_samples_total": s + int(n_samples)})
        self._append(rec)
        return rec

    def rollback(self, version: int) -> dict:
        """Serve ``version`` again (later versions stay on disk and in the log)."""
        if version not in self.versions():
            raise InputError(f"{self.root}: no version {version}; available {self.versions()}")
        model = self.load(version)  # validates the file before it is served
        n = next((r.get("n_samples_total") or r["n_samples"] for r in self.log()
                  if r.get("version") == version and r["event"] in ("init", "accepted")), 1)  # fmt: skip
        prev = self.current_info()["version"]
        self._write_current(version, int(n))
        rec = {"event": "rollback", "version": version, "from_version": prev, "lineage": model.lineage}
        self._append(rec)
        return rec

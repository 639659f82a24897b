"""The federated server's versioned model store, merge rule and acceptance gate (no HTTP here).

Store layout (``DIR``)::

    v0001.pt, v0002.pt, ...   every accepted model (model files of ``segment.model_io``)
    current.json              {"version": N, "n_samples": S}: the served version and the data
                              size it represents
    log.json                  every event (init, accepted, rejected, rollback) with Dice values

Merge: FedAvg-style weighted average of the served weights (weight ``S``, the data it already
represents) and the site's weights (weight ``n_samples``, 1..``max_samples``, capped so that the
site's share of the merge is at most ``max_share``; the claimed and the used weight are both
logged and kept in the model's history). An upload identical to the served weights is refused:
it would add a version that changes nothing while counting its data again. Gate: the merge is accepted only if the
merged model's validation mean Dice is not lower than the served model's by more than
``tolerance`` AND the site's own model is not lower by more than ``candidate_tolerance`` (a random
or poisoned upload fails both, whatever data size it claims). DAFNE's default threshold of -0.001
never rejects; this gate does. Rejected uploads never touch the served version.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from ...config import segment_dl as cfg
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
        if not (self.root / "current.json").is_file():
            # checked before creating anything: opening a mistyped store path must not leave a folder
            if initial_model is None:
                what = "empty model store" if self.root.is_dir() else "no model store (folder not found)"
                raise InputError(f"{self.root}: {what}; give an initial model to start from")
            if int(initial_samples) < 1:
                raise InputError(f"{self.root}: initial data size {initial_samples}: expected an integer >= 1")
            self.root.mkdir(parents=True, exist_ok=True)
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
               candidate_tolerance: float, max_share: float = cfg.FEDERATED["max_share"]) -> dict:  # fmt: skip
        """Gate and merge a validated candidate model; returns the log record.

        ``evaluate(model) -> mean Dice`` on the server's validation set. The site's weight in the
        average is its claimed ``n_samples``, capped at ``max_share`` of the merge (both recorded).

        Raises
        ------
        InputError
            ``n_samples`` is not an integer in 1..``FEDERATED["max_samples"]`` (nothing logged).
        GateRejection
            Another architecture, weights identical to the served ones, an unknown base lineage,
            or a validation Dice drop beyond the tolerances; the record is logged and the served
            version is unchanged.
        """
        from ..model_io import check_state_dict

        claimed = _check_samples(n_samples)
        if not 0 < max_share < 1:
            raise InputError(f"max_share {max_share!r}: expected a fraction between 0 and 1 (exclusive)")
        info = self.current_info()
        current = self.load(info["version"])
        rec = {"event": "rejected", "site": site, "n_samples": claimed, "base_lineage": base_lineage,
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
        if _same_weights(candidate.network.state_dict(), current.network.state_dict()):
            reject(f"weights identical to the served version {info['version']}; nothing to merge")
        s = int(info["n_samples"])
        # share n / (s + n) <= max_share  <=>  n <= s * max_share / (1 - max_share)
        used = max(1, min(claimed, int(s * max_share / (1 - max_share))))
        rec.update({"n_samples_used": used, "merge_share": used / (s + used)})
        merged = self.load(info["version"])
        merged.network.load_state_dict(average_states(
            [current.network.state_dict(), candidate.network.state_dict()], [s, used]))  # fmt: skip
        merged.parent = current.lineage
        merged.history.append({"step": "federated merge", "site": site, "n_samples": claimed,
                               "n_samples_used": used, "served_samples": s, "parent": current.lineage})  # fmt: skip
        d_cur, d_cand, d_merge = evaluate(current), evaluate(candidate), evaluate(merged)
        rec.update({"dice_served": d_cur, "dice_candidate": d_cand, "dice_merged": d_merge})
        if not (d_merge >= d_cur - tolerance):  # also catches NaN
            reject(f"merged validation Dice {d_merge:.4f} < served {d_cur:.4f} - tolerance {tolerance}")
        if not (d_cand >= d_cur - candidate_tolerance):
            reject(f"site model validation Dice {d_cand:.4f} < served {d_cur:.4f} - {candidate_tolerance}")
        from ..model_io import save_model

        version = max(self.versions()) + 1
        save_model(merged, self._file(version))
        self._write_current(version, s + used)
        rec.update({"event": "accepted", "version": version, "lineage": merged.lineage, "n_samples_total": s + used})
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


def _check_samples(n_samples) -> int:
    """The claimed data size as an int in 1..``FEDERATED["max_samples"]``."""
    top = cfg.FEDERATED["max_samples"]
    if isinstance(n_samples, bool) or not isinstance(n_samples, int) or not 1 <= n_samples <= top:
        raise InputError(f"n_samples {n_samples!r}: expected an integer in 1..{top}")
    return int(n_samples)


def _same_weights(a: dict, b: dict) -> bool:
    """True when two state dicts hold the same tensors exactly (same keys, shapes and values)."""
    import torch

    return a.keys() == b.keys() and all(a[k].shape == b[k].shape and torch.equal(a[k], b[k]) for k in a)

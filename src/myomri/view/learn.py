"""Learning from corrections (placeholder until the background job lands)."""

from __future__ import annotations

__all__ = ["handle_learn"]


def handle_learn(api, method, parts, query, body) -> dict:
    """Answer ``/api/learn/...``."""
    return {"state": "idle"}

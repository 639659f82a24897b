"""Shared fixtures: the reference data folder beside the checkout, temporary dirs."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

#: ``../shared/reference`` relative to the repository root (override with MYOMRI_REFERENCE).
REFERENCE = Path(
    os.environ.get("MYOMRI_REFERENCE", Path(__file__).resolve().parents[1].parent / "shared" / "reference")
)


@pytest.fixture(scope="session")
def reference() -> Path:
    """Path to the shared reference data; skips the test when it is absent."""
    if not REFERENCE.is_dir():
        pytest.skip(f"reference data not found at {REFERENCE}")
    return REFERENCE

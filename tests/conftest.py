"""Shared fixtures: the reference data folder beside the checkout, temporary dirs."""

from __future__ import annotations

from pathlib import Path

import pytest

from reference_data import REFERENCE  # ``../shared/reference`` (override with MYOMRI_REFERENCE)


@pytest.fixture(scope="session")
def reference() -> Path:
    """Path to the shared reference data; skips the test when it is absent."""
    if not REFERENCE.is_dir():
        pytest.skip(f"reference data not found at {REFERENCE}")
    return REFERENCE

"""Shared fixtures: the reference data folder beside the checkout, temporary dirs."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.reference_data import REFERENCE, missing_reference


@pytest.fixture(scope="session")
def reference() -> Path:
    """Path to the shared reference data; skips the test when it is absent (fails under CI)."""
    if not REFERENCE.is_dir():
        missing_reference(f"reference data not found at {REFERENCE}")
    return REFERENCE

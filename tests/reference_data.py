"""Where the shared reference data lie: ``../shared/reference`` beside the checkout, or
``MYOMRI_REFERENCE``. A module of its own so test modules can import it (importing ``conftest`` by
name picks whichever conftest.py was imported first).

Outside CI a test whose reference data is missing is skipped (a checkout without the data still
runs); under CI (``CI`` set, as ``.ci/run`` does) it fails, so that the data never go missing
silently.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REFERENCE = Path(
    os.environ.get("MYOMRI_REFERENCE", Path(__file__).resolve().parents[1].parent / "shared" / "reference")
)


def missing_reference(reason: str) -> None:
    """Skip the calling test, or fail it under CI."""
    if os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no"):
        pytest.fail(f"{reason} (CI is set: reference data must be present)", pytrace=False)
    pytest.skip(reason)

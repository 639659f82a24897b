"""Where the shared reference data lie: ``../shared/reference`` beside the checkout, or
``MYOMRI_REFERENCE``. A module of its own so test modules can import it (importing ``conftest`` by
name picks whichever conftest.py was imported first)."""

from __future__ import annotations

import os
from pathlib import Path

REFERENCE = Path(
    os.environ.get("MYOMRI_REFERENCE", Path(__file__).resolve().parents[1].parent / "shared" / "reference")
)

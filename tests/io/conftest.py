"""Fixtures for the I/O tests: a writer of synthetic classic (single-frame) DICOM series."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.io.tests_io_helpers import write_classic_series


@pytest.fixture
def classic_series():
    """The :func:`write_classic_series` writer."""
    return write_classic_series


@pytest.fixture(scope="session")
def myoqmri_dicom(reference) -> Path:
    """The MyoQMRI enhanced multi-echo DICOM folder."""
    return reference / "muscle" / "myoqmri_mese_calf" / "dicom"

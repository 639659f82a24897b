"""A tiny demo cohort (2 subjects), a viewer server started and stopped by each test, headless Chromium."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-quic", "--no-first-run", "--disable-component-update", "--disable-sync",
                  "--disable-dev-shm-usage", "--window-size=1400,900")


@pytest.fixture(scope="session")
def tiny_cohort_master(tmp_path_factory) -> Path:
    """Two demo subjects (seed 0); never written to: tests use :func:`cohort`."""
    from myomri.config.demo import DemoConfig
    from myomri.demo.cohort import generate_cohort

    out = tmp_path_factory.mktemp("view_cohort") / "demo"
    generate_cohort(out, config=DemoConfig(seed=0, composition={"PM": 1, "HC": 1}).validate(), progress=False,
                    n_jobs=1)
    return out


@pytest.fixture
def cohort(tiny_cohort_master, tmp_path) -> Path:
    """A private, writable copy of the tiny cohort."""
    dst = tmp_path / "cohort"
    shutil.copytree(tiny_cohort_master, dst)
    return dst


@pytest.fixture
def serve():
    """``serve(catalog) -> server`` running in a background thread; every server is stopped after the test."""
    from myomri.view.api import ViewerApi
    from myomri.view.server import ViewerServer

    servers = []

    def start(catalog):
        server = ViewerServer(ViewerApi(catalog)).start_background()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def browser(tmp_path):
    """Headless Chromium driven by Selenium; skips when Chromium or its driver is absent."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    if not chromium or not driver:
        pytest.skip("headless Chromium absent: install Debian 'chromium' and 'chromium-driver' (make browser)")
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium (pip) is needed to drive Chromium")
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = chromium
    for flag in (*CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'chromium-profile'}"):
        opts.add_argument(flag)
    drv = webdriver.Chrome(service=Service(driver), options=opts)
    drv.set_script_timeout(30)
    yield drv
    drv.quit()

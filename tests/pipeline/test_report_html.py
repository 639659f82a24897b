"""The study report: self-contained HTML rendered in headless Chromium, every figure shown."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-quic", "--no-first-run", "--disable-component-update", "--disable-sync",
                  "--disable-dev-shm-usage")


def _browser(tmp_path: Path):
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    if not chromium or not driver:
        pytest.skip("headless Chromium absent: install Debian 'chromium' and 'chromium-driver'")
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium (pip) is needed to drive Chromium")
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = chromium
    for flag in (*CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'chromium-profile'}"):
        opts.add_argument(flag)
    return webdriver.Chrome(service=Service(driver), options=opts)


def test_report_is_self_contained(finished_run):
    config, result = finished_run
    html = result.report.read_text()
    srcs = re.findall(r'<img[^>]*src="([^"]+)"', html)
    assert len(srcs) >= 6
    assert all(s.startswith("data:image/png;base64,") for s in srcs)
    assert not re.search(r'(?:src|href)="(?:https?:|file:|/)', html)  # nothing fetched from elsewhere


def test_report_renders_in_headless_chromium_with_every_figure_shown(finished_run, tmp_path):
    config, result = finished_run
    browser = _browser(tmp_path)
    try:
        browser.get(result.report.resolve().as_uri())
        images = browser.execute_script(
            "return Array.from(document.images).map(i => [i.alt, i.complete, i.naturalWidth, i.naturalHeight]);")
        headings = browser.execute_script(
            "return Array.from(document.querySelectorAll('h2,h3')).map(h => h.textContent);")
        text = browser.execute_script("return document.body.innerText;")
    finally:
        browser.quit()
    assert len(images) >= 6
    broken = [alt for alt, complete, w, h in images if not complete or w == 0 or h == 0]
    assert broken == []
    alts = " ".join(a for a, *_ in images)
    for expected in ("t2_mean per group", "ROC of t2_mean", "t2_mean vs CK", "T2 map of", "confusion_HC_PM_DM_lda",
                     "roc_HC_PM_DM_lda"):
        assert expected in alts, expected
    for section in ("Methods", "Cohort", "Muscle water T2", "Radiomics classification", "Correlations",
                    "T2 maps with the segmentation", "Reproducibility (ICC)", "Selected features",
                    "Failures and exclusions"):
        assert section in headings, section
    # methods paragraph generated from the settings: nesting and the stated reductions
    assert "2 times" in text and "3-fold" in text and "test cohort: 3 subjects per group" in text
    assert "fat fraction fitted per voxel" in text

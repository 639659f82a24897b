"""The study report: self-contained HTML rendered in headless Chromium, every figure shown."""

from __future__ import annotations

import base64
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
        layout = browser.execute_script(_LAYOUT_JS)
        pdf = browser.print_page()  # the print stylesheet renders to PDF pages
    finally:
        browser.quit()
    assert len(images) >= 6
    broken = [alt for alt, complete, w, h in images if not complete or w == 0 or h == 0]
    assert broken == []
    alts = " ".join(a for a, *_ in images)
    for expected in ("t2_mean per group", "ROC of t2_mean", "t2_mean vs CK", "T2 map of", "confusion_HC_PM_DM_lda",
                     "roc_HC_PM_DM_lda", "ICC of every feature", "per-muscle mean water T2 by group"):
        assert expected in alts, expected
    for section in ("Methods", "Cohort", "Muscle water T2", "Radiomics classification", "Correlations",
                    "T2 maps with the segmentation", "Reproducibility (ICC)", "Selected features",
                    "Failures and exclusions", "Key results", "Contents", "Series alignment"):
        assert section in headings, section
    # methods paragraph generated from the settings: nesting and the stated reductions
    assert "2 times" in text and "3-fold" in text and "test cohort: 3 subjects per group" in text
    assert "fat fraction fitted per voxel" in text
    _check_layout(layout, result)
    assert base64.b64decode(pdf)[:5] == b"%PDF-"


_LAYOUT_JS = """
const key = document.getElementById('key-results');
const h2 = Array.from(document.querySelectorAll('h2'));
const links = Array.from(document.querySelectorAll('nav.toc a')).map(a => a.getAttribute('href'));
const printRules = Array.from(document.styleSheets).flatMap(s => Array.from(s.cssRules))
  .filter(r => r.media && r.media.mediaText === 'print').length;
return {first_h2: h2[0].textContent, second_h2: h2[1].textContent,
        key_items: key ? Array.from(key.querySelectorAll('li')).map(li => li.textContent) : [],
        toc: links, toc_missing: links.filter(h => !document.getElementById(h.slice(1))),
        details: Array.from(document.querySelectorAll('details')).map(d => [d.open, d.querySelector('summary').textContent,
          d.querySelector('a').getAttribute('href')]),
        print_rules: printRules};
"""


def _check_layout(layout, result):
    """Key results first (values from the stage tables), then the contents, long tables collapsed."""
    import pandas as pd

    out = result.outdir
    assert (layout["first_h2"], layout["second_h2"]) == ("Key results", "Contents")
    items = layout["key_items"]
    roc = pd.read_csv(out / "stages" / "stats" / "roc.csv").iloc[0]
    assert f"AUC {roc['auc']:.2f} (95% CI {roc['auc_ci_low']:.2f}-{roc['auc_ci_high']:.2f})" in items[0]
    assert f"cut-off {roc['cutoff']:.1f} ms" in items[0] and "sensitivity" in items[0] and "specificity" in items[0]
    perf = pd.read_csv(out / "stages" / "study" / "performance.csv")
    auc = perf[(perf["metric"] == "auc") & (perf["average"] == "macro")]
    best = auc.loc[auc["mean"].idxmax()]
    assert any(f"Task HC_PM_DM: best classifier {best['classifier']}, macro AUC {best['mean']:.2f} ± "
               f"{best['sd']:.2f}" in i and "fixed features" in i for i in items), items
    corr = pd.read_csv(out / "stages" / "stats" / "correlations.csv")
    strongest = corr.loc[corr["rho"].abs().idxmax()]
    assert any(f"Strongest T2-laboratory correlation: {strongest['variable']}, Spearman rho "
               f"{strongest['rho']:.2f}" in i for i in items), items
    assert len(layout["toc"]) == 5 and layout["toc_missing"] == []  # methods, cohort, T2, radiomics, failures
    summaries = {s.split(" (")[0]: (is_open, href) for is_open, s, href in layout["details"]}
    for name in ("ICC table", "Selection table"):
        is_open, href = summaries[name]
        assert not is_open and (out / href).is_file(), name  # collapsed, and its full CSV is there
    assert layout["print_rules"] >= 1

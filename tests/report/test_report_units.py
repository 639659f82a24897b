"""Report building blocks: escaped HTML tables, the performance Markdown subset, PNG figures."""

from __future__ import annotations

import numpy as np
import pandas as pd

from myomri.report.figures import plot_correlation, plot_marker_roc, plot_t2_boxes, plot_t2_overlay
from myomri.report.html import img_tag
from myomri.report.tables import format_value, frame_to_html, markdown_to_html

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def test_frame_to_html_escapes_cells_and_rounds_floats():
    df = pd.DataFrame({"name": ["<script>alert(1)</script>", "a&b"], "value": [1 / 3, np.nan]})
    html = frame_to_html(df)
    assert "<script>" not in html and "&lt;script&gt;" in html and "a&amp;b" in html
    assert "<td>0.333</td>" in html and "<td></td>" in html
    assert html.count("<tr>") == 3


def test_frame_to_html_truncates_and_says_so():
    html = frame_to_html(pd.DataFrame({"x": range(10)}), max_rows=4)
    assert html.count("<tr>") == 5 and "first 4 of 10 rows" in html


def test_format_value_small_numbers_in_scientific_notation():
    assert format_value(1.2e-6) == "1.20e-06" and format_value(0.0) == "0.000" and format_value(None) == ""


def test_markdown_subset_tables_headings_lists_bold_code():
    md = ("# Study\n\nSome `mode` text **bold**.\n\n| | Accuracy (%) | AUC |\n|---|---|---|\n"
          "| **LDA (f1+f2)** | | |\n| Macro-average | 61.2 ± 2.5 | 0.767 |\n\n- note one\n- note <two>\n")
    html = markdown_to_html(md, heading_offset=1)
    assert "<h2>Study</h2>" in html
    assert "<code>mode</code>" in html and "<strong>bold</strong>" in html
    assert html.count("<tr>") == 3 and "<td>61.2 ± 2.5</td>" in html and "<th>Accuracy (%)</th>" in html
    assert "|---|" not in html
    assert "<li>note one</li>" in html and "<li>note &lt;two&gt;</li>" in html


def test_figures_are_png_with_the_requested_size():
    from PIL import Image  # matplotlib's dependency

    import io

    t2 = np.full((20, 16, 3), 40.0)
    lab = np.zeros((20, 16, 3), np.uint8)
    lab[4:10, 4:12, 1] = 1
    lab[11:16, 4:12, 1] = 2
    figs = [plot_t2_boxes({"HC": [33, 34, 35], "PM": [45, 50, 55]}),
            plot_correlation([100, 1000, 5000], [35, 45, 60], xlabel="CK", ylabel="T2", rho=1.0, p=0.01, log_x=True),
            plot_marker_roc([0, 0, 1], [0, 1, 1], auc=1.0, ci=(1.0, 1.0), cutoff=40.0, label="IIM vs HC"),
            plot_t2_overlay(t2, lab, title="sub-001")]
    for png in figs:
        assert png.startswith(PNG_MAGIC)
        w, h = Image.open(io.BytesIO(png)).size
        assert w > 200 and h > 200


def test_img_tag_embeds_the_png_as_data_uri():
    import base64

    tag = img_tag(PNG_MAGIC + b"rest", 'a "quoted" alt')
    assert tag.startswith('<img src="data:image/png;base64,') and 'alt="a &quot;quoted&quot; alt"' in tag
    assert base64.b64decode(tag.split(",", 1)[1].split('"')[0]) == PNG_MAGIC + b"rest"

"""HTML tables for the study report: DataFrames and the study's Markdown performance tables.

Every cell is HTML-escaped; numbers are rounded for reading (the CSV files keep full precision).
"""

from __future__ import annotations

import html
import re

import numpy as np

__all__ = ["frame_to_html", "markdown_to_html", "format_value"]


def format_value(v, *, digits: int = 3) -> str:
    """A cell as text: floats to ``digits`` significant decimals, missing as an empty cell."""
    if v is None:
        return ""
    if isinstance(v, (float, np.floating)):
        if not np.isfinite(v):
            return ""
        if v != 0 and abs(v) < 10**-digits:
            return f"{v:.2e}"
        return f"{v:.{digits}f}"
    return str(v)


def frame_to_html(df, *, columns=None, digits: int = 3, max_rows: int | None = None, css: str = "tab") -> str:
    """An escaped ``<table>`` of ``df`` (optionally a subset of columns, first ``max_rows`` rows)."""
    if df is None or len(df) == 0:
        return "<p><em>(no rows)</em></p>"
    cols = [c for c in (columns or df.columns) if c in df.columns]
    body = df[cols] if max_rows is None else df[cols].head(max_rows)
    out = [f'<table class="{css}"><thead><tr>']
    out += [f"<th>{html.escape(str(c))}</th>" for c in cols]
    out.append("</tr></thead><tbody>")
    for row in body.itertuples(index=False):
        out.append("<tr>" + "".join(f"<td>{html.escape(format_value(v, digits=digits))}</td>" for v in row) + "</tr>")
    out.append("</tbody></table>")
    if max_rows is not None and len(df) > max_rows:
        out.append(f"<p><em>first {max_rows} of {len(df)} rows; all rows in the CSV file</em></p>")
    return "".join(out)


def _inline(text: str) -> str:
    text = html.escape(text)
    text = re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", text)
    return re.sub(r"`(.+?)`", r"<code>\1</code>", text)


def markdown_to_html(md: str, *, heading_offset: int = 2) -> str:
    """The subset of Markdown that ``performance.md`` uses: headings, paragraphs, lists, pipe tables."""
    out: list[str] = []
    table: list[str] = []
    para: list[str] = []
    items: list[str] = []

    def flush():
        if para:
            out.append(f"<p>{_inline(' '.join(para))}</p>")
            para.clear()
        if items:
            out.append("<ul>" + "".join(f"<li>{_inline(i)}</li>" for i in items) + "</ul>")
            items.clear()
        if table:
            rows = [r for r in table if not re.fullmatch(r"\|?[\s|:-]+\|?", r)]
            cells = [[c.strip() for c in r.strip().strip("|").split("|")] for r in rows]
            head, *rest = cells
            out.append(
                '<table class="tab"><thead><tr>'
                + "".join(f"<th>{_inline(c)}</th>" for c in head)
                + "</tr></thead><tbody>"
                + "".join("<tr>" + "".join(f"<td>{_inline(c)}</td>" for c in r) + "</tr>" for r in rest)
                + "</tbody></table>"
            )
            table.clear()

    for line in md.splitlines():
        s = line.strip()
        if s.startswith("|"):
            if para or items:
                flush()
            table.append(s)
            continue
        if table:
            flush()
        if not s:
            flush()
        elif s.startswith("#"):
            flush()
            level = min(6, len(s) - len(s.lstrip("#")) + heading_offset)
            out.append(f"<h{level}>{_inline(s.lstrip('#').strip())}</h{level}>")
        elif s.startswith("- "):
            if para:
                flush()
            items.append(s[2:])
        else:
            para.append(s)
    flush()
    return "\n".join(out)

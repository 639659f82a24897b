"""Page furniture of the study report: table of contents, collapsed long tables, print styles."""

from __future__ import annotations

import html
import re

__all__ = ["PRINT_CSS", "with_toc", "collapsed"]

#: Styles of the key-results block, the contents and collapsed tables, and clean pages when printed
#: to PDF: no collapsed tables expanded by accident of layout, no figure or table row split across
#: pages, headings kept with what follows, links printed with their target.
PRINT_CSS = """.key{border:2px solid #2a6;background:#f4fbf6;padding:0.4em 1em;margin:1em 0}
.key h2{margin-top:0.3em}nav.toc{font-size:0.9em}nav.toc ol{columns:2}
details{margin:0.5em 0}summary{cursor:pointer;font-weight:bold}
@media print{body{max-width:none;margin:0;font-size:10pt}nav.toc{display:none}
h2,h3{break-after:avoid;page-break-after:avoid}figure,img,tr,.key{break-inside:avoid;page-break-inside:avoid}
h2{break-before:page;page-break-before:always}.key h2,section.key{break-before:auto}
details>summary{list-style:none}a[href]:after{content:" (" attr(href) ")";font-size:0.8em}
img{max-width:100%}}"""


def _slug(text: str, seen: set[str]) -> str:
    base = re.sub(r"[^a-z0-9]+", "-", html.unescape(text).lower()).strip("-") or "section"
    slug, n = base, 2
    while slug in seen:
        slug, n = f"{base}-{n}", n + 1
    seen.add(slug)
    return slug


def with_toc(body: str) -> tuple[str, str]:
    """``body`` with an ``id`` on every plain ``<h2>``, and the ``<nav>`` listing them in order."""
    seen: set[str] = {"key-results"}
    entries = []

    def tag(m):
        slug = _slug(re.sub(r"<[^>]+>", "", m.group(1)), seen)
        entries.append((slug, m.group(1)))
        return f'<h2 id="{slug}">{m.group(1)}</h2>'

    body = re.sub(r"<h2>(.*?)</h2>", tag, body)
    items = "".join(f'<li><a href="#{s}">{t}</a></li>' for s, t in entries)
    return body, f'<nav class="toc"><h2 id="contents">Contents</h2><ol>{items}</ol></nav>'


def collapsed(title: str, table_html: str, *, n_rows: int, csv_href: str) -> str:
    """A long table inside ``<details>`` (closed), with the row count and a link to the full CSV."""
    return (
        f"<details><summary>{html.escape(title)} ({n_rows} rows)</summary>{table_html}"
        f'<p>Full table: <a href="{html.escape(csv_href)}">{html.escape(csv_href)}</a></p></details>'
    )

"""A standalone HTML document: headings, facts, tables and figures, in one file.

Why hand-written HTML over a template engine: a report is a list of sections, each a heading
with paragraphs, tables (pandas frames) and figures (matplotlib); every value is escaped
here, once, and figures are embedded as PNG data so the file opens anywhere — mailed,
archived with the case, printed to PDF — with no server and no network.
"""

from __future__ import annotations

import base64
import html
import io
import math
import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import pandas as pd
from matplotlib.figure import Figure

__all__ = ["Document"]

_STYLE = """
body { font-family: "DejaVu Sans", Helvetica, Arial, sans-serif; color: #212121;
       max-width: 1100px; margin: 2em auto; padding: 0 1.5em; line-height: 1.45; }
h1 { font-size: 1.6em; border-bottom: 3px solid #6a1b9a; padding-bottom: .3em; }
h2 { font-size: 1.25em; margin-top: 1.8em; border-bottom: 1px solid #ccc; }
.meta { color: #616161; font-size: .9em; }
table { border-collapse: collapse; margin: .6em 0 1em; font-size: .85em; }
th, td { border: 1px solid #ddd; padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: #f3e5f5; }
tr:nth-child(even) td { background: #fafafa; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
dl.facts { display: grid; grid-template-columns: max-content auto; gap: 2px 16px; }
dl.facts dt { font-weight: bold; color: #4a148c; }
dl.facts dd { margin: 0; }
figure { margin: 1em 0; }
figure img { max-width: 100%; border: 1px solid #eee; }
figcaption { color: #616161; font-size: .85em; }
.note { background: #fff8e1; border-left: 4px solid #f9a825; padding: .5em 1em; }
.tier-high { color: #c62828; font-weight: bold; }
.tier-medium { color: #ef6c00; font-weight: bold; }
.tier-low { color: #2e7d32; }
@media print { body { margin: 0; max-width: none; } h2 { page-break-after: avoid; }
               figure, table { page-break-inside: avoid; } }
"""


class Document:
    """Build a report section by section, then :meth:`html` it."""

    def __init__(self, title: str, subtitle: str = "") -> None:
        self.title = title
        self._parts: list[str] = [f"<h1>{_text(title)}</h1>"]
        if subtitle:
            self._parts.append(f'<p class="meta">{_text(subtitle)}</p>')
        self.sections: list[str] = []
        self.figures = 0

    def section(self, heading: str) -> Document:
        self.sections.append(heading)
        anchor = f"s{len(self.sections)}"
        self._parts.append(f'<h2 id="{anchor}">{_text(heading)}</h2>')
        return self

    def paragraph(self, text: str, *, note: bool = False) -> Document:
        css = ' class="note"' if note else ""
        self._parts.append(f"<p{css}>{_text(text)}</p>")
        return self

    def bullets(self, items: list[str]) -> Document:
        if items:
            self._parts.append("<ul>" + "".join(f"<li>{_text(i)}</li>" for i in items)
                               + "</ul>")
        return self

    def facts(self, facts: Mapping[str, Any]) -> Document:
        rows = "".join(f"<dt>{_text(k)}</dt><dd>{_cell(v)}</dd>" for k, v in facts.items())
        self._parts.append(f'<dl class="facts">{rows}</dl>')
        return self

    def table(self, frame: pd.DataFrame, *, empty: str = "Nothing to show.",
              limit: int | None = None) -> Document:
        """A frame as a table (at most ``limit`` rows, saying how many were left out)."""
        if frame.empty:
            return self.paragraph(empty)
        shown = frame if limit is None else frame.head(limit)
        head = "".join(f"<th>{_text(str(c))}</th>" for c in shown.columns)
        body = "".join(
            "<tr>" + "".join(_td(column, value) for column, value in zip(
                shown.columns, row, strict=True)) + "</tr>"
            for row in shown.itertuples(index=False, name=None))
        self._parts.append(f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody>"
                           "</table>")
        if limit is not None and len(frame) > limit:
            self.paragraph(f"… and {len(frame) - limit:,} more rows (see the notebook or the "
                           "CSV export for all).")
        return self

    def figure(self, figure: Figure, caption: str = "") -> Document:
        """A matplotlib figure, embedded as a PNG (the figure is closed afterwards)."""
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", dpi=110)
        data = base64.b64encode(buffer.getvalue()).decode("ascii")
        self.figures += 1
        alt = _text(caption or f"figure {self.figures}")
        self._parts.append(f'<figure><img alt="{alt}" src="data:image/png;base64,{data}">'
                           + (f"<figcaption>{_text(caption)}</figcaption>" if caption else "")
                           + "</figure>")
        return self

    def html(self) -> str:
        """The whole standalone document."""
        return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                f"<title>{_text(self.title)}</title><style>{_STYLE}</style></head><body>"
                + "\n".join(self._parts) + "</body></html>\n")


#: A stored time (``2026-12-02T01:19:47+00:00``), shown to the minute in UTC.
_ISO_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?(\.\d+)?(\+00:00|Z)?$")


def _text(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _cell(value: Any) -> str:
    if value is None or value is pd.NaT or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if isinstance(value, pd.Timestamp | datetime):
        return _text(value.strftime("%Y-%m-%d %H:%M"))
    if isinstance(value, float):
        return _text(f"{value:,.2f}")
    if isinstance(value, str) and _ISO_TIME.match(value):
        return _text(f"{value[:10]} {value[11:16]}")
    if isinstance(value, list | tuple):
        return _text("; ".join(str(v) for v in value))
    return _text(value)


def _td(column: Any, value: Any) -> str:
    text = _cell(value)
    if str(column).startswith("tier") and str(value) in ("low", "medium", "high"):
        return f'<td class="tier-{value}">{text}</td>'
    numeric = isinstance(value, int | float) and not isinstance(value, bool)
    return f'<td class="num">{text}</td>' if numeric else f"<td>{text}</td>"

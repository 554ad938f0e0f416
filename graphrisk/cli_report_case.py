"""``graphrisk report case ID`` and ``graphrisk report portfolio``: the case retrospective and
the portfolio review as standalone HTML (and PDF where Chromium is installed).

The same content as ``notebooks/case_retrospective.ipynb`` and
``notebooks/portfolio_review.ipynb``, for people who never open Jupyter. Each report written
is recorded in the audit trail (``report.case``, ``report.portfolio``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from graphrisk.cli import StoreOption, _service, console
from graphrisk.cli_report import report_app
from graphrisk.reporting.output import WrittenReport

OutOption = Annotated[Path | None, typer.Option(
    "--out", help="Folder to write into (default: $GRAPHRISK_HOME/reports/<report>/).")]
PdfOption = Annotated[bool, typer.Option(
    "--pdf/--no-pdf", help="Also print a PDF with headless Chromium, where installed.")]


def _said(kind: str, written: WrittenReport) -> None:
    console.print(f"{kind} written to {escape(str(written.html))}")
    if written.pdf is not None:
        console.print(f"PDF written to {escape(str(written.pdf))}")
    elif written.pdf_note:
        console.print(f"[yellow]no PDF: {escape(written.pdf_note)}[/]")


@report_app.command("case")
def report_case(
    case_id: Annotated[str, typer.Argument(help="The case (from `graphrisk cases list`).")],
    out: OutOption = None, pdf: PdfOption = True, store: StoreOption = None,
) -> None:
    """The retrospective of one case: network, timeline, scores, reasons, what the team did,
    outcome and the measurable lessons."""
    from graphrisk.reporting.service import write_case_report

    with _service(store) as service, console.status(f"reading {case_id}"):
        written = write_case_report(service, case_id, out_dir=out, pdf=pdf)
    _said("Case retrospective", written)


@report_app.command("portfolio")
def report_portfolio(
    out: OutOption = None, pdf: PdfOption = True,
    since: Annotated[str | None, typer.Option(
        "--since", help="Only cases opened and alerts raised from this day on (2026-10-01).",
    )] = None,
    store: StoreOption = None,
) -> None:
    """The experience summary: alerts and their precision, time to close, tier migrations,
    recurring rings and typologies, model runs, suggested policy changes."""
    from graphrisk.errors import ConfigError
    from graphrisk.reporting.service import write_portfolio_report

    with _service(store) as service, console.status("reading the portfolio"):
        try:
            written = write_portfolio_report(service, out_dir=out, pdf=pdf, since=since)
        except ValueError as exc:
            raise ConfigError(f"--since: {exc}") from exc
    _said("Portfolio review", written)

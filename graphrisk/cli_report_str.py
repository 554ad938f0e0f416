"""``graphrisk report str CASE_ID``: the suspicious-activity report of a confirmed case.

A thin face over :func:`graphrisk.reporting.service.write_str_report`: it opens the
service, writes the goAML XML, the HTML page and (where chromium is installed) a PDF, and
prints where they went, the warnings (placeholder institution details) and what is left to
fill in before filing. Exit code 0 when written, 2 when refused (the case is not confirmed,
the XML failed its checks — nothing is then written).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from graphrisk.cli import StoreOption, _service, console, err_console
from graphrisk.cli_report import report_app

__all__ = ["report_str"]


@report_app.command("str")
def report_str(
    case_id: Annotated[str, typer.Argument(help="A case closed as confirmed_risk "
                                           "(graphrisk cases list --status closed).")],
    out: Annotated[Path | None, typer.Option(
        "--out", "-o", help="Folder for the files (default: "
        "$GRAPHRISK_HOME/reports/str-CASE_ID/).")] = None,
    narrative: Annotated[Path | None, typer.Option(
        "--narrative", help="A UTF-8 text file whose contents replace the case notes as the "
        "investigator's narrative.")] = None,
    pdf: Annotated[bool, typer.Option("--pdf/--no-pdf", help="Also print a PDF with "
                                      "chromium (skipped, with a note, where it is not "
                                      "installed).")] = True,
    store: StoreOption = None,
) -> None:
    """Write the suspicious-activity report (STR) of a confirmed case: goAML XML, HTML, PDF.

    The report holds the institution (GRAPHRISK_STR_* settings), the subjects with their
    identifiers and accounts, the subjects' transactions from 90 days before the first alert
    to the close, the typologies and reasons, and the narrative. It is checked before it is
    written, written owner-only, and recorded in the audit trail (report.str).
    """
    from graphrisk.reporting.service import write_str_report

    with _service(store) as service:
        written = write_str_report(service, case_id, out=out, narrative_file=narrative,
                                   pdf=pdf)
    for warning in written.warnings:
        err_console.print(f"[yellow]warning:[/] {escape(warning)}")
    if written.pdf_note:
        err_console.print(f"[yellow]note: no PDF:[/] {escape(written.pdf_note)}")
    cut = (f" (the newest of {written.transactions_in_window})" if
           written.transactions < written.transactions_in_window else "")
    console.print(f"STR for {escape(case_id)}: {written.transactions} transactions{cut}, "
                  f"{len(written.to_fill)} items left to fill in (section 9 of the HTML).",
                  soft_wrap=True)
    for label, path in (("XML", written.xml), ("HTML", written.html), ("PDF", written.pdf)):
        if path is not None:
            console.print(f"  {label:<5} {escape(str(path))}", soft_wrap=True,
                          highlight=False)

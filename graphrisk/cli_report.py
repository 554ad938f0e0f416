"""``graphrisk report``: documents made for people outside the tool.

A case retrospective (``report case``), the portfolio review (``report portfolio``) and the
suspicious-activity report for the authorities (``report str``), each written as a standalone
file. Each kind lives in a module of its own that registers its command on :data:`report_app`.
(``graphrisk reports`` is something else: the quarantine reports of past loads.)
"""

from __future__ import annotations

import typer

from graphrisk.cli import app

report_app = typer.Typer(help="Write a case retrospective, the portfolio review or a "
                         "suspicious-activity report (STR/SAR) as a standalone file.",
                         no_args_is_help=True)
app.add_typer(report_app, name="report")

__all__ = ["report_app"]
import graphrisk.cli_report_case  # noqa: E402,F401
import graphrisk.cli_report_str  # noqa: E402,F401

"""Write the case and portfolio reports for a service: read, render, write, audit.

Why not in the CLI: the API or a scheduled job may write the same reports; what a report
holds and that writing it is audited belong with the reports, not with one face.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from graphrisk.analyst import load_case, load_portfolio, tier_floors
from graphrisk.reporting.case_report import case_document, portfolio_document
from graphrisk.reporting.output import WrittenReport, write_report
from graphrisk.service import RiskService

__all__ = ["write_case_report", "write_portfolio_report"]


def write_case_report(service: RiskService, case_id: str, *, out_dir: Path | None = None,
                      pdf: bool = True) -> WrittenReport:
    """Write the retrospective of ``case_id`` (default folder
    ``$GRAPHRISK_HOME/reports/case-<ID>/``) and record it in the audit trail.

    Raises:
        NotFoundError: no such case.
    """
    case = load_case(service, case_id)
    document = case_document(case, tier_floors=tier_floors(service))
    folder = Path(out_dir) if out_dir else service.settings.reports_dir / f"case-{case.case_id}"
    written = write_report(document.html(), folder, f"case-{case.case_id}", pdf=pdf)
    service.record_access(service.settings.actor, "report.case", f"case:{case.case_id}",
                          {"html": str(written.html),
                           "pdf": str(written.pdf) if written.pdf else None})
    return written


def write_portfolio_report(service: RiskService, *, out_dir: Path | None = None,
                           pdf: bool = True) -> WrittenReport:
    """Write the portfolio review (default folder ``$GRAPHRISK_HOME/reports/portfolio/``,
    one file per day) and record it in the audit trail."""
    portfolio = load_portfolio(service)
    folder = Path(out_dir) if out_dir else service.settings.reports_dir / "portfolio"
    day = datetime.now(UTC).strftime("%Y-%m-%d")
    written = write_report(portfolio_document(portfolio).html(), folder, f"portfolio-{day}",
                           pdf=pdf)
    service.record_access(service.settings.actor, "report.portfolio", "portfolio",
                          {"html": str(written.html), "cases": len(portfolio.cases),
                           "alerts": len(portfolio.alerts)})
    return written

"""Write the reports for a service: read, render, write, audit.

Why not in the CLI: the API or a scheduled job may write the same reports; what a report
holds and that writing it is audited belong with the reports, not with one face.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from graphrisk.analyst import case_alerts, load_case, load_portfolio, tier_floors
from graphrisk.errors import ConfigError
from graphrisk.reporting.case_report import case_document, portfolio_document
from graphrisk.reporting.goaml import render_goaml, validate_goaml
from graphrisk.reporting.output import WrittenReport, write_private, write_report
from graphrisk.reporting.str_html import render_html
from graphrisk.reporting.str_report import (
    AUDIT_ACTION,
    Institution,
    build_str_report,
    check_reportable,
)
from graphrisk.service import RiskService

__all__ = ["StrWritten", "write_case_report", "write_portfolio_report", "write_str_report"]


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
    written = write_report(document.html(), folder, f"case-{case.case_id}", pdf=pdf,
                           browser=service.settings.pdf_browser)
    service.record_access(service.settings.actor, "report.case", f"case:{case.case_id}",
                          {"html": str(written.html),
                           "pdf": str(written.pdf) if written.pdf else None})
    return written


def write_portfolio_report(service: RiskService, *, out_dir: Path | None = None,
                           pdf: bool = True, since: str | None = None) -> WrittenReport:
    """Write the portfolio review (default folder ``$GRAPHRISK_HOME/reports/portfolio/``,
    one file per day), of everything or only what happened ``since`` a day, and record it
    in the audit trail.

    Raises:
        ValueError: ``since`` is not a date.
    """
    portfolio = load_portfolio(service, since=since)
    folder = Path(out_dir) if out_dir else service.settings.reports_dir / "portfolio"
    day = datetime.now(UTC).strftime("%Y-%m-%d")
    stem = f"portfolio-{day}" + (f"-since-{since}" if since else "")
    written = write_report(portfolio_document(portfolio, since=since).html(), folder, stem,
                           pdf=pdf, browser=service.settings.pdf_browser)
    service.record_access(service.settings.actor, "report.portfolio", "portfolio",
                          {"html": str(written.html), "cases": len(portfolio.cases),
                           "alerts": len(portfolio.alerts), "since": since})
    return written


@dataclass(frozen=True)
class StrWritten:
    """Where a suspicious-activity report went, and what its reader must still do."""

    folder: Path
    xml: Path
    html: Path
    pdf: Path | None
    pdf_note: str | None
    transactions: int
    transactions_in_window: int
    warnings: tuple[str, ...]
    to_fill: tuple[str, ...]


def _read_narrative(path: Path) -> str:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read the narrative file {path}: {exc}; give a UTF-8 text "
                          "file") from exc
    if not text.strip():
        raise ConfigError(f"the narrative file {path} is empty; write the investigator's "
                          "account of the case in it, or leave --narrative out to use the "
                          "case notes")
    return text


def write_str_report(service: RiskService, case_id: str, *, out: Path | None = None,
                     narrative_file: Path | None = None, pdf: bool = True,
                     actor: str | None = None, now: datetime | None = None) -> StrWritten:
    """Write the STR of a confirmed case as goAML XML, HTML and (where Chromium is) PDF.

    The XML is validated before anything is written: a report that fails writes no file.
    The files are owner-only; the report is recorded in the audit trail (action
    ``report.str``, subject ``case:<id>``) with the paths and the transaction count.

    Args:
        service: the open service.
        case_id: the case, closed as ``confirmed_risk``.
        out: the folder (default ``$GRAPHRISK_HOME/reports/str-<case>/``).
        narrative_file: a UTF-8 text file whose contents replace the case notes.
        pdf: also print a PDF (skipped, with a note, where no Chromium is installed).
        actor: who writes it (default: the configured user).
        now: the report's time stamp (tests).

    Raises:
        NotFoundError: no such case.
        CaseRuleError: the case is not closed as ``confirmed_risk``.
        ConfigError: the narrative file cannot be read or is empty.
        ReportValidationError: the XML lacks a required element (nothing is written).
        GraphRiskError: the output folder cannot be written.
    """
    who = actor or service.monitoring.actor
    case = service.monitoring.case(case_id)
    check_reportable(case)
    narrative = _read_narrative(narrative_file) if narrative_file is not None else None
    report = build_str_report(
        case, case_alerts(service, case), service.store.region_snapshot(case.subjects),
        Institution.from_settings(service.settings), generated_by=who, narrative=narrative,
        narrative_source=str(narrative_file) if narrative_file else None, now=now)
    xml = render_goaml(report)
    warnings = validate_goaml(xml)
    folder = Path(out) if out is not None else service.settings.reports_dir / f"str-{case_id}"
    xml_path = write_private(folder / f"str-{case_id}.xml", xml)
    written = write_report(render_html(report), folder, f"str-{case_id}", pdf=pdf,
                           browser=service.settings.pdf_browser)
    service.record_access(who, AUDIT_ACTION, f"case:{case_id}", {
        "xml": str(xml_path), "html": str(written.html),
        "pdf": str(written.pdf) if written.pdf else None,
        "transactions": len(report.transactions),
        "transactions_in_window": report.transactions_in_window,
        "subjects": list(case.subjects)})
    return StrWritten(folder, xml_path, written.html, written.pdf, written.pdf_note,
                      len(report.transactions), report.transactions_in_window,
                      tuple(warnings), report.to_fill)

"""`graphrisk report case|portfolio`: the HTML holds every section in order with its figures,
the files are private, writing one is audited; PDF where Chromium is installed."""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

import pytest
from typer.testing import CliRunner

from graphrisk.cli import app
from graphrisk.reporting.case_report import CASE_SECTIONS, PORTFOLIO_SECTIONS
from graphrisk.reporting.document import Document
from graphrisk.reporting.pdf import find_browser
from graphrisk.reporting.service import write_case_report, write_portfolio_report
from tests.reporting.conftest import WorkedBank

pytestmark = pytest.mark.slow


def _headings(html: str) -> list[str]:
    return re.findall(r"<h2 id=\"s\d+\">([^<]+)</h2>", html)


def _private(path: Path) -> bool:
    return stat.S_IMODE(path.stat().st_mode) == 0o600


def test_the_case_report_has_every_section_the_figures_and_the_case(
        worked_bank: WorkedBank, tmp_path: Path) -> None:
    service = worked_bank.service
    case = service.monitoring.case(worked_bank.confirmed)
    written = write_case_report(service, case.case_id, out_dir=tmp_path, pdf=False)
    html = written.html.read_text(encoding="utf-8")
    assert _headings(html) == list(CASE_SECTIONS)
    assert html.count("data:image/png;base64,") >= 3  # network, timeline, score history
    for text in (case.case_id, *case.subjects, *case.rules, "confirmed_risk"):
        assert text in html
    for contact in case.contacts:
        assert contact.summary in html
    assert "From opening the case to the decision" in html
    assert _private(written.html)
    assert written.pdf is None and written.pdf_note is None
    audited = service.monitoring.audit(action="report.case", subject=f"case:{case.case_id}")
    assert audited and audited[-1].details["html"] == str(written.html)


def test_the_portfolio_report_has_every_section_and_the_decided_cases(
        worked_bank: WorkedBank, tmp_path: Path) -> None:
    service = worked_bank.service
    written = write_portfolio_report(service, out_dir=tmp_path, pdf=False)
    html = written.html.read_text(encoding="utf-8")
    assert _headings(html) == list(PORTFOLIO_SECTIONS)
    assert html.count("data:image/png;base64,") >= 4
    decided = [w for w in worked_bank.worked if w.outcome]
    assert f"{len(service.monitoring.cases())} cases ({len(decided)} closed)" in html
    for rule in {a.rule for a in service.monitoring.alerts(status=None)}:
        assert rule in html
    assert _private(written.html)
    assert service.monitoring.audit(action="report.portfolio")


def test_the_cli_writes_both_reports_and_refuses_an_unknown_case(
        worked_bank: WorkedBank, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in worked_bank.environment().items():
        monkeypatch.setenv(name, value)
    runner = CliRunner()
    done = runner.invoke(app, ["report", "case", worked_bank.confirmed, "--no-pdf",
                               "--out", str(tmp_path / "case")])
    assert done.exit_code == 0, done.output
    assert (tmp_path / "case" / f"case-{worked_bank.confirmed}.html").is_file()
    done = runner.invoke(app, ["report", "portfolio", "--no-pdf", "--out",
                               str(tmp_path / "portfolio")])
    assert done.exit_code == 0, done.output
    assert len(list((tmp_path / "portfolio").glob("portfolio-*.html"))) == 1
    bad_day = runner.invoke(app, ["report", "portfolio", "--no-pdf", "--since", "someday",
                                  "--out", str(tmp_path / "bad")])
    assert bad_day.exit_code == 2 and "--since" in bad_day.output
    refused = runner.invoke(app, ["report", "case", "CASE-NOPE", "--no-pdf", "--out",
                                  str(tmp_path / "nope")])
    assert refused.exit_code == 2
    assert "CASE-NOPE" in refused.output and "cases list" in refused.output
    assert not (tmp_path / "nope").exists()


def test_the_pdf_is_printed_where_chromium_is_installed(worked_bank: WorkedBank,
                                                       tmp_path: Path) -> None:
    if find_browser() is None:
        message = "no Chromium: `make browser-prereqs` installs Debian's chromium"
        if os.environ.get("GRAPHRISK_REQUIRE_BROWSER") == "1":
            pytest.fail(message)
        pytest.skip(message)
    written = write_case_report(worked_bank.service, worked_bank.confirmed, out_dir=tmp_path)
    assert written.pdf is not None, written.pdf_note
    assert written.pdf.read_bytes().startswith(b"%PDF")
    assert _private(written.pdf)


def test_a_document_escapes_what_people_wrote() -> None:
    document = Document("<b>title</b>")
    document.section("Notes").paragraph('<script>alert("x")</script>')
    html = document.html()
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "<b>title</b>" not in html

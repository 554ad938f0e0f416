"""``graphrisk report str``: a risk team writes the STR of a confirmed case from the command
line, in the bank's GRAPHRISK_HOME; an unconfirmed case is refused with the reason."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from graphrisk.cli import app
from graphrisk.config import Settings, StoreKind, get_settings
from graphrisk.ingestion.generator import generate_dataset
from graphrisk.ingestion.generator.stream import generate_stream
from graphrisk.policy import load_policy
from graphrisk.reporting.pdf import find_browser
from graphrisk.service import RiskService
from tests.stores import open_test_store

pytestmark = pytest.mark.slow

NARRATIVE = "The account received many unrelated payments and forwarded them the same day."


@dataclass
class Bank:
    home: Path
    confirmed: str
    still_open: str


@pytest.fixture(scope="module")
def bank(tmp_path_factory: pytest.TempPathFactory) -> Bank:
    root = tmp_path_factory.mktemp("str-cli-bank")
    generate_dataset(500, 7, root / "base")
    generate_stream(root / "base", root / "stream", batches=2, events_per_batch=100, seed=3)
    home = root / "home"
    service = RiskService(Settings(home=home, store=StoreKind.EMBEDDED),
                          open_test_store(StoreKind.EMBEDDED, home), load_policy())
    try:
        service.ingest_folder(root / "base")
        service.score()
        for batch in sorted((root / "stream").glob("batch-*")):
            service.monitoring.ingest_incremental(batch)
        cases = service.monitoring.cases()
        assert len(cases) >= 2, "the stream should open cases"
        case_id = cases[0].case_id
        desk = service.monitoring
        desk.note_case(case_id, NARRATIVE, actor="ana")
        desk.move_case(case_id, "investigating", actor="ana")
        desk.close_case(case_id, "confirmed_risk", risk_label="mule", actor="ana")
        return Bank(home, case_id, cases[1].case_id)
    finally:
        service.close()


@pytest.fixture
def in_bank(bank: Bank, monkeypatch: pytest.MonkeyPatch) -> Iterator[Bank]:
    """Commands run with GRAPHRISK_HOME pointing at the bank."""
    monkeypatch.setenv("GRAPHRISK_HOME", str(bank.home))
    monkeypatch.setenv("GRAPHRISK_STR_INSTITUTION_NAME", "Nordbank AG")
    get_settings.cache_clear()
    yield bank
    get_settings.cache_clear()


def _said(output: str) -> str:
    return " ".join(output.split())  # the console wraps long lines


def test_report_str_writes_the_xml_and_the_html_and_says_where(in_bank: Bank) -> None:
    result = CliRunner().invoke(app, ["report", "str", in_bank.confirmed, "--no-pdf"])
    assert result.exit_code == 0, result.output
    folder = in_bank.home / "reports" / f"str-{in_bank.confirmed}"
    xml, page = folder / f"str-{in_bank.confirmed}.xml", folder / f"str-{in_bank.confirmed}.html"
    assert xml.is_file() and page.is_file()
    assert not (folder / f"str-{in_bank.confirmed}.pdf").exists()
    said = _said(result.output)
    assert str(xml) in said and str(page) in said
    root = ET.fromstring(xml.read_bytes())
    assert root.findtext("entity_reference") == in_bank.confirmed
    assert {n.text for n in root.iter("institution_name")} == {"Nordbank AG"}
    assert "Nordbank AG" in page.read_text(encoding="utf-8")
    assert NARRATIVE in root.findtext("reason", "")
    # the institution id is still the placeholder: a warning, not an error
    assert "GRAPHRISK_STR_INSTITUTION_ID" in said


def test_report_str_out_and_narrative_options(in_bank: Bank, tmp_path: Path) -> None:
    story = tmp_path / "story.txt"
    story.write_text("Written by the MLRO for the FIU.", encoding="utf-8")
    out = tmp_path / "for-the-fiu"
    result = CliRunner().invoke(app, ["report", "str", in_bank.confirmed, "--out", str(out),
                                      "--narrative", str(story), "--no-pdf"])
    assert result.exit_code == 0, result.output
    root = ET.fromstring((out / f"str-{in_bank.confirmed}.xml").read_bytes())
    assert root.findtext("reason", "").startswith("Written by the MLRO for the FIU.")


def test_report_str_refuses_a_case_that_is_not_confirmed(in_bank: Bank) -> None:
    result = CliRunner().invoke(app, ["report", "str", in_bank.still_open, "--no-pdf"])
    assert result.exit_code == 2
    said = _said(result.output)
    assert "confirmed_risk" in said and "graphrisk cases close" in said
    assert not (in_bank.home / "reports" / f"str-{in_bank.still_open}").exists()
    unknown = CliRunner().invoke(app, ["report", "str", "CASE-NOPE", "--no-pdf"])
    assert unknown.exit_code == 2 and "CASE-NOPE" in _said(unknown.output)


def test_report_str_prints_a_pdf_where_chromium_is_installed(in_bank: Bank,
                                                             tmp_path: Path) -> None:
    if find_browser() is None:
        pytest.skip("chromium is not installed (/usr/bin/chromium): the PDF is skipped with "
                    "a note, which the next assertion checks instead")
    result = CliRunner().invoke(app, ["report", "str", in_bank.confirmed, "--out",
                                      str(tmp_path), "--pdf"])
    assert result.exit_code == 0, result.output
    pdf = tmp_path / f"str-{in_bank.confirmed}.pdf"
    assert pdf.read_bytes()[:4] == b"%PDF"
    assert str(pdf) in _said(result.output)


def test_report_str_without_chromium_notes_that_the_pdf_was_skipped(
        in_bank: Bank, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GRAPHRISK_PDF_BROWSER", "no-such-browser")
    result = CliRunner().invoke(app, ["report", "str", in_bank.confirmed, "--out",
                                      str(tmp_path), "--pdf"])
    assert result.exit_code == 0, result.output
    assert "no Chromium to print PDF with" in _said(result.output)
    assert (tmp_path / f"str-{in_bank.confirmed}.xml").is_file()
    assert not (tmp_path / f"str-{in_bank.confirmed}.pdf").exists()

"""The suspicious-activity report of a confirmed case, on a small generated bank.

The bank is generated, loaded, scored and fed two batches of new events (so monitoring
opens cases), then its largest case is worked and closed as confirmed risk through the
monitoring API, as an investigator would. The facts checked here are read back from the
written XML and compared with the store's own frames.
"""

from __future__ import annotations

import stat
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pandas as pd
import pytest

from graphrisk.config import Settings
from graphrisk.ingestion.generator import generate_dataset
from graphrisk.ingestion.generator.stream import generate_stream
from graphrisk.monitoring.casework import CaseRuleError
from graphrisk.policy import load_policy
from graphrisk.reporting.goaml import ReportValidationError, render_goaml, validate_goaml
from graphrisk.reporting.service import StrWritten, write_str_report
from graphrisk.reporting.str_report import Institution, build_str_report
from graphrisk.service import RiskService
from tests.stores import STORE_PARAMS, open_test_store

pytestmark = pytest.mark.slow

NARRATIVE = ("Six customers with no link to each other paid one account within three days; "
             "its holder could not explain where the money came from.")
CLOSING = "Confirmed: the account collected and forwarded third-party funds (mule)."
#: What goAML's <report> holds, in the schema's order (FIU schemas 5.0.1 and 5.0.2).
GOAML_REPORT_ORDER = ["rentity_id", "rentity_branch", "submission_code", "report_code",
                      "entity_reference", "submission_date", "currency_code_local",
                      "reporting_person", "location", "reason", "action", "transaction",
                      "report_indicators"]
GOAML_TRANSACTION_START = ["transactionnumber", "transaction_location",
                           "transaction_description", "date_transaction", "transmode_code",
                           "amount_local"]


@dataclass
class Bank:
    service: RiskService
    confirmed: str
    still_open: str
    written: StrWritten


@pytest.fixture(scope="module", params=STORE_PARAMS)
def bank(request: pytest.FixtureRequest,
         tmp_path_factory: pytest.TempPathFactory) -> Iterator[Bank]:
    kind = request.param
    root = tmp_path_factory.mktemp(f"str-bank-{kind.value}")
    generate_dataset(500, 5, root / "base")
    generate_stream(root / "base", root / "stream", batches=2, events_per_batch=100, seed=2)
    home = root / "home"
    settings = Settings(home=home, store=kind)
    service = RiskService(settings, open_test_store(kind, home), load_policy())
    service.ingest_folder(root / "base")
    service.score()
    for batch in sorted((root / "stream").glob("batch-*")):
        service.monitoring.ingest_incremental(batch)
    cases = service.monitoring.cases()
    assert len(cases) >= 2, "the stream should open cases"
    case = max(cases, key=lambda c: (len(c.subjects), c.case_id))
    desk = service.monitoring
    desk.note_case(case.case_id, NARRATIVE, actor="ana")
    desk.contact_case(case.case_id, channel="letter", summary="asked for the source of funds",
                      actor="ana")
    desk.move_case(case.case_id, "investigating", actor="ana")
    desk.close_case(case.case_id, "confirmed_risk", risk_label="money_laundering",
                    note=CLOSING, actor="ana")
    still_open = next(c.case_id for c in cases if c.case_id != case.case_id)
    written = write_str_report(service, case.case_id, out=root / "out", actor="ana",
                               pdf=False)
    yield Bank(service, case.case_id, still_open, written)
    service.close()


def _root(bank: Bank) -> ET.Element:
    return ET.fromstring(bank.written.xml.read_bytes())


def test_the_xml_has_goamls_required_elements_in_the_schemas_order(bank: Bank) -> None:
    root = _root(bank)
    assert root.tag == "report"
    tags = list(dict.fromkeys(child.tag for child in root))
    assert tags == GOAML_REPORT_ORDER
    assert root.findtext("report_code") == "STR"
    assert root.findtext("entity_reference") == bank.confirmed
    assert root.findtext("currency_code_local") == "EUR"
    for child in root:
        assert len(child) or (child.text or "").strip(), f"<{child.tag}> is empty"
    for transaction in root.findall("transaction"):
        tags = [child.tag for child in transaction]
        assert tags[:6] == GOAML_TRANSACTION_START
        assert sum(t in ("t_from", "t_from_my_client") for t in tags) == 1
        assert sum(t in ("t_to", "t_to_my_client") for t in tags) == 1
        float(transaction.findtext("amount_local", ""))
    assert [i.text for i in root.iter("indicator")]


def test_its_transactions_are_the_subjects_accounts_transactions_in_the_window(
        bank: Bank) -> None:
    service = bank.service
    case = service.monitoring.case(bank.confirmed)
    full = service.store.snapshot()
    subjects = set(case.subjects)
    accounts = (set(full.accounts.loc[full.accounts["customer_id"].isin(subjects),
                                      "account_id"])
                | set(full.account_holders.loc[full.account_holders["customer_id"].isin(
                    subjects), "account_id"]))
    first_alert = min(pd.Timestamp(service.monitoring.alert(a).at) for a in case.alert_ids)
    start = first_alert - timedelta(days=90)
    end = pd.Timestamp(case.closed_at)
    tx = full.transactions
    at = pd.to_datetime(tx["timestamp"], format="ISO8601", utc=True)
    theirs = tx.loc[(tx["from_account_id"].isin(accounts) | tx["to_account_id"].isin(accounts))
                    & (at >= start) & (at <= end)]
    assert len(theirs) > 0

    root = _root(bank)
    listed = [t.findtext("transactionnumber") for t in root.findall("transaction")]
    assert sorted(listed) == sorted(theirs["transaction_id"])
    assert len(listed) == bank.written.transactions == bank.written.transactions_in_window
    dates = [t.findtext("date_transaction") for t in root.findall("transaction")]
    assert dates == sorted(dates, reverse=True), "newest first"
    amounts = dict(zip(theirs["transaction_id"], theirs["amount"], strict=True))
    for node in root.findall("transaction"):
        assert float(node.findtext("amount_local", "")) == pytest.approx(
            amounts[node.findtext("transactionnumber")], abs=0.005)
        # the subject's side is the bank's own client, with the subject's account
        mine = [s for s in node if s.tag.endswith("_my_client")]
        assert mine and all(s.findtext("*/account") in accounts for s in mine)


def test_subjects_identifiers_and_the_narrative_appear(bank: Bank) -> None:
    service = bank.service
    case = service.monitoring.case(bank.confirmed)
    region = service.store.region_snapshot(case.subjects)
    xml_text = bank.written.xml.read_text(encoding="utf-8")
    page = bank.written.html.read_text(encoding="utf-8")
    names = region.customers.set_index("customer_id").loc[case.subjects, "name"]
    for customer_id, name in names.items():
        assert customer_id in page and name in page
    shown = [n for n in names if n in xml_text]
    assert shown, "the subjects whose accounts moved money are in the XML"
    emails = region.identifiers.loc[region.identifiers["customer_id"].isin(case.subjects)
                                    & (region.identifiers["kind"] == "email")]
    assert not emails.empty
    for raw in emails["raw_value"]:
        assert raw in page
    root = _root(bank)
    reason = root.findtext("reason", "")
    assert NARRATIVE in reason and CLOSING in reason
    assert NARRATIVE in page
    assert "money_laundering" in root.findtext("action", "")
    assert "asked for the source of funds" in root.findtext("action", "")


def test_the_files_are_private_and_the_report_is_audited_once(bank: Bank) -> None:
    for path in (bank.written.xml, bank.written.html):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    entries = [e for e in bank.service.monitoring.audit(subject=f"case:{bank.confirmed}",
                                                        action="report.str")
               if e.details.get("xml") == str(bank.written.xml)]
    assert len(entries) == 1
    details = entries[0].details
    assert entries[0].actor == "ana"
    assert details["xml"] == str(bank.written.xml)
    assert details["html"] == str(bank.written.html)
    assert details["transactions"] == len(_root(bank).findall("transaction"))


def test_an_unconfirmed_case_is_refused_and_nothing_is_written(bank: Bank,
                                                              tmp_path: Path) -> None:
    out = tmp_path / "refused"
    with pytest.raises(CaseRuleError, match=r"confirmed_risk.*graphrisk cases close"):
        write_str_report(bank.service, bank.still_open, out=out, actor="ana", pdf=False)
    assert not out.exists()
    assert not bank.service.monitoring.audit(subject=f"case:{bank.still_open}",
                                             action="report.str")


def _without(xml: bytes, path: str) -> bytes:
    root = ET.fromstring(xml)
    parent_path, _, tag = path.rpartition("/")
    parent = root.find(parent_path) if parent_path else root
    assert parent is not None
    child = parent.find(tag)
    assert child is not None, path
    parent.remove(child)
    return ET.tostring(root, encoding="utf-8")


@pytest.mark.parametrize("path", ["report_code", "reason", "location", "report_indicators",
                                  "transaction/amount_local", "transaction/date_transaction",
                                  "reporting_person/last_name"])
def test_the_validator_names_a_missing_required_element(bank: Bank, path: str) -> None:
    xml = bank.written.xml.read_bytes()
    validate_goaml(xml)  # the written one passes
    with pytest.raises(ReportValidationError, match=path.rpartition("/")[2]):
        validate_goaml(_without(xml, path))


def test_the_validator_rejects_bad_amounts_dates_order_and_broken_xml(bank: Bank) -> None:
    xml = bank.written.xml.read_bytes()
    text = xml.decode("utf-8")
    amount = ET.fromstring(xml).findtext("transaction/amount_local")
    with pytest.raises(ReportValidationError, match="amount_local.*must be a number"):
        validate_goaml(text.replace(f"<amount_local>{amount}<", "<amount_local>12,5<", 1)
                       .encode())
    with pytest.raises(ReportValidationError, match="submission_date.*YYYY-MM-DDTHH:MM:SS"):
        validate_goaml(ET.tostring(_redate(xml), encoding="utf-8"))
    swapped = text.replace("<report_code>STR</report_code>", "", 1).replace(
        "</entity_reference>", "</entity_reference><report_code>STR</report_code>", 1)
    with pytest.raises(ReportValidationError, match="report_code.*out of order"):
        validate_goaml(swapped.encode())
    with pytest.raises(ReportValidationError, match="not well-formed"):
        validate_goaml(xml[: len(xml) // 2])


def _redate(xml: bytes) -> ET.Element:
    root = ET.fromstring(xml)
    node = root.find("submission_date")
    assert node is not None
    node.text = "02/12/2026"
    return root


def test_a_report_that_fails_validation_writes_nothing(bank: Bank, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    import graphrisk.reporting.service as reporting_service

    monkeypatch.setattr(reporting_service, "render_goaml",
                        lambda report: _without(render_goaml(report), "reason"))
    out = tmp_path / "invalid"
    before = len(bank.service.monitoring.audit(action="report.str"))
    with pytest.raises(ReportValidationError, match="reason"):
        write_str_report(bank.service, bank.confirmed, out=out, actor="ana", pdf=False)
    assert not out.exists()
    assert len(bank.service.monitoring.audit(action="report.str")) == before


def _report_inputs(bank: Bank) -> tuple:  # type: ignore[type-arg]
    desk = bank.service.monitoring
    case = desk.case(bank.confirmed)
    alerts = [desk.alert(a) for a in case.alert_ids]
    return case, alerts, bank.service.store.region_snapshot(case.subjects)


def test_placeholder_institution_details_are_warnings_and_real_ones_are_not(
        bank: Bank) -> None:
    assert any("GRAPHRISK_STR_INSTITUTION_NAME" in w for w in bank.written.warnings)
    assert any("GRAPHRISK_STR_INSTITUTION_ID" in w for w in bank.written.warnings)
    real = Institution(name="Nordbank AG", rentity_id=4711, branch="Hamburg",
                       swift="NORDDEHHXXX", address="Ballindamm 1", city="Hamburg",
                       country="DE", reporting_person="Erika Mustermann",
                       reporting_email="mlro@nordbank.example", currency="EUR")
    case, alerts, region = _report_inputs(bank)
    report = build_str_report(case, alerts, region, real, generated_by="ana")
    xml = render_goaml(report)
    assert validate_goaml(xml) == []
    root = ET.fromstring(xml)
    assert root.findtext("rentity_id") == "4711"
    assert root.findtext("reporting_person/last_name") == "Mustermann"
    assert not real.placeholders()


def test_a_narrative_file_replaces_the_notes_and_the_cap_is_reported(bank: Bank) -> None:
    case, alerts, region = _report_inputs(bank)
    institution = Institution.from_settings(bank.service.settings)
    report = build_str_report(case, alerts, region, institution, generated_by="ana",
                              narrative="Told in full by the MLRO.", max_transactions=3)
    assert [n.text for n in report.narrative] == ["Told in full by the MLRO."]
    assert NARRATIVE not in report.reason
    assert len(report.transactions) == 3 and report.capped
    assert any(f"newest 3 of {report.transactions_in_window}" in item
               for item in report.to_fill)


def test_the_narrative_file_option_is_read_and_an_empty_one_refused(bank: Bank,
                                                                   tmp_path: Path) -> None:
    from graphrisk.errors import ConfigError

    story = tmp_path / "story.txt"
    story.write_text("The MLRO's account of the case.\n", encoding="utf-8")
    written = write_str_report(bank.service, bank.confirmed, out=tmp_path / "with-story",
                               narrative_file=story, actor="ana", pdf=False)
    reason = ET.fromstring(written.xml.read_bytes()).findtext("reason", "")
    assert reason.startswith("The MLRO's account of the case.") and NARRATIVE not in reason
    empty = tmp_path / "empty.txt"
    empty.write_text("  \n", encoding="utf-8")
    with pytest.raises(ConfigError, match="empty"):
        write_str_report(bank.service, bank.confirmed, out=tmp_path / "x",
                         narrative_file=empty, actor="ana", pdf=False)


def test_a_case_without_transactions_in_the_window_is_refused_with_what_to_do(
        bank: Bank) -> None:
    from dataclasses import replace

    case, alerts, region = _report_inputs(bank)
    quiet = replace(region, transactions=region.transactions.iloc[0:0])
    report = build_str_report(case, alerts, quiet, Institution.from_settings(
        bank.service.settings), generated_by="ana")
    assert report.transactions == () and report.transactions_in_window == 0
    with pytest.raises(ReportValidationError, match=r"transaction> is missing.*activity report"):
        validate_goaml(render_goaml(report))

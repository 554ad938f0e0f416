"""Versioned lists and stored hits on every store: a reload of the same file changes
nothing, a changed file says what changed, hits keep their decisions across runs and are
cleared when the list no longer names them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest

from graphrisk.config import Settings, StoreKind
from graphrisk.errors import NotFoundError
from graphrisk.ingestion.generator import generate_dataset
from graphrisk.policy import load_policy
from graphrisk.screening.service import CHUNK_ENTRIES, HIT_STATUSES, ScreeningService
from graphrisk.service import RiskService
from tests.stores import STORE_PARAMS, open_test_store

HEADER = "entry_id,name,aliases,birth_date,country,programme,list_name\n"


@dataclass
class Bank:
    service: RiskService
    screening: ScreeningService
    customers: pd.DataFrame
    root: Path


@pytest.fixture(scope="module", params=STORE_PARAMS)
def bank(request: pytest.FixtureRequest,
         tmp_path_factory: pytest.TempPathFactory) -> Iterator[Bank]:
    kind: StoreKind = request.param
    root = tmp_path_factory.mktemp(f"screening-{kind.value}")
    generate_dataset(500, 11, root / "base")
    home = root / "home"
    service = RiskService(Settings(home=home, store=kind), open_test_store(kind, home),
                          load_policy())
    service.ingest_folder(root / "base")
    customers = pd.read_csv(root / "base" / "customers.csv")
    yield Bank(service, ScreeningService(service), customers, root)
    service.close()


def _people(bank: Bank, count: int) -> list[pd.Series]:
    """Customers who are people with a name no other customer has (so that a planted
    entry has one right answer)."""
    people = bank.customers[bank.customers["birth_year"].notna()
                            & bank.customers["known_risk_label"].isna()]
    unique = people[~people["name"].duplicated(keep=False)]
    unique = unique[unique["name"].str.split().str.len() == 2]
    return [row for _, row in unique.head(count).iterrows()]


def _typo(name: str) -> str:
    first, last = name.split()
    return f"{first} {last[:-2]}{last[-1]}{last[-2]}"  # two letters swapped


def _write_list(bank: Bank, name: str, rows: list[str]) -> Path:
    path = bank.root / name
    path.write_text(HEADER + "".join(rows), encoding="utf-8")
    return path


def test_a_list_is_versioned_and_a_reload_changes_nothing(bank: Bank) -> None:
    screening = bank.screening
    rows = [f"V{i},Person Number{i},,1970,DE,TEST,versions\n" for i in range(12)]
    first = _write_list(bank, "versions1.csv", rows)
    audits = len(bank.service.store.audit_entries(action="list.load"))
    loaded = screening.load_list(first, "versions", actor="ana")
    assert (loaded.version, loaded.entries, len(loaded.added), loaded.unchanged) == \
        (1, 12, 12, False)
    again = screening.load_list(first, "versions", actor="ana")
    assert again.unchanged and again.version == 1
    assert "unchanged at version 1" in again.summary()
    assert len(bank.service.store.audit_entries(action="list.load")) == audits + 1
    # v2: V0 and V1 removed, V2 changed (birth date), V12..V14 added
    changed = [*rows[3:], "V2,Person Number2,,1971,DE,TEST,versions\n",
               *(f"V{i},Person Number{i},,1970,DE,TEST,versions\n" for i in (12, 13, 14))]
    second = screening.load_list(_write_list(bank, "versions2.csv", changed), "versions",
                                 actor="bo")
    assert (second.version, second.entries) == (2, 13)
    assert second.added == ("V12", "V13", "V14") and second.removed == ("V0", "V1")
    assert second.changed == ("V2",)
    listed = {item.name: item for item in screening.lists()}["versions"]
    assert (listed.version, listed.entries, listed.loaded_by) == (2, 13, "bo")
    assert len(screening.entries("versions", version=1)) == 12
    with pytest.raises(NotFoundError, match="has no version 3"):
        screening.entries("versions", version=3)


def test_a_large_list_is_stored_in_chunks_and_read_back_whole(bank: Bank) -> None:
    count = CHUNK_ENTRIES * 2 + 7
    rows = [f"B{i:06d},Listed Person{i},Alias{i} Person,1960,FR,TEST,big\n"
            for i in range(count)]
    bank.screening.load_list(_write_list(bank, "big.csv", rows), "big")
    entries = bank.screening.entries("big")
    assert len(entries) == count and entries[-1].entry_id == f"B{count - 1:06d}"
    assert entries[5].aliases == ("Alias5 Person",)


def test_screening_finds_planted_variants_and_keeps_decisions(bank: Bank) -> None:
    screening = bank.screening
    exact, typo, swapped, initial, near = _people(bank, 5)
    year = int(near["birth_year"])
    other_country = "BR" if near["country"] != "BR" else "AR"
    rows = [
        f"S1,{exact['name']},,{int(exact['birth_year'])},{exact['country']},P1,sanctions\n",
        f"S2,{_typo(typo['name'])},,{int(typo['birth_year'])},,P2,sanctions\n",
        f"S3,{' '.join(reversed(swapped['name'].split()))},,,{swapped['country']},P3,s\n",
        f"S4,{initial['name'][0]}. {initial['name'].split()[1]},,"
        f"{int(initial['birth_year'])},{initial['country']},P4,s\n",
        f"S5,{near['name']}o,,{year - 40 if year > 1945 else year + 40},{other_country},P5,s\n",
    ]
    path = _write_list(bank, "sanctions1.csv", rows)
    screening.load_list(path, "sanctions", actor="ana")
    run = screening.screen(lists=["sanctions"], actor="ana")
    found = {(hit.entry_id, hit.subject) for hit in run.hits}
    for entry, customer in (("S1", exact), ("S2", typo), ("S3", swapped), ("S4", initial)):
        assert (entry, customer["customer_id"]) in found, (entry, customer["name"], run.hits)
    assert not any(hit.entry_id == "S5" for hit in run.hits), run.hits
    assert run.new == len(run.hits) and run.records_screened > len(bank.customers)

    # each open customer hit raised a list_match alert, filed into a case with its playbook
    customer_hits = {h.hit_id for h in run.hits if h.record_kind == "customer"}
    assert {a.evidence["hit_id"] for a in run.alerts} == customer_hits
    monitoring = bank.service.monitoring
    playbook = [step.step for step in monitoring.policy.alert_rules["list_match"].playbook]
    for alert in run.alerts:
        stored = monitoring.alert(alert.alert_id)
        assert (stored.rule, stored.severity, stored.status) == ("list_match", "high", "new")
        assert stored.evidence["entry_name"] in stored.sentence
        case = monitoring.case(str(stored.case_id))
        assert stored.customer_id in case.subjects
        assert [i.step for i in case.playbook if i.rule == "list_match"] == playbook

    # re-running changes nothing and raises nothing twice
    again = screening.screen(lists=["sanctions"], actor="ana")
    assert (again.new, again.updated, again.cleared) == (0, 0, 0)
    assert again.alerts == []
    assert {(h.hit_id, h.version) for h in again.hits} == {(h.hit_id, h.version)
                                                           for h in run.hits}

    by_entry = {hit.entry_id: hit for hit in run.hits
                if hit.subject in {c["customer_id"] for c in (exact, typo)}}
    dismissed = screening.dismiss(by_entry["S2"].hit_id, "different person: passport seen",
                                  actor="ana")
    confirmed = screening.confirm(by_entry["S1"].hit_id, "same person, same passport",
                                  actor="bo")
    assert (dismissed.status, confirmed.status) == ("dismissed", "confirmed")
    third = screening.screen(lists=["sanctions"], actor="ana")
    assert dismissed.hit_id not in {hit.hit_id for hit in third.hits}
    assert third.dismissed_kept >= 1
    assert screening.hit(dismissed.hit_id).status == "dismissed"
    assert screening.hit(confirmed.hit_id).status == "confirmed"
    actions = [e.action for e in bank.service.store.audit_entries(subject=exact["customer_id"])]
    assert "screening.confirm" in actions

    # a confirmed customer is known risk from the list (unless a label was already known);
    # the next score reads it as the known component
    assert pd.isna(exact["known_risk_label"])  # _people picks customers nobody flagged
    profile = bank.service.customer(exact["customer_id"]).properties
    assert profile["known_risk_label"] == "sanctions"
    assert "entry S1" in profile["known_risk_source"]
    assert bank.service.store.audit_entries(
        action="screening.confirm")[-1].details["known_risk_label"] == "sanctions"
    scored = bank.service.score().scores.set_index("customer_id")
    assert scored.at[exact["customer_id"], "known"] == 1.0
    dismissed_source = bank.service.customer(typo["customer_id"]).properties.get(
        "known_risk_source")
    assert not str(dismissed_source or "").startswith("screening:")

    # v2 drops S1: its confirmed hit is cleared; the dismissed one stays dismissed
    screening.load_list(_write_list(bank, "sanctions2.csv", rows[1:]), "sanctions")
    fourth = screening.screen(lists=["sanctions"], actor="ana")
    assert fourth.cleared >= 1 and fourth.lists == {"sanctions": 2}
    assert screening.hit(confirmed.hit_id).status == "cleared"
    assert screening.hit(dismissed.hit_id).status == "dismissed"
    assert confirmed.hit_id not in {hit.hit_id for hit in screening.hits(status="open")}


def test_unknown_hits_and_lists_are_errors_that_say_what_to_do(bank: Bank) -> None:
    with pytest.raises(NotFoundError, match="no screening hit 'SH-nope'; `graphrisk screen "
                       "hits` lists them"):
        bank.screening.confirm("SH-nope", "why")
    with pytest.raises(NotFoundError, match="no screening list 'nope'"):
        bank.screening.screen(lists=["nope"])


def test_counterparties_are_screened_from_an_opensanctions_file(bank: Bank) -> None:
    parties = pd.read_csv(bank.root / "base" / "counterparties.csv")
    companies = parties[parties["kind"].isin(["employer", "merchant"])
                        & ~parties["name"].duplicated(keep=False)]
    company = companies.iloc[0]
    words = company["name"].split()
    listed_name = " ".join(words[:-1])  # without its legal form
    lines = [
        json.dumps({"id": "NK-co1", "schema": "Company", "datasets": ["eu_fsf"],
                    "properties": {"name": [listed_name.upper()],
                                   "programId": ["EU-TEST"]}}),
        # a person with the company's name: never a company's match
        json.dumps({"id": "NK-pe1", "schema": "Person", "datasets": ["eu_fsf"],
                    "properties": {"name": [company["name"]], "birthDate": ["1970"]}}),
    ]
    path = bank.root / "ftm.json"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    bank.screening.load_list(path, "opensanctions")
    run = bank.screening.screen(lists=["opensanctions"])
    found = {(hit.record_id, hit.entry_id) for hit in run.hits}
    assert (f"counterparty:{company['counterparty_id']}", "NK-co1") in found, run.hits
    assert not any(entry == "NK-pe1" and record.startswith("counterparty:")
                   for record, entry in found)
    hit = next(h for h in run.hits if h.entry_id == "NK-co1")
    assert hit.programme == "EU-TEST" and hit.subject == company["counterparty_id"]


def test_a_new_customer_on_a_list_is_caught_when_their_batch_arrives(bank: Bank) -> None:
    """Incremental ingest screens the batch's new customers against the loaded lists: a hit,
    and a list_match alert filed into a case, the day the customer arrives."""
    service = bank.service
    service.score()  # monitoring re-scores against a stored run
    screening = service.screening
    rows = ["N1,Oksana Varga-Teller,,1977,HU,TEST,newcomers\n",
            "N2,Someone Else Entirely,,1950,PT,TEST,newcomers\n"]
    screening.load_list(_write_list(bank, "newcomers.csv", rows), "newcomers", actor="ana")
    before = {h.hit_id: h.status for h in screening.hits(status=list(HIT_STATUSES))}
    newcomer = bank.customers.iloc[0].copy()
    newcomer["customer_id"] = "C9900001"
    newcomer["name"] = "Oksana Varga Teller"
    newcomer["birth_year"] = 1977
    newcomer["country"] = "HU"
    newcomer["known_risk_label"] = None
    newcomer["known_risk_source"] = None
    batch = bank.root / "batch-newcomer"
    batch.mkdir()
    pd.DataFrame([newcomer]).to_csv(batch / "customers.csv", index=False)
    done = service.monitoring.ingest_incremental(batch)
    assert done.report.exit_code() == 0
    assert done.screening is not None
    assert done.screening.records_screened == 1  # only what the batch brought
    (hit,) = [h for h in done.screening.hits if h.list_name == "newcomers"]
    assert (hit.subject, hit.entry_id, hit.status) == ("C9900001", "N1", "open")
    (alert,) = done.screening.alerts
    assert alert.rule == "list_match" and alert.customer_id == "C9900001"
    assert service.monitoring.alert(alert.alert_id).case_id is not None
    # hits of records the batch did not bring are left alone (none cleared, none reopened)
    after = {h.hit_id: h.status for h in screening.hits(status=list(HIT_STATUSES))}
    assert {k: v for k, v in after.items() if k in before} == before
    assert set(after) - set(before) == {hit.hit_id}
    again = service.monitoring.ingest_incremental(batch)
    assert again.screening is None or again.screening.alerts == []

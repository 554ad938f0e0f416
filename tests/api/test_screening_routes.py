"""Screening hits and same-person pairs over HTTP: a generated bank (with planted synthetic
identities and the generator's watch list) loaded into a real store, screened and resolved,
served by the real app. Read by any role (names masked for viewers), decided by
investigators with a note, audited with the signed-in user as the actor."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient

from graphrisk.access import Role, create_api_key
from graphrisk.api import create_app
from graphrisk.api.deps import clear_key_cache
from graphrisk.config import Settings, StoreKind
from graphrisk.ingestion.generator import generate_dataset
from graphrisk.policy import load_policy
from graphrisk.service import RiskService
from tests.stores import STORE_PARAMS, open_test_store


@dataclass
class Bank:
    client: TestClient
    service: RiskService
    keys: dict[Role, str]

    def as_(self, role: Role | None) -> dict[str, str]:
        return {} if role is None else {"Authorization": f"Bearer {self.keys[role]}"}

    def get(self, path: str, role: Role = Role.INVESTIGATOR, **params: object) -> dict:
        answer = self.client.get(path, params=params, headers=self.as_(role))
        assert answer.status_code == 200, answer.text
        return answer.json()


@pytest.fixture(scope="module", params=STORE_PARAMS)
def bank(request: pytest.FixtureRequest,
         tmp_path_factory: pytest.TempPathFactory) -> Iterator[Bank]:
    kind: StoreKind = request.param
    root = tmp_path_factory.mktemp(f"api-screening-{kind.value}")
    generate_dataset(500, 7, root / "base", synthetic_identities=True)
    home = root / "home"
    settings = Settings(home=home, store=kind, api_threads=2)
    service = RiskService(settings, open_test_store(kind, home), load_policy())
    service.ingest_folder(root / "base")
    service.score()
    service.screening.load_list(root / "base" / "lists" / "sanctions.csv", "demo_watchlist",
                                actor="ana")
    assert service.screening.screen(actor="ana").hits
    assert service.resolution.resolve(actor="ana").pairs
    keys = {role: create_api_key(service.store, f"{role.value}-user", role, actor="test")
            for role in Role}
    clear_key_cache()
    with TestClient(create_app(settings, service=service),
                    raise_server_exceptions=False) as client:
        yield Bank(client, service, keys)
    service.close()


def _customer_hits(bank: Bank) -> list[dict]:
    hits = bank.get("/api/screening/hits", limit=500)["items"]
    return [h for h in hits if h["record_kind"] == "customer" and h["status"] == "open"]


def test_lists_show_what_is_loaded_with_versions(bank: Bank) -> None:
    page = bank.get("/api/screening/lists", Role.VIEWER)
    (listed,) = page["items"]
    assert (listed["name"], listed["version"], listed["loaded_by"]) == ("demo_watchlist", 1,
                                                                         "ana")
    assert listed["entries"] == len(bank.service.screening.entries("demo_watchlist")) > 0
    assert listed["versions"][0]["version"] == 1
    assert "chunks" not in listed["versions"][0]  # storage detail, not for readers


def test_hits_filter_by_customer_and_status_and_mask_names_for_viewers(bank: Bank) -> None:
    hits = _customer_hits(bank)
    assert hits, "the generator's watch list matched no customer"
    first = hits[0]
    customer = first["subject"]
    mine = bank.get("/api/screening/hits", customer_id=customer)["items"]
    assert mine and {h["subject"] for h in mine} == {customer}
    assert {h["hit_id"] for h in mine} == {h.hit_id for h in bank.service.screening.hits(
        status=["open", "confirmed"], subject=customer)}
    assert bank.get("/api/screening/hits", customer_id="C-nobody")["items"] == []
    scores = [h["score"] for h in bank.get("/api/screening/hits", limit=500)["items"]]
    assert scores == sorted(scores, reverse=True)  # best first
    assert first["entry_name"] and first["list_name"] == "demo_watchlist"
    assert first["sentence"].startswith("name ")

    seen = bank.get(f"/api/screening/hits/{first['hit_id']}", Role.VIEWER)
    assert seen["record_name"] != first["record_name"] and "••" in seen["record_name"]
    assert first["record_name"] not in seen["sentence"]
    # the entry's name is nearly the customer's own: masked too; the list's own data is not
    assert seen["entry_name"] != first["entry_name"] and "••" in seen["entry_name"]
    assert (seen["entry_id"], seen["list_name"], seen["score"]) == (
        first["entry_id"], first["list_name"], first["score"])
    reads = bank.service.store.audit_entries(action="screening.read")
    assert any(e.actor == "investigator-user" and customer in e.details["customers"]
               for e in reads)
    assert not any(e.actor == "viewer-user" for e in reads)


def test_an_investigator_confirms_and_dismisses_hits_with_a_note(bank: Bank) -> None:
    confirm, dismiss = _customer_hits(bank)[:2]
    answer = bank.client.post(f"/api/screening/hits/{confirm['hit_id']}/confirm",
                              json={"note": "same passport number as the listing"},
                              headers=bank.as_(Role.INVESTIGATOR))
    assert answer.status_code == 200, answer.text
    done = answer.json()
    assert done["status"] == "confirmed" and done["version"] > confirm["version"]
    assert done["history"][-1] == {**done["history"][-1], "by": "investigator-user",
                                   "action": "confirmed",
                                   "note": "same passport number as the listing"}
    audit = bank.service.store.audit_entries(action="screening.confirm")[-1]
    assert (audit.actor, audit.subject, audit.details["hit"]) == (
        "investigator-user", confirm["subject"], confirm["hit_id"])
    # the customer is known risk from the list now (unless another label was known first)
    label = audit.details["known_risk_label"]
    card = bank.get(f"/api/customers/{confirm['subject']}")
    assert label is None or (label, card["profile"]["known_risk_label"]) in {
        ("sanctions", "sanctions"), ("other", "other")}

    answer = bank.client.post(f"/api/screening/hits/{dismiss['hit_id']}/dismiss",
                              json={"note": "different person: born in another decade"},
                              headers=bank.as_(Role.ADMIN))
    assert answer.status_code == 200, answer.text
    assert answer.json()["status"] == "dismissed"
    assert bank.service.store.audit_entries(action="screening.dismiss")[-1].actor == \
        "admin-user"
    standing = {h["hit_id"] for h in bank.get("/api/screening/hits", limit=500)["items"]}
    assert confirm["hit_id"] in standing and dismiss["hit_id"] not in standing
    dismissed = bank.get("/api/screening/hits", status="dismissed", limit=500)["items"]
    assert [h["hit_id"] for h in dismissed] == [dismiss["hit_id"]]
    both = bank.client.get("/api/screening/hits", headers=bank.as_(Role.VIEWER),
                           params=[("status", "dismissed"), ("status", "confirmed")])
    assert {h["status"] for h in both.json()["items"]} == {"dismissed", "confirmed"}


@pytest.mark.parametrize("body", [{"note": ""}, {"note": "   "}, {}, {"note": "ok", "x": 1}])
def test_a_decision_needs_a_note(bank: Bank, body: dict) -> None:
    hit = _customer_hits(bank)[-1]
    for path in (f"/api/screening/hits/{hit['hit_id']}/confirm",
                 f"/api/screening/hits/{hit['hit_id']}/dismiss"):
        answer = bank.client.post(path, json=body, headers=bank.as_(Role.INVESTIGATOR))
        assert answer.status_code == 422, answer.text
        assert answer.headers["content-type"].startswith("application/problem+json")
        assert "note" in answer.json()["detail"] or "x" in answer.json()["detail"]
    assert bank.service.screening.hit(hit["hit_id"]).status == "open"  # nothing decided


def test_unknown_hits_and_pairs_are_404_saying_where_to_look(bank: Bank) -> None:
    for path, lists in (("/api/screening/hits/SH-000000000000", "GET /api/screening/hits"),
                        ("/api/resolution/pairs/SE-000000000000",
                         "GET /api/resolution/pairs")):
        for suffix in ("", "/confirm"):
            answer = (bank.client.get(path, headers=bank.as_(Role.INVESTIGATOR)) if not suffix
                      else bank.client.post(path + suffix, json={"note": "why"},
                                            headers=bank.as_(Role.INVESTIGATOR)))
            assert answer.status_code == 404, answer.text
            assert lists in answer.json()["detail"]
    malformed = bank.client.get("/api/screening/hits/not-a-hit",
                                headers=bank.as_(Role.INVESTIGATOR))
    assert malformed.status_code == 422


def test_viewers_may_read_but_not_decide(bank: Bank) -> None:
    hit = _customer_hits(bank)[0]
    pair = bank.get("/api/resolution/pairs")["items"][0]
    for path in (f"/api/screening/hits/{hit['hit_id']}/confirm",
                 f"/api/screening/hits/{hit['hit_id']}/dismiss",
                 f"/api/resolution/pairs/{pair['pair_id']}/confirm",
                 f"/api/resolution/pairs/{pair['pair_id']}/reject"):
        refused = bank.client.post(path, json={"note": "looks like them"},
                                   headers=bank.as_(Role.VIEWER))
        assert refused.status_code == 403, refused.text
        assert "needs the investigator role" in refused.json()["detail"]
        assert bank.client.post(path, json={"note": "x"}).status_code == 401
    assert bank.service.screening.hit(hit["hit_id"]).status == "open"
    assert bank.service.resolution.pair(pair["pair_id"]).status == "open"
    for path in ("/api/screening/lists", "/api/screening/hits", "/api/resolution/pairs"):
        assert bank.client.get(path).status_code == 401


def test_pairs_of_a_customer_confirmed_and_rejected_with_a_note(bank: Bank) -> None:
    pairs = bank.get("/api/resolution/pairs", limit=500)["items"]
    assert len(pairs) >= 2
    probabilities = [p["probability"] for p in pairs]
    assert probabilities == sorted(probabilities, reverse=True)
    first, second = pairs[:2]
    for customer in (first["customer_a"], first["customer_b"]):
        mine = bank.get("/api/resolution/pairs", customer_id=customer)["items"]
        assert first["pair_id"] in {p["pair_id"] for p in mine}
        assert all(customer in (p["customer_a"], p["customer_b"]) for p in mine)
    masked = bank.get(f"/api/resolution/pairs/{first['pair_id']}", Role.VIEWER)
    assert "••" in masked["name_a"] and first["name_a"] not in masked["sentence"]
    assert first["sentence"] == bank.service.resolution.pair(first["pair_id"]).sentence

    empty = bank.client.post(f"/api/resolution/pairs/{first['pair_id']}/confirm",
                             json={"note": ""}, headers=bank.as_(Role.INVESTIGATOR))
    assert empty.status_code == 422
    confirmed = bank.client.post(f"/api/resolution/pairs/{first['pair_id']}/confirm",
                                 json={"note": "same phone, same birth year"},
                                 headers=bank.as_(Role.INVESTIGATOR)).json()
    assert confirmed["status"] == "confirmed"
    assert confirmed["history"][-1]["by"] == "investigator-user"
    rejected = bank.client.post(f"/api/resolution/pairs/{second['pair_id']}/reject",
                                json={"note": "twins, seen both passports"},
                                headers=bank.as_(Role.INVESTIGATOR)).json()
    assert rejected["status"] == "rejected"
    audit = bank.service.store.audit_entries(action="resolution.reject")[-1]
    assert (audit.actor, audit.details["note"]) == ("investigator-user",
                                                    "twins, seen both passports")
    linked = {p["pair_id"] for p in bank.get("/api/resolution/pairs", limit=500)["items"]}
    assert first["pair_id"] in linked and second["pair_id"] not in linked
    assert [p["pair_id"] for p in bank.get("/api/resolution/pairs", status="rejected")[
        "items"]] == [second["pair_id"]]


def _finished(bank: Bank, job_id: str) -> dict:
    deadline = time.monotonic() + 240
    while True:
        job = bank.get(f"/api/jobs/{job_id}", Role.VIEWER)
        if job["status"] in ("succeeded", "failed") or time.monotonic() > deadline:
            return job
        time.sleep(1)


def test_an_admin_screens_and_resolves_the_bank_as_background_jobs(bank: Bank) -> None:
    refused = bank.client.post("/api/jobs", json={"kind": "screen"},
                               headers=bank.as_(Role.INVESTIGATOR))
    assert refused.status_code == 403
    dismissed = {h.hit_id for h in bank.service.screening.hits(status="dismissed")}
    started = bank.client.post("/api/jobs", json={"kind": "screen"},
                               headers=bank.as_(Role.ADMIN))
    assert started.status_code == 202, started.text
    job = _finished(bank, started.json()["job_id"])
    assert job["status"] == "succeeded", job
    assert job["result"]["lists"] == {"demo_watchlist": 1} and job["result"]["hits"] > 0
    assert job["result"]["new"] == 0  # nothing changed since the fixture screened
    # decisions are kept by a re-run
    assert {h.hit_id for h in bank.service.screening.hits(status="dismissed")} == dismissed
    audit = bank.service.store.audit_entries(action="screening.run")[-1]
    assert audit.actor == "admin-user"

    started = bank.client.post("/api/jobs", json={"kind": "resolve"},
                               headers=bank.as_(Role.ADMIN))
    job = _finished(bank, started.json()["job_id"])
    assert job["status"] == "succeeded", job
    assert job["result"]["pairs"] >= 1 and "same-person pairs" in job["result"]["summary"]


def test_a_counterparty_pair_is_listed_with_its_customer_and_decided(bank: Bank) -> None:
    pairs = bank.get("/api/resolution/pairs", limit=500)["items"]
    outside = [p for p in pairs if p["side"] == "counterparty"]
    assert outside and all(p["pair_id"].startswith("SC-") for p in outside)
    assert {p["side"] for p in pairs} == {"customer", "counterparty"}
    pair = next(p for p in outside if p["status"] == "open")
    mine = bank.get("/api/resolution/pairs", customer_id=pair["customer_a"])["items"]
    assert pair["pair_id"] in {p["pair_id"] for p in mine}
    assert bank.get(f"/api/resolution/pairs/{pair['pair_id']}")["customer_b"] == \
        pair["customer_b"]
    done = bank.client.post(f"/api/resolution/pairs/{pair['pair_id']}/confirm",
                            json={"note": "her statement shows the account"},
                            headers=bank.as_(Role.INVESTIGATOR))
    assert done.status_code == 200 and done.json()["status"] == "confirmed"
    links = bank.service.store.counterparty_entity_links().set_index("pair_id")
    assert links.at[pair["pair_id"], "probability"] == 1.0

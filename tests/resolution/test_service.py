"""Resolution on every store: pairs stored with their reasons, clusters, decisions kept
across runs and audited."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pandas as pd
import pytest

from graphrisk.config import Settings, StoreKind
from graphrisk.errors import NotFoundError
from graphrisk.ingestion.generator import generate_dataset
from graphrisk.policy import load_policy
from graphrisk.resolution.service import (
    PAIR_KIND,
    ResolutionService,
    SameEntityPair,
    counterparty_pair_key,
    pair_key,
)
from graphrisk.service import RiskService
from tests.stores import STORE_PARAMS, open_test_store


@dataclass
class Bank:
    service: RiskService
    resolution: ResolutionService
    same_person: pd.DataFrame
    outside_accounts: pd.DataFrame


@pytest.fixture(scope="module", params=STORE_PARAMS)
def bank(request: pytest.FixtureRequest,
         tmp_path_factory: pytest.TempPathFactory) -> Iterator[Bank]:
    kind: StoreKind = request.param
    root = tmp_path_factory.mktemp(f"resolution-{kind.value}")
    generate_dataset(1000, 5, root / "base", watchlists=False, synthetic_identities=True)
    home = root / "home"
    service = RiskService(Settings(home=home, store=kind), open_test_store(kind, home),
                          load_policy())
    service.ingest_folder(root / "base")
    yield Bank(service, service.resolution,
               pd.read_csv(root / "base" / "truth" / "same_person.csv"),
               pd.read_csv(root / "base" / "truth" / "outside_accounts.csv"))
    service.close()


def test_resolve_stores_pairs_with_reasons_and_clusters(bank: Bank) -> None:
    run = bank.resolution.resolve(actor="ana")
    assert run.records > 800 and run.pairs and run.new == len(run.pairs)
    person = bank.same_person.set_index("customer_id")["person_id"]
    customer_pairs = _customer_pairs(run.pairs)
    right = [p for p in customer_pairs
             if person.get(p.customer_a, "a") == person.get(p.customer_b)]
    assert len(right) >= 0.9 * len(customer_pairs)
    pair = right[0]
    assert pair.pair_id == pair_key(pair.customer_b, pair.customer_a)
    assert pair.sentence.startswith("name '") and f"match {pair.probability:.2f}" in \
        pair.sentence
    assert "name" in pair.agreed
    stored = bank.service.store.get_record(PAIR_KIND, pair.pair_id)
    assert stored is not None and stored.status == "open"
    assert any({pair.customer_a, pair.customer_b} <= set(c) for c in run.clusters)
    again = bank.resolution.resolve(actor="ana")
    assert again.new == 0 and again.updated == 0 and again.cleared == 0
    assert [p.pair_id for p in again.pairs] == [p.pair_id for p in run.pairs]


def test_decisions_are_kept_across_runs_and_audited(bank: Bank) -> None:
    run = bank.resolution.resolve(actor="ana")
    rejected, confirmed = _customer_pairs(run.pairs)[-1], _customer_pairs(run.pairs)[0]
    with pytest.raises(ValueError, match="--note"):
        bank.resolution.reject(rejected.pair_id, " ")
    with pytest.raises(NotFoundError, match="graphrisk resolve"):
        bank.resolution.confirm("SE-000000000000", "x")
    assert bank.resolution.reject(rejected.pair_id, "two brothers", actor="bo").status \
        == "rejected"
    assert bank.resolution.confirm(confirmed.pair_id, "same passport", actor="bo").status \
        == "confirmed"
    later = bank.resolution.resolve(actor="ana")
    ids = {p.pair_id for p in later.pairs}
    assert rejected.pair_id not in ids and later.rejected_kept == 1
    assert not any({rejected.customer_a, rejected.customer_b} == set(c)
                   for c in later.clusters)
    # A threshold no pair reaches clears the open pairs; the confirmed one stays linked.
    strict = bank.resolution.resolve(threshold=0.999999999, actor="ana")
    assert confirmed.pair_id in {p.pair_id for p in strict.pairs}
    assert bank.resolution.pair(rejected.pair_id).status == "rejected"
    assert bank.resolution.pair(confirmed.pair_id).status == "confirmed"
    labels = bank.resolution.decided_labels().set_index(["unique_id_l", "unique_id_r"])
    assert labels.loc[(rejected.customer_a, rejected.customer_b), "clerical_match_score"] == 0
    assert labels.loc[(confirmed.customer_a, confirmed.customer_b), "clerical_match_score"] == 1
    actions = [entry.action for entry in bank.service.store.audit_entries()]
    assert "resolution.reject" in actions and "resolution.confirm" in actions
    assert "resolution.run" in actions
    bank.resolution.resolve(actor="ana")  # back to the default threshold for other tests


def test_linked_pairs_are_the_graphs_links_and_reasons_in_the_score(bank: Bank) -> None:
    run = bank.resolution.resolve(actor="ana")
    store = bank.service.store
    links = store.same_entity_links()
    linked = {p.pair_id for p in _customer_pairs(
        bank.resolution.pairs(status=("open", "confirmed")))}
    outside = store.counterparty_entity_links()
    assert run.links == len(links) + len(outside)
    assert len(links) == len(linked) and set(links["pair_id"]) == linked
    # Rejecting a pair removes its link at once; confirming one makes it weigh in full.
    victim = next(p for p in _customer_pairs(run.pairs) if p.status == "open")
    bank.resolution.reject(victim.pair_id, "not the same", actor="bo")
    assert victim.pair_id not in set(store.same_entity_links()["pair_id"])
    kept = store.same_entity_links().set_index("pair_id")
    confirmed = [p.pair_id for p in bank.resolution.pairs(status="confirmed")]
    assert confirmed  # the decisions test confirmed one
    assert (kept.loc[confirmed, "probability"] == 1.0).all()
    assert kept.loc[confirmed, "sentence"].str.endswith("confirmed by an investigator").all()
    # A known fraudster's other record: the score says who it probably is, and why.
    pair = next(p for p in _customer_pairs(bank.resolution.pairs(status="open")))
    store.set_known_label(pair.customer_a, "fraud", "test: confirmed")
    try:
        scores = bank.service.score().scores.set_index("customer_id")
        reasons = " ".join(scores.at[pair.customer_b, "reasons"])
        assert f"probably the same person as {pair.customer_a} (confirmed fraud)" in reasons
        assert pair.sentence in reasons
    finally:
        store.set_known_label(pair.customer_a, None, None)
        bank.resolution.confirm(victim.pair_id, "restored for other tests", actor="bo")


def _customer_pairs(pairs: list[SameEntityPair]) -> list[SameEntityPair]:
    return [pair for pair in pairs if pair.side == "customer"]


def test_counterparties_found_as_their_customers_and_namesakes_not(bank: Bank) -> None:
    run = bank.resolution.resolve(actor="ana")
    found = {(p.counterparty_id, p.customer_a): p for p in run.counterparty_pairs}
    truth = bank.outside_accounts
    planted = truth[truth["role"] != "near_miss"]
    assert len(planted) >= 4
    hits = [(cp, c) in found for cp, c in zip(planted["counterparty_id"],
                                              planted["customer_id"], strict=True)]
    assert sum(hits) >= 0.8 * len(planted), run.counterparty_pairs
    near = truth[truth["role"] == "near_miss"]
    assert not any((cp, c) in found for cp, c in zip(near["counterparty_id"],
                                                     near["customer_id"], strict=True))
    # Those the truth knows are linked to their own customer, not another.
    owner = truth.set_index("counterparty_id")["customer_id"]
    known = [p for p in run.counterparty_pairs if p.counterparty_id in owner.index]
    assert known and all(owner[p.counterparty_id] == p.customer_a for p in known)
    pair = next(p for p in run.counterparty_pairs if (p.counterparty_id, p.customer_a)
                in set(zip(planted["counterparty_id"], planted["customer_id"], strict=True)))
    assert pair.pair_id == counterparty_pair_key(pair.counterparty_id, pair.customer_a)
    assert "payment" in pair.sentence and f"match {pair.probability:.2f}" in pair.sentence
    assert "own payments" in pair.agreed
    # The store holds them as the graph's links, and a snapshot carries them.
    links = bank.service.store.counterparty_entity_links()
    linked = {p.pair_id for p in run.counterparty_pairs}
    assert set(links["pair_id"]) == linked
    assert set(bank.service.store.snapshot().counterparty_entity["pair_id"]) == linked
    assert set(bank.service.store.counterparty_entity_links(
        counterparty_ids=[pair.counterparty_id])["pair_id"]) == {pair.pair_id}


def test_a_known_fraudsters_outside_account_links_those_who_pay_it(bank: Bank) -> None:
    bank.resolution.resolve(actor="ana")
    truth = bank.outside_accounts
    known = truth[truth["role"] == "known"].iloc[0]
    store = bank.service.store
    label = store.snapshot().customers.set_index("customer_id").at[
        known["customer_id"], "known_risk_label"]
    assert isinstance(label, str)
    payers = store.snapshot().transactions.query(
        "to_counterparty_id == @known.counterparty_id")["from_account_id"]
    accounts = store.snapshot().accounts.set_index("account_id")["customer_id"]
    others = set(accounts.reindex(payers)) - {known["customer_id"]}
    assert others
    scores = bank.service.score().scores.set_index("customer_id")
    wording = f"probably an account of {known['customer_id']} ({'confirmed'}"
    reasons = {c: " ".join(scores.at[c, "reasons"]) for c in others}
    assert any(wording in text and known["counterparty_id"] in text
               for text in reasons.values()), reasons
    # Rejected, the counterparty links nobody: the reason is gone from the next score.
    pair = bank.resolution.pair(counterparty_pair_key(known["counterparty_id"],
                                                      known["customer_id"]))
    bank.resolution.reject(pair.pair_id, "a namesake", actor="bo")
    try:
        assert pair.pair_id not in set(store.counterparty_entity_links()["pair_id"])
        again = bank.service.score().scores.set_index("customer_id")
        assert not any(wording in " ".join(again.at[c, "reasons"]) for c in others)
        assert bank.resolution.resolve(actor="ana").rejected_kept >= 1
    finally:
        bank.resolution.confirm(pair.pair_id, "restored for other tests", actor="bo")
    assert store.counterparty_entity_links().set_index("pair_id").at[
        pair.pair_id, "probability"] == 1.0

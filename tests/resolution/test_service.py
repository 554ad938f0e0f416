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
from graphrisk.resolution.service import PAIR_KIND, ResolutionService, pair_key
from graphrisk.service import RiskService
from tests.stores import STORE_PARAMS, open_test_store


@dataclass
class Bank:
    service: RiskService
    resolution: ResolutionService
    same_person: pd.DataFrame


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
               pd.read_csv(root / "base" / "truth" / "same_person.csv"))
    service.close()


def test_resolve_stores_pairs_with_reasons_and_clusters(bank: Bank) -> None:
    run = bank.resolution.resolve(actor="ana")
    assert run.records > 800 and run.pairs and run.new == len(run.pairs)
    person = bank.same_person.set_index("customer_id")["person_id"]
    right = [p for p in run.pairs if person.get(p.customer_a, "a") == person.get(p.customer_b)]
    assert len(right) >= 0.9 * len(run.pairs)
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
    rejected, confirmed = run.pairs[-1], run.pairs[0]
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
    linked = {p.pair_id for p in bank.resolution.pairs(status=("open", "confirmed"))}
    assert run.links == len(links) == len(linked) and set(links["pair_id"]) == linked
    # Rejecting a pair removes its link at once; confirming one makes it weigh in full.
    victim = next(p for p in run.pairs if p.status == "open")
    bank.resolution.reject(victim.pair_id, "not the same", actor="bo")
    assert victim.pair_id not in set(store.same_entity_links()["pair_id"])
    kept = store.same_entity_links().set_index("pair_id")
    confirmed = [p.pair_id for p in bank.resolution.pairs(status="confirmed")]
    assert confirmed  # the decisions test confirmed one
    assert (kept.loc[confirmed, "probability"] == 1.0).all()
    assert kept.loc[confirmed, "sentence"].str.endswith("confirmed by an investigator").all()
    # A known fraudster's other record: the score says who it probably is, and why.
    pair = next(p for p in bank.resolution.pairs(status="open"))
    store.set_known_label(pair.customer_a, "fraud", "test: confirmed")
    try:
        scores = bank.service.score().scores.set_index("customer_id")
        reasons = " ".join(scores.at[pair.customer_b, "reasons"])
        assert f"probably the same person as {pair.customer_a} (confirmed fraud)" in reasons
        assert pair.sentence in reasons
    finally:
        store.set_known_label(pair.customer_a, None, None)
        bank.resolution.confirm(victim.pair_id, "restored for other tests", actor="bo")

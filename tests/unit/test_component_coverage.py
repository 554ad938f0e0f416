"""Each scoring run says which components had data to work on (issue 14, item 2): a bank
without identifiers gets no ring detection, one whose transfers are all below a typology
threshold the policy fixes gets no typologies (a derived threshold follows the bank's
amounts), and a component without data is left out of the score."""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest

from graphrisk.analytics.network import PythonNetworkEngine
from graphrisk.graph import GraphSnapshot
from graphrisk.ingestion.generator import generate_dataset
from graphrisk.ingestion.loader import ingest_directory
from graphrisk.policy import RiskPolicy, TypologyPolicy, load_policy
from graphrisk.scoring import (
    COMPONENTS,
    ScoringResult,
    ScoringSettings,
    fuse_components,
    score_customers,
    score_store,
)
from graphrisk.store.embedded import EmbeddedGraphStore

CUSTOMERS, SEED = 500, 5


@pytest.fixture(scope="module")
def bank(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, ScoringResult, GraphSnapshot]:
    root = tmp_path_factory.mktemp("coverage")
    generate_dataset(CUSTOMERS, SEED, root / "data")
    with EmbeddedGraphStore(root / "graphrisk.db") as store:
        ingest_directory(store, root / "data")
        return root / "graphrisk.db", score_store(store, load_policy()), store.snapshot()


def _score(snapshot: GraphSnapshot, policy: RiskPolicy | None = None) -> ScoringResult:
    return score_customers(snapshot, PythonNetworkEngine(snapshot), policy or load_policy())


def _fixed_floor(min_amount: float) -> RiskPolicy:
    """The default policy with the typology floor fixed, as a team may set it."""
    policy = load_policy()
    return policy.model_copy(update={"typologies": TypologyPolicy(min_amount=min_amount)})


def _coverage(result: ScoringResult, component: str):
    (found,) = [c for c in result.coverage if c.component == component]
    return found


def test_a_generated_bank_has_data_for_every_component_but_the_model(bank) -> None:
    _, result, _ = bank
    assert [c.component for c in result.coverage] == list(COMPONENTS)
    assert result.left_out() == ("model",)
    assert "no trained model" in _coverage(result, "model").detail
    typology = _coverage(result, "typology")
    assert "reach the typology threshold of " in typology.detail
    assert "(derived from this bank's transfers; median transfer " in typology.detail
    assert result.typologies.settings.min_amount != 1000
    assert _coverage(result, "network").missing == ()


def test_the_coverage_is_stored_with_the_run(bank) -> None:
    db, result, _ = bank
    with closing(sqlite3.connect(db)) as conn:
        (params,) = conn.execute("SELECT params FROM score_runs WHERE run_id = ?",
                                 (result.run_id,)).fetchone()
    stored = json.loads(params)["coverage"]
    assert [c["component"] for c in stored] == list(COMPONENTS)
    assert stored == [c.describe() for c in result.coverage]
    assert {c["component"]: c["has_data"] for c in stored}["model"] is False


def test_a_bank_without_identifiers_has_no_ring_detection(bank) -> None:
    _, _, snapshot = bank
    result = _score(replace(snapshot, identifiers=snapshot.identifiers.iloc[0:0]))
    network = _coverage(result, "network")
    # The payments between customers still carry the propagation ...
    assert network.has_data
    # ... but no ring can be found, and the run says so.
    assert network.missing == (
        "ring detection: no shared identifiers in this bank (no identifiers loaded)",)
    assert result.network.rings.empty


def test_transfers_all_below_the_typology_threshold_leave_typologies_out(bank) -> None:
    _, full, snapshot = bank
    # The same bank in a currency whose largest transfer is 900. Derived from its own
    # transfers, the floor scales with them: the same patterns are found.
    amounts = snapshot.transactions["amount"]
    small = snapshot.transactions.assign(amount=amounts * (900 / amounts.max()))
    derived = _score(replace(snapshot, transactions=small))
    assert _coverage(derived, "typology").has_data
    assert len(derived.typologies.instances) == len(full.typologies.instances) > 0
    # A floor the policy fixes at 1,000 is above every one of them.
    result = _score(replace(snapshot, transactions=small), _fixed_floor(1000))
    typology = _coverage(result, "typology")
    assert not typology.has_data
    assert typology.detail.startswith(
        "no transfer reaches the typology threshold of 1,000 (the bank's median transfer is ")
    assert typology.detail.endswith(", its largest 900)")
    assert "typology" in result.left_out()
    assert (result.scores["typology"] == 0).all()
    assert _coverage(full, "typology").has_data


def test_a_component_without_data_is_left_out_of_the_score(bank) -> None:
    _, result, snapshot = bank
    # No identifiers, no co-held accounts, no payments between customers: nothing links
    # two customers, so nothing propagates from the known-risk ones.
    ledger_accounts = set(snapshot.accounts["account_id"])
    between = (snapshot.transactions["from_account_id"].isin(ledger_accounts)
               & snapshot.transactions["to_account_id"].isin(ledger_accounts))
    alone = replace(snapshot, identifiers=snapshot.identifiers.iloc[0:0],
                    account_holders=snapshot.account_holders.iloc[0:0],
                    transactions=snapshot.transactions[~between])
    isolated = _score(alone)
    network = _coverage(isolated, "network")
    assert not network.has_data
    assert network.detail.startswith("no links between customers to propagate along")
    assert "no payments between customers" in network.missing
    # A known-risk customer's own propagated risk would otherwise count as network
    # evidence; left out, it is 0 for everyone and no reason speaks of the network.
    assert (isolated.scores["network"] == 0).all()
    # The full run had it, for the known-risk customers too.
    known = result.scores[result.scores["known_risk_label"].notna()]
    assert (known["network"] > 0).any()


def test_fusion_gives_a_left_out_component_no_weight() -> None:
    components = pd.DataFrame(0.0, index=["a", "b"], columns=list(COMPONENTS))
    components.loc["a", "typology"] = 0.8
    components.loc["b", "individual"] = 0.5
    weights = ScoringSettings().weights
    with_it = fuse_components(components, weights)
    without = fuse_components(components, weights, left_out=["typology"])
    assert with_it[0] > 0 and without[0] == 0.0
    assert without[1] == with_it[1]


def test_a_bank_whose_transfers_mostly_miss_the_threshold_is_told_so(bank) -> None:
    _, _, snapshot = bank
    # A hundred times smaller, under a floor the policy fixes at 1,000: a handful of large
    # transfers still reach it.
    cents = snapshot.transactions.assign(amount=snapshot.transactions["amount"] * 0.01)
    typology = _coverage(_score(replace(snapshot, transactions=cents), _fixed_floor(1000)),
                         "typology")
    assert typology.has_data
    (gap,) = typology.missing
    assert gap.startswith("only ") and "reach the typology threshold of 1,000" in gap
    assert "the bank's median transfer is " in gap

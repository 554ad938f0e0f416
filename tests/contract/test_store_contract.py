"""One suite over every store: the same input must give the same graph.

The ``store`` fixture is parametrised over every store in the registry
(:data:`tests.stores.STORE_PARAMS`), so every assertion here holds for each of them.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from graphrisk.domain import NodeLabel, RelType
from graphrisk.errors import NotFoundError
from graphrisk.graph import NodeRef
from graphrisk.ingestion.loader import ingest_directory
from graphrisk.store import registered_kinds
from graphrisk.store.base import GraphStore, StoreCapability


def _customer(cid: str) -> NodeRef:
    return NodeRef(NodeLabel.CUSTOMER, cid)


def test_counts_after_load(loaded: GraphStore) -> None:
    assert loaded.counts() == {
        "customers": 6, "counterparties": 2, "accounts": 7, "account_holders": 1,
        "identifiers": 8, "transactions": 7, "disputes": 1, "loans": 1, "account_changes": 3,
        "customer_features": 0, "identifier_nodes": 4,
    }


def test_reloading_the_same_folder_adds_nothing(loaded: GraphStore, tiny_dir: Path) -> None:
    before = loaded.counts()
    report = ingest_directory(loaded, tiny_dir)
    assert loaded.counts() == before
    assert report.rows_loaded == report.rows_read
    assert all(t.batches_skipped == 1 for t in report.tables)


def test_reloading_changed_rows_updates_them_in_place(loaded: GraphStore, tiny_dir: Path,
                                                      tmp_path: Path) -> None:
    changed = tmp_path / "changed"
    changed.mkdir()
    text = (tiny_dir / "customers.csv").read_text().replace("Alice Martin", "Alice Martin-Roy")
    (changed / "customers.csv").write_text(text)
    before = loaded.counts()
    ingest_directory(loaded, changed)
    assert loaded.counts() == before
    assert loaded.get_node(_customer("C1")).properties["name"] == "Alice Martin-Roy"


def test_get_node_properties_are_typed(loaded: GraphStore) -> None:
    node = loaded.get_node(_customer("C2"))
    assert node.properties["credit_score"] == 580
    assert node.properties["known_risk_label"] == "fraud"
    assert node.properties["onboarding_date"] == "2023-01-10"
    with pytest.raises(NotFoundError, match="Customer 'C404' not found"):
        loaded.get_node(_customer("C404"))


def test_shared_identifiers_are_normalised_into_one_node(loaded: GraphStore) -> None:
    sub = loaded.neighbourhood(NodeRef(NodeLabel.IDENTIFIER, "device:dev-91"), hops=1)
    assert {n.ref for n in sub.nodes} == {
        NodeRef(NodeLabel.IDENTIFIER, "device:dev-91"), _customer("C2"), _customer("C3"),
        _customer("C4"),
    }
    assert {r.type for r in sub.relationships} == {RelType.HAS_IDENTIFIER}


def test_two_hop_neighbourhood(loaded: GraphStore) -> None:
    sub = loaded.neighbourhood(_customer("C2"), hops=2)
    assert {str(ref) for ref in sub.node_refs()} == {
        "Customer:C2", "Account:A2", "Identifier:device:dev-91", "Identifier:phone:40721000222",
        "Customer:C3", "Customer:C4", "Account:A3", "Account:A4",
    }
    transfers = {(str(r.start), str(r.end)): dict(r.properties) for r in sub.relationships
                 if r.type is RelType.TRANSFERRED}
    assert transfers == {
        ("Account:A2", "Account:A3"): {"total_amount": 9500.0, "transactions": 1,
                                       "first_at": "2024-02-03T10:00:00Z",
                                       "last_at": "2024-02-03T10:00:00Z"},
        ("Account:A4", "Account:A2"): {"total_amount": 9300.0, "transactions": 1,
                                       "first_at": "2024-02-04T09:15:00Z",
                                       "last_at": "2024-02-04T09:15:00Z"},
    }
    assert not sub.truncated


def test_neighbourhood_limit_truncates(loaded: GraphStore) -> None:
    sub = loaded.neighbourhood(_customer("C2"), hops=3, limit=4)
    assert sub.truncated
    assert len(sub.nodes) <= 4


def test_shortest_path_follows_the_cycle(loaded: GraphStore) -> None:
    path = loaded.shortest_path(NodeRef(NodeLabel.ACCOUNT, "A2"),
                                NodeRef(NodeLabel.ACCOUNT, "A5"))
    assert path is not None
    assert path.length == 2
    assert path.nodes[1] == NodeRef(NodeLabel.ACCOUNT, "A4")
    assert path.relationships == (RelType.TRANSFERRED, RelType.TRANSFERRED)


def test_shortest_path_through_a_co_holder_and_an_address(loaded: GraphStore) -> None:
    path = loaded.shortest_path(_customer("C1"), _customer("C6"))
    assert path is not None and path.length == 2
    assert loaded.shortest_path(_customer("C1"), _customer("C4"), max_hops=6) is None


def test_snapshot_matches_counts(loaded: GraphStore) -> None:
    snap = loaded.snapshot()
    counts = loaded.counts()
    # Resolution's links are derived, not loaded data.
    derived = {"same_entity": len(loaded.same_entity_links()),
               "counterparty_entity": len(loaded.counterparty_entity_links())}
    assert {k: snap.counts()[k] for k in derived} == derived == {
        "same_entity": 0, "counterparty_entity": 0}
    for entity, n in snap.counts().items():
        if entity not in derived:
            assert n == counts[entity]
    assert list(snap.customers["customer_id"]) == ["C1", "C2", "C3", "C4", "C5", "C6"]
    ring = snap.identifiers[snap.identifiers["identifier_id"] == "device:dev-91"]
    assert sorted(ring["customer_id"]) == ["C2", "C3", "C4"]
    assert snap.transactions["amount"].sum() == pytest.approx(41854.2)


def test_scores_keep_their_history(loaded: GraphStore) -> None:
    first = pd.DataFrame({"customer_id": ["C2", "C3"], "score": [91.0, 40.0],
                          "tier": ["high", "medium"],
                          "reasons": [["known fraud"], ["shares device:dev-91 with C2"]]})
    loaded.write_scores("run-1", "test", {"note": "first"}, first)
    loaded.write_scores("run-2", "test", {}, first.assign(score=[95.0, 42.0]))
    history = loaded.score_history("C3")
    assert list(history["run_id"]) == ["run-2", "run-1"]
    assert list(history["score"]) == [42.0, 40.0]
    assert history["reasons"].iloc[0] == ["shares device:dev-91 with C2"]


def test_reloading_a_moved_transaction_moves_it(loaded: GraphStore, tmp_path: Path) -> None:
    changed = tmp_path / "moved"
    changed.mkdir()
    (changed / "transactions.csv").write_text(
        "transaction_id,from_account_id,from_counterparty_id,to_account_id,to_counterparty_id,"
        "amount,currency,timestamp,channel,transaction_type\n"
        "T7,A6,,A1,,500.00,EUR,2024-02-06T08:00:00,online,transfer\n"
    )
    before = loaded.counts()
    report = ingest_directory(loaded, changed)
    assert report.errors == []
    assert loaded.counts() == before
    path = loaded.shortest_path(NodeRef(NodeLabel.ACCOUNT, "A6"), NodeRef(NodeLabel.ACCOUNT, "A1"))
    assert path is not None and path.length == 1
    sub = loaded.neighbourhood(NodeRef(NodeLabel.ACCOUNT, "A7"), hops=1)
    assert RelType.TRANSFERRED not in {r.type for r in sub.relationships}


def test_load_bookkeeping(loaded: GraphStore) -> None:
    loads = loaded.loads()
    assert loads["status"].tolist() == ["completed"]
    load_id = loads["load_id"].iloc[0]
    assert ("customers.csv", 0) in loaded.completed_batches(load_id)
    assert loaded.existing_ids("accounts") == {f"A{i}" for i in range(1, 8)}
    assert "T3" in loaded.existing_ids("transactions")
    assert loaded.consistency_problems() == []


def test_customer_features_load_reload_and_come_back(loaded: GraphStore,
                                                     tmp_path: Path) -> None:
    folder = tmp_path / "features"
    folder.mkdir()
    path = folder / "customer_features.csv"
    path.write_text("customer_id,feature,value\n"
                    "C2,Debt_Ratio,0.75\nC2,bureau_inquiries,3\nC1,debt_ratio,0.2\n"
                    "C9,debt_ratio,1\nC3,bad name!,1\n")
    before = loaded.counts()
    report = ingest_directory(loaded, folder)
    assert sorted((p.row, p.column) for p in report.errors) == [(5, "customer_id"),
                                                                (6, "feature")]
    assert loaded.counts() == {**before, "customer_features": 3}
    again = ingest_directory(loaded, folder)  # the same file: nothing new
    assert again.rows_loaded == 3
    path.write_text("customer_id,feature,value\nC2,debt_ratio,0.5\n")
    ingest_directory(loaded, folder)  # a changed value updates its row in place
    assert loaded.counts() == {**before, "customer_features": 3}
    features = loaded.snapshot().customer_features
    assert list(features.columns) == ["customer_id", "feature", "value"]
    assert features.values.tolist() == [["C1", "debt_ratio", 0.2],
                                        ["C2", "bureau_inquiries", 3.0],
                                        ["C2", "debt_ratio", 0.5]]
    # Attributes, not network: a customer's neighbourhood does not reach its features.
    sub = loaded.neighbourhood(_customer("C2"), hops=1)
    assert {ref.label for ref in sub.node_refs()} == {NodeLabel.CUSTOMER, NodeLabel.ACCOUNT,
                                                       NodeLabel.IDENTIFIER}
    assert loaded.consistency_problems() == []


def test_capabilities_say_what_the_store_offers(store: GraphStore) -> None:
    assert store.kind in registered_kinds()
    engine = store.in_database_network_engine()
    assert (engine is not None) == (StoreCapability.IN_DATABASE_NETWORK in store.capabilities)


def test_bad_scores_are_refused_before_anything_is_written(loaded: GraphStore) -> None:
    scores = pd.DataFrame({"customer_id": ["C2", "C2"], "score": [1.0, 2.0],
                           "tier": ["low", "low"], "reasons": [[], []]})
    with pytest.raises(ValueError, match="more than once"):
        loaded.write_scores("bad", "test", {}, scores)
    assert loaded.score_history("C2").empty
    missing = pd.DataFrame({"customer_id": ["C2", "C3"], "score": [float("nan"), 5.0],
                            "tier": ["low", "low"], "reasons": [["x"], ["y"]]})
    loaded.write_scores("partial", "test", {}, missing)
    assert loaded.score_history("C2").empty  # no score, no row
    assert loaded.score_history("C3")["score"].tolist() == [5.0]

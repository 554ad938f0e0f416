"""The store base class: behaviour written once, over primitives a store implements.

A toy store kept in dictionaries implements only the primitives, and gets node look-up,
walks, score checks and error wrapping from :class:`GraphStore` — what a third store would.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd
import pytest

from graphrisk.config import StoreKind
from graphrisk.domain import EntitySpec, NodeLabel, RelType
from graphrisk.errors import NotFoundError, StoreError, StoreUnavailableError
from graphrisk.graph import GraphPath, GraphSnapshot, NodeRef
from graphrisk.scoring import network_engine_for
from graphrisk.store.base import (
    COUNT_NAMES,
    BatchCheckpoint,
    GraphStore,
    ScoreRow,
    ScoreRun,
    StoreCapability,
)
from graphrisk.store.embedded import EmbeddedGraphStore
from graphrisk.store.neo4j import Neo4jGraphStore
from graphrisk.store.traversal import Edge


class ToyDriverError(Exception):
    """What the toy store's 'driver' raises when a statement fails."""


class ToyConnectionLost(Exception):
    """What the toy store's 'driver' raises when the database is gone."""


C1, C2, C3 = (NodeRef(NodeLabel.CUSTOMER, f"C{i}") for i in (1, 2, 3))
A1 = NodeRef(NodeLabel.ACCOUNT, "A1")


class ToyStore(GraphStore):
    """C1 owns A1; C1 and C2 share a device; C3 stands alone. Only primitives here."""

    kind = StoreKind.EMBEDDED
    title = "toy"
    preferred_batch_size = 10
    _statement_errors = (ToyDriverError,)
    _unavailable_errors = (ToyConnectionLost,)

    def __init__(self) -> None:
        super().__init__()
        device = NodeRef(NodeLabel.IDENTIFIER, "device:d1")
        self.nodes: dict[NodeRef, dict[str, Any]] = {
            C1: {"customer_id": "C1"}, C2: {"customer_id": "C2"}, C3: {"customer_id": "C3"},
            A1: {"account_id": "A1"}, device: {"identifier_id": "device:d1"}}
        self.edges: list[Edge] = [
            (RelType.OWNS, C1, A1, (("role", "owner"),)),
            (RelType.HAS_IDENTIFIER, C1, device, ()), (RelType.HAS_IDENTIFIER, C2, device, ()),
        ]
        self.scores: list[tuple[ScoreRun, ScoreRow]] = []
        self.fail_with: BaseException | None = None
        self.closed = 0

    def _location(self) -> str:
        return "memory"

    def _write_batch(self, entity: str, rows: pd.DataFrame,
                     checkpoint: BatchCheckpoint | None) -> None:
        if self.fail_with is not None:
            raise self.fail_with

    def _begin_load(self, load_id: str, sources: str, started_at: str) -> None: ...

    def _finish_load(self, load_id: str, summary: str, finished_at: str) -> None: ...

    def _completed_batches(self, load_id: str) -> Iterable[tuple[str, int]]:
        return []

    def _load_rows(self) -> Iterable[tuple[Any, ...]]:
        return [("b", "2024-01-02", None, "running", None),
                ("a", "2024-01-01", "2024-01-01", "completed", "{}")]

    def _ids(self, spec: EntitySpec) -> Iterable[str]:
        return [ref.id for ref in self.nodes if ref.label is spec.label]

    def _count_rows(self) -> Mapping[str, int]:
        return dict.fromkeys(COUNT_NAMES, 0)

    def _fetch_nodes(self, label: NodeLabel, ids: list[str]) -> dict[str, dict[str, Any]]:
        if self.fail_with is not None:
            raise self.fail_with
        return {i: self.nodes[NodeRef(label, i)] for i in ids if NodeRef(label, i) in self.nodes}

    def _adjacent(self, frontier: dict[NodeLabel, list[str]]) -> list[Edge]:
        refs = {NodeRef(label, i) for label, ids in frontier.items() for i in ids}
        return [edge for edge in self.edges if edge[1] in refs or edge[2] in refs]

    def _entity_frame(self, spec: EntitySpec, columns: list[str]) -> pd.DataFrame:
        return pd.DataFrame(columns=columns)

    def _consistency_problems(self) -> list[str]:
        return []

    def _write_score_rows(self, run: ScoreRun, rows: list[ScoreRow]) -> None:
        self.scores += [(run, row) for row in rows]

    def _score_rows(self, customer_id: str) -> Iterable[tuple[Any, ...]]:
        return [(run.run_id, run.created_at, run.kind, row.score, row.tier, row.reasons)
                for run, row in self.scores if row.customer_id == customer_id]

    def _region_rows(self, spec: EntitySpec, by: str, ids: list[str],
                     columns: list[str]) -> Iterable[Iterable[Any]]:
        return []

    def _latest_score_rows(self, customer_ids: list[str] | None) -> Iterable[tuple[Any, ...]]:
        return []

    def _create_record(self, kind: str, key: str, subject: str | None, status: str | None,
                       body: str, now: str) -> tuple[tuple[Any, ...], bool]:
        raise NotImplementedError

    def _compare_and_set_record(self, kind: str, key: str, expected_version: int,
                                subject: str | None, status: str | None, body: str,
                                now: str) -> tuple[int | None, tuple[Any, ...] | None]:
        raise NotImplementedError

    def _record_row(self, kind: str, key: str) -> tuple[Any, ...] | None:
        return None

    def _record_rows(self, kind: str, subject: str | None, statuses: list[str] | None,
                     limit: int | None) -> Iterable[tuple[Any, ...]]:
        return []

    def _append_audit(self, at: str, actor: str, action: str, subject: str | None,
                      details: str) -> int:
        raise NotImplementedError

    def _audit_rows(self, subject: str | None, actor: str | None, action: str | None,
                    since_seq: int | None, limit: int | None) -> Iterable[tuple[Any, ...]]:
        return []

    def _set_known_label(self, customer_id: str, label: str | None,
                         source: str | None) -> bool:
        return NodeRef(NodeLabel.CUSTOMER, customer_id) in self.nodes

    def _replace_same_entity_links(self, links: list[dict[str, Any]]) -> int:
        return 0

    def _same_entity_rows(self, customer_ids: list[str] | None) -> list[tuple[Any, ...]]:
        return []

    def _replace_counterparty_entity_links(self, links: list[dict[str, Any]]) -> int:
        return 0

    def _counterparty_entity_rows(self, customer_ids: list[str] | None,
                                  counterparty_ids: list[str] | None,
                                  ) -> list[tuple[Any, ...]]:
        return []

    def _delete_everything(self) -> None:
        self.nodes.clear()

    def _close(self) -> None:
        self.closed += 1


def _scores(**columns: list[Any]) -> pd.DataFrame:
    base = {"customer_id": ["C1", "C2"], "score": [10.0, 20.0], "tier": ["low", "low"],
            "reasons": [["a"], ["b"]]}
    return pd.DataFrame({**base, **columns})


def test_a_store_of_primitives_only_gets_look_ups_walks_and_paths() -> None:
    store = ToyStore()
    assert store.describe() == "toy store at memory"
    assert store.get_node(C2).properties == {"customer_id": "C2"}
    with pytest.raises(NotFoundError, match="Customer 'C9' not found"):
        store.get_node(NodeRef(NodeLabel.CUSTOMER, "C9"))
    device = NodeRef(NodeLabel.IDENTIFIER, "device:d1")
    assert store.neighbourhood(C2, hops=2).node_refs() == {C1, C2, device}
    assert store.neighbourhood(C2, hops=3).node_refs() == {C1, C2, device, A1}
    assert store.shortest_path(C2, A1) == GraphPath(
        (C2, device, C1, A1),
        (RelType.HAS_IDENTIFIER, RelType.HAS_IDENTIFIER, RelType.OWNS))
    assert store.shortest_path(C1, C3) is None
    with pytest.raises(NotFoundError):
        store.shortest_path(C1, NodeRef(NodeLabel.CUSTOMER, "C9"))
    with pytest.raises(ValueError, match="max_hops"):
        store.shortest_path(C1, C2, max_hops=-1)
    assert store.existing_ids("customers") == {"C1", "C2", "C3"}
    with pytest.raises(ValueError, match="composite key"):
        store.existing_ids("account_holders")
    assert store.loads()["load_id"].tolist() == ["a", "b"]  # oldest first, whatever the store


def test_score_checks_run_before_any_store_sees_the_scores() -> None:
    store = ToyStore()
    with pytest.raises(ValueError, match=r"lack columns: \['tier'\]"):
        store.write_scores("r", "k", {}, _scores().drop(columns="tier"))
    with pytest.raises(ValueError, match=r"more than once: \['C1'\]"):
        store.write_scores("r", "k", {}, _scores(customer_id=["C1", "C1"]))
    with pytest.raises(ValueError, match="finite"):
        store.write_scores("r", "k", {}, _scores(score=[float("inf"), 1.0]))
    with pytest.raises(ValueError, match="run_id"):
        store.write_scores("", "k", {}, _scores())
    assert store.scores == []
    store.write_scores("r1", "k", {"p": 1}, _scores(score=[float("nan"), 20.0]))
    assert [(run.run_id, run.params, row) for run, row in store.scores] == [
        ("r1", '{"p": 1}', ScoreRow("C2", 20.0, "low", ("b",)))]
    store.write_scores("r2", "k", {}, _scores())
    history = store.score_history("C2")
    assert list(history.columns) == ["run_id", "created_at", "kind", "score", "tier", "reasons"]
    assert history["run_id"].tolist() == ["r2", "r1"]
    assert history["reasons"].tolist() == [["b"], ["b"]]


def test_driver_errors_become_store_errors_that_name_the_statement() -> None:
    store = ToyStore()
    store.fail_with = ToyDriverError("disk full")
    with pytest.raises(StoreError, match=r"writing 2 customers rows failed: disk full") as err:
        store.upsert("customers", pd.DataFrame({"customer_id": ["X", "Y"]}))
    assert err.value.query == "upsert_customers"
    assert isinstance(err.value.__cause__, ToyDriverError)
    with pytest.raises(StoreError) as err:
        store.neighbourhood(C1)
    assert err.value.query == "neighbourhood"
    store.fail_with = ToyConnectionLost("socket closed")
    with pytest.raises(StoreUnavailableError, match="lost the toy store at memory") as lost:
        store.get_node(C1)
    assert lost.value.query == "get_node"
    store.fail_with = RuntimeError("a bug, not the database")
    with pytest.raises(RuntimeError):
        store.get_node(C1)
    with pytest.raises(KeyError):
        store.upsert("no_such_entity", pd.DataFrame())


def test_a_store_without_the_capability_has_no_in_database_engine(
        tiny_snapshot: GraphSnapshot) -> None:
    store = ToyStore()
    assert store.capabilities == frozenset()
    assert store.in_database_network_engine() is None
    assert network_engine_for(store, tiny_snapshot).name == "python"

    class Claims(ToyStore):
        capabilities = frozenset({StoreCapability.IN_DATABASE_NETWORK})

    with pytest.raises(NotImplementedError, match="declares in_database_network"):
        Claims().in_database_network_engine()


def test_close_runs_once() -> None:
    store = ToyStore()
    with store:
        pass
    store.close()
    assert store.closed == 1


def test_stores_implement_primitives_only() -> None:
    """Every public method is the base's own, final: stores cannot drift apart."""
    public = [name for name, member in inspect.getmembers(GraphStore, inspect.isfunction)
              if not name.startswith("_")]
    assert {"get_node", "neighbourhood", "shortest_path", "write_scores", "upsert"} <= set(public)
    for name in public:
        assert getattr(getattr(GraphStore, name), "__final__", False), name
        for store in (EmbeddedGraphStore, Neo4jGraphStore, ToyStore):
            assert getattr(store, name) is getattr(GraphStore, name), (store.__name__, name)

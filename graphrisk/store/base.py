"""The storage boundary: one typed protocol that every store implements.

Why a protocol: ingestion, analytics, models, the API and the CLI must not know whether the
graph lives in the embedded SQLite store or in Neo4j. They get a :class:`GraphStore` and call
these methods; only modules under ``graphrisk/store/`` talk to a database.

Node identity outside the store is always a business id plus a label (:class:`NodeRef`);
database-internal ids never leave the store.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

import pandas as pd

from graphrisk.graph import (  # noqa: F401  (re-exported: the boundary speaks these types)
    GraphNode,
    GraphPath,
    GraphRelationship,
    GraphSnapshot,
    NodeRef,
    Subgraph,
)


@dataclass(frozen=True)
class BatchCheckpoint:
    """Marks one committed batch of one load, written atomically with the batch.

    Why: a crashed load is re-run by skipping the batches whose checkpoint exists, and the
    store is never left with a batch half-written.
    """

    load_id: str
    source: str
    batch_index: int


@runtime_checkable
class GraphStore(Protocol):
    """What every store offers. Implementations: ``EmbeddedGraphStore``, ``Neo4jGraphStore``."""

    #: A short name for messages: ``embedded`` or ``neo4j``.
    kind: str
    #: Rows per batch this store loads fastest with (used when no batch size is configured).
    preferred_batch_size: int

    def write_concurrency(self, entity: str) -> int:
        """How many batches of ``entity`` a loader may write at once.

        SQLite has one writer. Neo4j uses both cores when two transactions run side by side,
        but only for entities whose batches rarely lock the same nodes.
        """
        ...

    def describe(self) -> str:
        """Where the data lives, for messages (a path or a URI)."""
        ...

    # -- loading -----------------------------------------------------------------------
    def upsert(
        self, entity: str, rows: pd.DataFrame, *, checkpoint: BatchCheckpoint | None = None
    ) -> int:
        """Insert or update validated rows of one entity in one transaction.

        Args:
            entity: entity name from :mod:`graphrisk.domain` (``customers``...).
            rows: validated rows with the entity's columns (``identifiers`` rows also carry
                ``identifier_id``).
            checkpoint: written in the same transaction, so a batch is either fully stored
                and marked done, or not at all.

        Returns:
            The number of rows written.
        """
        ...

    def begin_load(self, load_id: str, sources: Mapping[str, str]) -> None:
        """Record that a load started (or resumed)."""
        ...

    def finish_load(self, load_id: str, summary: Mapping[str, Any]) -> None:
        """Record that a load completed, with its summary."""
        ...

    def completed_batches(self, load_id: str) -> set[tuple[str, int]]:
        """The ``(source, batch_index)`` pairs already committed for this load."""
        ...

    def loads(self) -> pd.DataFrame:
        """Every load: ``load_id, started_at, finished_at, status, summary``."""
        ...

    def existing_ids(self, entity: str) -> set[str]:
        """Business ids of one entity already in the store (for reference checks)."""
        ...

    # -- reading -----------------------------------------------------------------------
    def counts(self) -> dict[str, int]:
        """Rows per entity (and ``identifier_nodes`` for distinct identifiers)."""
        ...

    def get_node(self, ref: NodeRef) -> GraphNode:
        """One node with its properties; raises ``NotFoundError``."""
        ...

    def neighbourhood(self, centre: NodeRef, hops: int = 2, limit: int = 500) -> Subgraph:
        """Every node within ``hops`` relationships of ``centre`` (any type or direction).

        Expansion stops once ``limit`` nodes are reached (``truncated`` is then true);
        nodes are expanded in sorted order so the result is deterministic.
        """
        ...

    def shortest_path(self, start: NodeRef, end: NodeRef, max_hops: int = 6) -> GraphPath | None:
        """A shortest undirected path between two nodes, or ``None`` within ``max_hops``."""
        ...

    def snapshot(self) -> GraphSnapshot:
        """The whole graph as DataFrames (streamed in pages where the store is remote)."""
        ...

    def consistency_problems(self) -> list[str]:
        """Dangling references or other broken invariants; empty when the store is sound."""
        ...

    # -- results -----------------------------------------------------------------------
    def write_scores(
        self, run_id: str, kind: str, params: Mapping[str, Any], scores: pd.DataFrame
    ) -> None:
        """Store one scoring run: ``scores`` has ``customer_id, score, tier, reasons``."""
        ...

    def score_history(self, customer_id: str) -> pd.DataFrame:
        """Every stored score of one customer, newest first."""
        ...

    def close(self) -> None:
        """Release connections."""
        ...


def python_columns(frame: pd.DataFrame, columns: list[str]) -> list[list[Any]]:
    """Each named column as a list of plain Python values, ``None`` where missing.

    Why: database drivers bind plain ``int``/``float``/``str``/``None``, not numpy or pandas
    scalars; a column absent from ``frame`` comes back as all ``None``.
    """
    lists = []
    for name in columns:
        if name not in frame.columns:
            lists.append([None] * len(frame))
            continue
        column = frame[name]
        values = column.astype(object)
        if column.hasnans:
            values = values.where(column.notna(), None)
        lists.append(values.tolist())
    return lists


def chunked(values: Iterable[str], size: int) -> Iterable[list[str]]:
    """Split ``values`` into lists of at most ``size`` items (for ``IN (...)`` lists)."""
    chunk: list[str] = []
    for value in values:
        chunk.append(value)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk

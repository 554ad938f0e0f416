"""The graph value types every layer shares: nodes, relationships, subgraphs, paths, snapshots.

Why a module of its own: analytics, models, the service and the stores all speak in these
types. Keeping them here, outside ``graphrisk/store/``, lets the analytics take a
:class:`GraphSnapshot` without importing the storage boundary, so "analytics never see the
store" holds by the import graph, not by convention.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from graphrisk.domain import NodeLabel, RelType

__all__ = ["COUNTERPARTY_ENTITY_COLUMNS", "SAME_ENTITY_COLUMNS", "GraphNode", "GraphPath",
           "GraphRelationship", "GraphSnapshot", "NodeRef", "QueryResult", "Subgraph",
           "empty_counterparty_entity", "empty_same_entity"]

#: Columns of :attr:`GraphSnapshot.same_entity`: two customers (``customer_id_a`` <
#: ``customer_id_b``) that entity resolution found probably one person, the pair's id, the
#: match probability and the sentence saying which fields agreed.
SAME_ENTITY_COLUMNS: tuple[str, ...] = ("customer_id_a", "customer_id_b", "pair_id",
                                        "probability", "sentence")


#: Columns of :attr:`GraphSnapshot.counterparty_entity`: a counterparty that entity
#: resolution found probably a customer of the bank (the customer's own account elsewhere,
#: or a known customer paid under another name), the pair's id, the match probability and
#: the sentence saying which fields agreed.
COUNTERPARTY_ENTITY_COLUMNS: tuple[str, ...] = ("counterparty_id", "customer_id", "pair_id",
                                                "probability", "sentence")


def _empty_links(columns: tuple[str, ...]) -> pd.DataFrame:
    return pd.DataFrame({column: pd.Series(dtype="float64" if column == "probability"
                                           else object) for column in columns})


def empty_same_entity() -> pd.DataFrame:
    """A same-entity frame without rows (the default: nothing resolved yet)."""
    return _empty_links(SAME_ENTITY_COLUMNS)


def empty_counterparty_entity() -> pd.DataFrame:
    """A counterparty-entity frame without rows (the default: nothing resolved yet)."""
    return _empty_links(COUNTERPARTY_ENTITY_COLUMNS)


@dataclass(frozen=True, order=True)
class NodeRef:
    """A node by label and business id, e.g. ``NodeRef(NodeLabel.CUSTOMER, "C42")``."""

    label: NodeLabel
    id: str

    def __str__(self) -> str:
        return f"{self.label.value}:{self.id}"

    @classmethod
    def parse(cls, text: str) -> NodeRef:
        """Parse ``Label:id`` (``Customer:C42``); a bare id means a customer."""
        label, sep, rest = text.partition(":")
        if sep and label in NodeLabel.__members__.values():
            return cls(NodeLabel(label), rest)
        return cls(NodeLabel.CUSTOMER, text)


@dataclass(frozen=True)
class GraphNode:
    """A node with its stored properties."""

    ref: NodeRef
    properties: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, order=True)
class GraphRelationship:
    """A relationship between two nodes.

    Transfers between the same two parties are summarised into one relationship whose
    properties hold ``transactions`` (the count) and ``total_amount``; other relationship
    types are one per stored link.
    """

    type: RelType
    start: NodeRef
    end: NodeRef
    properties: tuple[tuple[str, Any], ...] = ()


@dataclass(frozen=True)
class Subgraph:
    """Nodes and relationships around a centre node; ``truncated`` when a limit cut it."""

    centre: NodeRef
    nodes: tuple[GraphNode, ...]
    relationships: tuple[GraphRelationship, ...]
    truncated: bool = False

    def node_refs(self) -> set[NodeRef]:
        return {node.ref for node in self.nodes}


@dataclass(frozen=True)
class GraphPath:
    """A shortest path: ``nodes[i]`` and ``nodes[i+1]`` are joined by ``relationships[i]``."""

    nodes: tuple[NodeRef, ...]
    relationships: tuple[RelType, ...]

    @property
    def length(self) -> int:
        return len(self.relationships)


@dataclass(frozen=True)
class QueryResult:
    """What a read-only Cypher query answered (:meth:`GraphStore.read_only_query`).

    Attributes:
        columns: the query's column names, in order.
        rows: one list per row, in ``columns`` order, of JSON-safe values: a node is
            ``{"id": "Customer:C1", "label": "Customer", "properties": {...}}`` (``id`` is
            ``None`` for a node without a business id, such as GraphRisk's own bookkeeping
            nodes), a relationship ``{"type", "start", "end", "properties"}`` with its ends'
            ids, a path ``{"nodes": [...], "relationships": [...]}``; temporal values are
            ISO 8601 text, lists and maps are converted item by item. Database-internal ids
            never appear.
        nodes: every node with a business id seen in the rows, once each, in order of
            first appearance: the result drawn as a graph.
        relationships: every relationship of a known type between two such nodes seen in
            the rows, once each.
        truncated: the query had more rows than the row limit; ``rows`` holds the first.
    """

    columns: list[str]
    rows: list[list[Any]]
    nodes: tuple[GraphNode, ...] = ()
    relationships: tuple[GraphRelationship, ...] = ()
    truncated: bool = False


@dataclass
class GraphSnapshot:
    """The whole graph as DataFrames, one per entity, for analytics and models.

    ``identifiers`` holds one row per customer–identifier link with the identifier's
    ``identifier_id``, ``kind`` and normalised ``value``. ``customer_features`` is long form
    (``customer_id, feature, value``); it defaults to empty, so snapshots built by hand (tests,
    other sources) need not name it.

    ``same_entity`` is not loaded data but what entity resolution derived from it: the
    linked probable same-person pairs (:data:`SAME_ENTITY_COLUMNS`; open or confirmed pairs
    of :mod:`graphrisk.resolution`), which the customer graph joins like a shared identifier,
    weighted by the probability. It defaults to empty. ``counterparty_entity`` likewise
    holds the counterparties resolution found probably a customer
    (:data:`COUNTERPARTY_ENTITY_COLUMNS`): a payment to or from such a counterparty links
    the paying customer with that customer.
    """

    customers: pd.DataFrame
    accounts: pd.DataFrame
    account_holders: pd.DataFrame
    counterparties: pd.DataFrame
    identifiers: pd.DataFrame
    transactions: pd.DataFrame
    disputes: pd.DataFrame
    loans: pd.DataFrame
    account_changes: pd.DataFrame
    customer_features: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(
        {"customer_id": pd.Series(dtype=object), "feature": pd.Series(dtype=object),
         "value": pd.Series(dtype="float64")}))
    same_entity: pd.DataFrame = field(default_factory=empty_same_entity)
    counterparty_entity: pd.DataFrame = field(default_factory=empty_counterparty_entity)

    def counts(self) -> dict[str, int]:
        return {name: len(frame) for name, frame in vars(self).items()}

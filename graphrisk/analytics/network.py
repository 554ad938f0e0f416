"""Network analytics behind one interface, so either engine can answer.

Why an engine protocol: on the embedded store the graph algorithms run in Python on a
snapshot; on Neo4j they run inside the database with GDS (``graphrisk/store/gds.py``) so that
the graph never has to fit in Python. Scoring asks a :class:`NetworkEngine` and does not care
which one it got. Both engines build the same customer graph
(:mod:`graphrisk.analytics.customer_graph`) and name groups the same way (by their smallest
member id), so their answers can be compared directly.

What an engine computes:

* **propagated risk** — personalised PageRank from the known-risk customers
  (:func:`graphrisk.analytics.propagation.propagate_risk`);
* **identity rings** — connected groups of customers over shared identifiers (identifiers
  used by more than ``max_identifier_degree`` customers ignored) and probable same-person
  pairs of entity resolution, two or more members;
* **money communities** — Louvain communities of the amount-weighted payment graph between
  customers, for customers who paid or were paid by another customer.

References:
    Blondel, Guillaume, Lambiotte, Lefebvre, "Fast unfolding of communities in large
    networks" (2008) for Louvain.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

import igraph
import numpy as np
import pandas as pd
from scipy.sparse import csgraph

from graphrisk.analytics.customer_graph import (
    DEFAULT_WEIGHTS,
    IDENTITY_KINDS,
    CustomerGraph,
    build_money_graph,
    customer_links,
    graph_from_links,
)
from graphrisk.analytics.ledger import TransactionLedger, ledger_for
from graphrisk.analytics.propagation import propagate_risk
from graphrisk.graph import GraphSnapshot
from graphrisk.policy import DEFAULT_MAX_IDENTIFIER_DEGREE

__all__ = [
    "NetworkEngine",
    "NetworkResult",
    "NetworkSettings",
    "PythonNetworkEngine",
    "groups_named_by_smallest_member",
]


@dataclass(frozen=True)
class NetworkSettings:
    """Knobs shared by both engines.

    Attributes:
        weights: weight per link kind of the customer graph.
        max_identifier_degree: identifiers used by more customers link nobody.
        damping: PageRank damping factor.
        louvain_resolution: higher finds smaller communities.
        seed: makes Louvain's node order reproducible.
    """

    weights: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_WEIGHTS))
    max_identifier_degree: int = DEFAULT_MAX_IDENTIFIER_DEGREE
    damping: float = 0.85
    louvain_resolution: float = 1.0
    seed: int = 42

    def identifier_weights(self) -> dict[str, float]:
        """The weights of the identity link kinds only (the ring graph): shared identifiers
        and probable same-person pairs."""
        return {k: w for k, w in self.weights.items() if k in IDENTITY_KINDS}


@dataclass(frozen=True)
class NetworkResult:
    """What an engine found.

    Attributes:
        propagated_risk: customer id -> personalised PageRank score (sums to 1).
        rings: customer id -> ring id, for members of identity rings only.
        communities: customer id -> community id, for customers in the payment graph.
        engine: which engine computed it (``python`` or ``gds``).
    """

    propagated_risk: pd.Series
    rings: pd.Series
    communities: pd.Series
    engine: str


class NetworkEngine(Protocol):
    """Runs the network algorithms for one store."""

    name: str

    def analyse(self, seeds: Mapping[str, float], settings: NetworkSettings) -> NetworkResult:
        """Propagate risk from ``seeds`` and find rings and communities."""
        ...


class PythonNetworkEngine:
    """The network algorithms in Python (scipy and igraph) on a snapshot.

    Args:
        snapshot: the graph as DataFrames.
        ledger: the snapshot's :func:`~graphrisk.analytics.ledger.build_ledger`, when the
            caller shares one (the payments between customers are read from it); built on
            first use if not.
    """

    name = "python"

    def __init__(
        self, snapshot: GraphSnapshot, *, ledger: TransactionLedger | None = None
    ) -> None:
        self._snapshot = snapshot
        self._ledger = ledger

    def analyse(self, seeds: Mapping[str, float], settings: NetworkSettings) -> NetworkResult:
        ledger = self._ledger = ledger_for(self._snapshot, self._ledger)
        links = customer_links(self._snapshot, weights=settings.weights,
                               max_identifier_degree=settings.max_identifier_degree,
                               ledger=ledger)
        risk = propagate_risk(graph_from_links(self._snapshot, links), seeds,
                              damping=settings.damping)
        # The ring graph is the customer graph's shared-identifier links alone.
        identity = links[links["kind"].isin(settings.identifier_weights())]
        rings = _connected_groups(graph_from_links(self._snapshot, identity))
        communities = _louvain(build_money_graph(self._snapshot, ledger=ledger), settings)
        return NetworkResult(risk, rings, communities, self.name)


def groups_named_by_smallest_member(labels: pd.Series) -> pd.Series:
    """Rename arbitrary group labels to the smallest customer id in each group.

    Why: engines number groups differently; naming a group by its smallest member makes the
    same group carry the same id whichever engine found it, and across runs.
    """
    if labels.empty:
        return labels.astype(object)
    smallest = labels.index.to_series().groupby(labels.to_numpy()).transform("min")
    return pd.Series(smallest.to_numpy(dtype=object), index=labels.index, name=labels.name)


def _linked(graph: CustomerGraph) -> np.ndarray:
    """Whether each customer has at least one link."""
    return np.diff(graph.adjacency.indptr) > 0


def _connected_groups(graph: CustomerGraph) -> pd.Series:
    _, labels = csgraph.connected_components(graph.adjacency, directed=False)
    linked = _linked(graph)
    found = pd.Series(labels[linked], index=graph.customer_ids[linked], name="ring_id")
    return groups_named_by_smallest_member(found)


def _louvain(graph: CustomerGraph, settings: NetworkSettings) -> pd.Series:
    linked = _linked(graph)
    upper = graph.adjacency.tocoo()
    keep = upper.row < upper.col
    network = igraph.Graph(n=len(graph.customer_ids),
                           edges=np.column_stack([upper.row[keep], upper.col[keep]]).tolist(),
                           directed=False)
    # igraph draws its random node order from Python's ``random``; seed a private generator.
    igraph.set_random_number_generator(random.Random(settings.seed))
    try:
        clustering = network.community_multilevel(
            weights=upper.data[keep].tolist(), resolution=settings.louvain_resolution)
    finally:
        igraph.set_random_number_generator(random)
    labels = np.asarray(clustering.membership)
    found = pd.Series(labels[linked], index=graph.customer_ids[linked], name="community_id")
    return groups_named_by_smallest_member(found)

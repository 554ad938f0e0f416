"""Risk propagation: how close each customer sits to known risk in the customer network.

Why: a customer who shares a device with two confirmed fraudsters, or receives money from a
known mule, deserves a look even if nothing about them alone is unusual. Personalised
PageRank spreads the known-risk customers' weight along the relationships between customers,
each relationship type with its own weight (a shared device says more than one small
payment), and identifiers shared by very many customers (a call-centre phone, a mall address)
are ignored by a degree cut-off.

References:
    Page, Brin, Motwani, Winograd, "The PageRank Citation Ranking" (1999); Haveliwala,
    "Topic-Sensitive PageRank" (2002) for the personalised (seeded) form.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse

from graphrisk.store.base import GraphSnapshot

__all__ = ["DEFAULT_WEIGHTS", "CustomerGraph", "build_customer_graph", "propagate_risk"]

#: Weight of one link of each kind between two customers. Identifier kinds by how personal
#: they are; ``co_holder`` for sharing an account; ``transfer`` for money between them.
DEFAULT_WEIGHTS: Mapping[str, float] = {
    "device": 3.0, "phone": 2.0, "email": 2.0, "ip": 1.0, "address": 1.0,
    "co_holder": 2.0, "transfer": 1.0,
}


@dataclass(frozen=True)
class CustomerGraph:
    """An undirected weighted graph over customers.

    Attributes:
        customer_ids: the customer of each row/column, sorted.
        adjacency: symmetric sparse matrix; entry (i, j) sums the weights of every link.
    """

    customer_ids: np.ndarray
    adjacency: sparse.csr_matrix

    def index(self) -> pd.Series:
        """Position of each customer id."""
        return pd.Series(np.arange(len(self.customer_ids)), index=self.customer_ids)


def _pairs_sharing(links: pd.DataFrame, group: str, max_degree: int) -> pd.DataFrame:
    """Customer pairs that share a ``group`` value used by 2..max_degree customers."""
    links = links[["customer_id", group]].drop_duplicates()
    degree = links.groupby(group)["customer_id"].transform("size")
    links = links[(degree >= 2) & (degree <= max_degree)]
    pairs = links.merge(links, on=group, suffixes=("_a", "_b"))
    return pairs[pairs["customer_id_a"] < pairs["customer_id_b"]]


def build_customer_graph(
    snapshot: GraphSnapshot,
    *,
    weights: Mapping[str, float] = DEFAULT_WEIGHTS,
    max_identifier_degree: int = 10,
) -> CustomerGraph:
    """Join customers who share identifiers or accounts, or who paid each other.

    Args:
        snapshot: the graph as DataFrames.
        weights: weight per link kind (see :data:`DEFAULT_WEIGHTS`); a kind missing here
            is left out.
        max_identifier_degree: identifiers used by more customers than this are ignored.

    Returns:
        The customer graph; several links between the same two customers add up.
    """
    if max_identifier_degree < 2:
        raise ValueError("max_identifier_degree must be at least 2")
    ids = np.sort(snapshot.customers["customer_id"].to_numpy(dtype=object))
    position = pd.Series(np.arange(len(ids)), index=ids)
    parts: list[pd.DataFrame] = []

    for kind, links in snapshot.identifiers.groupby("kind"):
        if kind in weights:
            pairs = _pairs_sharing(links, "identifier_id", max_identifier_degree)
            parts.append(pairs.assign(weight=weights[str(kind)]))

    if "co_holder" in weights:
        holders = pd.concat([
            snapshot.accounts[["account_id", "customer_id"]],
            snapshot.account_holders[["account_id", "customer_id"]],
        ])
        pairs = _pairs_sharing(holders, "account_id", max_identifier_degree)
        parts.append(pairs.assign(weight=weights["co_holder"]))

    if "transfer" in weights:
        owner = snapshot.accounts.set_index("account_id")["customer_id"]
        moves = snapshot.transactions.dropna(subset=["from_account_id", "to_account_id"])
        frm = moves["from_account_id"].map(owner).to_numpy(dtype=object)
        to = moves["to_account_id"].map(owner).to_numpy(dtype=object)
        lo = np.where(frm < to, frm, to)
        hi = np.where(frm < to, to, frm)
        paid = pd.DataFrame({"customer_id_a": lo, "customer_id_b": hi})
        paid = paid[paid["customer_id_a"] != paid["customer_id_b"]]
        counts = paid.value_counts().reset_index(name="n")
        # More payments between two customers strengthen the link, with diminishing returns.
        parts.append(counts.assign(weight=weights["transfer"] * np.log2(1 + counts["n"]))
                     .drop(columns="n"))

    edges = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(
        columns=["customer_id_a", "customer_id_b", "weight"])
    rows = position.reindex(edges["customer_id_a"]).to_numpy()
    cols = position.reindex(edges["customer_id_b"]).to_numpy()
    keep = ~(np.isnan(rows.astype(float)) | np.isnan(cols.astype(float)))
    rows, cols = rows[keep].astype(np.int64), cols[keep].astype(np.int64)
    values = edges["weight"].to_numpy(dtype=float)[keep]
    n = len(ids)
    upper = sparse.coo_matrix((values, (rows, cols)), shape=(n, n))
    adjacency = (upper + upper.T).tocsr()
    adjacency.sum_duplicates()
    return CustomerGraph(ids, adjacency)


def propagate_risk(
    graph: CustomerGraph,
    seeds: Mapping[str, float],
    *,
    damping: float = 0.85,
    tolerance: float = 1e-10,
    max_iterations: int = 200,
) -> pd.Series:
    """Personalised PageRank from known-risk customers.

    Args:
        graph: the customer graph.
        seeds: customer id -> seed weight (e.g. 1.0 per confirmed fraudster); ids not in
            the graph are ignored.
        damping: probability of following a link rather than jumping back to a seed.
        tolerance: stop when the L1 change of an iteration falls below this.
        max_iterations: upper bound on iterations.

    Returns:
        Propagated risk per customer id (sums to 1 over the graph when any seed is known);
        customers with no path to a seed get 0.

    Raises:
        ValueError: ``damping`` is outside (0, 1).
    """
    if not 0.0 < damping < 1.0:
        raise ValueError("damping must be between 0 and 1")
    n = len(graph.customer_ids)
    index = graph.index()
    teleport = np.zeros(n)
    for customer, weight in seeds.items():
        if customer in index.index and weight > 0:
            teleport[index[customer]] += weight
    if teleport.sum() == 0:
        return pd.Series(0.0, index=graph.customer_ids, name="propagated_risk")
    teleport /= teleport.sum()
    strength = np.asarray(graph.adjacency.sum(axis=1)).ravel()
    inverse = np.divide(1.0, strength, out=np.zeros(n), where=strength > 0)
    transition = sparse.diags(inverse) @ graph.adjacency  # row-stochastic where linked
    dangling = strength == 0
    scores = teleport.copy()
    for _ in range(max_iterations):
        spread = transition.T @ scores + scores[dangling].sum() * teleport
        updated = damping * spread + (1 - damping) * teleport
        if np.abs(updated - scores).sum() < tolerance:
            scores = updated
            break
        scores = updated
    return pd.Series(scores, index=graph.customer_ids, name="propagated_risk")

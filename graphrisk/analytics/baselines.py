"""The benchmark reference a network-aware risk score has to beat: Neo4j's own example.

Why: a graph score is only interesting if it finds risky customers that simpler methods miss.
:func:`neo4j_reference_scores` is what a bank gets by following Neo4j's own fraud-detection
example: unsupervised, graph-only, no known labels. It is judged with
:mod:`graphrisk.analytics.evaluation` on the same customers as the project's own score. (The
other competitor, a supervised model on each customer's own factors with no graph at all, is
the production individual-risk model: :mod:`graphrisk.analytics.individual_model`.)

The Neo4j reference pipeline
----------------------------
Source: the Neo4j sandbox / graph-examples guide "Fraud Detection Using Neo4j Platform and
PaySim Dataset" (https://github.com/neo4j-graph-examples/fraud-detection,
``documentation/fraud-detection.adoc``, the Cypher in ``scripts/``). The "Exploring Fraud
Detection With Neo4j & Graph Data Science" blog series (Zach Blumenfeld,
https://neo4j.com/developer-blog/exploring-fraud-detection-neo4j-graph-data-science-part-3/)
works on a different data set and seeds its communities with known fraud (chargeback) flags;
the sandbox guide is the unsupervised PaySim workflow, and the one re-implemented here, step by
step, with the guide's parameters and GDS's defaults for the rest:

Module 1, first-party fraud:

1. ``SHARED_IDENTIFIERS`` joins two clients who share a PII node (``HAS_EMAIL|HAS_PHONE|
   HAS_SSN``); ``gds.wcc`` over it, keeping components of more than one client
   (``firstPartyFraudGroup``).
2. ``gds.nodeSimilarity`` (Jaccard, ``topK: 15``, default ``similarityCutoff``) on the
   bipartite graph of grouped clients and their identifiers, mutated as ``SIMILAR_TO``
   relationships: from each client to its 15 most similar clients.
3. ``gds.degree`` over ``SIMILAR_TO`` weighted by ``jaccardScore`` (natural orientation: the
   sum of a client's own top-15 similarities) written as ``firstPartyFraudScore``.
4. Clients whose score is above the 95th percentile (``percentileCont``, over clients with a
   score) are labelled ``FirstPartyFraudster``.

Module 2, second-party fraud (money mules):

5. ``TRANSFER_TO`` relationships, with the summed ``amount``, from each first-party fraudster
   to every other client it paid and from every client who paid a fraudster to it
   (fraudster-to-fraudster transfers are left out, as the guide's ``WHERE NOT
   c2:FirstPartyFraudster`` does).
6. ``gds.wcc`` over that network, keeping components of more than one client
   (``secondPartyFraudGroup``).
7. ``gds.pageRank`` weighted by ``amount`` (GDS defaults: damping 0.85, at most 20
   iterations, tolerance 1e-7; unnormalised, every client starts from and keeps at least
   ``1 - 0.85``), written as ``secondPartyFraudScore`` for grouped clients who are not
   first-party fraudsters (``SecondPartyFraud``).

Two WCC steps reduce to simple tests, and are computed that way: a client is in a component
of more than one exactly when it has at least one relationship, and node similarity and the
transfer network never join clients of different components.

Mapping and deviations (each because our data or our purpose differs from the guide's):

* PII: we have no SSN; our identifiers are phone, e-mail, address, device and IP, all used by
  default (``identifier_kinds`` narrows them). Customers are the guide's clients; transfers
  are transactions between accounts of two different customers, each account standing for its
  owner (``accounts.customer_id``).
* Identifiers used by more than ``max_identifier_degree`` customers (a call-centre phone, a
  shared office IP) link nobody. The guide has no such cut-off; PaySim's PII is shared by few
  clients, but on real data one hub identifier would put thousands of customers in one
  component and create millions of similarity pairs. A hub identifier still counts in the
  customer's own identifier set, the denominator of the Jaccard score, as it would in GDS.
* Node-similarity ties at the 15th place are broken by customer id; the sum, and so the
  score, does not depend on which tied neighbour is kept.
* The guide ends with two labels and two scores; a ranking needs one number.
  ``reference_score`` orders customers the way the guide's labels do — first-party
  fraudsters, then second-party suspects, then everyone else — and within each tier by the
  tier's own score (first-party score for the first and last tiers, second-party score for
  the middle one), scaled by the largest value so it lies in ``[0, 1]``. Only its order
  carries meaning.
* ``second_party_network="all"`` builds step 5 from every transfer between customers instead
  of only those touching first-party fraudsters: a variant, not the guide.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Literal

import numpy as np
import pandas as pd
from scipy import sparse

from graphrisk.analytics.ledger import TransactionLedger, ledger_for
from graphrisk.domain import IdentifierKind
from graphrisk.graph import GraphSnapshot
from graphrisk.policy import DEFAULT_MAX_IDENTIFIER_DEGREE

__all__ = ["REFERENCE_COLUMNS", "neo4j_reference_scores"]

#: The columns of :func:`neo4j_reference_scores`, in order.
REFERENCE_COLUMNS: tuple[str, ...] = (
    "customer_id", "first_party_score", "second_party_score", "reference_score",
)

# The guide's parameters, and GDS's defaults where the guide relies on them.
_TOP_K = 15
_FRAUDSTER_QUANTILE = 0.95
_DAMPING = 0.85
_MAX_ITERATIONS = 20
_TOLERANCE = 1e-7


def neo4j_reference_scores(
    snapshot: GraphSnapshot,
    *,
    max_identifier_degree: int = DEFAULT_MAX_IDENTIFIER_DEGREE,
    identifier_kinds: Collection[str] = tuple(IdentifierKind),
    top_k: int = _TOP_K,
    fraudster_quantile: float = _FRAUDSTER_QUANTILE,
    second_party_network: Literal["fraudsters", "all"] = "fraudsters",
    ledger: TransactionLedger | None = None,
) -> pd.DataFrame:
    """Neo4j's fraud-detection example (first- and second-party fraud), on a snapshot.

    The module docstring lists the example's steps, its source and where this differs.

    Args:
        snapshot: the graph as DataFrames.
        max_identifier_degree: identifiers used by more customers than this link nobody.
        identifier_kinds: identifier kinds that count as shared PII.
        top_k: similar customers kept per customer (the guide's ``topK``).
        fraudster_quantile: first-party scores above this quantile (of customers with a
            score) mark first-party fraudsters.
        second_party_network: ``"fraudsters"`` (the guide): transfers to and from
            first-party fraudsters; ``"all"``: every transfer between two customers.
        ledger: the snapshot's :func:`~graphrisk.analytics.ledger.build_ledger`, when the
            caller shares one; built here if not.

    Returns:
        One row per customer, sorted by ``customer_id``: ``customer_id``,
        ``first_party_score`` (sum of the top-``k`` Jaccard similarities; 0 without a shared
        identifier), ``second_party_score`` (amount-weighted PageRank in the transfer
        network; 0 outside it and for first-party fraudsters) and ``reference_score`` (both
        combined into one ranking, in ``[0, 1]``).

    Raises:
        ValueError: ``max_identifier_degree`` is below 2, ``top_k`` below 1,
            ``fraudster_quantile`` outside ``[0, 1]`` or ``second_party_network`` unknown.
    """
    if max_identifier_degree < 2:
        raise ValueError(f"max_identifier_degree must be at least 2, got {max_identifier_degree}")
    if top_k < 1:
        raise ValueError(f"top_k must be at least 1, got {top_k}")
    if not 0.0 <= fraudster_quantile <= 1.0:
        raise ValueError(f"fraudster_quantile must be in [0, 1], got {fraudster_quantile}")
    if second_party_network not in ("fraudsters", "all"):
        raise ValueError(
            f"second_party_network must be 'fraudsters' or 'all', got {second_party_network!r}"
        )
    ids = pd.Index(pd.unique(snapshot.customers["customer_id"])).sort_values()
    n = len(ids)

    first = _first_party_scores(
        snapshot.identifiers, ids, frozenset(identifier_kinds), max_identifier_degree, top_k
    )
    grouped = first > 0
    fraudster = np.zeros(n, dtype=bool)
    if grouped.any():
        # percentileCont is linear interpolation, numpy's default.
        cut = float(np.quantile(first[grouped], fraudster_quantile))
        fraudster = first > cut

    src, dst, amount = _customer_transfers(ledger_for(snapshot, ledger))
    if second_party_network == "fraudsters":
        touching = fraudster[src] != fraudster[dst]  # one end a fraudster, the other not
        src, dst, amount = src[touching], dst[touching], amount[touching]
    in_network = np.bincount(np.concatenate([src, dst]), minlength=n)[:n] > 0
    rank = _gds_pagerank(src, dst, amount, n)
    second = np.where(in_network & ~fraudster, rank, 0.0)

    return pd.DataFrame({
        "customer_id": ids.to_numpy(),
        "first_party_score": first,
        "second_party_score": second,
        "reference_score": _combine(first, second, fraudster),
    })


# --------------------------------------------------------------------------------------------
# Private implementation
# --------------------------------------------------------------------------------------------


def _first_party_scores(
    identifiers: pd.DataFrame,
    ids: pd.Index,
    kinds: frozenset[str],
    max_degree: int,
    top_k: int,
) -> np.ndarray:
    """Steps 1–3: per customer, the sum of its top-``k`` Jaccard similarities over PII."""
    n = len(ids)
    links = identifiers.loc[
        identifiers["kind"].astype("string").isin(list(kinds)).fillna(False).to_numpy(bool),
        ["customer_id", "identifier_id"],
    ].drop_duplicates()
    customer = ids.get_indexer(links["customer_id"])
    known = customer >= 0
    customer = customer[known]
    identifier, _ = pd.factorize(links["identifier_id"].to_numpy()[known])
    own = np.bincount(customer, minlength=n)  # |N(c)|: all the customer's identifiers
    degree = np.bincount(identifier)
    linking = (degree >= 2) & (degree <= max_degree)
    keep = linking[identifier]
    incidence = sparse.csr_matrix(
        (np.ones(int(keep.sum())), (customer[keep], identifier[keep])),
        shape=(n, len(degree)),
    )
    shared = (incidence @ incidence.T).tocoo()  # shared linking identifiers per pair
    off_diagonal = shared.row != shared.col
    rows, cols = shared.row[off_diagonal], shared.col[off_diagonal]
    common = shared.data[off_diagonal]
    jaccard = common / (own[rows] + own[cols] - common)
    # Each customer's top k: by similarity, ties by customer id (positions follow sorted ids).
    order = np.lexsort((cols, -jaccard, rows))
    rows, jaccard = rows[order], jaccard[order]
    starts = np.searchsorted(rows, rows, side="left")
    top = (np.arange(len(rows)) - starts) < top_k
    return np.bincount(rows[top], weights=jaccard[top], minlength=n)[:n]


def _customer_transfers(ledger: TransactionLedger) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Money between two different customers: ``(payer, payee, total amount)`` per pair.

    Customers are ledger codes, which are positions in the sorted distinct customer ids.
    """
    keep = ledger.between_customers & (ledger.amount > 0)
    payer, payee, amount = ledger.payer[keep], ledger.payee[keep], ledger.amount[keep]
    n = ledger.n_customers
    pair, index = np.unique(payer.astype(np.int64) * n + payee, return_inverse=True)
    total = np.bincount(index, weights=amount, minlength=len(pair))
    return pair // n, pair % n, total


def _gds_pagerank(src: np.ndarray, dst: np.ndarray, weight: np.ndarray, n: int) -> np.ndarray:
    """Weighted PageRank as GDS computes it: unnormalised, ``(1 - d)`` teleport per node.

    ``PR(v) = (1 - d) + d * sum_u PR(u) * w(u, v) / W(u)`` with ``W(u)`` the total weight
    leaving ``u``; dangling nodes keep their rank (GDS does not redistribute it).
    """
    base = 1.0 - _DAMPING
    rank = np.full(n, base)
    if len(src) == 0:
        return rank
    out_weight = np.bincount(src, weights=weight, minlength=n)
    share = weight / out_weight[src]
    for _ in range(_MAX_ITERATIONS):
        updated = base + _DAMPING * np.bincount(dst, weights=rank[src] * share, minlength=n)
        change = float(np.abs(updated - rank).max())
        rank = updated
        if change < _TOLERANCE:
            break
    return rank


def _combine(first: np.ndarray, second: np.ndarray, fraudster: np.ndarray) -> np.ndarray:
    """One ranking in the guide's order: fraudsters, second-party suspects, the rest."""
    top_first = first.max() if len(first) and first.max() > 0 else 1.0
    top_second = second.max() if len(second) and second.max() > 0 else 1.0
    tier = np.where(fraudster, 2.0, np.where(second > 0, 1.0, 0.0))
    within = np.where(tier == 1.0, second / top_second, first / top_first)
    return (tier + within) / 3.0

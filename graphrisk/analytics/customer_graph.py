"""The customer graph: customers joined by what they share and by the money between them.

Why one module for it: risk propagation, identity rings and money-flow communities all look
at customers through the same links, and the Neo4j engine (``graphrisk/store/gds.py``)
projects exactly these links inside the database. Defining them once keeps the two engines
answering the same question.

Links, each with a weight per kind (:data:`DEFAULT_WEIGHTS`):

* shared identifiers (device, phone, e-mail, ip, address) used by 2..``max_identifier_degree``
  customers: identifiers shared by more (a call-centre phone, a mall address, a carrier NAT
  ip) say nothing about who knows whom and are ignored;
* sharing an account (owner and co-holder);
* payments between two customers' accounts, ``log2(1 + n)`` for ``n`` payments;
* probably the same person (``same_entity``: a pair entity resolution linked, open or
  confirmed; :attr:`~graphrisk.graph.GraphSnapshot.same_entity`), the weight times the
  match probability: one person behind two records is as close as two records get;
* payments with a customer's probable account outside the bank (``outside_account``: a
  counterparty entity resolution found probably that customer;
  :attr:`~graphrisk.graph.GraphSnapshot.counterparty_entity`): the paying customer and that
  customer, like a payment between them, ``log2(1 + n)`` times the match probability.

The money graph (:func:`build_money_graph`) is separate: payments only, weighted by the total
amount, for finding communities that move money among themselves.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse

from graphrisk.analytics.ledger import TransactionLedger, ledger_for
from graphrisk.graph import GraphSnapshot
from graphrisk.policy import DEFAULT_MAX_IDENTIFIER_DEGREE

__all__ = [
    "DEFAULT_MAX_IDENTIFIER_DEGREE",
    "DEFAULT_WEIGHTS",
    "IDENTIFIER_KINDS",
    "IDENTITY_KINDS",
    "CustomerGraph",
    "build_customer_graph",
    "build_money_graph",
    "customer_links",
    "graph_from_links",
    "customer_transfers",
]

#: Weight of one link of each kind between two customers. Identifier kinds by how personal
#: they are; ``co_holder`` for sharing an account; ``transfer`` for money between them.
DEFAULT_WEIGHTS: Mapping[str, float] = {
    "device": 3.0, "phone": 2.0, "email": 2.0, "ip": 1.0, "address": 1.0,
    "co_holder": 2.0, "transfer": 1.0, "same_entity": 3.0, "outside_account": 1.0,
}
#: The link kinds that are shared identifiers (the rest are accounts and payments).
IDENTIFIER_KINDS: tuple[str, ...] = ("device", "phone", "email", "ip", "address")
#: The link kinds that say who someone is: shared identifiers and probably being the same
#: person. Identity rings and identity clusters are joined by these.
IDENTITY_KINDS: tuple[str, ...] = (*IDENTIFIER_KINDS, "same_entity")
# DEFAULT_MAX_IDENTIFIER_DEGREE (identifiers used by more customers link nobody) lives in
# graphrisk.policy and stays importable from here.


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


def customer_links(
    snapshot: GraphSnapshot,
    *,
    weights: Mapping[str, float] = DEFAULT_WEIGHTS,
    max_identifier_degree: int = DEFAULT_MAX_IDENTIFIER_DEGREE,
    ledger: TransactionLedger | None = None,
) -> pd.DataFrame:
    """Every link between two customers, one row per link, with what makes it.

    Why long form: the graph adds links up, but a reason names them ("shares device:dev-91
    with C12"), so both are built from this one table.

    Args:
        snapshot: the graph as DataFrames.
        weights: weight per link kind (see :data:`DEFAULT_WEIGHTS`); a kind missing here
            is left out.
        max_identifier_degree: identifiers used by more customers than this are ignored.
        ledger: the snapshot's :func:`~graphrisk.analytics.ledger.build_ledger`, when the
            caller shares one (the payments are read from it); built here if not.

    Returns:
        ``customer_id_a < customer_id_b``, ``kind`` (a key of ``weights``), ``via`` (the
        identifier id, the account id, the number of payments, or for ``same_entity`` the
        sentence saying which fields agreed) and ``weight``.

    Raises:
        ValueError: ``max_identifier_degree`` is below 2.
    """
    if max_identifier_degree < 2:
        raise ValueError("max_identifier_degree must be at least 2")
    parts: list[pd.DataFrame] = []
    for kind, links in snapshot.identifiers.groupby("kind"):
        if kind in weights:
            pairs = _pairs_sharing(links, "identifier_id", max_identifier_degree)
            parts.append(pairs.rename(columns={"identifier_id": "via"})
                         .assign(kind=str(kind), weight=weights[str(kind)]))

    if "co_holder" in weights:
        holders = pd.concat([
            snapshot.accounts[["account_id", "customer_id"]],
            snapshot.account_holders[["account_id", "customer_id"]],
        ])
        pairs = _pairs_sharing(holders, "account_id", max_identifier_degree)
        parts.append(pairs.rename(columns={"account_id": "via"})
                     .assign(kind="co_holder", weight=weights["co_holder"]))

    if "transfer" in weights:
        paid = customer_transfers(snapshot, ledger=ledger)[["customer_id_a", "customer_id_b"]]
        counts = paid.value_counts().reset_index(name="n")
        # More payments between two customers strengthen the link, with diminishing returns.
        parts.append(counts.assign(kind="transfer", via=counts["n"].astype(str),
                                   weight=weights["transfer"] * np.log2(1 + counts["n"]))
                     .drop(columns="n"))

    same = snapshot.same_entity
    if "same_entity" in weights and len(same):
        parts.append(pd.DataFrame({
            "customer_id_a": same["customer_id_a"].to_numpy(dtype=object),
            "customer_id_b": same["customer_id_b"].to_numpy(dtype=object),
            "kind": "same_entity", "via": same["sentence"].astype(str).to_numpy(dtype=object),
            "weight": weights["same_entity"] * same["probability"].to_numpy(dtype=float)}))
    if "outside_account" in weights and len(snapshot.counterparty_entity):
        parts.append(_outside_account_links(snapshot, weights["outside_account"], ledger))
    columns = ["customer_id_a", "customer_id_b", "kind", "via", "weight"]
    if not parts:
        return pd.DataFrame(columns=columns)
    return pd.concat(parts, ignore_index=True)[columns]


def _outside_account_links(snapshot: GraphSnapshot, weight: float,
                           ledger: TransactionLedger | None) -> pd.DataFrame:
    """Customers who paid or were paid by a counterparty that is probably another customer,
    linked with that customer (``via``: how many payments with whom, `` — `` and why the
    counterparty is probably that customer)."""
    paid = ledger_for(snapshot, ledger).counterparty_payments()
    resolved = snapshot.counterparty_entity.rename(columns={"customer_id": "resolved_id"})
    joined = paid.merge(resolved, on="counterparty_id")
    joined = joined[joined["customer_id"] != joined["resolved_id"]]
    names = snapshot.counterparties.drop_duplicates("counterparty_id").set_index(
        "counterparty_id")["name"] if "name" in snapshot.counterparties else pd.Series()
    via = [f"{n} payment{'s' * (n != 1)} with {str(names.get(party, party))!r} ({party})"
           f" — {sentence}"
           for n, party, sentence in zip(joined["payments"], joined["counterparty_id"],
                                         joined["sentence"], strict=True)]
    first = joined["customer_id"].astype(str) < joined["resolved_id"].astype(str)
    return pd.DataFrame({
        "customer_id_a": np.where(first, joined["customer_id"], joined["resolved_id"]),
        "customer_id_b": np.where(first, joined["resolved_id"], joined["customer_id"]),
        "kind": "outside_account", "via": np.asarray(via, dtype=object),
        "weight": weight * joined["probability"].to_numpy(dtype=float)
        * np.log2(1 + joined["payments"].to_numpy(dtype=float))})


def build_customer_graph(
    snapshot: GraphSnapshot,
    *,
    weights: Mapping[str, float] = DEFAULT_WEIGHTS,
    max_identifier_degree: int = DEFAULT_MAX_IDENTIFIER_DEGREE,
    ledger: TransactionLedger | None = None,
) -> CustomerGraph:
    """Join customers who share identifiers or accounts, or who paid each other.

    Args:
        snapshot: the graph as DataFrames.
        weights: weight per link kind (see :data:`DEFAULT_WEIGHTS`); a kind missing here
            is left out.
        max_identifier_degree: identifiers used by more customers than this are ignored.
        ledger: the snapshot's transaction ledger, when the caller shares one.

    Returns:
        The customer graph; several links between the same two customers add up.
    """
    links = customer_links(snapshot, weights=weights,
                           max_identifier_degree=max_identifier_degree, ledger=ledger)
    return graph_from_links(snapshot, links)


def graph_from_links(snapshot: GraphSnapshot, links: pd.DataFrame) -> CustomerGraph:
    """The customer graph over every customer of ``snapshot`` from :func:`customer_links`."""
    ids = np.sort(snapshot.customers["customer_id"].to_numpy(dtype=object))
    position = pd.Series(np.arange(len(ids)), index=ids)
    return _graph_from_edges(ids, position, links)


def build_money_graph(
    snapshot: GraphSnapshot, *, ledger: TransactionLedger | None = None
) -> CustomerGraph:
    """Customers joined by the total amount paid between them (either direction).

    Why amounts, not counts: a community that launders money is held together by the sums it
    moves; one large transfer says more than many coffees. ``ledger``: the snapshot's
    transaction ledger, when the caller shares one.
    """
    ids = np.sort(snapshot.customers["customer_id"].to_numpy(dtype=object))
    position = pd.Series(np.arange(len(ids)), index=ids)
    paid = customer_transfers(snapshot, ledger=ledger)
    edges = (paid.groupby(["customer_id_a", "customer_id_b"], sort=False)["amount"].sum()
             .rename("weight").reset_index())
    return _graph_from_edges(ids, position, edges)


def customer_transfers(
    snapshot: GraphSnapshot, *, ledger: TransactionLedger | None = None
) -> pd.DataFrame:
    """Payments between two different customers, as unordered pairs.

    Args:
        snapshot: the graph as DataFrames.
        ledger: the snapshot's transaction ledger, when the caller shares one; the frame is
            then computed once per ledger and shared, so treat it as read-only.

    Returns:
        ``customer_id_a < customer_id_b`` and ``amount`` per payment between accounts of two
        different customers, in transaction order; payments to or from counterparties and
        between one customer's own accounts are left out.
    """
    return ledger_for(snapshot, ledger).customer_transfers()


def _graph_from_edges(
    ids: np.ndarray, position: pd.Series, edges: pd.DataFrame
) -> CustomerGraph:
    """A symmetric sparse graph from ``customer_id_a, customer_id_b, weight`` rows."""
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

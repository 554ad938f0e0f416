"""The region of a few customers: the part of a snapshot that analysing them completely needs.

Why: monitoring re-assesses a handful of customers at a time (those an alert or a case names),
and reading and analysing the whole graph for them is wasteful. A *region* holds everything
that the per-customer analytics read about the given customers — their accounts, every
transaction touching those accounts in either direction, who is at the far end of each, the
identifiers they share and with whom, their disputes, loans, account changes and features —
and nothing more. :func:`region_of` defines it on a snapshot; a store's
``GraphStore.region_snapshot`` reads the same rows straight from the database, and the contract
suite checks that the two agree.

Limits: a region is complete for the given customers only. Customers reached at the far end of
a transaction or through a shared identifier are present (so that a ledger can say who paid
whom, and an identifier's degree is right), but their own other transactions, accounts and
identifiers are not, so their factors are partial. Factors that compare a customer with the
whole population rather than with their own data — the data's time span (``velocity_burst``),
the median credit score that fills a missing one (``credit_score_risk``) — follow the region's
population, not the whole graph's.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from graphrisk.domain import ENTITY_BY_NAME
from graphrisk.graph import GraphSnapshot

__all__ = ["region_of"]

#: Frames sorted by other columns than their input key: identifier links are keyed by their
#: identifier node (as ``graphrisk.store`` keeps them).
_SORT_KEYS: dict[str, tuple[str, ...]] = {"identifiers": ("customer_id", "identifier_id")}


def region_of(snapshot: GraphSnapshot, customer_ids: Iterable[str]) -> GraphSnapshot:
    """The rows of ``snapshot`` needed to analyse ``customer_ids`` completely, and no more.

    The region holds:

    * ``accounts`` owned by (``accounts.customer_id``) or held by (``account_holders``) the
      given customers — *their accounts* — and every ``transactions`` row with either end on
      one of them;
    * the far ends of those transactions: the far ``accounts`` rows, their ``account_holders``
      rows and the ``counterparties`` the transactions name;
    * every ``identifiers`` row of the given customers, and every other customer's row that
      shares one of those identifiers;
    * ``disputes`` the given customers raised or that were raised against them (their
      ``against_customer_id``), ``customer_features`` of the given customers, and ``loans``
      and ``account_changes`` of their accounts;
    * ``same_entity`` links naming a given customer (probably the same person), and
      ``counterparty_entity`` links naming a given customer or a counterparty of the
      region's transactions (payments to a customer's account elsewhere; the payments
      others made to a given customer's outside account are not read: they reach her
      score on the next full run);
    * ``customers`` rows of the given customers and of every customer the rows above name
      (account owners and holders, identifier co-holders, same-entity partners, the
      complainants and accused of those disputes), and the ``counterparties`` those
      disputes accuse.

    Args:
        snapshot: the graph (a store's snapshot, or one built by hand).
        customer_ids: the customers to analyse; ids that are not customers of the snapshot
            are ignored.

    Returns:
        A snapshot with the same columns and dtypes in every frame, each frame sorted by its
        key (as a store's snapshot is) with a fresh index.
    """
    customers = snapshot.customers
    given = _ids(customers["customer_id"][customers["customer_id"].isin(set(customer_ids))])

    accounts, holders = snapshot.accounts, snapshot.account_holders
    theirs = (_ids(accounts["account_id"][accounts["customer_id"].isin(given)])
              | _ids(holders["account_id"][holders["customer_id"].isin(given)]))

    txns = snapshot.transactions
    touching = txns[txns["from_account_id"].isin(theirs) | txns["to_account_id"].isin(theirs)]
    every_account = theirs | _ids(touching["from_account_id"]) | _ids(touching["to_account_id"])
    counterparties = (_ids(touching["from_counterparty_id"])
                      | _ids(touching["to_counterparty_id"]))

    identifiers = snapshot.identifiers
    link = _identifier_link(identifiers)
    shared = identifiers[link.isin(_ids(link[identifiers["customer_id"].isin(given)]))]

    same = snapshot.same_entity
    same = same[same["customer_id_a"].isin(given) | same["customer_id_b"].isin(given)]

    outside = snapshot.counterparty_entity
    outside = outside[outside["customer_id"].isin(given)
                      | outside["counterparty_id"].isin(counterparties)]

    disputes = snapshot.disputes
    disputes = disputes[disputes["customer_id"].isin(given)
                        | _optional(disputes, "against_customer_id").isin(given)]
    counterparties |= _ids(_optional(disputes, "against_counterparty_id"))

    region_accounts = accounts[accounts["account_id"].isin(every_account)]
    region_holders = holders[holders["account_id"].isin(every_account)]
    reached = (given | _ids(region_accounts["customer_id"])
               | _ids(region_holders["customer_id"]) | _ids(shared["customer_id"])
               | _ids(same["customer_id_a"]) | _ids(same["customer_id_b"])
               | _ids(outside["customer_id"]) | _ids(disputes["customer_id"])
               | _ids(_optional(disputes, "against_customer_id")))

    frames = {
        "customers": customers[customers["customer_id"].isin(reached)],
        "accounts": region_accounts,
        "account_holders": region_holders,
        "counterparties": snapshot.counterparties[
            snapshot.counterparties["counterparty_id"].isin(counterparties)],
        "identifiers": shared,
        "transactions": touching,
        "disputes": disputes,
        "loans": snapshot.loans[snapshot.loans["account_id"].isin(theirs)],
        "account_changes": snapshot.account_changes[
            snapshot.account_changes["account_id"].isin(theirs)],
        "customer_features": snapshot.customer_features[
            snapshot.customer_features["customer_id"].isin(given)],
    }
    return GraphSnapshot(**{name: _sorted(name, frame) for name, frame in frames.items()},
                         counterparty_entity=outside.sort_values(
                             ["counterparty_id", "customer_id"], kind="stable",
                             ignore_index=True),
                         same_entity=same.sort_values(["customer_id_a", "customer_id_b"],
                                                      kind="stable", ignore_index=True))


def _ids(values: pd.Series) -> set[str]:
    """The distinct non-missing ids of a column."""
    return set(values.dropna().tolist())


def _optional(frame: pd.DataFrame, column: str) -> pd.Series:
    """A column that a snapshot built by hand may leave out (then all missing)."""
    if column in frame.columns:
        return frame[column]
    return pd.Series(None, index=frame.index, dtype=object)


def _identifier_link(identifiers: pd.DataFrame) -> pd.Series:
    """What makes two identifier rows the same identifier: its node id, else kind and value.

    Why the fallback: a hand-built snapshot may leave ``identifier_id`` out; its rows then
    match on the (normalised) kind and value, as the node id is derived from them.
    """
    if "identifier_id" in identifiers.columns:
        return identifiers["identifier_id"]
    return identifiers["kind"].astype(str) + ":" + identifiers["value"].astype(str)


def _sorted(name: str, frame: pd.DataFrame) -> pd.DataFrame:
    keys = [c for c in _SORT_KEYS.get(name, ENTITY_BY_NAME[name].key) if c in frame.columns]
    if not keys:
        return frame.reset_index(drop=True)
    return frame.sort_values(keys, kind="stable", ignore_index=True)

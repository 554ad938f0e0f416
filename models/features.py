"""The GNN's raw features: the node and edge tables of a snapshot, before encoding.

Why a module of its own: which numbers describe a customer, an account, a counterparty, a
shared identifier or a payment between two parties is the model's view of the bank; the
network, the training loop and the stored model all depend on it. This module builds those
numbers as plain DataFrames (:func:`build_raw_graph`); :mod:`graphrisk.models.encoders` scales
and one-hot encodes them and :mod:`graphrisk.models.dataset` assembles the ``HeteroData``.

The graph's types, message direction ``source -> target``: :data:`NODE_TYPES`, the forward
edge types (``customer -holds-> account``, ``customer -uses-> identifier``, ``account
-sends_to-> account | counterparty``, ``counterparty -sends_to-> account``) and their reverses
(``held_by``, ``used_by``, ``received_from``), all in :data:`EDGE_TYPES`.

Choices worth knowing:

* **Identifiers** used by one customer link nobody and are most of them (over 99 % in the
  generated banks); those used by more than ``max_identifier_degree`` customers (a
  call-centre phone, a carrier's NAT address) say nothing about who knows whom — the cut-off of
  :mod:`graphrisk.analytics.customer_graph`. Neither becomes a node; a customer's counts of
  identifiers, shared identifiers and hub identifiers are customer features instead.
* **Disputes** are customer features (counts by kind, upheld ones, total amount via the
  factors), not nodes: a dispute belongs to one customer and links nobody else, so a dispute
  node would only pass the same counts along a longer path.
* **Loans and account changes** are account features (counts, loans in trouble), for the same
  reason.
* **Customer features** are the individual factors of
  :func:`graphrisk.analytics.factors.compute_risk_factors`, each scaled as its entry in the
  factor registry says (:func:`graphrisk.analytics.factor_registry.scale_for_model`: the
  heavy-tailed ones as ``log1p``), so a new factor becomes a feature with no edit here; plus
  credit score, log income, age, tenure, account and identifier counts, disputes by kind,
  and one-hot segment, KYC status, industry and country, with a ``*_missing`` flag where a
  value can be absent.
* **Payments** are aggregated per (payer, payee) pair into one edge: log total amount, log
  count, log largest amount, years before the end of the data of the first and the last
  payment, share at odd hours (00-05 UTC), share in round hundreds of at least 1,000, share
  just under the reporting threshold. Who paid whom, the amount, the time and those three
  predicates are read from the snapshot's transaction ledger
  (:mod:`graphrisk.analytics.ledger`), where they are defined for the factors too; a payment
  whose time is unknown counts in the amounts but not in the times or the odd-hours share.
* **Bring-your-own customer features**: every feature name in the snapshot's
  ``customer_features`` (bureau variables, financial-statement ratios...) becomes a numeric
  column ``feature:<name>``, with a ``feature:<name>_missing`` flag (a customer without a row
  for it gets the mean once encoded). The names are fitted: they are part of the encoders'
  settings (``customer_features``), so a later snapshot gets the same columns, a feature the
  model never saw is ignored and one it lacks counts as missing. Values are taken as given (no
  ``log1p``): transform heavy tails before loading.
* **Never a feature**: ``known_risk_label`` (the label) and ``known_risk_source`` (which would
  give the label away), names and ids.
* **Time** is measured backwards from the last transaction in the snapshot (the "end of the
  data"), so that a later snapshot reads the same way to a model trained on an earlier one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from graphrisk.analytics.factor_registry import scale_for_model
from graphrisk.analytics.factors import compute_risk_factors
from graphrisk.analytics.ledger import TransactionLedger, ledger_for
from graphrisk.domain import (
    ACCOUNT_STATUSES,
    ACCOUNT_TYPES,
    COUNTERPARTY_KINDS,
    DISPUTE_KINDS,
    HOLDER_ROLES,
    KYC_STATUSES,
    SEGMENTS,
    IdentifierKind,
)
from graphrisk.graph import GraphSnapshot

__all__ = [
    "CATEGORICAL_COLUMNS",
    "EDGE_TYPES",
    "FIXED_VOCABULARIES",
    "FORWARD_EDGE_TYPES",
    "HOLDS",
    "NODE_TYPES",
    "SENDS_ACCOUNT_ACCOUNT",
    "SENDS_ACCOUNT_COUNTERPARTY",
    "SENDS_COUNTERPARTY_ACCOUNT",
    "USES",
    "RawGraph",
    "build_raw_graph",
    "edge_key",
    "reverse_edge_type",
]

#: Node types, in the order every dict over them is built.
NODE_TYPES: tuple[str, ...] = ("customer", "account", "counterparty", "identifier")

HOLDS = ("customer", "holds", "account")
USES = ("customer", "uses", "identifier")
SENDS_ACCOUNT_ACCOUNT = ("account", "sends_to", "account")
SENDS_ACCOUNT_COUNTERPARTY = ("account", "sends_to", "counterparty")
SENDS_COUNTERPARTY_ACCOUNT = ("counterparty", "sends_to", "account")
#: The edge types built from the data; each also has a reverse (:func:`reverse_edge_type`).
FORWARD_EDGE_TYPES: tuple[tuple[str, str, str], ...] = (
    HOLDS, USES, SENDS_ACCOUNT_ACCOUNT, SENDS_ACCOUNT_COUNTERPARTY, SENDS_COUNTERPARTY_ACCOUNT,
)
_REVERSE_NAME = {"holds": "held_by", "uses": "used_by", "sends_to": "received_from"}


def reverse_edge_type(edge_type: tuple[str, str, str]) -> tuple[str, str, str]:
    """The edge type carrying the same edges the other way (``holds`` -> ``held_by``)."""
    src, rel, dst = edge_type
    return (dst, _REVERSE_NAME[rel], src)


#: Every edge type: the forward ones, then their reverses.
EDGE_TYPES: tuple[tuple[str, str, str], ...] = FORWARD_EDGE_TYPES + tuple(
    reverse_edge_type(e) for e in FORWARD_EDGE_TYPES)

_TROUBLED_LOANS = ("finished_unpaid", "running_in_debt")
_YEAR_SECONDS = 365.25 * 86_400


def edge_key(edge_type: tuple[str, str, str]) -> str:
    """An edge type as one string, ``source__relation__target`` (for JSON and dict keys)."""
    return "__".join(edge_type)


#: The categorical columns of each group (node type, or :func:`edge_key` of a forward edge
#: type); every other column of a raw table is numeric.
CATEGORICAL_COLUMNS: dict[str, tuple[str, ...]] = {
    "customer": ("segment", "kyc_status", "industry", "country"),
    "account": ("account_type", "status", "currency"),
    "counterparty": ("kind",),
    "identifier": ("kind",),
    edge_key(HOLDS): ("role",),
    edge_key(USES): ("kind",),
}

#: Categorical columns with a fixed vocabulary (the schema's enums); the others (industry,
#: country, currency) are fitted by the encoders.
FIXED_VOCABULARIES: dict[tuple[str, str], tuple[str, ...]] = {
    ("customer", "segment"): SEGMENTS,
    ("customer", "kyc_status"): KYC_STATUSES,
    ("account", "account_type"): ACCOUNT_TYPES,
    ("account", "status"): ACCOUNT_STATUSES,
    ("counterparty", "kind"): COUNTERPARTY_KINDS,
    ("identifier", "kind"): tuple(k.value for k in IdentifierKind),
    (edge_key(HOLDS), "role"): HOLDER_ROLES,
    (edge_key(USES), "kind"): tuple(k.value for k in IdentifierKind),
}


@dataclass
class RawGraph:
    """Unencoded node and edge tables, with node ids and edge indices.

    Attributes:
        ids: the business id of every node, per node type, in node order.
        nodes: per node type, one row per node (in ``ids`` order), one column per feature.
        edges: per forward edge type, the ``[2, E]`` int64 ``edge_index`` (source and target
            node positions) and the edge features, one row per edge.
        categorical: :data:`CATEGORICAL_COLUMNS`.
    """

    ids: dict[str, np.ndarray]
    nodes: dict[str, pd.DataFrame]
    edges: dict[tuple[str, str, str], tuple[np.ndarray, pd.DataFrame]]
    categorical: dict[str, tuple[str, ...]]

    def frames(self) -> dict[str, pd.DataFrame]:
        """The feature table of every group: node types, then :func:`edge_key` of the edges."""
        return {**self.nodes, **{edge_key(e): f for e, (_, f) in self.edges.items()}}


def build_raw_graph(snapshot: GraphSnapshot, customers: pd.DataFrame,
                    settings: Mapping[str, Any],
                    ledger: TransactionLedger | None = None) -> RawGraph:
    """The raw node and edge tables of a snapshot (see the module docstring).

    Args:
        snapshot: the graph as DataFrames.
        customers: the snapshot's customers, one row each, in node order.
        settings: ``max_identifier_degree``, ``reporting_threshold``,
            ``high_risk_industries`` (lower case), ``high_risk_countries`` (upper case) and
            optionally ``customer_features`` (the bring-your-own names to read, in order), as
            in :attr:`graphrisk.models.encoders.FeatureEncoders.settings`.
        ledger: the snapshot's :func:`~graphrisk.analytics.ledger.build_ledger`, built with
            the settings' ``reporting_threshold``, when the caller shares one; built here if
            not.

    Returns:
        The raw graph; accounts and counterparties in id order, shared identifiers in id order.

    Raises:
        ValueError: ``ledger`` belongs to another snapshot or reporting threshold.
    """
    ledger = ledger_for(snapshot, ledger,
                        reporting_threshold=float(settings["reporting_threshold"]))
    end = _end_of_data(ledger, customers)
    customer_index = pd.Index(customers["customer_id"].astype(str))
    accounts = (snapshot.accounts.drop_duplicates("account_id")
                .sort_values("account_id").reset_index(drop=True))
    account_index = pd.Index(accounts["account_id"].astype(str))
    counterparties = (snapshot.counterparties.drop_duplicates("counterparty_id")
                      .sort_values("counterparty_id").reset_index(drop=True))
    counterparty_index = pd.Index(counterparties["counterparty_id"].astype(str))

    holds_index, holds = _holds(snapshot, accounts, customer_index, account_index)
    identifiers, uses_index, uses, identifier_counts = _identifiers(
        snapshot.identifiers, customer_index, int(settings["max_identifier_degree"]), end)
    transfers = _Transfers.build(ledger, account_index, counterparty_index, end)
    account_owner = customer_index.get_indexer(accounts["customer_id"].astype(str))
    account_frame = _account_features(snapshot, accounts, account_index, holds_index,
                                       transfers, end)
    customer_frame = _customer_features(
        snapshot, ledger, customers, customer_index, accounts, account_owner, holds_index,
        holds, identifier_counts, settings, end)
    customer_frame = pd.concat([customer_frame, _brought_features(
        snapshot.customer_features, customer_index,
        settings.get("customer_features", []))], axis=1)
    counterparty_frame = _counterparty_features(counterparties, transfers, settings)

    edges = {
        HOLDS: (holds_index, holds),
        USES: (uses_index, uses),
        **transfers.edges,
    }
    return RawGraph(
        ids={
            "customer": customer_index.to_numpy(dtype=object),
            "account": account_index.to_numpy(dtype=object),
            "counterparty": counterparty_index.to_numpy(dtype=object),
            "identifier": identifiers["identifier_id"].to_numpy(dtype=object),
        },
        nodes={"customer": customer_frame, "account": account_frame,
               "counterparty": counterparty_frame,
               "identifier": identifiers.drop(columns="identifier_id")},
        edges=edges,
        categorical=dict(CATEGORICAL_COLUMNS),
    )


# --------------------------------------------------------------------------------------------
# Private implementation
# --------------------------------------------------------------------------------------------


def _seconds(values: pd.Series) -> np.ndarray:
    """ISO 8601 date-times (or dates) as float seconds since 1970 (UTC); NaN where missing.

    For the dates that are not transactions (onboarding, account opening, identifier first
    seen): an account opened before 1970 is still a date, where the ledger's ``-1`` is none.
    """
    parsed = pd.to_datetime(values, format="ISO8601", utc=True, errors="coerce", cache=False)
    seconds = parsed.dt.tz_localize(None).to_numpy(dtype="datetime64[s]").astype(np.float64)
    seconds[parsed.isna().to_numpy()] = np.nan
    return seconds


def _end_of_data(ledger: TransactionLedger, customers: pd.DataFrame) -> float:
    """The last transaction time (else the last onboarding), in seconds since 1970."""
    if ledger.timed.any():
        return float(ledger.seconds[ledger.timed].max())
    values = customers.get("onboarding_date")
    if values is not None and len(values):
        seconds = _seconds(values)
        if np.isfinite(seconds).any():
            return float(np.nanmax(seconds))
    return 0.0


def _years_before(end: float, seconds: np.ndarray) -> np.ndarray:
    return np.clip((end - seconds) / _YEAR_SECONDS, 0.0, None)


def _count(codes: np.ndarray, n: int, weights: np.ndarray | None = None) -> np.ndarray:
    keep = codes >= 0
    w = None if weights is None else weights[keep]
    return np.bincount(codes[keep], weights=w, minlength=n)[:n].astype(np.float64)


def _holds(snapshot: GraphSnapshot, accounts: pd.DataFrame, customer_index: pd.Index,
           account_index: pd.Index) -> tuple[np.ndarray, pd.DataFrame]:
    owners = pd.DataFrame({"customer_id": accounts["customer_id"].astype(str),
                           "account_id": accounts["account_id"].astype(str), "role": "owner"})
    others = snapshot.account_holders[["customer_id", "account_id", "role"]].astype(str)
    links = pd.concat([owners, others], ignore_index=True)
    links["c"] = customer_index.get_indexer(links["customer_id"])
    links["a"] = account_index.get_indexer(links["account_id"])
    links = (links[(links["c"] >= 0) & (links["a"] >= 0)]
             .drop_duplicates(["c", "a"]).sort_values(["c", "a"]))
    index = np.vstack([links["c"].to_numpy(), links["a"].to_numpy()]).astype(np.int64)
    return index, links[["role"]].reset_index(drop=True)


def _identifiers(
    identifiers: pd.DataFrame, customer_index: pd.Index, max_degree: int, end: float
) -> tuple[pd.DataFrame, np.ndarray, pd.DataFrame, pd.DataFrame]:
    """Shared identifier nodes, customer->identifier links, and per-customer counts."""
    links = identifiers[["customer_id", "identifier_id", "kind", "first_seen"]].copy()
    links["c"] = customer_index.get_indexer(links["customer_id"].astype(str))
    links = links[links["c"] >= 0].drop_duplicates(["c", "identifier_id"])
    degree = links.groupby("identifier_id")["c"].transform("size").to_numpy()
    n = len(customer_index)
    counts = pd.DataFrame({
        "identifiers": _count(links["c"].to_numpy(), n),
        "shared_identifiers": _count(links["c"].to_numpy()[(degree >= 2)
                                                           & (degree <= max_degree)], n),
        "hub_identifiers": _count(links["c"].to_numpy()[degree > max_degree], n),
    })
    kept = links[(degree >= 2) & (degree <= max_degree)]
    nodes = (kept.groupby("identifier_id", sort=True)
             .agg(kind=("kind", "first"), customers=("c", "size")).reset_index())
    nodes["customers"] = np.log1p(nodes["customers"].to_numpy(dtype=np.float64))
    position = pd.Index(nodes["identifier_id"]).get_indexer(kept["identifier_id"])
    kept = kept.assign(i=position).sort_values(["c", "i"])
    index = np.vstack([kept["c"].to_numpy(), kept["i"].to_numpy()]).astype(np.int64)
    edges = pd.DataFrame({
        "kind": kept["kind"].to_numpy(),
        "first_seen_years_ago": np.log1p(_years_before(end, _seconds(kept["first_seen"]))),
    })
    return nodes[["identifier_id", "kind", "customers"]], index, edges, counts


@dataclass
class _Transfers:
    """Payments aggregated per (payer, payee) pair, and per-node totals."""

    edges: dict[tuple[str, str, str], tuple[np.ndarray, pd.DataFrame]]
    account_out: np.ndarray  # rows: count, amount
    account_in: np.ndarray
    account_partners: np.ndarray
    counterparty_out: np.ndarray
    counterparty_in: np.ndarray

    @classmethod
    def build(cls, ledger: TransactionLedger, account_index: pd.Index,
              counterparty_index: pd.Index, end: float) -> _Transfers:
        n_acc, n_cp = len(account_index), len(counterparty_index)
        # The ledger's codes as node positions; counterparties that only transactions name
        # are no node (-1), like a payment's missing end.
        account = _node_positions(ledger.account_ids, account_index)
        party = _node_positions(ledger.counterparty_ids, counterparty_index)
        from_acc, to_acc = account[ledger.payer_account], account[ledger.payee_account]
        from_cp, to_cp = party[ledger.payer_counterparty], party[ledger.payee_counterparty]
        amount = ledger.amount
        timed = ledger.timed
        columns = {
            "amount": amount,
            "t": np.where(timed, ledger.seconds, np.nan),
            "odd": np.where(timed, ledger.odd_hour, np.nan),
            "round": ledger.round_amount.astype(float),
            "under": ledger.just_under_threshold.astype(float),
        }

        edges = {}
        for edge_type, src, dst in (
            (SENDS_ACCOUNT_ACCOUNT, from_acc, to_acc),
            (SENDS_ACCOUNT_COUNTERPARTY, from_acc, to_cp),
            (SENDS_COUNTERPARTY_ACCOUNT, from_cp, to_acc),
        ):
            keep = (src >= 0) & (dst >= 0)
            edges[edge_type] = _pairs(src[keep], dst[keep],
                                      {k: v[keep] for k, v in columns.items()}, end)

        def totals(codes: np.ndarray, n: int) -> np.ndarray:
            return np.vstack([_count(codes, n), _count(codes, n, amount)])

        partners = pd.concat([
            pd.DataFrame({"a": from_acc, "p": np.where(to_acc >= 0, to_acc, n_acc + to_cp)}),
            pd.DataFrame({"a": to_acc, "p": np.where(from_acc >= 0, from_acc, n_acc + from_cp)}),
        ])
        partners = partners[(partners["a"] >= 0) & (partners["p"] >= 0)].drop_duplicates()
        return cls(
            edges=edges,
            account_out=totals(from_acc, n_acc), account_in=totals(to_acc, n_acc),
            account_partners=_count(partners["a"].to_numpy(), n_acc),
            counterparty_out=totals(from_cp, n_cp), counterparty_in=totals(to_cp, n_cp),
        )


def _node_positions(ids: pa.Array, index: pd.Index) -> np.ndarray:
    """Per ledger code, the node position of its id in ``index`` (-1 where it is none), and
    -1 once more at the end, so that indexing with the code -1 ("no such end") gives -1."""
    positions = index.get_indexer(pd.Index(ids.to_pylist(), dtype=object))
    return np.append(positions, -1).astype(np.int64)


def _pairs(src: np.ndarray, dst: np.ndarray, columns: Mapping[str, np.ndarray],
           end: float) -> tuple[np.ndarray, pd.DataFrame]:
    frame = pd.DataFrame({"s": src, "d": dst, **columns})
    grouped = frame.groupby(["s", "d"], sort=True).agg(
        total=("amount", "sum"), count=("amount", "size"), largest=("amount", "max"),
        first=("t", "min"), last=("t", "max"), odd=("odd", "mean"),
        round=("round", "mean"), under=("under", "mean"))
    index = np.vstack([grouped.index.get_level_values(0).to_numpy(),
                       grouped.index.get_level_values(1).to_numpy()]).astype(np.int64)
    features = pd.DataFrame({
        "log_total_amount": np.log1p(grouped["total"].to_numpy(dtype=np.float64)),
        "log_count": np.log1p(grouped["count"].to_numpy(dtype=np.float64)),
        "log_largest_amount": np.log1p(grouped["largest"].to_numpy(dtype=np.float64)),
        "first_years_ago": _years_before(end, grouped["first"].to_numpy(dtype=np.float64)),
        "last_years_ago": _years_before(end, grouped["last"].to_numpy(dtype=np.float64)),
        "odd_hours_share": grouped["odd"].to_numpy(dtype=np.float64),
        "round_amount_share": grouped["round"].to_numpy(dtype=np.float64),
        "just_under_threshold_share": grouped["under"].to_numpy(dtype=np.float64),
    })
    return index, features


def _account_features(snapshot: GraphSnapshot, accounts: pd.DataFrame, account_index: pd.Index,
                      holds_index: np.ndarray, transfers: _Transfers, end: float) -> pd.DataFrame:
    n = len(accounts)
    loans = snapshot.loans
    loan_account = account_index.get_indexer(loans["account_id"].astype(str))
    troubled = loans["status"].astype("string").isin(_TROUBLED_LOANS).fillna(False).to_numpy(bool)
    changes = account_index.get_indexer(snapshot.account_changes["account_id"].astype(str))
    return pd.DataFrame({
        "age_years": np.log1p(_years_before(end, _seconds(accounts["opened_date"]))),
        "closed": accounts["closed_date"].notna().to_numpy(dtype=np.float64),
        "holders": np.log1p(_count(holds_index[1], n)),
        "changes": np.log1p(_count(changes, n)),
        "loans": np.log1p(_count(loan_account, n)),
        "loans_in_trouble": np.log1p(_count(loan_account[troubled], n)),
        "out_count": np.log1p(transfers.account_out[0]),
        "out_amount": np.log1p(transfers.account_out[1]),
        "in_count": np.log1p(transfers.account_in[0]),
        "in_amount": np.log1p(transfers.account_in[1]),
        "partners": np.log1p(transfers.account_partners),
        "account_type": accounts["account_type"].to_numpy(),
        "status": accounts["status"].to_numpy(),
        "currency": accounts["currency"].to_numpy(),
    })


def _counterparty_features(counterparties: pd.DataFrame, transfers: _Transfers,
                           settings: Mapping[str, Any]) -> pd.DataFrame:
    country = counterparties["country"].astype("string").str.upper()
    industry = counterparties["industry"].astype("string").str.lower()
    return pd.DataFrame({
        "high_risk_country": country.isin(settings["high_risk_countries"]).fillna(False)
        .to_numpy(dtype=np.float64),
        "high_risk_industry": industry.isin(settings["high_risk_industries"]).fillna(False)
        .to_numpy(dtype=np.float64),
        "out_count": np.log1p(transfers.counterparty_out[0]),
        "out_amount": np.log1p(transfers.counterparty_out[1]),
        "in_count": np.log1p(transfers.counterparty_in[0]),
        "in_amount": np.log1p(transfers.counterparty_in[1]),
        "kind": counterparties["kind"].to_numpy(),
    })


def _brought_features(features: pd.DataFrame, customer_index: pd.Index,
                      names: list[str]) -> pd.DataFrame:
    """The ``customer_features`` rows of ``names``, wide: ``feature:<name>`` (NaN where a
    customer has no value) and ``feature:<name>_missing`` per name, in ``names`` order."""
    n = len(customer_index)
    values = np.full((n, len(names)), np.nan)
    if names and len(features):
        rows = features[features["feature"].astype(str).isin(names)]
        row = customer_index.get_indexer(rows["customer_id"].astype(str))
        column = pd.Index(names).get_indexer(rows["feature"].astype(str))
        keep = row >= 0
        values[row[keep], column[keep]] = pd.to_numeric(
            rows["value"], errors="coerce").to_numpy(dtype=np.float64)[keep]
    values[~np.isfinite(values)] = np.nan
    columns: dict[str, np.ndarray] = {}
    for j, name in enumerate(names):
        columns[f"feature:{name}"] = values[:, j]
        columns[f"feature:{name}_missing"] = np.isnan(values[:, j]).astype(np.float64)
    return pd.DataFrame(columns, index=range(n))


def _customer_features(
    snapshot: GraphSnapshot, ledger: TransactionLedger, customers: pd.DataFrame,
    customer_index: pd.Index,
    accounts: pd.DataFrame, account_owner: np.ndarray, holds_index: np.ndarray,
    holds: pd.DataFrame, identifier_counts: pd.DataFrame, settings: Mapping[str, Any],
    end: float,
) -> pd.DataFrame:
    n = len(customers)
    factors = compute_risk_factors(
        snapshot, reporting_threshold=float(settings["reporting_threshold"]),
        high_risk_industries=frozenset(settings["high_risk_industries"]),
        high_risk_countries=frozenset(settings["high_risk_countries"]), ledger=ledger,
    ).set_index("customer_id").reindex(customer_index)
    frame = scale_for_model(factors).reset_index(drop=True)

    credit = pd.to_numeric(customers["credit_score"], errors="coerce").to_numpy(np.float64)
    income = pd.to_numeric(customers["annual_income"], errors="coerce").to_numpy(np.float64)
    birth = pd.to_numeric(customers["birth_year"], errors="coerce").to_numpy(np.float64)
    end_year = pd.Timestamp(end, unit="s").year if end else np.nan
    frame["credit_score"] = credit
    frame["credit_score_missing"] = np.isnan(credit).astype(float)
    frame["log_income"] = np.log1p(np.clip(income, 0.0, None))
    frame["income_missing"] = np.isnan(income).astype(float)
    frame["age"] = end_year - birth
    frame["age_missing"] = np.isnan(birth).astype(float)
    frame["tenure_years"] = np.log1p(_years_before(end, _seconds(customers["onboarding_date"])))

    owner = account_owner[account_owner >= 0]
    frame["accounts_owned"] = np.log1p(_count(owner, n))
    held_by_others = holds["role"].to_numpy() != "owner"
    frame["accounts_co_held"] = np.log1p(_count(holds_index[0][held_by_others], n))
    for column in identifier_counts.columns:
        frame[column] = np.log1p(identifier_counts[column].to_numpy())

    disputes = snapshot.disputes
    code = customer_index.get_indexer(disputes["customer_id"].astype(str))
    kind = disputes["kind"].astype("string")
    for name in DISPUTE_KINDS:
        frame[f"disputes_{name}"] = np.log1p(_count(code[kind.eq(name).fillna(False)
                                                         .to_numpy(bool)], n))
    upheld = disputes["status"].astype("string").eq("upheld").fillna(False).to_numpy(bool)
    frame["disputes_upheld"] = np.log1p(_count(code[upheld], n))

    loans = snapshot.loans
    loan_account = pd.Index(accounts["account_id"].astype(str)).get_indexer(
        loans["account_id"].astype(str))
    loan_owner = np.where(loan_account >= 0, account_owner[loan_account], -1)
    troubled = loans["status"].astype("string").isin(_TROUBLED_LOANS).fillna(False).to_numpy(bool)
    frame["loans"] = np.log1p(_count(loan_owner, n))
    frame["loans_in_trouble"] = np.log1p(_count(loan_owner[troubled], n))

    for column in ("segment", "kyc_status", "industry", "country"):
        values = customers[column].astype("string")
        if column == "industry":
            values = values.str.lower()
        elif column == "country":
            values = values.str.upper()
        frame[column] = values.to_numpy(dtype=object)
    return frame

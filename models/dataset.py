"""The bank as a heterogeneous graph for a GNN: node types, edge types, features and labels.

Why a module of its own: the network, the training loop and the stored model artefact all
depend on exactly which numbers describe a customer, an account or a payment. Building them
in one place, with fitted encoders that are saved next to the model, is what lets a model
trained on one snapshot score the next one (inductive use) with the same feature meanings.

The graph (:func:`build_graph_dataset`), message direction ``source -> target``:

=====================================  ===========================================================
edge type                              built from, edge features
=====================================  ===========================================================
``customer -holds-> account``          ``accounts`` (the owner) and ``account_holders``
                                       (co-holders, authorised users); the role, one-hot
``customer -uses-> identifier``        ``identifiers`` whose value 2 to ``max_identifier_degree``
                                       customers use; the kind and how long ago it was first seen
``account -sends_to-> account``        ``transactions``, one edge per (payer, payee) pair:
``account -sends_to-> counterparty``   log total amount, log count, log largest amount, years
``counterparty -sends_to-> account``   before the end of the data of the first and the last
                                       payment, share at odd hours (00-05 UTC), share in round
                                       hundreds of at least 1,000, share just under the
                                       reporting threshold
=====================================  ===========================================================

Each has a reverse edge type (``held_by``, ``used_by``, ``received_from``) with the same
features, so that information flows both ways (an account learns who owns it, a customer
what their accounts did).

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
* **Customer features** are the 15 individual factors of
  :func:`graphrisk.analytics.factors.compute_risk_factors` (the heavy-tailed ones as
  ``log1p``) plus credit score, log income, age, tenure, account and identifier counts,
  disputes by kind, and one-hot segment, KYC status, industry and country. Numbers are
  standardised with the fitted mean and deviation (missing values become the mean, with a
  ``*_missing`` flag where a value can be absent) and clipped to ``[-10, 10]``.
* **Bring-your-own customer features**: every feature name in the snapshot's
  ``customer_features`` (bureau variables, financial-statement ratios...) becomes a numeric
  column ``feature:<name>``, standardised like the others, with a ``feature:<name>_missing``
  flag (a customer without a row for it gets the mean). The names are fitted: they are part of
  the encoders (``settings["customer_features"]``), so a later snapshot gets the same columns,
  a feature the model never saw is ignored and one it lacks counts as missing. Values are
  taken as given (no ``log1p``): transform heavy tails before loading.
* **Never a feature**: ``known_risk_label`` (the label, ``customer.y``) and
  ``known_risk_source`` (which would give the label away), names and ids.
* **Time** is measured backwards from the last transaction in the snapshot (the "end of the
  data"), so that a later snapshot reads the same way to a model trained on an earlier one.

The fitted :class:`FeatureEncoders` (vocabularies, means, deviations and the settings above)
are plain JSON; ``build_graph_dataset(new_snapshot, encoders=trained_encoders)`` applies them
unchanged, with unseen categories in an ``__other__`` column.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch

from graphrisk.analytics.customer_graph import DEFAULT_MAX_IDENTIFIER_DEGREE
from graphrisk.analytics.factors import (
    DEFAULT_HIGH_RISK_COUNTRIES,
    DEFAULT_HIGH_RISK_INDUSTRIES,
    DEFAULT_REPORTING_THRESHOLD,
    FACTOR_COLUMNS,
    compute_risk_factors,
)
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
from graphrisk.models._pyg import HeteroData

__all__ = [
    "EDGE_TYPES",
    "ENCODERS_FORMAT_VERSION",
    "NODE_TYPES",
    "FeatureEncoders",
    "GraphDataset",
    "build_graph_dataset",
    "edge_key",
    "snapshot_fingerprint",
]

#: Node types, in the order every dict over them is built.
NODE_TYPES: tuple[str, ...] = ("customer", "account", "counterparty", "identifier")

HOLDS = ("customer", "holds", "account")
USES = ("customer", "uses", "identifier")
SENDS_ACCOUNT_ACCOUNT = ("account", "sends_to", "account")
SENDS_ACCOUNT_COUNTERPARTY = ("account", "sends_to", "counterparty")
SENDS_COUNTERPARTY_ACCOUNT = ("counterparty", "sends_to", "account")
_FORWARD: tuple[tuple[str, str, str], ...] = (
    HOLDS, USES, SENDS_ACCOUNT_ACCOUNT, SENDS_ACCOUNT_COUNTERPARTY, SENDS_COUNTERPARTY_ACCOUNT,
)
_REVERSE_NAME = {"holds": "held_by", "uses": "used_by", "sends_to": "received_from"}


def _reverse(edge_type: tuple[str, str, str]) -> tuple[str, str, str]:
    src, rel, dst = edge_type
    return (dst, _REVERSE_NAME[rel], src)


#: Every edge type: the forward ones, then their reverses.
EDGE_TYPES: tuple[tuple[str, str, str], ...] = _FORWARD + tuple(_reverse(e) for e in _FORWARD)
#: Version of the :class:`FeatureEncoders` JSON layout.
ENCODERS_FORMAT_VERSION = 1

# Factors whose tails are long (counts, amounts, ratios): log1p before standardising.
_LOG_FACTORS = frozenset({
    "dispute_count", "dispute_amount", "fraud_claims", "large_txn_ratio",
    "account_changes_30d_max", "velocity_burst", "structuring_count",
})
_TROUBLED_LOANS = ("finished_unpaid", "running_in_debt")
_YEAR_SECONDS = 365.25 * 86_400
_ODD_HOURS = (0, 5)
_ROUND_UNIT, _ROUND_MINIMUM = 100.0, 1_000.0
_CLIP = 10.0
_OTHER, _MISSING = "__other__", "__missing__"
# A fitted vocabulary keeps categories seen at least this often; the rest are "__other__".
_MIN_CATEGORY_COUNT = 5


def edge_key(edge_type: tuple[str, str, str]) -> str:
    """An edge type as one string, ``source__relation__target`` (for JSON and dict keys)."""
    return "__".join(edge_type)


# --------------------------------------------------------------------------------------------
# Encoders
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FeatureEncoders:
    """Everything needed to turn a snapshot into the same feature columns again.

    Attributes:
        groups: per node type (``customer``...) and per forward edge type
            (:func:`edge_key`), ``numeric`` column names with their fitted ``mean`` and
            ``std``, and ``categorical``: ``[column, vocabulary]`` pairs, in column order (a
            list, so that JSON keeps the order), each one-hot over its vocabulary followed by
            ``__other__`` and ``__missing__``.
        settings: ``max_identifier_degree``, ``reporting_threshold``,
            ``high_risk_industries``, ``high_risk_countries`` used to build the graph, and
            ``customer_features``: the bring-your-own feature names, sorted (absent in
            encoders fitted before customer features existed, which read as none).
        format_version: layout version (:data:`ENCODERS_FORMAT_VERSION`).
    """

    groups: dict[str, dict[str, Any]]
    settings: dict[str, Any]
    format_version: int = ENCODERS_FORMAT_VERSION

    def feature_names(self, group: str) -> list[str]:
        """The encoded column names of one node type or edge type, in tensor order."""
        spec = self.groups[group]
        names = list(spec["numeric"])
        for column, vocabulary in spec["categorical"]:
            names += [f"{column}={v}" for v in (*vocabulary, _OTHER, _MISSING)]
        return names

    def transform(self, group: str, frame: pd.DataFrame) -> np.ndarray:
        """Encode raw columns of one group: scaled numbers, then one-hot categories.

        Raises:
            ValueError: ``frame`` lacks a column the encoders were fitted with.
        """
        spec = self.groups[group]
        wanted = [*spec["numeric"], *(column for column, _ in spec["categorical"])]
        missing = [c for c in wanted if c not in frame.columns]
        if missing:
            raise ValueError(f"{group} lacks the feature columns {missing}")
        parts = []
        if spec["numeric"]:
            values = frame[spec["numeric"]].to_numpy(dtype=np.float64)
            scaled = (values - np.asarray(spec["mean"])) / np.asarray(spec["std"])
            scaled = np.nan_to_num(scaled, nan=0.0, posinf=_CLIP, neginf=-_CLIP)
            parts.append(np.clip(scaled, -_CLIP, _CLIP))
        for column, vocabulary in spec["categorical"]:
            parts.append(_one_hot(frame[column], vocabulary))
        if not parts:
            return np.zeros((len(frame), 0), dtype=np.float32)
        return np.hstack(parts).astype(np.float32)

    def to_dict(self) -> dict[str, Any]:
        return {"format_version": self.format_version, "settings": self.settings,
                "groups": self.groups}

    @classmethod
    def from_dict(cls, payload: Mapping[str, Any]) -> FeatureEncoders:
        """Rebuild encoders from :meth:`to_dict` output.

        Raises:
            ValueError: the layout version is not one this code reads.
        """
        version = int(payload.get("format_version", -1))
        if version != ENCODERS_FORMAT_VERSION:
            raise ValueError(f"feature encoders have format version {version}; this GraphRisk "
                             f"reads version {ENCODERS_FORMAT_VERSION}")
        return cls(groups=dict(payload["groups"]), settings=dict(payload["settings"]),
                   format_version=version)

    def save(self, path: str | Path) -> None:
        """Write the encoders as JSON."""
        Path(path).write_text(json.dumps(self.to_dict(), indent=1, sort_keys=True))

    @classmethod
    def load(cls, path: str | Path) -> FeatureEncoders:
        """Read encoders written by :meth:`save`."""
        return cls.from_dict(json.loads(Path(path).read_text()))

    def digest(self) -> str:
        """A hash of the fitted values: equal digests mean equal feature meanings."""
        text = json.dumps(self.to_dict(), sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()


# --------------------------------------------------------------------------------------------
# Dataset
# --------------------------------------------------------------------------------------------


@dataclass
class GraphDataset:
    """A snapshot as a PyG ``HeteroData`` with the ids and encoders behind it.

    Attributes:
        data: node features ``x`` per node type, ``edge_index`` and ``edge_attr`` per edge
            type, ``customer.y`` (1.0 where ``known_risk_label`` is set, else 0.0).
        customer_ids: the business id of each customer node, in node order (sorted).
        node_ids: the business id of every node, per node type, in node order.
        encoders: the encoders the features were built with.
        fingerprint: hash of the snapshot's content (:func:`snapshot_fingerprint`).
    """

    data: HeteroData
    customer_ids: np.ndarray
    node_ids: dict[str, np.ndarray]
    encoders: FeatureEncoders
    fingerprint: str
    _positions: pd.Index = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._positions = pd.Index(self.customer_ids)

    @property
    def num_customers(self) -> int:
        return len(self.customer_ids)

    @property
    def labels(self) -> pd.Series:
        """The training label (known risk, 0/1) per customer id."""
        return pd.Series(self.data["customer"].y.numpy().astype(np.int64),
                         index=pd.Index(self.customer_ids, name="customer_id"), name="known")

    def positions(self, customer_ids: Iterable[str]) -> np.ndarray:
        """Node positions of customer ids.

        Raises:
            ValueError: an id is not a customer of this dataset.
        """
        ids = pd.Index(list(customer_ids))
        found = self._positions.get_indexer(ids)
        if (found < 0).any():
            raise ValueError(f"{int((found < 0).sum())} customer ids are not in the dataset "
                             f"(e.g. {ids[found < 0][0]!r})")
        return found.astype(np.int64)


def build_graph_dataset(
    snapshot: GraphSnapshot,
    *,
    encoders: FeatureEncoders | None = None,
    max_identifier_degree: int = DEFAULT_MAX_IDENTIFIER_DEGREE,
    reporting_threshold: float = DEFAULT_REPORTING_THRESHOLD,
    high_risk_industries: frozenset[str] = DEFAULT_HIGH_RISK_INDUSTRIES,
    high_risk_countries: frozenset[str] = DEFAULT_HIGH_RISK_COUNTRIES,
) -> GraphDataset:
    """Build the heterogeneous customer graph of a snapshot (see the module docstring).

    Args:
        snapshot: the graph as DataFrames.
        encoders: fitted encoders to apply (a model's, for scoring a new snapshot); by
            default they are fitted on this snapshot. Given encoders also fix the settings
            below, which are then ignored.
        max_identifier_degree: identifiers used by more customers than this link nobody.
        reporting_threshold: the reporting threshold (structuring factor and edge feature).
        high_risk_industries: industry codes treated as high-risk.
        high_risk_countries: ISO country codes treated as high-risk.

    Returns:
        The dataset; customers in ``customer_id`` order.

    Raises:
        ValueError: the snapshot has no customers, or ``max_identifier_degree`` is below 2.
    """
    if encoders is not None:
        settings = dict(encoders.settings)
    else:
        if max_identifier_degree < 2:
            raise ValueError(f"max_identifier_degree must be at least 2, got "
                             f"{max_identifier_degree}")
        settings = {
            "max_identifier_degree": int(max_identifier_degree),
            "reporting_threshold": float(reporting_threshold),
            "high_risk_industries": sorted(i.lower() for i in high_risk_industries),
            "high_risk_countries": sorted(c.upper() for c in high_risk_countries),
            "customer_features": sorted(
                snapshot.customer_features["feature"].dropna().astype(str).unique()),
        }
    customers = (snapshot.customers.drop_duplicates("customer_id")
                 .sort_values("customer_id").reset_index(drop=True))
    if customers.empty:
        raise ValueError("the snapshot holds no customers")
    raw = _RawGraph.build(snapshot, customers, settings)
    if encoders is None:
        encoders = _fit_encoders(raw, settings)

    data = HeteroData()
    for node_type in NODE_TYPES:
        data[node_type].x = torch.from_numpy(encoders.transform(node_type, raw.nodes[node_type]))
        data[node_type].num_nodes = len(raw.nodes[node_type])
    for edge_type in _FORWARD:
        index, frame = raw.edges[edge_type]
        attr = torch.from_numpy(encoders.transform(edge_key(edge_type), frame))
        edge_index = torch.from_numpy(index)
        data[edge_type].edge_index = edge_index
        data[edge_type].edge_attr = attr
        data[_reverse(edge_type)].edge_index = edge_index.flip(0).contiguous()
        data[_reverse(edge_type)].edge_attr = attr
    data["customer"].y = torch.from_numpy(
        customers["known_risk_label"].notna().to_numpy(dtype=np.float32))
    return GraphDataset(
        data=data,
        customer_ids=raw.ids["customer"],
        node_ids=raw.ids,
        encoders=encoders,
        fingerprint=snapshot_fingerprint(snapshot),
    )


def snapshot_fingerprint(snapshot: GraphSnapshot) -> str:
    """A SHA-256 of a snapshot's content, independent of row and column order.

    Why order-independent: two reads of one store may list rows differently; the fingerprint
    should only change when the data does. Each row is hashed (pandas' stable row hash), the
    row hashes of each table are sorted, and the tables are hashed by name.
    """
    digest = hashlib.sha256()
    for name in sorted(vars(snapshot)):
        frame = getattr(snapshot, name)
        columns = sorted(str(c) for c in frame.columns)
        digest.update(f"{name}:{','.join(columns)}:{len(frame)};".encode())
        if len(frame):
            rows = pd.util.hash_pandas_object(frame[columns], index=False).to_numpy()
            digest.update(np.sort(rows).tobytes())
    return digest.hexdigest()


# --------------------------------------------------------------------------------------------
# Private implementation: raw (unencoded) features
# --------------------------------------------------------------------------------------------

# Categorical columns with a fixed vocabulary (the schema's enums); the others (industry,
# country, currency) are fitted: values seen at least _MIN_CATEGORY_COUNT times.
_FIXED_VOCABULARIES: dict[tuple[str, str], tuple[str, ...]] = {
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
class _RawGraph:
    """Unencoded node and edge tables, with node ids and edge indices."""

    ids: dict[str, np.ndarray]
    nodes: dict[str, pd.DataFrame]
    edges: dict[tuple[str, str, str], tuple[np.ndarray, pd.DataFrame]]
    categorical: dict[str, tuple[str, ...]]

    @classmethod
    def build(cls, snapshot: GraphSnapshot, customers: pd.DataFrame,
              settings: Mapping[str, Any]) -> _RawGraph:
        end = _end_of_data(snapshot, customers)
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
        transfers = _Transfers.build(snapshot.transactions, account_index, counterparty_index,
                                     float(settings["reporting_threshold"]), end)
        account_owner = customer_index.get_indexer(accounts["customer_id"].astype(str))
        account_frame = _account_features(snapshot, accounts, account_index, holds_index,
                                           transfers, end)
        customer_frame = _customer_features(
            snapshot, customers, customer_index, accounts, account_owner, holds_index,
            holds, identifier_counts, settings, end)
        customer_frame = pd.concat([customer_frame, _brought_features(
            snapshot.customer_features, customer_index,
            settings.get("customer_features", []))], axis=1)
        counterparty_frame = _counterparty_features(counterparties, transfers, settings)

        categorical = {
            "customer": ("segment", "kyc_status", "industry", "country"),
            "account": ("account_type", "status", "currency"),
            "counterparty": ("kind",),
            "identifier": ("kind",),
            edge_key(HOLDS): ("role",),
            edge_key(USES): ("kind",),
        }
        edges = {
            HOLDS: (holds_index, holds),
            USES: (uses_index, uses),
            **transfers.edges,
        }
        return cls(
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
            categorical=categorical,
        )


def _fit_encoders(raw: _RawGraph, settings: Mapping[str, Any]) -> FeatureEncoders:
    groups: dict[str, dict[str, Any]] = {}
    frames: dict[str, pd.DataFrame] = {**raw.nodes,
                                       **{edge_key(e): f for e, (_, f) in raw.edges.items()}}
    for group, frame in frames.items():
        categorical = raw.categorical.get(group, ())
        numeric = [c for c in frame.columns if c not in categorical]
        values = frame[numeric].to_numpy(dtype=np.float64)
        finite = np.isfinite(values)
        count = finite.sum(axis=0)
        safe = np.where(finite, values, 0.0)
        mean = np.divide(safe.sum(axis=0), count, out=np.zeros(len(numeric)), where=count > 0)
        spread = np.where(finite, values - mean, 0.0)
        variance = np.divide((spread ** 2).sum(axis=0), count, out=np.ones(len(numeric)),
                             where=count > 0)
        std = np.sqrt(variance)
        std = np.where(std > 1e-9, std, 1.0)
        vocabularies = []
        for column in categorical:
            fixed = _FIXED_VOCABULARIES.get((group, column))
            if fixed is not None:
                vocabularies.append([column, list(fixed)])
            else:
                counts = frame[column].dropna().astype(str).value_counts()
                vocabularies.append([column, sorted(counts.index[counts >= _MIN_CATEGORY_COUNT])])
        groups[group] = {"numeric": numeric, "mean": [float(m) for m in mean],
                         "std": [float(s) for s in std], "categorical": vocabularies}
    return FeatureEncoders(groups=groups, settings=dict(settings))


def _one_hot(values: pd.Series, vocabulary: list[str]) -> np.ndarray:
    """One-hot over ``vocabulary``, then ``__other__`` (unseen) and ``__missing__``."""
    text = values.astype("string")
    missing = text.isna().to_numpy()
    codes = pd.Index(vocabulary).get_indexer(text.fillna("").astype(str))
    codes = np.where(codes >= 0, codes, len(vocabulary))
    codes = np.where(missing, len(vocabulary) + 1, codes)
    out = np.zeros((len(values), len(vocabulary) + 2), dtype=np.float32)
    out[np.arange(len(values)), codes] = 1.0
    return out


def _seconds(values: pd.Series) -> np.ndarray:
    """ISO 8601 date-times (or dates) as float seconds since 1970 (UTC); NaN where missing."""
    parsed = pd.to_datetime(values, format="ISO8601", utc=True, errors="coerce", cache=False)
    seconds = parsed.dt.tz_localize(None).to_numpy(dtype="datetime64[s]").astype(np.float64)
    seconds[parsed.isna().to_numpy()] = np.nan
    return seconds


def _end_of_data(snapshot: GraphSnapshot, customers: pd.DataFrame) -> float:
    """The last transaction time (else the last onboarding), in seconds since 1970."""
    for values in (snapshot.transactions.get("timestamp"), customers.get("onboarding_date")):
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
    def build(cls, txns: pd.DataFrame, account_index: pd.Index, counterparty_index: pd.Index,
              threshold: float, end: float) -> _Transfers:
        n_acc, n_cp = len(account_index), len(counterparty_index)
        from_acc = account_index.get_indexer(txns["from_account_id"].astype("string")
                                             .fillna("").astype(str))
        to_acc = account_index.get_indexer(txns["to_account_id"].astype("string")
                                           .fillna("").astype(str))
        from_cp = counterparty_index.get_indexer(txns["from_counterparty_id"].astype("string")
                                                 .fillna("").astype(str))
        to_cp = counterparty_index.get_indexer(txns["to_counterparty_id"].astype("string")
                                               .fillna("").astype(str))
        amount = np.nan_to_num(pd.to_numeric(txns["amount"], errors="coerce")
                               .to_numpy(dtype=np.float64))
        seconds = _seconds(txns["timestamp"])
        hour = np.floor((seconds % 86_400) / 3_600)
        odd = np.where(np.isnan(seconds), np.nan,
                       ((hour >= _ODD_HOURS[0]) & (hour < _ODD_HOURS[1])).astype(float))
        rounded = ((amount >= _ROUND_MINIMUM)
                   & (np.abs(amount - np.round(amount / _ROUND_UNIT) * _ROUND_UNIT) < 0.005))
        under = (amount >= 0.9 * threshold) & (amount < threshold)
        columns = {"amount": amount, "t": seconds, "odd": odd,
                   "round": rounded.astype(float), "under": under.astype(float)}

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
    snapshot: GraphSnapshot, customers: pd.DataFrame, customer_index: pd.Index,
    accounts: pd.DataFrame, account_owner: np.ndarray, holds_index: np.ndarray,
    holds: pd.DataFrame, identifier_counts: pd.DataFrame, settings: Mapping[str, Any],
    end: float,
) -> pd.DataFrame:
    n = len(customers)
    factors = compute_risk_factors(
        snapshot, reporting_threshold=float(settings["reporting_threshold"]),
        high_risk_industries=frozenset(settings["high_risk_industries"]),
        high_risk_countries=frozenset(settings["high_risk_countries"]),
    ).set_index("customer_id").reindex(customer_index)
    frame = pd.DataFrame(index=range(n))
    for name in FACTOR_COLUMNS:
        values = factors[name].to_numpy(dtype=np.float64)
        frame[name] = np.log1p(np.clip(values, 0.0, None)) if name in _LOG_FACTORS else values

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

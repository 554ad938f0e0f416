"""The bank as a heterogeneous graph for a GNN: node types, edge types, features and labels.

Why a module of its own: the network, the training loop and the stored model artefact all
depend on exactly which numbers describe a customer, an account or a payment. Building them
in one place, with fitted encoders that are saved next to the model, is what lets a model
trained on one snapshot score the next one (inductive use) with the same feature meanings.
The work is in three modules: :mod:`graphrisk.models.features` builds the raw node and edge
tables, :mod:`graphrisk.models.encoders` fits and applies the encoders, and this module
assembles the PyG ``HeteroData`` (:func:`build_graph_dataset`).

The graph, message direction ``source -> target``:

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
what their accounts did). Which features each node type gets, and why, is told in
:mod:`graphrisk.models.features`.

Numbers are standardised with the fitted mean and deviation (missing values become the mean)
and clipped to ``[-10, 10]``; categories are one-hot. The fitted
:class:`~graphrisk.models.encoders.FeatureEncoders` (vocabularies, means, deviations and the
settings of :func:`build_graph_dataset`) are plain JSON;
``build_graph_dataset(new_snapshot, encoders=trained_encoders)`` applies them unchanged, with
unseen categories in an ``__other__`` column. ``customer.y`` is the label: 1.0 where
``known_risk_label`` is set.

Confirmed negatives (``negative_ids``): customers a closed case found to be false positives
(monitoring's ``labels()`` rows with ``label == "negative"``). Their ``y`` stays 0.0 — what
changes is how sure the loss may be of that 0 (:attr:`GraphDataset.confirmed_negative`,
:meth:`GraphDataset.loss_weights`). Precedence, kept simple on purpose: a negative label
overrides *unlabelled* status only. A customer whose ``known_risk_label`` is set stays a
positive even if a case on it later closed as a false positive — the store's label is the
one the rest of GraphRisk (scoring, evaluation) reads, and clearing it is a decision for the
risk team, not for the training set; such customers are counted in
:attr:`GraphDataset.negative_labels` (``overridden_by_known_risk``) so it is visible. Ids that
are not customers of the snapshot are ignored and counted (``not_in_snapshot``). The
negatives change neither the features, the encoders nor the fingerprint: they are labels.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import torch

from graphrisk.analytics.customer_graph import DEFAULT_MAX_IDENTIFIER_DEGREE
from graphrisk.analytics.factors import (
    DEFAULT_HIGH_RISK_COUNTRIES,
    DEFAULT_HIGH_RISK_INDUSTRIES,
    DEFAULT_REPORTING_THRESHOLD,
)
from graphrisk.analytics.ledger import TransactionLedger
from graphrisk.graph import GraphSnapshot
from graphrisk.models._pyg import HeteroData
from graphrisk.models.encoders import ENCODERS_FORMAT_VERSION, FeatureEncoders, fit_encoders
from graphrisk.models.features import (
    EDGE_TYPES,
    FIXED_VOCABULARIES,
    FORWARD_EDGE_TYPES,
    NODE_TYPES,
    build_raw_graph,
    edge_key,
    reverse_edge_type,
)

# The graph's types and the encoders are defined in their own modules; they stay importable
# from here, where callers have always found them.
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
        confirmed_negative: per customer, in node order, whether it is a confirmed negative
            (a false-positive case outcome, no known risk label); all ``False`` by default
            (an empty array is read as that). Kept beside ``data``, not in it, so that a
            dataset built without negatives holds exactly the tensors it always did.
        negative_labels: how the ``negative_ids`` given to :func:`build_graph_dataset` were
            used: ``given`` (distinct ids), ``used`` (confirmed negatives),
            ``overridden_by_known_risk`` (the customer has a known risk label and stays
            positive) and ``not_in_snapshot`` (ignored); all 0 without negatives.
    """

    data: HeteroData
    customer_ids: np.ndarray
    node_ids: dict[str, np.ndarray]
    encoders: FeatureEncoders
    fingerprint: str
    confirmed_negative: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    negative_labels: dict[str, int] = field(default_factory=dict)
    _positions: pd.Index = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._positions = pd.Index(self.customer_ids)
        self.confirmed_negative = np.asarray(self.confirmed_negative, dtype=bool)
        if self.confirmed_negative.size == 0:
            self.confirmed_negative = np.zeros(len(self.customer_ids), dtype=bool)
        if self.confirmed_negative.shape != (len(self.customer_ids),):
            raise ValueError(f"confirmed_negative needs one flag per customer "
                             f"({len(self.customer_ids)}), got shape "
                             f"{self.confirmed_negative.shape}")
        if (self.confirmed_negative & (self.data["customer"].y.numpy() > 0)).any():
            raise ValueError("a customer with a known risk label cannot be a confirmed "
                             "negative")
        used = int(self.confirmed_negative.sum())
        self.negative_labels = {"given": used, "used": used, "overridden_by_known_risk": 0,
                                "not_in_snapshot": 0, **self.negative_labels}

    @property
    def num_confirmed_negatives(self) -> int:
        """How many customers are confirmed negatives."""
        return int(self.confirmed_negative.sum())

    @property
    def num_customers(self) -> int:
        return len(self.customer_ids)

    @property
    def labels(self) -> pd.Series:
        """The training label (known risk, 0/1) per customer id."""
        return pd.Series(self.data["customer"].y.numpy().astype(np.int64),
                         index=pd.Index(self.customer_ids, name="customer_id"), name="known")

    @property
    def confirmed_negatives(self) -> pd.Index:
        """The ids of the confirmed negatives, in node order."""
        return pd.Index(self.customer_ids[self.confirmed_negative], name="customer_id")

    def loss_weights(self, negative_weight: float) -> torch.Tensor | None:
        """Per-customer weight in the training loss, in node order; ``None`` when every
        weight would be 1 (no confirmed negatives), so that training without negatives
        runs the very loss it always did.

        A confirmed negative weighs ``negative_weight``; everyone else 1 (positives are
        further weighed by the loss's ``pos_weight``).

        Raises:
            ValueError: ``negative_weight`` is not positive.
        """
        if negative_weight <= 0:
            raise ValueError(f"negative_weight must be positive, got {negative_weight}")
        if not self.num_confirmed_negatives:
            return None
        weights = np.ones(self.num_customers, dtype=np.float32)
        weights[self.confirmed_negative] = negative_weight
        return torch.from_numpy(weights)

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
    ledger: TransactionLedger | None = None,
    negative_ids: Collection[str] | None = None,
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
        ledger: the snapshot's :func:`~graphrisk.analytics.ledger.build_ledger`, when the
            caller shares one with the analytics (built with the reporting threshold in
            force: the encoders' when given); built here if not.
        negative_ids: customers confirmed as negatives (false-positive case outcomes);
            flagged in :attr:`GraphDataset.confirmed_negative` unless they carry a known
            risk label (which wins). Ids not in the snapshot are ignored and counted.

    Returns:
        The dataset; customers in ``customer_id`` order.

    Raises:
        ValueError: the snapshot has no customers, ``max_identifier_degree`` is below 2, or
            ``ledger`` belongs to another snapshot or reporting threshold.
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
    raw = build_raw_graph(snapshot, customers, settings, ledger)
    if encoders is None:
        encoders = fit_encoders(raw.frames(), raw.categorical, settings, FIXED_VOCABULARIES)

    data = HeteroData()
    for node_type in NODE_TYPES:
        data[node_type].x = torch.from_numpy(encoders.transform(node_type, raw.nodes[node_type]))
        data[node_type].num_nodes = len(raw.nodes[node_type])
    for edge_type in FORWARD_EDGE_TYPES:
        index, frame = raw.edges[edge_type]
        attr = torch.from_numpy(encoders.transform(edge_key(edge_type), frame))
        edge_index = torch.from_numpy(index)
        data[edge_type].edge_index = edge_index
        data[edge_type].edge_attr = attr
        data[reverse_edge_type(edge_type)].edge_index = edge_index.flip(0).contiguous()
        data[reverse_edge_type(edge_type)].edge_attr = attr
    known = customers["known_risk_label"].notna().to_numpy()
    data["customer"].y = torch.from_numpy(known.astype(np.float32))
    confirmed, counts = _confirmed_negatives(raw.ids["customer"], known, negative_ids)
    return GraphDataset(
        data=data,
        customer_ids=raw.ids["customer"],
        node_ids=raw.ids,
        encoders=encoders,
        fingerprint=snapshot_fingerprint(snapshot),
        confirmed_negative=confirmed,
        negative_labels=counts,
    )


def _confirmed_negatives(customer_ids: np.ndarray, known: np.ndarray,
                         negative_ids: Collection[str] | None
                         ) -> tuple[np.ndarray, dict[str, int]]:
    """The confirmed-negative flag per customer (node order) and how the ids were used.

    Why not raise on unknown ids: labels come from closed cases, which outlive customers
    (an off-boarded customer, a store re-loaded without them); one stale label must not stop
    training. They are counted instead.
    """
    # `is None`, not truthiness: a pandas Index or Series has no truth value.
    ids = [] if negative_ids is None else list(negative_ids)
    given = pd.Index(pd.unique(pd.Series(ids, dtype=object).astype(str)))
    in_snapshot = pd.Index(customer_ids).isin(given)
    confirmed = in_snapshot & ~known
    counts = {"given": len(given), "used": int(confirmed.sum()),
              "overridden_by_known_risk": int((in_snapshot & known).sum()),
              "not_in_snapshot": int(len(given) - in_snapshot.sum())}
    return confirmed, counts


def snapshot_fingerprint(snapshot: GraphSnapshot) -> str:
    """A SHA-256 of a snapshot's content, independent of row and column order.

    Why order-independent: two reads of one store may list rows differently; the fingerprint
    should only change when the data does. Each row is hashed (pandas' stable row hash), the
    row hashes of each table are sorted, and the tables are hashed by name.
    """
    digest = hashlib.sha256()
    # Entity-resolution links are not model input: resolving again must not make a trained
    # model look stale.
    for name in sorted(set(vars(snapshot)) - {"same_entity", "counterparty_entity"}):
        frame = getattr(snapshot, name)
        columns = sorted(str(c) for c in frame.columns)
        digest.update(f"{name}:{','.join(columns)}:{len(frame)};".encode())
        if len(frame):
            rows = pd.util.hash_pandas_object(frame[columns], index=False).to_numpy()
            digest.update(np.sort(rows).tobytes())
    return digest.hexdigest()

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
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
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
    ledger: TransactionLedger | None = None,
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

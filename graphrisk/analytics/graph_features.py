"""Graph-feature trees: a customer's own features plus what their neighbours look like.

Why: on the Berka bad loans, gradient-boosted trees over the customer's own features and
aggregates of their neighbourhood beat both GNNs (``benchmarks/bench_berka.py``), and on
generated banks they are the strongest "no GNN" baseline (``benchmarks/bench_gnn.py``). This
module is that model, once: the benchmarks call it, and the ``individual`` scoring component
(:mod:`graphrisk.analytics.individual_model`) reads its neighbour aggregates.

Two pieces:

* :func:`neighbour_aggregates` — per customer, the number of neighbours in the customer graph
  (:func:`~graphrisk.analytics.customer_graph.build_customer_graph`: shared identifiers and
  accounts, payments, probably-the-same-person links) and the mean, max and sum of the
  neighbours' features and of their known risk labels. A customer is never their own
  neighbour, so their own label never enters their own row.
* :func:`fit_graph_feature_trees` — cross-fitted trees over own features plus those
  aggregates. Every customer the trees learn from is scored by the fold model that did not
  see them; and a fold model sees no label of its held-out fold anywhere — not as a target,
  not inside a neighbour's label aggregate — so a held-out customer's own label reaches
  nothing that scores them (labels are "out of fold" in the features as in the targets).
  Customers outside the training population, and other snapshots, are scored by a final
  model fitted on every training customer.

Neighbours are unweighted: a link of any kind and weight makes two customers neighbours
(the weights say how close, the aggregates say who is around). A customer without
neighbours gets 0 neighbours, a sum of 0 and missing (NaN) means and maxima, which the trees
treat as their own branch.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse
from sklearn.base import BaseEstimator, clone
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.model_selection import StratifiedKFold
from threadpoolctl import threadpool_limits

from graphrisk.analytics.customer_graph import CustomerGraph

__all__ = [
    "AGGREGATES",
    "KNOWN_RISK",
    "NEIGHBOURS",
    "GraphFeatureTrees",
    "default_trees",
    "fit_graph_feature_trees",
    "neighbour_aggregates",
    "neighbour_column",
]

#: The statistics taken over a customer's neighbours, per feature.
AGGREGATES: tuple[str, ...] = ("mean", "max", "sum")
#: The column that counts a customer's neighbours.
NEIGHBOURS = "neighbours"
#: The name of the known-risk label among the aggregated features.
KNOWN_RISK = "known_risk"


def neighbour_column(feature: str, statistic: str) -> str:
    """The name of an aggregate column: ``neighbour_<statistic>_<feature>``."""
    return f"neighbour_{statistic}_{feature}"


def neighbour_aggregates(
    features: pd.DataFrame,
    graph: CustomerGraph,
    *,
    known: pd.Series | None = None,
    statistics: Sequence[str] = AGGREGATES,
) -> pd.DataFrame:
    """The mean, max and sum of each customer's neighbours' features and known labels.

    Args:
        features: numeric features, one row per customer, indexed by ``customer_id``; every
            column is aggregated. Missing values (NaN) are skipped.
        graph: the customer graph; any link with a positive weight makes two customers
            neighbours. Customers of ``features`` the graph lacks have no neighbours, and
            graph customers missing from ``features`` are nobody's neighbour.
        known: True where a customer's known risk label may be counted, by ``customer_id``
            (missing: not counted); aggregated as the feature :data:`KNOWN_RISK`. ``None``:
            no label columns. The caller decides whose labels are visible (cross-fitting
            hides a fold's); a customer's own label never enters their own row, because
            a customer is not their own neighbour.
        statistics: a subset of :data:`AGGREGATES`.

    Returns:
        Indexed like ``features``: :data:`NEIGHBOURS` (how many neighbours), then
        :func:`neighbour_column` ``(feature, statistic)`` for each feature (and
        :data:`KNOWN_RISK`) and statistic. Without neighbours: mean and max NaN, sum 0.

    Raises:
        ValueError: an unknown statistic, or ``features`` has a duplicated customer id.
    """
    unknown = sorted(set(statistics) - set(AGGREGATES))
    if unknown:
        raise ValueError(f"unknown statistics {unknown}; choose from {AGGREGATES}")
    if not features.index.is_unique:
        raise ValueError("features must have one row per customer_id")
    ids = features.index
    linked = _linked(graph, ids)
    values = features.to_numpy(dtype=np.float64)
    names = [str(c) for c in features.columns]
    if known is not None:
        visible = known.astype(bool).reindex(ids, fill_value=False).to_numpy(dtype=np.float64)
        values = np.column_stack([values, visible])
        names.append(KNOWN_RISK)
    columns: dict[str, np.ndarray] = {NEIGHBOURS: np.diff(linked.indptr).astype(np.float64)}
    columns.update(_aggregate(linked, values, names, statistics))
    return pd.DataFrame(columns, index=ids)


@dataclass(frozen=True)
class GraphFeatureTrees:
    """One cross-fitted fit of the graph-feature trees, and how to score new snapshots.

    Attributes:
        scores: the probability of a known risk label per customer of the fit, named
            ``graph_feature_score``: out-of-fold for the customers the trees learned from,
            the :attr:`final_model`'s for everyone else.
        features: the row each customer was scored on (own features, then the neighbour
            aggregates; for a customer outside the training population, the final model's
            row). What the reasons read.
        fold: the fold each training customer was held out of; -1 for the others.
        fold_models: the fitted model of each fold.
        final_model: fitted on every training customer, with every known label visible
            as a neighbour's label: what scores customers outside the training population
            and other snapshots (:meth:`predict`).
        final_columns: the columns the final model reads.
        fold_columns: the columns each fold model reads: every column of :attr:`features`
            but those without a single value among its training customers (a mean over
            neighbours when nobody has any), which the trees cannot bin.
        feature_columns: the own-feature columns, in order.
        aggregated: the own-feature columns whose neighbour aggregates the trees read.
        statistics: the aggregates taken.
        labels: whether the neighbours' known labels are aggregated.
    """

    scores: pd.Series
    features: pd.DataFrame
    fold: pd.Series
    fold_models: tuple[BaseEstimator, ...]
    fold_columns: tuple[tuple[str, ...], ...]
    final_model: BaseEstimator
    final_columns: tuple[str, ...]
    feature_columns: tuple[str, ...]
    aggregated: tuple[str, ...]
    statistics: tuple[str, ...]
    labels: bool

    @property
    def columns(self) -> list[str]:
        """Every column the trees read, in order."""
        return list(self.features.columns)

    def predict(self, features: pd.DataFrame, graph: CustomerGraph,
                known: pd.Series | None = None, *, threads: int | None = 1) -> pd.Series:
        """Score the customers of another snapshot with the :attr:`final_model`.

        Args:
            features: own features, indexed by ``customer_id``, with every column of
                :attr:`feature_columns`; every customer whose neighbours count (a customer
                missing here is nobody's neighbour).
            graph: the customer graph of that snapshot.
            known: the labels that may be counted there (as :func:`neighbour_aggregates`);
                required when :attr:`labels`.
            threads: CPU threads while predicting.

        Returns:
            Probability per customer of ``features``, named ``graph_feature_score``.

        Raises:
            ValueError: :attr:`labels` and no ``known``.
        """
        if self.labels and known is None:
            raise ValueError("these trees read the neighbours' labels; pass known")
        own = features[list(self.feature_columns)]
        base = neighbour_aggregates(own[list(self.aggregated)], graph,
                                    statistics=self.statistics)
        x = _table(own, base, graph, known if self.labels else None, self.statistics)
        with threadpool_limits(limits=threads):
            scores = self.final_model.predict_proba(
                x[list(self.final_columns)].to_numpy(dtype=float))[:, 1]
        return pd.Series(scores, index=own.index, name="graph_feature_score")


def default_trees(seed: int = 0) -> HistGradientBoostingClassifier:
    """The default estimator: class-balanced histogram gradient boosting.

    The settings of the individual model's gradient boosting
    (:mod:`graphrisk.analytics.individual_model`): 60 rounds on 63 bins, leaves of at least
    40 customers.
    """
    return HistGradientBoostingClassifier(
        learning_rate=0.1, max_iter=60, max_bins=63, max_leaf_nodes=15, min_samples_leaf=40,
        l2_regularization=1.0, class_weight="balanced", early_stopping=False,
        random_state=seed)


def fit_graph_feature_trees(
    features: pd.DataFrame,
    graph: CustomerGraph,
    known: pd.Series,
    *,
    train: pd.Index | None = None,
    aggregate: Sequence[str] | None = None,
    statistics: Sequence[str] = AGGREGATES,
    labels: bool = True,
    estimator: BaseEstimator | None = None,
    folds: int = 5,
    seed: int = 0,
    threads: int | None = 1,
) -> GraphFeatureTrees:
    """Cross-fit trees over own features plus neighbour aggregates; score every customer.

    Args:
        features: own numeric features, one row per customer to score, indexed by
            ``customer_id`` (for the production score: the factor table of
            :func:`~graphrisk.analytics.factors.compute_risk_factors`).
        graph: the customer graph the neighbours come from.
        known: True where a customer has a known risk label, by ``customer_id``; missing:
            not known. It is both the target and, for neighbours, a feature.
        train: the customers the trees learn from (default: every customer of
            ``features``); their unlabelled ones are negatives. The others are scored by
            the final model (fitted on every training customer), and their known labels
            (if any) are visible to every fold model as neighbours' labels.
        aggregate: the columns of ``features`` whose neighbour aggregates are added
            (default: all).
        statistics: the aggregates taken (a subset of :data:`AGGREGATES`).
        labels: also aggregate the neighbours' known labels (out of fold).
        estimator: a scikit-learn classifier, cloned per fold; default
            :func:`default_trees` with ``seed``.
        folds: cross-fitting folds, stratified by label.
        seed: fixes the folds (and the default estimator); the same seed gives the same
            scores.
        threads: CPU threads (OpenMP and BLAS) while fitting; ``None`` for the library
            default.

    Returns:
        The scores, the rows they were computed from and the fold models.

    Raises:
        ValueError: ``folds`` below 2, fewer than ``folds`` known (or not known) customers
            among ``train``, a ``train`` or ``aggregate`` name that ``features`` lacks.
    """
    if folds < 2:
        raise ValueError(f"folds must be at least 2, got {folds}")
    if not features.index.is_unique:
        raise ValueError("features must have one row per customer_id")
    ids = features.index
    aggregated = list(features.columns) if aggregate is None else list(aggregate)
    missing = [c for c in aggregated if c not in features.columns]
    if missing:
        raise ValueError(f"features lacks the columns {missing} to aggregate")
    train = ids if train is None else pd.Index(train)
    outside = train.difference(ids)
    if len(outside):
        raise ValueError(f"{len(outside)} training customers have no features, e.g. "
                         f"{list(outside[:3])}")
    is_known = known.astype(bool).reindex(ids, fill_value=False)
    position = ids.get_indexer(train)
    y = is_known.to_numpy(dtype=np.int64)[position]
    positives = int(y.sum())
    if min(positives, len(y) - positives) < folds:
        raise ValueError(
            f"{positives} of {len(y)} training customers have a known label; cross-fitting "
            f"with {folds} folds needs at least {folds} with and {folds} without")

    fold = np.full(len(ids), -1, dtype=np.int64)
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    for k, (_, held_out) in enumerate(splitter.split(np.zeros(len(y)), y)):
        fold[position[held_out]] = k
    fold_of = pd.Series(fold, index=ids, name="fold")

    estimator = default_trees(seed) if estimator is None else estimator
    base = neighbour_aggregates(features[aggregated], graph, statistics=statistics)
    target = is_known.to_numpy(dtype=np.int64)
    scores = np.zeros(len(ids))
    rows: pd.DataFrame | None = None
    fitted_models = []
    fold_columns = []
    with threadpool_limits(limits=threads):
        for k in range(folds):
            # Fold k's labels are hidden everywhere: as targets and as neighbours' labels.
            visible = _hide(is_known, fold_of, k) if labels else None
            table = _table(features, base, graph, visible, statistics)
            learn = (fold >= 0) & (fold != k)
            x = table.to_numpy(dtype=float)
            readable = ~np.isnan(x[learn]).all(axis=0)
            fitted = clone(estimator).fit(x[learn][:, readable], target[learn])
            fitted_models.append(fitted)
            fold_columns.append(tuple(str(c) for c in table.columns[readable]))
            mine = fold == k
            scores[mine] = fitted.predict_proba(x[mine][:, readable])[:, 1]
            if rows is None:
                rows = table.copy()
            else:
                rows.loc[mine] = table.loc[mine]
        # The final model: every training customer, every known label visible.
        table = _table(features, base, graph, is_known if labels else None, statistics)
        x = table.to_numpy(dtype=float)
        learn = fold >= 0
        readable = ~np.isnan(x[learn]).all(axis=0)
        final = clone(estimator).fit(x[learn][:, readable], target[learn])
        others = ~learn
        if others.any():
            scores[others] = final.predict_proba(x[others][:, readable])[:, 1]
    assert rows is not None
    rows.loc[others] = table.loc[others]
    return GraphFeatureTrees(
        scores=pd.Series(scores, index=ids, name="graph_feature_score"),
        features=rows, fold=fold_of, fold_models=tuple(fitted_models),
        fold_columns=tuple(fold_columns), final_model=final,
        final_columns=tuple(str(c) for c in table.columns[readable]),
        feature_columns=tuple(str(c) for c in features.columns),
        aggregated=tuple(str(c) for c in aggregated), statistics=tuple(statistics),
        labels=labels)


# --------------------------------------------------------------------------------------------
# Private implementation
# --------------------------------------------------------------------------------------------


def _hide(known: pd.Series | None, fold: pd.Series, k: int) -> pd.Series | None:
    """``known`` without the labels of the customers held out of fold ``k``."""
    if known is None:
        return None
    held_out = fold.reindex(known.index, fill_value=-1).to_numpy() == k
    return known.astype(bool) & ~held_out


def _table(features: pd.DataFrame, base: pd.DataFrame, graph: CustomerGraph,
           visible: pd.Series | None, statistics: Sequence[str]) -> pd.DataFrame:
    """Own features, the neighbours' feature aggregates, and (with ``visible``) their labels'."""
    parts = [features, base]
    if visible is not None:
        labels = neighbour_aggregates(pd.DataFrame(index=features.index), graph,
                                      known=visible, statistics=statistics)
        parts.append(labels.drop(columns=NEIGHBOURS))
    return pd.concat(parts, axis=1)


def _linked(graph: CustomerGraph, ids: pd.Index) -> sparse.csr_matrix:
    """0/1 adjacency over ``ids`` (in that order), without self-links."""
    order = pd.Index(graph.customer_ids).get_indexer(ids)
    present = order >= 0
    # Map the graph onto ids: customers the graph lacks get an empty row and column.
    to_ids = sparse.csr_matrix(
        (np.ones(int(present.sum())), (order[present], np.flatnonzero(present))),
        shape=(len(graph.customer_ids), len(ids)))
    adjacency = (to_ids.T @ (graph.adjacency > 0).astype(np.float64) @ to_ids).tocsr()
    adjacency.setdiag(0.0)
    adjacency.eliminate_zeros()
    adjacency.data[:] = 1.0
    adjacency.sort_indices()
    return adjacency


def _aggregate(linked: sparse.csr_matrix, values: np.ndarray, names: list[str],
               statistics: Sequence[str]) -> dict[str, np.ndarray]:
    """Per row of ``linked``: the mean, max and sum of ``values`` over its neighbours."""
    n = linked.shape[0]
    starts = linked.indptr[:-1]
    has = np.diff(linked.indptr) > 0
    out: dict[str, np.ndarray] = {}
    for j, name in enumerate(names):
        column = values[:, j]
        present = ~np.isnan(column)
        filled = np.where(present, column, 0.0)
        total = linked @ filled
        if "mean" in statistics:
            count = linked @ present.astype(np.float64)
            out[neighbour_column(name, "mean")] = np.divide(
                total, count, out=np.full(n, np.nan), where=count > 0)
        if "max" in statistics:
            largest = np.full(n, np.nan)
            if has.any():
                gathered = column[linked.indices]
                # fmax skips NaN; a row whose neighbours are all NaN stays NaN.
                largest[has] = np.fmax.reduceat(gathered, starts[has])
            out[neighbour_column(name, "max")] = largest
        if "sum" in statistics:
            out[neighbour_column(name, "sum")] = total
    return out

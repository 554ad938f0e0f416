"""The individual-risk model: how likely a known risk label is, from a customer's own factors.

Why: it is the ``individual`` component of the production score (:mod:`graphrisk.scoring`)
and the "no graph at all" competitor a network-aware score has to beat. A supervised
classifier on the individual factors of
:func:`~graphrisk.analytics.factors.compute_risk_factors` (which read the snapshot's
transaction ledger; the model itself sees only the factor table), trained to tell customers
with a ``known_risk_label`` from the rest. Unlabelled customers are "not known", not "clean",
so every customer's own label — positive or negative — is part of the training data; every
score is therefore out-of-fold (cross-fitting): the customers are split into folds, and each
fold is scored by the model trained on the other folds. A customer is never scored by a model
that saw it.

``gradient_boosting`` (the default) is a class-balanced histogram gradient-boosted tree
ensemble; ``logistic`` a class-balanced logistic regression on signed-log, standardised
factors. Gradient boosting is the default because trees pick up thresholds and interactions
(a burst *and* a pass-through) that a linear model cannot; the figures behind the choice are
in ``docs/benchmarks.md``.

The fold models can be kept (:func:`fit_individual_model` returns an
:class:`IndividualModel`), so that incremental re-scoring (:mod:`graphrisk.rescoring`) can
score a customer's recomputed factors without fitting again: a customer seen at fit time is
scored by the fold model that held it out (an unchanged customer gets exactly its full-run
value), a new customer by the mean of the fold models. The model also keeps the fit
population's factor values, so that "how unusual is this factor" (the percentiles behind the
reasons) is measured against the whole population rather than against a few re-scored
customers. It keeps the fit population's constants too
(:class:`~graphrisk.analytics.factor_registry.PopulationConstants`), so that factors
recomputed on a region compare with the population as the full run's did.

Neighbours: given the customer graph (``graph``), the model also reads what the customer's
neighbours look like — the mean, max and sum of their factors and how many there are
(:func:`~graphrisk.analytics.graph_features.neighbour_aggregates`) — which makes it the
graph-feature trees of :mod:`graphrisk.analytics.graph_features` over the factor table. Their
known labels are not among these features: the ``network`` component already spreads known
risk through the graph, and on generated banks the neighbours' labels made the held-out
quality worse (they teach the trees where the *known* customers cluster, not who is
risky: on 5,000 customers, seed 23, the component's ROC-AUC on the customers not told was
0.943 without them and 0.923 with them, against 0.857 for the factors alone).

The model keeps each fit customer's neighbour aggregates, so that re-scoring a customer with
recomputed factors reads the neighbourhood of the last full run (a neighbour's change shows
at the next full run), and a customer it never saw counts as one without neighbours.

Confirmed negatives: a customer an investigation cleared (a case closed as a false
positive) is not merely "not known" but known *not* risky. :func:`fit_individual_model`
takes them (``negatives``) as label 0 with :data:`NEGATIVE_WEIGHT` times the sample weight of
an unlabelled customer, so the models learn what a false alarm looks like.
"""

from __future__ import annotations

import os
import pickle
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, clone
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler
from threadpoolctl import threadpool_limits

from graphrisk.analytics.customer_graph import CustomerGraph
from graphrisk.analytics.factor_registry import factor_named
from graphrisk.analytics.factors import (
    FACTOR_COLUMNS,
    REASON_PERCENTILE,
    PopulationConstants,
)
from graphrisk.analytics.fusion import LearnedFusion
from graphrisk.analytics.graph_features import NEIGHBOURS, neighbour_aggregates, neighbour_column
from graphrisk.analytics.unusualness import UnusualnessModel
from graphrisk.policy import DEFAULT_REPORTING_THRESHOLD

__all__ = [
    "ATTRIBUTE_PREFIX",
    "NEGATIVE_WEIGHT",
    "FeatureModel",
    "IndividualModel",
    "LABEL_FREE",
    "attribute_frame",
    "can_learn",
    "features_only_scores",
    "explain_neighbours",
    "fit_individual_model",
    "fit_label_free_model",
    "neighbour_features",
]

FeatureModel = Literal["gradient_boosting", "logistic"]

#: Sample weight of a confirmed negative relative to an unlabelled customer. Why 5: an
#: unlabelled customer is only *presumed* clean (some are undiscovered risk), while a cleared
#: one was looked at by an investigator, so one clearance should count for several
#: presumptions; but clearances are few and come from alerts, i.e. from the customers the
#: model already scores high, so a much larger weight would let a handful of them carve out
#: whole regions of factor space (a leaf needs 40 samples; five clearances of weight 5 are
#: not enough on their own to fill one). With class balancing, the positives keep their
#: weight: the negatives' extra weight comes out of nobody's share but their own.
NEGATIVE_WEIGHT = 5.0


@dataclass(frozen=True)
class IndividualModel:
    """The cross-fitted fold models of one fit, to score recomputed factors without refitting.

    Why keep them: a full run fits ``folds`` models anyway; re-scoring a few customers after a
    small batch must not pay for fitting again, and must give a customer whose factors did not
    change exactly the value the full run gave it.

    Attributes:
        kind: ``gradient_boosting`` or ``logistic``; :data:`LABEL_FREE` for a bank with
            too few labels (:func:`fit_label_free_model`).
        feature_columns: the columns the models read, in order: the factor columns, then
            (fitted with a graph) the neighbour aggregates.
        fold_models: the fitted model of each fold (trained without that fold's customers).
        held_out: the fold each customer seen at fit time was held out of (and scored by).
        reference: per factor column (and neighbour aggregate), the fit population's
            values, sorted; what :meth:`percentiles` compares with.
        seed: the seed of the fit.
        population: the fit population's constants (the data's time span, the neutral
            credit score); ``None`` for a model saved before they were kept, or fitted
            without them. Re-scoring passes them to
            :func:`~graphrisk.analytics.factors.compute_risk_factors`.
        negatives: how many confirmed negatives the fit weighted up (``NEGATIVE_WEIGHT``).
        neighbourhood: per customer of the fit, the neighbour aggregates the models read
            (float32), for :meth:`predict` when the caller passes factors only; ``None``
            when fitted without a graph.
        attributes: per customer of the fit, the bank's own customer features the models
            read (:func:`attribute_frame`, float32), for :meth:`predict` when the caller
            passes factors only; ``None`` when the bank supplies none.
        fusion: the learned fusion of the full run that fitted this model
            (:class:`~graphrisk.analytics.fusion.LearnedFusion`), so that re-scoring fuses
            as that run did; ``None``: the run used the noisy-OR (or the model was saved
            before fusions were learned).
        unusualness: how unusual the fit population's factors are together, label-free
            (:class:`~graphrisk.analytics.unusualness.UnusualnessModel`): the score's
            ``unusual`` component, :meth:`unusual`. ``None`` for a label-free model (whose
            fold model is that already) or one saved before it was kept.
        learned_reasons: the full run's reason beyond the customers' own factors (their
            neighbours' or their own bank features': ``percentile, reason``, only the rows
            that have one), so that re-scoring, which reads the same neighbourhood and
            features, says what the full run said; ``None`` before a full run kept them.
    """

    kind: str
    feature_columns: tuple[str, ...]
    fold_models: tuple[BaseEstimator, ...]
    held_out: pd.Series
    reference: dict[str, np.ndarray]
    seed: int = 0
    population: PopulationConstants | None = None
    negatives: int = 0
    neighbourhood: pd.DataFrame | None = None
    fusion: LearnedFusion | None = None
    attributes: pd.DataFrame | None = None
    learned_reasons: pd.DataFrame | None = None
    unusualness: UnusualnessModel | None = None

    def predict(self, factors: pd.DataFrame, *, threads: int | None = 1) -> pd.Series:
        """Probability of a known risk label per customer of ``factors``.

        A customer seen at fit time gets the prediction of the fold model that held it out
        (so equal factors give exactly the out-of-fold value of the fit); a customer the fit
        never saw gets the mean over the fold models.

        Args:
            factors: ``customer_id`` and every factor column; the neighbour aggregates
                among :attr:`feature_columns` may be given too, and are otherwise those
                kept from the fit (:attr:`neighbourhood`; none for a customer it never saw).
            threads: CPU threads while predicting (see :func:`features_only_scores`).

        Returns:
            Probability per ``customer_id`` in the order of ``factors``, named
            ``features_only_score``.

        Raises:
            ValueError: a factor column is missing.
        """
        factors = self._with_neighbourhood(factors)
        missing = [c for c in self.feature_columns if c not in factors.columns]
        if missing:
            raise ValueError(f"factors lacks the columns {missing}; pass compute_risk_factors()")
        customer_ids = factors["customer_id"]
        x = factors[list(self.feature_columns)].to_numpy(dtype=float)
        fold = self.held_out.reindex(customer_ids).to_numpy(dtype=float)
        scores = np.zeros(len(x))
        unseen = np.isnan(fold)
        with threadpool_limits(limits=threads):
            for k, fitted in enumerate(self.fold_models):
                mine = fold == k
                if mine.any():
                    scores[mine] = fitted.predict_proba(x[mine])[:, 1]
                if unseen.any():
                    scores[unseen] += fitted.predict_proba(x[unseen])[:, 1] / len(self.fold_models)
        return pd.Series(scores, index=pd.Index(customer_ids, name="customer_id"),
                         name="features_only_score")

    def unusual(self, factors: pd.DataFrame) -> pd.Series:
        """The ``unusual`` component per customer of ``factors``: how much more unusual the
        factors are together than chance, against the fit population (0 for a label-free
        model, whose own prediction is that already, and for one saved without it)."""
        unusualness = getattr(self, "unusualness", None)  # pickled before it existed
        index = pd.Index(factors["customer_id"], name="customer_id")
        if unusualness is None or self.kind == LABEL_FREE:
            return pd.Series(0.0, index=index, name="unusual")
        x = factors[list(FACTOR_COLUMNS)].to_numpy(dtype=float)
        return pd.Series(unusualness.predict_proba(x)[:, 1], index=index, name="unusual")

    def percentiles(self, factors: pd.DataFrame) -> pd.DataFrame:
        """:func:`~graphrisk.analytics.factors.factor_percentiles` against the fit population.

        Why: a factor is "unusual" relative to every customer; ranked among the few customers
        being re-scored, ordinary values would look extreme. For the customers of the fit,
        with their fit-time factors, the values equal those of ``factor_percentiles`` over
        the fit population (the share of customers strictly below).
        """
        present = [c for c in self.feature_columns
                   if c in factors.columns and c in self.reference]
        out = pd.DataFrame({"customer_id": factors["customer_id"].to_numpy()})
        for column in present:
            values = factors[column].to_numpy(dtype=float)
            reference = self.reference[column]
            below = np.searchsorted(reference, values, side="left") / max(len(reference), 1)
            out[column] = np.where(np.isnan(values), np.nan, below)
        return out

    def _with_neighbourhood(self, factors: pd.DataFrame) -> pd.DataFrame:
        """``factors`` plus the kept neighbour aggregates it lacks (0 for the unseen), and
        the kept customer features it lacks (missing for the unseen)."""
        attributes = getattr(self, "attributes", None)  # a model pickled before it existed
        if attributes is not None:
            lacking = [c for c in attributes.columns if c not in factors.columns]
            if lacking:
                rows = attributes[lacking].reindex(factors["customer_id"]).to_numpy(
                    dtype=float)
                factors = factors.assign(**{c: rows[:, i] for i, c in enumerate(lacking)})
        kept = getattr(self, "neighbourhood", None)  # a model pickled before it existed
        if kept is None:
            return factors
        lacking = [c for c in kept.columns if c not in factors.columns]
        if not lacking:
            return factors
        rows = kept[lacking].reindex(factors["customer_id"]).to_numpy(dtype=float)
        return factors.assign(**{c: np.nan_to_num(rows[:, i], nan=0.0)
                                 for i, c in enumerate(lacking)})

    def save(self, path: Path | str) -> Path:
        """Write the model to ``path`` (a pickle, readable by its owner only: mode 0600).

        Why 0600: a pickle runs code when loaded, so nobody else may be able to replace it,
        and it describes the bank's customers.
        """
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(path.name + ".tmp")
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "wb") as handle:
            pickle.dump(self, handle, protocol=pickle.HIGHEST_PROTOCOL)
        os.chmod(temporary, 0o600)
        os.replace(temporary, path)
        return path

    @classmethod
    def load(cls, path: Path | str) -> IndividualModel:
        """Read a model written by :meth:`save` (only load files you wrote yourself).

        Raises:
            TypeError: the file holds something else.
        """
        with Path(path).open("rb") as handle:
            model = pickle.load(handle)  # noqa: S301 - our own 0600 file
        if not isinstance(model, cls):
            raise TypeError(f"{path} holds a {type(model).__name__}, not an IndividualModel")
        return model


def features_only_scores(
    factors: pd.DataFrame,
    known: pd.Series,
    *,
    model: FeatureModel = "gradient_boosting",
    folds: int = 5,
    seed: int = 0,
    threads: int | None = 1,
) -> pd.Series:
    """Out-of-fold probability of a known risk label, from the individual factors alone.

    Args:
        factors: the output of :func:`~graphrisk.analytics.factors.compute_risk_factors`
            (``customer_id`` and every column of
            :data:`~graphrisk.analytics.factors.FACTOR_COLUMNS`).
        known: True where a customer has a known risk label, by ``customer_id``; customers
            missing here count as not known.
        model: ``"gradient_boosting"`` or ``"logistic"`` (see the module docstring).
        folds: cross-fitting folds; each customer is scored by the model trained on the
            other ``folds - 1``.
        seed: fixes the folds and the model's randomness; the same seed gives the same
            scores.
        threads: CPU threads (OpenMP and BLAS) while fitting; ``None`` leaves the library
            defaults (every core). Why one by default: on a small shared machine, threads
            that spin waiting for each other made 100,000 customers take 45 s instead of
            12 s; the scores are the same either way.

    Returns:
        Probability per ``customer_id`` (in the order of ``factors``), named
        ``features_only_score``.

    Raises:
        ValueError: a factor column is missing, ``model`` is unknown, ``folds`` is below 2,
            or there are fewer than ``folds`` known (or not known) customers.
    """
    scores, _ = fit_individual_model(factors, known, model=model, folds=folds, seed=seed,
                                     threads=threads)
    return scores


def fit_individual_model(
    factors: pd.DataFrame,
    known: pd.Series,
    *,
    model: FeatureModel = "gradient_boosting",
    folds: int = 5,
    seed: int = 0,
    threads: int | None = 1,
    negatives: Collection[str] | None = None,
    population: PopulationConstants | None = None,
    graph: CustomerGraph | None = None,
    attributes: pd.DataFrame | None = None,
) -> tuple[pd.Series, IndividualModel]:
    """:func:`features_only_scores` and the fold models behind them, from one fit.

    Arguments and errors as :func:`features_only_scores`, and:

    Args:
        negatives: customer ids confirmed *not* risky (a case closed as a false positive):
            label 0 with sample weight :data:`NEGATIVE_WEIGHT` (see there for why 5) instead
            of 1. A customer who also has a known risk label stays positive (the data's
            confirmed label outranks one cleared alert); ids not in ``factors`` are ignored.
            ``None`` or empty: no sample weights at all, so the scores are exactly those of
            a fit without the argument. The folds do not depend on it (the labels are the
            same), so a negative's own score still comes from a model that did not see it;
            it moves the scores of the customers who resemble it.
        population: kept on the model (:attr:`IndividualModel.population`) for re-scoring.
        graph: the customer graph
            (:func:`~graphrisk.analytics.customer_graph.build_customer_graph`); the models
            then also read the neighbours' factor aggregates (:func:`neighbour_features`).
            ``None``: the factors alone.
        attributes: the bank's own numeric customer features (:func:`attribute_frame`:
            bureau variables, financial ratios loaded as ``customer_features``), indexed by
            customer id, read beside the factors by the gradient-boosted model (which takes
            a missing value as such); ``None``, empty, or the logistic model: not read.
            Why: a bank that supplies its own attributes knows things our factors cannot
            compute; on FDCompCN (57 financial-statement features per company, no
            transfers our factors read) the pipeline was at chance without them.

    Keeping the models costs nothing extra: they are the ones cross-fitting trains anyway.

    Returns:
        The out-of-fold scores (exactly those of :func:`features_only_scores`) and the
        :class:`IndividualModel` that reproduces them.
    """
    missing = [c for c in FACTOR_COLUMNS if c not in factors.columns]
    if missing:
        raise ValueError(f"factors lacks the columns {missing}; pass compute_risk_factors()")
    if folds < 2:
        raise ValueError(f"folds must be at least 2, got {folds}")
    estimator = _feature_model(model, seed)
    customer_ids = factors["customer_id"]
    columns = list(FACTOR_COLUMNS)
    x = factors[columns].to_numpy(dtype=float)
    kept_attributes = None
    if attributes is not None and not attributes.empty and model == "gradient_boosting":
        kept_attributes = attributes.reindex(customer_ids).astype(np.float32)
        columns += list(kept_attributes.columns)
        x = np.column_stack([x, kept_attributes.to_numpy(dtype=float)])
    neighbourhood = None
    if graph is not None:
        # Kept as float32 (half the size); the fit reads the same rounded values, so that
        # re-scoring from the kept table gives exactly the fit's scores.
        neighbourhood = neighbour_features(factors, graph).astype(np.float32)
        columns += list(neighbourhood.columns)
        x = np.column_stack([x, neighbourhood.to_numpy(dtype=float)])
    y = known.astype(bool).reindex(customer_ids, fill_value=False).to_numpy(dtype=np.int64)
    positives = int(y.sum())
    if min(positives, len(y) - positives) < folds:
        raise ValueError(
            f"{positives} of {len(y)} customers have a known label; cross-fitting with "
            f"{folds} folds needs at least {folds} with and {folds} without"
        )
    weight = _negative_weights(customer_ids, y, negatives)
    scores = np.empty(len(y))
    fold_of = np.empty(len(y), dtype=np.int64)
    fitted_models = []
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    with threadpool_limits(limits=threads):
        for k, (train, held_out) in enumerate(splitter.split(x, y)):
            fitted = clone(estimator)
            if weight is None:
                fitted.fit(x[train], y[train])
            else:
                _fit_weighted(fitted, x[train], y[train], weight[train])
            scores[held_out] = fitted.predict_proba(x[held_out])[:, 1]
            fold_of[held_out] = k
            fitted_models.append(fitted)
    index = pd.Index(customer_ids, name="customer_id")
    kept = IndividualModel(
        kind=model,
        feature_columns=tuple(columns),
        fold_models=tuple(fitted_models),
        held_out=pd.Series(fold_of, index=index, name="fold"),
        reference={c: np.sort(x[:, i]) for i, c in enumerate(FACTOR_COLUMNS)},
        seed=seed,
        population=population,
        negatives=0 if weight is None else int((weight > 1.0).sum()),
        neighbourhood=neighbourhood,
        attributes=kept_attributes,
        # Label-free, so fitted on everyone: the ``unusual`` component beside this one.
        unusualness=UnusualnessModel(seed=seed).fit(factors[list(FACTOR_COLUMNS)]
                                                    .to_numpy(dtype=float)),
    )
    return pd.Series(scores, index=index, name="features_only_score"), kept


#: :attr:`IndividualModel.kind` of a model fitted without labels.
LABEL_FREE = "label_free"


def can_learn(known: pd.Series, folds: int) -> bool:
    """Whether cross-fitting with ``folds`` folds can learn from these labels: at least
    ``folds`` customers with a known label and ``folds`` without (one of each per fold).
    Where not, the individual component is :func:`fit_label_free_model`'s."""
    labelled = int(known.astype(bool).sum())
    return min(labelled, len(known) - labelled) >= folds


def fit_label_free_model(
    factors: pd.DataFrame,
    *,
    seed: int = 0,
    population: PopulationConstants | None = None,
) -> tuple[pd.Series, IndividualModel]:
    """The individual component of a bank with too few confirmed labels to learn from.

    How unusual each customer's factors are together, beyond what chance gives
    (:class:`~graphrisk.analytics.unusualness.UnusualnessModel`; the module says how and
    why). Neither the neighbours' factors nor the bank's own customer features are read:
    without labels nothing says which way a bank feature points, and a neighbour's unusual
    factor already counts for that neighbour. Kept as an :class:`IndividualModel` (kind
    :data:`LABEL_FREE`, one model for every customer: no label to hold out), so that
    re-scoring scores recomputed factors against the full run's population.

    Args:
        factors: ``customer_id`` and every factor column.
        seed: of the shuffles behind the chance distribution.
        population: kept for re-scoring, as :func:`fit_individual_model` keeps it.

    Raises:
        ValueError: a factor column is missing.
    """
    missing = [c for c in FACTOR_COLUMNS if c not in factors.columns]
    if missing:
        raise ValueError(f"factors lacks the columns {missing}; pass compute_risk_factors()")
    columns = list(FACTOR_COLUMNS)
    x = factors[columns].to_numpy(dtype=float)
    fitted = UnusualnessModel(seed=seed).fit(x)
    index = pd.Index(factors["customer_id"], name="customer_id")
    kept = IndividualModel(
        kind=LABEL_FREE, feature_columns=tuple(columns), fold_models=(fitted,),
        held_out=pd.Series(0, index=index, name="fold", dtype=np.int64),
        reference={c: np.sort(x[:, i]) for i, c in enumerate(columns)}, seed=seed,
        population=population)
    return pd.Series(fitted.predict_proba(x)[:, 1], index=index,
                     name="features_only_score"), kept


#: Prefix of the individual model's columns that hold the bank's own customer features.
ATTRIBUTE_PREFIX = "attribute:"


def attribute_frame(customer_features: pd.DataFrame, customer_ids: pd.Index) -> pd.DataFrame:
    """The bank's own numeric customer features, one column per feature
    (``attribute:<name>``), one row per customer of ``customer_ids`` (missing where a
    customer has no value; several values of one feature are averaged).

    Args:
        customer_features: the snapshot's long ``customer_features`` table (``customer_id``,
            ``feature``, ``value``).
        customer_ids: the customers, in order.
    """
    if customer_features.empty:
        return pd.DataFrame(index=customer_ids)
    wide = (customer_features.assign(value=pd.to_numeric(customer_features["value"],
                                                         errors="coerce"))
            .pivot_table(index="customer_id", columns="feature", values="value",
                         aggfunc="mean"))
    wide = wide.reindex(sorted(wide.columns), axis=1)
    wide.columns = [f"{ATTRIBUTE_PREFIX}{name}" for name in wide.columns]
    return wide.reindex(customer_ids)


def neighbour_features(factors: pd.DataFrame, graph: CustomerGraph) -> pd.DataFrame:
    """The neighbour aggregates the individual model reads, per customer of ``factors``.

    :func:`~graphrisk.analytics.graph_features.neighbour_aggregates` of the factor columns
    (no labels), with 0 where a customer has no neighbours (a mean or max over nobody),
    so that the logistic model reads them as well as the trees.

    Args:
        factors: ``customer_id`` and every factor column.
        graph: the customer graph.

    Returns:
        Indexed by ``customer_id`` in the order of ``factors``: ``neighbours`` (how many),
        then the mean, max and sum of each factor over the neighbours.
    """
    table = factors.set_index("customer_id")[list(FACTOR_COLUMNS)]
    out = neighbour_aggregates(table, graph)
    return out.fillna(0.0)


def explain_neighbours(
    neighbourhood: pd.DataFrame,
    *,
    min_percentile: float = REASON_PERCENTILE,
    reporting_threshold: float = DEFAULT_REPORTING_THRESHOLD,
) -> pd.DataFrame:
    """Per customer, the reason their neighbours give, if one of them stands out.

    Why: once the individual model reads the neighbours' factors, a customer can score high
    because of who they are linked to; the reason must say so in words a person can check
    ("one of their 3 linked customers: 4 fraud claims filed"), not only name their own
    factors. The reason is the customer's most unusual *largest neighbour value* of a factor
    (``neighbour_max_<factor>``: one real neighbour has it), ranked like the own factors'
    reasons: against every customer's, at or above ``min_percentile`` and at least the
    factor's notable value.

    Args:
        neighbourhood: :func:`neighbour_features` of the whole population (the percentiles
            are taken over its rows).
        min_percentile: the least percentile worth a reason.
        reporting_threshold: quoted by the structuring factor's sentence.

    Returns:
        Indexed like ``neighbourhood``: ``percentile`` (the share of customers strictly
        below) and ``reason`` (the sentence); both missing where no neighbour stands out.
    """
    present = [c for c in FACTOR_COLUMNS
               if neighbour_column(c, "max") in neighbourhood.columns]
    values = neighbourhood[[neighbour_column(c, "max") for c in present]].to_numpy(float)
    ranks = np.empty_like(values)
    for j in range(values.shape[1]):
        ordered = np.sort(values[:, j])
        ranks[:, j] = np.searchsorted(ordered, values[:, j], side="left") / max(len(ordered), 1)
    notable = np.array([factor_named(c).notable or 0.0 for c in present])
    usable = (ranks >= min_percentile) & (values != 0) & (values >= notable)
    ranked = np.where(usable, ranks, -1.0)
    best = np.argmax(ranked, axis=1) if len(present) else np.zeros(len(values), dtype=int)
    count = neighbourhood[NEIGHBOURS].to_numpy(dtype=float)
    percentile = np.full(len(values), np.nan)
    reasons: list[str | None] = [None] * len(values)
    for row in np.flatnonzero(usable.any(axis=1)) if len(present) else []:
        column = int(best[row])
        percentile[row] = ranks[row, column]
        said = factor_named(present[column]).reason(values[row, column], reporting_threshold)
        n = int(count[row])
        reasons[row] = (f"their one linked customer: {said}" if n == 1
                        else f"one of their {n} linked customers: {said}")
    return pd.DataFrame({"percentile": percentile, "reason": reasons},
                        index=neighbourhood.index)


# --------------------------------------------------------------------------------------------
# Private implementation
# --------------------------------------------------------------------------------------------


def _negative_weights(customer_ids: pd.Series, y: np.ndarray,
                      negatives: Collection[str] | None) -> np.ndarray | None:
    """Sample weights: :data:`NEGATIVE_WEIGHT` for confirmed negatives without a known risk
    label, 1 elsewhere; ``None`` when there are none (the unweighted fit, bit for bit)."""
    if not negatives:
        return None
    cleared = customer_ids.isin(set(negatives)).to_numpy(dtype=bool) & (y == 0)
    if not cleared.any():
        return None
    return np.where(cleared, NEGATIVE_WEIGHT, 1.0)


def _fit_weighted(estimator: BaseEstimator, x: np.ndarray, y: np.ndarray,
                  weight: np.ndarray) -> None:
    """Fit with sample weights; a pipeline passes them to its last step (the classifier)."""
    if hasattr(estimator, "steps"):
        estimator.fit(x, y, **{f"{estimator.steps[-1][0]}__sample_weight": weight})
    else:
        estimator.fit(x, y, sample_weight=weight)


def _signed_log(x: np.ndarray) -> np.ndarray:
    """``sign(x) * log(1 + |x|)``: tames heavy tails (amounts, ratios) for a linear model."""
    return np.sign(x) * np.log1p(np.abs(x))


def _feature_model(model: str, seed: int) -> BaseEstimator:
    if model == "gradient_boosting":
        # 60 rounds on 63 bins: as good on validation as 200 rounds on 255 bins, a third of
        # the time (5 folds of 100,000 customers in about 10 CPU seconds).
        return HistGradientBoostingClassifier(
            learning_rate=0.1,
            max_iter=60,
            max_bins=63,
            max_leaf_nodes=15,
            min_samples_leaf=40,
            l2_regularization=1.0,
            class_weight="balanced",
            early_stopping=False,
            random_state=seed,
        )
    if model == "logistic":
        return make_pipeline(
            FunctionTransformer(_signed_log),
            StandardScaler(),
            LogisticRegression(class_weight="balanced", max_iter=1000),
        )
    raise ValueError(f"model must be 'gradient_boosting' or 'logistic', got {model!r}")

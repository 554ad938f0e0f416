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
"""

from __future__ import annotations

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

from graphrisk.analytics.factors import FACTOR_COLUMNS

__all__ = ["FeatureModel", "features_only_scores"]

FeatureModel = Literal["gradient_boosting", "logistic"]


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
    missing = [c for c in FACTOR_COLUMNS if c not in factors.columns]
    if missing:
        raise ValueError(f"factors lacks the columns {missing}; pass compute_risk_factors()")
    if folds < 2:
        raise ValueError(f"folds must be at least 2, got {folds}")
    estimator = _feature_model(model, seed)
    customer_ids = factors["customer_id"]
    x = factors[list(FACTOR_COLUMNS)].to_numpy(dtype=float)
    y = known.astype(bool).reindex(customer_ids, fill_value=False).to_numpy(dtype=np.int64)
    positives = int(y.sum())
    if min(positives, len(y) - positives) < folds:
        raise ValueError(
            f"{positives} of {len(y)} customers have a known label; cross-fitting with "
            f"{folds} folds needs at least {folds} with and {folds} without"
        )
    scores = np.empty(len(y))
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    with threadpool_limits(limits=threads):
        for train, held_out in splitter.split(x, y):
            fitted = clone(estimator).fit(x[train], y[train])
            scores[held_out] = fitted.predict_proba(x[held_out])[:, 1]
    return pd.Series(scores, index=pd.Index(customer_ids, name="customer_id"),
                     name="features_only_score")


# --------------------------------------------------------------------------------------------
# Private implementation
# --------------------------------------------------------------------------------------------


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

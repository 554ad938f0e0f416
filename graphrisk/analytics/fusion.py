"""The learned fusion: how much each analytics component counts, learned from this bank's labels.

Why: the score's hand-set noisy-OR weights were chosen on our generator. On a bank unlike it
a component can be noise (typology hits on everyday trade, clusters of honest families) and
the noisy-OR still lets it make a customer risky. The learned fusion fits, per bank and per
run, how much the ``individual``, ``network``, ``typology`` and ``cluster`` components say
about the confirmed risk labels, and orders customers by that.

How, and what it guards against:

* **Out of fold, by group.** A known customer's ``network`` and ``cluster`` evidence includes
  her own label (she is a seed; her cluster counts her), and confirmed labels come in caught
  groups (an investigation labels several members of a ring), so a customer's group-mates'
  labels leak too. The caller (:func:`graphrisk.scoring.score_customers`) recomputes both
  components per fold with the labels of that fold hidden, and the folds are drawn by group
  (:func:`group_folds`: an identity ring, else a payment community, else the customer), so a
  held-out known customer is judged as an uncaught ring's member would be. Measured on
  generated banks (5,000 customers, ``/tmp`` experiment recorded in docs/robustness.md):
  folds by customer gave ``network`` the largest weight and lost to the noisy-OR
  (outside_like recall in the top 5% 0.810 against 0.912); folds by group did not.
* **Monotone.** A logistic regression over the standardised components (the ``individual``
  probability on the logit scale) with every coefficient at least 0: more evidence never
  lowers the score, and a component the labels do not support gets 0.
* **The score keeps its scale.** Positive-unlabelled labels from caught groups do not
  calibrate a probability (dividing by the labelled share, Elkan & Noto 2008, left 86% of the
  risky customers of ``known_10`` below the medium tier). The learned order is mapped onto
  the distribution of the noisy-OR analytics score of the same run (quantile mapping,
  :attr:`LearnedFusion.knots`): the tiers keep the volumes their bounds were set on, and who
  is in them follows the labels. The ``known`` and ``model`` components stay noisy-OR terms on
  top (a confirmation is certain; the graph model's probabilities for its own training
  customers are in-sample and cannot be fitted on).

References:
    Elkan, Noto, "Learning classifiers from only positive and unlabeled data" (KDD 2008);
    Wolpert, "Stacked generalization" (1992) for fitting a combiner on out-of-fold outputs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
from scipy.optimize import minimize

__all__ = [
    "FUSIONS",
    "LEARNED_COMPONENTS",
    "MIN_KNOWN",
    "LearnedFusion",
    "fit_fusion",
    "group_folds",
    "noisy_or",
]

#: The fusions a policy may ask for.
FUSIONS = ("learned", "noisy_or")
#: The components whose weights are learned (``known`` and ``model`` stay noisy-OR terms).
LEARNED_COMPONENTS: tuple[str, ...] = ("individual", "network", "typology", "cluster")
#: Fewer confirmed labels than this and the fusion is the noisy-OR (nothing to learn from).
MIN_KNOWN = 10
#: Points of the quantile map kept (the rest is linear interpolation between them).
_KNOTS = 1001
#: L2 penalty on the standardised coefficients (a few dozen positives must not overfit).
_PENALTY = 1e-2
_EPSILON = 1e-4
#: The strength of a reason that lifts nothing: it comes after every other one.
_LAST = 1e-6


@dataclass(frozen=True)
class LearnedFusion:
    """A fitted fusion of the analytics components, kept with the run for re-scoring.

    Attributes:
        components: the learned inputs, in order (those of :data:`LEARNED_COMPONENTS` that
            had data and varied).
        center: per input, the mean the fit standardised with (``individual`` on the logit
            scale).
        scale: per input, the standard deviation it standardised with.
        coefficients: per input, its weight on the standardised value (at least 0).
        intercept: the fit's intercept.
        knots: the quantile map: ``(logit, score)`` points, both non-decreasing; a
            customer's analytics score in ``[0, 1]`` is the interpolation at its logit.
        known: the confirmed labels it learned from.
        folds: the group folds of the out-of-fold evidence.
    """

    components: tuple[str, ...]
    center: tuple[float, ...]
    scale: tuple[float, ...]
    coefficients: tuple[float, ...]
    intercept: float
    knots: tuple[tuple[float, ...], tuple[float, ...]]
    known: int
    folds: int

    def logit(self, components: pd.DataFrame) -> np.ndarray:
        """The fitted log-odds of a confirmed label, per row of ``components``."""
        values = _inputs(components, self.components)
        standard = (values - np.asarray(self.center)) / np.asarray(self.scale)
        return self.intercept + standard @ np.asarray(self.coefficients)

    def analytics_score(self, components: pd.DataFrame) -> np.ndarray:
        """Per row, the analytics part of the score in ``[0, 1]``: the logit mapped through
        :attr:`knots` onto the noisy-OR scale."""
        xs, ys = self.knots
        return np.clip(np.interp(self.logit(components), xs, ys), 0.0, 1.0)

    def reason_strengths(self, components: pd.DataFrame) -> pd.DataFrame:
        """Per row and learned component (columns :data:`LEARNED_COMPONENTS`), how strongly
        it speaks for this customer, in ``[0, 1)``: what orders a customer's reasons.

        A component speaks where the customer has some of it (``c > 0``): more the further
        it lifts her log-odds above the average customer's (``s / (1 + s)`` of that lift,
        so that a confirmed label, weighted 9 by the reasons, stays first). Where it lifts
        nothing (below average, or a component the labels gave weight 0) it still speaks,
        after the others: a link to a known fraudster's account is a fact an investigator
        checks even where this bank's labels do not weigh such links.
        """
        values = _inputs(components, self.components)
        lift = np.asarray(self.coefficients) * (values - np.asarray(self.center)) / np.asarray(
            self.scale)
        lift = np.maximum(lift, 0.0) + _LAST
        strength = pd.DataFrame(0.0, index=components.index, columns=list(LEARNED_COMPONENTS))
        for position, name in enumerate(self.components):
            speaks = components[name].to_numpy(dtype=float) > 0
            strength[name] = np.where(speaks, lift[:, position] / (1 + lift[:, position]), 0.0)
        return strength

    def describe(self) -> dict[str, object]:
        """Plain values for the stored run's parameters and ``graphrisk score``'s output."""
        return {"fusion": "learned", "known": self.known, "folds": self.folds,
                "weights": {name: round(float(coef), 4) for name, coef
                            in zip(self.components, self.coefficients, strict=True)}}

    def summary(self) -> str:
        """One line for a person: what it learned from and how much each component counts."""
        weights = ", ".join(f"{name} {coef:.2f}" for name, coef
                            in zip(self.components, self.coefficients, strict=True))
        return (f"learned from {self.known:,} confirmed labels ({self.folds} folds by ring "
                f"and community); weight per standard deviation: {weights}")


def noisy_or(components: pd.DataFrame, weights: Mapping[str, float]) -> np.ndarray:
    """``1 - prod_k (1 - w_k c_k)`` over the components ``weights`` names (``[0, 1]``)."""
    names = list(weights)
    if not names:
        return np.zeros(len(components))
    evidence = components[names].to_numpy(dtype=float) * np.array([weights[n] for n in names])
    return 1.0 - np.prod(1.0 - evidence, axis=1)


def group_folds(index: pd.Index, rings: pd.Series, communities: pd.Series, folds: int,
                seed: int) -> pd.Series:
    """A fold per customer, the same for every member of one group.

    A group is the customer's identity ring, else her payment community, else herself: the
    units a confirmed label tends to come in. Deterministic for a seed, whatever the order
    of ``index``.
    """
    key = pd.Series(["p" + str(c) for c in index], index=index, dtype=object)
    community = communities.reindex(index)
    key[community.notna()] = "c" + community[community.notna()].astype(str)
    ring = rings.reindex(index)
    key[ring.notna()] = "r" + ring[ring.notna()].astype(str)
    codes, _groups = pd.factorize(key, sort=True)
    draws = np.random.default_rng(seed).integers(0, folds, codes.max() + 1 if len(codes) else 0)
    return pd.Series(draws[codes] if len(codes) else [], index=index, dtype=np.int64,
                     name="fold")


def fit_fusion(
    out_of_fold: pd.DataFrame,
    labels: pd.Series,
    *,
    folds: pd.Series,
    reference: pd.DataFrame,
    weights: Mapping[str, float],
) -> LearnedFusion | None:
    """Fit the fusion on out-of-fold evidence, and its quantile map on the run's evidence.

    Args:
        out_of_fold: per customer, the learned components as they would be with the
            customer's fold's labels hidden.
        labels: per customer (same index), whether she carries a confirmed risk label.
        folds: per customer, the fold of ``out_of_fold`` (:func:`group_folds`).
        reference: per customer, the components of the run itself (what scores are
            computed from); its noisy-OR under ``weights`` is the scale the map keeps.
        weights: the policy's noisy-OR weights of the components that had data (the left-out
            ones absent or at 0).

    Returns:
        The fusion, or ``None`` where there is nothing to learn: fewer than
        :data:`MIN_KNOWN` labels, positives in fewer than two folds, no component that
        varies, or every coefficient 0.
    """
    y = labels.reindex(out_of_fold.index).fillna(False).astype(bool).to_numpy()
    known = int(y.sum())
    if known < MIN_KNOWN or folds.reindex(out_of_fold.index)[y].nunique() < 2:
        return None
    names = tuple(c for c in LEARNED_COMPONENTS if c in out_of_fold.columns
                  and weights.get(c, 0.0) > 0 and out_of_fold[c].nunique() > 1)
    if not names:
        return None
    values = _inputs(out_of_fold, names)
    center, scale = values.mean(axis=0), values.std(axis=0)
    keep = scale > 0
    names = tuple(n for n, k in zip(names, keep, strict=True) if k)
    if not names:
        return None
    values, center, scale = values[:, keep], center[keep], scale[keep]
    intercept, coefficients = _monotone_logistic((values - center) / scale, y.astype(float))
    if not np.any(coefficients > 0):
        return None
    fusion = LearnedFusion(
        components=names, center=tuple(map(float, center)), scale=tuple(map(float, scale)),
        coefficients=tuple(map(float, coefficients)), intercept=float(intercept),
        knots=((), ()), known=known, folds=int(folds.nunique()))
    used = {n: w for n, w in weights.items() if n in LEARNED_COMPONENTS and w > 0}
    return _with_knots(fusion, fusion.logit(reference), noisy_or(reference, used))


def _inputs(components: pd.DataFrame, names: Sequence[str]) -> np.ndarray:
    """The fit's input matrix: the components in ``names`` order, ``individual`` (a
    probability) on the logit scale."""
    columns = []
    for name in names:
        value = components[name].to_numpy(dtype=float)
        if name == "individual":
            clipped = np.clip(value, _EPSILON, 1 - _EPSILON)
            value = np.log(clipped / (1 - clipped))
        columns.append(value)
    return np.column_stack(columns) if columns else np.zeros((len(components), 0))


def _monotone_logistic(x: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    """Logistic regression with coefficients bounded at 0 from below (L-BFGS-B), L2-penalised."""

    def loss(w: np.ndarray) -> tuple[float, np.ndarray]:
        z = w[0] + x @ w[1:]
        p = 1.0 / (1.0 + np.exp(-z))
        value = np.mean(np.logaddexp(0.0, z) - y * z) + _PENALTY * np.sum(w[1:] ** 2)
        gradient = np.concatenate(
            [[np.mean(p - y)], x.T @ (p - y) / len(y) + 2 * _PENALTY * w[1:]])
        return float(value), gradient

    start = np.zeros(x.shape[1] + 1)
    bounds = [(None, None)] + [(0.0, None)] * x.shape[1]
    fitted = minimize(loss, start, jac=True, bounds=bounds, method="L-BFGS-B")
    return float(fitted.x[0]), np.maximum(fitted.x[1:], 0.0)


def _with_knots(fusion: LearnedFusion, logits: np.ndarray, scale: np.ndarray) -> LearnedFusion:
    """``fusion`` with the quantile map from ``logits`` onto ``scale``'s distribution.

    Equal logits (customers with the same evidence) map to the mean of the scale over the
    quantiles they span, so the map is a function and stays non-decreasing.
    """
    quantiles = np.linspace(0.0, 1.0, _KNOTS)
    xs = np.quantile(logits, quantiles)
    ys = np.quantile(scale, quantiles)
    unique, inverse = np.unique(xs, return_inverse=True)
    means = np.bincount(inverse, weights=ys) / np.bincount(inverse)
    return replace(fusion, knots=(tuple(map(float, unique)), tuple(map(float, means))))

"""The learned fusion: how much each analytics component counts, learned from this bank's labels.

Why: the score's hand-set noisy-OR weights were chosen on our generator. On a bank unlike it
a component can be noise (typology hits on everyday trade, clusters of honest families) and
the noisy-OR still lets it make a customer risky. The learned fusion fits, per bank and per
run, how much the ``individual``, ``unusual``, ``network``, ``typology`` and ``cluster``
components say about the confirmed risk labels, and orders customers by that.

How, and what it guards against:

* **Out of fold, by group.** A known customer's ``network`` and ``cluster`` evidence includes
  her own label (she is a seed; her cluster counts her), and confirmed labels come in caught
  groups (an investigation labels several members of a ring), so a customer's group-mates'
  labels leak too. The caller (:func:`graphrisk.scoring.score_customers`) recomputes both
  components per fold with the labels of that fold hidden, and the folds are drawn by group
  (:func:`group_folds`: an identity ring, else a payment community, else the customer), so a
  held-out known customer is judged as an uncaught ring's member would be. (Folds by
  customer were tried first: ``network`` took the largest weight and the fusion lost to the
  noisy-OR on the ``outside_like`` profile; docs/robustness.md.)
* **Monotone.** A logistic regression over the standardised components (the ``individual``
  probability on the logit scale) with every coefficient at least 0: more evidence never
  lowers the score, and a component the labels do not support gets 0.
* **Chosen by cross-validation, with its uncertainty.** Whether the learned combiner ranks
  the held-out confirmed labels better than the policy's noisy-OR is measured, not assumed
  (:func:`compare_by_folds`): the combiner is refitted without each fold and both are scored
  on it (PR-AUC of the fold's confirmed labels among its customers), over the run's folds
  and :data:`CV_REPEATS` - 1 more draws of the groups into folds. The paired difference and
  its corrected standard error (Nadeau & Bengio) decide: the noisy-OR where the learned
  fusion is worse beyond :data:`NOISE_SE` standard errors, else the learned fusion;
  :attr:`LearnedFusion.choice` names it and ``graphrisk score`` prints it with the figures.
  Within noise, an even **blend** of the two orders (each standardised) is what a model
  choice would usually prefer, and ``fit_fusion(within_noise="blend")`` does it; it is not
  the default because on the robustness profiles, where the truth is known, it cost PR-AUC
  on 11 of 13 and the recall bar on ``known_10`` (docs/robustness.md): a few dozen
  positive-unlabelled labels from caught groups rarely tell the two apart, while the
  customers nobody labelled do.
* **The score keeps its scale.** Positive-unlabelled labels from caught groups do not
  calibrate a probability (dividing by the labelled share, Elkan & Noto 2008, left most of
  the risky customers of ``known_10`` below the medium tier). The learned order is mapped onto
  the distribution of the noisy-OR analytics score of the same run (quantile mapping,
  :attr:`LearnedFusion.knots`): the tiers keep the volumes their bounds were set on, and who
  is in them follows the labels. That noisy-OR counts only the components the labels gave
  weight (:meth:`LearnedFusion.supported_weights`): one they found no use for would still
  swell the tiers with everyone it touches. The ``known`` component stays a noisy-OR term on
  top (a confirmation is certain).
* **The graph model, in a second stage** (:class:`ModelStage`, :func:`add_model_stage`). A
  trained GNN's probabilities for the customers it trained on are in-sample (their labels
  pulled them to 1 and 0), so only the customers whose labels its loss never saw (its
  validation and test splits, and customers new since it was trained) can say how much it
  adds to the analytics. They hold two fifths of the labels or fewer: too few to refit the
  five analytics weights, enough for two numbers.
  The second stage is a monotone logistic regression over the standardised learned
  analytics order and the model's log-odds, fitted on those customers only, and chosen by the
  same cross-validation against the analytics score with the model as a noisy-OR term on
  top (what a run without it does). Where the held-out customers hold too few labels, the
  model stays that noisy-OR term and :attr:`LearnedFusion.model_note` says why. The quantile
  map then keeps the scale of the noisy-OR with the model.

References:
    Elkan, Noto, "Learning classifiers from only positive and unlabeled data" (KDD 2008);
    Nadeau, Bengio, "Inference for the Generalization Error", Machine Learning 52 (2003);
    Wolpert, "Stacked generalization" (1992) for fitting a combiner on out-of-fold outputs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
from scipy.optimize import minimize

from graphrisk.analytics.evaluation import pr_auc

__all__ = [
    "CV_REPEATS",
    "FUSIONS",
    "LEARNED_COMPONENTS",
    "MIN_KNOWN",
    "NOISE_SE",
    "SAME_EVIDENCE",
    "FoldComparison",
    "LearnedFusion",
    "MODEL",
    "ModelStage",
    "add_model_stage",
    "compare_by_folds",
    "counted_once",
    "fit_fusion",
    "group_folds",
    "group_keys",
    "noisy_or",
]

#: The fusions a policy may ask for.
FUSIONS = ("learned", "noisy_or")
#: The components whose weights are learned (``known`` stays a noisy-OR term; ``model``
#: joins in a second stage where it can, :class:`ModelStage`).
LEARNED_COMPONENTS: tuple[str, ...] = ("individual", "unusual", "network", "typology", "cluster")
#: The graph model's component.
MODEL = "model"
#: Components that read the same evidence as another: ``unusual`` reads the customer's
#: factors, as ``individual`` does (label-free instead of learned). A noisy-OR counts the
#: factors once, by ``individual`` (:func:`counted_once`), as the policy's weights and tier
#: bounds were set: with ``unusual`` in it too, the default bank's high tier doubled (its
#: precision at 85 fell from 0.91 to 0.63, docs/robustness.md). The learned fusion weighs
#: ``unusual`` on its own: its labels say how much it adds to the order, and the quantile
#: map keeps the volumes.
SAME_EVIDENCE: dict[str, str] = {"unusual": "individual"}
#: Fewer confirmed labels than this and the fusion is the noisy-OR (nothing to learn from).
MIN_KNOWN = 10
#: Points of the quantile map kept (the rest is linear interpolation between them).
_KNOTS = 1001
#: L2 penalty on the standardised coefficients (a few dozen positives must not overfit).
_PENALTY = 1e-2
_EPSILON = 1e-4
#: The strength of a reason that lifts nothing: it comes after every other one.
_LAST = 1e-6
#: Draws of the groups into folds the combiner is compared on (the run's folds first).
CV_REPEATS = 3
#: A difference in cross-validated PR-AUC counts when beyond this many standard errors.
NOISE_SE = 2.0
#: What :attr:`LearnedFusion.choice` can be.
LEARNED, BLEND, NOISY_OR = "learned", "blend", "noisy_or"


@dataclass(frozen=True)
class FoldComparison:
    """The learned combiner against the policy's noisy-OR, fold by fold.

    Attributes:
        learned: per fold evaluation, PR-AUC of the combiner refitted without the fold.
        noisy_or: per fold evaluation, PR-AUC of the noisy-OR on the same fold.
        folds: folds per draw (the standard error's correction).
    """

    learned: tuple[float, ...]
    noisy_or: tuple[float, ...]
    folds: int

    @property
    def difference(self) -> float:
        """Mean paired difference, learned minus noisy-OR."""
        return float(np.mean(np.subtract(self.learned, self.noisy_or)))

    @property
    def standard_error(self) -> float:
        """Nadeau and Bengio's corrected standard error of :attr:`difference`: the folds
        share most of their training customers, so they are not independent draws."""
        diffs = np.subtract(self.learned, self.noisy_or)
        if len(diffs) < 2:
            return float("inf")
        correction = 1 / len(diffs) + 1 / max(self.folds - 1, 1)
        return float(np.std(diffs, ddof=1) * np.sqrt(correction))

    def choice(self, noise: float = NOISE_SE, within_noise: str = LEARNED) -> str:
        """``noisy_or`` where it is better beyond ``noise`` standard errors, else
        ``learned``; within noise ``within_noise`` (``learned`` or ``blend``)."""
        se = self.standard_error
        if not np.isfinite(se):
            return LEARNED
        if self.difference > noise * se:
            return LEARNED
        if self.difference < -noise * se:
            return NOISY_OR
        return within_noise

    def text(self) -> str:
        """``PR-AUC of held-out labels: learned 0.41, noisy-OR 0.35 (+0.06 ± 0.02, 15
        folds)``."""
        return (f"cross-validated PR-AUC of the held-out labels: learned "
                f"{np.mean(self.learned):.3f}, noisy-OR {np.mean(self.noisy_or):.3f} "
                f"(difference {self.difference:+.3f} ± {self.standard_error:.3f}, "
                f"{len(self.learned)} folds)")


@dataclass(frozen=True)
class ModelStage:
    """How the graph model's probability joins the learned analytics order (the module
    docstring says why a second stage).

    Attributes:
        center: the mean of the analytics order and of the model's log-odds over the
            customers the model held out.
        scale: their standard deviations there.
        coefficients: the weight of each (analytics, model) per standard deviation, at
            least 0.
        intercept: the fit's intercept.
        known: the confirmed labels among the customers the model held out (what it learned
            from).
        comparison: the cross-validated comparison with the model as a noisy-OR term on top
            of the analytics score, on the same customers (``None``: too few folds).
    """

    center: tuple[float, float]
    scale: tuple[float, float]
    coefficients: tuple[float, float]
    intercept: float
    known: int
    comparison: FoldComparison | None = None

    def combine(self, analytics_order: np.ndarray, model_probability: np.ndarray) -> np.ndarray:
        """The final log-odds from the analytics order and the model's probability."""
        return self.intercept + self.coefficients[0] * (
            (np.asarray(analytics_order) - self.center[0]) / self.scale[0]) + (
            self.coefficients[1] * self._model_part(model_probability))

    def model_lift(self, model_probability: np.ndarray) -> np.ndarray:
        """How far the model lifts each customer's log-odds above the average held-out one."""
        return self.coefficients[1] * self._model_part(model_probability)

    def _model_part(self, model_probability: np.ndarray) -> np.ndarray:
        return (_logit(np.asarray(model_probability, dtype=float)) - self.center[1]) / self.scale[1]

    def describe(self) -> dict[str, object]:
        """Plain values for the stored run's parameters."""
        described: dict[str, object] = {
            "known": self.known,
            "weights": {"analytics": round(self.coefficients[0], 4),
                        MODEL: round(self.coefficients[1], 4)}}
        if self.comparison is not None:
            described["cross_validation"] = _comparison_values(self.comparison)
        return described

    def summary(self) -> str:
        """One clause for ``graphrisk score``'s fusion line."""
        text = (f"graph model learned from the {self.known:,} confirmed labels it did not train "
                f"on; weight per standard deviation: analytics {self.coefficients[0]:.2f}, "
                f"graph model {self.coefficients[1]:.2f}")
        if self.comparison is not None:
            beyond = abs(self.comparison.difference) > NOISE_SE * self.comparison.standard_error
            kept = "the learned weight kept" if beyond else "within noise; the learned weight kept"
            text += (f"; against the model as a noisy-OR term, "
                     f"{self.comparison.text().replace('noisy-OR', 'noisy-OR term')}: {kept}")
        return text


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
        choice: ``learned``, or ``blend``: the even mix of the learned log-odds and the
            noisy-OR's, each standardised (:attr:`blend_scale`), cross-validation having
            found them within noise of each other (:attr:`comparison`).
        noisy_weights: the policy's noisy-OR weights of the learned components (a blend's
            second order).
        blend_scale: the mean and standard deviation of the learned log-odds and of the
            noisy-OR's log-odds over the run, that a blend standardises with.
        comparison: the cross-validated comparison the choice rests on (``None``: not
            measured, too few folds with labels).
        model_stage: how the graph model joins (:class:`ModelStage`); ``None``: no model,
            or it stays a noisy-OR term on top (:attr:`model_note` says why).
        model_note: why a run's graph model stayed a noisy-OR term (empty otherwise).
    """

    components: tuple[str, ...]
    center: tuple[float, ...]
    scale: tuple[float, ...]
    coefficients: tuple[float, ...]
    intercept: float
    knots: tuple[tuple[float, ...], tuple[float, ...]]
    known: int
    folds: int
    choice: str = LEARNED
    noisy_weights: tuple[tuple[str, float], ...] = ()
    blend_scale: tuple[float, float, float, float] = (0.0, 1.0, 0.0, 1.0)
    comparison: FoldComparison | None = None
    model_stage: ModelStage | None = None
    model_note: str = ""

    @property
    def inputs(self) -> tuple[str, ...]:
        """Every component this fusion scores (the model too where it joined)."""
        stage = getattr(self, "model_stage", None)  # a fusion pickled before model stages
        return (*self.components, MODEL) if stage is not None else self.components

    def supported_weights(self) -> dict[str, float]:
        """The policy's noisy-OR weights of the components this bank's labels gave weight
        (coefficient above 0): the noisy-OR whose distribution the quantile map keeps.

        Why not every component's: a component the labels do not support still lifts the
        noisy-OR of everyone it touches. On FDCompCN (listed companies and their trades)
        the network, typology and cluster components each touched most companies and got
        weight 0, yet their noisy-OR put a third of the companies in the high tier; the
        volumes the policy's bounds give are meant for evidence that counts.
        """
        kept = {name for name, coef in zip(self.components, self.coefficients, strict=True)
                if coef > 0}
        return {name: weight for name, weight in self.noisy_weights if name in kept}

    def logit(self, components: pd.DataFrame) -> np.ndarray:
        """The fitted log-odds of a confirmed label, per row of ``components``."""
        values = _inputs(components, self.components)
        standard = (values - np.asarray(self.center)) / np.asarray(self.scale)
        return self.intercept + standard @ np.asarray(self.coefficients)

    def order(self, components: pd.DataFrame) -> np.ndarray:
        """What ranks the customers: the learned log-odds, or for a blend the mean of the
        standardised learned and noisy-OR log-odds."""
        analytics = self.analytics_order(components)
        stage = getattr(self, "model_stage", None)
        if stage is None:
            return analytics
        return stage.combine(analytics, components[MODEL].to_numpy(dtype=float))

    def analytics_order(self, components: pd.DataFrame) -> np.ndarray:
        """The order of the analytics components alone (the model stage's first input)."""
        learned = self.logit(components)
        if getattr(self, "choice", LEARNED) != BLEND:  # a fusion pickled before blends
            return learned
        mean_l, sd_l, mean_n, sd_n = self.blend_scale
        plain = _logit(noisy_or(components, dict(self.noisy_weights)))
        return 0.5 * (learned - mean_l) / sd_l + 0.5 * (plain - mean_n) / sd_n

    def analytics_score(self, components: pd.DataFrame) -> np.ndarray:
        """Per row, the learned part of the score in ``[0, 1]`` (the analytics, and the
        model where it joined: :attr:`inputs`): :meth:`order` mapped through :attr:`knots`
        onto the noisy-OR scale."""
        xs, ys = self.knots
        return np.clip(np.interp(self.order(components), xs, ys), 0.0, 1.0)

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
        stage = getattr(self, "model_stage", None)
        columns = list(LEARNED_COMPONENTS)
        if stage is not None:
            # On the final log-odds' scale: the analytics order counts through its weight.
            lift = lift * (stage.coefficients[0] / stage.scale[0])
            lift = np.column_stack([lift, stage.model_lift(
                components[MODEL].to_numpy(dtype=float))])
            columns.append(MODEL)
        lift = np.maximum(lift, 0.0) + _LAST
        strength = pd.DataFrame(0.0, index=components.index, columns=columns)
        for position, name in enumerate(self.inputs):
            speaks = components[name].to_numpy(dtype=float) > 0
            strength[name] = np.where(speaks, lift[:, position] / (1 + lift[:, position]), 0.0)
        return strength

    def describe(self) -> dict[str, object]:
        """Plain values for the stored run's parameters and ``graphrisk score``'s output."""
        described: dict[str, object] = {
            "fusion": "learned", "choice": getattr(self, "choice", LEARNED),
            "known": self.known, "folds": self.folds,
            "weights": {name: round(float(coef), 4) for name, coef
                        in zip(self.components, self.coefficients, strict=True)}}
        comparison = getattr(self, "comparison", None)
        if comparison is not None:
            described["cross_validation"] = _comparison_values(comparison)
        stage = getattr(self, "model_stage", None)
        if stage is not None:
            described["model_stage"] = stage.describe()
        if getattr(self, "model_note", ""):
            described["model_note"] = self.model_note
        return described

    def summary(self) -> str:
        """What it learned from, how much each component counts, and why this fusion."""
        weights = ", ".join(f"{name} {coef:.2f}" for name, coef
                            in zip(self.components, self.coefficients, strict=True))
        text = (f"learned from {self.known:,} confirmed labels ({self.folds} folds by ring "
                f"and community); weight per standard deviation: {weights}")
        comparison = getattr(self, "comparison", None)
        if comparison is not None:
            choice = getattr(self, "choice", LEARNED)
            beyond = abs(comparison.difference) > NOISE_SE * comparison.standard_error
            kept = {LEARNED: ("the learned weights kept" if beyond
                              else "within noise; the learned weights kept"),
                    BLEND: "within noise: an even blend of the learned and the noisy-OR order",
                    NOISY_OR: "the noisy-OR kept"}[choice]
            text += f"; {comparison.text()}: {kept}"
        stage = getattr(self, "model_stage", None)
        if stage is not None:
            text += f"; {stage.summary()}"
        elif getattr(self, "model_note", ""):
            text += f"; the graph model stays a noisy-OR term: {self.model_note}"
        return text


def _comparison_values(comparison: FoldComparison) -> dict[str, object]:
    return {"pr_auc_learned": [round(v, 4) for v in comparison.learned],
            "pr_auc_noisy_or": [round(v, 4) for v in comparison.noisy_or],
            "difference": round(comparison.difference, 4),
            "standard_error": round(comparison.standard_error, 4)}


def noisy_or(components: pd.DataFrame, weights: Mapping[str, float]) -> np.ndarray:
    """``1 - prod_k (1 - w_k c_k)`` over the components ``weights`` names (``[0, 1]``),
    the evidence two of them read counted once (:data:`SAME_EVIDENCE`)."""
    names = list(weights)
    if not names:
        return np.zeros(len(components))
    evidence = components[names].to_numpy(dtype=float) * np.array([weights[n] for n in names])
    return 1.0 - np.prod(1.0 - counted_once(evidence, names), axis=1)


def counted_once(evidence: np.ndarray, names: Sequence[str]) -> np.ndarray:
    """``w_k c_k`` per row and component (columns ``names``) with the first of each pair of
    :data:`SAME_EVIDENCE` at 0 where the second is there: the evidence counts once, as the
    policy's weights and tier bounds were set on it."""
    merged = evidence
    for twin, of in SAME_EVIDENCE.items():
        if twin in names and of in names:
            if merged is evidence:
                merged = evidence.copy()
            merged[:, list(names).index(twin)] = 0.0
    return merged


def group_folds(index: pd.Index, rings: pd.Series, communities: pd.Series, folds: int,
                seed: int) -> pd.Series:
    """A fold per customer, the same for every member of one group.

    A group is the customer's identity ring, else her payment community, else herself: the
    units a confirmed label tends to come in. Deterministic for a seed, whatever the order
    of ``index``.
    """
    return _draw_folds(group_keys(index, rings, communities), folds, seed)


def group_keys(index: pd.Index, rings: pd.Series, communities: pd.Series) -> pd.Series:
    """Per customer, the group a confirmed label tends to come in: ``r<ring>``, else
    ``c<community>``, else ``p<customer>``."""
    key = pd.Series(["p" + str(c) for c in index], index=index, dtype=object)
    community = communities.reindex(index)
    key[community.notna()] = "c" + community[community.notna()].astype(str)
    ring = rings.reindex(index)
    key[ring.notna()] = "r" + ring[ring.notna()].astype(str)
    return key


def _draw_folds(keys: pd.Series, folds: int, seed: int) -> pd.Series:
    """A fold per customer drawn per group of ``keys``; deterministic for a seed."""
    codes, _groups = pd.factorize(keys, sort=True)
    draws = np.random.default_rng(seed).integers(0, folds, codes.max() + 1 if len(codes) else 0)
    return pd.Series(draws[codes] if len(codes) else [], index=keys.index, dtype=np.int64,
                     name="fold")


def fit_fusion(
    out_of_fold: pd.DataFrame,
    labels: pd.Series,
    *,
    folds: pd.Series,
    reference: pd.DataFrame,
    weights: Mapping[str, float],
    groups: pd.Series | None = None,
    seed: int = 0,
    within_noise: str = LEARNED,
) -> LearnedFusion | None:
    """Fit the fusion on out-of-fold evidence, choose it by cross-validation against the
    noisy-OR (:func:`compare_by_folds`), and fit its quantile map on the run's evidence.

    Args:
        out_of_fold: per customer, the learned components as they would be with the
            customer's fold's labels hidden.
        labels: per customer (same index), whether she carries a confirmed risk label.
        folds: per customer, the fold of ``out_of_fold`` (:func:`group_folds`).
        reference: per customer, the components of the run itself (what scores are
            computed from); its noisy-OR under ``weights`` is the scale the map keeps.
        weights: the policy's noisy-OR weights of the components that had data (the left-out
            ones absent or at 0).
        groups: per customer, the group its fold was drawn by (:func:`group_keys`): the
            comparison's further draws of the groups into folds. ``None``: the run's folds
            only.
        seed: of those further draws.
        within_noise: the choice where cross-validation cannot tell the learned fusion and
            the noisy-OR apart: ``learned`` or ``blend``.

    Returns:
        The fusion (its :attr:`~LearnedFusion.choice` may be ``noisy_or``: the caller then
        scores with the noisy-OR and says why), or ``None`` where there is nothing to learn:
        fewer than :data:`MIN_KNOWN` labels, positives in fewer than two folds, no component
        that varies, or every coefficient 0.
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
    standard = (values - center) / scale
    intercept, coefficients = _monotone_logistic(standard, y.astype(float))
    if not np.any(coefficients > 0):
        return None
    used = {n: w for n, w in weights.items() if n in LEARNED_COMPONENTS and w > 0}
    fold_ids = folds.reindex(out_of_fold.index).to_numpy()
    comparison = compare_by_folds(
        standard, y, noisy_or(out_of_fold, used), fold_ids, int(folds.nunique()),
        groups=None if groups is None else groups.reindex(out_of_fold.index), seed=seed,
        start=np.concatenate([[intercept], coefficients]))
    fusion = LearnedFusion(
        components=names, center=tuple(map(float, center)), scale=tuple(map(float, scale)),
        coefficients=tuple(map(float, coefficients)), intercept=float(intercept),
        knots=((), ()), known=known, folds=int(folds.nunique()),
        choice=LEARNED if comparison is None else comparison.choice(
            within_noise=within_noise),
        noisy_weights=tuple(sorted(used.items())), comparison=comparison)
    if fusion.choice == BLEND:
        learned, plain = fusion.logit(reference), _logit(noisy_or(reference, used))
        fusion = replace(fusion, blend_scale=(
            float(learned.mean()), float(max(learned.std(), _EPSILON)),
            float(plain.mean()), float(max(plain.std(), _EPSILON))))
    return _with_knots(fusion, fusion.order(reference),
                       noisy_or(reference, fusion.supported_weights()))


def add_model_stage(
    fusion: LearnedFusion,
    out_of_fold: pd.DataFrame,
    labels: pd.Series,
    *,
    held_out: pd.Series,
    folds: pd.Series,
    reference: pd.DataFrame,
    model_weight: float,
    groups: pd.Series | None = None,
    seed: int = 0,
) -> LearnedFusion:
    """``fusion`` with the graph model joined in a second stage (:class:`ModelStage`), or
    with :attr:`~LearnedFusion.model_note` saying why the model stays a noisy-OR term.

    Args:
        fusion: the run's learned fusion of the analytics components.
        out_of_fold: per customer, the learned components out of fold (as for
            :func:`fit_fusion`) and the model's probability (column :data:`MODEL`).
        labels: per customer, whether she carries a confirmed risk label.
        held_out: per customer, whether the model did not train on her label (its
            validation and test splits, or new since it was trained): the only rows the
            stage is fitted on.
        folds: per customer, the group fold (:func:`group_folds`).
        reference: the run's own components, the model's included (the quantile map).
        model_weight: the policy's noisy-OR weight of the model (the comparison's, and the
            scale's).
        groups: per customer, its group: the comparison's further draws.
        seed: of those draws.
    """
    index = out_of_fold.index
    rows = held_out.reindex(index).fillna(False).to_numpy(dtype=bool)
    y = labels.reindex(index).fillna(False).astype(bool).to_numpy()[rows]
    fold_ids = folds.reindex(index).to_numpy()[rows]
    known = int(y.sum())
    if known < MIN_KNOWN or len(np.unique(fold_ids[y])) < 2:
        return replace(fusion, model_note=(
            f"{known} confirmed labels among the customers it did not train on; learning "
            f"its weight needs at least {MIN_KNOWN} in two groups or more"))
    probability = out_of_fold[MODEL].to_numpy(dtype=float)
    values = np.column_stack([fusion.analytics_order(out_of_fold), _logit(probability)])[rows]
    center, scale = values.mean(axis=0), values.std(axis=0)
    if not np.all(scale > 0):
        return replace(fusion, model_note="its probability is the same for every customer it "
                                          "did not train on")
    standard = (values - center) / scale
    intercept, coefficients = _monotone_logistic(standard, y.astype(float))
    # What a run without the stage scores: the analytics score, the model a noisy-OR term.
    plain = 1.0 - (1.0 - fusion.analytics_score(out_of_fold)[rows]) * (
        1.0 - model_weight * probability[rows])
    comparison = compare_by_folds(
        standard, y, plain, fold_ids, int(folds.nunique()),
        groups=None if groups is None else groups.reindex(index)[rows], seed=seed,
        start=np.concatenate([[intercept], coefficients]))
    if comparison is not None and comparison.choice() == NOISY_OR:
        return replace(fusion, model_note=f"its learned weight did worse ({comparison.text()})")
    stage = ModelStage(center=(float(center[0]), float(center[1])),
                       scale=(float(scale[0]), float(scale[1])),
                       coefficients=(float(coefficients[0]), float(coefficients[1])),
                       intercept=float(intercept), known=known, comparison=comparison)
    joined = replace(fusion, model_stage=stage, model_note="")
    scale_of = noisy_or(reference, {**fusion.supported_weights(), MODEL: model_weight}
                        if coefficients[1] > 0 else fusion.supported_weights())
    return _with_knots(joined, joined.order(reference), scale_of)


def compare_by_folds(
    standard: np.ndarray,
    y: np.ndarray,
    plain: np.ndarray,
    folds: np.ndarray,
    k: int,
    *,
    groups: pd.Series | None = None,
    seed: int = 0,
    repeats: int = CV_REPEATS,
    start: np.ndarray | None = None,
) -> FoldComparison | None:
    """The combiner refitted without each fold against the noisy-OR, on that fold.

    Args:
        standard: the standardised learned inputs, one row per customer.
        y: whether each customer carries a confirmed label.
        plain: the noisy-OR of the same out-of-fold evidence.
        folds: the run's fold per customer (``k`` folds).
        groups: per customer, its group: ``repeats - 1`` more draws of the groups into
            ``k`` folds (seeds ``seed + 1``...). The evidence stays the run's out-of-fold
            evidence; only the combiner's fit is redone.
        seed: of those draws.
        repeats: draws in all, the run's first.
        start: the fit on every customer (intercept, coefficients): each fold's refit
            starts there, which a million customers make worth it (15 refits).

    Returns:
        The PR-AUC of each on every fold that holds confirmed labels and leaves some to fit
        on, or ``None`` with fewer than two such folds.
    """
    draws = [np.asarray(folds)]
    if groups is not None:
        draws += [_draw_folds(groups, k, seed + r).to_numpy() for r in range(1, repeats)]
    learned: list[float] = []
    noisy: list[float] = []
    for fold_ids in draws:
        for fold in np.unique(fold_ids):
            held = fold_ids == fold
            if not y[held].any() or not y[~held].any() or y[held].all():
                continue
            intercept, coefficients = _monotone_logistic(standard[~held], y[~held].astype(float),
                                                         start)
            learned.append(pr_auc(y[held], intercept + standard[held] @ coefficients))
            noisy.append(pr_auc(y[held], plain[held]))
    if len(learned) < 2:
        return None
    return FoldComparison(tuple(learned), tuple(noisy), folds=k)


def _logit(probability: np.ndarray) -> np.ndarray:
    clipped = np.clip(probability, _EPSILON, 1 - _EPSILON)
    return np.log(clipped / (1 - clipped))


def _inputs(components: pd.DataFrame, names: Sequence[str]) -> np.ndarray:
    """The fit's input matrix: the components in ``names`` order, ``individual`` (a
    probability) on the logit scale."""
    columns = []
    for name in names:
        value = components[name].to_numpy(dtype=float)
        if name == "individual":
            value = _logit(value)
        columns.append(value)
    return np.column_stack(columns) if columns else np.zeros((len(components), 0))


def _monotone_logistic(x: np.ndarray, y: np.ndarray,
                       start: np.ndarray | None = None) -> tuple[float, np.ndarray]:
    """Logistic regression with coefficients bounded at 0 from below (L-BFGS-B), L2-penalised.

    ``start``: intercept then coefficients to start from (a fit on nearly the same rows
    converges in a few steps); zeros where ``None``.
    """

    def loss(w: np.ndarray) -> tuple[float, np.ndarray]:
        z = w[0] + x @ w[1:]
        p = 1.0 / (1.0 + np.exp(-z))
        value = np.mean(np.logaddexp(0.0, z) - y * z) + _PENALTY * np.sum(w[1:] ** 2)
        gradient = np.concatenate(
            [[np.mean(p - y)], x.T @ (p - y) / len(y) + 2 * _PENALTY * w[1:]])
        return float(value), gradient

    start = np.zeros(x.shape[1] + 1) if start is None else np.asarray(start, dtype=float)
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

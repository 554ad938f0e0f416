"""Choosing the GNN architecture by repeated cross-validation, or an ensemble when it cannot.

Why a module: a bank holds a few dozen to a few hundred confirmed cases, so one test split of
20 % decides between architectures on 20-100 positives — and on outside networks it picked
the weaker one more than once. ``graphrisk train --model auto`` decides on every known label
of the customers it may learn from, several times over, and says how sure it is.

How (:func:`select_architecture`):

1. **Folds.** Only the ``train`` and ``validation`` customers of the 60/20/20 split
   (:func:`~models.lifecycle.split_customers_for_training`) enter: the ``test`` customers stay
   untouched for the final figures. They are dealt into ``folds`` folds stratified by label
   (every fold holds its share of the known positives), ``repeats`` times with another shuffle
   (:func:`cross_validation_folds`). For each fold, the other folds train: a stratified
   quarter of them stops training early and calibrates (as ``validation`` does for the final
   model), the rest are the loss's customers. The held fold is measured. Labels are never
   features (:mod:`graphrisk.models.features`), so a held-out customer's label reaches no
   model through the graph.
2. **Every candidate on every fold** (``hgt`` and ``sage`` by default), with the training
   settings of the final model but at most ``epochs`` epochs and ``patience``: PR-AUC and
   ROC-AUC of the held fold. The average of the candidates' calibrated probabilities is
   measured on each fold too (the ``ensemble`` rows, for information).
3. **The decision** (:func:`decide_architecture`): the candidate with the best mean
   ``metric`` (PR-AUC by default) is compared with each other one fold by fold (the paired
   difference: the same held customers, the same fit). It wins alone when, for every other
   candidate, the mean paired difference exceeds ``threshold`` (2) standard errors of the
   paired differences; otherwise the candidates within noise of it join it in an
   **ensemble** (the average of their calibrated probabilities,
   :mod:`graphrisk.models.ensemble`). The standard error is corrected for the folds sharing
   most of their training customers — Nadeau and Bengio's corrected resampled t statistic,
   ``sd * sqrt(1/n + 1/(folds - 1))`` over ``n = folds * repeats`` differences instead of
   ``sd / sqrt(n)`` (which treats the 6 folds of 3 x 2 as 6 independent measurements and
   would call a difference real twice as easily).

The final model(s) are then trained on the ``train`` split, stopped and calibrated on
``validation`` with the full epochs, and measured on ``test``, as for a named architecture
(:func:`~models.lifecycle.train_on_store`).

References:
    Nadeau, Bengio, "Inference for the Generalization Error", Machine Learning 52 (2003);
    Bouckaert, Frank, "Evaluating the Replicability of Significance Tests for Comparing
    Learning Algorithms", PAKDD 2004 (the corrected test for repeated cross-validation).
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from graphrisk.analytics.evaluation import pr_auc, roc_auc
from graphrisk.errors import ModelError

__all__ = [
    "ENSEMBLE",
    "METRICS",
    "Decision",
    "Fold",
    "SelectionConfig",
    "cross_validation_folds",
    "decide_architecture",
    "format_selection",
    "labels_needed",
    "select_architecture",
    "selection_record",
    "summarise_folds",
]

#: The figures a decision can rest on, as the columns of the fold table.
METRICS: tuple[str, ...] = ("pr_auc", "roc_auc")
#: What :class:`Decision.choice` says when the candidates are averaged.
ENSEMBLE = "ensemble"
Progress = Callable[[str], None]
_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SelectionConfig:
    """How ``graphrisk train --model auto`` chooses (see the module docstring).

    Attributes:
        candidates: the architectures compared (:data:`~models.networks.MODEL_KINDS`).
        folds: folds per repeat (at least 2).
        repeats: how many times the folds are dealt again with another shuffle.
        epochs: most epochs per fold (fewer than the final model's is fine: the comparison
            is paired, and early stopping usually ends a fold long before).
        patience: early-stopping patience per fold.
        metric: ``pr_auc`` or ``roc_auc``, the figure the decision compares.
        threshold: how many (corrected) standard errors of the paired differences the mean
            difference must exceed for one architecture to win alone.
        stop_share: the share of a fold's training customers that stops and calibrates.
    """

    candidates: tuple[str, ...] = ("hgt", "sage")
    folds: int = 3
    repeats: int = 2
    epochs: int = 100
    patience: int = 15
    metric: str = "pr_auc"
    threshold: float = 2.0
    stop_share: float = 0.25

    def __post_init__(self) -> None:
        # The candidates are checked against MODEL_KINDS where torch is loaded
        # (select_architecture): a settings object must not need torch.
        object.__setattr__(self, "candidates", tuple(self.candidates))
        if len(self.candidates) < 2 or len(set(self.candidates)) != len(self.candidates):
            raise ValueError(f"candidates must name at least two different architectures, "
                             f"got {list(self.candidates)}")
        if self.folds < 2 or self.repeats < 1:
            raise ValueError(f"folds must be at least 2 and repeats at least 1, got "
                             f"{self.folds} and {self.repeats}")
        if self.epochs < 1 or self.patience < 1:
            raise ValueError("epochs and patience must be at least 1")
        if self.metric not in METRICS:
            raise ValueError(f"metric must be one of {METRICS}, got {self.metric!r}")
        if self.threshold < 0:
            raise ValueError(f"threshold must be non-negative, got {self.threshold}")
        if not 0.0 < self.stop_share < 1.0:
            raise ValueError(f"stop_share must be in (0, 1), got {self.stop_share}")

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["candidates"] = list(self.candidates)
        return out


@dataclass(frozen=True)
class Fold:
    """One fold of :func:`cross_validation_folds`: who trains, who stops, who is measured."""

    repeat: int
    fold: int
    fit_ids: pd.Index
    stop_ids: pd.Index
    held_ids: pd.Index


@dataclass(frozen=True)
class Decision:
    """What :func:`decide_architecture` chose and why.

    Attributes:
        choice: the architecture that won alone, or :data:`ENSEMBLE`.
        members: the architectures kept, the best in cross-validation first.
        reason: one sentence: the figures behind the choice.
        summary: per candidate (and ``ensemble`` where measured): ``folds``, and for each
            metric its ``mean``, ``sd`` and ``se`` (``sd / sqrt(n)``) as ``<metric>_mean``...
        differences: per other candidate, the paired difference of the best one minus it:
            ``against``, ``mean``, ``sd``, ``se`` (corrected), ``n``, ``beyond_noise``.
    """

    choice: str
    members: tuple[str, ...]
    reason: str
    summary: dict[str, dict[str, float]] = field(default_factory=dict)
    differences: list[dict[str, Any]] = field(default_factory=list)


def cross_validation_folds(labels: pd.Series, *, folds: int = 3, repeats: int = 2,
                           seed: int = 0, stop_share: float = 0.25) -> list[Fold]:
    """Repeated stratified K-fold over labelled customers, with an early-stopping part.

    Args:
        labels: 1 for a known risk label, 0 otherwise, per customer id (the index); only
            these customers are dealt (pass the ``train`` and ``validation`` customers).
        folds: folds per repeat.
        repeats: deals, each with its own shuffle (``seed + repeat``).
        seed: the first deal's shuffle.
        stop_share: of each fold's training customers, the stratified share that stops
            training early and calibrates (``stop_ids``); the rest are ``fit_ids``.

    Returns:
        ``folds * repeats`` folds, repeat by repeat; in each repeat the ``held_ids`` of the
        folds partition the customers, and each fold's ``fit_ids``, ``stop_ids`` and
        ``held_ids`` partition them too. Ids are sorted, so the folds depend on the labels
        and the seed, not on row order.

    Raises:
        ModelError: too few known-risk customers (or too few without) to give every held
            fold, and every stopping part, at least one of each.
    """
    from sklearn.model_selection import StratifiedKFold, train_test_split

    y = labels.sort_index().astype(int)
    positives = int(y.sum())
    negatives = len(y) - positives
    if min(positives, negatives) < labels_needed(folds):
        raise ModelError(
            f"cross-validation over {folds} folds needs at least {labels_needed(folds)} "
            "customers with a "
            f"known risk label (and as many without) among the ones it may learn from; there "
            f"are {positives:,} with and {negatives:,} without. Label more confirmed cases, "
            "use fewer --cv-folds, or name the architecture (--model hgt or --model sage)")
    ids = y.index.to_numpy()
    values = y.to_numpy()
    out: list[Fold] = []
    for repeat in range(repeats):
        splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed + repeat)
        for fold, (rest, held) in enumerate(splitter.split(ids, values)):
            fit, stop = train_test_split(rest, test_size=stop_share, stratify=values[rest],
                                         random_state=seed + 1_000 * (repeat + 1) + fold)
            for part in (fit, stop, held):
                if not 0 < values[part].sum() < len(part):
                    raise ModelError(f"fold {fold + 1} of repeat {repeat + 1} lacks a customer "
                                     "with or without a known risk label; use fewer "
                                     "--cv-folds")
            out.append(Fold(repeat, fold, pd.Index(np.sort(ids[fit]), name="customer_id"),
                            pd.Index(np.sort(ids[stop]), name="customer_id"),
                            pd.Index(np.sort(ids[held]), name="customer_id")))
    return out


def labels_needed(folds: int) -> int:
    """Known-risk customers (and as many without) ``folds`` folds need: three a fold.

    Why three: one or two are held out, the others are split between the customers the loss
    sees and those that stop training early and calibrate, each of which needs one.
    """
    return 3 * folds


def summarise_folds(scores: pd.DataFrame) -> dict[str, dict[str, float]]:
    """Per model: ``folds``, and ``<metric>_mean``, ``_sd`` and ``_se`` of each metric.

    Args:
        scores: the fold table, one row per ``model``, ``repeat`` and ``fold`` with the
            :data:`METRICS` columns.
    """
    out: dict[str, dict[str, float]] = {}
    for model, rows in scores.groupby("model", sort=False):
        entry: dict[str, float] = {"folds": int(len(rows))}
        for metric in METRICS:
            values = rows[metric].to_numpy(dtype=float)
            sd = float(np.std(values, ddof=1)) if len(values) > 1 else float("nan")
            entry[f"{metric}_mean"] = float(np.mean(values))
            entry[f"{metric}_sd"] = sd
            entry[f"{metric}_se"] = sd / math.sqrt(len(values))
        out[str(model)] = entry
    return out


def decide_architecture(scores: pd.DataFrame, *, metric: str = "pr_auc",
                        threshold: float = 2.0, folds: int | None = None) -> Decision:
    """The architecture to keep, or an ensemble, from the figures of the folds.

    The candidate with the best mean ``metric`` wins alone when, against every other
    candidate, the mean of the paired differences (best minus other, fold by fold) exceeds
    ``threshold`` corrected standard errors of those differences; the candidates it does not
    beat so clearly are averaged with it (the module docstring says why the correction).

    Args:
        scores: one row per ``model``, ``repeat`` and ``fold``, with the :data:`METRICS`
            columns. Rows whose ``model`` is :data:`ENSEMBLE` are summarised, not candidates.
        metric: the figure compared.
        threshold: standard errors the mean difference must exceed.
        folds: folds per repeat (the correction's training/held ratio is ``1 / (folds - 1)``);
            by default the number of distinct ``fold`` values.

    Returns:
        The decision, with the summary and the paired differences it rests on.

    Raises:
        ValueError: fewer than two candidates, an unknown metric, or candidates measured on
            different folds.
    """
    if metric not in METRICS:
        raise ValueError(f"metric must be one of {METRICS}, got {metric!r}")
    candidates = scores[scores["model"] != ENSEMBLE]
    pivot = candidates.pivot_table(index=["repeat", "fold"], columns="model", values=metric,
                                   aggfunc="first")
    if pivot.shape[1] < 2:
        raise ValueError("a decision needs the fold figures of at least two architectures")
    if pivot.isna().any().any():
        raise ValueError("every architecture must be measured on the same folds")
    folds = folds or int(candidates["fold"].nunique())
    summary = summarise_folds(scores)
    order = pivot.mean().sort_values(ascending=False, kind="stable")
    best = str(order.index[0])
    n = len(pivot)
    correction = math.sqrt(1.0 / n + 1.0 / max(folds - 1, 1))
    differences: list[dict[str, Any]] = []
    kept = [best]
    for other in map(str, order.index[1:]):
        diff = (pivot[best] - pivot[other]).to_numpy(dtype=float)
        mean = float(diff.mean())
        sd = float(diff.std(ddof=1)) if n > 1 else float("nan")
        se = sd * correction
        if math.isnan(se):
            beyond = False  # one fold says nothing about noise
        elif se == 0.0:
            beyond = mean > 0.0
        else:
            beyond = mean > threshold * se
        differences.append({"best": best, "against": other, "metric": metric, "mean": mean,
                            "sd": sd, "se": se, "n": n, "threshold": threshold,
                            "beyond_noise": bool(beyond)})
        if not beyond:
            kept.append(other)
    name = {"pr_auc": "PR-AUC", "roc_auc": "ROC-AUC"}[metric]
    words = "; ".join(
        f"{d['best']} - {d['against']} = {d['mean']:+.3f} {name}, corrected standard error "
        f"{d['se']:.3f}" for d in differences)
    if len(kept) == 1:
        reason = (f"{best} is better beyond noise ({words}: more than {threshold:g} standard "
                  f"errors over {n} folds)")
        return Decision(best, (best,), reason, summary, differences)
    reason = (f"{' and '.join(kept)} are within noise of each other ({words}: not more than "
              f"{threshold:g} standard errors over {n} folds), so their calibrated "
              "probabilities are averaged")
    return Decision(ENSEMBLE, tuple(kept), reason, summary, differences)


def select_architecture(dataset: Any, labels: pd.Series, config: Any,
                        selection: SelectionConfig = SelectionConfig(), *,
                        progress: Progress | None = None) -> tuple[Decision, pd.DataFrame]:
    """Cross-validate every candidate on the given customers and decide (module docstring).

    Args:
        dataset: the graph (:func:`~models.dataset.build_graph_dataset`).
        labels: the known labels (1/0) of the customers cross-validation may use — the
            ``train`` and ``validation`` customers, never the ``test`` ones.
        config: the final model's :class:`~models.training.TrainConfig`; each fold trains
            with it, its ``model`` set to the candidate, at most ``selection.epochs`` epochs
            and ``selection.patience``, and a seed of its own.
        selection: folds, repeats, candidates and the decision rule.
        progress: called with a short line before each fold's training.

    Returns:
        The decision and the fold table: one row per fold and model (the candidates and
        ``ensemble``): ``repeat``, ``fold``, ``model``, ``customers``, ``known_risk``,
        ``pr_auc``, ``roc_auc``, ``best_epoch`` and ``seconds``.

    Raises:
        ModelError: too few known-risk customers for the folds.
    """
    from graphrisk.models import training
    from graphrisk.models.networks import MODEL_KINDS

    unknown = [c for c in selection.candidates if c not in MODEL_KINDS]
    if unknown:
        raise ValueError(f"unknown architecture(s) {unknown}; use {MODEL_KINDS}")
    step = progress or (lambda _: None)
    folds = cross_validation_folds(labels, folds=selection.folds, repeats=selection.repeats,
                                   seed=config.seed, stop_share=selection.stop_share)
    rows: list[dict[str, Any]] = []
    total = len(folds) * len(selection.candidates)
    done = 0
    for fold in folds:
        y = labels.reindex(fold.held_ids).astype(int)
        probabilities = []
        for kind in selection.candidates:
            done += 1
            step(f"cross-validation {done}/{total}: {kind}, repeat {fold.repeat + 1}, fold "
                 f"{fold.fold + 1}")
            fold_config = replace(
                config, model=kind, epochs=min(selection.epochs, config.epochs),
                patience=min(selection.patience, config.patience),
                seed=config.seed + 101 * fold.repeat + fold.fold)
            started = time.perf_counter()
            trained = training.train_model(dataset, fold.fit_ids, fold.stop_ids, fold_config)
            probability = training.predict(trained, dataset, fold.held_ids).reindex(y.index)
            probabilities.append(probability.to_numpy())
            rows.append(_fold_row(fold, kind, y, probability.to_numpy(), trained.best_epoch,
                                  time.perf_counter() - started))
        rows.append(_fold_row(fold, ENSEMBLE, y, np.mean(probabilities, axis=0), 0, 0.0))
    table = pd.DataFrame(rows)
    decision = decide_architecture(table, metric=selection.metric,
                                   threshold=selection.threshold, folds=selection.folds)
    _log.info("architecture selection: %s", decision.reason)
    return decision, table


def _fold_row(fold: Fold, model: str, y: pd.Series, probability: np.ndarray,
              best_epoch: int, seconds: float) -> dict[str, Any]:
    return {"repeat": fold.repeat, "fold": fold.fold, "model": model,
            "customers": int(len(y)), "known_risk": int(y.sum()),
            "pr_auc": pr_auc(y, probability), "roc_auc": roc_auc(y, probability),
            "best_epoch": int(best_epoch), "seconds": round(float(seconds), 2)}


def selection_record(decision: Decision, table: pd.DataFrame, selection: SelectionConfig,
                     seconds: float) -> dict[str, Any]:
    """What ``model.json`` keeps of a selection: settings, every fold, the summary, why."""
    return {"settings": selection.to_dict(), "decision": decision.choice,
            "members": list(decision.members), "reason": decision.reason,
            "summary": decision.summary, "differences": decision.differences,
            "folds": table.to_dict(orient="records"), "seconds": round(float(seconds), 1)}


def format_selection(record: dict[str, Any]) -> list[str]:
    """The selection as a few lines of text: a row per model, the differences, the choice."""
    lines = [f"{'model':<9} {'folds':>5}  {'PR-AUC mean ± sd':>17}  {'ROC-AUC mean ± sd':>18}"]
    for model, s in record["summary"].items():
        lines.append(f"{model:<9} {int(s['folds']):>5}  {s['pr_auc_mean']:>8.3f} ± "
                     f"{s['pr_auc_sd']:<6.3f}  {s['roc_auc_mean']:>9.3f} ± {s['roc_auc_sd']:<6.3f}")
    for d in record["differences"]:
        lines.append(f"{d['best']} - {d['against']}: {d['metric']} {d['mean']:+.3f} "
                     f"(corrected standard error {d['se']:.3f}, {d['n']} paired folds): "
                     + ("beyond noise" if d["beyond_noise"] else "within noise"))
    return lines

"""Judging a risk score against hidden truth: metrics, an honest split, and a threshold.

Why: "our network score finds more risky customers" is only a claim until it is measured the
same way for every score, on customers the score was not tuned on. This module holds the few
numbers the project quotes and the rules behind them:

* :func:`roc_auc` — how well the score orders a random risky customer above a random other one
  (0.5 is chance). Blind to how rare risk is.
* :func:`pr_auc` — average precision: the precision an investigator sees, averaged over every
  depth of the ranked list. With 1–4 % risky customers this is the figure that moves.
* :func:`recall_at_top` — the share of all risky customers found in the top 1 % (or any
  fraction) of the list: what a team that can review 1 % of customers catches.
* :func:`split_customers` — a fixed, order-independent halving of the customers, so that
  weights and thresholds are chosen on the ``validation`` half and figures quoted on ``test``.
* :func:`evaluate_scores` — all of the above for several named scores side by side.
* :func:`choose_threshold` — where to cut a score: to reach a precision or recall target, or
  to maximise F1.

Every metric takes ``y_true`` (0/1 or bool) and ``scores`` (higher is riskier) as array-likes
of one length; when both are :class:`pandas.Series`, ``scores`` is aligned on ``y_true``'s
index first, so two frames in different row orders cannot be compared by mistake.

References:
    Fawcett, "An introduction to ROC analysis" (2006); Davis & Goadrich, "The relationship
    between Precision-Recall and ROC curves" (2006); Saito & Rehmsmeier, "The
    precision-recall plot is more informative than the ROC plot when evaluating binary
    classifiers on imbalanced datasets" (2015).
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from sklearn import metrics

if TYPE_CHECKING:
    from graphrisk.graph import GraphSnapshot

__all__ = [
    "TEST",
    "VALIDATION",
    "ThresholdChoice",
    "choose_threshold",
    "evaluate_scores",
    "only_labels_of",
    "pr_auc",
    "recall_at_top",
    "roc_auc",
    "split_customers",
]

#: The half of the customers on which weights and thresholds are chosen.
VALIDATION = "validation"
#: The half of the customers on which figures are quoted.
TEST = "test"


def roc_auc(y_true: Any, scores: Any) -> float:
    """Area under the ROC curve: the chance that a random positive outranks a random negative.

    Ties count one half, so a constant score gets exactly 0.5.

    Args:
        y_true: 0/1 (or bool) truth per customer.
        scores: the score per customer; higher means riskier.

    Returns:
        The area, in ``[0, 1]``.

    Raises:
        ValueError: lengths differ, a score is missing, a label is not 0/1, or only one class
            is present (the area is then undefined).
    """
    y, s = _checked(y_true, scores)
    return float(metrics.roc_auc_score(y, s))


def pr_auc(y_true: Any, scores: Any) -> float:
    """Average precision: the area under the precision-recall curve, as a step sum.

    Why this and not the trapezoid: linear interpolation between precision-recall points is
    optimistic (Davis & Goadrich 2006); the step sum ``sum((R_n - R_{n-1}) * P_n)`` is not.
    A random score gets about the share of positives.

    Args:
        y_true: 0/1 (or bool) truth per customer.
        scores: the score per customer; higher means riskier.

    Returns:
        The average precision, in ``[0, 1]``.

    Raises:
        ValueError: as for :func:`roc_auc`.
    """
    y, s = _checked(y_true, scores)
    return float(metrics.average_precision_score(y, s))


def recall_at_top(y_true: Any, scores: Any, fraction: float = 0.01) -> float:
    """Share of all positives among the top ``fraction`` of customers by score.

    The top holds ``ceil(fraction * n)`` customers. Customers tied with the last place share
    the remaining places: each tied positive counts in proportion (the expected recall when
    ties are broken at random). Why: breaking ties by row order would reward a score for
    however the rows happened to be sorted — a coarse score with many ties would look better
    on data sorted by id when ids were handed out group by group.

    Args:
        y_true: 0/1 (or bool) truth per customer.
        scores: the score per customer; higher means riskier.
        fraction: the share of customers reviewed, in ``(0, 1]``.

    Returns:
        Positives found over all positives, in ``[0, 1]``.

    Raises:
        ValueError: ``fraction`` is outside ``(0, 1]``, or as for :func:`roc_auc`.
    """
    if not 0.0 < fraction <= 1.0:
        raise ValueError(f"fraction must be in (0, 1], got {fraction}")
    y, s = _checked(y_true, scores)
    top = math.ceil(fraction * len(y))
    cut = np.sort(s)[::-1][top - 1]  # the score of the last place
    above = s > cut
    tied = s == cut
    places_left = top - int(above.sum())
    found = y[above].sum() + y[tied].sum() * places_left / tied.sum()
    return float(found / y.sum())


def split_customers(
    customer_ids: Iterable[str], *, validation_share: float = 0.5, seed: int = 0
) -> pd.Series:
    """Assign each customer to ``"validation"`` or ``"test"`` by a hash of its id.

    Why a hash: the split must not depend on row order, on which other customers are present,
    or on a random generator's state, so the same customer lands in the same half in every
    run, on every store, in every data set that contains it. A different ``seed`` gives an
    independent split.

    Args:
        customer_ids: the ids to split (duplicates get the same half).
        validation_share: the expected share of ``"validation"`` customers, in ``[0, 1]``.
        seed: changes the split; any non-negative integer.

    Returns:
        ``"validation"`` or ``"test"`` per customer, indexed by ``customer_id`` in the given
        order, named ``split``.

    Raises:
        ValueError: ``validation_share`` is outside ``[0, 1]`` or ``seed`` is negative.
    """
    if not 0.0 <= validation_share <= 1.0:
        raise ValueError(f"validation_share must be in [0, 1], got {validation_share}")
    if seed < 0:
        raise ValueError(f"seed must be non-negative, got {seed}")
    ids = [str(i) for i in customer_ids]
    key = seed.to_bytes(8, "little")
    # A uniform number in [0, 1) per id: the first 8 bytes of a keyed BLAKE2b hash.
    draws = np.fromiter(
        (
            int.from_bytes(hashlib.blake2b(i.encode(), digest_size=8, key=key).digest(), "little")
            for i in ids
        ),
        dtype=np.uint64,
        count=len(ids),
    ) / float(2**64)
    labels = np.where(draws < validation_share, VALIDATION, TEST)
    return pd.Series(labels, index=pd.Index(ids, name="customer_id"), name="split")


def evaluate_scores(
    truth: pd.Series,
    scores: Mapping[str, pd.Series],
    among: pd.Index | Iterable[str] | None = None,
) -> pd.DataFrame:
    """ROC-AUC, PR-AUC and recall in the top 1 % of several scores, on the same customers.

    Args:
        truth: 0/1 (or bool) per ``customer_id`` (the index).
        scores: score name -> score per ``customer_id``; each must cover every customer
            evaluated.
        among: evaluate only these customer ids (e.g. the test half, without known labels);
            ids missing from ``truth`` are ignored. By default every customer in ``truth``.

    Returns:
        One row per score, in the given order: ``score`` (the name), ``roc_auc``, ``pr_auc``,
        ``recall_at_1pct``, ``positives``, ``customers``.

    Raises:
        ValueError: a score lacks some of the customers or has a missing value, truth is
            not 0/1, or only one class is among the customers.
    """
    y = truth if among is None else truth[truth.index.isin(pd.Index(among))]
    rows = []
    for name, score in scores.items():
        missing = ~y.index.isin(score.index)
        if missing.any():
            raise ValueError(
                f"score {name!r} has no value for {int(missing.sum())} of the "
                f"{len(y)} customers evaluated (e.g. {y.index[missing][0]!r})"
            )
        aligned = score.reindex(y.index)
        rows.append({
            "score": name,
            "roc_auc": roc_auc(y, aligned),
            "pr_auc": pr_auc(y, aligned),
            "recall_at_1pct": recall_at_top(y, aligned, 0.01),
            "positives": int(np.asarray(y, dtype=float).sum()),
            "customers": len(y),
        })
    return pd.DataFrame(
        rows,
        columns=["score", "roc_auc", "pr_auc", "recall_at_1pct", "positives", "customers"],
    )


@dataclass(frozen=True)
class ThresholdChoice:
    """A score threshold and what flagging ``score >= threshold`` gave where it was chosen.

    Attributes:
        threshold: flag customers whose score is at least this.
        precision: share of flagged customers that are positive.
        recall: share of positives flagged.
        f1: harmonic mean of precision and recall.
        flagged: how many customers were flagged.
        rule: how the threshold was chosen (``"precision >= 0.5"``, ``"max f1"``...).
    """

    threshold: float
    precision: float
    recall: float
    f1: float
    flagged: int
    rule: str


def choose_threshold(
    y_true: Any,
    scores: Any,
    *,
    target_recall: float | None = None,
    target_precision: float | None = None,
) -> ThresholdChoice:
    """Pick a threshold on the validation half, to be applied unchanged to the test half.

    Three rules, by what a risk team is asked for:

    * ``target_precision``: the lowest threshold whose precision reaches the target, i.e. the
      most positives caught while at least that share of alerts is right. Precision is not
      monotone in the threshold, so every threshold is checked, not just the first to pass.
    * ``target_recall``: the highest threshold that still catches the target share of
      positives, i.e. the fewest alerts for that coverage.
    * neither: the threshold with the highest F1, ties going to the higher threshold (fewer
      alerts for the same F1).

    Args:
        y_true: 0/1 (or bool) truth per customer.
        scores: the score per customer; higher means riskier.
        target_recall: the share of positives to catch, in ``(0, 1]``.
        target_precision: the share of alerts that must be right, in ``(0, 1]``.

    Returns:
        The threshold with the precision, recall, F1 and alert count it gave here.

    Raises:
        ValueError: both targets are given, a target is outside ``(0, 1]``, no threshold
            reaches ``target_precision`` (the message gives the best precision reached), or
            as for :func:`roc_auc`.
    """
    if target_recall is not None and target_precision is not None:
        raise ValueError("give target_recall or target_precision, not both")
    for name, target in (("target_recall", target_recall),
                         ("target_precision", target_precision)):
        if target is not None and not 0.0 < target <= 1.0:
            raise ValueError(f"{name} must be in (0, 1], got {target}")
    y, s = _checked(y_true, scores)
    # One point per distinct score, flagging ``s >= threshold``; thresholds ascending.
    precision, recall, thresholds = metrics.precision_recall_curve(y, s)
    precision, recall = precision[:-1], recall[:-1]  # drop the "flag nobody" end point
    denominator = precision + recall
    f1 = np.divide(2 * precision * recall, denominator, out=np.zeros_like(denominator),
                   where=denominator > 0)

    if target_precision is not None:
        reaching = np.flatnonzero(precision >= target_precision - 1e-12)
        if len(reaching) == 0:
            raise ValueError(
                f"no threshold reaches precision {target_precision}; the best is "
                f"{precision.max():.3f}"
            )
        best = int(reaching[0])  # thresholds ascend: the first is the lowest
        rule = f"precision >= {target_precision:g}"
    elif target_recall is not None:
        best = int(np.flatnonzero(recall >= target_recall - 1e-12)[-1])
        rule = f"recall >= {target_recall:g}"
    else:
        best = int(np.flatnonzero(f1 == f1.max())[-1])
        rule = "max f1"
    threshold = float(thresholds[best])
    return ThresholdChoice(
        threshold=threshold,
        precision=float(precision[best]),
        recall=float(recall[best]),
        f1=float(f1[best]),
        flagged=int((s >= threshold).sum()),
        rule=rule,
    )


# --------------------------------------------------------------------------------------------
# Private implementation
# --------------------------------------------------------------------------------------------


def _checked(y_true: Any, scores: Any) -> tuple[np.ndarray, np.ndarray]:
    """Truth as 0/1 ints and scores as floats, of one length, both classes present."""
    if isinstance(y_true, pd.Series) and isinstance(scores, pd.Series):
        if not scores.index.equals(y_true.index):
            missing = ~y_true.index.isin(scores.index)
            if missing.any():
                raise ValueError(
                    f"scores lack {int(missing.sum())} of the {len(y_true)} ids of y_true"
                )
            scores = scores.reindex(y_true.index)
    y = np.asarray(y_true)
    s = np.asarray(scores, dtype=float)
    if y.ndim != 1 or s.ndim != 1 or len(y) != len(s):
        raise ValueError(f"y_true and scores must be 1-d of one length, got {y.shape} and "
                         f"{s.shape}")
    if np.isnan(s).any():
        raise ValueError(f"scores has {int(np.isnan(s).sum())} missing values")
    if y.dtype == bool:
        y = y.astype(np.int64)
    else:
        numeric = pd.to_numeric(pd.Series(y), errors="coerce").to_numpy(dtype=float)
        if not np.isin(numeric, (0.0, 1.0)).all():
            raise ValueError("y_true must hold only 0/1 or True/False")
        y = numeric.astype(np.int64)
    positives = int(y.sum())
    if positives == 0 or positives == len(y):
        raise ValueError(
            f"y_true holds only one class ({positives} positives of {len(y)}); the metric "
            "needs both positives and negatives"
        )
    return y, s


def only_labels_of(snapshot: GraphSnapshot, keep: Iterable[str]) -> GraphSnapshot:
    """The snapshot with every known risk label (and its source) outside ``keep`` wiped.

    Why: a held-out customer's label must be invisible to every model and baseline that is
    measured on it; wiping it in the snapshot they all read is the one place to do that.
    """
    customers = snapshot.customers.copy()
    hide = ~customers["customer_id"].isin(list(keep))
    customers.loc[hide, ["known_risk_label", "known_risk_source"]] = pd.NA
    return replace(snapshot, customers=customers)

"""Reasons from the bank's own customer features: which one makes a customer stand out.

Why: a bank that loads its own numeric customer features (``customer_features.csv``: an
internal rating, a turnover ratio, an anonymous model input) gets them read by the individual
model (:func:`~graphrisk.analytics.individual_model.attribute_frame`), and they can carry most
of a score (on FDCompCN they lift the score's held-out ROC-AUC from 0.50 to 0.78). A score a
feature carried must say so in words a person can check against the customer's record, not
only name our own factors.

A feature's direction is not known in advance (a high rating may be good, a high turnover
ratio bad), so it is read from the bank itself: the sign of the rank correlation between the
feature and the individual model's probability over the whole population. A feature the
model's probability does not move with (``|rho|`` below :data:`MIN_CORRELATION`) gives no
reason. A customer's reason is the feature on which they are the most unusual in the risky
direction, at or above ``min_percentile`` of the customers holding a value.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from graphrisk.analytics.factors import REASON_PERCENTILE

__all__ = ["MIN_CORRELATION", "explain_attributes"]

#: Least absolute rank correlation between a feature and the individual probability for
#: the feature to give reasons: below it the model's view hardly moves with the feature, and
#: "higher than 99% of customers" would point at something that did not raise the score.
MIN_CORRELATION = 0.05


def explain_attributes(
    attributes: pd.DataFrame,
    risk: pd.Series,
    *,
    prefix: str = "",
    min_percentile: float = REASON_PERCENTILE,
) -> pd.DataFrame:
    """Per customer, the reason their own most unusual bank feature gives, if any.

    Args:
        attributes: one numeric column per feature, one row per customer (indexed by
            ``customer_id``; missing where a customer has no value). The percentiles are
            taken over these rows.
        risk: the individual model's probability per ``customer_id`` (the direction of each
            feature is read from it).
        prefix: stripped from the column names to name the feature (``attribute:``).
        min_percentile: the least percentile worth a reason.

    Returns:
        Indexed like ``attributes``: ``percentile`` (the share of customers with a value on
        the less risky side of this customer's) and ``reason`` (the sentence); both missing
        where no feature stands out.
    """
    index = attributes.index
    percentile = np.full(len(index), np.nan)
    reasons: list[str | None] = [None] * len(index)
    if attributes.empty or len(attributes.columns) == 0:
        return pd.DataFrame({"percentile": percentile, "reason": reasons}, index=index)
    values = attributes.to_numpy(dtype=float)
    probability = risk.reindex(index).to_numpy(dtype=float)
    ranked = np.full(values.shape, -1.0)
    direction = np.zeros(values.shape[1])
    for j in range(values.shape[1]):
        column = values[:, j]
        held = ~np.isnan(column) & ~np.isnan(probability)
        if held.sum() < 3:
            continue
        rho = pd.Series(column[held]).corr(pd.Series(probability[held]), method="spearman")
        if not np.isfinite(rho) or abs(rho) < MIN_CORRELATION:
            continue
        direction[j] = np.sign(rho)
        oriented = column * direction[j]
        present = ~np.isnan(column)
        ordered = np.sort(oriented[present])
        ranks = np.searchsorted(ordered, oriented[present], side="left") / len(ordered)
        ranked[present, j] = ranks
    usable = ranked >= min_percentile
    best = np.argmax(np.where(usable, ranked, -1.0), axis=1)
    names = [str(c).removeprefix(prefix) for c in attributes.columns]
    for row in np.flatnonzero(usable.any(axis=1)):
        column = int(best[row])
        share = ranked[row, column]
        percentile[row] = share
        side = "higher" if direction[column] > 0 else "lower"
        reasons[row] = (f"the bank's own feature {names[column]} is {values[row, column]:,.4g}, "
                        f"{side} than {_share_text(share)} of customers "
                        f"({side} goes with risk in this bank)")
    return pd.DataFrame({"percentile": percentile, "reason": reasons}, index=index)


def _share_text(share: float) -> str:
    """``share`` as a percentage a person reads: 97%, 99.6%, never a rounded-up 100%."""
    if share >= 0.99:
        return f"{np.floor(share * 1000) / 10:g}%"
    return f"{np.floor(share * 100):.0f}%"

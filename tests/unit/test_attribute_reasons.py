"""Reasons from the bank's own customer features (graphrisk/analytics/attribute_reasons.py)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from graphrisk.analytics.attribute_reasons import explain_attributes


@pytest.fixture
def population() -> tuple[pd.DataFrame, pd.Series]:
    """2,000 customers: risk rises with turnover and falls with rating; shoe_size is noise."""
    rng = np.random.default_rng(7)
    n = 2_000
    frame = pd.DataFrame({"attribute:turnover": rng.normal(size=n),
                          "attribute:rating": rng.normal(size=n)},
                         index=pd.Index([f"C{i}" for i in range(n)], name="customer_id"))
    risk = 1 / (1 + np.exp(-(2 * frame["attribute:turnover"] - 1.5 * frame["attribute:rating"])))
    # shoe_size alternates between two values down the rows: unrelated to the risk.
    frame["attribute:shoe_size"] = np.tile([38.0, 42.0], n // 2)
    return frame, risk


def test_each_feature_speaks_in_the_direction_the_bank_shows(population) -> None:
    frame, risk = population
    out = explain_attributes(frame, risk, prefix="attribute:")
    said = out["reason"].dropna()
    assert len(said) > 0
    highest = frame["attribute:turnover"].idxmax()
    lowest = frame["attribute:rating"].idxmin()
    assert out.loc[highest, "reason"].startswith("the bank's own feature turnover is ")
    assert "higher than 99.9% of customers (higher goes with risk" in out.loc[highest, "reason"]
    assert out.loc[lowest, "reason"].startswith("the bank's own feature rating is ")
    assert "lower than" in out.loc[lowest, "reason"]
    assert not said.str.contains("shoe_size").any()
    assert (out["percentile"].dropna() >= 0.95).all()
    assert not said.str.contains("100%").any()  # floored, never rounded up


def test_an_ordinary_customer_and_a_missing_value_give_no_reason(population) -> None:
    frame, risk = population
    frame = frame.copy()
    middle = (frame["attribute:turnover"].abs() + frame["attribute:rating"].abs()).idxmin()
    top = frame["attribute:turnover"].idxmax()
    frame.loc[top, "attribute:turnover"] = np.nan
    out = explain_attributes(frame, risk, prefix="attribute:")
    assert pd.isna(out.loc[middle, "reason"]) and np.isnan(out.loc[middle, "percentile"])
    assert not isinstance(out.loc[top, "reason"], str) or "turnover" not in out.loc[top, "reason"]


def test_no_features_no_reasons() -> None:
    index = pd.Index(["C1", "C2"], name="customer_id")
    out = explain_attributes(pd.DataFrame(index=index), pd.Series([0.1, 0.9], index=index))
    assert list(out.columns) == ["percentile", "reason"]
    assert out["reason"].isna().all()

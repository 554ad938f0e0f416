"""The factor registry is complete: every factor has a description, a reason sentence and a
model scaling, and the reason of a customer who stands out on it is produced."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from graphrisk.analytics.factor_registry import FACTORS, factor_named, scale_for_model
from graphrisk.analytics.factors import (
    FACTOR_COLUMNS,
    FACTOR_DESCRIPTIONS,
    explain_all_factors,
    explain_factors,
    factor_percentiles,
)


def test_columns_and_descriptions_derive_from_the_registry() -> None:
    assert FACTOR_COLUMNS == tuple(f.name for f in FACTORS)
    assert len(set(FACTOR_COLUMNS)) == len(FACTOR_COLUMNS)
    assert list(FACTOR_DESCRIPTIONS) == list(FACTOR_COLUMNS)


@pytest.mark.parametrize("factor", FACTORS, ids=lambda f: f.name)
def test_every_factor_has_a_description_a_reason_and_a_scaling(factor) -> None:
    assert factor.description.strip()
    assert factor.compute.__doc__, "say what the factor measures and why it signals risk"
    sentence = factor.reason(3.0, 10_000.0)
    assert isinstance(sentence, str) and sentence.strip()
    assert factor.model_scaling in ("identity", "log1p")


@pytest.mark.parametrize("name", FACTOR_COLUMNS)
def test_the_reason_of_a_customer_high_on_a_factor_is_given(name: str) -> None:
    """Twenty customers at 0 on every factor, one at 1 on ``name`` (or at the factor's
    ``notable`` value, where it has one): that one's reasons are exactly ``name``'s
    sentence, in both explainers."""
    value = max(1.0, factor_named(name).notable or 0.0)
    factors = pd.DataFrame(0.0, index=range(21), columns=list(FACTOR_COLUMNS))
    factors.loc[20, name] = value
    factors.insert(0, "customer_id", [f"C{i:02d}" for i in range(21)])
    percentiles = factor_percentiles(factors)
    expected = [factor_named(name).reason(value, 10_000.0)]
    assert explain_all_factors(factors, percentiles)["C20"] == expected
    row = factors.set_index("customer_id").loc["C20"]
    assert explain_factors(row, percentiles.set_index("customer_id").loc["C20"]) == expected
    assert explain_all_factors(factors, percentiles)["C00"] == []


def test_scaling_for_the_model_follows_each_entry() -> None:
    factors = pd.DataFrame({name: [-1.0, 0.0, np.e - 1] for name in FACTOR_COLUMNS},
                           index=["a", "b", "c"])
    scaled = scale_for_model(factors)
    assert list(scaled.columns) == list(FACTOR_COLUMNS)
    assert scaled.index.tolist() == ["a", "b", "c"]
    for factor in FACTORS:
        expected = [0.0, 0.0, 1.0] if factor.model_scaling == "log1p" else [-1.0, 0.0, np.e - 1]
        np.testing.assert_allclose(scaled[factor.name], expected)


def test_unknown_factor_names_the_known_ones() -> None:
    with pytest.raises(KeyError, match="structuring_count"):
        factor_named("no_such_factor")

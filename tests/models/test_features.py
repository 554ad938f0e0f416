"""The GNN's raw features on the tiny ring: numbers a person can check against the CSVs."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from graphrisk.analytics.factor_registry import FACTORS
from graphrisk.analytics.factors import compute_risk_factors
from graphrisk.analytics.ledger import build_ledger
from graphrisk.graph import GraphSnapshot
from graphrisk.models.features import (
    CATEGORICAL_COLUMNS,
    FORWARD_EDGE_TYPES,
    NODE_TYPES,
    SENDS_ACCOUNT_ACCOUNT,
    SENDS_COUNTERPARTY_ACCOUNT,
    build_raw_graph,
    edge_key,
)

_SETTINGS = {"max_identifier_degree": 10, "reporting_threshold": 10_000.0,
             "high_risk_industries": [], "high_risk_countries": [], "customer_features": []}
_YEAR = 365.25 * 86_400


def _raw(snapshot: GraphSnapshot, **settings):
    customers = snapshot.customers.sort_values("customer_id").reset_index(drop=True)
    return build_raw_graph(snapshot, customers, {**_SETTINGS, **settings})


def _pairs(raw, edge_type) -> pd.DataFrame:
    index, frame = raw.edges[edge_type]
    source, target = edge_type[0], edge_type[2]
    frame = frame.copy()
    frame.index = pd.MultiIndex.from_arrays([raw.ids[source][index[0]], raw.ids[target][index[1]]])
    return frame


def _with_night_payment(snapshot: GraphSnapshot) -> GraphSnapshot:
    # One more A6 -> A7 payment, at 03:30 UTC, not round, two days after the last one.
    extra = snapshot.transactions.iloc[[-1]].assign(
        transaction_id="T8", amount=1234.56, timestamp="2024-02-08T03:30:00")
    return replace(snapshot, transactions=pd.concat([snapshot.transactions, extra],
                                                    ignore_index=True))


def test_payments_become_one_edge_per_pair_with_the_shares_a_person_counts(
        tiny_snapshot: GraphSnapshot) -> None:
    raw = _raw(_with_night_payment(tiny_snapshot))
    pairs = _pairs(raw, SENDS_ACCOUNT_ACCOUNT)
    assert set(pairs.index) == {("A2", "A3"), ("A3", "A4"), ("A4", "A2"), ("A4", "A5"),
                                ("A6", "A7")}
    # A2 -> A3: one payment of 9,500 at 10:00, round and in [9,000, 10,000).
    cycle = pairs.loc[("A2", "A3")]
    assert cycle["log_total_amount"] == pytest.approx(np.log1p(9_500))
    assert cycle["log_count"] == pytest.approx(np.log1p(1))
    assert (cycle["odd_hours_share"], cycle["round_amount_share"],
            cycle["just_under_threshold_share"]) == (0.0, 1.0, 1.0)
    # A6 -> A7: 500 at 08:00 (too small to count as round) and 1,234.56 at 03:30.
    night = pairs.loc[("A6", "A7")]
    assert night["log_count"] == pytest.approx(np.log1p(2))
    assert night["log_largest_amount"] == pytest.approx(np.log1p(1_234.56))
    assert (night["odd_hours_share"], night["round_amount_share"],
            night["just_under_threshold_share"]) == (0.5, 0.0, 0.0)
    # Time runs backwards from the last payment (the night one): two days for the first.
    assert night["last_years_ago"] == 0.0
    assert night["first_years_ago"] == pytest.approx((2 * 86_400 - 4.5 * 3_600) / _YEAR)
    # The salary E1 -> A1: 3,200 is round, far from the threshold.
    salary = _pairs(raw, SENDS_COUNTERPARTY_ACCOUNT).loc[("E1", "A1")]
    assert (salary["round_amount_share"], salary["just_under_threshold_share"]) == (1.0, 0.0)


def test_the_reporting_threshold_setting_moves_the_band(tiny_snapshot: GraphSnapshot) -> None:
    pairs = _pairs(_raw(tiny_snapshot, reporting_threshold=9_600.0), SENDS_ACCOUNT_ACCOUNT)
    # [8,640, 9,600): 9,500 / 9,400 / 9,300 are in it, 9,900 no longer is.
    assert pairs["just_under_threshold_share"].to_dict() == {
        ("A2", "A3"): 1.0, ("A3", "A4"): 1.0, ("A4", "A2"): 1.0, ("A4", "A5"): 0.0,
        ("A6", "A7"): 0.0}


def test_every_group_has_a_table_and_the_declared_categories(
        tiny_snapshot: GraphSnapshot) -> None:
    raw = _raw(tiny_snapshot)
    frames = raw.frames()
    assert list(frames) == [*NODE_TYPES, *(edge_key(e) for e in FORWARD_EDGE_TYPES)]
    for node_type in NODE_TYPES:
        assert len(frames[node_type]) == len(raw.ids[node_type])
    for edge_type in FORWARD_EDGE_TYPES:
        index, frame = raw.edges[edge_type]
        assert index.dtype == np.int64 and index.shape == (2, len(frame))
    for group, columns in CATEGORICAL_COLUMNS.items():
        assert set(columns) <= set(frames[group].columns), group
    assert not any("known" in c for frame in frames.values() for c in frame.columns)


def test_customer_factor_features_follow_the_factor_registry(
        tiny_snapshot: GraphSnapshot) -> None:
    customer = _raw(tiny_snapshot).nodes["customer"]
    factors = compute_risk_factors(tiny_snapshot, high_risk_industries=[],
                                   high_risk_countries=[])
    # Every factor of the registry is a customer feature, scaled as its entry says (the
    # structuring count as log1p, shares as they are), in registry order.
    names = [factor.name for factor in FACTORS]
    assert list(customer.columns[:len(names)]) == names
    for factor in FACTORS:
        expected = factor.scale(factors[factor.name].to_numpy())
        np.testing.assert_array_equal(customer[factor.name].to_numpy(), expected)
    c2 = list(factors["customer_id"]).index("C2")
    assert customer["structuring_count"].iloc[c2] == pytest.approx(
        np.log1p(factors["structuring_count"].iloc[c2]))


def test_a_shared_ledger_is_used_and_a_mismatched_one_refused(
        tiny_snapshot: GraphSnapshot) -> None:
    ledger = build_ledger(tiny_snapshot, reporting_threshold=9_600.0)
    customers = tiny_snapshot.customers.sort_values("customer_id").reset_index(drop=True)
    shared = build_raw_graph(tiny_snapshot, customers,
                             {**_SETTINGS, "reporting_threshold": 9_600.0}, ledger)
    own = _raw(tiny_snapshot, reporting_threshold=9_600.0)
    for edge_type in FORWARD_EDGE_TYPES:
        pd.testing.assert_frame_equal(shared.edges[edge_type][1], own.edges[edge_type][1])
    with pytest.raises(ValueError, match="reporting_threshold"):
        build_raw_graph(tiny_snapshot, customers, _SETTINGS, ledger)
    other = replace(tiny_snapshot)
    with pytest.raises(ValueError, match="another snapshot"):
        build_raw_graph(other, customers, {**_SETTINGS, "reporting_threshold": 9_600.0},
                        ledger)

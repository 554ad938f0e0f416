"""An individual factor gives a reason only where the customer is unusual on it: at a high
percentile of the population *and* at a value a person would call unusual — not a floor
artefact (issue 14, item 5: "busiest 24 hours saw 5.0 times their usual daily transactions"
headed every top customer of an outside bank whose customers make 0.07-0.79 payments a day;
"largest payment 1.9 times typical" appeared as a top reason)."""

from __future__ import annotations

import pandas as pd
import pytest

from graphrisk.analytics.factors import (
    FACTOR_COLUMNS,
    REASON_PERCENTILE,
    compute_risk_factors,
    explain_all_factors,
    factor_percentiles,
)
from graphrisk.graph import GraphSnapshot

START = pd.Timestamp("2025-01-01T09:00:00")
DAYS = 200
QUIETS = 58


def _bank() -> GraphSnapshot:
    """60 customers paying a grocer over 200 days.

    ``Q00``..``Q57`` pay every 4 to 9 days, never twice in a day (0.11-0.25 a day).
    ``LUMPY`` pays every 5 days, but four times on one day: under one payment a day, so the
    old factor (the average day floored at one) called that day 4.0 times their usual day,
    and it ranks high among customers who never pay twice a day — a floor artefact.
    ``BURST`` pays every 8 days and 25 times on one day: a burst by any measure.
    """
    customers: list[str] = []
    rows: list[tuple] = []

    def pay(customer: str, when: pd.Timestamp) -> None:
        rows.append((f"T{len(rows):05d}", f"A-{customer}", None, None, "P1", 40.0,
                     when.isoformat()))

    for i in range(QUIETS):
        customer = f"Q{i:02d}"
        customers.append(customer)
        for day in range(i % 4, DAYS, 4 + i % 6):
            pay(customer, START + pd.Timedelta(days=day, hours=i % 7))
    for customer, every, extra in (("LUMPY", 5, 3), ("BURST", 8, 24)):
        customers.append(customer)
        for day in range(0, DAYS, every):
            pay(customer, START + pd.Timedelta(days=day))
        for k in range(extra):  # on day 160, beside the regular payment at 09:00
            pay(customer, START + pd.Timedelta(days=160, minutes=30 * (k + 1)))
    frame = pd.DataFrame
    return GraphSnapshot(
        customers=frame({"customer_id": customers, "industry": None, "country": "DE",
                         "credit_score": 700, "kyc_status": "verified",
                         "onboarding_date": "2020-01-01"}),
        accounts=frame({"account_id": [f"A-{c}" for c in customers], "customer_id": customers}),
        account_holders=frame(columns=["account_id", "customer_id", "role"]),
        counterparties=frame({"counterparty_id": ["P1"], "kind": ["merchant"],
                              "country": ["DE"], "industry": ["grocery"]}),
        identifiers=frame(),
        transactions=frame(rows, columns=["transaction_id", "from_account_id",
                                          "from_counterparty_id", "to_account_id",
                                          "to_counterparty_id", "amount", "timestamp"]),
        disputes=frame(columns=["dispute_id", "customer_id", "account_id", "kind", "amount"]),
        loans=frame(),
        account_changes=frame(columns=["change_id", "account_id", "timestamp", "change_kind"]),
    )


@pytest.fixture(scope="module")
def explained() -> tuple[pd.DataFrame, pd.DataFrame, pd.Series]:
    factors = compute_risk_factors(_bank())
    percentiles = factor_percentiles(factors)
    return (factors.set_index("customer_id"), percentiles.set_index("customer_id"),
            explain_all_factors(factors, percentiles))


def test_a_quiet_customers_lumpy_day_is_no_burst(explained) -> None:
    factors, percentiles, reasons = explained
    # Four payments in a day against a rate of 0.22 a day, whose busiest 24 hours over 200
    # days hold about 1.8: 2.2 times as busy, not 4.0, and below the notable 3.
    assert factors.loc["LUMPY", "velocity_burst"] == pytest.approx(2.23, abs=0.01)
    # It is unusual among these customers (none of them pays twice a day) ...
    assert percentiles.loc["LUMPY", "velocity_burst"] >= REASON_PERCENTILE
    # ... but not unusual enough to say so.
    assert not any("busiest 24 hours" in reason for reason in reasons["LUMPY"])


def test_a_real_burst_is_a_reason(explained) -> None:
    factors, _, reasons = explained
    # 25 payments in 24 hours against a busiest 24 hours of about two at 0.25 a day.
    assert factors.loc["BURST", "velocity_burst"] == pytest.approx(12.98, abs=0.01)
    assert reasons["BURST"] == ["busiest 24 hours saw 13.0 times as many transactions as "
                                "their own rate gives on a busy day"]


def test_steady_customers_are_near_one_whatever_their_rate(explained) -> None:
    factors, _, reasons = explained
    steady = factors.loc[[f"Q{i:02d}" for i in range(QUIETS)], "velocity_burst"]
    assert steady.max() <= 1.0
    assert all(reasons[f"Q{i:02d}"] == [] for i in range(QUIETS))


def _one_factor(name: str, values: list[float]) -> tuple[pd.DataFrame, pd.DataFrame]:
    factors = pd.DataFrame(0.0, index=range(len(values)), columns=list(FACTOR_COLUMNS))
    factors[name] = values
    factors.insert(0, "customer_id", [f"C{i:03d}" for i in range(len(values))])
    return factors, factor_percentiles(factors)


def test_a_largest_payment_under_three_times_typical_is_never_a_reason() -> None:
    # 98 customers at 1.0 (largest = typical), one at 1.9 (the 99th percentile), one at 6.
    factors, percentiles = _one_factor("large_txn_ratio", [1.0] * 98 + [1.9, 6.0])
    reasons = explain_all_factors(factors, percentiles)
    assert percentiles.loc[98, "large_txn_ratio"] >= REASON_PERCENTILE
    assert reasons["C098"] == []
    assert reasons["C099"] == ["largest payment is 6.0 times their typical payment"]


def test_a_value_many_customers_share_is_not_a_reason() -> None:
    # Ten of a hundred customers made structuring payments: the 90th percentile, too common.
    factors, percentiles = _one_factor("structuring_count", [0.0] * 90 + [2.0] * 9 + [7.0])
    reasons = explain_all_factors(factors, percentiles)
    assert reasons["C095"] == []
    assert reasons["C099"] == ["7 payments just under the 10,000 reporting threshold"]

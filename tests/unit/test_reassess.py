"""Which customers a period's re-assessment covers, and the migration report's rows."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from graphrisk.monitoring.reassess import due_customers, migration, period_bounds
from graphrisk.policy import load_policy


def test_periods_are_months_or_quarters() -> None:
    assert period_bounds("2026-12") == (date(2026, 12, 1), date(2026, 12, 31))
    assert period_bounds("2027-Q1") == (date(2027, 1, 1), date(2027, 3, 31))
    assert period_bounds("2028-02") == (date(2028, 2, 1), date(2028, 2, 29))
    for bad in ("2026-13", "2026", "Q1-2026", "2026-Q5"):
        with pytest.raises(ValueError, match="period"):
            period_bounds(bad)


def test_due_follows_each_tiers_review_frequency() -> None:
    policy = load_policy()  # high every 30 days, medium 90, low 365
    latest = pd.DataFrame({
        "customer_id": ["H", "M", "L"],
        "created_at": ["2026-11-15T10:00:00+00:00"] * 3,
        "tier": ["high", "medium", "low"],
    })
    everyone = ["H", "M", "L", "NEW"]
    assert due_customers(everyone, latest, policy, date(2026, 12, 14)) == ["NEW"]
    assert due_customers(everyone, latest, policy, date(2026, 12, 31)) == ["H", "NEW"]
    assert due_customers(everyone, latest, policy, date(2027, 2, 28)) == ["H", "M", "NEW"]
    assert due_customers(everyone, latest, policy, date(2027, 12, 31)) == sorted(everyone)


def test_migration_says_who_moved_which_way_and_why() -> None:
    before = pd.DataFrame({"customer_id": ["A", "B", "C"], "score": [10.0, 70.0, 90.0],
                           "tier": ["low", "medium", "high"],
                           "reasons": [["x"], ["y"], ["z", "w"]]})
    after = pd.DataFrame({"customer_id": ["A", "B", "C", "D"], "score": [88.0, 40.0, 91.0, 5.0],
                          "tier": ["high", "low", "high", "low"],
                          "reasons": [["x", "cycle"], [], ["z", "w"], ["new one"]]})
    table = migration(before, after).set_index("customer_id")
    assert table["direction"].to_dict() == {"A": "up", "B": "down", "C": "same", "D": "new"}
    assert table.loc["A", "reasons_added"] == ["cycle"]
    assert table.loc["B", "reasons_dropped"] == ["y"]
    assert table.loc["C", "reasons_added"] == [] and table.loc["D", "reasons_added"] == [
        "new one"]
    assert table.loc["A", "score_before"] == 10.0 and table.loc["A", "score_after"] == 88.0

"""Periodic re-assessment: who is due for review this period, and who moved between tiers.

Why pure functions: which customers are due (their tier's ``review_every_days`` since their
last score) and the migration report (who moved, which way, which reasons changed) are the
part a risk team checks by hand; the service does the scoring and the storing around them.
"""

from __future__ import annotations

import calendar
import re
from datetime import UTC, date, datetime

import numpy as np
import pandas as pd

from graphrisk.policy import TIERS, RiskPolicy

__all__ = ["MIGRATION_COLUMNS", "current_period", "due_customers", "migration", "period_bounds"]

#: Columns of :func:`migration`'s table.
MIGRATION_COLUMNS: tuple[str, ...] = (
    "customer_id", "tier_before", "tier_after", "direction", "score_before", "score_after",
    "reasons_added", "reasons_dropped",
)
_PERIOD = re.compile(r"^(\d{4})-(\d{2})$|^(\d{4})-Q([1-4])$")


def period_bounds(period: str) -> tuple[date, date]:
    """First and last day of a period: ``2026-12`` (a month) or ``2027-Q1`` (a quarter).

    Raises:
        ValueError: the text is neither; the message shows both forms.
    """
    match = _PERIOD.match(period.strip())
    if not match:
        raise ValueError(f"period {period!r} is not a month like 2026-12 or a quarter like "
                         "2027-Q1")
    if match.group(1):
        year, month = int(match.group(1)), int(match.group(2))
        if not 1 <= month <= 12:
            raise ValueError(f"period {period!r}: month must be 01-12")
        first_month, last_month = month, month
    else:
        year, quarter = int(match.group(3)), int(match.group(4))
        first_month, last_month = 3 * quarter - 2, 3 * quarter
    return (date(year, first_month, 1),
            date(year, last_month, calendar.monthrange(year, last_month)[1]))


def current_period(today: date | None = None) -> str:
    """This month as a period (``2026-12``)."""
    today = today or datetime.now(UTC).date()
    return f"{today:%Y-%m}"


def due_customers(customers: list[str], latest: pd.DataFrame, policy: RiskPolicy,
                  period_end: date) -> list[str]:
    """Customers whose review falls due by the end of the period.

    A customer is due when never scored, or when their last score plus their tier's
    ``review_every_days`` is on or before ``period_end``.

    Args:
        customers: every customer id.
        latest: the newest stored score per customer (``customer_id, created_at, tier``).
        policy: the tiers' review frequencies.
        period_end: the period's last day.
    """
    if latest.empty:
        return sorted(customers)
    last = latest.set_index("customer_id")
    created = pd.to_datetime(last["created_at"], utc=True, errors="coerce", format="ISO8601")
    every = last["tier"].map({t: policy.tiers[t].review_every_days  # type: ignore[index]
                              for t in TIERS}).fillna(policy.tiers["low"].review_every_days)
    next_review = (created + pd.to_timedelta(every, unit="D")).dt.date
    due_known = set(next_review[next_review <= period_end].index.astype(str))
    return sorted(c for c in customers if c not in last.index or c in due_known)


def migration(previous: pd.DataFrame, current: pd.DataFrame) -> pd.DataFrame:
    """Who moved between tiers and why: one row per re-assessed customer.

    Args:
        previous: the newest score before (``customer_id, score, tier, reasons``); customers
            never scored before are ``new``.
        current: the re-assessment's scores of the same customers.

    Returns:
        :data:`MIGRATION_COLUMNS`; ``direction`` is ``up``, ``down``, ``same`` or ``new``;
        the reason columns list the reasons that appeared and disappeared.
    """
    before = (previous[["customer_id", "score", "tier", "reasons"]] if not previous.empty
              else pd.DataFrame(columns=["customer_id", "score", "tier", "reasons"]))
    both = current[["customer_id", "score", "tier", "reasons"]].merge(
        before.drop_duplicates("customer_id"), on="customer_id", how="left",
        suffixes=("_after", "_before"))
    rank = {tier: position for position, tier in enumerate(TIERS)}
    after_rank = pd.to_numeric(both["tier_after"].astype(object).map(rank), errors="coerce")
    before_rank = pd.to_numeric(both["tier_before"].astype(object).map(rank), errors="coerce")
    step = (after_rank - before_rank).to_numpy(dtype=float)
    direction = np.where(before_rank.isna().to_numpy(), "new",
                         np.where(step > 0, "up", np.where(step < 0, "down", "same")))

    def listed(value: object) -> list[str]:
        return list(value) if isinstance(value, list | tuple | np.ndarray) else []

    added, dropped = [], []
    for now, then in zip(both["reasons_after"], both["reasons_before"], strict=True):
        now, then = listed(now), listed(then)
        added.append([r for r in now if r not in then])
        dropped.append([r for r in then if r not in now])
    return pd.DataFrame({
        "customer_id": both["customer_id"],
        "tier_before": both["tier_before"].where(both["tier_before"].notna(), None),
        "tier_after": both["tier_after"].astype(str),
        "direction": direction,
        "score_before": both["score_before"].astype(float),
        "score_after": both["score_after"].astype(float),
        "reasons_added": added,
        "reasons_dropped": dropped,
    }, columns=list(MIGRATION_COLUMNS))

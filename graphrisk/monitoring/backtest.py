"""Back-testing a changed policy: what it would have alerted, beside the live one.

Why replay with the live rules: a risk team changing a threshold wants to know how many more
(or fewer) alerts it means per rule and tier, and whether the extra ones would have been worth
it. Both policies are replayed the same way over the stored history — the transactions,
disputes and identifier links cut into windows of ``window_days`` and checked window by
window with the very rule functions live monitoring runs, repeats within a rule's
``dedupe_days`` left out — so the difference between the two columns is the policy's, not the
method's. Precision is measured against the outcomes of closed cases.

What is not replayed: score rises and tier escalations (they follow scoring runs, not
events); the tier of each customer is their current one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd

from graphrisk.analytics.ledger import DAY_SECONDS, build_ledger
from graphrisk.analytics.typologies import detect_typologies
from graphrisk.graph import GraphSnapshot
from graphrisk.monitoring.rules import (
    AlertCandidate,
    EventBatch,
    RuleContext,
    event_alerts,
    risky_customers,
)
from graphrisk.policy import RiskPolicy

__all__ = ["BACKTEST_COLUMNS", "Backtest", "backtest_policies", "precision_table",
           "replay_policy"]

#: Columns of :attr:`Backtest.table`.
BACKTEST_COLUMNS: tuple[str, ...] = (
    "rule", "tier", "live_replayed", "new_replayed", "live_raised", "live_precision",
    "new_precision", "live_judged", "new_judged",
)


@dataclass(frozen=True)
class Backtest:
    """Two policies replayed over the same history.

    Attributes:
        table: one row per rule and tier (:data:`BACKTEST_COLUMNS`): alerts each policy
            would have raised, the live alerts actually raised, and each policy's precision
            against closed cases (``NaN`` where none of its alerts was judged).
        windows: how many windows were replayed.
        first, last: the history's time span.
    """

    table: pd.DataFrame
    windows: int
    first: str | None
    last: str | None


def replay_policy(snapshot: GraphSnapshot, policy: RiskPolicy, tiers: dict[str, str],
                  cluster_members: dict[str, float], *, window_days: int = 7,
                  progress: Callable[[int, int], None] | None = None,
                  ) -> tuple[list[AlertCandidate], int, str | None, str | None]:
    """Every alert ``policy`` would have raised over the snapshot's history, repeats left out.

    Returns:
        The alerts, the number of windows, and the first and last event times.
    """
    ledger = build_ledger(snapshot, reporting_threshold=policy.scoring.reporting_threshold)
    typologies = detect_typologies(snapshot, ledger=ledger)
    context = RuleContext(snapshot, ledger, tiers, risky_customers(snapshot, cluster_members),
                          policy)
    seconds = ledger.seconds[ledger.timed]
    if seconds.size == 0:
        return [], 0, None, None
    first, last = int(seconds.min()), int(seconds.max())
    ids = np.asarray(ledger.transaction_ids.to_pylist(), dtype=object)
    disputes = snapshot.disputes
    opened = pd.to_datetime(disputes["opened_date"].astype(str).str[:10], utc=True,
                            errors="coerce") if not disputes.empty else pd.Series(dtype=object)
    links = snapshot.identifiers
    seen = pd.to_datetime(links["first_seen"].astype(str).str[:10], utc=True,
                          errors="coerce") if not links.empty else pd.Series(dtype=object)
    width = window_days * DAY_SECONDS
    starts = list(range(first - first % DAY_SECONDS, last + 1, width))
    found: list[AlertCandidate] = []
    for number, start in enumerate(starts):
        end = start + width
        in_window = ledger.timed & (ledger.seconds >= start) & (ledger.seconds < end)
        low = pd.Timestamp(start, unit="s", tz=UTC)
        high = pd.Timestamp(end, unit="s", tz=UTC)
        new_disputes = (disputes.loc[(opened >= low) & (opened < high), "dispute_id"]
                        if not disputes.empty else pd.Series(dtype=object))
        new_links = (links.loc[(seen >= low) & (seen < high), ["customer_id", "identifier_id"]]
                     if not links.empty else pd.DataFrame(columns=["customer_id",
                                                                   "identifier_id"]))
        batch = EventBatch(
            load_id=f"replay-{number}", customers=frozenset(),
            transaction_ids=frozenset(ids[in_window].tolist()),
            dispute_ids=frozenset(new_disputes.astype(str)),
            identifier_links=tuple(map(tuple, new_links.astype(str).to_numpy().tolist())))
        found += event_alerts(batch, context, typologies=typologies,
                              typology_window=(start, end))
        if progress is not None:
            progress(number + 1, len(starts))
    return _without_repeats(found, policy), len(starts), _iso(first), _iso(last)


def backtest_policies(snapshot: GraphSnapshot, live: RiskPolicy, candidate: RiskPolicy,
                      tiers: dict[str, str], cluster_members: dict[str, float],
                      raised_live: Iterable[tuple[str, str]],
                      outcomes: dict[str, str], *, window_days: int = 7,
                      progress: Callable[[int, int], None] | None = None) -> Backtest:
    """Replay both policies and put them side by side per rule and tier.

    Args:
        snapshot: the stored history.
        live, candidate: the policy in force and the one to try.
        tiers: each customer's current tier.
        cluster_members: customers in high-risk clusters (their cluster component).
        raised_live: ``(rule, tier)`` of every live alert actually raised.
        outcomes: per customer, the outcome of their closed case (``confirmed_risk`` or
            ``false_positive``); the judge of precision.
    """
    live_found, windows, first, last = replay_policy(
        snapshot, live, tiers, cluster_members, window_days=window_days, progress=progress)
    new_found, _, _, _ = replay_policy(snapshot, candidate, tiers, cluster_members,
                                       window_days=window_days)

    def rows(found: list[AlertCandidate]) -> list[tuple[str, str, str | None]]:
        return [(a.rule, tiers.get(a.customer_id, "low"), outcomes.get(a.customer_id))
                for a in found]

    live_table = precision_table(rows(live_found)).set_index(["rule", "tier"])
    new_table = precision_table(rows(new_found)).set_index(["rule", "tier"])
    raised = pd.Series([f"{r}|{t}" for r, t in raised_live], dtype=object).value_counts()
    index = live_table.index.union(new_table.index)
    table = pd.DataFrame(index=index)
    table["live_replayed"] = live_table["alerts"].reindex(index).fillna(0).astype(int)
    table["new_replayed"] = new_table["alerts"].reindex(index).fillna(0).astype(int)
    table["live_raised"] = [int(raised.get(f"{r}|{t}", 0)) for r, t in index]
    table["live_precision"] = live_table["precision"].reindex(index)
    table["new_precision"] = new_table["precision"].reindex(index)
    table["live_judged"] = live_table["judged"].reindex(index).fillna(0).astype(int)
    table["new_judged"] = new_table["judged"].reindex(index).fillna(0).astype(int)
    table = table.reset_index()
    return Backtest(table[list(BACKTEST_COLUMNS)], windows, first, last)


def precision_table(alerts: list[tuple[str, str, str | None]]) -> pd.DataFrame:
    """Alerts, judged alerts and precision per rule and tier.

    Args:
        alerts: ``(rule, tier, outcome)``; outcome ``confirmed_risk`` is a true positive,
            ``false_positive`` a false one, anything else is not judged.
    """
    frame = pd.DataFrame(alerts, columns=["rule", "tier", "outcome"])
    if frame.empty:
        return pd.DataFrame(columns=["rule", "tier", "alerts", "judged", "confirmed",
                                     "precision"])
    frame["confirmed"] = frame["outcome"] == "confirmed_risk"
    frame["judged"] = frame["outcome"].isin(["confirmed_risk", "false_positive"])
    table = frame.groupby(["rule", "tier"]).agg(
        alerts=("rule", "size"), judged=("judged", "sum"), confirmed=("confirmed", "sum"))
    table["precision"] = (table["confirmed"] / table["judged"]).where(table["judged"] > 0)
    return table.reset_index()


def _without_repeats(found: list[AlertCandidate], policy: RiskPolicy) -> list[AlertCandidate]:
    kept: list[AlertCandidate] = []
    last: dict[tuple[str, str], datetime] = {}
    for alert in sorted(found, key=lambda a: (a.at, a.rule, a.customer_id)):
        at = datetime.fromisoformat(alert.at)
        window = timedelta(days=policy.alert_rules[alert.rule].dedupe_days)
        key = (alert.rule, alert.customer_id)
        if key in last and window and at - last[key] < window:
            continue
        last[key] = at
        kept.append(alert)
    return kept


def _iso(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, UTC).isoformat()

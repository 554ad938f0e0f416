"""The alert rules: what in a batch of new events deserves a person's attention.

Why a module of pure functions: the same checks run live on each incremental batch
(:mod:`graphrisk.monitoring.monitor`) and over the stored history when a changed policy is
back-tested (:mod:`graphrisk.monitoring.backtest`); neither may drift from the other, and
both are tested without a store. A check reads the batch's region (the touched customers'
complete data, :func:`graphrisk.analytics.region.region_of`), its ledger, each customer's tier
and the policy, and returns candidates; whether a candidate becomes an alert (the same rule
stays quiet for ``dedupe_days``) is decided where alerts are stored.

Times are event times (the payment's time stamp, the dispute's opening date), never the
clock: replaying a stream gives the same alerts whenever it is replayed.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd

from graphrisk.analytics.ledger import DAY_SECONDS, TransactionLedger
from graphrisk.analytics.typologies import (
    TypologyResult,
    TypologySettings,
    detect_typologies,
)
from graphrisk.graph import GraphSnapshot
from graphrisk.policy import SCORE_COMPONENTS, TIERS, RiskPolicy, TierPolicy

__all__ = [
    "AlertCandidate",
    "EventBatch",
    "RuleContext",
    "event_alerts",
    "iso_time",
    "risky_customers",
    "score_alerts",
]


@dataclass(frozen=True)
class EventBatch:
    """What one incremental batch brought, by id.

    Attributes:
        load_id: the load's fingerprint (same files, same id): alerts are keyed by it, so a
            batch replayed after a crash raises nothing twice.
        customers: customers whose own data the batch changed (both ends of its payments,
            its disputes, identifiers and account changes, new customers).
        transaction_ids: the batch's transactions.
        dispute_ids: the batch's disputes.
        identifier_links: ``(customer_id, identifier_id)`` of the batch's identifier rows.
        latest_at: the batch's latest event time (ISO UTC): when its score changes happened.
    """

    load_id: str
    customers: frozenset[str]
    transaction_ids: frozenset[str] = frozenset()
    dispute_ids: frozenset[str] = frozenset()
    identifier_links: tuple[tuple[str, str], ...] = ()
    latest_at: str | None = None


@dataclass(frozen=True)
class RuleContext:
    """What the checks read besides the batch.

    Attributes:
        region: the touched customers' complete data.
        ledger: the region's transaction ledger.
        tiers: each customer's tier before the batch (a customer never scored counts as
            ``low``: the loosest thresholds, so nothing fires on a guess).
        risky: customers a new link to is itself a warning, with why (confirmed label,
            member of a high-risk cluster).
        policy: thresholds, rule parameters and the enabled rules.
        typology_settings: the detectors' settings.
    """

    region: GraphSnapshot
    ledger: TransactionLedger
    tiers: Mapping[str, str]
    risky: Mapping[str, str]
    policy: RiskPolicy
    typology_settings: TypologySettings = field(default_factory=TypologySettings)

    def tier_of(self, customer_id: str) -> str:
        return self.tiers.get(customer_id, TIERS[0])

    def tier_policy(self, customer_id: str) -> TierPolicy:
        return self.policy.tiers[self.tier_of(customer_id)]  # type: ignore[index]


@dataclass(frozen=True)
class AlertCandidate:
    """One rule's finding for one customer, before de-duplication.

    Attributes:
        rule: the rule's name (a key of the policy's ``[alert_rules]``).
        customer_id: whom it is about.
        at: event time of the latest evidence, ISO 8601 UTC.
        evidence: transaction ids, linked customers, amounts... (JSON values).
        sentence: what happened, for a person.
    """

    rule: str
    customer_id: str
    at: str
    evidence: dict[str, Any]
    sentence: str


def iso_time(seconds: float) -> str:
    """Epoch seconds as ISO 8601 UTC text (seconds precision)."""
    return datetime.fromtimestamp(int(seconds), UTC).isoformat()


def _money(amount: float) -> str:
    return f"{amount:,.2f}"


def event_alerts(batch: EventBatch, context: RuleContext, *,
                 typologies: TypologyResult | None = None,
                 typology_window: tuple[int, int] | None = None) -> list[AlertCandidate]:
    """Every enabled event rule's findings for one batch, in rule then customer order.

    Args:
        batch: what arrived.
        context: the region, its ledger, tiers, risky customers and the policy.
        typologies: the region's typology instances when the caller has found them already
            (a back-test finds them once for all its windows); found here otherwise.
        typology_window: ``[start, end)`` epoch seconds: instances whose last payment falls
            inside are new; by default those ending at or after the batch's first payment.
    """
    rules = context.policy.active_rules()
    found: list[AlertCandidate] = []
    payments = _Payments.of(batch, context.ledger)
    if payments is not None:
        for name, check in (("single_payment", _single_payment),
                            ("over_transaction_limit", _over_limit),
                            ("daily_total", _daily_total),
                            ("new_counterparties", _new_counterparties),
                            ("structuring", _structuring)):
            if name in rules:
                found += check(payments, context)
    if "high_risk_link" in rules:
        found += _high_risk_links(batch, context, payments)
    if "dispute_spike" in rules:
        found += _dispute_spikes(batch, context)
    if payments is not None and any(r.startswith("typology_") for r in rules):
        found += _typologies(payments, context, rules, typologies, typology_window)
    return found


def score_alerts(previous: pd.DataFrame, current: pd.DataFrame, policy: RiskPolicy,
                 at: str) -> list[AlertCandidate]:
    """Score rises and tier escalations between two scores of the same customers.

    Args:
        previous: ``customer_id, score, tier, run_id`` before (customers never scored are
            left out: a first score is not a rise).
        current: ``customer_id, score, tier, reasons, run_id`` after.
        policy: thresholds (``score_increase`` of the customer's previous tier).
        at: event time the rescoring reflects (the batch's latest event).
    """
    rules = policy.active_rules()
    if previous.empty or current.empty:
        return []
    parts = [c for c in SCORE_COMPONENTS if c in previous.columns and c in current.columns]
    both = previous[["customer_id", "score", "tier", "run_id", *parts]].merge(
        current[["customer_id", "score", "tier", "reasons", "run_id", *parts]],
        on="customer_id", how="inner", suffixes=("_before", "_after")).set_index("customer_id")
    found = []
    for customer, row in both.sort_index().iterrows():
        before, after = float(row["score_before"]), float(row["score_after"])
        tier_before, tier_after = str(row["tier_before"]), str(row["tier_after"])
        reasons = list(row["reasons"]) if isinstance(row["reasons"], list | tuple) else []
        moved = _what_moved(row, parts)
        if moved:
            reasons = [moved, *reasons]
        why = "; ".join(r for r in reasons[:2] if r != "nothing stands out")
        evidence = {"score_before": before, "score_after": after, "tier_before": tier_before,
                    "tier_after": tier_after, "run_before": str(row["run_id_before"]),
                    "run_after": str(row["run_id_after"]), "reasons": reasons}
        rise = policy.tiers[tier_before].alert_thresholds.score_increase  # type: ignore[index]
        if "score_increase" in rules and after - before >= rise:
            found.append(AlertCandidate(
                "score_increase", str(customer), at, evidence,
                f"risk score rose from {before:.0f} to {after:.0f} (+{after - before:.0f}, "
                f"the {tier_before} tier alerts at +{rise:g})"
                + (f"; {why}" if why else "")))
        if "tier_escalation" in rules and TIERS.index(tier_after) > TIERS.index(tier_before):
            found.append(AlertCandidate(
                "tier_escalation", str(customer), at, evidence,
                f"moved from the {tier_before} tier to the {tier_after} tier (score "
                f"{before:.0f} -> {after:.0f})" + (f"; {why}" if why else "")))
    return found


#: What each score component means, for "what moved the score".
_COMPONENT_WORDS = {
    "known": "a confirmed risk label", "individual": "the customer's own behaviour and profile",
    "unusual": "an unusual combination of the customer's own factors",
    "network": "closeness to known-risk customers", "typology": "taking part in a typology",
    "cluster": "membership of a high-risk cluster", "model": "the graph model",
}


def _what_moved(row: pd.Series, parts: list[str]) -> str:
    """The component that rose most between two scores, in words (``""`` if none rose)."""
    rises = {}
    for part in parts:
        then, now = row.get(f"{part}_before"), row.get(f"{part}_after")
        if pd.notna(then) and pd.notna(now) and float(now) > float(then):
            rises[part] = (float(then), float(now))
    if not rises:
        return ""
    part, (then, now) = max(rises.items(), key=lambda item: item[1][1] - item[1][0])
    return f"driven by {_COMPONENT_WORDS.get(part, part)} ({then:.0%} -> {now:.0%})"


# --------------------------------------------------------------------------------------------
# Payments
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Payer:
    """One payer's outgoing payments, history included, as aligned arrays in time order."""

    customer_id: str
    ids: np.ndarray       # transaction ids
    seconds: np.ndarray
    amount: np.ndarray
    payee: np.ndarray     # payee account or counterparty id
    payee_customer: np.ndarray  # the payee's customer id, or None (a counterparty)
    new: np.ndarray       # in the batch
    just_under: np.ndarray


@dataclass(frozen=True)
class _Payments:
    """The outgoing payments of the customers who made a new one, history included.

    Why arrays per payer: a batch of a hundred payments touches a hundred payers; numpy
    slices keep each check at microseconds per payer, where pandas filtering took
    milliseconds.
    """

    payers: tuple[_Payer, ...]
    start: int           # earliest new payment's time

    @classmethod
    def of(cls, batch: EventBatch, ledger: TransactionLedger) -> _Payments | None:
        if not len(ledger) or not batch.transaction_ids:
            return None
        ids = np.asarray(ledger.transaction_ids.to_pylist(), dtype=object)
        new = np.isin(ids, list(batch.transaction_ids))
        outgoing = (ledger.payer >= 0) & ~ledger.internal & ledger.timed
        payers = np.unique(ledger.payer[new & outgoing])
        if payers.size == 0:
            return None
        rows = np.flatnonzero(outgoing & np.isin(ledger.payer, payers))
        order = np.lexsort((ids[rows].astype(str), ledger.seconds[rows], ledger.payer[rows]))
        rows = rows[order]
        payer_codes = ledger.payer[rows]
        payee = np.asarray(ledger.end_ids(rows, "payee"), dtype=object)
        payee_customer = np.asarray([str(ledger.customer_ids[c]) if c >= 0 else None
                                     for c in ledger.payee[rows]], dtype=object)
        bounds = np.flatnonzero(np.diff(payer_codes)) + 1
        groups = []
        for part in np.split(np.arange(rows.size), bounds):
            r = rows[part]
            groups.append(_Payer(
                str(ledger.customer_ids[payer_codes[part[0]]]), ids[r], ledger.seconds[r],
                ledger.amount[r], payee[part], payee_customer[part], new[r],
                ledger.just_under_threshold[r]))
        return cls(tuple(groups), int(ledger.seconds[rows][new[rows]].min()))


def _new_payments_over(payer: _Payer, limit: float, *,
                       inclusive: bool) -> tuple[np.ndarray, int] | None:
    """The batch's payments of ``payer`` at (or above) ``limit``, and the largest's row."""
    over = payer.amount >= limit if inclusive else payer.amount > limit
    hits = np.flatnonzero(payer.new & over)
    if hits.size == 0:
        return None
    return hits, int(hits[np.argmax(payer.amount[hits])])


def _single_payment(payments: _Payments, context: RuleContext) -> list[AlertCandidate]:
    found = []
    for payer in payments.payers:
        limit = context.tier_policy(payer.customer_id).alert_thresholds.single_payment
        over = _new_payments_over(payer, limit, inclusive=True)
        if over is None:
            continue
        hits, top = over
        found.append(AlertCandidate(
            "single_payment", payer.customer_id, iso_time(payer.seconds[hits].max()),
            {"transaction_ids": payer.ids[hits].tolist(),
             "amount": float(payer.amount[top]), "threshold": limit},
            f"paid {_money(payer.amount[top])} in one payment ({payer.ids[top]} to "
            f"{payer.payee[top]}); the {context.tier_of(payer.customer_id)} tier alerts at "
            f"{_money(limit)}" + (f", {hits.size - 1} more such payment(s)"
                                  if hits.size > 1 else "")))
    return found


def _over_limit(payments: _Payments, context: RuleContext) -> list[AlertCandidate]:
    found = []
    for payer in payments.payers:
        limit = context.tier_policy(payer.customer_id).transaction_limit
        over = _new_payments_over(payer, limit, inclusive=False)
        if over is None:
            continue
        hits, top = over
        found.append(AlertCandidate(
            "over_transaction_limit", payer.customer_id, iso_time(payer.seconds[hits].max()),
            {"transaction_ids": payer.ids[hits].tolist(),
             "amount": float(payer.amount[top]), "limit": limit},
            f"payment {payer.ids[top]} of {_money(payer.amount[top])} is above the "
            f"{context.tier_of(payer.customer_id)} tier's transaction limit of "
            f"{_money(limit)}: hold it for manual release"))
    return found


def _daily_total(payments: _Payments, context: RuleContext) -> list[AlertCandidate]:
    found = []
    for payer in payments.payers:
        limit = context.tier_policy(payer.customer_id).alert_thresholds.daily_total
        day = payer.seconds // DAY_SECONDS
        best_day, best_total = None, 0.0
        for candidate in np.unique(day[payer.new]):
            total = float(payer.amount[day == candidate].sum())
            if total >= limit and total > best_total:
                best_day, best_total = int(candidate), total
        if best_day is None:
            continue
        hits = np.flatnonzero(day == best_day)
        on = datetime.fromtimestamp(best_day * DAY_SECONDS, UTC).date()
        found.append(AlertCandidate(
            "daily_total", payer.customer_id, iso_time(payer.seconds[hits].max()),
            {"transaction_ids": payer.ids[hits].tolist(), "day": on.isoformat(),
             "total": best_total, "threshold": limit},
            f"paid out {_money(best_total)} in {hits.size} "
            f"payment{'' if hits.size == 1 else 's'} on {on}; the "
            f"{context.tier_of(payer.customer_id)} tier alerts at a daily total of "
            f"{_money(limit)}"))
    return found


def _new_counterparties(payments: _Payments, context: RuleContext) -> list[AlertCandidate]:
    rule = context.policy.alert_rules["new_counterparties"]
    window = rule.param("new_counterparties", "window_days") * DAY_SECONDS
    found = []
    for payer in payments.payers:
        limit = context.tier_policy(payer.customer_id).alert_thresholds.new_counterparties_per_week
        end = int(payer.seconds[payer.new].max())
        before = set(payer.payee[payer.seconds < end - window].tolist())
        recent = np.flatnonzero((payer.seconds >= end - window) & (payer.seconds <= end))
        first: dict[str, int] = {}
        for row in recent:
            name = payer.payee[row]
            if name is not None and name not in before and name not in first:
                first[name] = int(row)
        rows = np.array(list(first.values()), dtype=int)
        if rows.size < limit or not payer.new[rows].any():
            continue
        found.append(AlertCandidate(
            "new_counterparties", payer.customer_id, iso_time(end),
            {"transaction_ids": payer.ids[rows].tolist(), "payees": list(first),
             "count": int(rows.size), "threshold": limit},
            f"paid {rows.size} payees never paid before within {window // DAY_SECONDS:g} "
            f"days; the {context.tier_of(payer.customer_id)} tier alerts at {limit}"))
    return found


def _structuring(payments: _Payments, context: RuleContext) -> list[AlertCandidate]:
    rule = context.policy.alert_rules["structuring"]
    least = int(rule.param("structuring", "min_payments"))
    window = rule.param("structuring", "within_days") * DAY_SECONDS
    threshold = context.ledger.reporting_threshold
    found = []
    for payer in payments.payers:
        fresh = payer.just_under & payer.new
        if not fresh.any():
            continue
        end = int(payer.seconds[fresh].max())
        hits = np.flatnonzero(payer.just_under & (payer.seconds >= end - window)
                              & (payer.seconds <= end))
        if hits.size < least:
            continue
        total = float(payer.amount[hits].sum())
        found.append(AlertCandidate(
            "structuring", payer.customer_id, iso_time(end),
            {"transaction_ids": payer.ids[hits].tolist(), "total": total,
             "reporting_threshold": threshold},
            f"{hits.size} payments just under the {_money(threshold)} reporting threshold "
            f"within {window // DAY_SECONDS:g} days, {_money(total)} in all"))
    return found


# --------------------------------------------------------------------------------------------
# Links, disputes, typologies
# --------------------------------------------------------------------------------------------


def _high_risk_links(batch: EventBatch, context: RuleContext,
                     payments: _Payments | None) -> list[AlertCandidate]:
    """A new shared identifier with, or a first payment to, a risky customer."""
    found: dict[str, AlertCandidate] = {}
    identifiers = context.region.identifiers
    max_degree = context.policy.scoring.max_identifier_degree
    holders: dict[str, set[str]] = {}
    if batch.identifier_links and not identifiers.empty:
        for holder, identifier in zip(identifiers["customer_id"].astype(str),
                                      identifiers["identifier_id"].astype(str), strict=True):
            holders.setdefault(identifier, set()).add(holder)
    for customer, identifier in sorted(set(batch.identifier_links)):
        others = sorted(holders.get(identifier, set()) - {customer})
        if len(others) + 1 > max_degree:
            continue  # a call centre's number links nobody
        risky = [c for c in others if c in context.risky]
        if risky:
            found.setdefault(customer, AlertCandidate(
                "high_risk_link", customer, _link_time(identifiers, customer, identifier),
                {"identifier_id": identifier, "linked_customers": risky},
                f"started using {identifier.split(':', 1)[0]} {identifier} shared with "
                f"{risky[0]} ({context.risky[risky[0]]})"
                + (f" and {len(risky) - 1} more risky customer(s)" if len(risky) > 1 else "")))
    for payer in payments.payers if payments is not None else ():
        if payer.customer_id in found:
            continue
        earlier = set(payer.payee_customer[payer.seconds < payments.start].tolist())  # type: ignore[union-attr]
        fresh = [row for row in np.flatnonzero(payer.new)
                 if payer.payee_customer[row] is not None
                 and payer.payee_customer[row] != payer.customer_id
                 and payer.payee_customer[row] not in earlier
                 and payer.payee_customer[row] in context.risky]
        if not fresh:
            continue
        other = str(payer.payee_customer[fresh[0]])
        found[payer.customer_id] = AlertCandidate(
            "high_risk_link", payer.customer_id, iso_time(payer.seconds[fresh].max()),
            {"transaction_ids": payer.ids[fresh].tolist(),
             "linked_customers": sorted({str(payer.payee_customer[r]) for r in fresh})},
            f"made a first payment to {other} ({context.risky[other]}), "
            f"{payer.ids[fresh[0]]} of {_money(payer.amount[fresh[0]])}")
    return [found[c] for c in sorted(found)]


def _link_time(identifiers: pd.DataFrame, customer: str, identifier: str) -> str:
    rows = identifiers[(identifiers["customer_id"] == customer)
                       & (identifiers["identifier_id"] == identifier)]
    seen = rows["first_seen"].dropna() if "first_seen" in rows else pd.Series(dtype=object)
    if seen.empty:
        return datetime.now(UTC).replace(microsecond=0).isoformat()
    return datetime.fromisoformat(str(seen.max())[:10]).replace(tzinfo=UTC).isoformat()


def _dispute_spikes(batch: EventBatch, context: RuleContext) -> list[AlertCandidate]:
    disputes = context.region.disputes
    if disputes.empty or not batch.dispute_ids:
        return []
    rule = context.policy.alert_rules["dispute_spike"]
    least = int(rule.param("dispute_spike", "min_disputes"))
    days = rule.param("dispute_spike", "within_days")
    opened = pd.to_datetime(disputes["opened_date"].astype(str).str[:10], errors="coerce")
    frame = disputes.assign(_opened=opened, _new=disputes["dispute_id"].isin(
        list(batch.dispute_ids))).dropna(subset=["_opened"])
    found = []
    for customer, rows in frame.groupby("customer_id", sort=True):
        if not rows["_new"].any():
            continue
        end = rows.loc[rows["_new"], "_opened"].max()
        hits = rows[(rows["_opened"] > end - pd.Timedelta(days=days)) & (rows["_opened"] <= end)]
        if len(hits) < least:
            continue
        kinds = hits["kind"].value_counts()
        found.append(AlertCandidate(
            "dispute_spike", str(customer), end.tz_localize(UTC).isoformat(),
            {"dispute_ids": hits["dispute_id"].tolist(), "count": len(hits)},
            f"{len(hits)} disputes opened within {days:g} days (mostly "
            f"{str(kinds.index[0]).replace('_', ' ')}); the rule alerts at {least}"))
    return found


def _typologies(payments: _Payments, context: RuleContext, rules: Collection[str],
                result: TypologyResult | None,
                window: tuple[int, int] | None) -> list[AlertCandidate]:
    """Typology instances that a new payment completed (their last payment is in the batch)."""
    if result is None:
        result = detect_typologies(context.region, context.typology_settings,
                                   ledger=context.ledger)
    instances = result.instances
    if instances.empty:
        return []
    known = set(context.region.customers["customer_id"])
    last = _epoch_seconds(instances["last_at"])
    if window is None:
        fresh = instances[last >= payments.start]
    else:
        fresh = instances[(last >= window[0]) & (last < window[1])]
    found: dict[tuple[str, str], AlertCandidate] = {}
    for _, instance in fresh.iterrows():
        rule = f"typology_{instance['kind']}"
        if rule not in rules:
            continue
        # A cycle has no centre: every member moved the money. A fan or a pass-through is
        # about its hub; the spokes are evidence (and join the hub's case).
        hub = instance.get("hub_customer_id")
        members = [hub] if isinstance(hub, str) and hub else list(instance["customer_ids"])
        for customer in members:
            if customer not in known or (rule, customer) in found:
                continue
            found[(rule, customer)] = AlertCandidate(
                rule, str(customer), _iso(instance["last_at"]),
                {"linked_customers": [c for c in instance["customer_ids"] if c != customer],
                 "account_ids": list(instance["account_ids"]),
                 "total_amount": float(instance["total_amount"]),
                 "transactions": int(instance["transactions"]),
                 "first_at": _iso(instance["first_at"])},
                str(instance["reason"]))
    return [found[k] for k in sorted(found)]


def _epoch_seconds(values: pd.Series) -> pd.Series:
    """Instance times (UTC timestamps, or epoch seconds) as epoch seconds."""
    if pd.api.types.is_datetime64_any_dtype(values):
        return (values.dt.tz_convert(UTC) - pd.Timestamp(0, tz=UTC)).dt.total_seconds()
    return values.astype(float)


def _iso(value: Any) -> str:
    if isinstance(value, pd.Timestamp | datetime):
        stamp = pd.Timestamp(value)
        stamp = stamp.tz_localize(UTC) if stamp.tzinfo is None else stamp.tz_convert(UTC)
        return stamp.floor("s").isoformat()
    return iso_time(float(value))


def risky_customers(region: GraphSnapshot, cluster_members: Mapping[str, float]) -> dict[str, str]:
    """Who a new link to is a warning: confirmed labels, and high-risk cluster members."""
    risky: dict[str, str] = {
        customer: f"member of a high-risk cluster, cluster score {score:.2f}"
        for customer, score in cluster_members.items() if score > 0}
    customers = region.customers.dropna(subset=["known_risk_label"])
    for customer, label in zip(customers["customer_id"], customers["known_risk_label"],
                               strict=True):
        risky[str(customer)] = f"confirmed {str(label).replace('_', ' ')}"
    return risky

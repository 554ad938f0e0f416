"""Which payment alert rules a customer's stream payments cross, tier by tier.

Why here: the stream's answer key (``stream_truth.json``) must say which alerts a planted
shape raises whatever the customer's tier, and which only for some tiers (four structuring
payments of 9,500 are above the high tier's single-payment threshold of 3,000, not the low
tier's 20,000). Evaluating the written rows against each tier's thresholds, instead of
asserting what the planter meant to do, keeps the key true under any policy file.

The rules, as the stream's key reads them (the monitoring engine is the judge; these are the
policy's own words made exact):

* ``single_payment``: one outgoing payment of at least ``alert_thresholds.single_payment``.
* ``over_transaction_limit``: one outgoing payment above ``transaction_limit``.
* ``daily_total``: a UTC calendar day's outgoing payments sum to at least ``daily_total``.
* ``new_counterparties``: at least ``new_counterparties_per_week`` distinct payees (accounts
  or counterparties) never paid before are first paid within 7 days.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from graphrisk.policy import TIERS, RiskPolicy

__all__ = ["PAYMENT_RULES", "PolicyBounds", "payment_rules"]

PAYMENT_RULES: tuple[str, ...] = (
    "single_payment",
    "over_transaction_limit",
    "daily_total",
    "new_counterparties",
)
_DAY = 86_400
_WEEK = 7 * _DAY


@dataclass(frozen=True)
class PolicyBounds:
    """The lowest and highest alert thresholds across the policy's tiers.

    Noise stays under the lowest (the high tier's, by default) so it alerts for nobody;
    planted shapes go over the highest so they alert whatever the customer's tier.
    """

    min_single: float
    max_single: float
    min_daily: float
    max_daily: float
    min_limit: float
    max_limit: float
    min_new_payees: int
    max_new_payees: int
    reporting: float
    max_identifier_degree: int

    @classmethod
    def of(cls, policy: RiskPolicy) -> PolicyBounds:
        alerts = [policy.tiers[t].alert_thresholds for t in TIERS]
        limits = [policy.tiers[t].transaction_limit for t in TIERS]
        return cls(
            min_single=min(a.single_payment for a in alerts),
            max_single=max(a.single_payment for a in alerts),
            min_daily=min(a.daily_total for a in alerts),
            max_daily=max(a.daily_total for a in alerts),
            min_limit=min(limits),
            max_limit=max(limits),
            min_new_payees=min(a.new_counterparties_per_week for a in alerts),
            max_new_payees=max(a.new_counterparties_per_week for a in alerts),
            reporting=policy.scoring.reporting_threshold,
            max_identifier_degree=policy.scoring.max_identifier_degree,
        )


def payment_rules(
    policy: RiskPolicy,
    payments: pd.DataFrame,
    known_payees: dict[int, set[int]],
) -> dict[int, dict[str, list[str]]]:
    """The payment rules each payer's stream payments cross, per tier.

    Args:
        policy: the tiers' thresholds and limits.
        payments: one row per outgoing stream payment: ``payer`` (customer code),
            ``payee`` (payee code, as :meth:`.stream_base.BaseView.payees` codes them),
            ``amount`` and ``seconds`` (UTC, since 1970).
        known_payees: payer -> payees paid before the stream (every payer must be a key).

    Returns:
        payer -> tier -> sorted names of the rules crossed (tiers as in :data:`TIERS`).
    """
    out: dict[int, dict[str, list[str]]] = {}
    for payer, group in payments.sort_values(["seconds", "payee"], kind="stable").groupby(
        "payer", sort=True
    ):
        amounts = group["amount"].to_numpy(float)
        seconds = group["seconds"].to_numpy(np.int64)
        daily = pd.Series(amounts).groupby(seconds // _DAY).sum().max()
        seen = set(known_payees[int(payer)])
        first_new: list[int] = []
        for payee, when in zip(group["payee"].tolist(), seconds.tolist(), strict=True):
            if payee not in seen:
                seen.add(payee)
                first_new.append(when)
        new_times = np.array(first_new, np.int64)
        in_week = np.searchsorted(new_times, new_times + _WEEK, side="left") - np.arange(
            len(new_times)
        )
        most_new = int(in_week.max()) if len(in_week) else 0
        by_tier: dict[str, list[str]] = {}
        for tier in TIERS:
            policy_tier = policy.tiers[tier]
            alerts = policy_tier.alert_thresholds
            crossed = {
                "single_payment": amounts.max() >= alerts.single_payment,
                "over_transaction_limit": amounts.max() > policy_tier.transaction_limit,
                "daily_total": daily >= alerts.daily_total,
                "new_counterparties": most_new >= alerts.new_counterparties_per_week,
            }
            by_tier[tier] = sorted(rule for rule, hit in crossed.items() if hit)
        out[int(payer)] = by_tier
    return out

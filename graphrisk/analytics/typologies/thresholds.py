"""The typology thresholds a bank's own data imply: amounts on its scale, windows on its rhythm.

Why: a fixed floor of 1,000 and a fortnight's window assume a bank that counts in euros and
whose launderers move money within days. A bank that counts in cents sees no transfer above
the floor; one whose rings take weeks sees none close in time. The detectors must find the
shapes, not our numbers: the floors are quantiles of the amounts the bank's customers send
each other, the windows multiples of its rhythm (the usual gap between a customer's
consecutive large transfers). Scaling every amount, or every time, scales the thresholds
with it, so the same transfers are found.
"""

from __future__ import annotations

import logging
from dataclasses import replace

import numpy as np

from graphrisk.analytics.ledger import DAY_SECONDS, TransactionLedger
from graphrisk.analytics.typologies.settings import TypologySettings

__all__ = ["MIN_SAMPLE", "derive_thresholds"]

logger = logging.getLogger(__name__)

#: Fewer transfers (or gaps) than this say nothing about a bank's scale: the fallback
#: values of :class:`TypologySettings` are kept (a hand-built bank of a dozen transfers).
MIN_SAMPLE = 100


def derive_thresholds(ledger: TransactionLedger, settings: TypologySettings) -> TypologySettings:
    """``settings`` with the thresholds named in ``from_data`` derived from the ledger.

    Amounts: ``min_amount`` is the ``amount_quantile`` and ``pass_through_min_amount`` the
    ``pass_through_quantile`` of the amounts of dated transfers between two different
    customers of ours (all dated transfers with one of ours at an end where there are too
    few of those). Windows: the bank's rhythm is the median gap between a customer's
    consecutive dated transfers of at least ``min_amount``, in or out; ``window_days`` is
    ``window_multiple`` times it, ``fan_window_days`` and ``pass_through_days``
    ``burst_fraction`` times it. A threshold whose sample is thinner than
    :data:`MIN_SAMPLE` keeps its value.

    Args:
        ledger: the snapshot's transactions, resolved to who paid whom.
        settings: the thresholds to start from; those not in ``from_data`` are kept.

    Returns:
        The settings the detectors use; ``from_data`` names the thresholds actually derived.
    """
    wanted = set(settings.from_data or ())
    if not wanted:
        return settings
    payer, payee = ledger.payer, ledger.payee
    has_payer = (payer >= 0) | (ledger.payer_counterparty >= 0)
    has_payee = (payee >= 0) | (ledger.payee_counterparty >= 0)
    usable = has_payer & has_payee & ((payer >= 0) | (payee >= 0)) & (payer != payee)
    usable &= ledger.timed & (ledger.amount > 0)
    between = usable & (payer >= 0) & (payee >= 0)
    sample = ledger.amount[between if between.sum() >= MIN_SAMPLE else usable]

    values: dict[str, float] = {}
    if len(sample) >= MIN_SAMPLE:
        if "min_amount" in wanted:
            values["min_amount"] = float(np.quantile(sample, settings.amount_quantile))
        if "pass_through_min_amount" in wanted:
            values["pass_through_min_amount"] = float(
                np.quantile(sample, settings.pass_through_quantile))
    floor = values.get("min_amount", settings.min_amount)
    rhythm = _rhythm_days(ledger, usable & (ledger.amount >= floor))
    if rhythm is not None:
        for name, factor in (("window_days", settings.window_multiple),
                             ("fan_window_days", settings.burst_fraction),
                             ("pass_through_days", settings.burst_fraction)):
            if name in wanted:
                values[name] = factor * rhythm
    if values:
        logger.info("typology thresholds from the data: %s",
                    ", ".join(f"{k} {v:,.4g}" for k, v in values.items()))
    return replace(settings, **values, from_data=tuple(n for n in settings.from_data or ()
                                                       if n in values))


def _rhythm_days(ledger: TransactionLedger, large: np.ndarray) -> float | None:
    """Median days between a customer's consecutive large transfers (in or out), or
    ``None`` with fewer than :data:`MIN_SAMPLE` gaps. Transfers at the same second (one
    payment split over accounts) are one."""
    rows = np.flatnonzero(large)
    customer = np.concatenate((ledger.payer[rows], ledger.payee[rows]))
    seconds = np.concatenate((ledger.seconds[rows], ledger.seconds[rows]))
    ours = customer >= 0
    customer, seconds = customer[ours], seconds[ours].astype(np.int64)
    order = np.lexsort((seconds, customer))
    customer, seconds = customer[order], seconds[order]
    same = customer[1:] == customer[:-1]
    gaps = np.diff(seconds)[same]
    gaps = gaps[gaps > 0]
    if len(gaps) < MIN_SAMPLE:
        return None
    return float(np.median(gaps)) / DAY_SECONDS

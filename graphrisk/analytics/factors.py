"""Individual risk factors: a row of named, explainable numbers per customer.

Why: before any graph propagation or model, an analyst wants to know what is unusual about one
customer on their own — a low credit score, disputes, payments just under the reporting
threshold, a burst of account changes. Each factor here is one plain number with a plain
meaning, so a score built on them can be explained line by line ("7 payments just under the
10,000 reporting threshold").

The factors; each says what it measures, then why it signals risk:

``credit_score_risk``
    ``(850 - credit_score) / 550``, clipped to ``[0, 1]``; a missing score gets the population
    median. Weak credit goes with default, fraud and mule recruitment.
``dispute_count`` / ``dispute_amount``
    Disputes the customer raised (any kind) and their total amount. Disputes cluster around
    first-party ("friendly") fraud, and large disputed sums cost the most.
``fraud_claims``
    Disputes of kind ``fraud_claim``. Repeated "it wasn't me" claims are a classic
    first-party fraud pattern.
``high_risk_industry`` / ``high_risk_country``
    1 when the customer's industry / country of residence is on the high-risk list, else 0.
    Cash-intensive trades and secrecy jurisdictions are where money is laundered.
``large_txn_ratio``
    The largest outgoing payment over the customer's median outgoing payment (1 without
    payments). A payment far above the customer's own norm is how takeovers cash out.
``account_changes_30d_max``
    The most detail changes (address, phone, password, device...) on one of the customer's
    accounts within any 30 days. Takeovers change contact details in a burst, so that the
    owner stops getting alerts.
``velocity_burst``
    The most transactions in any 24 hours over the customer's average per day (since
    onboarding, within the data), the average floored at one so that two payments on a
    quiet customer's day are no burst. Mules move money fast, unlike the owner's rhythm.
``odd_hours_share``
    Share of outgoing payments made between 00:00 and 05:00. Automated or remotely
    controlled activity runs while the owner sleeps.
``round_amount_share``
    Share of transactions of at least 1,000 (in or out) that are whole multiples of 100.
    Layering moves invented round sums; real purchases and bills are rarely round.
``structuring_count``
    Transactions (in or out) in ``[0.9 * threshold, threshold)``. Splitting cash to stay
    under the reporting threshold is itself an offence.
``high_risk_counterparty_share``
    Share of the outgoing amount sent to counterparties, or other customers, in a high-risk
    country or industry. Money sent there is hard to follow.
``pass_through_ratio``
    ``min(in, out) / max(in, out)`` of all money into and out of the customer's accounts,
    0 unless both are at least the reporting threshold. An account where large sums arrive
    and leave again is a conduit, not a wallet.
``kyc_not_verified``
    1 when the know-your-customer status is not ``verified``. Unverified identities hide
    synthetic or stolen ones.

Customers reach transactions, disputes and account changes through the accounts they own
(``accounts.customer_id``); co-holders are not counted yet. Transfers between two accounts of
the same customer are ignored: moving one's own savings is no signal. Timestamps are read as
stored (UTC), so "odd hours" are UTC hours.

Every factor grows with risk, so :func:`factor_percentiles` can rank them all the same way and
:func:`explain_factors` can name a customer's most unusual ones.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pyarrow as pa

from graphrisk.analytics.arrow_columns import id_keys, id_positions, iso_seconds
from graphrisk.graph import GraphSnapshot

__all__ = [
    "DEFAULT_HIGH_RISK_COUNTRIES",
    "DEFAULT_HIGH_RISK_INDUSTRIES",
    "DEFAULT_REPORTING_THRESHOLD",
    "FACTOR_COLUMNS",
    "FACTOR_DESCRIPTIONS",
    "compute_risk_factors",
    "explain_all_factors",
    "explain_factors",
    "factor_percentiles",
]

# Defaults copied from ``ingestion.generator`` (HIGH_RISK_INDUSTRIES, HIGH_RISK_COUNTRIES,
# REPORTING_THRESHOLD) so the synthetic data is scored with the lists it was planted with.
# graphrisk must not import ingestion; a bank passes its own lists instead.
DEFAULT_HIGH_RISK_INDUSTRIES: frozenset[str] = frozenset(
    {"gambling", "crypto_exchange", "money_service"}
)
DEFAULT_HIGH_RISK_COUNTRIES: frozenset[str] = frozenset({"AE", "CY", "KY", "MT", "PA", "VG"})
DEFAULT_REPORTING_THRESHOLD = 10_000.0

#: Plain-language description of each factor, in column order.
FACTOR_DESCRIPTIONS: dict[str, str] = {
    "credit_score_risk": "how weak the credit score is (0 best, 1 worst)",
    "dispute_count": "disputes and chargebacks raised",
    "dispute_amount": "total amount disputed",
    "fraud_claims": "fraud claims filed",
    "high_risk_industry": "works in a high-risk industry",
    "high_risk_country": "lives in a high-risk country",
    "large_txn_ratio": "largest payment compared with the customer's usual payment",
    "account_changes_30d_max": "changes to one account's details within 30 days",
    "velocity_burst": "busiest 24 hours compared with the customer's usual day",
    "odd_hours_share": "share of payments made between midnight and 5 am",
    "round_amount_share": "share of large transactions in round amounts",
    "structuring_count": "payments just under the reporting threshold",
    "high_risk_counterparty_share": "share of money sent to high-risk countries or industries",
    "pass_through_ratio": "how closely large money in matches money out",
    "kyc_not_verified": "identity check (KYC) not verified",
}
#: The factor columns of :func:`compute_risk_factors`, in order (after ``customer_id``).
FACTOR_COLUMNS: tuple[str, ...] = tuple(FACTOR_DESCRIPTIONS)

_DAY = 86_400
_ODD_HOURS = (0, 5)  # [start, end) hour of the day
_ROUND_UNIT = 100.0
_ROUND_MINIMUM = 1_000.0
_SCORE_RANGE = (300.0, 850.0)


def compute_risk_factors(
    snapshot: GraphSnapshot,
    *,
    reporting_threshold: float = DEFAULT_REPORTING_THRESHOLD,
    high_risk_industries: frozenset[str] = DEFAULT_HIGH_RISK_INDUSTRIES,
    high_risk_countries: frozenset[str] = DEFAULT_HIGH_RISK_COUNTRIES,
) -> pd.DataFrame:
    """Individual risk factors of every customer in a snapshot.

    Args:
        snapshot: the graph as DataFrames (see :class:`~graphrisk.store.base.GraphSnapshot`).
        reporting_threshold: amount at or above which transactions are reported; structuring
            counts amounts in ``[0.9 * threshold, threshold)`` and pass-through needs money
            in and out of at least this much.
        high_risk_industries: industry codes treated as high-risk (compared lower-case).
        high_risk_countries: ISO 3166-1 alpha-2 codes treated as high-risk (upper-case).

    Returns:
        One row per customer, sorted by ``customer_id``, with ``customer_id`` and then the
        columns of :data:`FACTOR_COLUMNS` (counts and flags as ``int64``, the rest
        ``float64``); every factor grows with risk. The module docstring says what each one
        measures and why.

    Raises:
        ValueError: ``reporting_threshold`` is not positive.
    """
    if not reporting_threshold > 0:
        raise ValueError(f"reporting_threshold must be positive, got {reporting_threshold}")
    industries = frozenset(i.lower() for i in high_risk_industries)
    countries = frozenset(c.upper() for c in high_risk_countries)

    customers = (
        snapshot.customers.drop_duplicates("customer_id")
        .sort_values("customer_id")
        .reset_index(drop=True)
    )
    customer_ids = id_keys(customers["customer_id"])
    n = len(customers)
    account_ids = id_keys(snapshot.accounts["account_id"])
    account_owner = id_positions(snapshot.accounts["customer_id"], customer_ids)

    profile_industry = _isin(_text(customers["industry"]).str.lower(), industries)
    profile_country = _isin(_text(customers["country"]).str.upper(), countries)
    legs = _Legs.build(snapshot, account_ids, account_owner)

    columns: dict[str, np.ndarray] = {
        "credit_score_risk": _credit_score_risk(customers["credit_score"]),
        **_dispute_factors(snapshot.disputes, customer_ids),
        "high_risk_industry": profile_industry.astype(np.int64),
        "high_risk_country": profile_country.astype(np.int64),
        "large_txn_ratio": _large_txn_ratio(legs, n),
        "account_changes_30d_max": _account_change_burst(
            snapshot.account_changes, account_ids, account_owner, n
        ),
        "velocity_burst": _velocity_burst(legs, customers["onboarding_date"], n),
        "odd_hours_share": _share(legs.out_customer, legs.out_odd_hour(), n),
        "round_amount_share": _round_amount_share(legs, n),
        "structuring_count": _structuring_count(legs, reporting_threshold, n),
        "high_risk_counterparty_share": _high_risk_counterparty_share(
            snapshot.counterparties,
            legs,
            profile_industry | profile_country,
            industries,
            countries,
            n,
        ),
        "pass_through_ratio": _pass_through_ratio(legs, reporting_threshold, n),
        "kyc_not_verified": (
            _text(customers["kyc_status"])
            .str.lower()
            .ne("verified")
            .fillna(True)
            .to_numpy(dtype=bool)
        ).astype(np.int64),
    }
    frame = pd.DataFrame({"customer_id": customers["customer_id"]})
    for name in FACTOR_COLUMNS:
        frame[name] = columns[name]
    return frame


def factor_percentiles(factors: pd.DataFrame) -> pd.DataFrame:
    """Where each customer stands on each factor, as the share of customers strictly below.

    Why "strictly below": most customers share a factor's common value (no disputes, no
    structuring), and all of them get a low percentile, so a value only counts as unusual
    when few customers reach it.

    Args:
        factors: the output of :func:`compute_risk_factors` (any subset of its factor
            columns, with ``customer_id``).

    Returns:
        ``customer_id`` and one column per factor present, in ``[0, 1)``; higher is riskier.
    """
    present = [c for c in FACTOR_COLUMNS if c in factors.columns]
    n = max(len(factors), 1)
    ranks = factors[present].rank(method="min", ascending=True)
    percentiles = (ranks - 1.0) / n
    percentiles.insert(0, "customer_id", factors["customer_id"].to_numpy())
    return percentiles.reset_index(drop=True)


def explain_factors(
    row: pd.Series,
    percentiles: pd.Series,
    top: int = 3,
    *,
    min_percentile: float = 0.9,
    reporting_threshold: float = DEFAULT_REPORTING_THRESHOLD,
) -> list[str]:
    """Readable reasons for a customer's most unusual factors, with their numbers.

    Args:
        row: the customer's row of :func:`compute_risk_factors` (raw values).
        percentiles: the same customer's row of :func:`factor_percentiles`.
        top: at most this many reasons.
        min_percentile: factors below this percentile are not unusual enough to name.
        reporting_threshold: the threshold used for the factors, quoted in the reason.

    Returns:
        Reasons, most unusual first (ties in column order), e.g.
        ``"7 payments just under the 10,000 reporting threshold"``; empty when nothing
        stands out.
    """
    if top < 1:
        return []
    candidates = []
    for order, name in enumerate(FACTOR_COLUMNS):
        if name not in row.index or name not in percentiles.index:
            continue
        value, pct = row[name], percentiles[name]
        if pd.isna(value) or pd.isna(pct) or pct < min_percentile or value == 0:
            continue
        candidates.append((-float(pct), order, name, float(value)))
    candidates.sort()
    return [_REASONS[name](value, reporting_threshold) for _, _, name, value in candidates[:top]]


def explain_all_factors(
    factors: pd.DataFrame,
    percentiles: pd.DataFrame,
    top: int = 3,
    *,
    min_percentile: float = 0.9,
    reporting_threshold: float = DEFAULT_REPORTING_THRESHOLD,
) -> pd.Series:
    """:func:`explain_factors` for every customer at once.

    Why a second function: scoring explains every customer, and calling the one-row version
    100,000 times takes minutes; this picks each customer's most unusual factors with one
    sort and formats only the reasons that are kept.

    Args:
        factors: the output of :func:`compute_risk_factors`.
        percentiles: the output of :func:`factor_percentiles` for the same customers, in the
            same order.
        top: at most this many reasons per customer.
        min_percentile: factors below this percentile are not unusual enough to name.
        reporting_threshold: the threshold used for the factors, quoted in the reason.

    Returns:
        A list of reasons per ``customer_id``, most unusual first (ties in column order).
    """
    present = [c for c in FACTOR_COLUMNS if c in factors.columns and c in percentiles.columns]
    values = factors[present].to_numpy(dtype=float)
    pct = percentiles[present].to_numpy(dtype=float)
    usable = (pct >= min_percentile) & (values != 0) & ~np.isnan(values) & ~np.isnan(pct)
    ranked = np.where(usable, pct, -1.0)
    # Stable sort on the negated percentile keeps column order among ties.
    order = np.argsort(-ranked, axis=1, kind="stable")[:, : max(top, 0)]
    reasons: list[list[str]] = []
    for row in range(len(values)):
        chosen = [c for c in order[row] if usable[row, c]]
        reasons.append([_REASONS[present[c]](values[row, c], reporting_threshold)
                        for c in chosen])
    return pd.Series(reasons, index=pd.Index(factors["customer_id"], name="customer_id"),
                     name="factor_reasons", dtype=object)


# --------------------------------------------------------------------------------------------
# Reasons
# --------------------------------------------------------------------------------------------


def _score_from_risk(risk: float) -> float:
    low, high = _SCORE_RANGE
    return high - risk * (high - low)


def _plural(count: float, word: str) -> str:
    return word if round(count) == 1 else f"{word}s"


_REASONS: dict[str, Callable[[float, float], str]] = {
    "credit_score_risk": lambda v, t: f"low credit score (about {_score_from_risk(v):.0f})",
    "dispute_count": lambda v, t: f"{v:.0f} {_plural(v, 'dispute')} raised",
    "dispute_amount": lambda v, t: f"{v:,.0f} disputed in total",
    "fraud_claims": lambda v, t: f"{v:.0f} fraud {_plural(v, 'claim')} filed",
    "high_risk_industry": lambda v, t: "works in a high-risk industry",
    "high_risk_country": lambda v, t: "lives in a high-risk country",
    "large_txn_ratio": lambda v, t: f"largest payment is {v:.1f} times their typical payment",
    "account_changes_30d_max": lambda v, t: (
        f"{v:.0f} {_plural(v, 'change')} to one account's details within 30 days"
    ),
    "velocity_burst": lambda v, t: (
        f"busiest 24 hours saw {v:.1f} times their usual daily transactions"
    ),
    "odd_hours_share": lambda v, t: f"{v:.0%} of payments made between midnight and 5 am",
    "round_amount_share": lambda v, t: f"{v:.0%} of large transactions in round amounts",
    "structuring_count": lambda v, t: (
        f"{v:.0f} {_plural(v, 'payment')} just under the {t:,.0f} reporting threshold"
    ),
    "high_risk_counterparty_share": lambda v, t: (
        f"{v:.0%} of money sent goes to high-risk countries or industries"
    ),
    "pass_through_ratio": lambda v, t: (
        f"money in and out match to {v:.0%}: large sums pass straight through"
    ),
    "kyc_not_verified": lambda v, t: "identity check (KYC) not verified",
}


# --------------------------------------------------------------------------------------------
# Private implementation
# --------------------------------------------------------------------------------------------


class _Legs:
    """Each transaction seen from the customers who own its two ends.

    ``out_*`` arrays hold one entry per transaction leaving a customer's account, ``in_*``
    one per transaction arriving at one; transfers between two accounts of one customer
    appear in neither.
    """

    def __init__(
        self,
        out_customer: np.ndarray,
        out_amount: np.ndarray,
        out_seconds: np.ndarray,
        out_to_cp: np.ndarray,
        out_to_customer: np.ndarray,
        in_customer: np.ndarray,
        in_amount: np.ndarray,
        in_seconds: np.ndarray,
    ) -> None:
        self.out_customer = out_customer
        self.out_amount = out_amount
        self.out_seconds = out_seconds  # int64 seconds since 1970; -1 where unknown
        self.out_to_cp = out_to_cp  # rows of snapshot.counterparties, -1 for none
        self.out_to_customer = out_to_customer  # customer codes, -1 for none
        self.in_customer = in_customer
        self.in_amount = in_amount
        self.in_seconds = in_seconds

    @classmethod
    def build(
        cls, snapshot: GraphSnapshot, account_ids: pa.Array, account_owner: np.ndarray
    ) -> _Legs:
        txns = snapshot.transactions
        owner_lookup = np.append(account_owner, -1)  # position -1 (no account) -> -1
        from_owner = owner_lookup[id_positions(txns["from_account_id"], account_ids)]
        to_owner = owner_lookup[id_positions(txns["to_account_id"], account_ids)]
        amount = pd.to_numeric(txns["amount"], errors="coerce").to_numpy(dtype=float)
        amount = np.nan_to_num(amount, nan=0.0)
        seconds = iso_seconds(txns["timestamp"])
        to_cp = id_positions(
            txns["to_counterparty_id"], id_keys(snapshot.counterparties["counterparty_id"])
        )
        internal = from_owner == to_owner
        out = (from_owner >= 0) & ~internal
        inn = (to_owner >= 0) & ~internal
        return cls(
            out_customer=from_owner[out],
            out_amount=amount[out],
            out_seconds=seconds[out],
            out_to_cp=to_cp[out],
            out_to_customer=to_owner[out],
            in_customer=to_owner[inn],
            in_amount=amount[inn],
            in_seconds=seconds[inn],
        )

    def all_customer(self) -> np.ndarray:
        return np.concatenate((self.out_customer, self.in_customer))

    def all_amount(self) -> np.ndarray:
        return np.concatenate((self.out_amount, self.in_amount))

    def all_seconds(self) -> np.ndarray:
        return np.concatenate((self.out_seconds, self.in_seconds))

    def out_odd_hour(self) -> np.ndarray:
        hour = (self.out_seconds % _DAY) // 3_600
        return (self.out_seconds >= 0) & (hour >= _ODD_HOURS[0]) & (hour < _ODD_HOURS[1])


def _text(values: pd.Series) -> pd.Series:
    """A column as pandas strings, even where every value is missing (a float column)."""
    return values.astype("string")


def _isin(values: pd.Series, allowed: frozenset[str]) -> np.ndarray:
    return values.isin(list(allowed)).fillna(False).to_numpy(dtype=bool)


def _count(codes: np.ndarray, n: int, weights: np.ndarray | None = None) -> np.ndarray:
    """Per customer code ``0..n-1``, the number (or weighted sum) of entries; -1s dropped."""
    keep = codes >= 0
    w = None if weights is None else weights[keep]
    return np.bincount(codes[keep], weights=w, minlength=n)[:n]


def _share(codes: np.ndarray, hit: np.ndarray, n: int) -> np.ndarray:
    """Per customer, the share of their entries where ``hit`` is true (0 without entries)."""
    total = _count(codes, n)
    hits = _count(codes[hit], n)
    return np.divide(hits, total, out=np.zeros(n), where=total > 0)


def _credit_score_risk(scores: pd.Series) -> np.ndarray:
    low, high = _SCORE_RANGE
    values = pd.to_numeric(scores, errors="coerce").to_numpy(dtype=float)
    risk = np.clip((high - values) / (high - low), 0.0, 1.0)
    known = ~np.isnan(risk)
    neutral = float(np.median(risk[known])) if known.any() else 0.5
    return np.where(known, risk, neutral)


def _dispute_factors(disputes: pd.DataFrame, customer_ids: pa.Array) -> dict[str, np.ndarray]:
    n = len(customer_ids)
    codes = id_positions(disputes["customer_id"], customer_ids)
    amount = pd.to_numeric(disputes["amount"], errors="coerce").fillna(0.0).to_numpy(dtype=float)
    fraud = _text(disputes["kind"]).str.lower().eq("fraud_claim").fillna(False).to_numpy(dtype=bool)
    return {
        "dispute_count": _count(codes, n).astype(np.int64),
        "dispute_amount": _count(codes, n, amount).astype(float),
        "fraud_claims": _count(codes[fraud], n).astype(np.int64),
    }


def _large_txn_ratio(legs: _Legs, n: int) -> np.ndarray:
    ratio = np.ones(n)
    if len(legs.out_customer) == 0:
        return ratio
    stats = (
        pd.DataFrame({"c": legs.out_customer, "a": legs.out_amount})
        .groupby("c", sort=False)["a"]
        .agg(["max", "median"])
    )
    codes = stats.index.to_numpy()
    largest, median = stats["max"].to_numpy(), stats["median"].to_numpy()
    ratio[codes] = np.divide(largest, median, out=np.ones(len(codes)), where=median > 0)
    return ratio


def _max_in_window(group: np.ndarray, seconds: np.ndarray, window: int, n: int) -> np.ndarray:
    """Per group code ``0..n-1``, the most events inside any ``[t, t + window)`` interval."""
    result = np.zeros(n, dtype=np.int64)
    keep = (group >= 0) & (seconds >= 0)
    group, seconds = group[keep], seconds[keep]
    if len(group) == 0:
        return result
    offset = seconds - seconds.min()
    # One sorted key per event: groups far enough apart that no window spans two of them.
    span = int(offset.max()) + window + 1
    key = np.sort(group.astype(np.int64) * span + offset)
    counts = np.searchsorted(key, key + window, side="left") - np.arange(len(key))
    code = key // span
    starts = np.flatnonzero(np.r_[True, code[1:] != code[:-1]])
    result[code[starts]] = np.maximum.reduceat(counts, starts)
    return result


def _account_change_burst(
    changes: pd.DataFrame, account_ids: pa.Array, account_owner: np.ndarray, n: int
) -> np.ndarray:
    account = id_positions(changes["account_id"], account_ids)
    per_account = _max_in_window(
        account, iso_seconds(changes["timestamp"]), 30 * _DAY, len(account_ids)
    )
    result = np.zeros(n, dtype=np.int64)
    owned = account_owner >= 0
    np.maximum.at(result, account_owner[owned], per_account[owned])
    return result


def _velocity_burst(legs: _Legs, onboarding: pd.Series, n: int) -> np.ndarray:
    """Busiest 24 hours over the customer's average day, the average floored at one."""
    customer, seconds = legs.all_customer(), legs.all_seconds()
    timed = seconds >= 0
    customer, seconds = customer[timed], seconds[timed]
    if len(customer) == 0:
        return np.zeros(n)
    busiest = _max_in_window(customer, seconds, _DAY, n)
    period_start, period_end = int(seconds.min()), int(seconds.max())
    # The customer's own period: from onboarding (or their first transaction, if earlier;
    # never before the data starts) to the end of the data.
    first = np.full(n, period_end, dtype=np.int64)
    np.minimum.at(first, customer, seconds)
    onboard = iso_seconds(onboarding)
    onboard = np.where(onboard >= 0, onboard, period_start)
    start = np.maximum(period_start, np.minimum(onboard, first))
    days = np.maximum((period_end - start) / _DAY, 1.0)
    per_day = np.maximum(_count(customer, n) / days, 1.0)
    return busiest / per_day


def _round_amount_share(legs: _Legs, n: int) -> np.ndarray:
    customer, amount = legs.all_customer(), legs.all_amount()
    large = amount >= _ROUND_MINIMUM
    customer, amount = customer[large], amount[large]
    rounded = np.abs(amount - np.round(amount / _ROUND_UNIT) * _ROUND_UNIT) < 0.005
    return _share(customer, rounded, n)


def _structuring_count(legs: _Legs, threshold: float, n: int) -> np.ndarray:
    amount = legs.all_amount()
    just_under = (amount >= 0.9 * threshold) & (amount < threshold)
    return _count(legs.all_customer()[just_under], n).astype(np.int64)


def _high_risk_counterparty_share(
    counterparties: pd.DataFrame,
    legs: _Legs,
    customer_high_risk: np.ndarray,
    industries: frozenset[str],
    countries: frozenset[str],
    n: int,
) -> np.ndarray:
    """Share of the outgoing amount whose receiver (an outside counterparty or another
    customer) is in a high-risk country or industry."""
    risky_cp = _isin(_text(counterparties["country"]).str.upper(), countries) | _isin(
        _text(counterparties["industry"]).str.lower(), industries
    )
    to_risky_cp = np.append(risky_cp, False)[legs.out_to_cp]  # position -1 -> False
    risky_lookup = np.append(customer_high_risk, False)  # index -1 (no customer) -> False
    to_risky_customer = risky_lookup[legs.out_to_customer]
    risky = to_risky_cp | to_risky_customer
    total = _count(legs.out_customer, n, legs.out_amount)
    sent = _count(legs.out_customer[risky], n, legs.out_amount[risky])
    return np.divide(sent, total, out=np.zeros(n), where=total > 0)


def _pass_through_ratio(legs: _Legs, threshold: float, n: int) -> np.ndarray:
    money_in = _count(legs.in_customer, n, legs.in_amount)
    money_out = _count(legs.out_customer, n, legs.out_amount)
    low, high = np.minimum(money_in, money_out), np.maximum(money_in, money_out)
    return np.divide(low, high, out=np.zeros(n), where=low >= threshold)

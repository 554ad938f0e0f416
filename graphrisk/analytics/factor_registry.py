"""The factor registry: every individual risk factor, defined once, in one entry.

Why: a factor used to be spelled out in eight places — the column list, its description, its
computation, its reason sentence, the GNN's feature list and its scaling, and the GNN's own
copy of the per-transaction rules. Now each factor is one :class:`Factor` in :data:`FACTORS`,
and everything else derives from that tuple: :data:`~graphrisk.analytics.factors.FACTOR_COLUMNS`
and ``FACTOR_DESCRIPTIONS``, the reasons of
:func:`~graphrisk.analytics.factors.explain_all_factors`, and the GNN's factor features
(:func:`scale_for_model`).

Adding a factor: write its computation (a function of :class:`FactorInputs` returning one
value per customer code, growing with risk), add one ``Factor(...)`` entry to
:data:`FACTORS`, and a test that a customer built to have it gets the expected value. The
registry test checks that it has a description and a reason sentence.

Each factor's computation says what it measures and why that signals risk. Customers reach
transactions, disputes and account changes through the accounts they own
(``accounts.customer_id``); co-holders are not counted yet. Transfers between two accounts of
the same customer are ignored: moving one's own savings is no signal. Timestamps are read as
stored (UTC), so "odd hours" are UTC hours.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from functools import cached_property
from typing import Literal

import numpy as np
import pandas as pd
import pyarrow as pa
from scipy.special import pdtrik

from graphrisk.analytics.arrow_columns import id_keys, id_positions, iso_seconds
from graphrisk.analytics.ledger import DAY_SECONDS, TransactionLedger
from graphrisk.analytics.typologies.settings import TypologySettings

__all__ = [
    "FACTORS",
    "Factor",
    "FactorInputs",
    "ModelScaling",
    "PopulationConstants",
    "factor_named",
    "scale_for_model",
]

#: How a model (the GNN) is fed a factor before standardising: ``identity`` for values that
#: are already on a small scale (shares, flags, 0-1 risks), ``log1p`` for long-tailed counts,
#: amounts and ratios (negative values clipped to 0 first).
ModelScaling = Literal["identity", "log1p"]

_SCORE_RANGE = (300.0, 850.0)


@dataclass(frozen=True)
class Factor:
    """One individual risk factor.

    Attributes:
        name: the column name (snake_case).
        description: plain language, for tables and explanations ("disputes and
            chargebacks raised").
        compute: the values per customer code (``inputs.n`` of them) from
            :class:`FactorInputs`; larger is riskier.
        reason: the sentence that names the customer's value, from ``(value,
            reporting_threshold)`` ("7 payments just under the 10,000 reporting threshold").
        model_scaling: how the GNN scales it (:data:`ModelScaling`).
        integer: counts and flags are ``int64``; the rest ``float64``.
        notable: the least value worth a reason (``None``: any value above 0). For ratios
            whose everyday values are well above 0 (a largest payment is always at least the
            typical one), so that a reason is only given for a value a person would call
            unusual, whatever its percentile.
    """

    name: str
    description: str
    compute: Callable[[FactorInputs], np.ndarray]
    reason: Callable[[float, float], str]
    model_scaling: ModelScaling = "identity"
    integer: bool = False
    notable: float | None = None

    def scale(self, values: np.ndarray) -> np.ndarray:
        """The values as a model is fed them (see :attr:`model_scaling`)."""
        values = np.asarray(values, dtype=np.float64)
        if self.model_scaling == "log1p":
            return np.log1p(np.clip(values, 0.0, None))
        return values


@dataclass(frozen=True)
class PopulationConstants:
    """The population-level numbers that some factors compare a customer with.

    Why explicit: ``velocity_burst`` measures a customer's rhythm over the data's time span
    and ``credit_score_risk`` fills a missing credit score with the population's median.
    Computed on the data at hand, both follow that data: on the whole graph (a full run)
    they are the population's, but on a *region* (the few customers incremental re-scoring
    reads) they are the region's, and a quiet customer's factors jumped from one
    incremental run to the next although nothing about them changed. A full run captures
    them (:meth:`of`), the individual model keeps them, and re-scoring passes them back.

    Attributes:
        period_start: when the data's first timed payment between a customer and someone
            else happened (epoch seconds); ``None`` when there is none.
        period_end: the same, for the last one.
        credit_neutral: the ``credit_score_risk`` of a customer without a credit score: the
            population's median (0.5 when nobody has a score).
        typologies: the typology detectors' thresholds the full run derived from the whole
            bank's transfers (:func:`~graphrisk.analytics.typologies.thresholds.
            derive_thresholds`), so that re-scoring a region searches it on the bank's scale,
            not the region's; ``None`` where not known (a model saved before they were kept).
    """

    period_start: int | None
    period_end: int | None
    credit_neutral: float
    typologies: TypologySettings | None = None

    @classmethod
    def of(cls, inputs: FactorInputs) -> PopulationConstants:
        """The constants of the data ``inputs`` hold (what the factors use by default)."""
        _, seconds = inputs.timed_legs
        risk = inputs.credit_risk
        known = ~np.isnan(risk)
        return cls(
            period_start=int(seconds.min()) if len(seconds) else None,
            period_end=int(seconds.max()) if len(seconds) else None,
            credit_neutral=float(np.median(risk[known])) if known.any() else 0.5,
        )

    def widened(self, other: PopulationConstants) -> PopulationConstants:
        """These constants with the time span stretched to cover ``other``'s.

        Why: events loaded after the full run extend the data, as a full re-score would
        see; the credit neutral and the typology thresholds stay the population's (a
        region's are no better).
        """
        def pick(a: int | None, b: int | None, how: Callable[[int, int], int]) -> int | None:
            return b if a is None else a if b is None else how(a, b)

        return PopulationConstants(pick(self.period_start, other.period_start, min),
                                   pick(self.period_end, other.period_end, max),
                                   self.credit_neutral, self.typologies)


class FactorInputs:
    """What the factor computations read, each shared piece derived once.

    Args:
        ledger: the snapshot's transaction ledger (customer codes, transactions).
        high_risk_industries: industry codes treated as high-risk (compared lower-case).
        high_risk_countries: ISO 3166-1 alpha-2 codes treated as high-risk (upper-case).
        population: the population-level constants to compare with; by default those of
            the ledger's own data (:meth:`PopulationConstants.of`).
    """

    def __init__(
        self,
        ledger: TransactionLedger,
        high_risk_industries: Collection[str],
        high_risk_countries: Collection[str],
        population: PopulationConstants | None = None,
    ) -> None:
        self.ledger = ledger
        self.snapshot = ledger.snapshot
        self.customers = ledger.customers
        self.n = ledger.n_customers
        self.industries = frozenset(i.lower() for i in high_risk_industries)
        self.countries = frozenset(c.upper() for c in high_risk_countries)
        self._population = population

    @cached_property
    def population(self) -> PopulationConstants:
        """The constants given, else those of this data."""
        if self._population is not None:
            return self._population
        return PopulationConstants.of(self)

    @cached_property
    def timed_legs(self) -> tuple[np.ndarray, np.ndarray]:
        """Customer code and epoch seconds of every leg with a timestamp (out, then in)."""
        legs = self.legs
        customer, seconds = legs.all_customer, legs.all_of(self.ledger.seconds)
        timed = seconds >= 0
        return customer[timed], seconds[timed]

    @cached_property
    def credit_risk(self) -> np.ndarray:
        """``(850 - credit_score) / 550`` clipped to ``[0, 1]``; NaN without a score."""
        low, high = _SCORE_RANGE
        values = pd.to_numeric(self.customers["credit_score"], errors="coerce").to_numpy(float)
        return np.clip((high - values) / (high - low), 0.0, 1.0)

    @property
    def reporting_threshold(self) -> float:
        return self.ledger.reporting_threshold

    @cached_property
    def customer_keys(self) -> pa.Array:
        return id_keys(self.customers["customer_id"])

    @cached_property
    def profile_industry(self) -> np.ndarray:
        return _isin(_text(self.customers["industry"]).str.lower(), self.industries)

    @cached_property
    def profile_country(self) -> np.ndarray:
        return _isin(_text(self.customers["country"]).str.upper(), self.countries)

    @cached_property
    def legs(self) -> Legs:
        return Legs.build(self.ledger)

    @cached_property
    def dispute_codes(self) -> np.ndarray:
        """Per dispute row, the code of the complainant whose risk it counts as; -1 for a
        dispute upheld against an accused it names (see :func:`dispute_count`)."""
        disputes = self.snapshot.disputes
        codes = id_positions(disputes["customer_id"], self.customer_keys)
        return np.where(_names_accused(disputes) & _status_is(disputes, "upheld"), -1, codes)

    @cached_property
    def received_codes(self) -> np.ndarray:
        """Per dispute row, the code of the accused customer it counts against; -1 for a
        dispute naming no customer of this data, or rejected (the accused was cleared)."""
        disputes = self.snapshot.disputes
        if "against_customer_id" not in disputes.columns:
            return np.full(len(disputes), -1, dtype=np.int64)
        codes = id_positions(disputes["against_customer_id"], self.customer_keys)
        return np.where(_status_is(disputes, "rejected"), -1, codes)


class Legs:
    """Each transaction seen from the customers who own its two ends.

    ``out`` selects the transactions leaving a customer's account, ``in_`` those arriving at
    one, each in ledger row order; transfers between two accounts of one customer are in
    neither. ``all_*`` concatenate the out legs and then the in legs.
    """

    def __init__(self, ledger: TransactionLedger, out: np.ndarray, in_: np.ndarray) -> None:
        self.ledger = ledger
        self.out = out
        self.in_ = in_
        self.out_customer = ledger.payer[out]
        self.out_amount = ledger.amount[out]
        self.in_customer = ledger.payee[in_]
        self.in_amount = ledger.amount[in_]

    @classmethod
    def build(cls, ledger: TransactionLedger) -> Legs:
        external = ledger.payer != ledger.payee
        return cls(ledger, (ledger.payer >= 0) & external, (ledger.payee >= 0) & external)

    def all_of(self, values: np.ndarray) -> np.ndarray:
        """A per-transaction array, out legs then in legs."""
        return np.concatenate((values[self.out], values[self.in_]))

    @cached_property
    def all_customer(self) -> np.ndarray:
        return np.concatenate((self.out_customer, self.in_customer))


# --------------------------------------------------------------------------------------------
# Computations; each says what it measures, then why it signals risk
# --------------------------------------------------------------------------------------------


def credit_score_risk(inputs: FactorInputs) -> np.ndarray:
    """``(850 - credit_score) / 550`` clipped to ``[0, 1]``; a missing score gets the
    population median (``PopulationConstants.credit_neutral``). Weak credit goes with
    default, fraud and mule recruitment."""
    risk = inputs.credit_risk
    return np.where(~np.isnan(risk), risk, inputs.population.credit_neutral)


def dispute_count(inputs: FactorInputs) -> np.ndarray:
    """Disputes the customer raised (any kind). Disputes cluster around first-party
    ("friendly") fraud.

    A dispute that names an accused (``against_customer_id`` or ``against_counterparty_id``:
    a chargeback against a merchant) counts here unless it was ``upheld``. Why: an upheld
    complaint was found to be the accused's fault, so it says nothing against the
    complainant (it counts against the accused, :func:`disputes_received_90d_max`); but a
    serial complainant whose chargebacks are open, rejected or closed is the friendly-fraud
    pattern whether or not they name a merchant, so those still count. A dispute naming
    nobody counts whatever its status, as before. The same rule holds for
    :func:`dispute_amount` and :func:`fraud_claims`."""
    return _count(inputs.dispute_codes, inputs.n)


def dispute_amount(inputs: FactorInputs) -> np.ndarray:
    """Total amount of the customer's disputes: large disputed sums cost the most."""
    disputes = inputs.snapshot.disputes
    amount = pd.to_numeric(disputes["amount"], errors="coerce").fillna(0.0).to_numpy(float)
    return _count(inputs.dispute_codes, inputs.n, amount)


def fraud_claims(inputs: FactorInputs) -> np.ndarray:
    """Disputes of kind ``fraud_claim``: repeated "it wasn't me" claims are a classic
    first-party fraud pattern."""
    kind = _text(inputs.snapshot.disputes["kind"]).str.lower()
    fraud = kind.eq("fraud_claim").fillna(False).to_numpy(dtype=bool)
    return _count(inputs.dispute_codes[fraud], inputs.n)


def disputes_received_90d_max(inputs: FactorInputs) -> np.ndarray:
    """The most disputes raised against the customer (``against_customer_id``; by their
    ``opened_date``) within any 90 days, not counting those ``rejected`` (the accused was
    cleared). Complaints and chargebacks pile up against a merchant or seller who takes
    money and does not deliver, or whose account takes stolen card payments."""
    codes = inputs.received_codes
    if not (codes >= 0).any():  # none (a snapshot built by hand may lack the columns)
        return np.zeros(inputs.n, dtype=np.int64)
    return _max_in_window(codes, iso_seconds(inputs.snapshot.disputes["opened_date"]),
                          90 * DAY_SECONDS, inputs.n)


def disputes_received_share(inputs: FactorInputs) -> np.ndarray:
    """Disputes raised against the customer (not ``rejected``) per incoming payment from
    someone else, over the data (a customer with disputes and no incoming payment counts
    them against one); 0 with fewer than two, since one complaint against a customer with
    three payments is an anecdote, not a rate. Why relative: a large merchant receives a
    few chargebacks among thousands of sales, a small seller with the same few among twenty
    sales is the one to look at; card schemes treat about 1% as excessive."""
    received = _count(inputs.received_codes, inputs.n)
    incoming = _count(inputs.legs.in_customer, inputs.n)
    return np.where(received >= 2, received / np.maximum(incoming, 1.0), 0.0)


def high_risk_industry(inputs: FactorInputs) -> np.ndarray:
    """1 when the customer's industry is on the high-risk list: cash-intensive trades are
    where money is laundered."""
    return inputs.profile_industry


def high_risk_country(inputs: FactorInputs) -> np.ndarray:
    """1 when the customer's country of residence is on the high-risk list: secrecy
    jurisdictions hide where money goes."""
    return inputs.profile_country


def large_txn_ratio(inputs: FactorInputs) -> np.ndarray:
    """The largest outgoing payment over the customer's median outgoing payment (1 without
    payments). A payment far above the customer's own norm is how takeovers cash out."""
    legs = inputs.legs
    ratio = np.ones(inputs.n)
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


def account_changes_30d_max(inputs: FactorInputs) -> np.ndarray:
    """The most detail changes (address, phone, password, device...) on one of the
    customer's accounts within any 30 days. Takeovers change contact details in a burst, so
    that the owner stops getting alerts."""
    ledger, changes = inputs.ledger, inputs.snapshot.account_changes
    account = id_positions(changes["account_id"], ledger.account_ids)
    per_account = _max_in_window(
        account, iso_seconds(changes["timestamp"]), 30 * DAY_SECONDS, len(ledger.account_ids)
    )
    result = np.zeros(inputs.n, dtype=np.int64)
    owned = ledger.account_owner >= 0
    np.maximum.at(result, ledger.account_owner[owned], per_account[owned])
    return result


def velocity_burst(inputs: FactorInputs) -> np.ndarray:
    """The most transactions in any 24 hours over the busiest 24 hours the customer's own
    rate would give (their transactions per day since onboarding, within the data): the
    count a Poisson stream at that rate exceeds in fewer than one of the period's 24-hour
    windows (taken as two a day, since a window may start at any time; the quantile is not
    rounded up to a whole count), at least one.
    Mules move money fast, unlike the owner's rhythm.

    Why not the average day: the busiest of many days is always above the average, and
    more so the quieter the customer, so "busiest day over average day" flagged every quiet
    customer (the average floored at one made a customer making 0.07 a day with five
    payments on one day look five times busier than usual, and ranked such customers first
    on outside banks). Against the busiest day their own rhythm gives, a steady customer is
    near 1 whatever their rate, and only a real burst stands out."""
    n = inputs.n
    customer, seconds = inputs.timed_legs
    if len(customer) == 0:
        return np.zeros(n)
    busiest = _max_in_window(customer, seconds, DAY_SECONDS, n)
    # The data's span is the population's (PopulationConstants), not the data at hand's:
    # on a region, the region's span would move a customer's usual day.
    population = inputs.population
    period_start = (population.period_start if population.period_start is not None
                    else int(seconds.min()))
    period_end = (population.period_end if population.period_end is not None
                  else int(seconds.max()))
    # The customer's own period: from onboarding (or their first transaction, if earlier;
    # never before the data starts) to the end of the data.
    first = np.full(n, period_end, dtype=np.int64)
    np.minimum.at(first, customer, seconds)
    onboard = iso_seconds(inputs.customers["onboarding_date"])
    onboard = np.where(onboard >= 0, onboard, period_start)
    start = np.maximum(period_start, np.minimum(onboard, first))
    days = np.maximum((period_end - start) / DAY_SECONDS, 1.0)
    rate = _count(customer, n) / days
    # pdtrik is the Poisson quantile before rounding up to a count: smooth in the rate, so
    # a day more of data moves the factor a little, not a whole step.
    usual_busiest = np.maximum(np.nan_to_num(pdtrik(1.0 - 0.5 / days, rate)), 1.0)
    return busiest / usual_busiest


def odd_hours_share(inputs: FactorInputs) -> np.ndarray:
    """Share of outgoing payments made between 00:00 and 05:00 (UTC). Automated or
    remotely controlled activity runs while the owner sleeps."""
    legs = inputs.legs
    return _share(legs.out_customer, inputs.ledger.odd_hour[legs.out], inputs.n)


def round_amount_share(inputs: FactorInputs) -> np.ndarray:
    """Share of transactions of at least 1,000 (in or out) that are whole multiples of 100.
    Layering moves invented round sums; real purchases and bills are rarely round."""
    legs, ledger = inputs.legs, inputs.ledger
    large = legs.all_of(ledger.large)
    return _share(legs.all_customer[large], legs.all_of(ledger.round_amount)[large], inputs.n)


def structuring_count(inputs: FactorInputs) -> np.ndarray:
    """Transactions (in or out) in ``[0.9 * threshold, threshold)``. Splitting cash to stay
    under the reporting threshold is itself an offence."""
    legs = inputs.legs
    return _count(legs.all_customer[legs.all_of(inputs.ledger.just_under_threshold)], inputs.n)


def high_risk_counterparty_share(inputs: FactorInputs) -> np.ndarray:
    """Share of the outgoing amount sent to counterparties, or other customers, in a
    high-risk country or industry. Money sent there is hard to follow."""
    ledger, legs, n = inputs.ledger, inputs.legs, inputs.n
    counterparties = inputs.snapshot.counterparties
    risky_row = _isin(_text(counterparties["country"]).str.upper(), inputs.countries) | _isin(
        _text(counterparties["industry"]).str.lower(), inputs.industries
    )
    # Per counterparty code: its first table row's flag; ids only transactions name are not.
    risky_code = np.zeros(len(ledger.counterparty_ids) + 1, dtype=bool)  # code -1 -> False
    risky_code[: len(ledger.counterparty_rows)] = risky_row[ledger.counterparty_rows]
    risky_customer = np.append(inputs.profile_industry | inputs.profile_country, False)
    risky = (risky_code[ledger.payee_counterparty[legs.out]]
             | risky_customer[ledger.payee[legs.out]])
    total = _count(legs.out_customer, n, legs.out_amount)
    sent = _count(legs.out_customer[risky], n, legs.out_amount[risky])
    return np.divide(sent, total, out=np.zeros(n), where=total > 0)


def pass_through_ratio(inputs: FactorInputs) -> np.ndarray:
    """``min(in, out) / max(in, out)`` of all money into and out of the customer's accounts,
    0 unless both are at least the reporting threshold. An account where large sums arrive
    and leave again is a conduit, not a wallet."""
    legs, n = inputs.legs, inputs.n
    money_in = _count(legs.in_customer, n, legs.in_amount)
    money_out = _count(legs.out_customer, n, legs.out_amount)
    low, high = np.minimum(money_in, money_out), np.maximum(money_in, money_out)
    return np.divide(low, high, out=np.zeros(n), where=low >= inputs.reporting_threshold)


def kyc_not_verified(inputs: FactorInputs) -> np.ndarray:
    """1 when the know-your-customer status is not ``verified``. Unverified identities hide
    synthetic or stolen ones."""
    status = _text(inputs.customers["kyc_status"]).str.lower()
    return status.ne("verified").fillna(True).to_numpy(dtype=bool)


# --------------------------------------------------------------------------------------------
# The registry
# --------------------------------------------------------------------------------------------


def _score_from_risk(risk: float) -> float:
    low, high = _SCORE_RANGE
    return high - risk * (high - low)


def _plural(count: float, word: str) -> str:
    return word if round(count) == 1 else f"{word}s"


#: Every factor, in column order.
FACTORS: tuple[Factor, ...] = (
    Factor(
        "credit_score_risk", "how weak the credit score is (0 best, 1 worst)",
        credit_score_risk,
        lambda v, t: f"low credit score (about {_score_from_risk(v):.0f})",
    ),
    Factor(
        "dispute_count", "disputes and chargebacks raised", dispute_count,
        lambda v, t: f"{v:.0f} {_plural(v, 'dispute')} raised",
        model_scaling="log1p", integer=True,
    ),
    Factor(
        "dispute_amount", "total amount disputed", dispute_amount,
        lambda v, t: f"{v:,.0f} disputed in total",
        model_scaling="log1p",
    ),
    Factor(
        "fraud_claims", "fraud claims filed", fraud_claims,
        lambda v, t: f"{v:.0f} fraud {_plural(v, 'claim')} filed",
        model_scaling="log1p", integer=True,
    ),
    Factor(
        "disputes_received_90d_max", "disputes raised against them by others within 90 days",
        disputes_received_90d_max,
        lambda v, t: (f"{v:.0f} {_plural(v, 'dispute')} raised against them by others within "
                      "90 days"),
        model_scaling="log1p", integer=True, notable=2.0,
    ),
    Factor(
        "disputes_received_share", "disputes raised against them per incoming payment",
        disputes_received_share,
        lambda v, t: f"disputes against them come to {v:.1%} of their incoming payments",
        model_scaling="log1p", notable=0.01,
    ),
    Factor(
        "high_risk_industry", "works in a high-risk industry", high_risk_industry,
        lambda v, t: "works in a high-risk industry",
        integer=True,
    ),
    Factor(
        "high_risk_country", "lives in a high-risk country", high_risk_country,
        lambda v, t: "lives in a high-risk country",
        integer=True,
    ),
    Factor(
        "large_txn_ratio", "largest payment compared with the customer's usual payment",
        large_txn_ratio,
        lambda v, t: f"largest payment is {v:.1f} times their typical payment",
        model_scaling="log1p", notable=3.0,
    ),
    Factor(
        "account_changes_30d_max", "changes to one account's details within 30 days",
        account_changes_30d_max,
        lambda v, t: f"{v:.0f} {_plural(v, 'change')} to one account's details within 30 days",
        model_scaling="log1p", integer=True,
    ),
    Factor(
        "velocity_burst",
        "busiest 24 hours compared with the busiest their own rate of transactions gives",
        velocity_burst,
        lambda v, t: (f"busiest 24 hours saw {v:.1f} times as many transactions as their own "
                      "rate gives on a busy day"),
        model_scaling="log1p", notable=3.0,
    ),
    Factor(
        "odd_hours_share", "share of payments made between midnight and 5 am", odd_hours_share,
        lambda v, t: f"{v:.0%} of payments made between midnight and 5 am",
    ),
    Factor(
        "round_amount_share", "share of large transactions in round amounts",
        round_amount_share,
        lambda v, t: f"{v:.0%} of large transactions in round amounts",
    ),
    Factor(
        "structuring_count", "payments just under the reporting threshold", structuring_count,
        lambda v, t: f"{v:.0f} {_plural(v, 'payment')} just under the {t:,.0f} reporting threshold",
        model_scaling="log1p", integer=True,
    ),
    Factor(
        "high_risk_counterparty_share", "share of money sent to high-risk countries or industries",
        high_risk_counterparty_share,
        lambda v, t: f"{v:.0%} of money sent goes to high-risk countries or industries",
    ),
    Factor(
        "pass_through_ratio", "how closely large money in matches money out",
        pass_through_ratio,
        lambda v, t: f"money in and out match to {v:.0%}: large sums pass straight through",
    ),
    Factor(
        "kyc_not_verified", "identity check (KYC) not verified", kyc_not_verified,
        lambda v, t: "identity check (KYC) not verified",
        integer=True,
    ),
)

_BY_NAME: dict[str, Factor] = {factor.name: factor for factor in FACTORS}


def factor_named(name: str) -> Factor:
    """The registry entry of a factor column.

    Raises:
        KeyError: no factor has that name.
    """
    try:
        return _BY_NAME[name]
    except KeyError:
        raise KeyError(f"no factor named {name!r}; the factors are {list(_BY_NAME)}") from None


def scale_for_model(factors: pd.DataFrame) -> pd.DataFrame:
    """The factor columns of ``factors`` as a model (the GNN) is fed them.

    Why here: how a factor is scaled belongs to the factor, so a new factor reaches the GNN
    with the right scaling without an edit in ``models/``.

    Args:
        factors: :func:`~graphrisk.analytics.factors.compute_risk_factors` output (any rows,
            any index); every factor column must be present.

    Returns:
        One ``float64`` column per factor, in registry order, with ``factors``' index.
    """
    return pd.DataFrame(
        {f.name: f.scale(factors[f.name].to_numpy(dtype=np.float64)) for f in FACTORS},
        index=factors.index,
    )


# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------


def _text(values: pd.Series) -> pd.Series:
    """A column as pandas strings, even where every value is missing (a float column)."""
    return values.astype("string")


def _names_accused(disputes: pd.DataFrame) -> np.ndarray:
    """Per dispute row, whether it names an accused (a snapshot built by hand may leave the
    accused columns out)."""
    named = np.zeros(len(disputes), dtype=bool)
    for column in ("against_customer_id", "against_counterparty_id"):
        if column in disputes.columns:
            named |= disputes[column].notna().to_numpy(dtype=bool)
    return named


def _status_is(disputes: pd.DataFrame, status: str) -> np.ndarray:
    """Per dispute row, whether its status is ``status`` (no status column: none is)."""
    if "status" not in disputes.columns:
        return np.zeros(len(disputes), dtype=bool)
    return _text(disputes["status"]).str.lower().eq(status).fillna(False).to_numpy(dtype=bool)


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

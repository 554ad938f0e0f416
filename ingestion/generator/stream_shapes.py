"""The risk shapes planted in an event stream, one function a shape.

Why each shape looks as it does: the stream's consumer (monitoring) is tested on exactly
which alerts a batch raises, so each shape crosses its own rule for every tier of the policy
and stays clear of the others where it can:

* amounts come from the policy (:class:`.stream_rules.PolicyBounds`): over the highest tier's
  threshold where a rule must fire, under the lowest where it must not;
* money shapes between customers (cycle, fans) move at least the typology detectors'
  ``min_amount`` (else the detectors ignore them) and rise hop by hop round a cycle, so no
  member passes on between 90 and 100% of what came in (a pass-through);
* customers of money shapes had no large income in the week before the shape, and never
  dealt with each other before, for the same two detectors' sake.

Where a policy makes a rule impossible to avoid (four structuring payments of 9,500 cross the
high tier's 3,000 single-payment threshold), the stream's key says so tier by tier
(:func:`.stream_rules.payment_rules`) instead of pretending otherwise.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from graphrisk.analytics.typologies import TypologySettings
from graphrisk.domain import DISPUTE_KINDS, IdentifierKind
from graphrisk.normalise import normalise_identifiers

from .stream_base import BaseView
from .stream_rules import PolicyBounds

__all__ = ["SHAPE_KINDS", "PLANTERS", "PlantContext", "Shape", "Txn"]

_DAY = 86_400
_HOUR = 3_600
#: Monitoring counts a payee as new when it was not paid before the last week (seven days);
#: a day more keeps planted customers clear of that window.
_NEW_PAYEE_DAYS = 8

#: The planted shapes, in the order a stream plants them.
SHAPE_KINDS: tuple[str, ...] = (
    "large_payment",
    "daily_burst",
    "new_payees",
    "structuring",
    "cycle",
    "fan_in",
    "fan_out",
    "risky_link",
    "dispute_spike",
    "account_churn",
)


@dataclass(frozen=True)
class Txn:
    """One planted transaction: from an account of ours to an account or a counterparty."""

    seconds: int
    from_account: int
    to_account: int  # -1 when the payee is a counterparty
    to_counterparty: int  # -1 when the payee is an account
    amount: float
    channel: str
    transaction_type: str


@dataclass
class Shape:
    """One planted instance, before the stream numbers its rows.

    ``principal`` are the customers the shape's alert is about (a fan-in's receiver, every
    member of a cycle); ``customers`` lists every participant, principal first. ``rules`` are
    the non-payment rules the shape raises per principal customer (``typology_cycle``...);
    payment rules are evaluated from the rows afterwards.
    """

    kind: str
    batch: int
    principal: list[int]
    customers: list[int]
    accounts: list[int]
    rules: dict[int, list[str]]
    txns: list[Txn] = field(default_factory=list)
    #: (seconds, customer, account, kind, amount)
    disputes: list[tuple[int, int, int, str, float]] = field(default_factory=list)
    #: (seconds, account, change_kind, old_value, new_value)
    changes: list[tuple[int, int, str, str | None, str | None]] = field(default_factory=list)
    #: (seconds, customer, kind, raw value, normalised value)
    identifier: tuple[int, int, str, str, str] | None = None
    linked_customers: list[int] = field(default_factory=list)


class PlantContext:
    """The shared state of planting: the base, the draws, who is taken, what is allowed.

    Customers are drawn from one shuffled order of the eligible ones (no known label,
    ordinary in the truth, no joint accounts, no disputes, a usable account), so the draw is
    deterministic for a seed and never scans the base per pick.
    """

    def __init__(
        self,
        base: BaseView,
        rng: np.random.Generator,
        bounds: PolicyBounds,
        settings: TypologySettings,
        noise_cap: float,
        days_per_batch: int,
    ) -> None:
        self.base, self.rng, self.bounds, self.settings = base, rng, bounds, settings
        self.noise_cap, self.days_per_batch = noise_cap, days_per_batch
        eligible = (
            ~base.labelled & base.plain & ~base.joint & ~base.disputed & (base.main_account >= 0)
        )
        self.order: list[int] = rng.permutation(np.flatnonzero(eligible)).tolist()
        self.used: set[int] = set()
        self._risky_links: list[tuple[str, str, str, int]] | None = None
        self._risky_keys: set[tuple[str, str]] | None = None
        self._devices_and_phones: pd.DataFrame | None = None
        self.identifier_degree: dict[tuple[str, str], int] = {}

    def pick(
        self,
        count: int,
        start: int,
        *,
        money: bool = False,
        routes: bool = False,
        accept: Callable[[int], bool] | None = None,
    ) -> list[int] | None:
        """``count`` fresh customers, or ``None`` when the base has too few left.

        Args:
            start: when the shape starts (seconds), for ``money``.
            money: the shape moves detector-sized money: no large income in the
                pass-through window before ``start``, and no base transfers between any two
                of the customers picked.
            routes: each needs a base payment route to a counterparty (a payee paid before).
            accept: a further test per customer.

        Every customer picked paid nobody in the ``_NEW_PAYEE_DAYS`` before ``start``, so a
        payee is new to them in the stream exactly when they never paid it before.
        """
        quiet_since = start - int((self.settings.pass_through_days + 1) * _DAY)
        paid_since = start - _NEW_PAYEE_DAYS * _DAY
        chosen: list[int] = []
        for code in self.order:
            if len(chosen) == count:
                break
            if code in self.used or self.base.last_out[code] >= paid_since:
                continue
            if money and self.base.last_large_in[code] >= quiet_since:
                continue
            if routes and self.base.pair_count[code] == 0:
                continue
            if money and any(
                (min(code, other), max(code, other)) in self.base.dealt for other in chosen
            ):
                continue
            if accept is not None and not accept(code):
                continue
            chosen.append(code)
        if len(chosen) < count:
            return None
        self.used.update(chosen)
        return chosen

    def route(self, customer: int) -> int:
        """Index of one of the customer's base payment routes, drawn at random."""
        return int(
            self.base.pair_start[customer] + self.rng.integers(0, self.base.pair_count[customer])
        )

    def start(self, window: int, span_days: int) -> int:
        """Midnight of a random day in the batch from which ``span_days`` days still fit."""
        room = max(self.days_per_batch - span_days, 0)
        return window + int(self.rng.integers(0, room + 1)) * _DAY

    def hours(self, day: int, size: int) -> np.ndarray:
        """``size`` sorted business-hour times (08:00-20:00) on the day starting at ``day``."""
        return np.sort(day + 8 * _HOUR + self.rng.integers(0, 12 * _HOUR, size))

    def _rows_of(self, customer: int) -> pd.DataFrame:
        """The customer's base identifiers (the table is sorted by customer)."""
        ids = self.base.identifiers
        codes = ids["customer"].to_numpy()
        lo, hi = np.searchsorted(codes, [customer, customer + 1])
        return ids.iloc[lo:hi]

    def _linkable(self) -> pd.DataFrame:
        """Devices and phones with their normalised values (both are cheap to normalise)."""
        if self._devices_and_phones is None:
            ids = self.base.identifiers
            ids = ids[ids["kind"].isin([IdentifierKind.DEVICE.value, IdentifierKind.PHONE.value])]
            ids = ids.assign(norm=normalise_identifiers(ids["kind"], ids["value"]).to_numpy())
            self._devices_and_phones = ids[ids["norm"] != ""]
        return self._devices_and_phones

    def risky_identifiers(self) -> list[tuple[str, str, str, int]]:
        """(kind, normalised, raw, degree) of devices and phones held by known-risk customers,
        fewest holders first: a link through them is a link to known risk."""
        if self._risky_links is None:
            ids = self._linkable()
            degree = ids.groupby(["kind", "norm"])["customer"].nunique().rename("degree")
            risky = ids[self.base.labelled[ids["customer"].to_numpy()]]
            risky = (
                risky.join(degree, on=["kind", "norm"])
                .sort_values(["degree", "kind", "norm", "value"])
                .drop_duplicates(["kind", "norm"])
            )
            self._risky_links = list(
                zip(
                    risky["kind"],
                    risky["norm"],
                    risky["value"],
                    risky["degree"].astype(int),
                    strict=True,
                )
            )
        return self._risky_links

    def linked_to_risk(self, customer: int) -> bool:
        """Whether the customer already shares any identifier with a known-risk customer."""
        if self._risky_keys is None:
            ids = self.base.identifiers
            risky = ids[self.base.labelled[ids["customer"].to_numpy()]]
            norm = normalise_identifiers(risky["kind"], risky["value"])
            self._risky_keys = set(zip(risky["kind"], norm, strict=True))
        rows = self._rows_of(customer)
        norm = normalise_identifiers(rows["kind"], rows["value"])
        return any(key in self._risky_keys for key in zip(rows["kind"], norm, strict=True))

    def holders_of(self, kind: str, norm: str) -> list[int]:
        ids = self._linkable()
        match = (ids["kind"] == kind) & (ids["norm"] == norm)
        return sorted(set(ids.loc[match, "customer"].tolist()))

    def identifier_value(self, customer: int, kind: str) -> str | None:
        rows = self._rows_of(customer)
        values = rows.loc[rows["kind"] == kind, "value"]
        return str(values.iloc[0]) if len(values) else None


Planter = Callable[[PlantContext, int, int], Shape | None]


def _money(values: np.ndarray) -> list[float]:
    return [round(float(v), 2) for v in values]


def plant_large_payment(ctx: PlantContext, batch: int, window: int) -> Shape | None:
    """One payment over every tier's single-payment threshold and transaction limit, to a
    payee the customer paid before (so no new counterparty)."""
    day = ctx.start(window, 1)
    picked = ctx.pick(1, day, money=True, routes=True)
    if picked is None:
        return None
    (customer,) = picked
    b = ctx.base
    route = ctx.route(customer)
    amount = round(max(1.25 * ctx.bounds.max_single, 1.05 * ctx.bounds.max_limit), 2)
    (when,) = ctx.hours(day, 1).tolist()
    account = int(b.pair_account[route])
    txn = Txn(when, account, -1, int(b.pair_counterparty[route]), amount, "wire", "payment")
    return Shape(
        "large_payment", batch, [customer], [customer], [account], {customer: []}, txns=[txn]
    )


def plant_daily_burst(ctx: PlantContext, batch: int, window: int) -> Shape | None:
    """Payments to one known payee in one day, each under every tier's single-payment
    threshold, summing over every tier's daily total."""
    day = ctx.start(window, 1)
    picked = ctx.pick(1, day, money=True, routes=True)
    if picked is None:
        return None
    (customer,) = picked
    b, bounds = ctx.base, ctx.bounds
    route = ctx.route(customer)
    target = 1.05 * bounds.max_daily
    count = math.ceil(target / (0.90 * bounds.min_single)) + 1
    amounts = ctx.rng.uniform(0.90, 0.97, count) * bounds.min_single
    amounts = np.floor(amounts * 100) / 100
    account, payee = int(b.pair_account[route]), int(b.pair_counterparty[route])
    txns = [
        Txn(t, account, -1, payee, a, "online", "payment")
        for t, a in zip(ctx.hours(day, count).tolist(), _money(amounts), strict=True)
    ]
    return Shape("daily_burst", batch, [customer], [customer], [account], {customer: []}, txns=txns)


def plant_new_payees(ctx: PlantContext, batch: int, window: int) -> Shape | None:
    """Small payments to more never-paid counterparties within days than any tier allows
    within a week."""
    span = min(4, ctx.days_per_batch)
    day = ctx.start(window, span)
    picked = ctx.pick(1, day)
    if picked is None:
        return None
    (customer,) = picked
    b = ctx.base
    count = ctx.bounds.max_new_payees + 2
    paid = ctx.base.payees(np.array([customer]))[customer]
    fresh = np.array([p for p in range(len(b.counterparty_ids)) if -1 - p not in paid])
    if len(fresh) < count:
        ctx.used.discard(customer)
        return None
    payees = ctx.rng.choice(fresh, count, replace=False)
    days = day + (np.arange(count) % span) * _DAY
    times = np.sort(days + 8 * _HOUR + ctx.rng.integers(0, 12 * _HOUR, count))
    amounts = ctx.rng.uniform(0.2, 0.9, count) * ctx.noise_cap
    account = int(b.main_account[customer])
    txns = [
        Txn(t, account, -1, int(p), a, "online", "payment")
        for t, p, a in zip(times.tolist(), payees.tolist(), _money(amounts), strict=True)
    ]
    return Shape("new_payees", batch, [customer], [customer], [account], {customer: []}, txns=txns)


def plant_structuring(ctx: PlantContext, batch: int, window: int) -> Shape | None:
    """Four payments just under the reporting threshold (91-97%) within three days, to a
    payee paid before, never more than two a day."""
    span = min(3, ctx.days_per_batch)
    day = ctx.start(window, span)
    picked = ctx.pick(1, day, money=True, routes=True)
    if picked is None:
        return None
    (customer,) = picked
    b = ctx.base
    route = ctx.route(customer)
    offsets = np.array([0, 1, 1, 2]) % span
    times = np.sort(day + offsets * _DAY + 8 * _HOUR + ctx.rng.integers(0, 12 * _HOUR, 4))
    amounts = ctx.rng.uniform(0.91, 0.97, 4) * ctx.bounds.reporting
    account, payee = int(b.pair_account[route]), int(b.pair_counterparty[route])
    txns = [
        Txn(t, account, -1, payee, a, "online", "transfer")
        for t, a in zip(times.tolist(), _money(amounts), strict=True)
    ]
    return Shape(
        "structuring",
        batch,
        [customer],
        [customer],
        [account],
        {customer: ["structuring"]},
        txns=txns,
    )


def _between_amounts(ctx: PlantContext, count: int, low: float, high: float) -> np.ndarray:
    """Amounts of detector size (at least ``min_amount``) under the lowest single-payment
    threshold, where the policy leaves room for both."""
    floor = 1.05 * ctx.settings.min_amount
    ceiling = max(high * ctx.bounds.min_single, floor * 1.1)
    return ctx.rng.uniform(max(low * ctx.bounds.min_single, floor), ceiling, count)


def plant_cycle(ctx: PlantContext, batch: int, window: int) -> Shape | None:
    """A -> B -> C (-> D) -> A within two days between customers who never dealt with each
    other. Each hop carries 2-4% more than the last, so nobody passes on 90-100% of what
    came in (which would also be a pass-through), and all stay within the cycle detector's
    amount ratio."""
    span = min(2, ctx.days_per_batch)
    day = ctx.start(window, span)
    size = int(ctx.rng.integers(3, 5))
    members = ctx.pick(size, day, money=True)
    if members is None:
        return None
    b = ctx.base
    accounts = [int(b.main_account[m]) for m in members]
    first = float(_between_amounts(ctx, 1, 0.55, 0.7)[0])
    growth = np.cumprod(np.r_[1.0, ctx.rng.uniform(1.02, 1.04, size - 1)])
    amounts = _money(first * growth)
    gaps = ctx.rng.integers(2 * _HOUR, span * 24 * _HOUR // size, size)
    times = day + 7 * _HOUR + np.cumsum(gaps)
    txns = [
        Txn(
            int(times[i]),
            accounts[i],
            accounts[(i + 1) % size],
            -1,
            amounts[i],
            "online",
            "transfer",
        )
        for i in range(size)
    ]
    return Shape(
        "cycle",
        batch,
        members,
        members,
        accounts,
        {m: ["typology_cycle"] for m in members},
        txns=txns,
    )


def plant_fan_in(ctx: PlantContext, batch: int, window: int) -> Shape | None:
    """Many customers, strangers to the receiver, each pay one customer once within three
    days; the receiver sends nothing on."""
    span = min(3, ctx.days_per_batch)
    day = ctx.start(window, span)
    senders_needed = max(ctx.settings.min_fan_degree + 3, 6)
    picked = ctx.pick(senders_needed + 1, day, money=True)
    if picked is None:
        return None
    hub, senders = picked[0], picked[1:]
    b = ctx.base
    hub_account = int(b.main_account[hub])
    amounts = _money(_between_amounts(ctx, senders_needed, 0.4, 0.8))
    days = day + ctx.rng.integers(0, span, senders_needed) * _DAY
    times = np.sort(days + 8 * _HOUR + ctx.rng.integers(0, 12 * _HOUR, senders_needed))
    txns = [
        Txn(int(t), int(b.main_account[s]), hub_account, -1, a, "online", "transfer")
        for t, s, a in zip(times, senders, amounts, strict=True)
    ]
    accounts = [hub_account, *(int(b.main_account[s]) for s in senders)]
    return Shape("fan_in", batch, [hub], picked, accounts, {hub: ["typology_fan_in"]}, txns=txns)


def plant_fan_out(ctx: PlantContext, batch: int, window: int) -> Shape | None:
    """One customer pays many strangers once each within days: more new payees than any
    tier allows a week, and few enough a day to stay under every daily total."""
    bounds, settings = ctx.bounds, ctx.settings
    spokes_needed = max(bounds.max_new_payees + 2, settings.min_fan_degree + 1)
    high = min(1.2 * settings.min_amount, 0.9 * bounds.min_single)
    per_day = max(1, math.floor(0.9 * bounds.min_daily / max(high, 1.0)))
    span = min(
        max(math.ceil(spokes_needed / per_day), 1),
        ctx.days_per_batch,
        int(settings.fan_window_days) - 1,
    )
    day = ctx.start(window, span)
    picked = ctx.pick(spokes_needed + 1, day, money=True)
    if picked is None:
        return None
    hub, spokes = picked[0], picked[1:]
    b = ctx.base
    hub_account = int(b.main_account[hub])
    amounts = _money(
        ctx.rng.uniform(
            1.02 * settings.min_amount, max(high, 1.03 * settings.min_amount), spokes_needed
        )
    )
    days = day + (np.arange(spokes_needed) % span) * _DAY
    times = np.sort(days + 8 * _HOUR + ctx.rng.integers(0, 12 * _HOUR, spokes_needed))
    txns = [
        Txn(int(t), hub_account, int(b.main_account[s]), -1, a, "online", "transfer")
        for t, s, a in zip(times, spokes, amounts, strict=True)
    ]
    accounts = [hub_account, *(int(b.main_account[s]) for s in spokes)]
    return Shape("fan_out", batch, [hub], picked, accounts, {hub: ["typology_fan_out"]}, txns=txns)


def plant_risky_link(ctx: PlantContext, batch: int, window: int) -> Shape | None:
    """A customer starts using a device or phone of a known-risk customer, one shared by
    few enough customers (after this one) that the link counts."""
    day = ctx.start(window, 1)
    limit = ctx.bounds.max_identifier_degree
    choice = None
    for kind, norm, raw, degree in ctx.risky_identifiers():
        held = degree + ctx.identifier_degree.get((kind, norm), 0)
        if held + 1 < limit:
            choice = (kind, norm, raw)
            break
    if choice is None:
        return None
    picked = ctx.pick(1, day, accept=lambda c: not ctx.linked_to_risk(c))
    if picked is None:
        return None
    (customer,) = picked
    kind, norm, raw = choice
    holders = [h for h in ctx.holders_of(kind, norm) if ctx.base.labelled[h]]
    ctx.identifier_degree[(kind, norm)] = ctx.identifier_degree.get((kind, norm), 0) + 1
    (when,) = ctx.hours(day, 1).tolist()
    return Shape(
        "risky_link",
        batch,
        [customer],
        [customer],
        [],
        {customer: ["high_risk_link"]},
        identifier=(when, customer, kind, raw, norm),
        linked_customers=holders,
    )


def plant_dispute_spike(ctx: PlantContext, batch: int, window: int) -> Shape | None:
    """Five open disputes by one customer within two days (none in the base data)."""
    span = min(2, ctx.days_per_batch)
    day = ctx.start(window, span)
    picked = ctx.pick(1, day)
    if picked is None:
        return None
    (customer,) = picked
    account = int(ctx.base.main_account[customer])
    days = day + ctx.rng.integers(0, span, 5) * _DAY
    times = np.sort(days + 8 * _HOUR + ctx.rng.integers(0, 12 * _HOUR, 5))
    kinds = ctx.rng.choice(len(DISPUTE_KINDS), 5)
    amounts = _money(ctx.rng.uniform(20.0, 800.0, 5))
    disputes = [
        (int(t), customer, account, DISPUTE_KINDS[int(k)], a)
        for t, k, a in zip(times, kinds, amounts, strict=True)
    ]
    return Shape(
        "dispute_spike",
        batch,
        [customer],
        [customer],
        [account],
        {customer: ["dispute_spike"]},
        disputes=disputes,
    )


_CHURN_KINDS = (
    "phone_change",
    "email_change",
    "address_change",
    "password_reset",
    "device_added",
    "limit_change",
)
_CHANGE_IDENT = {"phone_change": "phone", "email_change": "email", "address_change": "address"}


def plant_account_churn(ctx: PlantContext, batch: int, window: int) -> Shape | None:
    """Four or five changes to one account's contact details and security within three
    days: informational, no alert rule is required to fire."""
    span = min(3, ctx.days_per_batch)
    day = ctx.start(window, span)
    picked = ctx.pick(1, day)
    if picked is None:
        return None
    (customer,) = picked
    account = int(ctx.base.main_account[customer])
    count = int(ctx.rng.integers(4, 6))
    kinds = ctx.rng.choice(len(_CHURN_KINDS), count, replace=False)
    days = day + ctx.rng.integers(0, span, count) * _DAY
    times = np.sort(days + 8 * _HOUR + ctx.rng.integers(0, 12 * _HOUR, count))
    fresh = ctx.rng.integers(100_000, 999_999, count)
    changes = []
    for when, k, number in zip(times.tolist(), kinds.tolist(), fresh.tolist(), strict=True):
        kind = _CHURN_KINDS[k]
        old: str | None = None
        new: str | None = None
        if kind in _CHANGE_IDENT:
            old = ctx.identifier_value(customer, _CHANGE_IDENT[kind])
            new = {
                "phone_change": f"+44 7700 {number}",
                "email_change": f"contact.s{number}@mail.example",
                "address_change": f"{number % 200 + 1} Station Road, London",
            }[kind]
        elif kind == "device_added":
            new = f"{number:08x}-{number % 65_536:04x}-s{number % 4096:03x}"
        elif kind == "limit_change":
            old, new = "2000", str(2000 * (2 + number % 4))
        changes.append((when, account, kind, old, new))
    return Shape(
        "account_churn", batch, [customer], [customer], [account], {customer: []}, changes=changes
    )


#: The planter of each shape kind.
PLANTERS: dict[str, Planter] = {
    "large_payment": plant_large_payment,
    "daily_burst": plant_daily_burst,
    "new_payees": plant_new_payees,
    "structuring": plant_structuring,
    "cycle": plant_cycle,
    "fan_in": plant_fan_in,
    "fan_out": plant_fan_out,
    "risky_link": plant_risky_link,
    "dispute_spike": plant_dispute_spike,
    "account_churn": plant_account_churn,
}

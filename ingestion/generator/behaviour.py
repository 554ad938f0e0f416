"""Ordinary banking, vectorised over all customers: the background the planted risk hides in.

Why it matters: a detector is only as good as the normal it is measured against. Salaries,
pensions, bills, card purchases, transfers, cash, savings, fees, business flows and loan
repayments, plus routine detail changes and co-holders, give every customer a history, so a
planted pattern is a needle among ordinary transactions rather than the only data there is.
"""

from __future__ import annotations

import numpy as np

from graphrisk.domain import (
    CHANGE_KINDS,
    CHANNELS,
    DISPUTE_KINDS,
    HOLDER_ROLES,
    LOAN_STATUSES,
    SEGMENTS,
)

from .draws import (
    DAY,
    HOUR,
    PERIOD_DAYS,
    business_seconds,
    lognormal,
    month_days,
    pick,
    weekdays,
)
from .identifiers import change_values
from .world import Loans, World

__all__ = [
    "make_normal_changes",
    "make_normal_holders",
    "make_normal_transactions",
]


def make_normal_transactions(world: World, loans: Loans) -> None:
    """Everyday banking for every customer: pay in, pay bills, shop, transfer, use cash."""
    _salaries_and_pensions(world)
    _bills_and_cards(world)
    _transfers_and_cash(world)
    _savings_and_fees(world)
    _business_flows(world)
    _loan_repayments(world, loans)


def _salaries_and_pensions(world: World) -> None:
    rng, customers, truth, accounts, cps = (
        world.rng,
        world.customers,
        world.truth,
        world.accounts,
        world.cps,
    )
    n = customers.n
    person = ~customers.business
    payroll_paid = truth.role == "employee"
    pensioner = person & (customers.birth_year <= 1959) & (rng.random(n) < 0.5)
    employed = person & ~pensioner & ~payroll_paid & (rng.random(n) < 0.18)

    earners = np.flatnonzero(employed)
    employer = rng.choice(cps.employers, len(earners), p=cps.employer_weights)
    monthly = np.round(customers.income[earners] / 12 * 0.68, 2)
    days = month_days(25)
    ts = np.add.outer(days * DAY + 8 * HOUR, rng.integers(0, 2 * HOUR, len(earners))).T
    amounts = monthly[:, None] * (1 + rng.normal(0, 0.01, (len(earners), 12)))
    world.ledger.add(
        ts=ts.ravel(),
        amount=np.round(amounts.ravel(), 2),
        ttype="salary",
        channel="wire",
        from_cp=np.repeat(employer, 12),
        to_acc=np.repeat(accounts.primary[earners], 12),
    )

    retirees = np.flatnonzero(pensioner)
    pension = lognormal(rng, 1_350, 0.3, len(retirees))
    days = month_days(1)
    ts = np.add.outer(days * DAY + 7 * HOUR, rng.integers(0, HOUR, len(retirees))).T
    world.ledger.add(
        ts=ts.ravel(),
        amount=np.repeat(pension, 12),
        ttype="pension",
        channel="wire",
        from_cp=cps.pension_fund,
        to_acc=np.repeat(accounts.primary[retirees], 12),
    )


def _bills_and_cards(world: World) -> None:
    rng, customers, accounts, cps = world.rng, world.customers, world.accounts, world.cps
    n = customers.n
    rate = world.profile.background_rate
    scale = np.where(customers.segment == SEGMENTS.index("private_banking"), 3.0, 1.0)

    bills = rng.poisson(1.3 * customers.activity * rate)
    payer = np.repeat(np.arange(n), bills)
    k = len(payer)
    world.ledger.add(
        ts=business_seconds(rng, weekdays(rng, k)),
        amount=lognormal(rng, 85, 0.6, k) * scale[payer],
        ttype="bill",
        channel=pick(rng, len(CHANNELS), k, (0.4, 0, 0, 0, 0, 0, 0.6, 0)),
        from_acc=accounts.primary[payer],
        to_cp=rng.choice(cps.utilities, k),
    )

    purchases = rng.poisson(np.where(customers.business, 1.0, 2.0) * customers.activity * rate)
    buyer = np.repeat(np.arange(n), purchases)
    k = len(buyer)
    days = rng.integers(0, PERIOD_DAYS, k)  # shops open at weekends
    ts = days * DAY + np.clip(np.rint(rng.normal(15, 3.5, k)), 8, 22).astype(np.int64) * HOUR
    ts += rng.integers(0, HOUR, k)
    # A small share of ordinary purchases is disputed; most such disputes are settled.
    dispute = np.where(
        rng.random(k) < 0.002, pick(rng, len(DISPUTE_KINDS), k, (0.55, 0.35, 0.1, 0)), -1
    )
    world.ledger.add(
        ts=ts,
        amount=lognormal(rng, 38, 1.0, k) * scale[buyer],
        ttype="card_purchase",
        channel="card",
        from_acc=accounts.card[buyer],
        to_cp=rng.choice(cps.merchants, k, p=cps.merchant_weights),
        dispute=dispute,
    )


def _transfers_and_cash(world: World) -> None:
    rng, customers, accounts, cps = world.rng, world.customers, world.accounts, world.cps
    n = customers.n
    act = customers.activity * world.profile.background_rate

    counts = rng.poisson(0.6 * act)
    sender = np.repeat(np.arange(n), counts)
    k = len(sender)
    receiver = rng.integers(0, n, k)
    receiver = np.where(receiver == sender, (receiver + 1) % n, receiver)
    world.ledger.add(
        ts=business_seconds(rng, weekdays(rng, k)),
        amount=lognormal(rng, 120, 1.1, k),
        ttype="transfer",
        channel=pick(rng, len(CHANNELS), k, (0.5, 0.5, 0, 0, 0, 0, 0, 0)),
        from_acc=accounts.primary[sender],
        to_acc=accounts.primary[receiver],
    )

    for incoming in (False, True):  # to and from accounts at other banks
        counts = rng.poisson(0.2 * act)
        who = np.repeat(np.arange(n), counts)
        k = len(who)
        own, external = accounts.primary[who], rng.choice(cps.banks_home, k)
        world.ledger.add(
            ts=business_seconds(rng, weekdays(rng, k)),
            amount=lognormal(rng, 250, 1.0, k),
            ttype="transfer",
            channel="online",
            from_acc=-1 if incoming else own,
            from_cp=external if incoming else -1,
            to_acc=own if incoming else -1,
            to_cp=-1 if incoming else external,
        )

    counts = rng.poisson(0.5 * act)
    who = np.repeat(np.arange(n), counts)
    k = len(who)
    notes = np.array([20, 40, 50, 100, 150, 200, 300, 500], np.float64)
    world.ledger.add(
        ts=business_seconds(rng, rng.integers(0, PERIOD_DAYS, k)),
        amount=notes[pick(rng, len(notes), k, (3, 2, 4, 4, 2, 2, 1, 0.5))],
        ttype="cash_withdrawal",
        channel="atm",
        from_acc=accounts.primary[who],
        to_cp=cps.cash,
    )

    counts = rng.poisson(0.1 * act)
    who = np.repeat(np.arange(n), counts)
    k = len(who)
    world.ledger.add(
        ts=business_seconds(rng, weekdays(rng, k)),
        amount=np.minimum(lognormal(rng, 350, 0.9, k), 8_000.0),
        ttype="cash_deposit",
        channel=pick(rng, len(CHANNELS), k, (0, 0, 0.6, 0.4, 0, 0, 0, 0)),
        from_cp=cps.cash,
        to_acc=accounts.primary[who],
    )


def _savings_and_fees(world: World) -> None:
    rng, accounts, cps = world.rng, world.accounts, world.cps
    savers = np.flatnonzero(accounts.savings >= 0)
    counts = rng.poisson(1.0 * world.profile.background_rate, len(savers))
    who = np.repeat(savers, counts)
    k = len(who)
    world.ledger.add(
        ts=business_seconds(rng, weekdays(rng, k)),
        amount=lognormal(rng, 200, 0.8, k),
        ttype="transfer",
        channel="standing_order",
        from_acc=accounts.primary[who],
        to_acc=accounts.savings[who],
    )
    savings_accounts = accounts.savings[savers]
    k = len(savings_accounts)
    world.ledger.add(
        ts=np.full(k, (PERIOD_DAYS - 1) * DAY + 2 * HOUR),
        amount=lognormal(rng, 12, 1.0, k),
        ttype="interest",
        channel="other",
        from_cp=cps.bank,
        to_acc=savings_accounts,
    )

    charged = np.flatnonzero(rng.random(accounts.n) < 0.15)
    k = len(charged)
    fees = np.array([2.5, 4.9, 9.9, 15.0])
    world.ledger.add(
        ts=business_seconds(rng, weekdays(rng, k)),
        amount=fees[rng.integers(0, 4, k)],
        ttype="fee",
        channel="other",
        from_acc=charged,
        to_cp=cps.bank,
    )


def _business_flows(world: World) -> None:
    rng, customers, accounts, cps = world.rng, world.customers, world.accounts, world.cps
    corporate = customers.segment == SEGMENTS.index("corporate")
    scale = np.where(corporate, 6.0, 1.0)
    volume = np.where(customers.business, np.where(corporate, 2.0, 1.0), 0.0)
    act = customers.activity * volume * world.profile.background_rate

    counts = rng.poisson(6 * act)
    who = np.repeat(np.arange(customers.n), counts)
    k = len(who)
    world.ledger.add(
        ts=business_seconds(rng, weekdays(rng, k)),
        amount=lognormal(rng, 1_400, 1.1, k) * scale[who],
        ttype="payment",
        channel=pick(rng, len(CHANNELS), k, (0.6, 0, 0, 0, 0, 0.4, 0, 0)),
        from_cp=rng.choice(cps.banks_home, k),
        to_acc=accounts.primary[who],
    )

    counts = rng.poisson(4 * act)
    who = np.repeat(np.arange(customers.n), counts)
    k = len(who)
    world.ledger.add(
        ts=business_seconds(rng, weekdays(rng, k)),
        amount=lognormal(rng, 1_100, 1.1, k) * scale[who],
        ttype="payment",
        channel=pick(rng, len(CHANNELS), k, (0.6, 0, 0, 0, 0, 0.4, 0, 0)),
        from_acc=accounts.primary[who],
        to_cp=rng.choice(cps.suppliers, k),
    )

    taxed = np.flatnonzero(customers.business)
    days = month_days(15)[[2, 5, 8, 11]]
    k = len(taxed)
    ts = np.add.outer(days * DAY + 10 * HOUR, rng.integers(0, HOUR, k)).T.ravel()
    amount = np.repeat(np.round(customers.income[taxed] * 0.02, 2), 4)
    world.ledger.add(
        ts=ts,
        amount=np.maximum(amount, 1.0),
        ttype="payment",
        channel="wire",
        from_acc=np.repeat(accounts.primary[taxed], 4),
        to_cp=cps.tax_office,
    )


def _loan_repayments(world: World, loans: Loans) -> None:
    """Monthly instalments while a loan runs; loans in arrears stop paying months early."""
    rng = world.rng
    month_start = month_days(5)
    ends = loans.granted_day + (loans.months * 30.44).astype(np.int64)
    active = (month_start[None, :] > loans.granted_day[:, None]) & (
        month_start[None, :] <= ends[:, None]
    )
    in_debt = np.isin(
        loans.status,
        [LOAN_STATUSES.index("running_in_debt"), LOAN_STATUSES.index("finished_unpaid")],
    )
    stop = np.where(in_debt, rng.integers(3, 9, len(ends)), 12)
    active &= np.arange(12)[None, :] < stop[:, None]
    loan_idx, month = np.nonzero(active)
    k = len(loan_idx)
    world.ledger.add(
        ts=month_start[month] * DAY + 6 * HOUR + rng.integers(0, HOUR, k),
        amount=loans.payment[loan_idx],
        ttype="loan_repayment",
        channel="standing_order",
        from_acc=loans.account[loan_idx],
        to_cp=world.cps.bank,
    )


def make_normal_changes(world: World) -> None:
    """A few routine changes to account details: the background that a takeover burst breaks."""
    rng, accounts = world.rng, world.accounts
    changed = np.flatnonzero(rng.random(accounts.n) < 0.04)
    k = len(changed)
    kinds = pick(rng, len(CHANGE_KINDS), k, (0.25, 0.15, 0.15, 0.02, 0.01, 0.15, 0.02, 0.15, 0.10))
    ts = business_seconds(rng, weekdays(rng, k))
    owners = accounts.owner[changed]
    old, new = change_values(world, owners, kinds, rng.integers(0, 10**6, k))
    world.changes.add(changed, ts, kinds, old, new)


def make_normal_holders(world: World) -> None:
    """Co-holders and authorised users on some accounts, outside any household group."""
    rng, accounts = world.rng, world.accounts
    n = world.customers.n
    chosen = np.flatnonzero(rng.random(accounts.n) < 0.01)
    other = rng.integers(0, n, len(chosen))
    keep = other != accounts.owner[chosen]
    roles = pick(rng, 2, len(chosen), (0.6, 0.4))
    for account, customer, role in zip(chosen[keep], other[keep], roles[keep], strict=True):
        world.holders.account.append(int(account))
        world.holders.customer.append(int(customer))
        world.holders.role.append(HOLDER_ROLES[1 + int(role)])

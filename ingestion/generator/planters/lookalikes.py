"""Benign look-alikes: households, payrolls and honest high-risk-industry customers.

Why plant the innocent: they are dense or unusual on purpose (shared addresses, a fan-out of
salaries, offshore receipts), so a detector that flags every dense pattern scores badly. Their
members have ``risky = 0`` in the truth.
"""

from __future__ import annotations

import numpy as np

from ..draws import (
    DAY,
    HOUR,
    business_seconds,
    lognormal,
    month_days,
    weekdays,
)
from ..world import Group, World
from .base import transfer

__all__ = [
    "family_roles",
    "payroll_roles",
    "plant_family",
    "plant_payroll",
    "plant_profile_lookalike",
]


def plant_family(world: World, index: int, group: Group) -> None:
    """Households: one address, often one landline and router, a joint account, pocket
    money. Dense and shared, yet benign."""
    rng, members = world.rng, group.members
    base = world.identity.base
    base["address"][members] = members[0]
    if rng.random() < 0.4:
        base["phone"][members] = members[0]
    if rng.random() < 0.6:
        base["ip"][members] = members[0]
    if len(members) > 1 and rng.random() < 0.7:
        world.holders.account.append(int(world.accounts.primary[members[0]]))
        world.holders.customer.append(int(members[1]))
        world.holders.role.append("co_holder")
    counts = rng.integers(2, 7, len(members) - 1)
    receivers = np.repeat(members[1:], counts)
    k = len(receivers)
    ts = business_seconds(rng, weekdays(rng, k))
    transfer(world, index, ts, lognormal(rng, 90, 0.6, k), members[0], receivers, channel="mobile")


def plant_payroll(world: World, index: int, group: Group) -> None:
    """A business paying its staff every month: a large, regular, benign fan-out."""
    rng, primary = world.rng, world.accounts.primary
    payer, staff = group.members[0], group.members[1:]
    k = len(staff)
    salary = lognormal(rng, 2_600, 0.3, k)
    days = month_days(int(rng.integers(24, 29)))
    ts = np.add.outer(days * DAY + 9 * HOUR, rng.integers(0, 600, k)).T.ravel()
    amounts = np.repeat(salary, 12) * (1 + rng.normal(0, 0.005, 12 * k))
    world.ledger.add(
        ts=ts,
        amount=np.round(amounts, 2),
        ttype="salary",
        channel="wire",
        from_acc=primary[payer],
        to_acc=np.repeat(primary[staff], 12),
        group=index,
    )


def plant_profile_lookalike(world: World, index: int, group: Group) -> None:
    """An honest customer in a high-risk industry or country: some offshore receipts, but
    uneven amounts and no pass-through."""
    rng, cps, primary = world.rng, world.cps, world.accounts.primary
    for member in group.members:
        k = int(rng.integers(2, 6))
        ts = business_seconds(rng, weekdays(rng, k))
        world.ledger.add(
            ts=ts,
            amount=lognormal(rng, 3_000, 0.8, k),
            ttype="payment",
            channel="wire",
            from_cp=rng.choice(cps.banks_risky, k),
            to_acc=primary[member],
            group=index,
        )


def family_roles(k: int) -> list[str]:
    """The head of the household (``members[0]``), then its members."""
    return ["head"] + ["household_member"] * (k - 1)


def payroll_roles(k: int) -> list[str]:
    """The paying business (``members[0]``), then its employees."""
    return ["payer"] + ["employee"] * (k - 1)

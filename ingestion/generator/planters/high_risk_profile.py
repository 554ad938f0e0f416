"""High-risk profiles: a high-risk industry or country with pass-through flows."""

from __future__ import annotations

import numpy as np

from ..draws import HOUR, PERIOD_DAYS, business_seconds, weekdays
from ..world import Group, World
from .base import transfer

__all__ = [
    "known_label",
    "plant_high_risk_profile",
]


def plant_high_risk_profile(world: World, index: int, group: Group) -> None:
    """High-risk industry or country with pass-through flows: round sums in from offshore
    accounts, almost all of it out again within days."""
    rng, cps, primary = world.rng, world.cps, world.accounts.primary
    for member in group.members:
        k = int(rng.integers(6, 16))
        days = np.sort(weekdays(rng, k, 0, PERIOD_DAYS - 5))
        ts_in = business_seconds(rng, days)
        amounts = rng.integers(5, 60, k) * 1_000.0
        world.ledger.add(
            ts=ts_in,
            amount=amounts,
            ttype="transfer",
            channel="wire",
            from_cp=rng.choice(cps.banks_risky, k),
            to_acc=primary[member],
            group=index,
        )
        ts_out = ts_in + rng.integers(6 * HOUR, 72 * HOUR, k)
        world.ledger.add(
            ts=ts_out,
            amount=np.round(amounts * rng.uniform(0.95, 0.99, k), 2),
            ttype="transfer",
            channel="wire",
            from_acc=primary[member],
            to_cp=rng.choice(cps.banks_risky, k),
            group=index,
        )
    if len(group.members) > 1:
        ts = business_seconds(rng, weekdays(rng, 2))
        transfer(
            world,
            index,
            ts,
            rng.integers(10, 40, 2) * 1_000.0,
            group.members[0],
            group.members[1],
            channel="wire",
        )


def known_label(rng: np.random.Generator, role: str, label: str) -> str:
    """Some caught high-risk profiles were found by sanctions screening: ``sanctions``."""
    return "sanctions" if rng.random() < 0.3 else label

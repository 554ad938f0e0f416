"""Structuring: cash deposits just under the reporting threshold, passed on to a collector.

The threshold is the core policy's (:data:`graphrisk.policy.DEFAULT_REPORTING_THRESHOLD`), so
the amounts planted here sit just under what the factors test for.
"""

from __future__ import annotations

import numpy as np

from graphrisk.domain import CHANNELS

from ..draws import DAY, HOUR, PERIOD_DAYS, business_seconds, pick
from ..lookups import REPORTING_THRESHOLD
from ..world import Group, World
from .base import transfer

__all__ = [
    "plant_structuring",
    "structuring_roles",
]


def plant_structuring(world: World, index: int, group: Group) -> None:
    """Structuring: repeated cash deposits just under the reporting threshold, passed on to a
    collector (members[0]) in amounts that stay under it too."""
    rng, cps, primary = world.rng, world.cps, world.accounts.primary
    members = group.members
    smurfs = members if len(members) == 1 else members[1:]
    start_day = int(rng.integers(0, PERIOD_DAYS - 90))
    low, high = 0.9 * REPORTING_THRESHOLD, REPORTING_THRESHOLD - 10
    for smurf in smurfs:
        k = int(rng.integers(6, 16))
        days = start_day + np.cumsum(rng.integers(1, 5, k))
        ts = business_seconds(rng, days)
        amounts = np.round(rng.uniform(low, high, k), 2)
        world.ledger.add(
            ts=ts,
            amount=amounts,
            ttype="cash_deposit",
            channel=pick(rng, len(CHANNELS), k, (0, 0, 0.7, 0.3, 0, 0, 0, 0)),
            from_cp=cps.cash,
            to_acc=primary[smurf],
            group=index,
        )
        if len(members) > 1:
            n_out = max(1, k // 2)
            out_ts = ts[-1] + np.cumsum(rng.integers(HOUR, 24 * HOUR, n_out))
            transfer(world, index, out_ts, rng.uniform(low, high, n_out), smurf, members[0])
    # The collector (or lone smurf) moves the money abroad, still in sub-threshold wires.
    n_wires = int(rng.integers(2, 6))
    ts = (start_day + 70) * DAY + np.cumsum(rng.integers(HOUR, 48 * HOUR, n_wires))
    world.ledger.add(
        ts=ts,
        amount=np.round(rng.uniform(low, high, n_wires), 2),
        ttype="transfer",
        channel="wire",
        from_acc=primary[members[0]],
        to_cp=rng.choice(cps.banks_home, n_wires),
        group=index,
    )


def structuring_roles(k: int) -> list[str]:
    """A lone smurf, or a collector (``members[0]``) and the smurfs who feed it."""
    return ["smurf"] if k == 1 else ["collector"] + ["smurf"] * (k - 1)

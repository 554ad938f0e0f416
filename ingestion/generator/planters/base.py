"""What every planter shares: the episode start, the laundered amount, transfers between members.

Why shared: the AMLSim patterns, identity rings and account takeovers all move money between
the primary accounts of group members in one episode; drawing the start and amount one way
keeps them comparable.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..draws import PERIOD_DAYS, business_seconds, lognormal, weekdays
from ..world import Group, World

__all__ = [
    "Planter",
    "episode_start",
    "laundering_amount",
    "member_roles",
    "transfer",
]

#: Plants one group: ``planter(world, group_index, group)`` adds its transactions, identifiers,
#: changes and holders to the world. ``group_index`` tags the planted transactions.
Planter = Callable[[World, int, Group], None]


def member_roles(k: int) -> list[str]:
    """Every member plays the same part (rings, cycles, clusters, profiles)."""
    return ["member"] * k


def episode_start(rng: np.random.Generator, room_days: int = 14) -> int:
    """Start of a laundering episode (seconds), leaving ``room_days`` (two weeks unless a
    profile stretches episodes) for it to finish."""
    return int(business_seconds(rng, weekdays(rng, 1, 5, PERIOD_DAYS - room_days))[0])


def laundering_amount(rng: np.random.Generator) -> float:
    """The sum an episode launders: heavy-tailed around a median of 9,000."""
    return float(lognormal(rng, 9_000, 0.6))


def transfer(
    world: World,
    index: int,
    ts: np.ndarray | int,
    amount: np.ndarray | float,
    senders: np.ndarray | int,
    receivers: np.ndarray | int,
    channel: str = "online",
) -> None:
    """Account-to-account transfers between the primary accounts of customers."""
    primary = world.accounts.primary
    world.ledger.add(
        ts=np.atleast_1d(ts),
        amount=np.round(amount, 2),
        ttype="transfer",
        channel=channel,
        from_acc=primary[senders],
        to_acc=primary[receivers],
        group=index,
    )

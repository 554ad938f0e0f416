"""Identity rings: synthetic identities sharing contact details and devices."""

from __future__ import annotations

import numpy as np

from ..draws import HOUR, lognormal, within
from ..world import Group, World
from .base import episode_start, transfer

__all__ = [
    "plant_identity_ring",
]


def plant_identity_ring(world: World, index: int, group: Group) -> None:
    """Synthetic identities: shared contact details and devices, money shuffled among them,
    then cashed out."""
    rng, members = world.rng, group.members
    kinds = ["phone", "device", "address", "ip"]
    shared = rng.choice(kinds, size=int(rng.integers(2, 4)), replace=False)
    for kind in shared:
        world.identity.base[str(kind)][members] = members[0]
    k = len(members)
    n_moves = int(rng.integers(k, 2 * k + 1))
    senders = rng.integers(0, k, n_moves)
    receivers = (senders + rng.integers(1, k, n_moves)) % k
    profile = world.profile
    start = episode_start(rng, profile.episode_days)
    ts = within(rng, start, profile.hours(10 * 24), n_moves)
    transfer(
        world,
        index,
        ts,
        lognormal(rng, 900, 0.7, n_moves),
        members[senders],
        members[receivers],
        channel="mobile",
    )
    ts = within(rng, start + profile.seconds(10 * 24 * HOUR), profile.hours(4 * 24), k)
    world.ledger.add(
        ts=ts,
        amount=np.round(rng.integers(5, 30, k) * 100.0, 2),
        ttype="cash_withdrawal",
        channel="atm",
        from_acc=world.accounts.primary[members],
        to_cp=world.cps.cash,
        group=index,
    )

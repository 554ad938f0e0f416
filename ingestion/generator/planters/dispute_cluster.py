"""Dispute clusters: linked customers buying at the same few merchants, then disputing it."""

from __future__ import annotations

import numpy as np

from graphrisk.domain import DISPUTE_KINDS

from ..draws import PERIOD_DAYS, business_seconds, lognormal, pick
from ..world import Group, World
from .base import transfer

__all__ = [
    "plant_dispute_cluster",
]


def plant_dispute_cluster(world: World, index: int, group: Group) -> None:
    """Linked customers (shared IP, money between them) buying at the same few merchants and
    then disputing most of it."""
    rng, cps, accounts = world.rng, world.cps, world.accounts
    members = group.members
    world.identity.base["ip"][members] = members[0]
    shops = rng.choice(cps.merchants, int(rng.integers(1, 4)), replace=False)
    start_day = int(rng.integers(0, PERIOD_DAYS - 90))
    for member in members:
        k = int(rng.integers(4, 11))
        days = np.sort(rng.integers(start_day, start_day + 60, k))
        dispute = np.where(
            rng.random(k) < 0.8, pick(rng, len(DISPUTE_KINDS), k, (0.6, 0, 0.4, 0)), -1
        )
        world.ledger.add(
            ts=business_seconds(rng, days),
            amount=lognormal(rng, 320, 0.6, k),
            ttype="card_purchase",
            channel="card",
            from_acc=accounts.card[member],
            to_cp=rng.choice(shops, k),
            group=index,
            dispute=dispute,
        )
    k = len(members)
    ts = business_seconds(rng, rng.integers(start_day, start_day + 60, k))
    transfer(
        world,
        index,
        ts,
        lognormal(rng, 400, 0.5, k),
        members,
        np.roll(members, -1),
        channel="mobile",
    )

"""Account takeover: a burst of detail changes on each victim's account, then money to a mule."""

from __future__ import annotations

import numpy as np

from graphrisk.domain import CHANGE_KINDS

from ..draws import DAY, HOUR, lognormal, within
from ..identifiers import ATTACKER_BASE, change_values
from ..world import Group, World
from .base import episode_start, transfer

__all__ = [
    "known_label",
    "plant_account_takeover",
    "takeover_roles",
]


def plant_account_takeover(world: World, index: int, group: Group) -> None:
    """Account takeover: a burst of detail changes and a password reset on each victim's
    account, then transfers out to a mule (members[0]) who cashes out at once."""
    rng, cps, accounts = world.rng, world.cps, world.accounts
    mule, victims = group.members[0], group.members[1:]
    attacker_device = ATTACKER_BASE + index
    ident = world.identity
    burst_kinds = np.array(
        [
            CHANGE_KINDS.index(k)
            for k in (
                "address_change",
                "phone_change",
                "email_change",
                "device_added",
                "limit_change",
            )
        ]
    )
    for victim in victims:
        start = episode_start(rng)
        k = int(rng.integers(3, len(burst_kinds) + 1))
        kinds = np.concatenate(
            ([CHANGE_KINDS.index("password_reset")], rng.choice(burst_kinds, k, replace=False))
        )
        ts = within(rng, start, 36, len(kinds))
        account = accounts.primary[victim]
        old, new = change_values(
            world, np.full(len(kinds), victim), kinds, rng.integers(0, 10**6, len(kinds))
        )
        world.changes.add(np.full(len(kinds), account), ts, kinds, old, new)
        if victim == victims[0]:  # the mule logs in from the attacker's device too
            ident.add_device(int(mule), attacker_device, int(start // DAY))
        ident.add_device(int(victim), attacker_device, int(start // DAY))
        n_out = int(rng.integers(2, 5))
        out_ts = within(rng, int(ts[-1]) + HOUR, 48, n_out)
        amounts = lognormal(rng, 2_500, 0.5, n_out)
        transfer(world, index, out_ts, amounts, victim, mule, channel="online")
        cash_ts = out_ts + rng.integers(HOUR // 2, 12 * HOUR, n_out)
        world.ledger.add(
            ts=cash_ts,
            amount=np.round(amounts * 0.97, 2),
            ttype="transfer",
            channel="online",
            from_acc=accounts.primary[mule],
            to_cp=rng.choice(cps.banks_home, n_out),
            group=index,
        )


def takeover_roles(k: int) -> list[str]:
    """The mule (``members[0]``), then the compromised victims."""
    return ["mule"] + ["compromised"] * (k - 1)


def known_label(rng: np.random.Generator, role: str, label: str) -> str:
    """A caught victim is a fraud victim, not a mule; the mule keeps ``label``."""
    return "fraud" if role == "compromised" else label

"""The eight AMLSim money-laundering patterns, one planter each.

Fan-in, fan-out, cycle, bipartite, stack, random, scatter-gather and gather-scatter, after
Suzumura & Kanezashi, *AMLSim*, IBM 2021. Each pattern's roles follow AMLSim's member order,
which is the order its planter reads the members in (``members[0]`` is the hub where there is
one). Durations, a cycle's cuts and hop gaps and a fan's window come from the world's
generator profile (:mod:`..profiles`); the default profile gives the original draws.
"""

from __future__ import annotations

import numpy as np

from ..draws import HOUR, within
from ..world import Group, World
from .base import (
    episode_start,
    laundering_amount,
    transfer,
)

__all__ = [
    "bipartite_roles",
    "fan_in_roles",
    "fan_out_roles",
    "gather_scatter_roles",
    "plant_bipartite",
    "plant_cycle",
    "plant_fan_in",
    "plant_fan_out",
    "plant_gather_scatter",
    "plant_random",
    "plant_scatter_gather",
    "plant_stack",
    "random_roles",
    "scatter_gather_roles",
    "stack_roles",
]


def plant_fan_in(world: World, index: int, group: Group) -> None:
    """AMLSim fan-in: many originators send to one beneficiary (members[0])."""
    rng, profile = world.rng, world.profile
    hub, origins = group.members[0], group.members[1:]
    base, start = laundering_amount(rng), episode_start(rng, profile.episode_days)
    ts = within(rng, start, profile.hours(profile.fan_hours), len(origins))
    transfer(world, index, ts, base * rng.uniform(0.9, 1.0, len(origins)), origins, hub)


def plant_fan_out(world: World, index: int, group: Group) -> None:
    """AMLSim fan-out: one originator (members[0]) sends to many beneficiaries."""
    rng, profile = world.rng, world.profile
    hub, benes = group.members[0], group.members[1:]
    base, start = laundering_amount(rng), episode_start(rng, profile.episode_days)
    ts = within(rng, start, profile.hours(profile.fan_hours), len(benes))
    transfer(world, index, ts, base * rng.uniform(0.9, 1.0, len(benes)), hub, benes)


def plant_cycle(world: World, index: int, group: Group) -> None:
    """AMLSim cycle: money passes member to member and returns to the first, a little less
    at each hop (each launderer keeps a cut)."""
    rng, profile = world.rng, world.profile
    members = group.members
    k = len(members)
    margin = rng.uniform(*profile.cycle_margin)
    amounts = laundering_amount(rng) * (1 - margin) ** np.arange(k)
    low, high = (profile.seconds(int(h * HOUR)) for h in profile.cycle_hop_hours)
    ts = episode_start(rng, profile.episode_days) + np.cumsum(rng.integers(low, high, k))
    transfer(world, index, ts, amounts, members, np.roll(members, -1))


def plant_bipartite(world: World, index: int, group: Group) -> None:
    """AMLSim bipartite: every originator sends to every beneficiary."""
    rng, profile = world.rng, world.profile
    half = len(group.members) // 2
    origins, benes = group.members[:half], group.members[half:]
    senders = np.repeat(origins, len(benes))
    receivers = np.tile(benes, len(origins))
    start = episode_start(rng, profile.episode_days)
    ts = within(rng, start, profile.hours(6 * 24), len(senders))
    amounts = laundering_amount(rng) * rng.uniform(0.9, 1.0, len(senders))
    transfer(world, index, ts, amounts, senders, receivers)


def plant_stack(world: World, index: int, group: Group) -> None:
    """AMLSim stack: two bipartite layers, originators to intermediaries to beneficiaries;
    the second layer passes on the first layer's total, less a margin."""
    rng, profile = world.rng, world.profile
    members = group.members
    third = len(members) // 3
    origins, mids, benes = members[:third], members[third : 2 * third], members[2 * third :]
    amount1 = laundering_amount(rng)
    amount2 = amount1 * len(origins) * len(mids) / (len(mids) * len(benes))
    amount2 *= 1 - rng.uniform(0.01, 0.05)
    start = episode_start(rng, profile.episode_days)
    s1, r1 = np.repeat(origins, len(mids)), np.tile(mids, len(origins))
    transfer(world, index, within(rng, start, profile.hours(72), len(s1)), amount1, s1, r1)
    s2, r2 = np.repeat(mids, len(benes)), np.tile(benes, len(mids))
    later = start + profile.seconds(80 * HOUR)
    transfer(world, index, within(rng, later, profile.hours(72), len(s2)), amount2, s2, r2)


def plant_random(world: World, index: int, group: Group) -> None:
    """AMLSim random: a random walk among the members; each receiver sends on next."""
    rng, profile = world.rng, world.profile
    members = group.members
    k = len(members)
    walk = [0]
    for _ in range(k):
        step = int(rng.integers(0, k - 1))
        walk.append(step if step < walk[-1] else step + 1)  # never to itself
    order = members[np.array(walk)]
    amounts = laundering_amount(rng) * (1 - rng.uniform(0.01, 0.04)) ** np.arange(k)
    start = episode_start(rng, profile.episode_days)  # drawn before the gaps
    ts = start + np.cumsum(rng.integers(profile.seconds(HOUR), profile.seconds(30 * HOUR), k))
    transfer(world, index, ts, amounts, order[:-1], order[1:])


def plant_scatter_gather(world: World, index: int, group: Group) -> None:
    """AMLSim scatter-gather: the originator (members[0]) scatters to intermediaries, who
    gather to one beneficiary (members[1]) slightly less, later."""
    rng, profile = world.rng, world.profile
    orig, bene, mids = group.members[0], group.members[1], group.members[2:]
    scatter = laundering_amount(rng)
    gather = scatter * (1 - rng.uniform(0.01, 0.05))
    start = episode_start(rng, profile.episode_days)
    later, span = start + profile.seconds(80 * HOUR), profile.hours(72)
    transfer(world, index, within(rng, start, span, len(mids)), scatter, orig, mids)
    transfer(world, index, within(rng, later, span, len(mids)), gather, mids, bene)


def plant_gather_scatter(world: World, index: int, group: Group) -> None:
    """AMLSim gather-scatter: originators gather into one hub (members[0]), which scatters
    the total, less a margin, to the beneficiaries."""
    rng, profile = world.rng, world.profile
    hub = group.members[0]
    n_orig = (len(group.members) - 1) // 2
    origins, benes = group.members[1 : 1 + n_orig], group.members[1 + n_orig :]
    gather = laundering_amount(rng)
    scatter = gather * len(origins) / len(benes) * (1 - rng.uniform(0.01, 0.05))
    start = episode_start(rng, profile.episode_days)
    later, span = start + profile.seconds(80 * HOUR), profile.hours(72)
    transfer(world, index, within(rng, start, span, len(origins)), gather, origins, hub)
    transfer(world, index, within(rng, later, span, len(benes)), scatter, hub, benes)


def fan_in_roles(k: int) -> list[str]:
    """The beneficiary first, then the originators."""
    return ["beneficiary"] + ["originator"] * (k - 1)


def fan_out_roles(k: int) -> list[str]:
    """The originator first, then the beneficiaries."""
    return ["originator"] + ["beneficiary"] * (k - 1)


def bipartite_roles(k: int) -> list[str]:
    """Originators in the first half, beneficiaries in the second."""
    return ["originator"] * (k // 2) + ["beneficiary"] * (k - k // 2)


def stack_roles(k: int) -> list[str]:
    """Originators, intermediaries, beneficiaries: a third each, the rest beneficiaries."""
    third = k // 3
    rest = k - 2 * third
    return ["originator"] * third + ["intermediary"] * third + ["beneficiary"] * rest


def random_roles(k: int) -> list[str]:
    """The walk starts at the originator; every other member is just a member."""
    return ["originator"] + ["member"] * (k - 1)


def scatter_gather_roles(k: int) -> list[str]:
    """Originator, beneficiary, then the intermediaries between them."""
    return ["originator", "beneficiary"] + ["intermediary"] * (k - 2)


def gather_scatter_roles(k: int) -> list[str]:
    """The hub (an intermediary), then originators, then beneficiaries."""
    n_orig = (k - 1) // 2
    return ["intermediary"] + ["originator"] * n_orig + ["beneficiary"] * (k - 1 - n_orig)

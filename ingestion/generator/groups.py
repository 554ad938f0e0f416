"""Who joins which planted group, and which risky members an investigator already knows.

Why here and not in the planters: groups are drawn for every typology before any money moves,
each customer joins at most one, and only then are transactions planted; the known labels come
last, as past investigations would have caught a random part of the risky groups.
"""

from __future__ import annotations

import numpy as np

from graphrisk.domain import RISK_LABELS

from .profiles import DEFAULT_PROFILE, Profile
from .registry import (
    RISKY_TYPOLOGIES,
    TYPOLOGIES,
    TYPOLOGY_BY_NAME,
    TYPOLOGY_CODE,
    KnownLabel,
    Typology,
)
from .world import Customers, Group, Truth

__all__ = ["add_group", "assign_groups", "assign_known_labels"]

_P_GROUP_UNKNOWN = 0.45  # share of risky groups nobody has caught yet
_P_MEMBER_KNOWN = 0.65  # share of members labelled in a group that was caught


def _sizes(typology: Typology, profile: Profile) -> tuple[int, int]:
    """The typology's range of group sizes, or the profile's where it sets one."""
    if typology.name == "cycle" and profile.cycle_sizes is not None:
        return profile.cycle_sizes
    return typology.sizes


def _n_groups(sizes: tuple[int, int], share: float, n: int) -> int:
    mean_size = (sizes[0] + sizes[1]) / 2
    return max(1, int(round(n * share / mean_size)))


def _draw(
    rng: np.random.Generator, free: np.ndarray, eligible: np.ndarray, k: int, what: str
) -> np.ndarray:
    """Draw ``k`` distinct free and eligible customers and mark them taken."""
    pool = np.flatnonzero(free & eligible)
    if len(pool) < k:
        raise ValueError(f"too few customers left to plant {what}; generate more customers")
    chosen = rng.choice(pool, size=k, replace=False)
    free[chosen] = False
    return chosen


def assign_groups(
    rng: np.random.Generator, customers: Customers, profile: Profile = DEFAULT_PROFILE
) -> Truth:
    """Choose the members and roles of every planted group; each customer joins at most one.

    The profile may widen a typology's group sizes (cycles of 3-10); each typology keeps its
    share of customers.
    """
    n = customers.n
    truth = Truth(
        typology=np.full(n, -1, np.int64),
        group=np.full(n, -1, np.int64),
        role=np.full(n, "", dtype=object),
        codes=TYPOLOGY_CODE,
        risky_codes=[TYPOLOGY_CODE[t] for t in RISKY_TYPOLOGIES],
    )
    free = np.ones(n, dtype=bool)
    person = ~customers.business
    anyone = np.ones(n, dtype=bool)
    for typology in TYPOLOGIES:
        low, high = _sizes(typology, profile)
        count = _n_groups((low, high), typology.share, n)
        sizes = rng.integers(low, high + 1, count)
        eligible = person if typology.pool == "person" else anyone
        members = _draw(rng, free, eligible, int(sizes.sum()), typology.name)
        heads = None
        if typology.business_heads is not None:
            heads = _draw(rng, free, customers.business, count, typology.business_heads)
        start = 0
        for k, size in enumerate(sizes):
            chunk = members[start : start + size]
            start += size
            if heads is not None:
                chunk = np.concatenate(([heads[k]], chunk))
            add_group(truth, typology.name, chunk)
    return truth


def add_group(truth: Truth, typology: str, members: np.ndarray) -> None:
    """Record one group: its id (``<typology>-0001``...), members and their roles."""
    index = len(truth.groups)
    number = truth.per_typology.get(typology, 0) + 1
    truth.per_typology[typology] = number
    gid = f"{typology}-{number:04d}"
    roles = TYPOLOGY_BY_NAME[typology].roles(len(members))
    truth.groups.append(Group(gid, typology, members, roles))
    truth.typology[members] = truth.codes[typology]
    truth.group[members] = index
    truth.role[members] = roles


def assign_known_labels(
    rng: np.random.Generator, truth: Truth, known_share: float | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Label a random part of the risky groups, as past investigations would have.

    Args:
        rng: the generator's random numbers.
        truth: the planted groups.
        known_share: share of the risky members to label (a generator profile's); ``None``
            keeps the default draw: 45% of groups uncaught, 65% of a caught group's members
            labelled, about 36% of risky members in all but varying with the seed.

    Returns:
        Per customer, an index into ``RISK_LABELS`` (-1: none) and the source text (or "").
    """
    n = len(truth.typology)
    label = np.full(n, -1, np.int64)
    source = np.full(n, "", dtype=object)
    if known_share is not None:
        _label_share(rng, truth, known_share, label, source)
        return label, source
    for group in truth.groups:
        known = TYPOLOGY_BY_NAME[group.typology].known
        if known is None or rng.random() < _P_GROUP_UNKNOWN:
            continue
        hit = rng.random(len(group.members)) < _P_MEMBER_KNOWN
        _label(rng, group, known, hit, label, source)
    return label, source


def _label_share(
    rng: np.random.Generator,
    truth: Truth,
    share: float,
    label: np.ndarray,
    source: np.ndarray,
) -> None:
    """Catch risky groups in random order, labelling part of each, until ``share`` of the
    risky members are labelled.

    Why not the default draw with other odds: whole groups are caught or not, so the share
    labelled varies by 0.1-0.2 between seeds at a few thousand customers; a profile that
    promises 10% must deliver about 10%. Labels stay clustered in caught groups.
    """
    labelled_groups = [g for g in truth.groups if TYPOLOGY_BY_NAME[g.typology].known]
    budget = int(round(share * sum(len(g.members) for g in labelled_groups)))
    p_member = max(_P_MEMBER_KNOWN, share)
    for index in rng.permutation(len(labelled_groups)):
        if budget <= 0:
            break
        group = labelled_groups[int(index)]
        hit = rng.random(len(group.members)) < p_member
        hit &= np.cumsum(hit) <= budget
        budget -= int(hit.sum())
        known = TYPOLOGY_BY_NAME[group.typology].known
        assert known is not None
        _label(rng, group, known, hit, label, source)


def _label(
    rng: np.random.Generator,
    group: Group,
    known: KnownLabel,
    hit: np.ndarray,
    label: np.ndarray,
    source: np.ndarray,
) -> None:
    """Give the ``hit`` members of a caught group their label and its source."""
    for member, role, caught in zip(group.members, group.roles, hit, strict=True):
        if not caught:
            continue
        label_name = known.label
        if known.refine is not None:
            label_name = known.refine(rng, role, label_name)
        label[member] = RISK_LABELS.index(label_name)
        source[member] = known.sources[int(rng.integers(0, len(known.sources)))]

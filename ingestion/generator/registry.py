"""The registry of planted typologies: one entry per typology, from plan to planter.

Why one entry: a typology is several facts that must agree — how many groups to plant and of
whom, the role of each member, the planter that reads the members in that order, and the label
an investigator would give a caught member. An entry holds them all, so adding a typology is
one planter module in :mod:`.planters`, one entry here and its name in the public list it
belongs to (:data:`RISKY_TYPOLOGIES` or :data:`LOOKALIKE_TYPOLOGIES`, which detectors and
benchmarks read); ``tests/unit/test_generator_registry.py`` fails if the two disagree or if a
registered typology plants nothing.

The order of :data:`TYPOLOGIES` is the order groups are drawn and planted in. Everything comes
from one random generator, so that order is part of the output: reordering the entries changes
the bytes every seed gives.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np

from .planters import (
    account_takeover,
    amlsim,
    dispute_cluster,
    high_risk_profile,
    identity_ring,
    lookalikes,
    structuring,
)
from .planters.base import Planter, member_roles
from .world import World

__all__ = [
    "AML_PATTERNS",
    "LOOKALIKE_TYPOLOGIES",
    "NORMAL_TYPOLOGY",
    "RISKY_TYPOLOGIES",
    "TYPOLOGIES",
    "TYPOLOGY_BY_NAME",
    "TYPOLOGY_CODE",
    "TYPOLOGY_NAMES",
    "KnownLabel",
    "Typology",
    "plant_groups",
]

#: The eight AMLSim alert patterns, by AMLSim's names.
AML_PATTERNS: tuple[str, ...] = (
    "fan_in",
    "fan_out",
    "cycle",
    "bipartite",
    "stack",
    "random",
    "scatter_gather",
    "gather_scatter",
)
#: Every planted pattern whose members are truly risky (``risky = 1``).
RISKY_TYPOLOGIES: tuple[str, ...] = (
    "identity_ring",
    *AML_PATTERNS,
    "structuring",
    "dispute_cluster",
    "account_takeover",
    "high_risk_profile",
)
#: Benign patterns that look risky to a naive detector (``risky = 0``).
LOOKALIKE_TYPOLOGIES: tuple[str, ...] = (
    "family_lookalike",
    "payroll_lookalike",
    "profile_lookalike",
)
#: The ``typology`` of a customer in no planted group.
NORMAL_TYPOLOGY = "normal"


@dataclass(frozen=True)
class KnownLabel:
    """The ``known_risk_label`` an investigator gives a caught member, and where it came from.

    Attributes:
        label: a name of :data:`graphrisk.domain.RISK_LABELS`.
        sources: ``known_risk_source`` values, one drawn per labelled member.
        refine: ``refine(rng, role, label)`` gives a member's label when it depends on the
            member's role or on chance (a compromised victim is ``fraud``, not ``mule``).
    """

    label: str
    sources: tuple[str, ...]
    refine: Callable[[np.random.Generator, str, str], str] | None = None


@dataclass(frozen=True)
class Typology:
    """One planted typology: its plan, its members' roles, its planter and its known label.

    Attributes:
        name: the ``typology`` written in the truth file.
        risky: whether members are truly risky; look-alikes are not.
        share: expected fraction of all customers planted in this typology.
        sizes: inclusive range of group sizes (members drawn from ``pool``).
        plant: the planter, called once per group.
        pool: ``person`` draws members among persons only; ``any`` among all customers.
        roles: ``roles(k)`` names the part of each of ``k`` members by position; the planter
            reads the members in the same order.
        business_heads: when set, each group also gets a business drawn first as its head
            (``members[0]``); the text names them in the error raised when none are left.
        known: the label of caught members; ``None`` for benign look-alikes, which nobody
            labels.
    """

    name: str
    risky: bool
    share: float
    sizes: tuple[int, int]
    plant: Planter
    pool: Literal["any", "person"] = "any"
    roles: Callable[[int], list[str]] = member_roles
    business_heads: str | None = None
    known: KnownLabel | None = None


_LAUNDERING = KnownLabel(label="money_laundering", sources=("sar", "investigation"))


def _aml(
    name: str, sizes: tuple[int, int], plant: Planter, roles: Callable[[int], list[str]]
) -> Typology:
    """An AMLSim pattern: all eight share their share of customers and their label."""
    return Typology(
        name=name,
        risky=True,
        share=0.002,
        sizes=sizes,
        plant=plant,
        roles=roles,
        known=_LAUNDERING,
    )


#: Every planted typology, in the order groups are drawn and planted.
TYPOLOGIES: tuple[Typology, ...] = (
    # Business-led groups first, so that they find businesses left to draw.
    Typology(
        name="payroll_lookalike",
        risky=False,
        share=0.008,
        sizes=(9, 31),  # + one business payer
        plant=lookalikes.plant_payroll,
        pool="person",
        roles=lookalikes.payroll_roles,
        business_heads="payroll payers",
    ),
    Typology(
        name="high_risk_profile",
        risky=True,
        share=0.003,
        sizes=(1, 2),
        plant=high_risk_profile.plant_high_risk_profile,
        known=KnownLabel(
            label="money_laundering",
            sources=("sar", "sanctions_screening"),
            refine=high_risk_profile.known_label,
        ),
    ),
    Typology(
        name="profile_lookalike",
        risky=False,
        share=0.004,
        sizes=(1, 1),
        plant=lookalikes.plant_profile_lookalike,
    ),
    Typology(
        name="identity_ring",
        risky=True,
        share=0.010,
        sizes=(3, 8),
        plant=identity_ring.plant_identity_ring,
        pool="person",
        known=KnownLabel(label="identity_fraud", sources=("investigation", "fraud_team")),
    ),
    _aml("fan_in", (5, 10), amlsim.plant_fan_in, amlsim.fan_in_roles),
    _aml("fan_out", (5, 10), amlsim.plant_fan_out, amlsim.fan_out_roles),
    _aml("cycle", (3, 8), amlsim.plant_cycle, member_roles),
    _aml("bipartite", (4, 10), amlsim.plant_bipartite, amlsim.bipartite_roles),
    _aml("stack", (6, 12), amlsim.plant_stack, amlsim.stack_roles),
    _aml("random", (4, 8), amlsim.plant_random, amlsim.random_roles),
    _aml("scatter_gather", (5, 10), amlsim.plant_scatter_gather, amlsim.scatter_gather_roles),
    _aml("gather_scatter", (5, 10), amlsim.plant_gather_scatter, amlsim.gather_scatter_roles),
    Typology(
        name="structuring",
        risky=True,
        share=0.004,
        sizes=(1, 3),
        plant=structuring.plant_structuring,
        roles=structuring.structuring_roles,
        known=KnownLabel(label="money_laundering", sources=("sar", "ctr_review")),
    ),
    Typology(
        name="dispute_cluster",
        risky=True,
        share=0.004,
        sizes=(3, 6),
        plant=dispute_cluster.plant_dispute_cluster,
        pool="person",
        known=KnownLabel(label="fraud", sources=("chargeback", "investigation")),
    ),
    Typology(
        name="account_takeover",
        risky=True,
        share=0.003,
        sizes=(2, 4),
        plant=account_takeover.plant_account_takeover,
        pool="person",
        roles=account_takeover.takeover_roles,
        known=KnownLabel(
            label="mule",
            sources=("customer_report", "investigation"),
            refine=account_takeover.known_label,
        ),
    ),
    Typology(
        name="family_lookalike",
        risky=False,
        share=0.030,
        sizes=(2, 5),
        plant=lookalikes.plant_family,
        pool="person",
        roles=lookalikes.family_roles,
    ),
)
#: Typology names in plant order; a name's position is its code in :class:`.world.Truth`.
TYPOLOGY_NAMES: tuple[str, ...] = tuple(t.name for t in TYPOLOGIES)
#: Code of each typology name.
TYPOLOGY_CODE: dict[str, int] = {name: i for i, name in enumerate(TYPOLOGY_NAMES)}
#: The registry entry of each typology name.
TYPOLOGY_BY_NAME: dict[str, Typology] = {t.name: t for t in TYPOLOGIES}


def plant_groups(world: World) -> None:
    """Plant the transactions, identifiers, changes and holders of every group, in order."""
    for index, group in enumerate(world.truth.groups):
        TYPOLOGY_BY_NAME[group.typology].plant(world, index, group)

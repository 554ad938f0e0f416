"""Generator profiles: banks unlike the one our detectors were designed beside.

Why: every quality figure used to come from the default generator, whose amounts (euros in
the thousands), time spans (laundering episodes of days, timestamps to the second) and
typology shapes the detectors' thresholds were chosen beside. A profile changes one of those
at a time — the amount scale, the time resolution and span, the data a bank holds, the
background traffic, the typology parameters, the share of known labels — so that
``benchmarks/bench_robustness.py`` can measure how the untuned pipeline holds up on each
(issue 14, item 7).

A profile is a frozen :class:`Profile` of knobs that :func:`.pipeline.generate_dataset`
threads through the generator: the planters read the typology knobs, the background
behaviour its rate, the known labels their share. Two knobs are applied to the finished
data: timestamps coarsened to the hour and amounts scaled (then rounded to cents, at least
one cent, as the schema asks). The ``default`` profile changes nothing: the generator draws
exactly the random numbers it drew before profiles existed, so a default bank is
byte-identical.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pyarrow as pa

__all__ = [
    "DEFAULT_PROFILE",
    "PROFILES",
    "Profile",
    "apply_to_tables",
    "resolve_profile",
]

#: Customer columns an accounts-only bank leaves empty (all optional in the schema; the
#: required ``segment``, ``country``, ``kyc_status`` and ``onboarding_date`` stay).
ATTRIBUTE_COLUMNS: tuple[str, ...] = (
    "industry",
    "region",
    "credit_score",
    "annual_income",
    "birth_year",
)
#: Money columns scaled by :attr:`Profile.amount_scale`, per entity.
_AMOUNT_COLUMNS: dict[str, tuple[str, ...]] = {
    "transactions": ("amount",),
    "disputes": ("amount",),
    "loans": ("amount", "monthly_payment"),
    "customers": ("annual_income",),
}


@dataclass(frozen=True)
class Profile:
    """The knobs of one generator profile; the defaults are the default generator.

    Attributes:
        name: the profile's name, as :data:`PROFILES` and the benchmark call it.
        description: one line saying what it changes.
        amount_scale: every amount (transactions, disputes, loans, incomes) is multiplied
            by this, then rounded to cents (at least 0.01): a bank that reports in another
            currency unit.
        hour_resolution: timestamps are cut to the hour (``...T14:00:00``), as banks that
            export hourly batches deliver them.
        typology_time_scale: every planted laundering episode (the AMLSim patterns and
            identity rings) lasts this many times longer: the hours between a cycle's hops,
            a fan's window, the delay between a stack's layers.
        episode_days: days left at the end of the year for an episode to finish; must cover
            the longest episode the other knobs allow.
        accounts_only: no identifiers (the file holds only its header) and no customer
            attributes (:data:`ATTRIBUTE_COLUMNS` empty): a transfer network from outside.
        background_rate: the rate of everyday transactions (bills, card purchases,
            transfers, cash, business payments, savings) is multiplied by this; monthly
            salaries, pensions, taxes and loan repayments stay.
        cycle_sizes: inclusive range of members in a planted cycle; ``None`` keeps the
            registry's (3-8).
        cycle_margin: range of the cut each launderer of a cycle keeps (a share of what
            reached them), so amounts decay hop by hop.
        cycle_hop_hours: range of hours between two hops of a cycle (before
            ``typology_time_scale``).
        fan_hours: hours within which a fan-in's or fan-out's transfers fall (before
            ``typology_time_scale``).
        known_share: share of the risky customers who carry a ``known_risk_label``
            (groups are caught in random order, most members of each labelled, until the
            share is reached); ``None`` keeps the default draw (about 36%: 55% of groups
            caught, 65% of a caught group's members labelled, varying with the seed).
    """

    name: str = "default"
    description: str = "the default generator"
    amount_scale: float = 1.0
    hour_resolution: bool = False
    typology_time_scale: float = 1.0
    episode_days: int = 14
    accounts_only: bool = False
    background_rate: float = 1.0
    cycle_sizes: tuple[int, int] | None = None
    cycle_margin: tuple[float, float] = (0.01, 0.05)
    cycle_hop_hours: tuple[float, float] = (2.0, 36.0)
    fan_hours: float = 5 * 24
    known_share: float | None = None

    def __post_init__(self) -> None:
        if self.amount_scale <= 0 or self.typology_time_scale <= 0 or self.background_rate < 0:
            raise ValueError(
                f"profile {self.name!r}: amount_scale and typology_time_scale must be "
                "positive and background_rate not negative"
            )
        if self.known_share is not None and not 0.0 < self.known_share <= 1.0:
            raise ValueError(f"profile {self.name!r}: known_share must be in (0, 1]")
        if self.cycle_sizes is not None and not 3 <= self.cycle_sizes[0] <= self.cycle_sizes[1]:
            raise ValueError(f"profile {self.name!r}: cycle_sizes must be (low >= 3, high)")
        longest_cycle = (self.cycle_sizes or (3, 8))[1] * self.cycle_hop_hours[1] / 24
        longest = self.typology_time_scale * max(longest_cycle, self.fan_hours / 24, 14.0)
        if self.episode_days < longest:
            raise ValueError(
                f"profile {self.name!r}: episode_days {self.episode_days} is shorter than "
                f"its longest episode ({longest:.0f} days)"
            )

    @property
    def is_default(self) -> bool:
        """Whether the profile changes nothing (the name aside)."""
        return replace(self, name="default", description="") == replace(
            DEFAULT_PROFILE, description=""
        )

    def hours(self, hours: float) -> float:
        """A planted episode's duration in hours, stretched by ``typology_time_scale``."""
        return hours * self.typology_time_scale

    def seconds(self, seconds: int) -> int:
        """A planted episode's duration in seconds, stretched by ``typology_time_scale``."""
        return int(seconds * self.typology_time_scale)


DEFAULT_PROFILE = Profile()

#: The named profiles of the robustness suite, ``default`` first.
PROFILES: dict[str, Profile] = {
    p.name: p
    for p in (
        DEFAULT_PROFILE,
        Profile("amounts_x0.01", "every amount x0.01 (hundreds, not thousands)", 0.01),
        Profile("amounts_x100", "every amount x100", 100.0),
        Profile("hourly", "timestamps at hour resolution", hour_resolution=True),
        Profile(
            "slow_typologies",
            "laundering episodes four times longer (cycles over weeks, fans over 20 days)",
            typology_time_scale=4.0,
            episode_days=56,
        ),
        Profile(
            "accounts_only",
            "no identifiers, no customer attributes",
            accounts_only=True,
        ),
        Profile("dense_background", "three times the everyday traffic", background_rate=3.0),
        Profile("sparse_background", "a third of the everyday traffic", background_rate=1 / 3),
        Profile(
            "wide_typologies",
            "cycles of 3-10 customers, 2-12% kept a hop, 12 h-7 days a hop; fans over a month",
            cycle_sizes=(3, 10),
            cycle_margin=(0.02, 0.12),
            cycle_hop_hours=(12.0, 7 * 24.0),
            fan_hours=30 * 24.0,
            episode_days=72,
        ),
        Profile("known_10", "10% of the risky customers told as known", known_share=0.10),
        Profile("known_30", "30% of the risky customers told as known", known_share=0.30),
        Profile("known_60", "60% of the risky customers told as known", known_share=0.60),
        Profile(
            "outside_like",
            "all at once, like the outside transfer network of issue 14: amounts x0.01, hour "
            "timestamps, no identifiers or attributes, wide typologies, 30% known",
            amount_scale=0.01,
            hour_resolution=True,
            accounts_only=True,
            cycle_sizes=(3, 10),
            cycle_margin=(0.02, 0.12),
            cycle_hop_hours=(12.0, 7 * 24.0),
            fan_hours=30 * 24.0,
            episode_days=72,
            known_share=0.30,
        ),
    )
}


def resolve_profile(profile: str | Profile | None) -> Profile:
    """The :class:`Profile` a caller named (``None``: the default).

    Raises:
        ValueError: no profile has that name.
        TypeError: ``profile`` is neither a name nor a profile.
    """
    if profile is None:
        return DEFAULT_PROFILE
    if not isinstance(profile, str):
        # Duck-typed: the package is importable as ``ingestion`` and as
        # ``graphrisk.ingestion``, whose ``Profile`` classes are not the same object.
        if not hasattr(profile, "typology_time_scale"):
            raise TypeError(f"profile must be a name or a Profile, got {type(profile).__name__}")
        return profile
    try:
        return PROFILES[profile]
    except KeyError:
        raise ValueError(
            f"unknown generator profile {profile!r}; choose one of {', '.join(PROFILES)}"
        ) from None


def apply_to_tables(tables: dict[str, pa.Table], profile: Profile) -> dict[str, pa.Table]:
    """The finished entity tables with the profile's data-level knobs applied.

    Scales the money columns (rounded to cents, at least 0.01) and, for an accounts-only
    bank, drops every identifier row and empties the customers' attributes. Reads no
    random numbers.
    """
    out = dict(tables)
    if profile.amount_scale != 1.0:
        for entity, columns in _AMOUNT_COLUMNS.items():
            table = out[entity]
            for column in columns:
                out[entity] = table = _replace(
                    table, column, _scaled(table[column], profile.amount_scale)
                )
    if profile.accounts_only:
        out["identifiers"] = out["identifiers"].slice(0, 0)
        customers = out["customers"]
        for column in ATTRIBUTE_COLUMNS:
            customers = _replace(
                customers, column, pa.nulls(customers.num_rows, customers.schema.field(column).type)
            )
        out["customers"] = customers
    return out


def _scaled(column: pa.ChunkedArray, scale: float) -> pa.Array:
    values = column.to_numpy(zero_copy_only=False).astype(np.float64)
    missing = np.isnan(values)
    scaled = np.maximum(np.round(values * scale, 2), 0.01)
    return pa.array(scaled, pa.float64(), mask=missing if missing.any() else None)


def _replace(table: pa.Table, column: str, values: pa.Array) -> pa.Table:
    index = table.schema.get_field_index(column)
    return table.set_column(index, table.schema.field(index), values)

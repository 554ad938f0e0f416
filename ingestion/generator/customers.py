"""Customers: who they are, the attributes their planted typology implies, their credit score.

Why separate from groups: customers are drawn first; :mod:`.groups` then picks the planted
groups among them, and :func:`shape_risky_profiles` gives the chosen members the industry,
country or onboarding date their typology implies.
"""

from __future__ import annotations

import numpy as np

from graphrisk.domain import KYC_STATUSES, SEGMENTS

from .draws import lognormal, pick
from .lookups import (
    FIRST_NAMES,
    HIGH_RISK_COUNTRY_CODES,
    HIGH_RISK_INDUSTRIES,
    HOME_COUNTRIES,
    HOME_WEIGHTS,
    INDUSTRIES,
    LAST_NAMES,
)
from .world import Customers, Truth

__all__ = [
    "credit_scores",
    "make_customers",
    "shape_risky_profiles",
]


def make_customers(rng: np.random.Generator, n: int) -> Customers:
    """Customers: mostly retail, some SME, corporate and private-banking clients."""
    segment = pick(rng, len(SEGMENTS), n, (0.875, 0.08, 0.015, 0.03))
    business = (segment == SEGMENTS.index("sme")) | (segment == SEGMENTS.index("corporate"))
    country = pick(rng, len(HOME_COUNTRIES), n, HOME_WEIGHTS)
    industry = np.where(business, rng.integers(0, len(INDUSTRIES), n), -1)
    # A few self-employed persons name an industry too.
    self_employed = ~business & (rng.random(n) < 0.04)
    industry = np.where(self_employed, rng.integers(0, len(INDUSTRIES), n), industry)

    income = lognormal(rng, 36_000, 0.45, n)
    income = np.where(
        segment == SEGMENTS.index("private_banking"), lognormal(rng, 260_000, 0.6, n), income
    )
    income = np.where(segment == SEGMENTS.index("sme"), lognormal(rng, 850_000, 0.8, n), income)
    income = np.where(
        segment == SEGMENTS.index("corporate"), lognormal(rng, 25_000_000, 1.0, n), income
    )
    income = np.round(income, -2)

    kyc = pick(rng, len(KYC_STATUSES), n, (0.91, 0.05, 0.01, 0.03))
    # Onboarding skews recent: most customers joined in the last decade.
    age_days = np.minimum(rng.exponential(6.0 * 365, n), 25 * 365).astype(np.int64)
    onboard_day = -30 - age_days
    birth_year = np.where(
        business, -1, np.clip(rng.normal(1978, 16, n), 1930, 2006).astype(np.int64)
    )
    activity = rng.lognormal(-0.18, 0.6, n)
    return Customers(
        segment=segment,
        business=business,
        country=country,
        region=rng.integers(1, 17, n),
        industry=industry,
        income=income,
        kyc=kyc,
        onboard_day=onboard_day,
        birth_year=birth_year,
        first=rng.integers(0, len(FIRST_NAMES), n),
        last=rng.integers(0, len(LAST_NAMES), n),
        activity=activity,
    )


def shape_risky_profiles(rng: np.random.Generator, customers: Customers, truth: Truth) -> None:
    """Give planted customers the attributes their typology implies (industry, country...)."""
    for typology in ("high_risk_profile", "profile_lookalike"):
        members = truth.members_of(typology)
        is_business = customers.business[members]
        risky_industry = len(INDUSTRIES) + rng.integers(0, len(HIGH_RISK_INDUSTRIES), len(members))
        # Businesses get a high-risk industry (and sometimes a high-risk seat); persons a
        # high-risk country of residence and sometimes a self-employed high-risk trade.
        customers.industry[members] = np.where(
            is_business | (rng.random(len(members)) < 0.3),
            risky_industry,
            customers.industry[members],
        )
        offshore = ~is_business | (rng.random(len(members)) < 0.4)
        new_country = rng.choice(HIGH_RISK_COUNTRY_CODES, len(members))
        customers.country[members] = np.where(offshore, new_country, customers.country[members])
    # Benign high-risk-industry businesses also exist outside any planted group.
    n = customers.n
    benign = customers.business & (truth.typology < 0) & (rng.random(n) < 0.02)
    customers.industry[benign] = len(INDUSTRIES) + rng.integers(
        0, len(HIGH_RISK_INDUSTRIES), int(benign.sum())
    )

    ring = truth.members_of("identity_ring")
    for group in truth.groups:
        if group.typology == "identity_ring":
            # Synthetic identities are opened together, shortly before they are used.
            customers.onboard_day[group.members] = -rng.integers(40, 200) + rng.integers(
                0, 20, len(group.members)
            )
    customers.kyc[ring] = pick(rng, len(KYC_STATUSES), len(ring), (0.6, 0.3, 0.08, 0.02))
    takeover_mules = [g.members[0] for g in truth.groups if g.typology == "account_takeover"]
    customers.onboard_day[takeover_mules] = -rng.integers(20, 120, len(takeover_mules))


def credit_scores(rng: np.random.Generator, customers: Customers, truth: Truth) -> np.ndarray:
    """Bureau scores 300-850, a little lower for risky customers (a weak signal on purpose)."""
    score = rng.normal(690, 65, customers.n) - 40 * truth.is_risky()
    score += 0.004 * np.minimum(customers.income, 200_000) / 100
    return np.clip(np.rint(score), 300, 850).astype(np.int64)

"""The risk policy: what a score means and what each tier of customers requires.

Why a file: tiers, review frequencies, limits and alert thresholds are the risk team's
decisions, not the code's. They live in a TOML file people can read and change
(``graphrisk/default_policy.toml`` is the default; ``GRAPHRISK_POLICY_FILE`` points at
another), and the file is checked when loaded so that a typo stops the run with a message
naming the file and the field instead of grading customers wrongly.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from graphrisk.errors import ConfigError

__all__ = [
    "DEFAULT_COMPONENT_WEIGHTS",
    "DEFAULT_HIGH_RISK_COUNTRIES",
    "DEFAULT_HIGH_RISK_INDUSTRIES",
    "DEFAULT_MAX_IDENTIFIER_DEGREE",
    "DEFAULT_POLICY_FILE",
    "DEFAULT_REPORTING_THRESHOLD",
    "SCORE_COMPONENTS",
    "TIERS",
    "AlertThresholds",
    "RiskPolicy",
    "ScoringPolicy",
    "TierPolicy",
    "load_policy",
]

#: The policy shipped with GraphRisk.
DEFAULT_POLICY_FILE = Path(__file__).with_name("default_policy.toml")
#: Tier names, lowest first.
TIERS: tuple[str, ...] = ("low", "medium", "high")

Tier = Literal["low", "medium", "high"]

#: The pieces of evidence fused into the score (``graphrisk.scoring``), in reason order.
SCORE_COMPONENTS: tuple[str, ...] = (
    "known", "individual", "network", "typology", "cluster", "model",
)
#: Weight per score component; chosen on validation splits (see ``docs/benchmarks.md``).
DEFAULT_COMPONENT_WEIGHTS: dict[str, float] = {
    "known": 0.9, "individual": 1.0, "network": 0.5, "typology": 0.9, "cluster": 0.9,
    "model": 1.0,
}
#: Industry codes treated as high-risk. The synthetic generator plants risk with these same
#: lists (it imports them from here), so a generated bank is scored with what it was built with.
DEFAULT_HIGH_RISK_INDUSTRIES: tuple[str, ...] = ("gambling", "crypto_exchange", "money_service")
#: ISO 3166-1 alpha-2 codes treated as high-risk.
DEFAULT_HIGH_RISK_COUNTRIES: tuple[str, ...] = ("AE", "CY", "KY", "MT", "PA", "VG")
#: The cash/transfer reporting threshold; amounts just under it look like structuring.
DEFAULT_REPORTING_THRESHOLD = 10_000.0
#: Identifiers shared by more customers than this link nobody (a call centre's phone number).
DEFAULT_MAX_IDENTIFIER_DEGREE = 10


class ScoringPolicy(BaseModel):
    """The scoring knobs a risk team may change: weights, threshold, lists, cut-offs.

    Every field has a default (the values above), so a policy file may leave the
    ``[scoring]`` section out, or name only what it changes.
    """

    model_config = ConfigDict(extra="forbid")

    weights: dict[str, float] = Field(
        default_factory=lambda: dict(DEFAULT_COMPONENT_WEIGHTS),
        description="weight in [0, 1] per score component; components left out keep their "
        "default")
    reporting_threshold: float = Field(
        default=DEFAULT_REPORTING_THRESHOLD, gt=0,
        description="cash/transfer reporting threshold (structuring sits just under it)")
    high_risk_industries: list[str] = Field(
        default_factory=lambda: list(DEFAULT_HIGH_RISK_INDUSTRIES),
        description="industry codes treated as high-risk")
    high_risk_countries: list[str] = Field(
        default_factory=lambda: list(DEFAULT_HIGH_RISK_COUNTRIES),
        description="ISO 3166-1 alpha-2 country codes treated as high-risk")
    max_identifier_degree: int = Field(
        default=DEFAULT_MAX_IDENTIFIER_DEGREE, ge=2,
        description="identifiers shared by more customers than this link nobody")

    @model_validator(mode="after")
    def _known_components(self) -> ScoringPolicy:
        unknown = sorted(set(self.weights) - set(SCORE_COMPONENTS))
        if unknown:
            raise ValueError(f"weights: unknown component(s) {', '.join(unknown)}; the "
                             f"components are {', '.join(SCORE_COMPONENTS)}")
        bad = {k: w for k, w in self.weights.items() if not 0.0 <= w <= 1.0}
        if bad:
            raise ValueError(f"weights must be between 0 and 1, got {bad}")
        self.weights = {**DEFAULT_COMPONENT_WEIGHTS, **self.weights}
        bad_countries = [c for c in self.high_risk_countries
                         if len(c) != 2 or not c.isalpha()]
        if bad_countries:
            raise ValueError(f"high_risk_countries must be two-letter ISO codes, got "
                             f"{bad_countries}")
        return self


class AlertThresholds(BaseModel):
    """When monitoring raises an alert for a customer of this tier."""

    model_config = ConfigDict(extra="forbid")

    single_payment: float = Field(gt=0, description="one payment at least this large")
    daily_total: float = Field(gt=0, description="a day's outgoing payments reach this")
    new_counterparties_per_week: int = Field(ge=1, description="new payees within 7 days")
    score_increase: float = Field(gt=0, le=100, description="score rise since the last run")


class TierPolicy(BaseModel):
    """What one tier requires."""

    model_config = ConfigDict(extra="forbid")

    min_score: float = Field(ge=0, le=100, description="lowest score in this tier")
    review_every_days: int = Field(ge=1, le=3660, description="periodic re-assessment")
    transaction_limit: float = Field(gt=0, description="largest payment without a check")
    alert_thresholds: AlertThresholds
    required_actions: list[str] = Field(min_length=1)


class RiskPolicy(BaseModel):
    """Every tier's policy; tiers are ordered by ``min_score``, low starting at 0."""

    model_config = ConfigDict(extra="forbid")

    tiers: dict[Tier, TierPolicy]
    scoring: ScoringPolicy = Field(default_factory=ScoringPolicy)

    @model_validator(mode="after")
    def _tiers_in_order(self) -> RiskPolicy:
        missing = [t for t in TIERS if t not in self.tiers]
        if missing:
            raise ValueError(f"every tier needs a section; missing: {', '.join(missing)}")
        if self.tiers["low"].min_score != 0:
            raise ValueError("tiers.low.min_score must be 0 so that every score has a tier")
        for lower, higher in zip(TIERS, TIERS[1:], strict=False):
            if self.tiers[higher].min_score <= self.tiers[lower].min_score:
                raise ValueError(
                    f"tiers.{higher}.min_score ({self.tiers[higher].min_score:g}) must be above "
                    f"tiers.{lower}.min_score ({self.tiers[lower].min_score:g})")
        return self

    def tier_of(self, scores: pd.Series) -> pd.Series:
        """The tier of each score: the highest tier whose ``min_score`` it reaches."""
        bounds = np.array([self.tiers[t].min_score for t in TIERS[1:]])
        codes = np.searchsorted(bounds, scores.to_numpy(dtype=float), side="right")
        return pd.Series(np.array(TIERS, dtype=object)[codes], index=scores.index,
                         name="tier")

    def summary(self) -> pd.DataFrame:
        """One row per tier for people: score range, review, limit, alerts, actions."""
        rows = []
        for position, name in enumerate(TIERS):
            tier = self.tiers[name]
            upper = (self.tiers[TIERS[position + 1]].min_score
                     if position + 1 < len(TIERS) else 100)
            alerts = tier.alert_thresholds
            rows.append({
                "tier": name,
                "scores": f"{tier.min_score:g}-{upper:g}",
                "review every (days)": tier.review_every_days,
                "transaction limit": tier.transaction_limit,
                "alert on payment ≥": alerts.single_payment,
                "alert on daily total ≥": alerts.daily_total,
                "required actions": "; ".join(tier.required_actions),
            })
        return pd.DataFrame(rows)


def load_policy(path: Path | None = None) -> RiskPolicy:
    """Read and check a policy file (the shipped default when ``path`` is ``None``).

    Raises:
        ConfigError: the file is missing, is not TOML, or breaks a rule; the message names
            the file and every offending field.
    """
    path = path or DEFAULT_POLICY_FILE
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(f"policy file {path} does not exist; fix GRAPHRISK_POLICY_FILE or "
                          f"copy {DEFAULT_POLICY_FILE} as a start") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"policy file {path} is not valid TOML: {exc}") from exc
    try:
        return RiskPolicy.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in error['loc']) or 'policy'}: {error['msg']}"
            for error in exc.errors())
        raise ConfigError(f"policy file {path} is invalid: {problems}") from exc

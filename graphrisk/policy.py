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
    "ALERT_RULE_KINDS",
    "CASE_STATUSES",
    "DEFAULT_COMPONENT_WEIGHTS",
    "DEFAULT_HIGH_RISK_COUNTRIES",
    "DEFAULT_HIGH_RISK_INDUSTRIES",
    "DEFAULT_MAX_IDENTIFIER_DEGREE",
    "DEFAULT_POLICY_FILE",
    "DEFAULT_REPORTING_THRESHOLD",
    "RULE_PARAMS",
    "SCORE_COMPONENTS",
    "TIERS",
    "SEVERITIES",
    "AlertRule",
    "AlertThresholds",
    "MonitoringPolicy",
    "PlaybookStep",
    "RiskPolicy",
    "ScoringPolicy",
    "TierPolicy",
    "TypologyPolicy",
    "load_policy",
]

#: The policy shipped with GraphRisk.
DEFAULT_POLICY_FILE = Path(__file__).with_name("default_policy.toml")
#: Tier names, lowest first.
TIERS: tuple[str, ...] = ("low", "medium", "high")

Tier = Literal["low", "medium", "high"]

#: The kinds of alert rule monitoring knows how to check; a policy's ``[alert_rules.NAME]``
#: section names one of them as its key (``list_match`` fires from screening, not from a
#: batch: ``graphrisk screen``). The thresholds of the first five are per tier
#: (``[tiers.*.alert_thresholds]`` and ``transaction_limit``); the others carry ``params``.
ALERT_RULE_KINDS: tuple[str, ...] = (
    "single_payment", "daily_total", "new_counterparties", "over_transaction_limit",
    "score_increase", "tier_escalation", "high_risk_link", "typology_cycle", "typology_fan_in",
    "typology_fan_out", "typology_pass_through", "structuring", "dispute_spike",
    "list_match",
)
#: The parameters each rule kind reads from its ``params`` table, with their defaults.
RULE_PARAMS: dict[str, dict[str, float]] = {
    "new_counterparties": {"window_days": 7},
    "structuring": {"min_payments": 3, "within_days": 7},
    "dispute_spike": {"min_disputes": 3, "within_days": 30},
}
#: Alert severities, mildest first; a case's priority is its most severe alert's.
SEVERITIES: tuple[str, ...] = ("low", "medium", "high", "critical")
#: A case's statuses, in workflow order.
CASE_STATUSES: tuple[str, ...] = ("open", "investigating", "escalated", "closed")

#: The pieces of evidence fused into the score (``graphrisk.scoring``), in reason order.
SCORE_COMPONENTS: tuple[str, ...] = (
    "known", "individual", "unusual", "network", "typology", "cluster", "model",
)
#: Weight per score component; chosen on validation splits (see ``docs/benchmarks.md``).
#: ``unusual`` (how much more unusual the factors are together than chance) weighs as the
#: ``individual`` piece does: without labels it *is* the individual piece.
DEFAULT_COMPONENT_WEIGHTS: dict[str, float] = {
    "known": 0.9, "individual": 1.0, "unusual": 1.0, "network": 0.5, "typology": 0.9,
    "cluster": 0.9, "model": 1.0,
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
    fusion: Literal["learned", "noisy_or"] = Field(
        default="learned",
        description="learned: how much the individual, unusual, network, typology and "
        "cluster components count is learned from the bank's confirmed labels each run; noisy_or: "
        "the weights below decide")

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


class TypologyPolicy(BaseModel):
    """The typology detectors' amount floors and windows, when the team sets them.

    Every field is optional: one left out follows the bank's own data (a quantile of the
    amounts its customers send each other, a multiple of its rhythm; see
    ``graphrisk.analytics.typologies.TypologySettings``). A value set here is in the bank's
    reporting currency (amounts) or in days (windows), and wins over the derived one.
    """

    model_config = ConfigDict(extra="forbid")

    min_amount: float | None = Field(
        default=None, ge=0,
        description="transfers below this are everyday spending, ignored by every detector")
    pass_through_min_amount: float | None = Field(
        default=None, gt=0, description="least money in for a pass-through on its own")
    window_days: float | None = Field(
        default=None, gt=0, description="a cycle closes within this many days")
    fan_window_days: float | None = Field(
        default=None, gt=0, description="a fan's transfers fall within this many days")
    pass_through_days: float | None = Field(
        default=None, gt=0, description="money out follows money in within this many days")

    def chosen(self) -> dict[str, float]:
        """The thresholds the file sets, by name."""
        return {name: value for name, value in self.model_dump().items() if value is not None}


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
    precision_target: float | None = Field(
        default=None, gt=0, lt=1, description="share of the customers at or above min_score "
        "that should prove truly risky; `graphrisk tier-bounds` measures it on closed cases "
        "and audit samples and suggests the min_score that meets it")
    review_every_days: int = Field(ge=1, le=3660, description="periodic re-assessment")
    case_due_days: int = Field(default=10, ge=1, le=365,
                               description="service level: a case on this tier's customer is "
                               "due this many days after it opens")
    transaction_limit: float = Field(gt=0, description="largest payment without a check")
    alert_thresholds: AlertThresholds
    required_actions: list[str] = Field(min_length=1)


class PlaybookStep(BaseModel):
    """One step of an alert rule's response plan: what to do, who does it, how fast."""

    model_config = ConfigDict(extra="forbid")

    step: str = Field(min_length=1, description="what to do, in words")
    role: str = Field(min_length=1, description="the role responsible (analyst, mlro, ...)")
    within_hours: int = Field(ge=1, le=24 * 365, description="due this long after the case "
                              "opens or the alert joins it")


class AlertRule(BaseModel):
    """One monitoring rule: how bad, whose job, how often, and the response plan.

    Why in the policy file: which rules run, who owns them and what the response steps are
    is the risk team's emergency plan, not the code's; the check itself is the code's
    (``graphrisk.monitoring.rules``), picked by the section's name.
    """

    model_config = ConfigDict(extra="forbid")

    description: str = Field(min_length=1)
    severity: Literal["low", "medium", "high", "critical"] = "medium"
    owner_role: str = Field(default="analyst", min_length=1)
    enabled: bool = True
    dedupe_days: int = Field(default=7, ge=0, le=365, description="the same rule does not "
                             "fire twice for one customer within this many days")
    params: dict[str, float] = Field(default_factory=dict)
    playbook: list[PlaybookStep] = Field(min_length=1)

    def param(self, kind: str, name: str) -> float:
        """The rule's parameter ``name``, or its default for rule kind ``kind``."""
        return float(self.params.get(name, RULE_PARAMS[kind][name]))


class MonitoringPolicy(BaseModel):
    """How monitoring runs: live (alerts open cases) or shadow (alerts are only counted)."""

    model_config = ConfigDict(extra="forbid")

    mode: Literal["live", "shadow"] = "live"
    reach_hops: int = Field(default=1, ge=0, le=3, description="links around a change whose "
                            "customers are re-scored")


def _shipped_alert_rules() -> dict[str, AlertRule]:
    """The shipped policy's alert rules: what a policy file without ``[alert_rules]`` gets."""
    data = tomllib.loads(DEFAULT_POLICY_FILE.read_text(encoding="utf-8"))
    return {name: AlertRule.model_validate(rule)
            for name, rule in data.get("alert_rules", {}).items()}


class RiskPolicy(BaseModel):
    """Every tier's policy; tiers are ordered by ``min_score``, low starting at 0."""

    model_config = ConfigDict(extra="forbid")

    tiers: dict[Tier, TierPolicy]
    scoring: ScoringPolicy = Field(default_factory=ScoringPolicy)
    typologies: TypologyPolicy = Field(default_factory=TypologyPolicy)
    monitoring: MonitoringPolicy = Field(default_factory=MonitoringPolicy)
    alert_rules: dict[str, AlertRule] = Field(default_factory=_shipped_alert_rules)

    @model_validator(mode="after")
    def _rules_known(self) -> RiskPolicy:
        unknown = sorted(set(self.alert_rules) - set(ALERT_RULE_KINDS))
        if unknown:
            raise ValueError(f"alert_rules: unknown rule(s) {', '.join(unknown)}; the rules "
                             f"are {', '.join(ALERT_RULE_KINDS)}")
        for name, rule in self.alert_rules.items():
            allowed = RULE_PARAMS.get(name, {})
            extra = sorted(set(rule.params) - set(allowed))
            if extra:
                raise ValueError(
                    f"alert_rules.{name}.params: unknown parameter(s) {', '.join(extra)}; "
                    + (f"it takes {', '.join(allowed)}" if allowed else "it takes none"))
            bad = {k: v for k, v in rule.params.items() if v <= 0}
            if bad:
                raise ValueError(f"alert_rules.{name}.params must be positive, got {bad}")
        return self

    def active_rules(self) -> dict[str, AlertRule]:
        """The enabled rules, in :data:`ALERT_RULE_KINDS` order."""
        return {name: self.alert_rules[name] for name in ALERT_RULE_KINDS
                if name in self.alert_rules and self.alert_rules[name].enabled}

    @model_validator(mode="after")
    def _tiers_in_order(self) -> RiskPolicy:
        missing = [t for t in TIERS if t not in self.tiers]
        if missing:
            raise ValueError(f"every tier needs a section; missing: {', '.join(missing)}")
        if self.tiers["low"].min_score != 0:
            raise ValueError("tiers.low.min_score must be 0 so that every score has a tier")
        if self.tiers["low"].precision_target is not None:
            raise ValueError("tiers.low.precision_target: the low tier holds every score "
                             "from 0; set precision targets on medium and high")
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
                "scores": f"{tier.min_score:g}-{upper:g}" + (
                    f" (precision target {tier.precision_target:.0%})"
                    if tier.precision_target is not None else ""),
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

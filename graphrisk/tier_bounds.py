"""Tier bounds from the policy's precision targets, measured on judged outcomes.

Why: a tier's ``min_score`` is a promise about the customers in it: "of those we put in the
high tier, about 80% turn out truly risky". The shipped bounds were set on our generator.
On another bank the score keeps its volumes (the learned fusion maps its order onto the
noisy-OR's distribution), so the share of truly risky customers above a fixed bound moves
with the bank's base rate and its data (docs/robustness.md measures it per profile). Only
judged outcomes can say where the promise holds: the risk team's closed cases (confirmed
risk or a false positive, each judged at the score the customer had when the case opened)
and audit samples (a CSV of customers someone checked). Confirmed risk labels cannot: they
are positives only, and the score already counts them.

:func:`bound_for_precision` finds the lowest bound from which the judged precision stays at
or above the target, with enough judged customers above it to say so; a tier's policy
names its target (``precision_target``), and ``graphrisk tier-bounds`` suggests the bounds
and writes a policy copy with them, for the team to back-test and adopt.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from statistics import NormalDist

import numpy as np
import pandas as pd

from graphrisk.errors import ConfigError
from graphrisk.policy import TIERS, RiskPolicy

__all__ = [
    "CONFIDENCE",
    "JUDGED_COLUMNS",
    "MIN_JUDGED",
    "BoundChoice",
    "TierBoundsReport",
    "bound_for_precision",
    "policy_targets",
    "precision_above",
    "read_outcomes_file",
    "suggest_bounds",
    "with_audit_sample",
    "with_bounds",
    "wilson_interval",
]

#: A judged customer: her score when judged, and whether she was confirmed risky.
JUDGED_COLUMNS: tuple[str, ...] = ("customer_id", "score", "confirmed", "source")
#: Fewer judged customers above a bound than this and its precision says too little.
MIN_JUDGED = 20
#: How sure a bound's precision must be to meet the target (one-sided, Wilson).
CONFIDENCE = 0.84
#: Outcome words of an outcomes file: confirmed risky, and not.
_TRUE = {"confirmed_risk", "1", "true", "yes", "risky"}
_FALSE = {"false_positive", "0", "false", "no", "not_risky"}
#: z of a two-sided 95% interval.
_Z95 = 1.959963984540054


@dataclass(frozen=True)
class BoundChoice:
    """Where one tier should start to meet its precision target, and how sure that is.

    Attributes:
        tier: the tier.
        target: the policy's ``precision_target``.
        current: the policy's ``min_score`` today.
        current_precision: judged precision at or above ``current`` (NaN: none judged).
        current_judged: judged customers at or above ``current``.
        bound: the suggested ``min_score`` (``None``: the target cannot be shown met;
            :attr:`note` says why).
        precision: judged precision at or above ``bound``.
        interval: its 95% Wilson interval.
        judged: judged customers at or above ``bound``.
        confirmed: of them, confirmed risky.
        note: why there is no bound, or what to keep in mind.
    """

    tier: str
    target: float
    current: float
    current_precision: float
    current_judged: int
    bound: float | None
    precision: float
    interval: tuple[float, float]
    judged: int
    confirmed: int
    note: str = ""


@dataclass(frozen=True)
class TierBoundsReport:
    """``graphrisk tier-bounds``'s answer: a choice per tier with a target, and what it rests on.

    Attributes:
        choices: per tier with a ``precision_target``, in tier order.
        current: every tier's ``min_score`` today.
        judged: :data:`JUDGED_COLUMNS`, the customers the choices rest on.
        left_out: why some outcomes were not used, with counts.
        policy_source: the policy file the targets and bounds come from.
        confidence: how sure each bound's precision had to be.
    """

    choices: list[BoundChoice]
    current: dict[str, float]
    judged: pd.DataFrame
    left_out: dict[str, int]
    policy_source: Path
    confidence: float = CONFIDENCE

    def bounds(self) -> dict[str, float]:
        """Every tier's ``min_score`` with the suggestions in (today's where none)."""
        bounds = dict(self.current)
        bounds.update({c.tier: c.bound for c in self.choices if c.bound is not None})
        return bounds

    def problem(self) -> str:
        """Why the suggestions cannot be written as a policy ("" when they can)."""
        if not self.choices:
            return ("the policy sets no precision_target; add one under a tier, e.g. "
                    "precision_target = 0.8 under [tiers.high]")
        if all(c.bound is None for c in self.choices):
            return "no tier's target can be shown met on these outcomes"
        values = list(self.bounds().values())
        if any(b <= a for a, b in zip(values, values[1:], strict=False)):
            shown = ", ".join(f"{t} {b:g}" for t, b in self.bounds().items())
            return (f"the bounds would not rise from tier to tier ({shown}): a lower tier's "
                    "target asks for more than a higher one's")
        return ""

    def sources(self) -> str:
        """Where the judged outcomes came from, in words."""
        kinds = self.judged["source"].str.split(" ").str[0].value_counts()
        found = [f"{kinds.get('case', 0):,} judged by closed cases"]
        if kinds.get("file", 0):
            found.append(f"{kinds['file']:,} from the outcomes file")
        text = " and ".join(found)
        if self.left_out:
            text += "; left out: " + ", ".join(f"{n} {why}" for why, n in self.left_out.items())
        return text


def wilson_interval(confirmed: int, judged: int, z: float = _Z95) -> tuple[float, float]:
    """The Wilson score interval of a share, 95% by default (``(nan, nan)`` when nothing
    was judged)."""
    if judged <= 0:
        return (math.nan, math.nan)
    low, high = _wilson(np.array([confirmed], dtype=float), np.array([judged], dtype=float), z)
    return (float(low[0]), float(high[0]))


def _wilson(confirmed: np.ndarray, judged: np.ndarray, z: float
            ) -> tuple[np.ndarray, np.ndarray]:
    share = confirmed / judged
    denominator = 1 + z ** 2 / judged
    middle = (share + z ** 2 / (2 * judged)) / denominator
    half = z * np.sqrt(share * (1 - share) / judged + z ** 2 / (4 * judged ** 2)) / denominator
    return np.maximum(0.0, middle - half), np.minimum(1.0, middle + half)


def precision_above(scores: pd.Series, confirmed: pd.Series, bound: float) -> tuple[float, int]:
    """Judged precision at or above ``bound``, and how many were judged there."""
    hits, judged = _counts_above(scores, confirmed, bound)
    return (hits / judged if judged else math.nan), judged


def _counts_above(scores: pd.Series, confirmed: pd.Series, bound: float) -> tuple[int, int]:
    """Confirmed and judged customers at or above ``bound``."""
    above = scores.to_numpy(dtype=float) >= bound
    return int(confirmed.to_numpy(dtype=bool)[above].sum()), int(above.sum())


def bound_for_precision(scores: pd.Series, confirmed: pd.Series, target: float, *,
                        min_judged: int = MIN_JUDGED, confidence: float = CONFIDENCE
                        ) -> tuple[float | None, str]:
    """The lowest bound from which the judged precision stays at or above ``target``, with
    ``confidence``.

    Every judged score is a candidate bound (a customer at it is in). A candidate counts
    when

    * the judged share at or above it is sure to reach the target: the lower end of its
      one-sided Wilson interval at ``confidence`` does (0.5: the share itself). Why not the
      share itself: the lowest bound whose share just reaches the target is, by its choice,
      one where chance ran high, and customers judged later fall short of it;
    * and the judged share reaches the target at every higher candidate that has
      ``min_judged`` judged customers above it: the precision must hold from the bound up,
      not dip under the target a little higher (a lucky streak at a low score must not set
      the bound). The share, not its lower end, is checked there: near the top few are
      judged and every lower end is low.

    On the robustness profiles (docs/robustness.md, "Tier bounds") the bounds so chosen on one
    half of the customers kept the target on the other half for every profile and tier; the
    share alone missed it on 5 of 26, and the lower end checked at every candidate kept it at
    far less recall. The bound is then lowered to the next-lower judged score's side, to one
    decimal, so that it reads well in a policy file and admits no further judged customer.

    Args:
        scores: per judged customer, the score she had when judged (0-100).
        confirmed: per judged customer (same order), whether she was confirmed risky.
        target: the precision asked for, in (0, 1).
        min_judged: judged customers a bound needs above it.
        confidence: how sure the precision must be to reach the target, in [0.5, 1).

    Returns:
        ``(bound, "")``, or ``(None, why)``.
    """
    if not 0.5 <= confidence < 1:
        raise ValueError(f"confidence must be in [0.5, 1), got {confidence}")
    values = scores.to_numpy(dtype=float)
    hits = confirmed.to_numpy(dtype=bool)
    if len(values) < min_judged:
        return None, (f"only {len(values)} judged customers; at least {min_judged} are needed "
                      "above a bound (close more cases, or pass an audit sample)")
    order = np.argsort(-values, kind="stable")
    values, hits = values[order], hits[order]
    distinct = np.unique(values)
    # Per distinct score, from the top: judged and confirmed at or above it.
    cut = len(values) - np.searchsorted(values[::-1], distinct, side="left")
    confirmed_above = np.concatenate([[0], np.cumsum(hits)])[cut]
    share = confirmed_above / cut
    z = NormalDist().inv_cdf(confidence)
    sure = _wilson(confirmed_above.astype(float), cut.astype(float), z)[0] if z > 0 else share
    enough = cut >= min_judged
    # From the top down: stop where the judged share dips under the target; the bound is the
    # lowest candidate above that point whose share is also sure enough.
    best = None
    for position in range(len(distinct) - 1, -1, -1):
        if not enough[position]:
            continue
        if share[position] < target:
            break
        if sure[position] >= target:
            best = position
    if best is None:
        top = np.flatnonzero(enough)
        highest = float(sure[top].max()) if len(top) else math.nan
        return None, (f"the judged precision never reaches {target:.0%} with {min_judged}+ "
                      f"judged customers above a bound and {confidence:.0%} confidence (its "
                      f"lower end is at most {_pct(highest)})")
    bound = float(distinct[best])
    below = distinct[best - 1] if best > 0 else -math.inf
    last = math.floor(bound * 10) / 10
    return (last if last > below else bound), ""


def suggest_bounds(judged: pd.DataFrame, current: Mapping[str, float],
                   targets: Mapping[str, float], *, min_judged: int = MIN_JUDGED,
                   confidence: float = CONFIDENCE) -> list[BoundChoice]:
    """A :class:`BoundChoice` per tier that has a precision target.

    Args:
        judged: :data:`JUDGED_COLUMNS`.
        current: every tier's ``min_score`` today.
        targets: per tier with a ``precision_target``, the target.
        min_judged: judged customers a bound needs above it.
        confidence: how sure each bound's precision must be (:func:`bound_for_precision`).
    """
    scores, hits = judged["score"], judged["confirmed"].astype(bool)
    choices = []
    for tier, target in targets.items():
        now_precision, now_judged = precision_above(scores, hits, current[tier])
        bound, note = bound_for_precision(scores, hits, target, min_judged=min_judged,
                                          confidence=confidence)
        confirmed, count = (0, 0) if bound is None else _counts_above(scores, hits, bound)
        precision = confirmed / count if count else math.nan
        choices.append(BoundChoice(
            tier=tier, target=target, current=float(current[tier]),
            current_precision=now_precision, current_judged=now_judged, bound=bound,
            precision=precision, interval=wilson_interval(confirmed, count), judged=count,
            confirmed=confirmed, note=note))
    return choices


def policy_targets(policy: RiskPolicy) -> tuple[dict[str, float], dict[str, float]]:
    """Every tier's ``min_score`` (in tier order), and the ``precision_target`` of the tiers
    that name one."""
    current = {tier: float(policy.tiers[tier].min_score) for tier in TIERS}
    targets = {tier: float(target) for tier in TIERS
               if (target := policy.tiers[tier].precision_target) is not None}
    return current, targets


def read_outcomes_file(path: Path) -> pd.DataFrame:
    """An audit sample: ``customer_id`` and ``outcome`` (``confirmed_risk`` /
    ``false_positive``, or ``1``/``0``, ``true``/``false``, ``risky``/``not_risky``).

    Raises:
        ConfigError: the file is missing or unreadable, lacks a column, or holds an outcome
            that is neither; the message names the file, the rows and what to write.
    """
    if not path.is_file():
        raise ConfigError(f"{path}: no such outcomes file")
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (OSError, ValueError) as error:
        raise ConfigError(f"{path}: not a readable CSV file ({error})") from error
    missing = [c for c in ("customer_id", "outcome") if c not in frame.columns]
    if missing:
        raise ConfigError(f"{path}: missing column(s) {', '.join(missing)}; an outcomes file "
                          "has customer_id,outcome (confirmed_risk or false_positive)")
    words = frame["outcome"].str.strip().str.lower()
    bad = ~(words.isin(_TRUE) | words.isin(_FALSE)) | (frame["customer_id"].str.strip() == "")
    if bad.any():
        rows = ", ".join(str(i + 2) for i in np.flatnonzero(bad.to_numpy())[:5])
        raise ConfigError(f"{path}: row(s) {rows} (line numbers) need a customer_id and an "
                          "outcome of confirmed_risk or false_positive (or 1/0)")
    return pd.DataFrame({"customer_id": frame["customer_id"].str.strip(),
                         "confirmed": words.isin(_TRUE)}).drop_duplicates(
        "customer_id", keep="last").reset_index(drop=True)


def with_audit_sample(judged: pd.DataFrame, sample: pd.DataFrame, latest: pd.DataFrame,
                      source: str) -> tuple[pd.DataFrame, dict[str, int]]:
    """``judged`` with an audit sample's customers added at their latest scores.

    A sampled customer a case judged keeps the case's judgement; one unknown or never scored
    is left out, and so is one whose latest score counted a confirmed label (her score is
    her label, not the evidence).

    Args:
        judged: :data:`JUDGED_COLUMNS` (the closed cases').
        sample: :func:`read_outcomes_file`'s frame.
        latest: the sampled customers' latest scores, indexed by ``customer_id``, with the
            ``score`` and ``known`` columns (``GraphStore.latest_scores``).
        source: the ``source`` the sampled rows get.

    Returns:
        The judged customers, and why how many sampled ones were left out.
    """
    left_out: dict[str, int] = {}
    sample = sample[~sample["customer_id"].isin(judged["customer_id"])]
    unscored = ~sample["customer_id"].isin(latest.index)
    if unscored.any():
        left_out["unknown or never scored"] = int(unscored.sum())
    sample = sample[~unscored]
    labelled = latest["known"].reindex(sample["customer_id"]).fillna(0.0).to_numpy() > 0
    if labelled.any():
        left_out["scored with a confirmed label"] = int(labelled.sum())
    sample = sample[~labelled]
    added = pd.DataFrame({
        "customer_id": sample["customer_id"].to_numpy(),
        "score": latest["score"].reindex(sample["customer_id"]).to_numpy(dtype=float),
        "confirmed": sample["confirmed"].to_numpy(dtype=bool), "source": source})
    return pd.concat([judged, added], ignore_index=True), left_out


def with_bounds(policy_text: str, bounds: Mapping[str, float]) -> str:
    """The policy file's text with each tier's ``min_score`` set to ``bounds[tier]``; every
    other line (comments included) kept as written.

    Raises:
        ConfigError: a tier's section or its ``min_score`` line is not in the text.
    """
    text = policy_text
    for tier, bound in bounds.items():
        header = re.search(rf"(?m)^\[tiers\.{re.escape(tier)}\]\s*$", text)
        if header is None:
            raise ConfigError(f"the policy file has no [tiers.{tier}] section to change")
        end = re.search(r"(?m)^\[", text[header.end():])
        section_end = header.end() + (end.start() if end else len(text) - header.end())
        line = re.compile(r"(?m)^(min_score\s*=\s*)([0-9.]+)")
        found = line.search(text, header.end(), section_end)
        if found is None:
            raise ConfigError(f"[tiers.{tier}] has no min_score line to change")
        text = text[:found.start(2)] + f"{bound:g}" + text[found.end(2):]
    return text


def _pct(value: float) -> str:
    return "-" if value != value else f"{value:.0%}"

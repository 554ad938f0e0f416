"""Tier bounds from precision targets: the choice of bound, its interval, the policy copy."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from graphrisk.errors import ConfigError
from graphrisk.policy import DEFAULT_POLICY_FILE, RiskPolicy, load_policy
from graphrisk.tier_bounds import (
    TierBoundsReport,
    bound_for_precision,
    precision_above,
    read_outcomes_file,
    suggest_bounds,
    wilson_interval,
    with_bounds,
)


def _brute_force_bound(scores: np.ndarray, hits: np.ndarray, target: float,
                       min_judged: int) -> float | None:
    """The definition, spelled out: the lowest judged score from which every candidate with
    enough judged customers above it meets the target."""
    candidates = sorted(set(scores.tolist()))
    for candidate in candidates:
        holds = True
        for higher in candidates:
            if higher < candidate:
                continue
            above = scores >= higher
            if above.sum() >= min_judged and hits[above].mean() < target:
                holds = False
                break
        if holds and (scores >= candidate).sum() >= min_judged:
            return candidate
    return None


@pytest.mark.parametrize("seed", range(6))
def test_the_bound_is_the_lowest_from_which_precision_holds(seed: int) -> None:
    rng = np.random.default_rng(seed)
    scores = np.round(rng.uniform(0, 100, 400), 2)
    hits = rng.random(400) < (scores / 100) ** 2  # riskier with the score, noisily
    bound, note = bound_for_precision(pd.Series(scores), pd.Series(hits), 0.7, min_judged=15,
                                      confidence=0.5)
    expected = _brute_force_bound(scores, hits, 0.7, 15)
    assert expected is not None and bound is not None, note
    # the same customers are in: rounding the bound down admits no further judged one
    assert bound <= expected and not ((scores >= bound) & (scores < expected)).any()
    assert round(bound, 1) == bound or bound == expected
    precision, judged = precision_above(pd.Series(scores), pd.Series(hits), bound)
    assert precision >= 0.7 and judged >= 15


def test_a_lucky_streak_low_down_does_not_set_the_bound() -> None:
    # 30 confirmed at the top, then 30 mostly cleared around 50, then 60 confirmed low down:
    # the precision from 10 up is 100/120 > 0.8, but it dips to 0.6 from 50 up.
    top = [(90 + i * 0.1, True) for i in range(30)]
    middle = [(50 + i * 0.1, i % 3 == 0) for i in range(30)]
    low = [(10 + i * 0.1, True) for i in range(60)]
    frame = pd.DataFrame(top + middle + low, columns=["score", "confirmed"])
    bound, _ = bound_for_precision(frame["score"], frame["confirmed"], 0.8, min_judged=20,
                                   confidence=0.5)
    assert bound == _brute_force_bound(frame["score"].to_numpy(), frame["confirmed"].to_numpy(),
                                       0.8, 20)
    assert bound is not None and bound > 51  # inside the cleared middle, not down at 10
    above = frame[frame["score"] >= bound]
    assert above["confirmed"].mean() >= 0.8
    # the whole range would have passed on its own figure
    assert frame["confirmed"].mean() > 0.8


@pytest.mark.parametrize("seed", range(4))
def test_with_confidence_the_bound_rises_until_the_lower_end_meets_the_target(seed: int) -> None:
    rng = np.random.default_rng(seed)
    scores = pd.Series(np.round(rng.uniform(0, 100, 500), 2))
    hits = pd.Series(rng.random(500) < (scores.to_numpy() / 100) ** 2)
    point, _ = bound_for_precision(scores, hits, 0.7, confidence=0.5)
    sure, _ = bound_for_precision(scores, hits, 0.7, confidence=0.84)
    assert point is not None and sure is not None and sure > point
    above = scores >= sure
    low, _ = wilson_interval(int(hits[above].sum()), int(above.sum()), z=0.994457883)
    assert low >= 0.7
    # the next judged score down would break it (or a higher candidate would)
    lower = scores[scores < sure].max()
    below = scores >= lower
    assert wilson_interval(int(hits[below].sum()), int(below.sum()), z=0.994457883)[0] < 0.7
    with pytest.raises(ValueError, match="confidence"):
        bound_for_precision(scores, hits, 0.7, confidence=0.3)


def test_no_bound_when_too_few_are_judged_or_the_target_is_never_met() -> None:
    scores = pd.Series(np.arange(10, dtype=float))
    bound, note = bound_for_precision(scores, pd.Series([True] * 10), 0.8, min_judged=20)
    assert bound is None and "only 10 judged customers" in note
    scores = pd.Series(np.arange(100, dtype=float))
    hits = pd.Series(np.arange(100) % 2 == 0)
    bound, note = bound_for_precision(scores, hits, 0.8, min_judged=20, confidence=0.5)
    assert bound is None and "never reaches 80%" in note and "at most 50%" in note


def test_wilson_interval_matches_the_textbook_values() -> None:
    low, high = wilson_interval(8, 10)
    assert low == pytest.approx(0.4902, abs=1e-4) and high == pytest.approx(0.9433, abs=1e-4)
    low, high = wilson_interval(0, 20)
    assert low == 0.0 and high == pytest.approx(0.1611, abs=1e-4)
    assert all(math.isnan(v) for v in wilson_interval(0, 0))


def test_suggestions_per_tier_and_the_report() -> None:
    rng = np.random.default_rng(3)
    scores = rng.uniform(0, 100, 600)
    hits = rng.random(600) < scores / 100
    judged = pd.DataFrame({"customer_id": [f"C{i}" for i in range(600)], "score": scores,
                           "confirmed": hits, "source": "case X"})
    current = {"low": 0.0, "medium": 60.0, "high": 85.0}
    choices = suggest_bounds(judged, current, {"medium": 0.5, "high": 0.8})
    medium, high = choices
    assert medium.bound is not None and high.bound is not None
    assert medium.bound < high.bound
    assert high.precision >= 0.8 and high.interval[0] < high.precision < high.interval[1]
    assert high.confirmed == int(hits[scores >= high.bound].sum())
    assert high.current_judged == int((scores >= 85).sum())
    report = TierBoundsReport(choices, current, judged, {}, DEFAULT_POLICY_FILE)
    assert report.problem() == ""
    assert report.bounds() == {"low": 0.0, "medium": medium.bound, "high": high.bound}
    assert "600 judged by closed cases" in report.sources()
    # a medium target that asks for more than the high one cannot be written
    unordered = suggest_bounds(judged, current, {"medium": 0.9, "high": 0.6})
    report = TierBoundsReport(unordered, current, judged, {}, DEFAULT_POLICY_FILE)
    assert "would not rise from tier to tier" in report.problem()
    assert "no precision_target" in TierBoundsReport(
        [], current, judged, {}, DEFAULT_POLICY_FILE).problem()


def test_the_policy_copy_changes_only_the_bounds(tmp_path: Path) -> None:
    original = DEFAULT_POLICY_FILE.read_text(encoding="utf-8")
    changed = with_bounds(original, {"low": 0, "medium": 47.5, "high": 81.2})
    copy = tmp_path / "policy.toml"
    copy.write_text(changed, encoding="utf-8")
    policy = load_policy(copy)
    assert policy.tiers["medium"].min_score == 47.5 and policy.tiers["high"].min_score == 81.2
    shipped = load_policy()
    assert policy.model_dump(exclude={"tiers"}) == shipped.model_dump(exclude={"tiers"})
    assert policy.tiers["high"].precision_target == shipped.tiers["high"].precision_target
    differing = [(a, b) for a, b in zip(original.splitlines(), changed.splitlines(),
                                        strict=True) if a != b]
    assert [b for _, b in differing] == [
        line for line in changed.splitlines() if line.startswith("min_score = ")
        and line.split("=")[1].strip() in ("47.5", "81.2")]
    with pytest.raises(ConfigError, match=r"no \[tiers.high\] section"):
        with_bounds("[tiers.low]\nmin_score = 0\n", {"high": 80})


def test_outcomes_files_are_checked_with_line_numbers(tmp_path: Path) -> None:
    good = tmp_path / "good.csv"
    good.write_text("customer_id,outcome\nC1,confirmed_risk\nC2,false_positive\nC3,1\nC3,0\n")
    read = read_outcomes_file(good)
    assert read.set_index("customer_id")["confirmed"].to_dict() == {
        "C1": True, "C2": False, "C3": False}  # the last word on a customer counts
    bad = tmp_path / "bad.csv"
    bad.write_text("customer_id,outcome\nC1,confirmed_risk\nC2,maybe\n,1\n")
    with pytest.raises(ConfigError, match=r"bad.csv: row\(s\) 3, 4 "):
        read_outcomes_file(bad)
    columns = tmp_path / "columns.csv"
    columns.write_text("id,result\nC1,1\n")
    with pytest.raises(ConfigError, match="missing column"):
        read_outcomes_file(columns)
    with pytest.raises(ConfigError, match="no such outcomes file"):
        read_outcomes_file(tmp_path / "absent.csv")


def test_precision_targets_are_checked_in_the_policy() -> None:
    data = load_policy().model_dump()
    data["tiers"]["high"]["precision_target"] = 1.2
    with pytest.raises(ValueError, match="precision_target"):
        RiskPolicy.model_validate(data)
    data["tiers"]["high"]["precision_target"] = 0.8
    data["tiers"]["low"]["precision_target"] = 0.3
    with pytest.raises(ValueError, match="set precision targets on medium and high"):
        RiskPolicy.model_validate(data)

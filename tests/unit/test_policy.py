"""The risk policy file: the shipped default works, and broken files stop with clear errors."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pandas as pd
import pytest

from graphrisk.errors import ConfigError
from graphrisk.policy import DEFAULT_POLICY_FILE, TIERS, load_policy


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "policy.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _default_text() -> str:
    return DEFAULT_POLICY_FILE.read_text(encoding="utf-8")


def test_default_policy_has_every_tier_in_order() -> None:
    policy = load_policy()
    bounds = [policy.tiers[t].min_score for t in TIERS]
    assert bounds[0] == 0 and bounds == sorted(bounds) and len(set(bounds)) == 3
    # Stricter tiers are reviewed more often and have lower limits.
    reviews = [policy.tiers[t].review_every_days for t in TIERS]
    limits = [policy.tiers[t].transaction_limit for t in TIERS]
    assert reviews == sorted(reviews, reverse=True)
    assert limits == sorted(limits, reverse=True)


def test_tier_boundaries_belong_to_the_higher_tier() -> None:
    policy = load_policy()
    medium, high = policy.tiers["medium"].min_score, policy.tiers["high"].min_score
    scores = pd.Series([0.0, medium - 0.01, medium, high - 0.01, high, 100.0])
    assert policy.tier_of(scores).tolist() == ["low", "low", "medium", "medium", "high",
                                               "high"]


def test_an_edited_copy_changes_the_tiers(tmp_path: Path) -> None:
    text = _default_text().replace("min_score = 85", "min_score = 95")
    policy = load_policy(_write(tmp_path, text))
    assert policy.tier_of(pd.Series([90.0])).tolist() == ["medium"]


@pytest.mark.parametrize(("edit", "message"), [
    (lambda t: t.replace("min_score = 85", "min_score = 40"),
     "tiers.high.min_score (40) must be above tiers.medium.min_score (60)"),
    (lambda t: t.replace("min_score = 0", "min_score = 5"), "tiers.low.min_score must be 0"),
    (lambda t: t.replace("transaction_limit = 5000", "transaction_limit = -5"),
     "tiers.high.transaction_limit"),
    (lambda t: t.replace("review_every_days = 30 ", "review_every_days = \"monthly\" "),
     "tiers.high.review_every_days"),
    (lambda t: t.replace("[tiers.medium]", "[tiers.medium]\nreview_evry_days = 3"),
     "tiers.medium.review_evry_days"),
    (lambda t: t.split("[tiers.high]")[0], "missing: high"),
    (lambda t: t.replace("required_actions = [\"Refresh KYC data at the yearly review\"]",
                         "required_actions = []"), "tiers.low.required_actions"),
])
def test_broken_policies_name_the_file_and_field(tmp_path: Path, edit, message: str) -> None:
    path = _write(tmp_path, edit(_default_text()))
    with pytest.raises(ConfigError) as caught:
        load_policy(path)
    assert str(path) in str(caught.value)
    assert message in str(caught.value)


def test_not_toml_and_missing_files_are_config_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_policy(_write(tmp_path, "[tiers.low\nmin_score = 0"))
    with pytest.raises(ConfigError, match="does not exist"):
        load_policy(tmp_path / "nope.toml")


def test_default_file_is_valid_toml_people_can_read() -> None:
    data = tomllib.loads(_default_text())
    assert set(data["tiers"]) == set(TIERS)
    assert all(data["tiers"][t]["required_actions"] for t in TIERS)


# -- the scoring knobs ([scoring]) ----------------------------------------------------------


def test_the_shipped_scoring_section_is_the_code_default() -> None:
    from graphrisk.policy import ScoringPolicy

    assert load_policy().scoring == ScoringPolicy()
    without = _default_text().split("\n# The scoring knobs.")[0]
    assert "[scoring" not in without


def test_a_policy_may_leave_the_scoring_section_out_or_name_one_knob(tmp_path: Path) -> None:
    base = _default_text().split("\n# The scoring knobs.")[0]
    assert load_policy(_write(tmp_path, base)).scoring == load_policy().scoring
    changed = load_policy(_write(tmp_path, base + "\n[scoring.weights]\nnetwork = 0.2\n"))
    assert changed.scoring.weights["network"] == 0.2
    assert changed.scoring.weights["typology"] == load_policy().scoring.weights["typology"]


@pytest.mark.parametrize("section, message", [
    ("[scoring.weights]\ngossip = 0.5\n", "unknown component"),
    ("[scoring.weights]\nnetwork = 1.5\n", "between 0 and 1"),
    ("[scoring]\nreporting_threshold = -1\n", "scoring.reporting_threshold"),
    ("[scoring]\nhigh_risk_countries = ['Cayman']\n", "two-letter"),
    ("[scoring]\nmax_identifier_degree = 1\n", "scoring.max_identifier_degree"),
    ("[scoring]\nthreshold = 5\n", "scoring.threshold"),
])
def test_a_broken_scoring_knob_names_the_field(tmp_path: Path, section: str,
                                               message: str) -> None:
    base = _default_text().split("\n# The scoring knobs.")[0]
    with pytest.raises(ConfigError, match=message):
        load_policy(_write(tmp_path, base + "\n" + section))

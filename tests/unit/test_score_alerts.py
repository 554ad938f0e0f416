"""Score rises and tier escalations: thresholds per previous tier, and a sentence that says
what moved the score."""

from __future__ import annotations

import pandas as pd

from graphrisk.monitoring.rules import score_alerts
from graphrisk.policy import load_policy


def _scores(rows: list[tuple[str, float, str, float]], run: str) -> pd.DataFrame:
    return pd.DataFrame([{"customer_id": c, "score": s, "tier": t, "run_id": run,
                          "reasons": ["nothing stands out"], "known": 0.0, "individual": i,
                          "network": 0.0, "typology": 0.0, "cluster": 0.0, "model": 0.0}
                         for c, s, t, i in rows])


def test_rises_and_escalations_follow_the_previous_tier() -> None:
    policy = load_policy()  # score_increase: low 25, medium 15, high 10; medium from 60
    before = _scores([("A", 10, "low", 0.1), ("B", 10, "low", 0.1), ("C", 62, "medium", 0.6),
                      ("D", 50, "low", 0.5)], "r1")
    after = _scores([("A", 34, "low", 0.34), ("B", 36, "low", 0.36), ("C", 78, "medium", 0.78),
                     ("D", 61, "medium", 0.61), ("E", 99, "high", 0.99)], "r2")
    found = {(a.rule, a.customer_id) for a in score_alerts(before, after, policy, "2026-01-01")}
    assert found == {("score_increase", "B"), ("score_increase", "C"),
                     ("tier_escalation", "D")}


def test_the_sentence_names_what_moved_the_score() -> None:
    policy = load_policy()
    before = _scores([("A", 7, "low", 0.07)], "r1")
    after = _scores([("A", 66, "medium", 0.66)], "r2")
    alerts = {a.rule: a for a in score_alerts(before, after, policy, "2026-01-01")}
    sentence = alerts["score_increase"].sentence
    assert "own behaviour and profile (7% -> 66%)" in sentence
    assert "nothing stands out" not in sentence
    assert alerts["tier_escalation"].evidence["tier_after"] == "medium"

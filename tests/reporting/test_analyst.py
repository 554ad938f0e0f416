"""The analyst API on a worked bank, per store: what it reads must equal what the store holds."""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pandas as pd
import pytest

from graphrisk import analyst
from graphrisk.analyst import Portfolio
from graphrisk.errors import NotFoundError
from graphrisk.policy import DEFAULT_POLICY_FILE
from graphrisk.tier_bounds import TierBoundsReport, suggest_bounds
from tests.reporting.conftest import WorkedBank

pytestmark = pytest.mark.slow


def _subject_transactions(bank: WorkedBank, subjects: list[str]) -> set[tuple[str, str]]:
    """(transaction id, direction) of every transaction touching a subject's account, read
    from the whole snapshot — independently of the analyst's region read."""
    snapshot = bank.service.store.snapshot()
    accounts = set(snapshot.accounts.loc[snapshot.accounts["customer_id"].isin(subjects),
                                         "account_id"].astype(str))
    accounts |= set(snapshot.account_holders.loc[
        snapshot.account_holders["customer_id"].isin(subjects), "account_id"].astype(str))
    sides = set()
    for row in snapshot.transactions.itertuples(index=False):
        if str(row.from_account_id) in accounts:
            sides.add((str(row.transaction_id), "out"))
        if str(row.to_account_id) in accounts:
            sides.add((str(row.transaction_id), "in"))
    return sides


def test_a_case_file_holds_the_subjects_transactions_and_the_alerts_evidence(
        worked_bank: WorkedBank) -> None:
    service = worked_bank.service
    case = analyst.load_case(service, worked_bank.confirmed)
    subjects = case.case.subjects
    assert case.summary()["case_id"] == worked_bank.confirmed
    assert case.summary()["outcome"] == "confirmed_risk"
    got = set(zip(case.transactions["transaction_id"].astype(str),
                  case.transactions["direction"], strict=True))
    assert got == _subject_transactions(worked_bank, subjects)
    assert case.transactions["timestamp"].is_monotonic_increasing
    named = {str(t) for a in case.alerts.itertuples()
             for t in service.monitoring.alert(a.alert_id).evidence.get("transaction_ids", [])}
    flagged = set(case.transactions.loc[case.transactions["flagged_by"] != "",
                                        "transaction_id"].astype(str))
    assert named <= flagged
    assert set(case.alerts["alert_id"]) == set(case.case.alert_ids)


def test_the_network_is_the_frozen_one_with_the_scores_of_the_day(
        worked_bank: WorkedBank) -> None:
    case = analyst.load_case(worked_bank.service, worked_bank.confirmed)
    evidence = case.case.evidence
    frozen_ids = {n["id"] for frozen in evidence.subgraphs.values() for n in frozen["nodes"]}
    assert frozen_ids <= set(case.network.nodes)
    for subject in case.case.subjects:
        node = case.network.nodes[f"Customer:{subject}"]
        assert node["subject"] is True
        if subject in evidence.scores:
            assert node["score"] == evidence.scores[subject]["score"]
    members = case.members.set_index("customer_id")
    assert set(case.case.subjects) <= set(members.index)
    assert members.loc[case.case.subjects, "subject"].all()
    if case.ring is not None:
        in_network = set(case.ring["members"]) & set(members.index)
        assert members.loc[sorted(in_network), "ring"].all()


def test_milestones_run_in_order_and_the_lessons_measure_them(worked_bank: WorkedBank) -> None:
    case = analyst.load_case(worked_bank.service, worked_bank.confirmed)
    at = dict(zip(case.milestones["milestone"], case.milestones["at"], strict=True))
    assert list(case.milestones["milestone"]) == list(analyst.MILESTONES)
    assert at["first_signal"] <= at["first_alert_evidence"]
    assert at["case_opened"] <= at["decision"]
    lessons = case.lessons()
    opened = datetime.fromisoformat(case.case.opened_at)
    closed = datetime.fromisoformat(str(case.case.closed_at))
    assert lessons["case_to_decision_days"] == pytest.approx(
        (closed - opened).total_seconds() / 86400, abs=0.01)
    assert lessons["playbook_steps"] == len(case.case.playbook)
    assert lessons["playbook_steps_done"] == sum(s.done_at is not None
                                                 for s in case.case.playbook)
    assert lessons["contacts"] == len(case.case.contacts) >= 1


def test_an_open_case_has_no_decision_and_no_time_to_decide(worked_bank: WorkedBank) -> None:
    case = analyst.load_case(worked_bank.service, worked_bank.still_open)
    assert "decision" not in set(case.milestones["milestone"])
    assert case.lessons()["case_to_decision_days"] is None
    assert case.lessons()["met_due_date"] is None


def test_pick_case_prefers_the_confirmed_case_with_most_to_tell_and_checks_a_given_id(
        worked_bank: WorkedBank) -> None:
    service = worked_bank.service
    chosen = service.monitoring.case(analyst.pick_case(service))
    assert chosen.outcome == "confirmed_risk"
    confirmed = service.monitoring.cases(status="closed")
    most = max(len(c.alert_ids) + len(c.subjects) for c in confirmed
               if c.outcome == "confirmed_risk")
    assert len(chosen.alert_ids) + len(chosen.subjects) == most
    assert analyst.pick_case(service, worked_bank.still_open) == worked_bank.still_open
    with pytest.raises(NotFoundError, match="CASE-NOPE"):
        analyst.pick_case(service, "CASE-NOPE")


def test_the_portfolio_counts_precision_from_the_outcomes(worked_bank: WorkedBank) -> None:
    service = worked_bank.service
    portfolio = analyst.load_portfolio(service)
    cases = {c.case_id: c for c in service.monitoring.cases()}
    confirmed_alerts = sum(len(c.alert_ids) for c in cases.values()
                           if c.outcome == "confirmed_risk")
    judged_alerts = sum(len(c.alert_ids) for c in cases.values()
                        if c.outcome in ("confirmed_risk", "false_positive"))
    assert int(portfolio.precision["confirmed"].sum()) == confirmed_alerts
    assert int(portfolio.precision["judged"].sum()) == judged_alerts
    assert set(portfolio.cases["case_id"]) == set(cases)
    closed = portfolio.cases.set_index("case_id")["days_to_close"]
    for case_id, case in cases.items():
        assert pd.isna(closed[case_id]) == (case.status != "closed")
    assert set(portfolio.alerts["outcome"].dropna()) <= {"confirmed_risk", "false_positive"}
    assert (portfolio.typologies["count"] > 0).all()
    assert set(portfolio.typologies.loc[portfolio.typologies["source"] == "alert rule",
                                        "what"]) == set(portfolio.alerts["rule"])
    # the tiers are judged on the closed cases' subjects, at the scores frozen at opening
    decided = {c.case_id: c for c in cases.values()
               if c.outcome in ("confirmed_risk", "false_positive")}
    judged = portfolio.tiers.judged.set_index("customer_id")
    assert set(judged.index) == {s for c in decided.values() for s in c.evidence.scores}
    table = portfolio.tier_table().set_index("tier")
    assert list(table.index) == ["medium", "high"]
    for tier, row in table.iterrows():
        assert row["judged"] == int((judged["score"] >= row["min_score"]).sum()), tier
    lines = portfolio.tier_lines()
    assert list(lines.index) == ["medium", "high"]
    for tier, row in table.iterrows():
        said = lines.loc[tier]
        assert said["target"] == f"{row['target']:.0%}"
        assert said["precision today"] == ("none judged" if row["judged"] == 0 else
                                           f"{row['precision']:.0%} of {row['judged']}")
        assert "nan" not in " ".join(said).lower() and "none" not in said["suggested bound"]


def test_the_case_facts_and_lessons_read_as_sentences(worked_bank: WorkedBank) -> None:
    case = analyst.load_case(worked_bank.service, worked_bank.confirmed)
    facts = case.facts()
    assert facts["Case"] == worked_bank.confirmed
    assert facts["Subjects"] == ", ".join(case.case.subjects)
    assert facts["Outcome"] == "confirmed_risk"
    lines = case.lessons_lines()
    decided = case.lessons()["case_to_decision_days"]
    said = next(line for line in lines if line.startswith("From opening the case"))
    # the demo investigator decides within seconds: said in words, not "0.0 days"
    assert decided is not None and decided * 24 * 60 < 1
    assert said.endswith("under a minute.")
    still_open = analyst.load_case(worked_bank.service, worked_bank.still_open)
    assert still_open.facts()["Closed"] == "open"
    assert any(line.endswith("decision: not yet.") for line in still_open.lessons_lines())


def test_the_portfolio_since_a_day_keeps_only_what_happened_since(
        worked_bank: WorkedBank) -> None:
    service = worked_bank.service
    everything = analyst.load_portfolio(service)
    future = analyst.load_portfolio(service, since="2099-01-01")
    assert future.cases.empty and future.alerts.empty
    assert future.precision.empty or int(future.precision["alerts"].sum()) == 0
    first = min(everything.cases["opened_at"])
    same = analyst.load_portfolio(service, since=f"{first:%Y-%m-%d}")
    assert set(same.cases["case_id"]) == set(everything.cases["case_id"])
    assert int(same.precision["confirmed"].sum()) == int(everything.precision["confirmed"].sum())
    with pytest.raises(ValueError, match="not a date"):
        analyst.load_portfolio(service, since="last spring")


def test_the_portfolio_reads_migrations_and_training_runs_as_they_are_recorded(
        worked_bank: WorkedBank) -> None:
    service = worked_bank.service
    done = service.monitoring.reassess("2031-01", everyone=True)
    service.store.append_audit("ana", "model.train", "model:hgt",
                               {"model": "hgt", "test_roc_auc": 0.81, "test_pr_auc": 0.42})
    portfolio = analyst.load_portfolio(service)
    moved = portfolio.migrations[portfolio.migrations["period"] == "2031-01"]
    assert len(moved) == len(done.due)
    counts = portfolio.migration_counts().set_index(["period", "direction"])["customers"]
    assert int(counts.loc["2031-01"].sum()) == len(done.due)
    assert analyst.load_portfolio(service, since="2031-02-01").migrations.empty
    assert set(moved["direction"]) <= {"up", "down", "same", "new"}
    assert portfolio.model_runs["test_roc_auc"].iloc[-1] == pytest.approx(0.81)


def test_a_trained_model_explains_the_subjects_and_its_run_is_kept(
        worked_bank: WorkedBank) -> None:
    pytest.importorskip("torch", reason="the graph model needs `make setup-gnn`")
    service = worked_bank.service
    before = len(analyst.load_portfolio(service).model_runs)
    run = service.train(epochs=3, seed=1)
    case = analyst.load_case(service, worked_bank.confirmed)
    assert set(case.model_explanations) == set(case.case.subjects)
    for explanation in case.model_explanations.values():
        assert 0.0 <= explanation.probability <= 1.0
    runs = analyst.load_portfolio(service).model_runs
    assert len(runs) == before + 1
    assert runs["test_roc_auc"].iloc[-1] == pytest.approx(run.metrics["test_roc_auc"])
    assert analyst.load_case(service, worked_bank.confirmed,
                             explain_model=False).model_explanations == {}


def _portfolio_with(precision: pd.DataFrame, tiers: TierBoundsReport | None = None
                    ) -> Portfolio:
    empty = pd.DataFrame()
    return Portfolio(alerts=empty, precision=precision, cases=empty, migrations=empty,
                     rings=empty, typologies=empty, model_runs=empty, backtests=empty,
                     tiers=tiers)


def test_suggestions_name_a_tier_that_misses_or_exceeds_its_precision_target() -> None:
    # 200 judged: confirmed when the score is at least 50, bar every fourth from 50 to 70
    scores = np.linspace(0, 99.5, 200)
    confirmed = (scores >= 50) & ~((scores < 70) & (np.arange(200) % 4 == 0))
    judged = pd.DataFrame({"customer_id": [f"C{i}" for i in range(200)], "score": scores,
                           "confirmed": confirmed, "source": "case X"})
    current = {"low": 0.0, "medium": 20.0, "high": 85.0}
    targets = {"medium": 0.9, "high": 0.8}
    report = TierBoundsReport(suggest_bounds(judged, current, targets), current, judged, {},
                              DEFAULT_POLICY_FILE)
    said = _portfolio_with(pd.DataFrame(), report).suggestions()
    medium = next(s for s in said if s.startswith("medium tier:"))
    assert "below" not in medium and "(target 90%)" in medium and "would meet it" in medium
    high = next(s for s in said if s.startswith("high tier: 100% of 30 judged"))
    assert "would still meet it" in high and "take in more of the risky customers" in high
    medium_bound = report.choices[0].bound
    assert medium_bound is not None and 50 <= medium_bound < 70
    assert f"a bound of {medium_bound:g} would meet it" in medium


def test_suggestions_name_the_rules_whose_alerts_were_rarely_or_always_confirmed() -> None:
    precision = pd.DataFrame([
        {"rule": "noisy", "tier": "low", "alerts": 12, "judged": 10, "confirmed": 1},
        {"rule": "sharp", "tier": "high", "alerts": 5, "judged": 4, "confirmed": 4},
        {"rule": "middling", "tier": "low", "alerts": 9, "judged": 8, "confirmed": 4},
        {"rule": "young", "tier": "low", "alerts": 2, "judged": 2, "confirmed": 0},
    ])
    said = _portfolio_with(precision).suggestions()
    assert any(s.startswith("noisy: 1 of 10") and "higher threshold" in s for s in said)
    assert any(s.startswith("sharp: all 4") for s in said)
    assert not any(s.startswith(("middling", "young")) for s in said)
    assert "No case has been decided" in _portfolio_with(pd.DataFrame()).suggestions()[0]

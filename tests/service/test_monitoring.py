"""The risk-management cycle on every store: a generated stream replayed over a base graph.

A base bank is loaded and scored; a later stream (``ingestion.generator.stream``) in which
risk develops arrives batch by batch through ``RiskService.monitoring.ingest_incremental``.
The tests check the alerts raised for each planted shape and none for the customers that
only made ordinary payments, repeats, re-runs, a ``kill -9`` in the middle of a batch, the
case workflow with frozen evidence, playbook steps, contacts, conflicts and labels, the
audit trail, persistence across a restart, re-assessment and back-testing.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest

from graphrisk.config import Settings, StoreKind
from graphrisk.errors import ConfigError, RecordConflictError
from graphrisk.graph import NodeRef
from graphrisk.ingestion.generator import generate_dataset
from graphrisk.ingestion.generator.stream import generate_stream
from graphrisk.monitoring.casework import CaseRuleError
from graphrisk.monitoring.monitor import BatchOutcome
from graphrisk.policy import DEFAULT_POLICY_FILE, load_policy
from graphrisk.service import RiskService
from tests.stores import STORE_PARAMS, open_test_store

pytestmark = pytest.mark.slow

CUSTOMERS, SEED, STREAM_SEED = 1_000, 21, 3
#: Rules that follow from events alone (score rises depend on re-scoring).
EVENT_RULES = {"single_payment", "daily_total", "new_counterparties", "over_transaction_limit",
               "high_risk_link", "typology_cycle", "typology_fan_in", "typology_fan_out",
               "typology_pass_through", "structuring", "dispute_spike"}


@pytest.fixture(scope="module")
def bank(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("monitoring")
    generate_dataset(CUSTOMERS, SEED, root / "base")
    generate_stream(root / "base", root / "stream", batches=6, events_per_batch=100,
                    seed=STREAM_SEED)
    return root / "base", root / "stream"


@dataclass
class Replayed:
    service: RiskService
    home: Path
    kind: StoreKind
    outcomes: list[BatchOutcome]
    truth: dict
    stream: Path


def _open(kind: StoreKind, home: Path, *, fresh: bool) -> RiskService:
    settings = Settings(home=home, store=kind)
    if fresh:
        store = open_test_store(kind, home)
    else:
        from graphrisk.store import open_store

        store = open_store(settings)
    return RiskService(settings, store, load_policy())


@pytest.fixture(scope="module", params=STORE_PARAMS)
def replayed(request: pytest.FixtureRequest, bank: tuple[Path, Path],
             tmp_path_factory: pytest.TempPathFactory) -> Iterator[Replayed]:
    base, stream = bank
    home = tmp_path_factory.mktemp(f"home-{request.param}")
    service = _open(request.param, home, fresh=True)
    service.ingest_folder(base)
    service.score()
    outcomes = [service.monitoring.ingest_incremental(batch).outcome
                for batch in sorted(stream.glob("batch-*"))]
    truth = json.loads((stream / "stream_truth.json").read_text(encoding="utf-8"))
    yield Replayed(service, home, request.param, outcomes, truth, stream)
    service.close()


def _all_alerts(service: RiskService) -> list:
    return service.monitoring.alerts(status=("unfiled", "new", "acknowledged"))


def test_every_planted_shape_raises_its_rules(replayed: Replayed) -> None:
    alerts = _all_alerts(replayed.service)
    by_rule: dict[str, set[str]] = {}
    for alert in alerts:
        by_rule.setdefault(alert.rule, set()).add(alert.customer_id)
    missing = []
    for planted in replayed.truth["planted"]:
        for rule in planted["expect_rules"]:
            if not by_rule.get(rule, set()) & set(planted["customer_ids"]):
                missing.append((planted["kind"], rule, planted["customer_ids"][:3]))
    assert missing == []
    # Payment alerts name the planted payments as their evidence.
    planted_payments = {t for p in replayed.truth["planted"] for t in p["transaction_ids"]}
    for alert in alerts:
        if alert.rule in ("single_payment", "daily_total", "structuring"):
            assert set(alert.evidence["transaction_ids"]) & planted_payments, alert


def test_customers_with_only_ordinary_payments_raise_no_event_alert(replayed: Replayed) -> None:
    quiet = set(replayed.truth["quiet_customers"])
    assert len(quiet) > 50
    noisy = [(a.rule, a.customer_id) for a in _all_alerts(replayed.service)
             if a.customer_id in quiet and a.rule in EVENT_RULES]
    assert noisy == []


def test_each_alert_names_rule_customer_evidence_and_a_sentence(replayed: Replayed) -> None:
    alerts = _all_alerts(replayed.service)
    assert alerts
    policy = replayed.service.policy
    for alert in alerts:
        rule = policy.alert_rules[alert.rule]
        assert alert.severity == rule.severity and alert.owner_role == rule.owner_role
        assert alert.evidence and len(alert.sentence) > 20
        assert alert.case_id is not None  # live mode files every alert
    # one alert per rule, customer and batch
    keys = [(a.rule, a.customer_id, a.load_id) for a in alerts]
    assert len(keys) == len(set(keys))


def test_rerunning_a_batch_raises_and_files_nothing_twice(replayed: Replayed) -> None:
    service = replayed.service
    before = len(_all_alerts(service)), len(service.monitoring.cases(status=None))
    again = service.monitoring.ingest_incremental(sorted(replayed.stream.glob("batch-*"))[0])
    assert again.outcome.already_done
    assert (len(_all_alerts(service)), len(service.monitoring.cases(status=None))) == before


def test_the_same_rule_stays_quiet_within_its_window(replayed: Replayed,
                                                     tmp_path: Path) -> None:
    service = replayed.service
    planted = next(p for p in replayed.truth["planted"] if p["kind"] == "large_payment")
    batch_file = replayed.stream / f"batch-{planted['batch']:04d}" / "transactions.csv"
    rows = pd.read_csv(batch_file, dtype=str)
    row = rows[rows["transaction_id"] == planted["transaction_ids"][0]].copy()
    row["transaction_id"] = "REPEAT-1"
    row["timestamp"] = (pd.Timestamp(row["timestamp"].iloc[0]) + pd.Timedelta(hours=2)
                        ).isoformat()
    folder = tmp_path / "repeat"
    folder.mkdir()
    row.to_csv(folder / "transactions.csv", index=False)
    customer = planted["customer_ids"][0]
    count = sum(1 for a in _all_alerts(service)
                if a.customer_id == customer and a.rule == "single_payment")
    outcome = service.monitoring.ingest_incremental(folder).outcome
    assert outcome.suppressed >= 1
    assert sum(1 for a in _all_alerts(service)
               if a.customer_id == customer and a.rule == "single_payment") == count


def test_typology_alerts_put_the_whole_ring_on_one_case(replayed: Replayed) -> None:
    service = replayed.service
    cycle = next(p for p in replayed.truth["planted"] if p["kind"] == "cycle")
    cases = {c.case_id for m in cycle["customer_ids"]
             for c in service.monitoring.cases(status=None, customer=m)
             if "typology_cycle" in c.rules}
    assert len(cases) == 1
    case = service.monitoring.case(cases.pop())
    assert set(cycle["customer_ids"]) <= set(case.subjects)
    assert case.playbook and all(step.due_at > case.opened_at for step in case.playbook)


def test_case_workflow_feedback_conflicts_and_audit(replayed: Replayed) -> None:
    monitoring = replayed.service.monitoring
    case = next(c for c in monitoring.cases(status="open") if c.subjects)
    subject = case.subjects[0]
    with pytest.raises(CaseRuleError, match="can move to investigating"):
        monitoring.move_case(case.case_id, "escalated", actor="ana")
    with pytest.raises(CaseRuleError):
        monitoring.close_case(case.case_id, "false_positive", actor="ana")
    case = monitoring.assign_case(case.case_id, "ana", actor="lead")
    case = monitoring.move_case(case.case_id, "investigating", actor="ana")
    stale = case.version
    case = monitoring.note_case(case.case_id, "asked the branch", actor="ana")
    with pytest.raises(RecordConflictError) as conflict:
        monitoring.note_case(case.case_id, "overwrite?", actor="bob", expected_version=stale)
    assert case.case_id in str(conflict.value)
    assert str(stale) in str(conflict.value) and str(case.version) in str(conflict.value)
    case = monitoring.contact_case(case.case_id, channel="letter", template="document_request",
                                   summary="asked for the source of funds", actor="ana")
    case = monitoring.tick_step(case.case_id, 1, actor="ana")
    assert case.playbook[0].done_by == "ana" and case.playbook[0].done_at
    case = monitoring.move_case(case.case_id, "escalated", actor="ana")
    case = monitoring.close_case(case.case_id, "confirmed_risk", risk_label="mule",
                                 actor="mlro")
    assert case.status == "closed" and case.outcome == "confirmed_risk"
    with pytest.raises(CaseRuleError):
        monitoring.note_case(case.case_id, "too late", actor="ana")
    node = replayed.service.store.get_node(NodeRef.parse(subject))
    assert node.properties["known_risk_label"] == "mule"
    assert node.properties["known_risk_source"] == f"case {case.case_id}"
    labels = monitoring.labels()
    assert subject in set(labels["customer_id"])
    actions = [e.action for e in monitoring.audit(subject=case.case_id)]
    assert actions[-7:] == ["case.assign", "case.move", "case.note", "case.contact",
                            "case.step", "case.move", "case.close"]
    assert [e.action for e in monitoring.audit(subject=subject)][-1] == "label.set"
    seqs = [e.seq for e in monitoring.audit()]
    assert seqs == sorted(seqs) and len(seqs) == len(set(seqs))


def test_a_false_positive_becomes_a_negative_label_and_precision(replayed: Replayed) -> None:
    monitoring = replayed.service.monitoring
    case = next(c for c in monitoring.cases(status="open"))
    monitoring.move_case(case.case_id, "investigating", actor="ana")
    monitoring.close_case(case.case_id, "false_positive", actor="ana")
    labels = monitoring.labels().set_index("customer_id")
    assert (labels.loc[case.subjects, "label"] == "negative").all()
    table = monitoring.precision()
    judged = table[table["judged"] > 0]
    assert not judged.empty and judged["precision"].between(0, 1).all()


def test_closed_cases_and_an_audit_sample_judge_the_tier_bounds(replayed: Replayed,
                                                               tmp_path: Path) -> None:
    service, monitoring = replayed.service, replayed.service.monitoring
    cases = [c for c in monitoring.cases(status="open") if c.evidence.scores][:2]
    assert len(cases) == 2, "the replay opened too few cases with frozen scores"
    for case, outcome in zip(cases, ("confirmed_risk", "false_positive"), strict=True):
        monitoring.move_case(case.case_id, "investigating", actor="ana")
        monitoring.close_case(case.case_id, outcome, actor="ana",
                              risk_label="mule" if outcome == "confirmed_risk" else None)
    kept = monitoring.cases(status="open")[0]
    monitoring.move_case(kept.case_id, "investigating", actor="ana")
    monitoring.close_case(kept.case_id, "keep_monitoring", actor="ana")

    judged = monitoring.judged_customers().set_index("customer_id")
    for case, confirmed in zip(cases, (True, False), strict=True):
        for subject, frozen in case.evidence.scores.items():
            # judged at the score the case froze, not at today's (which counts the label)
            assert judged.loc[subject, "score"] == pytest.approx(frozen["score"])
            assert judged.loc[subject, "confirmed"] == confirmed
            assert judged.loc[subject, "source"] == f"case {case.case_id}"
    assert f"case {kept.case_id}" not in set(judged["source"])  # keep_monitoring judged nobody

    latest = service.store.latest_scores().set_index("customer_id")
    outside = latest.index.difference(judged.index)
    labelled = [c for c in outside if latest.loc[c, "known"] > 0][:3]
    plain = [c for c in outside if not latest.loc[c, "known"] > 0][:40]
    case_subject = next(iter(cases[0].evidence.scores))
    sample = tmp_path / "audit.csv"
    lines = ["customer_id,outcome", "C-NOPE,1", f"{case_subject},false_positive"]
    lines += [f"{c},{'confirmed_risk' if i % 2 else 'false_positive'}"
              for i, c in enumerate(labelled + plain)]
    sample.write_text("\n".join(lines) + "\n")
    report = service.tier_bounds(outcomes_file=sample, min_judged=5)
    assert report.left_out == {"unknown or never scored": 1,
                               "scored with a confirmed label": len(labelled)}
    rows = report.judged.set_index("customer_id")
    assert rows.loc[case_subject, "confirmed"]  # the case's judgement stands
    from_file = rows[rows["source"].str.startswith("file ")]
    assert sorted(from_file.index) == sorted(plain)
    assert (from_file["score"] == latest.loc[from_file.index, "score"]).all()
    assert [c.tier for c in report.choices] == ["medium", "high"]
    for choice in report.choices:
        assert choice.current_judged == int((rows["score"] >= choice.current).sum())
        if choice.bound is not None:
            above = rows[rows["score"] >= choice.bound]
            assert choice.judged == len(above) >= 5
            assert choice.precision == pytest.approx(above["confirmed"].mean())
            assert choice.precision >= choice.target
    assert f"{len(plain)} from the outcomes file" in report.sources()


def test_evidence_is_frozen_when_the_case_opens(replayed: Replayed) -> None:
    monitoring = replayed.service.monitoring
    opened = [monitoring.case(c) for c in replayed.outcomes[0].cases_opened]
    assert opened, f"batch {replayed.outcomes[0].load_id} opened no case"
    for case in opened:
        assert set(case.evidence.scores) <= set(case.subjects)
        assert case.evidence.subgraphs, "no network was frozen"
        frozen_at = datetime.fromisoformat(case.evidence.frozen_at)
        assert timedelta(0) <= frozen_at - datetime.fromisoformat(case.opened_at) < timedelta(
            minutes=1)
    replayed.service.score()  # every customer gets a newer score
    for case in opened:
        again = monitoring.case(case.case_id)
        assert again.evidence == case.evidence  # kept as it was when the case opened
        for customer, frozen in case.evidence.scores.items():
            latest = replayed.service.store.latest_scores([customer]).iloc[0]
            assert latest["run_id"] != frozen["run_id"]
            assert frozen["run_id"] in set(replayed.service.score_history(customer)["run_id"])


def test_overdue_cases_and_steps_are_surfaced(replayed: Replayed) -> None:
    from graphrisk.monitoring.casework import CaseDesk

    desk = replayed.service.monitoring.desk
    later = CaseDesk(desk.store, desk.policy, freeze=desk._freeze,
                     clock=lambda: datetime.now(UTC) + timedelta(days=400))
    late = {case.case_id: steps for case, steps in later.overdue()}
    still_open = {c.case_id: c for c in replayed.service.monitoring.cases(
        status=("open", "investigating", "escalated"))}
    assert still_open and set(late) == set(still_open)  # 400 days on, every case is late
    for case_id, steps in late.items():
        assert [s.number for s in steps] == [
            s.number for s in still_open[case_id].playbook if s.done_at is None]
    earlier = CaseDesk(desk.store, desk.policy, freeze=desk._freeze,
                       clock=lambda: datetime(2000, 1, 1, tzinfo=UTC))
    assert earlier.overdue() == []  # before any case opened, nothing is late


def test_everything_persists_across_a_restart(replayed: Replayed) -> None:
    service = replayed.service
    alerts = sorted(a.alert_id for a in _all_alerts(service))
    cases = sorted((c.case_id, c.version) for c in service.monitoring.cases(status=None))
    audit = len(service.monitoring.audit())
    with _open(replayed.kind, replayed.home, fresh=False) as reopened:
        assert sorted(a.alert_id for a in _all_alerts(reopened)) == alerts
        assert sorted((c.case_id, c.version)
                      for c in reopened.monitoring.cases(status=None)) == cases
        assert len(reopened.monitoring.audit()) == audit


def test_reassessment_is_idempotent_per_period(replayed: Replayed) -> None:
    monitoring = replayed.service.monitoring
    result = monitoring.reassess("2099-12")
    assert not result.already_done and result.due
    assert set(result.migration["direction"]) <= {"up", "down", "same", "new"}
    assert (result.report_dir / "migration.csv").exists()
    customer = result.due[0]
    history = len(replayed.service.score_history(customer))
    again = monitoring.reassess("2099-12")
    assert again.already_done and len(replayed.service.score_history(customer)) == history
    latest = replayed.service.store.latest_scores([customer]).iloc[0]
    assert latest["run_id"] == "reassess-2099-12"
    # everyone was just scored: nobody's review falls due in the month before this one
    last_month = datetime.now(UTC).date().replace(day=1) - timedelta(days=1)
    assert monitoring.reassess(f"{last_month:%Y-%m}").due == []


def test_a_looser_policy_backtests_to_more_alerts(replayed: Replayed, tmp_path: Path) -> None:
    text = DEFAULT_POLICY_FILE.read_text(encoding="utf-8")
    looser = text.replace("single_payment = 20000", "single_payment = 2000").replace(
        "single_payment = 10000", "single_payment = 1000").replace(
        "single_payment = 3000", "single_payment = 300")
    path = tmp_path / "looser.toml"
    path.write_text(looser, encoding="utf-8")
    result = replayed.service.monitoring.backtest(path)
    table = result.table.set_index(["rule", "tier"])
    single = table.xs("single_payment", level="rule")
    assert single["new_replayed"].sum() > single["live_replayed"].sum()
    same = table.drop(index="single_payment", level="rule")
    assert (same["new_replayed"] == same["live_replayed"]).all()


@pytest.mark.parametrize("kind", STORE_PARAMS)
def test_kill_9_while_filing_cases_then_rerun(kind: StoreKind, bank: tuple[Path, Path],
                                              tmp_path: Path) -> None:
    base, stream = bank
    home = tmp_path / "home"
    service = _open(kind, home, fresh=True)
    service.ingest_folder(base)
    service.score()
    batches = sorted(stream.glob("batch-*"))
    busiest = max(batches, key=lambda b: len(json.dumps(
        [p for p in json.loads((stream / "stream_truth.json").read_text())["planted"]
         if f"batch-{p['batch']:04d}" == b.name])))
    service.close()
    script = textwrap.dedent(f"""
        import os, signal
        from graphrisk.monitoring import casework
        calls = []
        original = casework.CaseDesk.file_alert
        def crash(self, *args, **kwargs):
            calls.append(1)
            if len(calls) == 2:
                os.kill(os.getpid(), signal.SIGKILL)
            return original(self, *args, **kwargs)
        casework.CaseDesk.file_alert = crash
        from graphrisk.service import RiskService
        from graphrisk.config import read_settings
        with RiskService.open(read_settings()) as service:
            service.monitoring.ingest_incremental({str(busiest)!r})
    """)
    env = {**os.environ, "GRAPHRISK_HOME": str(home), "GRAPHRISK_STORE": str(kind)}
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                          timeout=600, check=False)
    assert done.returncode == -signal.SIGKILL, done.stderr.decode()[-2000:]
    with _open(kind, home, fresh=False) as reopened:
        crashed = {a.alert_id for a in _all_alerts(reopened)}
        assert crashed, "the kill came before any alert was stored"
        assert any(a.case_id is None for a in _all_alerts(reopened))
        outcome = reopened.monitoring.ingest_incremental(busiest).outcome
        assert not outcome.already_done
        alerts = _all_alerts(reopened)
        assert {a.alert_id for a in alerts} == crashed  # nothing lost, nothing new
        assert all(a.case_id for a in alerts)
        keys = [(a.rule, a.customer_id) for a in alerts]
        assert len(keys) == len(set(keys))
        filed = [i for c in reopened.monitoring.cases(status=None) for i in c.alert_ids]
        assert sorted(filed) == sorted(a.alert_id for a in alerts)
    shutil.rmtree(home, ignore_errors=True)


def _embedded_service(home: Path, base: Path, policy_path: Path,
                      shadow: Path | None = None) -> RiskService:
    store = open_test_store(StoreKind.EMBEDDED, home)
    settings = Settings(home=home, store=StoreKind.EMBEDDED, policy_file=policy_path,
                        shadow_policy_file=shadow)
    service = RiskService(settings, store, load_policy(policy_path), policy_source=policy_path)
    service.ingest_folder(base)
    service.score()
    return service


def test_a_policy_in_shadow_mode_logs_alerts_and_opens_no_case(bank: tuple[Path, Path],
                                                               tmp_path: Path) -> None:
    base, stream = bank
    text = DEFAULT_POLICY_FILE.read_text(encoding="utf-8")
    path = tmp_path / "shadow.toml"
    path.write_text(text.replace('mode = "live"', 'mode = "shadow"'), encoding="utf-8")
    with _embedded_service(tmp_path / "home", base, path) as service:
        outcomes = [service.monitoring.ingest_incremental(b).outcome
                    for b in sorted(stream.glob("batch-*"))[:3]]
        raised = [a for o in outcomes for a in o.alerts]
        assert raised and all(a.mode == "shadow" and a.case_id is None for a in raised)
        assert service.monitoring.cases(status=None) == []
        assert service.monitoring.alerts() == []
        assert len(service.monitoring.alerts(shadow=True)) == len(raised)
        actions = [e.action for e in service.monitoring.audit()]
        assert actions[0] == "policy.adopt" and "score.run" in actions
        # a changed policy file is audited the next time it is used
        path.write_text(text.replace('mode = "live"', 'mode = "shadow"').replace(
            "dedupe_days = 1\n", "dedupe_days = 2\n"), encoding="utf-8")
        RiskService(service.settings, service.store, load_policy(path),
                    policy_source=path).note_policy()
        last = service.monitoring.audit()[-1]
        assert last.action == "policy.change" and last.details["previous_sha256"]


def test_a_shadow_policy_runs_beside_the_live_one(bank: tuple[Path, Path],
                                                  tmp_path: Path) -> None:
    base, stream = bank
    looser = tmp_path / "looser.toml"
    looser.write_text(DEFAULT_POLICY_FILE.read_text(encoding="utf-8").replace(
        "single_payment = 20000", "single_payment = 500").replace(
        "single_payment = 10000", "single_payment = 500").replace(
        "single_payment = 3000", "single_payment = 500"), encoding="utf-8")
    with _embedded_service(tmp_path / "home", base, DEFAULT_POLICY_FILE, looser) as service:
        outcome = service.monitoring.ingest_incremental(
            sorted(stream.glob("batch-*"))[0]).outcome
        live = [a for a in outcome.alerts if a.rule == "single_payment"]
        shadow = [a for a in outcome.shadow_alerts if a.rule == "single_payment"]
        assert len(shadow) > len(live)
        assert all(a.mode == "shadow" and a.case_id is None for a in outcome.shadow_alerts)
        filed = {i for c in service.monitoring.cases(status=None) for i in c.alert_ids}
        assert not filed & {a.alert_id for a in outcome.shadow_alerts}


def test_events_given_as_rows_are_validated_and_monitored(replayed: Replayed) -> None:
    monitoring = replayed.service.monitoring
    planted = next(p for p in replayed.truth["planted"] if p["kind"] == "dispute_spike")
    customer = planted["customer_ids"][0]
    opened = datetime.now(UTC).date().isoformat()
    rows = [{"dispute_id": f"ROW-D{n}", "customer_id": customer, "kind": "chargeback",
             "amount": 120.0, "status": "open", "opened_date": opened} for n in range(4)]
    rows.append({"dispute_id": "ROW-BAD", "customer_id": "NO-SUCH-CUSTOMER",
                 "kind": "chargeback", "status": "open", "opened_date": opened})
    done = monitoring.ingest_events({"disputes": rows})
    assert done.report.rows_loaded == 4 and done.report.rows_rejected == 1
    assert done.report.report_dir is not None
    assert [(a.rule, a.customer_id) for a in done.outcome.alerts
            if a.rule == "dispute_spike"] == [("dispute_spike", customer)]
    with pytest.raises(ConfigError, match="unknown entity"):
        monitoring.ingest_events({"payments": rows})

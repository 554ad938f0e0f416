"""The risk-management cycle from the command line, as a risk team runs it: the demo goes on
to a stream of new events, then alerts, cases, re-assessment, back-test and audit."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from graphrisk.policy import DEFAULT_POLICY_FILE
from tests.helpers import run_graphrisk

pytestmark = pytest.mark.slow


def _json(home: Path, *args: str) -> object:
    done = run_graphrisk(home, *args, "--json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_demo_alerts_cases_reassess_backtest_audit(tmp_path: Path) -> None:
    home = tmp_path / "home"
    demo = run_graphrisk(home, "demo", "--customers", "800", "--seed", "5")
    assert demo.returncode == 0, demo.stderr
    assert "New events arrive" in demo.stdout
    assert "its playbook" in demo.stdout

    alerts = _json(home, "alerts", "--status", "all")
    assert isinstance(alerts, list) and alerts
    assert {"alert_id", "rule", "customer_id", "evidence", "sentence", "case_id"} <= set(
        alerts[0])
    listed = run_graphrisk(home, "alerts")
    assert listed.returncode == 0 and "alerts" in listed.stdout

    cases = _json(home, "cases", "list")
    assert isinstance(cases, list) and cases
    # the demo's investigator worked the first cases; work one nobody has touched yet
    untouched = [c for c in cases if c["status"] == "open" and not c.get("owner")]
    assert untouched, cases
    case_id = untouched[0]["case_id"]
    worked = [c for c in _json(home, "cases", "list", "--status", "all")
              if c.get("owner") == "demo-investigator"]
    assert {c["status"] for c in worked} >= {"closed", "investigating"}
    shown = run_graphrisk(home, "cases", "show", case_id)
    assert shown.returncode == 0, shown.stderr
    assert "playbook" in shown.stdout and "evidence frozen at" in shown.stdout

    version = int(_json(home, "cases", "show", case_id)["version"])  # type: ignore[index]
    steps = [
        ("cases", "assign", case_id, "ana", "--by", "lead"),
        ("cases", "move", case_id, "investigating", "--by", "ana"),
        ("cases", "note", case_id, "called the branch", "--by", "ana"),
        ("cases", "contact", case_id, "asked for the source of funds", "--channel", "letter",
         "--template", "document_request", "--by", "ana"),
        ("cases", "step", case_id, "1", "--by", "ana"),
    ]
    for step in steps:
        done = run_graphrisk(home, *step)
        assert done.returncode == 0, (step, done.stderr)
    stale = run_graphrisk(home, "cases", "note", case_id, "late", "--version", str(version))
    assert stale.returncode == 2
    assert case_id in stale.stderr and "version" in stale.stderr
    wrong = run_graphrisk(home, "cases", "move", case_id, "open")
    assert wrong.returncode == 2 and "can move to" in wrong.stderr
    closed = run_graphrisk(home, "cases", "close", case_id, "--outcome", "false_positive",
                           "--by", "ana")
    assert closed.returncode == 0, closed.stderr
    case = _json(home, "cases", "show", case_id)
    assert case["status"] == "closed" and case["contacts"][0]["template"] == "document_request"  # type: ignore[index]
    assert case["playbook"][0]["done_by"] == "ana"  # type: ignore[index]

    audit = _json(home, "audit", "--subject", case_id)
    actions = [entry["action"] for entry in audit]  # type: ignore[union-attr]
    assert actions[-1] == "case.close" and "case.contact" in actions
    assert [e["actor"] for e in audit][-1] == "ana"  # type: ignore[union-attr]

    first = _json(home, "reassess", "--period", "2099-12")
    assert first["customers"] > 0 and not first["already_done"]  # type: ignore[index]
    again = _json(home, "reassess", "--period", "2099-12")
    assert again["already_done"]  # type: ignore[index]
    summary = run_graphrisk(home, "reassess", "--period", "2099-12")
    assert summary.returncode == 0 and "nothing changed" in summary.stdout

    stricter = tmp_path / "stricter.toml"
    stricter.write_text(DEFAULT_POLICY_FILE.read_text(encoding="utf-8").replace(
        "[alert_rules.single_payment]\n", "[alert_rules.single_payment]\nenabled = false\n"),
        encoding="utf-8")
    result = _json(home, "backtest", "--policy", str(stricter))
    rows = result["rows"]  # type: ignore[index]
    single = [r for r in rows if r["rule"] == "single_payment"]
    assert sum(r["live_replayed"] for r in single) > 0
    assert sum(r["new_replayed"] for r in single) == 0
    precision = run_graphrisk(home, "alerts", "precision")
    assert precision.returncode == 0, precision.stderr

"""Continuous monitoring: a batch of new events in, alerts and cases out.

Why this order of steps: every step can be interrupted (``kill -9``) and the batch re-run
without losing or doubling anything. The load is idempotent (checkpoints); alert ids derive
from rule, customer and batch, and alerts are stored *before* the new scores, so a re-run
still sees the score rise it must alert on; cases are filed from the stored alerts that have
no case yet; the batch is marked done last.

1. load the batch (same validation and quarantine as a full load);
2. the touched customers' region -> the event rules (payments, links, disputes, typologies);
3. the reach (touched customers and their links) is re-scored, anchored to the last full run
   (:mod:`graphrisk.rescoring`); score rises and tier escalations are rules too;
4. candidates within a rule's ``dedupe_days`` of the same rule's last alert for the customer
   are suppressed; the rest are stored;
5. the new scores are written (only the reach's: everyone else is untouched);
6. live alerts open or join cases (typology alerts put the whole ring on one case); shadow
   alerts are stored and counted, never filed;
7. the batch is marked done and the run is audited.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from graphrisk.analytics.ledger import build_ledger
from graphrisk.analytics.typologies import TypologyResult
from graphrisk.graph import GraphSnapshot
from graphrisk.monitoring.casework import CaseDesk, now_text
from graphrisk.monitoring.records import ALERT_KIND, Alert, alert_id_for
from graphrisk.monitoring.rules import (
    AlertCandidate,
    EventBatch,
    RuleContext,
    event_alerts,
    risky_customers,
    score_alerts,
)
from graphrisk.policy import RiskPolicy
from graphrisk.store.base import GraphStore

__all__ = ["BATCH_KIND", "BatchOutcome", "Monitor", "Rescored", "store_alerts"]

#: Record kind marking a processed batch.
BATCH_KIND = "batch"

Step = Callable[[str], None]


@dataclass
class BatchOutcome:
    """What one incremental batch did.

    Attributes:
        load_id: the batch's load id.
        touched: customers whose own data changed.
        reach: customers re-scored (touched plus their links).
        alerts: alerts raised now (live, or shadow when the policy runs in shadow).
        shadow_alerts: alerts of the shadow policy, logged and counted only.
        suppressed: candidates left out because the same rule fired for the customer
            within its ``dedupe_days``.
        cases_opened: ids of cases opened now.
        cases_joined: ids of existing cases the batch's alerts joined.
        run_id: the incremental scoring run (``None`` when nothing was re-scored).
        already_done: the batch had been processed before; nothing was repeated.
        timings: seconds per step.
    """

    load_id: str
    touched: list[str] = field(default_factory=list)
    reach: list[str] = field(default_factory=list)
    alerts: list[Alert] = field(default_factory=list)
    shadow_alerts: list[Alert] = field(default_factory=list)
    suppressed: int = 0
    cases_opened: list[str] = field(default_factory=list)
    cases_joined: list[str] = field(default_factory=list)
    run_id: str | None = None
    already_done: bool = False
    timings: dict[str, float] = field(default_factory=dict)

    def summary(self) -> str:
        """One line for a log or a cron mail."""
        if self.already_done:
            return f"batch {self.load_id} was processed before; nothing repeated"
        return (f"batch {self.load_id}: {len(self.touched)} customers touched, "
                f"{len(self.reach)} re-scored, {len(self.alerts)} alerts "
                f"({self.suppressed} suppressed as repeats), {len(self.cases_opened)} cases "
                f"opened, {len(self.cases_joined)} joined"
                + (f", {len(self.shadow_alerts)} shadow alerts" if self.shadow_alerts else ""))


@dataclass(frozen=True)
class Rescored:
    """A re-scoring of the reach, not yet written.

    Attributes:
        scores: the new scores (``customer_id, score, tier, reasons`` and components).
        previous: the same customers' latest stored scores before.
        run_id: the run the scores will be written as.
        typologies: the typology instances of the re-scored region.
        write: stores the scores.
    """

    scores: Any
    previous: Any
    run_id: str
    typologies: TypologyResult | None
    write: Callable[[], None]


class Monitor:
    """Runs the monitoring steps for one store and policy (see the module docstring).

    Args:
        store: the configured store.
        policy: the live policy.
        desk: files alerts into cases.
        rescore: re-scores a set of customers without writing (:class:`Rescored`).
        reach: the touched customers and those within the policy's reach of them.
        read_region: reads the touched customers' region (a reader shared with
            re-scoring); the store's ``region_snapshot`` by default.
        shadow_policy: a policy tried beside the live one; its alerts are only logged.
        actor: who the audit trail names for the automatic steps.
    """

    def __init__(self, store: GraphStore, policy: RiskPolicy, desk: CaseDesk, *,
                 rescore: Callable[[set[str]], Rescored],
                 reach: Callable[[set[str]], set[str]],
                 read_region: Callable[[list[str]], GraphSnapshot] | None = None,
                 shadow_policy: RiskPolicy | None = None, actor: str = "monitoring") -> None:
        self.store, self.policy, self.desk = store, policy, desk
        self._rescore, self._reach = rescore, reach
        self._read_region = read_region or store.region_snapshot
        self.shadow_policy, self.actor = shadow_policy, actor

    def process(self, batch: EventBatch, *, step: Step | None = None) -> BatchOutcome:
        """Run steps 2-7 for a loaded batch."""
        say = step or (lambda _: None)
        outcome = BatchOutcome(load_id=batch.load_id, touched=sorted(batch.customers))
        done = self.store.get_record(BATCH_KIND, batch.load_id)
        if done is not None and done.status == "done":
            outcome.already_done = True
            return outcome
        timer = _Timer(outcome.timings)
        with timer("region"):
            say("reading the touched customers")
            region = self._read_region(sorted(batch.customers))
            ledger = build_ledger(region,
                                  reporting_threshold=self.policy.scoring.reporting_threshold)
            latest = self.store.latest_scores(sorted(set(region.customers["customer_id"])))
            tiers = dict(zip(latest["customer_id"], latest["tier"], strict=True))
            clusters = dict(zip(latest["customer_id"], latest["cluster"].fillna(0.0),
                                strict=True))
        write_scores: Callable[[], None] | None = None
        rescored: Rescored | None = None
        if batch.customers:
            with timer("rescore"):
                say("re-scoring the customers within reach")
                reach = self._reach(set(batch.customers))
                outcome.reach = sorted(reach)
                rescored = self._rescore(reach)
                outcome.run_id = rescored.run_id
                write_scores = rescored.write
        with timer("event_rules"):
            say("checking the alert rules")
            live_mode = self.policy.monitoring.mode
            context = RuleContext(region, ledger, tiers, risky_customers(region, clusters),
                                  self.policy)
            # The re-scoring found the typologies of the reach's region, which holds the
            # touched customers' payments: the rules read them instead of detecting again.
            found = rescored.typologies if rescored is not None else None
            candidates = event_alerts(batch, context, typologies=found)
            shadow: list[AlertCandidate] = []
            if self.shadow_policy is not None:
                shadow = event_alerts(batch, RuleContext(
                    region, ledger, tiers, context.risky, self.shadow_policy), typologies=found)
        if rescored is not None:
            at = batch.latest_at or _latest_event(candidates) or now_text()
            scores = rescored.scores.assign(run_id=rescored.run_id)
            # Alerts and cases carry the tier the customer is in now (its service level).
            tiers = {**tiers, **dict(zip(scores["customer_id"].astype(str),
                                         scores["tier"].astype(str), strict=True))}
            candidates += score_alerts(rescored.previous, scores, self.policy, at)
            if self.shadow_policy is not None:
                shadow += score_alerts(rescored.previous, scores, self.shadow_policy, at)
        with timer("store_alerts"):
            say("storing the alerts")
            raised, suppressed = store_alerts(self.store, self.policy, candidates,
                                              batch.load_id, tiers, mode=live_mode)
            outcome.alerts, outcome.suppressed = raised, suppressed
            if shadow:
                outcome.shadow_alerts, _ = store_alerts(
                    self.store, self.shadow_policy, shadow,  # type: ignore[arg-type]
                    batch.load_id, tiers, mode="shadow")
        if write_scores is not None:
            with timer("write_scores"):
                write_scores()
        if live_mode == "live":
            with timer("cases"):
                say("filing alerts into cases")
                self._file_unfiled(batch.load_id, outcome)
        self.store.create_record(BATCH_KIND, batch.load_id, {
            "finished_at": now_text(), "summary": outcome.summary()}, status="done")
        self.store.append_audit(self.actor, "monitoring.batch", f"batch:{batch.load_id}", {
            "touched": len(outcome.touched), "reach": len(outcome.reach),
            "alerts": [a.alert_id for a in outcome.alerts], "suppressed": outcome.suppressed,
            "shadow_alerts": len(outcome.shadow_alerts), "run_id": outcome.run_id,
            "cases_opened": outcome.cases_opened, "cases_joined": outcome.cases_joined})
        return outcome

    def _file_unfiled(self, load_id: str, outcome: BatchOutcome) -> None:
        """File every live alert of this batch that has no case yet (also after a crash)."""
        for record in self.store.records(ALERT_KIND, status="unfiled"):
            alert = Alert.model_validate(record.body)
            if alert.load_id != load_id or alert.mode != "live":
                continue
            subjects = [alert.customer_id]
            if alert.rule.startswith("typology_"):
                subjects += list(alert.evidence.get("linked_customers", []))
            case, opened = self.desk.file_alert(alert, subjects, self.actor)
            (outcome.cases_opened if opened else outcome.cases_joined).append(case.case_id)
            alert.case_id, alert.status = case.case_id, "new"
            self.store.update_record(ALERT_KIND, alert.alert_id, alert.model_dump(mode="json"),
                                     expected_version=record.version,
                                     subject=alert.customer_id, status=alert.status)
        outcome.cases_opened = sorted(set(outcome.cases_opened))
        outcome.cases_joined = sorted(set(outcome.cases_joined) - set(outcome.cases_opened))


def store_alerts(store: GraphStore, policy: RiskPolicy, candidates: Iterable[AlertCandidate],
                 load_id: str, tiers: dict[str, str], *,
                 mode: str) -> tuple[list[Alert], int]:
    """Store the candidates that are not repeats; returns them and how many were repeats.

    A candidate is a repeat when the same rule raised an alert (in the same mode) for the
    same customer within the rule's ``dedupe_days`` before it, by event time. A candidate
    whose id is stored already (a re-run batch) is returned as stored, not counted twice.
    """
    raised: list[Alert] = []
    suppressed = 0
    seen: dict[str, list[Alert]] = {}
    for candidate in candidates:
        rule = policy.alert_rules[candidate.rule]
        alert_id = alert_id_for(candidate.rule, candidate.customer_id, load_id, mode)
        existing = store.get_record(ALERT_KIND, alert_id)
        if existing is not None:
            raised.append(Alert.model_validate(existing.body))
            continue
        if candidate.customer_id not in seen:
            seen[candidate.customer_id] = [
                Alert.model_validate(r.body)
                for r in store.records(ALERT_KIND, subject=candidate.customer_id)]
        window_start = _parse(candidate.at) - timedelta(days=rule.dedupe_days)
        repeat = [a for a in seen[candidate.customer_id]
                  if a.rule == candidate.rule and a.mode == mode
                  and window_start < _parse(a.at) <= _parse(candidate.at)]
        if repeat and rule.dedupe_days > 0:
            suppressed += 1
            continue
        alert = Alert(
            alert_id=alert_id, rule=candidate.rule, customer_id=candidate.customer_id,
            severity=rule.severity, owner_role=rule.owner_role,
            tier=tiers.get(candidate.customer_id, "low"), at=candidate.at,
            raised_at=now_text(), load_id=load_id, mode=mode,  # type: ignore[arg-type]
            evidence=candidate.evidence, sentence=candidate.sentence,
            status="unfiled" if mode == "live" else "shadow")
        record, _ = store.create_record(ALERT_KIND, alert_id, alert.model_dump(mode="json"),
                                        subject=alert.customer_id, status=alert.status)
        stored = Alert.model_validate(record.body)
        seen[candidate.customer_id].append(stored)
        raised.append(stored)
    return raised, suppressed


def _parse(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _latest_event(candidates: list[AlertCandidate]) -> str | None:
    return max((c.at for c in candidates), key=_parse, default=None)


class _Timer:
    def __init__(self, timings: dict[str, float]) -> None:
        self.timings = timings

    def __call__(self, name: str) -> _Timed:
        return _Timed(self.timings, name)


class _Timed:
    def __init__(self, timings: dict[str, float], name: str) -> None:
        self.timings, self.name = timings, name

    def __enter__(self) -> None:
        self.started = time.perf_counter()

    def __exit__(self, *exc: object) -> None:
        self.timings[self.name] = self.timings.get(self.name, 0.0) + (
            time.perf_counter() - self.started)

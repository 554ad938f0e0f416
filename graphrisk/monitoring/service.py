"""The risk-management cycle as typed calls: monitoring, alerts, cases, re-assessment, audit.

Why a part of the service of its own: :class:`graphrisk.service.RiskService` is the one door
every face uses; its ``monitoring`` attribute is this object, sharing its store, policy and
settings, so the CLI, the API and notebooks drive the whole cycle — an incremental batch to
alerts and cases, the case workflow, periodic re-assessment, back-tests, labels learned from
closed cases and the audit trail — without composing any of it themselves.

Every change a person makes names its actor (``GRAPHRISK_USER``, else the operating-system
user, unless the caller passes one) and lands in the append-only audit trail.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from graphrisk.errors import ConfigError, NotFoundError
from graphrisk.graph import NodeRef
from graphrisk.monitoring.casework import CaseDesk, now_text
from graphrisk.monitoring.monitor import BatchOutcome, Monitor, Rescored
from graphrisk.monitoring.reassess import (
    current_period,
    due_customers,
    migration,
    period_bounds,
)
from graphrisk.monitoring.records import (
    ALERT_KIND,
    LABEL_KIND,
    Alert,
    Case,
    CaseEvidence,
    PlaybookItem,
    subgraph_json,
)
from graphrisk.monitoring.rules import AlertCandidate, EventBatch
from graphrisk.policy import RiskPolicy, load_policy
from graphrisk.store.base import AuditEntry
from graphrisk.tier_bounds import JUDGED_COLUMNS

if TYPE_CHECKING:
    from graphrisk.ingestion.loader import IngestReport
    from graphrisk.monitoring.backtest import Backtest
    from graphrisk.rescoring import RegionReader
    from graphrisk.screening.service import ScreeningRun
    from graphrisk.service import ProgressCallback, RiskService

__all__ = [
    "REASSESSMENT_KIND",
    "IncrementalIngest",
    "MonitoringService",
    "Reassessment",
]

#: Record kind of a period's re-assessment.
REASSESSMENT_KIND = "reassessment"
#: Score-run kinds; they start with ``risk_score`` so the customer view reads them as scores.
INCREMENTAL_RUN_KIND = "risk_score:incremental"
REASSESSMENT_RUN_KIND = "risk_score:reassessment"


@dataclass
class IncrementalIngest:
    """An incremental batch: what was loaded (and rejected) and what monitoring did."""

    report: IngestReport
    outcome: BatchOutcome
    #: The screening of the customers and counterparties the batch brought, new ones and
    #: ones whose name, birth year or country it changed (``None``: no list
    #: loaded, or none arrived).
    screening: ScreeningRun | None = None

    def exit_code(self, strict: bool = False) -> int:
        return self.report.exit_code(strict=strict)


@dataclass
class Reassessment:
    """One period's re-assessment.

    Attributes:
        period: ``2026-12`` or ``2027-Q1``.
        run_id: the score run holding the period's scores (``reassess-<period>``).
        due: customers re-scored.
        migration: one row per re-scored customer (:data:`reassess.MIGRATION_COLUMNS`).
        report_dir: where the migration report was written.
        already_done: the period had been re-assessed before; nothing changed.
        counts: customers by direction (up, down, same, new).
    """

    period: str
    run_id: str
    due: list[str]
    migration: pd.DataFrame
    report_dir: Path
    already_done: bool = False
    counts: dict[str, int] = field(default_factory=dict)

    def summary(self) -> str:
        if self.already_done:
            return (f"re-assessment {self.period} was done before ({len(self.due)} customers); "
                    "nothing changed")
        moves = ", ".join(f"{n} {d}" for d, n in sorted(self.counts.items())) or "nobody"
        return (f"re-assessment {self.period}: {len(self.due)} customers due and re-scored; "
                f"tier moves: {moves}; report in {self.report_dir}")


class MonitoringService:
    """Monitoring, alerts, cases, re-assessment and audit over one open :class:`RiskService`."""

    def __init__(self, service: RiskService) -> None:
        self._service = service
        self.store = service.store
        self.policy: RiskPolicy = service.policy
        self.settings = service.settings
        self.desk = CaseDesk(self.store, self.policy, freeze=self.freeze_evidence)

    @property
    def actor(self) -> str:
        return self.settings.actor

    # -- monitoring ------------------------------------------------------------------------
    def ingest_incremental(self, directory: Path, *, actor: str | None = None,
                           progress: ProgressCallback | None = None) -> IncrementalIngest:
        """Load a small batch of new events and run monitoring on it.

        Same validation and quarantine as a full load; then the touched customers are
        checked by the alert rules, their reach is re-scored (only the reach: everyone else
        keeps their stored score), alerts are stored (repeats within a rule's window left
        out) and, in live mode, open or join cases. Re-running a batch (after a crash, or by
        mistake) raises and files nothing twice.
        """
        from graphrisk.service import ProgressEvent

        report_progress = progress or (lambda _: None)
        from graphrisk.rescoring import RegionReader

        self._service.note_policy()
        report = self._service.ingest_folder(directory, progress=progress, keep_accepted=True)
        # One reader per batch: touched customers, rules, reach and re-scoring share reads.
        reader = RegionReader(self.store)
        batch = self.batch_of(report, reader=reader)

        def step(message: str) -> None:
            report_progress(ProgressEvent("monitoring", message))

        monitor = Monitor(self.store, self.policy, self.desk,
                          rescore=lambda customers: self._rescore(customers, reader),
                          reach=lambda touched: self._reach(touched, reader),
                          read_region=reader.region, shadow_policy=self._shadow_policy(),
                          actor=actor or "monitoring")
        outcome = monitor.process(batch, step=step)
        step("screening the new and changed customers and counterparties")
        screened = self._service.screening.screen_new(report.accepted,
                                                      actor=actor or "monitoring")
        return IncrementalIngest(report, outcome, screened)

    def ingest_events(self, events: Mapping[str, pd.DataFrame | list[dict[str, Any]]], *,
                      actor: str | None = None,
                      progress: ProgressCallback | None = None) -> IncrementalIngest:
        """An incremental batch given as rows (what an HTTP endpoint receives), per entity.

        The rows are written as input files under ``$GRAPHRISK_HOME/incoming/`` (owner-only)
        and processed by :meth:`ingest_incremental`, so they are validated, quarantined and
        kept exactly like a batch that arrived as files.

        Raises:
            ConfigError: an entity name is not one of the input format's.
        """
        from graphrisk.domain import ENTITY_BY_NAME

        unknown = sorted(set(events) - set(ENTITY_BY_NAME))
        if unknown:
            raise ConfigError(f"unknown entity {', '.join(unknown)}; events are given per "
                              f"entity: {', '.join(sorted(ENTITY_BY_NAME))}")
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        folder = self.settings.home / "incoming" / f"{stamp}-{uuid.uuid4().hex[:8]}"
        folder.mkdir(parents=True, mode=0o700)
        for entity, rows in events.items():
            frame = rows if isinstance(rows, pd.DataFrame) else pd.DataFrame(list(rows))
            # rows given as JSON leave out the optional fields they do not use: every column
            # of the entity is written (empty where absent), any other one is kept for the
            # validation to report
            known = [c.name for c in ENTITY_BY_NAME[entity].columns]
            frame = frame.reindex(columns=known + [c for c in frame.columns if c not in known])
            target = folder / f"{entity}.csv"
            frame.to_csv(target, index=False)
            os.chmod(target, 0o600)
        return self.ingest_incremental(folder, actor=actor, progress=progress)

    def batch_of(self, report: IngestReport, *, reader: RegionReader | None = None
                 ) -> EventBatch:
        """The ids a loaded batch brought, and the customers they touch."""
        from graphrisk.rescoring import touched_customers

        accepted = report.accepted
        changes = _changes(accepted)
        touched = touched_customers(self.store, changes, reader=reader)
        links = ()
        identifiers = accepted.get("identifiers")
        if identifiers is not None and not identifiers.empty:
            links = tuple(sorted(set(zip(identifiers["customer_id"].astype(str),
                                         identifiers["identifier_id"].astype(str),
                                         strict=True))))
        return EventBatch(
            load_id=report.load_id, customers=frozenset(touched),
            transaction_ids=frozenset(_ids(accepted, "transactions", "transaction_id")),
            dispute_ids=frozenset(_ids(accepted, "disputes", "dispute_id")),
            identifier_links=links, latest_at=_latest_time(accepted))

    def _reach(self, touched: set[str], reader: RegionReader | None = None) -> set[str]:
        from graphrisk.rescoring import reach

        return set(reach(self.store, touched, hops=self.policy.monitoring.reach_hops,
                         settings=self._service.scoring_settings(), reader=reader))

    def _rescore(self, customers: set[str], reader: RegionReader | None = None) -> Rescored:
        from graphrisk.rescoring import rescore

        result = rescore(self.store, self.policy, customers,
                         individual_model=self._service.individual_model(), write=False,
                         reader=reader)

        def write() -> None:
            if not result.run_id or result.scores.empty:
                return  # nobody to re-score (no customer of the batch is in the store)
            self.store.write_scores(result.run_id, INCREMENTAL_RUN_KIND,
                                    {"customers": len(customers)}, result.scores)

        return Rescored(result.scores, result.previous, result.run_id, result.typologies, write)

    def _shadow_policy(self) -> RiskPolicy | None:
        path = self.settings.shadow_policy_file
        return load_policy(path) if path is not None else None

    # -- alerts ----------------------------------------------------------------------------
    def raise_alerts(self, found: list[tuple[str, AlertCandidate]], *,
                     actor: str | None = None) -> list[Alert]:
        """Store and file alerts found outside an event batch (a screening run).

        Args:
            found: ``(source, candidate)`` pairs. The source (a screening hit's id) stands
                where a batch's load id stands, so the same finding from the same source
                keeps its alert id: running it again raises nothing twice.
            actor: who files them into cases (default ``GRAPHRISK_USER``).

        Only rules the live policy enables are kept. In live mode each new alert opens or
        joins its customer's case, with the rule's playbook.

        Returns:
            The alerts created now (not those raised before).
        """
        from graphrisk.monitoring.monitor import store_alerts
        from graphrisk.monitoring.records import alert_id_for

        rules = self.policy.active_rules()
        mode = self.policy.monitoring.mode
        fresh = [(source, c) for source, c in found if c.rule in rules
                 and self.store.get_record(ALERT_KIND, alert_id_for(
                     c.rule, c.customer_id, source, mode)) is None]
        if not fresh:
            return []
        latest = self.store.latest_scores(sorted({c.customer_id for _, c in fresh}))
        tiers = dict(zip(latest["customer_id"].astype(str), latest["tier"].astype(str),
                         strict=True))
        raised: list[Alert] = []
        for source, candidate in fresh:
            raised += store_alerts(self.store, self.policy, [candidate], source, tiers,
                                   mode=mode)[0]
        who = actor or self.actor
        for alert in raised:
            record = self.store.get_record(ALERT_KIND, alert.alert_id)
            if record is None or record.status != "unfiled":
                continue
            case, _ = self.desk.file_alert(alert, [alert.customer_id], who)
            alert.case_id, alert.status = case.case_id, "new"
            self.store.update_record(ALERT_KIND, alert.alert_id, alert.model_dump(mode="json"),
                                     expected_version=record.version,
                                     subject=alert.customer_id, status=alert.status)
        return raised

    def alerts(self, *, status: str | Collection[str] | None = None,
               customer: str | None = None, rule: str | None = None,
               shadow: bool = False) -> list[Alert]:
        """Alerts, newest event first; ``shadow`` lists the shadow policy's instead."""
        if status is None:
            status = "shadow" if shadow else ("unfiled", "new", "acknowledged")
        alerts = [Alert.model_validate(r.body)
                  for r in self.store.records(ALERT_KIND, subject=customer, status=status)]
        alerts = [a for a in alerts if (a.mode == "shadow") == shadow
                  and (rule is None or a.rule == rule)]
        return sorted(alerts, key=lambda a: (a.at, a.alert_id), reverse=True)

    def alert(self, alert_id: str) -> Alert:
        record = self.store.get_record(ALERT_KIND, alert_id)
        if record is None:
            raise NotFoundError(f"no alert {alert_id}; `graphrisk alerts` lists them")
        return Alert.model_validate(record.body)

    def acknowledge(self, alert_id: str, *, actor: str | None = None) -> Alert:
        """Mark an alert seen by ``actor`` (audited)."""
        record = self.store.get_record(ALERT_KIND, alert_id)
        if record is None:
            raise NotFoundError(f"no alert {alert_id}; `graphrisk alerts` lists them")
        alert = Alert.model_validate(record.body)
        if alert.status == "acknowledged":
            return alert
        who = actor or self.actor
        alert.status, alert.acknowledged_by = "acknowledged", who
        alert.acknowledged_at = now_text()
        self.store.update_record(ALERT_KIND, alert_id, alert.model_dump(mode="json"),
                                 expected_version=record.version, subject=alert.customer_id,
                                 status=alert.status)
        self.store.append_audit(who, "alert.acknowledge", alert.customer_id,
                                {"alert_id": alert_id, "rule": alert.rule})
        return alert

    # -- cases -----------------------------------------------------------------------------
    def cases(self, *, status: str | Collection[str] | None = None, owner: str | None = None,
              customer: str | None = None) -> list[Case]:
        return self.desk.list(status=status, owner=owner, subject=customer)

    def case(self, case_id: str) -> Case:
        return self.desk.get(case_id)

    def open_case(self, subjects: list[str], *, title: str, alert_ids: Collection[str] = (),
                  actor: str | None = None) -> Case:
        """Open a case by hand on ``subjects`` (customers), with these alerts on it.

        Raises:
            NotFoundError: a subject is not a customer, or an alert id is unknown.
            CaseRuleError: a subject is already on an open case.
        """
        for subject in subjects:
            node = self.store.get_node(NodeRef.parse(subject))
            if node.ref.label.value != "Customer":
                raise NotFoundError(f"{subject} is not a customer; a case is about customers")
        alerts = [self.alert(alert_id) for alert_id in dict.fromkeys(alert_ids)]
        return self.desk.open_case(subjects, title=title, actor=actor or self.actor,
                                   alerts=alerts)

    def assign_case(self, case_id: str, owner: str, *, actor: str | None = None,
                    expected_version: int | None = None) -> Case:
        return self.desk.assign(case_id, owner, actor=actor or self.actor,
                                expected_version=expected_version)

    def move_case(self, case_id: str, status: str, *, actor: str | None = None,
                  expected_version: int | None = None) -> Case:
        return self.desk.move(case_id, status, actor=actor or self.actor,
                              expected_version=expected_version)

    def note_case(self, case_id: str, text: str, *, actor: str | None = None,
                  expected_version: int | None = None) -> Case:
        return self.desk.note(case_id, text, actor=actor or self.actor,
                              expected_version=expected_version)

    def contact_case(self, case_id: str, *, channel: str, summary: str,
                     on: str | None = None, template: str | None = None,
                     actor: str | None = None, expected_version: int | None = None) -> Case:
        return self.desk.contact(case_id, channel=channel, summary=summary, on=on,
                                 template=template, actor=actor or self.actor,
                                 expected_version=expected_version)

    def tick_step(self, case_id: str, step: int, *, actor: str | None = None,
                  expected_version: int | None = None) -> Case:
        return self.desk.tick(case_id, step, actor=actor or self.actor,
                              expected_version=expected_version)

    def close_case(self, case_id: str, outcome: str, *, risk_label: str | None = None,
                   note: str | None = None, actor: str | None = None,
                   expected_version: int | None = None) -> Case:
        return self.desk.close(case_id, outcome, risk_label=risk_label, note=note,
                               actor=actor or self.actor, expected_version=expected_version)

    def overdue(self) -> list[tuple[Case, list[PlaybookItem]]]:
        return self.desk.overdue()

    def freeze_evidence(self, customers: list[str]) -> CaseEvidence:
        """The subjects' scores, reasons and 2-hop networks as they are now.

        Each network keeps its customers' scores of the day too, so that it is drawn later
        as the investigator saw it, not coloured by today's scores.
        """
        subgraphs = {}
        for customer in customers[:20]:
            try:
                subgraphs[customer] = subgraph_json(self.store.neighbourhood(
                    NodeRef.parse(customer), hops=2, limit=150))
            except NotFoundError:
                continue
        members = {frozen_id: [str(n["id"]).partition(":")[2] for n in frozen["nodes"]
                               if str(n["id"]).startswith("Customer:")]
                   for frozen_id, frozen in subgraphs.items()}
        everyone = sorted(set(customers).union(*members.values()))
        latest = self.store.latest_scores(everyone).set_index("customer_id", drop=False)
        scores = {
            str(row["customer_id"]): {
                "score": float(row["score"]), "tier": str(row["tier"]),
                "reasons": list(row["reasons"]), "run_id": str(row["run_id"]),
                "scored_at": str(row["created_at"])}
            for _, row in latest.loc[latest.index.isin(customers)].iterrows()}
        for frozen_id, frozen in subgraphs.items():
            around = latest.loc[latest.index.isin(members[frozen_id])]
            frozen["scores"] = {
                str(c): {"score": float(v), "tier": str(t)} for c, v, t in
                around[["customer_id", "score", "tier"]].itertuples(index=False, name=None)}
        return CaseEvidence(frozen_at=now_text(), scores=scores, subgraphs=subgraphs)

    # -- learning from outcomes ------------------------------------------------------------
    def judged_customers(self, cases: Collection[Case] | None = None) -> pd.DataFrame:
        """Customers a closed case judged, each at the score she had when the case opened.

        Why that score: after the decision a confirmed customer carries a label the score
        counts, so today's score would flatter the bound that let her in. A case closed
        ``keep_monitoring`` judged nobody; a customer judged by several cases counts once,
        by the latest.

        Args:
            cases: judge from these cases (those not closed are skipped) instead of reading
                every closed case: a caller that holds them already (the portfolio review)
                reads them once.

        Returns:
            ``customer_id, score, confirmed, source`` (source: ``case <id>``).
        """
        rows: dict[str, tuple[str, float, bool, str]] = {}
        chosen = self.desk.list(status="closed") if cases is None else [
            c for c in cases if c.status == "closed"]
        for case in sorted(chosen, key=lambda c: c.closed_at or ""):
            if case.outcome not in ("confirmed_risk", "false_positive"):
                continue
            for subject in case.subjects:
                frozen = case.evidence.scores.get(subject)
                if frozen is None or frozen.get("score") is None:
                    continue
                rows[subject] = (subject, float(frozen["score"]),
                                 case.outcome == "confirmed_risk", f"case {case.case_id}")
        return pd.DataFrame(list(rows.values()), columns=list(JUDGED_COLUMNS))

    def labels(self) -> pd.DataFrame:
        """Labels learned from closed cases: ``customer_id, label, source, at, by``
        (``label`` is a risk label, or ``negative`` for a false positive)."""
        rows = [r.body for r in self.store.records(LABEL_KIND)]
        return pd.DataFrame(rows, columns=["customer_id", "label", "source", "at", "by"])

    def precision(self) -> pd.DataFrame:
        """Precision of each rule and tier against closed cases' outcomes.

        An alert counts as a true positive when its case closed ``confirmed_risk``, a false
        positive when it closed ``false_positive``; alerts of open cases or ``keep_monitoring``
        outcomes are not counted.
        """
        from graphrisk.monitoring.backtest import precision_table

        closed = {c.case_id: c.outcome for c in self.desk.list(status="closed")}
        alerts = [Alert.model_validate(r.body) for r in self.store.records(ALERT_KIND)]
        return precision_table([(a.rule, a.tier, closed.get(a.case_id or ""))
                                for a in alerts if a.mode == "live"])

    # -- back-testing ----------------------------------------------------------------------
    def backtest(self, policy_file: Path, *, window_days: int = 7,
                 progress: ProgressCallback | None = None) -> Backtest:
        """Replay ``policy_file`` and the live policy over the stored history, side by side.

        Raises:
            ConfigError: the candidate policy file is missing or invalid.
        """
        from graphrisk.monitoring.backtest import backtest_policies
        from graphrisk.service import ProgressEvent

        candidate = load_policy(Path(policy_file))
        report = progress or (lambda _: None)
        report(ProgressEvent("backtest", "reading the history"))
        snapshot = self.store.snapshot()
        latest = self.store.latest_scores()
        tiers = dict(zip(latest["customer_id"], latest["tier"], strict=True))
        clusters = dict(zip(latest["customer_id"], latest["cluster"].fillna(0.0), strict=True))
        raised = [(a.rule, a.tier) for a in
                  (Alert.model_validate(r.body) for r in self.store.records(ALERT_KIND))
                  if a.mode == "live"]
        outcomes: dict[str, str] = {}
        for case in self.desk.list(status="closed"):
            for subject in case.subjects:
                if case.outcome == "confirmed_risk" or subject not in outcomes:
                    outcomes[subject] = str(case.outcome)

        def windows(done: int, total: int) -> None:
            report(ProgressEvent("backtest", "replaying the live policy", done, total))

        result = backtest_policies(snapshot, self.policy, candidate, tiers, clusters, raised,
                                   outcomes, window_days=window_days, progress=windows)
        self.store.append_audit(self.actor, "policy.backtest", f"policy:{policy_file}",
                                {"windows": result.windows,
                                 "live": int(result.table["live_replayed"].sum()),
                                 "new": int(result.table["new_replayed"].sum())})
        return result

    # -- re-assessment ---------------------------------------------------------------------
    def reassess(self, period: str | None = None, *, everyone: bool = False,
                 actor: str | None = None,
                 progress: ProgressCallback | None = None) -> Reassessment:
        """Re-score everyone whose review is due in ``period`` (default: this month).

        Idempotent per period: the scores go to the run ``reassess-<period>`` (re-running
        after a crash rewrites the same run), and a finished period is recorded, so running
        it again changes nothing. Writes ``migration.csv`` and ``summary.json`` under
        ``$GRAPHRISK_HOME/reports/reassessment-<period>/``.
        """

        period = period or current_period()
        try:
            _, period_end = period_bounds(period)
        except ValueError as exc:
            raise ConfigError(str(exc)) from exc
        run_id = f"reassess-{period}" + ("-all" if everyone else "")
        out = self.settings.reports_dir / f"reassessment-{period}"
        record = self.store.get_record(REASSESSMENT_KIND, run_id)
        if record is not None and record.status == "done":
            table = pd.read_csv(out / "migration.csv") if (out / "migration.csv").exists() \
                else pd.DataFrame()
            return Reassessment(period, run_id, list(record.body.get("due", [])), table, out,
                                already_done=True, counts=dict(record.body.get("counts", {})))
        who = actor or self.actor
        self._service.note_policy()
        out.mkdir(parents=True, exist_ok=True, mode=0o700)
        previous_file = out / "previous.parquet"
        if previous_file.exists():  # a crashed run: keep the "before" it saw
            previous = pd.read_parquet(previous_file)
            previous["reasons"] = previous["reasons"].map(list)
        else:
            latest = self.store.latest_scores()
            previous = latest.loc[latest["run_id"] != run_id,
                                  ["customer_id", "score", "tier", "reasons", "created_at"]]
            previous.astype({"created_at": str}).to_parquet(previous_file, index=False)
            os.chmod(previous_file, 0o600)
        result = self._service.score(write=False, progress=progress)
        everybody = result.scores["customer_id"].astype(str).tolist()
        due = everybody if everyone else due_customers(everybody, previous, self.policy,
                                                       period_end)
        self.store.create_record(REASSESSMENT_KIND, run_id, {"period": period, "due": len(due)},
                                 status="started")
        chosen = result.scores[result.scores["customer_id"].isin(due)]
        self.store.write_scores(run_id, REASSESSMENT_RUN_KIND,
                                {"period": period, "everyone": everyone}, chosen)
        if result.individual_model is not None:
            self._service.keep_individual_model(result.individual_model)
        moved = migration(previous[previous["customer_id"].isin(due)], chosen)
        moved.to_csv(out / "migration.csv", index=False)
        counts = {str(k): int(v) for k, v in moved["direction"].value_counts().items()}
        summary = {"period": period, "run_id": run_id, "due": due, "counts": counts,
                   "finished_at": now_text(), "by": who}
        (out / "summary.json").write_text(json.dumps(
            {k: v for k, v in summary.items() if k != "due"} | {"customers": len(due)},
            indent=2), encoding="utf-8")
        os.chmod(out / "summary.json", 0o600)
        stored = self.store.get_record(REASSESSMENT_KIND, run_id)
        assert stored is not None
        self.store.update_record(REASSESSMENT_KIND, run_id, summary,
                                 expected_version=stored.version, status="done")
        self.store.append_audit(who, "reassess.run", f"period:{period}",
                                {"run_id": run_id, "customers": len(due), "counts": counts})
        previous_file.unlink(missing_ok=True)
        return Reassessment(period, run_id, due, moved, out, counts=counts)

    # -- audit -----------------------------------------------------------------------------
    def audit(self, *, subject: str | None = None, actor: str | None = None,
              action: str | None = None, since_seq: int | None = None,
              limit: int | None = None) -> list[AuditEntry]:
        """The audit trail, oldest first (read only: nothing in GraphRisk edits it)."""
        return self.store.audit_entries(subject=subject, actor=actor, action=action,
                                        since_seq=since_seq, limit=limit)


def _ids(accepted: dict[str, pd.DataFrame], entity: str, column: str) -> list[str]:
    frame = accepted.get(entity)
    if frame is None or frame.empty or column not in frame:
        return []
    return frame[column].dropna().astype(str).tolist()


def _changes(accepted: dict[str, pd.DataFrame]) -> Any:
    from graphrisk.rescoring import ChangeSet

    return ChangeSet.from_frames(accepted)


def _latest_time(accepted: dict[str, pd.DataFrame]) -> str | None:
    """The batch's latest event time (payments, disputes, links, account changes)."""
    stamps = []
    for entity, column in (("transactions", "timestamp"), ("disputes", "opened_date"),
                           ("identifiers", "first_seen"), ("account_changes", "timestamp")):
        frame = accepted.get(entity)
        if frame is not None and not frame.empty and column in frame:
            parsed = pd.to_datetime(frame[column].astype(str), utc=True, errors="coerce",
                                    format="mixed")
            if parsed.notna().any():
                stamps.append(parsed.max())
    if not stamps:
        return None
    return max(stamps).to_pydatetime().astimezone(UTC).replace(microsecond=0).isoformat()

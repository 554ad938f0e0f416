"""Cases: alerts open or join them, people work them, closing one teaches the next run.

Why one class over the store's versioned records: every change to a case is read, checked
against the workflow, written back with the version it was read at (a concurrent change is a
:class:`~graphrisk.errors.RecordConflictError` naming the case and both versions, never a
silent overwrite), and recorded in the audit trail — in that order, in one place, whichever
face (CLI, API, notebook) asked for it.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from datetime import UTC, datetime, timedelta
from typing import Any

from graphrisk.domain import RISK_LABELS
from graphrisk.errors import GraphRiskError, NotFoundError
from graphrisk.monitoring.records import (
    CASE_INDEX_KIND,
    CASE_KIND,
    LABEL_KIND,
    MOVES,
    OUTCOMES,
    Alert,
    Case,
    CaseEvidence,
    CaseNote,
    ContactEntry,
    HistoryEntry,
    PlaybookItem,
    case_id_for,
    priority_of,
)
from graphrisk.policy import SEVERITIES, TIERS, RiskPolicy
from graphrisk.store.base import GraphStore, StoredRecord

__all__ = ["CaseDesk", "CaseRuleError", "Clock", "now_text"]

Clock = Callable[[], datetime]


def _utc_clock() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def now_text(clock: Clock = _utc_clock) -> str:
    """The clock's time as stored (ISO 8601 UTC, to the second)."""
    return clock().astimezone(UTC).replace(microsecond=0).isoformat()


class CaseRuleError(GraphRiskError, ValueError):
    """A change the case workflow does not allow (the message says what is allowed)."""


def _parse(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class CaseDesk:
    """Opens, joins, changes and closes cases in a store, with their audit trail.

    Args:
        store: where cases, labels and the audit trail live.
        policy: rules (severity, owner role, playbook) and tiers (case service levels).
        freeze: the evidence of a new case: the subjects' scores, reasons and subgraphs as
            they are now.
        clock: the time source (tests move it to see steps fall overdue).
    """

    def __init__(self, store: GraphStore, policy: RiskPolicy, *,
                 freeze: Callable[[list[str]], CaseEvidence],
                 clock: Clock = _utc_clock) -> None:
        self.store, self.policy, self._freeze, self._clock = store, policy, freeze, clock

    # -- reading ---------------------------------------------------------------------------
    def get(self, case_id: str) -> Case:
        """One case at its stored version; NotFoundError names the id."""
        record = self.store.get_record(CASE_KIND, case_id)
        if record is None:
            raise NotFoundError(f"no case {case_id}; `graphrisk cases list` shows the cases")
        return _case(record)

    def list(self, *, status: str | Collection[str] | None = None,
             owner: str | None = None, subject: str | None = None) -> list[Case]:
        """Cases, oldest first, filtered by status, owner or subject customer."""
        cases = [_case(r) for r in self.store.records(CASE_KIND, status=status)]
        if owner is not None:
            cases = [c for c in cases if c.owner == owner]
        if subject is not None:
            cases = [c for c in cases if subject in c.subjects]
        return cases

    def open_case_of(self, customers: Collection[str]) -> Case | None:
        """The open case (any status but closed) one of ``customers`` is a subject of.

        Why an index: every alert asks this, and reading every open case (with its frozen
        evidence) per alert grows with the queue; a ``case_of`` record per customer names
        their open case, so the answer costs one read per customer.
        """
        for customer in sorted(set(customers)):
            pointer = self.store.get_record(CASE_INDEX_KIND, customer)
            if pointer is None or pointer.status != "open":
                continue
            record = self.store.get_record(CASE_KIND, str(pointer.body["case_id"]))
            if record is not None and record.status != "closed":
                return _case(record)
        return None

    def _index(self, case: Case, customers: Collection[str]) -> None:
        """Point each customer's ``case_of`` record at ``case`` (open, or closed)."""
        status = "closed" if case.status == "closed" else "open"
        for customer in sorted(set(customers)):
            body = {"case_id": case.case_id}
            record, created = self.store.create_record(CASE_INDEX_KIND, customer, body,
                                                       subject=customer, status=status)
            if not created and (record.body != body or record.status != status):
                if status == "closed" and record.body != body:
                    continue  # the customer's pointer moved on to a newer case
                self.store.update_record(CASE_INDEX_KIND, customer, body,
                                         expected_version=record.version, subject=customer,
                                         status=status)

    def overdue(self) -> list[tuple[Case, list[PlaybookItem]]]:
        """Open cases past their due date or with a playbook step past its due time."""
        now = self._clock()
        late = []
        for case in self.list(status=[s for s in MOVES if s != "closed"]):
            steps = [i for i in case.playbook if i.done_at is None and _parse(i.due_at) < now]
            if steps or _parse(case.due_at) < now:
                late.append((case, steps))
        return late

    # -- alerts into cases -----------------------------------------------------------------
    def file_alert(self, alert: Alert, subjects: list[str], actor: str) -> tuple[Case, bool]:
        """Attach ``alert`` to the open case of any of ``subjects``, or open one.

        Idempotent: an alert already on its case changes nothing, and the case an alert
        opens has an id derived from the alert, so a batch replayed after a crash finds the
        case it opened before instead of opening a second.

        Returns:
            The case, and whether it was opened now.
        """
        existing = self.open_case_of(subjects)
        if existing is not None:
            if alert.alert_id in existing.alert_ids:
                return existing, False
            return self._join(existing, alert, subjects, actor), False
        now = now_text(self._clock)
        tier = alert.tier
        case = Case(
            case_id=case_id_for(alert.alert_id), title=alert.sentence[:120],
            subjects=sorted(set(subjects)), priority=priority_of(alert.severity),
            severity=alert.severity, owner_role=alert.owner_role, tier=tier,
            opened_at=now, opened_by=actor, due_at=self._due(now, tier),
            alert_ids=[alert.alert_id], rules=[alert.rule],
            playbook=self._steps(alert.rule, now, first=1),
            evidence=self._freeze(sorted(set(subjects))),
            history=[HistoryEntry(at=now, by=actor, action="opened",
                                  detail=f"{alert.rule}: {alert.sentence}")])
        record, created = self.store.create_record(
            CASE_KIND, case.case_id, case.body(), subject=case.subjects[0], status=case.status)
        self._index(_case(record), case.subjects)
        if not created:  # opened before a crash; the alert is on it
            return _case(record), False
        self._audit(actor, "case.open", case.case_id,
                    {"alert_id": alert.alert_id, "subjects": case.subjects,
                     "priority": case.priority})
        return _case(record), True

    def open_case(self, subjects: Collection[str], *, title: str, actor: str,
                  alerts: Collection[Alert] = ()) -> Case:
        """Open a case by hand: a ring or a customer a person decided to investigate.

        Why by hand: alerts open most cases, but a fraud analyst who finds a ring in the
        cluster list opens one case for all its members at once, with their alerts on it.
        Each alert's rule brings its playbook; the case takes the most severe alert's
        severity (``medium`` without alerts) and the highest tier among the subjects' latest
        scores.

        Raises:
            CaseRuleError: no subject, or a subject is already on an open case (join that
                one instead).
        """
        people = sorted({s.strip() for s in subjects if s and s.strip()})
        if not people:
            raise CaseRuleError("a case needs at least one subject customer")
        existing = self.open_case_of(people)
        if existing is not None:
            shared = sorted(set(existing.subjects) & set(people))
            raise CaseRuleError(f"{', '.join(shared)} already on open case {existing.case_id}; "
                                "work that case (or close it) instead of opening a second")
        now = now_text(self._clock)
        evidence = self._freeze(people)
        tiers = [str(s.get("tier")) for s in evidence.scores.values() if s.get("tier") in TIERS]
        tier = max(tiers, key=TIERS.index) if tiers else TIERS[0]
        severities = [a.severity for a in alerts]
        severity = max(severities, key=SEVERITIES.index) if severities else "medium"
        rules = list(dict.fromkeys(a.rule for a in alerts))
        playbook: list[PlaybookItem] = []
        for rule in rules:
            playbook += self._steps(rule, now, first=len(playbook) + 1)
        owner_role = next((a.owner_role for a in alerts), "investigator")
        case = Case(
            case_id=case_id_for(f"manual|{now}|{actor}|{'|'.join(people)}"),
            title=title.strip()[:120] or f"case on {', '.join(people[:3])}",
            subjects=people, priority=priority_of(severity), severity=severity,
            owner=actor, owner_role=owner_role, tier=tier, opened_at=now, opened_by=actor,
            due_at=self._due(now, tier), alert_ids=sorted({a.alert_id for a in alerts}),
            rules=rules, playbook=playbook, evidence=evidence,
            history=[HistoryEntry(at=now, by=actor, action="opened",
                                  detail=f"opened by hand: {title.strip()[:200]}")])
        record, created = self.store.create_record(
            CASE_KIND, case.case_id, case.body(), subject=people[0], status=case.status)
        if not created:
            raise CaseRuleError(f"case {case.case_id} was opened a moment ago; reload the cases")
        opened = _case(record)
        self._index(opened, people)
        self._audit(actor, "case.open", case.case_id,
                    {"subjects": people, "alert_ids": opened.alert_ids, "by_hand": True})
        return opened

    def _join(self, case: Case, alert: Alert, subjects: list[str], actor: str) -> Case:
        now = now_text(self._clock)
        case.alert_ids.append(alert.alert_id)
        case.subjects = sorted(set(case.subjects) | set(subjects))
        if alert.rule not in case.rules:
            case.rules.append(alert.rule)
            case.playbook += self._steps(alert.rule, now, first=len(case.playbook) + 1)
        if SEVERITIES.index(alert.severity) > SEVERITIES.index(case.severity):
            case.severity, case.priority = alert.severity, priority_of(alert.severity)
        if TIERS.index(alert.tier) > TIERS.index(case.tier):
            # a higher tier's service level is shorter: the case falls due sooner
            case.tier = alert.tier
            case.due_at = min(case.due_at, self._due(case.opened_at, alert.tier), key=_parse)
        case.history.append(HistoryEntry(at=now, by=actor, action="alert joined",
                                         detail=f"{alert.rule}: {alert.sentence}"))
        self._index(case, subjects)  # before the save: a crash between leaves no orphan
        saved = self._save(case)
        self._audit(actor, "case.join", case.case_id, {"alert_id": alert.alert_id})
        return saved

    # -- people's changes ------------------------------------------------------------------
    def assign(self, case_id: str, owner: str, *, actor: str,
               expected_version: int | None = None) -> Case:
        """Give the case to ``owner``."""
        case = self._for_change(case_id, expected_version)
        previous = case.owner
        case.owner = owner
        case.history.append(HistoryEntry(at=now_text(self._clock), by=actor, action="assigned",
                                         detail=f"{previous or 'nobody'} -> {owner}"))
        saved = self._save(case)
        self._audit(actor, "case.assign", case_id, {"from": previous, "to": owner})
        return saved

    def move(self, case_id: str, status: str, *, actor: str,
             expected_version: int | None = None) -> Case:
        """Move the case along the workflow (closing needs :meth:`close`)."""
        case = self._for_change(case_id, expected_version)
        if status == "closed":
            raise CaseRuleError(f"close case {case_id} with an outcome (graphrisk cases close "
                                f"{case_id} --outcome {'|'.join(OUTCOMES)})")
        self._check_move(case, status)
        previous = case.status
        case.status = status  # type: ignore[assignment]
        case.history.append(HistoryEntry(at=now_text(self._clock), by=actor, action="moved",
                                         detail=f"{previous} -> {status}"))
        saved = self._save(case)
        self._audit(actor, "case.move", case_id, {"from": previous, "to": status})
        return saved

    def note(self, case_id: str, text: str, *, actor: str,
             expected_version: int | None = None) -> Case:
        """Add a note."""
        case = self._for_change(case_id, expected_version)
        self._check_open(case)
        case.notes.append(CaseNote(at=now_text(self._clock), by=actor, text=text))
        saved = self._save(case)
        self._audit(actor, "case.note", case_id, {"text": text})
        return saved

    def contact(self, case_id: str, *, channel: str, summary: str, actor: str,
                on: str | None = None, template: str | None = None,
                expected_version: int | None = None) -> Case:
        """Record a contact with the customer (notice, document request, guidance)."""
        case = self._for_change(case_id, expected_version)
        self._check_open(case)
        now = now_text(self._clock)
        entry = ContactEntry(recorded_at=now, date=on or now[:10], by=actor,
                             channel=channel, template=template,  # type: ignore[arg-type]
                             summary=summary)
        case.contacts.append(entry)
        saved = self._save(case)
        self._audit(actor, "case.contact", case_id, entry.model_dump(mode="json"))
        return saved

    def tick(self, case_id: str, step: int, *, actor: str,
             expected_version: int | None = None) -> Case:
        """Mark playbook step number ``step`` done, by ``actor``, now."""
        case = self._for_change(case_id, expected_version)
        self._check_open(case)
        items = [i for i in case.playbook if i.number == step]
        if not items:
            raise CaseRuleError(f"case {case_id} has no playbook step {step}; its steps are "
                                f"1-{len(case.playbook)}")
        item = items[0]
        if item.done_at is not None:
            raise CaseRuleError(f"step {step} of case {case_id} was done by {item.done_by} at "
                                f"{item.done_at}")
        item.done_by, item.done_at = actor, now_text(self._clock)
        saved = self._save(case)
        self._audit(actor, "case.step", case_id, {"step": step, "text": item.step})
        return saved

    def close(self, case_id: str, outcome: str, *, actor: str, risk_label: str | None = None,
              note: str | None = None, expected_version: int | None = None) -> Case:
        """Close with an outcome; the outcome becomes a label for the next scoring run.

        ``confirmed_risk`` needs a ``risk_label`` and sets it as every subject's known risk
        label (source: the case); ``false_positive`` records a negative label the individual
        model and the GNN learn from; ``keep_monitoring`` changes no label.
        """
        if outcome not in OUTCOMES:
            raise CaseRuleError(f"outcome must be one of {', '.join(OUTCOMES)}, got {outcome!r}")
        if outcome == "confirmed_risk" and risk_label not in RISK_LABELS:
            raise CaseRuleError(f"a confirmed case needs --label, one of {', '.join(RISK_LABELS)}")
        if outcome != "confirmed_risk" and risk_label is not None:
            raise CaseRuleError("only a confirmed_risk case takes a risk label")
        case = self._for_change(case_id, expected_version)
        self._check_move(case, "closed")
        now = now_text(self._clock)
        previous = case.status
        case.status, case.outcome, case.risk_label = "closed", outcome, risk_label  # type: ignore[assignment]
        case.closed_at, case.closed_by = now, actor
        if note:
            case.notes.append(CaseNote(at=now, by=actor, text=note))
        case.history.append(HistoryEntry(at=now, by=actor, action="closed",
                                         detail=f"{previous} -> closed: {outcome}"
                                         + (f" ({risk_label})" if risk_label else "")))
        saved = self._save(case)
        self._index(saved, saved.subjects)
        self._audit(actor, "case.close", case_id, {"outcome": outcome, "label": risk_label})
        self._learn(saved, actor)
        return saved

    # -- plumbing --------------------------------------------------------------------------
    def _learn(self, case: Case, actor: str) -> None:
        """Turn a closed case's outcome into labels (idempotent per customer and case)."""
        if case.outcome == "keep_monitoring":
            return
        label = case.risk_label if case.outcome == "confirmed_risk" else "negative"
        source = f"case {case.case_id}"
        for customer in case.subjects:
            body = {"customer_id": customer, "label": label, "source": source,
                    "at": case.closed_at, "by": actor}
            record, created = self.store.create_record(LABEL_KIND, customer, body,
                                                       subject=customer, status=label)
            if not created:
                self.store.update_record(LABEL_KIND, customer, body,
                                         expected_version=record.version, subject=customer,
                                         status=label)
            if case.outcome == "confirmed_risk":
                self.store.set_known_label(customer, label, source)
            self._audit(actor, "label.set", customer, {"label": label, "source": source})

    def _for_change(self, case_id: str, expected_version: int | None) -> Case:
        case = self.get(case_id)
        if expected_version is not None:
            case.version = expected_version
        return case

    def _save(self, case: Case) -> Case:
        record = self.store.update_record(CASE_KIND, case.case_id, case.body(),
                                          expected_version=case.version,
                                          subject=case.subjects[0], status=case.status)
        return _case(record)

    def _check_move(self, case: Case, status: str) -> None:
        allowed = MOVES.get(case.status, ())
        if status not in allowed:
            raise CaseRuleError(
                f"case {case.case_id} is {case.status}; it can move to "
                f"{', '.join(allowed) or 'nothing (it is closed)'}, not {status}")

    def _check_open(self, case: Case) -> None:
        if case.status == "closed":
            raise CaseRuleError(f"case {case.case_id} is closed ({case.outcome}); a new alert "
                                "opens a new case")

    def _due(self, opened_at: str, tier: str) -> str:
        days = self.policy.tiers[tier].case_due_days  # type: ignore[index]
        return (_parse(opened_at) + timedelta(days=days)).isoformat()

    def _steps(self, rule: str, now: str, *, first: int) -> list[PlaybookItem]:
        plan = self.policy.alert_rules.get(rule)
        if plan is None:
            return []
        return [PlaybookItem(number=first + n, rule=rule, step=s.step, role=s.role,
                             due_at=(_parse(now) + timedelta(hours=s.within_hours)).isoformat())
                for n, s in enumerate(plan.playbook)]

    def _audit(self, actor: str, action: str, subject: str, details: dict[str, Any]) -> None:
        self.store.append_audit(actor, action, subject, details)


def _case(record: StoredRecord) -> Case:
    return Case.model_validate({**record.body, "version": record.version})

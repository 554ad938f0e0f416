"""The analyst's API: a case or the whole portfolio as pandas frames and a NetworkX graph.

Why a module of its own: notebooks (``notebooks/``) and the HTML reports (``graphrisk report``)
tell the same story about a case — who was linked, when the signals appeared, what the team
did, how it ended — so the reading and the arithmetic live here, with tests, and the faces
only draw. Thin helpers over :class:`~graphrisk.service.RiskService`: nothing here writes to
the store.

Times: alerts carry two clocks. ``at`` is the event time of the newest evidence (when the
money moved), ``raised_at`` the monitoring clock (when GraphRisk said so). Cases open and
close on the monitoring clock. "When could we have known?" compares the first signal in the
data (event time) with the first alert (clock time): on live data the two clocks agree; on a
replayed or generated history the gap also holds the replay delay, and the facts say which
clock each figure uses.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import networkx as nx
import pandas as pd

from graphrisk.config import Settings
from graphrisk.errors import GraphRiskError, NotFoundError
from graphrisk.monitoring.backtest import precision_table
from graphrisk.monitoring.records import ALERT_KIND, Alert, Case
from graphrisk.monitoring.service import REASSESSMENT_KIND
from graphrisk.service import CLUSTERS_KIND, RiskService
from graphrisk.tier_bounds import TierBoundsReport

__all__ = [
    "CaseFile",
    "Portfolio",
    "case_alerts",
    "load_case",
    "load_portfolio",
    "open_service",
    "pick_case",
    "tier_floors",
]

#: The case events a timeline marks, in the order they happen.
MILESTONES: tuple[str, ...] = ("first_signal", "first_alert_evidence", "first_alert",
                               "case_opened", "decision")


def open_service(settings: Settings | None = None) -> RiskService:
    """Open the configured store (``GRAPHRISK_*`` settings) for reading cases.

    Close it when done (``with open_service() as service: ...``).
    """
    return RiskService.open(settings)


def tier_floors(service: RiskService) -> dict[str, float]:
    """Each tier's lowest score under the service's policy (for shading score charts)."""
    return {tier: float(policy.min_score) for tier, policy in service.policy.tiers.items()}


def pick_case(service: RiskService, case_id: str | None = None) -> str:
    """``case_id`` when given (checked), else the case a retrospective is best shown on.

    Why a default: a notebook runs top to bottom on the demo data without edits. The choice
    is a case closed as confirmed risk, else a closed case, else any case; among those, the
    one with the most alerts and subjects (the most to tell), then the most recently closed.

    Raises:
        NotFoundError: ``case_id`` is unknown, or there are no cases at all (the message
            says how cases arise).
    """
    monitoring = service.monitoring
    if case_id:
        return monitoring.case(case_id).case_id
    cases = monitoring.cases()
    if not cases:
        raise NotFoundError("there are no cases in this store yet; cases open when monitoring "
                            "raises alerts (`graphrisk stream`, or `graphrisk demo`)")
    def telling(case: Case) -> tuple[int, str, str]:
        # the case with most to tell (alerts and subjects), then the most recently closed
        return (len(case.alert_ids) + len(case.subjects), case.closed_at or case.opened_at,
                case.case_id)

    closed = [c for c in cases if c.status == "closed"]
    confirmed = [c for c in closed if c.outcome == "confirmed_risk"]
    return max(confirmed or closed or cases, key=telling).case_id


# -- one case ----------------------------------------------------------------------------


@dataclass(frozen=True)
class CaseFile:
    """Everything a retrospective of one case needs, read once.

    Attributes:
        case: the case record (subjects, owner, notes, contacts, playbook, outcome...).
        network: the subjects' network as frozen when the case opened (a
            ``networkx.MultiDiGraph``; node attributes ``label``, ``score``, ``tier``,
            ``subject``, ``ring`` and the stored properties), coloured by the scores of that
            day, not today's.
        members: the customers in that network: ``customer_id, name, subject, ring,
            score_at_open, tier_at_open, score_now, tier_now``.
        ring: the high-risk cluster (ring) the subjects belong to in the latest ranking, if
            any: ``cluster_id`` and ``members``.
        alerts: the case's alerts: ``alert_id, rule, customer_id, severity, tier, at,
            raised_at, sentence, status``.
        transactions: every stored transaction of the subjects' accounts: ``transaction_id,
            timestamp, customer_id, account_id, direction (in/out), other_side, amount,
            currency, channel, transaction_type, flagged_by`` (the rules whose alert evidence
            names it), oldest first.
        scores: the subjects' score history: ``customer_id, run_id, created_at, kind, score,
            tier, reasons``, oldest first.
        reasons: why they were flagged: ``customer_id, source, reason`` (``score`` for the
            reasons frozen with the case, ``alert`` for each rule's sentence).
        playbook, contacts, notes, history: the case's own lists as frames.
        model_explanations: the graph model's explanation per subject, when a model is
            trained. It is today's model (trained ``model_trained_at``), not the model as it
            was when the case opened: trained after the decision, it may have learned from
            this very case's label.
        milestones: ``milestone, at, clock, detail``: the first signal, the first alert's
            evidence, the alert raised, the case opened, the decision (missing ones left
            out); ``clock`` is ``event`` or ``monitoring`` (see the module's note on times).
    """

    case: Case
    network: nx.MultiDiGraph
    members: pd.DataFrame
    ring: dict[str, Any] | None
    alerts: pd.DataFrame
    transactions: pd.DataFrame
    scores: pd.DataFrame
    reasons: pd.DataFrame
    playbook: pd.DataFrame
    contacts: pd.DataFrame
    notes: pd.DataFrame
    history: pd.DataFrame
    milestones: pd.DataFrame
    model_explanations: dict[str, Any] = field(default_factory=dict)
    model_trained_at: str | None = None

    @property
    def case_id(self) -> str:
        return self.case.case_id

    def summary(self) -> dict[str, Any]:
        """The case in one dictionary: the facts a retrospective opens with."""
        case = self.case
        return {
            "case_id": case.case_id, "title": case.title, "status": case.status,
            "outcome": case.outcome, "risk_label": case.risk_label,
            "priority": case.priority, "severity": case.severity, "tier": case.tier,
            "owner": case.owner, "owner_role": case.owner_role,
            "subjects": list(case.subjects), "rules": list(case.rules),
            "alerts": len(self.alerts), "network_customers": len(self.members),
            "ring": None if self.ring is None else self.ring["cluster_id"],
            "ring_size": 0 if self.ring is None else len(self.ring["members"]),
            "transactions": len(self.transactions),
            "opened_at": case.opened_at, "due_at": case.due_at, "closed_at": case.closed_at,
            "closed_by": case.closed_by,
        }

    def facts(self) -> dict[str, Any]:
        """The summary with labels a person reads (the report's and the notebook's table)."""
        summary = self.summary()
        return {
            "Case": summary["case_id"], "Title": summary["title"], "Status": summary["status"],
            "Outcome": summary["outcome"] or "not decided yet",
            "Risk label": summary["risk_label"], "Priority": summary["priority"],
            "Severity": summary["severity"], "Tier when opened": summary["tier"],
            "Owner": summary["owner"] or f"unassigned ({summary['owner_role']})",
            "Subjects": ", ".join(summary["subjects"]), "Rules": ", ".join(summary["rules"]),
            "Alerts": summary["alerts"],
            "Customers in the network": summary["network_customers"],
            "Ring": (f"{summary['ring']} ({summary['ring_size']} members)" if summary["ring"]
                     else "none of the subjects is in a high-risk cluster"),
            "Opened": summary["opened_at"], "Due": summary["due_at"],
            "Closed": summary["closed_at"] or "open",
        }

    def lessons_lines(self) -> list[str]:
        """The measurable facts of :meth:`lessons` as sentences a lessons section starts
        from."""
        facts = self.lessons()
        lines = [
            f"From the first signal to the moment the first rule could fire: "
            f"{_duration(facts['signal_to_alert_days'])} (event time: how long the pattern "
            "ran).",
            f"From then until monitoring raised the alert: "
            f"{_duration(facts['alert_delay_days'])} (on a replayed or generated history this "
            "is mostly the replay delay).",
            f"From the alert to the case: {_duration(facts['alert_to_case_days'])}.",
            f"From opening the case to the decision: "
            f"{_duration(facts['case_to_decision_days'])}.",
            f"Playbook: {facts['playbook_steps_done']} of {facts['playbook_steps']} steps "
            f"done, {facts['playbook_steps_done_late']} of them late; "
            f"{facts['playbook_steps_open']} still open.",
            f"Contacts with the customer: {facts['contacts']}.",
        ]
        if facts["met_due_date"] is not None:
            lines.append("Decided by its due date." if facts["met_due_date"]
                         else "Decided after its due date.")
        return lines

    def reasons_summary(self) -> pd.DataFrame:
        """Each distinct reason once: ``reason, sources, customers`` (a ring's members
        share their typology's reason; listing it per member repeats it)."""
        if self.reasons.empty:
            return pd.DataFrame(columns=["reason", "sources", "customers"])
        grouped = self.reasons.groupby("reason", sort=False).agg(
            sources=("source", lambda s: ", ".join(dict.fromkeys(s))),
            customers=("customer_id", lambda c: ", ".join(sorted(set(c)))))
        return grouped.reset_index()

    def lessons(self) -> dict[str, Any]:
        """The measurable facts a lessons-learned section starts from.

        ``signal_to_alert_days``: from the first signal to the moment the first alert's
        evidence was complete (event time: how long the pattern ran before a rule could
        fire); ``alert_delay_days``: from then until monitoring raised it (on a replayed or
        generated history this is mostly the replay delay); ``alert_to_case_days`` and
        ``case_to_decision_days`` on the monitoring clock (``None`` where an end is
        missing); the playbook steps done, late and open; contacts made; whether the case
        was decided by its due date.
        """
        at = {row.milestone: _utc(row.at) for row in self.milestones.itertuples()}

        def days(start: str, end: str) -> float | None:
            if start not in at or end not in at:
                return None
            return round((at[end] - at[start]).total_seconds() / 86400, 2)

        steps = self.playbook
        done = steps[steps["done_at"].notna()] if not steps.empty else steps
        late = done[pd.to_datetime(done["done_at"], utc=True)
                    > pd.to_datetime(done["due_at"], utc=True)] if not done.empty else done
        decided = at.get("decision")
        return {
            "signal_to_alert_days": days("first_signal", "first_alert_evidence"),
            "alert_delay_days": days("first_alert_evidence", "first_alert"),
            "alert_to_case_days": days("first_alert", "case_opened"),
            "case_to_decision_days": days("case_opened", "decision"),
            "playbook_steps": int(len(steps)),
            "playbook_steps_done": int(len(done)),
            "playbook_steps_done_late": int(len(late)),
            "playbook_steps_open": int(len(steps) - len(done)),
            "contacts": int(len(self.contacts)),
            "met_due_date": None if decided is None else bool(decided <= _utc(self.case.due_at)),
        }


def load_case(service: RiskService, case_id: str, *, explain_model: bool = True) -> CaseFile:
    """Read one case with its network, timeline, scores, reasons and what the team did.

    Args:
        service: an open service.
        case_id: the case.
        explain_model: also ask the trained graph model why it scores the subjects (left out,
            with no error, when no model is trained or torch is not installed).

    Raises:
        NotFoundError: no such case.
    """
    monitoring = service.monitoring
    case = monitoring.case(case_id)
    read = case_alerts(service, case)
    alerts = _alerts_frame(read)
    ring = _ring_of(service, case.subjects)
    network, members = _frozen_network(service, case, ring)
    region = service.store.region_snapshot(case.subjects)
    transactions = _transactions_of(region, case.subjects)
    transactions["flagged_by"] = _flagged_by(transactions, _evidence_of(read))
    scores = _score_history(service, case.subjects)
    reasons = _reasons(case, alerts)
    explanations, trained_at = (_model_explanations(service, case.subjects) if explain_model
                                else ({}, None))
    return CaseFile(
        case=case, network=network, members=members, ring=ring, alerts=alerts,
        transactions=transactions, scores=scores, reasons=reasons,
        playbook=_frame([i.model_dump() for i in case.playbook],
                        ["number", "rule", "step", "role", "due_at", "done_by", "done_at"]),
        contacts=_frame([c.model_dump() for c in case.contacts],
                        ["date", "channel", "by", "template", "summary", "recorded_at"]),
        notes=_frame([n.model_dump() for n in case.notes], ["at", "by", "text"]),
        history=_frame([h.model_dump() for h in case.history], ["at", "by", "action", "detail"]),
        milestones=_milestones(case, alerts, transactions, scores),
        model_explanations=explanations, model_trained_at=trained_at,
    )


def _duration(days: float | None) -> str:
    """A span as a person says it: ``under a minute``, ``12 minutes``, ``5.5 hours``,
    ``3.0 days``; ``not yet`` when an end is missing."""
    if days is None:
        return "not yet"
    minutes = days * 24 * 60
    if minutes < 1:
        return "under a minute"
    if minutes < 90:
        return f"{minutes:.0f} minutes"
    if days < 2:
        return f"{days * 24:.1f} hours"
    return f"{days:.1f} days"


def _frame(rows: list[dict[str, Any]], columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=columns) if rows else pd.DataFrame(columns=columns)


def _utc(text: Any) -> datetime:
    moment = pd.Timestamp(text)
    moment = moment.tz_localize(UTC) if moment.tzinfo is None else moment.tz_convert(UTC)
    return moment.to_pydatetime()


@dataclass(frozen=True)
class _Evidence:
    rule: str
    transaction_ids: frozenset[str]
    account_ids: frozenset[str]
    first_at: datetime | None
    at: datetime


def _evidence_of(alerts: list[Alert]) -> list[_Evidence]:
    return [_Evidence(a.rule, frozenset(str(t) for t in a.evidence.get("transaction_ids", [])),
                      frozenset(str(t) for t in a.evidence.get("account_ids", [])),
                      _utc(a.evidence["first_at"]) if a.evidence.get("first_at") else None,
                      _utc(a.at))
            for a in alerts]


def _flagged_by(transactions: pd.DataFrame, evidence: list[_Evidence]) -> pd.Series:
    """The rules whose alert evidence points at each transaction (empty string: none).

    An alert points at a transaction by naming it, or — for a pattern across accounts (a
    cycle, a fan-in) — by naming its account and the pattern's span (``first_at`` to the
    alert's evidence time).
    """
    flagged: list[str] = []
    for row in transactions.itertuples(index=False):
        rules = [e.rule for e in evidence
                 if str(row.transaction_id) in e.transaction_ids
                 or (e.first_at is not None and str(row.account_id) in e.account_ids
                     and e.first_at <= row.timestamp.to_pydatetime() <= e.at)]
        flagged.append(", ".join(dict.fromkeys(rules)))
    return pd.Series(flagged, index=transactions.index, dtype=object)


def case_alerts(service: RiskService, case: Case) -> list[Alert]:
    """The alerts a case names, in its order (a case opened by hand may name none)."""
    found = []
    for alert_id in case.alert_ids:
        try:
            found.append(service.monitoring.alert(alert_id))
        except NotFoundError:
            continue  # a case opened by hand names no alert
    return found


_ALERT_COLUMNS = ["alert_id", "rule", "customer_id", "severity", "tier", "at", "first_at",
                  "raised_at", "sentence", "status", "case_id", "mode"]


def _alerts_frame(alerts: list[Alert]) -> pd.DataFrame:
    rows = [a.model_dump(include=set(_ALERT_COLUMNS))
            | {"first_at": a.evidence.get("first_at")} for a in alerts]
    frame = _frame(rows, _ALERT_COLUMNS)
    return frame.sort_values(["raised_at", "at", "alert_id"], ignore_index=True)


def _ring_of(service: RiskService, subjects: list[str]) -> dict[str, Any] | None:
    """The subjects' high-risk cluster in the latest stored ranking, with its members."""
    where = service.cluster_of(subjects)
    if not where:
        return None
    _, clusters = service.ranked_clusters()
    cluster_id = where[next(s for s in subjects if s in where)]
    row = clusters[clusters["cluster_id"].astype(str) == cluster_id]
    if row.empty:
        return None
    first = row.iloc[0]
    return {"cluster_id": cluster_id, "members": sorted(str(m) for m in first["members"]),
            **{k: _plain(first[k]) for k in row.columns if k not in ("cluster_id", "members")}}


def _plain(value: Any) -> Any:
    if hasattr(value, "item"):
        return value.item()
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _frozen_network(service: RiskService, case: Case, ring: dict[str, Any] | None
                    ) -> tuple[nx.MultiDiGraph, pd.DataFrame]:
    """The union of the subjects' frozen networks, with the scores frozen alongside."""
    graph = nx.MultiDiGraph()
    ring_members = set(ring["members"]) if ring else set()
    frozen_scores: dict[str, dict[str, Any]] = {}
    for frozen in case.evidence.subgraphs.values():
        frozen_scores.update(frozen.get("scores", {}))
        for node in frozen["nodes"]:
            graph.add_node(str(node["id"]), label=str(node["label"]), **node["properties"])
        for rel in frozen["relationships"]:
            graph.add_edge(rel["start"], rel["end"], key=f'{rel["type"]}', type=rel["type"],
                           **rel["properties"])
    for customer, frozen in case.evidence.scores.items():
        frozen_scores.setdefault(customer, {}).update(
            {"score": frozen.get("score"), "tier": frozen.get("tier")})
    customers = [n.partition(":")[2] for n, d in graph.nodes(data=True)
                 if d["label"] == "Customer"]
    for subject in case.subjects:  # a subject without a frozen network is still a member
        if subject not in customers:
            customers.append(subject)
            graph.add_node(f"Customer:{subject}", label="Customer")
    now = service.latest_scores(customers).set_index("customer_id")
    rows = []
    for customer in customers:
        node = f"Customer:{customer}"
        was = frozen_scores.get(customer, {})
        data = graph.nodes[node]
        data.update(score=was.get("score"), tier=was.get("tier"),
                    subject=customer in case.subjects, ring=customer in ring_members)
        rows.append({
            "customer_id": customer, "name": data.get("name"),
            "subject": customer in case.subjects, "ring": customer in ring_members,
            "score_at_open": was.get("score"), "tier_at_open": was.get("tier"),
            "score_now": float(now.at[customer, "score"]) if customer in now.index else None,
            "tier_now": str(now.at[customer, "tier"]) if customer in now.index else None,
        })
    for _node, data in graph.nodes(data=True):
        data.setdefault("subject", False)
        data.setdefault("ring", False)
        data.setdefault("score", None)
        data.setdefault("tier", None)
    members = pd.DataFrame(rows, columns=["customer_id", "name", "subject", "ring",
                                          "score_at_open", "tier_at_open", "score_now",
                                          "tier_now"])
    members = members.sort_values(["subject", "score_at_open"], ascending=False,
                                  na_position="last", ignore_index=True)
    return graph, members


_TRANSACTION_COLUMNS = ["transaction_id", "timestamp", "customer_id", "account_id", "direction",
                        "other_side", "amount", "currency", "channel", "transaction_type"]


def _transactions_of(region: Any, customers: Collection[str]) -> pd.DataFrame:
    """Every transaction in or out of the customers' accounts, one row per side we hold."""
    accounts = region.accounts
    holders = region.account_holders
    owner = dict(zip(accounts["account_id"].astype(str), accounts["customer_id"].astype(str),
                     strict=True))
    owner.update({str(a): str(c) for a, c in zip(holders["account_id"], holders["customer_id"],
                                                 strict=True)})
    theirs = {a: c for a, c in owner.items() if c in set(customers)}
    rows = []
    for row in region.transactions.itertuples(index=False):
        for direction, mine, other, other_cp in (
                ("out", row.from_account_id, row.to_account_id, row.to_counterparty_id),
                ("in", row.to_account_id, row.from_account_id, row.from_counterparty_id)):
            if mine is None or pd.isna(mine) or str(mine) not in theirs:
                continue
            other_side = other if other is not None and not pd.isna(other) else other_cp
            rows.append({"transaction_id": row.transaction_id, "timestamp": row.timestamp,
                         "customer_id": theirs[str(mine)], "account_id": str(mine),
                         "direction": direction, "other_side": str(other_side),
                         "amount": float(row.amount), "currency": row.currency,
                         "channel": row.channel, "transaction_type": row.transaction_type})
    frame = _frame(rows, _TRANSACTION_COLUMNS)
    if frame.empty:
        return frame
    frame["timestamp"] = pd.to_datetime(frame["timestamp"].astype(str), utc=True,
                                        format="mixed")
    return frame.sort_values(["timestamp", "transaction_id", "direction"], ignore_index=True)


def _score_history(service: RiskService, customers: Collection[str]) -> pd.DataFrame:
    frames = []
    for customer in customers:
        try:
            history = service.score_history(customer)
        except NotFoundError:
            continue
        frames.append(history.assign(customer_id=customer))
    columns = ["customer_id", "run_id", "created_at", "kind", "score", "tier", "reasons"]
    if not frames:
        return pd.DataFrame(columns=columns)
    history = pd.concat(frames, ignore_index=True)[columns]
    history["created_at"] = pd.to_datetime(history["created_at"].astype(str), utc=True,
                                           format="mixed")
    return history.sort_values(["created_at", "customer_id"], ignore_index=True)


def _reasons(case: Case, alerts: pd.DataFrame) -> pd.DataFrame:
    rows = [{"customer_id": customer, "source": "score", "reason": str(reason)}
            for customer, frozen in case.evidence.scores.items()
            for reason in frozen.get("reasons", [])]
    rows += [{"customer_id": a.customer_id, "source": f"alert {a.rule}", "reason": a.sentence}
             for a in alerts.itertuples()]
    return _frame(rows, ["customer_id", "source", "reason"])


def _model_explanations(service: RiskService, customers: list[str]
                        ) -> tuple[dict[str, Any], str | None]:
    """The graph model's reasons and when it was trained, when a model is trained; empty
    otherwise (never raises: a retrospective without a model still reads)."""
    info = service.model_dir() / "model.json"
    if not info.is_file():
        return {}, None
    try:
        trained_at = json.loads(info.read_text(encoding="utf-8")).get("created_at")
        return dict(service.explain(customers)), trained_at
    except (GraphRiskError, ImportError, OSError, ValueError):
        return {}, None


def _milestones(case: Case, alerts: pd.DataFrame, transactions: pd.DataFrame,
                scores: pd.DataFrame) -> pd.DataFrame:
    """When the first signal appeared, the first alert's evidence was complete, the alert was
    raised, the case opened and was decided.

    The first signal is the earliest event the case's alerts point to: a transaction their
    evidence names, or the start of a pattern (``first_at``); without either, the first
    alert's own evidence time. ``clock`` says which time each row is on: ``event`` (when
    things happened in the data) or ``monitoring`` (when GraphRisk or a person acted).
    """
    rows: list[dict[str, Any]] = []
    if not alerts.empty:
        flagged = transactions[transactions["flagged_by"] != ""] if not transactions.empty \
            else transactions
        signals = [(_utc(at), f"{rule} alert's evidence") for rule, at in
                   zip(alerts["rule"], alerts["at"], strict=True)]
        signals += [(_utc(at), f"{rule} pattern began") for rule, at in
                    zip(alerts["rule"], alerts["first_at"], strict=True) if at]
        signals += [(t.to_pydatetime(), f"transaction {tid} ({rules})") for t, tid, rules in
                    flagged[["timestamp", "transaction_id", "flagged_by"]]
                    .itertuples(index=False, name=None)]
        moment, detail = min(signals, key=lambda s: s[0])
        rows.append({"milestone": "first_signal", "at": moment, "clock": "event",
                     "detail": detail})
        first = alerts.sort_values(["at", "alert_id"]).iloc[0]
        rows.append({"milestone": "first_alert_evidence", "at": _utc(first["at"]),
                     "clock": "event", "detail": f"{first['rule']} could fire: "
                     f"{first['sentence']}"})
        raised = alerts.iloc[0]
        rows.append({"milestone": "first_alert", "at": _utc(raised["raised_at"]),
                     "clock": "monitoring", "detail": f"{raised['rule']} raised"})
    rows.append({"milestone": "case_opened", "at": _utc(case.opened_at), "clock": "monitoring",
                 "detail": f"opened by {case.opened_by}"})
    if case.closed_at:
        rows.append({"milestone": "decision", "at": _utc(case.closed_at),
                     "clock": "monitoring",
                     "detail": f"closed {case.outcome} by {case.closed_by}"})
    return pd.DataFrame(rows, columns=["milestone", "at", "clock", "detail"])


# -- the portfolio -----------------------------------------------------------------------


@dataclass(frozen=True)
class Portfolio:
    """The team's experience across cases, alerts, re-assessments and models.

    Attributes:
        alerts: every live alert with its case's outcome (``outcome``; empty while open).
        precision: per rule and tier, alerts whose case was decided and the share confirmed
            (``graphrisk alerts precision``).
        cases: one row per case with ``days_to_close`` (``NaN`` while open).
        migrations: tier moves of every finished re-assessment: ``period, customer_id,
            tier_before, tier_after, direction``.
        rings: high-risk clusters of the stored rankings with the runs they appeared in,
            the cases and alerts that touched them (``recurring`` when seen in more than one
            ranking or more than one case).
        typologies: how often each reason and rule came up among alerted customers.
        model_runs: every recorded training run's held-out metrics, oldest first.
        backtests: the policy back-tests run, oldest first (from the audit trail).
        tiers: how each tier with a ``precision_target`` held on the closed cases' outcomes,
            and the bound that would meet the target (``graphrisk tier-bounds``); ``None``
            where the policy names no target.
    """

    alerts: pd.DataFrame
    precision: pd.DataFrame
    cases: pd.DataFrame
    migrations: pd.DataFrame
    rings: pd.DataFrame
    typologies: pd.DataFrame
    model_runs: pd.DataFrame
    backtests: pd.DataFrame
    tiers: TierBoundsReport | None = None

    def tier_table(self) -> pd.DataFrame:
        """Per tier with a precision target: today's bound and its judged precision, and the
        bound that meets the target (``tier, target, min_score, judged, precision,
        suggested, precision_there, interval, note``)."""
        columns = ["tier", "target", "min_score", "judged", "precision", "suggested",
                   "precision_there", "interval", "note"]
        if self.tiers is None:
            return pd.DataFrame(columns=columns)
        return pd.DataFrame([{
            "tier": c.tier, "target": c.target, "min_score": c.current,
            "judged": c.current_judged, "precision": c.current_precision,
            "suggested": c.bound, "precision_there": c.precision,
            "interval": "" if c.bound is None else f"{c.interval[0]:.0%}-{c.interval[1]:.0%}",
            "note": c.note} for c in self.tiers.choices], columns=columns)

    def tier_lines(self) -> pd.DataFrame:
        """The tier table as a person reads it (the notebook shows this): shares as
        percentages with the judged count beside them, ``-`` where nothing was judged or no
        bound meets the target, one row per tier."""
        table = self.tier_table()
        if table.empty:
            return pd.DataFrame(columns=["target", "bound today", "precision today",
                                         "suggested bound", "precision there", "95% interval",
                                         "note"])

        def share(value: float | None) -> str:
            return "-" if value is None or pd.isna(value) else f"{value:.0%}"

        def bound(value: float | None) -> str:
            return "-" if value is None or pd.isna(value) else f"{value:g}"

        return pd.DataFrame({
            "target": table["target"].map(share),
            "bound today": table["min_score"].map(bound),
            "precision today": [
                "none judged" if judged == 0 else f"{share(p)} of {judged}"
                for p, judged in zip(table["precision"], table["judged"], strict=True)],
            "suggested bound": table["suggested"].map(bound),
            "precision there": table["precision_there"].map(share),
            "95% interval": table["interval"].replace("", "-"),
            "note": table["note"].fillna("").replace("", "-"),
        }).set_axis(table["tier"]).rename_axis("tier")

    def migration_counts(self) -> pd.DataFrame:
        """Customers per re-assessment period and direction (``up``, ``down``, ``same``,
        ``new``): ``period, direction, customers``."""
        if self.migrations.empty:
            return pd.DataFrame(columns=["period", "direction", "customers"])
        return (self.migrations.groupby(["period", "direction"]).size()
                .rename("customers").reset_index())

    def suggestions(self, *, min_decided: int = 3, low_precision: float = 0.2
                    ) -> list[str]:
        """Policy changes the outcomes argue for, each with the figures behind it.

        A rule whose decided alerts were rarely confirmed is a candidate for a higher
        threshold (back-test it first: ``graphrisk backtest --policy FILE``); one that was always
        confirmed may be worth lowering.
        """
        said: list[str] = []
        table = self.precision
        if table.empty:
            return (self._tier_suggestions(min_decided)
                    or ["No case has been decided yet: precision needs closed cases."])
        by_rule = table.groupby("rule")[["judged", "confirmed"]].sum()
        for rule, row in by_rule.iterrows():
            decided, confirmed = int(row["judged"]), int(row["confirmed"])
            if decided < min_decided:
                continue
            share = confirmed / decided
            if share < low_precision:
                said.append(f"{rule}: {confirmed} of {decided} decided alerts confirmed "
                            f"({share:.0%}); consider a higher threshold and back-test it.")
            elif share == 1.0:
                said.append(f"{rule}: all {decided} decided alerts confirmed; a lower threshold "
                            "may catch more (back-test it).")
        said += self._tier_suggestions(min_decided)
        return said or [f"No rule with {min_decided}+ decided alerts stands out (precision "
                        f"between {low_precision:.0%} and 100%)."]

    def _tier_suggestions(self, min_decided: int) -> list[str]:
        """A line per tier whose judged precision misses its target, or whose target a lower
        bound would still meet."""
        if self.tiers is None:
            return []
        said = []
        for c in self.tiers.choices:
            if c.current_judged < min_decided:
                continue
            now = (f"{c.tier} tier: {c.current_precision:.0%} of {c.current_judged} judged "
                   f"customers at or above {c.current:g} confirmed (target {c.target:.0%})")
            figures = (f"({c.precision:.0%} of {c.judged} judged, "
                       f"{self.tiers.confidence:.0%} confidence)")
            check = "back-test it (graphrisk tier-bounds --write FILE)."
            if c.current_precision < c.target:
                said.append(f"{now}; " + (f"a bound of {c.bound:g} would meet it {figures}: "
                                          f"{check}" if c.bound is not None else f"{c.note}."))
            elif c.bound is not None and c.bound < c.current:
                said.append(f"{now}; a bound of {c.bound:g} would still meet it {figures} and "
                            f"take in more of the risky customers: {check}")
        return said


def load_portfolio(service: RiskService, *, since: str | None = None) -> Portfolio:
    """Read the experience summary: alerts, precision, cases, migrations, rings, models.

    Args:
        service: an open service.
        since: only what happened from this day on (``2026-10-01``; UTC): cases opened,
            alerts raised, re-assessment periods, training runs and back-tests since then.
            Precision then counts only the alerts raised since.

    Raises:
        ValueError: ``since`` is not a date.
    """
    start = _since(since)
    monitoring = service.monitoring
    cases = [c for c in monitoring.cases() if start is None or _utc(c.opened_at) >= start]
    outcome = {c.case_id: c.outcome for c in cases if c.status == "closed"}
    alerts = _alerts_frame([a for a in (Alert.model_validate(r.body)
                                        for r in service.store.records(ALERT_KIND))
                            if a.mode == "live"])
    if start is not None and not alerts.empty:
        alerts = alerts[pd.to_datetime(alerts["raised_at"], utc=True) >= start]
        alerts = alerts.reset_index(drop=True)
    alerts["outcome"] = alerts["case_id"].map(lambda c: outcome.get(str(c)))
    precision = (monitoring.precision() if start is None else precision_table(
        list(zip(alerts["rule"], alerts["tier"], alerts["outcome"], strict=True))))
    case_rows = [{
        "case_id": c.case_id, "status": c.status, "outcome": c.outcome,
        "priority": c.priority, "severity": c.severity, "tier": c.tier, "owner": c.owner,
        "subjects": len(c.subjects), "alerts": len(c.alert_ids), "rules": ", ".join(c.rules),
        "opened_at": _utc(c.opened_at), "closed_at": _utc(c.closed_at) if c.closed_at else None,
        "due_at": _utc(c.due_at)} for c in cases]
    case_frame = _frame(case_rows, ["case_id", "status", "outcome", "priority", "severity",
                                    "tier", "owner", "subjects", "alerts", "rules",
                                    "opened_at", "closed_at", "due_at"])
    if not case_frame.empty:
        closed_at = pd.to_datetime(case_frame["closed_at"], utc=True)
        opened_at = pd.to_datetime(case_frame["opened_at"], utc=True)
        case_frame["days_to_close"] = (closed_at - opened_at).dt.total_seconds() / 86400
    else:
        case_frame["days_to_close"] = pd.Series(dtype="float64")
    migrations = _migrations(service)
    if start is not None and not migrations.empty:
        migrations = migrations[migrations["period"].map(_period_end) >= start]
    return Portfolio(
        tiers=_tier_report(service, cases),
        alerts=alerts, precision=precision, cases=case_frame, migrations=migrations,
        rings=_rings(service, cases, alerts), typologies=_typologies(service, alerts),
        model_runs=_audit_frame(service, "model.train", start),
        backtests=_audit_frame(service, "policy.backtest", start))


def _tier_report(service: RiskService, cases: list[Case]) -> TierBoundsReport | None:
    """The tier bounds on the outcomes of these cases (``None``: the policy names no
    precision target)."""
    report = service.tier_bounds(cases=cases)
    return report if report.choices else None


def _since(since: str | None) -> datetime | None:
    if since is None or not str(since).strip():
        return None
    try:
        return _utc(datetime.fromisoformat(str(since).strip()))
    except ValueError as exc:
        raise ValueError(f"since={since!r} is not a date; give one like 2026-10-01") from exc


def _period_end(period: str) -> datetime:
    from graphrisk.monitoring.reassess import period_bounds

    return _utc(period_bounds(str(period))[1])


def _migrations(service: RiskService) -> pd.DataFrame:
    frames = []
    for record in service.store.records(REASSESSMENT_KIND, status="done"):
        period = str(record.body.get("period", record.key))
        csv = service.settings.reports_dir / f"reassessment-{period}" / "migration.csv"
        if csv.is_file():
            table = pd.read_csv(csv)
            frames.append(table.assign(period=period))
    columns = ["period", "customer_id", "tier_before", "tier_after", "direction"]
    if not frames:
        return pd.DataFrame(columns=columns)
    table = pd.concat(frames, ignore_index=True)
    return table[[c for c in columns if c in table.columns]
                 + [c for c in table.columns if c not in columns]]


def _rings(service: RiskService, cases: list[Case], alerts: pd.DataFrame) -> pd.DataFrame:
    """High-risk clusters across the stored rankings; a ring is the same when its members
    overlap by half or more (cluster ids are not stable between runs)."""
    rings: list[dict[str, Any]] = []
    for record in sorted(service.store.records(CLUSTERS_KIND, status="ranking"),
                         key=lambda r: r.key):
        for row in record.body.get("clusters", []):
            if not row.get("high_risk"):
                continue
            members = {str(m) for m in row.get("members", [])}
            same = next((r for r in rings if len(members & r["members"])
                         >= 0.5 * min(len(members), len(r["members"]))), None)
            if same is None:
                same = {"ring": f"ring-{len(rings) + 1}", "cluster_id": str(row["cluster_id"]),
                        "members": set(), "runs": []}
                rings.append(same)
            same["members"] |= members
            same["runs"].append(record.key)
            same["cluster_id"] = str(row["cluster_id"])
    alerted = Counter(alerts["customer_id"].astype(str)) if not alerts.empty else Counter()
    rows = []
    for ring in rings:
        touched = [c.case_id for c in cases if ring["members"] & set(c.subjects)]
        rows.append({"ring": ring["ring"], "latest_cluster_id": ring["cluster_id"],
                     "members": len(ring["members"]), "rankings": len(set(ring["runs"])),
                     "cases": len(touched), "case_ids": ", ".join(touched),
                     "alerts": sum(alerted[m] for m in ring["members"]),
                     "recurring": len(set(ring["runs"])) > 1 or len(touched) > 1})
    frame = _frame(rows, ["ring", "latest_cluster_id", "members", "rankings", "cases",
                          "case_ids", "alerts", "recurring"])
    return frame.sort_values(["cases", "alerts", "members"], ascending=False, ignore_index=True)


def _typologies(service: RiskService, alerts: pd.DataFrame) -> pd.DataFrame:
    """How often each rule and each score reason came up among alerted customers."""
    rows: Counter[tuple[str, str]] = Counter()
    for rule in alerts["rule"] if not alerts.empty else []:
        rows[("alert rule", str(rule))] += 1
    customers = sorted(set(alerts["customer_id"].astype(str))) if not alerts.empty else []
    latest = service.latest_scores(customers)
    for reasons in latest["reasons"] if not latest.empty else []:
        for reason in reasons:
            rows[("score reason", _reason_kind(str(reason)))] += 1
    frame = pd.DataFrame([{"source": s, "what": w, "count": n} for (s, w), n in rows.items()],
                         columns=["source", "what", "count"])
    return frame.sort_values(["source", "count", "what"], ascending=[True, False, True],
                             ignore_index=True)


def _reason_kind(reason: str) -> str:
    """A reason without its figures and ids, so that the same kind of reason counts once:
    ``largest payment is 36.7 times their typical payment`` becomes ``largest payment is #
    times their typical payment``; a reason naming accounts stops at the first id."""
    words: list[str] = []
    for word in reason.split():
        if _ID_WORD.search(word):
            words.append("…")
            break
        words.append("#" if any(ch.isdigit() for ch in word) else word)
    return " ".join(words[:12])


#: An id inside a reason (``A00001142``, ``(C0000686)``).
_ID_WORD = re.compile(r"[A-Za-z]+\d{3,}")


def _audit_frame(service: RiskService, action: str, start: datetime | None = None
                 ) -> pd.DataFrame:
    rows = [{"at": e.at, "by": e.actor, "subject": e.subject, **dict(e.details or {})}
            for e in service.monitoring.audit(action=action)
            if start is None or _utc(e.at) >= start]
    return pd.DataFrame(rows) if rows else pd.DataFrame(columns=["at", "by", "subject"])

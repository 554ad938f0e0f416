"""The suspicious-activity report (STR/SAR) of a confirmed case: its content, HTML and files.

Why a report of its own: when an investigation confirms the risk, the bank must tell its
financial intelligence unit (FIU), usually through goAML. Gathering who, which accounts,
which payments and why by hand from the tool's screens is slow and error-prone; this module
gathers them from the case and the store into one :class:`StrReport`, which
:mod:`graphrisk.reporting.goaml` writes as goAML XML and :func:`render_html` as a page a
person reads and checks before filing.

The split: :func:`build_str_report` is a pure function of the case, its alerts and the
subjects' region of the graph (no store, no clock unless given); :func:`write_str_report`
reads those through the service, validates the XML before anything is written, writes the
files owner-only and records the report in the audit trail.
"""

from __future__ import annotations

import html
import logging
import os
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import pandas as pd

from graphrisk.errors import ConfigError, GraphRiskError, NotFoundError
from graphrisk.monitoring.casework import CaseRuleError
from graphrisk.monitoring.records import Alert, Case
from graphrisk.reporting.goaml import render_goaml, validate_goaml

if TYPE_CHECKING:
    from graphrisk.config import Settings
    from graphrisk.graph import GraphSnapshot
    from graphrisk.service import RiskService

__all__ = [
    "AUDIT_ACTION",
    "LOOKBACK_DAYS",
    "MAX_TRANSACTIONS",
    "AccountLine",
    "AlertLine",
    "IdentifierLine",
    "Institution",
    "NarrativeEntry",
    "Party",
    "StrReport",
    "StrWritten",
    "SubjectLine",
    "TransactionLine",
    "build_str_report",
    "check_reportable",
    "find_chromium",
    "render_html",
    "write_str_report",
]

logger = logging.getLogger(__name__)

#: The audit trail's action for a written report.
AUDIT_ACTION = "report.str"
#: How far before the case's first alert the reported activity starts.
LOOKBACK_DAYS = 90
#: The most transactions one report lists (newest first); the report says when it cut.
MAX_TRANSACTIONS = 500
#: Segments reported as legal entities (goAML t_entity); the others are persons.
ENTITY_SEGMENTS = frozenset({"sme", "corporate"})
#: Where Debian puts chromium (``make browser-prereqs``); PATH is tried after it.
CHROMIUM = Path("/usr/bin/chromium")


# -- content -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Institution:
    """The reporting bank, from the ``GRAPHRISK_STR_*`` settings."""

    name: str
    rentity_id: int
    branch: str
    swift: str
    address: str
    city: str
    country: str
    reporting_person: str
    reporting_email: str | None
    currency: str

    @classmethod
    def from_settings(cls, settings: Settings) -> Institution:
        return cls(
            name=settings.str_institution_name, rentity_id=settings.str_institution_id,
            branch=settings.str_institution_branch, swift=settings.str_institution_swift,
            address=settings.str_institution_address, city=settings.str_institution_city,
            country=settings.str_institution_country,
            reporting_person=settings.str_reporting_person,
            reporting_email=settings.str_reporting_email, currency=settings.str_currency)

    def placeholders(self) -> list[str]:
        """A warning for each value still at its shipped placeholder.

        Why warnings, not errors: a draft is useful before the bank's details are set up
        (to check the content); filing one with "Example Bank" in it is not.
        """
        from graphrisk.config import Settings

        defaults = Settings.model_fields
        found = []
        for name in ("name", "branch", "swift", "address", "city", "country"):
            if getattr(self, name) == defaults[f"str_institution_{name}"].default:
                found.append(f"institution {name} is the placeholder {getattr(self, name)!r}: "
                             f"set GRAPHRISK_STR_INSTITUTION_{name.upper()}")
        if self.rentity_id == 0:
            found.append("rentity_id is 0 (not set): set GRAPHRISK_STR_INSTITUTION_ID to the "
                         "reporting-entity id the FIU gave you at goAML registration")
        if self.reporting_person == defaults["str_reporting_person"].default:
            found.append(f"reporting person is the placeholder {self.reporting_person!r}: set "
                         "GRAPHRISK_STR_REPORTING_PERSON to the officer who files the report")
        return found


@dataclass(frozen=True)
class SubjectLine:
    """One subject of the case as the store knows them."""

    customer_id: str
    name: str
    is_entity: bool
    segment: str
    industry: str | None
    country: str | None
    region: str | None
    birth_year: int | None
    kyc_status: str | None
    onboarding_date: str | None
    score: float | None
    tier: str | None
    reasons: tuple[str, ...]

    @property
    def first_last(self) -> tuple[str, str]:
        """First and last name (goAML wants them apart): the last word is the last name."""
        first, _, last = self.name.strip().rpartition(" ")
        return (first, last) if first else (last, last)


@dataclass(frozen=True)
class IdentifierLine:
    """A phone, e-mail, address, device or IP a subject uses, as given (not normalised)."""

    customer_id: str
    kind: str
    value: str
    first_seen: str | None


@dataclass(frozen=True)
class Holder:
    customer_id: str
    name: str
    role: str
    is_subject: bool


@dataclass(frozen=True)
class AccountLine:
    """An account of a subject, with everyone who holds it."""

    account_id: str
    owner_id: str
    account_type: str
    currency: str
    opened: str | None
    closed: str | None
    status: str
    holders: tuple[Holder, ...]


@dataclass(frozen=True)
class Party:
    """One side of a transaction: an account of this bank, or an outside counterparty."""

    kind: Literal["account", "counterparty", "unknown"]
    ref: str
    name: str
    is_subject: bool = False
    customer_id: str | None = None
    country: str | None = None
    counterparty_kind: str | None = None


@dataclass(frozen=True)
class TransactionLine:
    transaction_id: str
    at: str
    amount: float
    currency: str
    channel: str
    transaction_type: str
    source: Party
    target: Party


@dataclass(frozen=True)
class AlertLine:
    alert_id: str
    rule: str
    customer_id: str
    at: str
    sentence: str


@dataclass(frozen=True)
class NarrativeEntry:
    at: str
    by: str
    text: str


@dataclass(frozen=True)
class StrReport:
    """Everything a suspicious-activity report says, before it is written in any format."""

    institution: Institution
    case_id: str
    case_title: str
    opened_at: str
    closed_at: str
    closed_by: str
    risk_label: str | None
    owner: str | None
    subjects: tuple[SubjectLine, ...]
    accounts: tuple[AccountLine, ...]
    identifiers: tuple[IdentifierLine, ...]
    transactions: tuple[TransactionLine, ...]
    transactions_in_window: int
    window_start: str
    window_end: str
    indicators: tuple[str, ...]
    alerts: tuple[AlertLine, ...]
    narrative: tuple[NarrativeEntry, ...]
    narrative_source: str
    action: str
    generated_at: str
    generated_by: str
    to_fill: tuple[str, ...] = field(default=())

    @property
    def capped(self) -> bool:
        return len(self.transactions) < self.transactions_in_window

    @property
    def reason(self) -> str:
        """The goAML ``reason``: the investigator's narrative, then what the tool found."""
        parts = [entry.text.strip() for entry in self.narrative]
        if self.indicators:
            parts.append("Indicators: " + ", ".join(self.indicators) + ".")
        # a typology touches every customer in it, so the subjects' reasons repeat: each is
        # said once, with the customers it concerns (alert sentences repeat these reasons
        # around score changes; the HTML lists them whole)
        found: dict[str, list[str]] = {}
        for subject in self.subjects:
            for reason in subject.reasons:
                found.setdefault(reason, []).append(subject.customer_id)
        if found:
            parts.append("Findings: " + " ".join(
                f"({', '.join(who)}) {text.rstrip('.')}." for text, who in found.items()))
        rules: dict[str, list[str]] = {}
        for alert in self.alerts:
            rules.setdefault(alert.rule, []).append(alert.customer_id)
        if rules:
            parts.append("Alerts: " + "; ".join(
                f"{rule} ({', '.join(dict.fromkeys(who))})" for rule, who in rules.items())
                + ".")
        return "\n\n".join(parts)

    @property
    def subject_ids(self) -> frozenset[str]:
        return frozenset(s.customer_id for s in self.subjects)


def check_reportable(case: Case) -> None:
    """Refuse a case that is not closed as ``confirmed_risk``.

    Why: an STR tells the authorities that the bank suspects its customer; a case still
    under investigation, or closed as a false positive, does not support that.

    Raises:
        CaseRuleError: the case is open or closed with another outcome; the message says how
            to confirm it.
    """
    if case.status == "closed" and case.outcome == "confirmed_risk":
        return
    where = (f"closed as {case.outcome}" if case.status == "closed"
             else f"still {case.status}")
    raise CaseRuleError(
        f"case {case.case_id} is {where}: a suspicious-activity report is written only for a "
        f"case closed as confirmed_risk. If the investigation confirmed the risk, close it "
        f"with `graphrisk cases close {case.case_id} --outcome confirmed_risk --label LABEL`")


def build_str_report(case: Case, alerts: Sequence[Alert], snapshot: GraphSnapshot,
                     institution: Institution, *, generated_by: str,
                     narrative: str | None = None, narrative_source: str | None = None,
                     now: datetime | None = None, lookback_days: int = LOOKBACK_DAYS,
                     max_transactions: int = MAX_TRANSACTIONS) -> StrReport:
    """The content of the STR for a confirmed ``case``.

    Args:
        case: the case, closed as ``confirmed_risk``.
        alerts: the case's alerts (their rules and sentences are the grounds; the earliest
            one's event time starts the activity window).
        snapshot: the subjects' region (:meth:`GraphStore.region_snapshot`): their
            customers, accounts, holders, identifiers and transactions.
        institution: the reporting bank.
        generated_by: who writes the report (the audit trail's actor).
        narrative: text that replaces the case notes as the narrative (``--narrative``).
        narrative_source: where ``narrative`` came from, shown in the report.
        now: the report's time stamp (default: the clock, UTC).
        lookback_days: days before the first alert that the reported activity starts.
        max_transactions: most transactions listed, newest first.

    Returns:
        The report; ``to_fill`` lists what the data cannot give and a person must add.

    Raises:
        CaseRuleError: the case is not closed as ``confirmed_risk``.
    """
    check_reportable(case)
    stamp = (now or datetime.now(UTC)).astimezone(UTC)
    start, end = _window(case, alerts, lookback_days)
    subjects, missing = _subjects(case, snapshot)
    names = _names(snapshot.customers)
    accounts = _accounts(case.subjects, snapshot, names)
    subject_accounts = {a.account_id for a in accounts}
    everyone, window_total = _transactions(snapshot, subject_accounts, start, end, names,
                                           set(case.subjects), max_transactions)
    identifiers = _identifiers(case.subjects, snapshot.identifiers)
    if narrative is not None:
        entries: tuple[NarrativeEntry, ...] = (NarrativeEntry(
            at=_iso(stamp), by=generated_by, text=narrative.strip()),)
        source = narrative_source or "given text"
    else:
        entries = tuple(NarrativeEntry(n.at, n.by, n.text) for n in case.notes)
        source = "case notes"
    report = StrReport(
        institution=institution, case_id=case.case_id, case_title=case.title,
        opened_at=case.opened_at, closed_at=case.closed_at or "",
        closed_by=case.closed_by or "", risk_label=case.risk_label, owner=case.owner,
        subjects=subjects, accounts=accounts, identifiers=identifiers,
        transactions=everyone, transactions_in_window=window_total,
        window_start=_iso(start), window_end=_iso(end),
        indicators=tuple(dict.fromkeys([*case.rules, *(a.rule for a in alerts)])),
        alerts=tuple(AlertLine(a.alert_id, a.rule, a.customer_id, a.at, a.sentence)
                     for a in sorted(alerts, key=lambda a: (a.at, a.alert_id))),
        narrative=entries, narrative_source=source, action=_action(case),
        generated_at=_iso(stamp), generated_by=generated_by)
    return _with_to_fill(report, missing)


def _ts(value: object) -> pd.Timestamp:
    """A time as UTC (a time without a zone is UTC, as the input format says)."""
    stamp = pd.Timestamp(str(value))
    return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")


def _iso(value: datetime | pd.Timestamp) -> str:
    """goAML's date-time form (``sql_date``): ``YYYY-MM-DDTHH:MM:SS``, UTC, no zone."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")


def _window(case: Case, alerts: Sequence[Alert], days: int
            ) -> tuple[pd.Timestamp, pd.Timestamp]:
    """From ``days`` before the earliest alert's event (else the opening) to the close."""
    first = min((_ts(a.at) for a in alerts), default=_ts(case.opened_at))
    return first - timedelta(days=days), _ts(case.closed_at or case.opened_at)


def _text(value: object) -> str | None:
    """A cell as text; None for a missing value (NaN, None, empty)."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):  # type: ignore[arg-type]
        return None
    text = str(value).strip()
    return text or None


def _names(customers: pd.DataFrame) -> dict[str, str]:
    return {str(c): str(n) for c, n in zip(customers["customer_id"], customers["name"],
                                           strict=True)}


def _subjects(case: Case, snapshot: GraphSnapshot
              ) -> tuple[tuple[SubjectLine, ...], list[str]]:
    rows = snapshot.customers.set_index("customer_id", drop=False)
    found, missing = [], []
    for customer_id in case.subjects:
        if customer_id not in rows.index:
            missing.append(customer_id)
            continue
        row = rows.loc[customer_id]
        frozen = case.evidence.scores.get(customer_id, {})
        year = _text(row["birth_year"])
        segment = _text(row["segment"]) or ""
        found.append(SubjectLine(
            customer_id=customer_id, name=str(row["name"]),
            is_entity=segment in ENTITY_SEGMENTS, segment=segment,
            industry=_text(row["industry"]), country=_text(row["country"]),
            region=_text(row["region"]),
            birth_year=int(float(year)) if year is not None else None,
            kyc_status=_text(row["kyc_status"]),
            onboarding_date=_text(row["onboarding_date"]),
            score=float(frozen["score"]) if "score" in frozen else None,
            tier=str(frozen["tier"]) if "tier" in frozen else None,
            reasons=tuple(str(r) for r in frozen.get("reasons", ()))))
    return tuple(found), missing


def _accounts(subjects: Sequence[str], snapshot: GraphSnapshot, names: dict[str, str]
              ) -> tuple[AccountLine, ...]:
    """The subjects' accounts (owned or held), with every holder the region names."""
    wanted = set(subjects)
    accounts, holders = snapshot.accounts, snapshot.account_holders
    theirs = (set(accounts.loc[accounts["customer_id"].isin(wanted), "account_id"])
              | set(holders.loc[holders["customer_id"].isin(wanted), "account_id"]))
    lines = []
    for row in accounts.loc[accounts["account_id"].isin(theirs)].sort_values(
            "account_id").itertuples(index=False):
        owner = str(row.customer_id)
        held = [Holder(owner, names.get(owner, owner), "owner", owner in wanted)]
        for extra in holders.loc[holders["account_id"] == row.account_id].itertuples(
                index=False):
            if str(extra.customer_id) != owner:
                held.append(Holder(str(extra.customer_id),
                                   names.get(str(extra.customer_id), str(extra.customer_id)),
                                   str(extra.role), str(extra.customer_id) in wanted))
        lines.append(AccountLine(
            account_id=str(row.account_id), owner_id=owner,
            account_type=str(row.account_type), currency=str(row.currency),
            opened=_text(row.opened_date), closed=_text(row.closed_date),
            status=str(row.status), holders=tuple(held)))
    return tuple(lines)


def _transactions(snapshot: GraphSnapshot, subject_accounts: set[str], start: pd.Timestamp,
                  end: pd.Timestamp, names: dict[str, str], subjects: set[str],
                  most: int) -> tuple[tuple[TransactionLine, ...], int]:
    """Transactions sent or received by the subjects' accounts in the window, newest first
    (at most ``most``), and how many the window holds."""
    frame = snapshot.transactions
    if frame.empty:
        return (), 0
    at = pd.to_datetime(frame["timestamp"].astype(str), format="ISO8601", utc=True)
    touches = (frame["from_account_id"].isin(subject_accounts)
               | frame["to_account_id"].isin(subject_accounts))
    chosen = frame.assign(report_at=at).loc[touches & (at >= start) & (at <= end)]
    chosen = chosen.sort_values(["report_at", "transaction_id"], ascending=[False, False])
    owners = {str(a): str(c) for a, c in zip(snapshot.accounts["account_id"],
                                             snapshot.accounts["customer_id"], strict=True)}
    counterparties = snapshot.counterparties.set_index("counterparty_id", drop=False)

    def party(account: object, counterparty: object) -> Party:
        account_id, counterparty_id = _text(account), _text(counterparty)
        if account_id is not None:
            owner = owners.get(account_id)
            return Party("account", account_id, names.get(owner, "unknown holder")
                         if owner else "unknown holder", is_subject=account_id in
                         subject_accounts, customer_id=owner,
                         country=None)
        if counterparty_id is not None and counterparty_id in counterparties.index:
            row = counterparties.loc[counterparty_id]
            return Party("counterparty", counterparty_id, str(row["name"]),
                         country=_text(row["country"]),
                         counterparty_kind=_text(row["kind"]))
        if counterparty_id is not None:
            return Party("counterparty", counterparty_id, counterparty_id)
        return Party("unknown", "", "unknown")

    lines = tuple(
        TransactionLine(
            transaction_id=str(row.transaction_id), at=_iso(row.report_at),
            amount=float(row.amount), currency=str(row.currency), channel=str(row.channel),
            transaction_type=str(row.transaction_type),
            source=party(row.from_account_id, row.from_counterparty_id),
            target=party(row.to_account_id, row.to_counterparty_id))
        for row in chosen.head(most).itertuples(index=False))
    return lines, len(chosen)


def _identifiers(subjects: Sequence[str], frame: pd.DataFrame) -> tuple[IdentifierLine, ...]:
    order = {c: i for i, c in enumerate(subjects)}
    rows = frame.loc[frame["customer_id"].isin(order)]
    lines = [IdentifierLine(
        customer_id=str(row.customer_id), kind=str(row.kind),
        value=_text(getattr(row, "raw_value", None)) or str(row.value),
        first_seen=_text(row.first_seen)) for row in rows.itertuples(index=False)]
    return tuple(sorted(lines, key=lambda i: (order[i.customer_id], i.kind, i.value)))


def _action(case: Case) -> str:
    """The goAML ``action``: what the bank did (the case's close and its contacts)."""
    parts = [f"Investigated in case {case.case_id} (opened {case.opened_at[:10]}), closed "
             f"{(case.closed_at or '')[:10]} by {case.closed_by} as confirmed risk"
             + (f" ({case.risk_label})" if case.risk_label else "") + "."]
    for contact in case.contacts:
        parts.append(f"Contact with the customer on {contact.date[:10]} by "
                     f"{contact.channel.replace('_', ' ')}: {contact.summary.rstrip('.')}.")
    return " ".join(parts)


#: goAML fields whose values are the FIU's own code lists, which GraphRisk cannot know.
LOOKUP_FIELDS = (
    "transmode_code (filled with GraphRisk's channel)",
    "from_funds_code / to_funds_code (filled with GraphRisk's transaction type)",
    "personal_account_type (filled with GraphRisk's account type)",
    "status_code of accounts (filled with GraphRisk's account status)",
    "role of signatories (filled with GraphRisk's holder role)",
    "report_indicators (filled with GraphRisk's rule names)",
)


def _with_to_fill(report: StrReport, missing: list[str]) -> StrReport:
    """What a person must add before filing: the FIU's codes and what the data lacks."""
    todo = report.institution.placeholders()
    todo += [f"Map to your FIU's code lists: {name}" for name in LOOKUP_FIELDS]
    persons = [s for s in report.subjects if not s.is_entity]
    if persons:
        todo.append("For each subject person (t_person_my_client): birthdate (only the birth "
                    "year is known, in comments), ssn, nationality1, occupation, identification "
                    "documents")
    if any(s.is_entity for s in report.subjects):
        todo.append("For each subject entity (t_entity_my_client): commercial_name, "
                    "incorporation_legal_form, incorporation_number, incorporation_date and its "
                    "directors (director_id)")
    if any(i.kind == "phone" for i in report.identifiers):
        todo.append("For each phone: tph_contact_type, tph_communication_type and "
                    "tph_country_prefix")
    if any(i.kind == "address" for i in report.identifiers):
        todo.append("For each address: address_type and city (the address is given as one "
                    "line)")
    todo.append("location: address_type of the reporting office")
    foreign = [t for t in report.transactions if t.currency != report.institution.currency]
    if foreign:
        codes = sorted({t.currency for t in foreign})
        todo.append(f"{len(foreign)} transactions are in {', '.join(codes)}, not "
                    f"{report.institution.currency}: their amount_local holds the amount in "
                    "its own currency; convert it and add from/to_foreign_currency with the "
                    "exchange rate")
    entity_accounts = [a.account_id for a in report.accounts
                       if not any(h.customer_id in _person_ids(report) for h in a.holders)]
    if entity_accounts:
        todo.append(f"Signatories (persons) of {', '.join(entity_accounts)}: held by an "
                    "entity only")
    if report.capped:
        todo.append(f"Only the newest {len(report.transactions)} of "
                    f"{report.transactions_in_window} transactions in the window are listed; "
                    "add the others in goAML if the FIU wants them all")
    for customer_id in missing:
        todo.append(f"Subject {customer_id} is not in the store any more: add their details")
    return replace(report, to_fill=tuple(todo))


def _person_ids(report: StrReport) -> set[str]:
    return {s.customer_id for s in report.subjects if not s.is_entity} | {
        h.customer_id for a in report.accounts for h in a.holders
        if h.customer_id not in report.subject_ids}


# -- HTML --------------------------------------------------------------------------------------
_CSS = """
:root { --ink: #1d2433; --muted: #5b6475; --line: #d8dde6; --band: #f3f5f9;
        --accent: #8a1c1c; --todo: #fff6e0; }
* { box-sizing: border-box; }
body { font: 14px/1.45 -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
       color: var(--ink); margin: 0 auto; max-width: 1100px; padding: 28px 32px 48px; }
header { border-bottom: 3px solid var(--accent); padding-bottom: 12px; margin-bottom: 8px; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 16px; margin: 28px 0 8px; padding-bottom: 4px;
     border-bottom: 1px solid var(--line); }
.sub { color: var(--muted); margin: 0; }
.banner { background: var(--accent); color: #fff; font-weight: 600; padding: 6px 10px;
          border-radius: 4px; display: inline-block; margin: 8px 0 0; font-size: 12px;
          letter-spacing: .02em; }
table { border-collapse: collapse; width: 100%; font-size: 13px; }
th, td { text-align: left; vertical-align: top; padding: 5px 8px;
         border-bottom: 1px solid var(--line); }
th { background: var(--band); font-weight: 600; white-space: nowrap; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.id, td.date { white-space: nowrap; font-family: ui-monospace, Menlo, Consolas, monospace;
                 font-size: 12px; }
table.kv { width: 100%; }
table.kv th { width: 210px; }
.subject { font-weight: 600; }
.tag { display: inline-block; padding: 0 6px; border-radius: 3px; background: var(--band);
       border: 1px solid var(--line); font-size: 12px; margin: 0 4px 2px 0; }
.note { border-left: 3px solid var(--line); padding: 4px 12px; margin: 8px 0;
        white-space: pre-wrap; }
.note .meta { color: var(--muted); font-size: 12px; white-space: normal; }
.todo { background: var(--todo); border: 1px solid #ecd9a6; border-radius: 4px;
        padding: 8px 12px 8px 28px; }
.todo li { margin: 3px 0; }
.muted { color: var(--muted); }
.since { display: block; color: var(--muted); font-size: 11px; margin-bottom: 3px; }
footer { margin-top: 32px; color: var(--muted); font-size: 12px;
         border-top: 1px solid var(--line); padding-top: 8px; }
@media print { body { padding: 0; max-width: none; } h2 { break-after: avoid; }
               tr { break-inside: avoid; } }
"""


def _e(value: object) -> str:
    return html.escape("" if value is None else str(value))


def _table(head: Sequence[str], rows: Sequence[Sequence[str]], *,
           classes: Sequence[str] = ()) -> str:
    """An HTML table; cells are already escaped; ``classes`` names each column's class."""
    def cls(i: int) -> str:
        return f' class="{classes[i]}"' if i < len(classes) and classes[i] else ""

    top = "".join(f"<th{cls(i)}>{_e(h)}</th>" for i, h in enumerate(head))
    body = "".join("<tr>" + "".join(f"<td{cls(i)}>{c}</td>" for i, c in enumerate(row))
                   + "</tr>" for row in rows)
    return f"<table><thead><tr>{top}</tr></thead><tbody>{body}</tbody></table>"


def _kv(pairs: Sequence[tuple[str, object]]) -> str:
    rows = "".join(f"<tr><th>{_e(k)}</th><td>{_e(v) if v not in (None, '') else '—'}</td></tr>"
                   for k, v in pairs)
    return f'<table class="kv"><tbody>{rows}</tbody></table>'


def _when(text: str | None) -> str:
    """A stored time stamp as a person reads it: ``2026-01-08 18:30 UTC``."""
    if not text:
        return ""
    return _ts(text).strftime("%Y-%m-%d %H:%M UTC")


def _money(amount: float) -> str:
    return f"{amount:,.2f}"


def render_html(report: StrReport) -> str:
    """The report as one standalone HTML page (inline CSS, nothing loaded from elsewhere).

    Why a page beside the XML: the XML is for the FIU's system; a person reads this one to
    check the content and sees, last, what is still to fill in before filing.
    """
    inst = report.institution
    sections = []
    sections.append("<h2>1. Reporting institution</h2>" + _kv([
        ("Name", inst.name), ("goAML reporting-entity id", inst.rentity_id or "not set"),
        ("Branch", inst.branch), ("SWIFT/BIC", inst.swift),
        ("Address", f"{inst.address}, {inst.city}, {inst.country}"),
        ("Reporting person", inst.reporting_person), ("E-mail", inst.reporting_email),
        ("Local currency", inst.currency)]))
    sections.append("<h2>2. Case</h2>" + _kv([
        ("Case", report.case_id), ("Title", report.case_title),
        ("Opened", _when(report.opened_at)), ("Closed", _when(report.closed_at)),
        ("Closed by", report.closed_by), ("Outcome", "confirmed risk"),
        ("Risk label", report.risk_label), ("Owner", report.owner),
        ("Activity reported", f"{_when(report.window_start)} to {_when(report.window_end)}")
    ]))
    rows = [[f'<span class="subject">{_e(s.customer_id)}</span>', _e(s.name),
             "entity" if s.is_entity else "person", _e(s.segment), _e(s.industry or ""),
             _e(" / ".join(x for x in (s.country, s.region) if x)),
             _e(s.birth_year or ""), _e(s.kyc_status or ""), _e(s.onboarding_date or ""),
             _e(f"{s.score:.1f}" if s.score is not None else ""), _e(s.tier or "")]
            for s in report.subjects]
    sections.append(f"<h2>3. Subjects ({len(report.subjects)})</h2>" + _table(
        ["customer", "name", "kind", "segment", "industry", "country / region", "born",
         "KYC", "customer since", "score", "tier"], rows,
        classes=["id", "", "", "", "", "", "num", "", "date", "num", ""]))
    rows = [[_e(a.account_id), _e(a.account_type), _e(a.currency), _e(a.opened or ""),
             _e(a.closed or ""), _e(a.status),
             "<br>".join(f"{_e(h.name)} <span class='muted'>({_e(h.customer_id)}, "
                         f"{_e(h.role)})</span>" for h in a.holders)]
            for a in report.accounts]
    sections.append(f"<h2>4. Accounts ({len(report.accounts)})</h2>" + _table(
        ["account", "type", "currency", "opened", "closed", "status", "holders"], rows,
        classes=["id", "", "", "date", "date", "", ""]))
    sections.append(_identifiers_html(report))
    sections.append(_transactions_html(report))
    sections.append(_grounds_html(report))
    notes = "".join(f'<div class="note"><div class="meta">{_e(_when(n.at))} · {_e(n.by)}</div>'
                    f"{_e(n.text)}</div>" for n in report.narrative)
    sections.append(f"<h2>8. Narrative <span class='muted'>({_e(report.narrative_source)})"
                    f"</span></h2>" + (notes or '<p class="muted">No narrative: add one '
                                       "(--narrative FILE) before filing.</p>")
                    + f"<p><b>Action taken.</b> {_e(report.action)}</p>")
    todo = "".join(f"<li>{_e(item)}</li>" for item in report.to_fill)
    sections.append("<h2>9. What is left to fill in before filing</h2>"
                    f'<ul class="todo">{todo}</ul>')
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f"<title>STR {_e(report.case_id)}</title><style>{_CSS}</style></head><body>"
        f"<header><h1>Suspicious transaction report — {_e(report.case_id)}</h1>"
        f'<p class="sub">{_e(inst.name)} · goAML report code STR · generated '
        f"{_e(_when(report.generated_at))} by {_e(report.generated_by)}</p>"
        '<span class="banner">CONFIDENTIAL — personal data; do not tell the customer '
        "(tipping-off)</span></header>" + "".join(sections)
        + f"<footer>Written by GraphRisk from case {_e(report.case_id)}. The XML beside this "
        "page follows the goAML report layout; check it and complete the items in section 9 "
        "in goAML before submitting.</footer></body></html>\n")


#: Identifier kinds as the page's columns, in this order.
_KIND_COLUMNS = (("phone", "phone"), ("email", "e-mail"), ("address", "address"),
                 ("device", "device"), ("ip", "IP"))


def _identifiers_html(report: StrReport) -> str:
    """One row per subject, one column per kind: a person compares subjects at a glance
    (a shared device or address stands out)."""
    by_subject: dict[str, dict[str, list[str]]] = {}
    for line in report.identifiers:
        seen = (f"<span class='since'>since {_e(line.first_seen[:10])}</span>"
                if line.first_seen else "")
        by_subject.setdefault(line.customer_id, {}).setdefault(line.kind, []).append(
            _e(line.value) + seen)
    rows = [[_e(s.customer_id)] + ["<br>".join(by_subject.get(s.customer_id, {}).get(kind, []))
                                   for kind, _ in _KIND_COLUMNS]
            for s in report.subjects if s.customer_id in by_subject]
    head = ["customer", *(label for _, label in _KIND_COLUMNS)]
    return (f"<h2>5. Identifiers ({len(report.identifiers)})</h2>"
            + (_table(head, rows, classes=["id"]) if rows
               else '<p class="muted">None recorded.</p>'))


def _transactions_html(report: StrReport) -> str:
    def side(p: Party) -> str:
        if p.kind == "account":
            name = f'<span class="subject">{_e(p.name)}</span>' if p.is_subject else _e(p.name)
            return f"{_e(p.ref)}<br>{name}"
        if p.kind == "counterparty":
            return f"{_e(p.name)}<br><span class='muted'>{_e(p.counterparty_kind or '')}" \
                   f"{' · ' + _e(p.country) if p.country else ''}</span>"
        return "<span class='muted'>unknown</span>"

    rows = [[_e(t.at.replace("T", " ")), _e(t.transaction_id), side(t.source),
             side(t.target), _money(t.amount), _e(t.currency), _e(t.channel),
             _e(t.transaction_type)] for t in report.transactions]
    sent = sum(t.amount for t in report.transactions if t.source.is_subject
               and not t.target.is_subject and t.currency == report.institution.currency)
    received = sum(t.amount for t in report.transactions if t.target.is_subject
                   and not t.source.is_subject and t.currency == report.institution.currency)
    between = sum(t.amount for t in report.transactions if t.source.is_subject
                  and t.target.is_subject and t.currency == report.institution.currency)
    cur = report.institution.currency
    summary = (f"<p>{len(report.transactions)} transactions of the subjects' accounts from "
               f"{_e(report.window_start[:10])} to {_e(report.window_end[:10])}, newest first. "
               f"Into the subjects' accounts from others: <b>{_money(received)} {_e(cur)}</b>; "
               f"out of them to others: <b>{_money(sent)} {_e(cur)}</b>; between the "
               f"subjects' own accounts: {_money(between)} {_e(cur)} (sums in {_e(cur)} "
               f"only).</p>")
    if report.capped:
        summary += (f"<p><b>Capped:</b> the window holds {report.transactions_in_window} "
                    f"transactions; the newest {len(report.transactions)} are listed.</p>")
    table = _table(["date (UTC)", "transaction", "from", "to", "amount", "cur.", "channel",
                    "type"], rows, classes=["date", "id", "", "", "num", "", "", ""])
    return (f"<h2>6. Transactions ({len(report.transactions)})</h2>" + summary
            + (table if rows else '<p class="muted">None in the window.</p>'))


def _grounds_html(report: StrReport) -> str:
    tags = "".join(f'<span class="tag">{_e(i)}</span>' for i in report.indicators)
    alerts = _table(["at", "rule", "customer", "what happened"],
                    [[_e(a.at[:16].replace("T", " ")), _e(a.rule), _e(a.customer_id),
                      _e(a.sentence)] for a in report.alerts],
                    classes=["date", "", "id", ""]) if report.alerts else ""
    # one typology shows in every member's reasons: each reason once, with its customers
    found: dict[str, list[str]] = {}
    for subject in report.subjects:
        for reason in subject.reasons:
            found.setdefault(reason, []).append(subject.customer_id)
    reasons = "".join(f"<li>{_e(text)} <span class='muted'>({_e(', '.join(who))})</span></li>"
                      for text, who in found.items())
    return ("<h2>7. Typologies and reasons</h2>"
            f"<p><b>Indicators:</b> {tags or '—'}</p>" + alerts
            + (f"<p><b>Risk reasons when the case opened:</b></p><ul>{reasons}</ul>"
               if reasons else ""))


# -- files -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class StrWritten:
    """Where a report went, and what the person writing it should know."""

    folder: Path
    xml: Path
    html: Path
    pdf: Path | None
    pdf_note: str | None
    transactions: int
    transactions_in_window: int
    warnings: tuple[str, ...]
    to_fill: tuple[str, ...]


def find_chromium() -> Path | None:
    """Debian's chromium (``/usr/bin/chromium``), else a ``chromium`` on PATH, else None."""
    if CHROMIUM.exists():
        return CHROMIUM
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    return Path(found) if found else None


def _write_private(path: Path, data: bytes) -> None:
    """Write ``data`` owner-only (0o600: the report holds personal data), replacing ``path``
    only once the whole file is written."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _print_pdf(chromium: Path, page: Path, target: Path) -> str | None:
    """Print ``page`` to ``target`` with headless chromium; a note when it could not."""
    with tempfile.TemporaryDirectory(prefix="graphrisk-chromium-") as profile:
        command = [str(chromium), "--headless", "--no-sandbox", "--disable-gpu",
                   f"--user-data-dir={profile}", "--no-pdf-header-footer",
                   f"--print-to-pdf={target}", page.resolve().as_uri()]
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=120,
                                  check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            return f"no PDF: chromium did not run ({exc})"
    if done.returncode != 0 or not target.exists() or target.stat().st_size == 0:
        target.unlink(missing_ok=True)
        tail = (done.stderr or "").strip().splitlines()[-1:] or ["no message"]
        return f"no PDF: chromium exited {done.returncode} ({tail[0]})"
    os.chmod(target, 0o600)
    return None


def _read_narrative(path: Path) -> str:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read the narrative file {path}: {exc}; give a UTF-8 text "
                          "file") from exc
    if not text.strip():
        raise ConfigError(f"the narrative file {path} is empty; write the investigator's "
                          "account of the case in it, or leave --narrative out to use the "
                          "case notes")
    return text


def write_str_report(service: RiskService, case_id: str, *, out: Path | None = None,
                     narrative_file: Path | None = None, pdf: bool = True,
                     actor: str | None = None, chromium: Path | None = None,
                     now: datetime | None = None) -> StrWritten:
    """Write the STR of a confirmed case as goAML XML, HTML and (where chromium is) PDF.

    The XML is validated before anything is written: a report that fails writes no file.
    The files are owner-only; the report is recorded in the audit trail (action
    ``report.str``, subject ``case:<id>``) with the paths and the transaction count.

    Args:
        service: the open service.
        case_id: the case, closed as ``confirmed_risk``.
        out: the folder (default ``$GRAPHRISK_HOME/reports/str-<case>/``).
        narrative_file: a UTF-8 text file whose contents replace the case notes.
        pdf: also print a PDF (skipped, with a note, where chromium is not installed).
        actor: who writes it (default: the configured user).
        chromium: the browser to print with (default: :func:`find_chromium`).
        now: the report's time stamp (tests).

    Raises:
        NotFoundError: no such case.
        CaseRuleError: the case is not closed as ``confirmed_risk``.
        ConfigError: the narrative file cannot be read or is empty.
        ReportValidationError: the XML lacks a required element (nothing is written).
        GraphRiskError: the output folder cannot be made.
    """
    who = actor or service.monitoring.actor
    case = service.monitoring.case(case_id)
    check_reportable(case)
    narrative = _read_narrative(narrative_file) if narrative_file is not None else None
    alerts = []
    for alert_id in case.alert_ids:
        try:
            alerts.append(service.monitoring.alert(alert_id))
        except NotFoundError:
            logger.warning("case %s names alert %s, which is gone", case_id, alert_id)
    report = build_str_report(
        case, alerts, service.store.region_snapshot(case.subjects),
        Institution.from_settings(service.settings), generated_by=who, narrative=narrative,
        narrative_source=str(narrative_file) if narrative_file else None, now=now)
    xml = render_goaml(report)
    warnings = validate_goaml(xml)
    page = render_html(report).encode("utf-8")

    folder = Path(out) if out is not None else service.settings.reports_dir / f"str-{case_id}"
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError as exc:
        raise GraphRiskError(f"cannot make the report folder {folder}: {exc}; choose another "
                             "with --out") from exc
    if not folder.is_dir():
        raise GraphRiskError(f"{folder} is not a folder; choose another with --out")
    xml_path, html_path = folder / f"str-{case_id}.xml", folder / f"str-{case_id}.html"
    _write_private(xml_path, xml)
    _write_private(html_path, page)
    pdf_path: Path | None = None
    note: str | None = None
    if pdf:
        browser = chromium or find_chromium()
        if browser is None:
            note = ("no PDF: chromium is not installed (Debian: apt-get install chromium); "
                    "print the HTML from a browser, or pass --no-pdf")
        else:
            target = folder / f"str-{case_id}.pdf"
            note = _print_pdf(browser, html_path, target)
            pdf_path = None if note else target
    service.record_access(who, AUDIT_ACTION, f"case:{case_id}", {
        "xml": str(xml_path), "html": str(html_path),
        "pdf": str(pdf_path) if pdf_path else None,
        "transactions": len(report.transactions),
        "transactions_in_window": report.transactions_in_window,
        "subjects": list(case.subjects)})
    return StrWritten(folder, xml_path, html_path, pdf_path, note, len(report.transactions),
                      report.transactions_in_window, tuple(warnings), report.to_fill)

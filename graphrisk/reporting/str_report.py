"""The suspicious-activity report (STR/SAR) of a confirmed case: its content, HTML and files.

Why a report of its own: when an investigation confirms the risk, the bank must tell its
financial intelligence unit (FIU), usually through goAML. Gathering who, which accounts,
which payments and why by hand from the tool's screens is slow and error-prone; this module
gathers them from the case and the store into one :class:`StrReport`, which
:mod:`graphrisk.reporting.goaml` writes as goAML XML and :mod:`graphrisk.reporting.str_html`
as a page a person reads and checks before filing.

The split: :func:`build_str_report` here is a pure function of the case, its alerts and the
subjects' region of the graph (no store, no clock unless given);
:func:`graphrisk.reporting.service.write_str_report` reads those through the service,
validates the XML before anything is written, writes the files owner-only and records the
report in the audit trail.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Literal

import pandas as pd

from graphrisk.monitoring.casework import CaseRuleError
from graphrisk.monitoring.records import Alert, Case

if TYPE_CHECKING:
    from graphrisk.config import Settings
    from graphrisk.graph import GraphSnapshot

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
    "SubjectLine",
    "TransactionLine",
    "build_str_report",
    "check_reportable",
    "utc_time",
]

#: The audit trail's action for a written report.
AUDIT_ACTION = "report.str"
#: How far before the case's first alert the reported activity starts.
LOOKBACK_DAYS = 90
#: The most transactions one report lists (newest first); the report says when it cut.
MAX_TRANSACTIONS = 500
#: Segments reported as legal entities (goAML t_entity); the others are persons.
ENTITY_SEGMENTS = frozenset({"sme", "corporate"})


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


def utc_time(value: object) -> pd.Timestamp:
    """A time as UTC (a time without a zone is UTC, as the input format says)."""
    stamp = pd.Timestamp(str(value))
    return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")


def _iso(value: datetime | pd.Timestamp) -> str:
    """goAML's date-time form (``sql_date``): ``YYYY-MM-DDTHH:MM:SS``, UTC, no zone."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")


def _window(case: Case, alerts: Sequence[Alert], days: int
            ) -> tuple[pd.Timestamp, pd.Timestamp]:
    """From ``days`` before the earliest alert's event (else the opening) to the close."""
    first = min((utc_time(a.at) for a in alerts), default=utc_time(case.opened_at))
    return first - timedelta(days=days), utc_time(case.closed_at or case.opened_at)


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

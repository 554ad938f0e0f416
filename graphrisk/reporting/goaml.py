"""An STR in the goAML XML report layout, and the checks it passes before it is written.

goAML (UNODC) is the reporting system many financial intelligence units run; each FIU
publishes its own variant of one XML schema (``goAMLSchema.xsd``, versions 4.0 to 5.2). The
element names and their order here follow that schema's ``<report>`` element as published
in FIU schemas 5.0.1 and 5.0.2 (docs/str.md names the sources and lists which elements are
filled and which are left to the person filing). No FIU's XSD ships with GraphRisk, so
:func:`validate_goaml` checks what every variant requires of what this module writes: the
XML is well formed, the elements come in the schema's order, every required element is
there and not empty, amounts are numbers and dates are goAML's ISO form.
"""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET
from typing import TYPE_CHECKING

from graphrisk.errors import GraphRiskError

if TYPE_CHECKING:
    from graphrisk.reporting.str_report import (
        AccountLine,
        IdentifierLine,
        Party,
        StrReport,
        SubjectLine,
        TransactionLine,
    )

__all__ = [
    "REPORT_ORDER",
    "TRANSACTION_ORDER",
    "ReportValidationError",
    "render_goaml",
    "validate_goaml",
]

#: The children of ``<report>`` this module writes, in the schema's order (``transaction``
#: repeats). Optional ones the schema also allows (fiu_ref_number, activity, ...) are not
#: written.
REPORT_ORDER: tuple[str, ...] = (
    "rentity_id", "rentity_branch", "submission_code", "report_code", "entity_reference",
    "submission_date", "currency_code_local", "reporting_person", "location", "reason",
    "action", "transaction", "report_indicators",
)
#: The children of ``<transaction>``, in the schema's order.
TRANSACTION_ORDER: tuple[str, ...] = (
    "transactionnumber", "transaction_location", "transaction_description",
    "date_transaction", "transmode_code", "amount_local", "t_from_my_client", "t_from",
    "t_to_my_client", "t_to", "comments",
)
_TRANSACTION_REQUIRED = ("transactionnumber", "transaction_location",
                         "transaction_description", "date_transaction", "transmode_code",
                         "amount_local")
#: goAML's ``sql_date``: a date and time without a zone.
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$")
_AMOUNT = re.compile(r"^-?\d+(\.\d+)?$")
_DATE_TAGS = frozenset({"submission_date", "date_transaction", "opened", "closed"})
#: ``submission_code``: E, filed electronically (M: on paper).
SUBMISSION_CODE = "E"
REPORT_CODE = "STR"


class ReportValidationError(GraphRiskError):
    """The report's XML breaks a rule of the goAML layout; nothing was written.

    ``element`` is the path of the element at fault (``report/transaction[3]/amount_local``).
    """

    def __init__(self, element: str, problem: str) -> None:
        self.element = element
        super().__init__(f"the STR is not valid: <{element}> {problem}; nothing was written")


# -- writing -----------------------------------------------------------------------------------
def _add(parent: ET.Element, tag: str, text: object | None = None) -> ET.Element:
    child = ET.SubElement(parent, tag)
    if text is not None:
        child.text = str(text)
    return child


def render_goaml(report: StrReport) -> bytes:
    """The report as goAML XML (UTF-8, with its declaration, indented).

    Each transaction names both sides: a subject's account as ``t_from_my_client`` /
    ``t_to_my_client`` with its holders in full; any other account (``t_account``) or an
    outside counterparty (``t_entity``) as ``t_from`` / ``t_to`` with only what identifies
    it — the report is about the subjects, not about everyone they paid.
    """
    inst = report.institution
    root = ET.Element("report")
    _add(root, "rentity_id", inst.rentity_id)
    _add(root, "rentity_branch", inst.branch)
    _add(root, "submission_code", SUBMISSION_CODE)
    _add(root, "report_code", REPORT_CODE)
    _add(root, "entity_reference", report.case_id)
    _add(root, "submission_date", report.generated_at)
    _add(root, "currency_code_local", inst.currency)
    person = _add(root, "reporting_person")
    first, _, last = inst.reporting_person.strip().rpartition(" ")
    _add(person, "first_name", first or last)
    _add(person, "last_name", last)
    if inst.reporting_email:
        _add(person, "email", inst.reporting_email)
    location = _add(root, "location")
    _add(location, "address", inst.address)
    _add(location, "city", inst.city)
    _add(location, "country_code", inst.country)
    _add(root, "reason", report.reason)
    _add(root, "action", report.action)
    accounts = {a.account_id: a for a in report.accounts}
    subjects = {s.customer_id: s for s in report.subjects}
    identifiers: dict[str, list[IdentifierLine]] = {}
    for line in report.identifiers:
        identifiers.setdefault(line.customer_id, []).append(line)
    for transaction in report.transactions:
        _transaction(root, transaction, report, accounts, subjects, identifiers)
    indicators = _add(root, "report_indicators")
    for indicator in report.indicators:
        _add(indicators, "indicator", indicator)
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"


def _transaction(root: ET.Element, t: TransactionLine, report: StrReport,
                 accounts: dict[str, AccountLine], subjects: dict[str, SubjectLine],
                 identifiers: dict[str, list[IdentifierLine]]) -> None:
    local = report.institution.currency
    node = _add(root, "transaction")
    _add(node, "transactionnumber", t.transaction_id)
    _add(node, "transaction_location", t.channel)
    _add(node, "transaction_description", f"{t.transaction_type} via {t.channel}")
    _add(node, "date_transaction", t.at)
    _add(node, "transmode_code", t.channel)
    _add(node, "amount_local", f"{t.amount:.2f}")
    for prefix, party in (("from", t.source), ("to", t.target)):
        _side(node, prefix, party, t, report, accounts, subjects, identifiers)
    if t.currency != local:
        _add(node, "comments", f"amount_local is {t.amount:.2f} {t.currency}, not converted "
                               f"to {local}: convert it and add the foreign currency")


def _side(node: ET.Element, prefix: str, party: Party, t: TransactionLine, report: StrReport,
          accounts: dict[str, AccountLine], subjects: dict[str, SubjectLine],
          identifiers: dict[str, list[IdentifierLine]]) -> None:
    inst = report.institution
    mine = party.kind == "account" and party.ref in accounts
    side = _add(node, f"t_{prefix}_my_client" if mine else f"t_{prefix}")
    _add(side, f"{prefix}_funds_code", t.transaction_type)
    country = inst.country
    if mine:
        _account_my_client(_add(side, f"{prefix}_account"), accounts[party.ref], report,
                           subjects, identifiers)
    elif party.kind == "account":
        account = _add(side, f"{prefix}_account")
        _add(account, "institution_name", inst.name)
        _add(account, "swift", inst.swift)
        _add(account, "account", party.ref)
        _add(account, "account_name", party.name)
    else:
        entity = _add(side, f"{prefix}_entity")
        _add(entity, "name", party.name)
        if party.country:
            _add(entity, "incorporation_country_code", party.country)
            country = party.country
        _add(entity, "comments", f"counterparty {party.ref or 'not recorded'}"
                                 f" ({party.counterparty_kind or 'kind unknown'})"
                                 + ("" if party.country else "; country not recorded, the "
                                    "bank's own given"))
    _add(side, f"{prefix}_country", country)


def _account_my_client(node: ET.Element, account: AccountLine, report: StrReport,
                       subjects: dict[str, SubjectLine],
                       identifiers: dict[str, list[IdentifierLine]]) -> None:
    """``t_account_my_client``: the subject's account with its holders in full."""
    inst = report.institution
    _add(node, "institution_name", inst.name)
    _add(node, "swift", inst.swift)
    _add(node, "non_bank_institution", "false")
    _add(node, "branch", inst.branch)
    _add(node, "account", account.account_id)
    _add(node, "currency_code", account.currency)
    _add(node, "account_name", ", ".join(h.name for h in account.holders)[:255])
    _add(node, "client_number", account.owner_id[:30])
    _add(node, "personal_account_type", account.account_type)
    owner = subjects.get(account.owner_id)
    if owner is not None and owner.is_entity:
        _entity(_add(node, "t_entity"), owner, identifiers.get(owner.customer_id, []))
    for holder in account.holders:
        subject = subjects.get(holder.customer_id)
        if subject is not None and subject.is_entity:
            continue
        signatory = _add(node, "signatory")
        if holder.role == "owner":
            _add(signatory, "is_primary", "1")
        person = _add(signatory, "t_person")
        if subject is not None:
            _person(person, subject, identifiers.get(subject.customer_id, []))
        else:
            first, _, last = holder.name.strip().rpartition(" ")
            _add(person, "first_name", first or last)
            _add(person, "last_name", last)
            _add(person, "comments", f"GraphRisk customer {holder.customer_id}; not a subject")
        _add(signatory, "role", holder.role)
    if account.opened:
        _add(node, "opened", f"{account.opened[:10]}T00:00:00")
    if account.closed:
        _add(node, "closed", f"{account.closed[:10]}T00:00:00")
    _add(node, "status_code", account.status)


def _contacts(node: ET.Element, country: str | None, lines: list[IdentifierLine]) -> None:
    """Phones, addresses and e-mails, in the order t_person and t_entity both use."""
    phones = [i for i in lines if i.kind == "phone"]
    addresses = [i for i in lines if i.kind == "address"]
    if phones:
        block = _add(node, "phones")
        for line in phones:
            _add(_add(block, "phone"), "tph_number", line.value)
    if addresses:
        block = _add(node, "addresses")
        for line in addresses:
            address = _add(block, "address")
            _add(address, "address", line.value)
            if country:
                _add(address, "country_code", country)


def _emails(node: ET.Element, lines: list[IdentifierLine]) -> None:
    for line in [i for i in lines if i.kind == "email"][:5]:  # the schema allows five
        _add(node, "email", line.value)


def _about(subject: SubjectLine, lines: list[IdentifierLine]) -> str:
    """What the schema has no element for, as the party's comments."""
    parts = [f"GraphRisk customer {subject.customer_id}", f"segment {subject.segment}"]
    if subject.region:
        parts.append(f"region {subject.region}")
    if subject.birth_year:
        parts.append(f"born {subject.birth_year} (year only)")
    if subject.kyc_status:
        parts.append(f"KYC {subject.kyc_status}")
    if subject.onboarding_date:
        parts.append(f"customer since {subject.onboarding_date[:10]}")
    for kind, label in (("device", "devices"), ("ip", "IP addresses")):
        values = [i.value for i in lines if i.kind == kind]
        if values:
            parts.append(f"{label}: {', '.join(values)}")
    if subject.score is not None:
        parts.append(f"GraphRisk score {subject.score:.1f} ({subject.tier}) when the case "
                     "opened")
    return "; ".join(parts)


def _person(node: ET.Element, subject: SubjectLine, lines: list[IdentifierLine]) -> None:
    """``t_person_my_client``: what the store knows, in the schema's order."""
    first, last = subject.first_last
    _add(node, "first_name", first)
    _add(node, "last_name", last)
    if subject.country:
        _add(node, "residence", subject.country)
    _contacts(node, subject.country, lines)
    _emails(node, lines)
    _add(node, "comments", _about(subject, lines))


def _entity(node: ET.Element, subject: SubjectLine, lines: list[IdentifierLine]) -> None:
    """``t_entity_my_client``: a company subject."""
    _add(node, "name", subject.name)
    if subject.industry:
        _add(node, "business", subject.industry)
    _contacts(node, subject.country, lines)
    _emails(node, lines)
    if subject.country:
        _add(node, "incorporation_country_code", subject.country)
    _add(node, "comments", _about(subject, lines))


# -- checking ----------------------------------------------------------------------------------
def validate_goaml(xml: bytes) -> list[str]:
    """Check an STR's XML before it is written; the warnings a person should see.

    Raises:
        ReportValidationError: not well formed, an element out of the schema's order, a
            required element missing or empty, an amount that is not a number, or a date
            not in goAML's ``YYYY-MM-DDTHH:MM:SS`` form; the message names the element.

    Returns:
        Warnings: values still at the shipped placeholders (``GRAPHRISK_STR_*``).
    """
    try:
        root = ET.fromstring(xml)
    except ET.ParseError as exc:
        raise ReportValidationError("report", f"is not well-formed XML ({exc})") from exc
    if root.tag != "report":
        raise ReportValidationError(root.tag, "is not a goAML report (the root must be "
                                    "<report>)")
    _check_order(root, REPORT_ORDER, "report")
    for name in REPORT_ORDER:
        if name != "transaction":
            _required(root, name, "report")
    for name in ("reporting_person/first_name", "reporting_person/last_name",
                 "location/address", "location/city", "location/country_code"):
        _required(root, name, "report")
    rentity = root.findtext("rentity_id", "").strip()
    if not rentity.isdigit():
        raise ReportValidationError("report/rentity_id", f"must be a whole number, not "
                                    f"{rentity!r} (GRAPHRISK_STR_INSTITUTION_ID)")
    if root.findtext("report_code") != REPORT_CODE:
        raise ReportValidationError("report/report_code", f"must be {REPORT_CODE}")
    if not re.fullmatch(r"[A-Z]{3}", root.findtext("currency_code_local", "")):
        raise ReportValidationError("report/currency_code_local", "must be an ISO 4217 code "
                                    "such as EUR")
    transactions = root.findall("transaction")
    if not transactions:
        raise ReportValidationError(
            "report/transaction", "is missing: an STR lists at least one transaction, and "
            "the subjects' accounts have none in the reported window (90 days before the "
            "first alert to the close); report the case in goAML by hand as an activity "
            "report")
    for number, transaction in enumerate(transactions, start=1):
        _check_transaction(transaction, f"report/transaction[{number}]")
    indicators = root.find("report_indicators")
    assert indicators is not None  # _required checked it
    if not [i for i in indicators.findall("indicator") if (i.text or "").strip()]:
        raise ReportValidationError("report/report_indicators/indicator", "is missing: "
                                    "at least one indicator is required")
    for element in root.iter():
        if element.tag in _DATE_TAGS and not _DATE.match((element.text or "").strip()):
            raise ReportValidationError(element.tag, f"must be a date as YYYY-MM-DDTHH:MM:SS, "
                                        f"not {element.text!r}")
    return _placeholders(root)


def _required(parent: ET.Element, path: str, where: str) -> ET.Element:
    """The element at ``path`` under ``parent``, which must be there and not empty."""
    element = parent.find(path)
    if element is None:
        raise ReportValidationError(f"{where}/{path}", "is missing")
    if len(element) == 0 and not (element.text or "").strip():
        raise ReportValidationError(f"{where}/{path}", "is empty")
    return element


def _check_order(parent: ET.Element, order: tuple[str, ...], where: str) -> None:
    rank = {name: i for i, name in enumerate(order)}
    last = -1
    for child in parent:
        if child.tag not in rank:
            raise ReportValidationError(f"{where}/{child.tag}", "is not an element this "
                                        f"report writes here (expected {', '.join(order)})")
        if rank[child.tag] < last:
            raise ReportValidationError(f"{where}/{child.tag}", f"is out of order: goAML's "
                                        f"order is {', '.join(order)}")
        last = rank[child.tag]


def _check_transaction(node: ET.Element, where: str) -> None:
    _check_order(node, TRANSACTION_ORDER, where)
    for name in _TRANSACTION_REQUIRED:
        _required(node, name, where)
    amount = node.findtext("amount_local", "").strip()
    if not _AMOUNT.match(amount) or not math.isfinite(float(amount)):
        raise ReportValidationError(f"{where}/amount_local", f"must be a number, not "
                                    f"{amount!r}")
    for prefix in ("from", "to"):
        sides = [c for c in node if c.tag in (f"t_{prefix}", f"t_{prefix}_my_client")]
        if len(sides) != 1:
            raise ReportValidationError(f"{where}/t_{prefix}", "is missing: a transaction "
                                        f"has one {prefix} side (t_{prefix} or "
                                        f"t_{prefix}_my_client)" if not sides else
                                        "appears twice")
        side, path = sides[0], f"{where}/{sides[0].tag}"
        _required(side, f"{prefix}_funds_code", path)
        _required(side, f"{prefix}_country", path)
        parties = [c for c in side if c.tag in (f"{prefix}_account", f"{prefix}_person",
                                                f"{prefix}_entity")]
        if len(parties) != 1:
            raise ReportValidationError(f"{path}/{prefix}_account", "is missing: the side "
                                        f"names one {prefix}_account, {prefix}_person or "
                                        f"{prefix}_entity")
        party, at = parties[0], f"{path}/{parties[0].tag}"
        if party.tag.endswith("_account"):
            for name in ("institution_name", "account"):
                _required(party, name, at)
        elif party.tag.endswith("_entity"):
            _required(party, "name", at)
        else:
            for name in ("first_name", "last_name"):
                _required(party, name, at)


def _placeholders(root: ET.Element) -> list[str]:
    """Warnings for the shipped placeholder values still in the report."""
    from graphrisk.config import Settings

    defaults = {name: field.default for name, field in Settings.model_fields.items()
                if name.startswith("str_")}
    checks = [
        ("rentity_id", str(defaults["str_institution_id"]), "GRAPHRISK_STR_INSTITUTION_ID"),
        ("rentity_branch", defaults["str_institution_branch"],
         "GRAPHRISK_STR_INSTITUTION_BRANCH"),
        ("location/address", defaults["str_institution_address"],
         "GRAPHRISK_STR_INSTITUTION_ADDRESS"),
        ("location/city", defaults["str_institution_city"], "GRAPHRISK_STR_INSTITUTION_CITY"),
        ("location/country_code", defaults["str_institution_country"],
         "GRAPHRISK_STR_INSTITUTION_COUNTRY"),
        (".//institution_name", defaults["str_institution_name"],
         "GRAPHRISK_STR_INSTITUTION_NAME"),
        (".//swift", defaults["str_institution_swift"], "GRAPHRISK_STR_INSTITUTION_SWIFT"),
    ]
    warnings = [f"<{path.removeprefix('.//')}> is the placeholder {value!r}: set {setting}"
                for path, value, setting in checks if root.findtext(path) == value]
    person = " ".join(filter(None, (root.findtext("reporting_person/first_name"),
                                    root.findtext("reporting_person/last_name"))))
    if person == defaults["str_reporting_person"]:
        warnings.append(f"<reporting_person> is the placeholder {person!r}: set "
                        "GRAPHRISK_STR_REPORTING_PERSON")
    return warnings

"""Synthetic identities: one person behind several customer records, with the answer key.

Why a step of its own, drawn from its own random generator: entity resolution must be tested
on records that are the same person written another way — a typo, a nickname, an initial,
the names swapped, another transliteration — with the same (or a neighbouring) birth year
and phones, e-mails and addresses that are equal, written differently, or new. The records
are appended after the bank is built, from
``numpy.random.default_rng([seed, IDENTITY_SEED_SALT])``, so every customer of the bank
stays byte-identical for a seed; only rows are added (customers, their identifiers, one
account each, a row of the ground truth) and ``truth/same_person.csv``
(``customer_id, person_id``: every record of a planted person, the original included).

The realistic synthetic-identity case is a person the bank already knows as risky (exited,
or confirmed fraud) coming back under a variant of their name. So about a third of the
planted persons (:data:`RISKY_PERSON_SHARE`) are drawn from customers that carry a
``known_risk_label``; their extra records are risky in the truth (``risky`` = 1, typology
:data:`SYNTHETIC_IDENTITY_TYPOLOGY`, ``group_id`` the person id, role ``duplicate``) and
carry no ``known_risk_label`` (the bank does not know). The other persons are drawn from
customers that are neither labelled nor risky in the truth, and their extra records are
``normal``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pyarrow as pa

from .identifiers import _address_text, _phone_text
from .lookups import COUNTRY_CITY, COUNTRY_PHONE, EMAIL_DOMAINS, FIRST_NAMES, LAST_NAMES
from .name_variants import NICKNAMES, TRANSLITERATIONS, initial_of, typo

__all__ = [
    "IDENTITY_SEED_SALT",
    "IDENTITY_VARIANTS",
    "RISKY_PERSON_SHARE",
    "SAME_PERSON_COLUMNS",
    "SYNTHETIC_IDENTITY_ROLE",
    "SYNTHETIC_IDENTITY_TYPOLOGY",
    "SyntheticIdentities",
    "add_synthetic_identities",
]

#: Mixed into the seed of this step's own random generator.
IDENTITY_SEED_SALT = 0x1D3E77
#: How an extra record writes the person's name.
IDENTITY_VARIANTS: tuple[str, ...] = ("typo", "nickname", "initials", "swapped",
                                      "transliteration")
SAME_PERSON_COLUMNS: tuple[str, ...] = ("customer_id", "person_id", "variant")
#: Share of the bank's people who get extra records.
PERSON_SHARE = 0.01
#: Share of the planted persons drawn from customers the bank knows as risky
#: (``known_risk_label``): their extra records are risky synthetic identities.
RISKY_PERSON_SHARE = 1 / 3
#: ``typology`` and ``role`` in ``ground_truth`` of an extra record of a known-risky person.
SYNTHETIC_IDENTITY_TYPOLOGY = "synthetic_identity"
SYNTHETIC_IDENTITY_ROLE = "duplicate"
#: Identifier bases of the new records: far above any base the bank uses.
_NEW_BASE = 70_000_000
_POOL_NAMES = frozenset(FIRST_NAMES) | frozenset(LAST_NAMES)


@dataclass(frozen=True)
class SyntheticIdentities:
    """The bank's tables with the extra records appended, and the answer key.

    Attributes:
        tables: entity tables (``customers``, ``identifiers``, ``accounts`` grown).
        truth: truth tables (``ground_truth`` grown, ``same_person`` added).
        persons: planted persons.
        records: extra customer records.
    """

    tables: dict[str, pa.Table]
    truth: dict[str, pa.Table]
    persons: int
    records: int


def add_synthetic_identities(seed: int, tables: dict[str, pa.Table],
                             truth: dict[str, pa.Table]) -> SyntheticIdentities:
    """Append 1–3 extra customer records for about 1% of the bank's people.

    A third of those people (:data:`RISKY_PERSON_SHARE`, fewer if the bank labels fewer)
    are customers with a ``known_risk_label``: their extra records are risky
    (:data:`SYNTHETIC_IDENTITY_TYPOLOGY`) in the truth and unlabelled in ``customers``. The
    others are customers neither labelled nor risky; their extra records are ``normal``.

    Args:
        seed: the bank's seed (this step mixes in :data:`IDENTITY_SEED_SALT`).
        tables: the bank's entity tables; not changed (new tables are returned).
        truth: the bank's truth tables; not changed.

    Returns:
        The grown tables and ``truth/same_person``.
    """
    rng = np.random.default_rng([seed, IDENTITY_SEED_SALT])
    customers = tables["customers"].to_pylist()
    by_customer: dict[str, list[dict]] = {}
    for row in tables["identifiers"].to_pylist():
        by_customer.setdefault(row["customer_id"], []).append(row)
    first_account, people = _people(customers, tables["accounts"])
    risky_truth = {row["customer_id"] for row in truth["ground_truth"].to_pylist()
                   if row["risky"]}
    known = [i for i in people if customers[i]["known_risk_label"] is not None]
    plain = [i for i in people if customers[i]["known_risk_label"] is None
             and customers[i]["customer_id"] not in risky_truth]
    size = max(2, round(PERSON_SHARE * len(customers)))
    n_known = min(len(known), round(RISKY_PERSON_SHARE * size))
    returning = set(rng.choice(known, size=n_known, replace=False).tolist()) if n_known else set()
    chosen = sorted(returning | set(rng.choice(plain, size=size - n_known,
                                               replace=False).tolist()))
    last_onboarding = max(c["onboarding_date"] for c in customers)
    next_customer, next_account = len(customers), tables["accounts"].num_rows
    new_customers: list[dict] = []
    new_identifiers: list[dict] = []
    new_accounts: list[dict] = []
    same_person: list[dict] = []
    person_of: dict[str, str | None] = {}  # extra record -> its person, if known-risky
    for number, index in enumerate(chosen):
        original = customers[index]
        person_id = f"SP{number:06d}"
        same_person.append({"customer_id": original["customer_id"], "person_id": person_id,
                            "variant": "original"})
        for _ in range(int(rng.choice([1, 2, 3], p=[0.6, 0.3, 0.1]))):
            variant, name = _variant_name(rng, original["name"])
            customer_id = f"C{next_customer:07d}"
            next_customer += 1
            onboarded = min(date.fromisoformat(original["onboarding_date"])
                            + timedelta(days=int(rng.integers(30, 900))),
                            date.fromisoformat(last_onboarding)).isoformat()
            year = original["birth_year"]
            if rng.random() < 0.15:
                year += int(rng.choice([-1, 1]))
            new_customers.append({**original, "customer_id": customer_id, "name": name,
                                  "birth_year": year, "onboarding_date": onboarded,
                                  "known_risk_label": None, "known_risk_source": None})
            new_identifiers += _identifiers(rng, by_customer.get(original["customer_id"], []),
                                            customer_id, name, original["country"],
                                            onboarded, _NEW_BASE + next_customer)
            new_accounts.append({**first_account[original["customer_id"]],
                                 "account_id": f"A{next_account:08d}",
                                 "customer_id": customer_id, "opened_date": onboarded,
                                 "closed_date": None, "status": "active"})
            next_account += 1
            same_person.append({"customer_id": customer_id, "person_id": person_id,
                                "variant": variant})
            person_of[customer_id] = person_id if index in returning else None
    grown = dict(tables)
    grown["customers"] = _append(tables["customers"], new_customers)
    grown["identifiers"] = _append(tables["identifiers"], new_identifiers)
    grown["accounts"] = _append(tables["accounts"], new_accounts)
    ground = truth["ground_truth"]
    rows = [_truth_row(row["customer_id"], person_of[row["customer_id"]])
            for row in new_customers]
    grown_truth = {**truth, "ground_truth": _append(ground, rows),
                   "same_person": pa.Table.from_pylist(
                       same_person, schema=pa.schema([(c, pa.string())
                                                      for c in SAME_PERSON_COLUMNS]))}
    return SyntheticIdentities(grown, grown_truth, len(chosen), len(new_customers))


def _people(customers: list[dict], accounts: pa.Table) -> tuple[dict[str, dict], list[int]]:
    """Each customer's first account (its row), and the positions of the customers who are
    people with a name from the generator's pools and an account: those a step can write
    under another name."""
    first_account: dict[str, dict] = {}
    for row in accounts.to_pylist():
        first_account.setdefault(row["customer_id"], row)
    people = [i for i, c in enumerate(customers) if c["birth_year"] is not None
              and _split(c["name"]) is not None and c["customer_id"] in first_account]
    return first_account, people


def _truth_row(customer_id: str, risky_person: str | None) -> dict:
    """The ground truth of an extra record: a risky synthetic identity when its person is
    known-risky (``risky_person`` is then the person id), else ``normal``."""
    if risky_person is None:
        return {"customer_id": customer_id, "risky": 0, "typology": "normal",
                "group_id": None, "role": None}
    return {"customer_id": customer_id, "risky": 1, "typology": SYNTHETIC_IDENTITY_TYPOLOGY,
            "group_id": risky_person, "role": SYNTHETIC_IDENTITY_ROLE}


def _append(table: pa.Table, rows: list[dict]) -> pa.Table:
    if not rows:
        return table
    return pa.concat_tables([table, pa.Table.from_pylist(rows, schema=table.schema)])


def _split(name: str) -> tuple[str, str] | None:
    given, _, family = name.partition(" ")
    return (given, family) if given in FIRST_NAMES and family in LAST_NAMES else None


def _variant_name(rng: np.random.Generator, name: str) -> tuple[str, str]:
    """A variant of the name and which it is; falls back to a typo, then to the name
    swapped, when the name has no nickname or other spelling."""
    given, family = _split(name) or ("", name)
    order = list(IDENTITY_VARIANTS)
    start = int(rng.integers(len(order)))
    for variant in order[start:] + order[:start]:
        if variant == "nickname" and given in NICKNAMES:
            options = NICKNAMES[given]
            return variant, f"{options[int(rng.integers(len(options)))]} {family}"
        if variant == "transliteration":
            parts = [p for p in (given, family) if p in TRANSLITERATIONS]
            if parts:
                part = parts[int(rng.integers(len(parts)))]
                spelt = TRANSLITERATIONS[part][int(rng.integers(len(TRANSLITERATIONS[part])))]
                return variant, (f"{spelt} {family}" if part == given else f"{given} {spelt}")
        if variant == "initials":
            return variant, f"{initial_of(given)} {family}"
        if variant == "swapped":
            return variant, f"{family} {given}"
        if variant == "typo":
            word = family if rng.random() < 0.7 else given
            out = typo(rng, word, _POOL_NAMES)
            if out is not None:
                return variant, (f"{given} {out}" if word == family else f"{out} {family}")
    return "swapped", f"{family} {given}"


def _identifiers(rng: np.random.Generator, originals: list[dict], customer_id: str,
                 name: str, country: str, seen: str, base: int) -> list[dict]:
    """Phone, e-mail and address of an extra record: each the original's (written another
    way), a neighbour (addresses), or new; at least one is shared or near, as a person
    opening a second record rarely changes everything."""
    first = {}
    for row in originals:
        first.setdefault(row["kind"], row["value"])
    phone = first.get("phone") if rng.random() < 0.55 else None
    email = first.get("email") if rng.random() < 0.35 else None
    draw = rng.random()
    address = first.get("address") if draw < 0.7 else None
    neighbour = draw >= 0.4
    if phone is None and email is None and address is None:
        address, neighbour = first.get("address"), True
    rows = []
    code = COUNTRY_PHONE.get(country, "44")
    city = COUNTRY_CITY.get(country, "London")
    variant = int(rng.integers(5))
    rows.append(_row(customer_id, "phone", _rewrite_phone(phone, variant) if phone
                     else _phone_text(base, code, variant), seen))
    local = ".".join(part.lower() for part in re.findall(r"[A-Za-z]+", name))
    rows.append(_row(customer_id, "email", _flip_case(email, variant) if email else
                     f"{local}.{base % 100_000}@{EMAIL_DOMAINS[base % len(EMAIL_DOMAINS)]}",
                     seen))
    if address is None:
        text = _address_text(base, city, variant % 4)
    elif neighbour:
        text = re.sub(r"^\d+", lambda m: str(int(m.group()) + 2), address)
    else:
        text = _flip_case(address, variant)
    rows.append(_row(customer_id, "address", text, seen))
    return rows


def _row(customer_id: str, kind: str, value: str, seen: str) -> dict:
    return {"customer_id": customer_id, "kind": kind, "value": value, "first_seen": seen}


def _rewrite_phone(text: str, variant: int) -> str:
    """The same number in another equivalent form (``+`` or ``00`` prefix, spaces)."""
    digits = re.sub(r"\D", "", text)
    digits = digits[2:] if digits.startswith("00") else digits
    if variant % 2:
        return f"00{digits[:2]} {digits[2:5]} {digits[5:]}"
    return f"+{digits[:2]} {digits[2:5]} {digits[5:8]} {digits[8:]}"


def _flip_case(text: str, variant: int) -> str:
    return text.upper() if variant % 2 else text.lower()

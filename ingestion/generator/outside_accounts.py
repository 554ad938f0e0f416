"""Counterparties that are customers of the bank, with the answer key: the customer's own
account at another bank, and a known-risky customer's outside account that others pay.

Why a step of its own, drawn from its own random generator (``[seed,``
:data:`OUTSIDE_SEED_SALT` ``]``): counterparty entity resolution
(:mod:`graphrisk.resolution.counterparties`) must be tested on counterparties that are a
customer written another way, and on namesakes that are not. Rows are only appended
(counterparties, transactions), so every existing row stays as it was; the step runs with
``synthetic_identities`` (off by default, so the default bank is unchanged).

Planted, for about :data:`OUTSIDE_SHARE` of the bank's people:

* ``own``: a ``bank_account`` counterparty named like the customer (as written, or a
  variant: a typo, a nickname, an initial, the names swapped, another transliteration)
  with ``(external account)`` after it, in the customer's country; the customer pays it
  1–4 times from her first account;
* ``known``: for customers the bank knows as risky (about a third), a counterparty written
  in full (a variant that keeps the given name) that the customer pays once and 2–4 other
  customers pay too — money to a known fraudster's account elsewhere;
* ``near_miss``: a counterparty with a customer's family name and a given name of another
  initial and not a nickname of hers (one no customer holds, where the name pool allows),
  paid by some other customer; it must not be linked to that customer.

Answer key ``truth/outside_accounts.csv``: ``counterparty_id, customer_id, role``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from graphrisk.screening.names import fold_sounds

from .columns import datetimes
from .identities import _append, _people, _split, _variant_name
from .lookups import FIRST_NAMES

__all__ = ["OUTSIDE_ACCOUNT_COLUMNS", "OUTSIDE_SEED_SALT", "OUTSIDE_SHARE",
           "OutsideAccounts", "add_outside_accounts"]

OUTSIDE_SEED_SALT = 0x0C7E55
#: Share of the bank's people who get an outside account (and as many near misses).
OUTSIDE_SHARE = 0.005
#: Share of the planted outside accounts that belong to known-risky customers.
KNOWN_SHARE = 1 / 3
OUTSIDE_ACCOUNT_COLUMNS: tuple[str, ...] = ("counterparty_id", "customer_id", "role")
_SUFFIX = " (external account)"


@dataclass(frozen=True)
class OutsideAccounts:
    """The grown tables and the answer key.

    Attributes:
        tables: entity tables (``counterparties`` and ``transactions`` grown).
        truth: truth tables (``outside_accounts`` added).
        planted: outside accounts planted (own and known).
        near_misses: namesake counterparties planted.
    """

    tables: dict[str, pa.Table]
    truth: dict[str, pa.Table]
    planted: int
    near_misses: int


def add_outside_accounts(seed: int, tables: dict[str, pa.Table],
                         truth: dict[str, pa.Table]) -> OutsideAccounts:
    """Append outside accounts, their payments and near misses (see the module docstring).

    Args:
        seed: the bank's seed (this step mixes in :data:`OUTSIDE_SEED_SALT`).
        tables: the bank's entity tables; not changed (new tables are returned).
        truth: the bank's truth tables; not changed.
    """
    rng = np.random.default_rng([seed, OUTSIDE_SEED_SALT])
    customers = tables["customers"].to_pylist()
    accounts, people = _people(customers, tables["accounts"])
    first_account = {customer: row["account_id"] for customer, row in accounts.items()}
    held = {_folded(c["name"]) for c in customers}
    known = [i for i in people if customers[i]["known_risk_label"] is not None]
    plain = [i for i in people if customers[i]["known_risk_label"] is None]
    size = max(3, round(OUTSIDE_SHARE * len(customers)))
    n_known = min(len(known), round(KNOWN_SHARE * size))
    chosen_known = rng.choice(known, size=n_known, replace=False).tolist() if n_known else []
    chosen_own = rng.choice(plain, size=size - n_known, replace=False).tolist()
    template = _payment_template(tables["transactions"])
    next_party = tables["counterparties"].num_rows
    next_txn = tables["transactions"].num_rows
    parties: list[dict] = []
    payments: list[dict] = []
    answers: list[dict] = []

    def party(name: str, country: str | None) -> str:
        nonlocal next_party
        party_id = f"P{next_party:06d}"
        next_party += 1
        parties.append({"counterparty_id": party_id, "name": name, "kind": "bank_account",
                        "country": country, "industry": None})
        return party_id

    def pay(account_id: str, party_id: str) -> None:
        nonlocal next_txn
        day = int(rng.integers(0, 365))
        payments.append({**template, "transaction_id": f"T{next_txn:09d}",
                         "from_account_id": account_id, "from_counterparty_id": None,
                         "to_account_id": None, "to_counterparty_id": party_id,
                         "amount": float(round(rng.uniform(150, 4_000), 2)),
                         "timestamp": _timestamp(day, int(rng.integers(8 * 3600, 20 * 3600)))})
        next_txn += 1

    for index in chosen_own:
        customer = customers[index]
        name = customer["name"] if rng.random() < 0.3 else _variant_name(rng, customer["name"])[1]
        party_id = party(name + _SUFFIX, customer["country"])
        for _ in range(int(rng.integers(1, 5))):
            pay(first_account[customer["customer_id"]], party_id)
        answers.append({"counterparty_id": party_id, "customer_id": customer["customer_id"],
                        "role": "own"})
    payers = [first_account[customers[i]["customer_id"]] for i in plain]
    for index in chosen_known:
        customer = customers[index]
        variant, name = _variant_name(rng, customer["name"])
        if variant == "initials":  # a known fraudster's account is paid under a full name
            name = customer["name"]
        party_id = party(name, customer["country"])
        pay(first_account[customer["customer_id"]], party_id)
        for payer in rng.choice(len(payers), size=int(rng.integers(2, 5)), replace=False):
            pay(payers[int(payer)], party_id)
        answers.append({"counterparty_id": party_id, "customer_id": customer["customer_id"],
                        "role": "known"})
    for index in rng.choice(people, size=size, replace=False).tolist():
        customer = customers[index]
        given, family = _split(customer["name"]) or ("", customer["name"])
        # another initial, and where the pool allows a name no customer holds
        others = [n for n in FIRST_NAMES if n[0] != given[:1]
                  and fold_sounds(n.lower()) != fold_sounds(given.lower())]  # Liam, Willem
        unheld = [n for n in others if _folded(f"{n} {family}") not in held]
        others = unheld or others
        other = others[int(rng.integers(len(others)))]
        party_id = party(f"{other} {family}{_SUFFIX}", customer["country"])
        pay(payers[int(rng.integers(len(payers)))], party_id)
        answers.append({"counterparty_id": party_id, "customer_id": customer["customer_id"],
                        "role": "near_miss"})
    grown = dict(tables)
    grown["counterparties"] = _append(tables["counterparties"], parties)
    grown["transactions"] = _append(tables["transactions"], payments)
    key = pa.Table.from_pylist(answers, schema=pa.schema(
        [(c, pa.string()) for c in OUTSIDE_ACCOUNT_COLUMNS]))
    planted = len(chosen_own) + len(chosen_known)
    return OutsideAccounts(grown, {**truth, "outside_accounts": key}, planted, size)


def _folded(name: str) -> tuple[str, str]:
    """A name as screening compares it: nicknames and spellings folded (``Willem Bauer``
    and ``Liam Bauer`` are one)."""
    given, _, family = name.partition(" ")
    return fold_sounds(given.lower()), family.lower()


def _payment_template(transactions: pa.Table) -> dict:
    """A wire transfer of the bank as the template of a planted payment (its columns,
    currency and time format)."""
    rows = transactions.slice(0, 1).to_pylist()
    return {**rows[0], "channel": "wire", "transaction_type": "transfer"}


def _timestamp(day: int, second: int) -> str:
    """``day`` days and ``second`` seconds into the bank's period, as the table writes it."""
    return datetimes(np.asarray([day * 86_400 + second]))[0].as_py()

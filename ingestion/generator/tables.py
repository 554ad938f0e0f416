"""The entity tables of a generated bank, columns in :mod:`graphrisk.domain`'s spec order.

Why one place: this is where the generator's indices become the file format a bank would
deliver; every table is checked against its spec (:func:`.columns.entity_table`), so the
files always match what the loaders read.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from graphrisk.domain import (
    ACCOUNT_STATUSES,
    ACCOUNT_TYPES,
    CHANGE_KINDS,
    CHANNELS,
    COUNTERPARTY_KINDS,
    DISPUTE_KINDS,
    DISPUTE_STATUSES,
    ENTITIES,
    KYC_STATUSES,
    LOAN_STATUSES,
    RISK_LABELS,
    SEGMENTS,
    TRANSACTION_TYPES,
    IdentifierKind,
)

from .columns import (
    dates,
    datetimes,
    entity_table,
    ids,
    ints,
    lookup,
    take,
)
from .draws import DAY, PERIOD_DAYS, pick
from .identifiers import identifier_texts
from .lookups import (
    ALL_INDUSTRIES,
    COMPANY_SUFFIX,
    COMPANY_WORDS,
    COUNTRIES,
    CURRENCIES,
    FIRST_NAMES,
    INDUSTRY_NOUN,
    LAST_NAMES,
)
from .progress import Progress
from .world import (
    Accounts,
    Changes,
    Counterparties,
    Customers,
    Holders,
    Loans,
    World,
)

__all__ = [
    "GENERATED_ENTITIES",
    "build_tables",
]

#: The entities the generator writes: all but ``customer_features`` (a bank brings its own).
GENERATED_ENTITIES = tuple(spec for spec in ENTITIES if spec.name != "customer_features")


def build_tables(
    world: World,
    txns: dict[str, np.ndarray],
    loans: Loans,
    known: tuple[np.ndarray, np.ndarray],
    credit: np.ndarray,
    report: Progress,
) -> dict[str, pa.Table]:
    """Every entity table of :data:`GENERATED_ENTITIES`, keyed by entity name.

    The identifier and dispute tables still draw from ``world.rng`` (variants, dates,
    statuses), so the tables are built in this fixed order.
    """
    customers, accounts, cps = world.customers, world.accounts, world.cps
    report("customers table")
    customer_ids = ids("C", customers.n, 7)
    account_ids = ids("A", accounts.n, 8)
    cp_ids = ids("P", cps.n, 6)
    txn_ids = ids("T", len(txns["ts"]), 9)
    tables = {
        "customers": _customers_table(customers, customer_ids, known, credit),
        "counterparties": _counterparties_table(cps, cp_ids),
        "accounts": _accounts_table(accounts, account_ids, customer_ids),
        "account_holders": _holders_table(world.holders, account_ids, customer_ids),
    }
    report("identifiers")
    tables["identifiers"] = _identifiers_table(world, customer_ids)
    report("transactions table")
    tables["transactions"] = _transactions_table(txns, accounts, txn_ids, account_ids, cp_ids)
    tables["disputes"] = _disputes_table(world, txns, txn_ids, account_ids, customer_ids)
    tables["loans"] = _loans_table(loans, account_ids)
    tables["account_changes"] = _changes_table(world.changes, account_ids)
    return tables


def _customers_table(
    customers: Customers,
    customer_ids: pa.Array,
    known: tuple[np.ndarray, np.ndarray],
    credit: np.ndarray,
) -> pa.Table:
    person_names = pc.binary_join_element_wise(
        lookup(FIRST_NAMES, customers.first), lookup(LAST_NAMES, customers.last), " "
    )
    industry_for_name = np.where(customers.industry >= 0, customers.industry, 0)
    word = (customers.first * 7 + customers.last) % len(COMPANY_WORDS)
    company_names = pc.binary_join_element_wise(
        lookup(COMPANY_WORDS, word),
        lookup([INDUSTRY_NOUN[i] for i in ALL_INDUSTRIES], industry_for_name),
        lookup([COMPANY_SUFFIX[c] for c in COUNTRIES], customers.country),
        " ",
    )
    names = pc.if_else(pa.array(customers.business), company_names, person_names)
    label, source = known
    country_text = pa.array(list(COUNTRIES))
    regions = pc.binary_join_element_wise(
        country_text.take(pa.array(customers.country)),
        pc.utf8_lpad(pc.cast(pa.array(customers.region), pa.string()), 2, "0"),
        "-",
    )
    return entity_table(
        "customers",
        {
            "customer_id": customer_ids,
            "name": names,
            "segment": lookup(SEGMENTS, customers.segment),
            "industry": lookup(ALL_INDUSTRIES, customers.industry),
            "country": country_text.take(pa.array(customers.country)),
            "region": regions,
            "credit_score": ints(credit),
            "annual_income": pa.array(customers.income, pa.float64()),
            "kyc_status": lookup(KYC_STATUSES, customers.kyc),
            "onboarding_date": dates(customers.onboard_day),
            "birth_year": ints(customers.birth_year, customers.birth_year < 0),
            "known_risk_label": lookup(RISK_LABELS, label),
            "known_risk_source": pa.array(source, pa.string(), mask=source == ""),
        },
    )


def _counterparties_table(cps: Counterparties, cp_ids: pa.Array) -> pa.Table:
    return entity_table(
        "counterparties",
        {
            "counterparty_id": cp_ids,
            "name": pa.array(cps.name, pa.string()),
            "kind": lookup(COUNTERPARTY_KINDS, cps.kind),
            "country": lookup(
                COUNTRIES, np.where(cps.kind == COUNTERPARTY_KINDS.index("cash"), -1, cps.country)
            ),
            "industry": pa.array(cps.industry, pa.string()),
        },
    )


def _accounts_table(accounts: Accounts, account_ids: pa.Array, customer_ids: pa.Array) -> pa.Table:
    return entity_table(
        "accounts",
        {
            "account_id": account_ids,
            "customer_id": take(customer_ids, accounts.owner),
            "account_type": lookup(ACCOUNT_TYPES, accounts.kind),
            "currency": lookup(CURRENCIES, accounts.currency),
            "opened_date": dates(accounts.opened_day),
            "closed_date": dates(accounts.closed_day, accounts.closed_day < 0),
            "status": lookup(ACCOUNT_STATUSES, accounts.status),
        },
    )


def _holders_table(holders: Holders, account_ids: pa.Array, customer_ids: pa.Array) -> pa.Table:
    account = np.asarray(holders.account, np.int64)
    customer = np.asarray(holders.customer, np.int64)
    # One row per (account, customer): the first role given wins.
    _, first = np.unique(account * (len(customer_ids) + 1) + customer, return_index=True)
    first = np.sort(first)
    return entity_table(
        "account_holders",
        {
            "account_id": take(account_ids, account[first]),
            "customer_id": take(customer_ids, customer[first]),
            "role": pa.array([holders.role[i] for i in first], pa.string()),
        },
    )


def _identifiers_table(world: World, customer_ids: pa.Array) -> pa.Table:
    """Five identifiers per customer, plus extra devices seen on taken-over accounts."""
    rng, customers, ident = world.rng, world.customers, world.identity
    n = customers.n
    kinds = [k.value for k in IdentifierKind]
    customer_parts, kind_parts, value_parts, day_parts = [], [], [], []
    for kind in kinds:
        bases = ident.base[kind]
        variants = rng.integers(0, 60, n)
        customer_parts.append(np.arange(n))
        kind_parts.append(np.full(n, kinds.index(kind)))
        value_parts.extend(identifier_texts(kind, bases, variants, customers))
        seen = customers.onboard_day + rng.integers(0, 400, n)
        day_parts.append(np.minimum(seen, PERIOD_DAYS - 1))
    if ident.extra_customer:
        extra = np.asarray(ident.extra_customer, np.int64)
        extra_bases = np.asarray(ident.extra_base, np.int64)
        customer_parts.append(extra)
        kind_parts.append(np.full(len(extra), kinds.index("device")))
        value_parts.extend(
            identifier_texts("device", extra_bases, rng.integers(0, 60, len(extra)), customers)
        )
        day_parts.append(np.asarray(ident.extra_day, np.int64))
    customer = np.concatenate(customer_parts)
    kind_index = np.concatenate(kind_parts)
    day = np.concatenate(day_parts)
    order = np.lexsort((kind_index, customer))  # grouped by customer, kinds in enum order
    values = pa.array(value_parts, pa.string()).take(pa.array(order))
    return entity_table(
        "identifiers",
        {
            "customer_id": take(customer_ids, customer[order]),
            "kind": lookup(kinds, kind_index[order]),
            "value": values,
            "first_seen": dates(day[order]),
        },
    )


def _transactions_table(
    txns: dict[str, np.ndarray],
    accounts: Accounts,
    txn_ids: pa.Array,
    account_ids: pa.Array,
    cp_ids: pa.Array,
) -> pa.Table:
    own = np.where(txns["from_acc"] >= 0, txns["from_acc"], txns["to_acc"])
    return entity_table(
        "transactions",
        {
            "transaction_id": txn_ids,
            "from_account_id": take(account_ids, txns["from_acc"]),
            "from_counterparty_id": take(cp_ids, txns["from_cp"]),
            "to_account_id": take(account_ids, txns["to_acc"]),
            "to_counterparty_id": take(cp_ids, txns["to_cp"]),
            "amount": pa.array(np.round(txns["amount"], 2), pa.float64()),
            "currency": lookup(CURRENCIES, accounts.currency[own]),
            "timestamp": datetimes(txns["ts"]),
            "channel": lookup(CHANNELS, txns["channel"]),
            "transaction_type": lookup(TRANSACTION_TYPES, txns["ttype"]),
        },
    )


def _disputes_table(
    world: World,
    txns: dict[str, np.ndarray],
    txn_ids: pa.Array,
    account_ids: pa.Array,
    customer_ids: pa.Array,
) -> pa.Table:
    """Disputes on flagged purchases, plus complaints without a transaction and legal cases
    about unpaid loans."""
    rng, accounts = world.rng, world.accounts
    rows = np.flatnonzero(txns["dispute"] >= 0)
    k = len(rows)
    planted = txns["group"][rows] >= 0
    account = txns["from_acc"][rows]
    kind = txns["dispute"][rows]
    amount = np.round(txns["amount"][rows] * np.where(rng.random(k) < 0.8, 1.0, 0.5), 2)
    opened = txns["ts"][rows] // DAY + rng.integers(1, 45, k)
    status = np.where(
        planted,
        pick(rng, len(DISPUTE_STATUSES), k, (0.35, 0.35, 0.2, 0.05, 0.05)),
        pick(rng, len(DISPUTE_STATUSES), k, (0.08, 0.07, 0.3, 0.25, 0.3)),
    )

    # Complaints about the bank itself, with no transaction.
    m = max(1, world.customers.n // 400)
    complainer = rng.integers(0, world.customers.n, m)
    account = np.concatenate((account, accounts.primary[complainer]))
    txn_index = np.concatenate((rows, np.full(m, -1)))
    kind = np.concatenate((kind, np.full(m, DISPUTE_KINDS.index("complaint"))))
    amount = np.concatenate((amount, np.full(m, np.nan)))
    opened = np.concatenate((opened, rng.integers(0, PERIOD_DAYS, m)))
    status = np.concatenate(
        (status, pick(rng, len(DISPUTE_STATUSES), m, (0.1, 0.1, 0.2, 0.3, 0.3)))
    )
    closes = np.isin(status, [DISPUTE_STATUSES.index(s) for s in ("upheld", "rejected", "closed")])
    closed = opened + rng.integers(3, 60, len(opened))
    owner = accounts.owner[account]
    return entity_table(
        "disputes",
        {
            "dispute_id": ids("D", len(owner), 7),
            "customer_id": take(customer_ids, owner),
            "account_id": take(account_ids, account),
            "transaction_id": take(txn_ids, txn_index),
            "kind": lookup(DISPUTE_KINDS, kind),
            "amount": pa.array(amount, pa.float64(), mask=np.isnan(amount)),
            "status": lookup(DISPUTE_STATUSES, status),
            "opened_date": dates(opened),
            "closed_date": dates(closed, ~closes),
        },
    )


def _loans_table(loans: Loans, account_ids: pa.Array) -> pa.Table:
    return entity_table(
        "loans",
        {
            "loan_id": ids("L", len(loans.account), 7),
            "account_id": take(account_ids, loans.account),
            "amount": pa.array(loans.amount, pa.float64()),
            "duration_months": ints(loans.months),
            "monthly_payment": pa.array(loans.payment, pa.float64()),
            "granted_date": dates(loans.granted_day),
            "status": lookup(LOAN_STATUSES, loans.status),
        },
    )


def _changes_table(changes: Changes, account_ids: pa.Array) -> pa.Table:
    account = np.concatenate(changes.account)
    ts = np.concatenate(changes.ts)
    kind = np.concatenate(changes.kind)
    order = np.argsort(ts, kind="stable")
    old = pa.array(changes.old, pa.string()).take(pa.array(order))
    new = pa.array(changes.new, pa.string()).take(pa.array(order))
    return entity_table(
        "account_changes",
        {
            "change_id": ids("X", len(account), 8),
            "account_id": take(account_ids, account[order]),
            "timestamp": datetimes(ts[order]),
            "change_kind": lookup(CHANGE_KINDS, kind[order]),
            "old_value": old,
            "new_value": new,
        },
    )

"""The state of the world being generated: customers, accounts, counterparties, truth, ledger.

Why plain containers: every step of the generator (the population, normal behaviour, each
planter, the table writers) reads and extends the same arrays; keeping them in a few
dataclasses with no logic lets each step live in its own module without importing the others.
Values are indices into the lookup tables (:mod:`.lookups`) and into :mod:`graphrisk.domain`'s
vocabularies until the table writers turn them into text.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from graphrisk.domain import CHANNELS, TRANSACTION_TYPES

from .profiles import DEFAULT_PROFILE, Profile

__all__ = [
    "Accounts",
    "Changes",
    "Counterparties",
    "Customers",
    "Group",
    "Holders",
    "Identity",
    "Ledger",
    "Loans",
    "Truth",
    "World",
]


@dataclass
class Customers:
    """Per customer (index 0..n-1) attributes, as indices into the lookup tables."""

    segment: np.ndarray  # index into SEGMENTS
    business: np.ndarray  # bool: sme or corporate
    country: np.ndarray  # index into COUNTRIES
    region: np.ndarray
    industry: np.ndarray  # index into ALL_INDUSTRIES, -1 none
    income: np.ndarray
    kyc: np.ndarray  # index into KYC_STATUSES
    onboard_day: np.ndarray  # days relative to the period start (negative: before)
    birth_year: np.ndarray  # -1 for businesses
    first: np.ndarray  # index into FIRST_NAMES (persons)
    last: np.ndarray  # index into LAST_NAMES (persons)
    activity: np.ndarray  # how busy the customer is, mean about 1

    @property
    def n(self) -> int:
        return len(self.segment)


@dataclass
class Group:
    """One planted group: its members in the order its planter reads them, and their roles."""

    gid: str
    typology: str
    members: np.ndarray  # customer indices; members[0] is the hub/head/payer where one exists
    roles: list[str]


@dataclass
class Truth:
    """Who is in which planted group: the answer key, kept beside the world as it grows.

    ``codes`` and ``risky_codes`` come from the typology registry (:mod:`.registry`), which
    builds the truth; they are carried here so that this module needs no planter.
    """

    typology: np.ndarray  # code into codes, -1 normal
    group: np.ndarray  # index into groups, -1 none
    role: np.ndarray  # object array of role names, "" for normal customers
    codes: dict[str, int]  # typology name -> code
    risky_codes: list[int]  # codes of the typologies whose members are truly risky
    groups: list[Group] = field(default_factory=list)
    per_typology: dict[str, int] = field(default_factory=dict)

    def is_risky(self) -> np.ndarray:
        return np.isin(self.typology, self.risky_codes)

    def members_of(self, typology: str) -> np.ndarray:
        return np.flatnonzero(self.typology == self.codes[typology])


@dataclass
class Accounts:
    """Per account attributes, and per customer the accounts its money usually moves through."""

    owner: np.ndarray
    kind: np.ndarray  # index into ACCOUNT_TYPES
    currency: np.ndarray  # index into CURRENCIES
    opened_day: np.ndarray
    status: np.ndarray  # index into ACCOUNT_STATUSES
    closed_day: np.ndarray  # -1 unless closed
    primary: np.ndarray  # per customer: its first (current/business) account
    card: np.ndarray  # per customer: its credit-card account, else its primary
    savings: np.ndarray  # per customer: its savings account, -1 none

    @property
    def n(self) -> int:
        return len(self.owner)


@dataclass
class Counterparties:
    """External parties, with the index ranges of each kind that behaviour draws from."""

    kind: np.ndarray  # index into COUNTERPARTY_KINDS
    country: np.ndarray  # index into COUNTRIES
    industry: list[str | None]
    name: list[str]
    cash: int
    bank: int  # the institution itself: fees, interest, loan repayments
    pension_fund: int
    tax_office: int
    utilities: np.ndarray
    employers: np.ndarray
    employer_weights: np.ndarray
    merchants: np.ndarray
    merchant_weights: np.ndarray
    banks_home: np.ndarray  # accounts at other banks, home countries
    banks_risky: np.ndarray  # accounts at other banks, high-risk countries
    suppliers: np.ndarray  # "other" businesses that businesses pay

    @property
    def n(self) -> int:
        return len(self.kind)


@dataclass
class Identity:
    """Identifier numbers per customer and kind; equal numbers mean a shared identifier."""

    base: dict[str, np.ndarray]
    extra_customer: list[int] = field(default_factory=list)  # extra rows (attacker devices)
    extra_kind: list[str] = field(default_factory=list)
    extra_base: list[int] = field(default_factory=list)
    extra_day: list[int] = field(default_factory=list)

    def add_device(self, customer: int, base: int, day: int) -> None:
        """One more device seen for ``customer`` (an attacker's, on a taken-over account)."""
        self.extra_customer.append(customer)
        self.extra_kind.append("device")
        self.extra_base.append(base)
        self.extra_day.append(day)


_LEDGER_FIELDS = (
    "from_acc",
    "from_cp",
    "to_acc",
    "to_cp",
    "amount",
    "ts",
    "ttype",
    "channel",
    "group",
    "dispute",
)


class Ledger:
    """Transactions collected in numpy chunks; sorted and numbered once at the end."""

    def __init__(self) -> None:
        self._chunks: dict[str, list[np.ndarray]] = {f: [] for f in _LEDGER_FIELDS}

    def add(
        self,
        *,
        ts: np.ndarray,
        amount: np.ndarray | float,
        ttype: str,
        channel: np.ndarray | str,
        from_acc: np.ndarray | int = -1,
        from_cp: np.ndarray | int = -1,
        to_acc: np.ndarray | int = -1,
        to_cp: np.ndarray | int = -1,
        group: int = -1,
        dispute: np.ndarray | int = -1,
    ) -> None:
        """Append transactions; scalars are broadcast to the length of ``ts``."""
        ts = np.asarray(ts, dtype=np.int64)
        n = len(ts)
        if n == 0:
            return
        chan = (
            np.full(n, CHANNELS.index(channel), np.int8)
            if isinstance(channel, str)
            else np.asarray(channel, np.int8)
        )
        values = {
            "from_acc": from_acc,
            "from_cp": from_cp,
            "to_acc": to_acc,
            "to_cp": to_cp,
            "amount": amount,
            "ts": ts,
            "ttype": TRANSACTION_TYPES.index(ttype),
            "channel": chan,
            "group": group,
            "dispute": dispute,
        }
        for name, value in values.items():
            dtype = np.float64 if name == "amount" else np.int64
            self._chunks[name].append(np.broadcast_to(np.asarray(value, dtype), (n,)))

    def collect(self) -> dict[str, np.ndarray]:
        """All transactions in time order (stable, so ties keep insertion order)."""
        cols = {name: np.concatenate(chunks) for name, chunks in self._chunks.items()}
        order = np.argsort(cols["ts"], kind="stable")
        return {name: col[order] for name, col in cols.items()}


@dataclass
class Changes:
    """Account-detail changes, collected in chunks with their old and new values."""

    account: list[np.ndarray] = field(default_factory=list)
    ts: list[np.ndarray] = field(default_factory=list)
    kind: list[np.ndarray] = field(default_factory=list)
    old: list[str | None] = field(default_factory=list)
    new: list[str | None] = field(default_factory=list)

    def add(
        self,
        account: np.ndarray,
        ts: np.ndarray,
        kind: np.ndarray,
        old: list[str | None],
        new: list[str | None],
    ) -> None:
        self.account.append(np.asarray(account, np.int64))
        self.ts.append(np.asarray(ts, np.int64))
        self.kind.append(np.asarray(kind, np.int64))
        self.old.extend(old)
        self.new.extend(new)


@dataclass
class Holders:
    """Extra holders of accounts (co-holders, authorised users) beside the owner."""

    account: list[int] = field(default_factory=list)
    customer: list[int] = field(default_factory=list)
    role: list[str] = field(default_factory=list)


@dataclass
class World:
    """Everything generated so far; the planting functions read and extend it.

    ``profile`` holds the generator profile's knobs (:mod:`.profiles`) that behaviour and
    the planters read; the default changes nothing.
    """

    rng: np.random.Generator
    customers: Customers
    truth: Truth
    accounts: Accounts
    cps: Counterparties
    identity: Identity
    ledger: Ledger = field(default_factory=Ledger)
    changes: Changes = field(default_factory=Changes)
    holders: Holders = field(default_factory=Holders)
    profile: Profile = DEFAULT_PROFILE


@dataclass
class Loans:
    """Loans, one per borrower, on the borrower's primary account."""

    account: np.ndarray
    amount: np.ndarray
    months: np.ndarray
    payment: np.ndarray
    granted_day: np.ndarray
    status: np.ndarray  # index into LOAN_STATUSES

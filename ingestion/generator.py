"""Synthetic bank data with planted high-risk typologies and a hidden ground truth.

Why: GraphRisk's detectors, models and demos need a customer graph whose risky customers are
known, at any scale, without real customer data. :func:`generate_dataset` writes one file per
entity of :mod:`graphrisk.domain` (the same format a bank would deliver) and, beside them, the
answer key in ``truth/`` that a detector must never read.

The data is ordinary banking (salaries, bills, card purchases, transfers, cash, loans) with
known risk patterns planted in it:

* identity rings (customers sharing phones, devices, addresses, IPs),
* the eight AMLSim money-laundering patterns (fan-in, fan-out, cycle, bipartite, stack,
  random, scatter-gather, gather-scatter; Suzumura & Kanezashi, *AMLSim*, IBM 2021),
* structuring just under the reporting threshold, dispute-heavy clusters, account takeover,
  high-risk industry or country profiles with pass-through flows,

and benign look-alikes (households, payrolls, honest high-risk-industry businesses) so that a
detector cannot score well by flagging every dense pattern. Only some risky customers carry a
``known_risk_label``, as in a real bank.

Everything is vectorised with numpy and written with pyarrow, so 100,000 customers (about a
million transactions) take a few seconds; the only Python loops run once per planted group or
over small lookup tables.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from graphrisk.domain import (
    ACCOUNT_STATUSES,
    ACCOUNT_TYPES,
    CHANGE_KINDS,
    CHANNELS,
    COUNTERPARTY_KINDS,
    DISPUTE_KINDS,
    DISPUTE_STATUSES,
    ENTITIES,
    HOLDER_ROLES,
    KYC_STATUSES,
    LOAN_STATUSES,
    RISK_LABELS,
    SEGMENTS,
    TRANSACTION_TYPES,
    IdentifierKind,
)

__all__ = [
    "AML_PATTERNS",
    "GENERATED_ENTITIES",
    "GenerationSummary",
    "HIGH_RISK_COUNTRIES",
    "HIGH_RISK_INDUSTRIES",
    "LOOKALIKE_TYPOLOGIES",
    "MIN_CUSTOMERS",
    "REPORTING_THRESHOLD",
    "RISKY_TYPOLOGIES",
    "generate_dataset",
]

logger = logging.getLogger(__name__)

# --------------------------------------------------------------------------------------------
# Public constants
# --------------------------------------------------------------------------------------------

#: The entities the generator writes: all but ``customer_features`` (a bank brings its own).
GENERATED_ENTITIES = tuple(spec for spec in ENTITIES if spec.name != "customer_features")
#: The eight AMLSim alert patterns, by AMLSim's names.
AML_PATTERNS: tuple[str, ...] = (
    "fan_in",
    "fan_out",
    "cycle",
    "bipartite",
    "stack",
    "random",
    "scatter_gather",
    "gather_scatter",
)
#: Every planted pattern whose members are truly risky (``risky = 1``).
RISKY_TYPOLOGIES: tuple[str, ...] = (
    "identity_ring",
    *AML_PATTERNS,
    "structuring",
    "dispute_cluster",
    "account_takeover",
    "high_risk_profile",
)
#: Benign patterns that look risky to a naive detector (``risky = 0``).
LOOKALIKE_TYPOLOGIES: tuple[str, ...] = (
    "family_lookalike",
    "payroll_lookalike",
    "profile_lookalike",
)
#: The ``typology`` of a customer in no planted group.
NORMAL_TYPOLOGY = "normal"
#: Industries that a risk team treats as high-risk.
HIGH_RISK_INDUSTRIES: tuple[str, ...] = ("gambling", "crypto_exchange", "money_service")
#: Countries that a risk team treats as high-risk (a short synthetic list).
HIGH_RISK_COUNTRIES: tuple[str, ...] = ("AE", "CY", "KY", "MT", "PA", "VG")
#: Cash and transfers at or above this amount are reported; structuring stays just below it.
REPORTING_THRESHOLD = 10_000.0
#: Fewer customers leave no room to plant every typology at least once.
MIN_CUSTOMERS = 500

# --------------------------------------------------------------------------------------------
# Calendar: one year of activity, fixed so that a seed always gives the same bytes.
# --------------------------------------------------------------------------------------------

_PERIOD_START = np.datetime64("2025-01-01", "D")
_PERIOD_DAYS = 365
_PERIOD_START_WEEKDAY = 2  # 2025-01-01 was a Wednesday (Monday = 0)
_DAY = 86_400
_HOUR = 3_600
_EPOCH_DAY = int(_PERIOD_START.astype(np.int64))  # days since 1970-01-01

# --------------------------------------------------------------------------------------------
# Lookup tables
# --------------------------------------------------------------------------------------------

_HOME_COUNTRIES = ("DE", "FR", "NL", "ES", "IT", "BE", "AT", "IE", "PT", "GB")
_HOME_WEIGHTS = (0.30, 0.16, 0.10, 0.10, 0.10, 0.06, 0.05, 0.04, 0.04, 0.05)
_COUNTRIES = _HOME_COUNTRIES + HIGH_RISK_COUNTRIES
_HIGH_RISK_COUNTRY_CODES = np.arange(len(_HOME_COUNTRIES), len(_COUNTRIES))
_COUNTRY_PHONE = {
    "DE": "49",
    "FR": "33",
    "NL": "31",
    "ES": "34",
    "IT": "39",
    "BE": "32",
    "AT": "43",
    "IE": "353",
    "PT": "351",
    "GB": "44",
    "AE": "971",
    "CY": "357",
    "KY": "1345",
    "MT": "356",
    "PA": "507",
    "VG": "1284",
}
_COUNTRY_CITY = {
    "DE": "Berlin",
    "FR": "Lyon",
    "NL": "Utrecht",
    "ES": "Valencia",
    "IT": "Milano",
    "BE": "Gent",
    "AT": "Graz",
    "IE": "Cork",
    "PT": "Porto",
    "GB": "Leeds",
    "AE": "Dubai",
    "CY": "Limassol",
    "KY": "George Town",
    "MT": "Valletta",
    "PA": "Panama City",
    "VG": "Road Town",
}
_COUNTRY_CURRENCY = {
    "GB": "GBP",
    "AE": "AED",
    "KY": "USD",
    "PA": "USD",
    "VG": "USD",
}
_CURRENCIES = ("EUR", "GBP", "USD", "CHF", "AED")
_COMPANY_SUFFIX = {
    "DE": "GmbH",
    "AT": "GmbH",
    "FR": "SARL",
    "NL": "BV",
    "BE": "BV",
    "ES": "SL",
    "IT": "SRL",
    "PT": "Lda",
    "IE": "Ltd",
    "GB": "Ltd",
    "CY": "Ltd",
    "MT": "Ltd",
    "AE": "FZE",
    "KY": "Ltd",
    "PA": "SA",
    "VG": "Ltd",
}

_FIRST_NAMES = (
    "Anna",
    "Ben",
    "Clara",
    "David",
    "Elena",
    "Felix",
    "Greta",
    "Hugo",
    "Ines",
    "Jonas",
    "Karin",
    "Lukas",
    "Maria",
    "Niklas",
    "Olga",
    "Paul",
    "Quentin",
    "Rosa",
    "Simon",
    "Tanja",
    "Ugo",
    "Vera",
    "Willem",
    "Xenia",
    "Yusuf",
    "Zoe",
    "Amir",
    "Bianca",
    "Carlos",
    "Daria",
    "Emil",
    "Fatima",
    "Giulia",
    "Hannah",
    "Ivan",
    "Julia",
    "Kofi",
    "Lea",
    "Marco",
    "Nora",
    "Oscar",
    "Pia",
    "Rafael",
    "Sofia",
    "Tomas",
    "Ursula",
    "Victor",
    "Wiebke",
    "Yara",
    "Zeynep",
    "Aoife",
    "Bram",
    "Chloe",
    "Diego",
    "Eva",
    "Finn",
    "Ana",
    "Joao",
    "Liam",
    "Mila",
)
_LAST_NAMES = (
    "Muller",
    "Schmidt",
    "Martin",
    "Bernard",
    "de Jong",
    "Jansen",
    "Garcia",
    "Lopez",
    "Rossi",
    "Russo",
    "Peeters",
    "Maes",
    "Gruber",
    "Huber",
    "Murphy",
    "Kelly",
    "Silva",
    "Santos",
    "Smith",
    "Jones",
    "Weber",
    "Wagner",
    "Dubois",
    "Moreau",
    "Visser",
    "Bakker",
    "Fernandez",
    "Romano",
    "Colombo",
    "Janssens",
    "Bauer",
    "Walsh",
    "Costa",
    "Taylor",
    "Brown",
    "Becker",
    "Hoffmann",
    "Laurent",
    "Meijer",
    "Mulder",
    "Sanchez",
    "Ricci",
    "Marino",
    "Claes",
    "Wolf",
    "Byrne",
    "Pereira",
    "Wilson",
    "Evans",
    "Schulz",
    "Koch",
    "Richard",
    "Smit",
    "Ruiz",
    "Greco",
    "Willems",
    "Pichler",
    "Ryan",
    "Oliveira",
    "Davies",
    "Klein",
    "Petit",
    "de Vries",
    "Diaz",
    "Bruno",
    "Dupont",
    "Novak",
    "Horvat",
    "Nowak",
    "Kowalski",
    "Popescu",
    "Nagy",
    "Ivanova",
    "Berg",
    "Lind",
    "Nielsen",
    "Hansen",
    "Virtanen",
    "Costa",
    "Ferrari",
)
_COMPANY_WORDS = (
    "Alpine",
    "Baltic",
    "Cobalt",
    "Delta",
    "Evergreen",
    "Falcon",
    "Granite",
    "Harbour",
    "Iris",
    "Juniper",
    "Keystone",
    "Lumen",
    "Meridian",
    "Nordic",
    "Orion",
    "Pioneer",
    "Quartz",
    "Riverside",
    "Summit",
    "Tidal",
    "Union",
    "Vertex",
    "Westwind",
    "Zenith",
    "Atlas",
    "Beacon",
    "Crescent",
    "Dynamo",
    "Ember",
    "Fjord",
)
_INDUSTRIES = (
    "retail_trade",
    "construction",
    "software",
    "consulting",
    "logistics",
    "manufacturing",
    "hospitality",
    "healthcare",
    "real_estate",
    "agriculture",
    "wholesale",
    "transport",
)
_INDUSTRY_NOUN = {
    "retail_trade": "Stores",
    "construction": "Builders",
    "software": "Software",
    "consulting": "Advisory",
    "logistics": "Logistics",
    "manufacturing": "Works",
    "hospitality": "Hotels",
    "healthcare": "Care",
    "real_estate": "Estates",
    "agriculture": "Farms",
    "wholesale": "Trading",
    "transport": "Transport",
    "gambling": "Gaming",
    "crypto_exchange": "Digital Assets",
    "money_service": "Remit",
}
_ALL_INDUSTRIES = _INDUSTRIES + HIGH_RISK_INDUSTRIES
_MERCHANT_INDUSTRIES = (
    "grocery",
    "restaurant",
    "fuel",
    "clothing",
    "electronics",
    "pharmacy",
    "travel",
    "online_marketplace",
    "entertainment",
    "telecom",
    "home_improvement",
    "gambling",
    "crypto_exchange",
)
_MERCHANT_WEIGHTS = (0.22, 0.16, 0.1, 0.1, 0.07, 0.06, 0.05, 0.1, 0.05, 0.04, 0.03, 0.01, 0.01)
_STREETS = (
    "Linden",
    "Oak",
    "Maple",
    "Church",
    "Mill",
    "Station",
    "High",
    "Park",
    "Garden",
    "River",
    "School",
    "Castle",
    "Market",
    "Bridge",
    "Forest",
    "Lake",
    "Hill",
    "Meadow",
    "Rose",
    "Willow",
    "Chestnut",
    "Harbour",
    "Kings",
    "Queens",
    "Elm",
    "Birch",
    "Cedar",
    "Spring",
    "Victoria",
    "Albert",
    "Green",
    "Orchard",
    "Windmill",
    "Abbey",
    "Canal",
    "Quarry",
    "Beech",
    "Ash",
    "Holly",
    "Vine",
)
_STREET_KINDS = (
    ("Street", "St"),
    ("Road", "Rd"),
    ("Avenue", "Ave"),
    ("Lane", "Ln"),
    ("Drive", "Dr"),
    ("Court", "Ct"),
    ("Place", "Pl"),
    ("Square", "Sq"),
    ("Boulevard", "Blvd"),
)
_ADDRESS_BLOCK = 40 * 9 * 199  # streets x street kinds x house numbers; 7919 is coprime
_EMAIL_DOMAINS = ("example.com", "example.org", "example.net", "mail.example", "post.example")

# Identifier "bases": each distinct identifier value is a number; customers who share an
# identifier share its number. Numbers from these offsets never clash with customer indices.
_FRESH_BASE = 50_000_000  # new values in account changes
_ATTACKER_BASE = 90_000_000  # devices of account-takeover attackers

# --------------------------------------------------------------------------------------------
# Plans of the planted typologies
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Plan:
    """How many groups of one typology to plant, how big, and drawn from whom."""

    typology: str
    risky: bool
    share: float  # expected fraction of all customers in this typology
    sizes: tuple[int, int]  # inclusive group size range
    pool: Literal["any", "person"] = "any"


_PLANS: tuple[_Plan, ...] = (
    # Business-led groups first, so that they find businesses left to draw.
    _Plan("payroll_lookalike", False, 0.008, (9, 31), "person"),  # + one business payer
    _Plan("high_risk_profile", True, 0.003, (1, 2)),
    _Plan("profile_lookalike", False, 0.004, (1, 1)),
    _Plan("identity_ring", True, 0.010, (3, 8), "person"),
    _Plan("fan_in", True, 0.002, (5, 10)),
    _Plan("fan_out", True, 0.002, (5, 10)),
    _Plan("cycle", True, 0.002, (3, 8)),
    _Plan("bipartite", True, 0.002, (4, 10)),
    _Plan("stack", True, 0.002, (6, 12)),
    _Plan("random", True, 0.002, (4, 8)),
    _Plan("scatter_gather", True, 0.002, (5, 10)),
    _Plan("gather_scatter", True, 0.002, (5, 10)),
    _Plan("structuring", True, 0.004, (1, 3)),
    _Plan("dispute_cluster", True, 0.004, (3, 6), "person"),
    _Plan("account_takeover", True, 0.003, (2, 4), "person"),
    _Plan("family_lookalike", False, 0.030, (2, 5), "person"),
)
_TYPOLOGY_NAMES: tuple[str, ...] = tuple(p.typology for p in _PLANS)
_TYPOLOGY_CODE = {name: i for i, name in enumerate(_TYPOLOGY_NAMES)}

# Which known label and source an investigator would give each risky typology.
_KNOWN_LABEL = {
    "identity_ring": ("identity_fraud", ("investigation", "fraud_team")),
    "structuring": ("money_laundering", ("sar", "ctr_review")),
    "dispute_cluster": ("fraud", ("chargeback", "investigation")),
    "account_takeover": ("mule", ("customer_report", "investigation")),
    "high_risk_profile": ("money_laundering", ("sar", "sanctions_screening")),
    **{name: ("money_laundering", ("sar", "investigation")) for name in AML_PATTERNS},
}
_P_GROUP_UNKNOWN = 0.45  # share of risky groups nobody has caught yet
_P_MEMBER_KNOWN = 0.65  # share of members labelled in a group that was caught


# --------------------------------------------------------------------------------------------
# Public result
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GenerationSummary:
    """What :func:`generate_dataset` wrote, for the CLI and benchmarks to report.

    Attributes:
        n_customers: customers generated.
        rows: rows written per entity file (and per truth file, under ``truth/...``).
        n_risky: customers with ``risky = 1`` in the ground truth.
        n_known: customers with a ``known_risk_label``.
        typology_customers: customers per planted typology (look-alikes included).
        typology_groups: planted groups per typology.
        seconds: wall time of the whole run, writing included.
        out_dir: the folder written.
    """

    n_customers: int
    rows: dict[str, int]
    n_risky: int
    n_known: int
    typology_customers: dict[str, int]
    typology_groups: dict[str, int]
    seconds: float
    out_dir: Path


# --------------------------------------------------------------------------------------------
# Internal state
# --------------------------------------------------------------------------------------------


@dataclass
class _Customers:
    segment: np.ndarray  # index into SEGMENTS
    business: np.ndarray  # bool: sme or corporate
    country: np.ndarray  # index into _COUNTRIES
    region: np.ndarray
    industry: np.ndarray  # index into _ALL_INDUSTRIES, -1 none
    income: np.ndarray
    kyc: np.ndarray  # index into KYC_STATUSES
    onboard_day: np.ndarray  # days relative to the period start (negative: before)
    birth_year: np.ndarray  # -1 for businesses
    first: np.ndarray  # index into _FIRST_NAMES (persons)
    last: np.ndarray  # index into _LAST_NAMES (persons)
    activity: np.ndarray  # how busy the customer is, mean about 1

    @property
    def n(self) -> int:
        return len(self.segment)


@dataclass
class _Group:
    gid: str
    typology: str
    members: np.ndarray  # customer indices; members[0] is the hub/head/payer where one exists
    roles: list[str]


@dataclass
class _Truth:
    typology: np.ndarray  # code into _TYPOLOGY_NAMES, -1 normal
    group: np.ndarray  # index into groups, -1 none
    role: np.ndarray  # object array of role names, "" for normal customers
    groups: list[_Group] = field(default_factory=list)
    per_typology: dict[str, int] = field(default_factory=dict)

    def is_risky(self) -> np.ndarray:
        risky_codes = [_TYPOLOGY_CODE[t] for t in RISKY_TYPOLOGIES]
        return np.isin(self.typology, risky_codes)

    def members_of(self, typology: str) -> np.ndarray:
        return np.flatnonzero(self.typology == _TYPOLOGY_CODE[typology])


@dataclass
class _Accounts:
    owner: np.ndarray
    kind: np.ndarray  # index into ACCOUNT_TYPES
    currency: np.ndarray  # index into _CURRENCIES
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
class _Counterparties:
    kind: np.ndarray  # index into COUNTERPARTY_KINDS
    country: np.ndarray  # index into _COUNTRIES
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
class _Identity:
    """Identifier numbers per customer and kind; equal numbers mean a shared identifier."""

    base: dict[str, np.ndarray]
    extra_customer: list[int] = field(default_factory=list)  # extra rows (attacker devices)
    extra_kind: list[str] = field(default_factory=list)
    extra_base: list[int] = field(default_factory=list)
    extra_day: list[int] = field(default_factory=list)


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


class _Ledger:
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
class _Changes:
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
class _Holders:
    account: list[int] = field(default_factory=list)
    customer: list[int] = field(default_factory=list)
    role: list[str] = field(default_factory=list)


@dataclass
class _World:
    """Everything generated so far; the planting functions read and extend it."""

    rng: np.random.Generator
    customers: _Customers
    truth: _Truth
    accounts: _Accounts
    cps: _Counterparties
    identity: _Identity
    ledger: _Ledger = field(default_factory=_Ledger)
    changes: _Changes = field(default_factory=_Changes)
    holders: _Holders = field(default_factory=_Holders)


# --------------------------------------------------------------------------------------------
# Public entry point
# --------------------------------------------------------------------------------------------


def generate_dataset(
    n_customers: int,
    seed: int,
    out_dir: Path,
    *,
    file_format: Literal["csv", "parquet"] = "csv",
    progress: Callable[[str, float], None] | None = None,
) -> GenerationSummary:
    """Generate a synthetic bank with planted risk typologies and write it to ``out_dir``.

    Writes one file per entity of :data:`GENERATED_ENTITIES` (``customers``,
    ``counterparties``, ``accounts``, ``account_holders``, ``identifiers``, ``transactions``,
    ``disputes``, ``loans``, ``account_changes``), columns in spec order, and the answer key in
    ``out_dir/truth/``: ``ground_truth.csv`` (one row per customer: ``customer_id``, ``risky``,
    ``typology``, ``group_id``, ``role``), ``typology_transactions.csv`` (the planted
    transactions of every group, look-alikes included) and a ``README.md``.

    The same ``seed`` and ``n_customers`` always give byte-identical files, so experiments and
    tests can be repeated.

    Args:
        n_customers: customers to generate, at least :data:`MIN_CUSTOMERS`; about ten
            transactions are made per customer.
        seed: seed of the only random generator used (``numpy.random.default_rng``).
        out_dir: folder to write into; created if missing, existing files are replaced.
        file_format: ``csv`` or ``parquet`` for the entity files (the truth is always CSV).
        progress: called as ``progress(step, fraction_done)`` between steps, so a CLI can
            draw a progress bar.

    Returns:
        Row counts, risky and known counts, typology sizes and the run time.

    Raises:
        ValueError: ``n_customers`` is below :data:`MIN_CUSTOMERS` or ``file_format`` is
            unknown.
    """
    if n_customers < MIN_CUSTOMERS:
        raise ValueError(
            f"n_customers must be at least {MIN_CUSTOMERS} to plant every typology, "
            f"got {n_customers}"
        )
    if file_format not in ("csv", "parquet"):
        raise ValueError(f"file_format must be 'csv' or 'parquet', got {file_format!r}")
    started = time.perf_counter()
    report = _Progress(progress)
    rng = np.random.default_rng(seed)
    out_dir = Path(out_dir)

    report("customers")
    customers = _make_customers(rng, n_customers)
    truth = _assign_groups(rng, customers)
    _shape_risky_profiles(rng, customers, truth)
    report("accounts")
    accounts = _make_accounts(rng, customers)
    cps = _make_counterparties(rng, n_customers)
    identity = _Identity(base={k.value: np.arange(n_customers) for k in IdentifierKind})
    world = _World(rng, customers, truth, accounts, cps, identity)
    report("loans")
    loans = _make_loans(world)
    report("transactions")
    _make_normal_transactions(world, loans)
    report("typologies")
    _plant_groups(world)
    _make_normal_changes(world)
    _make_normal_holders(world)
    report("ledger")
    txns = world.ledger.collect()
    known = _assign_known_labels(rng, truth)
    credit = _credit_scores(rng, customers, truth)

    tables = _build_tables(world, txns, loans, known, credit, report)
    truth_tables = _build_truth_tables(world, txns)
    rows = _write_all(tables, truth_tables, out_dir, file_format, report)

    typology_customers = {
        name: int(np.sum(truth.typology == code)) for name, code in _TYPOLOGY_CODE.items()
    }
    typology_groups = {name: 0 for name in _TYPOLOGY_NAMES}
    for group in truth.groups:
        typology_groups[group.typology] += 1
    summary = GenerationSummary(
        n_customers=n_customers,
        rows=rows,
        n_risky=int(truth.is_risky().sum()),
        n_known=int((known[0] >= 0).sum()),
        typology_customers=typology_customers,
        typology_groups=typology_groups,
        seconds=time.perf_counter() - started,
        out_dir=out_dir,
    )
    report("done", final=True)
    logger.info(
        "generated %d customers, %d transactions, %d risky (%d known) in %.1fs into %s",
        n_customers,
        rows["transactions"],
        summary.n_risky,
        summary.n_known,
        summary.seconds,
        out_dir,
    )
    return summary


class _Progress:
    """Calls the caller's progress callback with a monotone fraction per named step."""

    _STEPS = 18  # steps reported by generate_dataset, writes included

    def __init__(self, callback: Callable[[str, float], None] | None) -> None:
        self._callback = callback
        self._done = 0

    def __call__(self, step: str, *, final: bool = False) -> None:
        if self._callback is None:
            return
        fraction = 1.0 if final else min(self._done / self._STEPS, 0.99)
        self._done += 1
        self._callback(step, fraction)


# --------------------------------------------------------------------------------------------
# Random helpers
# --------------------------------------------------------------------------------------------


def _pick(
    rng: np.random.Generator, options: int, size: int, weights: tuple[float, ...] | np.ndarray
) -> np.ndarray:
    """``size`` indices into ``options`` with the given (unnormalised) weights."""
    p = np.asarray(weights, dtype=np.float64)
    return rng.choice(options, size=size, p=p / p.sum())


def _business_seconds(rng: np.random.Generator, days: np.ndarray) -> np.ndarray:
    """Timestamps (seconds from the period start) in business hours on the given days."""
    days = np.asarray(days, np.int64)
    hours = np.clip(np.rint(rng.normal(13.0, 2.8, len(days))), 7, 20).astype(np.int64)
    return days * _DAY + hours * _HOUR + rng.integers(0, _HOUR, len(days))


def _weekdays(
    rng: np.random.Generator, size: int, low: int = 0, high: int = _PERIOD_DAYS
) -> np.ndarray:
    """Random days in ``[low, high)``, most weekend days moved to a weekday of that week."""
    days = rng.integers(low, high, size)
    weekday = (days + _PERIOD_START_WEEKDAY) % 7
    move = (weekday >= 5) & (rng.random(size) < 0.75)
    shifted = days - weekday + rng.integers(0, 5, size)
    days = np.where(move & (shifted >= low), shifted, days)
    return np.clip(days, low, high - 1)


def _lognormal(
    rng: np.random.Generator, median: float, sigma: float, size: int | None = None
) -> np.ndarray:
    """Heavy-tailed positive amounts around ``median``, rounded to cents."""
    values = rng.lognormal(np.log(median), sigma, size)
    return np.maximum(np.round(values, 2), 0.01)


def _month_days(day_of_month: int) -> np.ndarray:
    """Day offset of ``day_of_month`` in each month of the period, moved off weekends."""
    months = np.arange(12)
    firsts = (np.datetime64("2025-01", "M") + months).astype("datetime64[D]")
    days = (firsts - _PERIOD_START).astype(np.int64) + day_of_month - 1
    weekday = (days + _PERIOD_START_WEEKDAY) % 7
    return days - np.where(weekday >= 5, weekday - 4, 0)


def _within(rng: np.random.Generator, start: int, hours: float, size: int) -> np.ndarray:
    """``size`` sorted timestamps within ``hours`` after ``start`` (seconds)."""
    return np.sort(start + rng.integers(0, max(int(hours * _HOUR), 1), size))


# --------------------------------------------------------------------------------------------
# Customers and groups
# --------------------------------------------------------------------------------------------


def _make_customers(rng: np.random.Generator, n: int) -> _Customers:
    """Customers: mostly retail, some SME, corporate and private-banking clients."""
    segment = _pick(rng, len(SEGMENTS), n, (0.875, 0.08, 0.015, 0.03))
    business = (segment == SEGMENTS.index("sme")) | (segment == SEGMENTS.index("corporate"))
    country = _pick(rng, len(_HOME_COUNTRIES), n, _HOME_WEIGHTS)
    industry = np.where(business, rng.integers(0, len(_INDUSTRIES), n), -1)
    # A few self-employed persons name an industry too.
    self_employed = ~business & (rng.random(n) < 0.04)
    industry = np.where(self_employed, rng.integers(0, len(_INDUSTRIES), n), industry)

    income = _lognormal(rng, 36_000, 0.45, n)
    income = np.where(
        segment == SEGMENTS.index("private_banking"), _lognormal(rng, 260_000, 0.6, n), income
    )
    income = np.where(segment == SEGMENTS.index("sme"), _lognormal(rng, 850_000, 0.8, n), income)
    income = np.where(
        segment == SEGMENTS.index("corporate"), _lognormal(rng, 25_000_000, 1.0, n), income
    )
    income = np.round(income, -2)

    kyc = _pick(rng, len(KYC_STATUSES), n, (0.91, 0.05, 0.01, 0.03))
    # Onboarding skews recent: most customers joined in the last decade.
    age_days = np.minimum(rng.exponential(6.0 * 365, n), 25 * 365).astype(np.int64)
    onboard_day = -30 - age_days
    birth_year = np.where(
        business, -1, np.clip(rng.normal(1978, 16, n), 1930, 2006).astype(np.int64)
    )
    activity = rng.lognormal(-0.18, 0.6, n)
    return _Customers(
        segment=segment,
        business=business,
        country=country,
        region=rng.integers(1, 17, n),
        industry=industry,
        income=income,
        kyc=kyc,
        onboard_day=onboard_day,
        birth_year=birth_year,
        first=rng.integers(0, len(_FIRST_NAMES), n),
        last=rng.integers(0, len(_LAST_NAMES), n),
        activity=activity,
    )


def _n_groups(plan: _Plan, n: int) -> int:
    mean_size = (plan.sizes[0] + plan.sizes[1]) / 2
    return max(1, int(round(n * plan.share / mean_size)))


def _draw(
    rng: np.random.Generator, free: np.ndarray, eligible: np.ndarray, k: int, what: str
) -> np.ndarray:
    """Draw ``k`` distinct free and eligible customers and mark them taken."""
    pool = np.flatnonzero(free & eligible)
    if len(pool) < k:
        raise ValueError(f"too few customers left to plant {what}; generate more customers")
    chosen = rng.choice(pool, size=k, replace=False)
    free[chosen] = False
    return chosen


def _assign_groups(rng: np.random.Generator, customers: _Customers) -> _Truth:
    """Choose the members and roles of every planted group; each customer joins at most one."""
    n = customers.n
    truth = _Truth(
        typology=np.full(n, -1, np.int64),
        group=np.full(n, -1, np.int64),
        role=np.full(n, "", dtype=object),
    )
    free = np.ones(n, dtype=bool)
    person = ~customers.business
    anyone = np.ones(n, dtype=bool)
    for plan in _PLANS:
        count = _n_groups(plan, n)
        sizes = rng.integers(plan.sizes[0], plan.sizes[1] + 1, count)
        eligible = person if plan.pool == "person" else anyone
        members = _draw(rng, free, eligible, int(sizes.sum()), plan.typology)
        heads = None
        if plan.typology == "payroll_lookalike":
            heads = _draw(rng, free, customers.business, count, "payroll payers")
        start = 0
        for k, size in enumerate(sizes):
            chunk = members[start : start + size]
            start += size
            if heads is not None:
                chunk = np.concatenate(([heads[k]], chunk))
            _add_group(truth, plan.typology, chunk)
    return truth


def _add_group(truth: _Truth, typology: str, members: np.ndarray) -> None:
    index = len(truth.groups)
    number = truth.per_typology.get(typology, 0) + 1
    truth.per_typology[typology] = number
    gid = f"{typology}-{number:04d}"
    roles = _roles(typology, len(members))
    truth.groups.append(_Group(gid, typology, members, roles))
    truth.typology[members] = _TYPOLOGY_CODE[typology]
    truth.group[members] = index
    truth.role[members] = roles


def _roles(typology: str, k: int) -> list[str]:
    """Role of each member by position, following AMLSim's member order where it has one."""
    if typology == "fan_in":
        return ["beneficiary"] + ["originator"] * (k - 1)
    if typology == "fan_out":
        return ["originator"] + ["beneficiary"] * (k - 1)
    if typology == "bipartite":
        return ["originator"] * (k // 2) + ["beneficiary"] * (k - k // 2)
    if typology == "stack":
        third = k // 3
        rest = k - 2 * third
        return ["originator"] * third + ["intermediary"] * third + ["beneficiary"] * rest
    if typology == "scatter_gather":
        return ["originator", "beneficiary"] + ["intermediary"] * (k - 2)
    if typology == "gather_scatter":
        n_orig = (k - 1) // 2
        return ["intermediary"] + ["originator"] * n_orig + ["beneficiary"] * (k - 1 - n_orig)
    if typology == "random":
        return ["originator"] + ["member"] * (k - 1)
    if typology == "structuring":
        return ["smurf"] if k == 1 else ["collector"] + ["smurf"] * (k - 1)
    if typology == "account_takeover":
        return ["mule"] + ["compromised"] * (k - 1)
    if typology == "payroll_lookalike":
        return ["payer"] + ["employee"] * (k - 1)
    if typology == "family_lookalike":
        return ["head"] + ["household_member"] * (k - 1)
    return ["member"] * k


def _shape_risky_profiles(rng: np.random.Generator, customers: _Customers, truth: _Truth) -> None:
    """Give planted customers the attributes their typology implies (industry, country...)."""
    for typology in ("high_risk_profile", "profile_lookalike"):
        members = truth.members_of(typology)
        is_business = customers.business[members]
        risky_industry = len(_INDUSTRIES) + rng.integers(0, len(HIGH_RISK_INDUSTRIES), len(members))
        # Businesses get a high-risk industry (and sometimes a high-risk seat); persons a
        # high-risk country of residence and sometimes a self-employed high-risk trade.
        customers.industry[members] = np.where(
            is_business | (rng.random(len(members)) < 0.3),
            risky_industry,
            customers.industry[members],
        )
        offshore = ~is_business | (rng.random(len(members)) < 0.4)
        new_country = rng.choice(_HIGH_RISK_COUNTRY_CODES, len(members))
        customers.country[members] = np.where(offshore, new_country, customers.country[members])
    # Benign high-risk-industry businesses also exist outside any planted group.
    n = customers.n
    benign = customers.business & (truth.typology < 0) & (rng.random(n) < 0.02)
    customers.industry[benign] = len(_INDUSTRIES) + rng.integers(
        0, len(HIGH_RISK_INDUSTRIES), int(benign.sum())
    )

    ring = truth.members_of("identity_ring")
    for group in truth.groups:
        if group.typology == "identity_ring":
            # Synthetic identities are opened together, shortly before they are used.
            customers.onboard_day[group.members] = -rng.integers(40, 200) + rng.integers(
                0, 20, len(group.members)
            )
    customers.kyc[ring] = _pick(rng, len(KYC_STATUSES), len(ring), (0.6, 0.3, 0.08, 0.02))
    takeover_mules = [g.members[0] for g in truth.groups if g.typology == "account_takeover"]
    customers.onboard_day[takeover_mules] = -rng.integers(20, 120, len(takeover_mules))


def _credit_scores(rng: np.random.Generator, customers: _Customers, truth: _Truth) -> np.ndarray:
    """Bureau scores 300-850, a little lower for risky customers (a weak signal on purpose)."""
    score = rng.normal(690, 65, customers.n) - 40 * truth.is_risky()
    score += 0.004 * np.minimum(customers.income, 200_000) / 100
    return np.clip(np.rint(score), 300, 850).astype(np.int64)


def _assign_known_labels(rng: np.random.Generator, truth: _Truth) -> tuple[np.ndarray, np.ndarray]:
    """Label a random part of the risky groups, as past investigations would have.

    Returns:
        Per customer, an index into ``RISK_LABELS`` (-1: none) and the source text (or "").
    """
    n = len(truth.typology)
    label = np.full(n, -1, np.int64)
    source = np.full(n, "", dtype=object)
    for group in truth.groups:
        if group.typology not in _KNOWN_LABEL or rng.random() < _P_GROUP_UNKNOWN:
            continue
        hit = rng.random(len(group.members)) < _P_MEMBER_KNOWN
        name, sources = _KNOWN_LABEL[group.typology]
        for member, role, known in zip(group.members, group.roles, hit, strict=True):
            if not known:
                continue
            label_name = name
            if group.typology == "account_takeover" and role == "compromised":
                label_name = "fraud"
            elif group.typology == "high_risk_profile" and rng.random() < 0.3:
                label_name = "sanctions"
            label[member] = RISK_LABELS.index(label_name)
            source[member] = sources[int(rng.integers(0, len(sources)))]
    return label, source


# --------------------------------------------------------------------------------------------
# Accounts, counterparties, loans
# --------------------------------------------------------------------------------------------


def _make_accounts(rng: np.random.Generator, customers: _Customers) -> _Accounts:
    """One to three accounts per customer: a current account first, then savings or cards."""
    n = customers.n
    per_customer = _pick(rng, 3, n, (0.5, 0.35, 0.15)) + 1
    owner = np.repeat(np.arange(n), per_customer)
    first_row = np.concatenate(([0], np.cumsum(per_customer)[:-1]))
    position = np.arange(len(owner)) - np.repeat(first_row, per_customer)
    is_first = position == 0
    m = len(owner)

    business = customers.business[owner]
    extra_kind = _pick(rng, len(ACCOUNT_TYPES), m, (0, 0.45, 0.40, 0, 0, 0.15))
    kind = np.where(is_first, ACCOUNT_TYPES.index("checking"), extra_kind)
    kind = np.where(business & is_first, ACCOUNT_TYPES.index("business"), kind)
    kind = np.where(
        business & ~is_first & (kind == ACCOUNT_TYPES.index("wallet")),
        ACCOUNT_TYPES.index("business"),
        kind,
    )

    country_currency = np.array(
        [_CURRENCIES.index(_COUNTRY_CURRENCY.get(code, "EUR")) for code in _COUNTRIES]
    )
    currency = country_currency[customers.country[owner]]
    foreign = ~is_first & (rng.random(m) < 0.06)
    currency = np.where(foreign, _pick(rng, 4, m, (0.2, 0.3, 0.4, 0.1)), currency)

    onboard = customers.onboard_day[owner]
    opened = onboard + (rng.random(m) * np.where(is_first, 0, -onboard - 1)).astype(np.int64)
    status = _pick(rng, len(ACCOUNT_STATUSES), m, (0.95, 0.03, 0.005, 0.015))
    status = np.where(is_first, ACCOUNT_STATUSES.index("active"), status)
    closed_day = np.where(
        status == ACCOUNT_STATUSES.index("closed"), _PERIOD_DAYS + rng.integers(1, 40, m), -1
    )

    primary = first_row
    card = primary.copy()
    savings = np.full(n, -1, np.int64)
    # The last credit card / savings account of a customer wins; any one is fine.
    is_card = kind == ACCOUNT_TYPES.index("credit_card")
    card[owner[is_card]] = np.flatnonzero(is_card)
    is_savings = kind == ACCOUNT_TYPES.index("savings")
    savings[owner[is_savings]] = np.flatnonzero(is_savings)
    return _Accounts(owner, kind, currency, opened, status, closed_day, primary, card, savings)


def _make_counterparties(rng: np.random.Generator, n_customers: int) -> _Counterparties:
    """External parties: the cash desk, the bank itself, government, utilities, employers,
    merchants, suppliers and accounts at other banks (some in high-risk countries)."""
    n_employers = max(40, n_customers // 60)
    n_merchants = max(120, n_customers // 40)
    n_utilities = max(8, n_customers // 4000)
    n_banks_home = max(60, n_customers // 50)
    n_banks_risky = max(20, n_customers // 800)
    n_suppliers = max(30, n_customers // 150)

    kinds: list[np.ndarray] = []
    countries: list[np.ndarray] = []
    industry: list[str | None] = []
    names: list[str] = []

    def add(
        kind: str, count: int, country: np.ndarray, industries: list[str | None], labels: list[str]
    ) -> np.ndarray:
        start = sum(len(k) for k in kinds)
        kinds.append(np.full(count, COUNTERPARTY_KINDS.index(kind), np.int64))
        countries.append(np.asarray(country, np.int64))
        industry.extend(industries)
        names.extend(labels)
        return np.arange(start, start + count)

    home = len(_HOME_COUNTRIES)
    cash = int(add("cash", 1, np.zeros(1), [None], ["Cash"])[0])
    bank = int(add("other", 1, np.zeros(1), ["banking"], ["GraphRisk Bank"])[0])
    pension_fund, tax_office = add(
        "government",
        2,
        np.zeros(2),
        ["public_administration"] * 2,
        ["State Pension Fund", "Tax Office"],
    )
    words = _COMPANY_WORDS

    def company_names(count: int, nouns: list[str], country: np.ndarray) -> list[str]:
        w = rng.integers(0, len(words), count)
        return [
            f"{words[i]} {noun} {_COMPANY_SUFFIX[_COUNTRIES[c]]}"
            for i, noun, c in zip(w, nouns, country, strict=True)
        ]

    country = _pick(rng, home, n_utilities, _HOME_WEIGHTS)
    utility_nouns = ["Energy", "Water", "Telecom", "Insurance", "Broadband", "Gas"]
    nouns = [utility_nouns[i] for i in rng.integers(0, len(utility_nouns), n_utilities)]
    utilities = add(
        "utility",
        n_utilities,
        country,
        ["utilities"] * n_utilities,
        company_names(n_utilities, nouns, country),
    )

    country = _pick(rng, home, n_employers, _HOME_WEIGHTS)
    ind = rng.integers(0, len(_INDUSTRIES), n_employers)
    employers = add(
        "employer",
        n_employers,
        country,
        [_INDUSTRIES[i] for i in ind],
        company_names(n_employers, [_INDUSTRY_NOUN[_INDUSTRIES[i]] for i in ind], country),
    )
    employer_weights = rng.pareto(1.2, n_employers) + 1

    country = _pick(rng, home, n_merchants, _HOME_WEIGHTS)
    ind = _pick(rng, len(_MERCHANT_INDUSTRIES), n_merchants, _MERCHANT_WEIGHTS)
    merchant_ind = [_MERCHANT_INDUSTRIES[i] for i in ind]
    merchants = add(
        "merchant",
        n_merchants,
        country,
        list(merchant_ind),
        company_names(n_merchants, [m.replace("_", " ").title() for m in merchant_ind], country),
    )
    merchant_weights = rng.pareto(1.1, n_merchants) + 1

    country = _pick(rng, home, n_suppliers, _HOME_WEIGHTS)
    ind = rng.integers(0, len(_INDUSTRIES), n_suppliers)
    suppliers = add(
        "other",
        n_suppliers,
        country,
        [_INDUSTRIES[i] for i in ind],
        company_names(n_suppliers, [_INDUSTRY_NOUN[_INDUSTRIES[i]] for i in ind], country),
    )

    def bank_names(count: int) -> list[str]:
        f = rng.integers(0, len(_FIRST_NAMES), count)
        last = rng.integers(0, len(_LAST_NAMES), count)
        return [
            f"{_FIRST_NAMES[a][0]}. {_LAST_NAMES[b]} (external account)"
            for a, b in zip(f, last, strict=True)
        ]

    country = _pick(rng, home, n_banks_home, _HOME_WEIGHTS)
    banks_home = add(
        "bank_account", n_banks_home, country, [None] * n_banks_home, bank_names(n_banks_home)
    )
    country = rng.choice(_HIGH_RISK_COUNTRY_CODES, n_banks_risky)
    banks_risky = add(
        "bank_account", n_banks_risky, country, [None] * n_banks_risky, bank_names(n_banks_risky)
    )
    return _Counterparties(
        kind=np.concatenate(kinds),
        country=np.concatenate(countries),
        industry=industry,
        name=names,
        cash=cash,
        bank=bank,
        pension_fund=int(pension_fund),
        tax_office=int(tax_office),
        utilities=utilities,
        employers=employers,
        employer_weights=employer_weights / employer_weights.sum(),
        merchants=merchants,
        merchant_weights=merchant_weights / merchant_weights.sum(),
        banks_home=banks_home,
        banks_risky=banks_risky,
        suppliers=suppliers,
    )


@dataclass
class _Loans:
    account: np.ndarray
    amount: np.ndarray
    months: np.ndarray
    payment: np.ndarray
    granted_day: np.ndarray
    status: np.ndarray  # index into LOAN_STATUSES


def _make_loans(world: _World) -> _Loans:
    """Loans for some customers; mostly repaid, more often in arrears among the risky."""
    rng, customers, truth, accounts = world.rng, world.customers, world.truth, world.accounts
    n = customers.n
    risky = truth.is_risky()
    ring = truth.typology == _TYPOLOGY_CODE["identity_ring"]
    has_loan = rng.random(n) < np.where(ring, 0.6, np.where(risky, 0.2, 0.12))
    borrowers = np.flatnonzero(has_loan)
    k = len(borrowers)
    account = accounts.primary[borrowers]
    business = customers.business[borrowers]
    amount = np.round(
        np.where(business, _lognormal(rng, 120_000, 0.9, k), _lognormal(rng, 12_000, 0.8, k)), -1
    )
    months = rng.choice(np.array([12, 24, 36, 48, 60, 84, 120]), k)
    monthly_rate = rng.uniform(0.03, 0.09, k) / 12
    payment = np.round(amount * monthly_rate / (1 - (1 + monthly_rate) ** -months), 2)
    earliest = np.maximum(accounts.opened_day[account], -8 * 365)
    granted = earliest + (rng.random(k) * (300 - earliest)).astype(np.int64)
    granted = np.where(ring[borrowers], rng.integers(0, 120, k), granted)
    ends = granted + (months * 30.44).astype(np.int64)
    finished = ends < _PERIOD_DAYS
    p_bad = np.where(ring[borrowers], 0.7, np.where(risky[borrowers], 0.2, 0.04))
    bad = rng.random(k) < p_bad
    status = np.where(
        finished,
        np.where(bad, LOAN_STATUSES.index("finished_unpaid"), LOAN_STATUSES.index("finished_ok")),
        np.where(bad, LOAN_STATUSES.index("running_in_debt"), LOAN_STATUSES.index("running_ok")),
    )
    return _Loans(account, amount, months, payment, granted, status)


# --------------------------------------------------------------------------------------------
# Ordinary behaviour, vectorised over all customers
# --------------------------------------------------------------------------------------------


def _make_normal_transactions(world: _World, loans: _Loans) -> None:
    """Everyday banking for every customer: pay in, pay bills, shop, transfer, use cash."""
    _salaries_and_pensions(world)
    _bills_and_cards(world)
    _transfers_and_cash(world)
    _savings_and_fees(world)
    _business_flows(world)
    _loan_repayments(world, loans)


def _salaries_and_pensions(world: _World) -> None:
    rng, customers, truth, accounts, cps = (
        world.rng,
        world.customers,
        world.truth,
        world.accounts,
        world.cps,
    )
    n = customers.n
    person = ~customers.business
    payroll_paid = truth.role == "employee"
    pensioner = person & (customers.birth_year <= 1959) & (rng.random(n) < 0.5)
    employed = person & ~pensioner & ~payroll_paid & (rng.random(n) < 0.18)

    earners = np.flatnonzero(employed)
    employer = rng.choice(cps.employers, len(earners), p=cps.employer_weights)
    monthly = np.round(customers.income[earners] / 12 * 0.68, 2)
    days = _month_days(25)
    ts = np.add.outer(days * _DAY + 8 * _HOUR, rng.integers(0, 2 * _HOUR, len(earners))).T
    amounts = monthly[:, None] * (1 + rng.normal(0, 0.01, (len(earners), 12)))
    world.ledger.add(
        ts=ts.ravel(),
        amount=np.round(amounts.ravel(), 2),
        ttype="salary",
        channel="wire",
        from_cp=np.repeat(employer, 12),
        to_acc=np.repeat(accounts.primary[earners], 12),
    )

    retirees = np.flatnonzero(pensioner)
    pension = _lognormal(rng, 1_350, 0.3, len(retirees))
    days = _month_days(1)
    ts = np.add.outer(days * _DAY + 7 * _HOUR, rng.integers(0, _HOUR, len(retirees))).T
    world.ledger.add(
        ts=ts.ravel(),
        amount=np.repeat(pension, 12),
        ttype="pension",
        channel="wire",
        from_cp=cps.pension_fund,
        to_acc=np.repeat(accounts.primary[retirees], 12),
    )


def _bills_and_cards(world: _World) -> None:
    rng, customers, accounts, cps = world.rng, world.customers, world.accounts, world.cps
    n = customers.n
    scale = np.where(customers.segment == SEGMENTS.index("private_banking"), 3.0, 1.0)

    bills = rng.poisson(1.3 * customers.activity)
    payer = np.repeat(np.arange(n), bills)
    k = len(payer)
    world.ledger.add(
        ts=_business_seconds(rng, _weekdays(rng, k)),
        amount=_lognormal(rng, 85, 0.6, k) * scale[payer],
        ttype="bill",
        channel=_pick(rng, len(CHANNELS), k, (0.4, 0, 0, 0, 0, 0, 0.6, 0)),
        from_acc=accounts.primary[payer],
        to_cp=rng.choice(cps.utilities, k),
    )

    purchases = rng.poisson(np.where(customers.business, 1.0, 2.0) * customers.activity)
    buyer = np.repeat(np.arange(n), purchases)
    k = len(buyer)
    days = rng.integers(0, _PERIOD_DAYS, k)  # shops open at weekends
    ts = days * _DAY + np.clip(np.rint(rng.normal(15, 3.5, k)), 8, 22).astype(np.int64) * _HOUR
    ts += rng.integers(0, _HOUR, k)
    # A small share of ordinary purchases is disputed; most such disputes are settled.
    dispute = np.where(
        rng.random(k) < 0.002, _pick(rng, len(DISPUTE_KINDS), k, (0.55, 0.35, 0.1, 0)), -1
    )
    world.ledger.add(
        ts=ts,
        amount=_lognormal(rng, 38, 1.0, k) * scale[buyer],
        ttype="card_purchase",
        channel="card",
        from_acc=accounts.card[buyer],
        to_cp=rng.choice(cps.merchants, k, p=cps.merchant_weights),
        dispute=dispute,
    )


def _transfers_and_cash(world: _World) -> None:
    rng, customers, accounts, cps = world.rng, world.customers, world.accounts, world.cps
    n = customers.n
    act = customers.activity

    counts = rng.poisson(0.6 * act)
    sender = np.repeat(np.arange(n), counts)
    k = len(sender)
    receiver = rng.integers(0, n, k)
    receiver = np.where(receiver == sender, (receiver + 1) % n, receiver)
    world.ledger.add(
        ts=_business_seconds(rng, _weekdays(rng, k)),
        amount=_lognormal(rng, 120, 1.1, k),
        ttype="transfer",
        channel=_pick(rng, len(CHANNELS), k, (0.5, 0.5, 0, 0, 0, 0, 0, 0)),
        from_acc=accounts.primary[sender],
        to_acc=accounts.primary[receiver],
    )

    for incoming in (False, True):  # to and from accounts at other banks
        counts = rng.poisson(0.2 * act)
        who = np.repeat(np.arange(n), counts)
        k = len(who)
        own, external = accounts.primary[who], rng.choice(cps.banks_home, k)
        world.ledger.add(
            ts=_business_seconds(rng, _weekdays(rng, k)),
            amount=_lognormal(rng, 250, 1.0, k),
            ttype="transfer",
            channel="online",
            from_acc=-1 if incoming else own,
            from_cp=external if incoming else -1,
            to_acc=own if incoming else -1,
            to_cp=-1 if incoming else external,
        )

    counts = rng.poisson(0.5 * act)
    who = np.repeat(np.arange(n), counts)
    k = len(who)
    notes = np.array([20, 40, 50, 100, 150, 200, 300, 500], np.float64)
    world.ledger.add(
        ts=_business_seconds(rng, rng.integers(0, _PERIOD_DAYS, k)),
        amount=notes[_pick(rng, len(notes), k, (3, 2, 4, 4, 2, 2, 1, 0.5))],
        ttype="cash_withdrawal",
        channel="atm",
        from_acc=accounts.primary[who],
        to_cp=cps.cash,
    )

    counts = rng.poisson(0.1 * act)
    who = np.repeat(np.arange(n), counts)
    k = len(who)
    world.ledger.add(
        ts=_business_seconds(rng, _weekdays(rng, k)),
        amount=np.minimum(_lognormal(rng, 350, 0.9, k), 8_000.0),
        ttype="cash_deposit",
        channel=_pick(rng, len(CHANNELS), k, (0, 0, 0.6, 0.4, 0, 0, 0, 0)),
        from_cp=cps.cash,
        to_acc=accounts.primary[who],
    )


def _savings_and_fees(world: _World) -> None:
    rng, accounts, cps = world.rng, world.accounts, world.cps
    savers = np.flatnonzero(accounts.savings >= 0)
    counts = rng.poisson(1.0, len(savers))
    who = np.repeat(savers, counts)
    k = len(who)
    world.ledger.add(
        ts=_business_seconds(rng, _weekdays(rng, k)),
        amount=_lognormal(rng, 200, 0.8, k),
        ttype="transfer",
        channel="standing_order",
        from_acc=accounts.primary[who],
        to_acc=accounts.savings[who],
    )
    savings_accounts = accounts.savings[savers]
    k = len(savings_accounts)
    world.ledger.add(
        ts=np.full(k, (_PERIOD_DAYS - 1) * _DAY + 2 * _HOUR),
        amount=_lognormal(rng, 12, 1.0, k),
        ttype="interest",
        channel="other",
        from_cp=cps.bank,
        to_acc=savings_accounts,
    )

    charged = np.flatnonzero(rng.random(accounts.n) < 0.15)
    k = len(charged)
    fees = np.array([2.5, 4.9, 9.9, 15.0])
    world.ledger.add(
        ts=_business_seconds(rng, _weekdays(rng, k)),
        amount=fees[rng.integers(0, 4, k)],
        ttype="fee",
        channel="other",
        from_acc=charged,
        to_cp=cps.bank,
    )


def _business_flows(world: _World) -> None:
    rng, customers, accounts, cps = world.rng, world.customers, world.accounts, world.cps
    corporate = customers.segment == SEGMENTS.index("corporate")
    scale = np.where(corporate, 6.0, 1.0)
    volume = np.where(customers.business, np.where(corporate, 2.0, 1.0), 0.0)
    act = customers.activity * volume

    counts = rng.poisson(6 * act)
    who = np.repeat(np.arange(customers.n), counts)
    k = len(who)
    world.ledger.add(
        ts=_business_seconds(rng, _weekdays(rng, k)),
        amount=_lognormal(rng, 1_400, 1.1, k) * scale[who],
        ttype="payment",
        channel=_pick(rng, len(CHANNELS), k, (0.6, 0, 0, 0, 0, 0.4, 0, 0)),
        from_cp=rng.choice(cps.banks_home, k),
        to_acc=accounts.primary[who],
    )

    counts = rng.poisson(4 * act)
    who = np.repeat(np.arange(customers.n), counts)
    k = len(who)
    world.ledger.add(
        ts=_business_seconds(rng, _weekdays(rng, k)),
        amount=_lognormal(rng, 1_100, 1.1, k) * scale[who],
        ttype="payment",
        channel=_pick(rng, len(CHANNELS), k, (0.6, 0, 0, 0, 0, 0.4, 0, 0)),
        from_acc=accounts.primary[who],
        to_cp=rng.choice(cps.suppliers, k),
    )

    taxed = np.flatnonzero(customers.business)
    days = _month_days(15)[[2, 5, 8, 11]]
    k = len(taxed)
    ts = np.add.outer(days * _DAY + 10 * _HOUR, rng.integers(0, _HOUR, k)).T.ravel()
    amount = np.repeat(np.round(customers.income[taxed] * 0.02, 2), 4)
    world.ledger.add(
        ts=ts,
        amount=np.maximum(amount, 1.0),
        ttype="payment",
        channel="wire",
        from_acc=np.repeat(accounts.primary[taxed], 4),
        to_cp=cps.tax_office,
    )


def _loan_repayments(world: _World, loans: _Loans) -> None:
    """Monthly instalments while a loan runs; loans in arrears stop paying months early."""
    rng = world.rng
    month_start = _month_days(5)
    ends = loans.granted_day + (loans.months * 30.44).astype(np.int64)
    active = (month_start[None, :] > loans.granted_day[:, None]) & (
        month_start[None, :] <= ends[:, None]
    )
    in_debt = np.isin(
        loans.status,
        [LOAN_STATUSES.index("running_in_debt"), LOAN_STATUSES.index("finished_unpaid")],
    )
    stop = np.where(in_debt, rng.integers(3, 9, len(ends)), 12)
    active &= np.arange(12)[None, :] < stop[:, None]
    loan_idx, month = np.nonzero(active)
    k = len(loan_idx)
    world.ledger.add(
        ts=month_start[month] * _DAY + 6 * _HOUR + rng.integers(0, _HOUR, k),
        amount=loans.payment[loan_idx],
        ttype="loan_repayment",
        channel="standing_order",
        from_acc=loans.account[loan_idx],
        to_cp=world.cps.bank,
    )


def _make_normal_changes(world: _World) -> None:
    """A few routine changes to account details: the background that a takeover burst breaks."""
    rng, accounts = world.rng, world.accounts
    changed = np.flatnonzero(rng.random(accounts.n) < 0.04)
    k = len(changed)
    kinds = _pick(rng, len(CHANGE_KINDS), k, (0.25, 0.15, 0.15, 0.02, 0.01, 0.15, 0.02, 0.15, 0.10))
    ts = _business_seconds(rng, _weekdays(rng, k))
    owners = accounts.owner[changed]
    old, new = _change_values(world, owners, kinds, rng.integers(0, 10**6, k))
    world.changes.add(changed, ts, kinds, old, new)


def _make_normal_holders(world: _World) -> None:
    """Co-holders and authorised users on some accounts, outside any household group."""
    rng, accounts = world.rng, world.accounts
    n = world.customers.n
    chosen = np.flatnonzero(rng.random(accounts.n) < 0.01)
    other = rng.integers(0, n, len(chosen))
    keep = other != accounts.owner[chosen]
    roles = _pick(rng, 2, len(chosen), (0.6, 0.4))
    for account, customer, role in zip(chosen[keep], other[keep], roles[keep], strict=True):
        world.holders.account.append(int(account))
        world.holders.customer.append(int(customer))
        world.holders.role.append(HOLDER_ROLES[1 + int(role)])


# --------------------------------------------------------------------------------------------
# Planted groups: one small function per typology, called once per group
# --------------------------------------------------------------------------------------------


def _plant_groups(world: _World) -> None:
    """Plant the transactions, identifiers, changes and holders of every group."""
    planters: dict[str, Callable[[_World, int, _Group], None]] = {
        "identity_ring": _plant_identity_ring,
        "fan_in": _plant_fan_in,
        "fan_out": _plant_fan_out,
        "cycle": _plant_cycle,
        "bipartite": _plant_bipartite,
        "stack": _plant_stack,
        "random": _plant_random,
        "scatter_gather": _plant_scatter_gather,
        "gather_scatter": _plant_gather_scatter,
        "structuring": _plant_structuring,
        "dispute_cluster": _plant_dispute_cluster,
        "account_takeover": _plant_account_takeover,
        "high_risk_profile": _plant_high_risk_profile,
        "family_lookalike": _plant_family,
        "payroll_lookalike": _plant_payroll,
        "profile_lookalike": _plant_profile_lookalike,
    }
    for index, group in enumerate(world.truth.groups):
        planters[group.typology](world, index, group)


def _aml_start(rng: np.random.Generator) -> int:
    """Start of a laundering episode (seconds), leaving two weeks for it to finish."""
    return int(_business_seconds(rng, _weekdays(rng, 1, 5, _PERIOD_DAYS - 14))[0])


def _aml_amount(rng: np.random.Generator) -> float:
    return float(_lognormal(rng, 9_000, 0.6))


def _transfer(
    world: _World,
    index: int,
    ts: np.ndarray | int,
    amount: np.ndarray | float,
    senders: np.ndarray | int,
    receivers: np.ndarray | int,
    channel: str = "online",
) -> None:
    """Account-to-account transfers between the primary accounts of customers."""
    primary = world.accounts.primary
    world.ledger.add(
        ts=np.atleast_1d(ts),
        amount=np.round(amount, 2),
        ttype="transfer",
        channel=channel,
        from_acc=primary[senders],
        to_acc=primary[receivers],
        group=index,
    )


def _plant_fan_in(world: _World, index: int, group: _Group) -> None:
    """AMLSim fan-in: many originators send to one beneficiary (members[0])."""
    rng = world.rng
    hub, origins = group.members[0], group.members[1:]
    base, start = _aml_amount(rng), _aml_start(rng)
    ts = _within(rng, start, 5 * 24, len(origins))
    _transfer(world, index, ts, base * rng.uniform(0.9, 1.0, len(origins)), origins, hub)


def _plant_fan_out(world: _World, index: int, group: _Group) -> None:
    """AMLSim fan-out: one originator (members[0]) sends to many beneficiaries."""
    rng = world.rng
    hub, benes = group.members[0], group.members[1:]
    base, start = _aml_amount(rng), _aml_start(rng)
    ts = _within(rng, start, 5 * 24, len(benes))
    _transfer(world, index, ts, base * rng.uniform(0.9, 1.0, len(benes)), hub, benes)


def _plant_cycle(world: _World, index: int, group: _Group) -> None:
    """AMLSim cycle: money passes member to member and returns to the first, a little less
    at each hop (each launderer keeps a cut)."""
    rng = world.rng
    members = group.members
    k = len(members)
    margin = rng.uniform(0.01, 0.05)
    amounts = _aml_amount(rng) * (1 - margin) ** np.arange(k)
    ts = _aml_start(rng) + np.cumsum(rng.integers(2 * _HOUR, 36 * _HOUR, k))
    _transfer(world, index, ts, amounts, members, np.roll(members, -1))


def _plant_bipartite(world: _World, index: int, group: _Group) -> None:
    """AMLSim bipartite: every originator sends to every beneficiary."""
    rng = world.rng
    half = len(group.members) // 2
    origins, benes = group.members[:half], group.members[half:]
    senders = np.repeat(origins, len(benes))
    receivers = np.tile(benes, len(origins))
    ts = _within(rng, _aml_start(rng), 6 * 24, len(senders))
    amounts = _aml_amount(rng) * rng.uniform(0.9, 1.0, len(senders))
    _transfer(world, index, ts, amounts, senders, receivers)


def _plant_stack(world: _World, index: int, group: _Group) -> None:
    """AMLSim stack: two bipartite layers, originators to intermediaries to beneficiaries;
    the second layer passes on the first layer's total, less a margin."""
    rng = world.rng
    members = group.members
    third = len(members) // 3
    origins, mids, benes = members[:third], members[third : 2 * third], members[2 * third :]
    amount1 = _aml_amount(rng)
    amount2 = amount1 * len(origins) * len(mids) / (len(mids) * len(benes))
    amount2 *= 1 - rng.uniform(0.01, 0.05)
    start = _aml_start(rng)
    s1, r1 = np.repeat(origins, len(mids)), np.tile(mids, len(origins))
    _transfer(world, index, _within(rng, start, 72, len(s1)), amount1, s1, r1)
    s2, r2 = np.repeat(mids, len(benes)), np.tile(benes, len(mids))
    _transfer(world, index, _within(rng, start + 80 * _HOUR, 72, len(s2)), amount2, s2, r2)


def _plant_random(world: _World, index: int, group: _Group) -> None:
    """AMLSim random: a random walk among the members; each receiver sends on next."""
    rng = world.rng
    members = group.members
    k = len(members)
    walk = [0]
    for _ in range(k):
        step = int(rng.integers(0, k - 1))
        walk.append(step if step < walk[-1] else step + 1)  # never to itself
    order = members[np.array(walk)]
    amounts = _aml_amount(rng) * (1 - rng.uniform(0.01, 0.04)) ** np.arange(k)
    ts = _aml_start(rng) + np.cumsum(rng.integers(_HOUR, 30 * _HOUR, k))
    _transfer(world, index, ts, amounts, order[:-1], order[1:])


def _plant_scatter_gather(world: _World, index: int, group: _Group) -> None:
    """AMLSim scatter-gather: the originator (members[0]) scatters to intermediaries, who
    gather to one beneficiary (members[1]) slightly less, later."""
    rng = world.rng
    orig, bene, mids = group.members[0], group.members[1], group.members[2:]
    scatter = _aml_amount(rng)
    gather = scatter * (1 - rng.uniform(0.01, 0.05))
    start = _aml_start(rng)
    _transfer(world, index, _within(rng, start, 72, len(mids)), scatter, orig, mids)
    _transfer(world, index, _within(rng, start + 80 * _HOUR, 72, len(mids)), gather, mids, bene)


def _plant_gather_scatter(world: _World, index: int, group: _Group) -> None:
    """AMLSim gather-scatter: originators gather into one hub (members[0]), which scatters
    the total, less a margin, to the beneficiaries."""
    rng = world.rng
    hub = group.members[0]
    n_orig = (len(group.members) - 1) // 2
    origins, benes = group.members[1 : 1 + n_orig], group.members[1 + n_orig :]
    gather = _aml_amount(rng)
    scatter = gather * len(origins) / len(benes) * (1 - rng.uniform(0.01, 0.05))
    start = _aml_start(rng)
    _transfer(world, index, _within(rng, start, 72, len(origins)), gather, origins, hub)
    _transfer(world, index, _within(rng, start + 80 * _HOUR, 72, len(benes)), scatter, hub, benes)


def _plant_identity_ring(world: _World, index: int, group: _Group) -> None:
    """Synthetic identities: shared contact details and devices, money shuffled among them,
    then cashed out."""
    rng, members = world.rng, group.members
    kinds = ["phone", "device", "address", "ip"]
    shared = rng.choice(kinds, size=int(rng.integers(2, 4)), replace=False)
    for kind in shared:
        world.identity.base[str(kind)][members] = members[0]
    k = len(members)
    n_moves = int(rng.integers(k, 2 * k + 1))
    senders = rng.integers(0, k, n_moves)
    receivers = (senders + rng.integers(1, k, n_moves)) % k
    start = _aml_start(rng)
    ts = _within(rng, start, 10 * 24, n_moves)
    _transfer(
        world,
        index,
        ts,
        _lognormal(rng, 900, 0.7, n_moves),
        members[senders],
        members[receivers],
        channel="mobile",
    )
    ts = _within(rng, start + 10 * 24 * _HOUR, 4 * 24, k)
    world.ledger.add(
        ts=ts,
        amount=np.round(rng.integers(5, 30, k) * 100.0, 2),
        ttype="cash_withdrawal",
        channel="atm",
        from_acc=world.accounts.primary[members],
        to_cp=world.cps.cash,
        group=index,
    )


def _plant_structuring(world: _World, index: int, group: _Group) -> None:
    """Structuring: repeated cash deposits just under the reporting threshold, passed on to a
    collector (members[0]) in amounts that stay under it too."""
    rng, cps, primary = world.rng, world.cps, world.accounts.primary
    members = group.members
    smurfs = members if len(members) == 1 else members[1:]
    start_day = int(rng.integers(0, _PERIOD_DAYS - 90))
    low, high = 0.9 * REPORTING_THRESHOLD, REPORTING_THRESHOLD - 10
    for smurf in smurfs:
        k = int(rng.integers(6, 16))
        days = start_day + np.cumsum(rng.integers(1, 5, k))
        ts = _business_seconds(rng, days)
        amounts = np.round(rng.uniform(low, high, k), 2)
        world.ledger.add(
            ts=ts,
            amount=amounts,
            ttype="cash_deposit",
            channel=_pick(rng, len(CHANNELS), k, (0, 0, 0.7, 0.3, 0, 0, 0, 0)),
            from_cp=cps.cash,
            to_acc=primary[smurf],
            group=index,
        )
        if len(members) > 1:
            n_out = max(1, k // 2)
            out_ts = ts[-1] + np.cumsum(rng.integers(_HOUR, 24 * _HOUR, n_out))
            _transfer(world, index, out_ts, rng.uniform(low, high, n_out), smurf, members[0])
    # The collector (or lone smurf) moves the money abroad, still in sub-threshold wires.
    n_wires = int(rng.integers(2, 6))
    ts = (start_day + 70) * _DAY + np.cumsum(rng.integers(_HOUR, 48 * _HOUR, n_wires))
    world.ledger.add(
        ts=ts,
        amount=np.round(rng.uniform(low, high, n_wires), 2),
        ttype="transfer",
        channel="wire",
        from_acc=primary[members[0]],
        to_cp=rng.choice(cps.banks_home, n_wires),
        group=index,
    )


def _plant_dispute_cluster(world: _World, index: int, group: _Group) -> None:
    """Linked customers (shared IP, money between them) buying at the same few merchants and
    then disputing most of it."""
    rng, cps, accounts = world.rng, world.cps, world.accounts
    members = group.members
    world.identity.base["ip"][members] = members[0]
    shops = rng.choice(cps.merchants, int(rng.integers(1, 4)), replace=False)
    start_day = int(rng.integers(0, _PERIOD_DAYS - 90))
    for member in members:
        k = int(rng.integers(4, 11))
        days = np.sort(rng.integers(start_day, start_day + 60, k))
        dispute = np.where(
            rng.random(k) < 0.8, _pick(rng, len(DISPUTE_KINDS), k, (0.6, 0, 0.4, 0)), -1
        )
        world.ledger.add(
            ts=_business_seconds(rng, days),
            amount=_lognormal(rng, 320, 0.6, k),
            ttype="card_purchase",
            channel="card",
            from_acc=accounts.card[member],
            to_cp=rng.choice(shops, k),
            group=index,
            dispute=dispute,
        )
    k = len(members)
    ts = _business_seconds(rng, rng.integers(start_day, start_day + 60, k))
    _transfer(
        world,
        index,
        ts,
        _lognormal(rng, 400, 0.5, k),
        members,
        np.roll(members, -1),
        channel="mobile",
    )


def _plant_account_takeover(world: _World, index: int, group: _Group) -> None:
    """Account takeover: a burst of detail changes and a password reset on each victim's
    account, then transfers out to a mule (members[0]) who cashes out at once."""
    rng, cps, accounts = world.rng, world.cps, world.accounts
    mule, victims = group.members[0], group.members[1:]
    attacker_device = _ATTACKER_BASE + index
    ident = world.identity
    burst_kinds = np.array(
        [
            CHANGE_KINDS.index(k)
            for k in (
                "address_change",
                "phone_change",
                "email_change",
                "device_added",
                "limit_change",
            )
        ]
    )
    for victim in victims:
        start = _aml_start(rng)
        k = int(rng.integers(3, len(burst_kinds) + 1))
        kinds = np.concatenate(
            ([CHANGE_KINDS.index("password_reset")], rng.choice(burst_kinds, k, replace=False))
        )
        ts = _within(rng, start, 36, len(kinds))
        account = accounts.primary[victim]
        old, new = _change_values(
            world, np.full(len(kinds), victim), kinds, rng.integers(0, 10**6, len(kinds))
        )
        world.changes.add(np.full(len(kinds), account), ts, kinds, old, new)
        if victim == victims[0]:  # the mule logs in from the attacker's device too
            _add_extra_device(ident, int(mule), attacker_device, int(start // _DAY))
        _add_extra_device(ident, int(victim), attacker_device, int(start // _DAY))
        n_out = int(rng.integers(2, 5))
        out_ts = _within(rng, int(ts[-1]) + _HOUR, 48, n_out)
        amounts = _lognormal(rng, 2_500, 0.5, n_out)
        _transfer(world, index, out_ts, amounts, victim, mule, channel="online")
        cash_ts = out_ts + rng.integers(_HOUR // 2, 12 * _HOUR, n_out)
        world.ledger.add(
            ts=cash_ts,
            amount=np.round(amounts * 0.97, 2),
            ttype="transfer",
            channel="online",
            from_acc=accounts.primary[mule],
            to_cp=rng.choice(cps.banks_home, n_out),
            group=index,
        )


def _add_extra_device(ident: _Identity, customer: int, base: int, day: int) -> None:
    ident.extra_customer.append(customer)
    ident.extra_kind.append("device")
    ident.extra_base.append(base)
    ident.extra_day.append(day)


def _plant_high_risk_profile(world: _World, index: int, group: _Group) -> None:
    """High-risk industry or country with pass-through flows: round sums in from offshore
    accounts, almost all of it out again within days."""
    rng, cps, primary = world.rng, world.cps, world.accounts.primary
    for member in group.members:
        k = int(rng.integers(6, 16))
        days = np.sort(_weekdays(rng, k, 0, _PERIOD_DAYS - 5))
        ts_in = _business_seconds(rng, days)
        amounts = rng.integers(5, 60, k) * 1_000.0
        world.ledger.add(
            ts=ts_in,
            amount=amounts,
            ttype="transfer",
            channel="wire",
            from_cp=rng.choice(cps.banks_risky, k),
            to_acc=primary[member],
            group=index,
        )
        ts_out = ts_in + rng.integers(6 * _HOUR, 72 * _HOUR, k)
        world.ledger.add(
            ts=ts_out,
            amount=np.round(amounts * rng.uniform(0.95, 0.99, k), 2),
            ttype="transfer",
            channel="wire",
            from_acc=primary[member],
            to_cp=rng.choice(cps.banks_risky, k),
            group=index,
        )
    if len(group.members) > 1:
        ts = _business_seconds(rng, _weekdays(rng, 2))
        _transfer(
            world,
            index,
            ts,
            rng.integers(10, 40, 2) * 1_000.0,
            group.members[0],
            group.members[1],
            channel="wire",
        )


def _plant_family(world: _World, index: int, group: _Group) -> None:
    """Households: one address, often one landline and router, a joint account, pocket
    money. Dense and shared, yet benign."""
    rng, members = world.rng, group.members
    base = world.identity.base
    base["address"][members] = members[0]
    if rng.random() < 0.4:
        base["phone"][members] = members[0]
    if rng.random() < 0.6:
        base["ip"][members] = members[0]
    if len(members) > 1 and rng.random() < 0.7:
        world.holders.account.append(int(world.accounts.primary[members[0]]))
        world.holders.customer.append(int(members[1]))
        world.holders.role.append("co_holder")
    counts = rng.integers(2, 7, len(members) - 1)
    receivers = np.repeat(members[1:], counts)
    k = len(receivers)
    ts = _business_seconds(rng, _weekdays(rng, k))
    _transfer(
        world, index, ts, _lognormal(rng, 90, 0.6, k), members[0], receivers, channel="mobile"
    )


def _plant_payroll(world: _World, index: int, group: _Group) -> None:
    """A business paying its staff every month: a large, regular, benign fan-out."""
    rng, primary = world.rng, world.accounts.primary
    payer, staff = group.members[0], group.members[1:]
    k = len(staff)
    salary = _lognormal(rng, 2_600, 0.3, k)
    days = _month_days(int(rng.integers(24, 29)))
    ts = np.add.outer(days * _DAY + 9 * _HOUR, rng.integers(0, 600, k)).T.ravel()
    amounts = np.repeat(salary, 12) * (1 + rng.normal(0, 0.005, 12 * k))
    world.ledger.add(
        ts=ts,
        amount=np.round(amounts, 2),
        ttype="salary",
        channel="wire",
        from_acc=primary[payer],
        to_acc=np.repeat(primary[staff], 12),
        group=index,
    )


def _plant_profile_lookalike(world: _World, index: int, group: _Group) -> None:
    """An honest customer in a high-risk industry or country: some offshore receipts, but
    uneven amounts and no pass-through."""
    rng, cps, primary = world.rng, world.cps, world.accounts.primary
    for member in group.members:
        k = int(rng.integers(2, 6))
        ts = _business_seconds(rng, _weekdays(rng, k))
        world.ledger.add(
            ts=ts,
            amount=_lognormal(rng, 3_000, 0.8, k),
            ttype="payment",
            channel="wire",
            from_cp=rng.choice(cps.banks_risky, k),
            to_acc=primary[member],
            group=index,
        )


# --------------------------------------------------------------------------------------------
# Identifier strings: each value written in one of several equivalent ways
# --------------------------------------------------------------------------------------------


def _phone_text(number: int, code: str, variant: int) -> str:
    digits = f"{6 + number % 3}{number % 10**9:09d}"  # a mobile-looking national number
    area, mid, tail = digits[:3], digits[3:6], digits[6:]
    if variant == 0:
        return f"+{code} ({area}) {mid}{tail[:1]}-{tail[1:]}"
    if variant == 1:
        return f"{code}{digits}"
    if variant == 2:
        return f"+{code} {area} {mid} {tail}"
    if variant == 3:
        return f"00{code} {area} {mid} {tail}"
    return f"+{code}-{area}-{mid}-{tail}"


def _email_text(local: str, domain: str, variant: int) -> str:
    text = f"{local}@{domain}"
    if variant == 0:
        return text.lower()
    if variant == 1:
        return text.upper()
    return f"{local}@{domain.capitalize()}"


def _address_text(base: int, city: str, variant: int) -> str:
    # Shuffle within blocks of one house per street, kind and number, so that neighbouring
    # bases do not live next door; the block number becomes the flat (none in block 0).
    mixed = (base % _ADDRESS_BLOCK) * 7_919 % _ADDRESS_BLOCK
    flat = base // _ADDRESS_BLOCK
    street = _STREETS[mixed % len(_STREETS)]
    long_kind, short_kind = _STREET_KINDS[(mixed // len(_STREETS)) % len(_STREET_KINDS)]
    house = mixed // (len(_STREETS) * len(_STREET_KINDS)) + 1
    if variant == 0:
        return f"{house} {street} {long_kind}{f', Apt {flat}' if flat else ''}, {city}"
    if variant == 1:
        return (
            f"{house} {street.upper()} {short_kind.upper()}{f' APT {flat}' if flat else ''}"
            f" {city.upper()}"
        )
    if variant == 2:
        return (
            f"{house} {street.lower()} {short_kind.lower()}."
            f"{f' apt. {flat}' if flat else ''}, {city.lower()}"
        )
    return f"{house}  {street} {long_kind}{f' - Flat {flat}' if flat else ''} - {city}"


def _device_text(base: int, variant: int) -> str:
    mixed = (base * 2_654_435_761 + 97) % 2**32
    text = f"{mixed:08x}-{(base * 40_503) % 2**16:04x}-{base % 4096:03x}a"
    return text.upper() if variant == 1 else text


def _ip_text(base: int, variant: int) -> str:
    mixed = (base * 2_654_435_761) % 2**24  # odd multiplier: one-to-one below 2**24
    if variant < 3:  # IPv4: a fixed set of /8 blocks, one host per identifier
        first = (81, 85, 91, 109, 176, 188, 212, 217)[base % 8]
        return f"{first}.{mixed >> 16}.{(mixed >> 8) & 255}.{mixed & 255}"
    hi, lo = base >> 16, mixed & 0xFFFF  # lo fixes base mod 2**16, so this is one-to-one
    words = [0x2001, 0x0DB8, 0, 0, 0, 0, hi, lo]
    if variant == 3:
        return f"2001:db8::{hi:x}:{lo:x}"
    return ":".join(f"{w:04X}" for w in words)


def _email_local(base: int, customers: _Customers) -> str:
    if base < customers.n and not customers.business[base]:
        first = _FIRST_NAMES[customers.first[base]]
        last = _LAST_NAMES[customers.last[base]].replace(" ", "")
        return f"{first}.{last}.{base}"
    return f"contact.{base}"


def _identifier_texts(
    kind: str, bases: np.ndarray, variants: np.ndarray, customers: _Customers
) -> list[str]:
    """Raw identifier values: equal bases give equal normalised values, however written."""
    n = customers.n
    owner_country = np.where(bases < n, customers.country[np.minimum(bases, n - 1)], 0)
    if kind == "phone":
        codes = [_COUNTRY_PHONE[_COUNTRIES[c]] for c in owner_country]
        numbers = (bases.astype(np.int64) * 48_271 + 1_234_567) % 10**9
        return [
            _phone_text(int(b), c, int(v))
            for b, c, v in zip(numbers, codes, variants % 5, strict=True)
        ]
    if kind == "email":
        return [
            _email_text(
                _email_local(int(b), customers),
                _EMAIL_DOMAINS[int(b) % len(_EMAIL_DOMAINS)],
                int(v),
            )
            for b, v in zip(bases, variants % 3, strict=True)
        ]
    if kind == "address":
        return [
            _address_text(int(b), _COUNTRY_CITY[_COUNTRIES[c]], int(v))
            for b, c, v in zip(bases, owner_country, variants % 4, strict=True)
        ]
    if kind == "device":
        return [_device_text(int(b), int(v)) for b, v in zip(bases, variants % 2, strict=True)]
    # Most customers use IPv4; a tenth IPv6, written compressed or in full.
    ipv6 = (bases % 10) == 0
    return [
        _ip_text(int(b), int(3 + v % 2) if six else int(v % 3))
        for b, v, six in zip(bases, variants, ipv6, strict=True)
    ]


def _change_values(
    world: _World, owners: np.ndarray, kinds: np.ndarray, fresh: np.ndarray
) -> tuple[list[str | None], list[str | None]]:
    """Old and new values of account changes: contact details for contact changes, limits
    for limit changes, nothing for the rest."""
    customers, base = world.customers, world.identity.base
    k = len(owners)
    old = np.full(k, None, dtype=object)
    new = np.full(k, None, dtype=object)
    no_variant = np.zeros(k, np.int64)
    for change, ident in (
        ("address_change", "address"),
        ("phone_change", "phone"),
        ("email_change", "email"),
    ):
        rows = np.flatnonzero(kinds == CHANGE_KINDS.index(change))
        if len(rows):
            old[rows] = _identifier_texts(
                ident, base[ident][owners[rows]], no_variant[rows], customers
            )
            new[rows] = _identifier_texts(
                ident, _FRESH_BASE + fresh[rows], no_variant[rows], customers
            )
    rows = np.flatnonzero(kinds == CHANGE_KINDS.index("limit_change"))
    limits = (fresh[rows] % 9 + 1) * 500
    old[rows] = [str(v) for v in limits]
    new[rows] = [str(v * 4) for v in limits]
    rows = np.flatnonzero(kinds == CHANGE_KINDS.index("status_change"))
    old[rows] = "active"
    new[rows] = "dormant"
    return list(old), list(new)


# --------------------------------------------------------------------------------------------
# Tables
# --------------------------------------------------------------------------------------------


def _ids(prefix: str, count: int, width: int) -> pa.Array:
    """Business ids ``<prefix><zero-padded number>`` for 0..count-1, built in C++."""
    width = max(width, len(str(max(count - 1, 0))))
    numbers = pc.cast(pa.array(np.arange(count, dtype=np.int64)), pa.string())
    return pc.binary_join_element_wise(
        pa.scalar(prefix), pc.utf8_lpad(numbers, width, "0"), pa.scalar("")
    )


def _take(values: pa.Array, index: np.ndarray) -> pa.Array:
    """``values[index]``; a negative index gives a null (an empty cell)."""
    index = np.asarray(index, np.int64)
    return values.take(pa.array(index, mask=index < 0))


def _lookup(choices: tuple[str, ...] | list[str], index: np.ndarray) -> pa.Array:
    return _take(pa.array(list(choices), pa.string()), index)


def _dates(days: np.ndarray, missing: np.ndarray | None = None) -> pa.Array:
    """``YYYY-MM-DD`` strings of day offsets from the period start."""
    values = pa.array(np.asarray(days, np.int64) + _EPOCH_DAY, pa.int32(), mask=missing)
    return pc.cast(pc.cast(values, pa.date32()), pa.string())


def _datetimes(seconds: np.ndarray) -> pa.Array:
    """``YYYY-MM-DDTHH:MM:SS`` strings of second offsets from the period start."""
    epoch_seconds = np.asarray(seconds, np.int64) + _EPOCH_DAY * _DAY
    text = pc.cast(pa.array(epoch_seconds, pa.timestamp("s")), pa.string())
    return pc.replace_substring(text, " ", "T")


def _ints(values: np.ndarray, missing: np.ndarray | None = None) -> pa.Array:
    return pa.array(np.asarray(values, np.int64), pa.int64(), mask=missing)


def _table(entity_name: str, columns: dict[str, pa.Array]) -> pa.Table:
    """A table with exactly the spec's columns, in spec order; a mismatch is a bug here."""
    spec_names = next(e.column_names for e in ENTITIES if e.name == entity_name)
    if list(columns) != spec_names:
        raise AssertionError(f"{entity_name}: columns {list(columns)} != spec {spec_names}")
    return pa.table(columns)


def _build_tables(
    world: _World,
    txns: dict[str, np.ndarray],
    loans: _Loans,
    known: tuple[np.ndarray, np.ndarray],
    credit: np.ndarray,
    report: _Progress,
) -> dict[str, pa.Table]:
    customers, accounts, cps = world.customers, world.accounts, world.cps
    report("customers table")
    customer_ids = _ids("C", customers.n, 7)
    account_ids = _ids("A", accounts.n, 8)
    cp_ids = _ids("P", cps.n, 6)
    txn_ids = _ids("T", len(txns["ts"]), 9)
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
    customers: _Customers,
    customer_ids: pa.Array,
    known: tuple[np.ndarray, np.ndarray],
    credit: np.ndarray,
) -> pa.Table:
    person_names = pc.binary_join_element_wise(
        _lookup(_FIRST_NAMES, customers.first), _lookup(_LAST_NAMES, customers.last), " "
    )
    industry_for_name = np.where(customers.industry >= 0, customers.industry, 0)
    word = (customers.first * 7 + customers.last) % len(_COMPANY_WORDS)
    company_names = pc.binary_join_element_wise(
        _lookup(_COMPANY_WORDS, word),
        _lookup([_INDUSTRY_NOUN[i] for i in _ALL_INDUSTRIES], industry_for_name),
        _lookup([_COMPANY_SUFFIX[c] for c in _COUNTRIES], customers.country),
        " ",
    )
    names = pc.if_else(pa.array(customers.business), company_names, person_names)
    label, source = known
    country_text = pa.array(list(_COUNTRIES))
    regions = pc.binary_join_element_wise(
        country_text.take(pa.array(customers.country)),
        pc.utf8_lpad(pc.cast(pa.array(customers.region), pa.string()), 2, "0"),
        "-",
    )
    return _table(
        "customers",
        {
            "customer_id": customer_ids,
            "name": names,
            "segment": _lookup(SEGMENTS, customers.segment),
            "industry": _lookup(_ALL_INDUSTRIES, customers.industry),
            "country": country_text.take(pa.array(customers.country)),
            "region": regions,
            "credit_score": _ints(credit),
            "annual_income": pa.array(customers.income, pa.float64()),
            "kyc_status": _lookup(KYC_STATUSES, customers.kyc),
            "onboarding_date": _dates(customers.onboard_day),
            "birth_year": _ints(customers.birth_year, customers.birth_year < 0),
            "known_risk_label": _lookup(RISK_LABELS, label),
            "known_risk_source": pa.array(source, pa.string(), mask=source == ""),
        },
    )


def _counterparties_table(cps: _Counterparties, cp_ids: pa.Array) -> pa.Table:
    return _table(
        "counterparties",
        {
            "counterparty_id": cp_ids,
            "name": pa.array(cps.name, pa.string()),
            "kind": _lookup(COUNTERPARTY_KINDS, cps.kind),
            "country": _lookup(
                _COUNTRIES, np.where(cps.kind == COUNTERPARTY_KINDS.index("cash"), -1, cps.country)
            ),
            "industry": pa.array(cps.industry, pa.string()),
        },
    )


def _accounts_table(accounts: _Accounts, account_ids: pa.Array, customer_ids: pa.Array) -> pa.Table:
    return _table(
        "accounts",
        {
            "account_id": account_ids,
            "customer_id": _take(customer_ids, accounts.owner),
            "account_type": _lookup(ACCOUNT_TYPES, accounts.kind),
            "currency": _lookup(_CURRENCIES, accounts.currency),
            "opened_date": _dates(accounts.opened_day),
            "closed_date": _dates(accounts.closed_day, accounts.closed_day < 0),
            "status": _lookup(ACCOUNT_STATUSES, accounts.status),
        },
    )


def _holders_table(holders: _Holders, account_ids: pa.Array, customer_ids: pa.Array) -> pa.Table:
    account = np.asarray(holders.account, np.int64)
    customer = np.asarray(holders.customer, np.int64)
    # One row per (account, customer): the first role given wins.
    _, first = np.unique(account * (len(customer_ids) + 1) + customer, return_index=True)
    first = np.sort(first)
    return _table(
        "account_holders",
        {
            "account_id": _take(account_ids, account[first]),
            "customer_id": _take(customer_ids, customer[first]),
            "role": pa.array([holders.role[i] for i in first], pa.string()),
        },
    )


def _identifiers_table(world: _World, customer_ids: pa.Array) -> pa.Table:
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
        value_parts.extend(_identifier_texts(kind, bases, variants, customers))
        seen = customers.onboard_day + rng.integers(0, 400, n)
        day_parts.append(np.minimum(seen, _PERIOD_DAYS - 1))
    if ident.extra_customer:
        extra = np.asarray(ident.extra_customer, np.int64)
        extra_bases = np.asarray(ident.extra_base, np.int64)
        customer_parts.append(extra)
        kind_parts.append(np.full(len(extra), kinds.index("device")))
        value_parts.extend(
            _identifier_texts("device", extra_bases, rng.integers(0, 60, len(extra)), customers)
        )
        day_parts.append(np.asarray(ident.extra_day, np.int64))
    customer = np.concatenate(customer_parts)
    kind_index = np.concatenate(kind_parts)
    day = np.concatenate(day_parts)
    order = np.lexsort((kind_index, customer))  # grouped by customer, kinds in enum order
    values = pa.array(value_parts, pa.string()).take(pa.array(order))
    return _table(
        "identifiers",
        {
            "customer_id": _take(customer_ids, customer[order]),
            "kind": _lookup(kinds, kind_index[order]),
            "value": values,
            "first_seen": _dates(day[order]),
        },
    )


def _transactions_table(
    txns: dict[str, np.ndarray],
    accounts: _Accounts,
    txn_ids: pa.Array,
    account_ids: pa.Array,
    cp_ids: pa.Array,
) -> pa.Table:
    own = np.where(txns["from_acc"] >= 0, txns["from_acc"], txns["to_acc"])
    return _table(
        "transactions",
        {
            "transaction_id": txn_ids,
            "from_account_id": _take(account_ids, txns["from_acc"]),
            "from_counterparty_id": _take(cp_ids, txns["from_cp"]),
            "to_account_id": _take(account_ids, txns["to_acc"]),
            "to_counterparty_id": _take(cp_ids, txns["to_cp"]),
            "amount": pa.array(np.round(txns["amount"], 2), pa.float64()),
            "currency": _lookup(_CURRENCIES, accounts.currency[own]),
            "timestamp": _datetimes(txns["ts"]),
            "channel": _lookup(CHANNELS, txns["channel"]),
            "transaction_type": _lookup(TRANSACTION_TYPES, txns["ttype"]),
        },
    )


def _disputes_table(
    world: _World,
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
    opened = txns["ts"][rows] // _DAY + rng.integers(1, 45, k)
    status = np.where(
        planted,
        _pick(rng, len(DISPUTE_STATUSES), k, (0.35, 0.35, 0.2, 0.05, 0.05)),
        _pick(rng, len(DISPUTE_STATUSES), k, (0.08, 0.07, 0.3, 0.25, 0.3)),
    )

    # Complaints about the bank itself, with no transaction.
    m = max(1, world.customers.n // 400)
    complainer = rng.integers(0, world.customers.n, m)
    account = np.concatenate((account, accounts.primary[complainer]))
    txn_index = np.concatenate((rows, np.full(m, -1)))
    kind = np.concatenate((kind, np.full(m, DISPUTE_KINDS.index("complaint"))))
    amount = np.concatenate((amount, np.full(m, np.nan)))
    opened = np.concatenate((opened, rng.integers(0, _PERIOD_DAYS, m)))
    status = np.concatenate(
        (status, _pick(rng, len(DISPUTE_STATUSES), m, (0.1, 0.1, 0.2, 0.3, 0.3)))
    )
    closes = np.isin(status, [DISPUTE_STATUSES.index(s) for s in ("upheld", "rejected", "closed")])
    closed = opened + rng.integers(3, 60, len(opened))
    owner = accounts.owner[account]
    return _table(
        "disputes",
        {
            "dispute_id": _ids("D", len(owner), 7),
            "customer_id": _take(customer_ids, owner),
            "account_id": _take(account_ids, account),
            "transaction_id": _take(txn_ids, txn_index),
            "kind": _lookup(DISPUTE_KINDS, kind),
            "amount": pa.array(amount, pa.float64(), mask=np.isnan(amount)),
            "status": _lookup(DISPUTE_STATUSES, status),
            "opened_date": _dates(opened),
            "closed_date": _dates(closed, ~closes),
        },
    )


def _loans_table(loans: _Loans, account_ids: pa.Array) -> pa.Table:
    return _table(
        "loans",
        {
            "loan_id": _ids("L", len(loans.account), 7),
            "account_id": _take(account_ids, loans.account),
            "amount": pa.array(loans.amount, pa.float64()),
            "duration_months": _ints(loans.months),
            "monthly_payment": pa.array(loans.payment, pa.float64()),
            "granted_date": _dates(loans.granted_day),
            "status": _lookup(LOAN_STATUSES, loans.status),
        },
    )


def _changes_table(changes: _Changes, account_ids: pa.Array) -> pa.Table:
    account = np.concatenate(changes.account)
    ts = np.concatenate(changes.ts)
    kind = np.concatenate(changes.kind)
    order = np.argsort(ts, kind="stable")
    old = pa.array(changes.old, pa.string()).take(pa.array(order))
    new = pa.array(changes.new, pa.string()).take(pa.array(order))
    return _table(
        "account_changes",
        {
            "change_id": _ids("X", len(account), 8),
            "account_id": _take(account_ids, account[order]),
            "timestamp": _datetimes(ts[order]),
            "change_kind": _lookup(CHANGE_KINDS, kind[order]),
            "old_value": old,
            "new_value": new,
        },
    )


def _build_truth_tables(world: _World, txns: dict[str, np.ndarray]) -> dict[str, pa.Table]:
    truth = world.truth
    n = world.customers.n
    customer_ids = _ids("C", n, 7)
    group_ids = [g.gid for g in truth.groups]
    names = list(_TYPOLOGY_NAMES)
    typology = _lookup(names, truth.typology).fill_null(NORMAL_TYPOLOGY)
    ground_truth = pa.table(
        {
            "customer_id": customer_ids,
            "risky": pa.array(truth.is_risky().astype(np.int64)),
            "typology": typology,
            "group_id": _lookup(group_ids, truth.group),
            "role": pa.array(truth.role, pa.string(), mask=truth.role == ""),
        }
    )
    rows = np.flatnonzero(txns["group"] >= 0)
    group = txns["group"][rows]
    group_typology = np.array([_TYPOLOGY_CODE[g.typology] for g in truth.groups], np.int64)
    planted = pa.table(
        {
            "transaction_id": _take(_ids("T", len(txns["ts"]), 9), rows),
            "group_id": _lookup(group_ids, group),
            "typology": _lookup(names, group_typology[group]),
        }
    )
    return {"ground_truth": ground_truth, "typology_transactions": planted}


# --------------------------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------------------------

_TRUTH_README = """\
# Ground truth of this synthetic data set

Hidden answers for evaluating detectors; a detector must never read these files.

* `ground_truth.csv`: one row per customer. `risky` is 1 for members of planted high-risk
  typologies, `typology` names the pattern (`normal` for none), `group_id` the planted group
  (empty for none) and `role` the member's part in it (hub, originator, mule...).
  Look-alike typologies (`family_lookalike`, `payroll_lookalike`, `profile_lookalike`) are
  benign (`risky` = 0) but dense or unusual on purpose.
* `typology_transactions.csv`: the transactions planted for each group (`transaction_id`,
  `group_id`, `typology`), look-alike groups included.

Only some risky customers carry `known_risk_label` in `customers`; the rest are for models to
find. Generated by `ingestion.generator.generate_dataset` ({n} customers, seed-determined).
"""


def _write_all(
    tables: dict[str, pa.Table],
    truth: dict[str, pa.Table],
    out_dir: Path,
    file_format: str,
    report: _Progress,
) -> dict[str, int]:
    out_dir.mkdir(parents=True, exist_ok=True)
    truth_dir = out_dir / "truth"
    truth_dir.mkdir(exist_ok=True)
    rows: dict[str, int] = {}
    for spec in GENERATED_ENTITIES:
        table = tables[spec.name]
        report(f"write {spec.name}")
        _write_table(table, out_dir / f"{spec.name}.{file_format}", file_format)
        rows[spec.name] = table.num_rows
    for name, table in truth.items():
        _write_table(table, truth_dir / f"{name}.csv", "csv")
        rows[f"truth/{name}"] = table.num_rows
    n = tables["customers"].num_rows
    (truth_dir / "README.md").write_text(_TRUTH_README.format(n=n), encoding="utf-8")
    return rows


def _write_table(table: pa.Table, path: Path, file_format: str) -> None:
    """Write CSV (RFC 4180, strings quoted, empty cells for missing values) or Parquet."""
    if file_format == "parquet":
        pq.write_table(table, path, compression="zstd")
    else:
        pa_csv.write_csv(table, path, pa_csv.WriteOptions(quoting_style="needed"))
    logger.debug("wrote %s (%d rows)", path, table.num_rows)

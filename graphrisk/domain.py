"""The graph schema and the input format, defined once.

Each :class:`EntitySpec` says what one input file (``<entity>.csv`` or ``<entity>.parquet``)
holds, which columns it has, how each is checked, and which other entities it refers to. The
validator, the loaders, both stores, the synthetic generator, the Berka adapter and
``docs/schema.md`` all read these specs, so the format cannot drift between them.

Graph view (Neo4j names; the embedded store uses the same words as table and column names):

* nodes ``Customer``, ``Account``, ``Counterparty``, ``Identifier``, ``Dispute``, ``Loan``,
  ``AccountChange``
* relationships ``(Customer)-[:OWNS {role}]->(Account)``,
  ``(Account|Counterparty)-[:TRANSFERRED {transaction_id, amount, ...}]->(Account|Counterparty)``,
  ``(Customer)-[:HAS_IDENTIFIER]->(Identifier)``, ``(Customer)-[:RAISED]->(Dispute)``,
  ``(Dispute)-[:CONCERNS]->(Account)``, ``(Dispute)-[:AGAINST]->(Customer|Counterparty)`` (the
  accused, where a dispute names one), ``(Account)-[:HAS_LOAN]->(Loan)``,
  ``(Account)-[:HAD_CHANGE]->(AccountChange)``

Customer features (``customer_features``: numeric attributes computed elsewhere) are
attributes of a customer, not part of the network: in Neo4j each is a
``(Customer)-[:HAS_FEATURE]->(CustomerFeature {customer_id, feature, value})``, kept outside
:class:`NodeLabel` and :class:`RelType` (like scoring runs' ``HAS_SCORE``), so neighbourhoods,
paths and graph analytics never walk into them.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Literal


class NodeLabel(StrEnum):
    """Node labels, PascalCase as Neo4j users expect."""

    CUSTOMER = "Customer"
    ACCOUNT = "Account"
    COUNTERPARTY = "Counterparty"
    IDENTIFIER = "Identifier"
    DISPUTE = "Dispute"
    LOAN = "Loan"
    ACCOUNT_CHANGE = "AccountChange"


class RelType(StrEnum):
    """Relationship types, UPPER_SNAKE as Neo4j users expect."""

    OWNS = "OWNS"
    TRANSFERRED = "TRANSFERRED"
    HAS_IDENTIFIER = "HAS_IDENTIFIER"
    RAISED = "RAISED"
    CONCERNS = "CONCERNS"
    AGAINST = "AGAINST"
    HAS_LOAN = "HAS_LOAN"
    HAD_CHANGE = "HAD_CHANGE"


class IdentifierKind(StrEnum):
    """Kinds of shared identifiers that link customers."""

    PHONE = "phone"
    EMAIL = "email"
    ADDRESS = "address"
    DEVICE = "device"
    IP = "ip"


class RiskTier(StrEnum):
    """The three grades a risk team manages customers by."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


#: What a business id may look like (ids become node keys and file names in reports).
ID_PATTERN = r"[A-Za-z0-9_.:@\-]{1,64}"

ColumnKind = Literal[
    "id", "text", "int", "float", "date", "datetime", "enum", "currency", "country"
]


@dataclass(frozen=True)
class Column:
    """One column of an input file and how its values are checked.

    Attributes:
        name: column header, snake_case; also the property key in both stores.
        kind: value type; ``id`` is a business id (1-64 chars of ``[A-Za-z0-9_.:@-]``),
            ``currency`` an ISO 4217 code, ``country`` an ISO 3166-1 alpha-2 code.
        required: an empty value is an error.
        minimum / maximum: inclusive numeric bounds (numbers) or year bounds (dates).
        choices: allowed values of an ``enum`` column (compared lower-case).
        references: the entity whose id this column must name.
        doc: what the column means, for ``docs/schema.md`` and ``graphrisk formats``.
    """

    name: str
    kind: ColumnKind
    required: bool = False
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] = ()
    references: str | None = None
    doc: str = ""


@dataclass(frozen=True)
class EntitySpec:
    """One entity: its input file, its key, and its columns.

    Attributes:
        name: the file stem and table name (``customers`` reads ``customers.csv``).
        label: the Neo4j node label, or ``None`` where rows are not nodes of the network
            (relationships, or attributes of a customer).
        key: the column(s) that identify a row; a re-load with the same key updates the row.
        columns: every column, in file order.
        one_of: groups of columns of which exactly one must be filled (a transaction's source
            is an account *or* a counterparty).
        at_most_one_of: groups of optional columns of which at most one may be filled (a
            dispute's accused is a customer *or* a counterparty, or nobody).
        doc: what a row means.
    """

    name: str
    label: NodeLabel | None
    key: tuple[str, ...]
    columns: tuple[Column, ...]
    one_of: tuple[tuple[str, ...], ...] = ()
    doc: str = ""
    at_most_one_of: tuple[tuple[str, ...], ...] = ()

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def required_headers(self) -> list[str]:
        """Headers a file must have: required columns and the ``one_of`` groups."""
        grouped = {name for group in self.one_of for name in group}
        return [c.name for c in self.columns if c.required or c.name in grouped]

    def column(self, name: str) -> Column:
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(f"{self.name} has no column {name!r}")


SEGMENTS = ("retail", "sme", "corporate", "private_banking")
KYC_STATUSES = ("verified", "pending", "failed", "expired")
RISK_LABELS = (
    "fraud", "money_laundering", "mule", "identity_fraud", "credit_default", "sanctions", "other",
)
ACCOUNT_TYPES = ("checking", "savings", "credit_card", "loan", "business", "wallet")
ACCOUNT_STATUSES = ("active", "dormant", "frozen", "closed")
HOLDER_ROLES = ("owner", "co_holder", "authorised_user")
COUNTERPARTY_KINDS = (
    "merchant", "employer", "utility", "bank_account", "cash", "government", "other",
)
CHANNELS = ("online", "mobile", "branch", "atm", "card", "wire", "standing_order", "other")
TRANSACTION_TYPES = (
    "transfer", "payment", "salary", "bill", "cash_deposit", "cash_withdrawal", "card_purchase",
    "loan_repayment", "fee", "penalty_interest", "insurance", "interest", "pension", "other",
)
DISPUTE_KINDS = ("chargeback", "complaint", "fraud_claim", "legal")
DISPUTE_STATUSES = ("open", "investigating", "upheld", "rejected", "closed")
LOAN_STATUSES = ("finished_ok", "finished_unpaid", "running_ok", "running_in_debt")
CHANGE_KINDS = (
    "address_change", "phone_change", "email_change", "owner_added", "owner_removed",
    "limit_change", "status_change", "password_reset", "device_added",
)

CUSTOMERS = EntitySpec(
    name="customers",
    label=NodeLabel.CUSTOMER,
    key=("customer_id",),
    doc="A person or business the institution serves.",
    columns=(
        Column("customer_id", "id", required=True, doc="Business id of the customer."),
        Column("name", "text", required=True, doc="Full name or company name."),
        Column("segment", "enum", required=True, choices=SEGMENTS, doc="Customer segment."),
        Column("industry", "text", doc="Industry (lower-case code such as `gambling`); "
               "businesses and self-employed only."),
        Column("country", "country", required=True, doc="Country of residence, ISO 3166-1."),
        Column("region", "text", doc="Region or district within the country."),
        Column("credit_score", "int", minimum=300, maximum=850, doc="Bureau credit score."),
        Column("annual_income", "float", minimum=0, doc="Yearly income (persons) or turnover "
               "(businesses), in the account currency."),
        Column("kyc_status", "enum", required=True, choices=KYC_STATUSES, doc="Know-your-"
               "customer check status."),
        Column("onboarding_date", "date", required=True, minimum=1900, doc="When the customer "
               "joined."),
        Column("birth_year", "int", minimum=1900, maximum=2030, doc="Year of birth (persons)."),
        Column("known_risk_label", "enum", choices=RISK_LABELS, doc="Confirmed risk, where "
               "one is known; empty means *unknown*, not *clean*."),
        Column("known_risk_source", "text", doc="Where the known label came from (SAR, "
               "investigation, chargeback, loan status...)."),
    ),
)

#: What a customer feature may be called: lower-case letters, digits and ``_ . -``.
FEATURE_NAME_PATTERN = r"[a-z0-9_.\-]{1,64}"

CUSTOMER_FEATURES = EntitySpec(
    name="customer_features",
    label=None,
    key=("customer_id", "feature"),
    doc="Numeric attributes computed elsewhere (bureau variables, financial-statement "
    "ratios) that models use as customer features. Long form: one row per customer and "
    "feature; a customer without a row for a feature has it missing. Feature names are "
    "lower-cased before they are checked and stored.",
    columns=(
        Column("customer_id", "id", required=True, references="customers"),
        Column("feature", "text", required=True, doc="Feature name, lower-case: letters, "
               "digits and `_ . -`, at most 64 characters (e.g. `debt_to_equity`)."),
        Column("value", "float", required=True, doc="The customer's value; models "
               "standardise it, so any finite scale works (transform heavy tails first)."),
    ),
)

ACCOUNTS = EntitySpec(
    name="accounts",
    label=NodeLabel.ACCOUNT,
    key=("account_id",),
    doc="An account held at the institution; its owner is one customer.",
    columns=(
        Column("account_id", "id", required=True, doc="Business id of the account."),
        Column("customer_id", "id", required=True, references="customers", doc="The owner."),
        Column("account_type", "enum", required=True, choices=ACCOUNT_TYPES, doc="Product."),
        Column("currency", "currency", required=True, doc="ISO 4217 currency code."),
        Column("opened_date", "date", required=True, minimum=1900, doc="Opening date."),
        Column("closed_date", "date", minimum=1900, doc="Closing date, if closed."),
        Column("status", "enum", required=True, choices=ACCOUNT_STATUSES, doc="Current status."),
    ),
)

ACCOUNT_HOLDERS = EntitySpec(
    name="account_holders",
    label=None,
    key=("account_id", "customer_id"),
    doc="Further customers with rights on an account (co-holders, authorised users). The owner "
    "in `accounts.csv` is a holder with role `owner` without a row here.",
    columns=(
        Column("account_id", "id", required=True, references="accounts"),
        Column("customer_id", "id", required=True, references="customers"),
        Column("role", "enum", required=True, choices=HOLDER_ROLES),
    ),
)

COUNTERPARTIES = EntitySpec(
    name="counterparties",
    label=NodeLabel.COUNTERPARTY,
    key=("counterparty_id",),
    doc="An external party: merchant, employer, utility, another bank's account, cash.",
    columns=(
        Column("counterparty_id", "id", required=True),
        Column("name", "text", required=True),
        Column("kind", "enum", required=True, choices=COUNTERPARTY_KINDS),
        Column("country", "country", doc="Country, ISO 3166-1 alpha-2."),
        Column("industry", "text", doc="Industry code (lower-case)."),
    ),
)

IDENTIFIERS = EntitySpec(
    name="identifiers",
    label=NodeLabel.IDENTIFIER,
    key=("customer_id", "kind", "value"),
    doc="A phone, e-mail, address, device or IP address a customer used. Values are "
    "normalised before they are stored, so equal identifiers written differently match; "
    "the key uses the normalised value, so two spellings of one identifier for one customer "
    "are one row.",
    columns=(
        Column("customer_id", "id", required=True, references="customers"),
        Column("kind", "enum", required=True, choices=tuple(k.value for k in IdentifierKind)),
        Column("value", "text", required=True, doc="Raw value; stored normalised."),
        Column("first_seen", "date", minimum=1900, doc="When the customer first used it."),
    ),
)

TRANSACTIONS = EntitySpec(
    name="transactions",
    label=None,
    key=("transaction_id",),
    doc="A movement of money. Exactly one source (account or counterparty) and exactly one "
    "target (account or counterparty); at least one side is an account of ours.",
    one_of=(("from_account_id", "from_counterparty_id"), ("to_account_id", "to_counterparty_id")),
    columns=(
        Column("transaction_id", "id", required=True),
        Column("from_account_id", "id", references="accounts"),
        Column("from_counterparty_id", "id", references="counterparties"),
        Column("to_account_id", "id", references="accounts"),
        Column("to_counterparty_id", "id", references="counterparties"),
        Column("amount", "float", required=True, minimum=0.01, maximum=1e12),
        Column("currency", "currency", required=True),
        Column("timestamp", "datetime", required=True, minimum=1900, doc="ISO 8601, UTC if no "
               "offset is given."),
        Column("channel", "enum", required=True, choices=CHANNELS),
        Column("transaction_type", "enum", required=True, choices=TRANSACTION_TYPES),
    ),
)

DISPUTES = EntitySpec(
    name="disputes",
    label=NodeLabel.DISPUTE,
    key=("dispute_id",),
    doc="A chargeback, complaint, fraud claim or legal case raised by a customer (the "
    "complainant), optionally against another customer or a counterparty (the accused: the "
    "merchant charged back, the seller complained of). The accused columns may be left out "
    "of the file.",
    at_most_one_of=(("against_customer_id", "against_counterparty_id"),),
    columns=(
        Column("dispute_id", "id", required=True),
        Column("customer_id", "id", required=True, references="customers",
               doc="The complainant: the customer who raised the dispute."),
        Column("account_id", "id", references="accounts"),
        Column("transaction_id", "id", references="transactions"),
        Column("kind", "enum", required=True, choices=DISPUTE_KINDS),
        Column("amount", "float", minimum=0),
        Column("status", "enum", required=True, choices=DISPUTE_STATUSES),
        Column("opened_date", "date", required=True, minimum=1900),
        Column("closed_date", "date", minimum=1900),
        Column("against_customer_id", "id", references="customers", doc="The accused, when "
               "it is a customer of ours (a chargeback against a merchant who banks here)."),
        Column("against_counterparty_id", "id", references="counterparties", doc="The "
               "accused, when it is an external party; at most one of the two accused "
               "columns is filled."),
    ),
)

LOANS = EntitySpec(
    name="loans",
    label=NodeLabel.LOAN,
    key=("loan_id",),
    doc="Credit granted on an account: the customer's credit history.",
    columns=(
        Column("loan_id", "id", required=True),
        Column("account_id", "id", required=True, references="accounts"),
        Column("amount", "float", required=True, minimum=0.01),
        Column("duration_months", "int", required=True, minimum=1, maximum=600),
        Column("monthly_payment", "float", minimum=0),
        Column("granted_date", "date", required=True, minimum=1900),
        Column("status", "enum", required=True, choices=LOAN_STATUSES),
    ),
)

ACCOUNT_CHANGES = EntitySpec(
    name="account_changes",
    label=NodeLabel.ACCOUNT_CHANGE,
    key=("change_id",),
    doc="A change to an account's details; bursts of them are a risk signal.",
    columns=(
        Column("change_id", "id", required=True),
        Column("account_id", "id", required=True, references="accounts"),
        Column("timestamp", "datetime", required=True, minimum=1900),
        Column("change_kind", "enum", required=True, choices=CHANGE_KINDS),
        Column("old_value", "text"),
        Column("new_value", "text"),
    ),
)

#: Every entity, in load order: an entity comes after every entity it refers to.
ENTITIES: tuple[EntitySpec, ...] = (
    CUSTOMERS, CUSTOMER_FEATURES, COUNTERPARTIES, ACCOUNTS, ACCOUNT_HOLDERS, IDENTIFIERS,
    TRANSACTIONS, DISPUTES, LOANS, ACCOUNT_CHANGES,
)
ENTITY_BY_NAME: dict[str, EntitySpec] = {spec.name: spec for spec in ENTITIES}

#: Entities whose file must be present for a load to make sense.
REQUIRED_ENTITIES = ("customers", "accounts")


def entity(name: str) -> EntitySpec:
    """The spec of an entity by its file stem; ``ValueError`` names the known ones."""
    try:
        return ENTITY_BY_NAME[name]
    except KeyError:
        known = ", ".join(ENTITY_BY_NAME)
        raise ValueError(f"unknown entity {name!r}; known entities: {known}") from None


@dataclass(frozen=True)
class RelationshipSpec:
    """How rows of one entity become relationships of one type.

    Each row of ``entity`` with both ``start_column`` and ``end_column`` filled is a
    ``(start_label {id: start_column})-[type]->(end_label {id: end_column})`` relationship.
    Both stores derive their relationships from this table, so they agree on the graph.
    """

    type: RelType
    entity: str
    start_label: NodeLabel
    start_column: str
    end_label: NodeLabel
    end_column: str
    properties: tuple[str, ...] = ()


RELATIONSHIPS: tuple[RelationshipSpec, ...] = (
    RelationshipSpec(RelType.OWNS, "accounts", NodeLabel.CUSTOMER, "customer_id",
                     NodeLabel.ACCOUNT, "account_id"),
    RelationshipSpec(RelType.OWNS, "account_holders", NodeLabel.CUSTOMER, "customer_id",
                     NodeLabel.ACCOUNT, "account_id", ("role",)),
    RelationshipSpec(RelType.HAS_IDENTIFIER, "identifiers", NodeLabel.CUSTOMER, "customer_id",
                     NodeLabel.IDENTIFIER, "identifier_id"),
    RelationshipSpec(RelType.RAISED, "disputes", NodeLabel.CUSTOMER, "customer_id",
                     NodeLabel.DISPUTE, "dispute_id"),
    RelationshipSpec(RelType.CONCERNS, "disputes", NodeLabel.DISPUTE, "dispute_id",
                     NodeLabel.ACCOUNT, "account_id"),
    RelationshipSpec(RelType.AGAINST, "disputes", NodeLabel.DISPUTE, "dispute_id",
                     NodeLabel.CUSTOMER, "against_customer_id"),
    RelationshipSpec(RelType.AGAINST, "disputes", NodeLabel.DISPUTE, "dispute_id",
                     NodeLabel.COUNTERPARTY, "against_counterparty_id"),
    RelationshipSpec(RelType.HAS_LOAN, "loans", NodeLabel.ACCOUNT, "account_id",
                     NodeLabel.LOAN, "loan_id"),
    RelationshipSpec(RelType.HAD_CHANGE, "account_changes", NodeLabel.ACCOUNT, "account_id",
                     NodeLabel.ACCOUNT_CHANGE, "change_id"),
    RelationshipSpec(RelType.TRANSFERRED, "transactions", NodeLabel.ACCOUNT, "from_account_id",
                     NodeLabel.ACCOUNT, "to_account_id"),
    RelationshipSpec(RelType.TRANSFERRED, "transactions", NodeLabel.ACCOUNT, "from_account_id",
                     NodeLabel.COUNTERPARTY, "to_counterparty_id"),
    RelationshipSpec(RelType.TRANSFERRED, "transactions", NodeLabel.COUNTERPARTY,
                     "from_counterparty_id", NodeLabel.ACCOUNT, "to_account_id"),
)

#: The entity and id column behind each node label.
NODE_SOURCES: dict[NodeLabel, tuple[str, str]] = {
    NodeLabel.CUSTOMER: ("customers", "customer_id"),
    NodeLabel.ACCOUNT: ("accounts", "account_id"),
    NodeLabel.COUNTERPARTY: ("counterparties", "counterparty_id"),
    NodeLabel.IDENTIFIER: ("identifier_nodes", "identifier_id"),
    NodeLabel.DISPUTE: ("disputes", "dispute_id"),
    NodeLabel.LOAN: ("loans", "loan_id"),
    NodeLabel.ACCOUNT_CHANGE: ("account_changes", "change_id"),
}

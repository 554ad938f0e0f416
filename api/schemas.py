"""The API's request and response bodies (``XCreate`` in, ``XPublic`` out).

Every model carries an example, so the OpenAPI document shows a request a person can send
and the answer they will get.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from graphrisk.monitoring.records import Alert, Case

__all__ = [
    "AuditEntryPublic", "CaseClose", "CaseCreate", "CaseUpdate", "ClusterPublic",
    "ContactCreate", "CustomerDetail", "CustomerSummary", "EventsIn", "GraphEdge",
    "DecisionCreate", "GraphNodePublic", "GraphPublic", "IngestResult", "JobCreate",
    "JobPublic", "ListPage", "Me", "NoteCreate", "QueryIn", "QueryPublic", "SameEntityPairPublic",
    "ScreeningHitPublic", "ScreeningListPublic", "StepTick",
]

T = TypeVar("T")


class Problem(BaseModel):
    """An error, as RFC 9457 ``application/problem+json``."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str = Field(description="What went wrong and what to do about it.")
    instance: str | None = None
    errors: list[dict[str, Any]] | None = Field(
        default=None, description="Each invalid field (422 only).")

    model_config = ConfigDict(json_schema_extra={"examples": [
        {"type": "about:blank", "title": "Not Found", "status": 404,
         "detail": "Customer 'C9' not found", "instance": "/api/customers/C9"}]})


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for the problems a route may answer with."""
    from http import HTTPStatus

    return {status: {"model": Problem, "description": HTTPStatus(status).phrase,
                     "content": {"application/problem+json": {}}}
            for status in statuses}


class ListPage(BaseModel, Generic[T]):
    """One page of a list: ``items``, with ``total`` items in all."""

    items: list[T]
    total: int = Field(ge=0)
    limit: int = Field(ge=1)
    offset: int = Field(ge=0)


class Me(BaseModel):
    name: str
    role: Literal["viewer", "investigator", "admin"]
    masked: bool = Field(description="Whether names and identifiers are masked for you.")
    store: str = Field(description="The store the API serves: embedded or neo4j.")

    model_config = ConfigDict(json_schema_extra={"examples": [
        {"name": "ines", "role": "investigator", "masked": False, "store": "embedded"}]})


# -- customers -----------------------------------------------------------------------------
class CustomerSummary(BaseModel):
    customer_id: str
    name: str | None
    segment: str | None = None
    country: str | None = None
    score: float | None = Field(default=None, description="Latest risk score, 0-100.")
    tier: str | None = None

    model_config = ConfigDict(json_schema_extra={"examples": [
        {"customer_id": "C000042", "name": "Ana Lima", "segment": "retail", "country": "PT",
         "score": 87.5, "tier": "high"}]})


class ScorePoint(BaseModel):
    run_id: str
    created_at: str
    kind: str
    score: float
    tier: str


class CustomerDetail(BaseModel):
    customer_id: str
    name: str | None
    masked: bool
    profile: dict[str, Any] = Field(description="Stored properties of the customer.")
    identifiers: list[dict[str, Any]] = Field(
        description="Phones, e-mails, addresses, devices and IPs the customer used, with how "
        "many other customers share each.")
    score: float | None
    tier: str | None
    reasons: list[str]
    components: dict[str, float] = Field(
        description="The score's parts (known, individual, unusual, network, typology, "
        "cluster, model), each 0-1.")
    scored_at: str | None
    history: list[ScorePoint] = Field(description="Every stored score, oldest first.")
    alerts: int = Field(description="Open alerts on the customer.")
    open_case: str | None = Field(description="The open case the customer is on, if any.")
    cluster_id: str | None = Field(description="The customer's best high-risk cluster.")

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "customer_id": "C000042", "name": "Ana Lima", "masked": False,
        "profile": {"segment": "retail", "country": "PT", "kyc_status": "verified"},
        "identifiers": [{"id": "Identifier:phone:351912345678", "kind": "phone",
                         "value": "351912345678", "shared_with": 3}],
        "score": 87.5, "tier": "high",
        "reasons": ["shares a device with 3 customers, 2 of them known fraud"],
        "components": {"known": 0.0, "individual": 0.41, "network": 0.8},
        "scored_at": "2026-11-30T10:00:00+00:00",
        "history": [{"run_id": "20261130T100000Z-1a2b3c4d", "created_at":
                     "2026-11-30T10:00:00+00:00", "kind": "risk_score", "score": 87.5,
                     "tier": "high"}],
        "alerts": 2, "open_case": "CASE-1A2B3C4D", "cluster_id": "ring:3"}]})


# -- the graph -----------------------------------------------------------------------------
class GraphNodePublic(BaseModel):
    id: str = Field(description="`Label:business id`, e.g. `Customer:C000042`.")
    label: str
    key: str
    name: str | None = None
    score: float | None = None
    tier: str | None = None
    cluster_id: str | None = None
    known_risk_label: str | None = None
    properties: dict[str, Any] = Field(default_factory=dict)


class GraphEdge(BaseModel):
    id: str
    type: str
    source: str
    target: str
    properties: dict[str, Any] = Field(default_factory=dict)


class GraphPublic(BaseModel):
    centre: str | None = None
    nodes: list[GraphNodePublic]
    edges: list[GraphEdge]
    truncated: bool = False
    frozen_at: str | None = Field(default=None, description="When a case froze it (evidence).")

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "centre": "Customer:C000042",
        "nodes": [{"id": "Customer:C000042", "label": "Customer", "key": "C000042",
                   "name": "Ana Lima", "score": 87.5, "tier": "high", "cluster_id": "ring:3",
                   "properties": {"country": "PT"}},
                  {"id": "Account:A000101", "label": "Account", "key": "A000101",
                   "properties": {"currency": "EUR"}}],
        "edges": [{"id": "OWNS:Customer:C000042->Account:A000101", "type": "OWNS",
                   "source": "Customer:C000042", "target": "Account:A000101",
                   "properties": {}}],
        "truncated": False}]})


# -- clusters ------------------------------------------------------------------------------
class ClusterPublic(BaseModel):
    cluster_id: str
    kind: str
    rank: int
    score: float
    size: int
    members: list[str]
    known_risk_members: int
    known_share: float
    total_flow: float
    disputes: int
    typology_instances: int
    high_risk: bool
    reason: str
    run_id: str = Field(description="The scoring run that ranked it.")

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "cluster_id": "ring:3", "kind": "identity_ring", "rank": 1, "score": 0.93, "size": 5,
        "members": ["C000042", "C000043"], "known_risk_members": 2, "known_share": 0.4,
        "total_flow": 48200.0, "disputes": 1, "typology_instances": 1, "high_risk": True,
        "reason": "5 customers share 2 devices; 2 known fraud", "run_id": "20261130T100000Z-1a"}]})


# -- cases ---------------------------------------------------------------------------------
class CaseCreate(BaseModel):
    subjects: list[str] = Field(min_length=1, max_length=500,
                                description="Customer ids the case is about.")
    title: str = Field(min_length=1, max_length=200)
    alert_ids: list[str] = Field(default_factory=list, max_length=500)

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"subjects": ["C000042", "C000043"], "title": "device ring around C000042",
         "alert_ids": []}]})


class Versioned(BaseModel):
    version: int = Field(ge=1, description="The case version you read; a stale one gets 409.")

    model_config = ConfigDict(extra="forbid")


class CaseUpdate(Versioned):
    owner: str | None = Field(default=None, min_length=1, max_length=64)
    status: Literal["open", "investigating", "escalated"] | None = None

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"version": 3, "owner": "ines", "status": "investigating"}]})


class NoteCreate(Versioned):
    text: str = Field(min_length=1, max_length=10_000)

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"version": 3, "text": "called the bank of the payee; waiting for documents"}]})


class ContactCreate(Versioned):
    channel: Literal["phone", "email", "letter", "in_person", "portal"]
    summary: str = Field(min_length=1, max_length=10_000)
    on: date | None = Field(default=None, description="When it happened (today by default).")
    template: str | None = Field(default=None, max_length=100)

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"version": 4, "channel": "phone", "summary": "asked for the source of funds",
         "on": "2026-11-30"}]})


class StepTick(Versioned):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"version": 5}]})


class CaseClose(Versioned):
    outcome: Literal["confirmed_risk", "false_positive", "keep_monitoring"]
    risk_label: str | None = Field(default=None, description="Needed when confirmed_risk.")
    note: str | None = Field(default=None, max_length=10_000)

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"version": 6, "outcome": "confirmed_risk", "risk_label": "fraud",
         "note": "ring confirmed with the card issuer"}]})


# -- incremental events --------------------------------------------------------------------
Row = dict[str, str | int | float | bool | None]


class EventsIn(BaseModel):
    """An incremental batch, per input file: the same columns as the CSV files."""

    customers: list[Row] = Field(default_factory=list, max_length=10_000)
    customer_features: list[Row] = Field(default_factory=list, max_length=10_000)
    accounts: list[Row] = Field(default_factory=list, max_length=10_000)
    account_holders: list[Row] = Field(default_factory=list, max_length=10_000)
    counterparties: list[Row] = Field(default_factory=list, max_length=10_000)
    identifiers: list[Row] = Field(default_factory=list, max_length=10_000)
    transactions: list[Row] = Field(default_factory=list, max_length=10_000)
    disputes: list[Row] = Field(default_factory=list, max_length=10_000)
    loans: list[Row] = Field(default_factory=list, max_length=10_000)
    account_changes: list[Row] = Field(default_factory=list, max_length=10_000)

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "transactions": [{"transaction_id": "T9000001", "from_account_id": "A000101",
                          "to_account_id": "A000202", "amount": 14800.0, "currency": "EUR",
                          "timestamp": "2026-11-30T09:12:00Z", "channel": "online"}]}]})


class IngestResult(BaseModel):
    load_id: str
    accepted: dict[str, int] = Field(description="Valid rows loaded, per input file.")
    rejected: dict[str, int] = Field(description="Rows quarantined, per input file.")
    problems: list[dict[str, Any]] = Field(
        description="Each quarantined row: file, row, column and reason (first 200).")
    alerts: list[Alert] = Field(description="Alerts the batch raised.")
    cases_opened: list[str]
    rescored: int = Field(description="Customers re-scored.")


# -- jobs ----------------------------------------------------------------------------------
class JobCreate(BaseModel):
    kind: Literal["score", "reassess", "train", "screen", "resolve"] = Field(
        description="score, reassess, train; screen: every customer and counterparty "
        "against every loaded list; resolve: find the probable same-person pairs.")
    period: str | None = Field(default=None, description="reassess: the period (2026-Q4, "
                               "2026-11); the current one by default.")
    everyone: bool = Field(default=False, description="reassess: every customer, not only "
                           "those due.")
    model: Literal["auto", "hgt", "sage"] = Field(
        default="auto", description="train: the model; auto chooses hgt, sage or their "
        "ensemble by cross-validation (graphrisk train --model auto).")
    epochs: int = Field(default=200, ge=1, le=5000, description="train: epochs.")

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"kind": "score"}, {"kind": "reassess", "period": "2026-Q4"}]})


class JobPublic(BaseModel):
    job_id: str
    kind: str
    status: Literal["queued", "running", "succeeded", "failed"]
    progress: float | None = Field(description="Share done, 0-1, when countable.")
    message: str
    requested_by: str
    created_at: str
    started_at: str | None = None
    finished_at: str | None = None
    result: dict[str, Any] | None = None
    error: str | None = None

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "job_id": "J-20261130T100000-1a2b", "kind": "score", "status": "running",
        "progress": 0.4, "message": "propagating risk, rings and communities",
        "requested_by": "ana", "created_at": "2026-11-30T10:00:00+00:00",
        "started_at": "2026-11-30T10:00:01+00:00"}]})


# -- read-only Cypher ------------------------------------------------------------------------
class QueryIn(BaseModel):
    cypher: str = Field(min_length=1, max_length=20_000)
    parameters: dict[str, Any] = Field(default_factory=dict)
    row_limit: int | None = Field(default=None, ge=1, le=100_000)

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "cypher": "MATCH (c:Customer)-[:HAS_IDENTIFIER]->(i:Identifier {kind: 'device'})"
                  "<-[:HAS_IDENTIFIER]-(o:Customer) WHERE c.customer_id = $id "
                  "RETURN c, i, o LIMIT 50",
        "parameters": {"id": "C000042"}}]})


class QueryPublic(BaseModel):
    columns: list[str]
    rows: list[list[Any]]
    graph: GraphPublic
    truncated: bool


class AuditEntryPublic(BaseModel):
    seq: int
    at: datetime | str
    actor: str
    action: str
    subject: str | None
    details: dict[str, Any]


# -- screening and same-person pairs ----------------------------------------------------------
class ScreeningListPublic(BaseModel):
    name: str = Field(description="The name the list was loaded under.")
    version: int = Field(ge=1, description="Its latest version (one more per changed load).")
    entries: int = Field(ge=0, description="Entries in that version.")
    loaded_at: str
    loaded_by: str
    source: str = Field(description="The file it was loaded from.")
    versions: list[dict[str, Any]] = Field(
        description="Every version, oldest first: entries, when and by whom, and how many "
        "entries it added, removed and changed.")

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "name": "un-sanctions", "version": 2, "entries": 1204,
        "loaded_at": "2026-11-30T09:00:00+00:00", "loaded_by": "ana",
        "source": "un-consolidated.csv",
        "versions": [{"version": 1, "entries": 1200, "loaded_at": "2026-11-01T09:00:00+00:00",
                      "loaded_by": "ana", "source": "un-consolidated.csv", "added": 0,
                      "removed": 0, "changed": 0}]}]})


class ScreeningHitPublic(BaseModel):
    hit_id: str
    status: Literal["open", "confirmed", "dismissed", "cleared"]
    record_kind: Literal["customer", "counterparty"]
    subject: str = Field(description="The customer or counterparty id.")
    record_name: str | None = Field(description="The bank's name of it (masked for viewers).")
    list_name: str
    list_version: int
    entry_id: str
    entry_name: str = Field(description="The list entry's name (masked for viewers: it is "
                            "nearly the customer's).")
    matched_name: str = Field(description="The entry's name or alias that matched (masked "
                              "for viewers).")
    programme: str
    score: float = Field(ge=0, le=1, description="The match score.")
    sentence: str = Field(description="Why it matched, in words.")
    agreed: list[str] = Field(description="What confirmed the match (birth year, country).")
    contradicted: list[str] = Field(description="What spoke against it.")
    history: list[dict[str, Any]] = Field(
        description="Raised, decided, cleared, reopened: at, by, action, note; oldest first.")
    version: int
    created_at: str
    updated_at: str

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "hit_id": "SH-1a2b3c4d5e6f", "status": "open", "record_kind": "customer",
        "subject": "C000042", "record_name": "Muhamad Alrashid", "list_name": "un-sanctions",
        "list_version": 2, "entry_id": "QDi.123", "entry_name": "Mohammed Al-Rashid",
        "matched_name": "Mohammed Al-Rashid", "programme": "IQ",
        "score": 0.97, "sentence": "name 'Muhamad Alrashid' ~ 'Mohammed Al-Rashid' (0.91); "
        "birth year 1975 agrees; country IQ agrees",
        "agreed": ["birth year 1975 agrees", "country IQ agrees"], "contradicted": [],
        "history": [{"at": "2026-11-30T09:05:00+00:00", "by": "monitoring",
                     "action": "raised", "note": "name 'Muhamad Alrashid' ~ ..."}],
        "version": 1, "created_at": "2026-11-30T09:05:00+00:00",
        "updated_at": "2026-11-30T09:05:00+00:00"}]})


class SameEntityPairPublic(BaseModel):
    pair_id: str
    status: Literal["open", "confirmed", "rejected", "cleared"]
    customer_a: str
    customer_b: str
    name_a: str | None = Field(description="Masked for viewers.")
    name_b: str | None = Field(description="Masked for viewers.")
    probability: float = Field(ge=0, le=1, description="The match probability.")
    sentence: str = Field(description="Which fields agreed, in words.")
    agreed: list[str] = Field(description="The fields that agreed (name, birth year, phone...).")
    history: list[dict[str, Any]] = Field(description="Found, decided, cleared: oldest first.")
    version: int
    side: Literal["customer", "counterparty"] = Field(
        "customer", description="customer: two customer records (customer_a < customer_b); "
        "counterparty: customer_a is a customer and customer_b the id of a counterparty that "
        "is probably her account outside the bank (pair id SC-...).")

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "pair_id": "SE-0a1b2c3d4e5f", "status": "open", "customer_a": "C000042",
        "customer_b": "C000977", "name_a": "John Smith", "name_b": "Jon Smyth",
        "probability": 0.97, "sentence": "name 'Jon Smyth' ~ 'John Smith' (0.93); same birth "
        "year 1971; same phone '442079460018'; match 0.97",
        "agreed": ["name", "birth year", "phone"],
        "history": [{"at": "2026-11-30T09:05:00+00:00", "by": "ana", "action": "found",
                     "note": "name 'Jon Smyth' ~ ..."}], "version": 1}]})


class DecisionCreate(BaseModel):
    """An investigator's decision on a screening hit or a same-person pair: why."""

    note: str = Field(min_length=1, max_length=10_000, pattern=r"\S",
                      description="Why you decided so (kept in the record's history and the "
                      "audit trail).")

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"note": "same person: passport number matches the listing"}]})


#: Response models reused as they are stored.
AlertPublic = Alert
CasePublic = Case

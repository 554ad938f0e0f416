"""Alerts and cases as records: what a risk team works with after monitoring fires.

Why pydantic models over the store's JSON records: both stores keep an alert or a case as
one JSON document with a version number (:meth:`GraphStore.create_record`,
:meth:`GraphStore.update_record`), so a case is read, changed and written back whole, and two
people changing one case cannot silently overwrite each other. These models are that
document's shape, checked when read back.
"""

from __future__ import annotations

import hashlib
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from graphrisk.graph import Subgraph
from graphrisk.policy import SEVERITIES

__all__ = [
    "ALERT_KIND",
    "CASE_INDEX_KIND",
    "CASE_KIND",
    "CHANNELS",
    "LABEL_KIND",
    "MOVES",
    "OUTCOMES",
    "Alert",
    "Case",
    "CaseEvidence",
    "CaseNote",
    "ContactEntry",
    "HistoryEntry",
    "PlaybookItem",
    "alert_id_for",
    "case_id_for",
    "priority_of",
    "subgraph_json",
]

#: Record kinds in the store.
ALERT_KIND = "alert"
CASE_KIND = "case"
#: One record per customer naming their open case (``graphrisk.monitoring.casework``).
CASE_INDEX_KIND = "case_of"
LABEL_KIND = "label"

#: The case workflow: from each status, where it may go.
MOVES: dict[str, tuple[str, ...]] = {
    "open": ("investigating",),
    "investigating": ("escalated", "closed"),
    "escalated": ("investigating", "closed"),
    "closed": (),
}
#: How a case ends.
OUTCOMES: tuple[str, ...] = ("confirmed_risk", "false_positive", "keep_monitoring")
#: Ways the bank contacts a customer.
CHANNELS: tuple[str, ...] = ("phone", "email", "letter", "in_person", "portal")

Outcome = Literal["confirmed_risk", "false_positive", "keep_monitoring"]


def _digest(*parts: str) -> str:
    return hashlib.sha1("|".join(parts).encode("utf-8")).hexdigest()


def alert_id_for(rule: str, customer_id: str, load_id: str, mode: str) -> str:
    """The alert's id: the same rule, customer and batch always give the same id.

    Why derived: a batch replayed after a crash raises the same ids, which the store's
    idempotent create turns into "already there" instead of a second alert.
    """
    return "A-" + _digest(rule, customer_id, load_id, mode)[:12]


def case_id_for(first_alert_id: str) -> str:
    """The id of the case an alert opens (derived for the same crash-safety reason)."""
    return "CASE-" + _digest(first_alert_id)[:8].upper()


def priority_of(severity: str) -> str:
    """``P1`` for critical and high alerts, ``P2`` for medium, ``P3`` for low."""
    return {"critical": "P1", "high": "P1", "medium": "P2"}.get(severity, "P3")


def subgraph_json(subgraph: Subgraph) -> dict[str, Any]:
    """A subgraph as plain JSON values (frozen into a case's evidence)."""
    return {
        "centre": str(subgraph.centre),
        "nodes": [{"id": str(node.ref), "label": str(node.ref.label),
                   "properties": {k: v for k, v in node.properties.items() if v is not None}}
                  for node in subgraph.nodes],
        "relationships": [{"type": str(rel.type), "start": str(rel.start), "end": str(rel.end),
                           "properties": dict(rel.properties)}
                          for rel in subgraph.relationships],
        "truncated": subgraph.truncated,
    }


class Alert(BaseModel):
    """One rule's finding for one customer, kept until it is worked."""

    model_config = ConfigDict(extra="forbid")

    alert_id: str
    rule: str
    customer_id: str
    severity: str = Field(pattern="|".join(SEVERITIES))
    owner_role: str
    tier: str
    at: str = Field(description="event time of the latest evidence (UTC)")
    raised_at: str = Field(description="when monitoring raised it (UTC clock)")
    load_id: str
    mode: Literal["live", "shadow"] = "live"
    evidence: dict[str, Any] = Field(default_factory=dict)
    sentence: str
    case_id: str | None = None
    #: ``unfiled`` between being stored and joining its case (a crash leaves it so, and the
    #: re-run files it), then ``new`` until someone acknowledges it.
    status: Literal["unfiled", "new", "acknowledged", "shadow"] = "new"
    acknowledged_by: str | None = None
    acknowledged_at: str | None = None


class CaseNote(BaseModel):
    model_config = ConfigDict(extra="forbid")

    at: str
    by: str
    text: str = Field(min_length=1)


class ContactEntry(BaseModel):
    """One contact with the customer: a notice, a request for documents, guidance given."""

    model_config = ConfigDict(extra="forbid")

    recorded_at: str
    date: str = Field(description="when the contact happened (ISO date)")
    by: str
    channel: Literal["phone", "email", "letter", "in_person", "portal"]
    template: str | None = None
    summary: str = Field(min_length=1)


class PlaybookItem(BaseModel):
    """One response step a case must carry out, from its alert rule's playbook."""

    model_config = ConfigDict(extra="forbid")

    number: int
    rule: str
    step: str
    role: str
    due_at: str
    done_by: str | None = None
    done_at: str | None = None


class HistoryEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")

    at: str
    by: str
    action: str
    detail: str = ""


class CaseEvidence(BaseModel):
    """What the subjects looked like when the case opened; never changed afterwards."""

    model_config = ConfigDict(extra="forbid")

    frozen_at: str
    scores: dict[str, dict[str, Any]] = Field(default_factory=dict)
    subgraphs: dict[str, dict[str, Any]] = Field(default_factory=dict)


class Case(BaseModel):
    """A case: who it is about, who works it, where it stands and what was done."""

    model_config = ConfigDict(extra="forbid")

    case_id: str
    title: str
    subjects: list[str] = Field(min_length=1)
    status: Literal["open", "investigating", "escalated", "closed"] = "open"
    priority: str
    severity: str
    owner: str | None = None
    owner_role: str
    tier: str
    opened_at: str
    opened_by: str
    due_at: str
    alert_ids: list[str] = Field(default_factory=list)
    rules: list[str] = Field(default_factory=list)
    notes: list[CaseNote] = Field(default_factory=list)
    contacts: list[ContactEntry] = Field(default_factory=list)
    playbook: list[PlaybookItem] = Field(default_factory=list)
    evidence: CaseEvidence
    history: list[HistoryEntry] = Field(default_factory=list)
    outcome: Outcome | None = None
    risk_label: str | None = None
    closed_at: str | None = None
    closed_by: str | None = None
    version: int = Field(default=0, description="the stored version this copy was read at")

    def body(self) -> dict[str, Any]:
        """The JSON document to store (the version lives on the record, not in it)."""
        return self.model_dump(mode="json", exclude={"version"})

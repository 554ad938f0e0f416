"""Cases: open one, work it (owner, workflow, notes, contacts, playbook), close it.

Every change names the version it was made to; a stale version answers 409 with both
versions, so two investigators never silently overwrite each other.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Path, Query

from graphrisk.access import ApiUser
from graphrisk.api.deps import Investigator, Page, ServiceDep, Viewer
from graphrisk.api.presenting import (
    audit_shown,
    graph_of_json,
    graph_of_subgraph,
    mask_properties,
    node_renamer,
)
from graphrisk.api.routes.customers import masked_for
from graphrisk.api.schemas import (
    CaseClose,
    CaseCreate,
    CasePublic,
    CaseUpdate,
    ContactCreate,
    GraphPublic,
    ListPage,
    NoteCreate,
    StepTick,
)
from graphrisk.errors import RecordConflictError
from graphrisk.monitoring.records import Case
from graphrisk.service import RiskService

router = APIRouter(prefix="/api/cases", tags=["cases"])

CaseId = Annotated[str, Path(min_length=1, max_length=64, examples=["CASE-1A2B3C4D"])]
StepNumber = Annotated[int, Path(ge=1, le=1000, examples=[1])]
_STALE = {409: {"description": "The case changed since you read it (or the workflow does "
                "not allow the change); reload and try again."}}


def _shown(case: Case, user: ApiUser, service: RiskService) -> Case:
    """The case as this user may see it: frozen networks masked for viewers (properties,
    and identifier node ids, which hold the identifier's value)."""
    if not masked_for(user):
        return case
    rename = node_renamer(service, masked=True)
    shown = case.model_copy(deep=True)
    for subgraph in shown.evidence.subgraphs.values():
        for node in subgraph.get("nodes", []):
            node["id"] = rename(str(node["id"]))
            node["properties"] = mask_properties(node.get("properties", {}))
        for rel in subgraph.get("relationships", []):
            rel["start"], rel["end"] = rename(str(rel["start"])), rename(str(rel["end"]))
    return shown


@router.get("", response_model=ListPage[CasePublic], summary="Cases")
def list_cases(
    user: Viewer, service: ServiceDep, page: Page,
    status: Annotated[Literal["open", "investigating", "escalated", "closed"] | None,
                      Query()] = None,
    owner: Annotated[str | None, Query(max_length=64)] = None,
    customer: Annotated[str | None, Query(max_length=128)] = None,
) -> ListPage[CasePublic]:
    """Cases, newest first; open ones (any status but closed) by default."""
    statuses = status or ["open", "investigating", "escalated"]
    cases = service.monitoring.cases(status=statuses, owner=owner, customer=customer)
    cases.sort(key=lambda c: (c.opened_at, c.case_id), reverse=True)
    return ListPage[CasePublic](
        items=[_shown(c, user, service) for c in cases[page.offset:page.offset + page.limit]],
        total=len(cases), limit=page.limit, offset=page.offset)


@router.post("", response_model=CasePublic, status_code=201, summary="Open a case",
             responses=_STALE)
def open_case(body: CaseCreate, user: Investigator, service: ServiceDep) -> CasePublic:
    """Open a case on these customers (a ring: one case for all), with these alerts on it;
    their rules' playbooks become its steps. 409 when a subject is on an open case."""
    return service.monitoring.open_case(body.subjects, title=body.title,
                                        alert_ids=body.alert_ids, actor=user.name)


@router.get("/{case_id}", response_model=CasePublic, summary="One case")
def get_case(case_id: CaseId, user: Viewer, service: ServiceDep) -> CasePublic:
    """The case with its notes, contacts, playbook, evidence, history and ``version``."""
    return _shown(service.monitoring.case(case_id), user, service)


@router.patch("/{case_id}", response_model=CasePublic, summary="Assign or move a case",
              responses=_STALE)
def update_case(case_id: CaseId, body: CaseUpdate, user: Investigator,
                service: ServiceDep) -> CasePublic:
    """Give the case to ``owner`` and/or move it to ``status`` (open, investigating,
    escalated; closing has its own route). Neither: the case as it is (409 if stale)."""
    monitoring, version = service.monitoring, body.version
    case = None
    if body.owner is None and body.status is None:  # nothing to change: the case as it is
        case = monitoring.case(case_id)
        if case.version != version:
            raise RecordConflictError("case", case_id, version, case.version)
        return case
    if body.owner is not None:
        case = monitoring.assign_case(case_id, body.owner, actor=user.name,
                                      expected_version=version)
        version = case.version
    if body.status is not None:
        case = monitoring.move_case(case_id, body.status, actor=user.name,
                                    expected_version=version)
    assert case is not None
    return case


@router.post("/{case_id}/notes", response_model=CasePublic, summary="Add a note",
             responses=_STALE)
def add_note(case_id: CaseId, body: NoteCreate, user: Investigator,
             service: ServiceDep) -> CasePublic:
    return service.monitoring.note_case(case_id, body.text, actor=user.name,
                                        expected_version=body.version)


@router.post("/{case_id}/contacts", response_model=CasePublic,
             summary="Log a contact with the customer", responses=_STALE)
def add_contact(case_id: CaseId, body: ContactCreate, user: Investigator,
                service: ServiceDep) -> CasePublic:
    """A call, letter, notice or document request: when, how, and what was said."""
    return service.monitoring.contact_case(
        case_id, channel=body.channel, summary=body.summary,
        on=body.on.isoformat() if body.on else None, template=body.template,
        actor=user.name, expected_version=body.version)


@router.post("/{case_id}/steps/{step}", response_model=CasePublic,
             summary="Tick a playbook step", responses=_STALE)
def tick_step(case_id: CaseId, step: StepNumber, body: StepTick,
              user: Investigator, service: ServiceDep) -> CasePublic:
    return service.monitoring.tick_step(case_id, step, actor=user.name,
                                        expected_version=body.version)


@router.post("/{case_id}/close", response_model=CasePublic, summary="Close a case",
             responses=_STALE)
def close_case(case_id: CaseId, body: CaseClose, user: Investigator,
               service: ServiceDep) -> CasePublic:
    """Close with an outcome; ``confirmed_risk`` sets the subjects' known risk label,
    ``false_positive`` teaches the models a negative."""
    return service.monitoring.close_case(case_id, body.outcome, risk_label=body.risk_label,
                                         note=body.note, actor=user.name,
                                         expected_version=body.version)


@router.get("/{case_id}/network", response_model=GraphPublic,
            summary="A subject's network, as frozen in the evidence or as it is now")
def case_network(
    case_id: CaseId, user: Viewer, service: ServiceDep,
    frozen: Annotated[bool, Query(description="As frozen when the case opened (true) or "
                                  "as it is now (false).")] = True,
    customer: Annotated[str | None, Query(max_length=128, description="Which subject; the "
                                          "first by default.")] = None,
    limit: Annotated[int, Query(ge=1, le=2000)] = 500,
) -> GraphPublic:
    case = service.monitoring.case(case_id)
    subject = customer or case.subjects[0]
    if subject not in case.subjects:
        raise HTTPException(422, f"{subject} is not a subject of {case_id}; its subjects are "
                            f"{', '.join(case.subjects)}")
    masked = masked_for(user)
    if frozen:
        kept = case.evidence.subgraphs.get(subject)
        if kept is None:
            raise HTTPException(404, f"case {case_id} froze no network for {subject} (only "
                                "the first 20 subjects are frozen); ask for frozen=false")
        # cases frozen before networks kept their own scores still have the subjects'
        graph = graph_of_json(service, kept, masked=masked,
                              frozen_at=case.evidence.frozen_at,
                              scores=kept.get("scores") or case.evidence.scores)
    else:
        graph = graph_of_subgraph(service, service.neighbourhood(subject, hops=2, limit=limit),
                                  masked=masked)
    return audit_shown(service, user.name, masked, "network.read", case_id, graph)

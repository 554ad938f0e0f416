"""Customers: search, the investigator's first view, their network, the model's why."""

from __future__ import annotations

import dataclasses
import json
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query

from graphrisk.access import ApiUser, Role
from graphrisk.api.deps import Page, ServiceDep, Viewer
from graphrisk.api.presenting import (
    audit_shown,
    graph_of_subgraph,
    mask_name,
    mask_properties,
    node_renamer,
    plain,
)
from graphrisk.api.routes.network import NetworkFilters, network_filters
from graphrisk.api.schemas import CustomerDetail, CustomerSummary, GraphPublic, ListPage
from graphrisk.policy import SCORE_COMPONENTS

router = APIRouter(prefix="/api/customers", tags=["customers"])

CustomerId = Annotated[str, Path(min_length=1, max_length=128, pattern=r"^[^\s/]+$",
                                 description="The customer's business id.",
                                 examples=["C000042"])]


def masked_for(user: ApiUser) -> bool:
    """Viewers see names and identifiers masked."""
    return not user.role.may(Role.INVESTIGATOR)


@router.get("", response_model=ListPage[CustomerSummary], summary="Search customers")
def search_customers(
    user: Viewer, service: ServiceDep, page: Page,
    q: Annotated[str, Query(min_length=1, max_length=200, pattern=r"\S",
                            description="A customer id (or its start), words of a name, or an "
                            "identifier value (phone, e-mail, address, device, IP) in any "
                            "spelling.", examples=["C00004"])],
) -> ListPage[CustomerSummary]:
    """Customers whose id, name or identifier matches ``q``: exact id first, then id
    prefixes, then the rest by id. Names are masked for viewers."""
    if not q.strip():  # control characters Python counts as spaces: nothing to look for
        return ListPage[CustomerSummary](items=[], total=0, limit=page.limit,
                                         offset=page.offset)
    nodes, total = service.search_customers(q, limit=page.limit, offset=page.offset)
    ids = [n.ref.id for n in nodes]
    latest = service.latest_scores(ids).set_index("customer_id") if ids else None
    masked = masked_for(user)
    items = []
    for node in nodes:
        props = node.properties
        has = latest is not None and node.ref.id in latest.index
        items.append(CustomerSummary(
            customer_id=node.ref.id,
            name=mask_name(props.get("name")) if masked else props.get("name"),
            segment=props.get("segment"), country=props.get("country"),
            score=round(float(latest.at[node.ref.id, "score"]), 2) if has else None,
            tier=str(latest.at[node.ref.id, "tier"]) if has else None))
    if not masked and items:
        service.record_access(user.name, "customer.search", None,
                              {"q": q, "customers": ids})
    return ListPage[CustomerSummary](items=items, total=total, limit=page.limit,
                                     offset=page.offset)


@router.get("/{customer_id}", response_model=CustomerDetail, summary="One customer",
            responses={404: {"description": "No such customer."}})
def customer_detail(customer_id: CustomerId, user: Viewer,
                    service: ServiceDep) -> CustomerDetail:
    """Profile, identifiers (and how many others share each), score, tier, the reasons,
    the score's components, its history, open alerts, open case and cluster. Every
    unmasked read is written to the audit trail."""
    card = service.customer_card(customer_id)
    masked = masked_for(user)
    profile = {k: plain(v) for k, v in card.customer.properties.items() if v is not None}
    identifiers = [{**i, "value": plain(i.get("value"))} for i in card.identifiers]
    if masked:
        profile = mask_properties(profile)
        rename = node_renamer(service, masked=True)
        identifiers = [{**i, "value": mask_properties({"value": i.get("value")})["value"],
                        "id": rename(str(i.get("id")))} for i in identifiers]
    else:
        service.record_access(user.name, "customer.read", card.customer.ref.id,
                              {"fields": "profile, identifiers"})
    latest = card.latest or {}
    history = card.history.sort_values("created_at", kind="stable") \
        if not card.history.empty else card.history
    return CustomerDetail(
        customer_id=card.customer.ref.id, name=profile.get("name"), masked=masked,
        profile=profile, identifiers=identifiers,
        score=round(float(latest["score"]), 2) if latest else None,
        tier=str(latest["tier"]) if latest else None,
        reasons=[str(r) for r in latest.get("reasons", [])] if latest else [],
        components={name: round(float(latest[name]), 4) for name in SCORE_COMPONENTS
                    if latest and plain(latest.get(name)) is not None},
        scored_at=plain(latest.get("created_at")) if latest else None,
        history=[{"run_id": str(r["run_id"]), "created_at": plain(r["created_at"]),
                  "kind": str(r["kind"]), "score": round(float(r["score"]), 2),
                  "tier": str(r["tier"])} for _, r in history.iterrows()],
        alerts=card.open_alerts, open_case=card.open_case, cluster_id=card.cluster_id)


@router.get("/{customer_id}/network", response_model=GraphPublic,
            summary="The network around a customer")
def customer_network(customer_id: CustomerId, user: Viewer, service: ServiceDep,
                     filters: Annotated[NetworkFilters, network_filters]) -> GraphPublic:
    """Nodes and relationships within ``hops`` of the customer, cut at ``limit`` nodes,
    walking only ``types`` and, for time-stamped relationships (payments, disputes, account
    changes), only what happened between ``since`` and ``until``. Customers carry their
    latest score, tier and best high-risk cluster."""
    subgraph = service.neighbourhood(customer_id, hops=filters.hops, limit=filters.limit,
                                     types=filters.types, since=filters.since,
                                     until=filters.until)
    masked = masked_for(user)
    return audit_shown(service, user.name, masked, "network.read", customer_id,
                       graph_of_subgraph(service, subgraph, masked=masked))


@router.get("/{customer_id}/explanation", summary="Why the graph model scores them so",
            responses={409: {"description": "No graph model is trained yet."}})
def customer_explanation(customer_id: CustomerId, user: Viewer,
                         service: ServiceDep) -> dict[str, Any]:
    """The trained graph model's explanation: its probability, the reasons in words, the
    features and neighbours that moved it. Takes a few seconds (the model runs now)."""
    service.customer(customer_id)
    explained = service.explain([customer_id], top=8)[customer_id]
    body = json.loads(json.dumps(dataclasses.asdict(explained), default=_jsonable))
    if masked_for(user):
        for neighbour in body.get("neighbours", []):
            for key in ("name", "value", "description"):
                if key in neighbour and neighbour[key] is not None:
                    neighbour[key] = mask_properties({key: neighbour[key]})[key]
    return body


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    return plain(value)

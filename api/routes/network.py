"""The network between customers: filters shared by every network route, and paths."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query

from graphrisk.api.deps import ServiceDep, Viewer
from graphrisk.api.presenting import audit_shown, graph_of_subgraph
from graphrisk.api.schemas import GraphPublic
from graphrisk.domain import RelType
from graphrisk.graph import NodeRef, Subgraph

router = APIRouter(prefix="/api", tags=["network"])


@dataclass(frozen=True)
class NetworkFilters:
    hops: int
    limit: int
    types: list[RelType] | None
    since: datetime | None
    until: datetime | None


_TYPE_NAME = "(?:" + "|".join(t.value for t in RelType) + ")"
#: One or more relationship type names, comma-separated (the document says which are valid,
#: so a client learns it from the schema, not from a 422).
_TYPES_PATTERN = rf"^\s*{_TYPE_NAME}\s*(?:,\s*{_TYPE_NAME}\s*)*$"


def _filters(
    hops: Annotated[int, Query(ge=1, le=4, description="How far to walk.")] = 2,
    limit: Annotated[int, Query(ge=1, le=2000, description="Most nodes returned.")] = 500,
    types: Annotated[str | None, Query(
        max_length=300, pattern=_TYPES_PATTERN,
        description="Relationship types to walk, comma-separated: "
        + ", ".join(t.value for t in RelType) + ". All by default.",
        examples=["TRANSFERRED,HAS_IDENTIFIER"])] = None,
    since: Annotated[datetime | None, Query(description="Only what happened from then "
                                            "(ISO 8601; UTC when no zone).")] = None,
    until: Annotated[datetime | None, Query(description="Only what happened until then.")]
    = None,
) -> NetworkFilters:
    # the pattern admits only known type names, so every name here is a RelType
    chosen = [RelType(name.strip()) for name in types.split(",")] if types else None
    since, until = _utc(since), _utc(until)
    if since and until and since > until:
        raise HTTPException(422, "since is after until; swap them")
    return NetworkFilters(hops, limit, chosen, since, until)


def _utc(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


network_filters = Depends(_filters)


@router.get("/path", response_model=GraphPublic, summary="How two customers are linked",
            responses={404: {"description": "No path within max_hops, or no such node."}})
def path_between(
    user: Viewer, service: ServiceDep,
    source: Annotated[str, Query(min_length=1, max_length=200, examples=["C000042"],
                                 description="A customer id (or any `Label:id`).")],
    target: Annotated[str, Query(min_length=1, max_length=200, examples=["C000043"])],
    max_hops: Annotated[int, Query(ge=1, le=10)] = 6,
) -> GraphPublic:
    """A shortest path between two nodes, with every node on it."""
    from graphrisk.api.routes.customers import masked_for
    from graphrisk.graph import GraphRelationship

    found = service.path(source, target, max_hops=max_hops)
    if found is None:
        raise HTTPException(404, f"no path between {source} and {target} within {max_hops} "
                            "hops; try a larger max_hops")
    nodes = tuple(service.node(ref) for ref in found.nodes)
    rels = tuple(GraphRelationship(type=rel, start=a, end=b) for rel, a, b in
                 zip(found.relationships, found.nodes, found.nodes[1:], strict=False))
    subgraph = Subgraph(centre=NodeRef.parse(source), nodes=nodes, relationships=rels)
    masked = masked_for(user)
    return audit_shown(service, user.name, masked, "path.read", f"{source} -> {target}",
                       graph_of_subgraph(service, subgraph, masked=masked))

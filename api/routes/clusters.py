"""Ranked clusters: identity rings, money communities and typology groups."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query

from graphrisk.api.deps import Page, ServiceDep, Viewer
from graphrisk.api.presenting import audit_shown, graph_of_subgraph, plain
from graphrisk.api.routes.customers import masked_for
from graphrisk.api.schemas import ClusterPublic, GraphPublic, ListPage
from graphrisk.errors import NotFoundError

router = APIRouter(prefix="/api/clusters", tags=["clusters"])

ClusterId = Annotated[str, Path(min_length=1, max_length=200, examples=["ring:3"])]


def _public(row: dict[str, Any], run_id: str) -> ClusterPublic:
    values = {k: plain(v) for k, v in row.items()}
    values["members"] = [str(m) for m in values.get("members") or []]
    return ClusterPublic(**values, run_id=run_id)


@router.get("", response_model=ListPage[ClusterPublic], summary="Ranked clusters")
def list_clusters(
    user: Viewer, service: ServiceDep, page: Page,
    kind: Annotated[str | None, Query(max_length=50, description="Only this kind "
                                      "(identity_ring, money_community, typology...).")] = None,
    high_risk: Annotated[bool | None, Query(description="Only high-risk ones (or not).")]
    = None,
) -> ListPage[ClusterPublic]:
    """The last scoring run's clusters, best first, with size, known-bad share, money moved
    inside and the reason in words."""
    run_id, clusters = service.ranked_clusters()
    if kind:
        clusters = clusters[clusters["kind"] == kind]
    if high_risk is not None:
        clusters = clusters[clusters["high_risk"] == high_risk]
    window = clusters.iloc[page.offset:page.offset + page.limit]
    return ListPage[ClusterPublic](
        items=[_public(row, run_id) for row in window.to_dict("records")],
        total=len(clusters), limit=page.limit, offset=page.offset)


@router.get("/{cluster_id}", response_model=ClusterPublic, summary="One cluster")
def get_cluster(cluster_id: ClusterId, user: Viewer, service: ServiceDep) -> ClusterPublic:
    run_id, clusters = service.ranked_clusters()
    found = clusters[clusters["cluster_id"] == cluster_id]
    if found.empty:
        raise NotFoundError(f"no cluster {cluster_id} in the last ranking; GET /api/clusters "
                            "lists them")
    return _public(found.iloc[0].to_dict(), run_id)


@router.get("/{cluster_id}/network", response_model=GraphPublic,
            summary="The 2-hop network of a cluster's members")
def cluster_network(
    cluster_id: ClusterId, user: Viewer, service: ServiceDep,
    limit: Annotated[int, Query(ge=1, le=2000)] = 500,
) -> GraphPublic:
    """Every member and what lies within 2 hops of them, cut at ``limit`` nodes."""
    subgraph = service.cluster_network(cluster_id, hops=2, limit=limit)
    masked = masked_for(user)
    return audit_shown(service, user.name, masked, "network.read", f"cluster:{cluster_id}",
                       graph_of_subgraph(service, subgraph, masked=masked))

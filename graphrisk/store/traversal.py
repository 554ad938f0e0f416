"""Neighbourhood and shortest-path search, written once for every store.

Why here and not in each store: investigators compare what the embedded store and Neo4j show
them, so both must walk the graph the same way. :class:`graphrisk.store.base.GraphStore`
calls these functions with two of its store's primitives — the relationships touching a set
of nodes, and the properties of nodes by id — and they do the breadth-first walk, in sorted
order so results are deterministic.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from graphrisk.domain import NodeLabel, RelType
from graphrisk.graph import GraphNode, GraphPath, GraphRelationship, NodeRef, Subgraph

__all__ = ["Adjacent", "Edge", "FetchNodes", "expand_neighbourhood", "find_shortest_path"]

#: One relationship: type, start, end, and its properties as sorted ``(key, value)`` pairs.
Edge = tuple[RelType, NodeRef, NodeRef, tuple[tuple[str, Any], ...]]
#: ``adjacent({label: [ids]})`` returns every relationship touching those nodes, both ways.
Adjacent = Callable[[dict[NodeLabel, list[str]]], list[Edge]]
#: ``fetch_nodes(label, ids)`` returns ``{id: properties}`` for the ids that exist.
FetchNodes = Callable[[NodeLabel, list[str]], dict[str, dict[str, Any]]]


def _by_label(refs: list[NodeRef]) -> dict[NodeLabel, list[str]]:
    grouped: dict[NodeLabel, list[str]] = {}
    for ref in sorted(refs):
        grouped.setdefault(ref.label, []).append(ref.id)
    return grouped


def expand_neighbourhood(
    centre: NodeRef, hops: int, limit: int, adjacent: Adjacent, fetch_nodes: FetchNodes
) -> Subgraph:
    """Every node within ``hops`` of ``centre``, stopping once ``limit`` nodes are reached.

    Relationships are visited in sorted order and a relationship is kept only when both its
    ends are kept, so the same graph gives the same subgraph in every store.
    """
    if hops < 0:
        raise ValueError("hops must be >= 0")
    if limit < 1:
        raise ValueError("limit must be >= 1")
    seen: set[NodeRef] = {centre}
    frontier: list[NodeRef] = [centre]
    relationships: set[GraphRelationship] = set()
    truncated = False
    for _ in range(hops):
        next_frontier: list[NodeRef] = []
        for rel_type, start, end, props in sorted(adjacent(_by_label(frontier))):
            new = [ref for ref in dict.fromkeys((start, end)) if ref not in seen]
            if len(seen) + len(new) > limit:
                truncated = True
                continue
            seen.update(new)
            next_frontier.extend(new)
            relationships.add(GraphRelationship(rel_type, start, end, props))
        frontier = next_frontier
        if not frontier or truncated:
            break
    nodes = []
    for label, ids in _by_label(list(seen)).items():
        records = fetch_nodes(label, ids)
        nodes += [GraphNode(NodeRef(label, i), records.get(i, {})) for i in ids]
    return Subgraph(
        centre=centre,
        nodes=tuple(sorted(nodes, key=lambda n: n.ref)),
        relationships=tuple(sorted(relationships)),
        truncated=truncated,
    )


def find_shortest_path(
    start: NodeRef, end: NodeRef, max_hops: int, adjacent: Adjacent
) -> GraphPath | None:
    """A shortest undirected path, found breadth-first; ties go to the smallest node ids."""
    if max_hops < 0:
        raise ValueError("max_hops must be >= 0")
    if start == end:
        return GraphPath((start,), ())
    parent: dict[NodeRef, tuple[NodeRef, RelType]] = {}
    seen = {start}
    frontier = [start]
    for _ in range(max_hops):
        frontier_set = set(frontier)
        next_frontier = []
        for rel_type, a, b, _props in sorted(adjacent(_by_label(frontier))):
            for here, there in ((a, b), (b, a)):
                if here in frontier_set and there not in seen:
                    seen.add(there)
                    parent[there] = (here, rel_type)
                    next_frontier.append(there)
        if end in seen:
            nodes, rels = [end], []
            while nodes[-1] != start:
                previous, rel_type = parent[nodes[-1]]
                rels.append(rel_type)
                nodes.append(previous)
            return GraphPath(tuple(reversed(nodes)), tuple(reversed(rels)))
        frontier = next_frontier
        if not frontier:
            break
    return None

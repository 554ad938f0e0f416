"""Turning the service's values into the API's bodies: graphs, customers, masking.

Why masking lives here: the service answers with what the store holds; who may see a name
or an identifier is the API's rule (viewers see them masked), applied to every body that
carries personal data, in one place.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

from graphrisk.api.schemas import GraphEdge, GraphNodePublic, GraphPublic
from graphrisk.graph import GraphNode, GraphRelationship, Subgraph
from graphrisk.service import RiskService

if TYPE_CHECKING:
    from graphrisk.graph import QueryResult

__all__ = [
    "PERSONAL_PROPERTIES", "audit_shown", "graph_of_json", "graph_of_query",
    "graph_of_subgraph", "mask_name", "mask_properties", "mask_sentence", "mask_value",
    "node_renamer", "plain",
]

#: Properties that identify a person: masked for viewers.
PERSONAL_PROPERTIES = frozenset({"name", "value", "identifier_id", "raw_value", "birth_year",
                                 "region", "old_value", "new_value"})


def mask_name(name: str | None) -> str | None:
    """``Ana Maria Lima`` -> ``A•• M•• L••``: enough to tell records apart, not to know who."""
    if not name:
        return name
    return " ".join(part[0] + "••" for part in str(name).split() if part)


def mask_value(value: Any) -> Any:
    """An identifier value or other personal field: only its last two characters."""
    if value is None:
        return None
    text = str(value)
    return "•••" + text[-2:] if len(text) > 4 else "•••"


def mask_properties(properties: Mapping[str, Any]) -> dict[str, Any]:
    """A node's properties with the personal ones masked."""
    return {k: (mask_name(v) if k == "name" else mask_value(v))
            if k in PERSONAL_PROPERTIES else v for k, v in properties.items()}


#: A quoted name in a sentence (``name 'Jon Smyth' ~ 'John Smith'``): repr() quotes with
#: double quotes when the name holds an apostrophe.
_QUOTED = re.compile(r"'([^']*)'|\"([^\"]*)\"")
_YEAR = re.compile(r"\b(?:18|19|20)\d\d\b")


def mask_sentence(text: str) -> str:
    """A screening or same-person sentence for a viewer: the quoted names masked like
    :func:`mask_name`, birth years hidden (``name 'J•• S••' ~ ...; same birth year ••••``)."""
    named = _QUOTED.sub(lambda m: f"'{mask_name(m.group(1) or m.group(2) or '')}'", text)
    return _YEAR.sub("••••", named)


def plain(value: Any) -> Any:
    """A stored value as JSON: NaN becomes null, dates become ISO text."""
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, tuple | list):
        return [plain(v) for v in value]
    if hasattr(value, "item"):  # numpy scalars
        return plain(value.item())
    return value


def graph_of_subgraph(service: RiskService, subgraph: Subgraph, *, masked: bool,
                      frozen_at: str | None = None) -> GraphPublic:
    """A store subgraph as the page draws it: customers with score, tier and cluster."""
    return _graph(service, subgraph.nodes, subgraph.relationships, centre=str(subgraph.centre),
                  truncated=subgraph.truncated, masked=masked, frozen_at=frozen_at)


def graph_of_query(service: RiskService, result: QueryResult, *, masked: bool) -> GraphPublic:
    """The nodes and relationships a read-only query returned, as a graph."""
    return _graph(service, result.nodes, result.relationships, centre=None,
                  truncated=result.truncated, masked=masked)


def graph_of_json(service: RiskService, frozen: Mapping[str, Any], *, masked: bool,
                  frozen_at: str | None,
                  scores: Mapping[str, Mapping[str, Any]] | None = None) -> GraphPublic:
    """A subgraph frozen into a case's evidence (``subgraph_json``), as the page draws it.

    Customers carry the scores frozen with the evidence (``scores``: customer id ->
    ``{"score", "tier"}``), not today's: the page shows what the investigator saw then.
    """
    rename = node_renamer(service, masked)
    frozen_scores = scores or {}
    nodes = []
    for node in frozen.get("nodes", []):
        node_id = str(node["id"])
        label, _, key = node_id.partition(":")
        properties = dict(node.get("properties", {}))
        kept = frozen_scores.get(key) if label == "Customer" else None
        score = None if not kept or kept.get("score") is None else (
            float(kept["score"]), str(kept.get("tier", "")))
        public_id = rename(node_id)
        nodes.append(_node(public_id, label, public_id.partition(":")[2], properties, score,
                           None, masked))
    edges = _edges((str(r["type"]), rename(str(r["start"])), rename(str(r["end"])),
                     dict(r.get("properties", {}))) for r in frozen.get("relationships", []))
    return GraphPublic(centre=frozen.get("centre"), nodes=nodes, edges=edges,
                       truncated=bool(frozen.get("truncated")), frozen_at=frozen_at)


def node_renamer(service: RiskService, masked: bool) -> Callable[[str], str]:
    """Node ids as this reader may see them: an identifier's id holds its value
    (``Identifier:phone:+44…``), so masked readers get a stable pseudonym instead."""
    if not masked:
        return lambda node_id: node_id

    def rename(node_id: str) -> str:
        label, _, key = node_id.partition(":")
        if label != "Identifier":
            return node_id
        kind = key.partition(":")[0] or "identifier"
        return f"Identifier:{kind}:~{service.pseudonym(key)}"
    return rename


def _edges(relationships: Iterable[tuple[str, str, str, Mapping[str, Any]]]) -> list[GraphEdge]:
    """Edges with ids unique within the graph: two customers may share several
    relationships of one type (two disputes, two payment directions folded into one type)."""
    seen: dict[str, int] = {}
    edges = []
    for rel_type, source, target, properties in relationships:
        base = f"{rel_type}:{source}->{target}"
        count = seen.get(base, 0)
        seen[base] = count + 1
        edges.append(GraphEdge(id=base if count == 0 else f"{base}#{count}", type=rel_type,
                               source=source, target=target,
                               properties={k: plain(v) for k, v in properties.items()}))
    return edges


def _graph(service: RiskService, nodes: Iterable[GraphNode],
           relationships: Iterable[GraphRelationship], *, centre: str | None, truncated: bool,
           masked: bool, frozen_at: str | None = None) -> GraphPublic:
    nodes = list(nodes)
    customers = [n.ref.id for n in nodes if n.ref.label.value == "Customer"]
    scores: dict[str, tuple[float, str]] = {}
    if customers:
        latest = service.latest_scores(customers)
        scores = {str(c): (float(s), str(t)) for c, s, t in
                  latest[["customer_id", "score", "tier"]].itertuples(index=False, name=None)}
    clusters = service.cluster_of(customers)
    rename = node_renamer(service, masked)
    public = []
    for node in nodes:
        is_customer = node.ref.label.value == "Customer"
        public_id = rename(str(node.ref))
        public.append(_node(public_id, node.ref.label.value, public_id.partition(":")[2],
                            dict(node.properties),
                            scores.get(node.ref.id) if is_customer else None,
                            clusters.get(node.ref.id) if is_customer else None, masked))
    edges = _edges((str(r.type.value), rename(str(r.start)), rename(str(r.end)),
                    dict(r.properties)) for r in relationships)
    return GraphPublic(centre=None if centre is None else rename(centre), nodes=public,
                       edges=edges, truncated=truncated, frozen_at=frozen_at)


def _node(node_id: str, label: str, key: str, properties: dict[str, Any],
          score: tuple[float, str] | None, cluster_id: str | None,
          masked: bool) -> GraphNodePublic:
    properties = {k: plain(v) for k, v in properties.items() if v is not None}
    if masked:
        properties = mask_properties(properties)
    name = properties.get("name")
    if name is None and label == "Identifier":
        name = f"{properties.get('kind', 'identifier')} {properties.get('value', '')}".strip()
    return GraphNodePublic(
        id=node_id, label=label, key=key, name=None if name is None else str(name),
        score=None if score is None else round(score[0], 2),
        tier=None if score is None else score[1], cluster_id=cluster_id,
        known_risk_label=properties.get("known_risk_label"), properties=properties)


def audit_shown(service: RiskService, user_name: str, masked: bool, action: str,
                subject: str | None, graph: GraphPublic) -> GraphPublic:
    """Record that ``user_name`` saw the personal data of the customers in ``graph``
    (unmasked reads only; a viewer's masked view reveals none)."""
    if not masked:
        people = [n.key for n in graph.nodes if n.label == "Customer"]
        if people:
            service.record_access(user_name, action, subject,
                                  {"customers": people[:500], "shown": len(people)})
    return graph

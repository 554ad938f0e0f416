"""Groups of customers linked by shared identifiers (phones, e-mails, addresses, devices, IPs).

Why: customers who share a device or a phone are often one actor, and a group that contains a
confirmed fraudster puts everyone in it under suspicion. Identifiers shared by very many
customers (a call-centre phone, a mall address, a carrier-grade NAT IP) say nothing about who
knows whom, so identifiers above a degree cut-off are ignored.
"""

from __future__ import annotations

from dataclasses import dataclass

import networkx as nx
import pandas as pd

__all__ = ["LinkedGroup", "find_linked_groups"]


@dataclass(frozen=True)
class LinkedGroup:
    """Customers joined by shared identifiers.

    Attributes:
        members: customer ids, sorted.
        shared_identifiers: the identifier ids that join them, sorted.
        known_risk_members: members with a known risk label.
    """

    members: tuple[str, ...]
    shared_identifiers: tuple[str, ...]
    known_risk_members: tuple[str, ...]

    @property
    def size(self) -> int:
        return len(self.members)


def find_linked_groups(
    identifiers: pd.DataFrame,
    customers: pd.DataFrame,
    *,
    max_identifier_degree: int = 10,
    min_size: int = 2,
) -> list[LinkedGroup]:
    """Connected groups of customers over shared identifiers.

    Args:
        identifiers: customer–identifier links (``customer_id``, ``identifier_id``), as in a
            store snapshot.
        customers: customers with ``customer_id`` and ``known_risk_label``.
        max_identifier_degree: identifiers used by more customers than this are ignored.
        min_size: smallest group returned.

    Returns:
        Groups, largest first, then by most known-risk members, then by first member id.
    """
    if max_identifier_degree < 2:
        raise ValueError("max_identifier_degree must be at least 2")
    links = identifiers[["customer_id", "identifier_id"]].drop_duplicates()
    degree = links.groupby("identifier_id")["customer_id"].transform("size")
    shared = links[(degree >= 2) & (degree <= max_identifier_degree)]
    graph = nx.Graph()
    graph.add_edges_from(
        (("c", c), ("i", i)) for c, i in shared.itertuples(index=False, name=None)
    )
    known = set(customers.loc[customers["known_risk_label"].notna(), "customer_id"])
    groups = []
    for component in nx.connected_components(graph):
        members = tuple(sorted(node for kind, node in component if kind == "c"))
        if len(members) < min_size:
            continue
        identifiers_in = tuple(sorted(node for kind, node in component if kind == "i"))
        groups.append(LinkedGroup(
            members, identifiers_in, tuple(m for m in members if m in known)
        ))
    groups.sort(key=lambda g: (-g.size, -len(g.known_risk_members), g.members[0]))
    return groups

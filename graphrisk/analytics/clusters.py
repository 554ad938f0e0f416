"""High-risk clusters: groups of customers worth investigating together, ranked, with reasons.

Why: fraud teams work rings, not rows. An identity ring, a community that moves money among
itself, or the accounts of one laundering pattern are one case; an investigator wants them
ranked by how risky they look as a whole and told why.

Candidate clusters come from three places:

* ``identity_ring`` — connected customers over shared identifiers (the engines' rings);
* ``money_community`` — Louvain communities of the amount-weighted payment graph, between
  ``min_size`` and ``max_community_size`` members (larger ones are the bank's ordinary
  economy, not a case), cut down to their risky core: members with a known label, a
  typology instance or individual risk of at least ``core_min_risk``;
* ``typology`` — customers joined by detected typology instances (cycles, fan-in/out mules,
  pass-through), overlapping instances merged.

Each cluster is described by its size, density (the share of member pairs that are linked in
the customer graph), the share of members with a known risk label, the money moved between
members, their disputes, the members' mean individual risk and the typology instances inside
it. Its score (0-1) is a noisy-OR of three pieces of evidence, so any one of them can make a
cluster risky and each is reported in the reason:

``known``      ``min(1, known_share * known_weight)`` — confirmed bad members;
``members``    the mean individual risk of the members;
``typology``   ``typology_weight`` when the cluster holds a detected typology instance.

A cluster is *high-risk* when its score reaches ``high_risk_score``. The defaults of
:class:`ClusterSettings` were chosen on a 20,000-customer generated network (seed 11) for a
low false-cluster rate; ``benchmarks/bench_analytics.py`` quotes figures on another seed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from graphrisk.analytics.customer_graph import IDENTIFIER_KINDS

__all__ = ["CLUSTER_COLUMNS", "ClusterSettings", "best_cluster_per_customer", "rank_clusters"]

#: Columns of :func:`rank_clusters`' result, in order.
CLUSTER_COLUMNS: tuple[str, ...] = (
    "cluster_id", "kind", "members", "size", "density", "known_risk_members", "known_share",
    "total_flow", "disputes", "mean_member_risk", "typology_instances", "score", "high_risk",
    "rank", "reason",
)


@dataclass(frozen=True)
class ClusterSettings:
    """How clusters are formed and scored.

    Attributes:
        min_size: smallest cluster reported.
        min_community_size: smallest money-community core reported; a pair who paid each
            other is a relationship, not yet a community.
        max_community_size: money communities larger than this are not cases.
        known_weight: how strongly the known-bad share counts (0.5 known reaches 1 at 2.0).
        typology_weight: evidence of a detected typology instance inside the cluster.
        high_risk_score: clusters scoring at least this are flagged high-risk.
        core_min_risk: individual risk that keeps a money-community member without a known
            label or typology in the cluster's core.
    """

    min_size: int = 2
    min_community_size: int = 3
    max_community_size: int = 60
    known_weight: float = 2.0
    typology_weight: float = 0.6
    high_risk_score: float = 0.6
    core_min_risk: float = 0.5


def rank_clusters(
    *,
    rings: pd.Series,
    communities: pd.Series,
    typology_instances: pd.DataFrame,
    links: pd.DataFrame,
    transfers: pd.DataFrame,
    member_facts: pd.DataFrame,
    settings: ClusterSettings = ClusterSettings(),
) -> pd.DataFrame:
    """Form candidate clusters, describe and score them, and rank them.

    Args:
        rings: customer id -> ring id (an engine's ``NetworkResult.rings``).
        communities: customer id -> community id (``NetworkResult.communities``).
        typology_instances: ``TypologyResult.instances`` (``instance_id``, ``kind``,
            ``customer_ids``, ``reason``).
        links: customer links (:func:`graphrisk.analytics.customer_graph.customer_links`).
        transfers: payments between customers
            (:func:`graphrisk.analytics.customer_graph.customer_transfers`).
        member_facts: indexed by customer id: ``individual_risk`` (0-1), ``known_risk_label``
            (missing when unknown) and ``disputes`` (count).
        settings: formation and scoring knobs.

    Returns:
        One row per cluster with :data:`CLUSTER_COLUMNS`, best first (``rank`` 1).
    """
    membership = _membership(rings, communities, typology_instances, settings)
    if membership.empty:
        return pd.DataFrame(columns=list(CLUSTER_COLUMNS))
    facts = member_facts.reindex(membership["customer_id"])
    membership = membership.assign(
        individual_risk=facts["individual_risk"].fillna(0.0).to_numpy(),
        known=facts["known_risk_label"].notna().to_numpy(),
        label=facts["known_risk_label"].to_numpy(dtype=object),
        disputes=facts["disputes"].fillna(0).to_numpy(),
    )
    membership = _community_cores(membership, typology_instances, settings)
    if membership.empty:
        return pd.DataFrame(columns=list(CLUSTER_COLUMNS))
    grouped = membership.groupby("cluster_id", sort=False)
    clusters = pd.DataFrame({
        "kind": grouped["kind"].first(),
        "members": grouped["customer_id"].agg(lambda ids: tuple(sorted(ids))),
        "size": grouped.size(),
        "known_risk_members": grouped["known"].sum().astype(int),
        "disputes": grouped["disputes"].sum().astype(int),
        "mean_member_risk": grouped["individual_risk"].mean(),
    })
    clusters["known_share"] = clusters["known_risk_members"] / clusters["size"]
    pairs = _pairs_within(membership, links[["customer_id_a", "customer_id_b"]]
                          .drop_duplicates())
    possible = clusters["size"] * (clusters["size"] - 1) / 2
    clusters["density"] = (pairs.groupby("cluster_id").size()
                           .reindex(clusters.index, fill_value=0) / possible)
    flow = _pairs_within(membership, transfers)
    clusters["total_flow"] = (flow.groupby("cluster_id")["amount"].sum()
                              .reindex(clusters.index, fill_value=0.0))
    clusters["typology_instances"] = _instances_per_cluster(membership, typology_instances,
                                                            clusters.index)
    known = np.minimum(1.0, clusters["known_share"] * settings.known_weight)
    typology = np.where(clusters["typology_instances"] > 0, settings.typology_weight, 0.0)
    clusters["score"] = 1 - (1 - known) * (1 - clusters["mean_member_risk"]) * (1 - typology)
    clusters["high_risk"] = clusters["score"] >= settings.high_risk_score
    clusters = clusters.reset_index().sort_values(
        ["score", "size", "cluster_id"], ascending=[False, False, True], ignore_index=True)
    clusters["rank"] = np.arange(1, len(clusters) + 1)
    labels = membership.dropna(subset=["label"]).groupby("cluster_id")["label"].agg(
        lambda values: values.value_counts().to_dict())
    shared = _shared_identifiers(membership, links)
    clusters["reason"] = [
        _reason(row, labels.get(row.cluster_id, {}), shared.get(row.cluster_id, ()), settings)
        for row in clusters.itertuples(index=False)
    ]
    return clusters[list(CLUSTER_COLUMNS)]


def best_cluster_per_customer(clusters: pd.DataFrame) -> pd.DataFrame:
    """For each customer in any cluster, the highest-scoring one: ``cluster_id``, ``score``.

    Returns:
        Indexed by customer id; also ``cluster_reason`` (that cluster's reason).
    """
    if clusters.empty:
        return pd.DataFrame(columns=["cluster_id", "cluster_score", "cluster_reason"])
    exploded = clusters[["cluster_id", "members", "score", "reason"]].explode("members")
    best = exploded.sort_values(["score", "cluster_id"], ascending=[False, True])
    best = best.drop_duplicates("members").set_index("members")
    best.index.name = "customer_id"
    return best.rename(columns={"score": "cluster_score", "reason": "cluster_reason"})


# --------------------------------------------------------------------------------------------


def _membership(
    rings: pd.Series, communities: pd.Series, instances: pd.DataFrame,
    settings: ClusterSettings,
) -> pd.DataFrame:
    """Long table ``cluster_id, kind, customer_id`` of every candidate cluster."""
    parts = []
    for kind, labels in (("identity_ring", rings), ("money_community", communities)):
        if labels.empty:
            continue
        size = labels.map(labels.value_counts())
        keep = size >= settings.min_size
        if kind == "money_community":
            keep &= size <= settings.max_community_size
        chosen = labels[keep]
        parts.append(pd.DataFrame({
            "cluster_id": f"{kind.split('_')[1]}:" + chosen.astype(str).to_numpy(dtype=object),
            "kind": kind,
            "customer_id": chosen.index.to_numpy(dtype=object),
        }))
    typology_groups = _merge_instances(instances)
    if not typology_groups.empty:
        size = typology_groups.map(typology_groups.value_counts())
        chosen = typology_groups[size >= settings.min_size]
        parts.append(pd.DataFrame({
            "cluster_id": "typology:" + chosen.astype(str).to_numpy(dtype=object),
            "kind": "typology",
            "customer_id": chosen.index.to_numpy(dtype=object),
        }))
    if not parts:
        return pd.DataFrame(columns=["cluster_id", "kind", "customer_id"])
    return pd.concat(parts, ignore_index=True)


def _community_cores(
    membership: pd.DataFrame, instances: pd.DataFrame, settings: ClusterSettings
) -> pd.DataFrame:
    """Keep only the members of each money community that carry some risk themselves.

    Why: Louvain puts a laundering group together with the ordinary customers who paid it
    once; an investigator wants the group. A member stays when it has a known label, takes
    part in a typology instance, or has individual risk of at least ``core_min_risk``.
    """
    community = membership["kind"] == "money_community"
    in_instance = membership["customer_id"].isin(
        set(instances["customer_ids"].explode().dropna()) if not instances.empty else set())
    core = (membership["known"] | in_instance
            | (membership["individual_risk"] >= settings.core_min_risk))
    kept = membership[~community | core]
    size = kept.groupby("cluster_id")["customer_id"].transform("size")
    smallest = np.where(kept["kind"] == "money_community", settings.min_community_size,
                        settings.min_size)
    return kept[size >= smallest].reset_index(drop=True)


def _merge_instances(instances: pd.DataFrame) -> pd.Series:
    """Customer id -> group id, joining customers that share any typology instance."""
    if instances.empty:
        return pd.Series(dtype=object)
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    members = instances[["instance_id", "customer_ids"]].explode("customer_ids").dropna()
    customers = np.sort(members["customer_ids"].unique())
    position = pd.Series(np.arange(len(customers)), index=customers)
    instance_codes = pd.factorize(members["instance_id"])[0] + len(customers)
    n = len(customers) + instance_codes.max() + 1 if len(members) else len(customers)
    rows = position[members["customer_ids"]].to_numpy()
    graph = coo_matrix((np.ones(len(rows)), (rows, instance_codes)), shape=(n, n))
    _, labels = connected_components(graph, directed=False)
    component = pd.Series(labels[: len(customers)], index=customers)
    return component.index.to_series().groupby(component.to_numpy()).transform("min")


def _pairs_within(membership: pd.DataFrame, pairs: pd.DataFrame) -> pd.DataFrame:
    """Rows of ``pairs`` (``customer_id_a``, ``customer_id_b``...) inside one cluster."""
    left = membership[["cluster_id", "customer_id"]]
    joined = pairs.merge(left, left_on="customer_id_a", right_on="customer_id")
    joined = joined.drop(columns="customer_id").merge(
        left, left_on=["customer_id_b", "cluster_id"], right_on=["customer_id", "cluster_id"])
    return joined.drop(columns="customer_id")


def _instances_per_cluster(
    membership: pd.DataFrame, instances: pd.DataFrame, clusters: pd.Index
) -> pd.Series:
    """How many typology instances have a member in each cluster."""
    if instances.empty:
        return pd.Series(0, index=clusters)
    members = instances[["instance_id", "customer_ids"]].explode("customer_ids")
    joined = members.merge(membership[["cluster_id", "customer_id"]],
                           left_on="customer_ids", right_on="customer_id")
    return (joined.drop_duplicates(["cluster_id", "instance_id"]).groupby("cluster_id").size()
            .reindex(clusters, fill_value=0).astype(int))


def _shared_identifiers(membership: pd.DataFrame, links: pd.DataFrame) -> dict[str, tuple]:
    """The identifiers that link members of each cluster, most used first."""
    identifier_links = links[links["kind"].isin(IDENTIFIER_KINDS)]
    within = _pairs_within(membership, identifier_links)
    if within.empty:
        return {}
    counts = within.groupby(["cluster_id", "via"]).size().rename("n").reset_index()
    counts = counts.sort_values(["cluster_id", "n", "via"], ascending=[True, False, True])
    return {cluster: tuple(group["via"]) for cluster, group in counts.groupby("cluster_id")}


_KIND_WORDS = {
    "identity_ring": "customers linked by shared identifiers",
    "money_community": "customers who mostly pay each other",
    "typology": "customers joined by suspicious payment patterns",
}


def _reason(
    row: tuple, labels: dict[str, int], shared: tuple[str, ...], settings: ClusterSettings
) -> str:
    """Why this cluster ranks where it does, in words an investigator can check."""
    parts = [f"{row.size} {_KIND_WORDS[row.kind]}"]
    if shared:
        more = f" and {len(shared) - 3} more" if len(shared) > 3 else ""
        parts.append(f"sharing {', '.join(shared[:3])}{more}")
    parts.append(f"{row.density:.0%} of member pairs linked")
    if row.known_risk_members:
        named = ", ".join(f"{n} {label.replace('_', ' ')}" for label, n in labels.items())
        parts.append(f"{row.known_risk_members} known risk ({named})")
    if row.typology_instances:
        parts.append(f"{row.typology_instances} suspicious payment "
                     f"{'pattern' if row.typology_instances == 1 else 'patterns'} inside")
    if row.total_flow:
        parts.append(f"{row.total_flow:,.0f} moved between members")
    if row.disputes:
        parts.append(f"{row.disputes} disputes")
    parts.append(f"members' mean individual risk {row.mean_member_risk:.2f}")
    return "; ".join(parts)

"""Clusters are formed from rings, communities and typologies, scored, ranked and explained."""

from __future__ import annotations

import pandas as pd
import pytest

from graphrisk.analytics.clusters import (
    CLUSTER_COLUMNS,
    ClusterSettings,
    best_cluster_per_customer,
    rank_clusters,
)


def _facts(rows: dict[str, tuple[float, str | None, int]]) -> pd.DataFrame:
    frame = pd.DataFrame.from_dict(rows, orient="index",
                                   columns=["individual_risk", "known_risk_label", "disputes"])
    frame.index.name = "customer_id"
    return frame


LINKS = pd.DataFrame({
    "customer_id_a": ["A1", "A1", "A2", "B1", "M1", "M2"],
    "customer_id_b": ["A2", "A3", "A3", "B2", "M2", "M3"],
    "kind": ["device", "device", "device", "address", "transfer", "transfer"],
    "via": ["device:d1", "device:d1", "device:d1", "address:x", "3", "2"],
    "weight": [3.0, 3.0, 3.0, 1.0, 2.0, 1.6],
})
TRANSFERS = pd.DataFrame({
    "customer_id_a": ["M1", "M1", "M2", "A1"],
    "customer_id_b": ["M2", "M2", "M3", "A2"],
    "amount": [9000.0, 8000.0, 8500.0, 100.0],
})
NO_INSTANCES = pd.DataFrame(columns=["instance_id", "kind", "customer_ids", "reason"])


def _rank(facts: pd.DataFrame, *, instances: pd.DataFrame = NO_INSTANCES,
          communities: pd.Series | None = None,
          settings: ClusterSettings | None = None) -> pd.DataFrame:
    rings = pd.Series({"A1": "A1", "A2": "A1", "A3": "A1", "B1": "B1", "B2": "B1"})
    if communities is None:
        communities = pd.Series({"M1": "M1", "M2": "M1", "M3": "M1", "N1": "M1"})
    return rank_clusters(rings=rings, communities=communities, typology_instances=instances,
                         links=LINKS, transfers=TRANSFERS, member_facts=facts,
                         settings=settings or ClusterSettings())


BASE = {
    "A1": (0.2, "identity_fraud", 1), "A2": (0.3, None, 0), "A3": (0.1, None, 2),
    "B1": (0.05, None, 0), "B2": (0.05, None, 0),
    "M1": (0.7, None, 0), "M2": (0.8, None, 0), "M3": (0.6, None, 0), "N1": (0.01, None, 0),
}


def test_clusters_are_described_and_ranked() -> None:
    clusters = _rank(_facts(BASE)).set_index("cluster_id")
    assert list(_rank(_facts(BASE)).columns) == list(CLUSTER_COLUMNS)
    ring = clusters.loc["ring:A1"]
    assert ring["members"] == ("A1", "A2", "A3") and ring["size"] == 3
    assert ring["density"] == pytest.approx(1.0)
    assert ring["known_risk_members"] == 1 and ring["known_share"] == pytest.approx(1 / 3)
    assert ring["disputes"] == 3 and ring["total_flow"] == pytest.approx(100.0)
    # known part min(1, 1/3 * 2) = 2/3, members 0.2 -> 1 - (1/3)(0.8) = 0.7333
    assert ring["score"] == pytest.approx(1 - (1 / 3) * 0.8)
    family = clusters.loc["ring:B1"]
    assert family["score"] == pytest.approx(0.05) and not family["high_risk"]
    assert clusters["rank"].sort_values().tolist() == list(range(1, len(clusters) + 1))
    assert clusters.sort_values("rank")["score"].is_monotonic_decreasing


def test_reasons_name_shared_identifiers_known_labels_and_flow() -> None:
    clusters = _rank(_facts(BASE)).set_index("cluster_id")
    reason = clusters.loc["ring:A1", "reason"]
    assert "3 customers linked by shared identifiers" in reason
    assert "device:d1" in reason and "1 known risk (1 identity fraud)" in reason
    assert "100% of member pairs linked" in reason and "3 disputes" in reason


def test_money_communities_keep_only_their_risky_core() -> None:
    clusters = _rank(_facts(BASE)).set_index("cluster_id")
    community = clusters.loc["community:M1"]
    assert community["members"] == ("M1", "M2", "M3")  # N1 (risk 0.01) is not the core
    assert community["total_flow"] == pytest.approx(25_500.0)
    # A core smaller than min_community_size is no cluster at all.
    weak = dict(BASE, M3=(0.1, None, 0))
    assert "community:M1" not in set(_rank(_facts(weak))["cluster_id"])
    # A known label keeps a member in the core whatever its individual risk.
    known = dict(weak, M3=(0.1, "mule", 0))
    assert "community:M1" in set(_rank(_facts(known))["cluster_id"])


def test_overlapping_typology_instances_form_one_cluster() -> None:
    instances = pd.DataFrame({
        "instance_id": ["cycle-0001", "fan_in-0001", "pass_through-0001"],
        "kind": ["cycle", "fan_in", "pass_through"],
        "customer_ids": [("B1", "B2"), ("B2", "N1"), ("A3",)],
        "reason": ["", "", ""],
    })
    clusters = _rank(_facts(BASE), instances=instances).set_index("cluster_id")
    typology = clusters[clusters["kind"] == "typology"]
    assert list(typology.index) == ["typology:B1"]  # the single-member instance is no cluster
    assert typology.iloc[0]["members"] == ("B1", "B2", "N1")
    # The family ring B1-B2 now holds two instances, which makes it high-risk.
    assert clusters.loc["ring:B1", "typology_instances"] == 2
    assert clusters.loc["ring:B1", "high_risk"]
    assert "2 suspicious payment patterns inside" in clusters.loc["ring:B1", "reason"]


def test_each_customer_gets_their_best_cluster() -> None:
    clusters = _rank(_facts(BASE))
    best = best_cluster_per_customer(clusters)
    assert best.loc["A2", "cluster_id"] == "ring:A1"
    assert best.loc["M1", "cluster_score"] == pytest.approx(
        clusters.set_index("cluster_id").loc["community:M1", "score"])
    assert "N1" not in best.index


def test_no_candidates_gives_an_empty_frame() -> None:
    empty = rank_clusters(rings=pd.Series(dtype=object), communities=pd.Series(dtype=object),
                          typology_instances=NO_INSTANCES, links=LINKS, transfers=TRANSFERS,
                          member_facts=_facts(BASE))
    assert empty.empty and list(empty.columns) == list(CLUSTER_COLUMNS)

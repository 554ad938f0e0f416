"""Risk spreads from known-risk customers along weighted links, and nowhere else."""

from __future__ import annotations

import pandas as pd
import pytest

from graphrisk.analytics.propagation import build_customer_graph, propagate_risk
from graphrisk.graph import GraphSnapshot


def test_tiny_ring_graph_has_the_links_a_person_sees(tiny_snapshot: GraphSnapshot) -> None:
    graph = build_customer_graph(tiny_snapshot)
    at = graph.index()
    weight = graph.adjacency.toarray()
    # C2, C3, C4 share device dev-91 (3.0); C2 and C3 also a phone (2.0); C2->C3, C3->C4,
    # C4->C2 paid each other once (log2(2) = 1.0 each).
    assert weight[at["C2"], at["C3"]] == pytest.approx(3.0 + 2.0 + 1.0)
    assert weight[at["C3"], at["C4"]] == pytest.approx(3.0 + 1.0)
    # C1 co-holds C6's account (2.0) and shares an address written two ways (1.0).
    assert weight[at["C1"], at["C6"]] == pytest.approx(2.0 + 1.0)
    # C4 paid C5's business account once.
    assert weight[at["C4"], at["C5"]] == pytest.approx(1.0)
    assert (weight == weight.T).all()


def test_risk_reaches_the_ring_and_not_the_unconnected(tiny_snapshot: GraphSnapshot) -> None:
    scores = propagate_risk(build_customer_graph(tiny_snapshot), {"C2": 1.0})
    assert scores.sum() == pytest.approx(1.0)
    assert scores["C2"] > scores["C3"] > scores["C5"] > 0
    assert scores["C4"] > scores["C5"]
    assert scores["C1"] == 0.0 and scores["C6"] == 0.0
    assert propagate_risk(build_customer_graph(tiny_snapshot), {"C404": 1.0}).sum() == 0.0


def test_relationship_weights_matter(tiny_snapshot: GraphSnapshot) -> None:
    # Without devices and phones the ring is held together by single payments only.
    light = build_customer_graph(tiny_snapshot, weights={"transfer": 1.0})
    heavy = build_customer_graph(tiny_snapshot)
    assert (propagate_risk(heavy, {"C2": 1.0})["C3"]
            > propagate_risk(light, {"C2": 1.0})["C3"])


def test_identifiers_shared_too_widely_are_ignored(tiny_snapshot: GraphSnapshot) -> None:
    # Give the device to eight more customers: with a cut-off of 10 it still links the ring;
    # with a cut-off of 5 it is a "call-centre" identifier and links nobody.
    extra = pd.DataFrame({
        "customer_id": [f"X{i}" for i in range(8)], "kind": "device", "value": "dev-91",
        "first_seen": None, "identifier_id": "device:dev-91", "raw_value": "DEV-91",
    })
    snapshot = GraphSnapshot(**{**vars(tiny_snapshot),
                                "identifiers": pd.concat([tiny_snapshot.identifiers, extra]),
                                "customers": pd.concat([tiny_snapshot.customers,
                                                        extra[["customer_id"]]])})
    wide = build_customer_graph(snapshot, max_identifier_degree=20)
    cut = build_customer_graph(snapshot, max_identifier_degree=5)
    assert wide.adjacency[wide.index()["C3"], wide.index()["X0"]] == pytest.approx(3.0)
    assert cut.adjacency[cut.index()["C3"], cut.index()["X0"]] == 0.0
    assert cut.adjacency[cut.index()["C3"], cut.index()["C4"]] == pytest.approx(1.0)


def test_bad_damping_is_refused(tiny_snapshot: GraphSnapshot) -> None:
    with pytest.raises(ValueError, match="damping"):
        propagate_risk(build_customer_graph(tiny_snapshot), {"C2": 1.0}, damping=1.0)

"""Probable same-person links (entity resolution's view in the graph): alike on every store.

Each store keeps the linked pairs as the graph's own (Neo4j: ``SAME_ENTITY`` relationships
with the probability), replaces them as a whole, gives them in snapshots and region reads,
and the customer graph joins their customers like a shared identifier.
"""

from __future__ import annotations

import pandas as pd
import pytest

from graphrisk.analytics.customer_graph import customer_links
from graphrisk.analytics.network import NetworkSettings, PythonNetworkEngine
from graphrisk.analytics.region import region_of
from graphrisk.graph import SAME_ENTITY_COLUMNS
from graphrisk.store.base import GraphStore


def _links(*rows: tuple[str, str, float]) -> pd.DataFrame:
    return pd.DataFrame([(a, b, f"SE-{a}{b}", p, f"name ~ ; match {p:.2f}")
                         for a, b, p in rows], columns=list(SAME_ENTITY_COLUMNS))


def test_links_are_replaced_as_a_whole_and_read_back(loaded: GraphStore) -> None:
    assert loaded.same_entity_links().empty
    assert loaded.write_same_entity_links(_links(("C5", "C6", 0.9), ("C1", "C4", 0.6))) == 2
    stored = loaded.same_entity_links()
    assert stored[["customer_id_a", "customer_id_b"]].values.tolist() == [["C1", "C4"],
                                                                           ["C5", "C6"]]
    assert stored["probability"].tolist() == pytest.approx([0.6, 0.9])
    assert stored["pair_id"].tolist() == ["SE-C1C4", "SE-C5C6"]
    assert loaded.same_entity_links(["C6"])["pair_id"].tolist() == ["SE-C5C6"]
    # A second write replaces the first: C1-C4 was rejected, say; a pair naming a customer
    # the store lacks links nobody.
    assert loaded.write_same_entity_links(_links(("C5", "C6", 0.95), ("C1", "C99", 0.9))) == 1
    assert loaded.same_entity_links()["pair_id"].tolist() == ["SE-C5C6"]
    assert loaded.snapshot().same_entity["probability"].tolist() == pytest.approx([0.95])
    assert loaded.write_same_entity_links(_links()) == 0
    assert loaded.snapshot().same_entity.empty


@pytest.mark.parametrize(("rows", "message"), [
    ([("C6", "C5", 0.9)], "customer_id_a < customer_id_b"),
    ([("C5", "C6", 0.0)], r"\(0, 1\]"),
    ([("C5", "C6", 1.5)], r"\(0, 1\]"),
])
def test_bad_links_are_refused_and_change_nothing(loaded: GraphStore, rows, message) -> None:
    loaded.write_same_entity_links(_links(("C1", "C4", 0.6)))
    with pytest.raises(ValueError, match=message):
        loaded.write_same_entity_links(_links(*rows))
    with pytest.raises(ValueError, match="columns"):
        loaded.write_same_entity_links(pd.DataFrame({"customer_id_a": ["C1"]}))
    assert loaded.same_entity_links()["pair_id"].tolist() == ["SE-C1C4"]


def test_regions_carry_the_links_of_their_customers(loaded: GraphStore) -> None:
    loaded.write_same_entity_links(_links(("C5", "C6", 0.9)))
    snapshot = loaded.snapshot()
    for customers in (["C5"], ["C6"], ["C2"]):
        expected = region_of(snapshot, customers)
        actual = loaded.region_snapshot(customers)
        pd.testing.assert_frame_equal(actual.same_entity, expected.same_entity,
                                      check_dtype=False)
        assert set(actual.customers["customer_id"]) == set(expected.customers["customer_id"])
    # The partner is in the region (its row names who the customer probably is).
    assert set(loaded.region_snapshot(["C5"]).customers["customer_id"]) >= {"C5", "C6"}
    assert loaded.region_snapshot(["C2"]).same_entity.empty


def test_the_customer_graph_joins_a_probable_person(loaded: GraphStore) -> None:
    settings = NetworkSettings()
    before = PythonNetworkEngine(loaded.snapshot()).analyse({"C2": 1.0}, settings)
    assert "C5" not in before.rings.index
    loaded.write_same_entity_links(_links(("C5", "C6", 0.9)))
    snapshot = loaded.snapshot()
    links = customer_links(snapshot)
    same = links[links["kind"] == "same_entity"]
    assert same[["customer_id_a", "customer_id_b"]].values.tolist() == [["C5", "C6"]]
    assert same["weight"].tolist() == pytest.approx([settings.weights["same_entity"] * 0.9])
    assert same["via"].tolist() == ["name ~ ; match 0.90"]
    after = PythonNetworkEngine(snapshot).analyse({"C2": 1.0}, settings)
    # C6 is in C1's address ring; C5, probably the same person as C6, joins it.
    assert after.rings["C5"] == after.rings["C6"] == "C1"
    assert after.propagated_risk["C6"] != before.propagated_risk["C6"]
    # Without the kind's weight the link joins nothing.
    unweighted = {k: w for k, w in settings.weights.items() if k != "same_entity"}
    assert customer_links(snapshot, weights=unweighted)["kind"].ne("same_entity").all()

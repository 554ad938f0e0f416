"""Counterparties that are probably a customer (entity resolution's view in the graph):
alike on every store.

Each store keeps the linked counterparties (Neo4j: ``(:Counterparty)-[:SAME_ENTITY]->
(:Customer)`` with the probability), replaces them as a whole, gives them in snapshots and
region reads, and the customer graph links whoever pays such a counterparty with its
customer (kind ``outside_account``).
"""

from __future__ import annotations

import math

import pandas as pd
import pytest

from graphrisk.analytics.customer_graph import customer_links
from graphrisk.analytics.region import region_of
from graphrisk.graph import COUNTERPARTY_ENTITY_COLUMNS
from graphrisk.store.base import GraphStore


def _links(*rows: tuple[str, str, float]) -> pd.DataFrame:
    return pd.DataFrame([(p, c, f"SC-{p}{c}", prob, f"name ~ ; match {prob:.2f}")
                         for p, c, prob in rows], columns=list(COUNTERPARTY_ENTITY_COLUMNS))


def test_links_are_replaced_as_a_whole_and_read_back(loaded: GraphStore) -> None:
    assert loaded.counterparty_entity_links().empty
    assert loaded.write_counterparty_entity_links(_links(("M1", "C5", 0.9),
                                                         ("E1", "C2", 0.7))) == 2
    stored = loaded.counterparty_entity_links()
    assert stored[["counterparty_id", "customer_id"]].values.tolist() == [["E1", "C2"],
                                                                          ["M1", "C5"]]
    assert stored["probability"].tolist() == pytest.approx([0.7, 0.9])
    assert loaded.counterparty_entity_links(["C5"])["pair_id"].tolist() == ["SC-M1C5"]
    assert loaded.counterparty_entity_links(counterparty_ids=["E1"])["pair_id"].tolist() \
        == ["SC-E1C2"]
    # A second write replaces the first; a link naming what the store lacks is left out.
    assert loaded.write_counterparty_entity_links(_links(("M1", "C5", 0.95),
                                                         ("P99", "C1", 0.9),
                                                         ("E1", "C99", 0.9))) == 1
    assert loaded.snapshot().counterparty_entity["pair_id"].tolist() == ["SC-M1C5"]
    with pytest.raises(ValueError, match=r"\(0, 1\]"):
        loaded.write_counterparty_entity_links(_links(("M1", "C5", 0.0)))
    with pytest.raises(ValueError, match="columns"):
        loaded.write_counterparty_entity_links(pd.DataFrame({"customer_id": ["C1"]}))
    assert loaded.counterparty_entity_links()["pair_id"].tolist() == ["SC-M1C5"]
    assert loaded.write_counterparty_entity_links(_links()) == 0
    assert loaded.snapshot().counterparty_entity.empty


def test_payers_of_a_resolved_counterparty_are_linked_with_its_customer(
        loaded: GraphStore) -> None:
    # C1 received a salary from E1 (T1) and paid M1 (T2): with E1 probably C2, C1 and C2
    # are linked once, log2(1 + 1) times the probability.
    assert customer_links(loaded.snapshot())["kind"].ne("outside_account").all()
    loaded.write_counterparty_entity_links(_links(("E1", "C2", 0.8), ("M1", "C1", 0.9)))
    links = customer_links(loaded.snapshot())
    outside = links[links["kind"] == "outside_account"]
    assert outside[["customer_id_a", "customer_id_b"]].values.tolist() == [["C1", "C2"]]
    assert outside["weight"].tolist() == pytest.approx([0.8 * math.log2(2)])
    assert outside["via"].iloc[0].startswith("1 payment with 'Acme GmbH' (E1) — name ~")
    # M1 is C1's own: paying oneself links nobody.


def test_regions_carry_the_links_of_their_customers_and_counterparties(
        loaded: GraphStore) -> None:
    loaded.write_counterparty_entity_links(_links(("E1", "C2", 0.8)))
    snapshot = loaded.snapshot()
    for customers in (["C1"], ["C2"], ["C5"]):
        expected = region_of(snapshot, customers)
        actual = loaded.region_snapshot(customers)
        pd.testing.assert_frame_equal(actual.counterparty_entity,
                                      expected.counterparty_entity, check_dtype=False)
        assert set(actual.customers["customer_id"]) == set(expected.customers["customer_id"])
    # C1 paid E1: its region names C2, whom E1 probably is, and links the two.
    region = loaded.region_snapshot(["C1"])
    assert "C2" in set(region.customers["customer_id"])
    assert customer_links(region)["kind"].eq("outside_account").any()
    assert loaded.region_snapshot(["C5"]).counterparty_entity.empty

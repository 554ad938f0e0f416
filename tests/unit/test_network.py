"""The Python network engine: rings, communities and propagated risk, named engine-neutrally."""

from __future__ import annotations

import pandas as pd
import pytest

from graphrisk.analytics.ledger import build_ledger
from graphrisk.analytics.network import (
    NetworkSettings,
    PythonNetworkEngine,
    groups_named_by_smallest_member,
)
from graphrisk.graph import GraphSnapshot


def test_groups_are_named_by_their_smallest_member() -> None:
    labels = pd.Series([7, 7, 3, 7, 3], index=["C9", "C2", "C5", "C4", "C8"])
    named = groups_named_by_smallest_member(labels)
    assert named.to_dict() == {"C9": "C2", "C2": "C2", "C5": "C5", "C4": "C2", "C8": "C5"}


def test_tiny_ring_rings_and_communities(tiny_snapshot: GraphSnapshot) -> None:
    result = PythonNetworkEngine(tiny_snapshot).analyse({"C2": 1.0}, NetworkSettings())
    assert result.engine == "python"
    # C2, C3, C4 share a device; C1 and C6 share an address written two ways.
    assert result.rings.sort_index().to_dict() == {
        "C1": "C1", "C2": "C2", "C3": "C2", "C4": "C2", "C6": "C1"}
    # Only customers who paid or were paid by another customer are in a community.
    assert set(result.communities.index) == {"C2", "C3", "C4", "C5"}
    # Louvain weighs by amount: C2 and C3 moved the most between them.
    assert result.communities["C2"] == result.communities["C3"] == "C2"
    assert result.communities["C5"] in {"C2", "C4"}
    assert result.propagated_risk.sum() == pytest.approx(1.0)
    assert result.propagated_risk["C3"] > result.propagated_risk["C5"] > 0
    assert result.propagated_risk["C1"] == 0.0


def test_a_shared_ledger_gives_the_same_answer(tiny_snapshot: GraphSnapshot) -> None:
    alone = PythonNetworkEngine(tiny_snapshot).analyse({"C2": 1.0}, NetworkSettings())
    shared = PythonNetworkEngine(tiny_snapshot, ledger=build_ledger(tiny_snapshot)).analyse(
        {"C2": 1.0}, NetworkSettings())
    pd.testing.assert_series_equal(alone.propagated_risk, shared.propagated_risk)
    pd.testing.assert_series_equal(alone.rings, shared.rings)
    pd.testing.assert_series_equal(alone.communities, shared.communities)


def test_the_degree_cut_off_breaks_rings(tiny_snapshot: GraphSnapshot) -> None:
    extra = pd.DataFrame({
        "customer_id": [f"X{i}" for i in range(8)], "kind": "device", "value": "dev-91",
        "identifier_id": "device:dev-91",
    })
    device = tiny_snapshot.identifiers.loc[
        tiny_snapshot.identifiers["kind"] == "device", "identifier_id"].iloc[0]
    extra["identifier_id"] = device
    customers = pd.concat([tiny_snapshot.customers, pd.DataFrame({
        "customer_id": extra["customer_id"], "known_risk_label": None})], ignore_index=True)
    widened = GraphSnapshot(**{**vars(tiny_snapshot), "customers": customers,
                               "identifiers": pd.concat([tiny_snapshot.identifiers, extra],
                                                        ignore_index=True)})
    engine = PythonNetworkEngine(widened)
    loose = engine.analyse({}, NetworkSettings(max_identifier_degree=20))
    strict = engine.analyse({}, NetworkSettings(max_identifier_degree=5))
    assert loose.rings["C3"] == loose.rings["X0"] == "C2"
    # With a cut-off of 5 the device links too many to mean anything: C4 shared only that.
    assert "C4" not in strict.rings.index and "X0" not in strict.rings.index
    assert strict.rings["C3"] == "C2"  # the phone C2 and C3 share still links them


def test_louvain_is_reproducible(tiny_snapshot: GraphSnapshot) -> None:
    engine = PythonNetworkEngine(tiny_snapshot)
    first = engine.analyse({}, NetworkSettings(seed=3)).communities
    assert first.equals(engine.analyse({}, NetworkSettings(seed=3)).communities)

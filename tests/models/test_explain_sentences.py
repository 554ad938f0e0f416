"""The GNN explanation's reason sentences: only what a person can check (issue 14, item 5)."""

from __future__ import annotations

from graphrisk.models.explain import (
    FeatureContribution,
    NeighbourContribution,
    _reasons,
)


def _feature(name: str, z: float, attribution: float) -> FeatureContribution:
    return FeatureContribution(name, f"supplied feature {name}", z, attribution)


def _neighbour(node_id: str, driver: str, attribution: float) -> NeighbourContribution:
    return NeighbourContribution("customer", node_id, 1, f"pays customer {node_id}",
                                 attribution, False, driver)


def test_a_feature_close_to_the_average_is_no_reason_though_it_raised_the_score() -> None:
    reasons = _reasons([_feature("f45", 0.1, 3.0), _feature("f32", 2.4, 1.0)],
                       [_neighbour("C7", "supplied feature f14: about average", 0.5)], top=2)
    # f45 raised the score most, yet sits at the average: left out, its share still counted.
    assert not any("f45" in r for r in reasons)
    assert reasons[0] == ("supplied feature f32: well above average (+2.4 standard "
                          "deviations) (22% of what raised the model's score)")
    # The neighbour stays, without a driver that is only average.
    assert reasons[1] == "pays customer C7 (11% of what raised the model's score)"


def test_an_unusual_neighbour_driver_is_kept() -> None:
    driver = "supplied feature f14: below average (-1.2 standard deviations)"
    reasons = _reasons([], [_neighbour("C7", driver, 1.0)], top=2)
    assert reasons == [f"pays customer C7; mostly its {driver} (100% of what raised the "
                       "model's score)"]


def test_when_nothing_stands_out_it_says_so_instead_of_an_average_feature() -> None:
    reasons = _reasons([_feature("f45", 0.2, 1.0), _feature("f0", -0.3, 0.5)], [], top=2)
    assert reasons == ["no one feature or neighbour stands out: the model's risk comes "
                       "from features each close to the average, taken together"]
    assert _reasons([_feature("f45", 0.2, -1.0)], [], top=2)[0].startswith(
        "nothing in the customer's features or neighbourhood raised")

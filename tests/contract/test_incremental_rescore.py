"""Incremental re-scoring on every store: the same property as tests/unit/test_rescoring.py.

Why on every store: the region read (``region_snapshot``) and the anchor (``latest_scores``)
are store primitives, and Neo4j scores the network inside the database (GDS); the incremental
scores must still match a full re-score within the stated tolerance, leave the customers
outside the reach alone, and keep an unchanged customer's individual component; the regions a
shared ``RegionReader`` cuts from what it read must equal the store's own region reads.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from graphrisk.config import StoreKind
from graphrisk.ingestion.generator import MIN_CUSTOMERS, generate_dataset
from tests.stores import STORE_PARAMS, open_test_store
from tests.unit.test_rescoring import (
    SEED,
    Scenario,
    check_outside_untouched,
    check_region_reader,
    check_unchanged_keep_individual,
    check_within_tolerance,
    run_scenario,
)

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module", params=STORE_PARAMS)
def scenario(request: pytest.FixtureRequest,
             tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scenario]:
    kind: StoreKind = request.param
    root: Path = tmp_path_factory.mktemp(f"incremental-{kind.value}")
    generate_dataset(MIN_CUSTOMERS, SEED, root / "data")
    store = open_test_store(kind, root / "home")
    try:
        yield run_scenario(store, root / "data", root)
    finally:
        store.delete_everything()
        store.close()


def test_incremental_matches_full_within_tolerance(scenario: Scenario) -> None:
    check_within_tolerance(scenario)


def test_outside_the_reach_is_untouched(scenario: Scenario) -> None:
    check_outside_untouched(scenario)


def test_unchanged_customers_keep_their_individual_component(scenario: Scenario) -> None:
    check_unchanged_keep_individual(scenario)


def test_a_shared_reader_cuts_the_stores_own_regions(scenario: Scenario) -> None:
    check_region_reader(scenario)

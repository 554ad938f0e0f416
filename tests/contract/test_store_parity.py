"""Both stores, loaded from the same generated network, give identical answers."""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from graphrisk.domain import NodeLabel
from graphrisk.graph import NodeRef
from graphrisk.store.base import GraphStore
from graphrisk.ingestion.generator import generate_dataset
from graphrisk.ingestion.loader import IngestReport, ingest_directory
from tests.stores import open_test_store

pytestmark = [pytest.mark.neo4j, pytest.mark.slow]


@pytest.fixture(scope="module")
def network(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("parity") / "data"
    generate_dataset(600, 21, folder)
    # One bad row of each of two kinds, so the validation reports have something to agree on.
    customers = folder / "customers.csv"
    lines = customers.read_text().splitlines(keepends=True)
    lines[5] = lines[5].replace('"retail"', '"wholesale"', 1)
    customers.write_text("".join(lines))
    return folder


@pytest.fixture(scope="module")
def loaded(network: Path, tmp_path_factory: pytest.TempPathFactory
           ) -> Iterator[dict[str, tuple[GraphStore, IngestReport]]]:
    stores = {}
    for kind in ("embedded", "neo4j"):
        store = open_test_store(kind, tmp_path_factory.mktemp(kind))
        stores[kind] = (store, ingest_directory(store, network, batch_size=1_000))
    yield stores
    for store, _ in stores.values():
        store.close()


def test_validation_reports_are_identical(loaded) -> None:
    embedded, neo4j = (loaded[k][1] for k in ("embedded", "neo4j"))
    assert [p.line() for p in embedded.problems] == [p.line() for p in neo4j.problems]
    assert embedded.rows_rejected > 0
    assert [vars(t) for t in embedded.tables] == [vars(t) for t in neo4j.tables]


def test_counts_are_identical(loaded) -> None:
    assert loaded["embedded"][0].counts() == loaded["neo4j"][0].counts()


def _normalised(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.astype(object).where(frame.notna(), None).reset_index(drop=True)


def test_snapshots_are_identical(loaded) -> None:
    embedded = loaded["embedded"][0].snapshot()
    neo4j = loaded["neo4j"][0].snapshot()
    for entity in vars(embedded):
        left, right = getattr(embedded, entity), getattr(neo4j, entity)
        assert list(left.columns) == list(right.columns), entity
        pd.testing.assert_frame_equal(_normalised(left), _normalised(right), check_dtype=False,
                                      obj=entity)


def test_neighbourhoods_and_paths_are_identical(loaded) -> None:
    embedded, neo4j = loaded["embedded"][0], loaded["neo4j"][0]
    customers = sorted(embedded.existing_ids("customers"))
    rng = random.Random(4)
    for customer in rng.sample(customers, 12):
        ref = NodeRef(NodeLabel.CUSTOMER, customer)
        left = embedded.neighbourhood(ref, hops=2, limit=150)
        right = neo4j.neighbourhood(ref, hops=2, limit=150)
        assert left == right, customer
    for a, b in zip(rng.sample(customers, 6), rng.sample(customers, 6), strict=True):
        start, end = NodeRef(NodeLabel.CUSTOMER, a), NodeRef(NodeLabel.CUSTOMER, b)
        left = embedded.shortest_path(start, end, max_hops=4)
        right = neo4j.shortest_path(start, end, max_hops=4)
        assert (left is None) == (right is None)
        if left is not None:
            assert left.length == right.length

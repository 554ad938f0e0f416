"""Every store, loaded from the same generated network, gives the embedded store's answers.

The embedded store is the reference; each other registered store (:data:`tests.stores`) is
compared with it.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from graphrisk.config import StoreKind
from graphrisk.domain import NodeLabel
from graphrisk.graph import NodeRef
from graphrisk.ingestion.generator import generate_dataset
from graphrisk.ingestion.loader import IngestReport, ingest_directory
from graphrisk.store.base import GraphStore
from tests.stores import STORE_KINDS, open_test_store, store_params

pytestmark = pytest.mark.slow

Loaded = tuple[GraphStore, IngestReport]


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


def _load(kind: StoreKind, network: Path, tmp_path_factory: pytest.TempPathFactory
          ) -> Iterator[Loaded]:
    store = open_test_store(kind, tmp_path_factory.mktemp(kind.value))
    try:
        yield store, ingest_directory(store, network, batch_size=1_000)
    finally:
        store.close()


@pytest.fixture(scope="module")
def reference(network: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Loaded]:
    """The embedded store, loaded: the answers every other store must give."""
    yield from _load(StoreKind.EMBEDDED, network, tmp_path_factory)


@pytest.fixture(scope="module",
                params=store_params(tuple(k for k in STORE_KINDS if k is not StoreKind.EMBEDDED)))
def other(request: pytest.FixtureRequest, network: Path,
          tmp_path_factory: pytest.TempPathFactory) -> Iterator[Loaded]:
    """Each other registered store, loaded from the same files."""
    yield from _load(request.param, network, tmp_path_factory)


def test_validation_reports_are_identical(reference: Loaded, other: Loaded) -> None:
    embedded, report = reference[1], other[1]
    assert [p.line() for p in embedded.problems] == [p.line() for p in report.problems]
    assert embedded.rows_rejected > 0
    assert [vars(t) for t in embedded.tables] == [vars(t) for t in report.tables]


def test_counts_are_identical(reference: Loaded, other: Loaded) -> None:
    assert reference[0].counts() == other[0].counts()


def _normalised(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.astype(object).where(frame.notna(), None).reset_index(drop=True)


def test_snapshots_are_identical(reference: Loaded, other: Loaded) -> None:
    embedded = reference[0].snapshot()
    snapshot = other[0].snapshot()
    for entity in vars(embedded):
        left, right = getattr(embedded, entity), getattr(snapshot, entity)
        assert list(left.columns) == list(right.columns), entity
        pd.testing.assert_frame_equal(_normalised(left), _normalised(right), check_dtype=False,
                                      obj=entity)


def test_neighbourhoods_and_paths_are_identical(reference: Loaded, other: Loaded) -> None:
    embedded, store = reference[0], other[0]
    customers = sorted(embedded.existing_ids("customers"))
    rng = random.Random(4)
    for customer in rng.sample(customers, 12):
        ref = NodeRef(NodeLabel.CUSTOMER, customer)
        left = embedded.neighbourhood(ref, hops=2, limit=150)
        right = store.neighbourhood(ref, hops=2, limit=150)
        assert left == right, customer
    for a, b in zip(rng.sample(customers, 6), rng.sample(customers, 6), strict=True):
        start, end = NodeRef(NodeLabel.CUSTOMER, a), NodeRef(NodeLabel.CUSTOMER, b)
        left = embedded.shortest_path(start, end, max_hops=4)
        right = store.shortest_path(start, end, max_hops=4)
        assert (left is None) == (right is None)
        if left is not None:
            assert left.length == right.length

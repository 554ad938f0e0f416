"""Fixtures of the contract suites: every registered store, opened fresh and empty."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from graphrisk.ingestion.loader import ingest_directory
from graphrisk.store.base import GraphStore
from tests.stores import STORE_PARAMS, open_test_store


@pytest.fixture(params=STORE_PARAMS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[GraphStore]:
    """Each registered store in turn, empty, closed after the test."""
    graph = open_test_store(request.param, tmp_path)
    yield graph
    graph.close()


@pytest.fixture
def loaded(store: GraphStore, tiny_dir: Path) -> GraphStore:
    """The store holding the tiny ring fixture."""
    ingest_directory(store, tiny_dir)
    return store

"""Fixtures shared by the integration tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from neo4j import Driver, GraphDatabase

from graphrisk.config import Settings
from graphrisk.ingestion.loader import ingest_directory
from graphrisk.store.neo4j import Neo4jGraphStore
from tests.stores import open_test_store


@pytest.fixture(scope="module")
def driver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Driver]:
    """A raw driver to the test Neo4j, for checks below the store (versions, GDS catalogue).

    Skips, or fails under ``GRAPHRISK_REQUIRE_NEO4J=1``, when the server is absent.
    """
    open_test_store("neo4j", tmp_path_factory.mktemp("probe")).close()
    settings = Settings()
    with GraphDatabase.driver(settings.neo4j_uri,
                              auth=(settings.neo4j_user, settings.neo4j_password)) as drv:
        yield drv


@pytest.fixture
def tiny_neo4j(tiny_dir: Path, tmp_path: Path) -> Iterator[Neo4jGraphStore]:
    """The tiny ring (``tiny_dir``) loaded into a fresh test Neo4j store."""
    store = open_test_store("neo4j", tmp_path)
    assert isinstance(store, Neo4jGraphStore)
    try:
        ingest_directory(store, tiny_dir)
        yield store
    finally:
        store.close()

"""Fixtures shared by the integration tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from neo4j import Driver, GraphDatabase

from graphrisk.config import Settings
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

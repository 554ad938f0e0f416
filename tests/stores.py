"""Open a store of each kind for tests: the embedded one in a temporary folder, Neo4j as the
real server that ``.ci/run`` (or ``graphrisk neo4j start``) runs, emptied first."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from graphrisk.config import Settings
from graphrisk.errors import StoreUnavailableError
from graphrisk.store.base import GraphStore
from graphrisk.store.embedded import EmbeddedGraphStore

#: CI sets this so that a missing Neo4j fails the run instead of skipping its tests.
REQUIRE_NEO4J = "GRAPHRISK_REQUIRE_NEO4J"


def open_test_store(kind: str, tmp_path: Path) -> GraphStore:
    if kind == "embedded":
        return EmbeddedGraphStore(tmp_path / f"{tmp_path.name}.db")
    from graphrisk.store.neo4j import Neo4jGraphStore

    try:
        store = Neo4jGraphStore.from_settings(Settings())
    except StoreUnavailableError as exc:
        if os.environ.get(REQUIRE_NEO4J) == "1":
            pytest.fail(f"{REQUIRE_NEO4J}=1 but Neo4j is not usable: {exc}")
        pytest.skip(f"Neo4j not available ({exc})")
    store.delete_everything()
    return store

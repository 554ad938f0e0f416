"""Every registered store, for tests that run on each: opened fresh and empty.

The list comes from :mod:`graphrisk.store.registry`, so a store registered there joins the
contract, parity, thread and crash tests without editing them. Stores that need a server
carry its pytest marker and skip when it is absent — unless ``GRAPHRISK_REQUIRE_<KIND>=1``
(``.ci/run`` sets ``GRAPHRISK_REQUIRE_NEO4J=1``), which turns the skip into a failure.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from graphrisk.config import Settings, StoreKind, parse_store_kind
from graphrisk.errors import StoreUnavailableError
from graphrisk.store import GraphStore, open_store, registered_kinds

__all__ = ["REQUIRE_NEO4J", "STORE_KINDS", "STORE_PARAMS", "open_test_store", "store_params"]

#: Every registered store kind.
STORE_KINDS: tuple[StoreKind, ...] = registered_kinds()
#: The marker of each store that needs a running server (markers are declared in pyproject).
SERVER_MARKS: dict[StoreKind, pytest.MarkDecorator] = {StoreKind.NEO4J: pytest.mark.neo4j}
#: CI sets this so that a missing Neo4j fails the run instead of skipping its tests.
REQUIRE_NEO4J = "GRAPHRISK_REQUIRE_NEO4J"


def store_params(kinds: tuple[StoreKind, ...] = STORE_KINDS) -> list[object]:
    """``pytest.param`` per store kind, carrying its server's marker, for ``parametrize``."""
    return [pytest.param(kind, marks=SERVER_MARKS.get(kind, ()), id=kind.value)
            for kind in kinds]


#: Parameters for tests that run once per registered store.
STORE_PARAMS = store_params()


def open_test_store(kind: StoreKind | str, home: Path) -> GraphStore:
    """Open the store ``kind`` through the registry, emptied, with ``home`` as its home.

    The embedded store's file is ``home/graphrisk.db`` (what a command run with
    ``GRAPHRISK_HOME=home`` opens); a server store is the one the ``GRAPHRISK_*`` settings
    name (``.ci/run`` or ``graphrisk neo4j start`` runs it), with everything deleted.
    """
    kind = parse_store_kind(kind)
    try:
        store = open_store(Settings(home=home, store=kind))
    except StoreUnavailableError as exc:
        if kind not in SERVER_MARKS:
            raise
        required = f"GRAPHRISK_REQUIRE_{kind.value.upper()}"
        if os.environ.get(required) == "1":
            pytest.fail(f"{required}=1 but {kind.value} is not usable: {exc}")
        pytest.skip(f"{kind.value} not available ({exc})")
    store.delete_everything()
    return store

"""The one registry of stores: every store kind can be opened, and only through it."""

from __future__ import annotations

from pathlib import Path

import pytest

from graphrisk.config import Settings, StoreKind
from graphrisk.errors import ConfigError
from graphrisk.store import GraphStore, open_store, register_store, registered_kinds, store_entry
from graphrisk.store.embedded import EmbeddedGraphStore
from tests.stores import STORE_KINDS


def test_every_store_kind_has_a_registered_opener() -> None:
    assert set(registered_kinds()) == set(StoreKind)
    for kind in StoreKind:
        entry = store_entry(kind)
        assert entry.kind is kind
        assert callable(entry.open)
        assert entry.description


def test_the_tests_run_on_every_registered_store() -> None:
    assert STORE_KINDS == registered_kinds() == tuple(StoreKind)


def test_open_store_opens_the_store_the_settings_name(tmp_path: Path) -> None:
    with open_store(Settings(home=tmp_path, store=StoreKind.EMBEDDED)) as store:
        assert isinstance(store, EmbeddedGraphStore)
        assert isinstance(store, GraphStore)
        assert store.kind is StoreKind.EMBEDDED
        assert store.describe() == f"embedded store at {tmp_path / 'graphrisk.db'}"


def test_a_store_name_is_found_by_its_value_and_an_unknown_one_is_a_config_error() -> None:
    assert store_entry("neo4j").kind is StoreKind.NEO4J
    with pytest.raises(ConfigError, match="unknown store 'postgres': use one of embedded, neo4j"):
        store_entry("postgres")


def test_a_kind_cannot_be_registered_twice() -> None:
    with pytest.raises(ValueError, match="registered as .*embedded.* already"):
        register_store(StoreKind.EMBEDDED, lambda settings: None,  # type: ignore[arg-type,return-value]
                       description="a second embedded store")
    assert store_entry(StoreKind.EMBEDDED).open.__name__ == "_open_embedded"

"""Shared fixtures: the hand-built tiny ring, stores, and a clean GraphRisk home per test."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from graphrisk.config import get_settings
from graphrisk.graph import GraphSnapshot
from graphrisk.ingestion.loader import ingest_directory
from graphrisk.store.embedded import EmbeddedGraphStore

FIXTURES = Path(__file__).parent / "fixtures"
TINY_RING = FIXTURES / "tiny_ring"


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path_factory: pytest.TempPathFactory,
                   monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Every test gets its own GRAPHRISK_HOME, so nothing touches the user's data."""
    home = tmp_path_factory.mktemp("graphrisk-home")
    monkeypatch.setenv("GRAPHRISK_HOME", str(home))
    get_settings.cache_clear()
    yield home
    get_settings.cache_clear()


@pytest.fixture
def tiny_dir(tmp_path: Path) -> Path:
    """A writable copy of the tiny ring input folder (6 customers, a device ring, a cycle)."""
    target = tmp_path / "tiny_ring"
    shutil.copytree(TINY_RING, target)
    return target


@pytest.fixture
def tiny_snapshot(tiny_dir: Path, tmp_path: Path) -> GraphSnapshot:
    """The hand-built tiny ring, loaded: C2, C3, C4 share a device, C2 and C3 a phone, C1 and
    C6 an address; A2 -> A3 -> A4 -> A2 is a money cycle; C1 co-holds C6's account A6."""
    with EmbeddedGraphStore(tmp_path / "tiny.db") as store:
        ingest_directory(store, tiny_dir)
        return store.snapshot()


@pytest.fixture
def embedded_store(tmp_path: Path) -> Iterator[EmbeddedGraphStore]:
    store = EmbeddedGraphStore(tmp_path / "store" / "graphrisk.db")
    yield store
    store.close()

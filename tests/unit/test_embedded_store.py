"""What only the embedded store promises: a file that persists and knows its schema version."""

from __future__ import annotations

from pathlib import Path

import pytest

from graphrisk.store.embedded import SCHEMA_VERSION, EmbeddedGraphStore
from graphrisk.ingestion.loader import ingest_directory


def test_data_survives_reopening(tmp_path: Path, tiny_dir: Path) -> None:
    path = tmp_path / "persist.db"
    with EmbeddedGraphStore(path) as first:
        ingest_directory(first, tiny_dir)
        counts = first.counts()
    with EmbeddedGraphStore(path) as second:
        assert second.counts() == counts
        assert second.loads()["status"].tolist() == ["completed"]


def test_newer_schema_version_is_refused(tmp_path: Path) -> None:
    import sqlite3

    from graphrisk.errors import StoreUnavailableError

    path = tmp_path / "future.db"
    EmbeddedGraphStore(path).close()
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA user_version=99")
    with pytest.raises(StoreUnavailableError, match="schema version 99, newer than"):
        EmbeddedGraphStore(path)


def test_a_version_1_file_without_customer_features_opens_and_gains_the_table(
        tmp_path: Path, tiny_dir: Path) -> None:
    import sqlite3

    path = tmp_path / "old.db"
    with EmbeddedGraphStore(path) as store:
        ingest_directory(store, tiny_dir)
    with sqlite3.connect(path) as conn:  # what a GraphRisk before customer features wrote
        conn.execute("DROP TABLE customer_features")
        conn.execute("PRAGMA user_version=1")
    with EmbeddedGraphStore(path) as store:
        assert store.counts()["customers"] == 6
        assert store.counts()["customer_features"] == 0
        assert store.snapshot().customer_features.empty
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION

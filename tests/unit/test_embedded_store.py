"""What only the embedded store promises: a file that persists and knows its schema version."""

from __future__ import annotations

from pathlib import Path

import pytest

from graphrisk.store.embedded import EmbeddedGraphStore
from ingestion.loader import ingest_directory


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

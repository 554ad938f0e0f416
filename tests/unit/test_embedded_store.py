"""What only the embedded store promises: a file that persists and knows its schema version,
and that many threads and processes can open and use at once."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

import pytest

from graphrisk.domain import NodeLabel
from graphrisk.errors import StoreError, StoreUnavailableError
from graphrisk.graph import NodeRef
from graphrisk.ingestion.loader import ingest_directory
from graphrisk.store.embedded import SCHEMA_VERSION, EmbeddedGraphStore


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


def _writer_holding_the_lock(path: Path) -> sqlite3.Connection:
    """Another connection (as another process would) in the middle of a write transaction."""
    writer = sqlite3.connect(path, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("INSERT INTO customers (customer_id, name, segment, country, kyc_status, "
                   "onboarding_date) VALUES ('C-NEW', 'New', 'retail', 'DE', 'verified', "
                   "'2024-01-01')")
    return writer


def test_opening_an_up_to_date_store_does_not_wait_for_a_writer(
        tmp_path: Path, tiny_dir: Path) -> None:
    """Opening only reads: it neither takes nor waits for the write lock a load holds.

    Before, every open ran the schema statements in a write transaction, so it waited (here
    up to its 30 s busy timeout) for any load in progress in another process.
    """
    path = tmp_path / "busy.db"
    with EmbeddedGraphStore(path) as store:
        ingest_directory(store, tiny_dir)
    writer = _writer_holding_the_lock(path)
    opened: list[dict[str, int]] = []
    try:
        def open_and_count() -> None:
            with EmbeddedGraphStore(path) as store:
                opened.append(store.counts())

        thread = threading.Thread(target=open_and_count)
        started = time.monotonic()
        thread.start()
        thread.join(timeout=5)
        assert not thread.is_alive(), "opening the store waited for another writer"
        assert time.monotonic() - started < 5
        assert opened[0]["customers"] == 6  # the writer's row is not committed yet
        writer.execute("COMMIT")
        with EmbeddedGraphStore(path) as store:
            assert store.counts()["customers"] == 7
    finally:
        if writer.in_transaction:
            writer.execute("ROLLBACK")
        writer.close()
        thread.join(timeout=60)


def test_two_stores_open_beside_a_reader_and_a_writer(tmp_path: Path, tiny_dir: Path) -> None:
    """A long read (a snapshot elsewhere) and a load in progress do not stop two more opens."""
    path = tmp_path / "shared.db"
    with EmbeddedGraphStore(path) as store:
        ingest_directory(store, tiny_dir)
    reader = sqlite3.connect(path, isolation_level=None)
    reader.execute("BEGIN")
    reader.execute("SELECT COUNT(*) FROM customers").fetchone()
    writer = _writer_holding_the_lock(path)
    try:
        with EmbeddedGraphStore(path, timeout=0.2) as first, \
                EmbeddedGraphStore(path, timeout=0.2) as second:
            assert first.counts() == second.counts()
            assert first.get_node(NodeRef(NodeLabel.CUSTOMER, "C2")).properties["name"]
    finally:
        writer.execute("ROLLBACK")
        writer.close()
        reader.execute("COMMIT")
        reader.close()


def test_a_store_that_needs_migrating_waits_for_the_writer(tmp_path: Path) -> None:
    """Only a file that needs schema work takes the write lock (and so waits for it)."""
    path = tmp_path / "old.db"
    EmbeddedGraphStore(path).close()
    with sqlite3.connect(path) as conn:
        conn.execute("DROP TABLE customer_features")
        conn.execute("PRAGMA user_version=1")
    writer = _writer_holding_the_lock(path)
    try:
        with pytest.raises(StoreUnavailableError, match="database is locked"):
            EmbeddedGraphStore(path, timeout=0.2)
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    with EmbeddedGraphStore(path) as store:
        assert store.counts()["customer_features"] == 0


def test_each_thread_has_its_own_connection_and_close_closes_them_all(
        tmp_path: Path, tiny_dir: Path) -> None:
    path = tmp_path / "threads.db"
    store = EmbeddedGraphStore(path)
    ingest_directory(store, tiny_dir)
    release = threading.Event()
    counted: list[int] = []

    def read_then_wait() -> None:
        counted.append(store.counts()["customers"])
        release.wait(timeout=30)

    workers = [threading.Thread(target=read_then_wait) for _ in range(4)]
    for worker in workers:
        worker.start()
    while len(counted) < 4:
        time.sleep(0.01)
    assert store._connections.open_count() == 5  # the main thread's and one per worker
    release.set()
    for worker in workers:
        worker.join()
    # A new thread's first use closes the connections of threads that have ended.
    late = threading.Thread(target=lambda: counted.append(store.counts()["customers"]))
    late.start()
    late.join()
    assert store._connections.open_count() == 2
    assert counted == [6] * 5

    store.close()
    # No connection is left open: leaving WAL mode needs the file to ourselves.
    with sqlite3.connect(path, timeout=0.2) as conn:
        assert conn.execute("PRAGMA journal_mode=DELETE").fetchone()[0] == "delete"
    with pytest.raises(StoreError, match="closed"):
        store.counts()
    store.close()  # a second close does nothing


def test_opening_an_up_to_date_store_commits_nothing(tmp_path: Path, tiny_dir: Path) -> None:
    path = tmp_path / "quiet.db"
    with EmbeddedGraphStore(path) as store:
        ingest_directory(store, tiny_dir)
    # PRAGMA data_version changes when another connection commits anything to the file.
    watcher = sqlite3.connect(path, isolation_level=None)
    try:
        before = watcher.execute("PRAGMA data_version").fetchone()[0]
        with EmbeddedGraphStore(path) as store:
            store.counts()
            store.snapshot()
        assert watcher.execute("PRAGMA data_version").fetchone()[0] == before
        with EmbeddedGraphStore(path) as store:  # a write does move it: the check can fail
            store.begin_load("probe", {})
        assert watcher.execute("PRAGMA data_version").fetchone()[0] != before
    finally:
        watcher.close()


def test_a_score_write_that_fails_half_way_leaves_no_rows_and_no_run(
        tmp_path: Path, tiny_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Scores go in chunks (the API's audit appends get the lock between them); a failure
    between chunks must not leave half a run visible, nor its rows behind."""
    import pandas as pd

    import graphrisk.store.embedded as embedded

    store = EmbeddedGraphStore(tmp_path / "g.db")
    ingest_directory(store, tiny_dir)
    customers = sorted(store.existing_ids("customers"))[:3]
    first = pd.DataFrame({"customer_id": customers, "score": [10.0, 20.0, 30.0],
                          "tier": ["low", "low", "medium"], "reasons": [["a"], ["b"], []]})
    store.write_scores("kept", "test", {}, first)
    monkeypatch.setattr(embedded, "_SCORE_CHUNK", 1)
    pauses = []

    def crash_on_second_pause(seconds: float) -> None:
        pauses.append(seconds)
        if len(pauses) == 2:
            raise KeyboardInterrupt  # the job is stopped between two chunks

    monkeypatch.setattr(embedded.time, "sleep", crash_on_second_pause)
    with pytest.raises(KeyboardInterrupt):
        store.write_scores("broken", "test", {}, first.assign(score=[90.0, 91.0, 92.0]))
    latest = store.latest_scores()
    assert set(latest["run_id"]) == {"kept"}
    assert latest["score"].tolist() == [10.0, 20.0, 30.0]
    leftover = store._conn.execute(
        "SELECT count(*) FROM customer_scores WHERE run_id = 'broken'").fetchone()[0]
    assert leftover == 0
    monkeypatch.undo()
    store.write_scores("whole", "test", {}, first.assign(score=[90.0, 91.0, 92.0]))
    assert set(store.latest_scores()["run_id"]) == {"whole"}
    store.close()


def test_a_snapshot_read_in_small_pieces_equals_one_read_in_one_piece(
        tmp_path: Path, tiny_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import pandas as pd

    from graphrisk.store import embedded

    with EmbeddedGraphStore(tmp_path / "pieces.db") as store:
        ingest_directory(store, tiny_dir)
        monkeypatch.setattr(embedded, "_SNAPSHOT_CHUNK_ROWS", 1_000_000)
        whole = store.snapshot()
        # Two rows a piece: some pieces have a column with no value at all (object dtype).
        monkeypatch.setattr(embedded, "_SNAPSHOT_CHUNK_ROWS", 2)
        pieces = store.snapshot()
    for name, frame in vars(whole).items():
        pd.testing.assert_frame_equal(getattr(pieces, name), frame, check_exact=True,
                                      obj=name)


@pytest.mark.parametrize("values", [
    ["a", "b", None, None, "c"],          # text, one piece without any
    [1, 2, None, None, 3],                # integers, one piece without any: floats
    [1, 2, 2.5, None, 3],                 # integers in one piece, floats in another
    [1, "x", None, None, 2.5],            # numbers and text in one column
    [None, None, None, None, None],       # nothing at all
])
def test_a_column_joined_from_pieces_has_the_type_of_the_whole_column(
        values: list[object]) -> None:
    import pandas as pd

    from graphrisk.store.frames import joined_column

    def read(rows: list[object]) -> pd.Series:  # what pandas makes of a query's rows
        return pd.DataFrame.from_records([(v,) for v in rows], columns=["c"],
                                         coerce_float=True)["c"]

    joined = joined_column([read(values[i:i + 2]) for i in range(0, len(values), 2)])
    pd.testing.assert_series_equal(joined, read(values), check_exact=True)

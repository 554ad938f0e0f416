"""Records, the audit trail, known labels, latest scores and regions: alike on every store."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from graphrisk.analytics.region import region_of
from graphrisk.config import StoreKind
from graphrisk.errors import NotFoundError, RecordConflictError
from graphrisk.ingestion.generator import generate_dataset
from graphrisk.ingestion.loader import ingest_directory
from graphrisk.store.base import GraphStore
from graphrisk.store.embedded import EmbeddedGraphStore


def _together(n: int, work: Callable[[int], Any]) -> list[Any]:
    """Run ``work(i)`` in ``n`` threads released at once; results (or errors) by ``i``."""
    start = threading.Barrier(n)
    results: list[Any] = [None] * n

    def run(i: int) -> None:
        start.wait()
        try:
            results[i] = work(i)
        except Exception as exc:  # noqa: BLE001 - the test inspects it
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


# -- records ---------------------------------------------------------------------------
def test_create_is_idempotent(store: GraphStore) -> None:
    first, created = store.create_record("case", "CASE-1", {"notes": ["a"]}, subject="C2",
                                         status="open")
    assert created and first.version == 1 and first.body == {"notes": ["a"]}
    assert (first.subject, first.status) == ("C2", "open")
    again, created_again = store.create_record("case", "CASE-1", {"notes": ["other"]},
                                               status="closed")
    assert not created_again
    assert again == first
    assert store.get_record("case", "CASE-1") == first
    assert store.get_record("case", "CASE-404") is None
    assert store.get_record("alert", "CASE-1") is None


def test_update_compares_and_sets(store: GraphStore) -> None:
    store.create_record("case", "CASE-7", {"step": 0}, subject="C2", status="open")
    second = store.update_record("case", "CASE-7", {"step": 1}, expected_version=1,
                                 status="investigating")
    assert (second.version, second.body, second.status, second.subject) == (
        2, {"step": 1}, "investigating", "C2")
    third = store.update_record("case", "CASE-7", {"step": 2}, expected_version=2)
    assert third.version == 3 and third.status == "investigating"
    with pytest.raises(RecordConflictError) as caught:
        store.update_record("case", "CASE-7", {"step": 9}, expected_version=2)
    error = caught.value
    assert (error.kind, error.key, error.expected_version, error.stored_version) == (
        "case", "CASE-7", 2, 3)
    assert "case CASE-7 was changed by someone else" in str(error)
    assert "version 2" in str(error) and "version 3" in str(error)
    assert store.get_record("case", "CASE-7") == third  # the refused change wrote nothing
    with pytest.raises(NotFoundError):
        store.update_record("case", "CASE-404", {}, expected_version=1)


def test_concurrent_updates_of_one_version_exactly_one_wins(store: GraphStore) -> None:
    store.create_record("case", "CASE-9", {"by": None})
    results = _together(2, lambda i: store.update_record(
        "case", "CASE-9", {"by": i}, expected_version=1))
    won = [r for r in results if not isinstance(r, Exception)]
    lost = [r for r in results if isinstance(r, Exception)]
    assert len(won) == 1 and len(lost) == 1, results
    assert isinstance(lost[0], RecordConflictError) and lost[0].stored_version == 2
    assert store.get_record("case", "CASE-9") == won[0]


def test_concurrent_creators_exactly_one_creates(store: GraphStore) -> None:
    results = _together(4, lambda i: store.create_record("alert", "AL-1", {"by": i}))
    assert not any(isinstance(r, Exception) for r in results), results
    assert sum(created for _record, created in results) == 1
    assert all(record == results[0][0] for record, _created in results)


def test_records_filter_and_order(store: GraphStore) -> None:
    for key, subject, status in (("B", "C1", "open"), ("A", "C2", "open"),
                                 ("C", "C1", "closed")):
        store.create_record("case", key, {"k": key}, subject=subject, status=status)
    store.create_record("alert", "X", {}, subject="C1", status="open")
    # Oldest first, then by key: on a slow server the three may land in different seconds,
    # so the expected order is read from their stored creation times.
    stamp = {k: store.get_record("case", k).created_at for k in "ABC"}  # type: ignore[union-attr]
    order = sorted("ABC", key=lambda k: (stamp[k], k))
    keys = [r.key for r in store.records("case")]
    assert keys == order
    if len(set(stamp.values())) == 1:
        assert keys == ["A", "B", "C"]  # created in the same second: then by key
    assert [r.key for r in store.records("case", subject="C1")] == ["B", "C"]
    assert [r.key for r in store.records("case", status="open")] == [
        k for k in order if k in "AB"]
    assert [r.key for r in store.records("case", status=["open", "closed"],
                                         subject="C1")] == ["B", "C"]
    assert [r.key for r in store.records("case", limit=2)] == order[:2]
    assert store.records("case", status=[]) == []
    assert [r.key for r in store.records("alert")] == ["X"]


# -- audit -----------------------------------------------------------------------------
def test_audit_is_numbered_in_order_and_filtered(store: GraphStore) -> None:
    entries = [store.append_audit("ines", "case.open", "case:CASE-1", {"tier": "high"}),
               store.append_audit("farid", "case.move", "case:CASE-1"),
               store.append_audit("ines", "label.set", "C2", {"label": "fraud"})]
    assert [e.seq for e in entries] == [1, 2, 3]
    assert store.audit_entries() == entries
    assert entries[0].details == {"tier": "high"} and entries[1].details == {}
    assert [e.seq for e in store.audit_entries(actor="ines")] == [1, 3]
    assert [e.seq for e in store.audit_entries(subject="case:CASE-1")] == [1, 2]
    assert [e.seq for e in store.audit_entries(action="case.move")] == [2]
    assert [e.seq for e in store.audit_entries(since_seq=1)] == [2, 3]
    assert [e.seq for e in store.audit_entries(limit=2)] == [1, 2]


def test_concurrent_appends_get_distinct_gap_free_numbers(store: GraphStore) -> None:
    results = _together(4, lambda i: [store.append_audit(f"user{i}", "tick", details={"n": n})
                                      for n in range(5)])
    assert not any(isinstance(r, Exception) for r in results), results
    seqs = sorted(e.seq for batch in results for e in batch)
    assert seqs == list(range(1, 21))
    assert [e.seq for e in store.audit_entries()] == seqs


def test_delete_everything_clears_records_and_audit(store: GraphStore) -> None:
    store.create_record("case", "CASE-1", {})
    store.append_audit("ines", "case.open")
    store.delete_everything()
    assert store.records("case") == [] and store.audit_entries() == []
    assert store.append_audit("ines", "case.open").seq == 1


def test_embedded_audit_log_refuses_raw_updates_and_deletes(tmp_path: Path) -> None:
    path = tmp_path / "audit.db"
    with EmbeddedGraphStore(path) as store:
        store.append_audit("ines", "case.open", "case:CASE-1")
    with sqlite3.connect(path) as conn:
        for statement in ("UPDATE audit_log SET actor = 'mallory'", "DELETE FROM audit_log"):
            with pytest.raises(sqlite3.DatabaseError, match="append-only"):
                conn.execute(statement)
    with EmbeddedGraphStore(path) as store:
        assert [e.actor for e in store.audit_entries()] == ["ines"]


def test_records_and_audit_survive_reopening(store: GraphStore, tmp_path: Path) -> None:
    record, _ = store.create_record("case", "CASE-1", {"n": 1}, subject="C2")
    entry = store.append_audit("ines", "case.open", "case:CASE-1")
    kind = store.kind
    store.close()
    reopened = open_test_store_keeping(kind, tmp_path)
    try:
        assert reopened.get_record("case", "CASE-1") == record
        assert reopened.audit_entries() == [entry]
        assert reopened.append_audit("ines", "case.close").seq == 2
    finally:
        reopened.close()


def open_test_store_keeping(kind: StoreKind, home: Path) -> GraphStore:
    """The store ``kind`` at ``home`` again, without emptying it."""
    from graphrisk.config import Settings
    from graphrisk.store import open_store

    return open_store(Settings(home=home, store=kind))


# -- labels ----------------------------------------------------------------------------
def test_set_known_label(loaded: GraphStore) -> None:
    loaded.set_known_label("C4", "mule", "case CASE-7")
    row = loaded.snapshot().customers.set_index("customer_id").loc["C4"]
    assert (row["known_risk_label"], row["known_risk_source"]) == ("mule", "case CASE-7")
    loaded.set_known_label("C2", None, None)
    row = loaded.snapshot().customers.set_index("customer_id").loc["C2"]
    assert pd.isna(row["known_risk_label"]) and pd.isna(row["known_risk_source"])
    with pytest.raises(NotFoundError):
        loaded.set_known_label("C404", "fraud", "x")
    with pytest.raises(ValueError, match="unknown risk label"):
        loaded.set_known_label("C4", "villain", "x")


# -- scores ----------------------------------------------------------------------------
def test_the_later_of_two_runs_in_one_second_is_the_latest(loaded: GraphStore) -> None:
    # Run ids carry a random suffix, so only the time says which run came last; two runs
    # written back to back (a full run, then monitoring's re-score) must not tie.
    first = pd.DataFrame({"customer_id": ["C1"], "score": [10.0], "tier": ["low"],
                          "reasons": [["a"]]})
    loaded.write_scores("z-first", "test", {}, first)
    loaded.write_scores("a-second", "test", {}, first.assign(score=20.0))
    latest = loaded.latest_scores(["C1"])
    assert latest["run_id"].tolist() == ["a-second"]
    assert loaded.score_history("C1")["run_id"].tolist()[0] == "a-second"


def test_latest_scores_keep_components_and_pick_the_newest_run(loaded: GraphStore) -> None:
    old = pd.DataFrame({"customer_id": ["C1", "C2", "C3"], "score": [10.0, 20.0, 30.0],
                        "tier": ["low", "low", "medium"], "reasons": [["a"], ["b"], []],
                        "known": [0.0, 1.0, np.nan], "network": [0.1, 0.2, 0.3]})
    loaded.write_scores("r1", "test", {}, old)
    time.sleep(1.1)  # created_at is to the second
    new = pd.DataFrame({"customer_id": ["C2"], "score": [90.0], "tier": ["high"],
                        "reasons": [["shares a device"]], "model": [0.75]})
    loaded.write_scores("r2", "test", {}, new)

    latest = loaded.latest_scores()
    assert latest["customer_id"].tolist() == ["C1", "C2", "C3"]
    assert latest["run_id"].tolist() == ["r1", "r2", "r1"]
    by_id = latest.set_index("customer_id")
    assert by_id.loc["C2", "score"] == 90.0 and by_id.loc["C2", "reasons"] == [
        "shares a device"]
    assert by_id.loc["C2", "model"] == 0.75 and np.isnan(by_id.loc["C2", "known"])
    assert by_id.loc["C1", "known"] == 0.0 and by_id.loc["C1", "network"] == 0.1
    assert np.isnan(by_id.loc["C3", "known"])  # NaN components are not stored
    assert latest["individual"].isna().all()

    some = loaded.latest_scores(["C3", "C2", "C404"])
    assert some["customer_id"].tolist() == ["C2", "C3"]
    assert some["run_id"].tolist() == ["r2", "r1"]
    assert loaded.latest_scores([]).empty
    assert list(loaded.score_history("C2").columns) == [
        "run_id", "created_at", "kind", "score", "tier", "reasons"]


# -- regions ---------------------------------------------------------------------------
def _normalised(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.astype(object).where(frame.notna(), None).reset_index(drop=True)


def _assert_same_region(store: GraphStore, customers: list[str]) -> None:
    expected = region_of(store.snapshot(), customers)
    actual = store.region_snapshot(customers)
    for name, frame in vars(expected).items():
        got = getattr(actual, name)
        assert list(got.columns) == list(frame.columns), name
        pd.testing.assert_frame_equal(_normalised(got), _normalised(frame), check_dtype=False,
                                      obj=name)


def test_region_snapshot_of_the_tiny_ring(loaded: GraphStore) -> None:
    for customers in (["C2"], ["C1"], ["C3", "C4"], ["C404"], []):
        _assert_same_region(loaded, customers)


@pytest.mark.slow
def test_region_snapshot_equals_region_of_the_snapshot(store: GraphStore,
                                                       tmp_path: Path) -> None:
    folder = tmp_path / "data"
    generate_dataset(600, 3, folder)
    ingest_directory(store, folder, batch_size=2_000)
    customers = sorted(store.existing_ids("customers"))
    rng = np.random.default_rng(8)
    chosen = sorted(rng.choice(customers, size=40, replace=False).tolist())
    region = store.region_snapshot(chosen)
    assert len(region.transactions) > 0 and len(region.identifiers) > 0
    _assert_same_region(store, chosen)

"""Every store serves many threads at once, as under a multi-threaded web server.

Eight threads start together on one open store. Each loads its own customers in checkpointed
batches, reads nodes, neighbourhoods and score histories between batches, and writes a
scoring run of its own. Afterwards nothing may have raised, every write must be there exactly
once, and every read must have seen what a single thread sees.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pandas as pd
import pytest

from graphrisk.domain import NodeLabel
from graphrisk.graph import NodeRef
from graphrisk.ingestion.loader import ingest_directory
from graphrisk.store.base import BatchCheckpoint, GraphStore
from tests.stores import STORE_PARAMS, open_test_store

THREADS = 8
BATCHES = 3
PER_BATCH = 5
LOAD_ID = "threads"
CENTRE = NodeRef(NodeLabel.CUSTOMER, "C2")


@pytest.fixture(params=STORE_PARAMS)
def loaded(request: pytest.FixtureRequest, tmp_path: Path,
           tiny_dir: Path) -> Iterator[GraphStore]:
    store = open_test_store(request.param, tmp_path)
    ingest_directory(store, tiny_dir)
    yield store
    store.close()


def _customers(thread: int, batch: int) -> pd.DataFrame:
    ids = [f"T{thread}-{batch}-{k}" for k in range(PER_BATCH)]
    return pd.DataFrame({
        "customer_id": ids, "name": [f"Thread {thread} customer {i}" for i in ids],
        "segment": "retail", "country": "DE", "kyc_status": "verified",
        "onboarding_date": "2024-05-01", "credit_score": 600 + thread,
    })


def _scores(thread: int) -> pd.DataFrame:
    customers = ["C1", "C2", "C3"]
    return pd.DataFrame({"customer_id": customers, "score": [float(thread + i) for i in
                                                             range(len(customers))],
                         "tier": "low", "reasons": [[f"run of thread {thread}"]] * 3})


def _run_together(work: Callable[[int], None]) -> list[BaseException]:
    """Run ``work(i)`` in :data:`THREADS` threads released at the same moment."""
    start = threading.Barrier(THREADS)
    errors: list[BaseException] = []
    lock = threading.Lock()

    def body(index: int) -> None:
        try:
            start.wait(timeout=60)
            work(index)
        except BaseException as exc:  # collected and reported by the test
            with lock:
                errors.append(exc)

    threads = [threading.Thread(target=body, args=(i,), name=f"worker-{i}")
               for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not any(thread.is_alive() for thread in threads), "a worker thread hung"
    return errors


def test_many_threads_read_and_write_at_once(loaded: GraphStore) -> None:
    store = loaded
    before = store.counts()
    expected_node = store.get_node(CENTRE)
    expected_sub = store.neighbourhood(CENTRE, hops=2)
    store.begin_load(LOAD_ID, {"threads": "test"})

    def work(thread: int) -> None:
        for batch in range(BATCHES):
            written = store.upsert("customers", _customers(thread, batch),
                                   checkpoint=BatchCheckpoint(LOAD_ID, f"thread-{thread}", batch))
            assert written == PER_BATCH
            assert store.get_node(CENTRE) == expected_node
            assert store.neighbourhood(CENTRE, hops=2) == expected_sub
            store.score_history("C2")  # other threads' runs come and go: it must not fail
            mine = store.get_node(NodeRef(NodeLabel.CUSTOMER, f"T{thread}-{batch}-0"))
            assert mine.properties["credit_score"] == 600 + thread
        store.write_scores(f"run-{thread}", "threads", {"thread": thread}, _scores(thread))
        assert f"run-{thread}" in set(store.score_history("C3")["run_id"])

    errors = _run_together(work)
    assert errors == [], errors

    store.finish_load(LOAD_ID, {"threads": THREADS})
    new = {f"T{t}-{b}-{k}" for t in range(THREADS) for b in range(BATCHES)
           for k in range(PER_BATCH)}
    after = store.counts()
    assert after["customers"] == before["customers"] + len(new)
    assert {k: v for k, v in after.items() if k != "customers"} == {
        k: v for k, v in before.items() if k != "customers"}
    assert new <= store.existing_ids("customers")
    assert store.completed_batches(LOAD_ID) == {
        (f"thread-{t}", b) for t in range(THREADS) for b in range(BATCHES)}
    for customer in ("C1", "C2", "C3"):
        history = store.score_history(customer)
        assert sorted(history["run_id"]) == sorted(f"run-{t}" for t in range(THREADS))
    history = store.score_history("C2").set_index("run_id")
    assert {run: history.loc[run, "score"] for run in history.index} == {
        f"run-{t}": float(t + 1) for t in range(THREADS)}
    assert store.loads().set_index("load_id").loc[LOAD_ID, "status"] == "completed"
    assert store.consistency_problems() == []


def test_threads_that_come_and_go_leave_the_store_usable(loaded: GraphStore) -> None:
    """A server replaces its worker threads; the store keeps serving the new ones."""
    seen: list[int] = []

    def read(thread: int) -> None:
        seen.append(loaded.counts()["customers"])

    for _round in range(3):
        assert _run_together(read) == []
    assert seen == [6] * 3 * THREADS
    assert loaded.counts()["customers"] == 6

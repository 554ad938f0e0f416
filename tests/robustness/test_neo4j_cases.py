"""Issue 11's Neo4j cases: a killed scoring run's projection, the default password, a server
lost mid-load, and the local server's data folder.

The server-loss case puts a small TCP relay between the store and the test Neo4j and cuts it
part-way through a load — what the client sees when the server dies — without stopping the
server the other tests share.
"""

from __future__ import annotations

import logging
import os
import socket
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from neo4j import Driver, GraphDatabase

from graphrisk.analytics.network import NetworkSettings
from graphrisk.config import Settings
from graphrisk.errors import StoreUnavailableError
from graphrisk.ingestion.generator import generate_dataset
from graphrisk.ingestion.loader import ingest_directory
from graphrisk.store import gds, neo4j
from graphrisk.store.gds import GdsNetworkEngine, projection_name, stale_projections
from graphrisk.store.neo4j import DEFAULT_PASSWORD, Neo4jGraphStore, default_password_warning
from tests.stores import open_test_store

ROOT = Path(__file__).resolve().parents[2]


def _dead_pid() -> int:
    """The id of a process of this host that has exited (as a killed run's has)."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


@pytest.fixture
def driver(tmp_path: Path) -> Iterator[Driver]:
    """A raw driver to the test Neo4j, to look at the GDS catalogue below the store."""
    open_test_store("neo4j", tmp_path / "probe").close()  # skips (or fails) without one
    settings = Settings()
    with GraphDatabase.driver(settings.neo4j_uri,
                              auth=(settings.neo4j_user, settings.neo4j_password)) as drv:
        yield drv


def _projections(driver: Driver) -> list[str]:
    records = driver.execute_query("CALL gds.graph.list() YIELD graphName RETURN graphName")
    return sorted(r["graphName"] for r in records.records)


# -- 10: a killed scoring run leaves its GDS projection -----------------------------------

def test_stale_projections_are_those_whose_owner_is_gone() -> None:
    dead = projection_name("customer_graph", pid=_dead_pid())
    mine = projection_name("money_graph")
    day = gds.STALE_AFTER_SECONDS
    graphs = {dead: 5.0, mine: 60.0, "someone_elses": 10 * day,
              # another host's: kept while young, dropped when older than any run
              "graphrisk_ring_graph_h00000000_p1_" + "0" * 32: 60.0,
              "graphrisk_money_graph_h00000000_p1_" + "1" * 32: day + 1,
              # named before owners were recorded
              "graphrisk_customer_graph_" + "2" * 32: day + 1}
    assert stale_projections(graphs) == sorted([
        dead, "graphrisk_money_graph_h00000000_p1_" + "1" * 32,
        "graphrisk_customer_graph_" + "2" * 32])


@pytest.mark.neo4j
def test_a_killed_runs_projection_is_dropped_by_the_next_run(
        tiny_dir: Path, tmp_path: Path, driver: Driver) -> None:
    store = open_test_store("neo4j", tmp_path)
    assert isinstance(store, Neo4jGraphStore)
    stale = projection_name("money_graph", pid=_dead_pid())
    alive = projection_name("ring_graph")  # this process runs: another scoring's, in flight
    try:
        ingest_directory(store, tiny_dir)
        for graph in (stale, alive):  # what a run killed after projecting leaves behind
            store.read_rows("gds/project_customer_graph", {
                "graph_name": graph, "weights": {"device": 1.0}, "max_degree": 20,
                "all_customers": True})
        assert {stale, alive} <= set(_projections(driver))
        result = GdsNetworkEngine(store).analyse({"C2": 1.0}, NetworkSettings())
        assert result.engine == "gds"
        left = _projections(driver)
        assert stale not in left
        # the run's own projections are dropped too; a running owner's is left alone
        assert [g for g in left if g.startswith(gds.PROJECTION_PREFIX)] == [alive]
    finally:
        store.read_rows("gds/drop_graph", {"graph_name": alive, "database": ""})
        store.read_rows("gds/drop_graph", {"graph_name": stale, "database": ""})
        store.close()


# -- 11: the default password ----------------------------------------------------------

@pytest.mark.parametrize("uri", ["bolt://127.0.0.1:7687", "neo4j://localhost:7687",
                                 "bolt://[::1]:7687", "bolt://LOCALHOST"])
def test_no_warning_for_the_local_server(uri: str) -> None:
    assert default_password_warning(uri, DEFAULT_PASSWORD) is None


@pytest.mark.parametrize("uri", ["bolt://neo4j.bank.internal:7687", "neo4j+s://10.1.2.3",
                                 "bolt://127.0.0.2:7687", "not a uri"])
def test_default_password_on_another_server_is_warned_about(uri: str) -> None:
    warning = default_password_warning(uri, DEFAULT_PASSWORD)
    assert warning is not None and "GRAPHRISK_NEO4J_PASSWORD" in warning and uri in warning
    assert default_password_warning(uri, "a-password-of-its-own") is None


def test_opening_a_remote_store_with_the_default_password_logs_the_warning(
        monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    from neo4j.exceptions import ServiceUnavailable

    class Unreachable:
        def verify_connectivity(self) -> None:
            raise ServiceUnavailable("no route")

        def close(self) -> None:
            pass

    monkeypatch.setattr(neo4j.GraphDatabase, "driver", lambda *a, **k: Unreachable())
    with caplog.at_level(logging.WARNING, logger="graphrisk"), pytest.raises(
            StoreUnavailableError):
        Neo4jGraphStore.from_settings(Settings(neo4j_uri="bolt://neo4j.bank.internal:7687"))
    warned = [r.getMessage() for r in caplog.records if r.name == neo4j.__name__]
    assert len(warned) == 1 and "export GRAPHRISK_NEO4J_PASSWORD" in warned[0]


# -- 12: the server lost mid-load -------------------------------------------------------

class _Relay:
    """Forwards a local port to the test Neo4j until :meth:`cut`, which drops every
    connection and stops listening, as a server that died would."""

    def __init__(self, target: tuple[str, int]) -> None:
        self._target = target
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self.sent = 0  # bytes from the client
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._cut = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            server = socket.create_connection(self._target)
            with self._lock:
                if self._cut:
                    client.close()
                    server.close()
                    return
                self._sockets += [client, server]
            for a, b, count in ((client, server, True), (server, client, False)):
                threading.Thread(target=self._pipe, args=(a, b, count), daemon=True).start()

    def _pipe(self, source: socket.socket, sink: socket.socket, count: bool) -> None:
        try:
            while data := source.recv(65536):
                if count:
                    self.sent += len(data)
                sink.sendall(data)
        except OSError:
            pass

    def cut(self) -> None:
        with self._lock:
            self._cut = True
            self._listener.close()
            for sock in self._sockets:
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                sock.close()


@pytest.mark.neo4j
def test_server_lost_mid_load_is_reported_within_seconds_with_what_to_do(
        tmp_path: Path, caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
        ) -> None:
    data = tmp_path / "data"
    generate_dataset(500, 7, data)
    open_test_store("neo4j", tmp_path).close()  # empties it; fails if no server is required
    settings = Settings()
    host, port = settings.neo4j_uri.split("://")[1].rsplit(":", 1)
    relay = _Relay((host, int(port)))
    store = Neo4jGraphStore.from_settings(
        Settings(neo4j_uri=f"bolt://127.0.0.1:{relay.port}"))
    started = relay.sent

    def cut_part_way() -> None:
        while relay.sent - started < 400_000:  # a few batches of the load are written
            time.sleep(0.01)
        relay.cut()
        cut_at.append(time.monotonic())

    cut_at: list[float] = []
    threading.Thread(target=cut_part_way, daemon=True).start()
    capfd.readouterr()
    try:
        with pytest.raises(StoreUnavailableError) as lost:
            ingest_directory(store, data, batch_size=500)
        failed_at = time.monotonic()
    finally:
        store.close()
    assert cut_at, "the load finished before the relay was cut"
    assert failed_at - cut_at[0] < 15, f"took {failed_at - cut_at[0]:.0f} s to report"
    message = str(lost.value)
    assert "during a load" in message
    assert "re-run the same `graphrisk ingest`" in message and "resumes" in message
    assert "start the local server" not in message
    # no raw driver lines (retries, defunct connections) on the console or in the log
    assert [r for r in caplog.records
            if r.name.startswith("neo4j") and r.levelno >= logging.WARNING] == []
    assert "neo4j" not in capfd.readouterr().err.lower()
    # and the advice works: the same ingest, against the server again, resumes and completes
    with Neo4jGraphStore.from_settings(settings) as again:
        report = ingest_directory(again, data, batch_size=500)
        assert report.resumed  # the batches written before the loss were skipped
        counts = again.counts()
    with open_test_store("embedded", tmp_path / "embedded") as reference:
        ingest_directory(reference, data, batch_size=500)
        assert {k: v for k, v in counts.items() if k != "identifier_nodes"} == {
            k: v for k, v in reference.counts().items() if k != "identifier_nodes"}


def test_an_unreachable_server_fails_in_seconds() -> None:
    started = time.monotonic()
    with pytest.raises(StoreUnavailableError, match="cannot reach Neo4j at bolt://127.0.0.1:1"):
        Neo4jGraphStore.from_settings(Settings(neo4j_uri="bolt://127.0.0.1:1"))
    assert time.monotonic() - started < 10


class _FlakyDriver:
    """A driver whose writes fail with ``errors`` first, then succeed."""

    def __init__(self, errors: list[Exception]) -> None:
        self.errors, self.attempts = errors, 0

    def execute_query(self, *args: object, **kwargs: object) -> None:  # the schema
        return None

    def session(self, **kwargs: object) -> _FlakyDriver:
        return self

    def __enter__(self) -> _FlakyDriver:
        return self

    def __exit__(self, *exc: object) -> None:
        pass

    def execute_write(self, work: object) -> None:
        self.attempts += 1
        if self.errors:
            raise self.errors.pop(0)


def test_driver_timeouts_are_bounded_and_deadlocks_still_retried(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from neo4j.exceptions import Neo4jError, ServiceUnavailable

    assert neo4j.DRIVER_CONFIG["max_transaction_retry_time"] <= 5
    assert neo4j.DRIVER_CONFIG["connection_timeout"] <= 10
    assert neo4j.DRIVER_CONFIG["connection_acquisition_timeout"] <= 15
    monkeypatch.setattr(neo4j.time, "sleep", lambda seconds: None)
    # deadlocks outlast the driver's short budget: the store goes on retrying them
    deadlock = [Neo4jError._hydrate_neo4j(
        code="Neo.TransientError.Transaction.DeadlockDetected", message="deadlock")
        for _ in range(3)]
    flaky = _FlakyDriver(list(deadlock))
    Neo4jGraphStore(flaky, uri="bolt://test")._write("probe", lambda tx: None)  # type: ignore[arg-type]
    assert flaky.attempts == 4
    # a lost server is not retried again on top of the driver's own few seconds
    lost = _FlakyDriver([ServiceUnavailable("gone"), ServiceUnavailable("gone")])
    with pytest.raises(StoreUnavailableError, match="lost Neo4j at bolt://test"):
        Neo4jGraphStore(lost, uri="bolt://test")._write("probe", lambda tx: None)  # type: ignore[arg-type]
    assert lost.attempts == 1


# -- 7 (Neo4j part): the local server's data is owner-only --------------------------------

def test_local_server_data_folder_is_owner_only(tmp_path: Path) -> None:
    # `start` makes its folders before anything else; a busy port then stops it, so no
    # second server is started here.
    # A data folder an earlier version made world-readable is made owner-only too.
    (tmp_path / "home" / "neo4j" / "data").mkdir(parents=True)
    (tmp_path / "home" / "neo4j" / "data").chmod(0o755)
    busy = socket.create_server(("127.0.0.1", 0))
    env = {**os.environ, "GRAPHRISK_HOME": str(tmp_path / "home"),
           "GRAPHRISK_NEO4J_PORT": str(busy.getsockname()[1])}
    with busy:
        done = subprocess.run(["bash", str(ROOT / "neo4j-local" / "neo4j-local.sh"), "start"],
                              env=env, capture_output=True, text=True, timeout=60)
    if "not found" in done.stderr or "needs Java" in done.stderr:
        pytest.skip(f"no Java/Maven for the local server: {done.stderr.strip()}")
    assert done.returncode == 1 and "already in use" in done.stderr
    for folder in ("neo4j", "neo4j/data", "neo4j/logs"):
        mode = stat.S_IMODE((tmp_path / "home" / folder).stat().st_mode)
        assert mode == 0o700, f"{folder}: {oct(mode)}"

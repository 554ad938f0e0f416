"""Readiness follows the store: Neo4j reached through a TCP relay the test cuts and restores
(the server itself is shared with the other tests, so the relay stands in for a network
failure between the API and the database)."""

from __future__ import annotations

import socket
import threading
from pathlib import Path
from urllib.parse import urlparse

import pytest
from fastapi.testclient import TestClient

from graphrisk.api import create_app
from graphrisk.config import Settings, StoreKind
from graphrisk.service import RiskService
from tests.stores import open_test_store

pytestmark = pytest.mark.neo4j


class Relay:
    """Forwards a local port to the Neo4j server until cut; cutting drops every connection
    and refuses new ones."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.open_sockets: list[socket.socket] = []
        self.pipes: list[threading.Thread] = []
        self.cut = threading.Event()
        self.acceptor = threading.Thread(target=self._accept, daemon=True)
        self.acceptor.start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if self.cut.is_set():
                client.close()
                continue
            server = socket.create_connection(self.target)
            self.open_sockets += [client, server]
            for a, b in ((client, server), (server, client)):
                pipe = threading.Thread(target=self._pipe, args=(a, b), daemon=True)
                self.pipes.append(pipe)
                pipe.start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        for end in (source, sink):
            try:
                end.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        source.close()  # each socket is the source of exactly one pipe

    def sever(self) -> None:
        self.cut.set()
        for sock in self.open_sockets:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self.open_sockets.clear()

    def restore(self) -> None:
        self.cut.clear()

    def close(self) -> None:
        self.sever()
        self.listener.close()
        self.acceptor.join(5)
        for pipe in self.pipes:
            pipe.join(5)


def test_ready_fails_while_neo4j_cannot_be_reached_and_recovers(tmp_path: Path) -> None:
    open_test_store(StoreKind.NEO4J, tmp_path / "probe").close()  # skips without a server
    real = urlparse(Settings().neo4j_uri)
    relay = Relay((real.hostname or "127.0.0.1", real.port or 7687))
    settings = Settings(home=tmp_path, store=StoreKind.NEO4J,
                        neo4j_uri=f"bolt://127.0.0.1:{relay.port}")
    try:
        with RiskService.open(settings) as service, \
                TestClient(create_app(settings, service=service)) as client:
            assert client.get("/api/ready").json() == {"status": "ready", "store": "neo4j"}
            relay.sever()
            down = client.get("/api/ready")
            assert down.status_code == 503
            assert down.headers["content-type"] == "application/problem+json"
            assert "neo4j" in down.json()["detail"].lower()
            assert client.get("/api/health").status_code == 200  # the process still lives
            relay.restore()
            assert client.get("/api/ready").status_code == 200
    finally:
        relay.close()

"""``graphrisk serve`` in a child process on a free port, for the tests that call it over HTTP.

Why a module: the browser tests and the CLI test each started the server, polled
``/api/ready`` and stopped it with the same twenty lines; a change to how the server starts
(an option, a readiness path) now has one place to go.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx2 as httpx

#: How long ``graphrisk serve`` may take to answer ``/api/ready``.
READY_SECONDS = 60


def free_port() -> int:
    """A TCP port on 127.0.0.1 nobody listens on (at the moment of asking)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class RunningServer:
    """A started server: its base URL, and after it stopped, everything it printed."""

    base: str
    port: int
    output: str = ""


@contextmanager
def graphrisk_server(home: Path, **env: str) -> Iterator[RunningServer]:
    """``graphrisk serve`` over ``home`` (extra environment in ``env``), ready when yielded,
    stopped on exit; a server that dies or never gets ready fails with what it printed."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "graphrisk", "serve", "--port", str(port)],
        env={**os.environ, "GRAPHRISK_HOME": str(home), **env},
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    running = RunningServer(f"http://127.0.0.1:{port}", port)
    try:
        deadline = time.monotonic() + READY_SECONDS
        while True:
            try:
                if httpx.get(f"{running.base}/api/ready", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert process.poll() is None, process.stdout.read() if process.stdout else ""
            assert time.monotonic() < deadline, "the server did not become ready"
            time.sleep(0.3)
        yield running
    finally:
        process.terminate()
        try:
            running.output = process.communicate(timeout=20)[0]
        except subprocess.TimeoutExpired:
            process.kill()
            running.output = process.communicate()[0]

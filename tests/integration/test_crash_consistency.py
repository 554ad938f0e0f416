"""A load killed with SIGKILL half-way leaves a consistent store; re-running completes it.
The same on both stores."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from graphrisk.config import StoreKind
from graphrisk.ingestion.generator import generate_dataset
from graphrisk.ingestion.loader import ingest_directory
from graphrisk.store.embedded import EmbeddedGraphStore
from tests.stores import STORE_PARAMS, open_test_store

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("kind", STORE_PARAMS)
def test_kill_9_mid_load_then_rerun(kind: StoreKind, tmp_path: Path) -> None:
    data = tmp_path / "data"
    generate_dataset(3000, 11, data)
    home = tmp_path / "home"
    home.mkdir()
    # The store a command run with GRAPHRISK_HOME=home opens, emptied.
    watcher = open_test_store(kind, home)
    env = {**os.environ, "GRAPHRISK_HOME": str(home), "GRAPHRISK_BATCH_SIZE": "100",
           "GRAPHRISK_STORE": kind.value}
    command = [sys.executable, "-m", "graphrisk", "ingest", str(data)]
    try:
        with subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL) as process:
            deadline = time.monotonic() + 180
            while watcher.counts()["transactions"] < 500:
                assert process.poll() is None, "the load finished before it could be killed"
                assert time.monotonic() < deadline, "the load never reached the transactions"
                time.sleep(0.05)
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=30)
        assert process.returncode == -signal.SIGKILL

        assert watcher.consistency_problems() == []
        assert watcher.loads()["status"].tolist() == ["running"]
        partial = watcher.counts()

        status = subprocess.run([sys.executable, "-m", "graphrisk", "status"], env=env,
                                capture_output=True, text=True, timeout=120)
        assert "did not finish" in status.stdout

        rerun = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
        assert rerun.returncode == 0, rerun.stderr
        assert "Resumed an earlier run of this load" in rerun.stdout

        with EmbeddedGraphStore(tmp_path / "reference.db") as reference:
            ingest_directory(reference, data)
            expected = reference.counts()
        assert watcher.counts() == expected
        assert partial["transactions"] < expected["transactions"]
        assert watcher.consistency_problems() == []
        assert watcher.loads()["status"].tolist() == ["completed"]
    finally:
        watcher.close()

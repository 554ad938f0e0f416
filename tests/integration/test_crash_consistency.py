"""A load killed with SIGKILL half-way leaves a consistent store; re-running completes it."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from contextlib import closing
from pathlib import Path

import pytest

from graphrisk.store.embedded import EmbeddedGraphStore
from ingestion.generator import generate_dataset
from ingestion.loader import ingest_directory

pytestmark = pytest.mark.slow


def _committed_transaction_batches(db: Path) -> int:
    try:
        with closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1)) as conn:
            return conn.execute(
                "SELECT COUNT(*) FROM load_batches WHERE source = 'transactions.csv'"
            ).fetchone()[0]
    except sqlite3.Error:
        return 0  # not created yet


def test_kill_9_mid_load_then_rerun(tmp_path: Path) -> None:
    data = tmp_path / "data"
    generate_dataset(3000, 11, data)
    home = tmp_path / "home"
    env = {**os.environ, "GRAPHRISK_HOME": str(home), "GRAPHRISK_BATCH_SIZE": "100"}
    command = [sys.executable, "-m", "graphrisk", "ingest", str(data)]
    db = home / "graphrisk.db"

    with subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL,
                          stderr=subprocess.DEVNULL) as process:
        deadline = time.monotonic() + 120
        while _committed_transaction_batches(db) < 5:
            assert process.poll() is None, "the load finished before it could be killed"
            assert time.monotonic() < deadline, "the load never reached the transactions"
            time.sleep(0.01)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL

    with EmbeddedGraphStore(db) as store:
        assert store.consistency_problems() == []
        assert store.loads()["status"].tolist() == ["running"]
        partial = store.counts()

    status = subprocess.run([sys.executable, "-m", "graphrisk", "status"], env=env,
                            capture_output=True, text=True, timeout=120)
    assert "did not finish" in status.stdout

    rerun = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr
    assert "Resumed an earlier run of this load" in rerun.stdout

    with EmbeddedGraphStore(tmp_path / "reference.db") as reference:
        ingest_directory(reference, data)
        expected = reference.counts()
    with EmbeddedGraphStore(db) as store:
        assert store.counts() == expected
        assert partial["transactions"] < expected["transactions"]
        assert store.consistency_problems() == []
        assert store.loads()["status"].tolist() == ["completed"]

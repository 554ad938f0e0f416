"""Small helpers several test files share: run the CLI, edit a fixture, load a folder."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from graphrisk.graph import GraphSnapshot
from graphrisk.ingestion.loader import IngestReport, ingest_directory
from graphrisk.store.base import GraphStore


def run_graphrisk(home: Path, *args: str, columns: int = 200,
                  timeout: float = 600) -> subprocess.CompletedProcess[str]:
    """``graphrisk ARGS`` in a child process with its own ``GRAPHRISK_HOME``."""
    env = {**os.environ, "GRAPHRISK_HOME": str(home), "COLUMNS": str(columns)}
    return subprocess.run([sys.executable, "-m", "graphrisk", *args], env=env,
                          capture_output=True, text=True, timeout=timeout, check=False)


def rewrite(path: Path, old: str, new: str) -> None:
    """Replace the first ``old`` in a fixture file; fails if the fixture lacks it."""
    text = path.read_text()
    assert old in text, f"fixture lacks {old!r}"
    path.write_text(text.replace(old, new, 1))


def load_folder(store: GraphStore, folder: Path, tmp_path: Path) -> IngestReport:
    """Load ``folder`` into ``store`` with its reports under ``tmp_path/reports``."""
    return ingest_directory(store, folder, reports_dir=tmp_path / "reports")


def problem_lines(report: IngestReport) -> list[str]:
    """Every problem of a load as the one-line text people read."""
    return [p.line() for p in report.problems]


class SnapshotStore:
    """A store that only answers ``snapshot()``: all ``train_on_store`` asks of one, for
    model tests that hold a generated bank's snapshot already."""

    kind = "embedded"

    def __init__(self, snapshot: GraphSnapshot) -> None:
        self._snapshot = snapshot

    def snapshot(self) -> GraphSnapshot:
        return self._snapshot

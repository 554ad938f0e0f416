"""Issue 11, the command-line side: exports checked before the work, the sample minimum,
a warning when scoring during an unfinished load, private store files, purging reports."""

from __future__ import annotations

import os
import stat
import time
from pathlib import Path

import pytest

from graphrisk.ingestion.generator import MIN_CUSTOMERS, generate_dataset
from graphrisk.service import MIN_SAMPLE_CUSTOMERS, list_load_reports, purge_load_reports
from graphrisk.store.embedded import EmbeddedGraphStore
from tests.helpers import run_graphrisk

pytestmark = pytest.mark.slow



@pytest.fixture(scope="module")
def loaded_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("outputs")
    generate_dataset(MIN_CUSTOMERS, 7, root / "data")
    done = run_graphrisk(root / "home", "ingest", str(root / "data"))
    assert done.returncode == 0, done.stderr
    return root / "home"


def _runs(home: Path) -> int:
    with EmbeddedGraphStore(home / "graphrisk.db") as store:
        return len(store.score_history("C0000000"))


@pytest.mark.parametrize("case", ["folder", "under a file", "exists"])
def test_a_bad_export_path_stops_before_scoring(loaded_home: Path, tmp_path: Path,
                                                case: str) -> None:
    target = {"folder": tmp_path, "under a file": tmp_path / "file.csv" / "scores.csv",
              "exists": tmp_path / "scores.csv"}[case]
    (tmp_path / "file.csv").write_text("someone's earlier export\n")
    (tmp_path / "scores.csv").write_text("someone's earlier export\n")
    before = _runs(loaded_home)
    started = time.perf_counter()
    done = run_graphrisk(loaded_home, "score", "--export", str(target))
    assert done.returncode == 2, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    line, = [text for text in done.stderr.splitlines() if text.strip()]
    assert line.startswith("error:") and str(target) in line
    assert _runs(loaded_home) == before  # nothing scored or stored
    assert time.perf_counter() - started < 30
    assert (tmp_path / "scores.csv").read_text() == "someone's earlier export\n"


def test_overwrite_replaces_an_existing_export(loaded_home: Path, tmp_path: Path) -> None:
    target = tmp_path / "clusters.csv"
    target.write_text("old\n")
    done = run_graphrisk(loaded_home, "clusters", "--export", str(target), "--overwrite")
    assert done.returncode == 0, done.stderr
    lines = target.read_text().splitlines()
    assert lines[0] != "old" and "members" in lines[0].split(",") and len(lines) > 1


def test_scoring_during_an_unfinished_load_warns(loaded_home: Path) -> None:
    with EmbeddedGraphStore(loaded_home / "graphrisk.db") as store:
        store.begin_load("half-done-load", {"customers": "customers.csv"})
    done = run_graphrisk(loaded_home, "score", "--no-write", "--top", "1")
    assert done.returncode == 0, done.stderr
    assert "half-done-load has not finished" in " ".join(done.stdout.split())


def test_a_sample_too_small_for_the_generator_is_refused_cleanly(tmp_path: Path) -> None:
    assert MIN_SAMPLE_CUSTOMERS == MIN_CUSTOMERS
    done = run_graphrisk(tmp_path, "generate", "--customers", "150", "--out", str(tmp_path / "d"))
    assert done.returncode == 2
    assert "Traceback" not in done.stderr and str(MIN_CUSTOMERS) in done.stderr
    assert not (tmp_path / "d").exists()


def test_the_embedded_store_is_private_by_default(tmp_path: Path) -> None:
    home = tmp_path / "new-home"
    with EmbeddedGraphStore(home / "graphrisk.db") as store:
        store.begin_load("L1", {"customers": "customers.csv"})  # a write: the WAL exists
        files = [home / "graphrisk.db", home / "graphrisk.db-wal"]
        assert all(path.exists() for path in files)
        modes = {path.name: stat.S_IMODE(path.stat().st_mode) for path in files}
    assert stat.S_IMODE(home.stat().st_mode) == 0o700
    assert modes == {"graphrisk.db": 0o600, "graphrisk.db-wal": 0o600}


def test_purging_removes_only_old_load_reports(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    from graphrisk.config import Settings

    settings = Settings(home=tmp_path)
    old, new = settings.reports_dir / "20250101T000000Z-aaaa", settings.reports_dir / "new"
    for folder in (old, new):
        folder.mkdir(parents=True)
        (folder / "rejected_customers.csv").write_text("customer_id,name\nC1,Ann\n")
    month_ago = time.time() - 40 * 86_400
    os.utime(old, (month_ago, month_ago))
    assert [r.path for r in list_load_reports(settings)] == [old, new]
    assert [r.path for r in purge_load_reports(30, settings=settings, dry_run=True)] == [old]
    assert old.exists()
    done = run_graphrisk(tmp_path, "reports", "purge", "--older-than", "30")
    assert done.returncode == 0, done.stderr
    assert not old.exists() and new.exists()
    assert "Deleted 1 report folder" in done.stdout
    with pytest.raises(ValueError):
        purge_load_reports(-1, settings=settings)

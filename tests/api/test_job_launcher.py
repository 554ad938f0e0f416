"""The job launcher's shutdown: the API closes the store right after ``stop_all``, so every
watcher (which reads the store once its job's process ends) must be done by then."""

from __future__ import annotations

from pathlib import Path

from graphrisk.api.jobs import FINAL, JOB_KIND, JobLauncher
from graphrisk.config import Settings, StoreKind
from graphrisk.store.embedded import EmbeddedGraphStore


def test_stop_all_waits_for_the_watchers_before_the_store_closes(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path, store=StoreKind.EMBEDDED)
    with EmbeddedGraphStore(tmp_path / "graphrisk.db") as store:
        launcher = JobLauncher(settings, store)
        # An empty store: the scoring job's process ends quickly (it fails: no customers).
        job_id = launcher.start("score", {}, requested_by="test")["job_id"]
        launcher.stop_all(timeout=60)
        assert not any(w.is_alive() for w in launcher._watchers)
        record = store.get_record(JOB_KIND, job_id)
        assert record is not None and record.status in FINAL

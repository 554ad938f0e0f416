"""Long work started from the API (scoring, re-assessment, training, screening the bank
against the loaded lists, resolving same-person records) as background jobs.

Why a separate process per job: scoring and training are CPU-bound Python; in the API's own
process they would hold the interpreter lock and every request would wait behind them. A job
runs as ``python -m graphrisk.api.jobs JOB_ID`` at a lower priority, opens its own service on
the same store (every store takes a second process: SQLite in WAL mode, Neo4j over Bolt),
and writes its status and progress into a ``job`` record, which every API worker reads. The
API process only starts the child and, when it ends, marks a job it left unfinished as
failed (a crash or a kill), so no job stays "running" forever.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from graphrisk.config import Settings
from graphrisk.errors import NotFoundError, RecordConflictError
from graphrisk.service import ProgressEvent, RiskService
from graphrisk.store import GraphStore

__all__ = ["JOB_KIND", "JOB_KINDS", "JobLauncher", "list_jobs", "read_job", "run_job"]

_log = logging.getLogger(__name__)

JOB_KIND = "job"
JOB_KINDS = ("score", "reassess", "train", "screen", "resolve")
FINAL = ("succeeded", "failed")
#: Seconds between progress writes (a job reports many small steps).
PROGRESS_EVERY = 1.0


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def read_job(store: GraphStore, job_id: str) -> dict[str, Any]:
    """One job's status; NotFoundError when there is none."""
    record = store.get_record(JOB_KIND, job_id)
    if record is None:
        raise NotFoundError(f"no job {job_id}; GET /api/jobs lists them")
    return dict(record.body)


def list_jobs(store: GraphStore) -> list[dict[str, Any]]:
    """Every job, newest first."""
    return [dict(r.body) for r in reversed(store.records(JOB_KIND))]


class JobLauncher:
    """Starts jobs as child processes of the API and watches them end."""

    def __init__(self, settings: Settings, store: GraphStore) -> None:
        self.settings, self.store = settings, store
        self._children: dict[str, subprocess.Popen[bytes]] = {}
        self._watchers: list[threading.Thread] = []
        self._lock = threading.Lock()

    def start(self, kind: str, params: dict[str, Any], *, requested_by: str) -> dict[str, Any]:
        """Record a queued job and start its process; returns the job's status."""
        if kind not in JOB_KINDS:
            raise ValueError(f"job kind must be one of {', '.join(JOB_KINDS)}, got {kind!r}")
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
        job_id = f"J-{stamp}-{uuid.uuid4().hex[:6]}"
        body = {"job_id": job_id, "kind": kind, "status": "queued", "progress": None,
                "message": "waiting to start", "requested_by": requested_by,
                "created_at": _now(), "started_at": None, "finished_at": None,
                "result": None, "error": None, "params": params}
        self.store.create_record(JOB_KIND, job_id, body, subject=requested_by, status="queued")
        env = {**os.environ, **_settings_env(self.settings)}
        log = self.settings.home / "jobs" / f"{job_id}.log"
        log.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        with open(log, "wb") as out:
            child = subprocess.Popen(  # noqa: S603 - our own module, no shell
                [sys.executable, "-m", "graphrisk.api.jobs", job_id], env=env, stdout=out,
                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        with self._lock:
            self._children[job_id] = child
        watcher = threading.Thread(target=self._watch, args=(job_id, child, log), daemon=True,
                                   name=f"watch-{job_id}")
        with self._lock:
            self._watchers = [w for w in self._watchers if w.is_alive()] + [watcher]
        watcher.start()
        return body

    def _watch(self, job_id: str, child: subprocess.Popen[bytes], log: Any) -> None:
        code = child.wait()
        with self._lock:
            self._children.pop(job_id, None)
        record = self.store.get_record(JOB_KIND, job_id)
        if record is None or record.status in FINAL:
            return
        tail = ""
        try:
            tail = log.read_text(errors="replace")[-500:]
        except OSError:
            pass
        body = {**record.body, "status": "failed", "finished_at": _now(),
                "error": f"the job's process ended (exit code {code}) before it finished"
                         + (f": {tail.strip().splitlines()[-1]}" if tail.strip() else "")}
        try:
            self.store.update_record(JOB_KIND, job_id, body, expected_version=record.version,
                                     status="failed")
        except RecordConflictError:
            pass  # it finished itself a moment ago

    def stop_all(self, timeout: float = 5.0) -> None:
        """End running jobs' processes (the API is shutting down), and wait for their
        watchers: a watcher reads the store once its process has ended, so the store must
        stay open until it has (else it reads through a closed connection)."""
        with self._lock:
            children = list(self._children.values())
            watchers = list(self._watchers)
        for child in children:
            child.terminate()
        for child in children:
            try:
                child.wait(timeout)
            except subprocess.TimeoutExpired:
                child.kill()
        for watcher in watchers:
            watcher.join(timeout)


def _settings_env(settings: Settings) -> dict[str, str]:
    """The settings as ``GRAPHRISK_*`` variables, so the child opens the same store."""
    env = {}
    for name, value in settings.model_dump().items():
        if value is not None:
            env[f"GRAPHRISK_{name.upper()}"] = str(getattr(value, "value", value))
    return env


class _Reporter:
    """Writes a job's progress into its record, at most once a second."""

    def __init__(self, store: GraphStore, job_id: str) -> None:
        self.store, self.job_id = store, job_id
        self._last = 0.0

    def update(self, status: str, **changes: Any) -> None:
        for _ in range(5):
            record = self.store.get_record(JOB_KIND, self.job_id)
            if record is None:
                raise NotFoundError(f"no job {self.job_id}")
            try:
                self.store.update_record(JOB_KIND, self.job_id,
                                         {**record.body, "status": status, **changes},
                                         expected_version=record.version, status=status)
                return
            except RecordConflictError:
                continue

    def progress(self, event: ProgressEvent) -> None:
        now = time.monotonic()
        if now - self._last < PROGRESS_EVERY:
            return
        self._last = now
        self.update("running", message=f"{event.task}: {event.message}",
                    progress=event.fraction)


def run_job(service: RiskService, job_id: str) -> dict[str, Any]:
    """Run one recorded job to its end in this process (the child's entry point)."""
    store = service.store
    job = read_job(store, job_id)
    reporter = _Reporter(store, job_id)
    reporter.update("running", started_at=_now(), message="starting")
    params = dict(job.get("params") or {})
    actor = str(job["requested_by"])
    try:
        result = _run(service, str(job["kind"]), params, actor, reporter.progress)
    except Exception as error:  # noqa: BLE001 - any failure is the job's outcome, kept
        reporter.update("failed", finished_at=_now(), error=str(error) or type(error).__name__,
                        message="failed")
        raise
    reporter.update("succeeded", finished_at=_now(), progress=1.0, message="done",
                    result=result)
    store.append_audit(actor, f"job.{job['kind']}", f"job:{job_id}", {"result": result})
    return result


def _run(service: RiskService, kind: str, params: dict[str, Any], actor: str,
         progress: Any) -> dict[str, Any]:
    if kind == "score":
        scored = service.score(write=True, progress=progress)
        tiers = scored.scores["tier"].value_counts().to_dict()
        return {"run_id": scored.run_id, "customers": len(scored.scores),
                "tiers": {str(k): int(v) for k, v in tiers.items()}, "engine": scored.engine,
                "clusters": len(scored.clusters)}
    if kind == "reassess":
        done = service.monitoring.reassess(params.get("period"),
                                           everyone=bool(params.get("everyone")),
                                           actor=actor, progress=progress)
        return {"period": done.period, "run_id": done.run_id, "due": len(done.due),
                "moves": {str(k): int(v) for k, v in done.counts.items()},
                "already_done": done.already_done, "summary": done.summary()}
    if kind == "train":
        run = service.train(model=str(params.get("model", "auto")),
                            epochs=int(params.get("epochs", 200)), progress=progress)
        import json

        metrics = json.loads(json.dumps(run.metrics, default=str))
        return {"model_dir": str(run.path), "metrics": metrics, "best_epoch": run.best_epoch,
                "train_seconds": round(float(run.train_seconds), 1)}
    if kind == "screen":
        screened = service.screening.screen(actor=actor, progress=progress)
        return {"lists": screened.lists, "records": screened.records_screened,
                "hits": len(screened.hits), "new": screened.new, "cleared": screened.cleared,
                "alerts": len(screened.alerts), "summary": screened.summary()}
    if kind == "resolve":
        resolved = service.resolution.resolve(actor=actor, progress=progress)
        return {"records": resolved.records, "pairs": len(resolved.pairs),
                "clusters": len(resolved.clusters), "new": resolved.new,
                "cleared": resolved.cleared, "summary": resolved.summary()}
    raise ValueError(f"unknown job kind {kind!r}")


def main(argv: list[str] | None = None) -> int:
    """``python -m graphrisk.api.jobs JOB_ID``: run a job the API recorded."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m graphrisk.api.jobs JOB_ID", file=sys.stderr)
        return 2
    logging.basicConfig(level=logging.INFO)
    try:
        os.nice(10)  # the API's requests come first
    except OSError:
        pass
    with RiskService.open() as service:
        try:
            run_job(service, args[0])
        except Exception:  # noqa: BLE001 - already recorded on the job
            _log.exception("job %s failed", args[0])
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

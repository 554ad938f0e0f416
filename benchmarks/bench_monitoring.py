"""Continuous monitoring at scale: seconds from a batch of new events to alerts, whether a
steady stream is kept up with, and a full re-assessment against a full scoring run.

Usage::

    # 100 batches of 100 events as fast as possible, then the re-assessment (embedded store)
    python benchmarks/bench_monitoring.py --customers 100000 --batches 100 --reassess
    # 1,000 events a minute in real time for 10 minutes (100 batches, one every 6 s)
    python benchmarks/bench_monitoring.py --sustained --batches 100
    # both stores (Neo4j: a local server is started on a free port and stopped at the end)
    python benchmarks/bench_monitoring.py --store both --customers 10000 --batches 20
    # reuse a prepared home (base loaded and scored once: loading 100,000 customers takes
    # minutes); --store both takes a parent folder holding embedded/ and neo4j/
    python benchmarks/bench_monitoring.py --home /tmp/graphrisk-bench-monitoring/embedded-100000-1

What it does, per store:

1. prepares a ``GRAPHRISK_HOME`` (unless ``--home`` already holds this base, loaded and
   scored: ``bench-monitoring.json`` in it says so): ``generate_dataset(--customers,
   --seed)``, ``RiskService.ingest_folder`` and one full ``RiskService.score()``;
2. writes a fresh stream over the base (``generate_stream``, seed ``--stream-seed``, by
   default the clock) and gives its ids a run tag (``R<tag>S0001T000000``), so every run's
   batches are new to the store even when the home is reused; the batches' days are chosen
   so that the last one is not in the future (future dates are rejected);
3. offers the ``--batches`` batches to ``RiskService.monitoring.ingest_incremental`` either
   as fast as possible (default) or, with ``--sustained``, on a time schedule of ``--rate``
   events a minute (a batch is due every ``60 * events / rate`` seconds; the script sleeps
   until a batch is due; a batch that is due while an earlier one still runs waits, which is
   the backlog). Per batch: seconds from its due time to its alerts being stored and filed
   (latency), seconds processing it (service time), customers touched and re-scored, alerts,
   cases. The service time is split into ``load`` (``ingest_folder``; itself split by
   benchmark-local wrappers into ``counts``, ``refs``, ``validate``, ``write``, ``reports``
   and the rest), ``touched_customers`` (``batch_of``), the monitor's own timed steps
   (``outcome.timings``: region, event_rules, rescore, store_alerts, write_scores, cases) and
   ``other`` (its bookkeeping: batch record, audit). In the fast mode the same schedule is
   replayed on the measured service times (a queue: what 1,000 events a minute would have
   done with these times);
4. with ``--reassess``: one full ``score()`` (written) and one
   ``monitoring.reassess(period, everyone=True)`` on the same store (a period that was never
   re-assessed there, so nothing is skipped as already done), and their ratio; each split
   into ``compute`` (the scoring itself), ``latest_scores``, ``write_scores`` and the rest
   (``--reassess-repeat N`` alternates which of the two runs first).

Targets (the issue): a batch of 100 events to alerts with p95 <= 1 s at 100,000 customers on
the embedded store; 1,000 events a minute for 10 minutes with no growing backlog; the same on
the local Neo4j; the re-assessment of everyone within the full scoring time plus 20 %.

Figures only, nothing is asserted. The development machine has 2 cores shared with other
jobs: quote the medians and p95 and say they are noisy. The first batch of a process also
pays for warming up (the individual model is loaded before timing starts; import and cache
warm-up still land in batch 1), which is why the max is printed beside the p95.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import socket
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from graphrisk.config import Settings, StoreKind
from graphrisk.ingestion.generator import generate_dataset
from graphrisk.ingestion.generator.stream import generate_stream
from graphrisk.monitoring.service import REASSESSMENT_KIND
from graphrisk.service import RiskService

REPO = Path(__file__).resolve().parents[1]
NEO4J_SCRIPT = REPO / "neo4j-local" / "neo4j-local.sh"
MARKER = "bench-monitoring.json"
#: Stream ids as the generator writes them: S<batch:04>T|D|X<seq:06>.
_STREAM_ID = re.compile(r"\bS(\d{4}[TDX]\d{6})\b")


# -- helpers ---------------------------------------------------------------------------------
def say(text: str) -> None:
    print(f"[{datetime.now():%H:%M:%S}] {text}", flush=True)


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values, dtype=float), q)) if values else float("nan")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class StoreRun:
    """Everything measured on one store."""

    kind: str
    home: Path
    customers: int = 0
    prepare: dict[str, float] = field(default_factory=dict)
    batches: pd.DataFrame | None = None
    schedule: dict[str, float] = field(default_factory=dict)
    mode: str = "fast"
    stream: dict[str, object] = field(default_factory=dict)
    reassess: dict[str, float] = field(default_factory=dict)
    alerts_before: int = 0
    error: str | None = None


# -- where the load step's time goes ---------------------------------------------------------
class LoadSplit:
    """Times the loader's own steps inside ``ingest_incremental`` (benchmark-local wrappers
    around ``graphrisk.ingestion.loader`` functions; the code itself is unchanged): reading
    the ids that rows may refer to (``refs``), counting the store's rows (``counts``: a batch
    without customers or accounts files is checked against the store's), reading and
    validating the files (``validate``), writing the rows (``write``) and the quarantine
    report (``reports``)."""

    WRAPPED = {"_seed_references": "refs", "read_entity_file": "validate",
               "validate_table": "validate", "_load_table": "write",
               "_write_reports": "reports"}

    def __init__(self, service: RiskService) -> None:
        import importlib

        self.seconds: dict[str, float] = {}
        # the whole load, and the touched customers monitoring reads before its own steps
        service.ingest_folder = self._timed(service.ingest_folder, "ingest")  # type: ignore[method-assign]
        service.monitoring.batch_of = self._timed(  # type: ignore[method-assign]
            service.monitoring.batch_of, "touched")
        # a batch without customers/accounts files makes the loader count the whole store
        service.store.counts = self._timed(service.store.counts, "counts")  # type: ignore[method-assign]
        self._module = importlib.import_module("graphrisk.ingestion.loader")
        for name, part in self.WRAPPED.items():
            if hasattr(self._module, name):
                setattr(self._module, name, self._timed(getattr(self._module, name), part))

    def _timed(self, function, part: str):  # type: ignore[no-untyped-def]
        def wrapper(*args, **kwargs):  # type: ignore[no-untyped-def]
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                self.seconds[part] = self.seconds.get(part, 0.0) + time.perf_counter() - started
        return wrapper

    def take(self) -> dict[str, float]:
        out, self.seconds = self.seconds, {}
        return out


# -- the local Neo4j -------------------------------------------------------------------------
class LocalNeo4j:
    """``neo4j-local.sh start`` on a port of our own, stopped by :meth:`stop`."""

    def __init__(self, home: Path, port: int) -> None:
        self.home, self.port = home, port
        # a first start on a busy 2-core machine can take more than the script's 90 s
        self.env = {"GRAPHRISK_NEO4J_START_TIMEOUT": "300", **os.environ,
                    "GRAPHRISK_HOME": str(home), "GRAPHRISK_NEO4J_PORT": str(port)}

    def start(self) -> None:
        self.home.mkdir(parents=True, exist_ok=True)
        say(f"starting a local Neo4j on bolt://127.0.0.1:{self.port} (home {self.home})")
        started = time.perf_counter()
        subprocess.run(["bash", str(NEO4J_SCRIPT), "start"], env=self.env, check=True)
        say(f"Neo4j up in {time.perf_counter() - started:.0f} s")

    def stop(self) -> None:
        say("stopping the local Neo4j")
        subprocess.run(["bash", str(NEO4J_SCRIPT), "stop"], env=self.env, check=False)


# -- preparing a home ------------------------------------------------------------------------
def base_data(work: Path, customers: int, seed: int) -> Path:
    data = work / f"data-{customers}-{seed}"
    if not (data / "transactions.csv").exists():
        say(f"generating {customers:,} customers (seed {seed}) into {data}")
        started = time.perf_counter()
        generate_dataset(customers, seed, data)
        say(f"generated in {time.perf_counter() - started:.0f} s")
    return data


def open_service(kind: str, home: Path, port: int | None) -> RiskService:
    extra: dict[str, object] = {}
    if kind == "neo4j":
        extra["neo4j_uri"] = f"bolt://127.0.0.1:{port}"
    settings = Settings(home=home, store=StoreKind(kind), **extra)
    return RiskService.open(settings)


def prepare(service: RiskService, run: StoreRun, data: Path, customers: int,
            seed: int) -> None:
    """Load the base and score it once, unless the home's marker says it was done."""
    marker = run.home / MARKER
    wanted = {"customers": customers, "seed": seed, "store": run.kind}
    if marker.exists():
        known = json.loads(marker.read_text(encoding="utf-8"))
        if {k: known.get(k) for k in wanted} == wanted:
            say(f"{run.kind}: reusing the prepared home {run.home} "
                f"(loaded in {known.get('load_s', 0):.0f} s, scored in "
                f"{known.get('score_s', 0):.0f} s when prepared)")
            run.prepare = {"reused": 1.0, "load_s": known.get("load_s", float("nan")),
                           "score_s": known.get("score_s", float("nan"))}
            return
        raise SystemExit(f"{run.home} was prepared for {known}, not {wanted}: "
                         "use another --home")
    say(f"{run.kind}: loading {data} into {run.home}")
    started = time.perf_counter()
    report = service.ingest_folder(data)
    load_s = time.perf_counter() - started
    say(f"{run.kind}: loaded {report.rows_loaded:,} rows in {load_s:.0f} s "
        f"({len(report.problems)} problems); scoring everyone once")
    started = time.perf_counter()
    service.score()
    score_s = time.perf_counter() - started
    say(f"{run.kind}: full score in {score_s:.0f} s")
    run.prepare = {"reused": 0.0, "load_s": load_s, "score_s": score_s}
    marker.write_text(json.dumps({**wanted, "data": str(data), "load_s": load_s,
                                  "score_s": score_s,
                                  "prepared_at": datetime.now(UTC).isoformat()}, indent=2),
                      encoding="utf-8")


# -- the stream ------------------------------------------------------------------------------
def base_end(data: Path) -> date:
    stamps = pd.read_csv(data / "transactions.csv", usecols=["timestamp"])["timestamp"]
    return pd.to_datetime(stamps).max().date()


def write_stream(data: Path, out: Path, batches: int, events: int, seed: int,
                 tag: str) -> dict[str, object]:
    """A fresh stream whose ids carry ``tag``; ``days_per_batch`` keeps it out of the future."""
    first_day = base_end(data) + timedelta(days=1)
    room = (date.today() - first_day).days  # the last day may be today at the latest
    days = min(4, room // batches)
    if days < 1:
        raise SystemExit(f"{batches} batches of at least a day each do not fit between the "
                         f"base's end ({first_day}) and today: ask for fewer batches")
    started = time.perf_counter()
    summary = generate_stream(data, out, batches=batches, events_per_batch=events, seed=seed,
                              days_per_batch=days)
    for csv in sorted(out.glob("batch-*/*.csv")):
        text = csv.read_text(encoding="utf-8")
        csv.write_text(_STREAM_ID.sub(rf"R{tag}S\1", text), encoding="utf-8")
    rows = [sum(r.values()) for r in summary.rows]
    return {"seed": seed, "tag": tag, "days_per_batch": days, "planted": summary.planted,
            "rows": rows, "seconds": time.perf_counter() - started, "dir": str(out)}


# -- offering the batches --------------------------------------------------------------------
def offer(service: RiskService, folders: list[Path], rows: list[int], interval: float,
          sustained: bool) -> tuple[pd.DataFrame, dict[str, float]]:
    """Process every batch; in sustained mode wait for each one's due time."""
    records: list[dict[str, float]] = []
    split = LoadSplit(service)
    origin = time.perf_counter()
    for index, folder in enumerate(folders):
        due = index * interval
        if sustained:
            wait = origin + due - time.perf_counter()
            if wait > 0:
                time.sleep(wait)
        start = time.perf_counter() - origin
        split.take()
        result = service.monitoring.ingest_incremental(folder)
        finish = time.perf_counter() - origin
        outcome = result.outcome
        service_s = finish - start
        steps = dict(outcome.timings)
        parts = split.take()
        ingest, touched = parts.pop("ingest", 0.0), parts.pop("touched", 0.0)
        record = {
            "batch": index + 1, "events": rows[index], "due": due, "start": start,
            "finish": finish, "service_s": service_s, "load_s": ingest,
            **{f"load.{k}_s": v for k, v in parts.items()},
            "load.other_s": ingest - sum(parts.values()),
            "touched_customers_s": touched,
            **{f"{k}_s": v for k, v in steps.items()},
            "touched": len(outcome.touched), "reach": len(outcome.reach),
            "alerts": len(outcome.alerts), "suppressed": outcome.suppressed,
            "cases_opened": len(outcome.cases_opened), "cases_joined": len(outcome.cases_joined),
            "rejected": len(result.report.errors), "already_done": int(outcome.already_done),
        }
        # the monitor's bookkeeping outside its timed steps (batch record, audit entry)
        record["other_s"] = service_s - ingest - touched - sum(steps.values())
        records.append(record)
        late = f", started {start - due:.2f} s late" if sustained and start - due > 0.01 else ""
        detail = "/".join(f"{k[5:-2]} {v:.2f}" for k, v in record.items()
                          if k.startswith("load."))
        say(f"batch {index + 1:3d}: {rows[index]} events, {service_s:.3f} s{late} "
            f"(load {record['load_s']:.3f} [{detail}], "
            + f"touched_customers {touched:.3f}, "
            + ", ".join(f"{k} {v:.3f}" for k, v in steps.items())
            + f", other {record['other_s']:.3f}"
            + f"); touched {record['touched']}, re-scored {record['reach']}, "
              f"alerts {record['alerts']}, cases +{record['cases_opened']}")
    table = pd.DataFrame(records).fillna(0.0)
    if not sustained:  # replay the offered schedule on the measured service times
        table = table.assign(**queue(table["service_s"].tolist(), interval))
    return table, schedule_figures(table, interval)


def queue(service: list[float], interval: float) -> dict[str, list[float]]:
    """A single worker fed one batch every ``interval`` seconds: start and finish times."""
    starts, finishes, free = [], [], 0.0
    for index, seconds in enumerate(service):
        start = max(index * interval, free)
        free = start + seconds
        starts.append(start)
        finishes.append(free)
    return {"due": [i * interval for i in range(len(service))], "start": starts,
            "finish": finishes}


def schedule_figures(table: pd.DataFrame, interval: float) -> dict[str, float]:
    due, start, finish = (table[c].to_numpy(float) for c in ("due", "start", "finish"))
    wait = start - due
    latency = finish - due
    # batches offered (due) but not yet finished when each batch is offered, itself excluded
    backlog = np.array([int(np.sum(finish[:i] > due[i])) for i in range(len(due))])
    n = len(due)
    quarter = max(n // 4, 1)
    slope = float(np.polyfit(np.arange(n), wait, 1)[0]) if n > 1 else 0.0
    offered_span = n * interval
    return {
        "interval_s": interval,
        "latency_median": float(np.median(latency)), "latency_p95": pct(list(latency), 95),
        "latency_max": float(latency.max()),
        "wait_median": float(np.median(wait)), "wait_max": float(wait.max()),
        "wait_first_quarter": float(wait[:quarter].mean()),
        "wait_last_quarter": float(wait[-quarter:].mean()),
        "wait_slope_per_batch": slope,
        "backlog_max": float(backlog.max()), "backlog_end": float(backlog[-1]),
        "busy_s": float(table["service_s"].sum()), "offered_s": offered_span,
        "utilisation": float(table["service_s"].sum() / offered_span),
        "end_lag_s": float(finish[-1] - due[-1]),
        "wall_s": float(finish[-1] - due[0]),
    }


# -- re-assessment ---------------------------------------------------------------------------
def fresh_period(service: RiskService) -> str:
    """A month never re-assessed (everyone) in this store, so the run is not skipped."""
    for year in range(2099, 2200):
        for month in range(1, 13):
            period = f"{year}-{month:02d}"
            if service.store.get_record(REASSESSMENT_KIND, f"reassess-{period}-all") is None:
                return period
    raise SystemExit("no fresh re-assessment period left")


class Split:
    """Seconds spent in some methods of one object while a step runs (instance wrappers)."""

    def __init__(self, **targets: tuple[object, str]) -> None:
        self.seconds: dict[str, float] = {}
        self._undo: list[tuple[object, str]] = []
        for part, (owner, name) in targets.items():
            function = getattr(owner, name)

            def wrapper(*args, _f=function, _part=part, **kwargs):  # type: ignore[no-untyped-def]
                started = time.perf_counter()
                try:
                    return _f(*args, **kwargs)
                finally:
                    self.seconds[_part] = (self.seconds.get(_part, 0.0)
                                           + time.perf_counter() - started)
            setattr(owner, name, wrapper)
            self._undo.append((owner, name))

    def close(self) -> dict[str, float]:
        for owner, name in self._undo:
            delattr(owner, name)  # back to the class's method
        return self.seconds


def reassess(service: RiskService, repeat: int) -> dict[str, object]:
    """Full ``score()`` and ``reassess(everyone=True)``, alternating which goes first, each
    split into the scoring computation, reading and writing the scores, and the rest."""
    fulls, reassessed = [], []
    full_parts: list[dict[str, float]] = []
    reassess_parts: list[dict[str, float]] = []
    for attempt in range(repeat):
        order = ("score", "reassess") if attempt % 2 == 0 else ("reassess", "score")
        for step in order:
            split = Split(latest_scores=(service.store, "latest_scores"),
                          write_scores=(service.store, "write_scores"))
            started = time.perf_counter()
            if step == "score":
                result = service.score()
                seconds = time.perf_counter() - started
                parts = split.close()
                parts["compute"] = seconds - sum(parts.values())
                fulls.append(seconds)
                full_parts.append(parts)
                say(f"full score(): {seconds:.1f} s ({len(result.scores):,} customers; "
                    + ", ".join(f"{k} {v:.1f}" for k, v in parts.items()) + ")")
            else:
                period = fresh_period(service)
                inner = Split(compute=(service, "score"))
                try:
                    done = service.monitoring.reassess(period, everyone=True)
                finally:
                    compute = inner.close().get("compute", 0.0)
                seconds = time.perf_counter() - started
                parts = split.close()
                parts["compute"] = compute  # score(write=False) inside reassess
                parts["other"] = seconds - sum(parts.values())
                reassessed.append(seconds)
                reassess_parts.append(parts)
                say(f"reassess({period}, everyone=True): {seconds:.1f} s "
                    f"({len(done.due):,} customers; {done.counts}; "
                    + ", ".join(f"{k} {v:.1f}" for k, v in parts.items()) + ")")
    full, again = statistics.median(fulls), statistics.median(reassessed)

    def medians(rows: list[dict[str, float]]) -> dict[str, float]:
        keys = sorted({k for row in rows for k in row})
        return {k: statistics.median([row.get(k, 0.0) for row in rows]) for k in keys}

    return {"full_s": full, "reassess_s": again, "ratio": again / full,
            "full_all": fulls, "reassess_all": reassessed,
            "full_parts": medians(full_parts), "reassess_parts": medians(reassess_parts)}


# -- one store -------------------------------------------------------------------------------
def run_store(kind: str, home: Path, args: argparse.Namespace, tag: str) -> StoreRun:
    run = StoreRun(kind, home, args.customers, mode="sustained" if args.sustained else "fast")
    server = None
    port = None
    service = None
    try:
        if kind == "neo4j":
            port = args.neo4j_port or free_port()
            server = LocalNeo4j(home, port)
            server.start()
        data = base_data(args.work, args.customers, args.seed)
        service = open_service(kind, home, port)
        prepare(service, run, data, args.customers, args.seed)
        if args.batches > 0:
            started = time.perf_counter()
            service.individual_model()  # loaded once per process, not a batch's work
            say(f"{kind}: individual model ready in {time.perf_counter() - started:.1f} s")
            run.alerts_before = len(service.monitoring.alerts(status=None))
            out = home / "bench-streams" / tag
            say(f"{kind}: writing {args.batches} batches of {args.events} events "
                f"(stream seed {args.stream_seed}, ids R{tag}S...) into {out}")
            run.stream = write_stream(data, out, args.batches, args.events, args.stream_seed,
                                      tag)
            say(f"{kind}: stream written in {run.stream['seconds']:.0f} s, "
                f"{run.stream['days_per_batch']} days a batch, {run.stream['planted']} shapes "
                f"planted; {run.alerts_before} alerts already in the store")
            interval = 60.0 * args.events / args.rate
            folders = sorted(out.glob("batch-*"))
            run.batches, run.schedule = offer(service, folders, run.stream["rows"],  # type: ignore[arg-type]
                                              interval, args.sustained)
        if args.reassess:
            run.reassess = reassess(service, args.reassess_repeat)
    except Exception as exc:  # noqa: BLE001 - a benchmark reports what failed and goes on
        run.error = f"{type(exc).__name__}: {exc}"
        say(f"{kind}: FAILED: {run.error}")
        import traceback

        traceback.print_exc()
    finally:
        if service is not None:
            service.close()
        if server is not None and not args.keep_neo4j:
            server.stop()
    return run


# -- the results block -----------------------------------------------------------------------
def results(runs: list[StoreRun], args: argparse.Namespace, command: str) -> None:
    rate = args.rate
    print("\n" + "=" * 100)
    print("RESULTS  (2-core machine shared with other jobs: times are noisy; medians and p95)")
    print(f"command: {command}")
    print(f"customers {args.customers:,} (seed {args.seed}), {args.batches} batches of "
          f"{args.events} events, stream seed {args.stream_seed}, mode "
          f"{'sustained (real time)' if args.sustained else 'as fast as possible'}, offered "
          f"rate {rate:g} events/min (a batch every {60.0 * args.events / rate:g} s)")
    for run in runs:
        print(f"\n## {run.kind}  (home {run.home})")
        if run.prepare:
            how = "reused" if run.prepare.get("reused") else "prepared now"
            print(f"base {how}: load {run.prepare['load_s']:.0f} s, first full score "
                  f"{run.prepare['score_s']:.0f} s")
        if run.error:
            print(f"FAILED: {run.error}")
        table = run.batches
        if table is not None and len(table):
            steps = [c for c in table.columns if c.endswith("_s") and c != "service_s"]
            print(f"stream: {run.stream.get('days_per_batch')} days a batch, "
                  f"{run.stream.get('planted')} shapes planted, events a batch median "
                  f"{statistics.median(table['events']):.0f} (max {table['events'].max():.0f}); "
                  f"{run.alerts_before} alerts in the store before")
            print("\nper batch, seconds (service time = load + monitoring, one batch alone):\n")
            print("| figure | median | p95 | max |")
            print("|---|---|---|---|")
            for column in ["service_s", *steps]:
                values = table[column].tolist()
                print(f"| {column[:-2]} | {statistics.median(values):.3f} | "
                      f"{pct(values, 95):.3f} | {max(values):.3f} |")
            for column in ("touched", "reach", "alerts", "cases_opened"):
                values = table[column].tolist()
                print(f"| {column} (count) | {statistics.median(values):.0f} | "
                      f"{pct(values, 95):.0f} | {max(values):.0f} |")
            half = len(table) // 2
            if half:
                first, last = table["service_s"][:half], table["service_s"][half:]
                print(f"\nservice time, first half vs second half median: "
                      f"{first.median():.3f} s vs {last.median():.3f} s "
                      f"(growth with the store's alerts/cases shows here)")
            s = run.schedule
            where = "measured" if run.mode == "sustained" else (
                "replayed on the measured service times (queue model)")
            print(f"\nschedule at {rate:g} events/min, {where}:\n")
            print("| figure | value |")
            print("|---|---|")
            print(f"| latency due -> alerts filed, median / p95 / max (s) | "
                  f"{s['latency_median']:.3f} / {s['latency_p95']:.3f} / "
                  f"{s['latency_max']:.3f} |")
            print(f"| queue wait, median / max (s) | {s['wait_median']:.3f} / "
                  f"{s['wait_max']:.3f} |")
            print(f"| queue wait, first vs last quarter mean (s) | "
                  f"{s['wait_first_quarter']:.3f} vs {s['wait_last_quarter']:.3f} "
                  f"(trend {1000 * s['wait_slope_per_batch']:+.1f} ms/batch) |")
            print(f"| backlog (earlier batches unfinished when one is offered), max / at end | "
                  f"{s['backlog_max']:.0f} / {s['backlog_end']:.0f} |")
            print(f"| busy vs offered time (s), utilisation | {s['busy_s']:.1f} vs "
                  f"{s['offered_s']:.1f}, {100 * s['utilisation']:.1f} % |")
            print(f"| last batch finished after its due time (s) | {s['end_lag_s']:.3f} |")
            print(f"| total wall, first due -> last finished (s) | {s['wall_s']:.1f} |")
            kept = s["backlog_end"] == 0 and s["utilisation"] < 1 and s["wait_last_quarter"] \
                < max(s["interval_s"], 1.0)
            print(f"| kept up (no backlog at the end, busy < offered) | "
                  f"{'yes' if kept else 'NO'} |")
            capacity = 60.0 * statistics.median(table["events"]) / table["service_s"].median()
            print(f"| capacity at the median service time (events/min) | {capacity:,.0f} |")
            p95 = pct(table["service_s"].tolist(), 95)
            print(f"\ntarget 1 (batch of {args.events} events to alerts, p95 <= 1 s): service "
                  f"p95 {p95:.3f} s, latency p95 {s['latency_p95']:.3f} s -> "
                  f"{'met' if s['latency_p95'] <= 1.0 else 'NOT met'}")
        if run.reassess:
            r = run.reassess
            print("\nre-assessment vs full scoring (same store):\n")
            print("| figure | seconds |")
            print("|---|---|")
            print(f"| full score() (written), median of {len(r['full_all'])} | "
                  f"{r['full_s']:.1f} |")
            print(f"| reassess(period, everyone=True), median of {len(r['reassess_all'])} | "
                  f"{r['reassess_s']:.1f} |")
            print(f"| ratio reassess / full (target <= 1.20) | {r['ratio']:.2f} "
                  f"({'met' if r['ratio'] <= 1.2 else 'NOT met'}) |")
            for name in ("full", "reassess"):
                parts = r[f"{name}_parts"]
                print(f"| {name}, split (medians) | "
                      + ", ".join(f"{k} {v:.1f}" for k, v in parts.items()) + " |")
    print("=" * 100)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1, help="base data set's seed")
    parser.add_argument("--batches", type=int, default=100)
    parser.add_argument("--events", type=int, default=100, help="events per batch")
    parser.add_argument("--rate", type=float, default=1000.0,
                        help="offered events per minute (the schedule)")
    parser.add_argument("--store", choices=("embedded", "neo4j", "both"), default="embedded")
    parser.add_argument("--home", type=Path, default=None,
                        help="GRAPHRISK_HOME to use (and reuse when it holds this base, "
                        "loaded and scored); with --store both a folder holding embedded/ "
                        "and neo4j/; default --work/<store>-<customers>-<seed>")
    parser.add_argument("--work", type=Path, default=Path("/tmp/graphrisk-bench-monitoring"),
                        help="where the base data set (and default homes) live")
    parser.add_argument("--sustained", action="store_true",
                        help="offer the batches in real time at --rate (sleep until each is "
                        "due); default: as fast as possible, schedule replayed on the times")
    parser.add_argument("--reassess", action="store_true",
                        help="also time a full score() and reassess(everyone=True)")
    parser.add_argument("--reassess-repeat", type=int, default=1)
    parser.add_argument("--stream-seed", type=int, default=None,
                        help="stream generator's seed; default: the clock (fresh batches)")
    parser.add_argument("--neo4j-port", type=int, default=0, help="default: a free port")
    parser.add_argument("--keep-neo4j", action="store_true",
                        help="leave the local Neo4j running at the end")
    args = parser.parse_args()
    if args.stream_seed is None:
        args.stream_seed = int(time.time()) % 1_000_000_007
    tag = np.base_repr(args.stream_seed, 36).lower()
    command = shlex.join([Path(sys.executable).name, *sys.argv])
    kinds = ["embedded", "neo4j"] if args.store == "both" else [args.store]
    runs = []
    for kind in kinds:
        if args.home is None:
            home = args.work / f"{kind}-{args.customers}-{args.seed}"
        else:
            home = args.home / kind if args.store == "both" else args.home
        home.mkdir(parents=True, exist_ok=True)
        runs.append(run_store(kind, home, args, tag))
    results(runs, args, command)


if __name__ == "__main__":
    main()

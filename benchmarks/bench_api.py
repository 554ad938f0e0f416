"""The HTTP API under load: customer detail and 2-hop network with 50 concurrent clients,
idle and while a re-assessment of everyone runs in the background.

Usage::

    # embedded store, 100,000 customers (prepared once under /tmp/graphrisk-bench-api/)
    python benchmarks/bench_api.py --customers 100000 --repeat 3
    # and while POST /api/jobs {"kind": "reassess", "everyone": true} runs
    python benchmarks/bench_api.py --customers 100000 --during-reassess
    # the local Neo4j (started by you: neo4j-local/neo4j-local.sh start on a port of yours)
    GRAPHRISK_NEO4J_URI=bolt://127.0.0.1:7704 python benchmarks/bench_api.py --store neo4j
    # two uvicorn workers; no think time (closed loop: the server's saturation throughput)
    python benchmarks/bench_api.py --workers 2 --think 0

What it does:

1. prepares a ``GRAPHRISK_HOME`` (``--home``, default ``/tmp/graphrisk-bench-api/
   <store>-<customers>-<seed>``) unless it is already prepared, with
   ``bench_monitoring``'s helpers: ``generate_dataset``, ``RiskService.ingest_folder``, one
   full ``score()``; then one generated batch of 100 events through
   ``monitoring.ingest_incremental`` so that there are alerts (and cases) to show. It keeps
   a sample of real customer ids in ``bench-api-sample.json``: up to ``--sample`` from the
   high tier and as many drawn from everyone;
2. makes an investigator key (and, for ``--during-reassess``, an admin key) with
   ``graphrisk users add NAME --role ... --replace`` (the key is the last line printed);
3. starts ``graphrisk serve --port P --workers W`` with ``GRAPHRISK_HOME`` and
   ``GRAPHRISK_STORE`` (and ``GRAPHRISK_NEO4J_URI``) set, and waits for ``/api/ready``;
4. runs locust headless (``benchmarks/locust_api.py``: ``--users`` users spawned at once,
   each picking a random sampled id per request, detail:network ``--mix`` 3:1, a think time
   of ``--think`` seconds between requests) for ``--warmup`` seconds (thrown away), then
   ``--repeat`` measured runs of ``--seconds`` each; every answer's latency and status is
   kept, and the figures per endpoint are: requests, failures (5xx among them), throughput
   (answers a second over the window), p50 / p95 / p99 in ms; the median over the runs;
5. with ``--during-reassess`` (``--reassess-repeat`` times): locust starts as above and,
   once the clients are in their rhythm, ``POST /api/jobs {"kind": "reassess",
   "everyone": true, "period": P}`` as the admin (``P`` a month never re-assessed in this
   store, so the job does the whole work: read the graph, score everyone, write 100,000
   scores); the job is polled every second, and only answers completed while it was seen
   ``running`` count (the window is printed: a job shorter than ``--seconds`` shortens it,
   one longer is cut at ``--seconds``). Its p95 is compared with the idle runs'.

Targets (the issue): with 50 concurrent clients at 100,000 customers on the embedded store,
p95 <= 50 ms for the customer detail and <= 200 ms for the 2-hop network capped at 500
nodes; the same on the local Neo4j, side by side; while a re-assessment runs, no 5xx and
p95 at most twice its idle figure.

The development machine has 2 cores, shared by the server, the load generator (locust, one
process) and the background job: the figures are the server's answer times as the clients
see them on a loaded machine. The 1-minute load average is printed beside every run, and
the CPU seconds the server, locust and the job used in it.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shlex
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from bench_monitoring import (
    StoreRun,
    base_data,
    free_port,
    fresh_period,
    pct,
    prepare,
    say,
    write_stream,
)

from graphrisk.config import Settings, StoreKind
from graphrisk.service import RiskService

BENCH = Path(__file__).resolve().parent
LOCUSTFILE = BENCH / "locust_api.py"
SAMPLE_FILE = "bench-api-sample.json"
ENDPOINTS = ("detail", "network")
TARGET_MS = {"detail": 50.0, "network": 200.0}
BIN = Path(sys.executable).parent


# -- the home --------------------------------------------------------------------------------
def settings_for(args: argparse.Namespace, home: Path) -> Settings:
    extra: dict[str, object] = {}
    if args.store == "neo4j":
        extra["neo4j_uri"] = args.neo4j_uri
    return Settings(home=home, store=StoreKind(args.store), **extra)


def prepare_home(args: argparse.Namespace, home: Path) -> dict[str, object]:
    """Base loaded and scored (bench_monitoring's marker), alerts, and the id sample."""
    run = StoreRun(args.store, home, args.customers)
    data = base_data(args.work, args.customers, args.seed)
    with RiskService.open(settings_for(args, home)) as service:
        prepare(service, run, data, args.customers, args.seed)
        alerts = len(service.monitoring.alerts(status=None))
        if alerts == 0:
            tag = f"api{args.seed}"
            out = home / "bench-streams" / tag
            say(f"{args.store}: no alerts yet; one batch of 100 events through monitoring")
            stream = write_stream(data, out, 1, 100, args.seed, tag)
            started = time.perf_counter()
            result = service.monitoring.ingest_incremental(sorted(out.glob("batch-*"))[0])
            alerts = len(service.monitoring.alerts(status=None))
            say(f"{args.store}: batch of {stream['rows'][0]} rows in "
                f"{time.perf_counter() - started:.1f} s: {len(result.outcome.alerts)} alerts, "
                f"{len(result.outcome.cases_opened)} cases opened")
        sample_path = home / SAMPLE_FILE
        if not sample_path.exists():
            latest = service.store.latest_scores()
            rng = np.random.default_rng(args.seed)
            high = sorted(latest.loc[latest["tier"] == "high", "customer_id"].astype(str))
            everyone = sorted(latest["customer_id"].astype(str))
            size = min(args.sample, len(everyone))
            sample = {"high": [str(x) for x in rng.choice(high, min(size, len(high)),
                                                          replace=False)] if high else [],
                      "random": [str(x) for x in rng.choice(everyone, size, replace=False)],
                      "high_in_store": len(high), "customers_scored": len(everyone)}
            sample_path.write_text(json.dumps(sample), encoding="utf-8")
        sample = json.loads(sample_path.read_text(encoding="utf-8"))
    say(f"{args.store}: {alerts} alerts in the store; sampled {len(sample['high'])} of "
        f"{sample['high_in_store']:,} high-tier and {len(sample['random'])} of "
        f"{sample['customers_scored']:,} customers")
    return {"prepare": run.prepare, "alerts": alerts, "high": sample["high_in_store"],
            "sample": str(sample_path)}


def make_key(env: dict[str, str], name: str, role: str) -> str:
    done = subprocess.run([str(BIN / "graphrisk"), "users", "add", name, "--role", role,
                           "--replace", "--by", "bench-api"], env=env, check=True,
                          capture_output=True, text=True)
    return done.stdout.strip().splitlines()[-1].strip()


# -- the server ------------------------------------------------------------------------------
class Server:
    """``graphrisk serve`` on a free port, its output in ``<home>/bench-api-serve.log``."""

    def __init__(self, env: dict[str, str], home: Path, workers: int,
                 command: str | None = None) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = home / "bench-api-serve.log"
        argv = ([str(BIN / "graphrisk"), "serve", "--port", str(self.port), "--workers",
                 str(workers)] if command is None
                else shlex.split(command.format(port=self.port, workers=workers, bin=BIN)))
        with open(self.log, "ab") as out:
            self.process = subprocess.Popen(
                argv, env=env, stdout=out, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, start_new_session=True)

    def wait_ready(self, timeout: float = 300.0) -> float:
        started = time.perf_counter()
        while time.perf_counter() - started < timeout:
            if self.process.poll() is not None:
                raise SystemExit(f"graphrisk serve exited ({self.process.returncode}); see "
                                 f"{self.log}")
            try:
                status, _ = call(f"{self.url}/api/ready", timeout=5)
                if status == 200:
                    return time.perf_counter() - started
            except OSError:
                pass
            time.sleep(0.5)
        raise SystemExit(f"/api/ready not 200 after {timeout:.0f} s; see {self.log}")

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)  # its own session: server and workers
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


def call(url: str, *, key: str | None = None, body: dict | None = None,
         timeout: float = 30) -> tuple[int, dict]:
    headers = {"Content-Type": "application/json"}
    if key:
        headers["Authorization"] = f"Bearer {key}"
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, headers=headers,
                                     method="POST" if body is not None else "GET")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:  # noqa: S310
            return answer.status, json.loads(answer.read() or b"{}")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


# -- CPU seconds of process trees (Linux /proc) ----------------------------------------------
def _processes() -> dict[int, tuple[int, float, str]]:
    """pid -> (parent, CPU seconds, command line)."""
    tick = os.sysconf("SC_CLK_TCK")
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            cmd = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        found[int(entry.name)] = (int(stat[1]), (int(stat[11]) + int(stat[12])) / tick, cmd)
    return found


def cpu_split(server_pid: int, locust_pid: int | None) -> dict[str, float]:
    """CPU seconds so far of the server (workers included, jobs not), locust and jobs."""
    table = _processes()
    out = {"server": 0.0, "locust": 0.0, "job": 0.0}

    def tree(root: int) -> list[int]:
        pids, todo = [], [root]
        while todo:
            pid = todo.pop()
            pids.append(pid)
            todo.extend(p for p, (parent, _, _) in table.items() if parent == pid)
        return [p for p in pids if p in table]

    for pid in tree(server_pid):
        out["job" if "graphrisk.api.jobs" in table[pid][2] else "server"] += table[pid][1]
    if locust_pid is not None:
        out["locust"] = sum(table[p][1] for p in tree(locust_pid))
    return out


# -- one locust run --------------------------------------------------------------------------
@dataclass
class LoadRun:
    label: str
    seconds: float
    samples: list[tuple[str, float, float, int, str]] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)
    window: tuple[float, float] | None = None
    load: tuple[float, float] = (0.0, 0.0)
    cpu: dict[str, float] = field(default_factory=dict)
    note: str = ""

    def figures(self) -> dict[str, dict[str, float]]:
        start, end = self.window or (min(s[1] for s in self.samples) - 1e-9,
                                     max(s[1] for s in self.samples))
        span = max(end - start, 1e-9)
        out = {}
        for name in (*ENDPOINTS, "all"):
            rows = [s for s in self.samples if (name == "all" or s[0] == name)
                    and start <= s[1] <= end]
            times = [s[2] for s in rows]
            out[name] = {"requests": len(rows), "failures": sum(s[3] != 200 for s in rows),
                         "5xx": sum(s[3] >= 500 for s in rows),
                         "rps": len(rows) / span, "p50": pct(times, 50),
                         "p95": pct(times, 95), "p99": pct(times, 99),
                         "max": max(times) if times else float("nan")}
        out["all"]["window_s"] = span
        return out


def run_locust(args: argparse.Namespace, url: str, key: str, sample: str, seconds: float,
               label: str, server: Server,
               meanwhile: Callable[[float], None] | None = None) -> LoadRun:
    """``seconds`` measured after the ramp; ``meanwhile(skip)`` runs once locust started."""
    out = Path(tempfile.mkstemp(prefix="bench-api-", suffix=".json")[1])
    skip = ramp_skip(args)
    env = {**os.environ, "BENCH_API_KEY": key, "BENCH_API_SAMPLE": sample,
           "BENCH_API_OUT": str(out), "BENCH_API_MIX": args.mix, "BENCH_API_THINK": args.think,
           "BENCH_API_HOPS": str(args.hops), "BENCH_API_LIMIT": str(args.limit)}
    command = [str(BIN / "locust"), "-f", str(LOCUSTFILE), "--headless", "--host", url,
               "--users", str(args.users), "--spawn-rate", f"{args.users / args.ramp:g}",
               "--run-time", f"{int(seconds + skip)}s", "--stop-timeout", "10", "--only-summary",
               "--loglevel", "WARNING", "--exit-code-on-error", "0"]
    load_before = os.getloadavg()[0]
    reaped = _children_cpu()
    locust = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True)
    cpu_before = cpu_split(server.process.pid, None)
    if meanwhile is not None:
        meanwhile(skip)
    _, stderr = locust.communicate(timeout=seconds + skip + 120)
    cpu_after = cpu_split(server.process.pid, None)
    cpu_after["locust"] = _children_cpu() - reaped
    if not out.exists() or out.stat().st_size == 0:
        raise SystemExit(f"locust wrote no results (exit {locust.returncode}): {stderr[-2000:]}")
    found = json.loads(out.read_text(encoding="utf-8"))
    out.unlink()
    run = LoadRun(label, seconds, [tuple(s) for s in found["samples"]], found["errors"],
                  load=(load_before, os.getloadavg()[0]),
                  cpu={k: cpu_after[k] - cpu_before.get(k, 0.0) for k in ("server", "locust")})
    if not run.samples:
        raise SystemExit(f"locust made no requests: {stderr[-2000:]}")
    first = min(s[1] for s in run.samples)
    run.window = (first + skip, max(s[1] for s in run.samples))
    return run


def ramp_skip(args: argparse.Namespace) -> float:
    """Seconds thrown away at the start of a run: the clients start over ``--ramp`` seconds
    (50 first requests in the same millisecond would queue behind each other, which no
    real morning looks like), then one longest think time so that all of them are in their
    rhythm."""
    return args.ramp + max(float(t) for t in args.think.split(","))


def _children_cpu() -> float:
    """CPU seconds of this process's reaped children (locust, once it has exited)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


# -- during a re-assessment ------------------------------------------------------------------
class JobWatch(threading.Thread):
    """Polls a job once a second; keeps when it was seen running and when it ended."""

    def __init__(self, url: str, key: str, job_id: str, server_pid: int) -> None:
        super().__init__(daemon=True)
        self.url, self.key, self.job_id, self.server_pid = url, key, job_id, server_pid
        self.seen: list[tuple[float, str, float | None, str]] = []
        self.job_cpu = 0.0  # CPU seconds of the job's process, as last seen alive
        self.halt = threading.Event()

    def status(self) -> dict:
        _, body = call(f"{self.url}/api/jobs/{self.job_id}", key=self.key)
        return body

    def run(self) -> None:
        while not self.halt.is_set():
            body = self.status()
            self.seen.append((time.time(), str(body.get("status")), body.get("progress"),
                              str(body.get("message"))))
            self.job_cpu = max(self.job_cpu, cpu_split(self.server_pid, None)["job"])
            if body.get("status") in ("succeeded", "failed"):
                return
            self.halt.wait(1.0)

    def running_window(self) -> tuple[float, float] | None:
        times = [t for t, status, *_ in self.seen if status == "running"]
        return (min(times), max(times)) if times else None


def during_reassess(args: argparse.Namespace, server: Server, admin: str, key: str,
                    sample: str, home: Path) -> tuple[LoadRun, dict]:
    """Locust starts; once its clients are in their rhythm the job is posted; only answers
    while the job is seen running count (at most ``--seconds`` of load after the ramp)."""
    with RiskService.open(settings_for(args, home)) as service:
        period = fresh_period(service)
    job: dict = {}
    watches: list[JobWatch] = []

    def start_job(skip: float) -> None:
        time.sleep(skip)
        status, body = call(f"{server.url}/api/jobs", key=admin,
                            body={"kind": "reassess", "everyone": True, "period": period})
        if status != 202:
            raise SystemExit(f"POST /api/jobs answered {status}: {body}")
        job.update(body)
        say(f"job {job['job_id']}: reassess {period}, everyone, started under load")
        watches.append(JobWatch(server.url, admin, job["job_id"], server.process.pid))
        watches[0].start()

    run = run_locust(args, server.url, key, sample, args.seconds, "during reassess", server,
                     meanwhile=start_job)
    watch = watches[0]
    watch.halt.set()
    watch.join(5)
    final = watch.status()
    window = watch.running_window()
    run.cpu["job (its whole life)"] = watch.job_cpu
    if window is None:
        raise SystemExit(f"job {job['job_id']} was never seen running: {final}")
    assert run.window is not None
    first, last = run.window
    run.window = (max(window[0], first), min(window[1], last))
    covered = run.window[1] - run.window[0]
    if final.get("status") != "running":
        run.note = (f"the job was running for {covered:.0f} s of the {last - first:.0f} s of "
                    f"load, then {final.get('status')}: only those {covered:.0f} s count")
    else:
        run.note = (f"the job was still running at the end of the {covered:.0f} s window "
                    f"(progress {final.get('progress')}, {final.get('message')})")
    say(f"{run.label}: {run.note}")
    return run, {"job_id": job["job_id"], "period": period, "final": final.get("status"),
                 "result": final.get("result"), "error": final.get("error"),
                 "progress_at_end": final.get("progress"), "polls": watch.seen}


# -- the results -----------------------------------------------------------------------------
def median_figures(runs: list[LoadRun]) -> dict[str, dict[str, float]]:
    each = [r.figures() for r in runs]
    return {name: {k: statistics.median([f[name][k] for f in each]) for k in each[0][name]}
            for name in each[0]}


def print_table(title: str, figures: dict[str, dict[str, float]],
                runs: list[LoadRun], compare: dict[str, dict[str, float]] | None = None
                ) -> None:
    print(f"\n{title}\n")
    extra = " | p95 vs idle (<= 2x)" if compare else ""
    print("| endpoint | requests | failures (5xx) | req/s | p50 ms | p95 ms | p99 ms | max ms | "
          f"target p95{extra} |")
    print("|---|---|---|---|---|---|---|---|---|" + ("---|" if compare else ""))
    for name in (*ENDPOINTS, "all"):
        f = figures[name]
        target = TARGET_MS.get(name)
        verdict = (f"<= {target:.0f}: {'met' if f['p95'] <= target else 'NOT met'}"
                   if target else "")
        cells = (f"| {name} | {f['requests']:.0f} | {f['failures']:.0f} ({f['5xx']:.0f}) | "
                 f"{f['rps']:.1f} | {f['p50']:.1f} | {f['p95']:.1f} | {f['p99']:.1f} | "
                 f"{f['max']:.0f} | {verdict} |")
        if compare:
            ratio = f["p95"] / compare[name]["p95"]
            cells += f" {ratio:.2f}x: {'met' if ratio <= 2 and f['5xx'] == 0 else 'NOT met'} |"
        print(cells)
    for run in runs:
        per = run.figures()
        cpu = ", ".join(f"{k} {v:.0f}" for k, v in run.cpu.items() if v)
        print(f"- {run.label}: window {per['all']['window_s']:.0f} s, p95 detail "
              f"{per['detail']['p95']:.1f} / network {per['network']['p95']:.1f} ms, "
              f"{per['all']['rps']:.1f} req/s; load average {run.load[0]:.2f} -> "
              f"{run.load[1]:.2f}; CPU s: {cpu}" + (f"; {run.note}" if run.note else ""))
        for error, count in sorted(run.errors.items(), key=lambda e: -e[1])[:5]:
            print(f"  - {count} x {error} (whole run, window or not)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1, help="base data set's seed")
    parser.add_argument("--store", choices=("embedded", "neo4j"), default="embedded")
    parser.add_argument("--neo4j-uri", default=os.environ.get("GRAPHRISK_NEO4J_URI",
                                                              "bolt://127.0.0.1:7687"),
                        help="a running Neo4j (default GRAPHRISK_NEO4J_URI)")
    parser.add_argument("--users", type=int, default=50, help="concurrent clients")
    parser.add_argument("--seconds", type=float, default=60, help="one measured run")
    parser.add_argument("--repeat", type=int, default=1, help="idle runs (median quoted)")
    parser.add_argument("--warmup", type=float, default=15, help="seconds, thrown away")
    parser.add_argument("--workers", type=int, default=1, help="uvicorn workers")
    parser.add_argument("--serve", default=None,
                        help="another server command for experiments, with {port}, {workers} "
                        "and {bin} (the venv's bin/); default: graphrisk serve --port {port} "
                        "--workers {workers}")
    parser.add_argument("--mix", default="3,1", help="detail:network weights")
    parser.add_argument("--think", default="0.5,1.5",
                        help="seconds between a client's requests: 'lo,hi' uniform, or one "
                        "number (0: none, closed loop)")
    parser.add_argument("--ramp", type=float, default=5,
                        help="seconds over which the clients start (not measured, nor the "
                        "longest think time after it)")
    parser.add_argument("--role", choices=("investigator", "viewer"), default="investigator",
                        help="the clients' key (a viewer's reads are masked, not audited)")
    parser.add_argument("--hops", type=int, default=2)
    parser.add_argument("--limit", type=int, default=500, help="network's node cap")
    parser.add_argument("--sample", type=int, default=500,
                        help="ids sampled from the high tier and from everyone (each)")
    parser.add_argument("--during-reassess", action="store_true",
                        help="also measure while a re-assessment of everyone runs")
    parser.add_argument("--reassess-repeat", type=int, default=1,
                        help="runs during a re-assessment, each with a job of its own (median "
                        "quoted)")
    parser.add_argument("--skip-idle", action="store_true",
                        help="with --during-reassess: no idle runs (nothing to compare)")
    parser.add_argument("--home", type=Path, default=None,
                        help="GRAPHRISK_HOME (prepared when empty); default "
                        "--work/<store>-<customers>-<seed>")
    parser.add_argument("--work", type=Path, default=Path("/tmp/graphrisk-bench-api"),
                        help="where the generated data set (and default homes) live")
    parser.add_argument("--prepare-only", action="store_true",
                        help="prepare the home and stop")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = parser.parse_args()
    command = shlex.join(["python", *sys.argv])
    home = (args.home or args.work / f"{args.store}-{args.customers}-{args.seed}").resolve()
    home.mkdir(parents=True, exist_ok=True)
    prepared = prepare_home(args, home)
    if args.prepare_only:
        return

    env = {**os.environ, "GRAPHRISK_HOME": str(home), "GRAPHRISK_STORE": args.store}
    if args.store == "neo4j":
        env["GRAPHRISK_NEO4J_URI"] = args.neo4j_uri
    key = make_key(env, f"bench-{args.role}", args.role)
    admin = make_key(env, "bench-admin", "admin") if args.during_reassess else ""
    server = Server(env, home, args.workers, args.serve)
    idle: list[LoadRun] = []
    during: list[LoadRun] = []
    jobs: list[dict] = []
    try:
        say(f"graphrisk serve on {server.url} ({args.workers} worker(s)); ready in "
            f"{server.wait_ready():.1f} s")
        if args.warmup > 0:
            warm = run_locust(args, server.url, key, prepared["sample"], args.warmup,  # type: ignore[arg-type]
                              "warm-up", server)
            say(f"warm-up: {len(warm.samples)} requests, p95 "
                f"{warm.figures()['all']['p95']:.0f} ms (thrown away)")
        for attempt in range(0 if args.skip_idle else args.repeat):
            run = run_locust(args, server.url, key, prepared["sample"], args.seconds,  # type: ignore[arg-type]
                             f"idle run {attempt + 1}", server)
            f = run.figures()
            say(f"{run.label}: {f['all']['requests']} requests, {f['all']['rps']:.1f} req/s, "
                f"p95 detail {f['detail']['p95']:.1f} ms, network {f['network']['p95']:.1f} "
                f"ms, {f['all']['failures']} failures; load {run.load[0]:.2f}")
            idle.append(run)
        for attempt in range(args.reassess_repeat if args.during_reassess else 0):
            run, job = during_reassess(args, server, admin, key, prepared["sample"], home)  # type: ignore[arg-type]
            run.label = f"during reassess {attempt + 1}"
            during.append(run)
            jobs.append(job)
    finally:
        server.stop()

    print("\n" + "=" * 100)
    print("RESULTS  (2 cores shared by the server, locust and any background job; noisy)")
    print(f"command: {command}")
    print(f"store {args.store}, {args.customers:,} customers (seed {args.seed}), home {home}; "
          f"{prepared['alerts']} alerts; {args.users} clients, think {args.think} s, "
          f"detail:network {args.mix.replace(',', ':')}, network hops={args.hops} "
          f"limit={args.limit}; uvicorn workers {args.workers}; {args.seconds:g} s a run")
    idle_figures = median_figures(idle) if idle else None
    if idle_figures:
        print_table(f"idle, median of {len(idle)} run(s):", idle_figures, idle)
    if during:
        print_table(f"during a re-assessment of everyone, median of {len(during)} run(s) (jobs "
                    + ", ".join(f"{j['job_id']} {j['final']}" for j in jobs) + "):",
                    median_figures(during), during, idle_figures)
    print("=" * 100)
    if args.json:
        args.json.write_text(json.dumps({
            "command": command, "store": args.store, "customers": args.customers,
            "workers": args.workers, "think": args.think, "idle": idle_figures,
            "idle_runs": [r.figures() for r in idle],
            "during": median_figures(during) if during else None,
            "during_runs": [r.figures() for r in during], "jobs": jobs,
            "loads": {r.label: r.load for r in [*idle, *during]},
            "samples": {r.label: r.samples for r in [*idle, *during]},
            "windows": {r.label: r.window for r in [*idle, *during]},
        }, indent=2, default=float), encoding="utf-8")


if __name__ == "__main__":
    main()

"""The load that ``benchmarks/bench_api.py`` runs with locust (headless, one process).

Each simulated investigator, per request, picks a customer id from a sample of real ids
(half from the high tier, half from everyone) and reads either the customer's detail or
their 2-hop network capped at 500 nodes, in the ratio ``BENCH_API_MIX`` (detail:network,
default 3:1), waiting ``BENCH_API_THINK`` seconds between requests (``lo,hi`` uniform, or
``0`` for none: closed loop, as fast as the server answers).

Every answer's completion time, latency and status are kept here and written to
``BENCH_API_OUT`` (JSON) when locust quits, so that the benchmark computes exact
percentiles (locust's own histogram rounds above 100 ms) over any time window, e.g. only
while a background job was running.

Environment: ``BENCH_API_KEY`` (an investigator's key), ``BENCH_API_SAMPLE`` (JSON file
``{"high": [...], "random": [...]}``), ``BENCH_API_OUT``, ``BENCH_API_MIX``,
``BENCH_API_THINK``, ``BENCH_API_HOPS``, ``BENCH_API_LIMIT``.
"""

from __future__ import annotations

import json
import os
import random
import time
from pathlib import Path

from locust import FastHttpUser, between, constant, events, task

SAMPLE = json.loads(Path(os.environ["BENCH_API_SAMPLE"]).read_text(encoding="utf-8"))
KEY = os.environ["BENCH_API_KEY"]
OUT = Path(os.environ["BENCH_API_OUT"])
DETAIL_WEIGHT, NETWORK_WEIGHT = (int(w) for w in os.environ.get("BENCH_API_MIX", "3,1")
                                 .split(","))
THINK = [float(t) for t in os.environ.get("BENCH_API_THINK", "0.5,1.5").split(",")]
NETWORK_QUERY = (f"hops={os.environ.get('BENCH_API_HOPS', '2')}"
                 f"&limit={os.environ.get('BENCH_API_LIMIT', '500')}")

#: (name, completed at (epoch s), latency (ms), HTTP status (0 = no answer), customer id)
SAMPLES: list[tuple[str, float, float, int, str]] = []
ERRORS: dict[str, int] = {}


def pick() -> str:
    pool = SAMPLE["high"] if SAMPLE["high"] and random.random() < 0.5 else SAMPLE["random"]
    return random.choice(pool)


class Investigator(FastHttpUser):
    wait_time = between(*THINK) if len(THINK) == 2 else constant(THINK[0])

    def on_start(self) -> None:
        self.headers = {"Authorization": f"Bearer {KEY}"}

    @task(DETAIL_WEIGHT)
    def detail(self) -> None:
        customer = pick()
        self._get(f"/api/customers/{customer}", "detail", customer)

    @task(NETWORK_WEIGHT)
    def network(self) -> None:
        customer = pick()
        self._get(f"/api/customers/{customer}/network?{NETWORK_QUERY}", "network", customer)

    def _get(self, path: str, name: str, customer: str) -> None:
        started = time.perf_counter()
        with self.client.get(path, name=name, headers=self.headers,
                             catch_response=True) as answer:
            latency = 1000.0 * (time.perf_counter() - started)
            status = int(answer.status_code or 0)
            SAMPLES.append((name, time.time(), latency, status, customer))
            if status == 200:
                answer.success()
                return
            text = (answer.text or "")[:160].replace("\n", " ") if status else str(
                answer.error)[:160]
            error = f"{name} {'5xx ' if status >= 500 else ''}{status}: {text}"
            ERRORS[error] = ERRORS.get(error, 0) + 1
            answer.failure(error)


@events.quitting.add_listener
def _write(environment, **_kwargs) -> None:  # type: ignore[no-untyped-def]
    OUT.write_text(json.dumps({"samples": SAMPLES, "errors": ERRORS}), encoding="utf-8")

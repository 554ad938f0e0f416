"""A generated bank for the benchmarks, generated and loaded once, then reused.

Why shared: every benchmark that measures analytics or models needs the same thing — a
seeded synthetic network with its hidden truth, loaded into an embedded store — and
regenerating 100,000 customers for each run would dominate the time measured.
"""

from __future__ import annotations

import time
from pathlib import Path

from graphrisk.ingestion.generator import generate_dataset
from graphrisk.ingestion.loader import ingest_directory
from graphrisk.store.embedded import EmbeddedGraphStore

__all__ = ["prepare_generated_bank"]


def prepare_generated_bank(work: Path, customers: int, seed: int) -> tuple[Path, Path]:
    """Generate ``customers`` (seeded) under ``work`` and load them, unless already done.

    Returns:
        The input folder (with ``truth/``) and the GraphRisk home whose ``graphrisk.db``
        holds the loaded bank.
    """
    data = work / f"data-{customers}-seed{seed}"
    home = work / f"home-{customers}-seed{seed}"
    if not (data / "truth" / "ground_truth.csv").is_file():
        started = time.perf_counter()
        generate_dataset(customers, seed, data)
        print(f"generated {customers:,} customers in {time.perf_counter() - started:.1f} s")
    with EmbeddedGraphStore(home / "graphrisk.db") as store:
        if store.counts().get("customers", 0) != customers:
            started = time.perf_counter()
            report = ingest_directory(store, data)
            print(f"loaded {report.rows_loaded:,} rows into the embedded store in "
                  f"{time.perf_counter() - started:.1f} s")
    return data, home

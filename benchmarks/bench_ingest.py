"""Ingest throughput into the embedded store: rows/s for a generated network.

Usage::

    python benchmarks/bench_ingest.py --customers 100000 --repeat 3

Generates the data once (seeded), then loads it into a fresh embedded store ``--repeat`` times
and prints each run's seconds and rows/s, the median, and the peak memory of the process. The
target for the foundation issue is at least 50k rows/s.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

from graphrisk.ingestion.generator import generate_dataset
from graphrisk.ingestion.loader import ingest_directory
from graphrisk.store.embedded import EmbeddedGraphStore


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=20_000)
    parser.add_argument("--format", choices=["csv", "parquet"], default="csv")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="graphrisk-bench-") as tmp:
        data = Path(tmp) / "data"
        started = time.perf_counter()
        summary = generate_dataset(args.customers, args.seed, data, file_format=args.format)
        print(f"generated {args.customers:,} customers ({sum(summary.rows.values()):,} rows) "
              f"in {time.perf_counter() - started:.1f} s")
        rates, seconds = [], []
        for run in range(1, args.repeat + 1):
            store_path = Path(tmp) / f"run{run}.db"
            with EmbeddedGraphStore(store_path) as store:
                started = time.perf_counter()
                report = ingest_directory(store, data, batch_size=args.batch_size)
                elapsed = time.perf_counter() - started
            rows = report.rows_loaded
            rates.append(rows / elapsed)
            seconds.append(elapsed)
            print(f"run {run}: {rows:,} rows loaded in {elapsed:.1f} s = {rows / elapsed:,.0f} "
                  f"rows/s ({report.rows_rejected} rejected)")
            store_path.unlink()
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"median: {statistics.median(seconds):.1f} s, "
              f"{statistics.median(rates):,.0f} rows/s over {args.repeat} runs; "
              f"peak RSS {peak_mb:,.0f} MB")
        verdict = "met" if statistics.median(rates) >= 50_000 else "MISSED"
        print(f"target >= 50,000 rows/s: {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

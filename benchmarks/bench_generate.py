"""Benchmark the synthetic generator: seconds per run, rows per entity, transactions per second.

Why: the generator must make 100,000 customers (about a million transactions) in well under a
minute on a small machine, CSV writing included; this script is how that is checked.

Usage::

    python benchmarks/bench_generate.py --customers 100000 --repeat 3
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from graphrisk.ingestion.generator import GenerationSummary, generate_dataset  # noqa: E402


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000, help="customers per run")
    parser.add_argument("--repeat", type=int, default=3, help="number of timed runs")
    parser.add_argument("--seed", type=int, default=42, help="seed of the first run")
    parser.add_argument(
        "--format", choices=("csv", "parquet"), default="csv", help="entity file format"
    )
    return parser.parse_args(argv)


def _run_once(customers: int, seed: int, file_format: str) -> GenerationSummary:
    with tempfile.TemporaryDirectory(prefix="graphrisk-bench-") as folder:
        return generate_dataset(customers, seed, Path(folder), file_format=file_format)  # type: ignore[arg-type]


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print its figures; returns the process exit code."""
    args = _parse_args(argv)
    if args.repeat < 1:
        print("--repeat must be at least 1", file=sys.stderr)
        return 2
    runs: list[GenerationSummary] = []
    for i in range(args.repeat):
        summary = _run_once(args.customers, args.seed + i, args.format)
        runs.append(summary)
        print(
            f"run {i + 1}: {summary.seconds:.2f} s ({summary.rows['transactions']:,} transactions)"
        )
    median = statistics.median(r.seconds for r in runs)
    last = runs[-1]
    print(f"median: {median:.2f} s for {args.customers:,} customers ({args.format})")
    print("rows per entity (last run):")
    for name, count in last.rows.items():
        print(f"  {name:<32} {count:>12,}")
    print(
        f"risky customers: {last.n_risky:,} ({last.n_risky / last.n_customers:.1%}), "
        f"known: {last.n_known:,}"
    )
    tx_per_second = statistics.median(r.rows["transactions"] / r.seconds for r in runs)
    print(f"transactions/s: {tx_per_second:,.0f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

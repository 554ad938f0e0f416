"""Entity resolution on a generated bank: precision and recall against the planted
synthetic identities, wall time and peak memory.

Usage::

    python benchmarks/bench_resolution.py                      # 100k customers, 3 repeats
    python benchmarks/bench_resolution.py --customers 20000 --repeat 1

What it does:

1. **Bank**: generates ``--customers`` customers with ``--seed`` (synthetic identities
   included: about 1 % of people get 1–3 more records; ``truth/same_person.csv``) under
   ``--work``, unless that folder already holds them. Not timed.
2. **Resolution**: reads ``customers.csv`` and ``identifiers.csv`` (identifiers normalised
   as ingestion does), builds the person records
   (:func:`graphrisk.resolution.records.person_records`) and links them
   (:func:`graphrisk.resolution.linkage.link_records`: Splink, u from random pairs, m by
   EM, predict), ``--repeat`` times. Timed: records + linkage (the store is left out: it
   is the same snapshot the service reads).
3. **Quality**: pairwise precision and recall against every pair of records of one planted
   person, at the threshold and at others (how the default was chosen).

Prints the median wall time and the process's peak memory (``ru_maxrss``; DuckDB's memory
is in the process, so it counts). Targets (issue 17): precision >= 0.95, recall >= 0.90,
<= 2 minutes, <= 4 GiB.
"""

from __future__ import annotations

import argparse
import itertools
import resource
import statistics
import sys
import time
from pathlib import Path

import pandas as pd

from graphrisk.config import Settings
from graphrisk.ingestion.generator import generate_dataset
from graphrisk.normalise import normalise_identifiers
from graphrisk.resolution.linkage import link_records
from graphrisk.resolution.records import person_records

OTHER_THRESHOLDS = (0.5, 0.8, 0.9, 0.95, 0.99)


def true_pairs(same_person: pd.DataFrame) -> set[tuple[str, str]]:
    """Every pair of records of one planted person, ids sorted."""
    pairs: set[tuple[str, str]] = set()
    for _, group in same_person.groupby("person_id"):
        pairs |= set(itertools.combinations(sorted(group["customer_id"]), 2))
    return pairs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--threshold", type=float, default=Settings().resolution_threshold)
    parser.add_argument("--work", type=Path, default=None,
                        help="Folder of the generated bank (default /tmp/bench-resolution-N).")
    args = parser.parse_args(argv)
    work = args.work or Path(f"/tmp/bench-resolution-{args.customers}-{args.seed}")
    if not (work / "truth" / "same_person.csv").exists():
        print(f"generating {args.customers:,} customers into {work} ...", flush=True)
        generate_dataset(args.customers, args.seed, work, watchlists=False,
                         synthetic_identities=True)
    truth = true_pairs(pd.read_csv(work / "truth" / "same_person.csv"))
    lowest = min(args.threshold, *OTHER_THRESHOLDS)
    times: list[float] = []
    pairs = pd.DataFrame()
    records = 0
    for _ in range(args.repeat):
        started = time.perf_counter()
        customers = pd.read_csv(work / "customers.csv")
        identifiers = pd.read_csv(work / "identifiers.csv")
        identifiers["value"] = normalise_identifiers(identifiers["kind"],
                                                     identifiers["value"]).to_numpy()
        result = link_records(person_records(customers, identifiers), threshold=lowest)
        times.append(time.perf_counter() - started)
        pairs, records = result.pairs, result.records
    peak_gib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    print(f"{records:,} people of {args.customers:,} customers; {len(truth):,} planted "
          f"same-person pairs")
    for threshold in sorted({args.threshold, *OTHER_THRESHOLDS}):
        kept = pairs[pairs["match_probability"] >= threshold]
        found = set(zip(kept["unique_id_l"], kept["unique_id_r"], strict=True))
        right = len(found & truth)
        mark = "  <- threshold" if threshold == args.threshold else ""
        print(f"  threshold {threshold:.2f}: {len(found):,} pairs, precision "
              f"{right / max(len(found), 1):.3f}, recall {right / max(len(truth), 1):.3f}"
              f"{mark}")
    print(f"wall time: median {statistics.median(times):.1f} s of {args.repeat} "
          f"({', '.join(f'{t:.1f}' for t in times)}); peak memory {peak_gib:.2f} GiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())

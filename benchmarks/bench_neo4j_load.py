"""Batched loading into Neo4j: nodes/s and relationships/s, against a naive loader.

Usage (with the local server running, e.g. ``graphrisk neo4j start``)::

    python benchmarks/bench_neo4j_load.py --customers 20000 --naive-rows 2000

Generates a network, validates it once, then times only the writes:

* nodes: customers, counterparties and accounts (each account also gets its OWNS
  relationship) through ``Neo4jGraphStore.upsert`` in batches (``UNWIND $rows ... MERGE``);
* relationships: transactions as ``TRANSFERRED`` relationships, the same way;
* naive: the first ``--naive-rows`` transactions again, one row per transaction and one
  transaction at a time, in a freshly emptied database holding the same nodes.

Batches are written as ``graphrisk ingest`` writes them: ``GRAPHRISK_NEO4J_WRITERS`` (default 2)
at a time for these entities.

Targets (Neo4j issue): at least 20k nodes/s, 10k relationships/s, and 50x the naive loader.
The database is emptied first: do not point this at data you want to keep.

With ``--bulk`` it compares instead the two ways of a first load of the whole folder, end to
end as ``graphrisk ingest`` runs them (reading, validating, quarantining, loading, recording
the load): batched (``ingest_directory``) and bulk (``ingest_directory(..., bulk=...)``:
Neo4j's offline importer, with the server's stop, start and schema), alternating, each into an
emptied database, ``--repeat`` times; it prints rows/s of each, their medians and the ratio
(target of the scaling issue: bulk >= 10x batched at 100k customers). The bulk path restarts
the local server: set ``GRAPHRISK_NEO4J_LOCAL_HOME`` to the ``GRAPHRISK_HOME`` it was started
with (and ``GRAPHRISK_NEO4J_URI`` to its port)::

    GRAPHRISK_NEO4J_LOCAL_HOME=/tmp/neo-bulk GRAPHRISK_NEO4J_URI=bolt://127.0.0.1:7717 \
        python benchmarks/bench_neo4j_load.py --bulk --customers 100000 --repeat 3
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pandas as pd

from graphrisk.config import Settings
from graphrisk.domain import ENTITIES, ENTITY_BY_NAME
from graphrisk.ingestion.generator import generate_dataset
from graphrisk.ingestion.reader import ROW_COLUMN, read_entity_file
from graphrisk.ingestion.validation import ReferenceIndex, validate_table
from graphrisk.store.neo4j import Neo4jGraphStore

NODE_ENTITIES = ("customers", "counterparties", "accounts")


def _validated(folder: Path) -> dict[str, pd.DataFrame]:
    refs = ReferenceIndex()
    frames = {}
    for entity in (*NODE_ENTITIES, "transactions"):
        spec = ENTITY_BY_NAME[entity]
        table = validate_table(read_entity_file(folder / f"{entity}.csv", spec), refs)
        refs.add(entity, table.valid[spec.key[0]])
        frames[entity] = table.valid.drop(columns=[ROW_COLUMN])
    return frames


def _validated_all(folder: Path) -> dict[str, pd.DataFrame]:
    """Every entity's valid rows, read and validated as the loader does (no store)."""
    refs = ReferenceIndex()
    frames = {}
    for spec in ENTITIES:
        path = folder / f"{spec.name}.csv"
        if not path.exists():
            continue
        table = validate_table(read_entity_file(path, spec), refs)
        if len(spec.key) == 1:
            refs.add(spec.name, table.valid[spec.key[0]])
        frames[spec.name] = table.valid.drop(columns=[ROW_COLUMN])
    return frames


def _load(store: Neo4jGraphStore, entity: str, frame: pd.DataFrame, batch: int,
          workers: int) -> float:
    """Write ``frame`` in batches, ``workers`` at a time, as the loader does."""
    batches = [frame.iloc[start:start + batch] for start in range(0, len(frame), batch)]
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=workers) as pool:
        list(pool.map(lambda part: store.upsert(entity, part), batches))
    return time.perf_counter() - started


class _BulkSteps(logging.Handler):
    """Keeps the seconds per step the loader logs after a bulk import."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.seconds: dict[str, float] = {}

    def emit(self, record: logging.LogRecord) -> None:
        # logging keeps a lone dict argument as the record's args (not in a tuple)
        if record.msg == "bulk import: %s" and isinstance(record.args, Mapping):
            self.seconds = {str(k): float(v) for k, v in record.args.items()}


def bulk_versus_batched(folder: Path, repeat: int, batch_size: int | None) -> int:
    """Time a first load of ``folder`` batched and in bulk, alternating; print rows/s."""
    from graphrisk.errors import GraphRiskError
    from graphrisk.ingestion.loader import ingest_directory
    from graphrisk.store.neo4j_bulk import LOCAL_HOME_ENV, LocalNeo4jServer

    if not os.environ.get(LOCAL_HOME_ENV):
        print(f"--bulk restarts the local server: set {LOCAL_HOME_ENV} to the GRAPHRISK_HOME "
              "it was started with", file=sys.stderr)
        return 2
    settings = Settings()
    server = LocalNeo4jServer.from_settings(settings)
    steps = _BulkSteps()
    loader_log = logging.getLogger("graphrisk.ingestion.loader")
    loader_log.addHandler(steps)
    loader_log.setLevel(logging.INFO)
    # What both paths do before loading (read, validate, quarantine), timed on its own so
    # that the load steps can be compared too.
    started = time.perf_counter()
    validated_rows = sum(len(frame) for frame in _validated_all(folder).values())
    validation_s = time.perf_counter() - started
    print(f"reading and validating alone: {validated_rows:,} valid rows in {validation_s:.1f} s",
          flush=True)
    store = Neo4jGraphStore.from_settings(settings)
    batched_rates, bulk_rates, batched_load, bulk_load = [], [], [], []
    try:
        for run in range(1, repeat + 1):
            store.delete_everything()
            started = time.perf_counter()
            report = ingest_directory(store, folder, batch_size=batch_size)
            seconds = time.perf_counter() - started
            batched_rates.append(report.rows_loaded / seconds)
            batched_load.append(report.rows_loaded / max(seconds - validation_s, 1e-9))
            print(f"run {run} batched: {report.rows_loaded:,} rows "
                  f"({report.rows_rejected:,} quarantined) in {seconds:.1f} s = "
                  f"{batched_rates[-1]:,.0f} rows/s", flush=True)
            batched_counts = store.counts()
            store.delete_everything()
            started = time.perf_counter()
            try:
                report = ingest_directory(store, folder, bulk=server)
            except GraphRiskError as exc:
                print(f"bulk load failed: {exc}", file=sys.stderr)
                return 1
            seconds = time.perf_counter() - started
            bulk_rates.append(report.rows_loaded / seconds)
            bulk_load.append(report.rows_loaded / steps.seconds.get("total", float("nan")))
            parts = ", ".join(f"{name} {value:.1f} s" for name, value in steps.seconds.items())
            same = "same counts" if store.counts() == batched_counts else "COUNTS DIFFER"
            print(f"run {run} bulk:    {report.rows_loaded:,} rows in {seconds:.1f} s = "
                  f"{bulk_rates[-1]:,.0f} rows/s ({parts}; {same} as batched)", flush=True)
        batched, bulk = statistics.median(batched_rates), statistics.median(bulk_rates)
        print(f"median over {repeat} runs: batched {batched:,.0f} rows/s, bulk {bulk:,.0f} "
              f"rows/s; bulk / batched = {bulk / batched:.1f}x (target >= 10x: "
              f"{'met' if bulk >= 10 * batched else 'MISSED'})")
        load_batched, load_bulk = statistics.median(batched_load), statistics.median(bulk_load)
        print(f"load step only (batched: end to end less the validation alone; bulk: files, "
              f"stop, import, start, schema): batched {load_batched:,.0f} rows/s, bulk "
              f"{load_bulk:,.0f} rows/s = {load_bulk / load_batched:.1f}x")
        store.delete_everything()
    finally:
        store.close()
        loader_log.removeHandler(steps)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=None,
                        help="rows per batch (default: the store's preferred size)")
    parser.add_argument("--naive-rows", type=int, default=2_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--bulk", action="store_true",
                        help="compare a first load batched and in bulk (offline importer), "
                        "end to end, instead of the write rates")
    args = parser.parse_args(argv)

    if args.bulk:
        with tempfile.TemporaryDirectory(prefix="graphrisk-neo4j-bench-") as tmp:
            folder = Path(tmp) / "data"
            started = time.perf_counter()
            generate_dataset(args.customers, args.seed, folder)
            print(f"generated {args.customers:,} customers (seed {args.seed}) in "
                  f"{time.perf_counter() - started:.0f} s", flush=True)
            return bulk_versus_batched(folder, args.repeat, args.batch_size)

    with tempfile.TemporaryDirectory(prefix="graphrisk-neo4j-bench-") as tmp:
        folder = Path(tmp) / "data"
        generate_dataset(args.customers, args.seed, folder)
        frames = _validated(folder)
    store = Neo4jGraphStore.from_settings(Settings())
    batch = args.batch_size or store.preferred_batch_size
    node_workers, rel_workers = (store.write_concurrency(e) for e in ("customers", "transactions"))
    print(f"batches of {batch:,} rows; node batches {node_workers} at a time "
          f"(GRAPHRISK_NEO4J_WRITERS), transaction batches {rel_workers} at a time")
    node_rows = sum(len(frames[e]) for e in NODE_ENTITIES)
    transactions = frames["transactions"]
    try:
        # Warm-up: compile the statements and let the JIT settle on a small slice first.
        store.delete_everything()
        for entity in NODE_ENTITIES:
            _load(store, entity, frames[entity].iloc[:2_000], batch, node_workers)
        node_rates, rel_rates = [], []
        for run in range(1, args.repeat + 1):
            store.delete_everything()
            store.begin_load(f"bench-{run}", {})  # as the loader does: it notes empty entities
            node_seconds = sum(_load(store, e, frames[e], batch, node_workers)
                               for e in NODE_ENTITIES)
            rel_seconds = _load(store, "transactions", transactions, batch, rel_workers)
            store.finish_load(f"bench-{run}", {})
            node_rates.append(node_rows / node_seconds)
            rel_rates.append(len(transactions) / rel_seconds)
            print(f"run {run}: {node_rows:,} nodes in {node_seconds:.1f} s = "
                  f"{node_rates[-1]:,.0f} nodes/s (customers, counterparties, accounts + OWNS); "
                  f"{len(transactions):,} transactions in {rel_seconds:.1f} s = "
                  f"{rel_rates[-1]:,.0f} relationships/s")
        nodes_per_s, rels_per_s = statistics.median(node_rates), statistics.median(rel_rates)
        print(f"median over {args.repeat} runs: {nodes_per_s:,.0f} nodes/s, "
              f"{rels_per_s:,.0f} relationships/s")

        sample = transactions.iloc[: args.naive_rows]
        # Same nodes, no transactions: the naive loader starts from the same state.
        store.delete_everything()
        store.begin_load("bench-naive", {})
        for entity in NODE_ENTITIES:
            _load(store, entity, frames[entity], batch, node_workers)
        naive_seconds = _load(store, "transactions", sample, 1, 1)
        store.finish_load("bench-naive", {})
        naive_per_s = len(sample) / naive_seconds
        print(f"naive (one row per transaction): {len(sample):,} in {naive_seconds:.1f} s = "
              f"{naive_per_s:,.0f} relationships/s")
        ratio = rels_per_s / naive_per_s
        print(f"batched (median) / naive = {ratio:.0f}x")
        verdicts = [nodes_per_s >= 20_000, rels_per_s >= 10_000, ratio >= 50]
        print("targets (>=20k nodes/s, >=10k rels/s, >=50x naive): "
              + ", ".join("met" if ok else "MISSED" for ok in verdicts))
        store.delete_everything()
    finally:
        store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())

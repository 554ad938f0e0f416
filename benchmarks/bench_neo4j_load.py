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
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pandas as pd

from graphrisk.config import Settings
from graphrisk.domain import ENTITY_BY_NAME
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


def _load(store: Neo4jGraphStore, entity: str, frame: pd.DataFrame, batch: int,
          workers: int) -> float:
    """Write ``frame`` in batches, ``workers`` at a time, as the loader does."""
    batches = [frame.iloc[start:start + batch] for start in range(0, len(frame), batch)]
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=workers) as pool:
        list(pool.map(lambda part: store.upsert(entity, part), batches))
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=None,
                        help="rows per batch (default: the store's preferred size)")
    parser.add_argument("--naive-rows", type=int, default=2_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)

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

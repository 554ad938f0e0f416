"""Incremental re-scoring at scale: seconds to re-score the reach of ~100 touched customers.

Usage::

    python benchmarks/bench_incremental_rescore.py --customers 100000 --repeat 5

What it does, on a generated bank loaded into an embedded store (cached under ``--work``,
by default ``/tmp/graphrisk-bench-incremental``):

1. one full scoring run (``graphrisk.scoring.score_store``, written), timed: the anchor of
   every incremental run, and what incremental re-scoring saves;
2. ``--repeat`` times: a fresh batch of new payments between random customers and new
   shared devices (about ``--touched`` touched customers), loaded with the project's
   ingestion (not timed), then ``touched_customers`` + ``reach`` (one hop) + ``rescore``
   (written) timed, each step and together, the three sharing one ``RegionReader`` (as
   monitoring should: each customer's region read once per batch).

Prints the medians and the 95th percentiles. Target: touched + reach + rescore at most one
second (p95) at 100,000 customers (the full run: about a minute and a half).

``--model FILE`` keeps the full run's individual model: when the file exists, the full run
is skipped (the store must hold that run's scores already), so that repeated measurements
cost seconds, not minutes.
"""

from __future__ import annotations

import argparse
import statistics
import time
import uuid
from pathlib import Path

import numpy as np
import pandas as pd

from graphrisk.analytics.individual_model import IndividualModel
from graphrisk.ingestion.generator import generate_dataset
from graphrisk.ingestion.loader import ingest_directory
from graphrisk.policy import load_policy
from graphrisk.rescoring import ChangeSet, RegionReader, reach, rescore, touched_customers
from graphrisk.scoring import ScoringSettings, score_store
from graphrisk.store.embedded import EmbeddedGraphStore


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--touched", type=int, default=100)
    parser.add_argument("--work", type=Path, default=Path("/tmp/graphrisk-bench-incremental"))
    parser.add_argument("--model", type=Path, default=None,
                        help="keep the full run's individual model here; reuse it if present")
    args = parser.parse_args()

    data, db = args.work / f"data-{args.customers}-{args.seed}", args.work / "graphrisk.db"
    if not db.exists():
        generate_dataset(args.customers, args.seed, data)
        with EmbeddedGraphStore(db) as store:
            ingest_directory(store, data, reports_dir=args.work / "reports")
    policy = load_policy()
    settings = ScoringSettings.from_policy(policy)
    rng = np.random.default_rng(args.seed)
    with EmbeddedGraphStore(db) as store:
        full_seconds = float("nan")
        if args.model is not None and args.model.exists():
            model = IndividualModel.load(args.model)
            print(f"full score: skipped (model {args.model})")
        else:
            started = time.perf_counter()
            full = score_store(store, policy)
            full_seconds = time.perf_counter() - started
            print(f"full score: {full_seconds:.1f} s ({len(full.scores)} customers)")
            assert full.individual_model is not None
            model = full.individual_model
            if args.model is not None:
                model.save(args.model)
        snapshot = store.snapshot()
        snapshot_accounts = snapshot.accounts[["account_id", "customer_id"]]
        last = pd.to_datetime(snapshot.transactions["timestamp"]).max()
        del snapshot
        rows: list[dict[str, float]] = []
        tag = uuid.uuid4().hex[:6]  # fresh event ids on every run over the same store
        for attempt in range(args.repeat):
            folder = args.work / f"batch-{attempt}"
            _write_batch(folder, snapshot_accounts, args.touched, attempt, rng, last, tag)
            report = ingest_directory(store, folder, keep_accepted=True)
            if report.problems:
                print("batch problems:", [p.line() for p in report.problems][:3])
            changes = ChangeSet.from_frames(report.accepted)
            c0 = time.process_time()
            t0 = time.perf_counter()
            reader = RegionReader(store)
            touched = touched_customers(store, changes, reader=reader)
            t1 = time.perf_counter()
            reached = reach(store, touched, hops=1, settings=settings, reader=reader)
            t2 = time.perf_counter()
            result = rescore(store, policy, reached, settings=settings,
                             individual_model=model, reader=reader)
            t3 = time.perf_counter()
            c3 = time.process_time()
            rows.append({"touched": len(touched), "reach": len(reached), "reads": reader.reads,
                         "t_touched": t1 - t0,
                         "t_reach": t2 - t1, "t_rescore": t3 - t2, "total": t3 - t0,
                         "total_cpu": c3 - c0,
                         **{f"rescore.{k}": v for k, v in result.timings.items()}})
            print(f"batch {attempt}: touched {len(touched)}, reach {len(reached)}, "
                  f"{t3 - t0:.3f} s (touched {t1 - t0:.3f}, reach {t2 - t1:.3f}, "
                  f"rescore {t3 - t2:.3f}; cpu {c3 - c0:.3f} s)")
    table = pd.DataFrame(rows)
    print("\nover", len(table), "batches:", f"{'median':>10s} {'p95':>10s}")
    for column in table.columns:
        print(f"  {column:28s} {statistics.median(table[column]):10.4f} "
              f"{table[column].quantile(0.95):10.4f}")
    print(f"  {'full score (once)':28s} {full_seconds:.4f}")


def _write_batch(folder: Path, accounts: pd.DataFrame, touched: int, attempt: int,
                 rng: np.random.Generator, last: pd.Timestamp, tag: str) -> None:
    """New payments between random customers (two touched each) and a few new shared
    devices, dated just after the data's last transaction (never in the future)."""
    folder.mkdir(parents=True, exist_ok=True)
    owned = accounts.drop_duplicates("customer_id")
    pairs = touched // 2 - 5
    picks = owned.sample(2 * pairs + 10, random_state=int(rng.integers(1 << 31)))
    ids, customers = picks["account_id"].tolist(), picks["customer_id"].tolist()
    when = last + pd.Timedelta(hours=1 + attempt)
    pd.DataFrame([{
        "transaction_id": f"TB{tag}-{attempt}-{i}", "from_account_id": ids[2 * i],
        "from_counterparty_id": "", "to_account_id": ids[2 * i + 1], "to_counterparty_id": "",
        "amount": float(rng.choice([45.0, 180.0, 2500.0, 9400.0])), "currency": "EUR",
        "timestamp": (when + pd.Timedelta(minutes=7 * i)).strftime("%Y-%m-%dT%H:%M:%S"),
        "channel": "online", "transaction_type": "transfer",
    } for i in range(pairs)]).to_csv(folder / "transactions.csv", index=False)
    pd.DataFrame([{"customer_id": customers[2 * pairs + i], "kind": "device",
                   "value": f"DEV-B{tag}-{attempt}-{i // 2}",
                   "first_seen": when.strftime("%Y-%m-%d")}
                  for i in range(10)]).to_csv(folder / "identifiers.csv", index=False)


if __name__ == "__main__":
    main()

"""The graph model in the score: its weight learned on the customers whose labels it did not
train on, against the model as a noisy-OR term on top (issue 14, item 4).

Usage::

    python benchmarks/bench_model_fusion.py             # default, outside_like; seeds 23-25
    python benchmarks/bench_model_fusion.py --profiles default --seeds 1 --customers 3000

For each generator profile and seed:

1. generates the bank (``generate_dataset(..., profile=NAME)``, as ``bench_robustness``) and
   loads it into a fresh embedded store;
2. trains a graph model as ``graphrisk train --model hgt --epochs N`` does
   (``RiskService.train``: the oldest 60 % of the customers train, the next 20 % choose the
   epoch and the calibration, the newest 20 % are held out);
3. scores the bank three ways, nothing written: **without** the model; **learned**, as
   ``graphrisk score --model`` does (the model joins the learned fusion in a second stage
   fitted on the known labels of the validation and test customers, whose labels its loss
   never saw: :func:`graphrisk.analytics.fusion.add_model_stage`);
   and **on top**, the model as a noisy-OR term over the learned analytics score (what a run
   does where the model folder does not say which customers it trained on, and what every
   run did before);
4. measures, on the customers of the model's test split whose risk was not told (no label
   of theirs reached the model, its epoch, its calibration or the fusion; their neighbours'
   did, as they would for a new customer), against the generator's truth:
   ROC-AUC, PR-AUC and recall in the top 5 % of each score and of the model's probability
   alone.

Progress goes to stderr; one line per run and a pooled markdown table (means over seeds) to
stdout.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from bench_robustness import log, profile_names  # noqa: E402  (benchmarks/ is on the path)

from graphrisk.analytics.evaluation import pr_auc, recall_at_top, roc_auc
from graphrisk.config import Settings
from graphrisk.ingestion.generator import generate_dataset
from graphrisk.scoring import score_store
from graphrisk.service import RiskService

TOP_FRACTION = 0.05
WAYS = ("model alone", "without the model", "model on top", "model learned")


def measure(profile: str, customers: int, seed: int, work: Path, *, model: str, epochs: int,
            log=lambda _: None) -> dict[str, tuple[float, float, float]]:
    """ROC-AUC, PR-AUC and recall in the top 5 % per way of scoring, for one bank."""
    from graphrisk.models.artifacts import load_model, read_seen_customers
    from graphrisk.models.dataset import build_graph_dataset
    from graphrisk.models.training import predict

    started = time.perf_counter()
    data, home = work / "data", work / "home"
    log(f"[{profile} seed {seed}] generating {customers:,} customers")
    generate_dataset(customers, seed, data, watchlists=False, profile=profile)
    with RiskService.open(Settings(home=home, store="embedded")) as service:  # type: ignore[arg-type]
        service.ingest_folder(data)
        log(f"[{profile} seed {seed}] training {model} ({epochs} epochs)")
        run = service.train(out=work / "model", model=model, epochs=epochs)
        trained = load_model(run.path)
        probability = predict(trained, build_graph_dataset(service.store.snapshot(),
                                                           encoders=trained.encoders))
        seen = read_seen_customers(run.path)
        log(f"[{profile} seed {seed}] scoring three ways")
        without = score_store(service.store, service.policy, write=False)
        on_top = score_store(service.store, service.policy, write=False,
                             model_probability=probability)
        learned = score_store(service.store, service.policy, write=False,
                              model_probability=probability, model_seen=seen)
    log(f"[{profile} seed {seed}] {learned.fusion_summary()}")
    truth = pd.read_csv(data / "truth" / "ground_truth.csv").set_index("customer_id")
    scores = learned.scores.set_index("customer_id")
    held_out = run.split.index[run.split == "test"]
    measured = held_out[scores["known_risk_label"].reindex(held_out).isna().to_numpy()]
    risky = truth["risky"].reindex(measured).fillna(0).astype(int)
    values = {
        "model alone": probability,
        "without the model": without.scores.set_index("customer_id")["score"],
        "model on top": on_top.scores.set_index("customer_id")["score"],
        "model learned": scores["score"],
    }
    figures = {way: (roc_auc(risky, v.reindex(measured).astype(float)),
                     pr_auc(risky, v.reindex(measured).astype(float)),
                     recall_at_top(risky, v.reindex(measured).astype(float), TOP_FRACTION))
               for way, v in values.items()}
    log(f"[{profile} seed {seed}] {len(measured):,} held-out unknown customers "
        f"({int(risky.sum())} risky), {time.perf_counter() - started:.0f} s: " + "; ".join(
            f"{way} {' / '.join(f'{x:.3f}' for x in f)}" for way, f in figures.items()))
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=5_000)
    parser.add_argument("--seed", type=int, default=23)
    parser.add_argument("--seeds", type=int, default=3, help="consecutive seeds to pool")
    parser.add_argument("--profiles", default="default,outside_like")
    parser.add_argument("--model", default="hgt", help="the architecture trained (or auto)")
    parser.add_argument("--epochs", type=int, default=200)
    parser.add_argument("--work", type=Path, help="keep the banks here (default: temporary)")
    args = parser.parse_args(argv)
    names = profile_names(parser, args.profiles)
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-model-fusion-") as scratch:
        root = args.work or Path(scratch)
        for name in names:
            runs = [measure(name, args.customers, seed,
                            root / f"{name}-{args.customers}-seed{seed}", model=args.model,
                            epochs=args.epochs, log=log)
                    for seed in range(args.seed, args.seed + args.seeds)]
            rows.append((name, {way: np.mean([r[way] for r in runs], axis=0) for way in WAYS},
                         sum(r["model learned"][1] >= r["model on top"][1] for r in runs),
                         len(runs)))
    print(f"The graph model ({args.model}, {args.epochs} epochs) in the score: "
          f"{args.customers:,} customers, seeds {args.seed}-{args.seed + args.seeds - 1}, "
          "means; figures on the model's test customers whose risk was not told. "
          "ROC-AUC / PR-AUC / recall top 5%:\n")
    print("| profile | " + " | ".join(WAYS) + " | learned >= on top (PR-AUC) |")
    print("|---|" + "---|" * (len(WAYS) + 1))
    for name, means, wins, count in rows:
        print(f"| {name} | " + " | ".join(" / ".join(f"{x:.3f}" for x in means[way])
                                           for way in WAYS) + f" | {wins} of {count} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The individual component learned from the labels, or label-free, at k known labels.

Usage::

    python benchmarks/bench_label_free.py                    # default, outside_like; k 10,20,all
    python benchmarks/bench_label_free.py --profiles default --known 6,10 --seeds 1
    python benchmarks/bench_label_free.py --fdcompcn          # also FDCompCN's test companies

Why: a bank with fewer confirmed labels than the cross-fitting folds gets the label-free
individual component (``graphrisk/analytics/unusualness.py``); one with more gets the model
learned from them. Whether learning from 10, 20 or a few dozen positive-unlabelled labels of
caught groups beats "how unusual are the factors together" is measured here, not assumed.

For each generator profile, seed and ``k`` (``all``: every label the generator told):

1. generates the bank (as ``bench_robustness``), keeps ``k`` of its known labels at random
   (seed 0) and blanks the others, and loads it into a fresh embedded store;
2. scores it twice, nothing written: the individual component learned from the ``k``
   labels (the default), and label-free (``ScoringSettings(label_free=True)``); the rest of
   the pipeline is the same (the learned fusion, from 10 labels on);
3. measures the fused score on the customers without a label, against the generator's
   truth: ROC-AUC, PR-AUC and recall in the top 5%, and the individual component alone
   (and, on stderr, how many of them each tier holds and how many of those are risky).

With ``--fdcompcn`` the same two runs on FDCompCN (``graphrisk import fdcompcn --labels
train,valid``: every label of the authors' train and valid companies), measured on the
authors' test companies: a bank whose own customer features carry the signal, which the
label-free component does not read.

One line per run goes to stderr; a markdown table (means over seeds) to stdout.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from dataclasses import replace
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
WAYS = ("learned", "label-free")


def keep_labels(customers_csv: Path, k: int | None, seed: int = 0) -> int:
    """Blank every known label of ``customers_csv`` but ``k`` drawn at random (``None``:
    keep them all); returns how many are kept."""
    customers = pd.read_csv(customers_csv, dtype=str, keep_default_na=False)
    labelled = np.flatnonzero(customers["known_risk_label"].ne("").to_numpy())
    if k is None or k >= len(labelled):
        return len(labelled)
    kept = set(np.random.default_rng(seed).choice(labelled, k, replace=False).tolist())
    dropped = [i for i in labelled if i not in kept]
    customers.loc[dropped, ["known_risk_label", "known_risk_source"]] = ""
    customers.to_csv(customers_csv, index=False)
    return k


def measure(data: Path, home: Path, truth: pd.Series) -> dict[str, tuple[float, ...]]:
    """Per way: the fused score's ROC-AUC, PR-AUC, recall top 5%, and the individual
    component's ROC-AUC, on the customers without a label that ``truth`` judges."""
    figures = {}
    with RiskService.open(Settings(home=home, store="embedded")) as service:  # type: ignore[arg-type]
        service.ingest_folder(data)
        base = service.scoring_settings()
        for way in WAYS:
            scored = score_store(service.store, service.policy,
                                 replace(base, label_free=way == "label-free"), write=False)
            scores = scored.scores.set_index("customer_id")
            scores = scores[scores["known_risk_label"].isna()]
            y = truth.reindex(scores.index).dropna().astype(int)
            s = scores.reindex(y.index)
            figures[way] = (roc_auc(y, s["score"]), pr_auc(y, s["score"]),
                            recall_at_top(y, s["score"], TOP_FRACTION),
                            roc_auc(y, s["individual"]))
            tiers = ", ".join(
                f"{tier} {int(chosen.sum()):,} ({int(y[chosen].sum()):,} risky)"
                for tier in ("high", "medium") for chosen in [s["tier"] == tier])
            log(f"  {way}: tiers of the customers measured: {tiers}")
    return figures


def generated(profile: str, customers: int, seed: int, k: int | None, work: Path
              ) -> tuple[int, dict[str, tuple[float, ...]]]:
    data = work / "data"
    generate_dataset(customers, seed, data, watchlists=False, profile=profile)
    kept = keep_labels(data / "customers.csv", k)
    truth = pd.read_csv(data / "truth" / "ground_truth.csv").set_index("customer_id")["risky"]
    return kept, measure(data, work / "home", truth)


def fdcompcn(work: Path) -> tuple[int, dict[str, tuple[float, ...]]]:
    from graphrisk.ingestion.fdcompcn import (
        convert_fdcompcn,
        default_fdcompcn_dir,
        read_fdcompcn_nodes,
    )

    source = default_fdcompcn_dir()
    nodes = read_fdcompcn_nodes(source)
    convert_fdcompcn(source, work / "data", label_splits=("train", "valid"))
    test = nodes[nodes["split"] == "test"].set_index("customer_id")["label"]
    kept = int(nodes["split"].isin(["train", "valid"]).mul(nodes["label"]).sum())
    return kept, measure(work / "data", work / "home", test)


def row(name: str, runs: list[tuple[int, dict[str, tuple[float, ...]]]]) -> str:
    kept = np.mean([k for k, _ in runs])
    cells = []
    for way in WAYS:
        mean = np.mean([figures[way] for _, figures in runs], axis=0)
        cells.append(" / ".join(f"{v:.3f}" for v in mean[:3]) + f" ({mean[3]:.3f})")
    return f"| {name} | {kept:.0f} | " + " | ".join(cells) + " |"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=5_000)
    parser.add_argument("--seed", type=int, default=23)
    parser.add_argument("--seeds", type=int, default=2)
    parser.add_argument("--profiles", default="default,outside_like")
    parser.add_argument("--known", default="10,20,all",
                        help="comma-separated label counts to keep (all: every one)")
    parser.add_argument("--fdcompcn", action="store_true",
                        help="also FDCompCN (../shared/datasets/fdcompcn)")
    args = parser.parse_args(argv)
    names = profile_names(parser, args.profiles)
    counts = [None if k == "all" else int(k) for k in args.known.split(",")]
    lines = []
    with tempfile.TemporaryDirectory(prefix="bench-label-free-") as scratch:
        root = Path(scratch)
        for name in names:
            for k in counts:
                runs = []
                for seed in range(args.seed, args.seed + args.seeds):
                    work = root / f"{name}-{k}-{seed}"
                    runs.append(generated(name, args.customers, seed, k, work))
                    log(f"[{name} seed {seed}, k={k}] " + "; ".join(
                        f"{way} " + "/".join(f"{v:.3f}" for v in figures)
                        for way, figures in runs[-1][1].items()))
                    shutil.rmtree(work, ignore_errors=True)
                lines.append(row(f"{name}, k={'all' if k is None else k}", runs))
        if args.fdcompcn:
            lines.append(row("FDCompCN (test companies)", [fdcompcn(root / "fdcompcn")]))
    print(f"Fused score with the individual component learned or label-free ({args.customers:,}"
          f" customers, seeds {args.seed}-{args.seed + args.seeds - 1}, means; customers "
          "without a label): ROC-AUC / PR-AUC / recall top 5% (the individual component's "
          "ROC-AUC)\n")
    print("| bank, labels kept | labels | learned | label-free |")
    print("|---|---|---|---|")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())

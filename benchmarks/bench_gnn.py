"""GNN risk models on generated data: quality against three baselines, speed and memory.

Usage::

    python benchmarks/bench_gnn.py                                  # 20,000 customers
    python benchmarks/bench_gnn.py --customers 100000 --models sage --skip-baselines \\
        --batch-size 2048                                           # the speed check
    python benchmarks/bench_gnn.py --split hash --json gnn.json     # hash split, figures
    python benchmarks/bench_gnn.py --models hgt --fusion --plots /tmp/gnnplots
                                                                    # model weight, plots

What it does, on a generated bank (seeded; data and embedded store cached under ``--work``,
by default ``~/.cache/graphrisk/bench-gnn``):

1. **Split.** Every customer goes to ``train`` (the 60 % onboarded first), ``validation``
   (the next 20 %) or ``test`` (the 20 % onboarded last) — a time-ordered split, as a bank
   would train on its past and score its newest customers (``--split hash`` splits by a hash
   of the id instead). The split is ``graphrisk train``'s
   (:func:`graphrisk.models.lifecycle.split_customers_for_training`). The test split's known labels
   are wiped from the snapshot every model and baseline sees. The GNNs learn from the
   training labels and use the validation labels for early stopping and calibration; the
   gradient-boosting baselines learn from the training labels only.
2. **GNNs** (``--models``, default ``sage,hgt``): :func:`graphrisk.models.training.train_model` on
   the training split, early stopping and calibration on validation, then scoring of every
   customer; training time, scoring time (graph build with the stored encoders plus
   prediction, as for a new snapshot), the time to explain one of the top-scored customers
   (``--explain``, :mod:`graphrisk.models.explain`) and peak memory (max RSS of this process
   so far).
3. **Baselines**, trained on the same split:

   a. ``hgb features``: the graph-feature trees
      (:func:`graphrisk.analytics.graph_features.fit_graph_feature_trees`: gradient boosting
      with the individual model's settings, cross-fitted on the training split, every other
      customer scored by the mean of the fold models) on the GNN's own customer features,
      without a graph;
   b. ``hgb features+graph``: the same trees on the customer graph
      (:mod:`graphrisk.analytics.customer_graph`): the customer's own factors, weighted
      degree, shared-identifier degree, ring and money-community sizes and risk propagated
      from the training split's known customers (personalised PageRank, out of fold for
      training customers), and the mean, max and sum of the neighbours' factors and of
      their known labels (the training split's, out of fold) — so that nobody's own label
      feeds their features;
   c. ``analytics score``: :func:`graphrisk.scoring.score_customers` (the fused 0-100
      ``score``) on the snapshot without test labels (training and validation labels are
      its seeds and its individual model's labels).

4. **Quality**, with :func:`graphrisk.analytics.evaluation.evaluate_scores` (ROC-AUC, PR-AUC,
   recall in the top 1 %, and in the top 5 %):

   * held-out known: test customers, target = has a known label;
   * unknown (test): test customers without a known label, target = hidden truth
     (``truth/ground_truth.csv``, ``risky``);
   * unknown (all): every customer without a known label — including training customers,
     whom the supervised models saw as negatives;
   * by typology: the share of each planted typology's risky unknown test customers in the
     top 5 % of the unknown test customers.

5. **Fusion** (``--fusion``): the weight of the ``model`` component of
   :func:`graphrisk.scoring.score_customers` (the GNN's probability fused with the analytics
   evidence), searched over :data:`FUSION_WEIGHTS`, together with the weight of the
   ``individual`` component over :data:`INDIVIDUAL_FUSION_WEIGHTS` (the GNN reads the same
   features, so the features-only model may only add its false alarms), the other weights at
   their defaults. A second table shows where fusing gains or loses: each analytics component
   alone, the GNN alone and rank blends of the two, on the validation and on the test
   customers without a label (hidden truth).
   Chosen on validation, quoted on test: the weight is the one with the best PR-AUC on the
   validation customers against their known labels, with the analytics run on a snapshot
   that holds the *training* labels only (so a validation customer's own label is not
   evidence for it; the GNN still saw the validation labels for early stopping and
   calibration). The test figures use the analytics on the snapshot with training and
   validation labels, as every other score here. The hidden-truth PR-AUC of the validation
   customers without a known label is printed beside it for information only; it does not
   choose. The fused score with the chosen weight joins the quality tables.

6. **Plots** (``--plots DIR``): ``top5pct_by_typology.png``, the by-typology table as grouped
   bars (one bar per score), and ``pr_unknown_test.png``, the precision-recall curves of every
   score on the unknown test customers against the hidden truth.
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import logging
import resource
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
from generated_bank import prepare_generated_bank
from scipy import sparse

from graphrisk.analytics.customer_graph import (
    IDENTIFIER_KINDS,
    CustomerGraph,
    build_customer_graph,
)
from graphrisk.analytics.evaluation import (
    evaluate_scores,
    only_labels_of,
    pr_auc,
    recall_at_top,
)
from graphrisk.analytics.factors import FACTOR_COLUMNS
from graphrisk.analytics.graph_features import fit_graph_feature_trees
from graphrisk.analytics.network import NetworkSettings, PythonNetworkEngine
from graphrisk.analytics.propagation import propagate_risk
from graphrisk.graph import GraphSnapshot
from graphrisk.models.lifecycle import split_customers_for_training
from graphrisk.policy import load_policy
from graphrisk.scoring import COMPONENTS, ScoringSettings, fuse_components, score_customers
from graphrisk.store.embedded import EmbeddedGraphStore

DEFAULT_WORK = Path.home() / ".cache" / "graphrisk" / "bench-gnn"
SPLITS = ("train", "validation", "test")
_TOP_TYPOLOGY_SHARE = 0.05
#: The weights of the ``model`` component tried by ``--fusion``.
FUSION_WEIGHTS: tuple[float, ...] = (0.0, 0.25, 0.5, 0.75, 1.0)
#: ... and of the ``individual`` component (the features-only model, which the GNN subsumes).
INDIVIDUAL_FUSION_WEIGHTS: tuple[float, ...] = (0.0, 0.5, 1.0)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=23,
                        help="generator seed (23, as bench_analytics quotes)")
    parser.add_argument("--work", type=Path, default=DEFAULT_WORK)
    parser.add_argument("--models", default="sage,hgt", help="comma-separated model kinds")
    parser.add_argument("--split", choices=("time", "hash"), default="time")
    parser.add_argument("--hidden", type=int, default=64)
    parser.add_argument("--layers", type=int, default=2)
    parser.add_argument("--epochs", type=int, default=200)
    parser.add_argument("--patience", type=int, default=25)
    parser.add_argument("--lr", type=float, default=0.005)
    parser.add_argument("--batch-size", type=int, default=None,
                        help="training customers per mini-batch (default: full batch)")
    parser.add_argument("--num-neighbors", default="15,10",
                        help="sampled edges per node and edge type, per layer")
    parser.add_argument("--train-seed", type=int, default=0, help="seed of the GNN training")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--explain", type=int, default=5,
                        help="time the explanation of this many top-scored customers (0: none)")
    parser.add_argument("--skip-baselines", action="store_true")
    parser.add_argument("--save-models", type=Path, help="write each model's folder here")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--fusion", action="store_true",
                        help="search the weight of the model component of the fused score")
    parser.add_argument("--plots", type=Path,
                        help="write the by-typology bars and the PR curves (PNG) here")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")

    figures: dict[str, object] = {"customers": args.customers, "seed": args.seed,
                                  "split": args.split}
    data_dir, home = prepare_generated_bank(args.work, args.customers, args.seed)
    started = time.perf_counter()
    with EmbeddedGraphStore(home / "graphrisk.db") as store:
        snapshot = store.snapshot()
    figures["read_snapshot_seconds"] = time.perf_counter() - started
    truth = pd.read_csv(data_dir / "truth" / "ground_truth.csv").set_index("customer_id")
    customers = snapshot.customers.drop_duplicates("customer_id").set_index("customer_id")
    known = customers["known_risk_label"].notna().astype(int).sort_index()
    risky = truth["risky"].reindex(known.index).fillna(0).astype(int)
    typology = truth["typology"].reindex(known.index)

    split, kind = split_customers_for_training(customers, args.split)
    if kind != args.split:
        print(f"note: the onboarding dates are all missing or equal; {kind} split instead")
        figures["split"] = kind
    train = split.index[split == "train"]
    # No model or baseline sees a test label.
    masked = only_labels_of(snapshot, split.index[split != "test"])
    counts = {s: {"customers": int((split == s).sum()),
                  "known": int(known[split.index[split == s]].sum())} for s in SPLITS}
    figures["splits"] = counts
    print(f"\n{args.customers:,} customers (seed {args.seed}), {kind} split: "
          + "; ".join(f"{s} {c['customers']:,} ({c['known']} known)" for s, c in counts.items()))

    scores: dict[str, pd.Series] = {}
    timings: dict[str, dict[str, float]] = {}
    for kind in [m.strip() for m in args.models.split(",") if m.strip()]:
        scores[f"gnn {kind}"], timings[f"gnn {kind}"] = _gnn(kind, masked, train, split, args)
    if not args.skip_baselines:
        baseline_scores, baseline_timings = _baselines(masked, train, split, args.threads)
        scores.update(baseline_scores)
        timings.update(baseline_timings)
    if args.fusion:
        gnns = {name: s for name, s in scores.items() if name.startswith("gnn ")}
        figures["fusion"], fused = _fusion(snapshot, gnns, known, risky, split)
        scores.update(fused)
    figures["timings"] = timings
    _print_timings(timings)
    figures["quality"] = _quality(scores, known, risky, typology, split)
    if args.plots:
        _plot(args.plots, scores, figures["quality"]["top5pct_by_typology"], risky, known,
              split)
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2, default=float))
        print(f"figures written to {args.json}")
    return 0


# --------------------------------------------------------------------------------------------
# Memory
# --------------------------------------------------------------------------------------------


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# --------------------------------------------------------------------------------------------
# GNN
# --------------------------------------------------------------------------------------------


def _gnn(kind: str, snapshot: GraphSnapshot, train: pd.Index, split: pd.Series,
         args: argparse.Namespace) -> tuple[pd.Series, dict[str, float]]:
    from graphrisk.models.artifacts import save_model
    from graphrisk.models.dataset import build_graph_dataset
    from graphrisk.models.training import TrainConfig, predict, train_model

    print(f"\n== GNN {kind} ==")
    started = time.perf_counter()
    dataset = build_graph_dataset(snapshot)
    build_seconds = time.perf_counter() - started
    config = TrainConfig(
        model=kind, hidden=args.hidden, layers=args.layers, epochs=args.epochs,
        patience=args.patience, lr=args.lr, batch_size=args.batch_size,
        num_neighbors=tuple(int(k) for k in args.num_neighbors.split(","))[: args.layers],
        threads=args.threads, device=args.device, seed=args.train_seed)
    validation = split.index[split == "validation"]
    trained = train_model(dataset, train, validation, config)
    train_peak = _peak_mb()
    # Scoring as for a new snapshot: the graph built with the stored encoders, then predict.
    started = time.perf_counter()
    fresh = build_graph_dataset(snapshot, encoders=trained.encoders)
    probabilities = predict(trained, fresh)
    score_seconds = time.perf_counter() - started
    explain_seconds = float("nan")
    if args.explain:
        from graphrisk.models.explain import explain_customers

        started = time.perf_counter()
        explain_customers(trained, fresh, probabilities.nlargest(args.explain).index,
                          snapshot=snapshot)
        explain_seconds = (time.perf_counter() - started) / args.explain
    figures = {
        "build_graph_seconds": build_seconds,
        "train_seconds": trained.train_seconds,
        "epochs_run": len(trained.history),
        "best_epoch": trained.best_epoch,
        "seconds_per_epoch": float(np.mean([h["seconds"] for h in trained.history])),
        "best_validation_pr_auc": trained.best_validation_pr_auc,
        "score_seconds": score_seconds,
        "explain_seconds_per_customer": explain_seconds,
        "peak_mb_after_training": train_peak,
        "peak_mb": _peak_mb(),
    }
    print(f"trained in {trained.train_seconds:.1f} s ({len(trained.history)} epochs, best "
          f"{trained.best_epoch}, validation PR-AUC {trained.best_validation_pr_auc:.3f}); "
          f"scored {len(probabilities):,} customers in {score_seconds:.1f} s; "
          + (f"explained one in {explain_seconds:.2f} s; " if args.explain else "") + "peak "
          f"{_peak_mb():,.0f} MB")
    if args.save_models:
        save_model(trained, dataset, args.save_models / kind,
                   metrics={"best_validation_pr_auc": trained.best_validation_pr_auc})
    return probabilities, figures


# --------------------------------------------------------------------------------------------
# Baselines
# --------------------------------------------------------------------------------------------


def _baselines(snapshot: GraphSnapshot, train: pd.Index, split: pd.Series,
               threads: int) -> tuple[dict[str, pd.Series], dict[str, dict[str, float]]]:
    from graphrisk.models.dataset import build_graph_dataset

    print("\n== Baselines ==")
    dataset = build_graph_dataset(snapshot)
    ids = pd.Index(dataset.customer_ids, name="customer_id")
    features = pd.DataFrame(dataset.data["customer"].x.numpy(), index=ids,
                            columns=dataset.encoders.feature_names("customer"))
    known = dataset.labels.reindex(ids).astype(bool) & ids.isin(train)
    timings: dict[str, dict[str, float]] = {}
    scores: dict[str, pd.Series] = {}

    def fit_and_score(name: str, x: pd.DataFrame, graph: CustomerGraph | None,
                      extra_seconds: float = 0.0) -> None:
        started = time.perf_counter()
        if graph is None:  # no neighbour aggregates at all: an empty graph
            graph = CustomerGraph(ids.to_numpy(), sparse.csr_matrix((len(ids), len(ids))))
            aggregate: list[str] = []
        else:  # the neighbours' factors (the GNN's customer features include them)
            aggregate = list(FACTOR_COLUMNS)
        trees = fit_graph_feature_trees(x, graph, known, train=train, aggregate=aggregate,
                                        labels=bool(aggregate), threads=threads)
        scores[name] = trees.scores
        timings[name] = {"train_and_score_seconds": time.perf_counter() - started
                         + extra_seconds, "peak_mb": _peak_mb()}
        print(f"{name}: {timings[name]['train_and_score_seconds']:.1f} s")

    fit_and_score("hgb features", features, None)
    started = time.perf_counter()
    graph, structure = _graph_features(snapshot, ids, train)
    graph_seconds = time.perf_counter() - started
    fit_and_score("hgb features+graph", features.join(structure), graph, graph_seconds)

    started = time.perf_counter()
    result = score_customers(snapshot, PythonNetworkEngine(snapshot), load_policy())
    scores["analytics score"] = result.scores.set_index("customer_id")["score"].reindex(ids)
    timings["analytics score"] = {"train_and_score_seconds": time.perf_counter() - started,
                                  "peak_mb": _peak_mb()}
    print(f"analytics score: {timings['analytics score']['train_and_score_seconds']:.1f} s")
    return scores, timings


def _fold(ids: pd.Index, folds: int) -> np.ndarray:
    return np.array([int.from_bytes(hashlib.blake2b(str(i).encode(), digest_size=4).digest(),
                                    "little") % folds for i in ids])


def _graph_features(snapshot: GraphSnapshot, ids: pd.Index, train: pd.Index,
                    folds: int = 5) -> tuple[CustomerGraph, pd.DataFrame]:
    """The customer graph, and per customer its structural features.

    The neighbours' factors and known labels are aggregated by
    :func:`~graphrisk.analytics.graph_features.fit_graph_feature_trees`; here are the
    customer's weighted degree, shared-identifier degree, ring and community
    sizes, and risk propagated from the training customers' known labels (out of fold for
    training customers, so that nobody's own label feeds their features).
    """
    graph = build_customer_graph(snapshot)
    order = pd.Index(graph.customer_ids).get_indexer(ids)
    if (order < 0).any():
        raise RuntimeError("customer graph lacks customers")
    weighted = graph.adjacency[order][:, order].tocsr()
    identifiers = build_customer_graph(snapshot, weights={k: 1.0 for k in IDENTIFIER_KINDS})
    id_order = pd.Index(identifiers.customer_ids).get_indexer(ids)
    shared = np.diff(identifiers.adjacency[id_order][:, id_order].tocsr().indptr)
    network = PythonNetworkEngine(snapshot).analyse({}, NetworkSettings())
    ring_size = network.rings.map(network.rings.value_counts()).reindex(ids).fillna(0)
    community_size = (network.communities.map(network.communities.value_counts())
                      .reindex(ids).fillna(0))

    # Propagated risk: a training customer in fold f sees only the training labels outside
    # fold f; everyone else sees every training label.
    is_train = ids.isin(train)
    labelled = snapshot.customers.loc[snapshot.customers["known_risk_label"].notna(),
                                      "customer_id"]
    known = ids.isin(labelled) & is_train
    fold = _fold(ids, folds)
    oriented = replace(graph, customer_ids=ids.to_numpy(), adjacency=weighted)
    risk = _propagated(oriented, ids[known]) * 1.0
    for f in range(folds):
        seeds = known & (fold != f)
        in_fold = is_train & (fold == f)
        # Fewer seeds put more mass on each; rescale to the all-seeds scale.
        scale = seeds.sum() / max(known.sum(), 1)
        risk[in_fold] = _propagated(oriented, ids[seeds])[in_fold] * scale
    structure = pd.DataFrame(dict(
        graph_weighted_degree=np.asarray(weighted.sum(axis=1)).ravel(),
        shared_identifier_degree=shared,
        ring_size=ring_size.to_numpy(),
        community_size=community_size.to_numpy(),
        propagated_risk=risk,
    ), index=ids)
    return oriented, structure


def _propagated(graph, seeds: pd.Index) -> np.ndarray:
    return propagate_risk(graph, {s: 1.0 for s in seeds}).to_numpy()


# --------------------------------------------------------------------------------------------
# Reporting
# --------------------------------------------------------------------------------------------


def _print_timings(timings: dict[str, dict[str, float]]) -> None:
    print("\n== Time and memory ==")
    frame = pd.DataFrame(timings).T
    with pd.option_context("display.width", 160):
        print(frame.round(2).to_string())


def _quality(scores: dict[str, pd.Series], known: pd.Series, risky: pd.Series,
             typology: pd.Series, split: pd.Series) -> dict:
    test = split.index[split == "test"]
    unknown_test = test[known.reindex(test) == 0]
    unknown_all = known.index[known == 0]
    out = {}
    for title, target, among in (
        ("held-out known (test customers, target: known label)", known, test),
        ("unknown, test (target: hidden truth)", risky, unknown_test),
        ("unknown, all (training ones were negatives; target: hidden truth)", risky,
         unknown_all),
    ):
        table = evaluate_scores(target, scores, among=among)
        # The top 1 % can hold fewer customers than there are positives; 5 % shows more.
        table.insert(4, "recall_at_5pct", [
            recall_at_top(target.reindex(among), s.reindex(among), 0.05)
            for s in scores.values()])
        print(f"\n== {title} ==")
        print(f"{len(among):,} customers, {int(target.reindex(among).sum()):,} positives")
        print(table.drop(columns=["positives", "customers"]).round(3).to_string(index=False))
        out[title] = table.to_dict(orient="records")

    part = pd.DataFrame({name: s.reindex(unknown_test) for name, s in scores.items()})
    top = part.rank(ascending=False, method="first") <= len(part) * _TOP_TYPOLOGY_SHARE
    positive = risky.reindex(unknown_test) == 1
    kinds = typology.reindex(unknown_test)[positive]
    caught = top[positive.to_numpy()].groupby(kinds.to_numpy()).mean()
    caught.insert(0, "customers", kinds.value_counts().reindex(caught.index))
    print(f"\n== share of risky unknown test customers in the top "
          f"{_TOP_TYPOLOGY_SHARE:.0%}, by typology ==")
    with pd.option_context("display.width", 200):
        print(caught.round(2).to_string())
    out["top5pct_by_typology"] = caught.to_dict(orient="index")
    return out


# --------------------------------------------------------------------------------------------
# Fusion
# --------------------------------------------------------------------------------------------


def _fusion(snapshot: GraphSnapshot, gnns: dict[str, pd.Series], known: pd.Series,
            risky: pd.Series, split: pd.Series) -> tuple[dict, dict[str, pd.Series]]:
    """The ``model`` weight per GNN: chosen on validation, quoted on test (module docstring)."""
    validation = split.index[split == "validation"]
    test = split.index[split == "test"]
    unknown_validation = validation[known.reindex(validation) == 0]
    unknown_test = test[known.reindex(test) == 0]
    print("\n== Fusion: weight of the model component ==")
    # The analytics components do not depend on the model: run them once per label set.
    components = {}
    for name, keep in (("train labels", split.index[split == "train"]),
                       ("train+validation labels", split.index[split != "test"])):
        started = time.perf_counter()
        part = only_labels_of(snapshot, keep)
        result = score_customers(part, PythonNetworkEngine(part), load_policy())
        components[name] = result.scores.set_index("customer_id")[[*COMPONENTS, "score"]]
        print(f"analytics on the snapshot with {name}: {time.perf_counter() - started:.1f} s")
    defaults = ScoringSettings().weights
    out: dict[str, dict] = {}
    fused: dict[str, pd.Series] = {}
    for name, probability in gnns.items():
        rows, quoted_by_weight = [], {}
        for individual, weight in itertools.product(INDIVIDUAL_FUSION_WEIGHTS, FUSION_WEIGHTS):
            weights = {**defaults, "individual": individual, "model": weight}
            score = {}
            for label_set, frame in components.items():
                frame = frame.assign(model=probability.reindex(frame.index).fillna(0.0))
                score[label_set] = pd.Series(fuse_components(frame, weights), index=frame.index)
            chooser = score["train labels"]
            quoted = quoted_by_weight[(individual, weight)] = score["train+validation labels"]
            rows.append({
                "individual_weight": individual,
                "model_weight": weight,
                "validation_pr_auc_known": pr_auc(known.reindex(validation),
                                                  chooser.reindex(validation)),
                "validation_pr_auc_unknown_truth": pr_auc(
                    risky.reindex(unknown_validation), chooser.reindex(unknown_validation)),
                "test_pr_auc_known": pr_auc(known.reindex(test), quoted.reindex(test)),
                "test_pr_auc_unknown_truth": pr_auc(risky.reindex(unknown_test),
                                                    quoted.reindex(unknown_test)),
                "test_recall_at_5pct_unknown_truth": recall_at_top(
                    risky.reindex(unknown_test), quoted.reindex(unknown_test), 0.05),
            })
        table = pd.DataFrame(rows)
        # The first best: on a tie, the smaller weight.
        best_row = table.loc[table["validation_pr_auc_known"].idxmax()]
        chosen_individual = float(best_row["individual_weight"])
        chosen = float(best_row["model_weight"])
        fused[f"{name} + analytics (w={chosen:g}, individual {chosen_individual:g})"] = (
            quoted_by_weight[(chosen_individual, chosen)])
        print(f"\n{name}: chosen on validation (known labels, analytics with training labels "
              "only); quoted on test")
        print(table.round(4).to_string(index=False))
        print(f"chosen model weight for {name}: {chosen:g} (default {defaults['model']:g}), "
              f"individual weight {chosen_individual:g} (default {defaults['individual']:g})")
        out[name] = {"table": table.to_dict(orient="records"), "chosen_weight": chosen,
                     "chosen_individual_weight": chosen_individual,
                     "diagnosis": _fusion_diagnosis(components, probability, risky,
                                                    unknown_validation, unknown_test)}
    return out, fused


def _fusion_diagnosis(components: dict[str, pd.DataFrame], probability: pd.Series,
                      risky: pd.Series, unknown_validation: pd.Index,
                      unknown_test: pd.Index) -> dict:
    """Where fusing gains or loses: PR-AUC against the hidden truth on the validation and on
    the test customers without a label, of each analytics component alone, of the GNN alone
    and of rank blends of the GNN with the analytics score."""
    chooser, quoted = components["train labels"], components["train+validation labels"]
    candidates = {f"component {c}": (chooser[c], quoted[c])
                  for c in COMPONENTS if c not in ("known", "model")}
    candidates["GNN alone"] = (probability, probability)
    for share in (0.5, 0.7):
        candidates[f"rank blend: {share:g} GNN, {1 - share:g} analytics score"] = tuple(
            share * probability.reindex(frame.index).rank(pct=True)
            + (1 - share) * frame["score"].rank(pct=True) for frame in (chooser, quoted))
    table = pd.DataFrame({
        name: {"validation_unknown_pr_auc": pr_auc(risky.reindex(unknown_validation),
                                                   v.reindex(unknown_validation)),
               "test_unknown_pr_auc": pr_auc(risky.reindex(unknown_test),
                                             t.reindex(unknown_test))}
        for name, (v, t) in candidates.items()}).T
    print("\nwhere fusing gains or loses (hidden truth, customers without a label):")
    print(table.round(3).to_string())
    return table.to_dict(orient="index")


# --------------------------------------------------------------------------------------------
# Plots
# --------------------------------------------------------------------------------------------


def _plot(folder: Path, scores: dict[str, pd.Series], by_typology: dict, risky: pd.Series,
          known: pd.Series, split: pd.Series) -> None:
    """The by-typology table as grouped bars and the PR curves on the unknown test customers."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from sklearn.metrics import precision_recall_curve

    folder.mkdir(parents=True, exist_ok=True)
    _plot_typologies(folder, by_typology, list(scores))

    test = split.index[split == "test"]
    unknown_test = test[known.reindex(test) == 0]
    y = risky.reindex(unknown_test).to_numpy(dtype=int)
    figure, axes = plt.subplots(figsize=(7, 5))
    for name, score in scores.items():
        s = score.reindex(unknown_test).to_numpy(dtype=float)
        precision, recall, _ = precision_recall_curve(y, s)
        axes.step(recall, precision, where="post",
                  label=f"{name} (PR-AUC {pr_auc(y, s):.3f})")
    axes.axhline(y.mean(), linestyle="--", color="grey", label=f"chance ({y.mean():.3f})")
    axes.set_xlabel("recall: share of risky unknown test customers found")
    axes.set_ylabel("precision")
    axes.set_xlim(0, 1)
    axes.set_ylim(0, 1.02)
    axes.set_title(f"Unknown test customers ({len(y):,}, {int(y.sum())} risky): hidden truth")
    axes.legend(fontsize="small", loc="lower left")
    figure.tight_layout()
    figure.savefig(folder / "pr_unknown_test.png", dpi=110)
    plt.close(figure)
    print(f"plots written to {folder}")


def _plot_typologies(folder: Path, by_typology: dict, names: list[str]) -> None:
    """``top5pct_by_typology.png``: the by-typology table of :func:`_quality` as grouped bars."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    table = pd.DataFrame(by_typology).T
    names = [n for n in names if n in table.columns]
    width_inches = min(16.0, max(8.0, 0.25 * len(table) * len(names) + 3.0))
    figure, axes = plt.subplots(figsize=(width_inches, 5.0))
    x = np.arange(len(table))
    width = 0.8 / max(len(names), 1)
    for j, name in enumerate(names):
        axes.bar(x + (j - (len(names) - 1) / 2) * width, table[name].astype(float), width,
                 label=name)
    axes.set_xticks(x, [f"{t} ({int(c)})" for t, c in zip(table.index, table["customers"],
                                                         strict=True)],
                    rotation=30, ha="right")
    axes.set_ylabel(f"share in the top {_TOP_TYPOLOGY_SHARE:.0%}")
    axes.set_ylim(0, 1.05)
    axes.set_title(f"Risky unknown test customers in the top {_TOP_TYPOLOGY_SHARE:.0%}, by "
                   "typology (customers)")
    axes.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.0, 1.0))
    figure.tight_layout()
    figure.savefig(folder / "top5pct_by_typology.png", dpi=110)
    plt.close(figure)


if __name__ == "__main__":
    sys.exit(main())

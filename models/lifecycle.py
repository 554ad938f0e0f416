"""Train a model on a store, keep it on disk, score a store with it: what the CLI runs.

Why a module: ``graphrisk train`` and ``graphrisk predict`` (and notebooks) need the same
steps — snapshot, dataset, an honest split, training, held-out figures, a model folder,
predictions written back to the store — and the CLI must stay a thin shell around them.

The split: every customer is placed by a hash of its id (independent of row order and of the
store) into ``train`` (60 %), ``validation`` (20 %, early stopping and calibration) or
``test`` (20 %, never seen in training): the figures stored with the model are the test
customers' — ROC-AUC, PR-AUC and recall in the top 1 % against their known labels.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from graphrisk.analytics.evaluation import TEST, VALIDATION, pr_auc, recall_at_top, roc_auc
from graphrisk.analytics.evaluation import split_customers as _halves
from graphrisk.errors import ModelError
from graphrisk.policy import RiskPolicy
from graphrisk.store.base import GraphStore

__all__ = ["TRAIN", "TrainingRun", "predict_store", "split_three_ways", "train_on_store"]

TRAIN = "train"
Progress = Callable[[str], None]


@dataclass(frozen=True)
class TrainingRun:
    """A finished ``graphrisk train``: where the model went and what it scored on test."""

    path: Path
    metrics: dict[str, Any]
    best_epoch: int
    train_seconds: float


def split_three_ways(customer_ids: pd.Index, *, seed: int = 0) -> pd.Series:
    """``train`` / ``validation`` / ``test`` per customer (60/20/20), by a hash of the id."""
    first = _halves(customer_ids, validation_share=0.4, seed=seed)
    held_out = first.index[first == VALIDATION]
    second = _halves(held_out, validation_share=0.5, seed=seed + 1)
    split = pd.Series(TRAIN, index=first.index, name="split", dtype=object)
    split[second.index[second == VALIDATION]] = VALIDATION
    split[second.index[second == TEST]] = TEST
    return split


def train_on_store(
    store: GraphStore,
    out: Path,
    *,
    model: str = "hgt",
    epochs: int = 200,
    seed: int = 0,
    batch_size: int | None = None,
    progress: Progress | None = None,
) -> TrainingRun:
    """Train a GNN on the store's known risk labels and save it to ``out``.

    Raises:
        ModelError: too few known-risk customers in a split to train or measure.
    """
    from models.artifacts import save_model
    from models.dataset import build_graph_dataset
    from models.report import write_training_report
    from models.training import TrainConfig, predict, train_model

    step = progress or (lambda _: None)
    step("reading the graph")
    snapshot = store.snapshot()
    step("building the graph dataset")
    dataset = build_graph_dataset(snapshot)
    labels = dataset.labels
    split = split_three_ways(pd.Index(labels.index), seed=seed)
    parts = {name: split.index[split == name] for name in (TRAIN, VALIDATION, TEST)}
    for name, ids in parts.items():
        if labels.reindex(ids).sum() < 2:
            raise ModelError(f"the {name} split holds fewer than 2 customers with a known risk "
                             "label; label more confirmed cases (known_risk_label) and re-load")
    config = TrainConfig(model=model, epochs=epochs, seed=seed, batch_size=batch_size)
    step(f"training {model} (up to {epochs} epochs)")
    trained = train_model(dataset, parts[TRAIN], parts[VALIDATION], config)
    step("measuring on held-out customers")
    test_ids = parts[TEST]
    probability = predict(trained, dataset, test_ids)
    y = labels.reindex(test_ids)
    metrics = {
        "test_customers": int(len(test_ids)),
        "test_known_risk": int(y.sum()),
        "test_roc_auc": roc_auc(y, probability),
        "test_pr_auc": pr_auc(y, probability),
        "test_recall_at_1pct": recall_at_top(y, probability, 0.01),
        "split": "hash of customer id, 60/20/20 train/validation/test",
    }
    step("saving the model")
    path = save_model(trained, dataset, out, metrics=metrics, config=config)
    write_training_report(path, y_true=y, probability=probability, metrics=metrics,
                          history=trained.history,
                          title=f"{model} on {dataset.num_customers:,} customers: held-out "
                                "precision-recall")
    return TrainingRun(path, metrics, trained.best_epoch, trained.train_seconds)


def predict_store(
    store: GraphStore,
    model_dir: Path,
    policy: RiskPolicy,
    *,
    write: bool = True,
    progress: Progress | None = None,
) -> tuple[str, pd.DataFrame]:
    """Score every customer of ``store`` with a saved model; store the run when ``write``.

    Returns:
        The run id and one row per customer: ``customer_id``, ``probability``, ``score``
        (``100 * probability``), ``tier`` (by the policy) and ``reasons``.
    """
    from models.artifacts import load_model
    from models.dataset import build_graph_dataset
    from models.training import predict

    step = progress or (lambda _: None)
    step("loading the model")
    trained = load_model(model_dir)
    step("reading the graph")
    snapshot = store.snapshot()
    step("building the graph dataset")
    dataset = build_graph_dataset(snapshot, encoders=trained.encoders)
    step("scoring")
    started = time.perf_counter()
    probability = predict(trained, dataset)
    scores = pd.DataFrame({"customer_id": probability.index,
                           "probability": probability.to_numpy()})
    scores["score"] = np.round(100.0 * scores["probability"], 2)
    scores["tier"] = policy.tier_of(scores["score"]).to_numpy()
    kind = trained.config.model
    scores["reasons"] = [[f"{kind} model gives a {p:.0%} probability of a confirmed risk "
                          "label"] for p in scores["probability"]]
    scores = scores.sort_values(["score", "customer_id"], ascending=[False, True],
                                ignore_index=True)
    created = datetime.now(UTC)
    run_id = f"{created:%Y%m%dT%H%M%SZ}-gnn"
    if write:
        step("storing the predictions")
        store.write_scores(run_id, f"gnn:{kind}",
                           {"model": str(model_dir), "seconds": time.perf_counter() - started},
                           scores)
    return run_id, scores

"""Train a model on a store, keep it on disk, score a store with it: what the CLI runs.

Why a module: ``graphrisk train`` and ``graphrisk predict`` (and notebooks) need the same
steps — snapshot, dataset, an honest split, training, held-out figures, a model folder,
predictions written back to the store — and the CLI must stay a thin shell around them.

The split (:func:`split_customers_for_training`), 60 % ``train``, 20 % ``validation`` (early
stopping and calibration), 20 % ``test`` (never seen in training): the figures stored with
the model are the test customers' — ROC-AUC, PR-AUC and recall in the top 1 % against their
known labels.

* ``time`` (the default, :func:`split_by_time`): the customers onboarded first train, the
  next validate, the newest test — as a bank trains on its past and scores its newest
  customers. Where onboarding dates are all missing or all equal there is no time to order
  by, and the split falls back to ``hash`` (the run's metrics say so).
* ``hash`` (:func:`split_three_ways`): every customer is placed by a hash of its id,
  independent of row order and of the store.

``model="auto"`` (``graphrisk train --model auto``) does not take the architecture on
trust: repeated stratified cross-validation over the ``train`` and ``validation`` customers'
known labels (never the ``test`` ones) compares the candidates (``hgt`` and ``sage``) fold by
fold, and :func:`~models.selection.decide_architecture` keeps the better one when the paired
difference of their PR-AUC exceeds two corrected standard errors, else an ensemble that
averages their calibrated probabilities (:mod:`graphrisk.models.ensemble`). The chosen
model(s) are then trained and measured exactly as a named architecture is; the selection
(every fold's figures, means, standard deviations, the decision and why) is
``metrics["selection"]``, and an ensemble's test figures are those of its averaged
probability (each member's are in ``metrics["members"]``).

Confirmed negatives (``negative_ids`` of :func:`train_on_store`: customers whose case closed
as a false positive) fall into the splits like everyone else, by onboarding date or hash —
the split never looks at labels. In ``train`` and ``validation`` they weigh more in the loss
(:mod:`graphrisk.models.training`); in ``test`` they are ordinary negatives of the figures. A
customer with a known risk label stays positive even if it also has a negative label. How
many were used, per split, is in ``metrics`` and in ``model.json``'s
``confirmed_negatives``.

What the time split does not do: the graph is one snapshot. Test customers are nodes of the
training graph (without labels in the loss), and every customer's transactions, identifiers
and accounts as of the snapshot feed the features and messages, whenever they happened. The
split is inductive in *labels* and *onboarding order*, not in graph time. Truncating the
training graph to the transactions before the first test customer's onboarding was
considered and not done: in the generated banks every transaction postdates every onboarding
(one year of activity after up to 25 years of onboarding), so the truncated graph would hold
no transactions at all.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass, replace
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

__all__ = [
    "AUTO",
    "SPLIT_KINDS",
    "TRAIN",
    "TrainingRun",
    "explain_store",
    "predict_store",
    "split_by_time",
    "split_customers_for_training",
    "split_three_ways",
    "train_on_store",
]

TRAIN = "train"
#: The ``model`` of :func:`train_on_store` that chooses the architecture by cross-validation.
AUTO = "auto"
#: The ways :func:`split_customers_for_training` can split: ``time`` first.
SPLIT_KINDS: tuple[str, ...] = ("time", "hash")
Progress = Callable[[str], None]
_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TrainingRun:
    """A finished ``graphrisk train``: where the model went and what it scored on test.

    ``split`` is ``train`` / ``validation`` / ``test`` per customer id.
    """

    path: Path
    metrics: dict[str, Any]
    best_epoch: int
    train_seconds: float
    split: pd.Series


def split_three_ways(customer_ids: pd.Index, *, seed: int = 0) -> pd.Series:
    """``train`` / ``validation`` / ``test`` per customer (60/20/20), by a hash of the id."""
    first = _halves(customer_ids, validation_share=0.4, seed=seed)
    held_out = first.index[first == VALIDATION]
    second = _halves(held_out, validation_share=0.5, seed=seed + 1)
    split = pd.Series(TRAIN, index=first.index, name="split", dtype=object)
    split[second.index[second == VALIDATION]] = VALIDATION
    split[second.index[second == TEST]] = TEST
    return split


def split_by_time(onboarding: pd.Series, *, seed: int = 0) -> pd.Series:
    """``train`` / ``validation`` / ``test`` per customer by onboarding date (60/20/20).

    The customers are ordered by onboarding date, oldest first; customers onboarded on the
    same day are ordered by a keyed hash of their id (``seed`` is the key), so the order
    depends neither on row order nor on which other customers are present. Customers without
    a date (missing or unreadable) come last, i.e. in ``test``. The first 60 % are
    ``train``, the next 20 % ``validation``, the newest 20 % ``test``.

    Args:
        onboarding: onboarding date (anything :func:`pandas.to_datetime` reads) per customer
            id (the index).
        seed: key of the tie-breaking hash; any non-negative integer.

    Returns:
        The split per customer id, in the order of ``onboarding``, named ``split``.

    Raises:
        ValueError: ``seed`` is negative or the ids are not unique.
    """
    if seed < 0:
        raise ValueError(f"seed must be non-negative, got {seed}")
    if not onboarding.index.is_unique:
        raise ValueError("customer ids must be unique to split them")
    ids = onboarding.index
    when = pd.to_datetime(onboarding, errors="coerce").to_numpy(dtype="datetime64[ns]")
    key = seed.to_bytes(8, "little")
    tie = np.fromiter(
        (int.from_bytes(hashlib.blake2b(str(i).encode(), digest_size=8, key=key).digest(),
                        "little") for i in ids),
        dtype=np.uint64, count=len(ids))
    missing = np.isnat(when)
    days = np.where(missing, 0, when.astype("int64"))
    # np.lexsort sorts by the last key first: missing dates last, then date, then the hash.
    order = np.lexsort((tie, days, missing))
    rank = np.empty(len(ids), dtype=np.float64)
    rank[order] = np.arange(len(ids)) / max(len(ids), 1)
    labels = np.where(rank < 0.6, TRAIN, np.where(rank < 0.8, VALIDATION, TEST))
    return pd.Series(labels, index=ids, name="split", dtype=object)


def split_customers_for_training(
    customers: pd.DataFrame, how: str = "time", *, seed: int = 0
) -> tuple[pd.Series, str]:
    """The 60/20/20 split of :func:`train_on_store` and ``benchmarks/bench_gnn.py``.

    Args:
        customers: one row per customer, indexed by ``customer_id``; ``time`` reads its
            ``onboarding_date`` column.
        how: ``time`` (:func:`split_by_time`) or ``hash`` (:func:`split_three_ways`).
        seed: the hash key (tie-breaking for ``time``).

    Returns:
        The split per customer id (in ``customers``' order) and the kind actually used:
        ``hash`` where ``time`` was asked for but the onboarding dates are all missing or
        all equal (a warning is logged).

    Raises:
        ValueError: ``how`` is not one of :data:`SPLIT_KINDS`.
    """
    if how not in SPLIT_KINDS:
        raise ValueError(f"unknown split {how!r}; use one of {SPLIT_KINDS}")
    if how == "time":
        dates = customers.get("onboarding_date", pd.Series(pd.NaT, index=customers.index))
        if pd.to_datetime(dates, errors="coerce").nunique(dropna=True) > 1:
            return split_by_time(dates, seed=seed), "time"
        _log.warning("onboarding dates are all missing or all equal: splitting by a hash of "
                     "the customer id instead of by time")
    return split_three_ways(pd.Index(customers.index), seed=seed), "hash"


def train_on_store(
    store: GraphStore,
    out: Path,
    *,
    model: str = "hgt",
    epochs: int = 200,
    seed: int = 0,
    batch_size: int | None = None,
    split: str = "time",
    progress: Progress | None = None,
    negative_ids: Collection[str] | None = None,
    selection: Any | None = None,
) -> TrainingRun:
    """Train a GNN on the store's known risk labels and save it to ``out``.

    Args:
        model: an architecture (:data:`~models.networks.MODEL_KINDS`), or :data:`AUTO`: the
            better of ``selection.candidates`` by cross-validation, or their ensemble when
            the difference is within noise (the module docstring; :mod:`~models.selection`).
        negative_ids: customers confirmed as negatives (monitoring's ``labels()`` with
            ``label == "negative"``); see :func:`~models.dataset.build_graph_dataset` for
            precedence and unknown ids. ``None`` or empty: trained as before.
        split: ``time`` (oldest 60 % of the customers train, newest 20 % test; ``hash`` when
            the store has no onboarding dates to order by) or ``hash``; see
            :func:`split_customers_for_training`. The kind used is ``metrics["split"]``.
        selection: the :class:`~models.selection.SelectionConfig` of ``model="auto"``
            (folds, repeats, epochs per fold, the decision rule); ``None``: its defaults.

    Raises:
        ModelError: too few known-risk customers in a split to train or measure (or, for
            ``auto``, to cross-validate).
        ValueError: an unknown ``split`` or ``model``.
    """
    from graphrisk.models.networks import MODEL_KINDS

    if split not in SPLIT_KINDS:
        raise ValueError(f"unknown split {split!r}; use one of {SPLIT_KINDS}")
    if model != AUTO and model not in MODEL_KINDS:
        raise ValueError(f"unknown model {model!r}; use one of {(AUTO, *MODEL_KINDS)}")
    from graphrisk.models.artifacts import save_model
    from graphrisk.models.dataset import build_graph_dataset
    from graphrisk.models.ensemble import build_ensemble
    from graphrisk.models.report import write_training_report
    from graphrisk.models.selection import (
        SelectionConfig,
        labels_needed,
        select_architecture,
        selection_record,
    )
    from graphrisk.models.training import TrainConfig, predict, train_model

    choosing = selection or SelectionConfig()
    step = progress or (lambda _: None)
    step("reading the graph")
    snapshot = store.snapshot()
    step("building the graph dataset")
    dataset = build_graph_dataset(snapshot, negative_ids=negative_ids)
    labels = dataset.labels
    customers = (snapshot.customers.drop_duplicates("customer_id").set_index("customer_id")
                 .reindex(labels.index))
    assigned, split_kind = split_customers_for_training(customers, split, seed=seed)
    parts = {name: assigned.index[assigned == name] for name in (TRAIN, VALIDATION, TEST)}
    for name, ids in parts.items():
        if labels.reindex(ids).sum() < 2:
            raise ModelError(f"the {name} split holds fewer than 2 customers with a known risk "
                             "label; label more confirmed cases (known_risk_label) and re-load")
    config = TrainConfig(model=choosing.candidates[0] if model == AUTO else model,
                         epochs=epochs, seed=seed, batch_size=batch_size)
    if dataset.num_confirmed_negatives:
        step(f"{dataset.num_confirmed_negatives:,} confirmed negatives weigh "
             f"{config.negative_weight:g} each in the loss")
    kinds: tuple[str, ...] = (model,)
    chosen: dict[str, Any] | None = None
    if model == AUTO:
        started = time.perf_counter()
        # Only the customers the final model learns from: the test split stays untouched.
        pool = parts[TRAIN].append(parts[VALIDATION])
        known = int(labels.reindex(pool).sum())
        if min(known, len(pool) - known) < labels_needed(choosing.folds):
            # Too few to compare: the first candidate, as if named, and the record says why.
            kinds = (choosing.candidates[0],)
            chosen = {"settings": choosing.to_dict(), "decision": kinds[0],
                      "members": list(kinds), "summary": {}, "differences": [], "folds": [],
                      "seconds": 0.0,
                      "reason": f"not cross-validated: {known:,} train and validation customers "
                                f"with a known risk label, {choosing.folds} folds need "
                                f"{labels_needed(choosing.folds)}; {kinds[0]} was trained as "
                                "if named"}
            step(chosen["reason"])
        else:
            decision, table = select_architecture(dataset, labels.reindex(pool), config,
                                                  choosing, progress=step)
            chosen = selection_record(decision, table, choosing, time.perf_counter() - started)
            kinds = decision.members
    members = []
    for kind in kinds:
        step(f"training {kind} (up to {epochs} epochs)")
        members.append(train_model(dataset, parts[TRAIN], parts[VALIDATION],
                                   replace(config, model=kind)))
    trained = members[0] if len(members) == 1 else build_ensemble(members)
    step("measuring on held-out customers")
    test_ids = parts[TEST]
    probability = predict(trained, dataset, test_ids)
    y = labels.reindex(test_ids)
    metrics: dict[str, Any] = {
        "model": trained.kind,
        "model_requested": model,
        "test_customers": int(len(test_ids)),
        "test_known_risk": int(y.sum()),
        **_test_figures(y, probability),
        "confirmed_negatives": dataset.num_confirmed_negatives,
        **{f"confirmed_negatives_{name}": int(dataset.confirmed_negatives.isin(ids).sum())
           for name, ids in parts.items()},
        "negative_labels_overridden_by_known_risk":
            dataset.negative_labels["overridden_by_known_risk"],
        "negative_labels_not_in_store": dataset.negative_labels["not_in_snapshot"],
        "split": split_kind,
        "split_requested": split,
        "split_detail": ("onboarding date (ties by a hash of the id): oldest 60 % train, next "
                         "20 % validation, newest 20 % test; one graph snapshot for all"
                         if split_kind == "time" else
                         "hash of customer id, 60/20/20 train/validation/test"),
    }
    if len(members) > 1:
        metrics["members"] = {
            m.config.model: {**_test_figures(y, predict(m, dataset, test_ids)),
                             "best_epoch": m.best_epoch}
            for m in members}
    if chosen is not None:
        metrics["selection"] = chosen
    if split_kind == "time":
        onboarded = pd.to_datetime(customers["onboarding_date"], errors="coerce")
        last, first = onboarded.reindex(parts[TRAIN]).max(), onboarded.reindex(test_ids).min()
        metrics["train_onboarded_until"] = None if pd.isna(last) else str(last.date())
        metrics["test_onboarded_from"] = None if pd.isna(first) else str(first.date())
    step("saving the model")
    path = save_model(trained, dataset, out, metrics=metrics, split=assigned)
    write_training_report(path, y_true=y, probability=probability, metrics=metrics,
                          history=trained.history,
                          title=f"{trained.kind} on {dataset.num_customers:,} customers: "
                                "held-out precision-recall")
    return TrainingRun(path, metrics, trained.best_epoch, trained.train_seconds, assigned)


def _test_figures(y: pd.Series, probability: pd.Series) -> dict[str, float]:
    return {"test_roc_auc": roc_auc(y, probability), "test_pr_auc": pr_auc(y, probability),
            "test_recall_at_1pct": recall_at_top(y, probability, 0.01)}


def predict_store(
    store: GraphStore,
    model_dir: Path,
    policy: RiskPolicy,
    *,
    write: bool = True,
    explain_top: int = 10,
    progress: Progress | None = None,
) -> tuple[str, pd.DataFrame]:
    """Score every customer of ``store`` with a saved model; store the run when ``write``.

    Args:
        explain_top: the highest-scored customers whose reasons come from
            :func:`graphrisk.models.explain.explain_customers` (about a second each); the others'
            reasons quote the probability only.

    Returns:
        The run id and one row per customer: ``customer_id``, ``probability``, ``score``
        (``100 * probability``), ``tier`` (by the policy) and ``reasons``.
    """
    from graphrisk.models.explain import explain_customers
    from graphrisk.models.training import predict

    step = progress or (lambda _: None)
    trained, snapshot, dataset = _model_and_data(store, model_dir, step)
    step("scoring")
    started = time.perf_counter()
    probability = predict(trained, dataset)
    scores = pd.DataFrame({"customer_id": probability.index,
                           "probability": probability.to_numpy()})
    scores["score"] = np.round(100.0 * scores["probability"], 2)
    scores["tier"] = policy.tier_of(scores["score"]).to_numpy()
    kind = trained.kind
    what = f"{kind} ensemble" if trained.members else f"{kind} model"
    scores["reasons"] = [[f"{what} gives a {p:.0%} probability of a confirmed risk label"]
                         for p in scores["probability"]]
    scores = scores.sort_values(["score", "customer_id"], ascending=[False, True],
                                ignore_index=True)
    if explain_top > 0:
        step(f"explaining the {min(explain_top, len(scores)):,} highest scores")
        explained = explain_customers(trained, dataset, scores["customer_id"].head(explain_top),
                                      snapshot=snapshot, top=3)
        scores["reasons"] = [
            [*reasons, *explained[c].reasons] if c in explained else reasons
            for c, reasons in zip(scores["customer_id"], scores["reasons"], strict=True)]
    created = datetime.now(UTC)
    run_id = f"{created:%Y%m%dT%H%M%SZ}-gnn"
    if write:
        step("storing the predictions")
        store.write_scores(run_id, f"gnn:{kind}",
                           {"model": str(model_dir), "seconds": time.perf_counter() - started},
                           scores)
    return run_id, scores


def explain_store(
    store: GraphStore,
    model_dir: Path,
    customer_ids: list[str],
    *,
    top: int = 5,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Why a saved model scores some customers of ``store`` as it does.

    Returns:
        A :class:`graphrisk.models.explain.ModelExplanation` per customer id.

    Raises:
        ModelError: a customer id is not in the store.
    """
    from graphrisk.models.explain import explain_customers

    step = progress or (lambda _: None)
    trained, snapshot, dataset = _model_and_data(store, model_dir, step)
    missing = sorted(set(customer_ids) - set(dataset.customer_ids))
    if missing:
        raise ModelError(f"no customer {', '.join(missing)} in the {store.kind} store; "
                         "check the id (`graphrisk score` lists customers)")
    step(f"explaining {len(customer_ids):,} customer(s)")
    return explain_customers(trained, dataset, customer_ids, snapshot=snapshot, top=top)


def _model_and_data(store: GraphStore, model_dir: Path, step: Progress) -> tuple[Any, Any, Any]:
    """A saved model, the store's snapshot and the graph built with the model's encoders."""
    from graphrisk.models.artifacts import load_model
    from graphrisk.models.dataset import build_graph_dataset

    step("loading the model")
    trained = load_model(model_dir)
    step("reading the graph")
    snapshot = store.snapshot()
    step("building the graph dataset")
    return trained, snapshot, build_graph_dataset(snapshot, encoders=trained.encoders)

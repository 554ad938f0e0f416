"""``graphrisk train --model auto``: folds, the decision rule, the ensemble and its folder."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from graphrisk.errors import ModelError
from graphrisk.models.selection import (
    ENSEMBLE,
    SelectionConfig,
    cross_validation_folds,
    decide_architecture,
    format_selection,
)
from tests.helpers import SnapshotStore


def _table(figures: dict[str, list[float]], folds: int = 3) -> pd.DataFrame:
    """A fold table from each model's PR-AUC per fold (ROC-AUC alongside, unused)."""
    rows = []
    for model, values in figures.items():
        for at, value in enumerate(values):
            rows.append({"repeat": at // folds, "fold": at % folds, "model": model,
                         "pr_auc": value, "roc_auc": 0.9})
    return pd.DataFrame(rows)


def test_a_clearly_better_architecture_wins_alone() -> None:
    sage = [0.30, 0.42, 0.35, 0.28, 0.40, 0.33]
    hgt = [v + 0.10 + e for v, e in zip(sage, [0.01, -0.01, 0.0, 0.02, -0.02, 0.0],
                                        strict=True)]
    decision = decide_architecture(_table({"sage": sage, "hgt": hgt}))
    assert decision.choice == "hgt" and decision.members == ("hgt",)
    (difference,) = decision.differences
    assert difference["against"] == "sage" and difference["beyond_noise"]
    assert difference["mean"] == pytest.approx(0.10)
    assert decision.summary["hgt"]["pr_auc_mean"] == pytest.approx(np.mean(hgt))
    assert decision.summary["sage"]["pr_auc_sd"] == pytest.approx(np.std(sage, ddof=1))
    assert "better beyond noise" in decision.reason


def test_a_difference_within_noise_gives_an_ensemble_best_first() -> None:
    sage = [0.30, 0.42, 0.35, 0.28, 0.40, 0.33]
    hgt = [v + d for v, d in zip(sage, [0.06, -0.05, 0.04, -0.04, 0.05, -0.03], strict=True)]
    decision = decide_architecture(_table({"sage": sage, "hgt": hgt}))
    assert decision.choice == ENSEMBLE
    assert decision.members == ("hgt", "sage")  # hgt's mean is higher by 0.005
    assert not decision.differences[0]["beyond_noise"]
    assert "averaged" in decision.reason


def test_the_standard_error_counts_the_overlapping_folds() -> None:
    # Mean difference 0.03, sd 0.03 over 6 folds: 2.45 naive standard errors (sd / sqrt 6),
    # but the folds share their training customers: corrected, 1.22 -- within noise.
    diffs = np.array([0.0, 0.06, 0.0, 0.06, 0.03, 0.03])
    diffs = 0.03 + (diffs - diffs.mean()) * 0.03 / diffs.std(ddof=1)
    sage = [0.3] * 6
    hgt = list(0.3 + diffs)
    decision = decide_architecture(_table({"sage": sage, "hgt": hgt}))
    (difference,) = decision.differences
    assert difference["sd"] == pytest.approx(0.03)
    assert difference["mean"] / (difference["sd"] / np.sqrt(6)) > 2
    assert difference["se"] == pytest.approx(0.03 * np.sqrt(1 / 6 + 1 / 2))
    assert decision.choice == ENSEMBLE
    # A lower threshold (or the same difference with no spread) lets hgt win alone.
    assert decide_architecture(_table({"sage": sage, "hgt": hgt}), threshold=1.0).choice == "hgt"
    assert decide_architecture(_table({"sage": sage, "hgt": [0.33] * 6})).choice == "hgt"


def test_with_three_candidates_only_those_within_noise_join_the_best() -> None:
    base = [0.30, 0.42, 0.35, 0.28, 0.40, 0.33]
    noise = [0.06, -0.05, 0.04, -0.04, 0.05, -0.03]
    figures = {"sage": base, "hgt": [v + d for v, d in zip(base, noise, strict=True)],
               "hgt_pyg": [v - 0.2 for v in base]}
    table = pd.concat([_table(figures),
                       _table({ENSEMBLE: [0.9] * 6})])  # summarised, never a candidate
    decision = decide_architecture(table)
    assert decision.choice == ENSEMBLE and decision.members == ("hgt", "sage")
    assert {d["against"]: d["beyond_noise"] for d in decision.differences} == {
        "sage": False, "hgt_pyg": True}
    assert set(decision.summary) == {"sage", "hgt", "hgt_pyg", ENSEMBLE}
    assert any("within noise" in line for line in format_selection({
        "summary": decision.summary, "differences": decision.differences}))


def test_a_decision_needs_two_architectures_on_the_same_folds() -> None:
    with pytest.raises(ValueError, match="two architectures"):
        decide_architecture(_table({"hgt": [0.3] * 6}))
    with pytest.raises(ValueError, match="same folds"):
        decide_architecture(_table({"hgt": [0.3] * 6, "sage": [0.3] * 5}))
    with pytest.raises(ValueError, match="metric"):
        decide_architecture(_table({"hgt": [0.3] * 6, "sage": [0.3] * 6}), metric="f1")
    with pytest.raises(ValueError, match="folds"):
        SelectionConfig(folds=1)
    with pytest.raises(ValueError, match="two different"):
        SelectionConfig(candidates=("hgt", "hgt"))


def test_folds_are_stratified_partitions_of_the_given_customers_only() -> None:
    ids = pd.Index([f"C{i:03d}" for i in range(120)], name="customer_id")
    labels = pd.Series((np.arange(120) % 8 == 0).astype(int), index=ids)  # 15 positives
    folds = cross_validation_folds(labels, folds=3, repeats=2, seed=4)
    assert [(f.repeat, f.fold) for f in folds] == [(r, k) for r in range(2) for k in range(3)]
    for repeat in range(2):
        held = [f.held_ids for f in folds if f.repeat == repeat]
        assert sorted(np.concatenate(held)) == sorted(ids)  # each customer held out once
        assert [int(labels[h].sum()) for h in held] == [5, 5, 5]
    for fold in folds:
        parts = [set(fold.fit_ids), set(fold.stop_ids), set(fold.held_ids)]
        assert set.union(*parts) == set(ids) and sum(map(len, parts)) == len(ids)
        assert labels[fold.stop_ids].sum() >= 1 and labels[fold.fit_ids].sum() >= 1
    # The second deal is another shuffle; row order changes nothing.
    assert not folds[0].held_ids.equals(folds[3].held_ids)
    again = cross_validation_folds(labels.sample(frac=1.0, random_state=2), folds=3,
                                   repeats=2, seed=4)
    assert all(a.held_ids.equals(b.held_ids) and a.stop_ids.equals(b.stop_ids)
               for a, b in zip(folds, again, strict=True))
    with pytest.raises(ModelError, match="at least 9 customers with a known risk label"):
        cross_validation_folds(labels.where(labels.index >= "C056", 0), folds=3)


# --------------------------------------------------------------------------------------------
# The ensemble, and train_on_store(model="auto"), on a generated bank
# --------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_an_ensemble_averages_its_members_and_survives_its_folder(bank, tmp_path) -> None:
    from graphrisk.models.artifacts import load_model, read_model_info, save_model
    from graphrisk.models.dataset import build_graph_dataset
    from graphrisk.models.ensemble import _interp, build_ensemble
    from graphrisk.models.explain import explain_customers
    from graphrisk.models.lifecycle import split_three_ways
    from graphrisk.models.training import TrainConfig, predict, train_model

    dataset = build_graph_dataset(bank[0])
    split = split_three_ways(pd.Index(dataset.customer_ids))
    train, val = split.index[split == "train"], split.index[split == "validation"]
    members = [train_model(dataset, train, val, TrainConfig(model="hgt", epochs=3)),
               train_model(dataset, train, val, TrainConfig(model="sage", epochs=3,
                                                             calibration="isotonic"))]
    ensemble = build_ensemble(members)
    assert ensemble.kind == "hgt+sage"
    averaged = (predict(members[0], dataset) + predict(members[1], dataset)) / 2
    probability = predict(ensemble, dataset)
    np.testing.assert_allclose(probability, averaged, atol=1e-5)
    assert probability.std() > 0

    folder = save_model(ensemble, dataset, tmp_path / "model", metrics={"note": "x"})
    info = read_model_info(folder)
    assert info["model_kind"] == "ensemble" and info["format_version"] == 2
    assert [m["kind"] for m in info["members"]] == ["hgt", "sage"]
    assert not (folder / "model.pt").exists()
    loaded = load_model(folder)
    assert loaded.kind == "hgt+sage" and loaded.info["metrics"] == {"note": "x"}
    np.testing.assert_allclose(predict(loaded, dataset), probability, atol=1e-6)

    top = probability.sort_values(ascending=False).index[:2]
    explained = explain_customers(loaded, dataset, top, snapshot=bank[0], top=3)
    for customer in top:
        assert explained[customer].model == "hgt+sage ensemble"
        assert explained[customer].probability == pytest.approx(probability[customer],
                                                                abs=1e-5)
        assert explained[customer].reasons
    # A single model saved over the ensemble's folder replaces it whole.
    save_model(members[1], dataset, folder)
    assert not (folder / "members").exists() and load_model(folder).kind == "sage"

    import torch

    xp = torch.tensor([0.1, 0.4, 0.4000001, 0.9])
    fp = torch.tensor([0.0, 0.2, 0.5, 1.0])
    values = torch.tensor([0.0, 0.1, 0.25, 0.4, 0.7, 0.95])
    np.testing.assert_allclose(_interp(values, xp, fp).numpy(),
                               np.interp(values.numpy(), xp.numpy(), fp.numpy()), atol=1e-5)


@pytest.mark.slow
def test_auto_cross_validates_on_train_and_validation_only(bank, tmp_path, monkeypatch) -> None:
    from graphrisk.models import training
    from graphrisk.models.lifecycle import TEST, train_on_store

    trained_on: list[set[str]] = []
    predicted: list[set[str]] = []
    real_train, real_predict = training.train_model, training.predict

    def spy_train(dataset, train_ids, val_ids, config):
        trained_on.append(set(train_ids) | set(val_ids))
        return real_train(dataset, train_ids, val_ids, config)

    def spy_predict(trained, dataset, customer_ids=None):
        predicted.append(set(dataset.customer_ids) if customer_ids is None
                         else set(customer_ids))
        return real_predict(trained, dataset, customer_ids)

    monkeypatch.setattr(training, "train_model", spy_train)
    monkeypatch.setattr(training, "predict", spy_predict)
    selection = SelectionConfig(folds=2, repeats=2, epochs=2, threshold=1e6)  # an ensemble
    run = train_on_store(SnapshotStore(bank[0]), tmp_path / "auto",  # type: ignore[arg-type]
                         model="auto", epochs=2, selection=selection)
    test = set(run.split.index[run.split == TEST])
    pool = set(run.split.index) - test
    # 2 x 2 folds x 2 candidates, then the two members: none of them saw a test customer.
    assert len(trained_on) == 2 * 2 * 2 + 2
    assert all(ids <= pool for ids in trained_on)
    cv_measured, final_measured = predicted[:8], predicted[8:]
    assert all(ids <= pool for ids in cv_measured)
    assert final_measured and all(ids == test for ids in final_measured)

    metrics = json.loads((run.path / "model.json").read_text())["metrics"]
    chosen = metrics["selection"]
    assert chosen["decision"] == ENSEMBLE and sorted(chosen["members"]) == ["hgt", "sage"]
    # The members come best first: the one with the higher mean PR-AUC over the folds.
    means = {m: chosen["summary"][m]["pr_auc_mean"] for m in ("hgt", "sage")}
    assert chosen["members"][0] == max(means, key=means.get)
    folds = pd.DataFrame(chosen["folds"])
    # One row per fold and model (the two candidates and the averaged probability).
    assert len(folds) == 2 * 2 * 3
    assert sorted(folds.groupby("model").size().items()) == [
        (ENSEMBLE, 4), ("hgt", 4), ("sage", 4)]
    assert folds[["pr_auc", "roc_auc"]].stack().between(0, 1).all()
    # Each repeat's held folds together are exactly the train and validation customers.
    assert (folds.groupby(["model", "repeat"])["customers"].sum() == len(pool)).all()
    assert metrics["model"] == "+".join(chosen["members"])
    assert set(metrics["members"]) == {"hgt", "sage"}
    assert 0 <= metrics["test_pr_auc"] <= 1


@pytest.mark.slow
def test_auto_with_too_few_labels_for_the_folds_trains_the_first_candidate(bank,
                                                                           tmp_path) -> None:
    from graphrisk.models.artifacts import read_model_info
    from graphrisk.models.lifecycle import train_on_store

    # 40 folds would need 120 known-risk customers among train and validation.
    run = train_on_store(SnapshotStore(bank[0]), tmp_path / "few",  # type: ignore[arg-type]
                         model="auto", epochs=2, selection=SelectionConfig(folds=40))
    chosen = run.metrics["selection"]
    assert chosen["decision"] == "hgt" and chosen["folds"] == []
    assert "not cross-validated" in chosen["reason"] and "need 120" in chosen["reason"]
    info = read_model_info(run.path)
    assert info["model_kind"] == "hgt" and info["metrics"]["model_requested"] == "auto"

"""Training, scoring, determinism and model folders, end to end on a generated bank."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from graphrisk.analytics.evaluation import TEST, VALIDATION, roc_auc, split_customers
from graphrisk.errors import ModelError
from graphrisk.models.artifacts import load_model, read_model_info, save_model
from graphrisk.models.dataset import GraphDataset, build_graph_dataset
from graphrisk.models.training import TrainConfig, TrainedModel, predict, train_model

pytestmark = pytest.mark.slow

QUICK = TrainConfig(model="sage", hidden=32, epochs=60, patience=30, lr=0.01, seed=0)


@pytest.fixture(scope="module")
def dataset(bank) -> GraphDataset:
    return build_graph_dataset(bank[0])


@pytest.fixture(scope="module")
def splits(dataset: GraphDataset) -> dict[str, pd.Index]:
    """Half the customers train, a quarter validate, a quarter test (by hash of id)."""
    first = split_customers(dataset.customer_ids, validation_share=0.5, seed=11)
    rest = first.index[first == TEST]
    second = split_customers(rest, validation_share=0.5, seed=12)
    return {"train": first.index[first == VALIDATION],
            "validation": second.index[second == VALIDATION],
            "test": second.index[second == TEST]}


@pytest.fixture(scope="module")
def trained(dataset: GraphDataset, splits) -> TrainedModel:
    return train_model(dataset, splits["train"], splits["validation"], QUICK)


def test_the_model_beats_chance_on_held_out_customers(dataset, splits, trained, bank) -> None:
    scores = predict(trained, dataset)
    assert scores.index.equals(pd.Index(dataset.customer_ids, name="customer_id"))
    assert scores.between(0.0, 1.0).all()
    test = splits["test"]
    known = dataset.labels
    assert known.reindex(test).sum() >= 3
    # Held-out customers with a known label rank above the rest...
    assert roc_auc(known.reindex(test), scores.reindex(test)) > 0.75
    # ...and among held-out customers nobody labelled, the hidden risky ones rank higher.
    truth = bank[1]["risky"]
    unknown = test[known.reindex(test) == 0]
    assert roc_auc(truth.reindex(unknown), scores.reindex(unknown)) > 0.55


def test_early_stopping_keeps_the_best_epoch_and_calibrates_on_validation(
        dataset, splits, trained) -> None:
    history = pd.DataFrame(trained.history)
    best = history.loc[history["validation_pr_auc"].idxmax()]
    assert trained.best_epoch == int(best["epoch"])
    assert trained.best_validation_pr_auc == pytest.approx(best["validation_pr_auc"])
    assert len(history) <= QUICK.epochs
    assert len(history) == QUICK.epochs or len(history) - trained.best_epoch == QUICK.patience
    # Platt scaling fitted on validation: the mean probability there matches the label rate,
    # although the loss weighted positives ~60 times.
    validation = splits["validation"]
    scores = predict(trained, dataset, validation)
    assert scores.mean() == pytest.approx(dataset.labels.reindex(validation).mean(), abs=0.01)


def test_the_same_seed_gives_the_same_predictions(dataset, splits) -> None:
    config = TrainConfig(model="hgt", hidden=16, epochs=3, seed=4)
    first = predict(train_model(dataset, splits["train"], splits["validation"], config), dataset)
    again = predict(train_model(dataset, splits["train"], splits["validation"], config), dataset)
    assert np.array_equal(first.to_numpy(), again.to_numpy())
    other = TrainConfig(model="hgt", hidden=16, epochs=3, seed=5)
    different = predict(train_model(dataset, splits["train"], splits["validation"], other),
                        dataset)
    assert not np.array_equal(first.to_numpy(), different.to_numpy())


def test_mini_batches_with_sampled_neighbours(dataset, splits) -> None:
    config = TrainConfig(model="sage", hidden=16, epochs=3, batch_size=256,
                         num_neighbors=(8, 4), eval_batch_size=500, seed=1)
    model = train_model(dataset, splits["train"], splits["validation"], config)
    assert len(model.history) == 3
    scores = predict(model, dataset)
    assert np.isfinite(scores.to_numpy()).all() and scores.between(0.0, 1.0).all()
    assert np.array_equal(scores.to_numpy(), predict(model, dataset).to_numpy())
    again = train_model(dataset, splits["train"], splits["validation"], config)
    assert np.array_equal(scores.to_numpy(), predict(again, dataset).to_numpy())


def test_save_and_load_give_identical_predictions(dataset, trained, other_bank,
                                                  tmp_path) -> None:
    folder = save_model(trained, dataset, tmp_path / "sage", metrics={"test_roc_auc": 0.9})
    assert {p.name for p in folder.iterdir()} == {"model.pt", "encoders.json", "model.json"}
    info = read_model_info(folder)
    assert info["format_version"] == 1 and info["model_kind"] == "sage"
    assert info["training_data_fingerprint"] == dataset.fingerprint
    assert info["metrics"] == {"test_roc_auc": 0.9}
    assert info["config"] == QUICK.to_dict()
    for key in ("created_at", "graphrisk_version", "calibration", "architecture"):
        assert info[key]

    loaded = load_model(folder)
    assert np.array_equal(predict(loaded, dataset).to_numpy(),
                          predict(trained, dataset).to_numpy())
    # Inductive use: a new snapshot built with the stored encoders.
    later = build_graph_dataset(other_bank, encoders=loaded.encoders)
    scores = predict(loaded, later)
    assert len(scores) == later.num_customers and scores.between(0.0, 1.0).all()


def test_isotonic_calibration_survives_a_round_trip(dataset, splits, tmp_path) -> None:
    config = TrainConfig(model="sage", hidden=16, epochs=3, calibration="isotonic", seed=2)
    model = train_model(dataset, splits["train"], splits["validation"], config)
    assert model.calibration["method"] == "isotonic"
    scores = predict(model, dataset)
    assert scores.between(0.0, 1.0).all()
    assert scores.nunique() > 1  # a ranking, not a constant
    loaded = load_model(save_model(model, dataset, tmp_path / "isotonic"))
    assert np.array_equal(predict(loaded, dataset).to_numpy(), scores.to_numpy())


def test_a_model_refuses_data_built_with_other_encoders(trained, other_bank) -> None:
    with pytest.raises(ModelError, match="encoders"):
        predict(trained, build_graph_dataset(other_bank))


def test_save_refuses_a_dataset_it_was_not_trained_on(trained, other_bank, tmp_path) -> None:
    later = build_graph_dataset(other_bank, encoders=trained.encoders)
    with pytest.raises(ValueError, match="fingerprints differ"):
        save_model(trained, later, tmp_path / "wrong")


def test_load_refuses_an_unknown_format(dataset, trained, tmp_path) -> None:
    folder = save_model(trained, dataset, tmp_path / "model")
    info = json.loads((folder / "model.json").read_text())
    (folder / "model.json").write_text(json.dumps({**info, "format_version": 99}))
    with pytest.raises(ModelError, match="format version 99"):
        load_model(folder)
    with pytest.raises(ModelError, match="missing"):
        load_model(tmp_path / "nowhere")


def test_bad_splits_and_settings_are_refused(dataset, splits) -> None:
    with pytest.raises(ValueError, match="overlap"):
        train_model(dataset, splits["train"], splits["train"][:50], QUICK)
    unlabelled = splits["validation"][dataset.labels.reindex(splits["validation"]) == 0]
    with pytest.raises(ValueError, match="validation split"):
        train_model(dataset, splits["train"], unlabelled, QUICK)
    with pytest.raises(ValueError, match="not in the dataset"):
        train_model(dataset, ["nobody"], splits["validation"], QUICK)
    with pytest.raises(ValueError, match="one entry per layer"):
        TrainConfig(layers=3, num_neighbors=(10, 5))
    with pytest.raises(ValueError, match="model must be"):
        TrainConfig(model="gcn")

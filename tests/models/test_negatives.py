"""Confirmed negatives (false-positive case outcomes) in the GNN's dataset, loss and records."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import torch

from graphrisk.graph import GraphSnapshot
from graphrisk.models.artifacts import load_model
from graphrisk.models.dataset import GraphDataset, build_graph_dataset
from graphrisk.models.lifecycle import TRAIN, split_three_ways, train_on_store
from graphrisk.models.training import TrainConfig, _weighted_bce, predict, train_model

QUICK = TrainConfig(model="sage", hidden=32, epochs=10, patience=10, lr=0.01, seed=0)


def _same_data(left: GraphDataset, right: GraphDataset) -> None:
    """Every tensor of the two HeteroData is equal, and they hold the same keys."""
    assert left.data.node_types == right.data.node_types
    assert left.data.edge_types == right.data.edge_types
    for a, b in zip(left.data.stores, right.data.stores, strict=True):
        assert set(a.keys()) == set(b.keys())
        for key in a.keys():
            if isinstance(a[key], torch.Tensor):
                assert torch.equal(a[key], b[key]), key
            else:
                assert a[key] == b[key], key
    assert left.fingerprint == right.fingerprint
    assert left.encoders.digest() == right.encoders.digest()


# -- the dataset: flags, precedence, weights ----------------------------------------------

def test_without_negatives_the_dataset_is_what_it_was(tiny_snapshot: GraphSnapshot) -> None:
    plain = build_graph_dataset(tiny_snapshot)
    # The customer store holds what it always did: no new tensor rides along in the data.
    assert set(plain.data["customer"].keys()) == {"x", "y", "num_nodes"}
    assert not plain.confirmed_negative.any() and plain.num_confirmed_negatives == 0
    assert plain.loss_weights(5.0) is None
    assert plain.negative_labels == {"given": 0, "used": 0, "overridden_by_known_risk": 0,
                                     "not_in_snapshot": 0}
    for nothing in (None, [], set(), pd.Index([], dtype=object)):
        _same_data(plain, build_graph_dataset(tiny_snapshot, negative_ids=nothing))


def test_negatives_are_flagged_weighted_and_never_positive(
        tiny_snapshot: GraphSnapshot) -> None:
    plain = build_graph_dataset(tiny_snapshot)
    # C2 carries a known risk label; GHOST is no customer; C3 is given twice.
    given = pd.Index(["C3", "C5", "C2", "GHOST", "C3"])
    dataset = build_graph_dataset(tiny_snapshot, negative_ids=given)
    # Labels are not features: the tensors, the encoders and the fingerprint are unchanged.
    _same_data(plain, dataset)
    assert dataset.labels["C2"] == 1 and dataset.labels[["C3", "C5"]].tolist() == [0, 0]
    assert list(dataset.confirmed_negatives) == ["C3", "C5"]
    assert dataset.negative_labels == {"given": 4, "used": 2, "overridden_by_known_risk": 1,
                                       "not_in_snapshot": 1}
    weights = dataset.loss_weights(5.0)
    assert weights is not None and weights.dtype == torch.float32
    expected = pd.Series(1.0, index=dataset.customer_ids)
    expected[["C3", "C5"]] = 5.0
    np.testing.assert_array_equal(weights.numpy(), expected.to_numpy(dtype=np.float32))
    with pytest.raises(ValueError, match="negative_weight"):
        dataset.loss_weights(0.0)


def test_a_dataset_refuses_a_positive_flagged_negative(tiny_snapshot: GraphSnapshot) -> None:
    plain = build_graph_dataset(tiny_snapshot)
    flags = plain.labels.to_numpy().astype(bool)  # exactly the positives
    with pytest.raises(ValueError, match="known risk label"):
        GraphDataset(plain.data, plain.customer_ids, plain.node_ids, plain.encoders,
                     plain.fingerprint, confirmed_negative=flags)
    with pytest.raises(ValueError, match="one flag per customer"):
        GraphDataset(plain.data, plain.customer_ids, plain.node_ids, plain.encoders,
                     plain.fingerprint, confirmed_negative=np.zeros(2, dtype=bool))


def test_negative_weight_is_a_checked_and_stored_setting() -> None:
    assert TrainConfig().negative_weight == 5.0
    with pytest.raises(ValueError, match="negative_weight"):
        TrainConfig(negative_weight=0.0)
    config = TrainConfig(negative_weight=3.0)
    assert TrainConfig.from_dict(config.to_dict()) == config


def test_the_loss_weighs_each_customer_and_is_unchanged_without_weights() -> None:
    logits = torch.tensor([2.0, -1.0, 0.5, -3.0])
    target = torch.tensor([1.0, 0.0, 0.0, 0.0])
    pos_weight = torch.tensor(30.0)
    loss = _weighted_bce(pos_weight)
    before = torch.nn.BCEWithLogitsLoss(pos_weight=pos_weight)(logits, target)
    assert torch.equal(loss(logits, target, None), before)
    weight = torch.tensor([1.0, 5.0, 1.0, 5.0])
    each = -(30.0 * target * torch.nn.functional.logsigmoid(logits)
             + (1 - target) * torch.nn.functional.logsigmoid(-logits))
    torch.testing.assert_close(loss(logits, target, weight), (weight * each).mean())


# -- training on a generated bank ---------------------------------------------------------

@pytest.fixture(scope="module")
def setting(bank) -> tuple[GraphDataset, pd.Index, pd.Index, pd.Index]:
    """The bank's dataset, a hash split, and as "false positives" the 20 unlabelled training
    customers a model without negatives ranks highest (the ones an alert would have flagged).
    """
    dataset = build_graph_dataset(bank[0])
    split = split_three_ways(pd.Index(dataset.customer_ids))
    train, validation = split.index[split == TRAIN], split.index[split == "validation"]
    baseline = predict(train_model(dataset, train, validation, QUICK), dataset)
    unlabelled = train[dataset.labels.reindex(train).to_numpy() == 0]
    flagged = baseline.reindex(unlabelled).sort_values(ascending=False).head(20).index
    return dataset, train, validation, flagged


@pytest.mark.slow
def test_weight_one_trains_exactly_as_without_negatives(bank, setting) -> None:
    dataset, train, validation, flagged = setting
    with_negatives = build_graph_dataset(bank[0], negative_ids=flagged,
                                         encoders=dataset.encoders)
    for batch_size in (None, 256):
        config = TrainConfig(**{**QUICK.to_dict(), "epochs": 3, "batch_size": batch_size})
        plain = train_model(dataset, train, validation, config)
        neutral = train_model(with_negatives, train, validation,
                              TrainConfig(**{**config.to_dict(), "negative_weight": 1.0}))
        assert neutral.confirmed_negatives == {"train": 20, "validation": 0, "weight": 1.0}
        assert [h["train_loss"] for h in neutral.history] == [
            h["train_loss"] for h in plain.history]
        pd.testing.assert_series_equal(predict(neutral, with_negatives),
                                       predict(plain, dataset))
        # The default weight changes the loss from the first epoch on.
        weighted = train_model(with_negatives, train, validation, config)
        assert weighted.history[0]["train_loss"] > plain.history[0]["train_loss"]


@pytest.mark.slow
def test_confirmed_negatives_are_pushed_down(bank, setting) -> None:
    dataset, train, validation, flagged = setting
    unlabelled = train[dataset.labels.reindex(train).to_numpy() == 0]
    with_negatives = build_graph_dataset(bank[0], negative_ids=flagged,
                                         encoders=dataset.encoders)

    def flagged_rank(model_dataset: GraphDataset, weight: float) -> float:
        """Mean percentile of the flagged customers among unlabelled training customers."""
        config = TrainConfig(**{**QUICK.to_dict(), "negative_weight": weight})
        scores = predict(train_model(model_dataset, train, validation, config), model_dataset)
        return float(scores.reindex(unlabelled).rank(pct=True).reindex(flagged).mean())

    before = flagged_rank(dataset, 5.0)
    assert before > 0.95  # they were the top of the unlabelled customers
    # The default weight pulls them down; a heavier one further.
    default = flagged_rank(with_negatives, TrainConfig().negative_weight)
    assert default < before
    assert flagged_rank(with_negatives, 20.0) < min(default, before - 0.05)


@pytest.mark.slow
def test_the_model_folder_records_the_negatives_used(bank, tmp_path) -> None:
    snapshot = bank[0]

    class Store:
        kind = "embedded"

        def snapshot(self) -> GraphSnapshot:
            return snapshot

    customers = snapshot.customers.drop_duplicates("customer_id").set_index("customer_id")
    unlabelled = customers.index[customers["known_risk_label"].isna()][:40]
    positive = customers.index[customers["known_risk_label"].notna()][0]
    given = [*unlabelled, positive, "GHOST"]
    run = train_on_store(Store(), tmp_path / "model", model="sage",  # type: ignore[arg-type]
                         epochs=2, split="hash", negative_ids=given)
    metrics = run.metrics
    assert metrics["confirmed_negatives"] == 40
    per_split = {name: int(run.split.reindex(unlabelled).eq(name).sum())
                 for name in (TRAIN, "validation", "test")}
    assert {name: metrics[f"confirmed_negatives_{name}"] for name in per_split} == per_split
    assert metrics["negative_labels_overridden_by_known_risk"] == 1
    assert metrics["negative_labels_not_in_store"] == 1
    info = json.loads((run.path / "model.json").read_text())
    assert info["confirmed_negatives"] == {
        "given": 42, "used": 40, "overridden_by_known_risk": 1, "not_in_snapshot": 1,
        "train": per_split[TRAIN], "validation": per_split["validation"], "weight": 5.0}
    assert info["config"]["negative_weight"] == 5.0
    report = json.loads((run.path / "report.json").read_text())
    assert report["metrics"]["confirmed_negatives"] == 40
    assert load_model(run.path).confirmed_negatives == info["confirmed_negatives"]

    # Without negatives the folder says so (zero), rather than nothing.
    plain = train_on_store(Store(), tmp_path / "plain", model="sage",  # type: ignore[arg-type]
                           epochs=2, split="hash")
    assert plain.metrics["confirmed_negatives"] == 0
    assert json.loads((plain.path / "model.json").read_text())["confirmed_negatives"][
        "used"] == 0

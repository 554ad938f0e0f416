"""The split of ``graphrisk train``: by onboarding time by default, by hash of id on request."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from graphrisk.analytics.evaluation import TEST, VALIDATION
from graphrisk.models.artifacts import load_model, read_seen_customers, save_model
from graphrisk.models.dataset import build_graph_dataset
from graphrisk.models.lifecycle import (
    TRAIN,
    split_by_time,
    split_customers_for_training,
    split_three_ways,
    train_on_store,
)
from tests.helpers import SnapshotStore

# Ten customers: C5-C8 onboarded on one day, C9 without a date.
ONBOARDED = pd.Series(
    ["2020-01-03", "2020-01-01", "2020-01-02", "2020-01-04", "2021-06-01", "2021-06-01",
     "2021-06-01", "2021-06-01", "2022-01-01", None],
    index=pd.Index([f"C{i}" for i in range(10)], name="customer_id"))


def test_the_oldest_customers_train_and_the_newest_test() -> None:
    split = split_by_time(ONBOARDED)
    assert split.index.equals(ONBOARDED.index)
    assert split.value_counts().to_dict() == {TRAIN: 6, VALIDATION: 2, TEST: 2}
    when = pd.to_datetime(ONBOARDED)
    assert set(split[when < "2021-06-01"]) == {TRAIN}
    # The customer onboarded last, and the one without a date, are tested on.
    assert split["C8"] == TEST and split["C9"] == TEST
    # The four customers onboarded on one day straddle the train/validation cut: two each.
    same_day = split[["C4", "C5", "C6", "C7"]]
    assert sorted(same_day) == [TRAIN, TRAIN, VALIDATION, VALIDATION]


def test_ties_are_broken_by_a_hash_not_by_row_order() -> None:
    split = split_by_time(ONBOARDED)
    shuffled = ONBOARDED.sample(frac=1.0, random_state=1)
    pd.testing.assert_series_equal(split_by_time(shuffled).reindex(split.index), split)
    # Another seed re-deals only the customers onboarded on the same day.
    seeds = pd.DataFrame({seed: split_by_time(ONBOARDED, seed=seed) for seed in range(8)})
    changed = seeds.nunique(axis=1) > 1
    assert changed.any()
    assert set(changed.index[changed]) <= {"C4", "C5", "C6", "C7"}


def test_without_dates_to_order_by_the_split_falls_back_to_the_hash() -> None:
    same_day = pd.DataFrame({"onboarding_date": "2020-01-01"}, index=ONBOARDED.index)
    for customers in (same_day, same_day.assign(onboarding_date=None), same_day[[]]):
        split, kind = split_customers_for_training(customers, "time")
        assert kind == "hash"
        pd.testing.assert_series_equal(split, split_three_ways(ONBOARDED.index))
    split, kind = split_customers_for_training(ONBOARDED.to_frame("onboarding_date"), "time")
    assert kind == "time"
    pd.testing.assert_series_equal(split, split_by_time(ONBOARDED))
    with pytest.raises(ValueError, match="unknown split"):
        split_customers_for_training(same_day, "random")
    with pytest.raises(ValueError, match="unique"):
        split_by_time(pd.concat([ONBOARDED, ONBOARDED]))


@pytest.mark.slow
def test_training_splits_by_onboarding_time_and_records_it(bank, tmp_path) -> None:
    snapshot = bank[0]
    run = train_on_store(SnapshotStore(snapshot), tmp_path / "model",  # type: ignore[arg-type]
                         model="sage", epochs=3)
    assert run.metrics["split"] == "time"
    onboarded = pd.to_datetime(snapshot.customers.set_index("customer_id")["onboarding_date"])
    when = onboarded.reindex(run.split.index)
    train, test = when[run.split == TRAIN], when[run.split == TEST]
    # Every training customer was onboarded no later than every test customer.
    assert train.max() <= test.min()
    assert when[run.split == VALIDATION].between(train.max(), test.min()).all()
    assert len(test) == run.metrics["test_customers"] == len(snapshot.customers) // 5
    assert run.metrics["test_onboarded_from"] == str(test.min().date())
    stored = json.loads((run.path / "model.json").read_text())["metrics"]
    assert stored["split"] == "time" and stored["train_onboarded_until"] == str(
        train.max().date())
    # The folder says whose labels shaped the model: `score --model` learns its weight on
    # the others.
    seen = read_seen_customers(run.path)
    assert seen is not None
    assert set(seen) == set(run.split.index[run.split == TRAIN])
    assert not set(seen) & set(test.index)

    hashed = train_on_store(SnapshotStore(snapshot), tmp_path / "hashed",  # type: ignore[arg-type]
                            model="sage", epochs=3, split="hash")
    assert hashed.metrics["split"] == "hash" and "test_onboarded_from" not in hashed.metrics
    pd.testing.assert_series_equal(hashed.split, split_three_ways(run.split.index))
    # Saved again without a split (as a caller that has none does): no stale split.csv.
    model = load_model(hashed.path)
    save_model(model, build_graph_dataset(snapshot, encoders=model.encoders), hashed.path)
    assert read_seen_customers(hashed.path) is None

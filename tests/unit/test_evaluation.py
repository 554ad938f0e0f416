"""Metrics agree with hand-computed values; the split is fixed; thresholds follow their rule."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest

from graphrisk.analytics.evaluation import (
    TEST,
    VALIDATION,
    choose_threshold,
    evaluate_scores,
    only_labels_of,
    pr_auc,
    recall_at_top,
    roc_auc,
    split_customers,
)

# Ranked by score: 0.8 (risky), 0.4, 0.35 (risky), 0.1.
Y = [0, 0, 1, 1]
S = [0.1, 0.4, 0.35, 0.8]


def test_roc_auc_counts_ordered_pairs() -> None:
    # Of the 4 (risky, other) pairs, 3 are ordered right: 0.8 > both, 0.35 > 0.1 only.
    assert roc_auc(Y, S) == pytest.approx(0.75)
    # Ties count one half: a constant score is chance.
    assert roc_auc([0, 1, 0, 1], [2.0, 2.0, 2.0, 2.0]) == pytest.approx(0.5)


def test_pr_auc_is_average_precision() -> None:
    # Precision at each risky customer's rank: 1/1 and 2/3; each is half of the recall.
    assert pr_auc(Y, S) == pytest.approx(0.5 * 1.0 + 0.5 * 2 / 3)
    assert pr_auc([True, False, True, False], [0.9, 0.1, 0.8, 0.2]) == pytest.approx(1.0)


def test_recall_at_top_counts_positives_in_the_top_share() -> None:
    y = [1, 0, 0, 1, 0, 0, 0, 0, 0, 0]
    scores = np.arange(10, 0, -1.0)  # already ranked
    assert recall_at_top(y, scores, fraction=0.2) == pytest.approx(0.5)  # 1 of 2 in top 2
    assert recall_at_top(y, scores, fraction=0.4) == pytest.approx(1.0)
    # The top is ceil(fraction * n): 1 % of 10 customers is still one customer.
    assert recall_at_top(y, scores, fraction=0.01) == pytest.approx(0.5)


def test_recall_at_top_shares_the_last_places_among_ties_whatever_the_row_order() -> None:
    # Top 2 of 10: the 3.0 is in; one place is left for three customers tied at 2.0, one of
    # them risky, so it counts one third. Row order must not change that.
    y = np.array([0, 1, 0, 0, 1, 0, 0, 0, 0, 0])
    scores = np.array([3.0, 2.0, 2.0, 2.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0])
    expected = (1 / 3) / 2  # of the 2 risky customers
    assert recall_at_top(y, scores, fraction=0.2) == pytest.approx(expected)
    for order in (np.arange(10)[::-1], np.array([4, 3, 2, 1, 0, 9, 8, 7, 6, 5])):
        assert recall_at_top(y[order], scores[order], fraction=0.2) == pytest.approx(expected)


def test_series_are_aligned_on_their_ids() -> None:
    y = pd.Series(Y, index=["a", "b", "c", "d"])
    shuffled = pd.Series(S, index=["a", "b", "c", "d"]).iloc[[3, 1, 0, 2]]
    assert roc_auc(y, shuffled) == pytest.approx(0.75)
    with pytest.raises(ValueError, match="lack 1"):
        roc_auc(y, shuffled.drop("c"))


@pytest.mark.parametrize("metric", [roc_auc, pr_auc, recall_at_top])
def test_bad_inputs_are_refused_clearly(metric: Callable[..., float]) -> None:
    with pytest.raises(ValueError, match="only one class"):
        metric([0, 0, 0], [0.1, 0.2, 0.3])
    with pytest.raises(ValueError, match="only one class"):
        metric([1, 1], [0.1, 0.2])
    with pytest.raises(ValueError, match="one length"):
        metric([0, 1, 1], [0.1, 0.2])
    with pytest.raises(ValueError, match="missing"):
        metric([0, 1], [0.1, np.nan])
    with pytest.raises(ValueError, match="0/1"):
        metric([0, 2], [0.1, 0.2])


def test_recall_at_top_refuses_a_fraction_outside_0_1() -> None:
    with pytest.raises(ValueError, match="fraction"):
        recall_at_top(Y, S, fraction=0.0)


IDS = [f"C{i:07d}" for i in range(20_000)]


def test_split_is_fixed_per_id_and_independent_of_order() -> None:
    split = split_customers(IDS)
    assert split.index.tolist() == IDS
    assert split.name == "split"
    assert set(split) == {VALIDATION, TEST}
    # The same id lands in the same half whatever else is split, and in any order.
    backwards = split_customers(IDS[::-1])
    assert backwards.reindex(IDS).equals(split)
    assert split_customers(IDS[:10]).equals(split.iloc[:10])
    # Pinned, so figures quoted on the test half stay comparable across versions.
    assert split.iloc[:10].tolist() == [
        "validation", "test", "validation", "test", "validation",
        "test", "validation", "test", "test", "validation",
    ]


def test_split_share_follows_the_request_and_seed_changes_it() -> None:
    assert (split_customers(IDS) == VALIDATION).mean() == pytest.approx(0.5, abs=0.015)
    fifth = split_customers(IDS, validation_share=0.2, seed=7)
    assert (fifth == VALIDATION).mean() == pytest.approx(0.2, abs=0.015)
    other = split_customers(IDS, seed=1)
    assert (other != split_customers(IDS)).mean() == pytest.approx(0.5, abs=0.03)
    assert (split_customers(IDS[:100], validation_share=0.0) == TEST).all()
    assert (split_customers(IDS[:100], validation_share=1.0) == VALIDATION).all()
    with pytest.raises(ValueError, match="validation_share"):
        split_customers(IDS, validation_share=1.5)


def test_evaluate_scores_compares_named_scores_on_the_chosen_customers() -> None:
    ids = [f"C{i}" for i in range(8)]
    truth = pd.Series([1, 0, 1, 0, 0, 0, 0, 1], index=ids)
    perfect = truth.astype(float) + np.linspace(0, 0.1, 8)
    scores = {"perfect": perfect, "reversed": -perfect.iloc[::-1]}
    table = evaluate_scores(truth, scores, among=ids[:6] + ["C404"])
    assert table.columns.tolist() == [
        "score", "roc_auc", "pr_auc", "recall_at_1pct", "positives", "customers"]
    assert table["score"].tolist() == ["perfect", "reversed"]
    assert table["positives"].tolist() == [2, 2]
    assert table["customers"].tolist() == [6, 6]
    perfect_row, reversed_row = table.iloc[0], table.iloc[1]
    assert perfect_row["roc_auc"] == 1.0 and perfect_row["pr_auc"] == 1.0
    assert perfect_row["recall_at_1pct"] == pytest.approx(0.5)  # 1 of 6 reviewed, risky
    assert reversed_row["roc_auc"] == 0.0 and reversed_row["recall_at_1pct"] == 0.0
    with pytest.raises(ValueError, match="'short' has no value for 1"):
        evaluate_scores(truth, {"short": perfect.drop("C3")})


# Thresholds flag score >= t. With truth Y6:
#   t:          0.1   0.2   0.3   0.4   0.5   0.6
#   precision:  3/6   3/5   3/4   2/3   2/2   1/1
#   recall:     1     1     1     2/3   2/3   1/3
Y6 = [0, 0, 1, 0, 1, 1]
S6 = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6]


def test_precision_target_takes_the_lowest_threshold_that_reaches_it() -> None:
    strict = choose_threshold(Y6, S6, target_precision=1.0)
    assert (strict.threshold, strict.recall, strict.flagged) == (0.5, pytest.approx(2 / 3), 2)
    # 0.4 misses 0.75 but 0.3 reaches it again: precision is not monotone.
    loose = choose_threshold(Y6, S6, target_precision=0.75)
    assert loose.threshold == 0.3
    assert (loose.precision, loose.recall, loose.flagged) == (0.75, 1.0, 4)
    assert loose.rule == "precision >= 0.75"


def test_recall_target_takes_the_highest_threshold_that_reaches_it() -> None:
    assert choose_threshold(Y6, S6, target_recall=1.0).threshold == 0.3
    assert choose_threshold(Y6, S6, target_recall=0.5).threshold == 0.5
    assert choose_threshold(Y6, S6, target_recall=0.3).threshold == 0.6


def test_without_a_target_the_threshold_maximises_f1() -> None:
    best = choose_threshold(Y6, S6)
    assert best.threshold == 0.3
    assert best.f1 == pytest.approx(2 * 0.75 * 1.0 / 1.75)
    assert best.rule == "max f1"


def test_unreachable_or_conflicting_targets_are_refused() -> None:
    with pytest.raises(ValueError, match="best is 0.500"):
        choose_threshold([1, 0], [0.1, 0.9], target_precision=0.9)
    with pytest.raises(ValueError, match="not both"):
        choose_threshold(Y6, S6, target_recall=0.5, target_precision=0.5)
    with pytest.raises(ValueError, match="target_recall"):
        choose_threshold(Y6, S6, target_recall=0.0)


def test_only_the_kept_customers_keep_their_labels(tiny_snapshot) -> None:
    customers = tiny_snapshot.customers
    labelled = customers.dropna(subset=["known_risk_label"])["customer_id"].tolist()
    unlabelled = customers.loc[customers["known_risk_label"].isna(), "customer_id"].tolist()
    assert labelled and unlabelled

    kept = only_labels_of(tiny_snapshot, labelled)
    assert kept.customers.dropna(subset=["known_risk_label"])["customer_id"].tolist() == labelled
    wiped = only_labels_of(tiny_snapshot, unlabelled)
    assert wiped.customers[["known_risk_label", "known_risk_source"]].isna().all().all()
    # The original is left as it was; the other tables are shared, not copied.
    assert customers["known_risk_label"].notna().sum() == len(labelled)
    assert wiped.transactions is tiny_snapshot.transactions

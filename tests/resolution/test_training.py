"""Training on investigators' decisions: confirmed pairs move the m probabilities (in
addition to EM), too few leave EM alone, rejected ones train nothing."""

from __future__ import annotations

import pandas as pd
import pytest

from graphrisk.resolution.linkage import MIN_CONFIRMED, LinkageResult, link_records
from tests.resolution.conftest import GeneratedBank


def _m(result: LinkageResult, comparison: str, level: str) -> float:
    for entry in result.model["comparisons"]:
        if entry["output_column_name"] == comparison:
            for row in entry["comparison_levels"]:
                if row["label_for_charts"] == level:
                    return float(row["m_probability"])
    raise KeyError((comparison, level))


def _labels(pairs: list[tuple[str, str]], score: float) -> pd.DataFrame:
    return pd.DataFrame({"unique_id_l": [a for a, _ in pairs],
                         "unique_id_r": [b for _, b in pairs],
                         "clerical_match_score": [score] * len(pairs)})


@pytest.fixture(scope="module")
def em_only(bank_2000: GeneratedBank) -> LinkageResult:
    return link_records(bank_2000.records)


@pytest.fixture(scope="module")
def confirmed(bank_2000: GeneratedBank) -> list[tuple[str, str]]:
    return sorted(bank_2000.true_pairs())[:30]


def test_confirmed_pairs_train_m_with_em(bank_2000: GeneratedBank, em_only: LinkageResult,
                                         confirmed: list[tuple[str, str]]) -> None:
    # ids given either way round, once twice: each pair counts once
    labels = pd.concat([_labels([(b, a) for a, b in confirmed], 1.0),
                        _labels(confirmed[:5], 1.0)])
    trained = link_records(bank_2000.records, labels=labels)
    assert trained.confirmed == len(confirmed) and em_only.confirmed == 0
    # The birth year is trained by one EM run (the other blocks on it); with the labels'
    # own estimate (the share of confirmed pairs born the same year), Splink takes the
    # median of the two: their mean.
    records = bank_2000.records.set_index("unique_id")
    same_year = [records.at[a, "birth_year"] == records.at[b, "birth_year"]
                 for a, b in confirmed]
    share = sum(same_year) / len(same_year)
    assert _m(trained, "birth_year", "equal") == pytest.approx(
        (_m(em_only, "birth_year", "equal") + share) / 2, rel=1e-6)
    assert abs(_m(trained, "birth_year", "equal") - _m(em_only, "birth_year", "equal")) > 0.01


def test_too_few_confirmed_pairs_leave_em_in_charge(
        bank_2000: GeneratedBank, em_only: LinkageResult,
        confirmed: list[tuple[str, str]]) -> None:
    truth = bank_2000.true_pairs()
    found = set(zip(em_only.pairs["unique_id_l"], em_only.pairs["unique_id_r"], strict=True))
    rejected = sorted(found & truth)[-3:]  # pairs it links, rejected by an investigator
    labels = pd.concat([_labels(confirmed[:MIN_CONFIRMED - 1], 1.0),
                        _labels(rejected, 0.0),
                        _labels([("C9999998", "C9999999")] * 20, 1.0)])  # not in the bank
    result = link_records(bank_2000.records, labels=labels)
    assert result.confirmed == 0
    assert ({k: v for k, v in result.model.items() if k != "linker_uid"}
            == {k: v for k, v in em_only.model.items() if k != "linker_uid"})
    assert result.rejected_above == len(rejected)
    # rejected pairs stay in the pairs: the caller keeps them unlinked and counts them
    assert result.pairs.equals(em_only.pairs)


def test_labels_without_a_score_column_are_refused(bank_2000: GeneratedBank) -> None:
    with pytest.raises(ValueError, match="clerical_match_score"):
        link_records(bank_2000.records,
                     labels=pd.DataFrame({"unique_id_l": ["a"], "unique_id_r": ["b"]}))

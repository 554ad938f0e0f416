"""Resolution on banks too small for every EM session: it still links the planted people.

On a 500-customer bank some EM sessions fail (a comparison level sees no pair and EM
drives its m to 0, which Splink refuses, and the failed session leaves the comparisons it
set aside out of the linker). The linkage then starts again from before that session, tries
the next blocking rule, and gives comparisons nothing trained the prior m (``M_PRIOR``).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from graphrisk.ingestion.generator import generate_dataset
from graphrisk.resolution.linkage import M_PRIOR, _fill_untrained, link_records
from tests.resolution.conftest import read_bank


@pytest.mark.parametrize("seed", [5, 1])
def test_a_small_bank_resolves(tmp_path: Path, seed: int) -> None:
    generate_dataset(500, seed, tmp_path, watchlists=False, synthetic_identities=True)
    bank = read_bank(tmp_path)
    result = link_records(bank.records)
    found = set(zip(result.pairs["unique_id_l"], result.pairs["unique_id_r"], strict=True))
    truth = bank.true_pairs()
    assert len(found & truth) >= 0.7 * len(truth)
    assert len(found - truth) <= max(1, 0.1 * len(found))
    assert {f"mw_{name}" for name in M_PRIOR} <= set(result.pairs.columns)


def test_untrained_comparisons_take_the_prior_and_trained_ones_keep_theirs() -> None:
    model = {"comparisons": [
        {"output_column_name": "phone", "comparison_levels": [
            {"is_null_level": True, "label_for_charts": "none"},
            {"label_for_charts": "shared"}, {"label_for_charts": "else"}]},
        {"output_column_name": "email", "comparison_levels": [
            {"label_for_charts": "shared", "m_probability": 0.9},
            {"label_for_charts": "else", "m_probability": 0.1}]},
    ]}
    assert _fill_untrained(model, M_PRIOR) == ["phone"]
    phone, email = model["comparisons"]
    assert [lvl.get("m_probability") for lvl in phone["comparison_levels"]] == [
        None, M_PRIOR["phone"]["shared"], M_PRIOR["phone"]["else"]]
    assert [lvl["m_probability"] for lvl in email["comparison_levels"]] == [0.9, 0.1]

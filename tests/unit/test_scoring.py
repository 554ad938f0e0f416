"""Scoring end to end on a generated sample: scores, tiers, true reasons, history, quality."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from graphrisk.analytics.baselines import neo4j_reference_scores
from graphrisk.analytics.evaluation import pr_auc, roc_auc
from graphrisk.analytics.network import PythonNetworkEngine
from graphrisk.errors import AnalyticsError
from graphrisk.graph import GraphSnapshot
from graphrisk.ingestion.generator import generate_dataset
from graphrisk.ingestion.loader import ingest_directory
from graphrisk.policy import load_policy
from graphrisk.scoring import (
    SCORE_COLUMNS,
    ScoringResult,
    ScoringSettings,
    fuse_components,
    score_customers,
    score_store,
)
from graphrisk.store.embedded import EmbeddedGraphStore

pytestmark = pytest.mark.slow

CUSTOMERS, SEED = 3_000, 7


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Path]]:
    root = tmp_path_factory.mktemp("scoring")
    generate_dataset(CUSTOMERS, SEED, root / "data")
    with EmbeddedGraphStore(root / "graphrisk.db") as store:
        ingest_directory(store, root / "data")
    yield root / "data", root / "graphrisk.db"


@pytest.fixture(scope="module")
def scored(sample: tuple[Path, Path]) -> tuple[ScoringResult, GraphSnapshot]:
    with EmbeddedGraphStore(sample[1]) as store:
        return score_store(store, load_policy()), store.snapshot()


@pytest.fixture(scope="module")
def truth(sample: tuple[Path, Path]) -> pd.DataFrame:
    return pd.read_csv(sample[0] / "truth" / "ground_truth.csv").set_index("customer_id")


def test_every_customer_gets_a_score_a_tier_and_reasons(scored) -> None:
    result, snapshot = scored
    scores = result.scores
    assert list(scores.columns) == list(SCORE_COLUMNS)
    assert sorted(scores["customer_id"]) == sorted(snapshot.customers["customer_id"])
    assert scores["score"].between(0, 100).all()
    assert scores["score"].is_monotonic_decreasing
    assert (scores["tier"] == load_policy().tier_of(scores["score"])).all()
    assert set(scores["tier"]) == {"low", "medium", "high"}
    assert scores["reasons"].map(lambda r: 1 <= len(r) <= 3 and all(
        isinstance(x, str) and x for x in r)).all()
    # The individual and unusual pieces read the same factors: a reason is said once.
    assert scores["reasons"].map(lambda r: len(set(r)) == len(r)).all()
    assert result.engine == "python" and set(result.timings) >= {"network", "typologies"}


def test_known_risk_customers_are_told_first(scored) -> None:
    scores = scored[0].scores
    known = scores[scores["known_risk_label"].notna()]
    assert len(known) > 20
    assert known["reasons"].map(lambda r: r[0].startswith("confirmed ")).all()
    assert (known["tier"] != "low").mean() > 0.9


_LINK = re.compile(r"^(shares device|shares phone|shares e-mail|shares IP address|"
                   r"shares address|co-holds account) (\S+) with (C\d+) \(confirmed ")


def test_link_reasons_are_true_of_the_data(scored) -> None:
    result, snapshot = scored
    identifiers = snapshot.identifiers.groupby("identifier_id")["customer_id"].agg(set)
    holders = pd.concat([snapshot.accounts[["account_id", "customer_id"]],
                         snapshot.account_holders[["account_id", "customer_id"]]])
    holders = holders.groupby("account_id")["customer_id"].agg(set)
    known = set(snapshot.customers.loc[snapshot.customers["known_risk_label"].notna(),
                                       "customer_id"])
    checked = 0
    for customer, reasons in result.scores[["customer_id", "reasons"]].itertuples(index=False):
        for reason in reasons:
            match = _LINK.match(reason)
            if not match:
                continue
            how, via, other = match.groups()
            sharing = holders if how == "co-holds account" else identifiers
            assert {customer, other} <= sharing[via], reason
            assert other in known and other != customer
            checked += 1
    assert checked >= 10


def test_cluster_and_typology_reasons_point_at_real_members(scored) -> None:
    result, _ = scored
    clusters = result.clusters.set_index("cluster_id")
    instances = result.typologies.instances
    members_of_instances = set(instances["customer_ids"].explode())
    cluster_reasons = typology_reasons = 0
    for customer, reasons in result.scores[["customer_id", "reasons"]].itertuples(index=False):
        for reason in reasons:
            found = re.match(r"member of high-risk cluster (\S+) \(ranked #(\d+)\)", reason)
            if found:
                cluster = clusters.loc[found.group(1)]
                assert customer in cluster["members"] and cluster["high_risk"]
                assert cluster["rank"] == int(found.group(2))
                cluster_reasons += 1
            if reason in set(instances["reason"]):
                assert customer in members_of_instances
                typology_reasons += 1
    assert cluster_reasons > 10 and typology_reasons > 5


def test_runs_are_stored_and_history_survives(sample, scored) -> None:
    result, _ = scored
    top = result.scores.iloc[0]
    with EmbeddedGraphStore(sample[1]) as store:
        history = store.score_history(top["customer_id"])
        assert result.run_id in set(history["run_id"])
        stored = history.set_index("run_id").loc[result.run_id]
        assert stored["score"] == pytest.approx(top["score"])
        assert list(stored["reasons"]) == list(top["reasons"])
        again = score_store(store, load_policy())
        history = store.score_history(top["customer_id"])
    assert again.run_id != result.run_id
    assert {result.run_id, again.run_id} <= set(history["run_id"])
    # Same data, same seed: the same scores.
    pd.testing.assert_frame_equal(again.scores, result.scores)


def test_network_aware_score_beats_both_baselines_on_unknown_customers(scored, truth) -> None:
    result, snapshot = scored
    scores = result.scores.set_index("customer_id")
    unknown = scores[scores["known_risk_label"].isna()]
    y = truth["risky"].reindex(unknown.index)
    reference = neo4j_reference_scores(snapshot).set_index("customer_id")["reference_score"]
    fused = pr_auc(y, unknown["score"])
    features_only = pr_auc(y, unknown["individual"])
    assert fused > features_only + 0.05
    assert fused > pr_auc(y, reference.reindex(unknown.index)) + 0.2
    assert roc_auc(y, unknown["score"]) > 0.95


def test_a_bank_without_labels_is_scored_by_how_unusual_its_customers_are(
        scored, truth: pd.DataFrame) -> None:
    """Too few confirmed labels to learn from used to stop scoring with an error; the bank
    now gets a score from its factors, typologies and rings, and is told what is missing."""
    _, snapshot = scored
    unlabelled = replace(snapshot, customers=snapshot.customers.assign(known_risk_label=None))
    result = score_customers(unlabelled, PythonNetworkEngine(unlabelled), load_policy())
    scores = result.scores.set_index("customer_id")
    assert result.individual_model is not None
    assert result.individual_model.kind == "label_free"
    coverage = {c.component: c for c in result.coverage}
    assert not coverage["network"].has_data and not coverage["known"].has_data
    assert any("no model learned: 0 confirmed risk labels" in gap
               for gap in coverage["individual"].missing)
    assert "0 confirmed labels" in result.fusion_summary()
    # Found without a single label: the hidden risky customers rank high, and the high
    # tier holds more risky customers than not.
    y = truth["risky"].reindex(scores.index).fillna(0).astype(int)
    assert roc_auc(y, scores["score"]) > 0.9
    assert roc_auc(y, scores["individual"]) > 0.8
    high = scores["tier"] == "high"
    assert 0 < high.sum() < 0.1 * len(scores) and y[high].mean() > 0.5
    # Every high-tier customer is told why.
    assert scores.loc[high, "reasons"].map(len).min() >= 1


def test_a_labelled_bank_can_be_scored_label_free_for_comparison(scored) -> None:
    """``ScoringSettings(label_free=True)`` (benchmarks/bench_label_free.py) ignores labels
    the individual component could learn from, and says so; the labels still count as
    confirmations and seeds."""
    result, snapshot = scored
    settings = replace(ScoringSettings.from_policy(load_policy()), label_free=True)
    free = score_customers(snapshot, PythonNetworkEngine(snapshot), load_policy(), settings)
    assert free.individual_model is not None and free.individual_model.kind == "label_free"
    coverage = {c.component: c for c in free.coverage}
    assert any("label_free set" in gap for gap in coverage["individual"].missing)
    assert coverage["network"].has_data
    learned = result.scores.set_index("customer_id")["individual"]
    unlearned = free.scores.set_index("customer_id")["individual"].reindex(learned.index)
    assert not np.allclose(learned, unlearned)


def test_too_few_customers_still_stop_scoring(scored) -> None:
    _, snapshot = scored
    with pytest.raises(AnalyticsError, match="no customers"):
        empty = replace(snapshot, customers=snapshot.customers.iloc[0:0])
        score_customers(empty, PythonNetworkEngine(empty), load_policy())


def test_settings_reject_unknown_components_and_bad_weights() -> None:
    with pytest.raises(ValueError, match="unknown score components"):
        ScoringSettings(weights={"gut_feeling": 0.5})
    with pytest.raises(ValueError, match="between 0 and 1"):
        ScoringSettings(weights={"network": 1.5})


def test_a_model_probability_is_fused_and_explained(scored) -> None:
    result, snapshot = scored
    unknown = result.scores[result.scores["known_risk_label"].isna()]
    quiet = unknown.iloc[-1]["customer_id"]  # the lowest score: nothing else stands out
    probability = pd.Series(0.0, index=result.scores["customer_id"])
    probability[quiet] = 0.9
    fused = score_customers(snapshot, PythonNetworkEngine(snapshot), load_policy(),
                            model_probability=probability).scores.set_index("customer_id")
    before = result.scores.set_index("customer_id")
    assert fused.loc[quiet, "model"] == pytest.approx(0.9)
    weight = ScoringSettings().weights["model"]
    assert fused.loc[quiet, "score"] >= 100 * weight * 0.9 - 0.01
    # Without the model's own reasons (no model_reasons given), the reason says where to look.
    assert fused.loc[quiet, "reasons"][0] == (
        f"graph model (90%): not explained in this run; `graphrisk explain {quiet}` shows why")
    others = fused.index != quiet
    pd.testing.assert_series_equal(fused.loc[others, "score"],
                                   before.loc[fused.index[others], "score"])


def test_the_model_is_a_reason_only_where_its_probability_is_notable(scored) -> None:
    result, snapshot = scored
    unknown = result.scores[result.scores["known_risk_label"].isna()]
    ids = result.scores["customer_id"]
    # Everyone gets a little from the model (as a trained model gives), a few a lot.
    probability = pd.Series(0.02, index=ids)
    high, middling = unknown.iloc[-1]["customer_id"], unknown.iloc[-2]["customer_id"]
    probability[high], probability[middling] = 0.8, 0.3
    fused = score_customers(snapshot, PythonNetworkEngine(snapshot), load_policy(),
                            model_probability=probability).scores.set_index("customer_id")

    def says_model(customer: str) -> bool:
        return any(r.startswith("graph model (") for r in fused.loc[customer, "reasons"])

    assert says_model(high)
    assert says_model(middling)  # 0.3: not above 0.5, but in the model's top 5 % here
    small = [c for c in unknown["customer_id"] if c not in (high, middling)]
    assert not any(says_model(c) for c in small)  # 0.02: everyone's, not a reason
    assert fused.loc[small, "model"].sub(0.02).abs().max() < 1e-9  # fused all the same


def test_knobs_changed_in_the_policy_file_reach_the_score(
        sample: tuple[Path, Path], scored, tmp_path: Path) -> None:
    """The policy's [scoring] section is what scores a store run through the service."""
    from graphrisk.config import Settings
    from graphrisk.policy import DEFAULT_POLICY_FILE
    from graphrisk.service import RiskService

    before, _ = scored
    text = DEFAULT_POLICY_FILE.read_text(encoding="utf-8")
    assert "network = 0.5" in text and 'high_risk_countries = ["AE"' in text
    assert 'fusion = "learned"' in text
    # The weights decide the score under the noisy-OR (the learned fusion only leaves a
    # component at weight 0 out: tests/unit/test_fusion.py).
    text = text.replace("network = 0.5", "network = 0.0").replace(
        'high_risk_countries = ["AE", "CY", "KY", "MT", "PA", "VG"]', "high_risk_countries = []"
    ).replace('fusion = "learned"', 'fusion = "noisy_or"')
    policy_file = tmp_path / "policy.toml"
    policy_file.write_text(text, encoding="utf-8")
    settings = Settings(home=sample[1].parent, policy_file=policy_file)
    with RiskService.open(settings) as service:
        after = service.score(write=False)

    assert before.factors["high_risk_country"].sum() > 0
    assert after.factors["high_risk_country"].sum() == 0
    assert after.fusion is None and after.fusion_note == ""  # asked for, not fallen back to
    old = before.scores.set_index("customer_id")
    new = after.scores.set_index("customer_id").reindex(old.index)
    assert (new["network"] == old["network"]).all()  # the evidence is the same ...
    near = new["network"] > 0.2
    assert near.sum() > 10
    # ... but the score was fused with the policy file's weight 0, not the default 0.5.
    defaults = ScoringSettings().weights
    assert defaults["network"] == 0.5
    fused_as_asked = fuse_components(new, {**defaults, "network": 0.0})
    fused_by_default = fuse_components(new, defaults)
    assert np.allclose(new["score"], fused_as_asked, atol=0.01)
    room = (near & (new["score"] < 95)).to_numpy()  # not saturated by other evidence
    assert room.sum() > 10
    assert (fused_by_default[room] > new["score"].to_numpy()[room] + 0.01).all()

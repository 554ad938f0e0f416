"""The learned fusion (graphrisk.analytics.fusion) and how a scoring run uses it."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from graphrisk.analytics.evaluation import roc_auc
from graphrisk.analytics.fusion import (
    CV_REPEATS,
    LEARNED_COMPONENTS,
    MIN_KNOWN,
    MODEL,
    FoldComparison,
    add_model_stage,
    fit_fusion,
    group_folds,
    noisy_or,
)
from graphrisk.ingestion.generator import generate_dataset
from graphrisk.ingestion.loader import ingest_directory
from graphrisk.policy import load_policy
from graphrisk.scoring import ScoringSettings, fuse_components, score_store
from graphrisk.store.embedded import EmbeddedGraphStore

WEIGHTS = {"individual": 1.0, "network": 0.5, "typology": 0.9, "cluster": 0.9}


def synthetic(n: int = 4000, seed: int = 3) -> tuple[pd.DataFrame, pd.Series, pd.Series]:
    """Components where ``typology`` tells the labels apart, ``cluster`` is noise and
    ``network`` runs against them; folds by a fake group of ten customers."""
    rng = np.random.default_rng(seed)
    index = pd.Index([f"C{i:05d}" for i in range(n)], name="customer_id")
    label = pd.Series(rng.random(n) < 0.03, index=index)
    frame = pd.DataFrame({
        "individual": np.clip(rng.beta(1, 20, n) + 0.05 * label, 0, 1),
        "network": np.where(label, 0.0, rng.random(n) * (rng.random(n) < 0.2)),
        "typology": np.where(label & (rng.random(n) < 0.7), 0.5, 0.0),
        "cluster": rng.random(n) * (rng.random(n) < 0.1),
    }, index=index)
    folds = pd.Series((np.arange(n) // 10) % 5, index=index)
    return frame, label, folds


def test_a_component_that_tells_labels_apart_counts_and_one_against_them_does_not() -> None:
    frame, label, folds = synthetic()
    fusion = fit_fusion(frame, label, folds=folds, reference=frame, weights=WEIGHTS)
    assert fusion is not None
    weights = dict(zip(fusion.components, fusion.coefficients, strict=True))
    assert all(w >= 0 for w in weights.values())  # monotone: more evidence never lowers
    assert weights["network"] == 0.0  # runs against the labels: no negative weight, 0
    assert weights["typology"] > weights["cluster"]  # the informative over the noise
    assert fusion.known == int(label.sum()) and fusion.folds == 5
    strengths = fusion.reason_strengths(frame)
    # Weight 0: still a reason where the customer has some of it, but after every other.
    has_network = frame["network"] > 0
    assert (strengths.loc[~has_network, "network"] == 0).all()
    assert (strengths.loc[has_network, "network"] > 0).all()
    assert strengths.loc[has_network, "network"].max() < 1e-5
    assert ((strengths >= 0) & (strengths < 1)).all().all()
    # A customer's typology speaks more the more of it she has, and not at all without.
    has = frame["typology"] > 0
    assert (strengths.loc[~has, "typology"] == 0).all()
    assert (strengths.loc[has, "typology"] > strengths.loc[~has & (frame["cluster"] > 0),
                                                          "cluster"].min()).all()
    learned = pd.Series(fusion.logit(frame), index=frame.index)
    assert roc_auc(label.astype(int), learned) > roc_auc(label.astype(int), frame["cluster"])


def test_the_score_keeps_the_noisy_or_scale_and_the_learned_order() -> None:
    frame, label, folds = synthetic()
    fusion = fit_fusion(frame, label, folds=folds, reference=frame, weights=WEIGHTS)
    assert fusion is not None
    mapped = fusion.analytics_score(frame)
    # The noisy-OR of the components the labels gave weight: network (against them) is out.
    supported = fusion.supported_weights()
    kept = {n for n, c in zip(fusion.components, fusion.coefficients, strict=True) if c > 0}
    assert "network" not in kept and "typology" in kept
    assert supported == {name: WEIGHTS[name] for name in kept}
    scale = noisy_or(frame, supported)
    # The same distribution (the quantile map) ...
    for q in (0.5, 0.9, 0.99, 1.0):
        assert np.quantile(mapped, q) == pytest.approx(np.quantile(scale, q), abs=0.02)
    # ... in the learned order: never lower for a higher logit.
    order = np.argsort(fusion.order(frame), kind="stable")
    assert np.all(np.diff(mapped[order]) >= -1e-12)
    assert ((mapped >= 0) & (mapped <= 1)).all()


def test_a_component_the_labels_found_no_use_for_does_not_swell_the_tiers() -> None:
    """A component that touches most customers and says nothing about the labels (as the
    network, typology and cluster components did on FDCompCN) leaves the scale alone: the
    share above a tier bound is what the supported evidence gives, not the noise's."""
    frame, label, folds = synthetic()
    rng = np.random.default_rng(5)
    noisy = frame.assign(cluster=rng.uniform(0.5, 1.0, len(frame)))  # everyone, no signal
    fusion = fit_fusion(noisy, label, folds=folds, reference=noisy, weights=WEIGHTS)
    assert fusion is not None
    weights = dict(zip(fusion.components, fusion.coefficients, strict=True))
    assert weights["cluster"] < 0.05 * weights["typology"]
    mapped = fusion.analytics_score(noisy)
    everything = noisy_or(noisy, WEIGHTS)
    # With the noise in the scale most customers would sit above 0.6; without it few do.
    assert (everything >= 0.6).mean() > 0.5
    share_above = (mapped >= 0.6).mean()
    expected = (noisy_or(noisy, fusion.supported_weights()) >= 0.6).mean()
    assert share_above == pytest.approx(expected, abs=0.01) and share_above < 0.1


def test_nothing_to_learn_from_falls_back_to_the_noisy_or() -> None:
    frame, label, folds = synthetic()
    few = label & (label.cumsum() < MIN_KNOWN)
    assert fit_fusion(frame, few, folds=folds, reference=frame, weights=WEIGHTS) is None
    # Every label in one fold: no fold can be judged by the others.
    one_fold = folds.where(~label, 0).where(label, 1)
    assert fit_fusion(frame, label, folds=one_fold, reference=frame, weights=WEIGHTS) is None
    # A component at weight 0 in the policy (or without data) is not learned either.
    fusion = fit_fusion(frame, label, folds=folds, reference=frame,
                        weights={**WEIGHTS, "typology": 0.0})
    assert fusion is not None and "typology" not in fusion.components


def test_the_choice_rests_on_the_paired_difference_and_its_noise() -> None:
    better = FoldComparison(learned=(0.60, 0.62, 0.58, 0.61, 0.59, 0.60),
                            noisy_or=(0.40, 0.43, 0.39, 0.41, 0.40, 0.42), folds=5)
    assert better.choice() == "learned" and better.difference == pytest.approx(0.19, abs=0.01)
    worse = FoldComparison(learned=better.noisy_or, noisy_or=better.learned, folds=5)
    assert worse.choice() == "noisy_or"
    # The same mean difference, but folds that disagree: within noise, a blend.
    noisy = FoldComparison(learned=(0.90, 0.30, 0.85, 0.35, 0.88, 0.32),
                           noisy_or=(0.40, 0.60, 0.42, 0.55, 0.41, 0.58), folds=5)
    assert abs(noisy.difference) < 2 * noisy.standard_error
    assert noisy.choice() == "learned" and noisy.choice(within_noise="blend") == "blend"
    # Nadeau and Bengio's correction: wider than the naive sd / sqrt(n).
    diffs = np.subtract(noisy.learned, noisy.noisy_or)
    assert noisy.standard_error > np.std(diffs, ddof=1) / np.sqrt(len(diffs))
    assert "difference" in better.text() and "6 folds" in better.text()


def test_a_combiner_that_ranks_the_held_out_labels_better_is_kept_and_says_why() -> None:
    frame, label, folds = synthetic()
    groups = pd.Series((np.arange(len(frame)) // 10).astype(str), index=frame.index)
    fusion = fit_fusion(frame, label, folds=folds, reference=frame, weights=WEIGHTS,
                        groups=groups)
    assert fusion is not None and fusion.comparison is not None
    # Folds of the run and two more draws of the groups, each fold holding labels.
    assert len(fusion.comparison.learned) == CV_REPEATS * 5
    # The noisy-OR trusts network, which runs against the labels: the learned one wins.
    assert fusion.comparison.difference > 0 and fusion.choice == "learned"
    assert "cross-validated PR-AUC" in fusion.summary()
    assert fusion.describe()["cross_validation"]["difference"] > 0


def test_a_blend_mixes_both_orders_and_keeps_the_scale() -> None:
    frame, label, folds = synthetic()
    fusion = fit_fusion(frame, label, folds=folds, reference=frame, weights=WEIGHTS)
    assert fusion is not None
    blend = replace(fusion, choice="blend", noisy_weights=tuple(sorted(WEIGHTS.items())))
    learned, plain = blend.logit(frame), noisy_or(frame, WEIGHTS)
    blend = replace(blend, blend_scale=(float(learned.mean()), float(learned.std()),
                                        float(np.log(np.clip(plain, 1e-4, 1 - 1e-4) /
                                                     (1 - np.clip(plain, 1e-4, 1 - 1e-4)))
                                              .mean()), 1.0))
    order = blend.order(frame)
    # Between the two: correlated with each, identical to neither.
    assert np.corrcoef(order, learned)[0, 1] > 0.3
    assert np.corrcoef(order, plain)[0, 1] > 0.3
    assert not np.allclose(order, learned)


def with_a_model(n: int = 4000, seed: int = 3, *, seen_share: float = 0.6,
                 ) -> tuple[pd.DataFrame, pd.Series, pd.Series, pd.Series]:
    """:func:`synthetic` plus a ``model`` column that knows more than the analytics: on the
    customers it trained on (``seen``), in-sample (their labels, nearly); on the others, a
    strong but imperfect signal."""
    frame, label, folds = synthetic(n, seed)
    rng = np.random.default_rng(seed + 1)
    seen = pd.Series(rng.random(n) < seen_share, index=frame.index)
    held_out_signal = 1 / (1 + np.exp(-(3.0 * label + rng.normal(0, 1, n) - 3)))
    in_sample = np.where(label, 0.97, 0.01)
    frame[MODEL] = np.where(seen, in_sample, held_out_signal)
    return frame, label, folds, seen


def test_a_model_that_knows_more_joins_the_fusion_learned_on_the_customers_it_held_out(
) -> None:
    frame, label, folds, seen = with_a_model()
    groups = pd.Series((np.arange(len(frame)) // 10).astype(str), index=frame.index)
    fusion = fit_fusion(frame, label, folds=folds, reference=frame, weights=WEIGHTS,
                        groups=groups)
    assert fusion is not None and fusion.model_stage is None
    joined = add_model_stage(fusion, frame, label, held_out=~seen, folds=folds,
                             reference=frame, model_weight=1.0, groups=groups)
    stage = joined.model_stage
    assert stage is not None and joined.inputs == (*fusion.components, MODEL)
    # Learned on the held-out customers only: their labels, not the in-sample ones.
    assert stage.known == int(label[~seen].sum())
    assert stage.coefficients[1] > 0 and stage.comparison is not None
    assert "graph model learned from" in joined.summary()
    assert joined.describe()["model_stage"]["known"] == stage.known
    # On the held-out customers, the joined order ranks the labels better than the
    # analytics alone, and than the model as a noisy-OR term on top of them.
    y = label[~seen].astype(int)
    order = pd.Series(joined.order(frame), index=frame.index)[~seen]
    analytics = pd.Series(fusion.analytics_score(frame), index=frame.index)
    on_top = 1 - (1 - analytics) * (1 - frame[MODEL])
    assert roc_auc(y, order) > roc_auc(y, analytics[~seen]) + 0.05
    # Level with the model on top here (both near 0.992): never clearly worse.
    assert roc_auc(y, order) >= roc_auc(y, on_top[~seen]) - 0.002
    # The scale is the noisy-OR's with the model; the model is not on top a second time.
    mapped = joined.analytics_score(frame)
    scale = noisy_or(frame, {**fusion.supported_weights(), MODEL: 1.0})
    for q in (0.5, 0.9, 0.99):
        assert np.quantile(mapped, q) == pytest.approx(np.quantile(scale, q), abs=0.02)
    components = frame.assign(known=label.astype(float))
    score = fuse_components(components, {**WEIGHTS, "known": 0.9, MODEL: 1.0}, fusion=joined)
    expected = 100 * (1 - (1 - mapped) * (1 - 0.9 * label.astype(float)))
    assert np.allclose(score, expected)
    # The model is a reason where it lifts the customer, ranked with the others.
    strengths = joined.reason_strengths(frame)
    assert MODEL in strengths.columns
    assert strengths.loc[~seen & label, MODEL].mean() > strengths.loc[~seen & ~label, MODEL].mean()


def test_a_model_with_too_few_held_out_labels_stays_a_noisy_or_term_and_says_why() -> None:
    frame, label, folds, _ = with_a_model()
    fusion = fit_fusion(frame, label, folds=folds, reference=frame, weights=WEIGHTS)
    assert fusion is not None
    few = pd.Series(False, index=frame.index)
    few[label[label].index[:MIN_KNOWN - 1]] = True
    few[label[~label].index[:500]] = True
    kept = add_model_stage(fusion, frame, label, held_out=few, folds=folds, reference=frame,
                           model_weight=1.0)
    assert kept.model_stage is None and kept.inputs == fusion.components
    assert f"{MIN_KNOWN - 1} confirmed labels among the customers it did not train on" in (
        kept.model_note)
    assert "stays a noisy-OR term" in kept.summary()
    # Scored as before: the analytics, the model on top.
    components = frame.assign(known=0.0)
    score = fuse_components(components, {**WEIGHTS, "known": 0.9, MODEL: 1.0}, fusion=kept)
    expected = 100 * (1 - (1 - fusion.analytics_score(frame)) * (1 - frame[MODEL]))
    assert np.allclose(score, expected)


def test_group_folds_keep_a_ring_and_a_community_together_whatever_the_order() -> None:
    index = pd.Index([f"C{i}" for i in range(200)])
    rings = pd.Series({"C1": "R1", "C2": "R1", "C3": "R1", "C50": "R2", "C51": "R2"})
    communities = pd.Series({f"C{i}": f"M{i // 20}" for i in range(100)})
    folds = group_folds(index, rings, communities, folds=5, seed=0)
    assert folds.loc[["C1", "C2", "C3"]].nunique() == 1
    assert folds.loc[["C50", "C51"]].nunique() == 1
    assert folds.loc[[f"C{i}" for i in range(20, 40)]].nunique() == 1  # community M1
    assert set(folds.unique()) <= set(range(5)) and folds.nunique() > 1
    shuffled = group_folds(index[::-1], rings, communities, folds=5, seed=0)
    assert shuffled.reindex(index).equals(folds)


@pytest.fixture(scope="module")
def bank(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("fusion")
    generate_dataset(2000, 5, root / "data")
    with EmbeddedGraphStore(root / "graphrisk.db") as store:
        ingest_directory(store, root / "data")
    return root / "data", root / "graphrisk.db"


def test_a_scoring_run_learns_its_fusion_and_keeps_it_for_rescoring(bank) -> None:
    data, database = bank
    with EmbeddedGraphStore(database) as store:
        learned = score_store(store, load_policy(), write=False)
        plain = score_store(store, load_policy(), replace(
            ScoringSettings.from_policy(load_policy()), fusion="noisy_or"), write=False)
    fusion = learned.fusion
    assert fusion is not None and learned.individual_model is not None
    assert learned.individual_model.fusion is fusion  # what re-scoring fuses with
    assert set(fusion.components) <= set(LEARNED_COMPONENTS)
    assert "learned from" in learned.fusion_summary()
    # Chosen against the noisy-OR on held-out labels, and the run says how sure that is.
    assert fusion.comparison is not None and "cross-validated PR-AUC" in learned.fusion_summary()
    assert fusion.choice in ("learned", "blend")
    assert plain.fusion is None and "noisy-OR" in plain.fusion_summary()
    scores = learned.scores.set_index("customer_id")
    # The stored components re-fuse to the stored score.
    again = fuse_components(scores, ScoringSettings().weights, fusion=fusion)
    assert np.allclose(again, scores["score"], atol=0.01)
    # A confirmed customer stays near the top whatever the fusion learned.
    assert scores.loc[scores["known_risk_label"].notna(), "score"].min() >= 90
    # Judged on the customers nobody told about: at least as good as its best single
    # component, and not worse than the noisy-OR by more than noise.
    truth = pd.read_csv(data / "truth" / "ground_truth.csv").set_index("customer_id")
    unknown = scores.index[scores["known_risk_label"].isna()]
    risky = truth["risky"].reindex(unknown).fillna(0).astype(int)
    fused = roc_auc(risky, scores.loc[unknown, "score"])
    for component in LEARNED_COMPONENTS:
        assert fused >= roc_auc(risky, scores.loc[unknown, component]), component
    baseline = roc_auc(risky, plain.scores.set_index("customer_id").loc[unknown, "score"])
    assert fused >= baseline - 0.02


def test_too_few_labels_say_so(bank) -> None:
    _, database = bank
    with EmbeddedGraphStore(database) as store:
        snapshot = store.snapshot()
        known = snapshot.customers["known_risk_label"].notna()
        keep = set(snapshot.customers.loc[known, "customer_id"].head(MIN_KNOWN - 1))
        customers = snapshot.customers.assign(known_risk_label=[
            label if cid in keep else None for cid, label in
            zip(snapshot.customers["customer_id"], snapshot.customers["known_risk_label"],
                strict=True)])
    from graphrisk.analytics.network import PythonNetworkEngine
    from graphrisk.scoring import score_customers
    few = replace(snapshot, customers=customers)
    result = score_customers(few, PythonNetworkEngine(few), load_policy())
    assert result.fusion is None
    assert f"{MIN_KNOWN - 1} confirmed labels" in result.fusion_note
    assert f"needs at least {MIN_KNOWN}" in result.fusion_summary()


def test_the_banks_own_customer_features_reach_the_score_and_its_coverage(bank) -> None:
    """A bank that loads customer_features gets them read by the individual component (and
    told so); a feature that carries the hidden truth lifts the score on the unknown."""
    data, database = bank
    with EmbeddedGraphStore(database) as store:
        snapshot = store.snapshot()
    truth = pd.read_csv(data / "truth" / "ground_truth.csv").set_index("customer_id")
    ids = snapshot.customers["customer_id"]
    rng = np.random.default_rng(0)
    signal = truth["risky"].reindex(ids).fillna(0).to_numpy() + rng.normal(0, 0.3, len(ids))
    features = pd.DataFrame({"customer_id": ids.to_numpy(), "feature": "leverage",
                             "value": signal})
    from graphrisk.analytics.network import PythonNetworkEngine
    from graphrisk.scoring import score_customers
    with_own = replace(snapshot, customer_features=features)
    result = score_customers(with_own, PythonNetworkEngine(with_own), load_policy())
    before = score_customers(snapshot, PythonNetworkEngine(snapshot), load_policy())
    individual = next(c for c in result.coverage if c.component == "individual")
    assert "1 customer feature of the bank's own read beside them" in individual.detail
    assert result.individual_model is not None
    assert result.individual_model.attributes is not None
    unknown = ids[snapshot.customers["known_risk_label"].isna().to_numpy()]
    risky = truth["risky"].reindex(unknown).fillna(0).astype(int)

    def auc(run) -> float:
        return roc_auc(risky, run.scores.set_index("customer_id").loc[unknown, "score"])

    assert auc(result) > auc(before) + 0.005
    # The reasons say so where the feature makes a customer stand out, in its risky direction.
    reasons = result.scores.set_index("customer_id")["reasons"]
    told = [r for r in reasons for s in r if s.startswith("the bank's own feature leverage")]
    assert told, "no reason names the bank's own feature"
    assert all("higher than" in " ".join(r) for r in told)
    assert not any(s.startswith("the bank's own feature") for r in before.scores["reasons"]
                   for s in r)

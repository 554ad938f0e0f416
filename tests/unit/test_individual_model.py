"""The individual-risk model: out-of-fold scores that find a planted signal, never saw the
customer's own label, repeat for a seed, and refuse bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from threadpoolctl import threadpool_limits

from graphrisk.analytics.evaluation import roc_auc
from graphrisk.analytics.factors import (
    FACTOR_COLUMNS,
    PopulationConstants,
    compute_risk_factors,
)
from graphrisk.analytics.individual_model import (
    ATTRIBUTE_PREFIX,
    IndividualModel,
    _feature_model,
    attribute_frame,
    features_only_scores,
    fit_individual_model,
)
from graphrisk.ingestion.generator import MIN_CUSTOMERS, generate_dataset
from graphrisk.ingestion.loader import ingest_directory
from graphrisk.store.embedded import EmbeddedGraphStore


def _factors(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({"customer_id": [f"C{i:05d}" for i in range(n)]})
    for name in FACTOR_COLUMNS:
        frame[name] = rng.exponential(1.0, n)
    return frame


def test_features_only_scores_find_a_planted_signal() -> None:
    factors = _factors(1200, seed=1)
    rng = np.random.default_rng(2)
    known = pd.Series(
        factors["dispute_count"].to_numpy() + rng.normal(0, 0.5, len(factors)) > 3.0,
        index=factors["customer_id"],
    )
    for model in ("gradient_boosting", "logistic"):
        scores = features_only_scores(factors, known, model=model)  # type: ignore[arg-type]
        assert scores.index.equals(pd.Index(factors["customer_id"]))
        assert scores.name == "features_only_score"
        assert scores.between(0.0, 1.0).all()
        assert roc_auc(known, scores) > 0.85


def test_features_only_scores_are_out_of_fold() -> None:
    # Labels are coin flips, unrelated to the factors: a model scored on the customers it was
    # trained on would still rank their labels well (it memorises them); out-of-fold scores
    # cannot.
    factors = _factors(1000, seed=3)
    known = pd.Series(np.random.default_rng(4).random(len(factors)) < 0.1,
                      index=factors["customer_id"])
    honest = features_only_scores(factors, known)
    assert roc_auc(known, honest) < 0.6
    x = factors[list(FACTOR_COLUMNS)].to_numpy()
    with threadpool_limits(limits=1):  # as features_only_scores fits
        in_sample = _feature_model("gradient_boosting", 0).fit(x, known.to_numpy())
    assert roc_auc(known, in_sample.predict_proba(x)[:, 1]) > 0.75


def test_features_only_scores_are_deterministic_given_the_seed() -> None:
    factors = _factors(600, seed=5)
    known = pd.Series(factors["fraud_claims"].to_numpy() > 2.0, index=factors["customer_id"])
    known = known.iloc[:-50]  # customers missing from `known` count as not known
    first = features_only_scores(factors, known, folds=3, seed=11)
    assert first.equals(features_only_scores(factors, known, folds=3, seed=11))
    assert not first.equals(features_only_scores(factors, known, folds=3, seed=12))


def test_features_only_inputs_are_checked() -> None:
    factors = _factors(100, seed=6)
    known = pd.Series(factors["fraud_claims"].to_numpy() > 1.0, index=factors["customer_id"])
    with pytest.raises(ValueError, match="velocity_burst"):
        features_only_scores(factors.drop(columns="velocity_burst"), known)
    with pytest.raises(ValueError, match="model"):
        features_only_scores(factors, known, model="forest")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="at least 5 with"):
        features_only_scores(factors, known & (factors["fraud_claims"] > 4.5).to_numpy())


# -- confirmed negatives ---------------------------------------------------------------------


def test_no_negatives_leave_the_scores_exactly_as_they_were() -> None:
    factors = _factors(600, seed=4)
    known = pd.Series(factors["dispute_count"].to_numpy() > 2.0, index=factors["customer_id"])
    plain, model = fit_individual_model(factors, known)
    for none in (None, [], ["NOT-A-CUSTOMER"]):
        again, kept = fit_individual_model(factors, known, negatives=none)
        assert (again.to_numpy() == plain.to_numpy()).all()
        assert kept.negatives == 0
    assert model.negatives == 0
    # A known-risk customer named as a negative stays positive: nothing is weighted.
    positive = str(known[known].index[0])
    again, kept = fit_individual_model(factors, known, negatives=[positive])
    assert kept.negatives == 0 and (again.to_numpy() == plain.to_numpy()).all()


@pytest.fixture(scope="module")
def generated_factors(tmp_path_factory: pytest.TempPathFactory) -> tuple[pd.DataFrame, pd.Series]:
    """The factors and known labels of a generated bank (as a full scoring run sees them)."""
    folder = tmp_path_factory.mktemp("negatives")
    generate_dataset(MIN_CUSTOMERS, 5, folder)
    with EmbeddedGraphStore(folder / "s.db") as store:
        ingest_directory(store, folder)
        snapshot = store.snapshot()
    customers = snapshot.customers.set_index("customer_id")
    return compute_risk_factors(snapshot), customers["known_risk_label"].notna()


@pytest.mark.parametrize("kind", ["gradient_boosting", "logistic"])
def test_confirmed_negatives_lower_their_probability(
    generated_factors: tuple[pd.DataFrame, pd.Series], kind: str
) -> None:
    factors, known = generated_factors
    plain, _ = fit_individual_model(factors, known, model=kind)  # type: ignore[arg-type]
    # The false positives of a review: the unlabelled customers the model ranks highest.
    cleared = plain[~known.reindex(plain.index).to_numpy()].nlargest(25).index.tolist()
    taught, model = fit_individual_model(factors, known, model=kind,  # type: ignore[arg-type]
                                         negatives=cleared)
    assert model.negatives == len(cleared)
    before, after = plain[cleared], taught[cleared]
    # Each is scored out of fold, by models that learnt from the other cleared customers.
    assert after.mean() < before.mean() - 0.02, (before.mean(), after.mean())
    assert (after < before).mean() >= 0.7


def test_the_model_keeps_the_population_constants(tmp_path) -> None:
    factors = _factors(300, seed=6)
    known = pd.Series(factors["dispute_count"].to_numpy() > 2.0, index=factors["customer_id"])
    constants = PopulationConstants(period_start=10, period_end=99, credit_neutral=0.42)
    _, model = fit_individual_model(factors, known, population=constants)
    assert model.population == constants
    assert IndividualModel.load(model.save(tmp_path / "m.pkl")).population == constants


def test_the_banks_own_customer_features_are_read_beside_the_factors() -> None:
    """A signal only the bank's own attributes carry is found; re-scoring without passing
    them gives exactly the fit's out-of-fold scores; the logistic model does not read them."""
    factors = _factors(1500, seed=4)  # noise: the factors know nothing here
    rng = np.random.default_rng(5)
    ids = factors["customer_id"]
    known = pd.Series(rng.random(len(ids)) < 0.08, index=ids.to_numpy())
    long = pd.DataFrame({
        "customer_id": np.repeat(ids.to_numpy(), 2),
        "feature": ["leverage", "noise"] * len(ids),
        "value": np.column_stack([known.to_numpy() * 2.0 + rng.normal(0, 0.5, len(ids)),
                                  rng.normal(0, 1, len(ids))]).ravel().astype(str),
    })
    long = long[~((long["feature"] == "noise") & (np.arange(len(long)) % 7 == 1))]
    attributes = attribute_frame(long, pd.Index(ids))
    assert list(attributes.columns) == ["attribute:leverage", "attribute:noise"]
    assert attributes["attribute:noise"].isna().sum() > 0  # missing stays missing
    without, _ = fit_individual_model(factors, known)
    scores, model = fit_individual_model(factors, known, attributes=attributes)
    assert roc_auc(known, without) < 0.65
    assert roc_auc(known, scores) > 0.9
    assert "attribute:leverage" in model.feature_columns
    assert np.allclose(model.predict(factors).to_numpy(), scores.to_numpy())
    _, logistic = fit_individual_model(factors, known, model="logistic", attributes=attributes)
    assert not any(c.startswith(ATTRIBUTE_PREFIX) for c in logistic.feature_columns)
    assert attribute_frame(long.iloc[:0], pd.Index(ids)).shape == (len(ids), 0)

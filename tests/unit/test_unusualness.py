"""The individual component without labels (graphrisk.analytics.unusualness)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from graphrisk.analytics.factors import FACTOR_COLUMNS
from graphrisk.analytics.individual_model import LABEL_FREE, fit_label_free_model
from graphrisk.analytics.unusualness import UnusualnessModel


def _population(n: int = 4000, planted: int = 40, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Five factors, each unusual for 5% of customers at random, and ``planted`` customers
    unusual on three of them at once (the combination risky customers show)."""
    rng = np.random.default_rng(seed)
    x = np.where(rng.random((n, 5)) < 0.05, rng.exponential(1.0, (n, 5)) + 1.0, 0.0)
    risky = np.zeros(n, dtype=bool)
    risky[rng.choice(n, planted, replace=False)] = True
    x[np.ix_(risky, [0, 1, 2])] = rng.exponential(1.0, (planted, 3)) + 2.0
    return x, risky


def test_customers_unusual_on_several_factors_at_once_stand_out() -> None:
    x, risky = _population()
    r = UnusualnessModel(seed=0).fit(x).predict_proba(x)[:, 1]
    assert ((r >= 0) & (r <= 1)).all()
    # The planted combination is far beyond chance; one unusual factor is not.
    assert np.median(r[risky]) > 0.9
    single = ~risky & ((x > 0).sum(axis=1) == 1)
    assert single.sum() > 500 and np.quantile(r[single], 0.95) < 0.2
    assert r[(x > 0).sum(axis=1) == 0].max() == 0.0  # nothing unusual: no evidence


def test_a_bank_whose_factors_only_vary_by_chance_puts_nobody_high() -> None:
    rng = np.random.default_rng(2)
    n = 4000
    x = np.where(rng.random((n, 5)) < 0.1, rng.exponential(1.0, (n, 5)), 0.0)
    r = UnusualnessModel(seed=0).fit(x).predict_proba(x)[:, 1]
    assert (r >= 0.6).mean() < 0.005


def test_the_score_grows_with_the_surprisal_and_is_reproducible() -> None:
    x, _ = _population()
    fitted = UnusualnessModel(seed=3).fit(x)
    s, r = fitted.surprisal(x), fitted.predict_proba(x)[:, 1]
    order = np.argsort(s, kind="stable")
    assert np.all(np.diff(r[order]) >= 0)  # never lower for a more unusual customer
    again = UnusualnessModel(seed=3).fit(x).predict_proba(x)[:, 1]
    assert np.array_equal(r, again)
    # A row scored later (re-scoring) reads the fit's population: the same row, the same r.
    assert np.array_equal(fitted.predict_proba(x[:7])[:, 1], r[:7])


def test_the_label_free_model_scores_as_the_individual_model_does() -> None:
    rng = np.random.default_rng(4)
    n = 500
    factors = pd.DataFrame(np.where(rng.random((n, len(FACTOR_COLUMNS))) < 0.05, 1.0, 0.0),
                           columns=list(FACTOR_COLUMNS))
    factors.insert(0, "customer_id", [f"C{i:04d}" for i in range(n)])
    scores, model = fit_label_free_model(factors, seed=0)
    assert model.kind == LABEL_FREE and list(scores.index) == list(factors["customer_id"])
    # Re-scoring: a customer of the fit gets the fit's value, a new one is scored alike.
    again = model.predict(factors.iloc[:20])
    assert np.allclose(again.to_numpy(), scores.iloc[:20].to_numpy())
    new = factors.iloc[:1].assign(customer_id="C9999")
    assert model.predict(new).iloc[0] == scores.iloc[0]

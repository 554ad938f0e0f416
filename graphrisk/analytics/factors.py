"""Individual risk factors: a row of named, explainable numbers per customer.

Why: before any graph propagation or model, an analyst wants to know what is unusual about one
customer on their own — a low credit score, disputes, payments just under the reporting
threshold, a burst of account changes. Each factor is one plain number with a plain meaning,
so a score built on them can be explained line by line ("7 payments just under the 10,000
reporting threshold").

The factors themselves — what each measures, why it signals risk, its reason sentence and how
the GNN scales it — are entries of :data:`graphrisk.analytics.factor_registry.FACTORS`; this
module computes them for a snapshot, ranks them and turns them into reasons. Every factor grows
with risk, so :func:`factor_percentiles` can rank them all the same way and
:func:`explain_factors` can name a customer's most unusual ones.
"""

from __future__ import annotations

from collections.abc import Collection

import numpy as np
import pandas as pd

from graphrisk.analytics.factor_registry import (
    FACTORS,
    FactorInputs,
    PopulationConstants,
    factor_named,
)
from graphrisk.analytics.ledger import TransactionLedger, ledger_for
from graphrisk.graph import GraphSnapshot
from graphrisk.policy import DEFAULT_HIGH_RISK_COUNTRIES as _POLICY_COUNTRIES
from graphrisk.policy import DEFAULT_HIGH_RISK_INDUSTRIES as _POLICY_INDUSTRIES
from graphrisk.policy import DEFAULT_REPORTING_THRESHOLD

__all__ = [
    "DEFAULT_HIGH_RISK_COUNTRIES",
    "DEFAULT_HIGH_RISK_INDUSTRIES",
    "DEFAULT_REPORTING_THRESHOLD",
    "FACTOR_COLUMNS",
    "FACTOR_DESCRIPTIONS",
    "REASON_PERCENTILE",
    "PopulationConstants",
    "compute_risk_factors",
    "explain_all_factors",
    "explain_factors",
    "factor_percentiles",
    "population_constants",
]

# The defaults live in graphrisk.policy (the policy file's [scoring] section can change them);
# these names stay importable for the callers that used them from here.
DEFAULT_HIGH_RISK_INDUSTRIES: frozenset[str] = frozenset(_POLICY_INDUSTRIES)
DEFAULT_HIGH_RISK_COUNTRIES: frozenset[str] = frozenset(_POLICY_COUNTRIES)

#: Plain-language description of each factor, in column order (from the registry).
FACTOR_DESCRIPTIONS: dict[str, str] = {f.name: f.description for f in FACTORS}
#: The factor columns of :func:`compute_risk_factors`, in order (after ``customer_id``).
FACTOR_COLUMNS: tuple[str, ...] = tuple(f.name for f in FACTORS)
#: A factor names a reason only for customers at or above this percentile of the population
#: (and at or above the factor's ``notable`` value): a reason that most of the top customers
#: share tells an investigator nothing about this one.
REASON_PERCENTILE = 0.95
#: Per factor column, the least value worth a reason (0: anything above 0).
_NOTABLE: dict[str, float] = {f.name: f.notable or 0.0 for f in FACTORS}


def compute_risk_factors(
    snapshot: GraphSnapshot,
    *,
    reporting_threshold: float = DEFAULT_REPORTING_THRESHOLD,
    high_risk_industries: Collection[str] = DEFAULT_HIGH_RISK_INDUSTRIES,
    high_risk_countries: Collection[str] = DEFAULT_HIGH_RISK_COUNTRIES,
    ledger: TransactionLedger | None = None,
    population: PopulationConstants | None = None,
) -> pd.DataFrame:
    """Individual risk factors of every customer in a snapshot.

    Args:
        snapshot: the graph as DataFrames (see :class:`~graphrisk.graph.GraphSnapshot`).
        reporting_threshold: amount at or above which transactions are reported; structuring
            counts amounts in ``[0.9 * threshold, threshold)`` and pass-through needs money
            in and out of at least this much.
        high_risk_industries: industry codes treated as high-risk (compared lower-case).
        high_risk_countries: ISO 3166-1 alpha-2 codes treated as high-risk (upper-case).
        ledger: the snapshot's :func:`~graphrisk.analytics.ledger.build_ledger` (built with
            the same ``reporting_threshold``), when the caller shares one; built here if not.
        population: the population-level constants the factors compare with (the data's
            time span, the credit score that fills a missing one); by default those of
            ``snapshot`` itself (:func:`population_constants`). Pass the whole graph's when
            ``snapshot`` is only a region of it (incremental re-scoring), so that a
            customer's factors do not depend on which other customers were read with them.

    Returns:
        One row per customer, sorted by ``customer_id``, with ``customer_id`` and then the
        columns of :data:`FACTOR_COLUMNS` (counts and flags as ``int64``, the rest
        ``float64``); every factor grows with risk. The registry says what each one
        measures and why.

    Raises:
        ValueError: ``reporting_threshold`` is not positive, or ``ledger`` belongs to another
            snapshot or threshold.
    """
    if not reporting_threshold > 0:
        raise ValueError(f"reporting_threshold must be positive, got {reporting_threshold}")
    ledger = ledger_for(snapshot, ledger, reporting_threshold=reporting_threshold)
    inputs = FactorInputs(ledger, high_risk_industries, high_risk_countries, population)
    frame = pd.DataFrame({"customer_id": ledger.customers["customer_id"]})
    for factor in FACTORS:
        frame[factor.name] = factor.compute(inputs).astype(
            np.int64 if factor.integer else np.float64)
    return frame


def population_constants(
    snapshot: GraphSnapshot,
    *,
    ledger: TransactionLedger | None = None,
) -> PopulationConstants:
    """The population-level constants :func:`compute_risk_factors` uses on ``snapshot``.

    Why: a full run keeps them (with its individual model), so that incremental re-scoring
    computes a few customers' factors on a region against the population's constants, not
    the region's (see :class:`~graphrisk.analytics.factor_registry.PopulationConstants`).
    ``ledger`` is the snapshot's ledger when the caller has one (its reporting threshold
    does not matter here).
    """
    ledger = ledger_for(snapshot, ledger)
    return FactorInputs(ledger, (), ()).population


def factor_percentiles(factors: pd.DataFrame) -> pd.DataFrame:
    """Where each customer stands on each factor, as the share of customers strictly below.

    Why "strictly below": most customers share a factor's common value (no disputes, no
    structuring), and all of them get a low percentile, so a value only counts as unusual
    when few customers reach it.

    Args:
        factors: the output of :func:`compute_risk_factors` (any subset of its factor
            columns, with ``customer_id``).

    Returns:
        ``customer_id`` and one column per factor present, in ``[0, 1)``; higher is riskier.
    """
    present = [c for c in FACTOR_COLUMNS if c in factors.columns]
    n = max(len(factors), 1)
    ranks = factors[present].rank(method="min", ascending=True)
    percentiles = (ranks - 1.0) / n
    percentiles.insert(0, "customer_id", factors["customer_id"].to_numpy())
    return percentiles.reset_index(drop=True)


def explain_factors(
    row: pd.Series,
    percentiles: pd.Series,
    top: int = 3,
    *,
    min_percentile: float = REASON_PERCENTILE,
    reporting_threshold: float = DEFAULT_REPORTING_THRESHOLD,
) -> list[str]:
    """Readable reasons for a customer's most unusual factors, with their numbers.

    Args:
        row: the customer's row of :func:`compute_risk_factors` (raw values).
        percentiles: the same customer's row of :func:`factor_percentiles`.
        top: at most this many reasons.
        min_percentile: factors below this percentile are not unusual enough to name.
        reporting_threshold: the threshold used for the factors, quoted in the reason.

    A factor is named only when the customer is unusual on it against the population (at
    or above ``min_percentile``) *and* its value is above 0 and at least the factor's
    ``notable`` value (a largest payment 1.9 times the typical one is not worth saying,
    however few customers reach it).

    Returns:
        Reasons, most unusual first (ties in column order), e.g.
        ``"7 payments just under the 10,000 reporting threshold"``; empty when nothing
        stands out.
    """
    if top < 1:
        return []
    candidates = []
    for order, name in enumerate(FACTOR_COLUMNS):
        if name not in row.index or name not in percentiles.index:
            continue
        value, pct = row[name], percentiles[name]
        if (pd.isna(value) or pd.isna(pct) or pct < min_percentile or value == 0
                or value < _NOTABLE[name]):
            continue
        candidates.append((-float(pct), order, name, float(value)))
    candidates.sort()
    return [
        factor_named(name).reason(value, reporting_threshold)
        for _, _, name, value in candidates[:top]
    ]


def explain_all_factors(
    factors: pd.DataFrame,
    percentiles: pd.DataFrame,
    top: int = 3,
    *,
    min_percentile: float = REASON_PERCENTILE,
    reporting_threshold: float = DEFAULT_REPORTING_THRESHOLD,
) -> pd.Series:
    """:func:`explain_factors` for every customer at once.

    Why a second function: scoring explains every customer, and calling the one-row version
    100,000 times takes minutes; this picks each customer's most unusual factors with one
    sort and formats only the reasons that are kept.

    Args:
        factors: the output of :func:`compute_risk_factors`.
        percentiles: the output of :func:`factor_percentiles` for the same customers, in the
            same order.
        top: at most this many reasons per customer.
        min_percentile: factors below this percentile are not unusual enough to name (and,
            as in :func:`explain_factors`, values under a factor's ``notable`` never are).
        reporting_threshold: the threshold used for the factors, quoted in the reason.

    Returns:
        A list of reasons per ``customer_id``, most unusual first (ties in column order).
    """
    present = [c for c in FACTOR_COLUMNS if c in factors.columns and c in percentiles.columns]
    values = factors[present].to_numpy(dtype=float)
    pct = percentiles[present].to_numpy(dtype=float)
    notable = np.array([_NOTABLE[name] for name in present])
    usable = ((pct >= min_percentile) & (values != 0) & (values >= notable)
              & ~np.isnan(values) & ~np.isnan(pct))
    ranked = np.where(usable, pct, -1.0)
    # Stable sort on the negated percentile keeps column order among ties.
    order = np.argsort(-ranked, axis=1, kind="stable")[:, : max(top, 0)]
    builders = [factor_named(name).reason for name in present]
    reasons: list[list[str]] = []
    for row in range(len(values)):
        chosen = [c for c in order[row] if usable[row, c]]
        reasons.append([builders[c](values[row, c], reporting_threshold) for c in chosen])
    return pd.Series(reasons, index=pd.Index(factors["customer_id"], name="customer_id"),
                     name="factor_reasons", dtype=object)

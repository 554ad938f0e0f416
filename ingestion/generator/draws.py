"""The fixed one-year period and the random draws the generator is built from.

Why fixed: the period starts on a set date, so a seed always gives the same bytes whenever it
is run. Every draw goes through the one ``numpy.random.Generator`` passed in, in a fixed order;
calling these helpers in another order changes the output of a seed.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "DAY",
    "EPOCH_DAY",
    "HOUR",
    "PERIOD_DAYS",
    "business_seconds",
    "lognormal",
    "month_days",
    "pick",
    "weekdays",
    "within",
]

_PERIOD_START = np.datetime64("2025-01-01", "D")
PERIOD_DAYS = 365  # one year of activity
_PERIOD_START_WEEKDAY = 2  # 2025-01-01 was a Wednesday (Monday = 0)
DAY = 86_400  # seconds
HOUR = 3_600  # seconds
EPOCH_DAY = int(_PERIOD_START.astype(np.int64))  # days since 1970-01-01


def pick(
    rng: np.random.Generator, options: int, size: int, weights: tuple[float, ...] | np.ndarray
) -> np.ndarray:
    """``size`` indices into ``options`` with the given (unnormalised) weights."""
    p = np.asarray(weights, dtype=np.float64)
    return rng.choice(options, size=size, p=p / p.sum())


def business_seconds(rng: np.random.Generator, days: np.ndarray) -> np.ndarray:
    """Timestamps (seconds from the period start) in business hours on the given days."""
    days = np.asarray(days, np.int64)
    hours = np.clip(np.rint(rng.normal(13.0, 2.8, len(days))), 7, 20).astype(np.int64)
    return days * DAY + hours * HOUR + rng.integers(0, HOUR, len(days))


def weekdays(
    rng: np.random.Generator, size: int, low: int = 0, high: int = PERIOD_DAYS
) -> np.ndarray:
    """Random days in ``[low, high)``, most weekend days moved to a weekday of that week."""
    days = rng.integers(low, high, size)
    weekday = (days + _PERIOD_START_WEEKDAY) % 7
    move = (weekday >= 5) & (rng.random(size) < 0.75)
    shifted = days - weekday + rng.integers(0, 5, size)
    days = np.where(move & (shifted >= low), shifted, days)
    return np.clip(days, low, high - 1)


def lognormal(
    rng: np.random.Generator, median: float, sigma: float, size: int | None = None
) -> np.ndarray:
    """Heavy-tailed positive amounts around ``median``, rounded to cents."""
    values = rng.lognormal(np.log(median), sigma, size)
    return np.maximum(np.round(values, 2), 0.01)


def month_days(day_of_month: int) -> np.ndarray:
    """Day offset of ``day_of_month`` in each month of the period, moved off weekends."""
    months = np.arange(12)
    firsts = (np.datetime64("2025-01", "M") + months).astype("datetime64[D]")
    days = (firsts - _PERIOD_START).astype(np.int64) + day_of_month - 1
    weekday = (days + _PERIOD_START_WEEKDAY) % 7
    return days - np.where(weekday >= 5, weekday - 4, 0)


def within(rng: np.random.Generator, start: int, hours: float, size: int) -> np.ndarray:
    """``size`` sorted timestamps within ``hours`` after ``start`` (seconds)."""
    return np.sort(start + rng.integers(0, max(int(hours * HOUR), 1), size))

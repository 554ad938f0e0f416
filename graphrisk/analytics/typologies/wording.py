"""Plain-English pieces of the typology reasons: counts, lists of names, sums and spans.

Why shared: every detector names accounts, amounts and how long the money took in the same
words, so that an investigator reads one style of reason whatever found the instance.
"""

from __future__ import annotations

import numpy as np

from graphrisk.analytics.ledger import DAY_SECONDS
from graphrisk.analytics.typologies.transfers import Transfers

__all__ = ["count_text", "list_text", "money_text", "span_text"]

_MAX_LISTED = 6  # parties named in a reason before "and N more"


def count_text(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def list_text(names: list[str]) -> str:
    """Names joined with commas, the tail cut to "and N more" so a reason stays readable."""
    if len(names) <= _MAX_LISTED:
        return ", ".join(names)
    return f"{', '.join(names[:_MAX_LISTED])} and {len(names) - _MAX_LISTED} more"


def money_text(t: Transfers, rows: np.ndarray) -> str:
    """``"24,300 EUR"``; amounts in several currencies are added as they stand."""
    total = float(t.amount[rows].sum())
    currencies = sorted(set(t.currency_of(rows)))
    if len(currencies) == 1:
        return f"{total:,.0f} {currencies[0]}"
    if not currencies:
        return f"{total:,.0f}"
    return f"{total:,.0f} (in {', '.join(currencies)})"


def span_text(t: Transfers, rows: np.ndarray) -> str:
    """How long the transfers took: hours under two days, else days."""
    seconds = int(t.seconds[rows].max() - t.seconds[rows].min())
    if seconds < 2 * DAY_SECONDS:
        hours = seconds / 3_600
        return f"{hours:.0f} hours" if hours >= 1.5 else "1 hour"
    return f"{seconds / DAY_SECONDS:.1f} days"
"""What every typology detector reads: the transfers worth looking at, in time order.

Why shared: the detectors apply the same rules (a customer's accounts are one party, small
transfers are everyday spending, standing relationships are no burst); writing them once, over
the snapshot's :class:`~graphrisk.analytics.ledger.TransactionLedger`, keeps the detectors
agreeing on what a transfer is.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from graphrisk.analytics.arrow_columns import id_keys
from graphrisk.analytics.ledger import DAY_SECONDS, TransactionLedger
from graphrisk.analytics.typologies.settings import TypologySettings

__all__ = ["Found", "Transfers"]


@dataclass(frozen=True)
class Transfers:
    """Transfers of at least ``min_amount`` between two different parties, in time order.

    Parties are coded: our customers by their ledger customer code (every account of a
    customer is the same party), counterparties ``-1``. Account and counterparty ids are
    looked up only for the few transfers that end up in a reason (:meth:`load_names`),
    because turning a million ids into Python strings would cost more than all the detectors
    together. ``src_party``/``dst_party`` tell parties apart without names: the customer
    code, or ``-2 - k`` for the counterparty of ledger code ``k``.

    ``standing`` marks transfers between two customers with a standing relationship: their
    transfers to each other (of any size) span ``recurring_days`` or more — salary, rent,
    pocket money — so they are no burst and nothing passed on.
    """

    ledger: TransactionLedger
    customer_ids: np.ndarray  # customer code -> id
    src: np.ndarray  # customer code, -1 for a counterparty
    dst: np.ndarray
    src_party: np.ndarray
    dst_party: np.ndarray
    amount: np.ndarray
    seconds: np.ndarray  # int64 seconds since 1970, UTC
    standing: np.ndarray
    frame_rows: np.ndarray  # row of each transfer in snapshot.transactions
    _names: dict[int, tuple[str | None, str | None, str | None]] = field(default_factory=dict)

    @classmethod
    def build(cls, ledger: TransactionLedger, settings: TypologySettings) -> Transfers:
        src, dst, seconds, amount = ledger.payer, ledger.payee, ledger.seconds, ledger.amount
        has_src = (src >= 0) | (ledger.payer_counterparty >= 0)
        has_dst = (dst >= 0) | (ledger.payee_counterparty >= 0)
        # One end must be ours, and money between two accounts of one customer is no signal.
        usable = has_src & has_dst & ((src >= 0) | (dst >= 0)) & (src != dst) & ledger.timed

        between = usable & (src >= 0) & (dst >= 0)
        keep = np.flatnonzero(usable & (amount >= settings.min_amount))
        # Time order, ties by transaction id: the same snapshot always gives the same result.
        by_time = pa.table({"t": seconds[keep], "id": ledger.transaction_ids.take(pa.array(keep))})
        keep = keep[pc.sort_indices(by_time, [("t", "ascending"), ("id", "ascending")]).to_numpy()]
        src_cp, dst_cp = ledger.payer_counterparty[keep], ledger.payee_counterparty[keep]
        return cls(
            ledger=ledger,
            customer_ids=ledger.customer_ids,
            src=src[keep],
            dst=dst[keep],
            src_party=np.where(src[keep] >= 0, src[keep], -2 - src_cp),
            dst_party=np.where(dst[keep] >= 0, dst[keep], -2 - dst_cp),
            amount=amount[keep],
            seconds=seconds[keep],
            standing=_standing(
                src[between],
                dst[between],
                seconds[between],
                src[keep],
                dst[keep],
                settings.recurring_days,
            ),
            frame_rows=keep,
        )

    def __len__(self) -> int:
        return len(self.src)

    def load_names(self, rows: np.ndarray) -> None:
        """Look up the ids and currency of these transfers, for :meth:`names`, at once."""
        rows = np.unique(rows)
        frame_rows = self.frame_rows[rows]
        txns = self.ledger.snapshot.transactions
        currencies = (
            id_keys(txns["currency"].iloc[frame_rows]).to_pylist()
            if "currency" in txns.columns
            else [None] * len(rows)
        )
        columns = [
            self.ledger.end_ids(frame_rows, "payer"),
            self.ledger.end_ids(frame_rows, "payee"),
            currencies,
        ]
        self._names.update(zip(rows.tolist(), zip(*columns, strict=True), strict=True))

    def names(self, rows: np.ndarray, side: str) -> list[str]:
        """The account (or counterparty) id at one end of each transfer (loaded first)."""
        index = 0 if side == "src" else 1
        return [str(self._names[row][index]) for row in rows.tolist()]

    def parties(self, rows: np.ndarray, side: str) -> list[str]:
        """``"A7 (C7)"`` for an account of customer C7, the bare id for a counterparty."""
        codes = self.src[rows] if side == "src" else self.dst[rows]
        return [
            f"{name} ({self.customer_ids[code]})" if code >= 0 else name
            for name, code in zip(self.names(rows, side), codes.tolist(), strict=True)
        ]

    def currency_of(self, rows: np.ndarray) -> list[str]:
        values = (self._names[row][2] for row in rows.tolist())
        return [v for v in values if v]


def _standing(
    src: np.ndarray,
    dst: np.ndarray,
    seconds: np.ndarray,
    query_src: np.ndarray,
    query_dst: np.ndarray,
    days: float,
) -> np.ndarray:
    """Whether each queried pair's transfers (``src``, ``dst``, ``seconds``) span ``days``."""
    times = pd.DataFrame({"a": src, "b": dst, "t": seconds}).groupby(["a", "b"])["t"]
    span = times.max() - times.min()
    standing = span[span >= days * DAY_SECONDS].index
    return pd.MultiIndex.from_arrays([query_src, query_dst]).isin(standing)


@dataclass(frozen=True)
class Found:
    """One instance before numbering: rows of :class:`Transfers` and its reason."""

    kind: str
    rows: np.ndarray
    reason: Callable[[], str]  # called once the names of every instance's rows are loaded

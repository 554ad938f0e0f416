"""The transaction ledger: every transaction of a snapshot resolved once to who paid whom.

Why: the individual factors, the typology detectors, the customer graph, the Neo4j reference
baseline and the GNN's features all start from the same question — which account and which
customer paid each transaction, which received it, how much and when. Answering it means
looking a million string ids up in the account table and parsing a million timestamps; done
once per consumer it was the largest cost of a scoring run, and five hand-written copies of
the rules (is a transfer between two accounts of one customer "internal"? what counts as a
round amount?) could drift apart. :func:`build_ledger` answers it once per snapshot, as numpy
arrays aligned with ``snapshot.transactions``, and every consumer reads the same arrays.

Codes, all ``int64`` with ``-1`` for "none":

* a **customer code** indexes :attr:`TransactionLedger.customer_ids`: the distinct customer ids
  of ``snapshot.customers``, sorted, so that comparing two codes compares the two ids;
* an **account position** indexes :attr:`TransactionLedger.account_ids`: the rows of
  ``snapshot.accounts`` (a repeated account id resolves to its first row); each account
  belongs to the customer ``accounts.customer_id`` (:attr:`TransactionLedger.account_owner`),
  or to nobody when that id is not a customer of the snapshot;
* a **counterparty code** indexes :attr:`TransactionLedger.counterparty_ids`: the distinct ids
  of ``snapshot.counterparties`` in table order, then the ids that only transactions name.

The shared per-transaction predicates (odd hours, round amounts, the band just under the
reporting threshold, internal transfers) are defined here and nowhere else; they are computed
on first use and kept.

Missing data: an unknown amount is 0, an unknown or unparsable time is ``-1`` (and never at
odd hours); a column that a hand-built snapshot leaves out reads as all missing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from graphrisk.analytics.arrow_columns import id_keys, iso_seconds
from graphrisk.graph import GraphSnapshot
from graphrisk.policy import DEFAULT_REPORTING_THRESHOLD

__all__ = [
    "DAY_SECONDS",
    "JUST_UNDER_SHARE",
    "ODD_HOURS",
    "ROUND_MINIMUM",
    "ROUND_UNIT",
    "TransactionLedger",
    "build_ledger",
    "ledger_for",
]

#: Seconds in a day.
DAY_SECONDS = 86_400
#: ``[start, end)`` hours of the day (UTC) that count as odd: automated or remotely
#: controlled activity runs while the owner sleeps.
ODD_HOURS: tuple[int, int] = (0, 5)
#: Round amounts are whole multiples of this ...
ROUND_UNIT = 100.0
#: ... of at least this much: small sums (a 20 top-up) are round by habit, not by design.
ROUND_MINIMUM = 1_000.0
#: The band "just under the reporting threshold" is ``[JUST_UNDER_SHARE * threshold,
#: threshold)``: splitting cash to stay under the threshold is itself an offence.
JUST_UNDER_SHARE = 0.9


@dataclass(frozen=True, eq=False)
class TransactionLedger:
    """The transactions of one snapshot, resolved to accounts, customers and counterparties.

    Every per-transaction array has one entry per row of ``snapshot.transactions``, in that
    order. Build it with :func:`build_ledger`; the module docstring explains the codes.

    Attributes:
        snapshot: the snapshot it was built from (consumers check they got the right one).
        reporting_threshold: the threshold of :attr:`just_under_threshold`.
        customers: ``snapshot.customers`` with one row per customer code (first row of a
            repeated id), sorted by ``customer_id``, index ``0..n-1``.
        customer_ids: customer code -> id (object array, sorted).
        account_ids: account position -> id (the rows of ``snapshot.accounts``).
        account_owner: account position -> customer code of ``accounts.customer_id``.
        counterparty_ids: counterparty code -> id.
        counterparty_rows: the first row of ``snapshot.counterparties`` of each code in the
            table (the codes after them are ids only transactions name).
        payer_account / payee_account: account position of each end, -1 for none.
        payer_counterparty / payee_counterparty: counterparty code of each end, -1 for none.
        payer / payee: customer code owning each end's account, -1 for none.
        amount: ``float64``, 0 where unknown.
        seconds: ``int64`` seconds since 1970 (UTC), -1 where unknown.
    """

    snapshot: GraphSnapshot = field(repr=False)
    reporting_threshold: float
    customers: pd.DataFrame = field(repr=False)
    customer_ids: np.ndarray = field(repr=False)
    account_ids: pa.Array = field(repr=False)
    account_owner: np.ndarray = field(repr=False)
    counterparty_ids: pa.Array = field(repr=False)
    counterparty_rows: np.ndarray = field(repr=False)
    payer_account: np.ndarray = field(repr=False)
    payee_account: np.ndarray = field(repr=False)
    payer_counterparty: np.ndarray = field(repr=False)
    payee_counterparty: np.ndarray = field(repr=False)
    payer: np.ndarray = field(repr=False)
    payee: np.ndarray = field(repr=False)
    amount: np.ndarray = field(repr=False)
    seconds: np.ndarray = field(repr=False)

    def __len__(self) -> int:
        return len(self.amount)

    @property
    def n_customers(self) -> int:
        """Number of customer codes."""
        return len(self.customer_ids)

    # ----------------------------------------------------------------------------------------
    # Shared predicates, one boolean per transaction
    # ----------------------------------------------------------------------------------------

    @cached_property
    def timed(self) -> np.ndarray:
        """The transaction's time is known."""
        return self.seconds >= 0

    @cached_property
    def odd_hour(self) -> np.ndarray:
        """Made between :data:`ODD_HOURS` (UTC); false where the time is unknown."""
        hour = (self.seconds % DAY_SECONDS) // 3_600
        return self.timed & (hour >= ODD_HOURS[0]) & (hour < ODD_HOURS[1])

    @cached_property
    def large(self) -> np.ndarray:
        """At least :data:`ROUND_MINIMUM`: the transactions that can be "round"."""
        return self.amount >= ROUND_MINIMUM

    @cached_property
    def round_amount(self) -> np.ndarray:
        """:attr:`large` and a whole multiple of :data:`ROUND_UNIT` (to the cent)."""
        nearest = np.round(self.amount / ROUND_UNIT) * ROUND_UNIT
        return self.large & (np.abs(self.amount - nearest) < 0.005)

    @cached_property
    def just_under_threshold(self) -> np.ndarray:
        """In ``[JUST_UNDER_SHARE * reporting_threshold, reporting_threshold)``."""
        threshold = self.reporting_threshold
        return (self.amount >= JUST_UNDER_SHARE * threshold) & (self.amount < threshold)

    @cached_property
    def internal(self) -> np.ndarray:
        """Between two accounts of the same customer: moving one's own money is no signal."""
        return (self.payer >= 0) & (self.payer == self.payee)

    @cached_property
    def between_customers(self) -> np.ndarray:
        """From an account of one customer to an account of another."""
        return (self.payer >= 0) & (self.payee >= 0) & (self.payer != self.payee)

    # ----------------------------------------------------------------------------------------
    # Ids, looked up only where asked
    # ----------------------------------------------------------------------------------------

    @cached_property
    def transaction_ids(self) -> pa.Array:
        """``transactions.transaction_id`` as Arrow strings (for stable tie-breaks)."""
        return id_keys(_column(self.snapshot.transactions, "transaction_id"))

    def end_ids(self, rows: np.ndarray, side: str) -> list[str | None]:
        """The id at one end of each of ``rows``: the account id, else the counterparty id.

        Why rows only: turning a million ids into Python strings costs more than the
        analytics; reasons name a few hundred transactions.

        Args:
            rows: transaction rows (positions in ``snapshot.transactions``).
            side: ``"payer"`` or ``"payee"``.
        """
        if side not in ("payer", "payee"):
            raise ValueError(f"side must be 'payer' or 'payee', got {side!r}")
        prefix = "from" if side == "payer" else "to"
        txns = self.snapshot.transactions
        account = id_keys(_column(txns, f"{prefix}_account_id").iloc[rows])
        party = id_keys(_column(txns, f"{prefix}_counterparty_id").iloc[rows])
        return pc.coalesce(account, party).to_pylist()

    def customer_transfers(self) -> pd.DataFrame:
        """Payments between two different customers, as unordered pairs, in row order.

        Returns:
            ``customer_id_a < customer_id_b`` and ``amount``, one row per transaction between
            accounts of two different customers (payments to or from counterparties and
            between one customer's own accounts are left out). Computed once and shared:
            treat the frame as read-only.
        """
        return self._customer_transfers

    def counterparty_payments(self) -> pd.DataFrame:
        """How often each customer paid or was paid by each counterparty.

        Returns:
            ``customer_id`` (the owner of the customer's end's account), ``counterparty_id``
            and ``payments`` (transactions either way), one row per pair, sorted.
        """
        out_rows = (self.payer >= 0) & (self.payee_counterparty >= 0)
        in_rows = (self.payee >= 0) & (self.payer_counterparty >= 0)
        customer = np.concatenate([self.payer[out_rows], self.payee[in_rows]])
        party = np.concatenate([self.payee_counterparty[out_rows],
                                self.payer_counterparty[in_rows]])
        if not len(customer):
            return pd.DataFrame({"customer_id": pd.Series(dtype=object),
                                 "counterparty_id": pd.Series(dtype=object),
                                 "payments": pd.Series(dtype="int64")})
        pairs, counts = np.unique(np.stack([customer, party]), axis=1, return_counts=True)
        parties = np.asarray(self.counterparty_ids.take(pa.array(pairs[1])).to_pylist(),
                             dtype=object)
        frame = pd.DataFrame({"customer_id": self.customer_ids[pairs[0]],
                              "counterparty_id": parties, "payments": counts.astype("int64")})
        return frame.sort_values(["customer_id", "counterparty_id"], ignore_index=True)

    @cached_property
    def _customer_transfers(self) -> pd.DataFrame:
        rows = np.flatnonzero(self.between_customers)
        payer, payee = self.payer[rows], self.payee[rows]
        # Codes follow sorted ids, so the smaller code is the smaller id.
        return pd.DataFrame({
            "customer_id_a": self.customer_ids[np.minimum(payer, payee)],
            "customer_id_b": self.customer_ids[np.maximum(payer, payee)],
            "amount": self.amount[rows],
        })


def build_ledger(
    snapshot: GraphSnapshot, *, reporting_threshold: float = DEFAULT_REPORTING_THRESHOLD
) -> TransactionLedger:
    """Resolve every transaction of ``snapshot`` once (see :class:`TransactionLedger`).

    Args:
        snapshot: the graph as DataFrames; reads ``customers.customer_id``,
            ``accounts`` (``account_id``, ``customer_id``), ``counterparties.counterparty_id``
            and ``transactions`` (``from_/to_account_id``, ``from_/to_counterparty_id``,
            ``amount``, ``timestamp``; any may be missing).
        reporting_threshold: the threshold of the "just under" band.

    Returns:
        The ledger; about a second for a million transactions.

    Raises:
        ValueError: ``reporting_threshold`` is not positive.
    """
    if not reporting_threshold > 0:
        raise ValueError(f"reporting_threshold must be positive, got {reporting_threshold}")
    customers = (
        snapshot.customers.drop_duplicates("customer_id")
        .sort_values("customer_id")
        .reset_index(drop=True)
    )
    customer_ids = customers["customer_id"].to_numpy(dtype=object)
    customer_keys = id_keys(customers["customer_id"])
    accounts = snapshot.accounts
    account_ids = id_keys(_column(accounts, "account_id"))
    account_owner = _positions(id_keys(_column(accounts, "customer_id")), customer_keys)

    txns = snapshot.transactions
    payer_account = _positions(id_keys(_column(txns, "from_account_id")), account_ids)
    payee_account = _positions(id_keys(_column(txns, "to_account_id")), account_ids)
    owner_of = np.append(account_owner, -1)  # position -1 (no account) -> no customer

    table = id_keys(_column(snapshot.counterparties, "counterparty_id"))
    payer_cp_keys = id_keys(_column(txns, "from_counterparty_id"))
    payee_cp_keys = id_keys(_column(txns, "to_counterparty_id"))
    listed = pc.unique(table.drop_null())
    named = pc.unique(pa.chunked_array([payer_cp_keys, payee_cp_keys], pa.string()).drop_null())
    unlisted = named.filter(pc.invert(pc.is_in(named, value_set=listed)))
    counterparty_ids = pa.concat_arrays([listed, unlisted])

    amount = pd.to_numeric(_column(txns, "amount"), errors="coerce").to_numpy(dtype=float)
    return TransactionLedger(
        snapshot=snapshot,
        reporting_threshold=float(reporting_threshold),
        customers=customers,
        customer_ids=customer_ids,
        account_ids=account_ids,
        account_owner=account_owner,
        counterparty_ids=counterparty_ids,
        counterparty_rows=_positions(listed, table),
        payer_account=payer_account,
        payee_account=payee_account,
        payer_counterparty=_positions(payer_cp_keys, counterparty_ids),
        payee_counterparty=_positions(payee_cp_keys, counterparty_ids),
        payer=owner_of[payer_account],
        payee=owner_of[payee_account],
        amount=np.nan_to_num(amount, nan=0.0),
        seconds=iso_seconds(_column(txns, "timestamp")),
    )


def ledger_for(
    snapshot: GraphSnapshot,
    ledger: TransactionLedger | None,
    *,
    reporting_threshold: float | None = None,
) -> TransactionLedger:
    """``ledger`` when given (checked to belong to ``snapshot``), else a new one.

    Why: public analytics take an optional ledger so a pipeline builds it once, while a test
    or a notebook can pass just a snapshot.

    Raises:
        ValueError: ``ledger`` was built from another snapshot, or with another
            ``reporting_threshold`` than the one asked for.
    """
    if ledger is None:
        if reporting_threshold is None:
            return build_ledger(snapshot)
        return build_ledger(snapshot, reporting_threshold=reporting_threshold)
    if ledger.snapshot is not snapshot:
        raise ValueError("the ledger was built from another snapshot; pass build_ledger(snapshot)")
    if reporting_threshold is not None and ledger.reporting_threshold != reporting_threshold:
        raise ValueError(
            f"the ledger was built with reporting_threshold {ledger.reporting_threshold}, "
            f"not {reporting_threshold}"
        )
    return ledger


def _column(frame: pd.DataFrame, name: str) -> pd.Series:
    """A column, or all-missing when a hand-built frame leaves it out."""
    if name in frame.columns:
        return frame[name]
    return pd.Series([None] * len(frame), index=frame.index, dtype=object)


def _positions(values: pa.Array, keys: pa.Array) -> np.ndarray:
    """Position in ``keys`` of each value (the first, where a key repeats); -1 where absent."""
    found = pc.index_in(values, value_set=keys)
    return found.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)

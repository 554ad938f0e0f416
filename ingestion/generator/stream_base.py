"""What the event stream needs to know about the base data set it continues.

Why a module of its own: :func:`~.stream.generate_stream` must pick payees a customer already
paid, customers who never dealt with each other, identifiers held by known-risk customers and
the moment the base data ends. All of that is read here once, into integer-coded numpy arrays,
so that drawing a 100-batch stream over a 100,000-customer base never looks up one row at a
time in a DataFrame.
"""

from __future__ import annotations

from csv import reader
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from graphrisk.analytics.arrow_columns import iso_seconds
from graphrisk.domain import TRANSACTIONS, IdentifierKind

__all__ = ["STREAM_ID_PATTERN", "BaseView", "read_base"]

#: What a stream's transaction, dispute and change ids look like (``S0001T000042``).
STREAM_ID_PATTERN = r"^S[0-9]{4}[TDX][0-9]{6}$"

#: Customers of this typology in ``truth/ground_truth.csv`` are ordinary banking customers.
_NORMAL = "normal"


@dataclass(frozen=True)
class BaseView:
    """The base data set, integer-coded: customers, accounts and counterparties by position.

    Attributes:
        customer_ids / account_ids / counterparty_ids: code -> business id.
        labelled: customer has a ``known_risk_label``.
        plain: customer is ordinary in the hidden truth (``typology == normal``), or there is
            no truth to say otherwise.
        joint: customer co-holds an account or owns one with co-holders; monitoring may
            credit such payments to several people, so the stream leaves them out.
        disputed: customer raised a dispute in the base data.
        account_owner: account code -> owner's customer code.
        usable_account: active, in the stream currency, no co-holders.
        main_account: customer code -> the usable account they paid most from (or the first
            usable one; -1 when none).
        pair_customer / pair_account / pair_counterparty / pair_channel / pair_type /
            pair_amount: every (account -> counterparty) payment route of the base data with
            a usable account, sorted by customer; ``pair_start`` / ``pair_count`` index them
            per customer.
        payees: customer code -> codes of every payee they paid (accounts ``a`` as ``a``,
            counterparties ``p`` as ``-1 - p``), only for the customers asked for.
        dealt: pairs ``(low, high)`` of customer codes with a base transfer between them.
        last_large_in: customer code -> seconds of their latest incoming transfer of at least
            ``large`` (int64 min when none): the pass-through detector pairs money in with
            money out for a week, so planted transfer shapes keep clear of recent income.
        last_out: customer code -> seconds of their latest outgoing base payment (int64 min
            when none): monitoring counts a payee first paid within the last week as new.
        base_end: seconds of the latest base transaction.
        currency: the most common transaction currency; the stream pays in it only.
        identifiers: customer code, kind and raw value of every identifier, sorted by
            customer (normalised only where needed: normalising every address is slow).
        account_array / counterparty_array: the ids again, as Arrow arrays for ``take``.
    """

    customer_ids: np.ndarray
    account_ids: np.ndarray
    counterparty_ids: np.ndarray
    labelled: np.ndarray
    plain: np.ndarray
    joint: np.ndarray
    disputed: np.ndarray
    account_owner: np.ndarray
    usable_account: np.ndarray
    main_account: np.ndarray
    pair_customer: np.ndarray
    pair_account: np.ndarray
    pair_counterparty: np.ndarray
    pair_channel: np.ndarray
    pair_type: np.ndarray
    pair_amount: np.ndarray
    pair_start: np.ndarray
    pair_count: np.ndarray
    dealt: frozenset[tuple[int, int]]
    last_large_in: np.ndarray
    last_out: np.ndarray
    base_end: int
    currency: str
    identifiers: pd.DataFrame
    account_array: pa.Array
    counterparty_array: pa.Array
    _payer: np.ndarray
    _payee: np.ndarray

    @property
    def n_customers(self) -> int:
        return len(self.customer_ids)

    def payees(self, customers: np.ndarray) -> dict[int, set[int]]:
        """Payees each of ``customers`` paid in the base data (see the class docstring)."""
        wanted = np.isin(self._payer, customers)
        out: dict[int, set[int]] = {int(c): set() for c in customers}
        for payer, payee in zip(
            self._payer[wanted].tolist(), self._payee[wanted].tolist(), strict=True
        ):
            out[payer].add(payee)
        return out


def _read(base_dir: Path, name: str, columns: list[str]) -> pa.Table:
    """Columns of one base entity file (CSV or Parquet) as strings; missing file -> empty."""
    csv, parquet = base_dir / f"{name}.csv", base_dir / f"{name}.parquet"
    if csv.exists():
        with csv.open(encoding="utf-8", newline="") as handle:
            header = next(reader(handle), [])
        present = [c for c in columns if c in header]
        table = pa_csv.read_csv(
            csv,
            convert_options=pa_csv.ConvertOptions(
                include_columns=present,
                column_types={c: pa.string() for c in present},
                strings_can_be_null=True,
            ),
        )
    elif parquet.exists():
        table = pq.read_table(parquet)
        table = table.select([c for c in columns if c in table.column_names])
        table = pa.table({c: table[c].cast(pa.string()) for c in table.column_names})
    else:
        table = pa.table({})
    rows = table.num_rows
    return pa.table(
        {
            c: table[c].combine_chunks() if c in table.column_names else pa.nulls(rows, pa.string())
            for c in columns
        }
    )


def _codes(values: pa.Array | pa.ChunkedArray, ids: pa.Array) -> np.ndarray:
    """Position of each value in ``ids``; -1 for missing or unknown values."""
    found = pc.index_in(values, value_set=ids)
    return found.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)


def _sorted_ids(values: pa.Array) -> pa.Array:
    unique = pc.unique(values.combine_chunks().drop_null())
    return unique.take(pc.array_sort_indices(unique))


def _text(values: pa.Array) -> np.ndarray:
    return np.asarray(values.to_pylist(), dtype=object)


def read_base(base_dir: Path, *, large: float) -> BaseView:
    """Read the base data set written by :func:`~.pipeline.generate_dataset`.

    Args:
        base_dir: the folder holding ``customers.csv``, ``accounts.csv``... and, where
            present, ``truth/ground_truth.csv``.
        large: transfers of at least this much count for :attr:`BaseView.last_large_in`.

    Raises:
        ValueError: the folder has no customers, accounts or transactions, or its ids look
            like the stream's (``S`` and four digits), which a stream would overwrite.
    """
    customers = _read(base_dir, "customers", ["customer_id", "known_risk_label"])
    accounts = _read(base_dir, "accounts", ["account_id", "customer_id", "currency", "status"])
    holders = _read(base_dir, "account_holders", ["account_id", "customer_id"])
    cps = _read(base_dir, "counterparties", ["counterparty_id"])
    txns = _read(base_dir, "transactions", TRANSACTIONS.column_names)
    disputes = _read(base_dir, "disputes", ["dispute_id", "customer_id"])
    changes = _read(base_dir, "account_changes", ["change_id"])
    idents = _read(base_dir, "identifiers", ["customer_id", "kind", "value"])
    if not (customers.num_rows and accounts.num_rows and txns.num_rows):
        raise ValueError(
            f"{base_dir} needs customers, accounts and transactions files with "
            "rows; write one with generate_dataset first"
        )
    for column in (txns["transaction_id"], disputes["dispute_id"], changes["change_id"]):
        if pc.any(pc.match_substring_regex(column, STREAM_ID_PATTERN)).as_py():
            raise ValueError(
                f"{base_dir} has ids like a stream's ({STREAM_ID_PATTERN}); a "
                "stream over it would overwrite them"
            )
    truth = (
        _read(base_dir / "truth", "ground_truth", ["customer_id", "typology"])
        if (base_dir / "truth" / "ground_truth.csv").exists()
        else None
    )

    customer_ids = _sorted_ids(customers["customer_id"])
    account_ids = _sorted_ids(accounts["account_id"])
    counterparty_ids = _sorted_ids(cps["counterparty_id"])
    n = len(customer_ids)
    acc_code = _codes(accounts["account_id"], account_ids)
    account_owner = np.full(len(account_ids), -1, np.int64)
    account_owner[acc_code] = _codes(accounts["customer_id"], customer_ids)

    labelled = np.zeros(n, bool)
    has_label = pc.fill_null(pc.greater(pc.utf8_length(customers["known_risk_label"]), 0), False)
    labelled[_codes(customers["customer_id"].filter(has_label), customer_ids)] = True
    plain = np.ones(n, bool)
    if truth is not None:
        odd = pc.fill_null(pc.not_equal(truth["typology"], _NORMAL), False)
        plain[_codes(truth["customer_id"].filter(odd), customer_ids)] = False
    joint = np.zeros(n, bool)
    held = _codes(holders["account_id"], account_ids)
    holder_codes = _codes(holders["customer_id"], customer_ids)
    joint[holder_codes[holder_codes >= 0]] = True
    joint[account_owner[held[held >= 0]]] = True
    disputed = np.zeros(n, bool)
    dispute_codes = _codes(disputes["customer_id"], customer_ids)
    disputed[dispute_codes[dispute_codes >= 0]] = True

    amount = pc.cast(txns["amount"], pa.float64()).fill_null(0.0).to_numpy()
    seconds = iso_seconds(txns["timestamp"].to_pandas())
    currency_counts = pc.value_counts(txns["currency"].drop_null())
    currency = str(
        currency_counts.field("values")[int(np.argmax(currency_counts.field("counts").to_numpy()))]
    )
    usable_account = np.zeros(len(account_ids), bool)
    usable_account[acc_code] = pc.fill_null(pc.equal(accounts["status"], "active"), False).to_numpy(
        zero_copy_only=False
    ) & pc.fill_null(pc.equal(accounts["currency"], currency), False).to_numpy(zero_copy_only=False)
    usable_account &= account_owner >= 0
    usable_account[held[held >= 0]] = False

    src_acc = _codes(txns["from_account_id"], account_ids)
    dst_acc = _codes(txns["to_account_id"], account_ids)
    dst_cp = _codes(txns["to_counterparty_id"], counterparty_ids)
    payer = np.where(src_acc >= 0, account_owner[np.maximum(src_acc, 0)], -1)
    payee_cust = np.where(dst_acc >= 0, account_owner[np.maximum(dst_acc, 0)], -1)

    # Payment routes account -> counterparty, one row per route.
    in_currency = pc.fill_null(pc.equal(txns["currency"], currency), False).to_numpy(
        zero_copy_only=False
    )
    route = (src_acc >= 0) & (dst_cp >= 0) & usable_account[np.maximum(src_acc, 0)] & in_currency
    channels = pc.dictionary_encode(txns["channel"].combine_chunks().fill_null("other"))
    types = pc.dictionary_encode(txns["transaction_type"].combine_chunks().fill_null("other"))
    routes = pd.DataFrame(
        {
            "customer": payer[route],
            "account": src_acc[route],
            "counterparty": dst_cp[route],
            "channel": channels.indices.to_numpy()[route],
            "type": types.indices.to_numpy()[route],
            "amount": amount[route],
        }
    )
    routes = (
        routes.groupby(["customer", "account", "counterparty"], sort=True)
        .agg(channel=("channel", "first"), type=("type", "first"), amount=("amount", "median"))
        .reset_index()
    )
    pair_count = np.bincount(routes["customer"].to_numpy(), minlength=n).astype(np.int64)
    pair_start = np.concatenate(([0], np.cumsum(pair_count)[:-1])).astype(np.int64)

    # The account each customer pays from most (usable ones only), else their first usable one.
    paying = (src_acc >= 0) & usable_account[np.maximum(src_acc, 0)]
    main_account = np.full(n, -1, np.int64)
    usable = np.flatnonzero(usable_account)
    main_account[account_owner[usable[::-1]]] = usable[::-1]
    if paying.any():
        uses = np.bincount(src_acc[paying], minlength=len(account_ids))
        used = np.flatnonzero(uses)
        order = np.lexsort((used, -uses[used], account_owner[used]))
        owners = account_owner[used[order]]
        first = np.r_[True, owners[1:] != owners[:-1]]
        main_account[owners[first]] = used[order][first]

    between = (payer >= 0) & (payee_cust >= 0) & (payer != payee_cust)
    low = np.minimum(payer[between], payee_cust[between])
    high = np.maximum(payer[between], payee_cust[between])
    pairs = np.unique(low * n + high) if between.any() else np.array([], np.int64)
    dealt = frozenset(zip((pairs // n).tolist(), (pairs % n).tolist(), strict=True))

    last_large_in = np.full(n, np.iinfo(np.int64).min, np.int64)
    incoming = (payee_cust >= 0) & (amount >= large) & (seconds >= 0)
    np.maximum.at(last_large_in, payee_cust[incoming], seconds[incoming])

    last_out = np.full(n, np.iinfo(np.int64).min, np.int64)
    outgoing = (payer >= 0) & (seconds >= 0)
    np.maximum.at(last_out, payer[outgoing], seconds[outgoing])

    payee_code = np.where(dst_acc >= 0, dst_acc, np.where(dst_cp >= 0, -1 - dst_cp, 0))
    has_payee = (payer >= 0) & ((dst_acc >= 0) | (dst_cp >= 0))

    kinds = pa.array([k.value for k in IdentifierKind])
    ident_ok = pc.and_(pc.is_in(idents["kind"], value_set=kinds), pc.is_valid(idents["value"]))
    idents = idents.filter(ident_ok)
    ident_customer = _codes(idents["customer_id"], customer_ids)
    keep = ident_customer >= 0
    identifiers = pd.DataFrame(
        {
            "customer": ident_customer[keep],
            "kind": _text(idents["kind"])[keep],
            "value": _text(idents["value"])[keep],
        }
    ).sort_values(["customer", "kind", "value"], kind="stable", ignore_index=True)

    return BaseView(
        customer_ids=_text(customer_ids),
        account_ids=_text(account_ids),
        counterparty_ids=_text(counterparty_ids),
        account_array=account_ids,
        counterparty_array=counterparty_ids,
        labelled=labelled,
        plain=plain,
        joint=joint,
        disputed=disputed,
        account_owner=account_owner,
        usable_account=usable_account,
        main_account=main_account,
        pair_customer=routes["customer"].to_numpy(np.int64),
        pair_account=routes["account"].to_numpy(np.int64),
        pair_counterparty=routes["counterparty"].to_numpy(np.int64),
        pair_channel=_text(channels.dictionary)[routes["channel"].to_numpy(np.int64)],
        pair_type=_text(types.dictionary)[routes["type"].to_numpy(np.int64)],
        pair_amount=routes["amount"].to_numpy(float),
        pair_start=pair_start,
        pair_count=pair_count,
        dealt=dealt,
        last_large_in=last_large_in,
        last_out=last_out,
        base_end=int(seconds.max()),
        currency=currency,
        identifiers=identifiers,
        _payer=payer[has_payee],
        _payee=payee_code[has_payee],
    )

"""Hypothesis properties over the validator (issue 11): whatever the amounts, dates and text
cells of a transactions file — NaN, infinities, negatives, huge or malformed numbers, dates
out of range or in the future, formula-looking text — validation never raises, every row is
either loaded or rejected with a reason on its own row, and what loads is what was written."""

from __future__ import annotations

import math
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from graphrisk.domain import TRANSACTIONS
from graphrisk.ingestion.reader import read_entity_file
from graphrisk.ingestion.validation import ReferenceIndex, validate_table
from tests.robustness import PROPERTY_EXAMPLES

pytestmark = pytest.mark.slow

AMOUNT_MIN, AMOUNT_MAX = 0.01, 1e12
_AMOUNT_TEXT = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.floats(min_value=AMOUNT_MIN, max_value=AMOUNT_MAX).map(lambda v: f"{v:.2f}"),
    st.sampled_from(["NaN", "nan", "inf", "-inf", "Infinity", "-0", "0", "-5", "1e13",
                     "1,000.00", "12.5.3", "", " ", "=1+2", "+7", "@SUM(A1)", "١٢٣"]),
)
_FAR_FUTURE = (datetime.now(UTC) + timedelta(days=400)).strftime("%Y-%m-%dT%H:%M:%S")
_TIME_TEXT = st.one_of(
    st.datetimes(min_value=datetime(1901, 1, 1), max_value=datetime(2024, 12, 31)).map(
        lambda d: d.strftime("%Y-%m-%dT%H:%M:%S")),
    st.sampled_from(["0001-01-01T00:00:00", "1899-12-31T23:59:59", "9999-12-31T00:00:00",
                     "2025-13-40T00:00:00", "2024-02-30", "yesterday", "", _FAR_FUTURE,
                     "2024-03-01T10:00:00+05:00", "2024-03-01T10:00:00Z"]),
)
_CHANNEL_TEXT = st.one_of(st.just("wire"), st.sampled_from(["=cmd|' /C calc'!A0", "-wire",
                                                            "WIRE", "wire "]))


def _validate(rows: list[dict[str, str]]):
    frame = pd.DataFrame(rows, columns=[c.name for c in TRANSACTIONS.columns])
    refs = ReferenceIndex()
    refs.add("accounts", pd.Series(["A1", "A2"]))
    refs.add("counterparties", pd.Series(["M1"]))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "transactions.csv"
        frame.to_csv(path, index=False)
        return validate_table(read_entity_file(path, TRANSACTIONS), refs)


@settings(max_examples=PROPERTY_EXAMPLES, deadline=None)
@given(cells=st.lists(st.tuples(_AMOUNT_TEXT, _TIME_TEXT, _CHANNEL_TEXT), min_size=1,
                      max_size=12))
def test_every_row_is_loaded_as_written_or_rejected_with_a_reason(cells) -> None:
    rows = [{"transaction_id": f"T{i}", "from_account_id": "A1", "to_counterparty_id": "M1",
             "amount": amount, "currency": "EUR", "timestamp": stamp, "channel": channel,
             "transaction_type": "transfer"} for i, (amount, stamp, channel) in enumerate(cells)]
    result = _validate(rows)  # never raises

    loaded = set(result.valid["transaction_id"])
    rejected_rows = {p.row for p in result.problems if p.severity == "error"}
    assert len(loaded) + len(rejected_rows) == len(rows)  # each row one or the other
    for i, (amount, stamp, channel) in enumerate(cells):
        row_number = i + 2  # the header is line 1
        if f"T{i}" not in loaded:
            assert row_number in rejected_rows
            continue
        stored = result.valid.set_index("transaction_id").loc[f"T{i}"]
        value = float(amount)
        assert math.isfinite(value) and AMOUNT_MIN <= value <= AMOUNT_MAX
        assert stored["amount"] == pytest.approx(value)
        when = pd.Timestamp(stamp)
        when = when.tz_convert("UTC") if when.tzinfo else when.tz_localize("UTC")
        assert 1900 <= when.year and when <= pd.Timestamp.now(tz="UTC") + pd.Timedelta(days=1)
        assert stored["channel"] == channel.strip().lower() or stored["channel"] == channel


@settings(max_examples=PROPERTY_EXAMPLES, deadline=None)
@given(amount=st.floats(allow_nan=True, allow_infinity=True))
def test_an_amount_is_loaded_exactly_when_it_is_a_finite_number_in_range(amount) -> None:
    row = {"transaction_id": "T1", "from_account_id": "A1", "to_counterparty_id": "M1",
           "amount": repr(amount), "currency": "EUR", "timestamp": "2024-01-31T09:00:00",
           "channel": "wire", "transaction_type": "transfer"}
    result = _validate([row])
    in_range = math.isfinite(amount) and AMOUNT_MIN <= amount <= AMOUNT_MAX
    assert (len(result.valid) == 1) == in_range
    if not in_range:
        assert any(p.column == "amount" and p.row == 2 for p in result.problems)

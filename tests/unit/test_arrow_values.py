"""Typed Parquet (Arrow) columns become the text the equivalent CSV holds."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pytest

from graphrisk.ingestion.arrow_values import arrow_column_to_text


def _text(array: pa.Array, kind: str | None = "datetime") -> list[str]:
    return arrow_column_to_text(pa.chunked_array([array]), kind).tolist()


def test_zoned_time_stamps_become_the_utc_instant() -> None:
    karachi = pa.array([dt.datetime(2025, 3, 1, 5, 0), None], pa.timestamp("ns", "UTC")).cast(
        pa.timestamp("ns", "Asia/Karachi"))
    assert _text(karachi) == ["2025-03-01T05:00:00", ""]


def test_naive_time_stamps_are_kept_as_given_with_fractions_only_where_present() -> None:
    assert _text(pa.array([dt.datetime(2025, 3, 1, 10, 0, 0)], pa.timestamp("ms"))) == [
        "2025-03-01T10:00:00"]
    assert _text(pa.array([dt.datetime(2025, 3, 1, 10, 0, 0, 250000)], pa.timestamp("us"))) == [
        "2025-03-01T10:00:00.250000"]


def test_years_outside_pandas_nanosecond_range_do_not_overflow() -> None:
    values = pa.array([dt.datetime(1, 1, 1), dt.datetime(9999, 12, 31, 23, 59, 59)],
                      pa.timestamp("us"))
    assert _text(values) == ["0001-01-01T00:00:00", "9999-12-31T23:59:59"]


@pytest.mark.parametrize("date_type", [pa.date32(), pa.date64()])
def test_date_types_are_iso_dates(date_type) -> None:
    values = pa.array([dt.date(2021, 3, 4), None], pa.date32()).cast(date_type)
    assert _text(values, "date") == ["2021-03-04", ""]


def test_in_a_date_column_midnight_is_the_date_and_a_time_of_day_is_kept() -> None:
    naive = pa.array([dt.datetime(2021, 3, 4), dt.datetime(2021, 3, 4, 13, 0)],
                     pa.timestamp("ns"))
    assert _text(naive, "date") == ["2021-03-04", "2021-03-04T13:00:00"]
    # Local midnight in Karachi is that calendar date; 13:00 there is kept with its offset.
    zoned = pa.array([dt.datetime(2021, 3, 3, 19, 0), dt.datetime(2021, 3, 4, 8, 0)],
                     pa.timestamp("us", "UTC")).cast(pa.timestamp("us", "Asia/Karachi"))
    assert _text(zoned, "date") == ["2021-03-04", "2021-03-04T13:00:00+05:00"]


def test_other_types_are_their_text_and_missing_is_empty() -> None:
    words = pa.array(["retail", None, "retail"]).dictionary_encode()
    assert _text(words, "enum") == ["retail", "", "retail"]
    assert _text(pa.array([1.5, float("nan"), None]), "float") == ["1.5", "", ""]
    assert _text(pa.array([], pa.timestamp("s", "UTC"))) == []

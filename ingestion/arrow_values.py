"""Turn one typed Parquet (Arrow) column into the strings a CSV of the same values would hold.

Why here and only once: the validator checks text (``YYYY-MM-DD`` dates, ISO 8601 date-times),
so a Parquet file must reach it as the text its equivalent CSV holds, or the same values would
load differently depending on the file format. Time stamps are the one place where a naive
``str()`` or ``strftime`` goes wrong: it drops the time zone (an instant stored 5 hours off) and
writes a time of day into date columns. The conversion runs in Arrow and numpy, so no time stamp
ever passes through pandas' nanosecond range (years 1677-2262).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["arrow_column_to_text"]

_PER_SECOND = {"s": 1, "ms": 1_000, "us": 1_000_000, "ns": 1_000_000_000}


def arrow_column_to_text(column: pa.ChunkedArray | pa.Array, kind: str | None) -> pd.Series:
    """The values of ``column`` as the text a CSV would hold (``""`` for null).

    * date types: ``YYYY-MM-DD``.
    * time stamps with a time zone: the instant in UTC, ``YYYY-MM-DDTHH:MM:SS`` (what the
      validator stores for ``2025-03-01T10:00:00+05:00`` in a CSV); naive ones as given.
    * in a ``date`` column a time stamp at midnight is that date (in its own zone where it has
      one); one with a time of day keeps it, so the validator rejects it instead of it being
      truncated without a word.
    * anything else: ``str()`` of each value, as before.

    Args:
        column: one column of a table read from Parquet.
        kind: the :class:`graphrisk.domain.Column` kind of the column, or ``None`` for a
            column that is not part of the format.

    Returns:
        An Arrow-backed string Series, one value per row.
    """
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks() if column.num_chunks else pa.array([], column.type)
    if pa.types.is_dictionary(column.type):
        column = column.dictionary_decode()
    if pa.types.is_timestamp(column.type):
        text = _timestamps(column, date_only=kind == "date")
    elif pa.types.is_date(column.type):
        days = column.cast(pa.date32()).cast(pa.int32()).to_numpy(zero_copy_only=False)
        text = np.datetime_as_string(days.astype("datetime64[D]"), unit="D")
    else:
        values = column.to_pandas()
        text = values.astype(object).map(lambda v: "" if v is None else str(v)).to_numpy()
    missing = column.is_null().to_numpy(zero_copy_only=False)
    if pa.types.is_floating(column.type):
        missing = missing | pc.is_nan(column).fill_null(True).to_numpy(zero_copy_only=False)
    out = np.where(missing, "", np.asarray(text, dtype=object))
    return pd.Series(out, dtype="str")


def _timestamps(column: pa.Array, *, date_only: bool) -> np.ndarray:
    unit, zone = column.type.unit, column.type.tz
    # Arrow keeps every zoned time stamp as its UTC instant: the integers are UTC.
    instants = column.cast(pa.timestamp(unit)) if zone is None else column.cast(
        pa.timestamp(unit, "UTC")).cast(pa.timestamp(unit))
    utc = _numpy(instants, unit)
    if not date_only:
        return _iso(utc, unit)
    # A date column: the calendar date on the clock of the value's own zone.
    wall = utc if zone is None else _numpy(pc.local_timestamp(column), unit)
    midnight = (wall.astype("datetime64[D]") == wall) | np.isnat(wall)
    text = np.datetime_as_string(wall.astype("datetime64[D]"), unit="D").astype(object)
    if not midnight.all():
        shown = _iso(wall, unit).astype(object)
        if zone is not None:
            offsets = (wall - utc).astype("timedelta64[m]").astype(np.int64)
            shown = np.array([f"{value}{_offset(minutes)}"
                              for value, minutes in zip(shown, offsets, strict=True)],
                             dtype=object)
        text = np.where(midnight, text, shown)
    return text


def _numpy(column: pa.Array, unit: str) -> np.ndarray:
    integers = column.cast(pa.int64()).fill_null(0).to_numpy(zero_copy_only=False)
    return integers.astype(f"datetime64[{unit}]")


def _iso(values: np.ndarray, unit: str) -> np.ndarray:
    """``YYYY-MM-DDTHH:MM:SS``, with a fraction only where some value has one."""
    whole = (values.astype(np.int64) % _PER_SECOND[unit] == 0).all()
    return np.datetime_as_string(values, unit="s" if whole else unit)


def _offset(minutes: int) -> str:
    sign = "+" if minutes >= 0 else "-"
    hours, rest = divmod(abs(int(minutes)), 60)
    return f"{sign}{hours:02d}:{rest:02d}"

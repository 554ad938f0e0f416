"""Arrow columns from index arrays: business ids, looked-up text, dates, nullable integers.

Why Arrow: building millions of strings in Python is the slow part of generating; these
helpers build them in Arrow's C++ kernels from the numpy indices the generator works with.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from graphrisk.domain import ENTITIES

from .draws import DAY, EPOCH_DAY

__all__ = [
    "dates",
    "datetimes",
    "entity_table",
    "ids",
    "ints",
    "lookup",
    "take",
]


def ids(prefix: str, count: int, width: int) -> pa.Array:
    """Business ids ``<prefix><zero-padded number>`` for 0..count-1, built in C++."""
    width = max(width, len(str(max(count - 1, 0))))
    numbers = pc.cast(pa.array(np.arange(count, dtype=np.int64)), pa.string())
    return pc.binary_join_element_wise(
        pa.scalar(prefix), pc.utf8_lpad(numbers, width, "0"), pa.scalar("")
    )


def take(values: pa.Array, index: np.ndarray) -> pa.Array:
    """``values[index]``; a negative index gives a null (an empty cell)."""
    index = np.asarray(index, np.int64)
    return values.take(pa.array(index, mask=index < 0))


def lookup(choices: tuple[str, ...] | list[str], index: np.ndarray) -> pa.Array:
    return take(pa.array(list(choices), pa.string()), index)


def dates(days: np.ndarray, missing: np.ndarray | None = None) -> pa.Array:
    """``YYYY-MM-DD`` strings of day offsets from the period start."""
    values = pa.array(np.asarray(days, np.int64) + EPOCH_DAY, pa.int32(), mask=missing)
    return pc.cast(pc.cast(values, pa.date32()), pa.string())


def datetimes(seconds: np.ndarray) -> pa.Array:
    """``YYYY-MM-DDTHH:MM:SS`` strings of second offsets from the period start."""
    epoch_seconds = np.asarray(seconds, np.int64) + EPOCH_DAY * DAY
    text = pc.cast(pa.array(epoch_seconds, pa.timestamp("s")), pa.string())
    return pc.replace_substring(text, " ", "T")


def ints(values: np.ndarray, missing: np.ndarray | None = None) -> pa.Array:
    return pa.array(np.asarray(values, np.int64), pa.int64(), mask=missing)


def entity_table(entity_name: str, columns: dict[str, pa.Array]) -> pa.Table:
    """A table with exactly the spec's columns, in spec order; a mismatch is a bug here."""
    spec_names = next(e.column_names for e in ENTITIES if e.name == entity_name)
    if list(columns) != spec_names:
        raise AssertionError(f"{entity_name}: columns {list(columns)} != spec {spec_names}")
    return pa.table(columns)

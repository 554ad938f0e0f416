"""Frames read in pieces, joined as one read would have given them (both stores' snapshots)."""

from __future__ import annotations

import pandas as pd

__all__ = ["joined_chunks", "joined_column"]


def joined_chunks(chunks: list[pd.DataFrame], columns: list[str]) -> pd.DataFrame:
    """The frame of a table read in ``chunks``, as reading it in one piece would give it.

    Why shared: both stores read a snapshot's entities in pieces (the embedded store 100,000
    rows of a query at a time, Neo4j a page at a time), so that no whole table is ever held
    as Python values, and both must give the frame a read in one piece would.

    Column by column, each chunk's column dropped once joined, so that at most one column
    is held twice. pandas infers each chunk's types from that chunk's values alone; where
    they differ (a chunk in which a column is empty is ``object``), the column gets the type
    the whole column's values give (:func:`joined_column`).
    """
    if len(chunks) == 1:
        return chunks[0]
    joined: dict[str, pd.Series] = {}
    for column in columns:
        joined[column] = joined_column([chunk.pop(column) for chunk in chunks])
    return pd.DataFrame(joined, columns=columns, copy=False)


def joined_column(parts: list[pd.Series]) -> pd.Series:
    """One column from its chunks (see :func:`joined_chunks`)."""
    dtypes = {str(part.dtype) for part in parts}
    if len(dtypes) == 1:
        return pd.concat(parts, ignore_index=True)
    empty = [part.dtype == object and bool(part.isna().all()) for part in parts]
    found = {str(part.dtype) for part, blank in zip(parts, empty, strict=True) if not blank}
    if found == {"str"}:
        target: str | None = "str"
    elif found and found <= {"int64", "float64"}:
        target = "float64"  # integers with a missing value read as floats
    else:
        target = None
    if target is not None:
        return pd.concat([part.astype(target) for part in parts], ignore_index=True)
    # Anything else (numbers and text in one column): infer as pandas does for a whole
    # result, from the Python values.
    name = parts[0].name
    values = [value for part in parts for value in part.astype(object).tolist()]
    return pd.DataFrame.from_records([(v,) for v in values], columns=[name],
                                     coerce_float=True)[name]

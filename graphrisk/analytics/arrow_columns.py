"""Fast column helpers shared by the vectorised analytics (factors, typologies).

Why one module: looking ids up and parsing timestamps over a million transactions is where
the analytics spend their time; Arrow does both several times faster than pandas, and the
two modules that need it should not each keep a copy that drifts.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["id_keys", "id_positions", "iso_seconds"]


def id_keys(ids: pd.Series) -> pa.Array:
    """Ids as an Arrow string array, for fast hash look-ups with :func:`id_positions`."""
    values = pa.array(ids, from_pandas=True)
    if pa.types.is_null(values.type) or not pa.types.is_string(values.type):
        values = pc.cast(values, pa.string())
    return values


def id_positions(values: pd.Series, keys: pa.Array) -> np.ndarray:
    """Position in ``keys`` of each value (the first, where a key repeats); -1 where absent.

    Why Arrow: its hash look-up is several times faster than ``pd.Index.get_indexer`` on a
    million string ids.
    """
    found = pc.index_in(id_keys(values), value_set=keys)
    return found.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)


def iso_seconds(values: pd.Series) -> np.ndarray:
    """ISO 8601 date-times (or dates) as int64 seconds since 1970 (UTC); -1 where missing.

    Arrow parses the stores' plain ``2025-01-01T07:00:00`` several times faster than pandas;
    anything else (offsets, fractions, datetime columns) goes through pandas.
    """
    if pd.api.types.is_string_dtype(values.dtype):
        try:
            parsed_fast = pc.cast(pa.array(values, from_pandas=True), pa.timestamp("s"))
        except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
            pass
        else:
            return parsed_fast.fill_null(-1).cast(pa.int64()).to_numpy()
    parsed = pd.to_datetime(values, format="ISO8601", utc=True, errors="coerce", cache=False)
    missing = parsed.isna().to_numpy()
    seconds = parsed.dt.tz_localize(None).to_numpy(dtype="datetime64[s]").astype(np.int64)
    seconds[missing] = -1
    return seconds

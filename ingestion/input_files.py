"""Write one entity's rows as an input file, exactly as the input format wants it.

Why a module: every adapter that turns a public data set into GraphRisk's input format
(:mod:`graphrisk.ingestion.berka`, :mod:`graphrisk.ingestion.fdcompcn`) ends the same way — the
spec's columns in the spec's order, empty cells for what the source lacks, ids the format accepts —
and a mistake there should fail in the adapter, naming the column, not later in validation.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd

from graphrisk.domain import ID_PATTERN, EntitySpec
from graphrisk.errors import IngestionError

__all__ = ["write_input_file"]

logger = logging.getLogger(__name__)


def write_input_file(frame: pd.DataFrame, spec: EntitySpec, out_dir: Path) -> int:
    """Write ``<out_dir>/<entity>.csv`` with exactly the spec's columns; missing ones empty.

    Columns whose name starts with ``_`` are an adapter's working columns and are dropped.

    Returns:
        The rows written.

    Raises:
        ValueError: ``frame`` has a column the spec does not know (a bug in the adapter).
        IngestionError: an id does not match the format's id pattern.
    """
    unknown = [c for c in frame.columns if not c.startswith("_") and c not in spec.column_names]
    if unknown:  # a programming error here, not bad data
        raise ValueError(f"{spec.name}: columns {unknown} are not in the spec")
    out = frame.reindex(columns=spec.column_names)
    _check_ids(out, spec)
    path = out_dir / f"{spec.name}.csv"
    out.to_csv(path, index=False, na_rep="")
    logger.debug("wrote %d rows to %s", len(out), path)
    return len(out)


def _check_ids(frame: pd.DataFrame, spec: EntitySpec) -> None:
    """Fail before writing an id the format would reject, naming the first offender."""
    for column in spec.columns:
        if column.kind != "id" or column.name not in frame.columns:
            continue
        values = frame[column.name].dropna().astype(str)
        bad = (values != "") & ~values.str.fullmatch(ID_PATTERN)
        if bad.any():
            raise IngestionError(
                f"id {values[bad].iloc[0]!r} does not match {ID_PATTERN}",
                source=f"{spec.name}.csv",
                column=column.name,
            )

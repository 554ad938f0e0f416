"""Writing the tables: CSV (RFC 4180) or Parquet for the entities, CSV for the truth."""

from __future__ import annotations

import logging
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from .progress import Progress
from .tables import GENERATED_ENTITIES
from .truth import TRUTH_README

__all__ = [
    "write_all",
    "write_table",
]

logger = logging.getLogger(__name__)


def write_all(
    tables: dict[str, pa.Table],
    truth: dict[str, pa.Table],
    out_dir: Path,
    file_format: str,
    report: Progress,
) -> dict[str, int]:
    """Write every entity table, the truth tables and the truth README; rows per file."""
    out_dir.mkdir(parents=True, exist_ok=True)
    truth_dir = out_dir / "truth"
    truth_dir.mkdir(exist_ok=True)
    rows: dict[str, int] = {}
    for spec in GENERATED_ENTITIES:
        table = tables[spec.name]
        report(f"write {spec.name}")
        write_table(table, out_dir / f"{spec.name}.{file_format}", file_format)
        rows[spec.name] = table.num_rows
    for name, table in truth.items():
        write_table(table, truth_dir / f"{name}.csv", "csv")
        rows[f"truth/{name}"] = table.num_rows
    n = tables["customers"].num_rows
    (truth_dir / "README.md").write_text(TRUTH_README.format(n=n), encoding="utf-8")
    return rows


def write_table(table: pa.Table, path: Path, file_format: str) -> None:
    """Write CSV (RFC 4180, strings quoted, empty cells for missing values) or Parquet."""
    if file_format == "parquet":
        pq.write_table(table, path, compression="zstd")
    else:
        pa_csv.write_csv(table, path, pa_csv.WriteOptions(quoting_style="needed"))
    logger.debug("wrote %s (%d rows)", path, table.num_rows)

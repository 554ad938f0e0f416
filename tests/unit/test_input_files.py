"""The adapters' writer: the spec's columns in order, working columns dropped, ids checked."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest

from graphrisk.domain import ACCOUNTS
from graphrisk.errors import IngestionError
from graphrisk.ingestion.input_files import write_input_file


def test_columns_come_out_in_spec_order_with_missing_ones_empty(tmp_path: Path) -> None:
    frame = pd.DataFrame({"status": ["active"], "account_id": ["A1"], "customer_id": ["C1"],
                          "_owner_row": [3]})
    assert write_input_file(frame, ACCOUNTS, tmp_path) == 1
    with (tmp_path / "accounts.csv").open(newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == ACCOUNTS.column_names
    written = dict(zip(rows[0], rows[1], strict=True))
    assert written["account_id"] == "A1" and written["status"] == "active"
    assert written["closed_date"] == ""


def test_an_unknown_column_is_a_bug_in_the_adapter(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="colour"):
        write_input_file(pd.DataFrame({"account_id": ["A1"], "colour": ["red"]}), ACCOUNTS,
                         tmp_path)


def test_an_id_the_format_would_refuse_fails_naming_the_column(tmp_path: Path) -> None:
    frame = pd.DataFrame({"account_id": ["A1", "bad id!"], "customer_id": ["C1", None]})
    with pytest.raises(IngestionError, match="bad id!") as caught:
        write_input_file(frame, ACCOUNTS, tmp_path)
    assert "account_id" in str(caught.value)
    assert not (tmp_path / "accounts.csv").exists()

"""``graphrisk lists`` and ``graphrisk screen`` end to end: a generated bank, a list
written from some of its customers' names with variants, hits printed and stored,
decisions kept across runs."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from graphrisk.cli import app
from graphrisk.config import Settings, StoreKind, get_settings
from graphrisk.ingestion.generator import generate_dataset
from graphrisk.policy import load_policy
from graphrisk.service import RiskService
from tests.stores import open_test_store

HEADER = "entry_id,name,aliases,birth_date,country,programme,list_name\n"


@pytest.fixture(scope="module")
def bank(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, pd.DataFrame]:
    root = tmp_path_factory.mktemp("screening-cli")
    generate_dataset(500, 21, root / "base")
    home = root / "home"
    service = RiskService(Settings(home=home, store=StoreKind.EMBEDDED),
                          open_test_store(StoreKind.EMBEDDED, home), load_policy())
    try:
        service.ingest_folder(root / "base")
    finally:
        service.close()
    return root, pd.read_csv(root / "base" / "customers.csv")


@pytest.fixture
def in_bank(bank: tuple[Path, pd.DataFrame],
            monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Path, pd.DataFrame]]:
    monkeypatch.setenv("GRAPHRISK_HOME", str(bank[0] / "home"))
    monkeypatch.setenv("GRAPHRISK_STORE", "embedded")
    monkeypatch.setenv("GRAPHRISK_USER", "ana")
    get_settings.cache_clear()
    yield bank
    get_settings.cache_clear()


def _said(output: str) -> str:
    return " ".join(output.split())  # the console wraps long lines


def _invoke(*args: str) -> str:
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return _said(result.output)


def test_load_screen_dismiss_and_screen_again(in_bank: tuple[Path, pd.DataFrame]) -> None:
    root, customers = in_bank
    people = customers[customers["birth_year"].notna()
                       & ~customers["name"].duplicated(keep=False)
                       & (customers["name"].str.split().str.len() == 2)]
    a, b, c = (row for _, row in people.head(3).iterrows())
    first, last = a["name"].split()
    rows = [
        f"W1,{last} {first},,{int(a['birth_year'])},{a['country']},EX-TERR,cli\n",  # swapped
        f"W2,{b['name'].upper()}-,,{int(b['birth_year'])},,EX-FRAUD,cli\n",
        f"W3,{c['name'].split()[0][0]}. {c['name'].split()[1]},,{int(c['birth_year'])},,EX,\n",
        "W4,Nobody Atall Known,,1901,,EX,cli\n",
        "W5,,,,,EX,cli\n",  # no name: reported and skipped
    ]
    path = root / "cli-list.csv"
    path.write_text(HEADER + "".join(rows), encoding="utf-8")

    said = _invoke("lists", "load", str(path), "--name", "cli")
    assert "file cli-list.csv, row 6, column name: empty" in said
    assert "list cli version 1: 4 entries, 4 added, 0 removed, 0 changed; 1 rows skipped" \
        in said
    assert "unchanged at version 1" in _invoke("lists", "load", str(path), "--name", "cli")
    assert re.search(r"│ cli │ 1 │ 4 │ \S+ │ ana │ cli-list.csv", _invoke("lists"))

    said = _invoke("screen")
    assert re.search(r"\d+ records screened against cli v1 in [\d.]+ s: 3 hits \(3 new", said)
    assert "screening hits" in said and "SH-" in said
    hits = json.loads(CliRunner().invoke(app, ["screen", "hits", "--json"]).output)
    found = {(hit["entry_id"], hit["subject"]): hit for hit in hits}
    assert set(found) == {("W1", a["customer_id"]), ("W2", b["customer_id"]),
                          ("W3", c["customer_id"])}
    swapped = found[("W1", a["customer_id"])]
    assert swapped["sentence"].startswith(f"name '{a['name']}' ~ '{last} {first}' (1.00)")
    assert swapped["programme"] == "EX-TERR" and swapped["status"] == "open"
    hit_id = swapped["hit_id"]

    said = _invoke("screen", "dismiss", hit_id, "--note", "a namesake: different passport")
    assert f"hit {hit_id} dismissed" in said
    again = _invoke("screen")
    assert "0 new" in again and "1 dismissed earlier, not raised again" in again
    assert hit_id not in _invoke("screen", "hits")
    assert hit_id in _invoke("screen", "hits", "--status", "dismissed")
    result = CliRunner().invoke(app, ["screen", "confirm", hit_id, "--note", " "])
    assert result.exit_code == 2
    assert "say why the hit is confirmed (--note)" in _said(result.output)


def test_errors_are_one_line_with_what_to_do(in_bank: tuple[Path, pd.DataFrame]) -> None:
    result = CliRunner().invoke(app, ["screen", "confirm", "SH-000000000000", "--note", "x"])
    assert result.exit_code == 2
    assert "no screening hit 'SH-000000000000'" in _said(result.output)
    result = CliRunner().invoke(app, ["lists", "load", "/nonexistent.csv", "--name", "x"])
    assert result.exit_code == 2 and "no such list file" in _said(result.output)


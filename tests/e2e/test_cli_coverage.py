"""``graphrisk score`` says what it could not compute (issue 14, item 2): on a bank whose
identifiers file is empty, ring detection had no shared identifiers, and the output says so."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from graphrisk.cli import app
from graphrisk.config import get_settings
from graphrisk.ingestion.generator import generate_dataset


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("GRAPHRISK_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("GRAPHRISK_STORE", "embedded")
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


def _invoke(*args: str) -> str:
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return " ".join(result.output.split())  # the console wraps long lines


def test_score_says_ring_detection_had_no_shared_identifiers(home: Path) -> None:
    data = home / "data"
    generate_dataset(500, 5, data)
    identifiers = pd.read_csv(data / "identifiers.csv")
    identifiers.iloc[0:0].to_csv(data / "identifiers.csv", index=False)  # the header only
    _invoke("ingest", str(data))
    said = _invoke("score", "--top", "3")
    assert "Not computed (left out of the score): • graph model — no trained model" in said
    assert ("Computed with gaps: • network propagation — ring detection: no shared "
            "identifiers in this bank (no identifiers loaded)") in said
    # --verbose also says what every component worked on.
    verbose = _invoke("score", "--top", "0", "--no-write", "--verbose")
    assert "What each component worked on:" in verbose
    assert "• typologies — " in verbose and "reach the typology threshold of " in verbose
    assert "(derived from this bank's transfers; median transfer " in verbose

"""``graphrisk resolve`` end to end on the embedded store: clusters printed with their
reasons, a rejection kept by the next run."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from graphrisk.cli import app
from graphrisk.config import Settings, StoreKind, get_settings
from graphrisk.ingestion.generator import generate_dataset
from graphrisk.policy import load_policy
from graphrisk.service import RiskService
from tests.stores import open_test_store


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("resolution-cli")
    generate_dataset(600, 3, root / "base", watchlists=False, synthetic_identities=True)
    service = RiskService(Settings(home=root / "home", store=StoreKind.EMBEDDED),
                          open_test_store(StoreKind.EMBEDDED, root / "home"), load_policy())
    try:
        service.ingest_folder(root / "base")
    finally:
        service.close()
    return root / "home"


@pytest.fixture
def in_home(home: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("GRAPHRISK_HOME", str(home))
    monkeypatch.setenv("GRAPHRISK_STORE", "embedded")
    monkeypatch.setenv("GRAPHRISK_USER", "ana")
    get_settings.cache_clear()
    yield home
    get_settings.cache_clear()


def _invoke(*args: str, code: int = 0) -> str:
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == code, result.output
    return " ".join(result.output.split())


def test_resolve_prints_clusters_and_keeps_a_rejection(in_home: Path) -> None:
    said = _invoke("resolve")
    assert "cluster 1:" in said and "probable same-person pairs" in said
    pair_ids = re.findall(r"SE-[0-9a-f]{12}", said)
    assert pair_ids and "name '" in said and "match " in said
    assert "say why" in _invoke("resolve", "reject", pair_ids[0], "--note", " ", code=2)
    said = _invoke("resolve", "reject", pair_ids[0], "--note", "two people")
    assert f"pair {pair_ids[0]} rejected" in said
    again = _invoke("resolve")
    assert pair_ids[0] not in again and "1 rejected earlier, not linked again" in again

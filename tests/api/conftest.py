"""A served GraphRisk per store: a small generated bank, loaded, scored, with two batches of
new events (so there are alerts and cases), three users (one per role), and the app in a
TestClient — the real app over the real store, nothing mocked."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from graphrisk.access import Role, create_api_key
from graphrisk.api import create_app
from graphrisk.api.deps import clear_key_cache
from graphrisk.config import Settings, StoreKind
from graphrisk.ingestion.generator import generate_dataset
from graphrisk.ingestion.generator.stream import generate_stream
from graphrisk.policy import load_policy
from graphrisk.service import RiskService
from tests.stores import STORE_PARAMS, open_test_store

CUSTOMERS, SEED = 500, 5


@dataclass
class Served:
    """The app over one store, and a key per role."""

    client: TestClient
    service: RiskService
    kind: StoreKind
    home: Path
    keys: dict[Role, str]

    def as_(self, role: Role | None) -> dict[str, str]:
        """Headers that sign in with ``role``'s key (none for ``None``)."""
        return {} if role is None else {"Authorization": f"Bearer {self.keys[role]}"}


@pytest.fixture(scope="session")
def api_bank(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("api-bank")
    generate_dataset(CUSTOMERS, SEED, root / "base")
    generate_stream(root / "base", root / "stream", batches=2, events_per_batch=100, seed=2)
    return root / "base", root / "stream"


@pytest.fixture(scope="session", params=STORE_PARAMS)
def served(request: pytest.FixtureRequest, api_bank: tuple[Path, Path],
           tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    kind = request.param
    home = tmp_path_factory.mktemp(f"api-{kind.value}")
    settings = Settings(home=home, store=kind, api_max_body_bytes=256 * 1024, api_threads=3)
    store = open_test_store(kind, home)
    service = RiskService(settings, store, load_policy())
    base, stream = api_bank
    service.ingest_folder(base)
    service.score()
    for batch in sorted(stream.glob("batch-*")):
        service.monitoring.ingest_incremental(batch)
    keys = {role: create_api_key(store, f"{role.value}-user", role, actor="test")
            for role in Role}
    clear_key_cache()
    with TestClient(create_app(settings, service=service),
                    raise_server_exceptions=False) as client:
        yield Served(client, service, kind, home, keys)
    service.close()

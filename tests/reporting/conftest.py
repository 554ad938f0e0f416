"""A worked bank per store for the reports and notebooks: a small generated bank, loaded,
scored, two batches of new events (alerts and cases), and the demo's investigator working
the first cases (notes, contacts, playbook steps, confirmed and false-positive outcomes).

Module-scoped on purpose: a Neo4j bank is shared by every test of one module, and other
modules empty the Neo4j database when they start.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from graphrisk.config import Settings, StoreKind
from graphrisk.demo_casework import WorkedCase, work_demo_cases
from graphrisk.ingestion.generator import generate_dataset
from graphrisk.ingestion.generator.stream import generate_stream
from graphrisk.policy import load_policy
from graphrisk.service import RiskService
from tests.stores import STORE_PARAMS, open_test_store

CUSTOMERS, SEED = 500, 5


@dataclass
class WorkedBank:
    """A store with worked cases, and the settings a separate process needs to open it."""

    service: RiskService
    kind: StoreKind
    home: Path
    worked: list[WorkedCase]

    @property
    def confirmed(self) -> str:
        return next(w.case_id for w in self.worked if w.outcome == "confirmed_risk")

    @property
    def still_open(self) -> str:
        return next(w.case_id for w in self.worked if w.outcome is None)

    def environment(self) -> dict[str, str]:
        """``GRAPHRISK_*`` variables that open this store from another process."""
        settings = self.service.settings
        return {"GRAPHRISK_HOME": str(self.home), "GRAPHRISK_STORE": self.kind.value,
                "GRAPHRISK_NEO4J_URI": settings.neo4j_uri}


@pytest.fixture(scope="session")
def bank_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("reporting-bank")
    generate_dataset(CUSTOMERS, SEED, root / "base")
    generate_stream(root / "base", root / "stream", batches=2, events_per_batch=100, seed=2)
    return root / "base", root / "stream"


@pytest.fixture(scope="module", params=STORE_PARAMS)
def worked_bank(request: pytest.FixtureRequest, bank_files: tuple[Path, Path],
                tmp_path_factory: pytest.TempPathFactory) -> Iterator[WorkedBank]:
    kind = request.param
    home = tmp_path_factory.mktemp(f"worked-{kind.value}")
    store = open_test_store(kind, home)
    service = RiskService(Settings(home=home, store=kind), store, load_policy())
    base, stream = bank_files
    service.ingest_folder(base)
    service.score()
    for batch in sorted(stream.glob("batch-*")):
        service.monitoring.ingest_incremental(batch)
    worked = work_demo_cases(service, base, stream)
    assert any(w.outcome == "confirmed_risk" for w in worked), worked
    yield WorkedBank(service, kind, home, worked)
    service.close()

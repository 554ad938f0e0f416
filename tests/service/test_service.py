"""The service every face calls: ingest, score, customer view, history, path, clusters — on
every registered store, with progress reported through the caller's callback."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from graphrisk.config import Settings, StoreKind
from graphrisk.errors import ConfigError, NotFoundError
from graphrisk.ingestion.generator import generate_dataset
from graphrisk.policy import load_policy
from graphrisk.scoring import scoring_steps
from graphrisk.service import ProgressEvent, RiskService
from tests.stores import STORE_KINDS, open_test_store

pytestmark = pytest.mark.slow

CUSTOMERS, SEED = 1_500, 7


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("service") / "data"
    generate_dataset(CUSTOMERS, SEED, folder)
    return folder


@pytest.fixture(params=STORE_KINDS)
def service(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[RiskService]:
    store = open_test_store(request.param, tmp_path)
    settings = Settings(home=tmp_path / "home", store=StoreKind(request.param))
    with RiskService(settings, store, load_policy()) as opened:
        yield opened


def _collect() -> tuple[list[ProgressEvent], object]:
    events: list[ProgressEvent] = []
    return events, events.append


def test_ingest_then_score_reports_progress_and_stores_the_run(
        service: RiskService, sample: Path) -> None:
    events, record = _collect()
    report = service.ingest_folder(sample, progress=record)  # type: ignore[arg-type]
    assert report.rows_rejected == 0 and report.rows_loaded > CUSTOMERS
    customers = [e for e in events if e.task == "customers"]
    assert customers and customers[-1].done == customers[-1].total == CUSTOMERS
    assert all(e.done is not None and e.total is not None and e.done <= e.total
               for e in events)

    events.clear()
    result = service.score(progress=record)  # type: ignore[arg-type]
    scoring = [e for e in events if e.task == "scoring"]
    steps = scoring_steps(write=True)
    assert [e.done for e in scoring] == list(range(steps + 1))  # each step, then done
    assert scoring[-1].done == scoring[-1].total == steps and scoring[-1].message == "done"
    assert len({e.message for e in scoring[:-1]}) == steps
    assert len(result.scores) == CUSTOMERS

    top = result.scores.iloc[0]
    view = service.customer_view(top["customer_id"], hops=1)
    assert view.customer_id == top["customer_id"]
    assert view.latest is not None and view.latest.run_id == result.run_id
    assert view.latest.score == pytest.approx(top["score"])
    assert view.latest.tier == top["tier"] and view.latest.reasons == list(top["reasons"])
    assert view.history["run_id"].iloc[0] == result.run_id
    assert view.network.centre == view.customer.ref
    assert any(n.ref.label.value == "Account" for n in view.network.nodes)

    assert service.status().problems == []
    clusters = service.clusters()
    assert not clusters.empty and clusters["rank"].is_monotonic_increasing


def test_customer_view_before_scoring_has_no_score(service: RiskService, sample: Path) -> None:
    service.ingest_folder(sample)
    view = service.customer_view("C0000001", hops=1)
    assert view.latest is None and view.history.empty
    assert service.latest_score("C0000001") is None
    with pytest.raises(NotFoundError):
        service.customer_view("C9999999")
    with pytest.raises(NotFoundError):
        service.score_history("C9999999")


def test_path_between_customers_sharing_an_identifier(service: RiskService, tiny_dir: Path
                                                      ) -> None:
    service.ingest_folder(tiny_dir)
    found = service.path("C2", "C4", max_hops=4)
    assert found is not None and found.length == 2  # C2 -uses-> device <-uses- C4
    assert service.path("C2", "C4", max_hops=1) is None


def test_a_missing_folder_is_a_config_error(service: RiskService, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        service.ingest_folder(tmp_path / "nowhere")

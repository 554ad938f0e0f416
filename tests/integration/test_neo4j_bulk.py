"""The bulk initial load (Neo4j's offline importer) builds the graph a batched load builds.

Runs against the local test server, which it stops and starts again (the importer writes the
server's files): ``GRAPHRISK_NEO4J_LOCAL_HOME`` names the ``GRAPHRISK_HOME`` the server was
started with, ``GRAPHRISK_NEO4J_URI`` its port. The same folder, with bad rows, is loaded
batched and then, into the emptied database, in bulk; snapshots, counts, neighbourhoods and
the quarantine must agree.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest

from graphrisk.config import Settings, StoreKind
from graphrisk.domain import NodeLabel
from graphrisk.errors import ConfigError
from graphrisk.graph import GraphSnapshot, NodeRef, Subgraph
from graphrisk.ingestion.generator import generate_dataset
from graphrisk.ingestion.loader import IngestReport, ingest_directory
from graphrisk.store.base import GraphStore
from graphrisk.store.neo4j_bulk import LOCAL_HOME_ENV, LocalNeo4jServer
from tests.stores import open_test_store

pytestmark = [pytest.mark.neo4j, pytest.mark.slow]

_CUSTOMERS = 1_000
_QUOTED_NAME = 'Ann "Nan" O\'Brien, Jr.'
_SAMPLE = ("C0000003", "C0000117", "C0000480", "C0000871")


@dataclass
class Loaded:
    report: IngestReport
    snapshot: GraphSnapshot
    counts: dict[str, int]
    neighbourhoods: dict[str, Subgraph]


def _loaded(store: GraphStore, report: IngestReport) -> Loaded:
    return Loaded(report, store.snapshot(), store.counts(), {
        c: store.neighbourhood(NodeRef(NodeLabel.CUSTOMER, c), hops=2, limit=200)
        for c in _SAMPLE})


@pytest.fixture(scope="module")
def network(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("bulk") / "data"
    generate_dataset(_CUSTOMERS, 17, folder)
    # A name the importer's CSV must quote: a comma, double quotes and an apostrophe.
    customers = folder / "customers.csv"
    with customers.open(newline="") as handle:
        rows = list(csv.reader(handle))
    rows[10][1] = _QUOTED_NAME
    with customers.open("w", newline="") as handle:
        csv.writer(handle, quoting=csv.QUOTE_ALL, lineterminator="\n").writerows(rows)
    # Bad rows of three kinds: an unknown segment, an account of a customer that does not
    # exist, and a transaction from that (quarantined) account.
    lines = customers.read_text().splitlines(keepends=True)
    lines[5] = lines[5].replace('"retail"', '"wholesale"', 1)
    customers.write_text("".join(lines))
    with (folder / "accounts.csv").open("a") as handle:
        handle.write('"A99999999","C9999999","checking","EUR","2024-01-01","","active"\n')
    transactions = folder / "transactions.csv"
    header = transactions.read_text().splitlines()[0].split(",")
    row = {name.strip('"'): "" for name in header}
    row.update(transaction_id="T999999999", from_account_id="A99999999",
               to_account_id="A00000001", amount="10.5", currency="EUR",
               timestamp="2025-03-01T10:00:00", channel="online", transaction_type="transfer")
    with transactions.open("a") as handle:
        handle.write(",".join(f'"{row[name.strip(chr(34))]}"' for name in header) + "\n")
    # Disputes that name their accused (a customer, a counterparty): both loads link them.
    disputes = folder / "disputes.csv"
    text = disputes.read_text().splitlines()
    text[0] += ',"against_customer_id","against_counterparty_id"'
    text[1:] = [line + ',"",""' for line in text[1:]]
    text.append('"D9000001","C0000003","","","complaint",120.0,"upheld","2025-02-01","",'
                '"C0000117",""')
    text.append('"D9000002","C0000480","","","chargeback",80.5,"open","2025-02-03","",'
                '"","P000001"')
    disputes.write_text("\n".join(text) + "\n")
    return folder


@pytest.fixture(scope="module")
def server() -> LocalNeo4jServer:
    if not os.environ.get(LOCAL_HOME_ENV):
        pytest.skip(f"{LOCAL_HOME_ENV} is not set: the bulk load restarts the local server "
                    "and needs the GRAPHRISK_HOME it was started with")
    return LocalNeo4jServer.from_settings(Settings())


@pytest.fixture(scope="module")
def loads(network: Path, server: LocalNeo4jServer,
          tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[GraphStore, Loaded, Loaded]]:
    """The store after a batched load and after a bulk load of the same folder."""
    store = open_test_store(StoreKind.NEO4J, tmp_path_factory.mktemp("neo4j"))
    try:
        batched = _loaded(store, ingest_directory(store, network, batch_size=1_000))
        store.delete_everything()
        bulk = _loaded(store, ingest_directory(store, network, bulk=server))
        yield store, batched, bulk
    finally:
        store.close()


def _normalised(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.astype(object).where(frame.notna(), None).reset_index(drop=True)


def test_bulk_snapshot_equals_batched(loads: tuple[GraphStore, Loaded, Loaded]) -> None:
    _, batched, bulk = loads
    assert len(bulk.snapshot.transactions) > 10_000
    for entity in vars(batched.snapshot):
        left, right = getattr(batched.snapshot, entity), getattr(bulk.snapshot, entity)
        assert list(left.columns) == list(right.columns), entity
        pd.testing.assert_frame_equal(_normalised(left), _normalised(right), check_dtype=False,
                                      obj=entity)
    assert bulk.counts == batched.counts
    assert _QUOTED_NAME in bulk.snapshot.customers["name"].tolist()


def test_bulk_graph_equals_batched(loads: tuple[GraphStore, Loaded, Loaded]) -> None:
    """Labels, relationship types and their properties, as traversals see them."""
    _, batched, bulk = loads
    for customer in _SAMPLE:
        assert bulk.neighbourhoods[customer] == batched.neighbourhoods[customer], customer
        assert len(bulk.neighbourhoods[customer].nodes) > 1
    # The accused of the two planted disputes, reached through AGAINST in both loads.
    accused = {r.end.id for r in bulk.neighbourhoods["C0000003"].relationships
               if r.type == "AGAINST"}
    assert "C0000117" in accused
    store, _, _ = loads
    assert store.consistency_problems() == []


def test_bulk_quarantines_the_same_rows(loads: tuple[GraphStore, Loaded, Loaded]) -> None:
    _, batched, bulk = loads
    # The three planted rows, and the rows that refer to the quarantined customer.
    assert bulk.report.rows_rejected == batched.report.rows_rejected > 3
    lines = "\n".join(p.line() for p in bulk.report.problems)
    assert "wholesale" in lines and "'A99999999'" in lines and "transactions.csv" in lines
    assert [p.line() for p in bulk.report.problems] == [p.line() for p in batched.report.problems]
    assert [vars(t) for t in bulk.report.tables] == [vars(t) for t in batched.report.tables]


def test_bulk_load_is_recorded_and_constrained(loads: tuple[GraphStore, Loaded, Loaded]) -> None:
    store, _, bulk = loads
    recorded = store.loads()
    assert recorded["load_id"].tolist() == [bulk.report.load_id]
    assert recorded["status"].tolist() == ["completed"]
    names = {row[0] for row in store.read_only_query(
        "SHOW CONSTRAINTS YIELD name RETURN name").rows}
    assert {"customer_customer_id", "transferred_transaction_id", "graphrisk_load_id"} <= names


def test_second_bulk_load_is_refused(loads: tuple[GraphStore, Loaded, Loaded], network: Path,
                                     server: LocalNeo4jServer) -> None:
    store, _, bulk = loads
    with pytest.raises(ConfigError, match="only an empty Neo4j database"):
        ingest_directory(store, network, bulk=server)
    assert store.counts() == bulk.counts


def test_batched_load_after_bulk_adds_incrementally(
        loads: tuple[GraphStore, Loaded, Loaded], tmp_path: Path) -> None:
    store, _, bulk = loads
    batch = tmp_path / "batch"
    batch.mkdir()
    (batch / "customers.csv").write_text(
        "customer_id,name,segment,country,kyc_status,onboarding_date\n"
        "C7777777,New Person,retail,AT,verified,2025-06-01\n")
    (batch / "accounts.csv").write_text(
        "account_id,customer_id,account_type,currency,opened_date,status\n"
        "A77777777,C7777777,checking,EUR,2025-06-01,active\n")
    (batch / "transactions.csv").write_text(
        "transaction_id,from_account_id,from_counterparty_id,to_account_id,to_counterparty_id,"
        "amount,currency,timestamp,channel,transaction_type\n"
        "T777777770,A77777777,,A00000001,,250.0,EUR,2025-06-02T09:00:00,online,transfer\n"
        "T000000001,A77777777,,A00000002,,99.0,EUR,2025-06-02T09:05:00,online,transfer\n")
    report = ingest_directory(store, batch, targeted_references=True)
    assert report.rows_rejected == 0, [p.line() for p in report.problems]
    counts = store.counts()
    # One new customer and account; one new transaction, and one re-loaded (moved) in place.
    assert counts["customers"] == bulk.counts["customers"] + 1
    assert counts["accounts"] == bulk.counts["accounts"] + 1
    assert counts["transactions"] == bulk.counts["transactions"] + 1
    moved = store.snapshot().transactions.set_index("transaction_id").loc["T000000001"]
    assert (moved["from_account_id"], moved["amount"]) == ("A77777777", 99.0)
    assert len(store.loads()) == 2

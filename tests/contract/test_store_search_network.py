"""Customer search and the filtered network, on every store, against a fixture small enough
to check by eye; and both stores give the same answers (here, and on a generated network).

The fixture (``SMALL`` below): six customers; C100 (Ana Lima) owns A100, K7 owns A101, K8
owns A102. Money: A100 -> A101 three times (T1 Jan 5, T2 Feb 10, T3 Mar 15), A100 -> the
grocer M1 once (T5 Jan 20), A101 -> A102 once (T4 Feb 20). C100 raised dispute D1 on Mar 16
about A100; A100 had a phone change X1 (Feb 1) and an e-mail change X2 (Mar 20) and holds the
loan L1 (granted 2023). K7 and K8 share one phone, written two ways.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from graphrisk.config import StoreKind
from graphrisk.domain import NodeLabel, RelType
from graphrisk.graph import NodeRef, Subgraph
from graphrisk.ingestion.generator import generate_dataset
from graphrisk.ingestion.loader import ingest_directory
from graphrisk.store.base import GraphStore
from graphrisk.store.embedded import EmbeddedGraphStore
from tests.stores import STORE_KINDS, open_test_store, store_params

SMALL: dict[str, str] = {
    "customers": """\
customer_id,name,segment,country,kyc_status,onboarding_date
C100,Ana Lima,retail,PT,verified,2020-01-01
C1001,Bruno Costa,retail,PT,verified,2020-01-02
C1002,Ana Maria Souza,retail,BR,verified,2020-01-03
c2001,Carla Lima,retail,BR,verified,2020-01-04
K7,Dmitri Ivanov,retail,GB,verified,2020-01-05
K8,Eva Novak,retail,GB,pending,2020-01-06
K9,Ivana Horvat,sme,HR,verified,2020-01-07
Z1,Zoë Ångström,retail,SE,verified,2020-01-08
""",
    "accounts": """\
account_id,customer_id,account_type,currency,opened_date,closed_date,status
A100,C100,checking,EUR,2020-01-01,,active
A101,K7,checking,EUR,2020-01-05,,active
A102,K8,checking,EUR,2020-01-06,,active
""",
    "counterparties": """\
counterparty_id,name,kind,country,industry
M1,Corner Grocery,merchant,PT,groceries
""",
    "identifiers": """\
customer_id,kind,value,first_seen
C100,device,DEV-1,2020-01-01
K7,phone,+44 20 7946 0958,2020-01-05
K8,phone,0044 (20) 7946-0958,2020-01-06
K7,email,D.Ivanov@Example.com,2020-01-05
""",
    "transactions": """\
transaction_id,from_account_id,from_counterparty_id,to_account_id,to_counterparty_id,amount,currency,timestamp,channel,transaction_type
T1,A100,,A101,,100.00,EUR,2024-01-05T10:00:00,online,transfer
T2,A100,,A101,,250.50,EUR,2024-02-10T12:00:00,online,transfer
T3,A100,,A101,,1000.00,EUR,2024-03-15T08:30:00,online,transfer
T4,A101,,A102,,75.25,EUR,2024-02-20T09:00:00,online,transfer
T5,A100,,,M1,40.00,EUR,2024-01-20T18:45:00,card,card_purchase
""",
    "disputes": """\
dispute_id,customer_id,account_id,transaction_id,kind,amount,status,opened_date,closed_date
D1,C100,A100,T3,chargeback,1000,open,2024-03-16,
""",
    "account_changes": """\
change_id,account_id,timestamp,change_kind,old_value,new_value
X1,A100,2024-02-01T07:00:00,phone_change,,
X2,A100,2024-03-20T07:00:00,email_change,,
""",
    "loans": """\
loan_id,account_id,amount,duration_months,monthly_payment,granted_date,status
L1,A100,5000,24,220,2023-06-01,running_ok
""",
}


def _write_small(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for entity, text in SMALL.items():
        (folder / f"{entity}.csv").write_text(text, encoding="utf-8")
    return folder


@pytest.fixture
def small(store: GraphStore, tmp_path: Path) -> GraphStore:
    """The store holding ``SMALL``."""
    report = ingest_directory(store, _write_small(tmp_path / "small"))
    assert report.rows_rejected == 0, [p.line() for p in report.problems]
    return store


def _ids(found: tuple[list, int]) -> tuple[list[str], int]:
    nodes, total = found
    return [node.ref.id for node in nodes], total


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _transfers(sub: Subgraph) -> dict[tuple[str, str], dict[str, object]]:
    return {(r.start.id, r.end.id): dict(r.properties) for r in sub.relationships
            if r.type is RelType.TRANSFERRED}


def _refs(sub: Subgraph) -> set[str]:
    return {str(ref) for ref in sub.node_refs()}


CENTRE = NodeRef(NodeLabel.CUSTOMER, "C100")


# -- search --------------------------------------------------------------------------------
def test_search_by_exact_id_puts_it_before_the_id_prefix_matches(small: GraphStore) -> None:
    assert _ids(small.search_customers("C100")) == (["C100", "C1001", "C1002"], 3)
    # Case and surrounding spaces do not matter.
    assert _ids(small.search_customers("  c100 ")) == (["C100", "C1001", "C1002"], 3)
    assert _ids(small.search_customers("C2001")) == (["c2001"], 1)


def test_search_by_id_prefix(small: GraphStore) -> None:
    assert _ids(small.search_customers("C10")) == (["C100", "C1001", "C1002"], 3)
    # "k" starts K7, K8, K9 (rank 1); Eva Novak (K8) also has a "k" in her name: once only.
    assert _ids(small.search_customers("k")) == (["K7", "K8", "K9"], 3)


def test_search_returns_the_stored_properties(small: GraphStore) -> None:
    (node,), total = small.search_customers("C100", limit=1)
    assert total == 3
    assert node.ref == CENTRE
    assert node.properties == small.get_node(CENTRE).properties
    assert node.properties["name"] == "Ana Lima" and node.properties["country"] == "PT"


def test_search_by_name_words(small: GraphStore) -> None:
    # Every word must appear, in any order and case.
    assert _ids(small.search_customers("lima ANA")) == (["C100"], 1)
    # Id prefixes first, then the rest by id (byte order: "C100" before "c2001").
    assert _ids(small.search_customers("lima")) == (["C100", "c2001"], 2)
    # A word may sit inside a name's word: "ana" is in "Ivana".
    assert _ids(small.search_customers("ana")) == (["C100", "C1002", "K9"], 3)
    # Letters beyond ASCII ignore case too, as they do in Neo4j.
    assert _ids(small.search_customers("ÅNGSTRÖM zoë")) == (["Z1"], 1)
    assert _ids(small.search_customers("zo")) == (["Z1"], 1)


def test_search_by_identifier_value_in_another_spelling(small: GraphStore) -> None:
    # Stored as phone:442079460958 for K7 and K8 (written two ways there, a third way here).
    assert _ids(small.search_customers("+44 (20) 7946-0958")) == (["K7", "K8"], 2)
    assert _ids(small.search_customers("00442079460958")) == (["K7", "K8"], 2)
    assert _ids(small.search_customers("  d.ivanov@EXAMPLE.com")) == (["K7"], 1)
    assert _ids(small.search_customers("dev-1")) == (["C100"], 1)


def test_search_pages_and_totals(small: GraphStore) -> None:
    # "c": the id prefixes C100, C1001, C1002, c2001; Bruno Costa (C1001) and Carla Lima
    # (c2001) by name as well, counted once.
    everything = ["C100", "C1001", "C1002", "c2001"]
    assert _ids(small.search_customers("c", limit=50)) == (everything, 4)
    pages = [_ids(small.search_customers("c", limit=3, offset=offset)) for offset in (0, 3, 6)]
    assert pages == [(everything[:3], 4), (everything[3:], 4), ([], 4)]
    assert _ids(small.search_customers("c", limit=0)) == ([], 4)


def test_search_for_unknown_text_finds_nothing(small: GraphStore) -> None:
    assert _ids(small.search_customers("zzz")) == ([], 0)
    # Wildcards of SQL's LIKE are plain characters here.
    assert _ids(small.search_customers("C1_0")) == ([], 0)
    assert _ids(small.search_customers("%")) == ([], 0)
    assert _ids(small.search_customers("_")) == ([], 0)
    assert _ids(small.search_customers("Ana Zed")) == ([], 0)
    assert _ids(small.search_customers("192.168.0.1")) == ([], 0)


@pytest.mark.parametrize("text", ["", "   ", "\t\n"])
def test_search_refuses_empty_text(small: GraphStore, text: str) -> None:
    with pytest.raises(ValueError, match="empty"):
        small.search_customers(text)


def test_search_refuses_negative_paging(small: GraphStore) -> None:
    with pytest.raises(ValueError, match="limit"):
        small.search_customers("C", limit=-1)
    with pytest.raises(ValueError, match="offset"):
        small.search_customers("C", offset=-1)


# -- network -------------------------------------------------------------------------------
def test_transfer_summaries_carry_first_and_last_times(small: GraphStore) -> None:
    sub = small.neighbourhood(CENTRE, hops=2)
    assert _refs(sub) == {
        "Customer:C100", "Account:A100", "Identifier:device:dev-1", "Account:A101",
        "Counterparty:M1", "Dispute:D1", "AccountChange:X1", "AccountChange:X2", "Loan:L1",
    }
    assert _transfers(sub) == {
        ("A100", "A101"): {"transactions": 3, "total_amount": 1350.5,
                           "first_at": "2024-01-05T10:00:00Z",
                           "last_at": "2024-03-15T08:30:00Z"},
        ("A100", "M1"): {"transactions": 1, "total_amount": 40.0,
                         "first_at": "2024-01-20T18:45:00Z", "last_at": "2024-01-20T18:45:00Z"},
    }
    assert not sub.truncated


def test_network_filtered_by_type(small: GraphStore) -> None:
    sub = small.neighbourhood(CENTRE, hops=3, types=[RelType.OWNS, RelType.TRANSFERRED])
    assert _refs(sub) == {"Customer:C100", "Account:A100", "Account:A101", "Counterparty:M1",
                          "Account:A102", "Customer:K7"}
    assert {r.type for r in sub.relationships} == {RelType.OWNS, RelType.TRANSFERRED}
    # Walking identifiers only: C100's device, and nobody shares it.
    only_ids = small.neighbourhood(CENTRE, hops=2, types=[RelType.HAS_IDENTIFIER])
    assert _refs(only_ids) == {"Customer:C100", "Identifier:device:dev-1"}
    # No type at all: the centre alone.
    assert _refs(small.neighbourhood(CENTRE, types=[])) == {"Customer:C100"}


def test_network_in_a_time_window(small: GraphStore) -> None:
    sub = small.neighbourhood(CENTRE, hops=2, since=_at("2024-02-01T00:00:00+00:00"),
                              until=_at("2024-02-29T23:59:59+00:00"))
    # Only T2 of A100 -> A101 is in February; T5 (to M1) is not, so M1 is not reached; the
    # dispute (Mar 16) and X2 (Mar 20) are out, X1 (Feb 1) in; the loan and the device have
    # no time and stay.
    assert _transfers(sub) == {
        ("A100", "A101"): {"transactions": 1, "total_amount": 250.5,
                           "first_at": "2024-02-10T12:00:00Z",
                           "last_at": "2024-02-10T12:00:00Z"},
    }
    assert _refs(sub) == {"Customer:C100", "Account:A100", "Identifier:device:dev-1",
                          "Account:A101", "AccountChange:X1", "Loan:L1"}


def test_time_window_bounds_are_inclusive_and_exact(small: GraphStore) -> None:
    sub = small.neighbourhood(CENTRE, hops=2, types=[RelType.OWNS, RelType.TRANSFERRED],
                              since=_at("2024-02-10T12:00:00Z"),
                              until=_at("2024-03-15T08:30:00Z"))
    assert _transfers(sub) == {
        ("A100", "A101"): {"transactions": 2, "total_amount": 1250.5,
                           "first_at": "2024-02-10T12:00:00Z",
                           "last_at": "2024-03-15T08:30:00Z"},
    }
    # Half a second later T2 is out; the same instant in another zone is the same window.
    later = small.neighbourhood(CENTRE, hops=2, types=[RelType.TRANSFERRED, RelType.OWNS],
                                since=_at("2024-02-10T12:00:00.500000Z"),
                                until=_at("2024-03-15T08:30:00Z"))
    assert _transfers(later)[("A100", "A101")]["transactions"] == 1
    zoned = small.neighbourhood(
        CENTRE, hops=2, types=[RelType.OWNS, RelType.TRANSFERRED],
        since=datetime(2024, 2, 10, 13, tzinfo=timezone(timedelta(hours=1))),
        until=datetime(2024, 3, 15, 9, 30, tzinfo=timezone(timedelta(hours=1))))
    assert zoned == sub


def test_window_keeps_a_dispute_by_the_day_it_was_opened(small: GraphStore) -> None:
    # Only one side bounded: from 23:00 on Mar 16, the day D1 was opened, onwards.
    sub = small.neighbourhood(CENTRE, hops=1, since=_at("2024-03-16T23:00:00Z"))
    assert _refs(sub) == {"Customer:C100", "Account:A100", "Identifier:device:dev-1",
                          "Dispute:D1"}
    sub = small.neighbourhood(CENTRE, hops=2, until=_at("2024-01-31T00:00:00Z"))
    assert _transfers(sub) == {
        ("A100", "A101"): {"transactions": 1, "total_amount": 100.0,
                           "first_at": "2024-01-05T10:00:00Z",
                           "last_at": "2024-01-05T10:00:00Z"},
        ("A100", "M1"): {"transactions": 1, "total_amount": 40.0,
                         "first_at": "2024-01-20T18:45:00Z", "last_at": "2024-01-20T18:45:00Z"},
    }
    assert "Dispute:D1" not in _refs(sub) and "AccountChange:X1" not in _refs(sub)


def test_network_filters_refuse_bad_arguments(small: GraphStore) -> None:
    with pytest.raises(ValueError, match="after"):
        small.neighbourhood(CENTRE, since=_at("2024-03-01T00:00:00Z"),
                            until=_at("2024-02-01T00:00:00Z"))
    with pytest.raises(ValueError, match="unknown relationship type"):
        small.neighbourhood(CENTRE, types=["KNOWS"])  # type: ignore[list-item]


def test_unfiltered_calls_are_unchanged(small: GraphStore) -> None:
    assert small.neighbourhood(CENTRE, 2, 500) == small.neighbourhood(
        CENTRE, hops=2, limit=500, types=list(RelType), since=None, until=None)


# -- the stores agree ----------------------------------------------------------------------
_NETWORK_CALLS: list[dict[str, object]] = [
    {"hops": 2},
    {"hops": 3, "types": [RelType.OWNS, RelType.TRANSFERRED]},
    {"hops": 2, "since": _at("2024-02-01T00:00:00Z"), "until": _at("2024-02-29T23:59:59Z")},
    {"hops": 3, "since": _at("2024-03-16T12:00:00Z")},
    {"hops": 3, "limit": 4, "until": _at("2024-02-15T00:00:00Z")},
]
_SEARCHES = ["C100", "c", "k", "ana", "lima ana", "+44 (20) 7946-0958", "dev-1", "zzz",
             "ÅNGSTRÖM", "C1_0"]


def test_both_stores_agree_on_the_small_fixture(small: GraphStore, tmp_path: Path) -> None:
    with EmbeddedGraphStore(tmp_path / "reference.db") as reference:
        ingest_directory(reference, _write_small(tmp_path / "small-again"))
        for text in _SEARCHES:
            for limit, offset in ((50, 0), (2, 1)):
                left = reference.search_customers(text, limit=limit, offset=offset)
                right = small.search_customers(text, limit=limit, offset=offset)
                assert left == right, text
        for centre in (CENTRE, NodeRef(NodeLabel.ACCOUNT, "A101")):
            for call in _NETWORK_CALLS:
                assert reference.neighbourhood(centre, **call) == small.neighbourhood(
                    centre, **call), (centre, call)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("search-network") / "data"
    generate_dataset(500, 17, folder)
    return folder


@pytest.fixture(scope="module")
def generated_reference(generated: Path, tmp_path_factory: pytest.TempPathFactory
                        ) -> Iterator[GraphStore]:
    store = open_test_store(StoreKind.EMBEDDED, tmp_path_factory.mktemp("reference"))
    ingest_directory(store, generated)
    yield store
    store.close()


@pytest.fixture(scope="module",
                params=store_params(tuple(k for k in STORE_KINDS if k is not StoreKind.EMBEDDED)))
def generated_other(request: pytest.FixtureRequest, generated: Path,
                    tmp_path_factory: pytest.TempPathFactory) -> Iterator[GraphStore]:
    store = open_test_store(request.param, tmp_path_factory.mktemp(request.param.value))
    ingest_directory(store, generated, batch_size=1_000)
    yield store
    store.close()


@pytest.mark.slow
def test_stores_agree_on_a_generated_network(generated_reference: GraphStore,
                                             generated_other: GraphStore) -> None:
    rng = random.Random(11)
    customers = sorted(generated_reference.existing_ids("customers"))
    snapshot = generated_reference.snapshot()
    names = snapshot.customers.set_index("customer_id")["name"]
    values = snapshot.identifiers["raw_value"].dropna().tolist()
    texts = ["C", "c0000", customers[7], customers[7].lower(),
             *(str(names[c]).split()[0] for c in rng.sample(customers, 4)),
             *(str(names[c]).upper() for c in rng.sample(customers, 2)),
             *rng.sample(values, 6)]
    for text in texts:
        for limit, offset in ((50, 0), (7, 3)):
            left = generated_reference.search_customers(text, limit=limit, offset=offset)
            right = generated_other.search_customers(text, limit=limit, offset=offset)
            assert left == right, text
            assert left[1] > 0, text
    times = sorted(snapshot.transactions["timestamp"].dropna())
    middle = _at(times[len(times) // 3]).replace(tzinfo=UTC)
    late = _at(times[2 * len(times) // 3]).replace(tzinfo=UTC)
    calls: list[dict[str, object]] = [
        {"hops": 2, "limit": 150},
        {"hops": 2, "limit": 150, "types": [RelType.TRANSFERRED, RelType.OWNS]},
        {"hops": 2, "limit": 150, "since": middle, "until": late},
        {"hops": 3, "limit": 150, "since": middle,
         "types": [RelType.TRANSFERRED, RelType.OWNS, RelType.RAISED, RelType.HAD_CHANGE]},
    ]
    for customer in rng.sample(customers, 8):
        ref = NodeRef(NodeLabel.CUSTOMER, customer)
        for call in calls:
            left = generated_reference.neighbourhood(ref, **call)  # type: ignore[arg-type]
            right = generated_other.neighbourhood(ref, **call)  # type: ignore[arg-type]
            assert left == right, (customer, call)

"""The benchmark reference behaves as its source says: Neo4j's example on a hand-built
network, and the same answer whether it builds its own transaction ledger or shares one."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import pytest

from graphrisk.analytics.baselines import REFERENCE_COLUMNS, neo4j_reference_scores
from graphrisk.analytics.ledger import build_ledger
from graphrisk.graph import GraphSnapshot


def _snapshot(
    identifiers: list[tuple[str, str, str]],
    payments: Sequence[tuple[str, str, float]] = (),
    extra_customers: tuple[str, ...] = (),
) -> GraphSnapshot:
    """Customers named in ``identifiers`` (customer, kind, value), ``payments`` (payer, payee,
    amount) or ``extra_customers``; each customer owns one account ``A<customer>``."""
    named = [c for c, _, _ in identifiers] + [c for p in payments for c in p[:2]]
    customers = sorted(set(named) | set(extra_customers))
    empty = pd.DataFrame()
    return GraphSnapshot(
        customers=pd.DataFrame({"customer_id": customers, "known_risk_label": None}),
        accounts=pd.DataFrame({"account_id": [f"A{c}" for c in customers],
                               "customer_id": customers}),
        account_holders=empty,
        counterparties=empty,
        identifiers=pd.DataFrame(
            [(c, k, v, f"{k}:{v}") for c, k, v in identifiers],
            columns=["customer_id", "kind", "value", "identifier_id"],
        ),
        transactions=pd.DataFrame({
            "transaction_id": [f"T{i}" for i in range(len(payments))],
            "from_account_id": [f"A{p}" for p, _, _ in payments],
            "to_account_id": [f"A{q}" for _, q, _ in payments],
            "amount": [a for _, _, a in payments],
        }),
        disputes=empty,
        loans=empty,
        account_changes=empty,
    )


def _own(customer: str, *kinds: str) -> list[tuple[str, str, str]]:
    """Identifiers nobody else has."""
    return [(customer, kind, f"{customer}-{kind}") for kind in kinds]


def test_sharing_phone_and_email_scores_above_sharing_an_ip() -> None:
    # A and B share a phone and an e-mail (2 of their 4 distinct identifiers: Jaccard 2/4);
    # C and D share only an IP (1 of 5: Jaccard 1/5); E shares nothing.
    snapshot = _snapshot(
        [("A", "phone", "p1"), ("B", "phone", "p1"), ("A", "email", "e1"), ("B", "email", "e1"),
         *_own("A", "ip"), *_own("B", "ip"),
         ("C", "ip", "10.0.0.1"), ("D", "ip", "10.0.0.1"),
         *_own("C", "phone", "email"), *_own("D", "phone", "email"),
         *_own("E", "phone", "email", "ip")],
    )
    scores = neo4j_reference_scores(snapshot).set_index("customer_id")
    assert list(neo4j_reference_scores(snapshot).columns) == list(REFERENCE_COLUMNS)
    first = scores["first_party_score"]
    assert first["A"] == pytest.approx(0.5) and first["B"] == pytest.approx(0.5)
    assert first["C"] == pytest.approx(0.2) and first["D"] == pytest.approx(0.2)
    assert first["E"] == 0.0
    assert scores["reference_score"]["A"] > scores["reference_score"]["C"] > 0.0
    assert scores["reference_score"]["E"] == 0.0
    # Without the IP as PII, C and D are no longer linked.
    narrow = neo4j_reference_scores(snapshot, identifier_kinds=("phone", "email"))
    assert narrow.set_index("customer_id")["first_party_score"]["C"] == 0.0


def test_first_party_score_sums_the_top_k_similarities() -> None:
    # X shares one identifier with each of Y1, Y2, Y3; each customer has three identifiers,
    # so every pair has Jaccard 1/5.
    snapshot = _snapshot(
        [("X", "phone", "p"), ("Y1", "phone", "p"), ("X", "email", "e"), ("Y2", "email", "e"),
         ("X", "device", "d"), ("Y3", "device", "d"),
         *_own("Y1", "email", "device"), *_own("Y2", "phone", "device"),
         *_own("Y3", "phone", "email")],
    )
    every = neo4j_reference_scores(snapshot).set_index("customer_id")["first_party_score"]
    assert every["X"] == pytest.approx(3 * 0.2)
    assert every["Y1"] == pytest.approx(0.2)
    top_one = neo4j_reference_scores(snapshot, top_k=1).set_index("customer_id")
    assert top_one["first_party_score"]["X"] == pytest.approx(0.2)


def test_identifiers_shared_too_widely_link_nobody_but_still_count() -> None:
    # Twelve customers behind one office IP; A and B also share a phone.
    office = [(f"O{i}", "ip", "10.9.9.9") for i in range(10)]
    snapshot = _snapshot(
        [("A", "ip", "10.9.9.9"), ("B", "ip", "10.9.9.9"), ("A", "phone", "p"), ("B", "phone", "p"),
         *office],
    )
    cut = neo4j_reference_scores(snapshot).set_index("customer_id")["first_party_score"]
    # The IP links nobody, yet stays in A's and B's identifier sets: Jaccard 1/(2+2-1).
    assert cut["A"] == pytest.approx(1 / 3)
    assert cut["O0"] == 0.0
    wide = neo4j_reference_scores(snapshot, max_identifier_degree=20)
    assert wide.set_index("customer_id")["first_party_score"]["O0"] > 0.0


def _mule_network() -> GraphSnapshot:
    """A ring F1..F4 sharing phone and e-mail (Jaccard 2/4 with each other: score 3 * 1/2),
    six pairs sharing only an IP (score 1/5 each), and money around the ring:
    F1 pays M 1,000 (twice, 500 each) and N 3,000; F2 and F3 pay M; S pays F4; P0a pays Z;
    F1 moves money between its own accounts."""
    ring = [(f"F{i}", kind, kind) for i in range(1, 5) for kind in ("phone", "email")]
    ring += [ident for i in range(1, 5) for ident in _own(f"F{i}", "ip")]
    pairs = []
    for i in range(6):
        for side in "ab":
            pairs += [(f"P{i}{side}", "ip", f"ip{i}"), *_own(f"P{i}{side}", "phone", "email")]
    payments = [("F1", "M", 500.0), ("F1", "M", 500.0), ("F1", "N", 3000.0),
                ("F2", "M", 1000.0), ("F3", "M", 1000.0), ("S", "F4", 800.0),
                ("P0a", "Z", 5000.0)]
    snapshot = _snapshot(ring + pairs, payments)
    own_account = pd.DataFrame({"account_id": ["AF1-savings"], "customer_id": ["F1"]})
    snapshot.accounts = pd.concat([snapshot.accounts, own_account], ignore_index=True)
    snapshot.transactions = pd.concat([snapshot.transactions, pd.DataFrame({
        "transaction_id": ["T-own"], "from_account_id": ["AF1"],
        "to_account_id": ["AF1-savings"], "amount": [99_999.0]})], ignore_index=True)
    return snapshot


def test_second_party_score_is_amount_weighted_pagerank_from_fraudsters() -> None:
    scores = neo4j_reference_scores(_mule_network(), fraudster_quantile=0.75)
    scores = scores.set_index("customer_id")
    first, second = scores["first_party_score"], scores["second_party_score"]
    assert first["F1"] == pytest.approx(1.5) and first["P0a"] == pytest.approx(0.2)
    # GDS PageRank: 0.15 + 0.85 * sum(rank of payer * payer's share of its outgoing amount).
    # The ring members have no income, so rank 0.15; F1 sends 1/4 of its money to M, 3/4 to N.
    assert second["M"] == pytest.approx(0.15 + 0.85 * (0.15 * 0.25 + 0.15 + 0.15))
    assert second["N"] == pytest.approx(0.15 + 0.85 * 0.15 * 0.75)
    assert second["M"] > second["N"] > second["S"] == pytest.approx(0.15)
    # Fraudsters get no second-party score; money between non-fraudsters is not followed.
    assert (second[["F1", "F2", "F3", "F4"]] == 0.0).all()
    assert second["Z"] == 0.0 and second["P0a"] == 0.0
    # One ranking: fraudsters, then second-party suspects, then the rest by first-party score.
    reference = scores["reference_score"]
    assert reference[["F1", "F2", "F3", "F4"]].min() > reference["M"] > reference["N"]
    assert reference["N"] > reference["S"] > reference["P0a"] > reference["Z"] == 0.0
    assert reference.between(0.0, 1.0).all()


def test_the_whole_transfer_network_is_an_option() -> None:
    scores = neo4j_reference_scores(
        _mule_network(), fraudster_quantile=0.75, second_party_network="all"
    ).set_index("customer_id")
    assert scores["second_party_score"]["Z"] == pytest.approx(0.15 + 0.85 * 0.15)


def test_default_quantile_marks_only_the_top_five_percent() -> None:
    # With the guide's 95th percentile, 4 ring members among 16 scored customers are too
    # many: the cut falls inside the ring and nobody is above it.
    scores = neo4j_reference_scores(_mule_network()).set_index("customer_id")
    assert (scores["second_party_score"] == 0.0).all()


def test_reference_arguments_are_checked() -> None:
    snapshot = _snapshot(_own("A", "phone"))
    with pytest.raises(ValueError, match="max_identifier_degree"):
        neo4j_reference_scores(snapshot, max_identifier_degree=1)
    with pytest.raises(ValueError, match="second_party_network"):
        neo4j_reference_scores(snapshot, second_party_network="some")  # type: ignore[arg-type]


def test_a_shared_ledger_gives_the_same_scores() -> None:
    snapshot = _mule_network()
    alone = neo4j_reference_scores(snapshot, fraudster_quantile=0.75)
    shared = neo4j_reference_scores(snapshot, fraudster_quantile=0.75,
                                    ledger=build_ledger(snapshot))
    pd.testing.assert_frame_equal(alone, shared)

"""The customer graph as HeteroData: shapes, features, labels, encoders, fingerprints."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
import torch

from graphrisk.graph import GraphSnapshot
from graphrisk.models.dataset import (
    EDGE_TYPES,
    NODE_TYPES,
    FeatureEncoders,
    build_graph_dataset,
    snapshot_fingerprint,
)


def _ids(dataset, node_type: str, edge_type, column: int) -> list[str]:
    positions = dataset.data[edge_type].edge_index[column].tolist()
    return [dataset.node_ids[node_type][p] for p in positions]


def test_tiny_ring_becomes_the_graph_a_person_would_draw(tiny_snapshot: GraphSnapshot) -> None:
    dataset = build_graph_dataset(tiny_snapshot)
    data = dataset.data
    assert list(dataset.customer_ids) == ["C1", "C2", "C3", "C4", "C5", "C6"]
    assert set(data.node_types) == set(NODE_TYPES)
    assert set(data.edge_types) == set(EDGE_TYPES)
    # Only identifiers shared by two or more customers are nodes: the device of C2-C4, the
    # phone of C2-C3 and the address of C1 and C6 (written two ways).
    ids = sorted(dataset.node_ids["identifier"])
    assert [i.split(":")[0] for i in ids] == ["address", "device", "phone"]
    device = next(i for i in ids if i.startswith("device"))
    uses = data["customer", "uses", "identifier"].edge_index
    position = list(dataset.node_ids["identifier"]).index(device)
    users = sorted(dataset.customer_ids[uses[0][uses[1] == position]])
    assert users == ["C2", "C3", "C4"]
    # Ownership: seven owners plus C1 as co-holder of A6.
    holds = list(zip(_ids(dataset, "customer", ("customer", "holds", "account"), 0),
                     _ids(dataset, "account", ("customer", "holds", "account"), 1), strict=True))
    assert len(holds) == 8 and ("C1", "A6") in holds
    # The money cycle A2 -> A3 -> A4 -> A2, plus A4 -> A5 and A6 -> A7.
    sends = ("account", "sends_to", "account")
    pairs = set(zip(_ids(dataset, "account", sends, 0), _ids(dataset, "account", sends, 1),
                    strict=True))
    assert pairs == {("A2", "A3"), ("A3", "A4"), ("A4", "A2"), ("A4", "A5"), ("A6", "A7")}
    assert int(data["customer"].y.sum()) == 1 and dataset.labels["C2"] == 1


def test_reverse_edges_mirror_the_forward_ones(bank) -> None:
    data = build_graph_dataset(bank[0]).data
    for src, rel, dst in EDGE_TYPES[:5]:
        forward = data[src, rel, dst]
        reverse = next(data[e] for e in EDGE_TYPES[5:] if e[0] == dst and e[2] == src
                       and data[e].edge_index.shape == forward.edge_index.shape
                       and torch.equal(data[e].edge_index, forward.edge_index.flip(0)))
        assert torch.equal(reverse.edge_attr, forward.edge_attr)


def test_shapes_and_feature_sanity(bank) -> None:
    snapshot, _ = bank
    dataset = build_graph_dataset(snapshot)
    data = dataset.data
    n = snapshot.customers["customer_id"].nunique()
    assert dataset.num_customers == n == data["customer"].x.size(0)
    assert list(dataset.customer_ids) == sorted(dataset.customer_ids)
    assert data["account"].x.size(0) == snapshot.accounts["account_id"].nunique()
    known = int(snapshot.customers["known_risk_label"].notna().sum())
    assert int(data["customer"].y.sum()) == known > 0
    for node_type in NODE_TYPES:
        x = data[node_type].x
        assert x.dtype == torch.float32 and torch.isfinite(x).all()
        assert x.abs().max() <= 10.0
        assert x.size(1) == len(dataset.encoders.feature_names(node_type))
    for edge_type in EDGE_TYPES:
        store = data[edge_type]
        assert store.edge_index.size(1) == store.edge_attr.size(0)
        assert torch.isfinite(store.edge_attr).all()
        assert store.edge_index[0].max() < data[edge_type[0]].num_nodes
        assert store.edge_index[1].max() < data[edge_type[2]].num_nodes
    # Payments are aggregated per pair: no pair appears twice.
    pairs = data["account", "sends_to", "counterparty"].edge_index
    assert torch.unique(pairs, dim=1).size(1) == pairs.size(1)
    # The numeric customer features are standardised (mean 0 where they vary).
    names = dataset.encoders.feature_names("customer")
    credit = data["customer"].x[:, names.index("credit_score")]
    assert abs(float(credit.mean())) < 1e-3 and 0.9 < float(credit.std()) < 1.1


def test_the_label_is_never_a_feature(bank) -> None:
    snapshot, _ = bank
    dataset = build_graph_dataset(snapshot)
    for group in dataset.encoders.groups:
        assert not any("known" in name for name in dataset.encoders.feature_names(group))
    # Wiping the labels (and their source) changes the labels and nothing else.
    unlabelled = replace(snapshot, customers=snapshot.customers.assign(
        known_risk_label=pd.NA, known_risk_source=pd.NA))
    blind = build_graph_dataset(unlabelled)
    assert int(blind.data["customer"].y.sum()) == 0
    assert blind.encoders.digest() == dataset.encoders.digest()
    for node_type in NODE_TYPES:
        assert torch.equal(blind.data[node_type].x, dataset.data[node_type].x)


def test_encoders_fitted_on_one_snapshot_apply_to_another(bank, other_bank, tmp_path) -> None:
    fitted = build_graph_dataset(bank[0])
    customers = other_bank.customers.copy()
    customers.loc[customers.index[0], "industry"] = "alchemy"  # never seen in training
    later = replace(other_bank, customers=customers)

    applied = build_graph_dataset(later, encoders=fitted.encoders)
    own = build_graph_dataset(later)
    assert applied.encoders is fitted.encoders
    for node_type in NODE_TYPES:
        assert applied.data[node_type].x.size(1) == fitted.data[node_type].x.size(1)
    # The same raw values, scaled with the first bank's means rather than their own.
    assert not torch.equal(applied.data["customer"].x, own.data["customer"].x)
    names = fitted.encoders.feature_names("customer")
    first = int(np.flatnonzero(applied.customer_ids == customers["customer_id"].iloc[0])[0])
    assert applied.data["customer"].x[first, names.index("industry=__other__")] == 1.0

    path = tmp_path / "encoders.json"
    fitted.encoders.save(path)
    reloaded = FeatureEncoders.load(path)
    assert reloaded.digest() == fitted.encoders.digest()
    again = build_graph_dataset(later, encoders=reloaded)
    assert torch.equal(again.data["customer"].x, applied.data["customer"].x)


def test_encoders_refuse_an_unknown_format() -> None:
    with pytest.raises(ValueError, match="format version"):
        FeatureEncoders.from_dict({"format_version": 99, "groups": {}, "settings": {}})


def test_fingerprint_follows_content_not_row_order(bank) -> None:
    snapshot, _ = bank
    reordered = replace(snapshot, transactions=snapshot.transactions.iloc[::-1])
    assert snapshot_fingerprint(reordered) == snapshot_fingerprint(snapshot)
    changed = snapshot.transactions.copy()
    changed.loc[changed.index[0], "amount"] += 0.01
    assert snapshot_fingerprint(replace(snapshot, transactions=changed)) != \
        snapshot_fingerprint(snapshot)


def test_hub_identifiers_are_left_out(bank) -> None:
    snapshot, _ = bank
    identifiers = snapshot.identifiers
    hub = identifiers.iloc[:12].assign(identifier_id="phone:000", kind="phone", value="000")
    hub["customer_id"] = snapshot.customers["customer_id"].iloc[:12].to_numpy()
    with_hub = replace(snapshot, identifiers=pd.concat([identifiers, hub], ignore_index=True))
    dataset = build_graph_dataset(with_hub, max_identifier_degree=10)
    assert "phone:000" not in set(dataset.node_ids["identifier"])
    names = dataset.encoders.feature_names("customer")
    assert float(dataset.data["customer"].x[0, names.index("hub_identifiers")]) > 0


def _with_features(snapshot: GraphSnapshot, rows: list[tuple[str, str, float]]) -> GraphSnapshot:
    frame = pd.DataFrame(rows, columns=["customer_id", "feature", "value"])
    return replace(snapshot, customer_features=frame)


def test_customer_features_become_standardised_columns_with_missing_flags(
        tiny_snapshot: GraphSnapshot) -> None:
    snapshot = _with_features(tiny_snapshot, [
        ("C1", "debt_ratio", 1.0), ("C2", "debt_ratio", 3.0), ("C3", "debt_ratio", 5.0),
        ("C2", "audit_flags", 2.0), ("C9", "debt_ratio", 100.0),  # C9 is nobody: ignored
    ])
    dataset = build_graph_dataset(snapshot)
    assert dataset.encoders.settings["customer_features"] == ["audit_flags", "debt_ratio"]
    names = dataset.encoders.feature_names("customer")
    x = pd.DataFrame(dataset.data["customer"].x.numpy(), columns=names,
                     index=dataset.customer_ids)
    ratio = x["feature:debt_ratio"]
    # Mean 3 and deviation sqrt(8/3) over the three customers that have it; the rest get the
    # mean (0 once standardised) and the flag.
    assert ratio["C1"] == pytest.approx(-2 / np.sqrt(8 / 3), rel=1e-5)
    assert ratio["C2"] == pytest.approx(0.0, abs=1e-6)
    assert ratio[["C4", "C5", "C6"]].tolist() == [0.0, 0.0, 0.0]
    flags = x["feature:debt_ratio_missing"]  # standardised too: half have it, -1 / +1
    assert flags.tolist() == pytest.approx([-1.0, -1.0, -1.0, 1.0, 1.0, 1.0])
    assert x.loc["C2", "feature:audit_flags_missing"] == pytest.approx(
        (0.0 - 5 / 6) / np.sqrt(5 / 36), rel=1e-5)


def test_customer_feature_names_are_fitted_and_reapplied(tiny_snapshot: GraphSnapshot,
                                                         tmp_path) -> None:
    trained = build_graph_dataset(_with_features(tiny_snapshot, [
        ("C1", "debt_ratio", 1.0), ("C2", "debt_ratio", 3.0), ("C3", "audit_flags", 1.0)]))
    path = tmp_path / "encoders.json"
    trained.encoders.save(path)
    encoders = FeatureEncoders.load(path)
    # A later snapshot: debt_ratio for C1 only, audit_flags gone, a feature never seen.
    later = build_graph_dataset(_with_features(tiny_snapshot, [
        ("C1", "debt_ratio", 3.0), ("C4", "new_ratio", 9.0)]), encoders=encoders)
    names = later.encoders.feature_names("customer")
    assert names == trained.encoders.feature_names("customer")
    assert not any("new_ratio" in name for name in names)
    x = pd.DataFrame(later.data["customer"].x.numpy(), columns=names, index=later.customer_ids)
    # Standardised with the training mean (2) and deviation (1), not the later snapshot's.
    assert x.loc["C1", "feature:debt_ratio"] == pytest.approx(1.0)
    assert x["feature:audit_flags"].abs().max() == 0.0  # absent everywhere: the mean
    missing = x["feature:audit_flags_missing"]
    assert missing.nunique() == 1 and missing.iloc[0] > 0  # every customer flagged


def test_snapshots_without_customer_features_keep_their_columns(
        tiny_snapshot: GraphSnapshot) -> None:
    dataset = build_graph_dataset(tiny_snapshot)
    assert dataset.encoders.settings["customer_features"] == []
    assert not any(n.startswith("feature:") for n in dataset.encoders.feature_names("customer"))
    # Encoders fitted before customer features existed have no such setting: none are read.
    legacy = dataset.encoders.to_dict()
    del legacy["settings"]["customer_features"]
    old = FeatureEncoders.from_dict(legacy)
    again = build_graph_dataset(_with_features(tiny_snapshot, [("C1", "debt_ratio", 1.0)]),
                                encoders=old)
    assert again.data["customer"].x.shape == dataset.data["customer"].x.shape

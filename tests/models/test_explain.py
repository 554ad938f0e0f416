"""Explanations of GNN predictions: exact neighbourhoods, real neighbours, true sentences."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
import torch

from graphrisk.analytics.evaluation import TEST, VALIDATION, split_customers
from graphrisk.graph import GraphSnapshot
from graphrisk.models.dataset import GraphDataset, build_graph_dataset
from graphrisk.models.explain import computation_subgraph, explain_customer, explain_customers
from graphrisk.models.training import TrainConfig, TrainedModel, predict, train_model

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def snapshot(bank) -> GraphSnapshot:
    return bank[0]


@pytest.fixture(scope="module")
def dataset(snapshot: GraphSnapshot) -> GraphDataset:
    return build_graph_dataset(snapshot)


@pytest.fixture(scope="module", params=["sage", "hgt"])
def trained(request, dataset: GraphDataset) -> TrainedModel:
    split = split_customers(dataset.customer_ids, validation_share=0.3, seed=5)
    config = TrainConfig(model=request.param, hidden=16, epochs=15, patience=15, lr=0.01,
                         seed=1)
    return train_model(dataset, split.index[split == TEST], split.index[split == VALIDATION],
                       config)


@pytest.fixture(scope="module")
def riskiest(trained: TrainedModel, dataset: GraphDataset) -> list[str]:
    """Three of the customers the model rates highest, and one it rates low."""
    probability = predict(trained, dataset).sort_values(ascending=False, kind="stable")
    return [*probability.index[:3], probability.index[len(probability) // 2]]


def _linked(snapshot: GraphSnapshot, customer_id: str) -> dict[str, set[str]]:
    """Every node the customer reaches in two steps, by type, from the raw tables."""
    accounts = set(snapshot.accounts.loc[snapshot.accounts["customer_id"] == customer_id,
                                         "account_id"])
    accounts |= set(snapshot.account_holders.loc[
        snapshot.account_holders["customer_id"] == customer_id, "account_id"])
    ids = snapshot.identifiers
    identifiers = set(ids.loc[ids["customer_id"] == customer_id, "identifier_id"])
    txns = snapshot.transactions
    out_of = txns[txns["from_account_id"].isin(accounts)]
    into = txns[txns["to_account_id"].isin(accounts)]
    holders = set(snapshot.accounts.loc[snapshot.accounts["account_id"].isin(accounts),
                                        "customer_id"])
    holders |= set(snapshot.account_holders.loc[
        snapshot.account_holders["account_id"].isin(accounts), "customer_id"])
    return {
        "account": accounts | set(out_of["to_account_id"].dropna())
        | set(into["from_account_id"].dropna()),
        "counterparty": set(out_of["to_counterparty_id"].dropna())
        | set(into["from_counterparty_id"].dropna()),
        "identifier": identifiers,
        "customer": holders | set(ids.loc[ids["identifier_id"].isin(identifiers),
                                          "customer_id"]),
    }


def test_the_neighbourhood_gives_the_prediction_of_the_whole_graph(trained, dataset,
                                                                   riskiest) -> None:
    network = trained.network.eval()
    data = dataset.data
    with torch.no_grad():
        whole = network(data.x_dict, data.edge_index_dict, data.edge_attr_dict).numpy()
        for customer_id in riskiest:
            position = int(dataset.positions([customer_id])[0])
            hood = computation_subgraph(data, position, len(network.convs), network.edge_types)
            sub = hood.data
            logit = network(sub.x_dict, sub.edge_index_dict, sub.edge_attr_dict)[hood.centre]
            assert float(logit) == pytest.approx(float(whole[position]), abs=1e-4)
            assert hood.size < sum(data[nt].num_nodes for nt in data.node_types)


def test_explanations_point_at_real_neighbours_and_add_up(trained, dataset, snapshot,
                                                          riskiest) -> None:
    explanations = explain_customers(trained, dataset, riskiest, snapshot=snapshot, top=8)
    probability = predict(trained, dataset, riskiest)
    for customer_id, explanation in explanations.items():
        assert explanation.probability == pytest.approx(probability[customer_id], abs=1e-5)
        # Integrated Gradients is complete: the parts add up to the prediction.
        spread = abs(explanation.logit - explanation.baseline_logit)
        assert abs(explanation.attribution_gap) <= 0.05 * spread + 0.05
        linked = _linked(snapshot, customer_id)
        assert explanation.neighbours, "a customer with accounts has neighbours"
        for neighbour in explanation.neighbours:
            assert neighbour.hops in (1, 2)
            assert neighbour.node_id in linked[neighbour.node_type], neighbour
            assert neighbour.node_id != customer_id
            assert neighbour.driver, "every neighbour names the feature that drove it"
        assert explanation.features and all(
            f.feature in trained.encoders.feature_names("customer")
            for f in explanation.features)
        assert 1 <= len(explanation.reasons) <= 8
        json.dumps(explanation.to_dict())


def test_relationship_sentences_are_true_of_the_data(trained, dataset, snapshot,
                                                     riskiest) -> None:
    explanations = explain_customers(trained, dataset, riskiest, snapshot=snapshot, top=15)
    owners = snapshot.accounts.set_index("account_id")["customer_id"]
    txns = snapshot.transactions
    ids = snapshot.identifiers
    checked = 0
    for customer_id, explanation in explanations.items():
        for n in explanation.neighbours:
            text = n.relationship
            if text.startswith("own account "):
                assert owners[n.node_id] == customer_id
                checked += 1
            shared = re.match(r"shares (\w+) (.+) with customer (\S+)", text)
            if shared:
                kind, value, other = shared.groups()
                users = set(ids.loc[ids["identifier_id"] == f"{kind}:{value}", "customer_id"])
                assert {customer_id, other} <= users
                checked += 1
            flow = re.search(r"(sent|received) ([\d,.]+) in (\d+) payments? (?:to|from) account "
                             r"(\S+)", text)
            if flow and n.node_type == "account":
                verb, amount, count, own = flow.groups()
                source, target = (n.node_id, own) if verb == "sent" else (own, n.node_id)
                rows = txns[(txns["from_account_id"] == source)
                            & (txns["to_account_id"] == target)]
                assert len(rows) == int(count)
                assert rows["amount"].sum() == pytest.approx(float(amount.replace(",", "")),
                                                             abs=0.01)
                checked += 1
    assert checked > 0, "no relationship sentence was checked"


def test_explanations_are_deterministic(trained, dataset, snapshot, riskiest) -> None:
    first = explain_customer(trained, dataset, riskiest[0], snapshot=snapshot)
    again = explain_customer(trained, dataset, riskiest[0], snapshot=snapshot)
    assert first == again


def test_without_a_snapshot_the_nodes_are_named_all_the_same(trained, dataset,
                                                             riskiest) -> None:
    explanation = explain_customer(trained, dataset, riskiest[0])
    assert all(n.node_id in n.relationship or n.node_type == "identifier"
               for n in explanation.neighbours)


def test_an_unknown_customer_is_refused(trained, dataset) -> None:
    with pytest.raises(ValueError, match="not in the dataset"):
        explain_customer(trained, dataset, "NOBODY")


def test_a_model_that_ignores_neighbours_is_explained_by_own_features(dataset) -> None:
    """Zeroing every message-passing weight leaves only the customer's own input: the
    explanation must then give the neighbours nothing."""
    split = split_customers(dataset.customer_ids, validation_share=0.3, seed=5)
    trained = train_model(dataset, split.index[split == TEST],
                          split.index[split == VALIDATION],
                          TrainConfig(model="sage", hidden=8, epochs=2, seed=3))
    with torch.no_grad():
        for conv in trained.network.convs:
            for parameter in conv.parameters():
                parameter.zero_()
    customer_id = str(dataset.customer_ids[0])
    explanation = explain_customer(trained, dataset, customer_id)
    assert all(abs(n.attribution) < 1e-6 for n in explanation.neighbours)
    own = explanation.relationships["own features"]
    assert own == pytest.approx(explanation.logit - explanation.baseline_logit, abs=0.05)
    assert np.isfinite(own)

"""The heterogeneous networks: shapes, gradients, and graphs with empty node types."""

from __future__ import annotations

import pytest
import torch

from graphrisk.models.dataset import build_graph_dataset
from graphrisk.models.networks import MODEL_KINDS, architecture_of, build_network
from graphrisk.models.sampling import NeighbourSampler


@pytest.mark.parametrize("kind", MODEL_KINDS)
def test_one_logit_per_customer_and_gradients_reach_every_input_layer(kind, tiny_snapshot):
    dataset = build_graph_dataset(tiny_snapshot)
    data = dataset.data
    torch.manual_seed(0)
    network = build_network(kind, architecture_of(dataset), hidden=8, layers=2, dropout=0.0,
                            heads=2)
    logits = network(data.x_dict, data.edge_index_dict, data.edge_attr_dict)
    assert logits.shape == (dataset.num_customers,)
    logits.sum().backward()
    # Accounts, counterparties and identifiers only matter through message passing: their
    # input layers get a gradient only if messages reach the customers.
    for node_type in ("account", "counterparty", "identifier"):
        assert network.inputs[node_type].weight.grad.abs().sum() > 0


@pytest.mark.parametrize("kind", MODEL_KINDS)
def test_a_batch_without_identifiers_still_runs(kind, tiny_snapshot):
    dataset = build_graph_dataset(tiny_snapshot)
    # C5 shares no identifier: its one-hop batch holds no identifier node at all.
    c5 = int(list(dataset.customer_ids).index("C5"))
    batch = NeighbourSampler(dataset.data, [-1]).sample(torch.tensor([c5]))
    assert batch.data["identifier"].num_nodes == 0
    network = build_network(kind, architecture_of(dataset), hidden=8, layers=1, dropout=0.0,
                            heads=2)
    logits = network(batch.data.x_dict, batch.data.edge_index_dict, batch.data.edge_attr_dict)
    assert logits.shape == (1,) and torch.isfinite(logits).all()


def test_unknown_kinds_and_bad_sizes_are_refused(tiny_snapshot):
    architecture = architecture_of(build_graph_dataset(tiny_snapshot))
    with pytest.raises(ValueError, match="model kind"):
        build_network("gcn", architecture, hidden=8, layers=2, dropout=0.0, heads=2)
    with pytest.raises(ValueError, match="divisible"):
        build_network("hgt", architecture, hidden=9, layers=2, dropout=0.0, heads=2)

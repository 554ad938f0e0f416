"""Neighbour sampling for customer seed batches, without pyg-lib or torch-sparse."""

from __future__ import annotations

import pytest
import torch

from graphrisk.models.dataset import build_graph_dataset
from graphrisk.models.sampling import NeighbourSampler


@pytest.fixture(scope="module")
def data(bank):
    return build_graph_dataset(bank[0]).data


def _global_edges(batch, edge_type) -> set[tuple[int, int]]:
    index = batch.data[edge_type].edge_index
    src = batch.node_ids[edge_type[0]][index[0]]
    dst = batch.node_ids[edge_type[2]][index[1]]
    return set(zip(src.tolist(), dst.tolist(), strict=True))


def test_sampled_edges_exist_and_respect_the_fanout(data) -> None:
    seeds = torch.arange(0, 300, 3)
    batch = NeighbourSampler(data, [4, 2]).sample(seeds, salt=1)
    assert batch.batch_size == len(seeds)
    assert torch.equal(batch.node_ids["customer"][: len(seeds)], seeds)
    for edge_type in data.edge_types:
        full = set(map(tuple, data[edge_type].edge_index.t().tolist()))
        assert _global_edges(batch, edge_type) <= full
        targets = batch.data[edge_type].edge_index[1]
        if targets.numel():
            assert int(torch.bincount(targets).max()) <= 4
        assert batch.data[edge_type].edge_attr.size(0) == targets.numel()
    for node_type in data.node_types:
        ids = batch.node_ids[node_type]
        assert len(torch.unique(ids)) == len(ids)
        assert torch.equal(batch.data[node_type].x, data[node_type].x[ids])


def test_minus_one_takes_every_incoming_edge_of_the_seeds(data) -> None:
    seeds = torch.arange(50)
    batch = NeighbourSampler(data, [-1]).sample(seeds)
    edge_type = ("account", "held_by", "customer")
    full = data[edge_type].edge_index
    expected = {(int(s), int(d)) for s, d in full.t() if int(d) < 50}
    assert _global_edges(batch, edge_type) == expected


def test_the_same_salt_gives_the_same_batch_and_a_smaller_fanout_a_subset(data) -> None:
    seeds = torch.arange(100, 400)
    sampler = NeighbourSampler(data, [3])
    edge_type = ("counterparty", "received_from", "account")
    first = sampler.sample(seeds, salt=5)
    again = sampler.sample(seeds, salt=5)
    for et in data.edge_types:
        assert _global_edges(first, et) == _global_edges(again, et)
    wide = NeighbourSampler(data, [6]).sample(seeds, salt=5)
    assert _global_edges(first, edge_type) <= _global_edges(wide, edge_type)


def test_batches_cover_every_seed_once(data) -> None:
    sampler = NeighbourSampler(data, [5, 5])
    generator = torch.Generator().manual_seed(0)
    seen = torch.cat([b.node_ids["customer"][: b.batch_size]
                      for b in sampler.batches(torch.arange(1000), 128, generator=generator,
                                               shuffle=True)])
    assert sorted(seen.tolist()) == list(range(1000))


def test_bad_fanouts_are_refused(data) -> None:
    with pytest.raises(ValueError, match="num_neighbors"):
        NeighbourSampler(data, [])
    with pytest.raises(ValueError, match="num_neighbors"):
        NeighbourSampler(data, [5, 0])

"""Neighbour sampling for mini-batches of customer seeds, in plain torch.

Why our own: PyG's ``NeighborLoader`` delegates sampling to ``pyg-lib`` or ``torch-sparse``
and raises ``ImportError: 'NeighborSampler' requires either 'pyg-lib' or 'torch-sparse'``
without them (pyg-team/pytorch_geometric#7240, #9818); neither ships wheels on PyPI for
current torch builds, and GraphRisk installs from PyPI only. This sampler does what
``NeighborLoader(data, num_neighbors=[k1, k2, ...], input_nodes=("customer", seeds))`` does
for a heterogeneous graph:

* hop ``h`` takes, for every node reached at hop ``h - 1`` (the seeds at hop 1) and every
  edge type pointing at it, at most ``k_h`` incoming edges, uniformly without replacement
  (all of them when there are fewer); ``-1`` takes every edge;
* the batch holds the seeds first (``batch_size`` of them), then every node reached, and the
  sampled edges only, so a ``len(num_neighbors)``-layer network computes the seeds' outputs
  on the sampled computation tree.

Memory is bounded by ``batch_size * prod(k_h)`` times the number of edge types per hop, not
by the graph.

Which ``k`` edges a node keeps is decided by a hash of each edge's id and a ``salt``, not by
a generator's running state: with one salt, a node keeps the same edges in whichever batch it
appears, and a smaller ``k`` keeps a subset of a larger one. Training draws a fresh salt per
batch from its generator; scoring uses one fixed salt, so a customer's score does not depend
on the order customers are scored in. (As with ``NeighborLoader``, it can still depend a
little on which other customers share its batch: a node reached at an earlier hop through
another seed is expanded with that hop's ``k``.)
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor

from graphrisk.models._pyg import HeteroData

__all__ = ["NeighbourSampler", "SampledBatch"]

EdgeType = tuple[str, str, str]


@dataclass
class SampledBatch:
    """One mini-batch: the sampled subgraph and where its nodes come from.

    Attributes:
        data: the subgraph (``x`` per node type, ``edge_index`` and ``edge_attr`` per edge
            type), in local node numbering.
        node_ids: the full graph's position of each local node, per node type; the first
            ``batch_size`` customers are the seeds, in the order given.
        batch_size: how many seeds.
    """

    data: HeteroData
    node_ids: dict[str, Tensor]
    batch_size: int


class NeighbourSampler:
    """Samples the neighbourhood of customer seeds (see the module docstring).

    Args:
        data: the full graph.
        num_neighbors: edges kept per node and edge type, one entry per hop (``-1``: all).
        seed_type: the node type of the seeds.

    Raises:
        ValueError: ``num_neighbors`` is empty or holds a value below -1 or equal to 0.
    """

    def __init__(self, data: HeteroData, num_neighbors: Sequence[int],
                 seed_type: str = "customer") -> None:
        if not num_neighbors or any(k == 0 or k < -1 for k in num_neighbors):
            raise ValueError(f"num_neighbors must be positive counts or -1, got "
                             f"{list(num_neighbors)}")
        self.data = data
        self.num_neighbors = [int(k) for k in num_neighbors]
        self.seed_type = seed_type
        self.num_nodes = {nt: int(data[nt].num_nodes) for nt in data.node_types}
        # Edges sorted by target (CSC): incoming edges of node v are
        # sources[pointer[v]:pointer[v + 1]], with edge ids order[...].
        self._csc: dict[EdgeType, tuple[Tensor, Tensor, Tensor]] = {}
        for edge_type in data.edge_types:
            edge_index = data[edge_type].edge_index
            target = edge_index[1]
            order = torch.argsort(target, stable=True)
            counts = torch.bincount(target, minlength=self.num_nodes[edge_type[2]])
            pointer = torch.zeros(len(counts) + 1, dtype=torch.long)
            pointer[1:] = torch.cumsum(counts, 0)
            self._csc[edge_type] = (pointer, edge_index[0][order], order)

    def batches(self, seeds: Tensor, batch_size: int, *,
                generator: torch.Generator | None = None, shuffle: bool = False,
                salt: int | None = None) -> Iterator[SampledBatch]:
        """Sampled batches covering ``seeds`` (positions of ``seed_type`` nodes).

        Args:
            seeds: the seed positions, each once.
            batch_size: seeds per batch.
            generator: shuffles the seeds and draws a salt per batch.
            shuffle: shuffle the seeds first.
            salt: one salt for every batch (scoring); by default one drawn per batch.

        Raises:
            ValueError: ``batch_size`` is below 1, or a generator is needed and missing.
        """
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {batch_size}")
        if generator is None and (shuffle or salt is None):
            raise ValueError("shuffling and drawing salts need a generator")
        if shuffle:
            seeds = seeds[torch.randperm(len(seeds), generator=generator)]
        for start in range(0, len(seeds), batch_size):
            batch_salt = salt if salt is not None else int(
                torch.randint(0, 2**62, (1,), generator=generator))
            yield self.sample(seeds[start:start + batch_size], salt=batch_salt)

    def sample(self, seeds: Tensor, *, salt: int = 0) -> SampledBatch:
        """The sampled subgraph around ``seeds`` (distinct positions of ``seed_type``)."""
        seeds = seeds.to(torch.long)
        local = {nt: torch.full((n,), -1, dtype=torch.long) for nt, n in self.num_nodes.items()}
        nodes: dict[str, list[Tensor]] = {nt: [] for nt in self.num_nodes}
        counts = dict.fromkeys(self.num_nodes, 0)

        def add(node_type: str, found: Tensor) -> Tensor:
            """Number the nodes not seen yet; returns them (the next frontier)."""
            found = torch.unique(found)
            new = found[local[node_type][found] < 0]
            local[node_type][new] = torch.arange(counts[node_type],
                                                 counts[node_type] + len(new))
            counts[node_type] += len(new)
            nodes[node_type].append(new)
            return new

        local[self.seed_type][seeds] = torch.arange(len(seeds))
        counts[self.seed_type] = len(seeds)
        nodes[self.seed_type].append(seeds)
        frontier = {self.seed_type: seeds}
        picked: dict[EdgeType, list[Tensor]] = {et: [] for et in self._csc}
        for k in self.num_neighbors:
            reached: dict[str, list[Tensor]] = {}
            for type_number, (edge_type, (pointer, sources, order)) in enumerate(
                    self._csc.items()):
                targets = frontier.get(edge_type[2])
                if targets is None or len(targets) == 0:
                    continue
                positions = _pick(pointer, order, targets, k, salt * 1_000_003 + type_number)
                if len(positions) == 0:
                    continue
                picked[edge_type].append(order[positions])
                reached.setdefault(edge_type[0], []).append(sources[positions])
            frontier = {nt: add(nt, torch.cat(found)) for nt, found in reached.items()}

        batch = HeteroData()
        node_ids = {}
        for node_type in self.num_nodes:
            ids = torch.cat(nodes[node_type]) if nodes[node_type] else torch.empty(
                0, dtype=torch.long)
            node_ids[node_type] = ids
            batch[node_type].x = self.data[node_type].x[ids]
            batch[node_type].num_nodes = len(ids)
        for edge_type, chosen in picked.items():
            edges = torch.cat(chosen) if chosen else torch.empty(0, dtype=torch.long)
            full = self.data[edge_type].edge_index[:, edges]
            batch[edge_type].edge_index = torch.stack([
                local[edge_type[0]][full[0]], local[edge_type[2]][full[1]]])
            batch[edge_type].edge_attr = self.data[edge_type].edge_attr[edges]
        return SampledBatch(batch, node_ids, len(seeds))


def _pick(pointer: Tensor, order: Tensor, targets: Tensor, k: int, salt: int) -> Tensor:
    """Positions (into the CSC arrays) of at most ``k`` incoming edges per target (-1: all)."""
    start = pointer[targets]
    degree = pointer[targets + 1] - start
    # Every candidate edge of every target, grouped by target.
    segment = torch.repeat_interleave(torch.arange(len(targets)), degree)
    first = torch.repeat_interleave(torch.cumsum(degree, 0) - degree, degree)
    candidates = start[segment] + torch.arange(len(segment)) - first
    crowded = degree[segment] > k
    if k < 0 or not bool(crowded.any()):
        return candidates
    # Keep the k edges with the smallest hashed keys per crowded target: sort by (target,
    # key) -- the integer part keeps the targets' blocks in place -- and keep each block's
    # first k.
    noise = torch.from_numpy(_uniform_hash(order[candidates].numpy(), salt))
    keys = segment.to(torch.float64) + torch.where(crowded, noise, 0.0)
    ordered = torch.argsort(keys)
    rank = torch.arange(len(ordered)) - first
    return candidates[ordered[rank < k]]


_MASK64 = (1 << 64) - 1


def _uniform_hash(ids: np.ndarray, salt: int) -> np.ndarray:
    """A number in ``[0, 1)`` per id, fixed by ``(id, salt)`` (SplitMix64's finaliser)."""
    x = ids.astype(np.uint64) + np.uint64((salt * 0x9E3779B97F4A7C15) & _MASK64)
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    x = x ^ (x >> np.uint64(31))
    return (x >> np.uint64(11)).astype(np.float64) / float(1 << 53)

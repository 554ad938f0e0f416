"""Heterogeneous GNNs that turn the customer graph into one risk logit per customer.

Two architectures, to compare:

* ``sage`` — GraphSAGE made heterogeneous by hand: one :class:`EdgeSAGEConv` per edge type
  in a :class:`~torch_geometric.nn.HeteroConv`, summed over the edge types that reach a node
  type. Unlike PyG's ``SAGEConv`` it reads the edge features (payment totals, counts, odd
  hours, the identifier's kind...), which is where much of the money-flow signal lives.
* ``hgt`` — the Heterogeneous Graph Transformer (Hu et al., "Heterogeneous Graph
  Transformer", WWW 2020), :class:`HGTLayer`: keys, queries and values per node type,
  attention and message matrices and a prior per edge type, one softmax over all the edges
  reaching a node whatever their type. Edge features enter as an additive term on the key
  and the message, the way the paper adds its relative temporal encoding.
* ``hgt_pyg`` — the same idea with PyG's own :class:`~torch_geometric.nn.HGTConv` (no edge
  features), kept as a reference. On CPU it is several times slower than ``hgt``
  (``docs/benchmarks.md`` has the figures and the command): it concatenates the keys and
  values of every edge type into one tensor and slices it back, and each slice's gradient
  allocates a tensor the size of the whole.

Both share the frame (:class:`HeteroRiskNet`): a linear input layer per node type to
``hidden`` channels, ``layers`` rounds of message passing with a residual connection, ReLU
and dropout, and a head on the customer's input embedding concatenated with its final one
(a jumping-knowledge skip), so that the customer's own factors are never washed out by the
neighbourhood.

References:
    Hamilton, Ying, Leskovec, "Inductive Representation Learning on Large Graphs" (2017);
    Hu, Dong, Wang, Sun, "Heterogeneous Graph Transformer" (2020).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import torch
from torch import Tensor, nn

from graphrisk.models._pyg import HeteroConv, HGTConv, MessagePassing, scatter, softmax
from graphrisk.models.dataset import GraphDataset
from graphrisk.models.features import edge_key

__all__ = [
    "MODEL_KINDS",
    "EdgeSAGEConv",
    "HGTLayer",
    "HeteroRiskNet",
    "architecture_of",
    "build_network",
]

#: The architectures :func:`build_network` knows.
MODEL_KINDS: tuple[str, ...] = ("sage", "hgt", "hgt_pyg")

EdgeType = tuple[str, str, str]


class EdgeSAGEConv(MessagePassing):
    """GraphSAGE with edge features: ``W_r x_i + mean_j relu(W_n x_j + W_e e_ij)``.

    Args:
        in_channels: size of the source and target node features (one size for both).
        edge_channels: size of the edge features (0 for none).
        out_channels: size of the output.
    """

    def __init__(self, in_channels: int, edge_channels: int, out_channels: int) -> None:
        super().__init__(aggr="mean")
        self.lin_neighbour = nn.Linear(in_channels, out_channels)
        self.lin_edge = (nn.Linear(edge_channels, out_channels, bias=False)
                         if edge_channels > 0 else None)
        self.lin_root = nn.Linear(in_channels, out_channels, bias=False)

    def forward(self, x: Tensor | tuple[Tensor, Tensor], edge_index: Tensor,
                edge_attr: Tensor | None = None) -> Tensor:
        # HeteroConv passes one tensor when source and target are of one node type.
        x_src, x_dst = (x, x) if isinstance(x, Tensor) else x
        # Project the sources once per node, not once per edge.
        projected = self.lin_neighbour(x_src)
        message_edge = (self.lin_edge(edge_attr)
                        if self.lin_edge is not None and edge_attr is not None else None)
        aggregated = self.propagate(edge_index, x=(projected, x_dst), edge_term=message_edge,
                                    size=(x_src.size(0), x_dst.size(0)))
        return aggregated + self.lin_root(x_dst)

    def message(self, x_j: Tensor, edge_term: Tensor | None) -> Tensor:
        return torch.relu(x_j if edge_term is None else x_j + edge_term)


class HGTLayer(nn.Module):
    """One Heterogeneous Graph Transformer layer, with edge features.

    For an edge ``s -r-> t`` and each head: ``score = (K(s) W_att[r] + E_k[r] e) . Q(t) *
    prior[r] / sqrt(d)``, softmax over every edge reaching ``t``; the message is
    ``V(s) W_msg[r] + E_v[r] e``; ``t``'s output is ``A(gelu(sum of weighted messages))``.

    Why not PyG's ``HGTConv``: see the module docstring (its gradient is slow on CPU).

    Args:
        node_types: the node types.
        edge_dims: edge feature size per edge type.
        hidden: input and output channels.
        heads: attention heads (``hidden`` must be divisible by it).
        dropout: dropout on the attention weights.
    """

    def __init__(self, node_types: Sequence[str], edge_dims: Mapping[EdgeType, int],
                 hidden: int, heads: int, dropout: float) -> None:
        super().__init__()
        self.heads, self.channels = heads, hidden // heads
        self.key = nn.ModuleDict({nt: nn.Linear(hidden, hidden) for nt in node_types})
        self.query = nn.ModuleDict({nt: nn.Linear(hidden, hidden) for nt in node_types})
        self.value = nn.ModuleDict({nt: nn.Linear(hidden, hidden) for nt in node_types})
        self.out = nn.ModuleDict({nt: nn.Linear(hidden, hidden) for nt in node_types})
        keys = [edge_key(et) for et in edge_dims]
        eye = torch.eye(self.channels).expand(heads, -1, -1)
        self.attention = nn.ParameterDict({k: nn.Parameter(eye.clone()) for k in keys})
        self.message = nn.ParameterDict({k: nn.Parameter(eye.clone()) for k in keys})
        self.prior = nn.ParameterDict({k: nn.Parameter(torch.ones(heads)) for k in keys})
        self.edge_to_key = nn.ModuleDict({edge_key(et): nn.Linear(dim, hidden, bias=False)
                                       for et, dim in edge_dims.items() if dim > 0})
        self.edge_to_value = nn.ModuleDict({edge_key(et): nn.Linear(dim, hidden, bias=False)
                                         for et, dim in edge_dims.items() if dim > 0})
        self.dropout = nn.Dropout(dropout)

    def forward(self, x_dict: Mapping[str, Tensor], edge_index_dict: Mapping[EdgeType, Tensor],
                edge_attr_dict: Mapping[EdgeType, Tensor] | None = None
                ) -> dict[str, Tensor]:
        """The new representation of every node type some edge reaches."""
        shape = (-1, self.heads, self.channels)
        keys = {nt: self.key[nt](x).view(shape) for nt, x in x_dict.items()}
        values = {nt: self.value[nt](x).view(shape) for nt, x in x_dict.items()}
        queries = {nt: self.query[nt](x).view(shape) for nt, x in x_dict.items()}
        scores: dict[str, list[Tensor]] = {}
        messages: dict[str, list[Tensor]] = {}
        targets: dict[str, list[Tensor]] = {}
        for edge_type, edge_index in edge_index_dict.items():
            src, _, dst = edge_type
            name = edge_key(edge_type)
            source, target = edge_index
            # Relation matrices on nodes (fewer than edges), then gathered per edge.
            key = torch.einsum("nhd,hdf->nhf", keys[src], self.attention[name])[source]
            value = torch.einsum("nhd,hdf->nhf", values[src], self.message[name])[source]
            attr = None if edge_attr_dict is None else edge_attr_dict.get(edge_type)
            if attr is not None and name in self.edge_to_key:
                key = key + self.edge_to_key[name](attr).view(shape)
                value = value + self.edge_to_value[name](attr).view(shape)
            score = (key * queries[dst][target]).sum(-1) * self.prior[name]
            scores.setdefault(dst, []).append(score / math.sqrt(self.channels))
            messages.setdefault(dst, []).append(value)
            targets.setdefault(dst, []).append(target)
        out = {}
        for node_type, parts in scores.items():
            target = torch.cat(targets[node_type])
            size = x_dict[node_type].size(0)
            weight = softmax(torch.cat(parts), target, num_nodes=size)
            weighted = self.dropout(weight).unsqueeze(-1) * torch.cat(messages[node_type])
            summed = scatter(weighted, target, dim=0, dim_size=size, reduce="sum")
            out[node_type] = self.out[node_type](
                torch.nn.functional.gelu(summed.reshape(size, self.heads * self.channels)))
        return out


class HeteroRiskNet(nn.Module):
    """Input layers per node type, ``layers`` heterogeneous convolutions, a customer head.

    Args:
        kind: one of :data:`MODEL_KINDS`.
        node_dims: input feature size per node type.
        edge_dims: edge feature size per edge type.
        hidden: hidden channels.
        layers: rounds of message passing (the receptive field in hops).
        dropout: dropout after every layer.
        heads: attention heads (``hgt``, ``hgt_pyg``; ``hidden`` must be divisible by it).

    Raises:
        ValueError: ``kind`` is unknown, ``layers`` is below 1 or ``hidden`` is not
            divisible by ``heads``.
    """

    def __init__(self, kind: str, node_dims: Mapping[str, int],
                 edge_dims: Mapping[EdgeType, int], *, hidden: int = 64, layers: int = 2,
                 dropout: float = 0.2, heads: int = 2) -> None:
        super().__init__()
        if kind not in MODEL_KINDS:
            raise ValueError(f"model kind must be one of {MODEL_KINDS}, got {kind!r}")
        if layers < 1:
            raise ValueError(f"layers must be at least 1, got {layers}")
        if kind != "sage" and hidden % heads:
            raise ValueError(f"hidden ({hidden}) must be divisible by heads ({heads})")
        self.kind = kind
        self.node_types = list(node_dims)
        self.edge_types = [tuple(e) for e in edge_dims]
        self.dropout = nn.Dropout(dropout)
        self.inputs = nn.ModuleDict({
            nt: nn.Linear(dim, hidden) for nt, dim in node_dims.items()})
        self.convs = nn.ModuleList()
        metadata = (self.node_types, self.edge_types)
        for _ in range(layers):
            if kind == "sage":
                self.convs.append(HeteroConv({
                    et: EdgeSAGEConv(hidden, int(edge_dims[et]), hidden)
                    for et in self.edge_types}, aggr="sum"))
            elif kind == "hgt":
                self.convs.append(HGTLayer(self.node_types, edge_dims, hidden, heads, dropout))
            else:
                self.convs.append(HGTConv(hidden, hidden, metadata, heads=heads))
        self.head = nn.Sequential(
            nn.Linear(2 * hidden, hidden), nn.ReLU(), nn.Dropout(dropout), nn.Linear(hidden, 1))

    def forward(self, x_dict: Mapping[str, Tensor], edge_index_dict: Mapping[EdgeType, Tensor],
                edge_attr_dict: Mapping[EdgeType, Tensor] | None = None) -> Tensor:
        """One logit per customer node (in node order)."""
        h = {nt: self.dropout(torch.relu(self.inputs[nt](x))) for nt, x in x_dict.items()}
        first = h["customer"]
        edges = {et: ei for et, ei in edge_index_dict.items() if et in self._edge_set}
        for conv in self.convs:
            attrs = {et: edge_attr_dict[et] for et in edges} if edge_attr_dict else {}
            if self.kind == "sage":
                out = conv(h, edges, edge_attr_dict=attrs) if attrs else conv(h, edges)
            elif self.kind == "hgt":
                out = conv(h, edges, attrs)
            else:
                out = conv(h, edges)
            h = {nt: (self.dropout(torch.relu(out[nt])) + value
                      if out.get(nt) is not None else value)
                 for nt, value in h.items()}
        return self.head(torch.cat([first, h["customer"]], dim=-1)).squeeze(-1)

    @property
    def _edge_set(self) -> set[EdgeType]:
        return set(self.edge_types)


def architecture_of(dataset: GraphDataset) -> dict[str, Any]:
    """What a network needs to know about a dataset: feature sizes and edge types (JSON)."""
    data = dataset.data
    return {
        "node_dims": {nt: int(data[nt].x.size(1)) for nt in data.node_types},
        "edge_dims": {edge_key(et): int(data[et].edge_attr.size(1)) for et in data.edge_types},
    }


def build_network(kind: str, architecture: Mapping[str, Any], *, hidden: int, layers: int,
                  dropout: float, heads: int) -> HeteroRiskNet:
    """A fresh (untrained) network for an :func:`architecture_of` description."""
    edge_dims = {_edge_type(key): dim for key, dim in architecture["edge_dims"].items()}
    return HeteroRiskNet(kind, dict(architecture["node_dims"]), edge_dims, hidden=hidden,
                         layers=layers, dropout=dropout, heads=heads)


def _edge_type(key: str) -> EdgeType:
    parts: Sequence[str] = key.split("__")
    if len(parts) != 3:
        raise ValueError(f"not an edge type key: {key!r}")
    return (parts[0], parts[1], parts[2])

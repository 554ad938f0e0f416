"""PyTorch Geometric, imported once with its known import-time noise silenced.

Why: ``import torch_geometric`` on torch 2.15 runs ``torch.jit.script`` at module level, which
now emits ``FutureWarning: `torch.jit.script` is deprecated``. The warning is PyG's, not ours,
says nothing a user of GraphRisk can act on, and turns into an error under pytest's
``filterwarnings = error``. Every module of :mod:`models` imports PyG from here, so the
warning is silenced in one place, for that one message, and only while PyG is imported.
"""

from __future__ import annotations

import warnings

with warnings.catch_warnings():
    warnings.filterwarnings(
        "ignore", message=r"`torch\.jit\.script` is deprecated", category=FutureWarning
    )
    import torch_geometric  # noqa: F401
    from torch_geometric.data import HeteroData
    from torch_geometric.explain import Explainer
    from torch_geometric.explain.algorithm import CaptumExplainer
    from torch_geometric.nn import HeteroConv, HGTConv, MessagePassing
    from torch_geometric.utils import scatter, softmax

__all__ = [
    "CaptumExplainer", "Explainer", "HGTConv", "HeteroConv", "HeteroData", "MessagePassing",
    "scatter", "softmax", "torch_geometric",
]

"""GraphRisk's GNN: the customer graph as PyG ``HeteroData``, networks, training, artefacts.

The public API, importable from here (loaded on first use, so ``import graphrisk.models`` does not
import torch)::

    from graphrisk.models import build_graph_dataset, TrainConfig, train_model, predict
    dataset = build_graph_dataset(store.snapshot())
    trained = train_model(dataset, train_ids, val_ids, TrainConfig(model="sage"))
    probabilities = predict(trained, dataset)          # pd.Series per customer_id
    save_model(trained, dataset, "models/sage-2025-06", metrics={...})
    later = load_model("models/sage-2025-06")
    predict(later, build_graph_dataset(new_snapshot, encoders=later.encoders))

Modules: :mod:`graphrisk.models.dataset` (the graph as ``HeteroData``),
:mod:`graphrisk.models.features` (the raw node and edge features),
:mod:`graphrisk.models.encoders` (fitted, saved and re-applied feature encoders),
:mod:`graphrisk.models.networks` (heterogeneous GraphSAGE and HGT),
:mod:`graphrisk.models.sampling` (neighbour sampling without pyg-lib),
:mod:`graphrisk.models.training` (training, calibration, scoring),
:mod:`graphrisk.models.artifacts` (model folders), :mod:`graphrisk.models.explain` (why a customer
got its probability: neighbours, relationships and features, in words),
:mod:`graphrisk.models.selection` (the architecture, or an ensemble, by repeated
cross-validation) and :mod:`graphrisk.models.ensemble` (the average of calibrated members).
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "FeatureEncoders": "graphrisk.models.encoders",
    "GraphDataset": "graphrisk.models.dataset",
    "build_graph_dataset": "graphrisk.models.dataset",
    "snapshot_fingerprint": "graphrisk.models.dataset",
    "HeteroRiskNet": "graphrisk.models.networks",
    "MODEL_KINDS": "graphrisk.models.networks",
    "NeighbourSampler": "graphrisk.models.sampling",
    "TrainConfig": "graphrisk.models.training",
    "TrainedModel": "graphrisk.models.training",
    "predict": "graphrisk.models.training",
    "train_model": "graphrisk.models.training",
    "ModelExplanation": "graphrisk.models.explain",
    "explain_customer": "graphrisk.models.explain",
    "explain_customers": "graphrisk.models.explain",
    "build_ensemble": "graphrisk.models.ensemble",
    "SelectionConfig": "graphrisk.models.selection",
    "decide_architecture": "graphrisk.models.selection",
    "load_model": "graphrisk.models.artifacts",
    "read_model_info": "graphrisk.models.artifacts",
    "save_model": "graphrisk.models.artifacts",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'graphrisk.models' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)

"""GraphRisk's GNN: the customer graph as PyG ``HeteroData``, networks, training, artefacts.

The public API, importable from here (loaded on first use, so ``import models`` does not
import torch)::

    from models import build_graph_dataset, TrainConfig, train_model, predict
    dataset = build_graph_dataset(store.snapshot())
    trained = train_model(dataset, train_ids, val_ids, TrainConfig(model="sage"))
    probabilities = predict(trained, dataset)          # pd.Series per customer_id
    save_model(trained, dataset, "models/sage-2025-06", metrics={...})
    later = load_model("models/sage-2025-06")
    predict(later, build_graph_dataset(new_snapshot, encoders=later.encoders))

Modules: :mod:`models.dataset` (graph, features, encoders), :mod:`models.networks`
(heterogeneous GraphSAGE and HGT), :mod:`models.sampling` (neighbour sampling without
pyg-lib), :mod:`models.training` (training, calibration, scoring), :mod:`models.artifacts`
(model folders), :mod:`models.explain` (why a customer got its probability: neighbours,
relationships and features, in words).
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "FeatureEncoders": "models.dataset",
    "GraphDataset": "models.dataset",
    "build_graph_dataset": "models.dataset",
    "snapshot_fingerprint": "models.dataset",
    "HeteroRiskNet": "models.networks",
    "MODEL_KINDS": "models.networks",
    "NeighbourSampler": "models.sampling",
    "TrainConfig": "models.training",
    "TrainedModel": "models.training",
    "predict": "models.training",
    "train_model": "models.training",
    "ModelExplanation": "models.explain",
    "explain_customer": "models.explain",
    "explain_customers": "models.explain",
    "load_model": "models.artifacts",
    "read_model_info": "models.artifacts",
    "save_model": "models.artifacts",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'models' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)

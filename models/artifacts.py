"""Saving a trained GNN as a folder, and loading it back to score new snapshots.

A model folder holds three files:

``model.pt``
    the network's ``state_dict`` (``torch.save``; loaded with ``weights_only=True``, so
    loading never runs pickled code).
``encoders.json``
    the fitted :class:`~models.dataset.FeatureEncoders`; a new snapshot must be built with
    them (``build_graph_dataset(snapshot, encoders=model.encoders)``).
``model.json``
    ``format_version``, ``model_kind``, ``config`` (:class:`~models.training.TrainConfig`),
    ``architecture`` (feature sizes and edge types, to rebuild the network), ``calibration``,
    ``training_data_fingerprint`` (of the training snapshot), ``encoders_digest``,
    ``metrics`` (whatever the caller measured), ``confirmed_negatives`` (how the confirmed
    negatives — false-positive case outcomes — were used: ``given``, ``used``,
    ``overridden_by_known_risk``, ``not_in_snapshot`` from the dataset, ``train`` and
    ``validation`` counts and their loss ``weight``), ``best_epoch``,
    ``best_validation_pr_auc``, ``train_seconds``, ``created_at`` (UTC, ISO 8601),
    ``graphrisk_version``, ``torch_version`` and ``torch_geometric_version``.
``split.csv`` (where the trainer gave its split)
    ``customer_id,split``: which customers' labels the model trained on (``train``), which
    chose its epoch and calibration (``validation``) and which were held out (``test``).
    ``graphrisk score --model`` learns the model's weight in the score on every customer
    whose label the loss never saw — ``validation``, ``test`` and customers new since
    (:func:`read_seen_customers`).

An **ensemble** (:mod:`graphrisk.models.ensemble`, from ``graphrisk train --model auto``) is a
folder of folders: ``members/<kind>/`` holds each member as above, and the ensemble's own
``model.json`` (format version 2, ``model_kind`` ``ensemble``, ``members``: each member's
``kind`` and ``folder``) and ``encoders.json`` (the members', which are one) sit beside them;
it has no ``model.pt`` of its own. :func:`load_model` gives back one model whose probability
is the average of the members' calibrated probabilities.

Why a folder of plain files: a reviewer can read what a model is, what it was trained on and
how good it was without loading it, and the weights file alone cannot be mistaken for a
complete model.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import torch

import graphrisk
from graphrisk.errors import ModelError
from graphrisk.models._pyg import torch_geometric
from graphrisk.models.dataset import GraphDataset
from graphrisk.models.encoders import FeatureEncoders
from graphrisk.models.networks import build_network
from graphrisk.models.training import TrainConfig, TrainedModel

__all__ = ["ENSEMBLE_FORMAT_VERSION", "ENSEMBLE_KIND", "MODEL_FORMAT_VERSION", "load_model",
           "read_model_info", "read_seen_customers", "save_model"]

#: Version of the model folder layout of a single network (an older GraphRisk reads it).
MODEL_FORMAT_VERSION = 1
#: Version of an ensemble's folder (members in sub-folders); an older GraphRisk refuses it.
ENSEMBLE_FORMAT_VERSION = 2
#: ``model_kind`` of an ensemble folder.
ENSEMBLE_KIND = "ensemble"
_WEIGHTS, _ENCODERS, _INFO, _SPLIT = "model.pt", "encoders.json", "model.json", "split.csv"
#: The split whose customers' labels the model's loss saw. The validation customers' labels
#: chose one number (the epoch) and a monotone calibration, which changes no customer's
#: order: their probabilities rank them as the model would rank customers it never saw, and
#: counting them doubles the labels a score learns the model's weight from.
_SEEN_SPLITS = ("train",)
_MEMBERS = "members"


def save_model(
    trained: TrainedModel,
    dataset: GraphDataset,
    path: str | Path,
    *,
    metrics: Mapping[str, Any] | None = None,
    config: TrainConfig | None = None,
    split: pd.Series | None = None,
) -> Path:
    """Write a trained model as a folder (see the module docstring).

    Args:
        trained: the model from :func:`~models.training.train_model`.
        dataset: the dataset it was trained on (its fingerprint and encoders are stored).
        path: the folder; created if missing, its three files replaced.
        metrics: figures to keep with the model (e.g. test ROC-AUC); plain JSON values.
        config: the training config to record; by default the model's own.
        split: ``train`` / ``validation`` / ``test`` per customer id, written as
            ``split.csv``; ``None``: none written (an old one is removed).

    Returns:
        The folder.

    Raises:
        ValueError: ``dataset`` is not the one the model was trained on, or was built with
            other encoders.
    """
    if dataset.fingerprint != trained.training_fingerprint:
        raise ValueError("dataset is not the snapshot the model was trained on (fingerprints "
                         "differ); pass the training dataset")
    if dataset.encoders.digest() != trained.encoders.digest():
        raise ValueError("dataset was built with other feature encoders than the model's")
    folder = Path(path)
    folder.mkdir(parents=True, exist_ok=True)
    _write_split(folder, split)
    if trained.members:
        return _save_ensemble(trained, dataset, folder, metrics)
    # A single model written over an ensemble: its members must not be read as part of it.
    shutil.rmtree(folder / _MEMBERS, ignore_errors=True)
    config = config or trained.config
    info = {
        "format_version": MODEL_FORMAT_VERSION,
        "model_kind": config.model,
        "config": config.to_dict(),
        **_described(trained, dataset, metrics),
        "best_epoch": trained.best_epoch,
        "best_validation_pr_auc": trained.best_validation_pr_auc,
        **_written_by(),
    }
    torch.save(trained.network.state_dict(), folder / _WEIGHTS)
    trained.encoders.save(folder / _ENCODERS)
    (folder / _INFO).write_text(json.dumps(info, indent=2, default=float))
    return folder


def _described(trained: TrainedModel, dataset: GraphDataset,
               metrics: dict[str, Any] | None) -> dict[str, Any]:
    """What ``model.json`` says of a model, single or ensemble: its inputs, calibration, the
    data it was trained on and its figures."""
    return {
        "architecture": trained.architecture,
        "calibration": trained.calibration,
        "training_data_fingerprint": dataset.fingerprint,
        "encoders_digest": trained.encoders.digest(),
        "customers": dataset.num_customers,
        "metrics": dict(metrics or {}),
        "confirmed_negatives": {**dataset.negative_labels, **trained.confirmed_negatives},
        "train_seconds": trained.train_seconds,
    }


def _written_by() -> dict[str, str]:
    """When, and by which versions, a model folder was written."""
    return {
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "graphrisk_version": graphrisk.__version__,
        "torch_version": torch.__version__,
        "torch_geometric_version": torch_geometric.__version__,
    }


def _write_split(folder: Path, split: pd.Series | None) -> None:
    file = folder / _SPLIT
    if split is None:
        # A stale split would say the new model held out customers it trained on.
        file.unlink(missing_ok=True)
        return
    frame = pd.DataFrame({"customer_id": split.index.astype(str), "split": split.to_numpy()})
    frame.to_csv(file, index=False)


def read_seen_customers(path: str | Path) -> pd.Index | None:
    """The customers whose labels a saved model trained on (its ``train`` split), or
    ``None`` where the folder does not say (a model saved without its split, or before
    GraphRisk kept it).

    Raises:
        ModelError: ``split.csv`` is there but unreadable.
    """
    file = Path(path) / _SPLIT
    if not file.exists():
        return None
    try:
        frame = pd.read_csv(file, dtype=str, keep_default_na=False)
        seen = frame.loc[frame["split"].isin(_SEEN_SPLITS), "customer_id"]
    except (OSError, ValueError, KeyError) as error:
        raise ModelError(f"{file} is unreadable ({error}); train the model again") from error
    return pd.Index(seen, name="customer_id")


def read_model_info(path: str | Path) -> dict[str, Any]:
    """The ``model.json`` of a model folder, without loading the weights.

    Raises:
        ModelError: the folder holds no readable ``model.json``.
    """
    file = Path(path) / _INFO
    try:
        return json.loads(file.read_text())
    except (OSError, json.JSONDecodeError) as error:
        raise ModelError(f"{file} is missing or unreadable; is {path} a folder written by "
                         "save_model?") from error


def load_model(path: str | Path) -> TrainedModel:
    """Load a model folder written by :func:`save_model`.

    Returns:
        The model in eval mode, with its encoders, calibration and stored ``info``; it gives
        the same predictions as the model that was saved.

    Raises:
        ModelError: a file is missing, the format version is unknown, or the weights do not
            fit the recorded architecture.
    """
    folder = Path(path)
    info = read_model_info(folder)
    version = info.get("format_version")
    if version == ENSEMBLE_FORMAT_VERSION and info.get("model_kind") == ENSEMBLE_KIND:
        return _load_ensemble(folder, info)
    if version != MODEL_FORMAT_VERSION:
        raise ModelError(f"{folder} has model format version {version}; this GraphRisk reads "
                         f"versions {MODEL_FORMAT_VERSION} and {ENSEMBLE_FORMAT_VERSION}")
    for name in (_WEIGHTS, _ENCODERS):
        if not (folder / name).is_file():
            raise ModelError(f"{folder / name} is missing; save the model again")
    try:
        config = TrainConfig.from_dict(info["config"])
        encoders = FeatureEncoders.load(folder / _ENCODERS)
        network = build_network(config.model, info["architecture"], hidden=config.hidden,
                                layers=config.layers, dropout=config.dropout,
                                heads=config.heads)
        state = torch.load(folder / _WEIGHTS, map_location="cpu", weights_only=True)
        network.load_state_dict(state)
    except (KeyError, ValueError, RuntimeError) as error:
        raise ModelError(f"cannot rebuild the model in {folder}: {error}") from error
    if encoders.digest() != info.get("encoders_digest"):
        raise ModelError(f"{folder / _ENCODERS} does not match the model it was saved with")
    network.eval()
    return TrainedModel(
        network=network, config=config, architecture=info["architecture"],
        encoders=encoders, calibration=info["calibration"],
        training_fingerprint=info["training_data_fingerprint"],
        best_epoch=int(info.get("best_epoch", 0)),
        best_validation_pr_auc=float(info.get("best_validation_pr_auc", float("nan"))),
        history=[], train_seconds=float(info.get("train_seconds", 0.0)),
        confirmed_negatives=dict(info.get("confirmed_negatives", {})), info=info)


def _save_ensemble(trained: TrainedModel, dataset: GraphDataset, folder: Path,
                   metrics: Mapping[str, Any] | None) -> Path:
    """An ensemble's folder: each member in ``members/<kind>/``, the ensemble's files beside."""
    members = folder / _MEMBERS
    shutil.rmtree(members, ignore_errors=True)
    listed = []
    for member in trained.members:
        kind = member.config.model
        save_model(member, dataset, members / kind)
        listed.append({"kind": kind, "folder": f"{_MEMBERS}/{kind}"})
    # No weights of its own: a stale single model's would be mistaken for the ensemble.
    (folder / _WEIGHTS).unlink(missing_ok=True)
    info = {
        "format_version": ENSEMBLE_FORMAT_VERSION,
        "model_kind": ENSEMBLE_KIND,
        "members": listed,
        "combination": "mean of the members' calibrated probabilities",
        "config": trained.config.to_dict(),
        **_described(trained, dataset, metrics),
        **_written_by(),
    }
    trained.encoders.save(folder / _ENCODERS)
    (folder / _INFO).write_text(json.dumps(info, indent=2, default=float))
    return folder


def _load_ensemble(folder: Path, info: dict[str, Any]) -> TrainedModel:
    from graphrisk.models.ensemble import build_ensemble

    try:
        members = [load_model(folder / entry["folder"]) for entry in info["members"]]
        ensemble = build_ensemble(members, info=info)
    except (KeyError, TypeError, ValueError) as error:
        raise ModelError(f"cannot rebuild the ensemble in {folder}: {error}") from error
    if ensemble.encoders.digest() != info.get("encoders_digest"):
        raise ModelError(f"the members in {folder} do not match the ensemble they were saved "
                         "with; train it again")
    return ensemble

"""Training a heterogeneous GNN on the known risk labels, and scoring customers with it.

What :func:`train_model` does, and why:

* **Labels.** ``customer.y`` is 1 for customers with a known risk label and 0 for everyone
  else. Unlabelled means "not known", not "clean", so this is positive-unlabelled learning:
  the model ranks customers by how much they resemble the confirmed cases.
* **Class imbalance.** 1-3 % of customers carry a label. The loss weighs each positive by
  ``negatives / positives`` of the training split (``pos_weight``), so that both classes
  count equally, as ``class_weight="balanced"`` does for the gradient-boosting baseline.
* **Confirmed negatives.** Customers a closed case found to be false positives
  (:attr:`~models.dataset.GraphDataset.confirmed_negative`) keep ``y = 0`` and weigh
  ``negative_weight`` (default 5) in the loss instead of 1, wherever they fall: in the
  training loss and in the validation loss. Why more than 1: an unlabelled customer is a
  negative only by presumption (some are undiscovered risk), a confirmed one is certain; and
  it is a *hard* negative — something flagged it — exactly where the ranking was wrong. Why
  not as much as ``pos_weight`` (tens): a case closes as a false positive for reasons about
  that customer the graph may not show (a known business explains the payments), so a
  handful of cases should pull their customers and close look-alikes down, not teach the
  model to ignore a whole pattern that the confirmed positives share. ``pos_weight`` is
  then the *weighted* negatives over positives, so the classes stay balanced. Early
  stopping (PR-AUC), calibration and held-out figures treat them as ordinary negatives, so
  probabilities stay frequencies and figures stay comparable with runs without them.
  Without confirmed negatives the loss is exactly the unweighted one of before.
* **Early stopping** on the validation split's PR-AUC (average precision), the figure that
  moves when positives are rare; the weights of the best epoch are restored.
* **Calibration.** ``pos_weight`` inflates raw probabilities, so a calibrator is fitted on
  the validation split: Platt scaling (a logistic regression on the logit; keeps the
  ranking) or isotonic regression (more flexible, but ties ranks). Note that the validation
  split both stops training and fits the calibrator; quote figures on a third split.
* **Determinism.** ``torch.manual_seed(seed)``, deterministic algorithms and a private
  generator for shuffling and neighbour sampling: the same data, config and thread count
  give the same weights and predictions. Floating-point sums can differ between thread
  counts, so compare runs with the same ``threads``.
* **Full batch or mini-batches.** ``batch_size=None`` trains on the whole graph at once
  (fast for small graphs, memory grows with the graph); an integer trains on batches of that
  many training customers with sampled neighbourhoods
  (:class:`~models.sampling.NeighbourSampler`, ``num_neighbors`` per hop), and scores in
  batches of ``eval_batch_size`` with a fixed sampling seed, so memory is bounded by the
  batch, not the graph.
"""

from __future__ import annotations

import copy
import logging
import math
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import torch
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score
from torch import Tensor

from graphrisk.errors import ModelError
from graphrisk.models.dataset import GraphDataset
from graphrisk.models.encoders import FeatureEncoders
from graphrisk.models.networks import MODEL_KINDS, HeteroRiskNet, architecture_of, build_network
from graphrisk.models.sampling import NeighbourSampler

__all__ = [
    "CALIBRATIONS", "TrainConfig", "TrainedModel", "apply_calibration", "predict", "reproducible",
    "train_model",
]

logger = logging.getLogger(__name__)

#: Calibration methods :func:`train_model` knows.
CALIBRATIONS: tuple[str, ...] = ("platt", "isotonic")
# Offsets the sampling salt used for scoring from the seed.
_SCORING_SEED_OFFSET = 7_919


@dataclass(frozen=True)
class TrainConfig:
    """How to train (see the module docstring).

    Attributes:
        model: ``"sage"`` or ``"hgt"`` (:mod:`graphrisk.models.networks`).
        hidden: hidden channels.
        layers: message-passing rounds (hops).
        heads: attention heads (``hgt``).
        dropout: dropout rate.
        lr: Adam learning rate.
        weight_decay: Adam weight decay (L2).
        epochs: most passes over the training customers.
        patience: stop after this many epochs without a better validation PR-AUC.
        seed: seeds weights, shuffling, dropout and sampling.
        batch_size: ``None`` for full-batch training; else training customers per batch.
        num_neighbors: sampled edges per node and edge type, one per layer (mini-batches).
        eval_batch_size: customers per scoring batch (mini-batch models).
        pos_weight: weight of a positive in the loss; ``None``: negatives / positives of
            the training split (confirmed negatives counted at ``negative_weight``).
        negative_weight: weight of a confirmed negative in the loss (an unlabelled customer
            weighs 1); see the module docstring for why 5.
        calibration: ``"platt"`` or ``"isotonic"``.
        threads: torch CPU threads while training and scoring; ``None`` keeps torch's
            default. Why one by default: on a small shared machine, threads waiting for each
            other made a full-batch step five times slower; results are reproducible only
            for one thread count.
        device: ``"cpu"`` or a torch device string such as ``"cuda"``.
    """

    model: str = "sage"
    hidden: int = 64
    layers: int = 2
    heads: int = 2
    dropout: float = 0.2
    lr: float = 0.005
    weight_decay: float = 1e-4
    epochs: int = 200
    patience: int = 25
    seed: int = 0
    batch_size: int | None = None
    num_neighbors: tuple[int, ...] = (15, 10)
    eval_batch_size: int = 4096
    pos_weight: float | None = None
    negative_weight: float = 5.0
    calibration: str = "platt"
    threads: int | None = 1
    device: str = "cpu"

    def __post_init__(self) -> None:
        object.__setattr__(self, "num_neighbors", tuple(int(k) for k in self.num_neighbors))
        if self.model not in MODEL_KINDS:
            raise ValueError(f"model must be one of {MODEL_KINDS}, got {self.model!r}")
        if self.calibration not in CALIBRATIONS:
            raise ValueError(f"calibration must be one of {CALIBRATIONS}, got "
                             f"{self.calibration!r}")
        for name in ("hidden", "layers", "heads", "epochs", "patience", "eval_batch_size"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1, got {getattr(self, name)}")
        if self.batch_size is not None and self.batch_size < 1:
            raise ValueError(f"batch_size must be None or at least 1, got {self.batch_size}")
        if len(self.num_neighbors) != self.layers:
            raise ValueError(f"num_neighbors needs one entry per layer ({self.layers}), got "
                             f"{list(self.num_neighbors)}")
        if not 0.0 <= self.dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {self.dropout}")
        if self.lr <= 0 or self.weight_decay < 0:
            raise ValueError("lr must be positive and weight_decay non-negative")
        if self.pos_weight is not None and self.pos_weight <= 0:
            raise ValueError(f"pos_weight must be positive, got {self.pos_weight}")
        if self.negative_weight <= 0:
            raise ValueError(f"negative_weight must be positive, got {self.negative_weight}")

    def to_dict(self) -> dict[str, Any]:
        """Plain values (for ``model.json``)."""
        values = asdict(self)
        values["num_neighbors"] = list(self.num_neighbors)
        return values

    @classmethod
    def from_dict(cls, values: Mapping[str, Any]) -> TrainConfig:
        """The config back from :meth:`to_dict`; unknown keys are an error."""
        known = set(cls.__dataclass_fields__)
        unknown = set(values) - known
        if unknown:
            raise ValueError(f"unknown training settings {sorted(unknown)}")
        return cls(**{k: (tuple(v) if k == "num_neighbors" else v) for k, v in values.items()})


@dataclass
class TrainedModel:
    """A trained network with everything needed to score with it.

    Attributes:
        network: the network, with the best epoch's weights, in eval mode.
        config: how it was trained.
        architecture: feature sizes and edge types (:func:`~models.networks.architecture_of`).
        encoders: the feature encoders of the training data; apply them to new snapshots.
        calibration: the fitted calibrator (``method`` and its parameters).
        training_fingerprint: fingerprint of the training snapshot.
        best_epoch: the epoch whose weights were kept (1-based).
        best_validation_pr_auc: validation PR-AUC of that epoch.
        history: per epoch: ``epoch``, ``train_loss``, ``validation_loss``,
            ``validation_pr_auc``, ``seconds``.
        train_seconds: wall time of :func:`train_model`.
        confirmed_negatives: confirmed negatives the losses saw: ``train``, ``validation``
            (counts) and ``weight`` (their loss weight).
        info: the stored ``model.json`` of a loaded model (empty after training).
        members: the models an ensemble averages (:mod:`graphrisk.models.ensemble`); empty
            for a single network.
    """

    network: HeteroRiskNet
    config: TrainConfig
    architecture: dict[str, Any]
    encoders: FeatureEncoders
    calibration: dict[str, Any]
    training_fingerprint: str
    best_epoch: int
    best_validation_pr_auc: float
    history: list[dict[str, float]] = field(default_factory=list)
    train_seconds: float = 0.0
    confirmed_negatives: dict[str, float] = field(default_factory=dict)
    info: dict[str, Any] = field(default_factory=dict)
    members: list[TrainedModel] = field(default_factory=list)

    @property
    def kind(self) -> str:
        """``sage``, ``hgt``..., or the members of an ensemble joined by ``+`` (``hgt+sage``)."""
        return "+".join(m.config.model for m in self.members) if self.members else self.config.model


def train_model(dataset: GraphDataset, train_ids: Iterable[str], val_ids: Iterable[str],
                config: TrainConfig = TrainConfig()) -> TrainedModel:
    """Train a GNN on the known risk labels of ``train_ids``, stopping on ``val_ids``.

    Args:
        dataset: the graph (:func:`~models.dataset.build_graph_dataset`).
        train_ids: customers whose labels the loss sees (labelled and unlabelled alike;
            the dataset's confirmed negatives among them weigh ``config.negative_weight``).
        val_ids: customers for early stopping and calibration; disjoint from ``train_ids``.
        config: architecture and training settings.

    Returns:
        The trained model, with the best epoch's weights and a fitted calibrator.

    Raises:
        ValueError: an id is unknown, the splits overlap or are empty, the training split
            has no positive, or the validation split lacks a class.
    """
    started = time.perf_counter()
    train_pos = dataset.positions(train_ids)
    val_pos = dataset.positions(val_ids)
    if len(train_pos) == 0 or len(val_pos) == 0:
        raise ValueError("train_ids and val_ids must both be non-empty")
    if np.intersect1d(train_pos, val_pos).size:
        raise ValueError("train_ids and val_ids overlap")
    y = dataset.data["customer"].y
    train_positives = int(y[train_pos].sum())
    if train_positives == 0:
        raise ValueError("the training split holds no customer with a known risk label")
    val_positives = int(y[val_pos].sum())
    if val_positives in (0, len(val_pos)):
        raise ValueError(f"the validation split needs labelled and unlabelled customers, got "
                         f"{val_positives} labelled of {len(val_pos)}")
    weights = dataset.loss_weights(config.negative_weight)
    if weights is None:
        negatives = float(len(train_pos) - train_positives)
    else:
        negatives = float(weights[train_pos][y[train_pos] == 0].sum())
    pos_weight = config.pos_weight or negatives / train_positives
    confirmed = dataset.confirmed_negative
    confirmed_negatives = {"train": int(confirmed[train_pos].sum()),
                           "validation": int(confirmed[val_pos].sum()),
                           "weight": float(config.negative_weight)}
    device = torch.device(config.device)
    architecture = architecture_of(dataset)

    with reproducible(config):
        network = build_network(config.model, architecture, hidden=config.hidden,
                                layers=config.layers, dropout=config.dropout,
                                heads=config.heads).to(device)
        optimiser = torch.optim.Adam(network.parameters(), lr=config.lr,
                                     weight_decay=config.weight_decay)
        loss_fn = _weighted_bce(torch.tensor(pos_weight, dtype=torch.float32, device=device))
        generator = torch.Generator().manual_seed(config.seed)
        runner = _Runner(dataset, config, device, weights)
        train_index = torch.from_numpy(train_pos)
        y_val = y[val_pos].numpy()
        w_val = None if weights is None else weights[val_pos].to(device)

        best = (-math.inf, 0, copy.deepcopy(network.state_dict()))
        history: list[dict[str, float]] = []
        for epoch in range(1, config.epochs + 1):
            epoch_started = time.perf_counter()
            network.train()
            train_loss = runner.train_epoch(network, optimiser, loss_fn, train_index, generator)
            network.eval()
            val_logits = runner.logits(network, val_pos)
            val_loss = float(loss_fn(torch.from_numpy(val_logits).to(device),
                                     torch.from_numpy(y_val).to(device), w_val))
            val_pr_auc = float(average_precision_score(y_val, val_logits))
            history.append({"epoch": epoch, "train_loss": train_loss,
                            "validation_loss": val_loss, "validation_pr_auc": val_pr_auc,
                            "seconds": time.perf_counter() - epoch_started})
            if val_pr_auc > best[0] + 1e-9:
                best = (val_pr_auc, epoch, copy.deepcopy(network.state_dict()))
            if epoch % 10 == 0 or epoch == 1:
                logger.info("epoch %d: train loss %.4f, validation PR-AUC %.4f (best %.4f at "
                            "%d)", epoch, train_loss, val_pr_auc, best[0], best[1])
            if epoch - best[1] >= config.patience:
                break
        network.load_state_dict(best[2])
        network.eval()
        calibration = _fit_calibration(config.calibration, runner.logits(network, val_pos),
                                       y_val)
    return TrainedModel(
        network=network.cpu(), config=config, architecture=architecture,
        encoders=dataset.encoders, calibration=calibration,
        training_fingerprint=dataset.fingerprint, best_epoch=best[1],
        best_validation_pr_auc=best[0], history=history,
        train_seconds=time.perf_counter() - started, confirmed_negatives=confirmed_negatives)


def predict(trained: TrainedModel, dataset: GraphDataset,
            customer_ids: Iterable[str] | None = None) -> pd.Series:
    """Calibrated probability of a known risk label, per customer.

    Args:
        trained: a model from :func:`train_model` or :func:`~models.artifacts.load_model`.
        dataset: a dataset built with the model's encoders
            (``build_graph_dataset(snapshot, encoders=trained.encoders)``), or the training
            dataset itself.
        customer_ids: score only these; by default every customer, in node order.

    Returns:
        Probability per ``customer_id``, named ``gnn_probability``.

    Raises:
        ModelError: the dataset was built with other encoders or has other feature sizes.
        ValueError: a customer id is not in the dataset.
    """
    if dataset.encoders.digest() != trained.encoders.digest():
        raise ModelError(
            "the dataset was built with other feature encoders than the model's; build it "
            "with build_graph_dataset(snapshot, encoders=trained.encoders)")
    if architecture_of(dataset) != trained.architecture:
        raise ModelError("the dataset's feature sizes or edge types differ from the model's")
    if customer_ids is None:
        positions = np.arange(dataset.num_customers)
    else:
        positions = dataset.positions(customer_ids)
    config = trained.config
    device = torch.device(config.device)
    network = trained.network.to(device)
    network.eval()
    with reproducible(config):
        logits = _Runner(dataset, config, device).logits(network, positions)
    trained.network.cpu()
    return pd.Series(apply_calibration(trained.calibration, logits),
                     index=pd.Index(dataset.customer_ids[positions], name="customer_id"),
                     name="gnn_probability")


def apply_calibration(calibration: Mapping[str, Any], logits: np.ndarray) -> np.ndarray:
    """Probabilities from raw logits with a fitted calibrator (``platt`` or ``isotonic``)."""
    logits = np.asarray(logits, dtype=np.float64)
    if calibration["method"] == "platt":
        z = calibration["coef"] * logits + calibration["intercept"]
        return 1.0 / (1.0 + np.exp(-z))
    if calibration["method"] == "isotonic":
        return np.interp(_sigmoid(logits), calibration["x"], calibration["y"])
    raise ModelError(f"unknown calibration method {calibration['method']!r}")


# --------------------------------------------------------------------------------------------
# Private implementation
# --------------------------------------------------------------------------------------------


#: ``loss(logits, targets, weights)``: mean binary cross-entropy; ``weights`` may be None.
LossFn = Callable[[Tensor, Tensor, Tensor | None], Tensor]


def _weighted_bce(pos_weight: Tensor) -> LossFn:
    """Binary cross-entropy on logits with ``pos_weight`` and optional per-customer weights.

    Why a function and not ``BCEWithLogitsLoss``: that module fixes its element weights at
    construction, while each mini-batch needs its own customers' weights. With ``None``
    weights this computes exactly what ``BCEWithLogitsLoss(pos_weight=...)`` did.
    """

    def loss(logits: Tensor, target: Tensor, weight: Tensor | None) -> Tensor:
        return torch.nn.functional.binary_cross_entropy_with_logits(
            logits, target, weight=weight, pos_weight=pos_weight)

    return loss


def _sigmoid(values: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-values))


def _fit_calibration(method: str, logits: np.ndarray, y: np.ndarray) -> dict[str, Any]:
    if method == "platt":
        fitted = LogisticRegression(C=1e4).fit(logits.reshape(-1, 1), y)
        return {"method": "platt", "coef": float(fitted.coef_[0, 0]),
                "intercept": float(fitted.intercept_[0])}
    isotonic = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip")
    isotonic.fit(_sigmoid(logits), y)
    return {"method": "isotonic", "x": [float(v) for v in isotonic.X_thresholds_],
            "y": [float(v) for v in isotonic.y_thresholds_]}


@contextmanager
def reproducible(config: TrainConfig) -> Iterator[None]:
    """Seed torch, ask for deterministic kernels and set the thread count; undo on exit."""
    was_deterministic = torch.are_deterministic_algorithms_enabled()
    was_warn_only = torch.is_deterministic_algorithms_warn_only_enabled()
    threads = torch.get_num_threads()
    torch.manual_seed(config.seed)
    # CUDA has no deterministic kernel for some scatter reductions: warn there, not fail.
    torch.use_deterministic_algorithms(True, warn_only=config.device != "cpu")
    if config.threads is not None:
        torch.set_num_threads(config.threads)
    try:
        yield
    finally:
        torch.use_deterministic_algorithms(was_deterministic, warn_only=was_warn_only)
        torch.set_num_threads(threads)


class _Runner:
    """Runs a network over the whole graph or over sampled batches of customers."""

    def __init__(self, dataset: GraphDataset, config: TrainConfig, device: torch.device,
                 weights: Tensor | None = None):
        self.config = config
        self.device = device
        self.data = dataset.data
        self.y = dataset.data["customer"].y
        # Loss weight per customer (node order); None: every customer weighs 1.
        self.weights = weights
        if config.batch_size is None:
            self.full = self.data.to(device) if device.type != "cpu" else self.data
            self.sampler = None
        else:
            self.sampler = NeighbourSampler(self.data, config.num_neighbors)

    def _forward(self, network: HeteroRiskNet, data: Any) -> Tensor:
        return network(data.x_dict, data.edge_index_dict, data.edge_attr_dict)

    def train_epoch(self, network: HeteroRiskNet, optimiser: torch.optim.Optimizer,
                    loss_fn: LossFn, train_index: Tensor,
                    generator: torch.Generator) -> float:
        if self.sampler is None:
            optimiser.zero_grad()
            logits = self._forward(network, self.full)
            index = train_index.to(self.device)
            weight = (None if self.weights is None
                      else self.weights[train_index].to(self.device))
            loss = loss_fn(logits[index], self.full["customer"].y[index], weight)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(network.parameters(), 5.0)
            optimiser.step()
            return float(loss.detach())
        assert self.config.batch_size is not None
        total, seen = 0.0, 0
        for batch in self.sampler.batches(train_index, self.config.batch_size,
                                          generator=generator, shuffle=True):
            optimiser.zero_grad()
            data = batch.data.to(self.device)
            logits = self._forward(network, data)[: batch.batch_size]
            seeds = batch.node_ids["customer"][: batch.batch_size]
            target = self.y[seeds].to(self.device)
            weight = None if self.weights is None else self.weights[seeds].to(self.device)
            loss = loss_fn(logits, target, weight)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(network.parameters(), 5.0)
            optimiser.step()
            total += float(loss.detach()) * batch.batch_size
            seen += batch.batch_size
        return total / max(seen, 1)

    @torch.no_grad()
    def logits(self, network: HeteroRiskNet, positions: np.ndarray) -> np.ndarray:
        """Raw logits of the customers at ``positions`` (network in eval mode)."""
        if self.sampler is None:
            out = self._forward(network, self.full)
            return out[torch.from_numpy(positions).to(self.device)].cpu().numpy().astype(
                np.float64)
        # One fixed salt: a customer gets the same sampled neighbourhood on every call, so
        # validation PR-AUC is comparable across epochs and scores are repeatable.
        parts = []
        for batch in self.sampler.batches(torch.from_numpy(positions),
                                          self.config.eval_batch_size,
                                          salt=self.config.seed + _SCORING_SEED_OFFSET):
            data = batch.data.to(self.device)
            parts.append(self._forward(network, data)[: batch.batch_size].cpu())
        if not parts:
            return np.zeros(0)
        return torch.cat(parts).numpy().astype(np.float64)

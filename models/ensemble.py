"""An ensemble of trained networks: the average of their calibrated probabilities, as one model.

Why a module: when cross-validation cannot tell two architectures apart
(:mod:`graphrisk.models.selection`), ``graphrisk train --model auto`` keeps both and averages
their calibrated probabilities. Everything that uses a model — :func:`~models.training.predict`,
:func:`~models.explain.explain_customers`, ``graphrisk score --model`` — takes a
:class:`~models.training.TrainedModel`, so the ensemble is one too:

* its ``network`` (:class:`EnsembleNetwork`) runs every member on the same graph, applies each
  member's own calibrator (Platt or isotonic, written in torch so that gradients flow), averages
  the probabilities and returns the average's logit;
* its ``calibration`` is the identity (Platt with slope 1 and intercept 0), so
  :func:`~models.training.predict` gives exactly the averaged probability (to float32
  precision) and explanations attribute the ensemble's own logit — the explanation of an
  ensemble explains the averaged model, not one member;
* its ``config`` is the first member's (the one cross-validation ranked best): thread count,
  batch size, neighbour sampling and device; the members share every setting but the
  architecture;
* its ``members`` keep the trained members, for saving (:func:`~models.artifacts.save_model`
  writes each into its own folder) and for their individual figures.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import torch
from torch import Tensor, nn

from graphrisk.models.training import TrainedModel

__all__ = ["IDENTITY_CALIBRATION", "EnsembleNetwork", "build_ensemble"]

#: The calibration of an ensemble: its network already returns the calibrated average's logit.
IDENTITY_CALIBRATION: dict[str, Any] = {"method": "platt", "coef": 1.0, "intercept": 0.0}
# Averaged probabilities are kept this far from 0 and 1 before taking their logit (float32).
_EPSILON = 1e-6


class EnsembleNetwork(nn.Module):
    """Members' networks whose calibrated probabilities are averaged; returns the logit.

    Args:
        networks: the members' networks (same node and edge types, same number of layers).
        calibrations: each member's fitted calibrator (``platt`` or ``isotonic``).
    """

    def __init__(self, networks: Sequence[nn.Module],
                 calibrations: Sequence[Mapping[str, Any]]) -> None:
        super().__init__()
        if not networks or len(networks) != len(calibrations):
            raise ValueError("an ensemble needs one calibration per network, and a network")
        self.members = nn.ModuleList(networks)
        self.calibrations = [dict(c) for c in calibrations]
        # What explanations read: the hops (layers) and edge types, the same for every member.
        self.edge_types = list(networks[0].edge_types)

    @property
    def convs(self) -> nn.ModuleList:
        """The first member's message-passing layers (every member has as many)."""
        return self.members[0].convs

    def forward(self, x_dict: Mapping[str, Tensor], edge_index_dict: Mapping[Any, Tensor],
                edge_attr_dict: Mapping[Any, Tensor] | None = None) -> Tensor:
        probabilities = [_calibrated(calibration, network(x_dict, edge_index_dict,
                                                          edge_attr_dict))
                         for network, calibration in zip(self.members, self.calibrations,
                                                         strict=True)]
        mean = torch.stack(probabilities).mean(dim=0).clamp(_EPSILON, 1.0 - _EPSILON)
        return torch.log(mean) - torch.log1p(-mean)


def build_ensemble(members: Sequence[TrainedModel], *, info: Mapping[str, Any] | None = None
                   ) -> TrainedModel:
    """One model whose probability is the average of the members' calibrated probabilities.

    Args:
        members: trained (or loaded) models of one dataset: the same encoders, architecture
            (feature sizes and edge types) and number of layers; the first one's settings
            (threads, batch size, sampling) are the ensemble's.
        info: the stored ``model.json`` of a loaded ensemble.

    Raises:
        ValueError: fewer than two members, or members that do not fit together.
    """
    if len(members) < 2:
        raise ValueError(f"an ensemble needs at least two members, got {len(members)}")
    first = members[0]
    for other in members[1:]:
        if other.encoders.digest() != first.encoders.digest():
            raise ValueError("ensemble members were built with other feature encoders")
        if other.architecture != first.architecture:
            raise ValueError("ensemble members have other feature sizes or edge types")
        if other.config.layers != first.config.layers:
            raise ValueError("ensemble members have other numbers of layers")
        if other.training_fingerprint != first.training_fingerprint:
            raise ValueError("ensemble members were trained on other snapshots")
    network = EnsembleNetwork([m.network for m in members], [m.calibration for m in members])
    network.eval()
    return TrainedModel(
        network=network,  # type: ignore[arg-type]
        config=first.config, architecture=first.architecture, encoders=first.encoders,
        calibration=dict(IDENTITY_CALIBRATION), training_fingerprint=first.training_fingerprint,
        best_epoch=first.best_epoch, best_validation_pr_auc=first.best_validation_pr_auc,
        history=list(first.history), train_seconds=sum(m.train_seconds for m in members),
        confirmed_negatives=dict(first.confirmed_negatives), info=dict(info or {}),
        members=list(members))


def _calibrated(calibration: Mapping[str, Any], logits: Tensor) -> Tensor:
    """:func:`~models.training.apply_calibration` in torch (differentiable)."""
    if calibration["method"] == "platt":
        return torch.sigmoid(calibration["coef"] * logits + calibration["intercept"])
    if calibration["method"] == "isotonic":
        xp = torch.tensor(calibration["x"], dtype=logits.dtype, device=logits.device)
        fp = torch.tensor(calibration["y"], dtype=logits.dtype, device=logits.device)
        return _interp(torch.sigmoid(logits), xp, fp)
    raise ValueError(f"unknown calibration method {calibration['method']!r}")


def _interp(values: Tensor, xp: Tensor, fp: Tensor) -> Tensor:
    """``np.interp`` in torch: piecewise linear through ``(xp, fp)``, constant outside."""
    if len(xp) == 1:
        return fp.expand_as(values).clone()
    inside = values.clamp(xp[0], xp[-1])
    right = torch.searchsorted(xp, inside.detach()).clamp(1, len(xp) - 1)
    left = right - 1
    width = (xp[right] - xp[left]).clamp_min(torch.finfo(values.dtype).tiny)
    share = (inside - xp[left]) / width
    return fp[left] + share * (fp[right] - fp[left])

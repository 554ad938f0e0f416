"""Fitted feature encoders: how raw feature tables become the GNN's numbers, and back again.

Why a module of its own: a model is only as portable as its encoders. The means, deviations
and vocabularies fitted on the training snapshot are saved next to the model (``encoders.json``
in a model folder) and applied unchanged to every later snapshot, so that a column means the
same thing to the model on the day it scores as on the day it learnt. This module knows nothing
about banks or graphs: it fits and applies encoders over named groups of columns (one group per
node type and per edge type, see :mod:`graphrisk.models.features`).

Encoding, per group:

* **numbers** are standardised with the fitted mean and deviation (a missing value becomes the
  mean, i.e. 0) and clipped to ``[-10, 10]``; a column that does not vary keeps deviation 1;
* **categories** are one-hot over a vocabulary, followed by ``__other__`` (a value outside the
  vocabulary, e.g. unseen in training) and ``__missing__``. A vocabulary is either fixed (the
  schema's enums) or fitted: the values seen at least 5 times.

The JSON layout (:data:`ENCODERS_FORMAT_VERSION`) is what model folders store; keep it readable
by models trained before a change.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["ENCODERS_FORMAT_VERSION", "FeatureEncoders", "fit_encoders"]

#: Version of the :class:`FeatureEncoders` JSON layout.
ENCODERS_FORMAT_VERSION = 1

_CLIP = 10.0
_OTHER, _MISSING = "__other__", "__missing__"
# A fitted vocabulary keeps categories seen at least this often; the rest are "__other__".
_MIN_CATEGORY_COUNT = 5


@dataclass(frozen=True)
class FeatureEncoders:
    """Everything needed to turn a snapshot into the same feature columns again.

    Attributes:
        groups: per node type (``customer``...) and per forward edge type
            (:func:`~graphrisk.models.features.edge_key`), ``numeric`` column names with their
            fitted ``mean`` and ``std``, and ``categorical``: ``[column, vocabulary]`` pairs, in
            column order (a list, so that JSON keeps the order), each one-hot over its
            vocabulary followed by ``__other__`` and ``__missing__``.
        settings: ``max_identifier_degree``, ``reporting_threshold``,
            ``high_risk_industries``, ``high_risk_countries`` used to build the graph, and
            ``customer_features``: the bring-your-own feature names, sorted (absent in
            encoders fitted before customer features existed, which read as none).
        format_version: layout version (:data:`ENCODERS_FORMAT_VERSION`).
    """

    groups: dict[str, dict[str, Any]]
    settings: dict[str, Any]
    format_version: int = ENCODERS_FORMAT_VERSION

    def feature_names(self, group: str) -> list[str]:
        """The encoded column names of one node type or edge type, in tensor order."""
        spec = self.groups[group]
        names = list(spec["numeric"])
        for column, vocabulary in spec["categorical"]:
            names += [f"{column}={v}" for v in (*vocabulary, _OTHER, _MISSING)]
        return names

    def transform(self, group: str, frame: pd.DataFrame) -> np.ndarray:
        """Encode raw columns of one group: scaled numbers, then one-hot categories.

        Raises:
            ValueError: ``frame`` lacks a column the encoders were fitted with.
        """
        spec = self.groups[group]
        wanted = [*spec["numeric"], *(column for column, _ in spec["categorical"])]
        missing = [c for c in wanted if c not in frame.columns]
        if missing:
            raise ValueError(f"{group} lacks the feature columns {missing}")
        parts = []
        if spec["numeric"]:
            values = frame[spec["numeric"]].to_numpy(dtype=np.float64)
            scaled = (values - np.asarray(spec["mean"])) / np.asarray(spec["std"])
            scaled = np.nan_to_num(scaled, nan=0.0, posinf=_CLIP, neginf=-_CLIP)
            parts.append(np.clip(scaled, -_CLIP, _CLIP))
        for column, vocabulary in spec["categorical"]:
            parts.append(_one_hot(frame[column], vocabulary))
        if not parts:
            return np.zeros((len(frame), 0), dtype=np.float32)
        return np.hstack(parts).astype(np.float32)

    def to_dict(self) -> dict[str, Any]:
        return {"format_version": self.format_version, "settings": self.settings,
                "groups": self.groups}

    @classmethod
    def from_dict(cls, payload: Mapping[str, Any]) -> FeatureEncoders:
        """Rebuild encoders from :meth:`to_dict` output.

        Raises:
            ValueError: the layout version is not one this code reads.
        """
        version = int(payload.get("format_version", -1))
        if version != ENCODERS_FORMAT_VERSION:
            raise ValueError(f"feature encoders have format version {version}; this GraphRisk "
                             f"reads version {ENCODERS_FORMAT_VERSION}")
        return cls(groups=dict(payload["groups"]), settings=dict(payload["settings"]),
                   format_version=version)

    def save(self, path: str | Path) -> None:
        """Write the encoders as JSON."""
        Path(path).write_text(json.dumps(self.to_dict(), indent=1, sort_keys=True))

    @classmethod
    def load(cls, path: str | Path) -> FeatureEncoders:
        """Read encoders written by :meth:`save`."""
        return cls.from_dict(json.loads(Path(path).read_text()))

    def digest(self) -> str:
        """A hash of the fitted values: equal digests mean equal feature meanings."""
        text = json.dumps(self.to_dict(), sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()


def fit_encoders(
    frames: Mapping[str, pd.DataFrame],
    categorical: Mapping[str, Sequence[str]],
    settings: Mapping[str, Any],
    fixed_vocabularies: Mapping[tuple[str, str], Sequence[str]] | None = None,
) -> FeatureEncoders:
    """Fit encoders on raw feature tables.

    Args:
        frames: the raw columns of each group (node type or edge type), one row per node or
            edge; the group's columns keep their order in the encoded tensor.
        categorical: per group, its categorical columns; every other column is numeric.
        settings: stored unchanged as :attr:`FeatureEncoders.settings` (how the tables were
            built, so that a later snapshot is built the same way).
        fixed_vocabularies: per ``(group, column)``, a vocabulary to use as given; other
            categorical columns get the values seen at least 5 times, sorted.

    Returns:
        The fitted encoders: numeric means and deviations over the finite values (deviation 1
        where a column does not vary or has no finite value) and one vocabulary per category.
    """
    fixed_vocabularies = fixed_vocabularies or {}
    groups: dict[str, dict[str, Any]] = {}
    for group, frame in frames.items():
        categories = categorical.get(group, ())
        numeric = [c for c in frame.columns if c not in categories]
        values = frame[numeric].to_numpy(dtype=np.float64)
        finite = np.isfinite(values)
        count = finite.sum(axis=0)
        safe = np.where(finite, values, 0.0)
        mean = np.divide(safe.sum(axis=0), count, out=np.zeros(len(numeric)), where=count > 0)
        spread = np.where(finite, values - mean, 0.0)
        variance = np.divide((spread ** 2).sum(axis=0), count, out=np.ones(len(numeric)),
                             where=count > 0)
        std = np.sqrt(variance)
        std = np.where(std > 1e-9, std, 1.0)
        vocabularies = []
        for column in categories:
            fixed = fixed_vocabularies.get((group, column))
            if fixed is not None:
                vocabularies.append([column, list(fixed)])
            else:
                counts = frame[column].dropna().astype(str).value_counts()
                vocabularies.append([column, sorted(counts.index[counts >= _MIN_CATEGORY_COUNT])])
        groups[group] = {"numeric": numeric, "mean": [float(m) for m in mean],
                         "std": [float(s) for s in std], "categorical": vocabularies}
    return FeatureEncoders(groups=groups, settings=dict(settings))


def _one_hot(values: pd.Series, vocabulary: list[str]) -> np.ndarray:
    """One-hot over ``vocabulary``, then ``__other__`` (unseen) and ``__missing__``."""
    text = values.astype("string")
    missing = text.isna().to_numpy()
    codes = pd.Index(vocabulary).get_indexer(text.fillna("").astype(str))
    codes = np.where(codes >= 0, codes, len(vocabulary))
    codes = np.where(missing, len(vocabulary) + 1, codes)
    out = np.zeros((len(values), len(vocabulary) + 2), dtype=np.float32)
    out[np.arange(len(values)), codes] = 1.0
    return out

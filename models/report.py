"""A report per training run: the figures as JSON and the precision-recall curve as a plot.

Why both: the JSON is what a later run or a notebook compares against; the plot is what a
person looks at to see how precision falls as the model is asked to find more of the risk.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from graphrisk.models.explain import ModelExplanation

__all__ = ["write_explanation_plot", "write_training_report"]


def write_training_report(
    folder: Path,
    *,
    y_true: pd.Series,
    probability: pd.Series,
    metrics: Mapping[str, Any],
    history: list[dict[str, float]],
    title: str,
) -> tuple[Path, Path]:
    """Write ``report.json`` and ``pr_curve.png`` into ``folder``.

    Args:
        folder: the model folder.
        y_true: held-out labels (0/1) per customer id.
        probability: the model's probability for the same customers.
        metrics: the held-out figures to record.
        history: per-epoch training history.
        title: the plot's title (model kind and data).

    Returns:
        The two files.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from sklearn.metrics import precision_recall_curve

    folder.mkdir(parents=True, exist_ok=True)
    y = y_true.reindex(probability.index).to_numpy(dtype=int)
    precision, recall, _ = precision_recall_curve(y, probability.to_numpy(dtype=float))
    report = {"metrics": dict(metrics), "history": history,
              "held_out": {"customers": int(len(y)), "positives": int(y.sum())},
              "pr_curve": {"precision": np.round(precision, 5).tolist(),
                           "recall": np.round(recall, 5).tolist()}}
    report_file = folder / "report.json"
    report_file.write_text(json.dumps(report, indent=2, default=float))

    figure, axes = plt.subplots(figsize=(6, 4.5))
    axes.step(recall, precision, where="post",
              label=f"model (PR-AUC {metrics.get('test_pr_auc', float('nan')):.3f})")
    axes.axhline(y.mean(), linestyle="--", color="grey",
                 label=f"chance ({y.mean():.3f}: share of known risk)")
    axes.set_xlabel("recall: share of held-out known-risk customers found")
    axes.set_ylabel("precision: share of flagged who are known risk")
    axes.set_xlim(0, 1)
    axes.set_ylim(0, 1.02)
    axes.set_title(title)
    axes.legend(loc="upper right")
    figure.tight_layout()
    plot_file = folder / "pr_curve.png"
    figure.savefig(plot_file, dpi=110)
    plt.close(figure)
    return report_file, plot_file


def write_explanation_plot(explanation: ModelExplanation, path: Path) -> Path:
    """A bar chart of what raised and lowered one customer's score: its strongest own
    features and neighbours, each bar labelled in words (red raises the risk, blue lowers it).

    Why a plot: an investigator sees at a glance whether the customer's own behaviour or its
    neighbourhood drove the score, and which neighbour mattered most.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    bars = [(f.attribution, f"own: {f.description}") for f in explanation.features]
    bars += [(n.attribution, f"{n.node_type} {n.node_id}") for n in explanation.neighbours]
    bars.sort(key=lambda bar: abs(bar[0]))
    values = [value for value, _ in bars]
    labels = [label if len(label) <= 60 else label[:57] + "..." for _, label in bars]
    figure, axes = plt.subplots(figsize=(8, 0.4 * len(bars) + 1.6))
    axes.barh(range(len(bars)), values,
              color=["#c0392b" if value > 0 else "#2e86c1" for value in values])
    axes.set_yticks(range(len(bars)), labels)
    axes.axvline(0, color="grey", linewidth=0.8)
    axes.set_xlabel("contribution to the model's log-odds (red raises the risk)")
    axes.set_title(f"{explanation.customer_id}: {explanation.model} probability "
                   f"{explanation.probability:.0%}")
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path

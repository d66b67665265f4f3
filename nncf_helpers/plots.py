"""Figures of the report. Each function draws on a new figure and returns it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np


def training_curves(history: Mapping, checkpoints: Sequence[Mapping] = (),
                    best_epoch: int | None = None):
    """Loss and accuracy per epoch, training against validation, checkpoints marked."""
    epochs = np.arange(1, len(history["loss"]) + 1)
    figure, axes = plt.subplots(1, 2, figsize=(12, 4.5))
    for axis, metric, title in ((axes[0], "loss", "Loss"), (axes[1], "accuracy", "Accuracy")):
        axis.plot(epochs, history[metric], color="tab:blue", label="Training")
        axis.plot(epochs, history[f"val_{metric}"], color="tab:red", label="Validation")
        if checkpoints:
            marked = [entry["epoch"] for entry in checkpoints]
            values = [history[f"val_{metric}"][epoch - 1] for epoch in marked]
            axis.scatter(marked, values, s=14, color="black", zorder=3, label="Checkpoint")
        if best_epoch is not None:
            axis.axvline(best_epoch, color="tab:green", linestyle="--",
                         label=f"Lowest validation loss (epoch {best_epoch})")
        axis.set(xlabel="Epoch", ylabel=title, title=title)
        axis.legend()
    figure.tight_layout()
    return figure


def confusion_matrices(matrix: Sequence[Sequence[float]], title: str):
    """Counts and row-normalised shares side by side."""
    counts = np.asarray(matrix, dtype=np.float64)
    rows = counts.sum(axis=1, keepdims=True)
    shares = np.divide(counts, rows, out=np.zeros_like(counts), where=rows > 0)
    figure, axes = plt.subplots(1, 2, figsize=(10, 4))
    for axis, values, label, fmt in (
        (axes[0], counts, "counts", "{:,.0f}"),
        (axes[1], shares, "normalised by true label", "{:.3f}"),
    ):
        image = axis.imshow(values, cmap="Blues")
        figure.colorbar(image, ax=axis, fraction=0.046)
        for (row, column), value in np.ndenumerate(values):
            colour = "white" if value > values.max() / 2 else "black"
            axis.text(column, row, fmt.format(value), ha="center", va="center", color=colour)
        axis.set(xticks=[0, 1], yticks=[0, 1], xlabel="Predicted label",
                 ylabel="True label", title=f"{title}\n{label}")
    figure.tight_layout()
    return figure


def roc_and_precision_recall(curve_sets: Mapping[str, Mapping], scores: Mapping[str, Mapping]):
    """ROC and precision-recall curves of several models or test settings.

    Args:
        curve_sets: Label to the output of :func:`nncf_helpers.evaluation.curves`.
        scores: Label to a dict with ``roc_auc`` and ``average_precision``.
    """
    figure, axes = plt.subplots(1, 2, figsize=(12, 4.8))
    for label, curve in curve_sets.items():
        score = scores.get(label, {})
        axes[0].plot(curve["roc"]["fpr"], curve["roc"]["tpr"],
                     label=f"{label} (AUC {score.get('roc_auc', float('nan')):.3f})")
        axes[1].plot(curve["precision_recall"]["recall"], curve["precision_recall"]["precision"],
                     label=f"{label} (AP {score.get('average_precision', float('nan')):.4f})")
    axes[0].plot([0, 1], [0, 1], color="grey", linestyle=":", label="Chance")
    axes[0].set(xlabel="False positive rate", ylabel="True positive rate", title="ROC curve")
    axes[1].set(xlabel="Recall", ylabel="Precision", title="Precision-recall curve",
                yscale="log")
    for axis in axes:
        axis.legend(fontsize="small")
    figure.tight_layout()
    return figure


def grouped_bars(table: Mapping[str, Mapping[str, float]], metrics: Sequence[str],
                 title: str):
    """Draw one group of bars per metric, one bar per row of ``table`` (a model or setting)."""
    names = list(table)
    width = 0.8 / max(1, len(names))
    positions = np.arange(len(metrics))
    figure, axis = plt.subplots(figsize=(max(6, 1.6 * len(metrics) + 2), 4.5))
    for offset, name in enumerate(names):
        values = [table[name].get(metric) for metric in metrics]
        values = [np.nan if value is None else value for value in values]
        axis.bar(positions + offset * width, values, width, label=name)
    axis.set_xticks(positions + width * (len(names) - 1) / 2, metrics, rotation=20, ha="right")
    axis.set(title=title)
    axis.legend(fontsize="small")
    figure.tight_layout()
    return figure

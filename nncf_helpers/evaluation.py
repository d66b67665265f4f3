"""Classification metrics of held-out cells, and the reference's published numbers.

The model's output column 1 is P(track in playlist); a cell is predicted a one when that
probability exceeds 0.5, which is the argmax of the two softmax outputs. The loss is the
binary cross-entropy that Keras reports for one-hot targets, with its clipping of
probabilities to [1e-7, 1 - 1e-7].
"""

from __future__ import annotations

import numpy as np
from sklearn import metrics as skm

from nncf_helpers.sampling import balanced_sample
from nncf_helpers.seeding import TEST_SAMPLES, rng_for

KERAS_EPSILON = 1e-7

# Published results of the reference notebook: final model / lowest-validation-loss
# checkpoint. Its "auROC" was computed from hard 0/1 predictions, not probabilities.
REFERENCE_RESULTS = {
    "seed-track": {
        "description": "MPD seed-track subset: 10,000 playlists, 74,450 tracks, 1,030,015 ones",
        "final": {"accuracy_real_ratio": 0.9366, "accuracy_balanced": 0.8793,
                  "loss_real_ratio": 0.1803, "loss_balanced": 0.3529,
                  "sensitivity": 0.82, "specificity": 0.94,
                  "predicted_share_of_ones": 0.0643, "roc_auc_hard": 0.8791},
        "best_checkpoint": {"accuracy_real_ratio": 0.8845, "accuracy_balanced": 0.8772,
                            "loss_real_ratio": 0.3221, "loss_balanced": 0.3137,
                            "predicted_share_of_ones": 0.1165, "roc_auc_hard": 0.8770},
    },
    "random": {
        "description": "MPD random subset: 10,000 playlists, 171,381 tracks, 657,056 ones",
        "final": {"accuracy_real_ratio": 0.9684, "accuracy_balanced": 0.7508,
                  "loss_real_ratio": 0.0913, "loss_balanced": 0.9938,
                  "sensitivity": 0.53, "specificity": 0.97,
                  "predicted_share_of_ones": 0.0317, "roc_auc_hard": 0.7506},
        "best_checkpoint": {"accuracy_real_ratio": 0.8817, "accuracy_balanced": 0.7644,
                            "loss_real_ratio": 0.3522, "loss_balanced": 0.4996,
                            "sensitivity": 0.65, "specificity": 0.88,
                            "predicted_share_of_ones": 0.1184, "roc_auc_hard": 0.7651},
    },
}


def binary_cross_entropy(labels: np.ndarray, probabilities: np.ndarray) -> float:
    """Mean binary cross-entropy as Keras computes it for two-column one-hot targets."""
    p = np.clip(probabilities.astype(np.float64), KERAS_EPSILON, 1.0 - KERAS_EPSILON)
    y = labels.astype(np.float64)
    return float(-np.mean(y * np.log(p) + (1.0 - y) * np.log1p(-p)))


def confusion(labels: np.ndarray, predicted: np.ndarray) -> np.ndarray:
    """2 x 2 counts ``[[tn, fp], [fn, tp]]``: rows are true labels, columns predictions."""
    return skm.confusion_matrix(labels, predicted, labels=[0, 1])


def classification_metrics(labels: np.ndarray, probabilities: np.ndarray) -> dict:
    """Loss, accuracy, confusion matrix and rates of one set of held-out cells.

    Args:
        labels: 0/1 true labels.
        probabilities: Predicted P(one) for the same cells.

    Returns:
        A JSON-ready dict. ROC AUC and average precision are ``None`` when the cells hold
        a single class, where they are undefined.
    """
    labels = np.asarray(labels).astype(np.int8)
    probabilities = np.asarray(probabilities, dtype=np.float64)
    predicted = (probabilities > 0.5).astype(np.int8)
    matrix = confusion(labels, predicted)
    (tn, fp), (fn, tp) = matrix
    both_classes = 0 < labels.sum() < len(labels)
    row_sums = matrix.sum(axis=1, keepdims=True)
    normalised = np.divide(matrix, row_sums, out=np.zeros((2, 2)), where=row_sums > 0)
    return {
        "cells": int(len(labels)),
        "ones": int(labels.sum()),
        "loss": binary_cross_entropy(labels, probabilities),
        "accuracy": float((predicted == labels).mean()),
        "confusion_matrix": matrix.tolist(),
        "confusion_matrix_normalised": normalised.tolist(),
        "sensitivity": float(tp / (tp + fn)) if tp + fn else None,
        "specificity": float(tn / (tn + fp)) if tn + fp else None,
        "predicted_share_of_ones": float(predicted.mean()),
        "roc_auc": float(skm.roc_auc_score(labels, probabilities)) if both_classes else None,
        "roc_auc_hard": float(skm.roc_auc_score(labels, predicted)) if both_classes else None,
        "average_precision": (
            float(skm.average_precision_score(labels, probabilities)) if both_classes else None
        ),
    }


def balanced_metrics(keys: np.ndarray, labels: np.ndarray, probabilities: np.ndarray,
                     num_samples: int, sample_size: int, seed: int) -> dict:
    """Metrics on class-balanced samples of held-out cells, as the reference evaluated.

    Each of ``num_samples`` samples draws ``sample_size`` cells, half ones and half zeros,
    with replacement. Loss and accuracy are averaged over the samples; the confusion
    matrix and rates are computed over all samples pooled.
    """
    rng = rng_for(seed, TEST_SAMPLES)
    position = np.arange(len(keys))
    losses, accuracies, pooled_labels, pooled_probabilities = [], [], [], []
    for _ in range(num_samples):
        chosen, chosen_labels = balanced_sample(position, labels, sample_size, 0.5, rng)
        chosen_probabilities = probabilities[chosen]
        losses.append(binary_cross_entropy(chosen_labels, chosen_probabilities))
        accuracies.append(float(((chosen_probabilities > 0.5) == chosen_labels).mean()))
        pooled_labels.append(chosen_labels)
        pooled_probabilities.append(chosen_probabilities)
    pooled = classification_metrics(np.concatenate(pooled_labels),
                                    np.concatenate(pooled_probabilities))
    pooled.update({
        "loss": float(np.mean(losses)),
        "loss_std": float(np.std(losses)),
        "accuracy": float(np.mean(accuracies)),
        "accuracy_std": float(np.std(accuracies)),
        "samples": int(num_samples),
        "sample_size": int(sample_size),
    })
    return pooled


def curves(labels: np.ndarray, probabilities: np.ndarray, max_points: int = 2_000) -> dict:
    """ROC and precision-recall curves, thinned to at most ``max_points`` points each."""
    fpr, tpr, _ = skm.roc_curve(labels, probabilities)
    precision, recall, _ = skm.precision_recall_curve(labels, probabilities)

    def thin(*arrays):
        step = max(1, len(arrays[0]) // max_points)
        return [array[::step].tolist() + [float(array[-1])] for array in arrays]

    fpr, tpr = thin(fpr, tpr)
    precision, recall = thin(precision, recall)
    return {"roc": {"fpr": fpr, "tpr": tpr},
            "precision_recall": {"precision": precision, "recall": recall}}


def reference_comparison(dataset: str, ours: dict, which: str = "final") -> list[dict]:
    """Rows of ours against the reference's published numbers for one dataset.

    ``ours`` holds ``real_ratio`` and ``balanced`` results of :func:`classification_metrics`
    and :func:`balanced_metrics`. ``which`` is ``"final"`` or ``"best_checkpoint"``.
    """
    published = REFERENCE_RESULTS.get(dataset, {}).get(which, {})
    real, balanced = ours["real_ratio"], ours["balanced"]
    rows = [
        ("accuracy, real class ratio", real["accuracy"], "accuracy_real_ratio"),
        ("accuracy, class-balanced", balanced["accuracy"], "accuracy_balanced"),
        ("loss, real class ratio", real["loss"], "loss_real_ratio"),
        ("loss, class-balanced", balanced["loss"], "loss_balanced"),
        ("sensitivity", real["sensitivity"], "sensitivity"),
        ("specificity", real["specificity"], "specificity"),
        ("predicted share of ones", real["predicted_share_of_ones"], "predicted_share_of_ones"),
        ("ROC AUC from hard predictions", real["roc_auc_hard"], "roc_auc_hard"),
        ("ROC AUC from probabilities", real["roc_auc"], None),
        ("average precision", real["average_precision"], None),
    ]
    return [
        {"metric": name, "ours": value,
         "reference": published.get(key) if key else None}
        for name, value, key in rows
    ]

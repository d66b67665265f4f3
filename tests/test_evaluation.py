"""Classification metrics against values computed by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from nncf_helpers.evaluation import (
    balanced_metrics,
    binary_cross_entropy,
    classification_metrics,
    confusion,
)

# Predicted ones (probability > 0.5): cells 0, 1 and 3. The 0.5 at cell 7 is a zero.
# tp = 2 (cells 0, 1), fn = 1 (cell 2), fp = 1 (cell 3), tn = 4 (cells 4 to 7).
LABELS = np.array([1, 1, 1, 0, 0, 0, 0, 0])
PROBABILITIES = np.array([0.9, 0.6, 0.4, 0.7, 0.2, 0.1, 0.3, 0.5])


@pytest.fixture(scope="module")
def metrics() -> dict:
    return classification_metrics(LABELS, PROBABILITIES)


def test_confusion_matrix_by_hand(metrics):
    assert metrics["confusion_matrix"] == [[4, 1], [1, 2]]


def test_confusion_rows_are_true_labels():
    assert confusion(np.array([1, 1, 0]), np.array([0, 1, 1])).tolist() == [[0, 1], [1, 1]]


def test_normalised_confusion_by_hand(metrics):
    np.testing.assert_allclose(metrics["confusion_matrix_normalised"],
                               [[0.8, 0.2], [1 / 3, 2 / 3]])


def test_sensitivity_by_hand(metrics):
    assert metrics["sensitivity"] == pytest.approx(2 / 3)


def test_specificity_by_hand(metrics):
    assert metrics["specificity"] == pytest.approx(4 / 5)


def test_accuracy_by_hand(metrics):
    assert metrics["accuracy"] == pytest.approx(6 / 8)


def test_predicted_share_of_ones_by_hand(metrics):
    assert metrics["predicted_share_of_ones"] == pytest.approx(3 / 8)


def test_counts_of_cells_and_ones(metrics):
    assert metrics["cells"] == 8
    assert metrics["ones"] == 3


def test_loss_by_hand(metrics):
    expected = -(math.log(0.9) + math.log(0.6) + math.log(0.4) + math.log(0.3)
                 + math.log(0.8) + math.log(0.9) + math.log(0.7) + math.log(0.5)) / 8
    assert metrics["loss"] == pytest.approx(expected, rel=1e-12)


def test_loss_clips_certain_mistakes():
    loss = binary_cross_entropy(np.array([1, 0]), np.array([0.0, 1.0]))
    assert loss == pytest.approx(-math.log(1e-7), rel=1e-9)


def test_loss_clips_certain_hits():
    loss = binary_cross_entropy(np.array([1, 0]), np.array([1.0, 0.0]))
    assert loss == pytest.approx(-math.log(1 - 1e-7), rel=1e-6)


def test_roc_auc_by_hand(metrics):
    # Of 3 x 5 one-zero pairs, 12 rank the one higher: 5 for 0.9, 4 for 0.6, 3 for 0.4.
    assert metrics["roc_auc"] == pytest.approx(12 / 15)


def test_roc_auc_hard_by_hand(metrics):
    # Hard predictions: AUC is the mean of sensitivity and specificity, (2/3 + 4/5) / 2.
    assert metrics["roc_auc_hard"] == pytest.approx(11 / 15)


def test_average_precision_by_hand(metrics):
    # Ones at ranks 1, 3 and 5 of the scores: precisions 1/1, 2/3 and 3/5.
    assert metrics["average_precision"] == pytest.approx((1 + 2 / 3 + 3 / 5) / 3)


@pytest.mark.parametrize("label", [0, 1])
def test_single_class_gives_none(label):
    result = classification_metrics(np.full(4, label), np.array([0.2, 0.4, 0.6, 0.8]))
    assert result["roc_auc"] is None
    assert result["roc_auc_hard"] is None
    assert result["average_precision"] is None


def test_only_zeros_have_no_sensitivity():
    result = classification_metrics(np.zeros(4, dtype=int), np.array([0.2, 0.4, 0.6, 0.8]))
    assert result["sensitivity"] is None
    assert result["specificity"] == pytest.approx(0.5)


def test_metrics_are_plain_python_types(metrics):
    for name in ("loss", "accuracy", "sensitivity", "roc_auc"):
        assert type(metrics[name]) is float, name
    assert type(metrics["cells"]) is int


def balanced_case() -> dict:
    return {"keys": np.arange(8, dtype=np.int64), "labels": LABELS,
            "probabilities": PROBABILITIES, "num_samples": 4, "sample_size": 10, "seed": 2}


def test_balanced_metrics_are_balanced():
    result = balanced_metrics(**balanced_case())
    assert result["cells"] == 40
    assert result["ones"] == 20
    assert result["samples"] == 4
    assert result["sample_size"] == 10


def test_balanced_metrics_repeat_with_seed():
    assert balanced_metrics(**balanced_case()) == balanced_metrics(**balanced_case())


def test_balanced_metrics_other_seed_differs():
    other = {**balanced_case(), "seed": 3}
    assert balanced_metrics(**balanced_case())["loss"] != balanced_metrics(**other)["loss"]


def test_balanced_metrics_perfect_scores():
    case = {**balanced_case(), "probabilities": np.where(LABELS == 1, 0.99, 0.01)}
    result = balanced_metrics(**case)
    assert result["accuracy"] == 1.0
    assert result["accuracy_std"] == 0.0
    assert result["loss"] == pytest.approx(-math.log(0.99))


def test_balanced_metrics_missing_class_raises():
    case = {**balanced_case(), "labels": np.zeros(8, dtype=int)}
    with pytest.raises(ValueError, match="0 ones and 8 zeros"):
        balanced_metrics(**case)

"""Class-balanced batches of training and held-out cells.

The reference rebuilt its list of ones from the whole sparse matrix for every batch.
:class:`BalancedSampler` prepares two sorted key arrays once, then draws each batch with
a few vectorised numpy calls: ones uniformly (with replacement) from the training ones,
zeros uniformly from the cells that are neither a one nor held out.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from nncf_helpers.seeding import TRAINING_BATCHES, rng_for
from nncf_helpers.splits import Split, contains_sorted, unique_sorted


def one_hot(labels: np.ndarray) -> np.ndarray:
    """Two-column float32 targets ``[1 - label, label]`` for the softmax output."""
    labels = np.asarray(labels, dtype=np.float32).reshape(-1)
    return np.stack([1.0 - labels, labels], axis=1)


def count_ones(size: int, balance_ratio: float) -> int:
    """Number of ones in a sample of ``size`` cells: ``ceil(size * balance_ratio)``.

    The product is rounded to 9 decimals first, so float error such as
    ``50 * 0.14 == 7.000000000000001`` does not add a one.
    """
    return int(np.ceil(round(size * balance_ratio, 9)))


def epoch_rng(seed: int, epoch: int) -> np.random.Generator:
    """Generator for one epoch's batch, so a resumed run draws what an unbroken one would."""
    return rng_for(seed, TRAINING_BATCHES, epoch)


class BalancedSampler:
    """Draws class-balanced training batches from a split.

    Args:
        split: The held-out cells; none of them is ever drawn.
    """

    def __init__(self, split: Split):
        self.num_playlists = split.num_playlists
        self.num_cells = split.num_cells
        self.training_positive_keys = split.training_positive_keys()
        if len(self.training_positive_keys) == 0:
            raise ValueError(
                "No ones are left for training after holding out validation and test cells. "
                "Use more playlists or a smaller HOLDOUT_FRACTION."
            )
        # Cells that may not be drawn as zeros: every one, and every held-out cell.
        self.blocked_keys = unique_sorted(
            np.concatenate([split.positive_keys, split.held_out_keys()])
        )
        self.num_training_zeros = self.num_cells - len(self.blocked_keys)
        if self.num_training_zeros <= 0:
            raise ValueError("No zeros are left for training: every cell is a one or held out.")

    def draw_keys(self, rng: np.random.Generator, batch_size: int,
                  balance_ratio: float = 0.5) -> tuple[np.ndarray, np.ndarray]:
        """Draw ``(keys, labels)`` of one batch: ``ceil(batch_size * balance_ratio)`` ones first.

        Zeros are distinct within a batch only by chance, as uniform draws with
        replacement; their share of blocked cells is rejected and redrawn.
        """
        num_ones = count_ones(batch_size, balance_ratio)
        num_zeros = batch_size - num_ones
        ones = self.training_positive_keys[
            rng.integers(0, len(self.training_positive_keys), size=num_ones)
        ]
        zeros = np.empty(0, dtype=np.int64)
        blocked_share = len(self.blocked_keys) / self.num_cells
        while len(zeros) < num_zeros:
            missing = num_zeros - len(zeros)
            size = int(missing / max(1e-3, 1.0 - blocked_share) * 1.1) + 16
            candidates = rng.integers(0, self.num_cells, size=size, dtype=np.int64)
            candidates = candidates[~contains_sorted(self.blocked_keys, candidates)]
            zeros = np.concatenate([zeros, candidates[:missing]])
        keys = np.concatenate([ones, zeros])
        labels = np.concatenate([np.ones(num_ones, np.int8), np.zeros(num_zeros, np.int8)])
        return keys, labels

    def draw(self, rng: np.random.Generator, batch_size: int, balance_ratio: float = 0.5):
        """Draw one batch as model inputs: ``(playlists, tracks, targets)``."""
        keys, labels = self.draw_keys(rng, batch_size, balance_ratio)
        tracks, playlists = np.divmod(keys, self.num_playlists)
        return playlists.astype(np.int32), tracks.astype(np.int32), one_hot(labels)

    def batches(self, seed: int, first_epoch: int, epochs: int, steps_per_epoch: int,
                batch_size: int, balance_ratio: float) -> Iterator[tuple]:
        """Yield the batches of epochs ``first_epoch`` to ``epochs - 1`` in order."""
        for epoch in range(first_epoch, epochs):
            rng = epoch_rng(seed, epoch)
            for _ in range(steps_per_epoch):
                yield self.draw(rng, batch_size, balance_ratio)


def balanced_sample(keys: np.ndarray, labels: np.ndarray, size: int, balance_ratio: float,
                    rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Draw a class-balanced sample of held-out cells, with replacement as the reference did.

    Returns:
        ``(keys, labels)`` with ``ceil(size * balance_ratio)`` ones first.

    Raises:
        ValueError: The held-out cells hold no one or no zero.
    """
    ones = keys[labels == 1]
    zeros = keys[labels == 0]
    if len(ones) == 0 or len(zeros) == 0:
        raise ValueError(
            f"The held-out cells hold {len(ones)} ones and {len(zeros)} zeros, so no "
            "class-balanced sample exists. Use more playlists or a larger HOLDOUT_FRACTION."
        )
    num_ones = count_ones(size, balance_ratio)
    sample = np.concatenate([
        ones[rng.integers(0, len(ones), size=num_ones)],
        zeros[rng.integers(0, len(zeros), size=size - num_ones)],
    ])
    sample_labels = np.concatenate(
        [np.ones(num_ones, np.int8), np.zeros(size - num_ones, np.int8)]
    )
    return sample, sample_labels

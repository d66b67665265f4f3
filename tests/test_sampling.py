"""Class-balanced batches: balance, held-out cells never drawn, seeded repeatability."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from nncf_helpers.sampling import (
    BalancedSampler,
    balanced_sample,
    count_ones,
    epoch_rng,
    one_hot,
)
from nncf_helpers.splits import Split, contains_sorted, split_cells

NUM_TRACKS = 60
NUM_PLAYLISTS = 40


@pytest.fixture(scope="module")
def split() -> Split:
    rng = np.random.default_rng(2)
    dense = (rng.random((NUM_TRACKS, NUM_PLAYLISTS)) < 0.1).astype(np.int8)
    # A large held-out share makes a drawn held-out cell likely if the sampler allowed it.
    return split_cells(sp.csr_matrix(dense), 0.3, seed=0)


@pytest.fixture(scope="module")
def sampler(split) -> BalancedSampler:
    return BalancedSampler(split)


@pytest.fixture(scope="module")
def many_draws(sampler) -> tuple[np.ndarray, np.ndarray]:
    """20,000 cells from 200 batches of 100."""
    rng = epoch_rng(0, 0)
    batches = [sampler.draw_keys(rng, 100) for _ in range(200)]
    return (np.concatenate([keys for keys, _ in batches]),
            np.concatenate([labels for _, labels in batches]))


@pytest.mark.parametrize(("batch_size", "ratio", "ones"), [
    (100, 0.5, 50),
    (7, 0.5, 4),
    (7, 0.3, 3),
    (10, 0.3, 3),
    (10, 0.7, 7),
    (3, 0.1, 1),
    (1000, 0.25, 250),
    (50, 0.14, 7),
    (75, 0.68, 51),
])
def test_batch_has_ceil_share_of_ones(sampler, batch_size, ratio, ones):
    keys, labels = sampler.draw_keys(np.random.default_rng(0), batch_size, ratio)
    assert len(keys) == batch_size
    assert int(labels.sum()) == ones
    assert labels[:ones].tolist() == [1] * ones


def test_count_ones_ignores_float_error():
    # 50 * 0.14 is 7.000000000000001 in binary floating point.
    assert count_ones(50, 0.14) == 7
    assert count_ones(25, 0.28) == 7
    assert count_ones(20_000, 0.5) == 10_000


def test_draws_avoid_held_out_cells(split, many_draws):
    keys, _ = many_draws
    assert not contains_sorted(split.held_out_keys(), keys).any()


def test_drawn_ones_are_training_positives(split, many_draws):
    keys, labels = many_draws
    assert contains_sorted(split.training_positive_keys(), keys[labels == 1]).all()


def test_drawn_zeros_are_not_positives(split, many_draws):
    keys, labels = many_draws
    assert not contains_sorted(split.positive_keys, keys[labels == 0]).any()


def test_draws_cover_many_training_zeros(sampler, many_draws):
    keys, labels = many_draws
    distinct_zeros = len(np.unique(keys[labels == 0]))
    assert distinct_zeros > 0.9 * sampler.num_training_zeros


def test_draw_returns_model_inputs(split, sampler):
    keys, labels = sampler.draw_keys(epoch_rng(3, 1), 20)
    playlists, tracks, targets = sampler.draw(epoch_rng(3, 1), 20)
    assert (tracks.astype(np.int64) * NUM_PLAYLISTS + playlists).tolist() == keys.tolist()
    assert playlists.dtype == np.int32
    assert targets.tolist() == one_hot(labels).tolist()


def test_same_epoch_seed_repeats(sampler):
    first, _ = sampler.draw_keys(epoch_rng(7, 3), 50)
    second, _ = sampler.draw_keys(epoch_rng(7, 3), 50)
    assert first.tolist() == second.tolist()


def test_other_epoch_differs(sampler):
    first, _ = sampler.draw_keys(epoch_rng(7, 3), 50)
    second, _ = sampler.draw_keys(epoch_rng(7, 4), 50)
    assert first.tolist() != second.tolist()


def test_batches_resume_mid_run(sampler):
    full = list(sampler.batches(seed=1, first_epoch=0, epochs=4, steps_per_epoch=2,
                                batch_size=16, balance_ratio=0.5))
    resumed = list(sampler.batches(seed=1, first_epoch=2, epochs=4, steps_per_epoch=2,
                                   batch_size=16, balance_ratio=0.5))
    assert len(full) == 8
    assert len(resumed) == 4
    for (playlists, tracks, _), (again_playlists, again_tracks, _) in zip(full[4:], resumed):
        assert playlists.tolist() == again_playlists.tolist()
        assert tracks.tolist() == again_tracks.tolist()


def test_one_hot_columns():
    assert one_hot(np.array([1, 0, 1])).tolist() == [[0.0, 1.0], [1.0, 0.0], [0.0, 1.0]]


def test_no_training_positives_raises():
    dense = np.zeros((10, 10), dtype=np.int8)
    dense[0, 0] = 1
    split = split_cells(sp.csr_matrix(dense), 0.1, seed=0)
    # Hold out the only one, whatever the draw chose.
    held_out = np.array([0], dtype=np.int64)
    split.validation_keys = np.union1d(split.validation_keys, held_out)
    split.test_keys = np.setdiff1d(split.test_keys, held_out)
    with pytest.raises(ValueError, match="No ones are left for training"):
        BalancedSampler(split)


def test_no_training_zeros_raises():
    split = split_cells(sp.csr_matrix(np.ones((4, 5), dtype=np.int8)), 0.1, seed=0)
    with pytest.raises(ValueError, match="No zeros are left"):
        BalancedSampler(split)


def test_balanced_sample_has_ceil_share_of_ones():
    keys = np.arange(10, dtype=np.int64)
    labels = np.array([1, 1, 0, 0, 0, 0, 0, 0, 0, 1], dtype=np.int8)
    sample, sample_labels = balanced_sample(keys, labels, 9, 0.5, np.random.default_rng(0))
    assert int(sample_labels.sum()) == 5
    assert len(sample) == 9
    assert set(sample[:5].tolist()) <= {0, 1, 9}
    assert set(sample[5:].tolist()) <= {2, 3, 4, 5, 6, 7, 8}


def test_balanced_sample_repeats_with_seed():
    keys = np.arange(10, dtype=np.int64)
    labels = np.array([1, 1, 0, 0, 0, 0, 0, 0, 0, 1], dtype=np.int8)
    first, _ = balanced_sample(keys, labels, 20, 0.5, np.random.default_rng(4))
    second, _ = balanced_sample(keys, labels, 20, 0.5, np.random.default_rng(4))
    assert first.tolist() == second.tolist()


@pytest.mark.parametrize("labels", [[0, 0, 0], [1, 1, 1]])
def test_balanced_sample_missing_class_raises(labels):
    keys = np.arange(3, dtype=np.int64)
    with pytest.raises(ValueError, match="no class-balanced sample exists"):
        balanced_sample(keys, np.array(labels, dtype=np.int8), 4, 0.5,
                        np.random.default_rng(0))

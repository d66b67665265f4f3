"""Held-out cells: counts, disjointness, labels, training data and saved files."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from nncf_helpers.splits import (
    Split,
    contains_sorted,
    index_pairs,
    load_split,
    load_tables,
    positive_keys_of,
    save_split,
    save_tables,
    split_cells,
    unique_sorted,
)
from nncf_helpers.subsets import make_subset

NUM_TRACKS = 40
NUM_PLAYLISTS = 25
FRACTION = 0.1


@pytest.fixture(scope="module")
def dense() -> np.ndarray:
    rng = np.random.default_rng(11)
    return (rng.random((NUM_TRACKS, NUM_PLAYLISTS)) < 0.2).astype(np.int8)


@pytest.fixture(scope="module")
def split(dense) -> Split:
    return split_cells(sp.csr_matrix(dense), FRACTION, seed=0)


def cells_of(split: Split, keys: np.ndarray) -> list[tuple[int, int]]:
    playlists, tracks = split.decode(keys)
    return list(zip(tracks.tolist(), playlists.tolist()))


def test_held_out_count_is_fraction_of_cells(split):
    assert len(split.validation_keys) + len(split.test_keys) == int(1000 * FRACTION)


def test_test_is_half_of_held_out(split):
    assert len(split.test_keys) == 50
    assert len(split.validation_keys) == 50


def test_odd_held_out_count_gives_validation_extra():
    split = split_cells(sp.csr_matrix(np.ones((7, 3), dtype=np.int8)), 0.25, seed=0)
    assert len(split.test_keys) == 2
    assert len(split.validation_keys) == 3


def test_held_out_cells_have_no_duplicates(split):
    held_out = np.concatenate([split.validation_keys, split.test_keys])
    assert len(np.unique(held_out)) == len(held_out)


def test_validation_and_test_disjoint(split):
    assert not np.isin(split.validation_keys, split.test_keys).any()


def test_keys_sorted_and_in_range(split):
    for keys in (split.validation_keys, split.test_keys, split.positive_keys):
        assert (np.diff(keys) > 0).all()
        assert keys.min() >= 0
        assert keys.max() < NUM_TRACKS * NUM_PLAYLISTS


def test_validation_labels_match_matrix(split, dense):
    cells = cells_of(split, split.validation_keys)
    expected = [dense[track, playlist] for track, playlist in cells]
    assert split.validation_labels.tolist() == expected


def test_test_labels_match_matrix(split, dense):
    expected = [dense[track, playlist] for track, playlist in cells_of(split, split.test_keys)]
    assert split.test_labels.tolist() == expected


def test_positive_keys_are_every_one(split, dense):
    tracks, playlists = np.nonzero(dense)
    assert split.positive_keys.tolist() == sorted((tracks * NUM_PLAYLISTS + playlists).tolist())


def test_training_positives_exclude_held_out(split):
    training = split.training_positive_keys()
    assert not np.isin(training, split.validation_keys).any()
    assert not np.isin(training, split.test_keys).any()


def test_training_positives_keep_other_ones(split):
    held_out = np.concatenate([split.validation_keys, split.test_keys])
    expected = np.setdiff1d(split.positive_keys, held_out)
    assert split.training_positive_keys().tolist() == expected.tolist()


def test_training_matrix_is_transposed_without_held_out(split, dense):
    expected = dense.T.astype(np.float32).copy()
    for track, playlist in cells_of(split, split.held_out_keys()):
        expected[playlist, track] = 0
    matrix = split.training_matrix()
    assert matrix.shape == (NUM_PLAYLISTS, NUM_TRACKS)
    assert matrix.toarray().tolist() == expected.tolist()


def test_summary_counts_add_up(split, dense):
    summary = split.summary()
    held_out_ones = int(split.validation_labels.sum() + split.test_labels.sum())
    assert summary["all"]["cells"] == 1000
    assert summary["all"]["ones"] == int(dense.sum())
    assert summary["training"]["cells"] == 900
    assert summary["training"]["ones"] == int(dense.sum()) - held_out_ones
    assert summary["validation"]["ones"] == int(split.validation_labels.sum())


def test_same_seed_gives_identical_arrays(dense):
    first = split_cells(sp.csr_matrix(dense), FRACTION, seed=5)
    second = split_cells(sp.csr_matrix(dense), FRACTION, seed=5)
    assert first.validation_keys.tolist() == second.validation_keys.tolist()
    assert first.test_keys.tolist() == second.test_keys.tolist()
    assert first.validation_labels.tolist() == second.validation_labels.tolist()


def test_same_seed_gives_identical_file(tmp_path, dense):
    first = save_split(tmp_path / "a", split_cells(sp.csr_matrix(dense), FRACTION, seed=5))
    second = save_split(tmp_path / "b", split_cells(sp.csr_matrix(dense), FRACTION, seed=5))
    assert first.read_bytes() == second.read_bytes()


def test_other_seed_gives_other_cells(dense):
    first = split_cells(sp.csr_matrix(dense), FRACTION, seed=5)
    second = split_cells(sp.csr_matrix(dense), FRACTION, seed=6)
    assert first.test_keys.tolist() != second.test_keys.tolist()


def test_largest_fraction_holds_out_half():
    split = split_cells(sp.csr_matrix(np.eye(10, dtype=np.int8)), 0.5, seed=0)
    held_out = np.concatenate([split.validation_keys, split.test_keys])
    assert len(np.unique(held_out)) == 50


@pytest.mark.parametrize("fraction", [0.0, -0.1, 0.51, 1.0, float("nan")])
def test_fraction_out_of_range_raises(fraction):
    with pytest.raises(ValueError, match="outside \\(0, 0.5\\]"):
        split_cells(sp.csr_matrix(np.eye(10, dtype=np.int8)), fraction)


def test_too_few_held_out_cells_raises():
    with pytest.raises(ValueError, match="holds out 1"):
        split_cells(sp.csr_matrix(np.eye(3, dtype=np.int8)), 0.2)


def test_save_load_round_trip(tmp_path, split):
    path = save_split(tmp_path, split)
    loaded = load_split(tmp_path)
    assert path.name == "split.npz"
    assert loaded.num_tracks == NUM_TRACKS
    assert loaded.num_playlists == NUM_PLAYLISTS
    for name in ("positive_keys", "validation_keys", "validation_labels", "test_keys",
                 "test_labels"):
        assert getattr(loaded, name).tolist() == getattr(split, name).tolist(), name
        assert getattr(loaded, name).dtype == getattr(split, name).dtype, name


def test_saved_split_loads_without_pickle(tmp_path, split):
    save_split(tmp_path, split)
    with np.load(tmp_path / "split.npz", allow_pickle=False) as archive:
        assert sorted(archive.files) == sorted([
            "shape", "positive_keys", "validation_keys", "validation_labels", "test_keys",
            "test_labels"])


def test_tables_round_trip_keeps_names(tmp_path, tiny_data):
    tiny_data.playlist_names[0] = "<script>alert(1)</script> \u05e9\u05d9\u05e8 \U0001f3b6"
    tiny_data.track_names[1] = 'quote " comma , done'
    subset = make_subset(tiny_data, "seed-track", max_playlists=3)
    save_tables(tmp_path, subset)
    tracks, playlists = load_tables(tmp_path)
    assert tracks["track_uri"] == subset.track_uris
    assert tracks["track_name"] == subset.track_names
    assert playlists["pid"] == [0, 1, 1001]
    assert playlists["name"][0] == "<script>alert(1)</script> \u05e9\u05d9\u05e8 \U0001f3b6"


def test_positive_keys_of_known_matrix():
    matrix = sp.csr_matrix(np.array([[0, 1, 0], [1, 0, 1]], dtype=np.int8))
    assert positive_keys_of(matrix).tolist() == [1, 3, 5]


def test_decode_known_keys():
    split = Split(2, 3, *[np.empty(0, np.int64)] * 5)
    playlists, tracks = split.decode(np.array([0, 4, 5], dtype=np.int64))
    assert playlists.tolist() == [0, 1, 2]
    assert tracks.tolist() == [0, 1, 1]


def test_unique_sorted_known_array():
    keys = np.array([5, 3, 5, 1, 3, 9], dtype=np.int64)
    assert unique_sorted(keys).tolist() == [1, 3, 5, 9]


def test_unique_sorted_empty_array():
    assert unique_sorted(np.empty(0, dtype=np.int64)).tolist() == []


def test_contains_sorted_known_arrays():
    sorted_keys = np.array([2, 4, 8, 16], dtype=np.int64)
    queries = np.array([16, 1, 4, 17, 2, 3], dtype=np.int64)
    assert contains_sorted(sorted_keys, queries).tolist() == [True, False, True, False, True,
                                                              False]


def test_contains_sorted_with_sorted_queries():
    sorted_keys = np.array([2, 4, 8], dtype=np.int64)
    queries = np.array([1, 2, 3, 8, 9], dtype=np.int64)
    assert contains_sorted(sorted_keys, queries).tolist() == [False, True, False, True, False]


def test_contains_sorted_empty_inputs():
    assert contains_sorted(np.empty(0, np.int64), np.array([1, 2])).tolist() == [False, False]
    assert contains_sorted(np.array([1, 2]), np.empty(0, np.int64)).tolist() == []


def _split_with_labels(validation_labels, test_labels, positive_keys):
    return Split(
        num_tracks=4, num_playlists=4, positive_keys=np.asarray(positive_keys, dtype=np.int64),
        validation_keys=np.arange(len(validation_labels), dtype=np.int64),
        validation_labels=np.asarray(validation_labels, dtype=np.int8),
        test_keys=np.arange(10, 10 + len(test_labels), dtype=np.int64),
        test_labels=np.asarray(test_labels, dtype=np.int8),
    )


def test_require_ones_rejects_test_without_ones():
    split = _split_with_labels([1, 0], [0, 0], positive_keys=[0, 5])
    with pytest.raises(ValueError, match="test set contains no ones"):
        split.require_ones()


def test_require_ones_rejects_training_without_ones():
    split = _split_with_labels([1, 0], [1, 0], positive_keys=[0, 10])
    with pytest.raises(ValueError, match="training set contains no ones"):
        split.require_ones()


def test_require_ones_accepts_every_set_with_ones():
    split = _split_with_labels([1, 0], [1, 0], positive_keys=[0, 5, 10])
    split.require_ones()


def test_index_pairs_flattens_to_int64():
    playlists, tracks = index_pairs([[1, 2]], (3.0, 4.0))
    assert playlists.dtype == np.int64
    assert tracks.dtype == np.int64
    assert playlists.tolist() == [1, 2]
    assert tracks.tolist() == [3, 4]


def test_index_pairs_length_mismatch_names_arguments():
    with pytest.raises(ValueError) as caught:
        index_pairs([1, 2], [3], names=("test_playlists", "test_tracks"))
    message = str(caught.value)
    assert "test_playlists and test_tracks" in message
    assert "2 and 1" in message

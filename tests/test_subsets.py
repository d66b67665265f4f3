"""Seed-track and random subsets: which playlists and tracks they keep."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import scipy.sparse as sp

from nncf_helpers.mpd import MPDData
from nncf_helpers.subsets import SubsetWarning, make_subset, most_frequent_track


def random_data(num_tracks: int = 120, num_playlists: int = 200, seed: int = 0) -> MPDData:
    """An in-memory dataset of random playlists with at least one track each."""
    rng = np.random.default_rng(seed)
    dense = (rng.random((num_tracks, num_playlists)) < 0.05).astype(np.int8)
    dense[rng.integers(0, num_tracks, num_playlists), np.arange(num_playlists)] = 1
    return MPDData(
        matrix=sp.csr_matrix(dense),
        track_uris=[f"t:{row}" for row in range(num_tracks)],
        track_names=[f"track {row}" for row in range(num_tracks)],
        track_artists=[f"artist {row}" for row in range(num_tracks)],
        playlist_pids=np.arange(num_playlists, dtype=np.int64) + 5000,
        playlist_names=[f"playlist {column}" for column in range(num_playlists)],
    )


def assert_tables_aligned(data: MPDData, subset) -> None:
    """Each subset row and column is the same track and playlist as in ``data``."""
    columns = [data.playlist_pids.tolist().index(pid) for pid in subset.playlist_pids]
    original = data.matrix.toarray()
    for row, uri in enumerate(subset.track_uris):
        source = data.track_uris.index(uri)
        assert subset.track_names[row] == data.track_names[source]
        assert subset.track_artists[row] == data.track_artists[source]
        assert subset.matrix[row].toarray().ravel().tolist() == original[source, columns].tolist()
    for position, column in enumerate(columns):
        assert subset.playlist_names[position] == data.playlist_names[column]


def test_most_frequent_track_on_tiny_data(tiny_data):
    assert most_frequent_track(tiny_data) == "t:b"


def test_most_frequent_track_tie_takes_lowest_index():
    data = random_data()
    data.matrix = sp.csr_matrix(np.array([[1, 0], [1, 1], [0, 1], [1, 1]], dtype=np.int8))
    data.track_uris = ["t:0", "t:1", "t:2", "t:3"]
    assert most_frequent_track(data) == "t:1"


def test_seed_subset_defaults_to_most_frequent(tiny_data):
    with pytest.warns(SubsetWarning):
        subset = make_subset(tiny_data, "seed-track", max_playlists=10)
    assert subset.seed_track_uri == "t:b"


def test_seed_subset_takes_playlists_with_seed(tiny_data):
    with pytest.warns(SubsetWarning):
        subset = make_subset(tiny_data, "seed-track", max_playlists=10)
    assert subset.playlist_pids.tolist() == [0, 1, 1001]
    assert subset.playlist_names == ["Chill", "Party", "Gym"]


def test_seed_subset_drops_absent_tracks(tiny_data):
    with pytest.warns(SubsetWarning):
        subset = make_subset(tiny_data, "seed-track", max_playlists=10)
    assert subset.track_uris == ["t:a", "t:b", "t:c", "t:e", "t:f"]
    assert subset.matrix.toarray().tolist() == [
        [1, 0, 0],
        [1, 1, 1],
        [0, 1, 0],
        [0, 0, 1],
        [0, 0, 1],
    ]


def test_seed_subset_with_given_uri(tiny_data):
    with warnings.catch_warnings():
        warnings.simplefilter("error", SubsetWarning)
        subset = make_subset(tiny_data, "seed-track", max_playlists=2, seed_track_uri="t:a")
    assert subset.seed_track_uri == "t:a"
    assert subset.playlist_pids.tolist() == [0, 1000]
    assert subset.track_uris == ["t:a", "t:b", "t:c"]
    assert subset.matrix.toarray().tolist() == [[1, 1], [1, 0], [0, 1]]
    assert subset.available == 2


def test_empty_seed_uri_means_most_frequent(tiny_data):
    with pytest.warns(SubsetWarning):
        subset = make_subset(tiny_data, "seed-track", max_playlists=10, seed_track_uri="")
    assert subset.seed_track_uri == "t:b"


def test_unknown_seed_uri_names_uri_and_fix(tiny_data):
    with pytest.raises(ValueError) as caught:
        make_subset(tiny_data, "seed-track", seed_track_uri="spotify:track:missing")
    message = str(caught.value)
    assert "'spotify:track:missing'" in message
    assert "SEED_TRACK_URI" in message
    assert "'t:b'" in message


def test_fewer_playlists_uses_all_with_warning(tiny_data):
    with pytest.warns(SubsetWarning, match="only 3 playlists are available") as caught:
        subset = make_subset(tiny_data, "seed-track", max_playlists=10)
    assert len(caught) == 1
    assert subset.num_playlists == 3
    assert subset.available == 3
    assert subset.requested == 10


def test_random_subset_with_all_playlists(tiny_data):
    with pytest.warns(SubsetWarning):
        subset = make_subset(tiny_data, "random", max_playlists=100)
    assert subset.playlist_pids.tolist() == [0, 1, 2, 1000, 1001]
    assert subset.matrix.toarray().tolist() == tiny_data.matrix.toarray().tolist()
    assert subset.seed_track_uri is None


def test_random_subset_takes_requested_count():
    subset = make_subset(random_data(), "random", max_playlists=50, seed=3)
    assert subset.num_playlists == 50
    assert len(set(subset.playlist_pids.tolist())) == 50
    assert subset.available == 200


def test_random_subset_pids_are_sorted():
    subset = make_subset(random_data(), "random", max_playlists=50, seed=3)
    assert subset.playlist_pids.tolist() == sorted(subset.playlist_pids.tolist())


def test_random_subset_same_seed_repeats():
    data = random_data()
    first = make_subset(data, "random", max_playlists=50, seed=3)
    second = make_subset(data, "random", max_playlists=50, seed=3)
    assert first.playlist_pids.tolist() == second.playlist_pids.tolist()
    assert first.track_uris == second.track_uris
    assert (first.matrix != second.matrix).nnz == 0


def test_random_subset_other_seed_differs():
    data = random_data()
    first = make_subset(data, "random", max_playlists=50, seed=3)
    second = make_subset(data, "random", max_playlists=50, seed=4)
    assert first.playlist_pids.tolist() != second.playlist_pids.tolist()


def test_random_subset_tables_aligned():
    data = random_data()
    subset = make_subset(data, "random", max_playlists=40, seed=1)
    assert_tables_aligned(data, subset)


def test_random_subset_drops_absent_tracks():
    data = random_data()
    subset = make_subset(data, "random", max_playlists=10, seed=1)
    counts = np.asarray(subset.matrix.sum(axis=1)).ravel()
    assert subset.num_tracks < data.num_tracks
    assert counts.min() >= 1


def test_seed_subset_tables_aligned():
    data = random_data()
    seed_uri = most_frequent_track(data)
    subset = make_subset(data, "seed-track", max_playlists=5, seed=2)
    row = subset.track_uris.index(seed_uri)
    assert subset.matrix[row].toarray().ravel().tolist() == [1] * 5
    assert_tables_aligned(data, subset)


def test_subset_keeps_track_order():
    data = random_data()
    subset = make_subset(data, "random", max_playlists=30, seed=0)
    original_rows = [data.track_uris.index(uri) for uri in subset.track_uris]
    assert original_rows == sorted(original_rows)


def test_unknown_dataset_name_raises(tiny_data):
    with pytest.raises(ValueError, match="'popular'"):
        make_subset(tiny_data, "popular")


def test_zero_max_playlists_raises(tiny_data):
    with pytest.raises(ValueError, match="max_playlists=0"):
        make_subset(tiny_data, "random", max_playlists=0)

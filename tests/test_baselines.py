"""Baseline recommenders on data whose best recommendations are known by construction."""

import numpy as np
import pytest
import scipy.sparse as sp

from nncf_helpers.baselines import ALSRecommender, PopularityRecommender, SVDRecommender

GROUP_PLAYLISTS = 20
GROUP_TRACKS = 30


def _checkerboard() -> tuple[sp.csr_matrix, np.ndarray, np.ndarray]:
    """Two playlist groups, each using only its own block of tracks, with a few cells held back.

    Playlists 0-19 use tracks 0-29 and playlists 20-39 use tracks 30-59. Every fifth playlist
    holds back one track of its own block, so that track is its best unseen recommendation.

    Returns:
        The training matrix, the playlists with a held-back track, and that track of each.
    """
    num_playlists = 2 * GROUP_PLAYLISTS
    num_tracks = 2 * GROUP_TRACKS
    dense = np.zeros((num_playlists, num_tracks), dtype=np.int8)
    dense[:GROUP_PLAYLISTS, :GROUP_TRACKS] = 1
    dense[GROUP_PLAYLISTS:, GROUP_TRACKS:] = 1
    playlists = np.arange(0, num_playlists, 5)
    group_offset = np.where(playlists < GROUP_PLAYLISTS, 0, GROUP_TRACKS)
    held_back = group_offset + (7 * playlists) % GROUP_TRACKS
    dense[playlists, held_back] = 0
    return sp.csr_matrix(dense), playlists, held_back


def _other_group_tracks(playlist: int) -> np.ndarray:
    if playlist < GROUP_PLAYLISTS:
        return np.arange(GROUP_TRACKS, 2 * GROUP_TRACKS)
    return np.arange(GROUP_TRACKS)


# Two factors match the two blocks. With more, low-regularised high-alpha ALS can spend the
# spare factors on this tiny matrix's few holes and push a held-back cell down.
@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize(
    "make_recommender",
    [
        lambda seed: SVDRecommender(rank=2, seed=seed),
        lambda seed: ALSRecommender(factors=2, seed=seed),
    ],
    ids=["svd", "als"],
)
def test_held_back_track_beats_other_group(make_recommender, seed):
    recommender = make_recommender(seed)
    train, playlists, held_back = _checkerboard()
    recommender.fit(train)
    scores = recommender.score_playlists(playlists)
    assert scores.shape == (8, 60)
    assert scores.dtype == np.float32
    for row, playlist in enumerate(playlists):
        best_other = scores[row, _other_group_tracks(playlist)].max()
        assert scores[row, held_back[row]] > best_other


def test_popularity_counts_playlists_per_track():
    # Rows: playlist 0 = {0, 1}, playlist 1 = {1, 2}, playlist 2 = {1}. The value 5 counts as
    # one positive, so track 1 appears in 3 playlists.
    train = sp.csr_matrix(([1, 5, 1, 1, 1], ([0, 0, 1, 1, 2], [0, 1, 1, 2, 1])), shape=(3, 4))
    recommender = PopularityRecommender().fit(train)
    expected = np.array([1, 3, 1, 0], dtype=np.float32)
    np.testing.assert_array_equal(recommender.score_playlists([2]), expected[None, :])
    np.testing.assert_array_equal(recommender.score_pairs([0, 2], [1, 3]), [3, 0])


@pytest.mark.parametrize(
    "recommender",
    [PopularityRecommender(), SVDRecommender(rank=3), ALSRecommender(factors=4)],
    ids=["popularity", "svd", "als"],
)
def test_score_pairs_matches_score_playlists(recommender):
    train, _, _ = _checkerboard()
    recommender.fit(train)
    rng = np.random.default_rng(0)
    playlists = rng.integers(0, 40, 200)
    tracks = rng.integers(0, 60, 200)
    rows = recommender.score_playlists(playlists)
    np.testing.assert_allclose(
        recommender.score_pairs(playlists, tracks), rows[np.arange(200), tracks], rtol=1e-5,
        atol=1e-6,
    )


@pytest.mark.parametrize(
    "make_recommender",
    [lambda: SVDRecommender(rank=3, seed=7), lambda: ALSRecommender(factors=4, seed=7)],
    ids=["svd", "als"],
)
def test_same_seed_gives_same_scores(make_recommender):
    rng = np.random.default_rng(1)
    train = sp.random(60, 80, density=0.1, format="csr", random_state=rng, data_rvs=np.ones)
    first = make_recommender().fit(train).score_playlists(np.arange(60))
    second = make_recommender().fit(train).score_playlists(np.arange(60))
    np.testing.assert_array_equal(first, second)


def test_params_and_fit_seconds_are_recorded():
    train, _, _ = _checkerboard()
    recommender = ALSRecommender(factors=4, alpha=10.0).fit(train)
    assert recommender.params["factors"] == 4
    assert recommender.params["alpha"] == 10.0
    assert recommender.fit_seconds > 0.0
    assert SVDRecommender(rank=5).params["rank"] == 5


def test_unfitted_recommender_raises():
    with pytest.raises(RuntimeError, match="not fitted"):
        SVDRecommender().score_playlists([0])


def test_svd_rejects_rank_at_matrix_size():
    train, _, _ = _checkerboard()
    with pytest.raises(ValueError, match="rank=40"):
        SVDRecommender(rank=40).fit(train)

"""Ranking metrics pinned to hand-computed values, and the evaluators' sampling invariants."""

import math

import numpy as np
import pytest
import scipy.sparse as sp

from nncf_helpers.ranking import (
    challenge_ndcg,
    full_catalogue_ranking,
    hit_rate_at_k,
    ndcg_at_k,
    r_precision,
    rank_against_negatives,
    recommended_songs_clicks,
    sample_negatives,
    sampled_ranking,
    top_n_tracks,
)

# ---------------------------------------------------------------------------------------------
# Sampled-ranking metrics
# ---------------------------------------------------------------------------------------------


def test_rank_counts_higher_negatives():
    ranks = rank_against_negatives(np.array([0.9, 0.1]), np.array([[0.5, 0.2], [0.5, 0.2]]))
    np.testing.assert_array_equal(ranks, [1, 3])


def test_rank_counts_ties_against_positive():
    # Negatives 0.5 (tie) and 0.9 (higher) both beat the positive 0.5, but 0.2 does not.
    ranks = rank_against_negatives(np.array([0.5]), np.array([[0.5, 0.2, 0.9]]))
    np.testing.assert_array_equal(ranks, [3])


def test_rank_ignores_padding():
    ranks = rank_against_negatives(np.array([0.0]), np.array([[-np.inf, 1.0, -np.inf]]))
    np.testing.assert_array_equal(ranks, [2])


def test_rank_rejects_nan():
    with pytest.raises(ValueError, match="NaN"):
        rank_against_negatives(np.array([np.nan]), np.array([[0.0]]))


def test_hit_rate_and_ndcg_perfect():
    ranks = np.array([1, 1, 1])
    assert hit_rate_at_k(ranks, 10) == 1.0
    assert ndcg_at_k(ranks, 10) == 1.0


def test_hit_rate_and_ndcg_miss():
    ranks = np.array([11, 101])
    assert hit_rate_at_k(ranks, 10) == 0.0
    assert ndcg_at_k(ranks, 10) == 0.0


def test_hit_rate_and_ndcg_mixed_ranks():
    ranks = np.array([1, 3, 10, 11])
    assert hit_rate_at_k(ranks, 10) == pytest.approx(3 / 4)
    # 1/log2(2) = 1, 1/log2(4) = 0.5, 1/log2(11) = 0.289065, rank 11 gives 0.
    expected = (1.0 + 0.5 + 1.0 / math.log2(11)) / 4
    assert ndcg_at_k(ranks, 10) == pytest.approx(expected)
    assert ndcg_at_k(ranks, 10) == pytest.approx(0.447266, abs=1e-6)


# ---------------------------------------------------------------------------------------------
# RecSys Challenge 2018 metrics
# ---------------------------------------------------------------------------------------------


def test_challenge_metrics_perfect_list():
    recommended = [5, 3, 9, 1]
    relevant = [3, 5]
    assert r_precision(recommended, relevant) == 1.0
    assert challenge_ndcg(recommended, relevant) == 1.0
    assert recommended_songs_clicks(recommended, relevant) == 0


def test_challenge_metrics_miss():
    recommended = [1, 2, 3]
    relevant = [7]
    assert r_precision(recommended, relevant) == 0.0
    assert challenge_ndcg(recommended, relevant) == 0.0
    assert challenge_ndcg(recommended, relevant, ideal_length="intersection") == 0.0
    # No relevant track in the list: 500 / 10 + 1 = 51 clicks.
    assert recommended_songs_clicks(recommended, relevant) == 51


def test_challenge_metrics_one_hit_at_position_three():
    recommended = [10, 11, 12, 13]
    relevant = [12]
    # R[:|G|] = [10] contains no relevant track.
    assert r_precision(recommended, relevant) == 0.0
    # DCG = 1/log2(3) = 0.630930, and IDCG = 1 because |G| = 1.
    assert challenge_ndcg(recommended, relevant) == pytest.approx(1.0 / math.log2(3))
    assert challenge_ndcg(recommended, relevant) == pytest.approx(0.630930, abs=1e-6)
    # First hit at position 3: floor((3 - 1) / 10) = 0.
    assert recommended_songs_clicks(recommended, relevant) == 0


def test_challenge_ndcg_position_two_counts_fully():
    # The rules page's DCG discounts position 2 by 1/log2(2) = 1, as much as position 1.
    assert challenge_ndcg([10, 12], [12]) == 1.0


def test_challenge_metrics_several_hits():
    recommended = list(range(100, 120))
    # Relevant tracks at positions 1, 4 and 12 (tracks 100, 103, 111), plus 999 not in R.
    relevant = [100, 103, 111, 999]
    # R[:4] = [100, 101, 102, 103] contains 2 of the 4.
    assert r_precision(recommended, relevant) == pytest.approx(2 / 4)
    dcg = 1.0 + 1.0 / math.log2(4) + 1.0 / math.log2(12)  # 1 + 0.5 + 0.278943 = 1.778943
    idcg_relevant = 1.0 + 1.0 / math.log2(2) + 1.0 / math.log2(3) + 1.0 / math.log2(4)  # 3.130930
    idcg_intersection = 1.0 + 1.0 / math.log2(2) + 1.0 / math.log2(3)  # 2.630930
    # NDCG = 1.778943 / 3.130930 = 0.568184.
    assert challenge_ndcg(recommended, relevant) == pytest.approx(dcg / idcg_relevant)
    assert challenge_ndcg(recommended, relevant) == pytest.approx(0.568184, abs=1e-6)
    assert challenge_ndcg(recommended, relevant, ideal_length="intersection") == pytest.approx(
        dcg / idcg_intersection
    )
    assert recommended_songs_clicks(recommended, relevant) == 0


@pytest.mark.parametrize("position, clicks", [(10, 0), (11, 1), (23, 2), (500, 49)])
def test_clicks_from_first_hit_position(position, clicks):
    recommended = list(range(1000, 1500))
    relevant = [recommended[position - 1]]
    assert recommended_songs_clicks(recommended, relevant) == clicks


def test_clicks_ignore_hits_past_top_n():
    recommended = list(range(1000, 1600))
    assert recommended_songs_clicks(recommended, [1550]) == 51
    assert recommended_songs_clicks(recommended, [1550], top_n=600) == 55


def test_repeated_recommendations_count_once():
    # The second 7 is dropped, so 8 moves to position 2 and R[:2] = [7, 8].
    assert r_precision([7, 7, 8], [7, 8]) == 1.0
    assert challenge_ndcg([7, 7, 8], [7, 8]) == 1.0


def test_challenge_metrics_reject_empty_relevant():
    with pytest.raises(ValueError, match="relevant is empty"):
        challenge_ndcg([1, 2], [])


# ---------------------------------------------------------------------------------------------
# Top-n selection
# ---------------------------------------------------------------------------------------------


def test_top_n_breaks_ties_by_track_index():
    scores = np.array([[0.5, 0.9, 0.5, 0.5, 0.1]])
    np.testing.assert_array_equal(top_n_tracks(scores, 3), [[1, 0, 2]])
    np.testing.assert_array_equal(top_n_tracks(scores, 5), [[1, 0, 2, 3, 4]])


def test_top_n_skips_excluded_tracks():
    scores = np.array([[0.3, -np.inf, 0.2], [-np.inf, -np.inf, 1.0]])
    np.testing.assert_array_equal(top_n_tracks(scores, 2), [[0, 2], [2, -1]])


def test_top_n_matches_full_sort():
    rng = np.random.default_rng(0)
    scores = rng.integers(0, 20, size=(6, 200)).astype(np.float64)
    expected = np.lexsort((np.broadcast_to(np.arange(200), scores.shape), -scores), axis=1)
    np.testing.assert_array_equal(top_n_tracks(scores, 50), expected[:, :50])


# ---------------------------------------------------------------------------------------------
# Negative sampling and the two evaluators
# ---------------------------------------------------------------------------------------------

NUM_PLAYLISTS = 20
NUM_TRACKS = 400


@pytest.fixture(scope="module")
def known_and_test():
    """Build known positives of 20 playlists and 301 test positives.

    Playlist 19 contains all but 10 tracks and has one test positive, the last.
    """
    rng = np.random.default_rng(5)
    known = (rng.random((NUM_PLAYLISTS, NUM_TRACKS)) < 0.2).astype(np.int8)
    known[19] = 1
    known[19, 100:110] = 0
    known = sp.csr_matrix(known)
    playlists, tracks = known[:19].nonzero()
    chosen = rng.choice(playlists.size, size=300, replace=False)
    test_playlists = np.append(playlists[chosen], 19)
    test_tracks = np.append(tracks[chosen], 0)
    return known, test_playlists, test_tracks


def test_negatives_are_distinct_and_unknown(known_and_test):
    known, test_playlists, test_tracks = known_and_test
    negatives = sample_negatives(test_playlists, test_tracks, known, num_negatives=100, seed=3)
    assert negatives.shape == (test_playlists.size, 100)
    dense = known.toarray()
    for row in range(test_playlists.size - 1):
        assert np.unique(negatives[row]).size == 100
        assert negatives[row].min() >= 0
        assert not dense[test_playlists[row], negatives[row]].any()
        assert test_tracks[row] not in negatives[row]


def test_negatives_fall_back_for_nearly_full_playlist(known_and_test):
    known, test_playlists, test_tracks = known_and_test
    negatives = sample_negatives(test_playlists, test_tracks, known, num_negatives=100, seed=3)
    # Playlist 19 allows only tracks 100..109: all ten are kept and the rest is padding.
    last = negatives[-1]
    np.testing.assert_array_equal(np.sort(last[last >= 0]), np.arange(100, 110))
    assert np.sum(last == -1) == 90


def test_negatives_repeat_with_same_seed(known_and_test):
    known, test_playlists, test_tracks = known_and_test
    first = sample_negatives(test_playlists, test_tracks, known, seed=3)
    second = sample_negatives(test_playlists, test_tracks, known, seed=3)
    other = sample_negatives(test_playlists, test_tracks, known, seed=4)
    np.testing.assert_array_equal(first, second)
    assert not np.array_equal(first, other)


def test_negatives_are_uniform_over_tracks():
    # Nothing is known, so draws should cover the catalogue evenly: mean index 499.5 and
    # about 1000 draws per decile. Keeping the lowest indices instead would fail this.
    known = sp.csr_matrix((5, 1000), dtype=np.int8)
    playlists = np.repeat(np.arange(5), 200)
    tracks = np.zeros(1000, dtype=np.int64)
    negatives = sample_negatives(playlists, tracks, known, num_negatives=100, seed=0)
    assert abs(negatives.mean() - 500.0) < 10.0
    deciles = np.bincount(negatives.ravel() // 100, minlength=10)
    assert deciles.min() > 9_000
    assert deciles.max() < 11_000


def test_sampled_ranking_oracle_and_constant(known_and_test):
    known, test_playlists, test_tracks = known_and_test
    test_keys = set(zip(test_playlists.tolist(), test_tracks.tolist()))

    def oracle(playlists, tracks):
        return np.array([(p, t) in test_keys for p, t in zip(playlists, tracks)], dtype=float)

    def constant(playlists, tracks):
        return np.zeros(len(playlists))

    perfect = sampled_ranking(oracle, test_playlists, test_tracks, known, batch_size=5_000)
    assert perfect["hit_rate"] == 1.0
    assert perfect["ndcg"] == 1.0
    assert perfect["num_positives"] == test_playlists.size

    # Every negative ties the positive, so each rank is 1 + 100 (1 + 10 for playlist 19).
    tied = sampled_ranking(constant, test_playlists, test_tracks, known)
    assert tied["hit_rate"] == 0.0
    assert tied["ndcg"] == 0.0
    np.testing.assert_array_equal(tied["ranks"][:-1], 101)
    assert tied["ranks"][-1] == 11


def test_full_catalogue_hand_example():
    # Scores prefer lower track indices. Playlist 0 trains on tracks 0 and 1 and holds out 2
    # and 5. Playlist 1 holds out 25, outside its top 10. Playlist 2 holds out nothing.
    train = sp.csr_matrix(([1, 1, 1], ([0, 0, 2], [0, 1, 3])), shape=(3, 30))
    test_playlists = np.array([0, 0, 1])
    test_tracks = np.array([2, 5, 25])

    def score_playlists(playlists):
        return np.tile(-np.arange(30, dtype=np.float32), (len(playlists), 1))

    result = full_catalogue_ranking(
        score_playlists, train, test_playlists, test_tracks, top_n=10, batch_size=1
    )
    np.testing.assert_array_equal(result["playlists"], [0, 1])
    np.testing.assert_array_equal(result["num_relevant"], [2, 1])
    # Playlist 0: R = [2, 3, ..., 11]; hits at positions 1 and 4.
    # R-precision = |{2, 5} ∩ {2, 3}| / 2 = 0.5; DCG = 1 + 1/log2(4) = 1.5;
    # IDCG = 1 + 1/log2(2) = 2, so NDCG = 0.75; clicks = 0.
    # Playlist 1: R = [0, ..., 9], no hit: 0, 0 and 10 / 10 + 1 = 2 clicks.
    np.testing.assert_allclose(result["r_precision_per_playlist"], [0.5, 0.0])
    np.testing.assert_allclose(result["ndcg_per_playlist"], [0.75, 0.0])
    np.testing.assert_array_equal(result["clicks_per_playlist"], [0, 2])
    assert result["r_precision"] == pytest.approx(0.25)
    assert result["ndcg"] == pytest.approx(0.375)
    assert result["clicks"] == pytest.approx(1.0)


def test_full_catalogue_draws_sorted_playlists():
    train = sp.csr_matrix((8, 50), dtype=np.int8)
    test_playlists = np.arange(8)
    test_tracks = np.arange(8)

    def score_playlists(playlists):
        return np.zeros((len(playlists), 50))

    first = full_catalogue_ranking(
        score_playlists, train, test_playlists, test_tracks, max_playlists=3, seed=1
    )
    second = full_catalogue_ranking(
        score_playlists, train, test_playlists, test_tracks, max_playlists=3, seed=1
    )
    assert first["playlists"].size == 3
    assert np.all(np.diff(first["playlists"]) > 0)
    np.testing.assert_array_equal(first["playlists"], second["playlists"])

"""Ranking metrics and evaluators for playlist-track recommenders.

Two protocols are implemented.

Sampled ranking follows He et al., "Neural Collaborative Filtering" (WWW 2017). Each held-out
positive (playlist p, track t) is ranked against 100 tracks drawn uniformly from the tracks not
known to be in p. HR@10 and NDCG@10 are averaged over the positives.

Full-catalogue ranking, as in the ACM RecSys Challenge 2018 on the Million Playlist Dataset:
every track is scored for a playlist, its training tracks are removed, the top 500 form the
recommended list R, and R is judged against the playlist's held-out tracks G with R-precision,
NDCG and recommended-songs clicks. The metrics here are track-level only. The challenge also
gave R-precision partial credit for tracks by a held-out track's artist; that is not
implemented because the matrices carry no artist data.

Conventions: ``train_matrix`` and ``known_matrix`` are playlist x track scipy.sparse matrices
whose nonzero cells are positives; held-out positives are given as the parallel index arrays
``test_playlists`` and ``test_tracks``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

import numpy as np
import scipy.sparse as sp

from nncf_helpers.splits import index_pairs

logger = logging.getLogger(__name__)

ScorePairs = Callable[[np.ndarray, np.ndarray], np.ndarray]
ScorePlaylists = Callable[[np.ndarray], np.ndarray]

# Draw rounds for negative sampling before a playlist's remaining candidates are enumerated.
_MAX_DRAW_ROUNDS = 4


# ---------------------------------------------------------------------------------------------
# Sampled ranking (NCF protocol)
# ---------------------------------------------------------------------------------------------


def rank_against_negatives(positive_scores: np.ndarray, negative_scores: np.ndarray) -> np.ndarray:
    """Rank each positive among its negatives, counting a tied negative as ranked above it.

    Args:
        positive_scores: Shape (n,).
        negative_scores: Shape (n, k). Entries of ``-inf`` are padding and never count.

    Returns:
        int64 ranks of shape (n,): 1 + the number of negatives scoring >= the positive.

    Raises:
        ValueError: On mismatched shapes or NaN scores, which would compare as false and
            silently favour the model.
    """
    positive_scores = np.asarray(positive_scores, dtype=np.float64)
    negative_scores = np.asarray(negative_scores, dtype=np.float64)
    if negative_scores.ndim != 2 or negative_scores.shape[0] != positive_scores.shape[0]:
        raise ValueError(
            f"negative_scores must have shape (n, k) with n = {positive_scores.shape[0]}, "
            f"got {negative_scores.shape}."
        )
    if np.isnan(positive_scores).any() or np.isnan(negative_scores).any():
        raise ValueError("Scores contain NaN; ranks would be undefined.")
    beaten_by = negative_scores >= positive_scores[:, None]
    beaten_by &= negative_scores != -np.inf
    return 1 + beaten_by.sum(axis=1, dtype=np.int64)


def hit_rate_at_k(ranks: np.ndarray, k: int = 10) -> float:
    """Return the fraction of ranks that are at most k (HR@k)."""
    ranks = np.asarray(ranks)
    if ranks.size == 0:
        raise ValueError("ranks is empty; HR@k is undefined.")
    return float(np.mean(ranks <= k))


def ndcg_at_k(ranks: np.ndarray, k: int = 10) -> float:
    """Return the mean NDCG@k with one relevant item per list: 1 / log2(rank + 1) if rank <= k."""
    ranks = np.asarray(ranks, dtype=np.float64)
    if ranks.size == 0:
        raise ValueError("ranks is empty; NDCG@k is undefined.")
    gains = np.where(ranks <= k, 1.0 / np.log2(ranks + 1.0), 0.0)
    return float(np.mean(gains))


def _test_pairs(test_playlists, test_tracks) -> tuple[np.ndarray, np.ndarray]:
    return index_pairs(test_playlists, test_tracks, names=("test_playlists", "test_tracks"))


def _cell_keys(playlists: np.ndarray, tracks: np.ndarray, num_tracks: int) -> np.ndarray:
    return playlists.astype(np.int64) * num_tracks + tracks.astype(np.int64)


def _matrix_keys(matrix: sp.spmatrix) -> np.ndarray:
    """Return the sorted int64 keys ``playlist * num_tracks + track`` of the nonzero cells."""
    coo = sp.coo_matrix(matrix)
    nonzero = coo.data != 0
    keys = _cell_keys(coo.row[nonzero], coo.col[nonzero], matrix.shape[1])
    return np.unique(keys)


def _first_valid_draws(
    candidates: np.ndarray, excluded: np.ndarray, count: int
) -> tuple[np.ndarray, np.ndarray]:
    """Keep, per row, the first ``count`` candidates that are not excluded and not repeats.

    Draw order is kept, so the kept tracks are a uniform sample without replacement.

    Returns:
        ``(kept, complete)``: kept tracks of shape (rows, count), padded with -1, and a mask of
        the rows that reached ``count``.
    """
    rows, width = candidates.shape
    # Mark repeats. Sort each row stably, flag entries equal to their left neighbour, and map
    # the flags back to draw order.
    order = np.argsort(candidates, axis=1, kind="stable")
    sorted_candidates = np.take_along_axis(candidates, order, axis=1)
    repeat_sorted = np.zeros_like(sorted_candidates, dtype=bool)
    repeat_sorted[:, 1:] = sorted_candidates[:, 1:] == sorted_candidates[:, :-1]
    repeat = np.empty_like(repeat_sorted)
    np.put_along_axis(repeat, order, repeat_sorted, axis=1)

    valid = ~excluded & ~repeat
    position = np.cumsum(valid, axis=1)
    keep = valid & (position <= count)
    complete = position[:, -1] >= count

    kept = np.full((rows, count), -1, dtype=np.int64)
    row_index, column_index = np.nonzero(keep)
    kept[row_index, position[row_index, column_index] - 1] = candidates[row_index, column_index]
    return kept, complete


def sample_negatives(
    test_playlists: np.ndarray,
    test_tracks: np.ndarray,
    known_matrix: sp.spmatrix,
    num_negatives: int = 100,
    seed: int = 0,
) -> np.ndarray:
    """Draw distinct negative tracks for each held-out positive.

    Negatives are drawn uniformly, without replacement, from the tracks that are neither a
    nonzero of the playlist's row in ``known_matrix`` nor the positive track itself. Draws are
    vectorised: candidates are drawn with replacement, excluded tracks and repeats are dropped
    and the first ``num_negatives`` survivors kept. Rows still short after a few rounds draw
    from the explicit list of their allowed tracks.

    Args:
        test_playlists: Playlist of each positive, shape (n,).
        test_tracks: Track of each positive, shape (n,).
        known_matrix: Every known positive (training, validation and test), shape
            (num_playlists, num_tracks).
        num_negatives: Negatives per positive.
        seed: Seed of the numpy Generator; the same inputs and seed give the same negatives.

    Returns:
        int64 array (n, num_negatives). Where a playlist has fewer than ``num_negatives``
        allowed tracks, its row keeps all of them and is padded with -1.
    """
    test_playlists, test_tracks = _test_pairs(test_playlists, test_tracks)
    if num_negatives < 1:
        raise ValueError(f"num_negatives must be positive, got {num_negatives}.")
    num_tracks = known_matrix.shape[1]
    known_keys = _matrix_keys(known_matrix)
    rng = np.random.default_rng(seed)

    negatives = np.full((test_playlists.size, num_negatives), -1, dtype=np.int64)
    pending = np.arange(test_playlists.size)
    width = num_negatives + max(10, num_negatives // 5)
    for _ in range(_MAX_DRAW_ROUNDS):
        if pending.size == 0:
            break
        candidates = rng.integers(0, num_tracks, size=(pending.size, width), dtype=np.int64)
        playlists = test_playlists[pending, None]
        excluded = np.isin(_cell_keys(playlists, candidates, num_tracks), known_keys)
        excluded |= candidates == test_tracks[pending, None]
        kept, complete = _first_valid_draws(candidates, excluded, num_negatives)
        negatives[pending[complete]] = kept[complete]
        pending = pending[~complete]
        width *= 4

    # Playlists that contain most of the catalogue: sample from their allowed tracks directly.
    short_rows = 0
    known_csr = sp.csr_matrix(known_matrix)
    for row in pending:
        known_tracks = known_csr.indices[
            known_csr.indptr[test_playlists[row]] : known_csr.indptr[test_playlists[row] + 1]
        ]
        allowed = np.ones(num_tracks, dtype=bool)
        allowed[known_tracks] = False
        allowed[test_tracks[row]] = False
        allowed_tracks = np.flatnonzero(allowed)
        size = min(num_negatives, allowed_tracks.size)
        negatives[row, :size] = rng.choice(allowed_tracks, size=size, replace=False)
        short_rows += size < num_negatives
    if short_rows:
        logger.warning(
            "%d of %d positives have fewer than %d allowed negative tracks; their rows are "
            "padded with -1.",
            short_rows,
            test_playlists.size,
            num_negatives,
        )
    return negatives


def sampled_ranking(
    score_pairs: ScorePairs,
    test_playlists: np.ndarray,
    test_tracks: np.ndarray,
    known_matrix: sp.spmatrix,
    num_negatives: int = 100,
    k: int = 10,
    seed: int = 0,
    batch_size: int = 1_000_000,
) -> dict:
    """Evaluate HR@k and NDCG@k with sampled negatives, as in the NCF paper.

    Args:
        score_pairs: ``score_pairs(playlists, tracks) -> scores`` for parallel index arrays;
            higher means more likely in the playlist.
        test_playlists: Playlist of each held-out positive, shape (n,).
        test_tracks: Track of each held-out positive, shape (n,).
        known_matrix: Every known positive of every playlist (training, validation and test);
            negatives are drawn outside it.
        num_negatives: Negatives per positive.
        k: Cut-off of HR and NDCG.
        seed: Seed of the negative draws.
        batch_size: Pairs passed to ``score_pairs`` per call.

    Returns:
        A dict with ``hit_rate`` and ``ndcg`` (means), ``ranks`` (int64, per positive), ``k``,
        ``num_negatives``, ``num_positives`` and ``seed``.
    """
    test_playlists, test_tracks = _test_pairs(test_playlists, test_tracks)
    negatives = sample_negatives(test_playlists, test_tracks, known_matrix, num_negatives, seed)

    # Score the positive and its negatives together: column 0 is the positive.
    tracks = np.concatenate([test_tracks[:, None], negatives], axis=1)
    playlists = np.broadcast_to(test_playlists[:, None], tracks.shape)
    padding = tracks < 0
    flat_tracks = np.where(padding, 0, tracks).ravel()
    flat_playlists = np.ascontiguousarray(playlists).ravel()
    scores = np.empty(flat_tracks.size, dtype=np.float64)
    for start in range(0, flat_tracks.size, batch_size):
        stop = start + batch_size
        scores[start:stop] = np.asarray(
            score_pairs(flat_playlists[start:stop], flat_tracks[start:stop])
        ).ravel()
    scores = scores.reshape(tracks.shape)
    scores[padding] = -np.inf

    ranks = rank_against_negatives(scores[:, 0], scores[:, 1:])
    result = {
        "hit_rate": hit_rate_at_k(ranks, k),
        "ndcg": ndcg_at_k(ranks, k),
        "ranks": ranks,
        "k": k,
        "num_negatives": num_negatives,
        "num_positives": int(ranks.size),
        "seed": seed,
    }
    logger.info(
        "Sampled ranking on %d positives: HR@%d %.4f, NDCG@%d %.4f.",
        ranks.size,
        k,
        result["hit_rate"],
        k,
        result["ndcg"],
    )
    return result


# ---------------------------------------------------------------------------------------------
# Full-catalogue ranking (RecSys Challenge 2018 protocol)
# ---------------------------------------------------------------------------------------------
#
# Sources for the definitions: the challenge rules page, https://recsys-challenge.spotify.com/rules
# (read through a copy of its text, whose formula images were missing), and the organisers'
# metrics module ("Metrics for the 2018 RecSys Challenge", Spotify AB, 2017). With G the
# held-out tracks and R the ranked list of at most 500 tracks:
#   R-precision = |G ∩ R[:|G|]| / |G|.
#   DCG = rel_1 + sum_{i=2}^{|R|} rel_i / log2(i), the rules page's discount. The organisers'
#     module discounts every position by 1 / log2(i + 1) instead.
#   IDCG: the rules page says it is 0 when G ∩ R is empty, which means its sum runs to |G ∩ R|.
#     Then one hit at position 1 scores 1.0 whatever |G| is, so the default here runs the sum to
#     min(|G|, |R| cut-off), as the organisers' module does; ideal_length="intersection" gives
#     the rules page's version.
#   Clicks = floor((position of the first relevant track - 1) / 10), or 51 (= 500 / 10 + 1)
#     when no relevant track is in R.


def _position_discounts(length: int) -> np.ndarray:
    """Return the discounts of positions 1..length: 1, then 1 / log2(i) for i >= 2."""
    positions = np.arange(1, length + 1, dtype=np.float64)
    discounts = np.ones(length)
    discounts[1:] = 1.0 / np.log2(positions[1:])
    return discounts


def _metrics_from_hits(
    hits: np.ndarray, num_relevant: np.ndarray, top_n: int, ideal_length: str
) -> dict[str, np.ndarray]:
    """Compute the challenge metrics for a batch of ranked lists.

    Args:
        hits: Bool (lists, top_n); ``hits[i, j]`` is whether list i's track at position j + 1
            is relevant. Padding positions must be False.
        num_relevant: |G| of each list, shape (lists,), all positive.
        top_n: Length of the full list, which sets the no-hit click value top_n // 10 + 1.
        ideal_length: ``"relevant"`` or ``"intersection"``; see the comment above.

    Returns:
        Per-list arrays ``r_precision``, ``ndcg`` and ``clicks``.
    """
    if ideal_length not in ("relevant", "intersection"):
        raise ValueError(
            f"ideal_length must be 'relevant' or 'intersection', got {ideal_length!r}."
        )
    rows, width = hits.shape
    positions = np.arange(width)

    in_first_g = positions[None, :] < num_relevant[:, None]
    r_precision = (hits & in_first_g).sum(axis=1) / num_relevant

    discounts = _position_discounts(width)
    cumulative_discounts = np.concatenate([[0.0], np.cumsum(discounts)])
    dcg = hits.astype(np.float64) @ discounts
    if ideal_length == "relevant":
        ideal_count = np.minimum(num_relevant, width)
    else:
        ideal_count = hits.sum(axis=1)
    idcg = cumulative_discounts[ideal_count]
    ndcg = np.divide(dcg, idcg, out=np.zeros(rows), where=idcg > 0)

    any_hit = hits.any(axis=1)
    first_hit = np.argmax(hits, axis=1)
    clicks = np.where(any_hit, first_hit // 10, top_n // 10 + 1).astype(np.int64)
    return {"r_precision": r_precision, "ndcg": ndcg, "clicks": clicks}


def _single_list_hits(
    recommended: Sequence[int], relevant: Sequence[int], top_n: int
) -> tuple[np.ndarray, np.ndarray]:
    """Return the hit row and |G| of one list, truncated to top_n and without repeats."""
    relevant = np.unique(np.asarray(relevant, dtype=np.int64))
    if relevant.size == 0:
        raise ValueError("relevant is empty; the challenge metrics are undefined without G.")
    recommended = np.asarray(recommended, dtype=np.int64).ravel()[:top_n]
    # Keep the first occurrence of each track, as the organisers' module does.
    _, first = np.unique(recommended, return_index=True)
    recommended = recommended[np.sort(first)]
    hits = np.zeros((1, top_n), dtype=bool)
    hits[0, : recommended.size] = np.isin(recommended, relevant)
    return hits, np.array([relevant.size])


def r_precision(recommended: Sequence[int], relevant: Sequence[int]) -> float:
    """Compute track-level R-precision, |G ∩ R[:|G|]| / |G|.

    Args:
        recommended: Ranked track list R, best first.
        relevant: Held-out tracks G of the playlist.
    """
    recommended = np.asarray(recommended)
    top_n = max(recommended.size, 1)
    hits, num_relevant = _single_list_hits(recommended, relevant, top_n)
    return float(_metrics_from_hits(hits, num_relevant, top_n, "relevant")["r_precision"][0])


def challenge_ndcg(
    recommended: Sequence[int],
    relevant: Sequence[int],
    top_n: int = 500,
    ideal_length: str = "relevant",
) -> float:
    """Compute the challenge's NDCG: DCG = rel_1 + sum_{i>=2} rel_i / log2(i), over IDCG.

    Args:
        recommended: Ranked track list R, best first; truncated to ``top_n``.
        relevant: Held-out tracks G of the playlist.
        top_n: Length cut-off of R.
        ideal_length: ``"relevant"`` sums the IDCG over min(|G|, top_n) positions;
            ``"intersection"`` sums it over |G ∩ R| positions, as the rules page does, and
            returns 0 when there is no hit.
    """
    hits, num_relevant = _single_list_hits(recommended, relevant, top_n)
    return float(_metrics_from_hits(hits, num_relevant, top_n, ideal_length)["ndcg"][0])


def recommended_songs_clicks(
    recommended: Sequence[int], relevant: Sequence[int], top_n: int = 500
) -> int:
    """Count the refreshes of 10 tracks before the first relevant track appears.

    Returns:
        floor((position of the first relevant track - 1) / 10), or top_n // 10 + 1 (51 for
        500) if no relevant track is in the first ``top_n``.
    """
    hits, num_relevant = _single_list_hits(recommended, relevant, top_n)
    return int(_metrics_from_hits(hits, num_relevant, top_n, "relevant")["clicks"][0])


def top_n_tracks(scores: np.ndarray, top_n: int) -> np.ndarray:
    """Return each row's top_n column indices, best first, with ties going to the lower index.

    Entries of ``-inf`` are never returned; rows with fewer than ``top_n`` finite scores are
    padded with -1 at the end.

    Args:
        scores: Shape (rows, num_tracks).
        top_n: List length.

    Returns:
        int64 array (rows, min(top_n, num_tracks)).
    """
    scores = np.asarray(scores)
    if np.isnan(scores).any():
        raise ValueError("Scores contain NaN; the ranking would be undefined.")
    rows, num_tracks = scores.shape
    top_n = min(top_n, num_tracks)
    if top_n == 0 or rows == 0:
        return np.empty((rows, top_n), dtype=np.int64)

    # The top_n-th largest score of each row. Everything above it is selected; of the tracks
    # equal to it, the lowest indices fill the remaining places, so ties are deterministic.
    threshold = -np.partition(-scores, top_n - 1, axis=1)[:, top_n - 1 : top_n]
    above = scores > threshold
    equal = scores == threshold
    places_left = top_n - above.sum(axis=1, keepdims=True)
    selected = above | (equal & (np.cumsum(equal, axis=1) <= places_left))
    selected &= scores != -np.inf

    row_index, track_index = np.nonzero(selected)
    selected_scores = scores[row_index, track_index]
    # Sort by row, then score descending, then track index ascending.
    order = np.lexsort((track_index, -selected_scores, row_index))
    row_index = row_index[order]
    track_index = track_index[order]
    counts = np.bincount(row_index, minlength=rows)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    position = np.arange(row_index.size) - starts[row_index]

    ranked = np.full((rows, top_n), -1, dtype=np.int64)
    ranked[row_index, position] = track_index
    return ranked


def full_catalogue_ranking(
    score_playlists: ScorePlaylists,
    train_matrix: sp.spmatrix,
    test_playlists: np.ndarray,
    test_tracks: np.ndarray,
    max_playlists: int | None = 1000,
    top_n: int = 500,
    seed: int = 0,
    batch_size: int = 128,
    ideal_length: str = "relevant",
) -> dict:
    """Evaluate R-precision, NDCG and recommended-songs clicks over the whole track catalogue.

    For each evaluated playlist every track is scored, the playlist's training tracks are
    removed, and the top ``top_n`` tracks form R (ties go to the lower track index). G is the
    playlist's set of held-out test tracks. Metrics are track-level only; the challenge's
    partial credit for matching artists is not applied.

    Args:
        score_playlists: ``score_playlists(playlists) -> scores`` of shape
            (len(playlists), num_tracks); higher means more likely in the playlist.
        train_matrix: Training positives, playlist x track.
        test_playlists: Playlist of each held-out positive, shape (n,).
        test_tracks: Track of each held-out positive, shape (n,).
        max_playlists: How many playlists with held-out positives to evaluate, drawn without
            replacement with ``seed``; None evaluates all of them.
        top_n: Length of R.
        seed: Seed of the playlist draw.
        batch_size: Playlists scored per ``score_playlists`` call.
        ideal_length: IDCG length, ``"relevant"`` (min(|G|, top_n)) or ``"intersection"``
            (|G ∩ R|, as the rules page words it).

    Returns:
        A dict with the means ``r_precision``, ``ndcg`` and ``clicks``; the per-playlist arrays
        ``playlists`` (sorted), ``num_relevant``, ``r_precision_per_playlist``,
        ``ndcg_per_playlist`` and ``clicks_per_playlist``; and ``top_n``, ``seed`` and
        ``ideal_length``.
    """
    train_csr = sp.csr_matrix(train_matrix)
    num_playlists, num_tracks = train_csr.shape
    test_playlists, test_tracks = _test_pairs(test_playlists, test_tracks)
    if test_playlists.size == 0:
        raise ValueError("There are no held-out positives to evaluate.")

    candidates = np.unique(test_playlists)
    rng = np.random.default_rng(seed)
    if max_playlists is not None and candidates.size > max_playlists:
        playlists = np.sort(rng.choice(candidates, size=max_playlists, replace=False))
    else:
        playlists = candidates

    test_keys = np.unique(_cell_keys(test_playlists, test_tracks, num_tracks))
    num_relevant = np.bincount(test_keys // num_tracks, minlength=num_playlists)[playlists]

    per_playlist = {"r_precision": [], "ndcg": [], "clicks": []}
    for start in range(0, playlists.size, batch_size):
        block = playlists[start : start + batch_size]
        scores = np.array(score_playlists(block), dtype=np.float64)
        if scores.shape != (block.size, num_tracks):
            raise ValueError(
                f"score_playlists returned shape {scores.shape}, expected "
                f"({block.size}, {num_tracks})."
            )
        training = train_csr[block]
        training_rows = np.repeat(np.arange(block.size), np.diff(training.indptr))
        scores[training_rows, training.indices] = -np.inf

        ranked = top_n_tracks(scores, top_n)
        hits = np.isin(_cell_keys(block[:, None], ranked, num_tracks), test_keys) & (ranked >= 0)
        block_metrics = _metrics_from_hits(
            hits, num_relevant[start : start + block.size], top_n, ideal_length
        )
        for name, values in block_metrics.items():
            per_playlist[name].append(values)

    per_playlist = {name: np.concatenate(values) for name, values in per_playlist.items()}
    result = {
        "r_precision": float(per_playlist["r_precision"].mean()),
        "ndcg": float(per_playlist["ndcg"].mean()),
        "clicks": float(per_playlist["clicks"].mean()),
        "playlists": playlists,
        "num_relevant": num_relevant,
        "r_precision_per_playlist": per_playlist["r_precision"],
        "ndcg_per_playlist": per_playlist["ndcg"],
        "clicks_per_playlist": per_playlist["clicks"],
        "top_n": top_n,
        "seed": seed,
        "ideal_length": ideal_length,
    }
    logger.info(
        "Full-catalogue ranking on %d playlists: R-precision %.4f, NDCG %.4f, clicks %.2f.",
        playlists.size,
        result["r_precision"],
        result["ndcg"],
        result["clicks"],
    )
    return result

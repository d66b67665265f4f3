"""Re-creation of the reference notebook's batch generators, for benchmarking only.

NOTE: nothing in the report uses this module. It re-creates, from a description of what
the reference did for each batch, the cost of its training and validation generators, so
that ``bench/run_benchmarks.py`` can time them against
:class:`nncf_helpers.sampling.BalancedSampler` and ``nncf_helpers.training.train`` on the
same data. It keeps the reference's method, flaws included:

* Held-out cells are marked with the value 2 in a copy of the track x playlist matrix,
  stored as CSC like the reference's.
* Every training batch lists all stored cells of that whole matrix with
  ``scipy.sparse.find``, keeps the ones, and draws ones from them with replacement.
* Zeros come from twice as many uniform random cells as needed, read by fancy indexing
  the CSC matrix, keeping those whose value is 0. A batch ends up short of zeros when
  fewer than half of the candidates are zeros.
* Targets are one-hot encoded with scikit-learn's ``OneHotEncoder``.
* The validation generator draws a fresh class-balanced sample of the validation cells,
  with replacement, for every batch.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import scipy.sparse as sp
from sklearn.preprocessing import OneHotEncoder

from nncf_helpers.splits import Split

HELD_OUT_VALUE = 2


def masked_matrix(split: Split) -> sp.csc_matrix:
    """Build the track x playlist CSC matrix with ones as 1 and every held-out cell as 2."""
    held_out = split.held_out_keys()
    keys = np.concatenate([split.positive_keys, held_out])
    values = np.concatenate([
        np.ones(len(split.positive_keys), dtype=np.int8),
        np.full(len(held_out), HELD_OUT_VALUE, dtype=np.int8),
    ])
    # A held-out one is listed twice; keep its held-out value, as the reference's
    # assignment of 2 overwrote the 1.
    order = np.argsort(keys, kind="stable")
    keys = keys[order]
    values = values[order]
    last = np.ones(len(keys), dtype=bool)
    last[:-1] = keys[1:] != keys[:-1]
    keys = keys[last]
    values = values[last]
    tracks, playlists = np.divmod(keys, split.num_playlists)
    return sp.csc_matrix(
        (values, (tracks.astype(np.int32), playlists.astype(np.int32))),
        shape=(split.num_tracks, split.num_playlists),
    )


def _encoder() -> OneHotEncoder:
    return OneHotEncoder(categories="auto").fit(np.array([[0.0], [1.0]]))


def training_batches(masked: sp.csc_matrix, rng: np.random.Generator, batch_size: int = 20_000,
                     balance_ratio: float = 0.5) -> Iterator[tuple[tuple, np.ndarray]]:
    """Yield ``((playlists, tracks), targets)`` training batches forever, as the reference did.

    The reference yielded the inputs as a list; Keras 3 needs a tuple from a generator.
    """
    encoder = _encoder()
    num_tracks, num_playlists = masked.shape
    num_ones = int(np.ceil(batch_size * balance_ratio))
    num_zeros = batch_size - num_ones
    while True:
        tracks, playlists, values = sp.find(masked)
        is_one = values == 1
        tracks = tracks[is_one]
        playlists = playlists[is_one]
        chosen = rng.choice(len(tracks), num_ones)
        one_tracks = tracks[chosen]
        one_playlists = playlists[chosen]
        candidate_tracks = rng.choice(num_tracks, 2 * num_zeros)
        candidate_playlists = rng.choice(num_playlists, 2 * num_zeros)
        candidate_values = np.asarray(masked[candidate_tracks, candidate_playlists]).reshape(-1)
        is_zero = candidate_values == 0
        zero_tracks = candidate_tracks[is_zero][:num_zeros]
        zero_playlists = candidate_playlists[is_zero][:num_zeros]
        labels = np.concatenate([np.ones((num_ones, 1)), np.zeros((len(zero_tracks), 1))])
        targets = encoder.transform(labels).toarray()
        yield ((np.concatenate([one_playlists, zero_playlists]),
                np.concatenate([one_tracks, zero_tracks])), targets)


def validation_batches(split: Split, rng: np.random.Generator, batch_size: int = 10_000,
                       balance_ratio: float = 0.5) -> Iterator[tuple[tuple, np.ndarray]]:
    """Yield class-balanced ``((playlists, tracks), targets)`` samples of validation cells."""
    encoder = _encoder()
    ones = split.validation_keys[split.validation_labels == 1]
    zeros = split.validation_keys[split.validation_labels == 0]
    num_ones = int(batch_size * balance_ratio)
    num_zeros = batch_size - num_ones
    while True:
        keys = np.concatenate([
            ones[rng.choice(len(ones), num_ones)],
            zeros[rng.choice(len(zeros), num_zeros)],
        ])
        playlists, tracks = split.decode(keys)
        labels = np.concatenate([np.ones(num_ones), np.zeros(num_zeros)]).reshape(-1, 1)
        yield (playlists, tracks), encoder.transform(labels).toarray()

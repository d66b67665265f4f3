"""Hold out track-playlist cells for validation and test.

A cell is one (track, playlist) pair of the track x playlist matrix, whatever its value.
Cells are stored as int64 keys ``track * num_playlists + playlist``, sorted, which is
compact and makes membership a binary search.

The reference drew its held-out cells with replacement, so a cell could appear twice and
in both validation and test. Here the held-out cells are distinct, validation and test
are disjoint, and both are removed from training: neither a held-out one nor a held-out
zero is ever trained on.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from nncf_helpers.artifacts import read_npz, write_json, write_npz
from nncf_helpers.seeding import SPLIT, rng_for
from nncf_helpers.subsets import Subset


@dataclass
class Split:
    """Held-out cells of a track x playlist matrix.

    Attributes:
        num_tracks, num_playlists: Shape of the matrix.
        positive_keys: Sorted keys of every one in the matrix, held-out ones included.
        validation_keys, test_keys: Sorted keys of the held-out cells.
        validation_labels, test_labels: 1 where the held-out cell is a one, else 0.
    """

    num_tracks: int
    num_playlists: int
    positive_keys: np.ndarray
    validation_keys: np.ndarray
    validation_labels: np.ndarray
    test_keys: np.ndarray
    test_labels: np.ndarray

    @property
    def num_cells(self) -> int:
        return self.num_tracks * self.num_playlists

    def decode(self, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Turn keys into ``(playlists, tracks)`` int32 index arrays."""
        tracks, playlists = np.divmod(keys, self.num_playlists)
        return playlists.astype(np.int32), tracks.astype(np.int32)

    def held_out_keys(self) -> np.ndarray:
        """Sorted keys of every held-out cell, validation and test together."""
        return unique_sorted(np.concatenate([self.validation_keys, self.test_keys]))

    def training_positive_keys(self) -> np.ndarray:
        """Sorted keys of the ones left for training."""
        return _difference_sorted(self.positive_keys, self.held_out_keys())

    def training_matrix(self) -> sp.csr_matrix:
        """Playlist x track CSR matrix of the training ones (held-out cells removed)."""
        playlists, tracks = self.decode(self.training_positive_keys())
        data = np.ones(len(tracks), dtype=np.float32)
        return sp.csr_matrix(
            (data, (playlists, tracks)), shape=(self.num_playlists, self.num_tracks)
        )

    def require_ones(self) -> None:
        """Raise ValueError if training, validation or test contains no one.

        Without ones in training there is nothing to learn, and without ones in a
        held-out set the class-balanced samples and ROC AUC are undefined.
        """
        summary = self.summary()
        for name in ("training", "validation", "test"):
            if summary[name]["ones"] == 0:
                raise ValueError(
                    f"The {name} set contains no ones ({summary[name]['cells']:,} cells), so the "
                    "model cannot be trained or judged. Use more playlists (MAX_PLAYLISTS) or "
                    "a larger HOLDOUT_FRACTION."
                )

    def summary(self) -> dict:
        """Cell counts, density and class ratio of the whole matrix and of each set."""
        train_positives = len(self.positive_keys) - int(self.validation_labels.sum()) - int(
            self.test_labels.sum()
        )
        train_cells = self.num_cells - len(self.validation_keys) - len(self.test_keys)

        def describe(cells, ones):
            return {"cells": int(cells), "ones": int(ones),
                    "share_of_ones": float(ones / cells) if cells else float("nan")}

        return {
            "tracks": self.num_tracks,
            "playlists": self.num_playlists,
            "all": describe(self.num_cells, len(self.positive_keys)),
            "training": describe(train_cells, train_positives),
            "validation": describe(len(self.validation_keys), self.validation_labels.sum()),
            "test": describe(len(self.test_keys), self.test_labels.sum()),
        }


def index_pairs(
    playlists, tracks, names: tuple[str, str] = ("playlists", "tracks")
) -> tuple[np.ndarray, np.ndarray]:
    """Convert (playlist, track) index pairs to two flat int64 arrays of equal length.

    Raises:
        ValueError: The two lengths differ. ``names`` name the arguments in the message.
    """
    playlists = np.asarray(playlists, dtype=np.int64).ravel()
    tracks = np.asarray(tracks, dtype=np.int64).ravel()
    if playlists.shape != tracks.shape:
        raise ValueError(
            f"{names[0]} and {names[1]} must have the same length, got {playlists.size} and "
            f"{tracks.size}."
        )
    return playlists, tracks


def positive_keys_of(matrix: sp.spmatrix) -> np.ndarray:
    """Sorted keys of the nonzero cells of a track x playlist matrix."""
    coo = sp.coo_matrix(matrix)
    keys = coo.row.astype(np.int64) * matrix.shape[1] + coo.col.astype(np.int64)
    return unique_sorted(keys)


def unique_sorted(keys: np.ndarray) -> np.ndarray:
    """Sorted distinct values of ``keys``.

    NOTE: ``np.unique`` in numpy 2.4 took 22 s on 19 million int64 keys on a 2-core
    machine, against 0.6 s for this sort and mask.
    """
    keys = np.sort(keys)
    if len(keys) == 0:
        return keys
    first = np.empty(len(keys), dtype=bool)
    first[0] = True
    np.not_equal(keys[1:], keys[:-1], out=first[1:])
    return keys[first]


def contains_sorted(sorted_keys: np.ndarray, keys: np.ndarray) -> np.ndarray:
    """Boolean mask of which ``keys`` occur in the sorted array ``sorted_keys``."""
    keys = np.asarray(keys, dtype=np.int64)
    if len(sorted_keys) == 0 or len(keys) == 0:
        return np.zeros(len(keys), dtype=bool)
    # Binary searches for sorted queries walk memory in order, several times faster.
    order = None
    if np.any(keys[1:] < keys[:-1]):
        order = np.argsort(keys, kind="stable")
        keys = keys[order]
    positions = np.searchsorted(sorted_keys, keys)
    positions[positions == len(sorted_keys)] = len(sorted_keys) - 1
    found = sorted_keys[positions] == keys
    if order is None:
        return found
    mask = np.empty(len(keys), dtype=bool)
    mask[order] = found
    return mask


def _difference_sorted(sorted_keys: np.ndarray, remove: np.ndarray) -> np.ndarray:
    return sorted_keys[~contains_sorted(remove, sorted_keys)]


def split_cells(matrix: sp.spmatrix, holdout_fraction: float = 0.05, seed: int = 0) -> Split:
    """Hold out ``holdout_fraction`` of all cells, half for validation and half for test.

    Distinct cells are drawn uniformly: keys are drawn with replacement until enough
    distinct ones exist, and a uniform random subset of the distinct keys of the right
    size is kept, which is a uniform sample without replacement.

    Args:
        matrix: Binary track x playlist matrix.
        holdout_fraction: Share of all cells held out, in (0, 0.5].
        seed: Seed of every random choice of the split.

    Raises:
        ValueError: The fraction is out of range or contains fewer than two cells.
    """
    if not 0.0 < holdout_fraction <= 0.5:
        raise ValueError(f"holdout_fraction={holdout_fraction!r} is outside (0, 0.5].")
    num_tracks, num_playlists = matrix.shape
    num_cells = num_tracks * num_playlists
    num_held_out = int(num_cells * holdout_fraction)
    if num_held_out < 2:
        raise ValueError(
            f"holdout_fraction={holdout_fraction} of {num_cells} cells holds out "
            f"{num_held_out}; at least 2 are needed (one validation, one test cell). Use more "
            "playlists (MAX_PLAYLISTS) or a larger HOLDOUT_FRACTION."
        )
    rng = rng_for(seed, SPLIT)
    chosen = np.empty(0, dtype=np.int64)
    while len(chosen) < num_held_out:
        missing = num_held_out - len(chosen)
        draws = rng.integers(0, num_cells, size=int(missing * 1.05) + 64, dtype=np.int64)
        chosen = unique_sorted(np.concatenate([chosen, draws]))
    chosen = rng.permutation(chosen)[:num_held_out]
    num_test = num_held_out // 2
    test_keys = np.sort(chosen[:num_test])
    validation_keys = np.sort(chosen[num_test:])
    del chosen

    positive_keys = positive_keys_of(matrix)
    return Split(
        num_tracks=num_tracks,
        num_playlists=num_playlists,
        positive_keys=positive_keys,
        validation_keys=validation_keys,
        validation_labels=contains_sorted(positive_keys, validation_keys).astype(np.int8),
        test_keys=test_keys,
        test_labels=contains_sorted(positive_keys, test_keys).astype(np.int8),
    )


def save_split(folder: str | Path, split: Split) -> Path:
    """Write the split to ``folder/split.npz``."""
    return write_npz(
        Path(folder) / "split.npz",
        shape=np.array([split.num_tracks, split.num_playlists], dtype=np.int64),
        positive_keys=split.positive_keys,
        validation_keys=split.validation_keys,
        validation_labels=split.validation_labels,
        test_keys=split.test_keys,
        test_labels=split.test_labels,
    )


def load_split(folder: str | Path) -> Split:
    """Read ``folder/split.npz``."""
    arrays = read_npz(Path(folder) / "split.npz")
    num_tracks, num_playlists = (int(value) for value in arrays["shape"])
    return Split(
        num_tracks=num_tracks,
        num_playlists=num_playlists,
        positive_keys=arrays["positive_keys"],
        validation_keys=arrays["validation_keys"],
        validation_labels=arrays["validation_labels"],
        test_keys=arrays["test_keys"],
        test_labels=arrays["test_labels"],
    )


def save_tables(folder: str | Path, subset: Subset) -> tuple[Path, Path]:
    """Write the subset's track and playlist tables as JSON (names kept as UTF-8)."""
    folder = Path(folder)
    tracks = write_json(
        folder / "tracks.json",
        {"track_uri": subset.track_uris, "track_name": subset.track_names,
         "artist_name": subset.track_artists},
    )
    playlists = write_json(
        folder / "playlists.json",
        {"pid": [int(pid) for pid in subset.playlist_pids], "name": subset.playlist_names},
    )
    return tracks, playlists


def load_tables(folder: str | Path) -> tuple[dict, dict]:
    """Read the track and playlist tables written by :func:`save_tables`."""
    folder = Path(folder)
    tracks = json.loads((folder / "tracks.json").read_text(encoding="utf-8"))
    playlists = json.loads((folder / "playlists.json").read_text(encoding="utf-8"))
    return tracks, playlists

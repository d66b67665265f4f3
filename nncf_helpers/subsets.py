"""The two datasets of the experiment: a seed-track subset and a random subset of playlists.

``seed-track`` takes playlists that contain one seed track (by default the track in the
most playlists) and ``random`` takes playlists uniformly at random. Both keep only the
tracks that occur in the playlists taken, in their original order.
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from nncf_helpers.mpd import MPDData
from nncf_helpers.seeding import SUBSET, rng_for

logger = logging.getLogger(__name__)

DATASETS = ("seed-track", "random")


class SubsetWarning(UserWarning):
    """A subset contains fewer playlists than requested."""


@dataclass
class Subset:
    """Playlists taken from an :class:`MPDData`, with the tracks they contain.

    Attributes:
        name: ``"seed-track"`` or ``"random"``.
        matrix: Binary track x playlist CSR matrix, int8.
        track_uris, track_names, track_artists: Track table, one row per matrix row.
        playlist_pids, playlist_names: Playlist table, one row per matrix column.
        available: Playlists that qualified (all playlists for ``random``).
        requested: Playlists asked for.
        seed_track_uri: Seed track of a ``seed-track`` subset, else ``None``.
    """

    name: str
    matrix: sp.csr_matrix
    track_uris: list[str]
    track_names: list[str]
    track_artists: list[str]
    playlist_pids: np.ndarray
    playlist_names: list[str]
    available: int
    requested: int
    seed_track_uri: str | None = None

    @property
    def num_tracks(self) -> int:
        return self.matrix.shape[0]

    @property
    def num_playlists(self) -> int:
        return self.matrix.shape[1]


def most_frequent_track(data: MPDData) -> str:
    """Return the URI of the track in the most playlists (the lowest index on a tie)."""
    counts = np.asarray(data.matrix.sum(axis=1)).ravel()
    return data.track_uris[int(np.argmax(counts))]


def make_subset(
    data: MPDData,
    name: str,
    max_playlists: int = 10_000,
    seed: int = 0,
    seed_track_uri: str | None = None,
) -> Subset:
    """Take the ``seed-track`` or ``random`` subset of ``data``.

    Args:
        data: Playlists read by :func:`nncf_helpers.mpd.read_mpd`.
        name: ``"seed-track"`` or ``"random"``.
        max_playlists: Playlists to take. When fewer qualify, all of them are taken and a
            :class:`SubsetWarning` reports it.
        seed: Seed of the uniform choice of playlists.
        seed_track_uri: Seed track for ``seed-track``; ``None`` or ``""`` takes the track in
            the most playlists.

    Raises:
        ValueError: Unknown ``name``, or a seed track that is in no playlist.
    """
    if name not in DATASETS:
        raise ValueError(f"Unknown dataset {name!r}; expected one of {DATASETS}.")
    if max_playlists < 1:
        raise ValueError(f"max_playlists={max_playlists} must be at least 1.")
    matrix = data.matrix.tocsr()
    chosen_uri = None
    if name == "seed-track":
        chosen_uri = seed_track_uri or most_frequent_track(data)
        try:
            row = data.track_uris.index(chosen_uri)
        except ValueError:
            raise ValueError(
                f"Seed track {chosen_uri!r} is in no playlist of the data read "
                f"({data.num_playlists} playlists). Pass a track URI that occurs in the data, "
                f"or leave SEED_TRACK_URI empty to use the most frequent track "
                f"({most_frequent_track(data)!r})."
            ) from None
        candidates = matrix.indices[matrix.indptr[row] : matrix.indptr[row + 1]]
        candidates = np.sort(candidates)
    else:
        candidates = np.arange(data.num_playlists)

    available = len(candidates)
    if available < max_playlists:
        warnings.warn(
            f"Dataset {name!r}: only {available} playlists are available, fewer than the "
            f"{max_playlists} requested; all {available} are used.",
            SubsetWarning,
            stacklevel=2,
        )
        columns = candidates
    else:
        rng = rng_for(seed, SUBSET)
        columns = np.sort(rng.choice(candidates, size=max_playlists, replace=False))

    sub = matrix[:, columns].tocsr()
    track_rows = np.flatnonzero(np.diff(sub.indptr) > 0)
    sub = sub[track_rows].tocsr()
    sub.sort_indices()
    logger.info("Subset %s: %d of %d playlists, %d tracks", name, len(columns), available,
                len(track_rows))
    return Subset(
        name=name,
        matrix=sub,
        track_uris=[data.track_uris[i] for i in track_rows],
        track_names=[data.track_names[i] for i in track_rows],
        track_artists=[data.track_artists[i] for i in track_rows],
        playlist_pids=data.playlist_pids[columns],
        playlist_names=[data.playlist_names[i] for i in columns],
        available=available,
        requested=max_playlists,
        seed_track_uri=chosen_uri,
    )

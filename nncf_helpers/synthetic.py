"""Synthetic playlists in the slice format of the Spotify Million Playlist Dataset (MPD).

The real MPD requires registration, so the report runs on this synthetic data by default. The
files follow the MPD layout: one JSON file per slice of playlists, named
``mpd.slice.<first pid>-<last pid>.json``, each an object with ``info`` and ``playlists``.
Every ``info`` object also has ``"synthetic": true`` and a ``description``, and the output
folder gets a ``README.md`` that states the seed and the arguments.

The playlists come from latent tastes so that collaborative filtering has structure to learn:

* Tracks are split into ``num_tastes`` contiguous blocks, one block per taste. Within a taste,
  track weights follow a Zipf law (weight of rank ``r`` is ``r ** -0.9``), so popularity has a
  long tail. Each taste has its own artists, and each artist has albums of up to 10 tracks.
* Each playlist draws a primary taste (popular tastes more often). A quarter of the playlists
  also mix in a second taste with 10-50 % of the primary taste's probability mass.
* Playlist lengths follow a log-normal distribution with median 49 and mean about 66, like the
  MPD, clipped to [5, 250]. Tracks are drawn from the taste weights without replacement, so
  the tracks of one playlist are distinct. A playlist longer than its tastes have tracks is
  topped up with random tracks from other tastes, which happens only when tastes are small.
* One hit track, the first track of taste 0, is never drawn by weight. Instead it is placed
  into a quarter of all playlists independently of their taste, or into more if that is needed
  to stay 5 % of the playlists ahead of every other track. It is the single most frequent
  track unless another track is in every playlist, so the playlists that contain the most
  frequent track form a large seed-track subset (3,000 playlists at the default size).

The output is a function of the arguments and the NumPy version only: with one NumPy version,
the same arguments give byte-identical files.
Playlist contents do not depend on ``playlists_per_slice``, which only changes how the
playlists are split into files.

Command line::

    python -m nncf_helpers.synthetic data/synthetic-mpd --playlists 12000 --seed 0
"""

from __future__ import annotations

import argparse
import logging
import math
import os
import shutil
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import msgspec
import numpy as np

logger = logging.getLogger(__name__)

MIN_PLAYLIST_LENGTH = 5
MAX_PLAYLIST_LENGTH = 250
# Log-normal length parameters: median exp(3.89) = 49 and mean exp(3.89 + 0.77**2 / 2) = 66.
LENGTH_LOG_MEDIAN = math.log(49.0)
LENGTH_LOG_SIGMA = 0.77
# Zipf exponent of the track weights within a taste and of the taste weights.
TRACK_ZIPF_EXPONENT = 0.9
TASTE_ZIPF_EXPONENT = 0.6
# Share of playlists that mix a second taste in, and the range of its share of the mass.
MIXED_PLAYLIST_SHARE = 0.25
SECOND_TASTE_MASS = (0.1, 0.5)
# Mass of the second taste in an unmixed playlist. It is small enough that its tracks are
# drawn only when the primary taste has too few tracks left to fill the playlist.
FALLBACK_TASTE_MASS = 1e-6
HIT_SHARE = 0.25
HIT_MARGIN_SHARE = 0.05
TRACKS_PER_ARTIST = 12
TRACKS_PER_ALBUM = 10
# Playlists are sampled in chunks of at most this many candidate (playlist, track) cells, so
# that memory stays bounded. The chunk size depends on the taste sizes only, so the random
# stream does not depend on the slice size.
SAMPLING_CHUNK_CELLS = 2_000_000
# modified_at is a midnight (UTC) between 2010-01-01 and 2017-11-01, skewed towards the end.
MODIFIED_AT_RANGE = (1_262_304_000, 1_509_494_400)
SECONDS_PER_DAY = 86_400
DESCRIPTION_SHARE = 0.05
GENERATED_ON = "synthetic data, no generation time recorded"
SLICE_VERSION = "v1"

_BASE62 = np.frombuffer(
    b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", dtype=np.uint8
)
_URI_LENGTH = 22

_GENRES = (
    "Indie Folk", "Synthwave", "Deep House", "Bluegrass", "Lo-Fi Beats", "Garage Rock",
    "Bossa Nova", "Dream Pop", "Drum and Bass", "Outlaw Country", "Neo Soul", "Post-Punk",
    "Chamber Pop", "Acid Jazz", "Trap", "Surf Rock", "Ambient", "Disco", "Americana",
    "Shoegaze", "Reggaeton", "Grunge", "Piano Ballads", "Funk", "Emo", "Dancehall",
    "Psych Rock", "Minimal Techno", "Gospel", "Britpop", "Trip-Hop", "Sea Shanties",
    "Honky Tonk", "Afrobeat", "Power Metal", "City Pop", "Delta Blues", "Eurodance",
    "K-Pop", "Baroque", "Ska", "Hyperpop", "Cumbia", "Swing",
)
_MOODS = (
    "chill", "late night", "summer", "road trip", "workout", "rainy day", "sunday morning",
    "party", "study", "throwback", "feel good", "cozy", "driving", "focus", "heartbreak",
)
_NAME_SUFFIXES = ("mix", "favorites", "jams", "essentials", "classics", "playlist", "vibes")
_ADJECTIVES = (
    "Golden", "Silver", "Electric", "Midnight", "Hollow", "Velvet", "Crimson", "Paper",
    "Neon", "Quiet", "Wild", "Broken", "Secret", "Lonely", "Burning", "Frozen", "Gentle",
    "Restless", "Distant", "Crystal", "Faded", "Sacred", "Lucky", "Heavy", "Tender",
    "Savage", "Northern", "Sleepy", "Bright", "Hidden", "Copper", "Endless", "Rusty",
    "Sweet", "Cosmic", "Little", "Painted", "Sunken", "Wandering", "Empty",
)
_NOUNS = (
    "Harbor", "Morning", "River", "Satellite", "Garden", "Highway", "Echo", "Lantern",
    "Mountain", "Ocean", "Window", "Shadow", "Signal", "Meadow", "Engine", "Mirror",
    "Thunder", "Horizon", "Compass", "Feather", "Anchor", "Comet", "Canyon", "Orchard",
    "Valley", "Island", "Station", "Bridge", "Letter", "Rocket", "Forest", "Summer",
    "Velocity", "Ember", "Tide", "Wolf", "Raven", "Fever", "Heart", "Parade",
)
_FIRST_NAMES = (
    "Ada", "Milo", "June", "Otis", "Ines", "Rafael", "Nora", "Theo", "Lena", "Caleb",
    "Mira", "Jonah", "Elsa", "Kofi", "Hana", "Diego", "Ruby", "Felix", "Amara", "Silas",
)
_LAST_NAMES = (
    "Marlow", "Okafor", "Lindqvist", "Reyes", "Calloway", "Novak", "Haddad", "Whitlock",
    "Moreau", "Tanaka", "Brennan", "Costa", "Albright", "Quinn", "Sorensen", "Vega",
)


@dataclass(frozen=True)
class _Catalogue:
    """Tracks, artists and albums, with the taste and weights of every track."""

    taste_names: list[str]
    taste_start: np.ndarray  # first track index of each taste
    taste_size: np.ndarray  # number of tracks of each taste
    track_weight: np.ndarray  # Zipf weight within the taste, normalised per taste
    track_artist: np.ndarray
    track_album: np.ndarray
    track_duration_ms: np.ndarray
    track_json: list[bytes]  # encoded track object without "pos" and without the "{"
    hit_track: int


@dataclass(frozen=True)
class _PlaylistTracks:
    """Track lists of all playlists as one flat array cut by offsets."""

    primary_taste: np.ndarray
    offsets: np.ndarray  # playlist i is tracks[offsets[i]:offsets[i + 1]]
    tracks: np.ndarray


def _check_int(name: str, value: object, minimum: int, maximum: int | None = None) -> int:
    allowed = f"[{minimum}, {maximum}]" if maximum is not None else f">= {minimum}"
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise ValueError(f"{name} must be an integer {allowed}, got {value!r}")
    if value < minimum or (maximum is not None and value > maximum):
        raise ValueError(f"{name} must be an integer {allowed}, got {value!r}")
    return int(value)


def _validate_arguments(
    num_playlists: object,
    num_tracks: object,
    num_tastes: object,
    playlists_per_slice: object,
    seed: object,
) -> tuple[int, int, int, int, int]:
    num_playlists = _check_int("num_playlists", num_playlists, 1)
    # A playlist without the hit needs MIN_PLAYLIST_LENGTH distinct tracks besides the hit.
    num_tracks = _check_int("num_tracks", num_tracks, MIN_PLAYLIST_LENGTH + 1)
    num_tastes = _check_int("num_tastes", num_tastes, 1, num_tracks)
    playlists_per_slice = _check_int("playlists_per_slice", playlists_per_slice, 1)
    seed = _check_int("seed", seed, 0)
    return num_playlists, num_tracks, num_tastes, playlists_per_slice, seed


def _make_uris(rng: np.random.Generator, count: int, kind: str) -> list[str]:
    """Draw ``count`` distinct URIs like ``spotify:<kind>:<22 base62 characters>``."""
    codes = _BASE62[rng.integers(0, len(_BASE62), size=(count, _URI_LENGTH))]
    ids = [row.tobytes().decode("ascii") for row in codes]
    # A repeat among 62**22 values is practically impossible, but it would merge two
    # tracks, so redraw any repeat.
    seen: set[str] = set()
    for index in range(count):
        while ids[index] in seen:
            codes = _BASE62[rng.integers(0, len(_BASE62), size=_URI_LENGTH)]
            ids[index] = codes.tobytes().decode("ascii")
        seen.add(ids[index])
    return [f"spotify:{kind}:{uri_id}" for uri_id in ids]


def _make_word_pairs(
    rng: np.random.Generator, count: int, first: Sequence[str], second: Sequence[str], form: str
) -> list[str]:
    """Return ``count`` distinct names that combine one word from each list.

    Names repeat the combinations with a " II", " III", ... suffix once all are used.
    """
    combinations = len(first) * len(second)
    order = rng.permutation(combinations)
    names = []
    for index in range(count):
        pair = int(order[index % combinations])
        name = form.format(first[pair // len(second)], second[pair % len(second)])
        round_number = index // combinations
        if round_number:
            name = f"{name} {_roman(round_number + 1)}"
        names.append(name)
    return names


def _roman(number: int) -> str:
    numerals = ((1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"),
                (50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I"))
    parts = []
    for value, numeral in numerals:
        count, number = divmod(number, value)
        parts.append(numeral * count)
    return "".join(parts)


def _taste_names(num_tastes: int) -> list[str]:
    names = []
    for taste in range(num_tastes):
        genre = _GENRES[taste % len(_GENRES)]
        round_number = taste // len(_GENRES)
        names.append(f"{genre} {_roman(round_number + 1)}" if round_number else genre)
    return names


def _build_catalogue(rng: np.random.Generator, num_tracks: int, num_tastes: int) -> _Catalogue:
    """Split the tracks into tastes and give them artists, albums, durations and names."""
    taste_size = np.full(num_tastes, num_tracks // num_tastes, dtype=np.int64)
    taste_size[: num_tracks % num_tastes] += 1
    taste_start = np.concatenate(([0], np.cumsum(taste_size)[:-1]))
    track_taste = np.repeat(np.arange(num_tastes), taste_size)
    track_rank = np.arange(num_tracks) - taste_start[track_taste]

    track_weight = (track_rank + 1.0) ** -TRACK_ZIPF_EXPONENT
    track_weight /= np.bincount(track_taste, weights=track_weight)[track_taste]

    # Artists and albums: within a taste, a random permutation deals the tracks out to the
    # taste's artists, and each artist's tracks fill albums of TRACKS_PER_ALBUM in turn.
    artists_per_taste = np.maximum(1, np.rint(taste_size / TRACKS_PER_ARTIST)).astype(np.int64)
    artist_start = np.concatenate(([0], np.cumsum(artists_per_taste)[:-1]))
    dealt = np.concatenate([rng.permutation(int(size)) for size in taste_size])
    local_artist = dealt % artists_per_taste[track_taste]
    track_artist = artist_start[track_taste] + local_artist
    album_number = (dealt // artists_per_taste[track_taste]) // TRACKS_PER_ALBUM
    album_key = track_artist * (num_tracks + 1) + album_number
    _, track_album = np.unique(album_key, return_inverse=True)
    num_artists = int(artists_per_taste.sum())
    num_albums = int(track_album.max()) + 1

    duration = rng.lognormal(mean=math.log(210_000.0), sigma=0.25, size=num_tracks)
    track_duration_ms = np.clip(np.rint(duration), 60_000, 600_000).astype(np.int64)

    track_uris = _make_uris(rng, num_tracks, "track")
    artist_uris = _make_uris(rng, num_artists, "artist")
    album_uris = _make_uris(rng, num_albums, "album")
    band_count = (num_artists + 1) // 2
    band_names = _make_word_pairs(rng, band_count, _ADJECTIVES, _NOUNS, "The {} {}s")
    person_names = _make_word_pairs(
        rng, num_artists - band_count, _FIRST_NAMES, _LAST_NAMES, "{} {}"
    )
    artist_names = [None] * num_artists
    artist_names[0::2] = band_names
    artist_names[1::2] = person_names
    album_names = _make_word_pairs(rng, num_albums, _NOUNS, _NOUNS, "{} and {}")
    track_word_a = rng.integers(0, len(_ADJECTIVES), size=num_tracks)
    track_word_b = rng.integers(0, len(_NOUNS), size=num_tracks)

    track_json = []
    for track in range(num_tracks):
        artist = int(track_artist[track])
        album = int(track_album[track])
        body = {
            "artist_name": artist_names[artist],
            "track_uri": track_uris[track],
            "artist_uri": artist_uris[artist],
            "track_name": f"{_ADJECTIVES[track_word_a[track]]} {_NOUNS[track_word_b[track]]}",
            "album_uri": album_uris[album],
            "duration_ms": int(track_duration_ms[track]),
            "album_name": album_names[album],
        }
        track_json.append(msgspec.json.encode(body)[1:])

    return _Catalogue(
        taste_names=_taste_names(num_tastes),
        taste_start=taste_start,
        taste_size=taste_size,
        track_weight=track_weight,
        track_artist=track_artist,
        track_album=track_album,
        track_duration_ms=track_duration_ms,
        track_json=track_json,
        hit_track=0,
    )


def _sample_lengths(rng: np.random.Generator, count: int, num_tracks: int) -> np.ndarray:
    lengths = np.rint(rng.lognormal(LENGTH_LOG_MEDIAN, LENGTH_LOG_SIGMA, size=count))
    # Without the hit there are num_tracks - 1 tracks to choose from.
    maximum = min(MAX_PLAYLIST_LENGTH, num_tracks - 1)
    return np.clip(lengths, MIN_PLAYLIST_LENGTH, maximum).astype(np.int64)


def _sample_tastes(
    rng: np.random.Generator, count: int, num_tastes: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Draw each playlist's primary taste, second taste and the second taste's mass."""
    taste_weight = np.arange(1, num_tastes + 1, dtype=np.float64) ** -TASTE_ZIPF_EXPONENT
    primary = rng.choice(num_tastes, size=count, p=taste_weight / taste_weight.sum())
    if num_tastes == 1:
        return primary, primary.copy(), np.zeros(count)
    second = (primary + 1 + rng.integers(0, num_tastes - 1, size=count)) % num_tastes
    mixed = rng.random(count) < MIXED_PLAYLIST_SHARE
    mass = np.where(mixed, rng.uniform(*SECOND_TASTE_MASS, size=count), FALLBACK_TASTE_MASS)
    return primary, second, mass


def _sample_chunk(
    rng: np.random.Generator,
    catalogue: _Catalogue,
    lengths: np.ndarray,
    primary: np.ndarray,
    second: np.ndarray,
    second_mass: np.ndarray,
) -> list[np.ndarray]:
    """Sample distinct tracks for a chunk of playlists, in the order they were drawn.

    Each candidate track gets the key ``Exp(1) / weight``, and a playlist takes its ``length``
    tracks with the smallest keys. In key order this matches drawing one track at a time by
    weight without replacement. The candidates of a playlist are the tracks of its primary and
    second taste, padded with zero-weight columns to the largest taste size.
    """
    width = int(catalogue.taste_size.max())
    column = np.arange(width)
    tastes = np.concatenate((primary[:, None], second[:, None]), axis=1)  # (rows, 2)
    valid = column[None, None, :] < catalogue.taste_size[tastes][:, :, None]
    track = np.where(valid, catalogue.taste_start[tastes][:, :, None] + column, 0)
    weight = np.where(valid, catalogue.track_weight[track], 0.0)
    weight[:, 1, :] *= second_mass[:, None]
    # The hit is placed into playlists separately, so it is never drawn here.
    weight[track == catalogue.hit_track] = 0.0

    track = track.reshape(len(lengths), 2 * width)
    weight = weight.reshape(len(lengths), 2 * width)
    keys = np.full(weight.shape, np.inf)
    noise = rng.exponential(size=weight.shape)
    np.divide(noise, weight, out=keys, where=weight > 0)
    # Only the smallest max(lengths) keys of a row matter, so partition before sorting.
    kept = min(int(lengths.max()), keys.shape[1])
    candidates = np.argpartition(keys, kept - 1, axis=1)[:, :kept]
    candidate_keys = np.take_along_axis(keys, candidates, axis=1)
    order = np.take_along_axis(candidates, np.argsort(candidate_keys, axis=1), axis=1)

    playlists = []
    for row, length in enumerate(lengths.tolist()):
        chosen = order[row, :length]
        chosen = chosen[np.isfinite(keys[row, chosen])]
        playlists.append(track[row, chosen])
    return playlists


def _fill_shortfall(
    rng: np.random.Generator, tracks: np.ndarray, length: int, num_tracks: int, hit_track: int
) -> np.ndarray:
    """Top up a playlist whose two tastes have too few tracks with tracks from any taste."""
    excluded = np.append(tracks, hit_track)
    candidates = np.setdiff1d(np.arange(num_tracks), excluded)
    extra = rng.choice(candidates, size=length - len(tracks), replace=False)
    return np.concatenate((tracks, extra))


def _sample_playlist_tracks(
    rng: np.random.Generator, catalogue: _Catalogue, num_playlists: int, num_tracks: int
) -> _PlaylistTracks:
    """Sample every playlist's tracks, place the hit, and shuffle the track order."""
    lengths = _sample_lengths(rng, num_playlists, num_tracks)
    primary, second, second_mass = _sample_tastes(rng, num_playlists, len(catalogue.taste_size))

    playlists: list[np.ndarray] = []
    shortfalls = 0
    chunk_rows = max(1, SAMPLING_CHUNK_CELLS // (2 * int(catalogue.taste_size.max())))
    for start in range(0, num_playlists, chunk_rows):
        stop = min(start + chunk_rows, num_playlists)
        chunk = _sample_chunk(
            rng, catalogue, lengths[start:stop], primary[start:stop], second[start:stop],
            second_mass[start:stop],
        )
        for offset, tracks in enumerate(chunk):
            length = int(lengths[start + offset])
            if len(tracks) < length:
                shortfalls += 1
                tracks = _fill_shortfall(rng, tracks, length, num_tracks, catalogue.hit_track)
            playlists.append(tracks)
    if shortfalls:
        logger.info(
            "Topped up %d of %d playlists with tracks from other tastes because their tastes "
            "have too few tracks", shortfalls, num_playlists,
        )

    offsets = np.concatenate(([0], np.cumsum(lengths)))
    tracks = np.concatenate(playlists)
    _place_hit(rng, tracks, offsets, num_tracks, catalogue.hit_track)

    # Shuffle within each playlist so that the track order does not follow popularity.
    playlist_of_entry = np.repeat(np.arange(num_playlists), lengths)
    order = np.lexsort((rng.random(len(tracks)), playlist_of_entry))
    return _PlaylistTracks(primary_taste=primary, offsets=offsets, tracks=tracks[order])


def _place_hit(
    rng: np.random.Generator,
    tracks: np.ndarray,
    offsets: np.ndarray,
    num_tracks: int,
    hit_track: int,
) -> None:
    """Put the hit into HIT_SHARE of the playlists, in place of their last drawn track.

    The number of hit playlists is raised, up to all playlists, until it exceeds the count of
    every other track by HIT_MARGIN_SHARE of the playlists, so the hit is clearly the most
    frequent track. Replacing a track only lowers the counts of the other tracks.
    """
    num_playlists = len(offsets) - 1
    max_other = int(np.bincount(tracks, minlength=num_tracks).max())
    margin = max(1, math.ceil(HIT_MARGIN_SHARE * num_playlists))
    target = min(num_playlists, max(round(HIT_SHARE * num_playlists), max_other + margin))
    hit_playlists = rng.choice(num_playlists, size=target, replace=False)
    # Sampled tracks are in draw order, so replacing the last one changes the taste mix least.
    tracks[offsets[hit_playlists + 1] - 1] = hit_track

    counts = np.bincount(tracks, minlength=num_tracks)
    counts[hit_track] = 0
    if counts.max() >= target:
        # Only possible when the catalogue is so small that a track is in every playlist.
        logger.warning(
            "The hit track is in %d playlists, which ties with another track", target
        )


def _distinct_per_playlist(
    values: np.ndarray, playlist_of_entry: np.ndarray, num_playlists: int
) -> np.ndarray:
    """Count the distinct values (albums, artists) of each playlist."""
    stride = int(values.max()) + 1
    pairs = np.sort(playlist_of_entry * stride + values)
    first = np.ones(len(pairs), dtype=bool)
    first[1:] = pairs[1:] != pairs[:-1]
    return np.bincount(pairs[first] // stride, minlength=num_playlists)


def _playlist_names(
    rng: np.random.Generator, catalogue: _Catalogue, primary: np.ndarray
) -> list[str]:
    """Name each playlist after its primary taste, with a mood or a suffix word."""
    count = len(primary)
    form = rng.integers(0, 4, size=count)
    mood = rng.integers(0, len(_MOODS), size=count)
    suffix = rng.integers(0, len(_NAME_SUFFIXES), size=count)
    names = []
    for index in range(count):
        genre = catalogue.taste_names[int(primary[index])]
        if form[index] == 0:
            name = genre.lower()
        elif form[index] == 1:
            name = f"{_MOODS[mood[index]]} {genre.lower()}"
        elif form[index] == 2:
            name = f"{genre} {_NAME_SUFFIXES[suffix[index]]}"
        else:
            name = f"{_MOODS[mood[index]].title()} {genre}"
        names.append(name)
    return names


def _playlist_fields(
    rng: np.random.Generator, catalogue: _Catalogue, playlist_tracks: _PlaylistTracks
) -> dict[str, list]:
    """Compute the playlist-level fields, each as a list with one value per playlist."""
    offsets = playlist_tracks.offsets
    tracks = playlist_tracks.tracks
    num_playlists = len(offsets) - 1
    lengths = np.diff(offsets)
    playlist_of_entry = np.repeat(np.arange(num_playlists), lengths)

    num_albums = _distinct_per_playlist(catalogue.track_album[tracks], playlist_of_entry,
                                        num_playlists)
    num_artists = _distinct_per_playlist(catalogue.track_artist[tracks], playlist_of_entry,
                                         num_playlists)
    duration_ms = np.add.reduceat(catalogue.track_duration_ms[tracks], offsets[:-1])

    # Zipf law: most playlists get one follower and a few get many.
    num_followers = np.minimum(rng.zipf(2.2, size=num_playlists), 100_000)
    num_edits = 1 + rng.poisson(0.25 * lengths)
    first_day, last_day = (value // SECONDS_PER_DAY for value in MODIFIED_AT_RANGE)
    day = first_day + np.floor(rng.beta(3.0, 1.5, size=num_playlists) * (last_day - first_day))
    modified_at = day.astype(np.int64) * SECONDS_PER_DAY
    has_description = rng.random(num_playlists) < DESCRIPTION_SHARE
    names = _playlist_names(rng, catalogue, playlist_tracks.primary_taste)

    return {
        "name": names,
        "modified_at": modified_at.tolist(),
        "num_tracks": lengths.tolist(),
        "num_albums": num_albums.tolist(),
        "num_followers": num_followers.tolist(),
        "num_edits": num_edits.tolist(),
        "duration_ms": duration_ms.tolist(),
        "num_artists": num_artists.tolist(),
        "has_description": has_description.tolist(),
    }


def _encode_slice(
    first_pid: int,
    last_pid: int,
    seed: int,
    catalogue: _Catalogue,
    playlist_tracks: _PlaylistTracks,
    fields: dict[str, list],
) -> bytes:
    """Encode playlists ``first_pid..last_pid`` as one MPD slice, keys in MPD order."""
    position_prefix = [b'{"pos":%d,' % position for position in range(MAX_PLAYLIST_LENGTH)]
    track_json = catalogue.track_json
    playlists = []
    for pid in range(first_pid, last_pid + 1):
        start, stop = int(playlist_tracks.offsets[pid]), int(playlist_tracks.offsets[pid + 1])
        entries = [
            position_prefix[position] + track_json[track]
            for position, track in enumerate(playlist_tracks.tracks[start:stop].tolist())
        ]
        playlist = {
            "name": fields["name"][pid],
            "collaborative": "false",
            "pid": pid,
            "modified_at": fields["modified_at"][pid],
            "num_tracks": fields["num_tracks"][pid],
            "num_albums": fields["num_albums"][pid],
            "num_followers": fields["num_followers"][pid],
            "tracks": msgspec.Raw(b"[" + b",".join(entries) + b"]"),
            "num_edits": fields["num_edits"][pid],
            "duration_ms": fields["duration_ms"][pid],
            "num_artists": fields["num_artists"][pid],
        }
        if fields["has_description"][pid]:
            playlist["description"] = f"my favourite {fields['name'][pid].lower()} songs"
        playlists.append(playlist)

    info = {
        "generated_on": GENERATED_ON,
        "slice": f"{first_pid}-{last_pid}",
        "version": SLICE_VERSION,
        "synthetic": True,
        "description": (
            f"Synthetic playlists generated by nncf_helpers.synthetic with seed {seed}. "
            "Not Spotify data."
        ),
    }
    return msgspec.json.encode({"info": info, "playlists": playlists})


def _readme_text(
    num_playlists: int,
    num_tracks: int,
    num_tastes: int,
    playlists_per_slice: int,
    seed: int,
    num_entries: int,
    hit_name: str,
    hit_count: int,
) -> str:
    return f"""# Synthetic playlist data

This folder contains SYNTHETIC playlists, not Spotify data. They were generated by
`nncf_helpers.synthetic` in this project, in the slice format of the Spotify Million
Playlist Dataset (MPD), so that the report runs without the registration-only MPD.
Names, URIs and numbers are made up.

Arguments: `num_playlists={num_playlists}`, `num_tracks={num_tracks}`, `num_tastes={num_tastes}`,
`playlists_per_slice={playlists_per_slice}`, `seed={seed}`. The same arguments give
byte-identical files. To regenerate:

    python -m nncf_helpers.synthetic OUTPUT_DIR --playlists {num_playlists} \\
        --tracks {num_tracks} --tastes {num_tastes} \\
        --playlists-per-slice {playlists_per_slice} --seed {seed}

How the playlists were made:

- The tracks are split into {num_tastes} latent tastes. Within a taste, track popularity follows
  a Zipf law with exponent {TRACK_ZIPF_EXPONENT}. Each taste has its own artists, and each
  artist has albums of up to {TRACKS_PER_ALBUM} tracks.
- Each playlist draws one primary taste. {MIXED_PLAYLIST_SHARE:.0%} of the playlists mix in a
  second taste with {SECOND_TASTE_MASS[0]:.0%} to {SECOND_TASTE_MASS[1]:.0%} of the primary
  taste's weight. Tracks are drawn by weight without replacement, so the tracks of a playlist
  are distinct.
- Lengths are log-normal (median 49, mean about 66) clipped to
  [{MIN_PLAYLIST_LENGTH}, {MAX_PLAYLIST_LENGTH}].
- One hit track, "{hit_name}", is placed into {hit_count} playlists
  ({hit_count / num_playlists:.0%}) regardless of taste. The generator places it into at
  least {HIT_SHARE:.0%} of the playlists, and into more if needed to make it the most
  frequent track.
- Followers, edits, modification dates and descriptions are random. Album, artist and
  duration totals are computed from each playlist's tracks.

The folder holds {num_playlists} playlists with {num_entries} playlist-track entries.
"""


def write_synthetic_mpd(
    output_dir: str | os.PathLike[str],
    num_playlists: int = 12_000,
    num_tracks: int = 30_000,
    num_tastes: int = 40,
    playlists_per_slice: int = 1_000,
    seed: int = 0,
    overwrite: bool = False,
) -> Path:
    """Write synthetic playlists as MPD slice files and a README into a new folder.

    The folder is built next to ``output_dir`` under a temporary name and renamed into place
    when complete, so ``output_dir`` never contains a partial dataset.

    Args:
        output_dir: Folder to create. Missing parent folders are created.
        num_playlists: Number of playlists. Their pids run from 0 to ``num_playlists - 1``.
        num_tracks: Number of tracks in the catalogue, at least 6. Tracks that no playlist
            draws do not appear in the files.
        num_tastes: Number of latent tastes, from 1 to ``num_tracks``.
        playlists_per_slice: Playlists per slice file. The last file may hold fewer.
        seed: Non-negative seed of ``numpy.random.default_rng``.
        overwrite: Replace ``output_dir`` whole if it exists and is not empty.

    Returns:
        The output folder.

    Raises:
        ValueError: An argument is not an integer or is outside its allowed range.
        FileExistsError: ``output_dir`` exists and is not an empty folder, and
            ``overwrite`` is false, or it exists and is not a folder.
    """
    num_playlists, num_tracks, num_tastes, playlists_per_slice, seed = _validate_arguments(
        num_playlists, num_tracks, num_tastes, playlists_per_slice, seed
    )
    output_dir = Path(output_dir)
    _check_output_dir(output_dir, overwrite)

    rng = np.random.default_rng(seed)
    catalogue = _build_catalogue(rng, num_tracks, num_tastes)
    playlist_tracks = _sample_playlist_tracks(rng, catalogue, num_playlists, num_tracks)
    fields = _playlist_fields(rng, catalogue, playlist_tracks)
    hit = msgspec.json.decode(b"{" + catalogue.track_json[catalogue.hit_track])
    hit_name = f"{hit['track_name']} by {hit['artist_name']}"

    output_dir.parent.mkdir(parents=True, exist_ok=True)
    build_dir = Path(tempfile.mkdtemp(prefix=f".{output_dir.name}.partial-", dir=output_dir.parent))
    try:
        for first_pid in range(0, num_playlists, playlists_per_slice):
            last_pid = min(first_pid + playlists_per_slice, num_playlists) - 1
            content = _encode_slice(first_pid, last_pid, seed, catalogue, playlist_tracks, fields)
            (build_dir / f"mpd.slice.{first_pid}-{last_pid}.json").write_bytes(content)
        hit_count = int(np.count_nonzero(playlist_tracks.tracks == catalogue.hit_track))
        readme = _readme_text(num_playlists, num_tracks, num_tastes, playlists_per_slice, seed,
                              len(playlist_tracks.tracks), hit_name, hit_count)
        (build_dir / "README.md").write_text(readme, encoding="utf-8")
        # mkdtemp creates the folder with mode 0o700, so give it the usual 0o755.
        build_dir.chmod(0o755)
        _move_into_place(build_dir, output_dir, overwrite)
    except BaseException:
        shutil.rmtree(build_dir, ignore_errors=True)
        raise

    logger.info(
        "Wrote %d synthetic playlists (%d playlist-track entries, seed %d) to %s",
        num_playlists, len(playlist_tracks.tracks), seed, output_dir,
    )
    return output_dir


def ensure_synthetic_mpd(output_dir: str | os.PathLike[str], seed: int = 0) -> Path:
    """Return ``output_dir``, writing the default-size synthetic dataset there if it is absent.

    The folder appears only once complete (see :func:`write_synthetic_mpd`), so an existing
    folder with a README holds a whole dataset and is reused.
    """
    output_dir = Path(output_dir)
    if (output_dir / "README.md").is_file():
        return output_dir
    return write_synthetic_mpd(output_dir, seed=seed)


def _check_output_dir(output_dir: Path, overwrite: bool) -> None:
    """Raise FileExistsError unless ``output_dir`` may be written."""
    if not output_dir.exists() and not output_dir.is_symlink():
        return
    if not output_dir.is_dir() or output_dir.is_symlink():
        raise FileExistsError(
            f"{output_dir} exists and is not a folder. Delete it or choose another output folder."
        )
    if not overwrite and any(output_dir.iterdir()):
        raise FileExistsError(
            f"{output_dir} already exists and is not empty. Delete it, choose another output "
            "folder, or pass overwrite=True (--overwrite on the command line) to replace it."
        )


def _move_into_place(build_dir: Path, output_dir: Path, overwrite: bool) -> None:
    """Rename the finished ``build_dir`` to ``output_dir``, replacing it if allowed."""
    # Check again, because the folder may have appeared while the data was generated.
    _check_output_dir(output_dir, overwrite)
    if not output_dir.exists():
        os.rename(build_dir, output_dir)
        return
    # Move the old folder aside first, so that output_dir is either old or new, never mixed.
    old_dir = Path(tempfile.mkdtemp(prefix=f".{output_dir.name}.old-", dir=output_dir.parent))
    os.rename(output_dir, old_dir / output_dir.name)
    try:
        os.rename(build_dir, output_dir)
    except OSError:
        os.rename(old_dir / output_dir.name, output_dir)
        raise
    finally:
        shutil.rmtree(old_dir, ignore_errors=True)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line: write synthetic MPD slices and print one summary line."""
    parser = argparse.ArgumentParser(
        prog="python -m nncf_helpers.synthetic",
        description="Write a synthetic dataset in the Spotify Million Playlist Dataset slice "
        "format.",
    )
    parser.add_argument("output_dir", metavar="OUTPUT_DIR", help="folder to create")
    parser.add_argument("--playlists", type=int, default=12_000,
                        help="number of playlists (default: %(default)s)")
    parser.add_argument("--tracks", type=int, default=30_000,
                        help="number of tracks in the catalogue (default: %(default)s)")
    parser.add_argument("--tastes", type=int, default=40,
                        help="number of latent tastes (default: %(default)s)")
    parser.add_argument("--playlists-per-slice", type=int, default=1_000,
                        help="playlists per slice file (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=0,
                        help="random seed, a non-negative integer (default: %(default)s)")
    parser.add_argument("--overwrite", action="store_true",
                        help="replace OUTPUT_DIR if it exists and is not empty")
    args = parser.parse_args(argv)

    try:
        output_dir = write_synthetic_mpd(
            args.output_dir,
            num_playlists=args.playlists,
            num_tracks=args.tracks,
            num_tastes=args.tastes,
            playlists_per_slice=args.playlists_per_slice,
            seed=args.seed,
            overwrite=args.overwrite,
        )
    except (ValueError, FileExistsError) as error:
        parser.exit(2, f"error: {error}\n")
    num_slices = math.ceil(args.playlists / args.playlists_per_slice)
    slice_files = "slice file" if num_slices == 1 else "slice files"
    print(
        f"Wrote {args.playlists} synthetic playlists over {args.tracks} tracks and "
        f"{args.tastes} tastes (seed {args.seed}) as {num_slices} {slice_files} to {output_dir}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

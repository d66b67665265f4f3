"""Read Spotify Million Playlist Dataset (MPD) slice files into a track x playlist matrix.

A slice is a JSON object ``{"info": {...}, "playlists": [...]}``. Each playlist has a
``pid``, a ``name`` and a list of ``tracks``, and each track has a ``track_uri``, a
``track_name`` and an ``artist_name``. The full MPD carries more fields (``pos``,
``album_*``, ``duration_ms`` and so on) and reduced copies carry fewer; only the fields
named here are read, so both formats load.

Track indices follow the order in which tracks first appear, reading slices in order of
their first pid and playlists in file order, so the same folder always gives the same
indices in every process.
"""

from __future__ import annotations

import gc
import hashlib
import logging
import re
import warnings
from array import array
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated

import msgspec
import numpy as np
import scipy.sparse as sp
import xxhash
from tqdm import tqdm

logger = logging.getLogger(__name__)

SLICE_PATTERN = "*.json"
_SLICE_START = re.compile(r"mpd\.slice\.(\d+)-(\d+)\.json$")


class MPDFormatError(ValueError):
    """A slice file or one of its playlists does not follow the MPD slice format."""


class SkippedPlaylistWarning(UserWarning):
    """Playlists were left out while reading, for a reason the report repeats."""


class _Track(msgspec.Struct, gc=False):
    track_uri: str
    track_name: str = ""
    artist_name: str = ""


_INT64 = np.iinfo(np.int64)


class _Playlist(msgspec.Struct, gc=False):
    pid: Annotated[int, msgspec.Meta(ge=int(_INT64.min), le=int(_INT64.max))]
    tracks: list[_Track]
    name: str = ""


class _Slice(msgspec.Struct, gc=False):
    playlists: list[_Playlist]
    info: dict = {}


_DECODER = msgspec.json.Decoder(_Slice)


@dataclass
class MPDData:
    """Playlists read from a folder of MPD slices.

    Attributes:
        matrix: Binary track x playlist matrix, CSR, int8, shape
            ``(num_tracks, num_playlists)``. A track listed twice in one playlist is
            one entry.
        track_uris, track_names, track_artists: Track table, one row per matrix row.
        playlist_pids, playlist_names: Playlist table, one row per matrix column.
        files: Slice files read, in reading order, with their size in bytes and the
            XXH3-128 digest of their contents. XXH3 is not a cryptographic hash, but its
            128 bits notice any accidental change, and it runs many times faster than
            SHA-256, which took a sixth of the reading time.
        synthetic: True when the ``info`` of every slice marks it as synthetic.
        skipped_empty: pids of playlists without tracks, which were left out.
        repeated_entries: Number of entries dropped because the track was already in
            that playlist.
        num_entries: Playlist-track entries read, repeats included.
    """

    matrix: sp.csr_matrix
    track_uris: list[str]
    track_names: list[str]
    track_artists: list[str]
    playlist_pids: np.ndarray
    playlist_names: list[str]
    files: list[dict] = field(default_factory=list)
    synthetic: bool = False
    skipped_empty: list[int] = field(default_factory=list)
    repeated_entries: int = 0
    num_entries: int = 0

    @property
    def num_tracks(self) -> int:
        return self.matrix.shape[0]

    @property
    def num_playlists(self) -> int:
        return self.matrix.shape[1]

    @property
    def fingerprint(self) -> str:
        """SHA-256 over the name and content digest of every slice file read."""
        digest = hashlib.sha256()
        for entry in self.files:
            digest.update(f"{entry['name']}:{entry['xxh3_128']}\n".encode())
        return digest.hexdigest()


def list_slice_files(folder: str | Path) -> list[Path]:
    """List the slice files of ``folder`` in reading order.

    Files named like ``mpd.slice.1000-1999.json`` are ordered by their first pid, and
    any other ``*.json`` file comes after them in name order.

    Raises:
        FileNotFoundError: The folder does not exist or contains no ``*.json`` file.
        NotADirectoryError: The path is a file.
    """
    folder = Path(folder)
    if not folder.exists():
        raise FileNotFoundError(
            f"MPD folder {str(folder)!r} does not exist. Pass the folder that contains the "
            "mpd.slice.*.json files (the MPD's data/ folder), or leave it empty to use "
            "the synthetic dataset."
        )
    if not folder.is_dir():
        raise NotADirectoryError(
            f"MPD folder {str(folder)!r} is a file, not a folder. Pass the folder that "
            "contains the mpd.slice.*.json files."
        )
    files = [path for path in folder.glob(SLICE_PATTERN) if path.is_file()]
    if not files:
        raise FileNotFoundError(
            f"MPD folder {str(folder)!r} contains no *.json slice files. Pass the folder "
            "that contains the mpd.slice.*.json files (the MPD's data/ folder)."
        )

    def order(path: Path):
        match = _SLICE_START.search(path.name)
        return (0, int(match.group(1)), path.name) if match else (1, 0, path.name)

    return sorted(files, key=order)


def read_mpd(folder: str | Path, show_progress: bool = True) -> MPDData:
    """Read every slice in ``folder`` into a binary track x playlist matrix.

    Args:
        folder: Folder holding ``*.json`` MPD slices, in the full or a reduced format.
        show_progress: Draw a progress bar over the files on standard error.

    Returns:
        The matrix with its track and playlist tables. Playlists without tracks are
        left out, counted in ``skipped_empty`` and reported with a
        :class:`SkippedPlaylistWarning`.

    Raises:
        FileNotFoundError: The folder does not exist or contains no slices.
        MPDFormatError: A file is not valid JSON, is not an MPD slice, a playlist lacks
            ``pid`` or ``tracks``, a track lacks a string ``track_uri``, or a pid is
            repeated. The message names the file, the pid and the field.
    """
    files = list_slice_files(folder)
    # Reading makes millions of small objects and no reference cycles, so the cycle
    # collector would only rescan them again and again.
    collector_was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _read_slices(folder, files, show_progress)
    finally:
        if collector_was_enabled:
            gc.enable()


def _read_slices(folder: str | Path, files: list[Path], show_progress: bool) -> MPDData:
    track_index: dict[str, int] = {}
    track_names: list[str] = []
    track_artists: list[str] = []
    pids: list[int] = []
    playlist_names: list[str] = []
    playlist_lengths: list[int] = []
    pid_file: dict[int, str] = {}
    skipped_empty: list[int] = []
    # The track index of every entry, playlist after playlist.
    entry_tracks = array("i")
    claim_index = track_index.setdefault
    next_index = 0
    add_entry = entry_tracks.append
    file_records: list[dict] = []
    synthetic_flags: list[bool] = []

    progress = tqdm(files, desc="Reading MPD slices", unit="file", disable=not show_progress,
                    mininterval=1.0)
    for path in progress:
        raw = path.read_bytes()
        file_records.append(
            {"name": path.name, "bytes": len(raw), "xxh3_128": xxhash.xxh3_128_hexdigest(raw)}
        )
        parsed = _decode_slice(path, raw)
        synthetic_flags.append(bool(parsed.info.get("synthetic", False)))
        for playlist in parsed.playlists:
            pid = playlist.pid
            if pid in pid_file:
                raise MPDFormatError(
                    f"{path}: playlist pid {pid} was already read from {pid_file[pid]}. "
                    "Each pid must appear once; remove the duplicate slice or playlist."
                )
            pid_file[pid] = path.name
            if not playlist.tracks:
                skipped_empty.append(pid)
                continue
            pids.append(pid)
            playlist_names.append(playlist.name)
            playlist_lengths.append(len(playlist.tracks))
            # This loop runs once per entry and takes about as long as decoding the JSON,
            # so it makes one dict probe per entry through a bound method held locally.
            for track in playlist.tracks:
                index = claim_index(track.track_uri, next_index)
                if index == next_index:
                    next_index += 1
                    track_names.append(track.track_name)
                    track_artists.append(track.artist_name)
                add_entry(index)
        if "" in track_index:
            _raise_empty_uri(path, parsed)

    if skipped_empty:
        warnings.warn(
            f"Left out {len(skipped_empty)} playlists without tracks "
            f"(pids {skipped_empty[:10]}{' ...' if len(skipped_empty) > 10 else ''}).",
            SkippedPlaylistWarning,
            stacklevel=3,
        )
    if not pids:
        raise MPDFormatError(
            f"MPD folder {str(folder)!r}: no playlist with tracks in {len(files)} slice files."
        )

    matrix = _playlist_matrix(entry_tracks, playlist_lengths, len(track_names))
    logger.info(
        "Read %d playlists, %d tracks, %d entries from %d files",
        len(pids), len(track_names), matrix.nnz, len(files),
    )
    return MPDData(
        matrix=matrix,
        track_uris=list(track_index),
        track_names=track_names,
        track_artists=track_artists,
        playlist_pids=np.asarray(pids, dtype=np.int64),
        playlist_names=playlist_names,
        files=file_records,
        synthetic=bool(synthetic_flags) and all(synthetic_flags),
        skipped_empty=skipped_empty,
        repeated_entries=len(entry_tracks) - matrix.nnz,
        num_entries=len(entry_tracks),
    )


def _playlist_matrix(
    entry_tracks: array, playlist_lengths: list[int], num_tracks: int
) -> sp.csr_matrix:
    """Build the binary track x playlist matrix from the track index of every entry.

    The entries come playlist after playlist, which is the layout of a CSC matrix. Its
    conversion to CSR lists each track's playlists in increasing order, so summing the
    duplicates that remain needs no sorting.
    """
    indices = np.frombuffer(entry_tracks, dtype=np.int32)
    index_dtype = np.int32 if len(indices) <= np.iinfo(np.int32).max else np.int64
    indptr = np.zeros(len(playlist_lengths) + 1, dtype=index_dtype)
    np.cumsum(playlist_lengths, out=indptr[1:])
    matrix = sp.csc_matrix(
        (np.ones(len(indices), dtype=np.int8), indices.astype(index_dtype, copy=False), indptr),
        shape=(num_tracks, len(playlist_lengths)),
    ).tocsr()
    # Summing duplicates turns a repeated track into a 2; a playlist-track pair is one entry.
    matrix.sum_duplicates()
    matrix.data[:] = 1
    return matrix


def _raise_empty_uri(path: Path, parsed: _Slice) -> None:
    for playlist in parsed.playlists:
        for position, track in enumerate(playlist.tracks):
            if not track.track_uri:
                raise MPDFormatError(
                    f"{path}: playlist pid {playlist.pid}, track #{position} has an empty "
                    "'track_uri'; every track needs its Spotify URI."
                )


def _decode_slice(path: Path, raw: bytes) -> _Slice:
    try:
        return _DECODER.decode(raw)
    except msgspec.DecodeError as error:
        typed_error = error
    except RecursionError:
        raise _nested_too_deeply(path) from None
    # The fast typed decoder failed: decode again without a schema to say exactly what
    # is wrong and where.
    try:
        document = msgspec.json.decode(raw)
    except msgspec.DecodeError as error:
        raise MPDFormatError(
            f"{path}: not valid JSON ({error}). The file may be truncated or not UTF-8. "
            "Replace it with a complete copy of the slice."
        ) from None
    except RecursionError:
        raise _nested_too_deeply(path) from None
    _explain_slice_error(path, document)
    # The untyped decoder keeps the last of repeated keys, which can hide what the typed
    # decoder saw, so its message (with the JSON path) is the explanation left.
    raise MPDFormatError(f"{path}: not a valid MPD slice: {typed_error}.")


def _nested_too_deeply(path: Path) -> MPDFormatError:
    return MPDFormatError(
        f"{path}: JSON nested too deeply to read. An MPD slice nests five levels. Replace "
        "the file with a copy of the slice."
    )


def _explain_slice_error(path: Path, document) -> None:
    expected = 'a JSON object {"info": {...}, "playlists": [...]}'
    if not isinstance(document, dict) or not isinstance(document.get("playlists"), list):
        raise MPDFormatError(
            f"{path}: not an MPD slice; expected {expected} with a 'playlists' list."
        )
    if "info" in document and not isinstance(document["info"], dict):
        raise MPDFormatError(f"{path}: field 'info' must be an object.")
    for position, playlist in enumerate(document["playlists"]):
        where = f"{path}: playlist #{position}"
        if not isinstance(playlist, dict):
            raise MPDFormatError(f"{where} is not a JSON object.")
        if "pid" not in playlist:
            raise MPDFormatError(f"{where} has no 'pid' field; every playlist needs one.")
        pid = playlist["pid"]
        if not isinstance(pid, int) or isinstance(pid, bool):
            raise MPDFormatError(f"{where}: field 'pid' must be an integer, got {pid!r}.")
        if not _INT64.min <= pid <= _INT64.max:
            raise MPDFormatError(
                f"{where}: field 'pid' is {pid}, outside the signed 64-bit range. MPD pids "
                "run from 0 to 999,999."
            )
        where = f"{path}: playlist pid {pid}"
        if "tracks" not in playlist:
            raise MPDFormatError(f"{where} has no 'tracks' field; every playlist needs one.")
        if not isinstance(playlist["tracks"], list):
            raise MPDFormatError(f"{where}: field 'tracks' must be a list.")
        if "name" in playlist and not isinstance(playlist["name"], str):
            raise MPDFormatError(f"{where}: field 'name' must be a string.")
        for track_position, track in enumerate(playlist["tracks"]):
            track_where = f"{where}, track #{track_position}"
            if not isinstance(track, dict):
                raise MPDFormatError(f"{track_where} is not a JSON object.")
            if "track_uri" not in track:
                raise MPDFormatError(f"{track_where} has no 'track_uri' field.")
            for name in ("track_uri", "track_name", "artist_name"):
                if name in track and not isinstance(track[name], str):
                    raise MPDFormatError(
                        f"{track_where}: field {name!r} must be a string, got "
                        f"{track[name]!r}."
                    )

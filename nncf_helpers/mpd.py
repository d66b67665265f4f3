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

import hashlib
import logging
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import msgspec
import numpy as np
import scipy.sparse as sp
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


class _Playlist(msgspec.Struct, gc=False):
    pid: int
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
        files: Slice files read, in reading order, with their size in bytes and SHA-256.
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
        """SHA-256 over the names and contents of every slice file read."""
        digest = hashlib.sha256()
        for entry in self.files:
            digest.update(f"{entry['name']}:{entry['sha256']}\n".encode())
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
    track_index: dict[str, int] = {}
    track_names: list[str] = []
    track_artists: list[str] = []
    pids: list[int] = []
    playlist_names: list[str] = []
    pid_file: dict[int, str] = {}
    skipped_empty: list[int] = []
    rows: list[np.ndarray] = []
    cols: list[np.ndarray] = []
    file_records: list[dict] = []
    synthetic_flags: list[bool] = []
    num_entries = 0

    progress = tqdm(files, desc="Reading MPD slices", unit="file", disable=not show_progress,
                    mininterval=1.0)
    for path in progress:
        raw = path.read_bytes()
        file_records.append(
            {"name": path.name, "bytes": len(raw), "sha256": hashlib.sha256(raw).hexdigest()}
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
            column = len(pids)
            pids.append(pid)
            playlist_names.append(playlist.name)
            indices = []
            for track in playlist.tracks:
                index = track_index.get(track.track_uri)
                if index is None:
                    index = len(track_names)
                    track_index[track.track_uri] = index
                    track_names.append(track.track_name)
                    track_artists.append(track.artist_name)
                indices.append(index)
            num_entries += len(indices)
            rows.append(np.asarray(indices, dtype=np.int32))
            cols.append(np.full(len(indices), column, dtype=np.int32))
        if "" in track_index:
            _raise_empty_uri(path, parsed)

    if skipped_empty:
        warnings.warn(
            f"Left out {len(skipped_empty)} playlists without tracks "
            f"(pids {skipped_empty[:10]}{' ...' if len(skipped_empty) > 10 else ''}).",
            SkippedPlaylistWarning,
            stacklevel=2,
        )
    if not pids:
        raise MPDFormatError(
            f"MPD folder {str(folder)!r}: no playlist with tracks in {len(files)} slice files."
        )

    row = np.concatenate(rows)
    col = np.concatenate(cols)
    matrix = sp.csr_matrix(
        (np.ones(len(row), dtype=np.int8), (row, col)), shape=(len(track_names), len(pids))
    )
    # Summing duplicates turns a repeated track into a 2; a playlist-track pair is one entry.
    matrix.sum_duplicates()
    repeated = int(num_entries - matrix.nnz)
    matrix.data[:] = 1
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
        repeated_entries=repeated,
        num_entries=num_entries,
    )


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
    except msgspec.DecodeError:
        pass
    # The fast typed decoder failed: decode again without a schema to say exactly what
    # is wrong and where.
    try:
        document = msgspec.json.decode(raw)
    except msgspec.DecodeError as error:
        raise MPDFormatError(
            f"{path}: not valid JSON ({error}). The file may be truncated; replace it "
            "with a complete copy of the slice."
        ) from None
    _explain_slice_error(path, document)
    raise MPDFormatError(f"{path}: not a valid MPD slice.")  # pragma: no cover


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

"""Shared fixtures: MPD slice files written into tmp_path, and the optional real sample."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

# Set before any test module imports TensorFlow, so its C++ start-up messages stay quiet.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

MPD_SAMPLE_VARIABLE = "NNCF_MPD_SAMPLE"


def track(uri: str, name: str | None = None, artist: str = "Artist") -> dict:
    """A track in the reduced MPD format. The name defaults to the URI."""
    return {"track_uri": uri, "track_name": uri if name is None else name, "artist_name": artist}


def playlist(pid: int, uris: list[str], name: str | None = None) -> dict:
    """A playlist in the reduced MPD format holding tracks made by :func:`track`."""
    return {"pid": pid, "name": f"playlist {pid}" if name is None else name,
            "tracks": [track(uri) for uri in uris]}


def write_slice(folder: Path, playlists: list[dict], name: str | None = None,
                info: dict | None = None) -> Path:
    """Write one slice file into ``folder`` and return its path.

    The default name is ``mpd.slice.<first pid>-<first pid + 999>.json``, as in the MPD.
    """
    folder.mkdir(parents=True, exist_ok=True)
    if name is None:
        first = playlists[0]["pid"] if playlists else 0
        name = f"mpd.slice.{first}-{first + 999}.json"
    path = folder / name
    document = {"info": {"slice": name} if info is None else info, "playlists": playlists}
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    return path


# A hand-made dataset with a known matrix. Reading order is slice 0-999 (pids 0, 1, 2),
# then slice 1000-1999 (pids 1000, 1001), so tracks are indexed a, b, c, d, e, f.
# Playlist 0 lists track a twice. Track b is in the most playlists (3).
TINY_SLICES = {
    "mpd.slice.1000-1999.json": [
        playlist(1000, ["t:c", "t:a"], "Road trip"),
        playlist(1001, ["t:e", "t:b", "t:f"], "Gym"),
    ],
    "mpd.slice.0-999.json": [
        playlist(0, ["t:a", "t:b", "t:a"], "Chill"),
        playlist(1, ["t:b", "t:c"], "Party"),
        playlist(2, ["t:d"], "Focus"),
    ],
}
TINY_TRACKS = ["t:a", "t:b", "t:c", "t:d", "t:e", "t:f"]
TINY_PIDS = [0, 1, 2, 1000, 1001]
# Rows follow TINY_TRACKS, columns follow TINY_PIDS.
TINY_MATRIX = [
    [1, 0, 0, 1, 0],
    [1, 1, 0, 0, 1],
    [0, 1, 0, 1, 0],
    [0, 0, 1, 0, 0],
    [0, 0, 0, 0, 1],
    [0, 0, 0, 0, 1],
]


@pytest.fixture
def tiny_mpd_dir(tmp_path) -> Path:
    """Folder holding the two slices of ``TINY_SLICES``."""
    folder = tmp_path / "tiny-mpd"
    for name, playlists in TINY_SLICES.items():
        write_slice(folder, playlists, name=name)
    return folder


@pytest.fixture
def tiny_data(tiny_mpd_dir):
    """``TINY_SLICES`` read by :func:`nncf_helpers.mpd.read_mpd`."""
    from nncf_helpers.mpd import read_mpd

    return read_mpd(tiny_mpd_dir, show_progress=False)


@pytest.fixture(scope="session")
def mpd_sample_dir() -> Path:
    """Folder of real MPD slices named by ``NNCF_MPD_SAMPLE``, or a skip when it is unset."""
    value = os.environ.get(MPD_SAMPLE_VARIABLE, "").strip()
    if not value:
        pytest.skip(f"{MPD_SAMPLE_VARIABLE} is not set to a folder of real MPD slices.")
    folder = Path(value)
    if not folder.is_dir():
        pytest.fail(f"{MPD_SAMPLE_VARIABLE}={value!r} is not a folder.")
    return folder

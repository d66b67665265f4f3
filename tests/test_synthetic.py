"""Tests for the synthetic MPD slice generator."""

from __future__ import annotations

import collections
import re
from pathlib import Path

import msgspec
import numpy as np
import pytest

from nncf_helpers import synthetic
from nncf_helpers.synthetic import main, write_synthetic_mpd

SMALL = dict(num_playlists=500, num_tracks=3_000, num_tastes=10, playlists_per_slice=200)

PLAYLIST_FIELDS = {
    "name": str,
    "collaborative": str,
    "pid": int,
    "modified_at": int,
    "num_tracks": int,
    "num_albums": int,
    "num_followers": int,
    "tracks": list,
    "num_edits": int,
    "duration_ms": int,
    "num_artists": int,
}
TRACK_FIELDS = {
    "pos": int,
    "artist_name": str,
    "track_uri": str,
    "artist_uri": str,
    "track_name": str,
    "album_uri": str,
    "duration_ms": int,
    "album_name": str,
}
URI_PATTERNS = {
    "track_uri": re.compile(r"spotify:track:[0-9A-Za-z]{22}"),
    "artist_uri": re.compile(r"spotify:artist:[0-9A-Za-z]{22}"),
    "album_uri": re.compile(r"spotify:album:[0-9A-Za-z]{22}"),
}


def first_pid(path: Path) -> int:
    """Return the first pid of a slice file named ``mpd.slice.<first>-<last>.json``."""
    return int(path.name.split(".")[2].split("-")[0])


def load_slices(folder: Path) -> list[dict]:
    """Return the decoded slice files of a folder, ordered by their first pid."""
    paths = sorted(folder.glob("mpd.slice.*.json"), key=first_pid)
    return [msgspec.json.decode(path.read_bytes()) for path in paths]


def load_playlists(folder: Path) -> list[dict]:
    return [playlist for part in load_slices(folder) for playlist in part["playlists"]]


def track_counts(playlists: list[dict]) -> collections.Counter:
    return collections.Counter(
        track["track_uri"] for playlist in playlists for track in playlist["tracks"]
    )


def folder_bytes(folder: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir())}


@pytest.fixture(scope="module")
def small_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_synthetic_mpd(tmp_path_factory.mktemp("small") / "mpd", **SMALL)


@pytest.fixture(scope="module")
def small_playlists(small_dir: Path) -> list[dict]:
    return load_playlists(small_dir)


def test_slice_files_named_by_pid_range(small_dir: Path) -> None:
    names = sorted(path.name for path in small_dir.iterdir())
    assert names == [
        "README.md",
        "mpd.slice.0-199.json",
        "mpd.slice.200-399.json",
        "mpd.slice.400-499.json",
    ]
    slices = load_slices(small_dir)
    assert [part["info"]["slice"] for part in slices] == ["0-199", "200-399", "400-499"]
    assert [len(part["playlists"]) for part in slices] == [200, 200, 100]


def test_slice_info_fields(small_dir: Path) -> None:
    for part in load_slices(small_dir):
        info = part["info"]
        assert isinstance(info["generated_on"], str)
        assert info["version"] == "v1"
        assert info["synthetic"] is True
        assert "Synthetic" in info["description"]
        assert "seed 0" in info["description"]


def test_playlist_fields_and_types(small_playlists: list[dict]) -> None:
    for playlist in small_playlists:
        for field, expected_type in PLAYLIST_FIELDS.items():
            assert isinstance(playlist[field], expected_type), (playlist["pid"], field)
        assert set(playlist) - set(PLAYLIST_FIELDS) <= {"description"}
        assert playlist["collaborative"] == "false"
        assert playlist["name"]
        for track in playlist["tracks"]:
            assert set(track) == set(TRACK_FIELDS)
            for field, expected_type in TRACK_FIELDS.items():
                assert isinstance(track[field], expected_type), (playlist["pid"], field)
            for field, pattern in URI_PATTERNS.items():
                assert pattern.fullmatch(track[field]), track[field]


def test_some_playlists_have_description(small_playlists: list[dict]) -> None:
    descriptions = [playlist["description"] for playlist in small_playlists
                    if "description" in playlist]
    assert 5 <= len(descriptions) <= 50
    assert all(isinstance(text, str) and text for text in descriptions)


def test_playlist_totals_match_tracks(small_playlists: list[dict]) -> None:
    low, high = synthetic.MODIFIED_AT_RANGE
    for playlist in small_playlists:
        tracks = playlist["tracks"]
        assert playlist["num_tracks"] == len(tracks)
        assert [track["pos"] for track in tracks] == list(range(len(tracks)))
        assert playlist["duration_ms"] == sum(track["duration_ms"] for track in tracks)
        assert playlist["num_albums"] == len({track["album_uri"] for track in tracks})
        assert playlist["num_artists"] == len({track["artist_uri"] for track in tracks})
        assert playlist["num_followers"] >= 1
        assert playlist["num_edits"] >= 1
        assert low <= playlist["modified_at"] <= high
        assert playlist["modified_at"] % 86_400 == 0


def test_track_metadata_consistent_across_playlists(small_playlists: list[dict]) -> None:
    seen: dict[str, dict] = {}
    for playlist in small_playlists:
        for track in playlist["tracks"]:
            metadata = {key: value for key, value in track.items() if key != "pos"}
            assert seen.setdefault(track["track_uri"], metadata) == metadata


def test_album_belongs_to_one_artist(small_playlists: list[dict]) -> None:
    album_artists = collections.defaultdict(set)
    for playlist in small_playlists:
        for track in playlist["tracks"]:
            album_artists[track["album_uri"]].add(track["artist_uri"])
    assert all(len(artists) == 1 for artists in album_artists.values())


def test_pids_unique_and_contiguous(small_playlists: list[dict]) -> None:
    assert [playlist["pid"] for playlist in small_playlists] == list(range(500))


def test_lengths_within_mpd_range(small_playlists: list[dict]) -> None:
    lengths = np.array([playlist["num_tracks"] for playlist in small_playlists])
    assert lengths.min() >= 5
    assert lengths.max() <= 250
    # The log-normal has median 49 and mean about 66.
    assert 40 <= np.median(lengths) <= 60
    assert 55 <= lengths.mean() <= 77


def test_tracks_distinct_within_playlist(small_playlists: list[dict]) -> None:
    for playlist in small_playlists:
        uris = [track["track_uri"] for track in playlist["tracks"]]
        assert len(set(uris)) == len(uris), playlist["pid"]


def test_same_seed_gives_identical_bytes(tmp_path: Path, small_dir: Path) -> None:
    again = write_synthetic_mpd(tmp_path / "again", **SMALL)
    assert folder_bytes(again) == folder_bytes(small_dir)


def test_other_seed_gives_different_playlists(tmp_path: Path, small_dir: Path) -> None:
    other = write_synthetic_mpd(tmp_path / "other", **SMALL, seed=1)
    first = load_playlists(small_dir)[0]
    other_first = load_playlists(other)[0]
    assert first["tracks"] != other_first["tracks"]
    assert folder_bytes(other)["mpd.slice.0-199.json"] != folder_bytes(small_dir)[
        "mpd.slice.0-199.json"]


def test_slice_size_does_not_change_playlists(tmp_path: Path,
                                              small_playlists: list[dict]) -> None:
    arguments = dict(SMALL, playlists_per_slice=500)
    single = write_synthetic_mpd(tmp_path / "single", **arguments)
    assert [path.name for path in single.glob("mpd.slice.*.json")] == ["mpd.slice.0-499.json"]
    assert load_playlists(single) == small_playlists


def test_hit_track_most_frequent(small_playlists: list[dict]) -> None:
    (_, hit_count), (_, second_count) = track_counts(small_playlists).most_common(2)
    assert hit_count >= 0.25 * 500
    assert hit_count > second_count


@pytest.mark.parametrize("num_tastes", [1, 2, 10, 40])
def test_hit_most_frequent_with_300_playlists(tmp_path: Path, num_tastes: int) -> None:
    folder = write_synthetic_mpd(tmp_path / "mpd", num_playlists=300, num_tracks=2_000,
                                 num_tastes=num_tastes)
    (_, hit_count), (_, second_count) = track_counts(load_playlists(folder)).most_common(2)
    assert hit_count >= 75
    # A margin of 5 % of the playlists separates the hit from the next track.
    assert hit_count >= second_count + 15


class TrackUri(msgspec.Struct):
    track_uri: str


class PlaylistTracks(msgspec.Struct):
    tracks: list[TrackUri]


class SliceTracks(msgspec.Struct):
    playlists: list[PlaylistTracks]


def test_hit_in_2000_playlists_at_default_size(tmp_path: Path) -> None:
    folder = write_synthetic_mpd(tmp_path / "mpd")
    # Decoding only the track URIs keeps this test fast at 12,000 playlists.
    decoder = msgspec.json.Decoder(SliceTracks)
    playlists = [playlist for path in folder.glob("mpd.slice.*.json")
                 for playlist in decoder.decode(path.read_bytes()).playlists]
    assert len(playlists) == 12_000
    counts = collections.Counter(track.track_uri for playlist in playlists
                                 for track in playlist.tracks)
    (_, hit_count), (_, second_count) = counts.most_common(2)
    assert hit_count >= 2_000
    assert hit_count > 2 * second_count


def test_same_taste_playlists_share_more_tracks(small_playlists: list[dict]) -> None:
    # Playlist names contain the name of the primary taste, which recovers it from the files.
    genres = [genre.lower() for genre in synthetic._GENRES[: SMALL["num_tastes"]]]
    tastes = []
    for playlist in small_playlists:
        matches = [index for index, genre in enumerate(genres)
                   if genre in playlist["name"].lower()]
        assert len(matches) == 1, playlist["name"]
        tastes.append(matches[0])
    tastes = np.array(tastes)

    hit_uri = track_counts(small_playlists).most_common(1)[0][0]
    uri_index: dict[str, int] = {}
    rows, columns = [], []
    for row, playlist in enumerate(small_playlists):
        for track in playlist["tracks"]:
            if track["track_uri"] != hit_uri:
                rows.append(row)
                columns.append(uri_index.setdefault(track["track_uri"], len(uri_index)))
    membership = np.zeros((len(small_playlists), len(uri_index)))
    membership[rows, columns] = 1.0
    shared = membership @ membership.T

    same = tastes[:, None] == tastes[None, :]
    off_diagonal = ~np.eye(len(tastes), dtype=bool)
    same_taste_mean = shared[same & off_diagonal].mean()
    other_taste_mean = shared[~same].mean()
    assert same_taste_mean > 5.0
    assert same_taste_mean > 10 * other_taste_mean


def test_readme_says_synthetic(small_dir: Path) -> None:
    text = (small_dir / "README.md").read_text(encoding="utf-8")
    assert "SYNTHETIC" in text
    assert "not Spotify data" in text
    assert "`seed=0`" in text
    assert "`num_playlists=500`" in text
    assert "--playlists 500" in text


def test_existing_nonempty_folder_raises(tmp_path: Path) -> None:
    folder = tmp_path / "mpd"
    folder.mkdir()
    (folder / "keep.txt").write_text("old")
    with pytest.raises(FileExistsError, match="Delete it") as raised:
        write_synthetic_mpd(folder, num_playlists=20, num_tracks=100, num_tastes=2)
    assert str(folder) in str(raised.value)
    assert [path.name for path in folder.iterdir()] == ["keep.txt"]
    assert sorted(path.name for path in tmp_path.iterdir()) == ["mpd"]


def test_existing_file_raises_even_with_overwrite(tmp_path: Path) -> None:
    target = tmp_path / "mpd"
    target.write_text("old")
    with pytest.raises(FileExistsError, match="not a folder"):
        write_synthetic_mpd(target, num_playlists=20, num_tracks=100, overwrite=True)
    assert target.read_text() == "old"


def test_existing_empty_folder_is_filled(tmp_path: Path) -> None:
    folder = tmp_path / "mpd"
    folder.mkdir()
    write_synthetic_mpd(folder, num_playlists=20, num_tracks=100, num_tastes=2)
    assert sorted(path.name for path in folder.iterdir()) == ["README.md", "mpd.slice.0-19.json"]


def test_overwrite_replaces_whole_folder(tmp_path: Path) -> None:
    folder = tmp_path / "mpd"
    folder.mkdir()
    (folder / "stale.json").write_text("{}")
    write_synthetic_mpd(folder, num_playlists=20, num_tracks=100, num_tastes=2, overwrite=True)
    assert sorted(path.name for path in folder.iterdir()) == ["README.md", "mpd.slice.0-19.json"]
    assert sorted(path.name for path in tmp_path.iterdir()) == ["mpd"]


def test_failed_write_leaves_no_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(*args: object, **kwargs: object) -> bytes:
        raise OSError("disk full")

    monkeypatch.setattr(synthetic, "_encode_slice", fail)
    with pytest.raises(OSError, match="disk full"):
        write_synthetic_mpd(tmp_path / "mpd", num_playlists=20, num_tracks=100)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("arguments", "name"),
    [
        (dict(num_playlists=0), "num_playlists"),
        (dict(num_playlists=2.5), "num_playlists"),
        (dict(num_playlists=True), "num_playlists"),
        (dict(num_tracks=5), "num_tracks"),
        (dict(num_tastes=0), "num_tastes"),
        (dict(num_tracks=100, num_tastes=101), "num_tastes"),
        (dict(playlists_per_slice=0), "playlists_per_slice"),
        (dict(seed=-1), "seed"),
        (dict(seed="0"), "seed"),
    ],
)
def test_invalid_argument_raises(tmp_path: Path, arguments: dict, name: str) -> None:
    with pytest.raises(ValueError, match=rf"^{name} must be an integer") as raised:
        write_synthetic_mpd(tmp_path / "mpd", **arguments)
    assert repr(arguments[name]) in str(raised.value)
    assert not (tmp_path / "mpd").exists()


def test_cli_writes_and_prints_summary(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    folder = tmp_path / "mpd"
    code = main([str(folder), "--playlists", "30", "--tracks", "200", "--tastes", "4",
                 "--seed", "3", "--playlists-per-slice", "10"])
    assert code == 0
    output = capsys.readouterr().out.strip().splitlines()
    assert len(output) == 1
    assert "Wrote 30 synthetic playlists" in output[0]
    assert "seed 3" in output[0]
    assert str(folder) in output[0]
    assert len(list(folder.glob("mpd.slice.*.json"))) == 3
    assert "`seed=3`" in (folder / "README.md").read_text(encoding="utf-8")


def test_cli_existing_folder_exits_with_error(tmp_path: Path,
                                              capsys: pytest.CaptureFixture) -> None:
    folder = tmp_path / "mpd"
    folder.mkdir()
    (folder / "keep.txt").write_text("old")
    with pytest.raises(SystemExit) as raised:
        main([str(folder), "--playlists", "10", "--tracks", "50"])
    assert raised.value.code == 2
    assert "--overwrite" in capsys.readouterr().err

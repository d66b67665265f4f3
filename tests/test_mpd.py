"""MPD slice reader: known matrices from hand-made slices, and errors on broken input."""

from __future__ import annotations

import gc
import json

import numpy as np
import pytest
from conftest import TINY_MATRIX, TINY_PIDS, TINY_TRACKS, playlist, track, write_slice

from nncf_helpers.mpd import MPDFormatError, SkippedPlaylistWarning, list_slice_files, read_mpd


def read(folder):
    return read_mpd(folder, show_progress=False)


# Known results on the hand-made dataset.


def test_tiny_matrix_matches_hand_count(tiny_data):
    assert tiny_data.matrix.toarray().tolist() == TINY_MATRIX


def test_tiny_matrix_is_binary_int8_csr(tiny_data):
    assert tiny_data.matrix.format == "csr"
    assert tiny_data.matrix.dtype == np.int8
    assert set(tiny_data.matrix.data.tolist()) == {1}


def test_tracks_ordered_by_first_appearance(tiny_data):
    assert tiny_data.track_uris == TINY_TRACKS


def test_slices_ordered_by_first_pid(tiny_data):
    assert tiny_data.playlist_pids.tolist() == TINY_PIDS
    assert [entry["name"] for entry in tiny_data.files] == [
        "mpd.slice.0-999.json", "mpd.slice.1000-1999.json"]


def test_slice_order_is_numeric_not_by_name(tmp_path):
    # Sorted by name, "mpd.slice.1000-..." would come before "mpd.slice.200-...".
    write_slice(tmp_path, [playlist(1000, ["t:x"])])
    write_slice(tmp_path, [playlist(200, ["t:y"])])
    write_slice(tmp_path, [playlist(5, ["t:z"])], name="extra.json")
    names = [path.name for path in list_slice_files(tmp_path)]
    assert names == ["mpd.slice.200-1199.json", "mpd.slice.1000-1999.json", "extra.json"]


def test_repeated_track_is_one_entry(tiny_data):
    assert tiny_data.matrix[0, 0] == 1
    assert tiny_data.repeated_entries == 1
    assert tiny_data.num_entries == 11
    assert tiny_data.matrix.nnz == 10


def test_playlist_names_follow_columns(tiny_data):
    assert tiny_data.playlist_names == ["Chill", "Party", "Focus", "Road trip", "Gym"]


def test_tiny_data_has_no_skipped_playlists(tiny_data):
    assert tiny_data.skipped_empty == []
    assert tiny_data.synthetic is False


def test_full_format_with_extra_fields_loads(tmp_path):
    full_track = {
        "pos": 0, "artist_name": "Drake", "track_uri": "spotify:track:1",
        "artist_uri": "spotify:artist:1", "track_name": "One Dance",
        "album_uri": "spotify:album:1", "duration_ms": 173986, "album_name": "Views",
    }
    full_playlist = {
        "name": "Summer", "collaborative": "false", "pid": 0, "modified_at": 1493424000,
        "num_tracks": 1, "num_albums": 1, "num_followers": 1, "num_edits": 2,
        "duration_ms": 173986, "num_artists": 1, "description": "hot days",
        "tracks": [full_track],
    }
    info = {"generated_on": "2017-12-03 08:41:42.057563", "slice": "0-999", "version": "v1"}
    write_slice(tmp_path, [full_playlist], info=info)
    data = read(tmp_path)
    assert data.track_uris == ["spotify:track:1"]
    assert data.track_names == ["One Dance"]
    assert data.track_artists == ["Drake"]
    assert data.playlist_names == ["Summer"]


def test_reduced_format_with_only_uri_loads(tmp_path):
    write_slice(tmp_path, [{"pid": 3, "tracks": [{"track_uri": "t:only"}]}], info={})
    data = read(tmp_path)
    assert data.track_uris == ["t:only"]
    assert data.track_names == [""]
    assert data.playlist_names == [""]


def test_slice_without_info_loads(tmp_path):
    (tmp_path / "mpd.slice.0-999.json").write_text(
        json.dumps({"playlists": [playlist(0, ["t:a"])]}), encoding="utf-8")
    assert read(tmp_path).num_playlists == 1


def test_synthetic_flag_when_every_slice_says_so(tmp_path):
    write_slice(tmp_path, [playlist(0, ["t:a"])], info={"synthetic": True})
    write_slice(tmp_path, [playlist(1000, ["t:b"])], info={"synthetic": True})
    assert read(tmp_path).synthetic is True


def test_synthetic_flag_false_when_one_slice_is_real(tmp_path):
    write_slice(tmp_path, [playlist(0, ["t:a"])], info={"synthetic": True})
    write_slice(tmp_path, [playlist(1000, ["t:b"])], info={"slice": "1000-1999"})
    assert read(tmp_path).synthetic is False


def test_fingerprint_follows_file_contents(tmp_path):
    path = write_slice(tmp_path, [playlist(0, ["t:a"])])
    first = read(tmp_path).fingerprint
    assert read(tmp_path).fingerprint == first
    write_slice(tmp_path, [playlist(0, ["t:b"])], name=path.name)
    assert read(tmp_path).fingerprint != first


def test_empty_playlist_skipped_and_warned(tmp_path):
    write_slice(tmp_path, [playlist(0, ["t:a"]), playlist(7, []), playlist(8, ["t:b"])])
    with pytest.warns(SkippedPlaylistWarning, match=r"pids \[7\]"):
        data = read(tmp_path)
    assert data.skipped_empty == [7]
    assert data.playlist_pids.tolist() == [0, 8]
    assert data.matrix.shape == (2, 2)


def test_only_empty_playlists_raise(tmp_path):
    write_slice(tmp_path, [playlist(0, [])])
    with pytest.warns(SkippedPlaylistWarning):
        with pytest.raises(MPDFormatError, match="no playlist with tracks"):
            read(tmp_path)


UNUSUAL_NAMES = [
    "Road trip \U0001f697\U0001f3b6",
    'She said "hi" and \'bye\'',
    "rock, pop, jazz",
    "\u05e9\u05d9\u05e8\u05d9\u05dd \u0639\u0631\u0628\u064a",
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "back\\slash & ampersand",
]


def test_unusual_playlist_names_kept_intact(tmp_path):
    playlists = [playlist(pid, ["t:a"], name) for pid, name in enumerate(UNUSUAL_NAMES)]
    write_slice(tmp_path, playlists)
    assert read(tmp_path).playlist_names == UNUSUAL_NAMES


def test_unusual_track_names_kept_intact(tmp_path):
    tracks = [track(f"t:{i}", name, artist=name) for i, name in enumerate(UNUSUAL_NAMES)]
    write_slice(tmp_path, [{"pid": 0, "name": "x", "tracks": tracks}])
    data = read(tmp_path)
    assert data.track_names == UNUSUAL_NAMES
    assert data.track_artists == UNUSUAL_NAMES


# Broken input: each error names the file and, where there is one, the pid and field.


def write_raw(folder, text: str, name: str = "mpd.slice.0-999.json"):
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_invalid_json_names_file(tmp_path):
    path = write_raw(tmp_path, "{not json at all")
    with pytest.raises(MPDFormatError) as caught:
        read(tmp_path)
    assert str(path) in str(caught.value)
    assert "not valid JSON" in str(caught.value)


def test_truncated_json_names_file(tmp_path):
    document = json.dumps({"info": {}, "playlists": [playlist(0, ["t:a", "t:b"])]})
    path = write_raw(tmp_path, document[: len(document) // 2])
    with pytest.raises(MPDFormatError) as caught:
        read(tmp_path)
    assert str(path) in str(caught.value)
    assert "truncated" in str(caught.value)


@pytest.mark.parametrize("document", [
    [1, 2, 3],
    {"info": {}},
    {"info": {}, "playlists": {"pid": 0}},
    "playlists",
])
def test_json_not_a_slice_names_file(tmp_path, document):
    path = write_raw(tmp_path, json.dumps(document))
    with pytest.raises(MPDFormatError) as caught:
        read(tmp_path)
    assert str(path) in str(caught.value)
    assert "'playlists' list" in str(caught.value)


def test_playlist_without_pid_names_position(tmp_path):
    path = write_slice(tmp_path, [playlist(0, ["t:a"]), {"name": "x", "tracks": []}],
                       name="mpd.slice.0-999.json")
    with pytest.raises(MPDFormatError) as caught:
        read(tmp_path)
    message = str(caught.value)
    assert str(path) in message
    assert "playlist #1" in message
    assert "'pid'" in message


def test_playlist_with_text_pid_names_value(tmp_path):
    path = write_slice(tmp_path, [{"pid": "12", "tracks": []}], name="mpd.slice.0-999.json")
    with pytest.raises(MPDFormatError) as caught:
        read(tmp_path)
    message = str(caught.value)
    assert str(path) in message
    assert "'pid'" in message
    assert "'12'" in message


def test_playlist_without_tracks_names_pid(tmp_path):
    path = write_slice(tmp_path, [playlist(0, ["t:a"]), {"pid": 7, "name": "x"}])
    with pytest.raises(MPDFormatError) as caught:
        read(tmp_path)
    message = str(caught.value)
    assert str(path) in message
    assert "pid 7" in message
    assert "'tracks'" in message


def test_track_without_uri_names_pid_and_track(tmp_path):
    tracks = [track("t:a"), {"track_name": "Nameless", "artist_name": "Someone"}]
    path = write_slice(tmp_path, [{"pid": 7, "name": "x", "tracks": tracks}])
    with pytest.raises(MPDFormatError) as caught:
        read(tmp_path)
    message = str(caught.value)
    assert str(path) in message
    assert "pid 7" in message
    assert "track #1" in message
    assert "'track_uri'" in message


def test_track_uri_not_string_names_value(tmp_path):
    tracks = [{"track_uri": 12345, "track_name": "n", "artist_name": "a"}]
    path = write_slice(tmp_path, [{"pid": 7, "name": "x", "tracks": tracks}])
    with pytest.raises(MPDFormatError) as caught:
        read(tmp_path)
    message = str(caught.value)
    assert str(path) in message
    assert "pid 7" in message
    assert "'track_uri'" in message
    assert "12345" in message


def test_same_pid_in_two_slices_names_both(tmp_path):
    write_slice(tmp_path, [playlist(5, ["t:a"])], name="mpd.slice.0-999.json")
    second = write_slice(tmp_path, [playlist(5, ["t:b"])], name="mpd.slice.1000-1999.json")
    with pytest.raises(MPDFormatError) as caught:
        read(tmp_path)
    message = str(caught.value)
    assert str(second) in message
    assert "pid 5" in message
    assert "mpd.slice.0-999.json" in message


def test_empty_folder_raises_not_found(tmp_path):
    with pytest.raises(FileNotFoundError, match="no \\*.json slice files") as caught:
        read(tmp_path)
    assert str(tmp_path) in str(caught.value)


def test_missing_folder_raises_not_found(tmp_path):
    missing = tmp_path / "no-such-folder"
    with pytest.raises(FileNotFoundError, match="does not exist") as caught:
        read(missing)
    assert str(missing) in str(caught.value)


def test_file_instead_of_folder_raises(tmp_path):
    path = write_slice(tmp_path, [playlist(0, ["t:a"])])
    with pytest.raises(NotADirectoryError) as caught:
        read(path)
    assert str(path) in str(caught.value)


# The real sample, when NNCF_MPD_SAMPLE names it.


@pytest.fixture(scope="module")
def sample_data(mpd_sample_dir):
    return read(mpd_sample_dir)


def test_sample_playlist_count(sample_data):
    assert sample_data.num_playlists == 3238


def test_sample_distinct_entries(sample_data):
    assert sample_data.matrix.nnz == 309_791


def test_sample_track_count(sample_data):
    assert sample_data.num_tracks == 118_006


def test_sample_most_frequent_track(sample_data):
    counts = np.asarray(sample_data.matrix.sum(axis=1)).ravel()
    row = int(np.argmax(counts))
    assert counts[row] == 169
    assert sample_data.track_names[row] == "One Dance"
    assert sample_data.track_artists[row] == "Drake"


def test_empty_track_uri_raises(tmp_path):
    write_slice(tmp_path, [playlist(7, ["spotify:track:a", ""])])
    with pytest.raises(MPDFormatError) as caught:
        read_mpd(tmp_path, show_progress=False)
    message = str(caught.value)
    assert "pid 7" in message
    assert "track #1" in message
    assert "empty 'track_uri'" in message


def test_file_records_name_size_and_digest(tiny_data):
    first = tiny_data.files[0]
    assert set(first) == {"name", "bytes", "xxh3_128"}
    assert len(first["xxh3_128"]) == 32
    assert first["bytes"] > 0


@pytest.mark.parametrize("enabled", [True, False])
def test_cycle_collector_state_restored(tmp_path, enabled):
    write_slice(tmp_path, [playlist(1, ["spotify:track:a"])])
    was_enabled = gc.isenabled()
    try:
        gc.enable() if enabled else gc.disable()
        read(tmp_path)
        assert gc.isenabled() is enabled
        (tmp_path / "broken.json").write_text("{")
        with pytest.raises(MPDFormatError):
            read(tmp_path)
        assert gc.isenabled() is enabled
    finally:
        gc.enable() if was_enabled else gc.disable()


@pytest.mark.parametrize("pid", [2**63, -(2**63) - 1, 2**64])
def test_pid_outside_int64_names_pid(tmp_path, pid):
    write_slice(tmp_path, [playlist(1, ["spotify:track:a"])])
    (tmp_path / "extra.json").write_text(
        '{"playlists": [{"pid": %d, "tracks": [{"track_uri": "spotify:track:b"}]}]}' % pid)
    with pytest.raises(MPDFormatError) as caught:
        read(tmp_path)
    message = str(caught.value)
    assert "extra.json" in message
    assert str(pid) in message
    assert "64-bit" in message


def test_repeated_key_names_json_path(tmp_path):
    (tmp_path / "mpd.slice.0-999.json").write_text(
        '{"playlists": [{"pid": 3, "tracks": [{"track_uri": 5, "track_uri": "t:a"}]}]}')
    with pytest.raises(MPDFormatError) as caught:
        read(tmp_path)
    message = str(caught.value)
    assert "mpd.slice.0-999.json" in message
    assert "track_uri" in message


def test_deeply_nested_info_raises_format_error(tmp_path):
    info = "[" * 5000 + "]" * 5000
    (tmp_path / "mpd.slice.0-999.json").write_text(
        '{"info": {"x": %s}, "playlists": [{"pid": 3, "tracks": []}]}' % info)
    with pytest.raises(MPDFormatError) as caught:
        read(tmp_path)
    assert "mpd.slice.0-999.json" in str(caught.value)

"""Atomic writes, JSON and npz artifacts, and step folders guarded by their manifest."""

from __future__ import annotations

import json

import numpy as np
import pytest

from nncf_helpers.artifacts import (
    MANIFEST,
    PARTIAL_PREFIX,
    ArtifactMismatchError,
    MissingArtifactError,
    StepFolder,
    atomic_path,
    read_json,
    read_manifest,
    read_npz,
    write_json,
    write_npz,
)


class Crash(Exception):
    """Raised inside a write block to stand for a failure half-way."""


def partial_files(folder):
    return [path.name for path in folder.iterdir() if path.name.startswith(PARTIAL_PREFIX)]


def test_atomic_path_replaces_on_success(tmp_path):
    target = tmp_path / "result.txt"
    target.write_text("old", encoding="utf-8")
    with atomic_path(target) as temporary:
        temporary.write_text("new", encoding="utf-8")
    assert target.read_text(encoding="utf-8") == "new"
    assert partial_files(tmp_path) == []


def test_atomic_path_keeps_old_file_on_error(tmp_path):
    target = tmp_path / "result.txt"
    target.write_text("old", encoding="utf-8")
    with pytest.raises(Crash):
        with atomic_path(target) as temporary:
            temporary.write_text("half", encoding="utf-8")
            raise Crash
    assert target.read_text(encoding="utf-8") == "old"
    assert partial_files(tmp_path) == []


def test_atomic_path_creates_nothing_on_error(tmp_path):
    with pytest.raises(Crash):
        with atomic_path(tmp_path / "new.json") as temporary:
            temporary.write_text("{", encoding="utf-8")
            raise Crash
    assert list(tmp_path.iterdir()) == []


def test_atomic_path_keeps_suffix(tmp_path):
    with atomic_path(tmp_path / "sub" / "model.keras") as temporary:
        assert temporary.suffix == ".keras"
        assert temporary.name.startswith(PARTIAL_PREFIX)
        assert temporary.parent == tmp_path / "sub"
        temporary.write_bytes(b"x")


def test_json_round_trip_non_ascii(tmp_path):
    payload = {"name": "\u05e9\u05d9\u05e8 \U0001f3b6 caf\u00e9", "values": [1, 2.5, None]}
    path = write_json(tmp_path / "a.json", payload)
    assert read_json(path) == payload
    assert "caf\u00e9" in path.read_text(encoding="utf-8")


def test_json_converts_numpy_values(tmp_path):
    path = write_json(tmp_path / "a.json", {"n": np.int64(3), "x": np.float32(0.5),
                                            "a": np.arange(3), "p": tmp_path})
    assert read_json(path) == {"n": 3, "x": 0.5, "a": [0, 1, 2], "p": str(tmp_path)}


def test_json_rejects_unknown_type(tmp_path):
    with pytest.raises(TypeError, match="set is not JSON serialisable"):
        write_json(tmp_path / "a.json", {"s": {1}})
    assert partial_files(tmp_path) == []


def test_read_json_missing_names_file(tmp_path):
    with pytest.raises(MissingArtifactError, match="absent.json does not exist"):
        read_json(tmp_path / "absent.json")


def test_read_json_broken_names_file(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text('{"a": ', encoding="utf-8")
    with pytest.raises(ValueError, match="broken.json is not valid JSON"):
        read_json(path)


def test_npz_round_trip(tmp_path):
    path = write_npz(tmp_path / "a.npz", keys=np.arange(5, dtype=np.int64),
                     labels=np.array([1, 0], dtype=np.int8))
    arrays = read_npz(path)
    assert arrays["keys"].tolist() == [0, 1, 2, 3, 4]
    assert arrays["labels"].dtype == np.int8


def test_read_npz_rejects_object_arrays(tmp_path):
    path = tmp_path / "pickled.npz"
    np.savez(path, names=np.array(["a", {"b": 1}], dtype=object))
    with pytest.raises(ValueError, match="allow_pickle=False"):
        read_npz(path)


def test_read_npz_missing_names_file(tmp_path):
    with pytest.raises(MissingArtifactError, match="split.npz does not exist"):
        read_npz(tmp_path / "split.npz")


def finished_step(folder, params, inputs=None) -> StepFolder:
    """A step that wrote ``result.json`` and completed."""
    step = StepFolder(folder, "01_split", params, inputs or {"data": "abc"})
    step.prepare()
    step.record(write_json(folder / "result.json", {"ok": True}))
    step.complete({"summary": 1})
    return step


def test_prepare_writes_running_manifest(tmp_path):
    folder = tmp_path / "split"
    StepFolder(folder, "01_split", {"SEED": 0}, {}).prepare()
    manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    assert manifest["status"] == "running"
    assert manifest["params"] == {"SEED": 0}


def test_complete_records_outputs(tmp_path):
    folder = tmp_path / "split"
    finished_step(folder, {"SEED": 0})
    manifest = read_manifest(folder, "01_split")
    assert manifest["status"] == "complete"
    assert list(manifest["outputs"]) == ["result.json"]
    assert len(manifest["outputs"]["result.json"]) == 64
    assert manifest["summary"] == 1


def test_same_params_are_allowed(tmp_path):
    folder = tmp_path / "split"
    finished_step(folder, {"SEED": 0, "FRACTION": 0.05})
    previous = StepFolder(folder, "01_split", {"SEED": 0, "FRACTION": 0.05},
                          {"data": "abc"}).prepare(keep_for_resume=True)
    assert previous["status"] == "complete"
    assert (folder / "result.json").exists()


def test_other_params_raise_naming_parameter(tmp_path):
    folder = tmp_path / "split"
    finished_step(folder, {"SEED": 0, "FRACTION": 0.05})
    step = StepFolder(folder, "01_split", {"SEED": 1, "FRACTION": 0.05}, {"data": "abc"})
    with pytest.raises(ArtifactMismatchError) as caught:
        step.prepare()
    message = str(caught.value)
    assert "SEED was 0, now 1" in message
    assert "FRACTION" not in message
    assert "OVERWRITE=True" in message
    assert (folder / "result.json").exists()


def test_other_inputs_raise(tmp_path):
    folder = tmp_path / "split"
    finished_step(folder, {"SEED": 0})
    with pytest.raises(ArtifactMismatchError, match="input 'data' differs"):
        StepFolder(folder, "01_split", {"SEED": 0}, {"data": "changed"}).prepare()


def test_overwrite_replaces_other_run(tmp_path):
    folder = tmp_path / "split"
    finished_step(folder, {"SEED": 0})
    step = StepFolder(folder, "01_split", {"SEED": 1}, {"data": "abc"}, overwrite=True)
    assert step.prepare() is None
    assert not (folder / "result.json").exists()
    manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    assert manifest["params"] == {"SEED": 1}
    assert manifest["status"] == "running"


def test_files_without_manifest_raise(tmp_path):
    folder = tmp_path / "split"
    folder.mkdir()
    (folder / "stray.txt").write_text("?", encoding="utf-8")
    with pytest.raises(ArtifactMismatchError, match="contains files but no manifest.json"):
        StepFolder(folder, "01_split", {"SEED": 0}, {}).prepare()


def test_only_partial_files_are_cleared(tmp_path):
    folder = tmp_path / "split"
    folder.mkdir()
    (folder / f"{PARTIAL_PREFIX}123-split.npz").write_bytes(b"half")
    StepFolder(folder, "01_split", {"SEED": 0}, {}).prepare()
    assert sorted(path.name for path in folder.iterdir()) == [MANIFEST]


def test_read_manifest_missing_raises(tmp_path):
    with pytest.raises(MissingArtifactError, match="run 01_split with this output folder"):
        read_manifest(tmp_path, "01_split")


def test_read_manifest_running_raises(tmp_path):
    StepFolder(tmp_path, "01_split", {"SEED": 0}, {}).prepare()
    with pytest.raises(MissingArtifactError, match="did not finish \\(status 'running'\\)"):
        read_manifest(tmp_path, "01_split")


def test_read_manifest_other_step_raises(tmp_path):
    finished_step(tmp_path / "split", {"SEED": 0})
    with pytest.raises(MissingArtifactError, match="belongs to step '01_split', not '02_train'"):
        read_manifest(tmp_path / "split", "02_train")


def test_content_hash_ignores_save_date_and_ids(tmp_path):
    import time

    import keras

    from nncf_helpers.artifacts import content_sha256, sha256_file
    from nncf_helpers.model import build_nncf

    paths = []
    for index in range(2):
        keras.utils.set_random_seed(0)
        model = build_nncf(20, 10)
        paths.append(tmp_path / f"model-{index}.keras")
        model.save(paths[-1])
        time.sleep(1.1)
    assert sha256_file(paths[0]) != sha256_file(paths[1])
    assert content_sha256(paths[0]) == content_sha256(paths[1])


def test_content_hash_sees_other_weights(tmp_path):
    import keras

    from nncf_helpers.artifacts import content_sha256
    from nncf_helpers.model import build_nncf

    paths = []
    for seed in (0, 1):
        keras.utils.set_random_seed(seed)
        paths.append(tmp_path / f"model-{seed}.keras")
        build_nncf(20, 10).save(paths[-1])
    assert content_sha256(paths[0]) != content_sha256(paths[1])

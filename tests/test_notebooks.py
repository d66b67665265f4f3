"""The notebooks under papermill, end to end, on a tiny synthetic dataset.

These tests start Jupyter kernels, so each notebook costs several seconds; the data and
the schedule are kept tiny (a few epochs of small batches).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from nncf_helpers import paths, pipeline
from nncf_helpers.synthetic import write_synthetic_mpd

pytestmark = pytest.mark.notebooks

TINY = {
    "MAX_PLAYLISTS": 250,
    "EPOCHS": 4,
    "BATCH_SIZE": 512,
    "VALIDATION_SIZE": 256,
    "CHECKPOINT_PERIOD": 2,
    "BALANCED_SAMPLES": 3,
    "BALANCED_SAMPLE_SIZE": 200,
    "SVD_RANK": 8,
    "ALS_FACTORS": 8,
    "ALS_ITERATIONS": 3,
    "MAX_RANKING_PLAYLISTS": 40,
    "EXAMPLE_PLAYLISTS": 2,
}


PLAYLIST_PREFIX = '<script>alert("pid")</script> 🎧 "quoted", comma, שלום '
TRACK_PREFIX = "<img src=x onerror=alert(1)> 🎵 "


@pytest.fixture(scope="session")
def tiny_mpd(tmp_path_factory) -> Path:
    """A tiny synthetic MPD whose names carry markup, emoji, quotes and right-to-left text."""
    folder = tmp_path_factory.mktemp("mpd") / "tiny"
    write_synthetic_mpd(folder, num_playlists=300, num_tracks=600, num_tastes=6, seed=3)
    for path in folder.glob("*.json"):
        document = json.loads(path.read_text(encoding="utf-8"))
        for playlist in document["playlists"]:
            playlist["name"] = PLAYLIST_PREFIX + playlist["name"]
            for track in playlist["tracks"]:
                track["track_name"] = TRACK_PREFIX + track["track_name"]
        path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    return folder


def _run(tmp: Path, mpd_dir: Path, hash_seed: str, datasets=("seed-track", "random"),
         notebooks=pipeline.NOTEBOOKS, overrides=None) -> Path:
    # Kernels inherit the environment: a different hash seed per run shows that no index
    # depends on the iteration order of a set of strings.
    os.environ["PYTHONHASHSEED"] = hash_seed
    try:
        return pipeline.run_pipeline(
            str(mpd_dir), datasets, reports_dir=tmp / "reports", run_name="tiny",
            overrides={**TINY, **(overrides or {})}, notebooks=notebooks,
            runs_dir=tmp / "runs", build_dir=tmp / "build",
        )
    finally:
        os.environ.pop("PYTHONHASHSEED", None)


@pytest.fixture(scope="session")
def full_run(tmp_path_factory, tiny_mpd) -> Path:
    tmp = tmp_path_factory.mktemp("full")
    _run(tmp, tiny_mpd, hash_seed="1")
    return tmp


def test_pipeline_writes_index_and_pages(full_run):
    index = full_run / "reports" / "index.html"
    assert index.exists()
    text = index.read_text(encoding="utf-8")
    assert "SYNTHETIC DATA" in text
    for dataset in ("seed-track", "random"):
        for name in pipeline.NOTEBOOKS:
            page = full_run / "reports" / dataset / f"{name}.html"
            assert page.exists(), page
            assert f"{dataset}/{name}.html" in text


def test_pages_start_with_synthetic_banner(full_run):
    for page in (full_run / "reports").glob("*/*.html"):
        body = page.read_text(encoding="utf-8")
        first_output = body.find("SYNTHETIC DATA")
        assert first_output != -1, page
        assert "Input fingerprint" in body
        assert "Code commit" in body
        assert "tensorflow" in body


def test_names_render_as_text(full_run):
    pages = {page: page.read_text(encoding="utf-8") for page in (full_run / "reports").rglob("*.html")}
    for page, body in pages.items():
        assert "<script>alert(" not in body, page
        assert "<img src=x onerror" not in body, page
    examples = pages[full_run / "reports" / "random" / "05_compare_models.html"]
    assert "&lt;script&gt;alert(" in examples
    assert "&lt;img src=x onerror=alert(1)&gt;" in examples
    assert "🎧" in examples
    assert "שלום" in examples
    tables = json.loads(
        (full_run / "runs" / "tiny" / "random" / "split" / "playlists.json").read_text("utf-8")
    )
    assert all(name.startswith(PLAYLIST_PREFIX) for name in tables["name"])


def test_pages_embed_figures(full_run):
    for name in ("02_train", "03_evaluate", "04_compare_checkpoints", "05_compare_models"):
        body = (full_run / "reports" / "random" / f"{name}.html").read_text(encoding="utf-8")
        assert "data:image/png;base64" in body, name


def test_split_manifest_records_counts(full_run):
    manifests = {
        dataset: json.loads(
            (full_run / "runs" / "tiny" / dataset / "split" / "manifest.json").read_text()
        )
        for dataset in ("seed-track", "random")
    }
    for manifest in manifests.values():
        assert manifest["status"] == "complete"
        assert manifest["synthetic"] is True
    assert manifests["random"]["summary"]["playlists"] == 250
    assert manifests["random"]["available_playlists"] == 300
    # Fewer playlists than requested hold the hit track, and all of them are taken.
    seed_track = manifests["seed-track"]
    assert seed_track["available_playlists"] < 250
    assert seed_track["summary"]["playlists"] == seed_track["available_playlists"]


def test_training_writes_checkpoints_and_history(full_run):
    model_dir = full_run / "runs" / "tiny" / "random" / "model"
    history = json.loads((model_dir / "history.json").read_text())
    assert len(history["loss"]) == TINY["EPOCHS"]
    assert len(history["val_loss"]) == TINY["EPOCHS"]
    assert (model_dir / "checkpoint-epoch-0002.keras").exists()
    assert (model_dir / "checkpoint-epoch-0004.keras").exists()
    assert (model_dir / "final.keras").exists()
    assert not list(model_dir.glob(".partial-*"))


def test_metrics_hold_both_test_settings(full_run):
    metrics = json.loads(
        (full_run / "runs" / "tiny" / "random" / "evaluation" / "metrics.json").read_text()
    )
    real = metrics["test"]["real_ratio"]
    balanced = metrics["test"]["balanced"]
    assert 0.0 <= real["roc_auc"] <= 1.0
    assert sum(map(sum, real["confusion_matrix"])) == real["cells"]
    assert balanced["samples"] == TINY["BALANCED_SAMPLES"]
    assert metrics["reference"]["final"]["roc_auc_hard"] == pytest.approx(0.7506)


def test_checkpoint_comparison_names_favoured(full_run):
    comparison = json.loads(
        (full_run / "runs" / "tiny" / "random" / "checkpoint_comparison" / "comparison.json")
        .read_text()
    )
    assert len(comparison["results"]) == 2
    assert set(comparison["favoured"]) == {
        "lower_test_loss_real_ratio", "lower_test_loss_balanced", "higher_roc_auc",
    }


def test_model_comparison_covers_every_model(full_run):
    metrics = json.loads(
        (full_run / "runs" / "tiny" / "random" / "model_comparison" / "metrics.json").read_text()
    )
    models = metrics["ranking"]["models"]
    assert len(models) == 5
    for row in models.values():
        for key in ("hr@10", "ndcg@10", "r_precision", "ndcg", "clicks", "fit_seconds",
                    "scoring_seconds"):
            assert key in row
    assert "test" in metrics


def test_rerun_gives_identical_split_and_metrics(full_run, tiny_mpd, tmp_path):
    # Rerun over a copy of the first run's artifacts: the same parameters are accepted
    # without OVERWRITE, and every step reproduces what it wrote before.
    shutil.copytree(full_run / "runs", tmp_path / "runs")
    _run(tmp_path, tiny_mpd, hash_seed="2", datasets=("random",))
    first = full_run / "runs" / "tiny" / "random"
    second = tmp_path / "runs" / "tiny" / "random"
    assert (first / "split" / "split.npz").read_bytes() == (
        second / "split" / "split.npz"
    ).read_bytes()
    assert (first / "split" / "tracks.json").read_bytes() == (
        second / "split" / "tracks.json"
    ).read_bytes()
    metrics_first = json.loads((first / "evaluation" / "metrics.json").read_text())
    metrics_second = json.loads((second / "evaluation" / "metrics.json").read_text())
    assert metrics_first["test"] == metrics_second["test"]

    def ranking_without_timings(run_dir):
        metrics = json.loads((run_dir / "model_comparison" / "metrics.json").read_text())
        return {
            model: {key: value for key, value in row.items() if not key.endswith("_seconds")}
            for model, row in metrics["ranking"]["models"].items()
        }

    assert ranking_without_timings(first) == ranking_without_timings(second)


def test_other_parameters_stop_with_mismatch(full_run, tiny_mpd, tmp_path):
    shutil.copytree(full_run / "runs", tmp_path / "runs")
    with pytest.raises(pipeline.NotebookFailed) as error:
        _run(tmp_path, tiny_mpd, hash_seed="0", datasets=("random",),
             notebooks=("01_split",), overrides={"HOLDOUT_FRACTION": 0.1})
    assert "HOLDOUT_FRACTION was 0.05, now 0.1" in str(error.value)
    split = tmp_path / "runs" / "tiny" / "random" / "split" / "split.npz"
    assert split.read_bytes() == (
        full_run / "runs" / "tiny" / "random" / "split" / "split.npz"
    ).read_bytes()


def test_failed_cell_keeps_notebook_and_no_index(tiny_mpd, tmp_path):
    with pytest.raises(pipeline.NotebookFailed) as error:
        _run(tmp_path, tiny_mpd, hash_seed="0", datasets=("random",),
             notebooks=("01_split", "02_train"), overrides={"EPOCHS": 0})
    assert "EPOCHS=0" in str(error.value)
    report_dir = tmp_path / "reports" / "random"
    failed = report_dir / "02_train.failed.ipynb"
    assert failed.exists()
    assert "ParameterError" in failed.read_text(encoding="utf-8")
    assert not (report_dir / "02_train.html").exists()
    assert not (tmp_path / "reports" / "index.html").exists()


def _papermill(notebook: Path, output: Path, parameters: dict) -> list[str]:
    command = [sys.executable, "-m", "papermill", str(notebook), str(output), "-k", "python3",
               "--cwd", str(paths.PROJECT_ROOT)]
    for name, value in parameters.items():
        command += ["-p", name, str(value)]
    return command


def test_killed_training_resumes_to_same_metrics(full_run, tmp_path):
    import jupytext
    import nbformat

    notebooks = {}
    for name in ("02_train", "03_evaluate"):
        notebooks[name] = tmp_path / f"{name}.ipynb"
        nbformat.write(jupytext.read(paths.NOTEBOOKS_DIR / f"{name}.py"), notebooks[name])
    schedule = {"EPOCHS": 150, "BATCH_SIZE": 4096, "VALIDATION_SIZE": 256,
                "CHECKPOINT_PERIOD": 10}
    runs = {}
    for label in ("unbroken", "resumed"):
        runs[label] = tmp_path / label
        shutil.copytree(full_run / "runs" / "tiny" / "random" / "split", runs[label] / "split")

    subprocess.run(
        _papermill(notebooks["02_train"], tmp_path / "unbroken.ipynb",
                   {**schedule, "RUN_DIR": runs["unbroken"]}),
        check=True, capture_output=True,
    )

    state = runs["resumed"] / "model" / "training_state.json"
    process = subprocess.Popen(
        _papermill(notebooks["02_train"], tmp_path / "killed.ipynb",
                   {**schedule, "RUN_DIR": runs["resumed"]}),
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )
    deadline = time.monotonic() + 300
    completed = 0
    while time.monotonic() < deadline and process.poll() is None:
        if state.exists():
            try:
                completed = json.loads(state.read_text())["completed_epochs"]
            except (ValueError, KeyError):
                completed = 0
            if completed >= 30:
                break
        time.sleep(0.05)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    assert 30 <= completed < schedule["EPOCHS"], "training was not interrupted mid-run"
    assert not (runs["resumed"] / "model" / "final.keras").exists()

    subprocess.run(
        _papermill(notebooks["02_train"], tmp_path / "resumed.ipynb",
                   {**schedule, "RUN_DIR": runs["resumed"], "RESUME": True}),
        check=True, capture_output=True,
    )
    resumed_log = (tmp_path / "resumed.ipynb").read_text(encoding="utf-8")
    assert "Resuming from checkpoint-epoch-" in resumed_log

    metrics = {}
    for label, run_dir in runs.items():
        subprocess.run(
            _papermill(notebooks["03_evaluate"], tmp_path / f"evaluate-{label}.ipynb",
                       {"RUN_DIR": run_dir, "BALANCED_SAMPLES": 3}),
            check=True, capture_output=True,
        )
        metrics[label] = json.loads((run_dir / "evaluation" / "metrics.json").read_text())
    unbroken = metrics["unbroken"]["test"]["real_ratio"]
    resumed = metrics["resumed"]["test"]["real_ratio"]
    assert resumed["confusion_matrix"] == unbroken["confusion_matrix"]
    assert resumed["loss"] == pytest.approx(unbroken["loss"], abs=1e-6)
    assert resumed["roc_auc"] == pytest.approx(unbroken["roc_auc"], abs=1e-6)

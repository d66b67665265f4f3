"""Regression tests for bugs an end-to-end tester found: fingerprints of reloaded models,
a RUN_DIR that is a file, and a model evaluated against a split it was not trained on.
"""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from nncf_helpers import params, pipeline  # noqa: E402
from nncf_helpers.synthetic import write_synthetic_mpd  # noqa: E402


def test_reloaded_model_fingerprint_unchanged(tmp_path):
    import keras

    from nncf_helpers.artifacts import content_sha256
    from nncf_helpers.model import build_nncf
    from nncf_helpers.training import load_model, save_model

    keras.utils.set_random_seed(0)
    model = build_nncf(20, 10, mlp_layers=(8, 4, 2), combine_layers=(4,))
    # One step builds the optimizer, so its variables are saved and reloaded too.
    model.train_on_batch([np.arange(4), np.arange(4)], np.eye(2)[[0, 1, 0, 1]])
    saved = save_model(model, tmp_path / "saved.keras")
    resaved = save_model(load_model(saved), tmp_path / "resaved.keras")
    assert content_sha256(saved) == content_sha256(resaved)


def test_check_folder_rejects_file_path(tmp_path):
    path = tmp_path / "not-a-folder"
    path.write_text("x", encoding="utf-8")
    with pytest.raises(params.ParameterError, match="RUN_DIR"):
        params.check_folder("RUN_DIR", str(path), must_exist=False)


TINY_SCHEDULE = {
    "MAX_PLAYLISTS": 150, "EPOCHS": 2, "BATCH_SIZE": 256, "VALIDATION_SIZE": 64,
    "CHECKPOINT_PERIOD": 2, "BALANCED_SAMPLES": 2, "BALANCED_SAMPLE_SIZE": 100,
}


def _run_steps(tmp_path, mpd_dir, notebooks, overrides=None, overwrite=False):
    return pipeline.run_pipeline(
        str(mpd_dir), ("random",), reports_dir=tmp_path / "reports", run_name="tiny",
        overrides={**TINY_SCHEDULE, **(overrides or {})}, overwrite=overwrite,
        notebooks=notebooks, runs_dir=tmp_path / "runs", build_dir=tmp_path / "build",
    )


@pytest.mark.notebooks
def test_evaluate_rejects_model_of_old_split(tmp_path):
    mpd_dir = tmp_path / "mpd"
    write_synthetic_mpd(mpd_dir, num_playlists=200, num_tracks=300, num_tastes=4, seed=1)
    _run_steps(tmp_path, mpd_dir, ("01_split", "02_train"))
    _run_steps(tmp_path, mpd_dir, ("01_split",), {"HOLDOUT_FRACTION": 0.1}, overwrite=True)
    with pytest.raises(pipeline.NotebookFailed):
        _run_steps(tmp_path, mpd_dir, ("03_evaluate",))


def test_pipeline_rejects_unknown_parameter(tmp_path):
    with pytest.raises(ValueError, match="EPOCS"):
        pipeline.run_pipeline(None, ("random",), reports_dir=tmp_path / "reports",
                              overrides={"EPOCS": 100}, runs_dir=tmp_path / "runs",
                              build_dir=tmp_path / "build")
    assert not (tmp_path / "runs").exists()


def test_pipeline_checks_mpd_dir_before_clearing(tmp_path):
    reports = tmp_path / "reports"
    (reports / "random").mkdir(parents=True)
    (reports / "index.html").write_text("earlier run", encoding="utf-8")
    with pytest.raises(FileNotFoundError, match="does not exist"):
        pipeline.run_pipeline(str(tmp_path / "missing"), ("random",), reports_dir=reports,
                              runs_dir=tmp_path / "runs", build_dir=tmp_path / "build")
    assert (reports / "index.html").read_text(encoding="utf-8") == "earlier run"

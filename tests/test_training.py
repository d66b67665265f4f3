"""Training loop: checkpoints, history, dropout seeds, and a resume that matches an unbroken run."""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
import scipy.sparse as sp  # noqa: E402

from nncf_helpers.artifacts import read_json  # noqa: E402
from nncf_helpers.model import build_nncf  # noqa: E402
from nncf_helpers.sampling import BalancedSampler, balanced_sample, one_hot  # noqa: E402
from nncf_helpers.splits import split_cells  # noqa: E402
from nncf_helpers.training import (  # noqa: E402
    FINAL_MODEL,
    HISTORY_FILE,
    STATE_FILE,
    _reset_dropout_seeds,
    checkpoint_name,
    configure_determinism,
    list_checkpoints,
    load_model,
    train,
)

NUM_TRACKS = 60
NUM_PLAYLISTS = 30
SEED = 3
SCHEDULE = {"steps_per_epoch": 2, "batch_size": 64, "balance_ratio": 0.5, "seed": SEED}


class Interrupted(Exception):
    """Raised from ``on_checkpoint`` to stop training as a crash would."""


@pytest.fixture(scope="module")
def setup():
    """Sampler and validation batch of a 60 x 30 random matrix."""
    rng = np.random.default_rng(0)
    dense = (rng.random((NUM_TRACKS, NUM_PLAYLISTS)) < 0.15).astype(np.int8)
    split = split_cells(sp.csr_matrix(dense), 0.1, seed=SEED)
    keys, labels = balanced_sample(split.validation_keys, split.validation_labels, 40, 0.5,
                                   np.random.default_rng(1))
    playlists, tracks = split.decode(keys)
    return BalancedSampler(split), (playlists, tracks, one_hot(labels))


def small_model():
    return build_nncf(NUM_TRACKS, NUM_PLAYLISTS, mf_dim=8, mlp_dim=4, mlp_layers=(16, 8, 4),
                      combine_layers=(8,))


def run(setup, folder, epochs, period, resume=False, stop_after=None):
    """Seed, build and train a small model. Raise Interrupted after epoch ``stop_after``."""
    sampler, validation = setup
    configure_determinism(SEED)

    def on_checkpoint(path):
        if stop_after is not None and path.name == checkpoint_name(stop_after):
            raise Interrupted(path.name)

    return train(small_model(), sampler, validation, folder, epochs=epochs,
                 checkpoint_period=period, resume=resume, on_checkpoint=on_checkpoint,
                 log=lambda line: None, **SCHEDULE)


@pytest.fixture(scope="module")
def five_epochs(setup, tmp_path_factory):
    """Folder and history of a 5-epoch run with a checkpoint every 2 epochs."""
    folder = tmp_path_factory.mktemp("five-epochs")
    _, history = run(setup, folder, epochs=5, period=2)
    return folder, history


def test_checkpoints_every_period_and_at_end(five_epochs):
    folder, _ = five_epochs
    assert [epoch for epoch, _ in list_checkpoints(folder)] == [2, 4, 5]


def test_final_model_written(five_epochs):
    folder, _ = five_epochs
    assert (folder / FINAL_MODEL).is_file()


def test_state_records_completed_epochs(five_epochs):
    folder, _ = five_epochs
    assert read_json(folder / STATE_FILE)["completed_epochs"] == 5


def test_history_file_lists_checkpoints(five_epochs):
    folder, _ = five_epochs
    assert [entry["epoch"] for entry in read_json(folder / HISTORY_FILE)["checkpoints"]] == [
        2, 4, 5]


def test_history_has_one_value_per_epoch(five_epochs):
    _, history = five_epochs
    for name in ("loss", "accuracy", "val_loss", "val_accuracy", "seconds"):
        assert len(history[name]) == 5, name


def test_no_partial_files_left(five_epochs):
    folder, _ = five_epochs
    assert [path.name for path in folder.iterdir() if path.name.startswith(".partial-")] == []


def test_dropout_layers_get_distinct_seeds():
    # Keras adds [0, 1] to a layer's seed state at every draw, so two layers that start
    # from one state draw the same mask whenever their shapes match.
    model = small_model()
    _reset_dropout_seeds(model, SEED, 0)
    states = [tuple(layer.seed_generator.state.numpy().tolist()) for layer in model.layers
              if getattr(layer, "seed_generator", None) is not None]
    assert len(states) >= 6
    assert len(set(states)) == len(states)


def test_dropout_seeds_of_next_epoch_do_not_overlap():
    # The second step of one epoch must not reuse the first step's state of the next.
    model = small_model()
    _reset_dropout_seeds(model, SEED, 0)
    first = {int(layer.seed_generator.state.numpy()[0]) for layer in model.layers
             if getattr(layer, "seed_generator", None) is not None}
    _reset_dropout_seeds(model, SEED, 1)
    second = {int(layer.seed_generator.state.numpy()[0]) for layer in model.layers
              if getattr(layer, "seed_generator", None) is not None}
    assert first.isdisjoint(second)


@pytest.fixture(scope="module")
def unbroken_and_resumed(setup, tmp_path_factory):
    """A 6-epoch run, and one stopped after epoch 4's checkpoint and then resumed to 6."""
    unbroken_dir = tmp_path_factory.mktemp("unbroken")
    resumed_dir = tmp_path_factory.mktemp("resumed")
    unbroken, unbroken_history = run(setup, unbroken_dir, epochs=6, period=2)
    with pytest.raises(Interrupted):
        run(setup, resumed_dir, epochs=6, period=2, stop_after=4)
    interrupted_state = read_json(resumed_dir / STATE_FILE)
    resumed, resumed_history = run(setup, resumed_dir, epochs=6, period=2, resume=True)
    return {
        "unbroken": unbroken, "unbroken_history": unbroken_history,
        "resumed": resumed, "resumed_history": resumed_history,
        "interrupted_state": interrupted_state, "resumed_dir": resumed_dir,
        "unbroken_dir": unbroken_dir,
    }


def test_same_seed_gives_same_checkpoint(unbroken_and_resumed):
    # Epoch 2 of both runs came from the same seed before any interruption.
    name = checkpoint_name(2)
    first = load_model(unbroken_and_resumed["unbroken_dir"] / name).get_weights()
    second = load_model(unbroken_and_resumed["resumed_dir"] / name).get_weights()
    for left, right in zip(first, second):
        np.testing.assert_array_equal(left, right)


def test_interruption_left_epoch_four_state(unbroken_and_resumed):
    assert unbroken_and_resumed["interrupted_state"]["completed_epochs"] == 4


def test_resume_writes_remaining_checkpoints(unbroken_and_resumed):
    folder = unbroken_and_resumed["resumed_dir"]
    assert [epoch for epoch, _ in list_checkpoints(folder)] == [2, 4, 6]
    assert read_json(folder / STATE_FILE)["completed_epochs"] == 6


def test_resume_matches_unbroken_weights(unbroken_and_resumed):
    unbroken = unbroken_and_resumed["unbroken"].get_weights()
    resumed = unbroken_and_resumed["resumed"].get_weights()
    assert len(unbroken) == len(resumed)
    for left, right in zip(unbroken, resumed):
        np.testing.assert_allclose(right, left, rtol=0, atol=1e-6)


def test_resume_matches_unbroken_history(unbroken_and_resumed):
    unbroken = unbroken_and_resumed["unbroken_history"]
    resumed = unbroken_and_resumed["resumed_history"]
    for name in ("loss", "accuracy", "val_loss", "val_accuracy"):
        np.testing.assert_allclose(resumed[name], unbroken[name], rtol=0, atol=1e-6,
                                   err_msg=name)
    assert [entry["epoch"] for entry in resumed["checkpoints"]] == [2, 4, 6]


def test_saved_final_model_matches_returned(unbroken_and_resumed):
    saved = load_model(unbroken_and_resumed["resumed_dir"] / FINAL_MODEL)
    for left, right in zip(saved.get_weights(), unbroken_and_resumed["resumed"].get_weights()):
        np.testing.assert_array_equal(left, right)


def test_resume_without_state_starts_fresh(setup, tmp_path):
    lines = []
    sampler, validation = setup
    configure_determinism(SEED)
    _, history = train(small_model(), sampler, validation, tmp_path, epochs=1,
                       checkpoint_period=1, resume=True, log=lines.append, **SCHEDULE)
    assert lines[0] == "No checkpoint to resume from; training from the first epoch."
    assert len(history["loss"]) == 1


def test_load_missing_model_raises(tmp_path):
    with pytest.raises(FileNotFoundError, match="missing.keras"):
        load_model(tmp_path / "missing.keras")

"""NNCF model: parameter count on the reference shapes, output shape and invalid settings."""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from nncf_helpers.model import build_nncf  # noqa: E402


def count(weights) -> int:
    return int(sum(np.prod(weight.shape) for weight in weights))


@pytest.fixture(scope="module")
def reference_model() -> keras.Model:
    """The model on the reference's seed-track shapes: 74,450 tracks, 10,000 playlists."""
    return build_nncf(74_450, 10_000)


def test_reference_parameter_count(reference_model):
    assert reference_model.count_params() == 5_109_313


def test_reference_non_trainable_count(reference_model):
    assert count(reference_model.non_trainable_weights) == 600


def test_embedding_tables_have_extra_row(reference_model):
    assert reference_model.get_layer("track_embedding_mf").embeddings.shape == (74_451, 50)
    assert reference_model.get_layer("playlist_embedding_mlp").embeddings.shape == (10_001, 10)


@pytest.fixture(scope="module")
def small_model() -> keras.Model:
    keras.utils.set_random_seed(0)
    return build_nncf(30, 20)


def test_output_shape_is_batch_by_two(small_model):
    playlists = np.arange(7, dtype=np.int32)
    tracks = np.arange(7, dtype=np.int32) * 3
    output = small_model.predict([playlists, tracks], verbose=0)
    assert output.shape == (7, 2)


def test_output_rows_sum_to_one(small_model):
    rng = np.random.default_rng(0)
    output = small_model.predict(
        [rng.integers(0, 20, 50), rng.integers(0, 30, 50)], verbose=0)
    np.testing.assert_allclose(output.sum(axis=1), np.ones(50), atol=1e-6)
    assert (output >= 0).all()


def test_inputs_accept_column_shape():
    # A fresh model, because a Keras predict function traced on 1-D inputs fails on 2-D ones.
    model = build_nncf(30, 20)
    output = model.predict(
        [np.zeros((4, 1), dtype=np.int32), np.ones((4, 1), dtype=np.int32)], verbose=0)
    assert output.shape == (4, 2)


def test_unknown_optimizer_raises():
    with pytest.raises(ValueError, match="optimizer='lbfgs' is unknown"):
        build_nncf(10, 10, optimizer="lbfgs")


@pytest.mark.parametrize("dropout", [-0.1, 1.0, 1.5])
def test_dropout_out_of_range_raises(dropout):
    with pytest.raises(ValueError, match=r"outside \[0, 1\)"):
        build_nncf(10, 10, dropout=dropout)


def test_short_mlp_layers_raise():
    with pytest.raises(ValueError, match="too short"):
        build_nncf(10, 10, mlp_layers=(20, 10))


@pytest.mark.parametrize(("optimizer", "expected"), [
    ("adam", keras.optimizers.Adam),
    ("rmsprop", keras.optimizers.RMSprop),
    ("sgd", keras.optimizers.SGD),
    ("adagrad", keras.optimizers.Adagrad),
])
def test_known_optimizers_build(optimizer, expected):
    model = build_nncf(5, 5, optimizer=optimizer, learning_rate=0.01)
    assert isinstance(model.optimizer, expected)
    assert float(model.optimizer.learning_rate) == pytest.approx(0.01)

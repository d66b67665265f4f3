"""The folded scorer must reproduce model.predict on every cell."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from nncf_helpers import folded as folded_module  # noqa: E402
from nncf_helpers.folded import FoldedNNCF  # noqa: E402
from nncf_helpers.model import (  # noqa: E402
    PLAYLIST_MF,
    PLAYLIST_MLP,
    TRACK_MF,
    TRACK_MLP,
    build_nncf,
)

NUM_TRACKS = 300
NUM_PLAYLISTS = 50
TOLERANCE = 1e-5


def _trained_model(seed: int = 0, **sizes) -> keras.Model:
    """Build a small model, train it briefly and make its weights and BN statistics non-trivial.

    A few training steps move the BN statistics but leave the weights near their small
    initial values, where every prediction is close to 0.5 and the MLP output ReLU is off. The
    embeddings and moving statistics are therefore reset to random values of a scale that
    spreads the predictions and leaves both ReLUs active for part of the cells.
    """
    keras.utils.set_random_seed(seed)
    rng = np.random.default_rng(seed)
    model = build_nncf(NUM_TRACKS, NUM_PLAYLISTS, **sizes)
    playlists = rng.integers(0, NUM_PLAYLISTS, 2_000)
    tracks = rng.integers(0, NUM_TRACKS, 2_000)
    labels = np.eye(2)[rng.integers(0, 2, 2_000)]
    model.fit([playlists, tracks], labels, batch_size=256, epochs=2, verbose=0)

    for name in (TRACK_MF, PLAYLIST_MF, TRACK_MLP, PLAYLIST_MLP):
        embeddings = model.get_layer(name).embeddings
        embeddings.assign(rng.normal(0.0, 0.3, embeddings.shape))
    for name in ("mlp_batch_norm_0", "mlp_batch_norm_1"):
        batch_norm = model.get_layer(name)
        batch_norm.moving_mean.assign(rng.normal(0.0, 0.1, batch_norm.moving_mean.shape))
        batch_norm.moving_variance.assign(rng.uniform(0.05, 0.5, batch_norm.moving_variance.shape))
    return model


@pytest.fixture(scope="module")
def default_model() -> keras.Model:
    return _trained_model()


@pytest.fixture(scope="module")
def random_cells() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(1)
    return rng.integers(0, NUM_PLAYLISTS, 2_000), rng.integers(0, NUM_TRACKS, 2_000)


def _predict(model: keras.Model, playlists: np.ndarray, tracks: np.ndarray) -> np.ndarray:
    return model.predict([playlists, tracks], batch_size=4_096, verbose=0)[:, 1]


def test_score_pairs_matches_predict(default_model, random_cells):
    playlists, tracks = random_cells
    folded = FoldedNNCF.from_model(default_model)
    expected = _predict(default_model, playlists, tracks)
    scores = folded.score_pairs(playlists, tracks, batch_size=300)
    assert scores.dtype == np.float32
    assert scores.shape == (2_000,)
    np.testing.assert_allclose(scores, expected, rtol=0, atol=TOLERANCE)


def test_cells_exercise_both_relu_branches(default_model, random_cells):
    # Guards the other tests: with every ReLU on (or off) a wrong fold could still match.
    playlists, tracks = random_cells
    folded = FoldedNNCF.from_model(default_model)
    hidden = folded.track_hidden[tracks] + folded.playlist_hidden[playlists]
    output = np.maximum(hidden, 0.0) @ folded.output_weights + folded.output_bias
    assert 0.05 < np.mean(hidden > 0) < 0.95
    assert 0.05 < np.mean(output > 0) < 0.95
    assert _predict(default_model, playlists, tracks).std() > 0.05


def test_score_playlists_matches_predict(default_model):
    folded = FoldedNNCF.from_model(default_model)
    playlists = np.array([0, 17, NUM_PLAYLISTS - 1])
    all_tracks = np.arange(NUM_TRACKS)
    expected = _predict(
        default_model, np.repeat(playlists, NUM_TRACKS), np.tile(all_tracks, playlists.size)
    ).reshape(playlists.size, NUM_TRACKS)

    probabilities = folded.score_playlists(playlists, output="probability")
    logits = folded.score_playlists(playlists)
    assert probabilities.shape == (3, NUM_TRACKS)
    np.testing.assert_allclose(probabilities, expected, rtol=0, atol=TOLERANCE)
    np.testing.assert_allclose(1.0 / (1.0 + np.exp(-logits)), expected, rtol=0, atol=TOLERANCE)


def test_score_pairs_accepts_extra_embedding_row(default_model):
    # The embeddings have one extra row per table, which the model also scores.
    folded = FoldedNNCF.from_model(default_model)
    playlists = np.array([NUM_PLAYLISTS, 3])
    tracks = np.array([NUM_TRACKS, NUM_TRACKS])
    expected = _predict(default_model, playlists, tracks)
    np.testing.assert_allclose(folded.score_pairs(playlists, tracks), expected, atol=TOLERANCE)


def test_score_pairs_rejects_out_of_range(default_model):
    folded = FoldedNNCF.from_model(default_model)
    with pytest.raises(ValueError, match="Track indices"):
        folded.score_pairs([0], [NUM_TRACKS + 1])
    with pytest.raises(ValueError, match="Playlist indices"):
        folded.score_pairs([-1], [0])


@pytest.mark.parametrize(
    "sizes",
    [
        {"mlp_layers": (16, 8, 4), "combine_layers": ()},
        {"mf_dim": 7, "mlp_dim": 3, "mlp_layers": (24, 12, 9, 6, 5), "combine_layers": (3, 6, 4)},
    ],
)
def test_non_default_sizes_match_predict(sizes, random_cells):
    model = _trained_model(seed=2, **sizes)
    playlists, tracks = random_cells
    folded = FoldedNNCF.from_model(model)
    expected = _predict(model, playlists, tracks)
    assert folded.track_hidden.shape == (NUM_TRACKS + 1, sizes["mlp_layers"][-1])
    np.testing.assert_allclose(folded.score_pairs(playlists, tracks), expected, atol=TOLERANCE)


def test_save_load_round_trip(default_model, random_cells, tmp_path):
    playlists, tracks = random_cells
    folded = FoldedNNCF.from_model(default_model)
    path = tmp_path / "folded.npz"
    folded.save(path)
    loaded = FoldedNNCF.load(path)
    assert loaded.num_tracks == NUM_TRACKS
    assert loaded.num_playlists == NUM_PLAYLISTS
    np.testing.assert_array_equal(
        loaded.score_pairs(playlists, tracks), folded.score_pairs(playlists, tracks)
    )


def _random_folded(num_tracks: int, num_playlists: int, width: int = 6) -> FoldedNNCF:
    rng = np.random.default_rng(3)
    weights = rng.normal(0.0, 1.0, width)
    weights[0] = 0.0
    weights[1] = -abs(weights[1])
    weights[2] = abs(weights[2])
    return FoldedNNCF(
        track_mf=rng.normal(0.0, 0.3, (num_tracks + 1, 4)),
        playlist_mf=rng.normal(0.0, 0.3, (num_playlists + 1, 4)),
        track_hidden=rng.normal(0.0, 1.0, (num_tracks + 1, width)),
        playlist_hidden=rng.normal(0.0, 1.0, (num_playlists + 1, width)),
        output_weights=weights,
        output_bias=np.array(0.2),
        logit_coefficients=np.array([1.1, 0.8, -0.4]),
    )


@pytest.mark.parametrize("num_playlists_scored", [1, 5, 40])
def test_score_playlists_blocks_match_logits(monkeypatch, num_playlists_scored):
    # A small block size makes every call cover several blocks and a partial last one.
    monkeypatch.setattr(folded_module, "SCORE_BLOCK_ELEMENTS", 97)
    folded = _random_folded(num_tracks=503, num_playlists=60)
    playlists = np.arange(num_playlists_scored) % folded.num_playlists
    scores = folded.score_playlists(playlists)
    expected = folded.logits(np.repeat(playlists, folded.num_tracks),
                             np.tile(np.arange(folded.num_tracks), len(playlists)))
    assert scores.dtype == np.float32
    assert scores.shape == (len(playlists), folded.num_tracks)
    np.testing.assert_allclose(scores.ravel(), expected, rtol=1e-5, atol=1e-5)


def test_tables_are_read_only_copies():
    track_hidden = np.zeros((4, 6))
    folded = _random_folded(num_tracks=3, num_playlists=2)
    folded = FoldedNNCF(**{**{name: getattr(folded, name) for name in (
        "track_mf", "playlist_mf", "playlist_hidden", "output_weights", "output_bias",
        "logit_coefficients")}, "track_hidden": track_hidden})
    track_hidden[0, 0] = 5.0
    assert folded.track_hidden[0, 0] == 0.0
    with pytest.raises(ValueError):
        folded.track_hidden[0, 0] = 1.0

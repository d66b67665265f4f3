"""The NNCF playlist-track classifier.

The architecture follows He et al., "Neural Collaborative Filtering" (WWW 2017), as the
reference notebook adapted it: a matrix factorisation (MF) stream, the dot product of a
track and a playlist embedding, beside a multilayer perceptron (MLP) stream on smaller
embeddings. The two stream outputs are joined by two linear dense layers and a two-way
softmax that gives P(track not in playlist) and P(track in playlist).

On 74,450 tracks and 10,000 playlists the model has 5,109,313 parameters, 600 of them the
non-trainable moving statistics of the two batch-normalisation layers. Embedding tables
have one row more than there are tracks or playlists, as in the reference.
"""

from __future__ import annotations

from collections.abc import Sequence

from nncf_helpers.quiet import import_tensorflow

import_tensorflow()

import keras  # noqa: E402

# Layer names used by the folded scorer to find the weights it needs.
TRACK_MF = "track_embedding_mf"
PLAYLIST_MF = "playlist_embedding_mf"
TRACK_MLP = "track_embedding_mlp"
PLAYLIST_MLP = "playlist_embedding_mlp"
MLP_OUTPUT = "mlp_output"
COMBINE = "combine_dense"
PREDICTION = "prediction"

OPTIMIZERS = {
    "adam": keras.optimizers.Adam,
    "rmsprop": keras.optimizers.RMSprop,
    "sgd": keras.optimizers.SGD,
    "adagrad": keras.optimizers.Adagrad,
}


def build_nncf(
    num_tracks: int,
    num_playlists: int,
    mf_dim: int = 50,
    mlp_dim: int = 10,
    mlp_layers: Sequence[int] = (200, 100, 50, 20),
    combine_layers: Sequence[int] = (100, 100),
    dropout: float = 0.2,
    learning_rate: float = 1e-3,
    optimizer: str = "adam",
) -> keras.Model:
    """Build and compile the NNCF model.

    Args:
        num_tracks: Number of tracks; track indices run from 0 to ``num_tracks - 1``.
        num_playlists: Number of playlists, indexed the same way.
        mf_dim: Embedding size of the MF stream, for tracks and playlists alike.
        mlp_dim: Embedding size of the MLP stream, for tracks and playlists alike.
        mlp_layers: Widths of the MLP stream's hidden layers. The first two are each
            followed by batch normalisation and dropout, and the last one has a ReLU.
            The reference used (200, 100, 50, 20).
        combine_layers: Widths of the linear dense layers that join the two streams.
        dropout: Dropout rate after every embedding, after the MLP input and after each
            batch normalisation.
        learning_rate: Optimizer learning rate. The reference compiled with Keras' default
            Adam, whose rate is 0.001.
        optimizer: ``"adam"`` (the reference's), ``"rmsprop"``, ``"sgd"`` or ``"adagrad"``.

    Returns:
        A compiled model whose inputs are ``[playlist_index, track_index]``, two int
        arrays of shape ``(batch, 1)`` or ``(batch,)``, and whose output has shape
        ``(batch, 2)``. Loss is binary cross-entropy on one-hot targets, as in the
        reference, and the metric is accuracy.
    """
    if len(mlp_layers) < 3:
        raise ValueError(
            f"mlp_layers={tuple(mlp_layers)!r} is too short: the MLP stream needs at least "
            "three layers (two with batch normalisation, then the ReLU layers)."
        )
    if optimizer not in OPTIMIZERS:
        raise ValueError(f"optimizer={optimizer!r} is unknown; expected one of {list(OPTIMIZERS)}.")
    if not 0.0 <= dropout < 1.0:
        raise ValueError(f"dropout={dropout!r} is outside [0, 1).")

    track_input = keras.Input(shape=(1,), name="track", dtype="int32")
    playlist_input = keras.Input(shape=(1,), name="playlist", dtype="int32")

    def embedded(inputs, rows, dim, name):
        vector = keras.layers.Embedding(rows + 1, dim, name=name)(inputs)
        vector = keras.layers.Flatten(name=f"{name}_flat")(vector)
        return keras.layers.Dropout(dropout, name=f"{name}_dropout")(vector)

    track_mlp = embedded(track_input, num_tracks, mlp_dim, TRACK_MLP)
    track_mf = embedded(track_input, num_tracks, mf_dim, TRACK_MF)
    playlist_mlp = embedded(playlist_input, num_playlists, mlp_dim, PLAYLIST_MLP)
    playlist_mf = embedded(playlist_input, num_playlists, mf_dim, PLAYLIST_MF)

    # MLP stream: two dense layers with batch normalisation and dropout, then linear and
    # ReLU layers, then a single ReLU unit.
    hidden = keras.layers.Concatenate(name="mlp_concat")([track_mlp, playlist_mlp])
    hidden = keras.layers.Dropout(dropout, name="mlp_concat_dropout")(hidden)
    for depth, width in enumerate(mlp_layers[:2]):
        hidden = keras.layers.Dense(width, name=f"mlp_dense_{depth}")(hidden)
        hidden = keras.layers.BatchNormalization(name=f"mlp_batch_norm_{depth}")(hidden)
        hidden = keras.layers.Dropout(dropout, name=f"mlp_dropout_{depth}")(hidden)
    for depth, width in enumerate(mlp_layers[2:-1], start=2):
        hidden = keras.layers.Dense(width, name=f"mlp_dense_{depth}")(hidden)
    hidden = keras.layers.Dense(
        mlp_layers[-1], activation="relu", name=f"mlp_dense_{len(mlp_layers) - 1}"
    )(hidden)
    mlp_score = keras.layers.Dense(1, activation="relu", name=MLP_OUTPUT)(hidden)

    # MF stream: the dot product of the two MF embeddings.
    mf_score = keras.layers.Dot(axes=1, name="mf_dot")([track_mf, playlist_mf])

    joined = keras.layers.Concatenate(name="streams_concat")([mf_score, mlp_score])
    for depth, width in enumerate(combine_layers):
        joined = keras.layers.Dense(width, name=f"{COMBINE}_{depth}")(joined)
    prediction = keras.layers.Dense(2, activation="softmax", name=PREDICTION)(joined)

    model = keras.Model([playlist_input, track_input], prediction, name="nncf")
    model.compile(
        optimizer=OPTIMIZERS[optimizer](learning_rate=learning_rate, name=optimizer),
        loss="binary_crossentropy",
        metrics=["accuracy"],
        jit_compile=False,
    )
    return model

"""An exact NumPy scorer folded from a trained NNCF model.

At inference dropout is the identity and batch normalisation is the affine map
``gamma * (x - moving_mean) / sqrt(moving_variance + epsilon) + beta``. Every layer between the
MLP embeddings and the last hidden MLP layer is therefore affine. The MLP input is
``concat(track_mlp_embedding, playlist_mlp_embedding)``, so the folded affine map splits into a
track half and a playlist half, and the last hidden layer's pre-ReLU activation for a
(playlist, track) cell is ``T[track] + P[playlist]`` (the bias goes into ``P``). The MLP
stream score is then ``relu(relu(T[track] + P[playlist]) @ w + c)``, and the MF stream score is
the dot product of the two MF embeddings. The combine layers are linear too, so the two
softmax logits are affine in the two stream scores, and

    P(track in playlist) = sigmoid(alpha * mf + beta * mlp + gamma),

where alpha, beta and gamma are the differences between the second and first logit's
coefficients. All folding is done in float64, so scores match ``model.predict`` to well within
1e-5.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.special import expit

from nncf_helpers.model import (
    COMBINE,
    MLP_OUTPUT,
    PLAYLIST_MF,
    PLAYLIST_MLP,
    PREDICTION,
    TRACK_MF,
    TRACK_MLP,
)
from nncf_helpers.splits import index_pairs

logger = logging.getLogger(__name__)

# Name prefixes that build_nncf gives the MLP stream's dense and batch-normalisation layers.
# The layer index follows the prefix.
MLP_DENSE_PREFIX = "mlp_dense_"
MLP_BATCH_NORM_PREFIX = "mlp_batch_norm_"

# Upper bound on the number of float elements in the (playlists, tracks, hidden units) block
# that score_playlists builds at once. 2**23 float64 elements take 64 MiB.
MAX_BLOCK_ELEMENTS = 2**23

# score_playlists works on (playlists x tracks) blocks of about this many float32 elements,
# 256 KiB, so that its two working blocks stay in a typical L2 cache while every hidden unit
# passes over them.
SCORE_BLOCK_ELEMENTS = 2**16

_ARRAY_NAMES = (
    "track_mf",
    "playlist_mf",
    "track_hidden",
    "playlist_hidden",
    "output_weights",
    "output_bias",
    "logit_coefficients",
)


def _to_float64(variable) -> np.ndarray:
    return np.asarray(variable, dtype=np.float64)


def _layer_or_none(model, name: str):
    try:
        return model.get_layer(name)
    except ValueError:
        return None


def _activation_name(layer) -> str:
    activation = getattr(layer, "activation", None)
    return getattr(activation, "__name__", str(activation))


def _dense_weights(layer) -> tuple[np.ndarray, np.ndarray]:
    kernel = _to_float64(layer.kernel)
    bias = _to_float64(layer.bias) if layer.use_bias else np.zeros(kernel.shape[1])
    return kernel, bias


def _compose_dense(kernel: np.ndarray, bias: np.ndarray, layer) -> tuple[np.ndarray, np.ndarray]:
    """Compose the affine map ``x @ kernel + bias`` with the dense layer that follows it."""
    layer_kernel, layer_bias = _dense_weights(layer)
    return kernel @ layer_kernel, bias @ layer_kernel + layer_bias


def _batch_norm_affine(layer) -> tuple[np.ndarray, np.ndarray]:
    """Return (scale, shift) such that the inference-time layer computes ``x * scale + shift``."""
    mean = _to_float64(layer.moving_mean)
    variance = _to_float64(layer.moving_variance)
    gamma = _to_float64(layer.gamma) if layer.scale else np.ones_like(mean)
    beta = _to_float64(layer.beta) if layer.center else np.zeros_like(mean)
    scale = gamma / np.sqrt(variance + layer.epsilon)
    return scale, beta - mean * scale


def _fold_mlp(model, mlp_dim: int) -> tuple[np.ndarray, np.ndarray, int]:
    """Fold the MLP stream's affine layers into one map from its input to the last hidden layer.

    Returns:
        The kernel (2 * mlp_dim, width), the bias (width,) of the last hidden layer's pre-ReLU
        activation, and the number of dense layers folded.
    """
    kernel = np.eye(2 * mlp_dim)
    bias = np.zeros(2 * mlp_dim)
    dense_layers = []
    while (layer := _layer_or_none(model, f"{MLP_DENSE_PREFIX}{len(dense_layers)}")) is not None:
        dense_layers.append(layer)
    if not dense_layers:
        raise ValueError(f"The model has no layer named {MLP_DENSE_PREFIX}0; is it an NNCF model?")

    for depth, dense in enumerate(dense_layers):
        expected = "relu" if depth == len(dense_layers) - 1 else "linear"
        if _activation_name(dense) != expected:
            raise ValueError(
                f"Layer {dense.name} has activation {_activation_name(dense)!r}, but folding "
                f"needs {expected!r} there."
            )
        kernel, bias = _compose_dense(kernel, bias, dense)

        batch_norm = _layer_or_none(model, f"{MLP_BATCH_NORM_PREFIX}{depth}")
        if batch_norm is not None:
            scale, shift = _batch_norm_affine(batch_norm)
            kernel = kernel * scale
            bias = bias * scale + shift
    return kernel, bias, len(dense_layers)


def _fold_combine(model) -> np.ndarray:
    """Fold the combine layers and the softmax layer into the three logit-difference terms.

    Returns:
        ``[alpha, beta, gamma]`` with ``logit_1 - logit_0 = alpha * mf + beta * mlp + gamma``.
    """
    kernel = np.eye(2)
    bias = np.zeros(2)
    depth = 0
    while (layer := _layer_or_none(model, f"{COMBINE}_{depth}")) is not None:
        if _activation_name(layer) != "linear":
            raise ValueError(
                f"Layer {layer.name} has activation {_activation_name(layer)!r}, but folding "
                "needs the combine layers to be linear."
            )
        kernel, bias = _compose_dense(kernel, bias, layer)
        depth += 1

    prediction = model.get_layer(PREDICTION)
    if _activation_name(prediction) != "softmax" or prediction.units != 2:
        raise ValueError(
            f"Layer {PREDICTION} must be a two-unit softmax; found {prediction.units} units with "
            f"activation {_activation_name(prediction)!r}."
        )
    logit_kernel, logit_bias = _compose_dense(kernel, bias, prediction)
    # Row 0 of the kernel multiplies the MF score and row 1 the MLP score, in the order of the
    # streams_concat layer.
    difference = logit_kernel[:, 1] - logit_kernel[:, 0]
    return np.array([difference[0], difference[1], logit_bias[1] - logit_bias[0]])


@dataclass(frozen=True)
class FoldedNNCF:
    """Precomputed tables that score (playlist, track) cells exactly as the NNCF model does.

    Table rows follow the model's embedding rows, so each table has one row more than there
    are tracks or playlists, as the embeddings do.

    Attributes:
        track_mf: MF track embeddings, shape (num_tracks + 1, mf_dim).
        playlist_mf: MF playlist embeddings, shape (num_playlists + 1, mf_dim).
        track_hidden: Track part ``T`` of the last hidden MLP layer's pre-ReLU activation,
            shape (num_tracks + 1, width).
        playlist_hidden: Playlist part ``P`` of that activation, bias included, shape
            (num_playlists + 1, width).
        output_weights: Kernel of the single-unit ``mlp_output`` layer, shape (width,).
        output_bias: Bias of ``mlp_output``, shape ().
        logit_coefficients: ``[alpha, beta, gamma]`` of the logit ``alpha * mf + beta * mlp +
            gamma``, shape (3,).
    """

    track_mf: np.ndarray
    playlist_mf: np.ndarray
    track_hidden: np.ndarray
    playlist_hidden: np.ndarray
    output_weights: np.ndarray
    output_bias: np.ndarray
    logit_coefficients: np.ndarray

    def __post_init__(self):
        # Private read-only copies: score_playlists caches float32 tables built from these
        # arrays, and an edit in place would leave that cache stale.
        for name in _ARRAY_NAMES:
            array = np.array(getattr(self, name), dtype=np.float64)
            array.setflags(write=False)
            object.__setattr__(self, name, array)
        if self.track_mf.shape[0] != self.track_hidden.shape[0]:
            raise ValueError(
                f"track_mf has {self.track_mf.shape[0]} rows but track_hidden has "
                f"{self.track_hidden.shape[0]}; both must have one row per track table entry."
            )
        if self.playlist_mf.shape[0] != self.playlist_hidden.shape[0]:
            raise ValueError(
                f"playlist_mf has {self.playlist_mf.shape[0]} rows but playlist_hidden has "
                f"{self.playlist_hidden.shape[0]}; both must have one row per playlist entry."
            )
        if self.logit_coefficients.shape != (3,):
            raise ValueError(
                f"logit_coefficients must have shape (3,), got {self.logit_coefficients.shape}."
            )

    @property
    def num_tracks(self) -> int:
        """Number of real tracks, excluding the embeddings' extra last row."""
        return self.track_mf.shape[0] - 1

    @property
    def num_playlists(self) -> int:
        """Number of real playlists, excluding the embeddings' extra last row."""
        return self.playlist_mf.shape[0] - 1

    @classmethod
    def from_model(cls, model) -> FoldedNNCF:
        """Fold a model built by ``build_nncf`` (any ``mlp_layers`` and ``combine_layers``).

        Args:
            model: The Keras model. Weights are read by layer name, so a model rebuilt with
                ``build_nncf`` and loaded from saved weights works too.

        Returns:
            The folded scorer.

        Raises:
            ValueError: If a layer that must be linear has another activation, or a layer the
                folding needs is missing.
        """
        track_mf = _to_float64(model.get_layer(TRACK_MF).embeddings)
        playlist_mf = _to_float64(model.get_layer(PLAYLIST_MF).embeddings)
        track_mlp = _to_float64(model.get_layer(TRACK_MLP).embeddings)
        playlist_mlp = _to_float64(model.get_layer(PLAYLIST_MLP).embeddings)
        mlp_dim = track_mlp.shape[1]

        kernel, bias, num_dense = _fold_mlp(model, mlp_dim)
        # The MLP input is concat(track embedding, playlist embedding), in that order.
        track_hidden = track_mlp @ kernel[:mlp_dim]
        playlist_hidden = playlist_mlp @ kernel[mlp_dim:] + bias

        output = model.get_layer(MLP_OUTPUT)
        if _activation_name(output) != "relu" or output.units != 1:
            raise ValueError(
                f"Layer {MLP_OUTPUT} must be a single ReLU unit; found {output.units} units with "
                f"activation {_activation_name(output)!r}."
            )
        output_kernel, output_bias = _dense_weights(output)

        folded = cls(
            track_mf=track_mf,
            playlist_mf=playlist_mf,
            track_hidden=track_hidden,
            playlist_hidden=playlist_hidden,
            output_weights=output_kernel[:, 0],
            output_bias=output_bias[0],
            logit_coefficients=_fold_combine(model),
        )
        logger.info(
            "Folded NNCF model: %d tracks, %d playlists, %d MLP dense layers, %d hidden units.",
            folded.num_tracks,
            folded.num_playlists,
            num_dense,
            track_hidden.shape[1],
        )
        return folded

    def save(self, path: str | os.PathLike) -> None:
        """Write the tables to an uncompressed ``.npz`` file (no pickled objects)."""
        np.savez(path, **{name: getattr(self, name) for name in _ARRAY_NAMES})

    @classmethod
    def load(cls, path: str | os.PathLike) -> FoldedNNCF:
        """Read tables written by ``save``."""
        with np.load(path, allow_pickle=False) as arrays:
            missing = [name for name in _ARRAY_NAMES if name not in arrays.files]
            if missing:
                raise ValueError(f"{path} is not a folded NNCF file: missing arrays {missing}.")
            return cls(**{name: arrays[name] for name in _ARRAY_NAMES})

    def _check_indices(self, indices: np.ndarray, rows: int, kind: str) -> None:
        if indices.size and (indices.min() < 0 or indices.max() >= rows):
            raise ValueError(
                f"{kind} indices must lie in [0, {rows - 1}]; got values from {indices.min()} "
                f"to {indices.max()}."
            )

    def logits(
        self, playlists: Sequence[int] | np.ndarray, tracks: Sequence[int] | np.ndarray
    ) -> np.ndarray:
        """Compute the float64 logit ``alpha * mf + beta * mlp + gamma`` of each cell.

        Args:
            playlists: Playlist indices, shape (n,).
            tracks: Track indices, shape (n,). Index ``num_tracks`` (the embeddings' extra row)
                is accepted, as the model accepts it.

        Returns:
            Logits of shape (n,); ``sigmoid(logit)`` is the model's P(track in playlist).
        """
        playlists, tracks = index_pairs(playlists, tracks)
        self._check_indices(playlists, self.playlist_mf.shape[0], "Playlist")
        self._check_indices(tracks, self.track_mf.shape[0], "Track")

        mf = np.einsum("ij,ij->i", self.track_mf[tracks], self.playlist_mf[playlists])
        hidden = self.track_hidden[tracks] + self.playlist_hidden[playlists]
        np.maximum(hidden, 0.0, out=hidden)
        mlp = np.maximum(hidden @ self.output_weights + self.output_bias, 0.0)
        alpha, beta, gamma = self.logit_coefficients
        return alpha * mf + beta * mlp + gamma

    def score_pairs(
        self,
        playlists: Sequence[int] | np.ndarray,
        tracks: Sequence[int] | np.ndarray,
        batch_size: int = 262_144,
    ) -> np.ndarray:
        """Compute P(track in playlist) for each (playlist, track) pair.

        Args:
            playlists: Playlist indices, shape (n,).
            tracks: Track indices, shape (n,).
            batch_size: Pairs scored at once; bounds the temporary memory.

        Returns:
            float32 probabilities of shape (n,), equal to ``model.predict(...)[:, 1]``.
        """
        playlists, tracks = index_pairs(playlists, tracks)
        if batch_size < 1:
            raise ValueError(f"batch_size must be positive, got {batch_size}.")
        scores = np.empty(playlists.size, dtype=np.float32)
        for start in range(0, playlists.size, batch_size):
            stop = start + batch_size
            scores[start:stop] = expit(self.logits(playlists[start:stop], tracks[start:stop]))
        return scores

    def _float32_tables(self) -> tuple[np.ndarray, ...]:
        # The dataclass is frozen, so the cache is set with object.__setattr__.
        # Full-catalogue scoring passes over every track's values once per hidden unit and
        # block of playlists, so it works in float32 (half the memory traffic). The logit
        # error stays within a few 1e-6 for the logits seen in training, inside the 1e-5
        # tolerance on probabilities.
        if getattr(self, "_tables32", None) is None:
            num_tracks = self.num_tracks
            weights = self.output_weights.ravel()
            track_hidden = self.track_hidden[:num_tracks]
            object.__setattr__(self, "_tables32", (
                # Column-major: each hidden unit's values over all tracks are contiguous.
                np.ascontiguousarray((0.5 * weights * track_hidden).T, dtype=np.float32),
                (0.5 * track_hidden @ weights).astype(np.float32),
                np.ascontiguousarray(self.track_mf[:num_tracks], dtype=np.float32),
                self.playlist_mf.astype(np.float32),
            ))
        return self._tables32

    def score_playlists(
        self,
        playlists: Sequence[int] | np.ndarray,
        output: str = "logit",
    ) -> np.ndarray:
        """Score every real track (indices 0 to num_tracks - 1) for each playlist.

        The default output is the logit, not the probability. Both rank tracks in the same
        order, but float32 probabilities round to exactly 1.0 once the logit passes about 17,
        which would turn the most confident tracks into ties.

        Args:
            playlists: Playlist indices, shape (n,).
            output: ``"logit"`` for ``alpha * mf + beta * mlp + gamma``, or ``"probability"`` for
                P(track in playlist), the sigmoid of the logit.

        Returns:
            float32 array of shape (n, num_tracks), computed in float32: one matrix product
            for the MF stream of all playlists, and for the MLP stream one pass per hidden
            unit over cache-sized blocks of playlists x tracks.

        NOTE: float32 keeps probabilities within 1e-5 of ``logits`` for models like those
        trained here. Once hidden activations reach about 100, the error can exceed that,
        and ``logits`` gives the float64 value.
        """
        if output not in ("logit", "probability"):
            raise ValueError(f"output must be 'logit' or 'probability', got {output!r}.")
        playlists = np.asarray(playlists, dtype=np.int64).ravel()
        self._check_indices(playlists, self.playlist_mf.shape[0], "Playlist")

        half_columns, track_half, track_mf, playlist_mf = self._float32_tables()
        alpha, beta, gamma = (np.float32(value) for value in self.logit_coefficients)
        scores = playlist_mf[playlists] @ track_mf.T
        scores *= alpha

        # relu(x) = (x + |x|) / 2. With t = T[track], p = P[playlist] and output weights w,
        # the MLP output before its ReLU, w . relu(t + p) + bias, is therefore
        #   w . t / 2 + (w . p / 2 + bias) + sum_j sign(w_j) * |w_j t_j / 2 - (-w_j p_j / 2)|.
        # The first two terms are a track vector and a playlist vector, and each hidden unit
        # then costs a subtraction, an absolute value and an addition per cell. With numpy
        # 2.4 on x86-64, np.maximum against a broadcast operand ran five times slower.
        weights = self.output_weights.ravel()
        playlist_hidden = self.playlist_hidden[playlists]
        thresholds = np.ascontiguousarray((-0.5 * weights * playlist_hidden).T, dtype=np.float32)
        playlist_half = 0.5 * playlist_hidden @ weights + self.output_bias.ravel()[0]
        playlist_half = playlist_half.astype(np.float32)[:, None]
        accumulate = [np.add if weight >= 0 else np.subtract for weight in weights]
        block = max(1, min(self.num_tracks, SCORE_BLOCK_ELEMENTS // max(1, len(playlists))))
        mlp_block = np.empty((len(playlists), block), dtype=np.float32)
        unit_block = np.empty_like(mlp_block)
        for start in range(0, self.num_tracks, block):
            stop = min(start + block, self.num_tracks)
            mlp = mlp_block[:, :stop - start]
            unit = unit_block[:, :stop - start]
            np.add(track_half[start:stop], playlist_half, out=mlp)
            for column, threshold, add in zip(half_columns, thresholds, accumulate):
                np.subtract(column[start:stop], threshold[:, None], out=unit)
                np.abs(unit, out=unit)
                add(mlp, unit, out=mlp)
            np.maximum(mlp, 0.0, out=mlp)
            mlp *= beta
            scores[:, start:stop] += mlp
        scores += gamma
        if output == "probability":
            expit(scores, out=scores)
        return scores.astype(np.float32, copy=False)

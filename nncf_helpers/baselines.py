"""Classical playlist-track recommenders to compare the NNCF model against.

All baselines share one interface: ``fit(train_matrix)`` on a playlist x track CSR matrix of
training positives, then ``score_playlists(playlists)`` for full score rows and
``score_pairs(playlists, tracks)`` for single cells. Higher scores mean "more likely in the
playlist"; the scores are not probabilities. Each instance records its settings in ``params``
and the wall-clock time of its last ``fit`` in ``fit_seconds``.
"""

from __future__ import annotations

import logging
import time
import warnings
from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import svds
from threadpoolctl import threadpool_limits

from nncf_helpers.splits import index_pairs

logger = logging.getLogger(__name__)


def _as_training_csr(train_matrix: sp.spmatrix) -> sp.csr_matrix:
    """Return the training positives as a float32 CSR matrix of ones."""
    if not sp.issparse(train_matrix):
        raise TypeError(
            f"train_matrix must be a scipy.sparse matrix, got {type(train_matrix).__name__}."
        )
    matrix = sp.csr_matrix(train_matrix, dtype=np.float32, copy=True)
    matrix.eliminate_zeros()
    matrix.sum_duplicates()
    matrix.data[:] = 1.0
    return matrix


class Recommender:
    """Base class with the shared fit timing and index checks.

    Subclasses implement ``_fit`` and the two scorers.
    """

    def __init__(self) -> None:
        self.params: dict = {}
        self.fit_seconds: float | None = None
        self.num_playlists: int | None = None
        self.num_tracks: int | None = None

    def fit(self, train_matrix: sp.spmatrix) -> Recommender:
        """Fit on a playlist x track matrix of training positives (nonzero cells)."""
        matrix = _as_training_csr(train_matrix)
        self.num_playlists, self.num_tracks = matrix.shape
        start = time.perf_counter()
        self._fit(matrix)
        self.fit_seconds = time.perf_counter() - start
        logger.info(
            "Fitted %s on %d playlists x %d tracks (%d positives) in %.1f s.",
            type(self).__name__,
            self.num_playlists,
            self.num_tracks,
            matrix.nnz,
            self.fit_seconds,
        )
        return self

    def _fit(self, matrix: sp.csr_matrix) -> None:
        raise NotImplementedError

    def _check_playlists(self, playlists: Sequence[int] | np.ndarray) -> np.ndarray:
        if self.num_playlists is None:
            raise RuntimeError(f"{type(self).__name__} is not fitted; call fit() first.")
        playlists = np.asarray(playlists, dtype=np.int64).ravel()
        if playlists.size and (playlists.min() < 0 or playlists.max() >= self.num_playlists):
            raise ValueError(
                f"Playlist indices must lie in [0, {self.num_playlists - 1}]; got values from "
                f"{playlists.min()} to {playlists.max()}."
            )
        return playlists

    def _check_pairs(
        self, playlists: Sequence[int] | np.ndarray, tracks: Sequence[int] | np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        playlists, tracks = index_pairs(self._check_playlists(playlists), tracks)
        if tracks.size and (tracks.min() < 0 or tracks.max() >= self.num_tracks):
            raise ValueError(
                f"Track indices must lie in [0, {self.num_tracks - 1}]; got values from "
                f"{tracks.min()} to {tracks.max()}."
            )
        return playlists, tracks

    def score_playlists(self, playlists: Sequence[int] | np.ndarray) -> np.ndarray:
        """Score every track for each playlist, as float32 of shape (len(playlists), num_tracks)."""
        raise NotImplementedError

    def score_pairs(
        self, playlists: Sequence[int] | np.ndarray, tracks: Sequence[int] | np.ndarray
    ) -> np.ndarray:
        """Score each (playlist, track) pair, as float32 of shape (n,)."""
        raise NotImplementedError


class FactorRecommender(Recommender):
    """A recommender whose score is the dot product of a playlist and a track factor vector."""

    def __init__(self) -> None:
        super().__init__()
        self.playlist_factors: np.ndarray | None = None
        self.track_factors: np.ndarray | None = None

    def score_playlists(self, playlists: Sequence[int] | np.ndarray) -> np.ndarray:
        playlists = self._check_playlists(playlists)
        scores = self.playlist_factors[playlists] @ self.track_factors.T
        return scores.astype(np.float32, copy=False)

    def score_pairs(
        self, playlists: Sequence[int] | np.ndarray, tracks: Sequence[int] | np.ndarray
    ) -> np.ndarray:
        playlists, tracks = self._check_pairs(playlists, tracks)
        scores = np.einsum(
            "ij,ij->i", self.playlist_factors[playlists], self.track_factors[tracks]
        )
        return scores.astype(np.float32, copy=False)


class PopularityRecommender(Recommender):
    """Score every track by the number of training playlists that contain it.

    The score is the same for every playlist, so this is the non-personalised floor.
    """

    def __init__(self) -> None:
        super().__init__()
        self.track_counts: np.ndarray | None = None

    def _fit(self, matrix: sp.csr_matrix) -> None:
        self.track_counts = np.bincount(matrix.indices, minlength=matrix.shape[1]).astype(
            np.float32
        )

    def score_playlists(self, playlists: Sequence[int] | np.ndarray) -> np.ndarray:
        playlists = self._check_playlists(playlists)
        return np.tile(self.track_counts, (playlists.size, 1))

    def score_pairs(
        self, playlists: Sequence[int] | np.ndarray, tracks: Sequence[int] | np.ndarray
    ) -> np.ndarray:
        _, tracks = self._check_pairs(playlists, tracks)
        return self.track_counts[tracks]


class SVDRecommender(FactorRecommender):
    """Truncated SVD of the binary training matrix (PureSVD): score = row of U S V^T.

    Cremonesi et al., "Performance of Recommender Algorithms on Top-N Recommendation Tasks"
    (RecSys 2010), found this simple reconstruction strong for top-N ranking.

    Args:
        rank: Number of singular triplets kept. The default of 64 is a middle value of the
            ranks usually tried for PureSVD, which run from tens to a few hundred. Tune it on
            the validation split.
        seed: Seed of the ARPACK start vector, which makes the result reproducible.
    """

    def __init__(self, rank: int = 64, seed: int = 0) -> None:
        super().__init__()
        if rank < 1:
            raise ValueError(f"rank must be positive, got {rank}.")
        self.rank = rank
        self.seed = seed
        self.params = {"rank": rank, "seed": seed, "solver": "scipy.sparse.linalg.svds (ARPACK)"}
        self.singular_values: np.ndarray | None = None

    def _fit(self, matrix: sp.csr_matrix) -> None:
        if self.rank >= min(matrix.shape):
            raise ValueError(
                f"rank={self.rank} must be below min(matrix shape) = {min(matrix.shape)}."
            )
        start_vector = np.random.default_rng(self.seed).uniform(-1.0, 1.0, min(matrix.shape))
        left, singular_values, right_transposed = svds(
            matrix.astype(np.float64), k=self.rank, v0=start_vector
        )
        # svds returns the singular values in ascending order, so reorder them descending.
        order = np.argsort(singular_values)[::-1]
        self.singular_values = singular_values[order]
        self.playlist_factors = left[:, order] * self.singular_values
        self.track_factors = right_transposed[order].T.copy()


class ALSRecommender(FactorRecommender):
    """Implicit-feedback ALS (Hu, Koren and Volinsky, ICDM 2008) from the implicit library.

    implicit 0.7 treats each nonzero of the fitted matrix as a confidence and multiplies it by
    ``alpha`` itself, so a positive cell of the binary training matrix gets confidence
    ``alpha`` and every other cell confidence 1 with preference 0. (Hu et al. write
    ``1 + alpha * r``; for 0/1 data the two differ only by 1.)

    The defaults aim at a 10,000-playlist MPD subset with about 70 tracks per playlist.
    64 factors are as many as the SVD baseline uses and more than the NNCF model's
    50-dimensional MF stream. ``alpha = 20`` lies in the 10 to 40 range that implicit-feedback
    ALS is usually run with on binary data (Hu et al. used 40). ``regularization = 0.05`` and
    15 iterations are common implicit settings, at which ALS has usually converged.
    NOTE: these defaults come from common practice, not from tuning on the MPD. Tune alpha and
    regularization on the validation split before reporting.

    BLAS is limited to one thread while fitting, as implicit recommends. implicit solves each
    playlist's (and each track's) factors independently, so the solver's thread count does not
    change the result: with implicit 0.7.3, fits with ``num_threads`` 0 and 1 and repeated fits
    with the same seed gave bit-identical factors (checked on a 2-core machine).

    Args:
        factors: Latent dimension.
        regularization: L2 penalty on the factors.
        iterations: ALS sweeps (each solves the playlist factors, then the track factors).
        alpha: Confidence given to each training positive.
        seed: ``random_state`` of the factor initialisation.
        num_threads: Threads of implicit's solver; 0 means all cores.
    """

    def __init__(
        self,
        factors: int = 64,
        regularization: float = 0.05,
        iterations: int = 15,
        alpha: float = 20.0,
        seed: int = 0,
        num_threads: int = 0,
    ) -> None:
        super().__init__()
        self.factors = factors
        self.regularization = regularization
        self.iterations = iterations
        self.alpha = alpha
        self.seed = seed
        self.num_threads = num_threads
        self.params = {
            "factors": factors,
            "regularization": regularization,
            "iterations": iterations,
            "alpha": alpha,
            "seed": seed,
            "num_threads": num_threads,
            "solver": "implicit.cpu.als.AlternatingLeastSquares (conjugate gradient)",
        }

    def _fit(self, matrix: sp.csr_matrix) -> None:
        # implicit imports tqdm.auto, which warns inside Jupyter when ipywidgets is absent;
        # progress bars are off here anyway.
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="IProgress not found")
            from implicit.cpu.als import AlternatingLeastSquares

        # implicit warns at construction when BLAS is multithreaded, so build inside the limit.
        with threadpool_limits(limits=1, user_api="blas"):
            model = AlternatingLeastSquares(
                factors=self.factors,
                regularization=self.regularization,
                alpha=self.alpha,
                iterations=self.iterations,
                random_state=self.seed,
                num_threads=self.num_threads,
            )
            model.fit(matrix, show_progress=False)
        self.playlist_factors = np.asarray(model.user_factors, dtype=np.float32)
        self.track_factors = np.asarray(model.item_factors, dtype=np.float32)

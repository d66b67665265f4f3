"""Training loop with the reference's epoch semantics, checkpoints and resume.

An epoch is ``steps_per_epoch`` training steps on class-balanced batches, then one
evaluation of the fixed class-balanced validation sample, as ``model.fit`` did in the
reference with ``validation_steps=1``. The loop calls the model's compiled train and
test functions directly (``train_on_batch`` and ``test_on_batch``), which keeps what the
model computes and drops the per-epoch overhead of ``fit``. Batches come from a
``tf.data`` pipeline that draws the next batch while the current step runs.

Every random choice is seeded. The batch of epoch ``e`` comes from a generator seeded with
``(seed, e)``, and at the start of the epoch every dropout layer's seed is reset to its
own state drawn from ``(seed, e)``. A run resumed from a checkpoint therefore reaches the
state an unbroken run reaches.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from pathlib import Path

from nncf_helpers.quiet import import_tensorflow

import_tensorflow()

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from nncf_helpers.artifacts import atomic_path, read_json, write_json  # noqa: E402
from nncf_helpers.sampling import BalancedSampler  # noqa: E402
from nncf_helpers.seeding import DROPOUT, rng_for  # noqa: E402

logger = logging.getLogger(__name__)

STATE_FILE = "training_state.json"
HISTORY_FILE = "history.json"
FINAL_MODEL = "final.keras"
_CHECKPOINT = re.compile(r"^checkpoint-epoch-(\d+)\.keras$")


def configure_determinism(seed: int) -> None:
    """Seed Python, numpy and TensorFlow, and make TensorFlow ops deterministic."""
    keras.utils.set_random_seed(int(seed))
    tf.config.experimental.enable_op_determinism()


def checkpoint_name(epoch: int) -> str:
    """File name of the checkpoint saved after ``epoch`` epochs (1-based)."""
    return f"checkpoint-epoch-{epoch:04d}.keras"


def list_checkpoints(folder: str | Path) -> list[tuple[int, Path]]:
    """``(epoch, path)`` of every finished checkpoint in ``folder``, by epoch."""
    found = []
    for path in Path(folder).glob("checkpoint-epoch-*.keras"):
        match = _CHECKPOINT.match(path.name)
        if match:
            found.append((int(match.group(1)), path))
    return sorted(found)


def save_model(model: keras.Model, path: str | Path) -> Path:
    """Save the model with its optimizer state in the native Keras format, atomically."""
    with atomic_path(path) as temporary:
        model.save(temporary)
    return Path(path)


def load_model(path: str | Path) -> keras.Model:
    """Load a model saved by :func:`save_model` without enabling unsafe deserialisation."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"Model {path} does not exist; run 02_train first.")
    return keras.models.load_model(path, safe_mode=True)


def _reset_dropout_seeds(model: keras.Model, seed: int, epoch: int) -> None:
    # Keras adds [0, 1] to a layer's seed state at every draw. Layers sharing one state
    # would draw identical masks wherever their shapes match. With [seed, epoch] as the
    # state, step k + 1 of an epoch would also repeat step k of the next one. So every
    # layer and epoch gets its own random state, below 2**31 - 2 because Keras 3's
    # TensorFlow backend reduces seeds modulo that number.
    rng = rng_for(seed, DROPOUT, epoch)
    for layer in model.layers:
        generator = getattr(layer, "seed_generator", None)
        if generator is not None:
            state = rng.integers(0, 2**31 - 2, size=2)
            generator.state.assign(state.astype(generator.state.dtype))


def _batches(sampler: BalancedSampler, seed: int, first_epoch: int, epochs: int,
             steps_per_epoch: int, batch_size: int, balance_ratio: float) -> tf.data.Dataset:
    dataset = tf.data.Dataset.from_generator(
        lambda: sampler.batches(seed, first_epoch, epochs, steps_per_epoch, batch_size,
                                balance_ratio),
        output_signature=(
            tf.TensorSpec(shape=(None,), dtype=tf.int32),
            tf.TensorSpec(shape=(None,), dtype=tf.int32),
            tf.TensorSpec(shape=(None, 2), dtype=tf.float32),
        ),
    )
    return dataset.prefetch(2)


def train(
    model: keras.Model,
    sampler: BalancedSampler,
    validation: tuple[np.ndarray, np.ndarray, np.ndarray],
    folder: str | Path,
    *,
    epochs: int,
    steps_per_epoch: int,
    batch_size: int,
    balance_ratio: float,
    checkpoint_period: int,
    seed: int,
    resume: bool = False,
    on_checkpoint: Callable[[Path], None] | None = None,
    log: Callable[[str], None] = print,
) -> tuple[keras.Model, dict]:
    """Train ``model`` and write checkpoints, history and the final model to ``folder``.

    Args:
        model: Compiled NNCF model (ignored when resuming from a checkpoint).
        sampler: Source of class-balanced training batches.
        validation: ``(playlists, tracks, targets)`` evaluated after every epoch.
        folder: Output folder for ``checkpoint-epoch-NNNN.keras``, ``training_state.json``,
            ``history.json`` and ``final.keras``.
        epochs, steps_per_epoch, batch_size, balance_ratio: The training schedule.
        checkpoint_period: Save a checkpoint every this many epochs.
        seed: Seed of the batches and of dropout.
        resume: Continue from the last checkpoint in ``folder`` when there is one.
        on_checkpoint: Called with the path of every file written.
        log: Receives one line per epoch.

    Returns:
        The trained model and its history: per-epoch ``loss``, ``accuracy``,
        ``val_loss``, ``val_accuracy`` and ``seconds``, plus the list of checkpoints.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    history = {"loss": [], "accuracy": [], "val_loss": [], "val_accuracy": [], "seconds": []}
    checkpoints: list[dict] = []
    first_epoch = 0
    state_path = folder / STATE_FILE
    if resume and state_path.exists():
        state = read_json(state_path)
        first_epoch = int(state["completed_epochs"])
        checkpoint_path = folder / checkpoint_name(first_epoch)
        model = load_model(checkpoint_path)
        history = {key: values[:first_epoch] for key, values in state["history"].items()}
        checkpoints = [entry for entry in state["checkpoints"] if entry["epoch"] <= first_epoch]
        log(f"Resuming from {checkpoint_path.name} after epoch {first_epoch} of {epochs}.")
    elif resume:
        log("No checkpoint to resume from; training from the first epoch.")

    val_playlists, val_tracks, val_targets = validation
    val_inputs = [val_playlists, val_tracks]
    batches = iter(_batches(sampler, seed, first_epoch, epochs, steps_per_epoch, batch_size,
                            balance_ratio))
    for epoch in range(first_epoch, epochs):
        started = time.perf_counter()
        _reset_dropout_seeds(model, seed, epoch)
        for _ in range(steps_per_epoch):
            playlists, tracks, targets = next(batches)
            logs = model.train_on_batch([playlists, tracks], targets, return_dict=True)
        val_logs = model.test_on_batch(val_inputs, val_targets, return_dict=True)
        seconds = time.perf_counter() - started
        history["loss"].append(float(logs["loss"]))
        history["accuracy"].append(float(logs["accuracy"]))
        history["val_loss"].append(float(val_logs["loss"]))
        history["val_accuracy"].append(float(val_logs["accuracy"]))
        history["seconds"].append(seconds)
        done = epoch + 1
        log(
            f"epoch {done}/{epochs} - loss {logs['loss']:.4f} - accuracy "
            f"{logs['accuracy']:.4f} - val_loss {val_logs['loss']:.4f} - val_accuracy "
            f"{val_logs['accuracy']:.4f} - {seconds:.2f} s"
        )
        if done % checkpoint_period == 0 or done == epochs:
            path = save_model(model, folder / checkpoint_name(done))
            checkpoints.append({
                "epoch": done, "file": path.name,
                "val_loss": history["val_loss"][-1],
                "val_accuracy": history["val_accuracy"][-1],
            })
            write_json(state_path, {
                "completed_epochs": done, "history": history, "checkpoints": checkpoints,
            })
            if on_checkpoint:
                on_checkpoint(path)

    final_path = save_model(model, folder / FINAL_MODEL)
    history_path = write_json(folder / HISTORY_FILE, {**history, "checkpoints": checkpoints})
    if on_checkpoint:
        on_checkpoint(final_path)
        on_checkpoint(history_path)
    return model, {**history, "checkpoints": checkpoints}

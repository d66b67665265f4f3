"""Measure the project's speed and memory against a re-creation of the reference pipeline.

Run from the repository root::

    .venv/bin/python bench/run_benchmarks.py [--mpd-dir DIR] [--quick]

Every measurement runs on two datasets: the ``random`` subset of a folder of real MPD
slices (``--mpd-dir``) and synthetic slices of the reference's random-subset shape
(10,000 playlists, about 171,000 tracks), written once under ``data/bench``. For each it
prints:

* ``read_mpd`` speed in entries and megabytes per second, read at the start and again
  after the other measurements, the best read of both rounds counting;
* milliseconds per class-balanced batch of 20,000 for the reference-style generator
  (``bench/reference_style.py``) and for ``BalancedSampler.draw``;
* training time of the reference-style pipeline (``model.fit`` with those generators)
  and of ``nncf_helpers.training.train``, on the same ``build_nncf`` model;
* full-catalogue scoring of 20 random playlists with ``FoldedNNCF.score_playlists``
  against ``model.predict`` (batch 65,536) on the same cells, and
  ``FoldedNNCF.score_pairs`` against ``model.predict`` on 1,000,000 random cells.

It then runs the whole report pipeline for the synthetic data's ``random`` dataset under
a sampler of the resident memory of its process tree, and prints a summary with each
target and PASS or FAIL. Temporary files go under ``data/bench`` (ignored by git).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
import psutil  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from bench import reference_style  # noqa: E402
from nncf_helpers.mpd import read_mpd  # noqa: E402
from nncf_helpers.sampling import BalancedSampler, balanced_sample, one_hot  # noqa: E402
from nncf_helpers.seeding import VALIDATION_SAMPLE, rng_for  # noqa: E402
from nncf_helpers.splits import split_cells  # noqa: E402
from nncf_helpers.subsets import make_subset  # noqa: E402
from nncf_helpers.synthetic import write_synthetic_mpd  # noqa: E402

BENCH_DIR = REPO_ROOT / "data" / "bench"
BATCH_SIZE = 20_000
VALIDATION_SIZE = 10_000
FULL_EPOCHS = 500
CHECKPOINT_PERIOD = 10
SCORED_CELLS = 1_000_000
CATALOGUE_PLAYLISTS = 20
PREDICT_BATCH_SIZE = 65_536
MEMORY_SAMPLE_SECONDS = 0.2
SKIPPED_EPOCHS = 3
MIN_MEASURED_EPOCHS = SKIPPED_EPOCHS + 2
# Synthetic arguments whose random dataset comes close to the reference's random subset
# (10,000 playlists, 171,381 tracks, 657,056 ones): with numpy 2.4 they give 171,741
# tracks and 644,224 ones.
SYNTHETIC_PLAYLISTS = 10_000
SYNTHETIC_TRACKS = 286_000
SYNTHETIC_TASTES = 100

TARGETS = {
    "reader": 1.5e6,
    "generator": 100.0,
    "training": 10.0,
    "folded": 50.0,
    "memory": 6 * 2**30,
}


def default_mpd_dir() -> Path:
    """Folder of real MPD slices: ``NNCF_MPD_SAMPLE``, else ``../shared/mpd-sample``."""
    return Path(os.environ.get("NNCF_MPD_SAMPLE", REPO_ROOT.parent / "shared" / "mpd-sample"))


def machine_description() -> dict:
    """CPU model, core count, memory, load and library versions of this machine."""
    import keras
    import msgspec
    import scipy
    import tensorflow as tf
    import xxhash

    cpu_model = platform.processor() or "unknown"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                cpu_model = line.split(":", 1)[1].strip()
                break
    return {
        "cpu": cpu_model,
        "cores": os.cpu_count(),
        "memory_gib": round(psutil.virtual_memory().total / 2**30, 1),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "msgspec": msgspec.__version__,
        "xxhash": xxhash.VERSION,
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
    }


def other_notebook_processes() -> int:
    """Count papermill and Jupyter kernel processes that this benchmark did not start."""
    own = {os.getpid()} | {child.pid for child in psutil.Process().children(recursive=True)}
    count = 0
    for process in psutil.process_iter(["pid", "cmdline"]):
        command = " ".join(process.info["cmdline"] or [])
        if process.info["pid"] not in own and (
            "papermill" in command or "ipykernel_launcher" in command or "pytest" in command
        ):
            count += 1
    return count


def load_note() -> str:
    """Describe the load average and the count of other notebook or test processes."""
    one, five, _ = os.getloadavg()
    return (f"load average {one:.2f} (1 min), {five:.2f} (5 min); "
            f"{other_notebook_processes()} other papermill, kernel or pytest processes")


def section(title: str) -> None:
    print(f"\n=== {title} ===", flush=True)
    print(f"    [{load_note()}]", flush=True)


def ensure_synthetic_data() -> Path:
    """Write (once) the synthetic slices of the reference random subset's shape."""
    folder = BENCH_DIR / (f"synthetic-{SYNTHETIC_PLAYLISTS}p-{SYNTHETIC_TRACKS}t-"
                          f"{SYNTHETIC_TASTES}k-seed-0")
    if not folder.exists():
        started = time.perf_counter()
        write_synthetic_mpd(folder, num_playlists=SYNTHETIC_PLAYLISTS,
                            num_tracks=SYNTHETIC_TRACKS, num_tastes=SYNTHETIC_TASTES, seed=0)
        print(f"Wrote synthetic slices to {folder} in {time.perf_counter() - started:.1f} s.")
    return folder


def measure_reader(folder: Path, repeats: int) -> tuple[dict, object]:
    """Time ``read_mpd`` on ``folder``; the fastest of ``repeats`` reads counts."""
    wall_times, cpu_times = [], []
    data = None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _ in range(repeats):
            data = None
            wall, cpu = time.perf_counter(), time.process_time()
            data = read_mpd(folder, show_progress=False)
            wall_times.append(time.perf_counter() - wall)
            cpu_times.append(time.process_time() - cpu)
    megabytes = sum(entry["bytes"] for entry in data.files) / 1e6
    best = min(wall_times)
    result = {
        "files": len(data.files), "megabytes": megabytes, "entries": data.num_entries,
        "playlists": data.num_playlists, "tracks": data.num_tracks,
        "best_seconds": best, "median_seconds": statistics.median(wall_times),
        "best_cpu_seconds": min(cpu_times),
        "entries_per_second": data.num_entries / best,
        "megabytes_per_second": megabytes / best,
    }
    print(f"read_mpd: {len(data.files)} files, {megabytes:.1f} MB, {data.num_entries:,} "
          f"entries, {data.num_playlists:,} playlists, {data.num_tracks:,} tracks")
    print(f"  best of {repeats}: {best * 1000:.0f} ms wall ({min(cpu_times) * 1000:.0f} ms "
          f"CPU) = {result['entries_per_second'] / 1e6:.2f} M entries/s, "
          f"{result['megabytes_per_second']:.0f} MB/s; median {result['median_seconds'] * 1000:.0f} ms")
    return result, data


def merge_reader_rounds(first: dict, second: dict) -> dict:
    """Combine two rounds of ``measure_reader``: the best read of both counts."""
    rounds = [first, second]
    best = min(rounds, key=lambda result: result["best_seconds"])
    merged = {**best, "rounds": rounds,
              "best_cpu_seconds": min(result["best_cpu_seconds"] for result in rounds)}
    round_times = ", ".join(f"{result['best_seconds'] * 1000:.0f} ms" for result in rounds)
    print(f"  best of both rounds: {merged['best_seconds'] * 1000:.0f} ms = "
          f"{merged['entries_per_second'] / 1e6:.2f} M entries/s (round bests: {round_times})")
    return merged


def measure_generators(split, masked, sampler, reference_repeats: int,
                       our_repeats: int) -> dict:
    """Median milliseconds per batch of the reference-style generator and of ours."""
    batches = reference_style.training_batches(masked, np.random.default_rng(1), BATCH_SIZE)
    reference_times = []
    for _ in range(reference_repeats):
        started = time.perf_counter()
        next(batches)
        reference_times.append(time.perf_counter() - started)
    rng = np.random.default_rng(1)
    sampler.draw(rng, BATCH_SIZE)
    our_times = []
    for _ in range(our_repeats):
        started = time.perf_counter()
        sampler.draw(rng, BATCH_SIZE)
        our_times.append(time.perf_counter() - started)
    reference_ms = statistics.median(reference_times) * 1000
    our_ms = statistics.median(our_times) * 1000
    print(f"reference-style generator: median {reference_ms:.1f} ms per batch of "
          f"{BATCH_SIZE:,} ({reference_repeats} batches)")
    print(f"BalancedSampler.draw:      median {our_ms:.2f} ms per batch "
          f"({our_repeats} batches)")
    print(f"  speed-up {reference_ms / our_ms:.0f}x")
    return {"reference_ms": reference_ms, "ours_ms": our_ms,
            "speedup": reference_ms / our_ms,
            "reference_batches": reference_repeats, "our_batches": our_repeats}


def extrapolate(total_seconds: float, epoch_ends: list[float], start: float,
                target_epochs: int) -> float:
    """Estimate the time of ``target_epochs`` epochs from a shorter run.

    The run's own time is kept, and each missing epoch costs the mean time of the run's
    epochs after the first ``SKIPPED_EPOCHS``. Those first epochs are left out because they
    contain the tracing of the training step, and because Keras draws two batches ahead
    from a Python generator to learn their shapes. Checkpoint saves stay in the mean at
    their share of epochs.
    """
    measured = len(epoch_ends)
    if measured >= target_epochs:
        return total_seconds
    durations = np.diff([start, *epoch_ends])
    steady = float(np.mean(durations[min(SKIPPED_EPOCHS, measured - 1):]))
    return total_seconds + steady * (target_epochs - measured)


def train_reference(split, masked_seconds: float, masked, epochs: int, folder: Path) -> dict:
    """Time ``model.fit`` fed by the reference-style generators for ``epochs`` epochs."""
    import keras

    from nncf_helpers.model import build_nncf

    started = time.perf_counter()
    model = build_nncf(split.num_tracks, split.num_playlists)
    epoch_ends: list[float] = []
    timer = keras.callbacks.LambdaCallback(
        on_epoch_end=lambda epoch, logs: epoch_ends.append(time.perf_counter())
    )
    # One step per epoch, so saving every 10 batches saves every 10 epochs, as the
    # reference's ModelCheckpoint(period=10) did.
    checkpoint = keras.callbacks.ModelCheckpoint(
        str(folder / "reference-{epoch:04d}.keras"), save_freq=CHECKPOINT_PERIOD
    )
    fit_started = time.perf_counter()
    model.fit(
        reference_style.training_batches(masked, np.random.default_rng(2), BATCH_SIZE),
        steps_per_epoch=1, epochs=epochs, verbose=0,
        validation_data=reference_style.validation_batches(
            split, np.random.default_rng(3), VALIDATION_SIZE),
        validation_steps=1, callbacks=[timer, checkpoint],
    )
    total = time.perf_counter() - started + masked_seconds
    estimate = extrapolate(total, epoch_ends, fit_started, FULL_EPOCHS)
    return {"epochs": epochs, "seconds": total, "seconds_for_500": estimate,
            "extrapolated": epochs < FULL_EPOCHS, "model": model}


def train_ours(split, epochs: int, folder: Path) -> dict:
    """Time ``nncf_helpers.training.train`` with ``BalancedSampler`` for ``epochs`` epochs."""
    from nncf_helpers import training
    from nncf_helpers.model import build_nncf

    started = time.perf_counter()
    sampler = BalancedSampler(split)
    keys, labels = balanced_sample(split.validation_keys, split.validation_labels,
                                   VALIDATION_SIZE, 0.5, rng_for(0, VALIDATION_SAMPLE))
    playlists, tracks = split.decode(keys)
    model = build_nncf(split.num_tracks, split.num_playlists)
    epoch_ends: list[float] = []
    train_started = time.perf_counter()
    model, _ = training.train(
        model, sampler, (playlists, tracks, one_hot(labels)), folder, epochs=epochs,
        steps_per_epoch=1, batch_size=BATCH_SIZE, balance_ratio=0.5,
        checkpoint_period=CHECKPOINT_PERIOD, seed=0,
        log=lambda line: epoch_ends.append(time.perf_counter()),
    )
    total = time.perf_counter() - started
    estimate = extrapolate(total, epoch_ends, train_started, FULL_EPOCHS)
    return {"epochs": epochs, "seconds": total, "seconds_for_500": estimate,
            "extrapolated": epochs < FULL_EPOCHS, "model": model}


def measure_training(split, masked, masked_seconds: float, our_epochs: int,
                     reference_epochs: int) -> tuple[dict, object]:
    """Time both training pipelines; return the results and our trained model."""
    from nncf_helpers import training

    training.configure_determinism(0)
    folder = Path(tempfile.mkdtemp(prefix="training-", dir=BENCH_DIR))
    try:
        reference = train_reference(split, masked_seconds, masked, reference_epochs,
                                    folder / "reference")
        del reference["model"]
        ours = train_ours(split, our_epochs, folder / "ours")
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    model = ours.pop("model")
    for name, result in (("reference-style model.fit", reference), ("training.train", ours)):
        how = (f"{result['epochs']} epochs measured in {result['seconds']:.1f} s, "
               f"{FULL_EPOCHS} extrapolated per epoch"
               if result["extrapolated"] else f"{result['epochs']} epochs measured")
        print(f"{name:26s} {result['seconds_for_500']:8.1f} s for {FULL_EPOCHS} epochs "
              f"({how})")
    speedup = reference["seconds_for_500"] / ours["seconds_for_500"]
    print(f"  speed-up {speedup:.1f}x")
    return {"reference": reference, "ours": ours, "speedup": speedup}, model


CATALOGUE_REPEATS = 3


def measure_folded(model, split, catalogue_playlists: int) -> dict:
    """Time the folded scorer against ``model.predict`` with a batch of ``PREDICT_BATCH_SIZE``.

    Two measurements, each on exactly the same cells for both scorers:

    * full-catalogue scoring, as the report does it: ``FoldedNNCF.score_playlists`` with
      ``output="probability"`` for ``catalogue_playlists`` random playlists, against
      ``model.predict`` on every (playlist, track) pair of those playlists;
    * ``FoldedNNCF.score_pairs`` against ``model.predict`` on ``SCORED_CELLS`` random cells.

    Each scorer is called once on a few cells first, so that neither pays for tracing or
    for building its cached tables in the timed call.
    """
    from nncf_helpers.folded import FoldedNNCF

    rng = np.random.default_rng(4)
    started = time.perf_counter()
    folded = FoldedNNCF.from_model(model)
    fold_seconds = time.perf_counter() - started

    count = min(catalogue_playlists, split.num_playlists)
    chosen = np.sort(rng.choice(split.num_playlists, count, replace=False))
    catalogue_playlist_indices = np.repeat(chosen, split.num_tracks).astype(np.int32)
    catalogue_tracks = np.tile(np.arange(split.num_tracks, dtype=np.int32), len(chosen))
    pair_playlists = rng.integers(0, split.num_playlists, SCORED_CELLS).astype(np.int32)
    pair_tracks = rng.integers(0, split.num_tracks, SCORED_CELLS).astype(np.int32)

    model.predict([pair_playlists[:1000], pair_tracks[:1000]], batch_size=PREDICT_BATCH_SIZE,
                  verbose=0)
    folded.score_playlists(chosen[:1], output="probability")
    folded.score_pairs(pair_playlists[:1000], pair_tracks[:1000])

    # Median of three calls each: predict's wall time varies by tens of percent between
    # calls on 2 cores.
    predict_times, folded_times = [], []
    for _ in range(CATALOGUE_REPEATS):
        started = time.perf_counter()
        predicted = model.predict([catalogue_playlist_indices, catalogue_tracks],
                                  batch_size=PREDICT_BATCH_SIZE, verbose=0)[:, 1]
        predict_times.append(time.perf_counter() - started)
        started = time.perf_counter()
        scores = folded.score_playlists(chosen, output="probability")
        folded_times.append(time.perf_counter() - started)
    catalogue_predict_seconds = float(np.median(predict_times))
    catalogue_folded_seconds = float(np.median(folded_times))
    catalogue_difference = float(np.max(np.abs(
        scores.astype(np.float64).ravel() - predicted.astype(np.float64))))
    del predicted, scores, catalogue_playlist_indices, catalogue_tracks

    started = time.perf_counter()
    predicted = model.predict([pair_playlists, pair_tracks], batch_size=PREDICT_BATCH_SIZE,
                              verbose=0)[:, 1]
    pairs_predict_seconds = time.perf_counter() - started
    started = time.perf_counter()
    scores = folded.score_pairs(pair_playlists, pair_tracks)
    pairs_folded_seconds = time.perf_counter() - started
    pairs_difference = float(np.max(np.abs(
        scores.astype(np.float64) - predicted.astype(np.float64))))

    catalogue_cells = len(chosen) * split.num_tracks
    catalogue_speedup = catalogue_predict_seconds / catalogue_folded_seconds
    pairs_speedup = pairs_predict_seconds / pairs_folded_seconds
    print(f"folding the model took {fold_seconds:.3f} s")
    print(f"full catalogue, {len(chosen)} playlists x {split.num_tracks:,} tracks = "
          f"{catalogue_cells:,} cells:")
    print(f"  model.predict, batch {PREDICT_BATCH_SIZE:,}:           "
          f"{catalogue_predict_seconds:7.3f} s")
    print(f"  FoldedNNCF.score_playlists (probability): {catalogue_folded_seconds:7.3f} s")
    print(f"  speed-up {catalogue_speedup:.1f}x (medians of {CATALOGUE_REPEATS} calls each); "
          f"max abs difference {catalogue_difference:.1e}")
    print(f"{SCORED_CELLS:,} random cells:")
    print(f"  model.predict, batch {PREDICT_BATCH_SIZE:,}:           "
          f"{pairs_predict_seconds:7.3f} s")
    print(f"  FoldedNNCF.score_pairs:                   {pairs_folded_seconds:7.3f} s")
    print(f"  speed-up {pairs_speedup:.1f}x; max abs difference {pairs_difference:.1e}")
    return {"fold_seconds": fold_seconds,
            "catalogue_playlists": len(chosen), "catalogue_cells": catalogue_cells,
            "catalogue_predict_seconds": catalogue_predict_seconds,
            "catalogue_folded_seconds": catalogue_folded_seconds,
            "catalogue_speedup": catalogue_speedup,
            "catalogue_max_abs_difference": catalogue_difference,
            "pairs_cells": SCORED_CELLS,
            "pairs_predict_seconds": pairs_predict_seconds,
            "pairs_folded_seconds": pairs_folded_seconds,
            "pairs_speedup": pairs_speedup,
            "pairs_max_abs_difference": pairs_difference}


def bench_dataset(label: str, folder: Path, args, reference_epochs: int) -> dict:
    """Run the reader, generator, training and folded-scorer measurements on one folder."""
    section(f"{label}: reading {folder}")
    reader, data = measure_reader(folder, 3 if args.quick else 9)

    section(f"{label}: random subset, split and generators")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        subset = make_subset(data, "random", 10_000, seed=0)
    del data
    split = split_cells(subset.matrix, 0.05, seed=0)
    shape = {"tracks": split.num_tracks, "playlists": split.num_playlists,
             "ones": int(len(split.positive_keys)),
             "held_out_cells": int(len(split.validation_keys) + len(split.test_keys))}
    print(f"random subset: {shape['playlists']:,} playlists x {shape['tracks']:,} tracks, "
          f"{shape['ones']:,} ones, {shape['held_out_cells']:,} held-out cells")
    started = time.perf_counter()
    masked = reference_style.masked_matrix(split)
    masked_seconds = time.perf_counter() - started
    started = time.perf_counter()
    sampler = BalancedSampler(split)
    sampler_seconds = time.perf_counter() - started
    print(f"set-up: reference masked matrix {masked_seconds:.2f} s ({masked.nnz:,} stored "
          f"cells); BalancedSampler {sampler_seconds:.2f} s")
    generators = measure_generators(split, masked, sampler, 2 if args.quick else 5,
                                    20 if args.quick else 100)
    generators.update(reference_setup_seconds=masked_seconds,
                      our_setup_seconds=sampler_seconds)
    del sampler

    section(f"{label}: training, {FULL_EPOCHS} epochs of one batch of {BATCH_SIZE:,}")
    training_result, model = measure_training(split, masked, masked_seconds, args.epochs,
                                              reference_epochs)
    del masked

    section(f"{label}: folded scorer against model.predict")
    folded = measure_folded(model, split, args.catalogue_playlists)
    return {"folder": str(folder), "reader": reader, "shape": shape,
            "generators": generators, "training": training_result, "folded": folded}


class TreeMemorySampler:
    """Samples the summed resident memory of a process and all its descendants."""

    def __init__(self, pid: int, interval: float = MEMORY_SAMPLE_SECONDS):
        self.root = psutil.Process(pid)
        self.interval = interval
        self.peak_bytes = 0
        self.peak_processes = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                processes = [self.root, *self.root.children(recursive=True)]
            except psutil.NoSuchProcess:
                return
            total = 0
            for process in processes:
                try:
                    total += process.memory_info().rss
                except psutil.NoSuchProcess:
                    continue
            if total > self.peak_bytes:
                self.peak_bytes = total
                self.peak_processes = len(processes)
            self._stop.wait(self.interval)

    def __enter__(self) -> TreeMemorySampler:
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._stop.set()
        self._thread.join()


# Runs the report pipeline for the random dataset only, on the notebooks requested. The
# command line of nncf_helpers.pipeline always runs all five notebooks, so this calls
# run_pipeline with the same logging set-up.
PIPELINE_SCRIPT = """
import json, logging, sys
from pathlib import Path
from nncf_helpers import pipeline
logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stdout)
mpd_dir, reports, run_name, overrides, count = sys.argv[1:6]
pipeline.run_pipeline(mpd_dir, ["random"], Path(reports), run_name, json.loads(overrides),
                      overwrite=True, notebooks=pipeline.NOTEBOOKS[:int(count)])
"""


def measure_pipeline_memory(folder: Path, overrides: dict, notebooks: int) -> dict:
    """Run the report pipeline on ``folder``'s random dataset and record its peak memory."""
    run_name = f"bench-memory-{os.getpid()}"
    reports = Path(tempfile.mkdtemp(prefix="reports-", dir=BENCH_DIR))
    log_path = reports / "pipeline.log"
    command = [sys.executable, "-c", PIPELINE_SCRIPT, str(folder), str(reports), run_name,
               json.dumps(overrides), str(notebooks)]
    print(f"run_pipeline({str(folder)!r}, datasets=['random'], notebooks 01 to 0{notebooks}, "
          f"parameters {overrides}) in a child process")
    started = time.perf_counter()
    try:
        with open(log_path, "w", encoding="utf-8") as log:
            process = subprocess.Popen(command, cwd=REPO_ROOT, stdout=log,
                                       stderr=subprocess.STDOUT)
            with TreeMemorySampler(process.pid) as sampler:
                status = process.wait()
        seconds = time.perf_counter() - started
        log_text = log_path.read_text(encoding="utf-8", errors="replace")
        if status != 0:
            raise RuntimeError(
                f"The pipeline failed with exit status {status}:\n{log_text[-3000:]}"
            )
    finally:
        shutil.rmtree(REPO_ROOT / "data" / "runs" / run_name, ignore_errors=True)
        shutil.rmtree(REPO_ROOT / "build" / run_name, ignore_errors=True)
        shutil.rmtree(reports, ignore_errors=True)
    for line in log_text.splitlines():
        if ": done in " in line:
            print("  " + line.split(" -> ")[0])
    peak = sampler.peak_bytes
    print(f"pipeline took {seconds / 60:.1f} min; peak resident memory of the process tree "
          f"{peak / 2**30:.2f} GiB ({sampler.peak_processes} processes at the peak, sampled "
          f"every {MEMORY_SAMPLE_SECONDS} s)")
    return {"overrides": overrides, "notebooks": notebooks, "seconds": seconds,
            "peak_bytes": peak, "peak_processes": sampler.peak_processes}


def verdict(passed: bool) -> str:
    return "PASS" if passed else "FAIL"


def summary_rows(results: dict) -> list[tuple[str, str, str, str]]:
    """Rows ``(measurement, target, measured, verdict)`` of the final table."""
    rows = []
    for label, result in results["datasets"].items():
        reader = result["reader"]["entries_per_second"]
        # The reader's target is set on the real slices only.
        has_target = label == "MPD sample"
        rows.append((f"{label}: read_mpd speed", ">= 1.5 M entries/s" if has_target else "-",
                     f"{reader / 1e6:.2f} M entries/s",
                     verdict(reader >= TARGETS["reader"]) if has_target else "-"))
        generator = result["generators"]["speedup"]
        rows.append((f"{label}: batch generator speed-up", ">= 100x", f"{generator:.0f}x",
                     verdict(generator >= TARGETS["generator"])))
        training = result["training"]
        note = ""
        if training["reference"]["extrapolated"] or training["ours"]["extrapolated"]:
            note = " (extrapolated)"
        rows.append((f"{label}: training speed-up, 500 epochs", ">= 10x",
                     f"{training['speedup']:.1f}x{note}",
                     verdict(training["speedup"] >= TARGETS["training"])))
        folded = result["folded"]
        rows.append((f"{label}: folded full-catalogue scoring vs predict "
                     f"(batch {PREDICT_BATCH_SIZE:,})", ">= 50x",
                     f"{folded['catalogue_speedup']:.0f}x "
                     f"(max diff {folded['catalogue_max_abs_difference']:.1e})",
                     verdict(folded["catalogue_speedup"] >= TARGETS["folded"])))
        rows.append((f"{label}: score_pairs vs predict (batch {PREDICT_BATCH_SIZE:,}), "
                     f"{folded['pairs_cells']:,} random cells", "-",
                     f"{folded['pairs_speedup']:.1f}x "
                     f"(max diff {folded['pairs_max_abs_difference']:.1e})", "-"))
    if "memory" in results:
        memory = results["memory"]
        rows.append((f"pipeline 01-0{memory['notebooks']} peak memory, synthetic, "
                     f"EPOCHS={memory['overrides']['EPOCHS']}", "< 6 GiB",
                     f"{memory['peak_bytes'] / 2**30:.2f} GiB",
                     verdict(memory["peak_bytes"] < TARGETS["memory"])))
    return rows


def print_summary(rows: list[tuple[str, str, str, str]]) -> None:
    widths = [max(len(row[column]) for row in rows) for column in range(4)]
    headers = ("measurement", "target", "measured", "result")
    widths = [max(width, len(header)) for width, header in zip(widths, headers)]
    print("\n=== Summary ===")
    for row in (headers, *rows):
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths)))


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mpd-dir", type=Path, default=None,
                        help="folder of real MPD slice files (default: $NNCF_MPD_SAMPLE, "
                        "else ../shared/mpd-sample next to the repository)")
    parser.add_argument("--quick", action="store_true",
                        help="fewer epochs and repeats; training times are extrapolated to "
                        "500 epochs")
    parser.add_argument("--epochs", type=int, default=None,
                        help="epochs of training.train (default 500, 20 with --quick)")
    parser.add_argument("--reference-epochs", type=int, default=None,
                        help="epochs of the reference-style model.fit on the MPD folder, "
                        "extrapolated to 500 when fewer (default 50, 5 with --quick)")
    parser.add_argument("--reference-epochs-synthetic", type=int, default=None,
                        help="the same on the synthetic data, whose batches take about 5 "
                        "times longer (default 10, 5 with --quick)")
    parser.add_argument("--pipeline-epochs", type=int, default=None,
                        help="EPOCHS of the memory run of the pipeline (default 500, "
                        "5 with --quick, which also uses 10 class-balanced test samples)")
    parser.add_argument("--pipeline-notebooks", type=int, choices=(2, 3, 4, 5), default=None,
                        help="run notebooks 01 to this one in the memory run (default 5, "
                        "4 with --quick)")
    parser.add_argument("--catalogue-playlists", type=int, default=CATALOGUE_PLAYLISTS,
                        help="random playlists whose whole catalogue the folded scorer and "
                        f"model.predict score (default {CATALOGUE_PLAYLISTS})")
    parser.add_argument("--skip-pipeline", action="store_true",
                        help="skip the memory run of the whole pipeline")
    parser.add_argument("--json", type=Path, default=None,
                        help="also write every measured number to this JSON file")
    args = parser.parse_args(argv)

    args.mpd_dir = args.mpd_dir or default_mpd_dir()
    if args.epochs is None:
        args.epochs = 20 if args.quick else FULL_EPOCHS
    if args.reference_epochs is None:
        args.reference_epochs = MIN_MEASURED_EPOCHS if args.quick else 50
    if args.reference_epochs_synthetic is None:
        args.reference_epochs_synthetic = MIN_MEASURED_EPOCHS if args.quick else 10
    if args.pipeline_epochs is None:
        args.pipeline_epochs = 5 if args.quick else FULL_EPOCHS
    for name in ("epochs", "reference_epochs", "reference_epochs_synthetic"):
        if getattr(args, name) < MIN_MEASURED_EPOCHS:
            parser.error(f"--{name.replace('_', '-')} must be at least {MIN_MEASURED_EPOCHS}, "
                         f"got {getattr(args, name)}.")
    if args.catalogue_playlists < 1:
        parser.error("--catalogue-playlists must be at least 1, got "
                     f"{args.catalogue_playlists}.")
    if args.pipeline_epochs < 1:
        parser.error(f"--pipeline-epochs must be at least 1, got {args.pipeline_epochs}.")
    if args.pipeline_notebooks is None:
        args.pipeline_notebooks = 4 if args.quick else 5
    if not args.mpd_dir.is_dir():
        parser.error(f"MPD folder {str(args.mpd_dir)!r} does not exist. Pass --mpd-dir or set "
                     "NNCF_MPD_SAMPLE to a folder of mpd.slice.*.json files.")
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()

    machine = machine_description()
    print("Machine: " + ", ".join(f"{key} {value}" for key, value in machine.items()))
    print(f"Mode: {'quick' if args.quick else 'full'}; training.train {args.epochs} epochs, "
          f"reference-style fit {args.reference_epochs} epochs (MPD folder) and "
          f"{args.reference_epochs_synthetic} (synthetic), pipeline EPOCHS "
          f"{args.pipeline_epochs}")
    synthetic = ensure_synthetic_data()

    results: dict = {"machine": machine, "quick": args.quick, "datasets": {}}
    results["datasets"]["MPD sample"] = bench_dataset(
        "MPD sample", args.mpd_dir, args, args.reference_epochs)
    results["datasets"]["synthetic"] = bench_dataset(
        "synthetic", synthetic, args, args.reference_epochs_synthetic)
    # Other jobs on the host can slow a whole section down, so the reader, the shortest
    # measurement, is timed a second time, minutes after the first.
    for label, folder in (("MPD sample", args.mpd_dir), ("synthetic", synthetic)):
        section(f"{label}: reading {folder} again")
        again, _ = measure_reader(folder, 3 if args.quick else 9)
        dataset = results["datasets"][label]
        dataset["reader"] = merge_reader_rounds(dataset["reader"], again)
    if not args.skip_pipeline:
        section("Peak memory of the whole pipeline on the synthetic data")
        overrides = {"EPOCHS": args.pipeline_epochs}
        if args.quick:
            overrides["BALANCED_SAMPLES"] = 10
        results["memory"] = measure_pipeline_memory(synthetic, overrides,
                                                    args.pipeline_notebooks)

    rows = summary_rows(results)
    print_summary(rows)
    minutes = (time.perf_counter() - started) / 60
    print(f"\nTotal benchmark time {minutes:.1f} min; {load_note()} at the end.")
    if args.quick:
        print("Quick mode: training times for 500 epochs are extrapolated from "
              f"{args.epochs} epochs (ours) and {args.reference_epochs} and "
              f"{args.reference_epochs_synthetic} epochs (reference-style).")
    if args.json:
        results["summary"] = rows
        results["minutes"] = minutes
        args.json.write_text(json.dumps(results, indent=2, default=str), encoding="utf-8")
    return 0 if all(row[3] != "FAIL" for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())

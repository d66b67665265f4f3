# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 01 Split: playlists, the track x playlist matrix and held-out cells
#
# Reads MPD slices, takes one dataset (the `seed-track` subset of playlists that contain a
# seed track, or a `random` subset), and holds out a share of all track-playlist cells, half
# for validation and half for test. Held-out cells are distinct, validation and test share
# none, and training never sees them, neither as ones nor as zeros.

# %%
import warnings

import numpy as np
from IPython.display import HTML, display

from nncf_helpers import artifacts, params, paths, report, splits, subsets, synthetic
from nncf_helpers.mpd import read_mpd

# %% tags=["parameters"]
MPD_DIR: str = ""  # folder of MPD slice files; empty uses the synthetic dataset
SYNTHETIC_SEED: int = 0  # seed of the synthetic dataset made when MPD_DIR is empty
DATASET: str = "random"  # "seed-track" or "random"
MAX_PLAYLISTS: int = 10_000  # playlists to take
SEED_TRACK_URI: str = ""  # seed track of "seed-track"; empty takes the most frequent track
HOLDOUT_FRACTION: float = 0.05  # share of all cells held out, in (0, 0.5]
SEED: int = 0  # seed of every random choice of this step
RUN_DIR: str = "data/runs/synthetic-seed-0/random"  # output folder of this dataset's run
OVERWRITE: bool = False  # replace artifacts of another run in RUN_DIR

# %%
mpd_dir_text = params.check_text("MPD_DIR", MPD_DIR).strip()
synthetic_seed = params.check_int("SYNTHETIC_SEED", SYNTHETIC_SEED, minimum=0)
dataset = params.check_choice("DATASET", DATASET, subsets.DATASETS)
max_playlists = params.check_int("MAX_PLAYLISTS", MAX_PLAYLISTS, minimum=1)
seed_track_uri = params.check_text("SEED_TRACK_URI", SEED_TRACK_URI).strip()
holdout_fraction = params.check_float("HOLDOUT_FRACTION", HOLDOUT_FRACTION, 0.0, 0.5,
                                      low_open=True)
seed = params.check_int("SEED", SEED, minimum=0)
run_dir = params.check_folder("RUN_DIR", RUN_DIR, must_exist=False)
overwrite = params.check_bool("OVERWRITE", OVERWRITE)
if dataset == "random" and seed_track_uri:
    print(f"Note: SEED_TRACK_URI={seed_track_uri!r} applies only to the seed-track dataset; "
          "the random dataset ignores it.")
    seed_track_uri = ""
if mpd_dir_text:
    mpd_dir = params.check_folder("MPD_DIR", mpd_dir_text)
else:
    mpd_dir = synthetic.ensure_synthetic_mpd(paths.SYNTHETIC_DIR / f"seed-{synthetic_seed}",
                                             seed=synthetic_seed)

# %% [markdown]
# ## Read the slices

# %%
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    data = read_mpd(mpd_dir)
for warning in caught:
    print(f"Warning: {warning.message}")
folder = paths.step_folders(run_dir)["split"]
step = artifacts.StepFolder(
    folder, "01_split",
    params={"DATASET": dataset, "MAX_PLAYLISTS": max_playlists,
            "SEED_TRACK_URI": seed_track_uri, "HOLDOUT_FRACTION": holdout_fraction,
            "SEED": seed},
    inputs={"mpd_fingerprint": data.fingerprint, "mpd_files": len(data.files)},
    overwrite=overwrite,
)
display(HTML(report.header_html(
    f"01 Split, dataset {dataset!r}", data.synthetic, str(mpd_dir),
    {"MPD_DIR": mpd_dir_text, "SYNTHETIC_SEED": synthetic_seed, "DATASET": dataset,
     "MAX_PLAYLISTS": max_playlists, "SEED_TRACK_URI": seed_track_uri,
     "HOLDOUT_FRACTION": holdout_fraction, "SEED": seed, "RUN_DIR": str(run_dir)},
    data.fingerprint,
    {"Slice files read": len(data.files), "Playlists read": f"{data.num_playlists:,}",
     "Empty playlists skipped": len(data.skipped_empty),
     "Repeated tracks inside a playlist dropped": f"{data.repeated_entries:,}"},
)))
step.prepare()

# %% [markdown]
# ## Take the dataset

# %%
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    subset = subsets.make_subset(data, dataset, max_playlists, seed, seed_track_uri or None)
for warning in caught:
    print(f"Warning: {warning.message}")
print(f"Dataset {dataset!r}: {subset.available:,} playlists available, "
      f"{subset.num_playlists:,} taken (requested {max_playlists:,}).")
if subset.seed_track_uri:
    row = subset.track_uris.index(subset.seed_track_uri)
    print(f"Seed track: {subset.track_names[row]!r} by {subset.track_artists[row]!r} "
          f"({subset.seed_track_uri}).")
is_synthetic = data.synthetic
del data

# %% [markdown]
# ## Hold out validation and test cells

# %%
split = splits.split_cells(subset.matrix, holdout_fraction, seed)
summary = split.summary()
print(f"Matrix: {summary['tracks']:,} tracks x {summary['playlists']:,} playlists, "
      f"{summary['all']['cells']:,} cells, density {summary['all']['share_of_ones']:.6f}.")
display(HTML(report.table_html([
    {"set": name, "cells": summary[name]["cells"], "ones": summary[name]["ones"],
     "share of ones": summary[name]["share_of_ones"],
     "zeros per one": (summary[name]["cells"] - summary[name]["ones"])
     / max(1, summary[name]["ones"])}
    for name in ("all", "training", "validation", "test")
], digits=6)))
split.require_ones()

# %% [markdown]
# ## Save

# %%
step.record(splits.save_split(folder, split))
for path in splits.save_tables(folder, subset):
    step.record(path)
step.complete({
    "summary": summary, "synthetic": is_synthetic, "source": str(mpd_dir),
    "dataset": dataset, "available_playlists": subset.available,
    "seed_track_uri": subset.seed_track_uri,
})
print(f"Wrote the split to {folder}.")

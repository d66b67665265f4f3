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
# # 02 Train: the NNCF playlist-track classifier
#
# Trains the reference architecture (an MF stream and an MLP stream joined by dense layers
# and a two-way softmax, after He et al., WWW 2017) on class-balanced batches of training
# cells, validating after every epoch on a fixed class-balanced sample of validation cells,
# and saves a checkpoint every few epochs in the native Keras format.
#
# The reference schedule is 500 epochs of one batch of 20,000 cells.

# %%
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from IPython.display import HTML, display  # noqa: E402

from nncf_helpers import artifacts, params, paths, plots, report, training  # noqa: E402
from nncf_helpers.model import build_nncf  # noqa: E402
from nncf_helpers.sampling import BalancedSampler, balanced_sample, one_hot  # noqa: E402
from nncf_helpers.seeding import VALIDATION_SAMPLE, rng_for  # noqa: E402
from nncf_helpers.splits import load_split  # noqa: E402

# %% tags=["parameters"]
RUN_DIR: str = "data/runs/synthetic-seed-0/random"  # folder of this dataset's run (01 wrote split/)
MF_DIM: int = 50  # embedding size of the MF stream
MLP_DIM: int = 10  # embedding size of the MLP stream
MLP_LAYERS: str = "200,100,50,20"  # widths of the MLP stream's hidden layers
COMBINE_LAYERS: str = "100,100"  # widths of the dense layers joining the streams
DROPOUT: float = 0.2  # dropout rate, in [0, 1)
OPTIMIZER: str = "adam"  # "adam", "rmsprop", "sgd" or "adagrad"
LEARNING_RATE: float = 0.001  # optimizer learning rate
EPOCHS: int = 500  # training epochs
STEPS_PER_EPOCH: int = 1  # batches per epoch
BATCH_SIZE: int = 20_000  # cells per training batch
BALANCE_RATIO: float = 0.5  # share of ones in each batch, in (0, 1)
VALIDATION_SIZE: int = 10_000  # cells in the class-balanced validation sample
CHECKPOINT_PERIOD: int = 10  # save a checkpoint every this many epochs
SEED: int = 0  # seed of weights, batches, dropout and the validation sample
RESUME: bool = False  # continue an interrupted run of the same parameters from its checkpoint
OVERWRITE: bool = False  # replace artifacts of another run

# %%
run_dir = params.check_folder("RUN_DIR", RUN_DIR)
hyper = {
    "MF_DIM": params.check_int("MF_DIM", MF_DIM, minimum=1),
    "MLP_DIM": params.check_int("MLP_DIM", MLP_DIM, minimum=1),
    "MLP_LAYERS": params.check_int_list("MLP_LAYERS", MLP_LAYERS),
    "COMBINE_LAYERS": params.check_int_list("COMBINE_LAYERS", COMBINE_LAYERS),
    "DROPOUT": params.check_float("DROPOUT", DROPOUT, 0.0, 1.0, high_open=True),
    "OPTIMIZER": params.check_choice("OPTIMIZER", OPTIMIZER, ("adam", "rmsprop", "sgd",
                                                             "adagrad")),
    "LEARNING_RATE": params.check_float("LEARNING_RATE", LEARNING_RATE, 0.0, 10.0,
                                        low_open=True),
    "EPOCHS": params.check_int("EPOCHS", EPOCHS, minimum=1),
    "STEPS_PER_EPOCH": params.check_int("STEPS_PER_EPOCH", STEPS_PER_EPOCH, minimum=1),
    "BATCH_SIZE": params.check_int("BATCH_SIZE", BATCH_SIZE, minimum=2),
    "BALANCE_RATIO": params.check_float("BALANCE_RATIO", BALANCE_RATIO, 0.0, 1.0,
                                        low_open=True, high_open=True),
    "VALIDATION_SIZE": params.check_int("VALIDATION_SIZE", VALIDATION_SIZE, minimum=2),
    "CHECKPOINT_PERIOD": params.check_int("CHECKPOINT_PERIOD", CHECKPOINT_PERIOD, minimum=1),
    "SEED": params.check_int("SEED", SEED, minimum=0),
}
resume = params.check_bool("RESUME", RESUME)
overwrite = params.check_bool("OVERWRITE", OVERWRITE)
if len(hyper["MLP_LAYERS"]) < 3:
    raise params.ParameterError(
        f"Parameter MLP_LAYERS={MLP_LAYERS!r} is invalid: expected at least three widths."
    )
folders = paths.step_folders(run_dir)
split_manifest = artifacts.read_manifest(folders["split"], "01_split")
step = artifacts.StepFolder(
    folders["model"], "02_train", params=hyper,
    inputs={"split": artifacts.manifest_fingerprint(split_manifest)}, overwrite=overwrite,
)
display(HTML(report.header_html(
    f"02 Train, dataset {split_manifest['dataset']!r}", split_manifest["synthetic"],
    split_manifest["source"], {**hyper, "RUN_DIR": str(run_dir), "RESUME": resume},
    artifacts.manifest_fingerprint(split_manifest),
)))
previous = step.prepare(keep_for_resume=resume)

# %% [markdown]
# ## Data and model

# %%
training.configure_determinism(hyper["SEED"])
split = load_split(folders["split"])
sampler = BalancedSampler(split)
validation_keys, validation_labels = balanced_sample(
    split.validation_keys, split.validation_labels, hyper["VALIDATION_SIZE"], 0.5,
    rng_for(hyper["SEED"], VALIDATION_SAMPLE),
)
validation_playlists, validation_tracks = split.decode(validation_keys)
print(f"{split.num_tracks:,} tracks x {split.num_playlists:,} playlists; "
      f"{len(sampler.training_positive_keys):,} training ones; validation sample of "
      f"{len(validation_keys):,} cells ({int(validation_labels.sum()):,} ones).")

model = build_nncf(
    split.num_tracks, split.num_playlists, mf_dim=hyper["MF_DIM"], mlp_dim=hyper["MLP_DIM"],
    mlp_layers=hyper["MLP_LAYERS"], combine_layers=hyper["COMBINE_LAYERS"],
    dropout=hyper["DROPOUT"], learning_rate=hyper["LEARNING_RATE"],
    optimizer=hyper["OPTIMIZER"],
)
model.summary(line_length=110)

# %% [markdown]
# ## Train
#
# One line per epoch. With `RESUME=True`, an interrupted run of the same parameters goes on
# from its last checkpoint and reaches the same final weights as an unbroken run.

# %%
model, history = training.train(
    model, sampler, (validation_playlists, validation_tracks, one_hot(validation_labels)),
    folders["model"], epochs=hyper["EPOCHS"], steps_per_epoch=hyper["STEPS_PER_EPOCH"],
    batch_size=hyper["BATCH_SIZE"], balance_ratio=hyper["BALANCE_RATIO"],
    checkpoint_period=hyper["CHECKPOINT_PERIOD"], seed=hyper["SEED"],
    resume=resume and previous is not None,
)
total_seconds = sum(history["seconds"])
print(f"Trained {len(history['loss'])} epochs; this session's epochs took "
      f"{total_seconds:.1f} s in all.")

# %% [markdown]
# ## Loss and accuracy, training against validation

# %%
best = min(history["checkpoints"], key=lambda entry: entry["val_loss"])
figure = plots.training_curves(history, history["checkpoints"], best_epoch=best["epoch"])

# %%
for _, path in training.list_checkpoints(folders["model"]):
    step.record(path)
step.record(folders["model"] / training.FINAL_MODEL)
for name in (training.HISTORY_FILE, training.STATE_FILE):
    step.record(folders["model"] / name, holds_timings=True)
step.complete({"best_checkpoint": best, "epochs": len(history["loss"])})
print(f"Lowest validation loss among checkpoints: {best['val_loss']:.4f} at epoch "
      f"{best['epoch']} ({best['file']}).")

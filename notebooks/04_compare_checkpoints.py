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
# # 04 Compare checkpoints: lowest validation loss against the final model
#
# The validation loss can rise while the training loss keeps falling. This notebook takes
# the checkpoint with the lowest validation loss and sets it beside the final model on the
# same test cells, at the real class ratio and on class-balanced samples.

# %%
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from IPython.display import HTML, display  # noqa: E402

from nncf_helpers import artifacts, evaluation, params, paths, plots, report  # noqa: E402
from nncf_helpers.folded import FoldedNNCF  # noqa: E402
from nncf_helpers.splits import load_split  # noqa: E402
from nncf_helpers.training import FINAL_MODEL, HISTORY_FILE, load_model  # noqa: E402

# %% tags=["parameters"]
RUN_DIR: str = "data/runs/synthetic-seed-0/random"  # folder of this dataset's run (01 to 03 done)
BALANCED_SAMPLES: int = 100  # class-balanced test samples
BALANCED_SAMPLE_SIZE: int = 10_000  # cells per class-balanced sample
SEED: int = 0  # seed of the class-balanced samples
OVERWRITE: bool = False  # replace artifacts of another run

# %%
run_dir = params.check_folder("RUN_DIR", RUN_DIR)
settings = params.check_balanced_samples(BALANCED_SAMPLES, BALANCED_SAMPLE_SIZE, SEED)
overwrite = params.check_bool("OVERWRITE", OVERWRITE)
folders = paths.step_folders(run_dir)
split_manifest = artifacts.read_manifest(folders["split"], "01_split")
model_manifest = artifacts.read_manifest(folders["model"], "02_train")
evaluation_manifest = artifacts.read_manifest(folders["evaluation"], "03_evaluate")
artifacts.check_lineage({"split": split_manifest, "model": model_manifest,
                          "evaluation": evaluation_manifest})
inputs = {name: artifacts.manifest_fingerprint(manifest) for name, manifest in (
    ("split", split_manifest), ("model", model_manifest), ("evaluation", evaluation_manifest))}
step = artifacts.StepFolder(folders["checkpoints"], "04_compare_checkpoints", settings, inputs,
                            overwrite)
dataset = split_manifest["dataset"]
display(HTML(report.header_html(
    f"04 Compare checkpoints, dataset {dataset!r}", split_manifest["synthetic"],
    split_manifest["source"], {**settings, "RUN_DIR": str(run_dir)},
    artifacts.fingerprint(inputs), {"Model parameters": model_manifest["params"]},
)))
step.prepare()

# %% [markdown]
# ## Validation loss per epoch, checkpoints marked

# %%
history = artifacts.read_json(folders["model"] / HISTORY_FILE)
best = min(history["checkpoints"], key=lambda entry: entry["val_loss"])
final_epoch = len(history["loss"])
figure = plots.training_curves(history, history["checkpoints"], best_epoch=best["epoch"])
print(f"Lowest validation loss {best['val_loss']:.4f} at epoch {best['epoch']}; final model "
      f"after epoch {final_epoch}, validation loss {history['val_loss'][-1]:.4f}.")

# %% [markdown]
# ## Both models on the test cells

# %%
split = load_split(folders["split"])
test_playlists, test_tracks = split.decode(split.test_keys)
candidates = {
    f"final (epoch {final_epoch})": folders["model"] / FINAL_MODEL,
    f"lowest validation loss (epoch {best['epoch']})": folders["model"] / best["file"],
}
results, test_curves = {}, {}
final_label = next(iter(candidates))
if evaluation_manifest["params"] == settings:
    # 03 scored the final model on the same test cells with the same samples, so its
    # results are reused instead of scoring every test cell again.
    final_metrics = artifacts.read_json(folders["evaluation"] / "metrics.json")["test"]
    results[final_label] = final_metrics
    test_curves[final_label] = artifacts.read_json(folders["evaluation"] / "curves.json")
for label, path in candidates.items():
    if label in results:
        continue
    scorer = FoldedNNCF.from_model(load_model(path))
    probabilities = scorer.score_pairs(test_playlists, test_tracks)
    real = evaluation.classification_metrics(split.test_labels, probabilities)
    balanced = evaluation.balanced_metrics(
        split.test_keys, split.test_labels, probabilities,
        settings["BALANCED_SAMPLES"], settings["BALANCED_SAMPLE_SIZE"], settings["SEED"],
    )
    results[label] = {"real_ratio": real, "balanced": balanced}
    test_curves[label] = evaluation.curves(split.test_labels, probabilities)

labels = list(candidates)
rows = []
for key, name in (("accuracy", "accuracy"), ("loss", "loss"), ("sensitivity", "sensitivity"),
                  ("specificity", "specificity"), ("roc_auc", "ROC AUC"),
                  ("roc_auc_hard", "ROC AUC from hard predictions"),
                  ("average_precision", "average precision"),
                  ("predicted_share_of_ones", "predicted share of ones")):
    for setting, setting_name in (("real_ratio", "real ratio"), ("balanced", "balanced")):
        rows.append({"metric": f"{name}, {setting_name}",
                     **{label: results[label][setting][key] for label in labels}})
display(HTML(report.table_html(rows, ["metric", *labels])))

# %% [markdown]
# ## Confusion matrices

# %%
for label in labels:
    for setting, setting_name in (("real_ratio", "real ratio"), ("balanced", "balanced")):
        figure = plots.confusion_matrices(results[label][setting]["confusion_matrix"],
                                          f"{label}, {setting_name}")

# %% [markdown]
# ## ROC curves and the predicted share of ones

# %%
figure = plots.roc_and_precision_recall(
    test_curves, {label: results[label]["real_ratio"] for label in labels}
)
figure = plots.grouped_bars(
    {label: {"real ratio": results[label]["real_ratio"]["predicted_share_of_ones"],
             "true share": float(split.test_labels.mean())} for label in labels},
    ["real ratio", "true share"], "Predicted share of ones on the test cells",
)

# %% [markdown]
# ## Which model the data favours
#
# Judged by the test loss at the real class ratio (the measure both models were validated
# on, apart from the class balance), with ROC AUC from probabilities as the ranking view.

# %%
by_loss = min(labels, key=lambda label: results[label]["real_ratio"]["loss"])
by_auc = max(labels, key=lambda label: results[label]["real_ratio"]["roc_auc"] or 0.0)
by_balanced = min(labels, key=lambda label: results[label]["balanced"]["loss"])
verdict = {
    "lower_test_loss_real_ratio": by_loss,
    "lower_test_loss_balanced": by_balanced,
    "higher_roc_auc": by_auc,
}
for criterion, label in verdict.items():
    print(f"{criterion.replace('_', ' ')}: {label}")
comparison = {
    "dataset": dataset,
    "synthetic": split_manifest["synthetic"],
    "best_checkpoint": best,
    "final_epoch": final_epoch,
    "results": results,
    "favoured": verdict,
    "reference": evaluation.REFERENCE_RESULTS.get(dataset),
}
step.record(artifacts.write_json(folders["checkpoints"] / "comparison.json", comparison))
step.complete()

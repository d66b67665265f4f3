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
# # 03 Evaluate: the final model on the test cells
#
# Judges the final model as a classifier of test cells, at their real class ratio and on
# class-balanced samples as the reference did: loss, accuracy, confusion matrix,
# sensitivity, specificity, the predicted share of ones, ROC AUC and average precision.
# The reference computed its ROC AUC from hard 0/1 predictions; both that figure and the
# ROC AUC from probabilities are shown.

# %%
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from IPython.display import HTML, display  # noqa: E402

from nncf_helpers import artifacts, evaluation, params, paths, plots, report  # noqa: E402
from nncf_helpers.folded import FoldedNNCF  # noqa: E402
from nncf_helpers.splits import load_split  # noqa: E402
from nncf_helpers.training import FINAL_MODEL, load_model  # noqa: E402

# %% tags=["parameters"]
RUN_DIR: str = "data/runs/synthetic-seed-0/random"  # folder of this dataset's run (01 and 02 done)
BALANCED_SAMPLES: int = 100  # class-balanced test samples, as in the reference
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
artifacts.check_lineage({"split": split_manifest, "model": model_manifest})
inputs = {"split": artifacts.manifest_fingerprint(split_manifest),
          "model": artifacts.manifest_fingerprint(model_manifest)}
step = artifacts.StepFolder(folders["evaluation"], "03_evaluate", settings, inputs, overwrite)
dataset = split_manifest["dataset"]
display(HTML(report.header_html(
    f"03 Evaluate, dataset {dataset!r}", split_manifest["synthetic"], split_manifest["source"],
    {**settings, "RUN_DIR": str(run_dir)}, artifacts.fingerprint(inputs),
    {"Model parameters": model_manifest["params"]},
)))
step.prepare()

# %% [markdown]
# ## Predict every test cell
#
# The folded scorer computes the model's output exactly (within 1e-5 of `model.predict`)
# with a few matrix products, so all test cells are scored, not a sample.

# %%
split = load_split(folders["split"])
model = load_model(folders["model"] / FINAL_MODEL)
scorer = FoldedNNCF.from_model(model)
test_playlists, test_tracks = split.decode(split.test_keys)
probabilities = scorer.score_pairs(test_playlists, test_tracks)
print(f"Scored {len(probabilities):,} test cells ({int(split.test_labels.sum()):,} ones).")

# %% [markdown]
# ## Test cells at their real class ratio

# %%
real = evaluation.classification_metrics(split.test_labels, probabilities)
figure = plots.confusion_matrices(real["confusion_matrix"], "Real class ratio")

# %% [markdown]
# ## Class-balanced test samples

# %%
balanced = evaluation.balanced_metrics(
    split.test_keys, split.test_labels, probabilities, settings["BALANCED_SAMPLES"],
    settings["BALANCED_SAMPLE_SIZE"], settings["SEED"],
)
figure = plots.confusion_matrices(balanced["confusion_matrix"], "Class-balanced samples")

# %% [markdown]
# ## Summary, beside the reference's published numbers
#
# The reference's numbers come from the real MPD subsets named in the last column; ours
# come from the data named at the top of this page.

# %%
ours = {"real_ratio": real, "balanced": balanced}
rows = evaluation.reference_comparison(dataset, ours, "final")
reference_source = evaluation.REFERENCE_RESULTS.get(dataset, {}).get("description", "none")
for row in rows:
    row["reference data"] = reference_source
display(HTML(report.table_html(rows)))

# %% [markdown]
# ## ROC and precision-recall curves

# %%
test_curves = evaluation.curves(split.test_labels, probabilities)
figure = plots.roc_and_precision_recall({"final model": test_curves}, {"final model": real})

# %%
metrics = {
    "dataset": dataset,
    "synthetic": split_manifest["synthetic"],
    "model": "final",
    "test": ours,
    "reference": evaluation.REFERENCE_RESULTS.get(dataset),
}
step.record(artifacts.write_json(folders["evaluation"] / "metrics.json", metrics))
step.record(artifacts.write_json(folders["evaluation"] / "curves.json", test_curves))
step.complete()
print(f"Wrote {folders['evaluation'] / 'metrics.json'}.")

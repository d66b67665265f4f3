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
# # 05 Compare models: does NNCF recommend?
#
# The reference judged NNCF as a classifier of cells and argued that its false positives
# are the tracks to recommend. Here NNCF is judged as recommenders are judged, on the same
# split, against the methods a practitioner tries first: popularity, a truncated SVD of the
# training matrix, and implicit-feedback ALS (`implicit`). All models see only the training
# matrix (held-out cells removed).
#
# - **Sampled ranking** (He et al., 2017): each test one (track t in playlist p) is ranked
#   against 100 distinct tracks drawn uniformly from the tracks not in p; HR@10 and
#   NDCG@10, with ties counted against the model.
# - **Full-catalogue ranking** (RecSys Challenge 2018): for up to 1,000 test playlists,
#   every track not among the playlist's training entries is ranked; R-precision, NDCG and
#   recommended-songs clicks over the top 500, track-level.

# %%
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import html  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402
import scipy.sparse as sp  # noqa: E402
from IPython.display import HTML, display  # noqa: E402

from nncf_helpers import artifacts, params, paths, plots, ranking, report  # noqa: E402
from nncf_helpers.baselines import (  # noqa: E402
    ALSRecommender,
    PopularityRecommender,
    SVDRecommender,
)
from nncf_helpers.folded import FoldedNNCF  # noqa: E402
from nncf_helpers.seeding import RANKING, rng_for  # noqa: E402
from nncf_helpers.splits import load_split, load_tables  # noqa: E402
from nncf_helpers.training import FINAL_MODEL, HISTORY_FILE, load_model  # noqa: E402

# %% tags=["parameters"]
RUN_DIR: str = "data/runs/synthetic-seed-0/random"  # folder of this dataset's run (01 to 04 done)
SVD_RANK: int = 64  # rank of the truncated SVD
ALS_FACTORS: int = 64  # ALS latent factors
ALS_REGULARIZATION: float = 0.05  # ALS L2 regularisation
ALS_ITERATIONS: int = 15  # ALS sweeps
ALS_ALPHA: float = 20.0  # ALS confidence of a one
NUM_NEGATIVES: int = 100  # sampled negatives per test one
TOP_K: int = 10  # cut-off of HR and NDCG in the sampled ranking
MAX_RANKING_PLAYLISTS: int = 1_000  # test playlists in the full-catalogue ranking
TOP_N: int = 500  # length of each full-catalogue recommendation list
EXAMPLE_PLAYLISTS: int = 5  # playlists whose recommendations are shown by name
SEED: int = 0  # seed of the negatives, the playlists ranked and the baselines
OVERWRITE: bool = False  # replace artifacts of another run

# %%
run_dir = params.check_folder("RUN_DIR", RUN_DIR)
settings = {
    "SVD_RANK": params.check_int("SVD_RANK", SVD_RANK, minimum=1),
    "ALS_FACTORS": params.check_int("ALS_FACTORS", ALS_FACTORS, minimum=1),
    "ALS_REGULARIZATION": params.check_float("ALS_REGULARIZATION", ALS_REGULARIZATION, 0.0,
                                             1e6),
    "ALS_ITERATIONS": params.check_int("ALS_ITERATIONS", ALS_ITERATIONS, minimum=1),
    "ALS_ALPHA": params.check_float("ALS_ALPHA", ALS_ALPHA, 0.0, 1e6, low_open=True),
    "NUM_NEGATIVES": params.check_int("NUM_NEGATIVES", NUM_NEGATIVES, minimum=1),
    "TOP_K": params.check_int("TOP_K", TOP_K, minimum=1),
    "MAX_RANKING_PLAYLISTS": params.check_int("MAX_RANKING_PLAYLISTS", MAX_RANKING_PLAYLISTS,
                                              minimum=1),
    "TOP_N": params.check_int("TOP_N", TOP_N, minimum=1),
    "EXAMPLE_PLAYLISTS": params.check_int("EXAMPLE_PLAYLISTS", EXAMPLE_PLAYLISTS, minimum=0),
    "SEED": params.check_int("SEED", SEED, minimum=0),
}
overwrite = params.check_bool("OVERWRITE", OVERWRITE)
folders = paths.step_folders(run_dir)
manifests = {
    "split": artifacts.read_manifest(folders["split"], "01_split"),
    "model": artifacts.read_manifest(folders["model"], "02_train"),
    "evaluation": artifacts.read_manifest(folders["evaluation"], "03_evaluate"),
    "checkpoints": artifacts.read_manifest(folders["checkpoints"], "04_compare_checkpoints"),
}
artifacts.check_lineage(manifests)
inputs = {name: artifacts.manifest_fingerprint(manifest) for name, manifest in manifests.items()}
step = artifacts.StepFolder(folders["models"], "05_compare_models", settings, inputs, overwrite)
split_manifest = manifests["split"]
dataset = split_manifest["dataset"]
display(HTML(report.header_html(
    f"05 Compare models, dataset {dataset!r}", split_manifest["synthetic"],
    split_manifest["source"], {**settings, "RUN_DIR": str(run_dir)},
    artifacts.fingerprint(inputs), {"NNCF parameters": manifests["model"]["params"]},
)))
step.prepare()

# %% [markdown]
# ## Models

# %%
split = load_split(folders["split"])
train_matrix = split.training_matrix()
known_playlists, known_tracks = split.decode(split.positive_keys)
known_matrix = sp.csr_matrix(
    (np.ones(len(known_tracks), dtype=np.float32), (known_playlists, known_tracks)),
    shape=(split.num_playlists, split.num_tracks),
)
test_playlists, test_tracks = split.decode(split.test_keys[split.test_labels == 1])
print(f"Training matrix: {train_matrix.nnz:,} ones; {len(test_tracks):,} test ones in "
      f"{len(np.unique(test_playlists)):,} playlists.")

history = artifacts.read_json(folders["model"] / HISTORY_FILE)
best = manifests["model"]["best_checkpoint"]
nncf_seconds = float(sum(history["seconds"]))
models = {}
fit_seconds = {}
for label, path in ((f"NNCF final (epoch {len(history['loss'])})", FINAL_MODEL),
                    (f"NNCF lowest val loss (epoch {best['epoch']})", best["file"])):
    started = time.perf_counter()
    models[label] = FoldedNNCF.from_model(load_model(folders["model"] / path))
    fit_seconds[label] = nncf_seconds + time.perf_counter() - started
baselines = {
    "popularity": PopularityRecommender(),
    f"SVD (rank {settings['SVD_RANK']})": SVDRecommender(settings["SVD_RANK"],
                                                         seed=settings["SEED"]),
    f"ALS ({settings['ALS_FACTORS']} factors)": ALSRecommender(
        factors=settings["ALS_FACTORS"], regularization=settings["ALS_REGULARIZATION"],
        iterations=settings["ALS_ITERATIONS"], alpha=settings["ALS_ALPHA"],
        seed=settings["SEED"],
    ),
}
for label, baseline in baselines.items():
    baseline.fit(train_matrix)
    models[label] = baseline
    fit_seconds[label] = baseline.fit_seconds
display(HTML(report.table_html(
    [{"model": label, "settings": str(getattr(model, "params", "see 02_train parameters")),
      "fit seconds": fit_seconds[label]} for label, model in models.items()], digits=2)))
print("NNCF fit time is its training time in 02_train plus folding the model.")

# %% [markdown]
# ## Rankings

# %%
results = {}
for label, model in models.items():
    started = time.perf_counter()
    sampled = ranking.sampled_ranking(
        model.score_pairs, test_playlists, test_tracks, known_matrix,
        num_negatives=settings["NUM_NEGATIVES"], k=settings["TOP_K"],
        seed=int(rng_for(settings["SEED"], RANKING).integers(2**31)),
    )
    full = ranking.full_catalogue_ranking(
        model.score_playlists, train_matrix, test_playlists, test_tracks,
        max_playlists=settings["MAX_RANKING_PLAYLISTS"], top_n=settings["TOP_N"],
        seed=int(rng_for(settings["SEED"], RANKING, 1).integers(2**31)),
    )
    k = settings["TOP_K"]
    results[label] = {
        f"hr@{k}": sampled["hit_rate"], f"ndcg@{k}": sampled["ndcg"],
        "r_precision": full["r_precision"], "ndcg": full["ndcg"], "clicks": full["clicks"],
        "fit_seconds": fit_seconds[label],
        "scoring_seconds": time.perf_counter() - started,
        "ranked_positives": int(sampled["num_positives"]),
        "ranked_playlists": int(len(full["playlists"])),
    }
    ranked_playlists = full["playlists"]
k = settings["TOP_K"]
columns = ["model", f"hr@{k}", f"ndcg@{k}", "r_precision", "ndcg", "clicks", "fit_seconds",
           "scoring_seconds"]
display(HTML(report.table_html([{"model": label, **row} for label, row in results.items()],
                               columns)))
print("HR and NDCG@k: sampled ranking against", settings["NUM_NEGATIVES"], "negatives. "
      "R-precision, NDCG and clicks: full catalogue, top", settings["TOP_N"],
      f"(clicks: lower is better; {settings['TOP_N'] // 10 + 1} when no hit).")

# %%
figure = plots.grouped_bars(results, [f"hr@{k}", f"ndcg@{k}", "r_precision", "ndcg"],
                            "Ranking metrics (higher is better)")
figure = plots.grouped_bars({label: {"clicks": row["clicks"]} for label, row in results.items()},
                            ["clicks"], "Recommended-songs clicks (lower is better)")
figure = plots.grouped_bars(
    {label: {"fit seconds": row["fit_seconds"], "scoring seconds": row["scoring_seconds"]}
     for label, row in results.items()},
    ["fit seconds", "scoring seconds"], "Time",
)

# %% [markdown]
# ## Recommendations by name
#
# For a few test playlists: some of the tracks the models saw, then the top 10 of NNCF and
# of the best baseline by R-precision. Held-out test tracks that a model recommends are
# marked.

# %%
tracks, playlists = load_tables(folders["split"])
nncf_label = next(iter(models))
best_baseline = max(baselines, key=lambda label: results[label]["r_precision"])
rng = rng_for(settings["SEED"], RANKING, 2)
count = min(settings["EXAMPLE_PLAYLISTS"], len(ranked_playlists))
examples = np.sort(rng.choice(ranked_playlists, size=count, replace=False)) if count else []


def describe(track):
    return f"{tracks['track_name'][track]} — {tracks['artist_name'][track]}"


for playlist in examples:
    seen = train_matrix.indices[train_matrix.indptr[playlist]:train_matrix.indptr[playlist + 1]]
    held_out = set(test_tracks[test_playlists == playlist].tolist())
    display(HTML(
        f"<h4>Playlist pid {int(playlists['pid'][playlist])}: "
        f"{html.escape(playlists['name'][playlist])}</h4><p>{len(seen)} training tracks, "
        f"{len(held_out)} held-out test tracks.</p>"
    ))
    rows = [{"some training tracks": describe(track)} for track in seen[:5]]
    display(HTML(report.table_html(rows)))
    lists = {}
    for label in (nncf_label, best_baseline):
        scores = models[label].score_playlists(np.array([playlist]))
        scores = np.asarray(scores, dtype=np.float64)[0]
        scores[seen] = -np.inf
        lists[label] = ranking.top_n_tracks(scores[None, :], 10)[0]
    rows = [
        {"rank": position + 1, **{
            label: describe(lists[label][position])
            + ("  ✓ held-out" if lists[label][position] in held_out else "")
            for label in lists}}
        for position in range(10)
    ]
    display(HTML(report.table_html(rows)))

# %%
evaluation_metrics = artifacts.read_json(folders["evaluation"] / "metrics.json")
metrics = {
    **evaluation_metrics,
    "ranking": {
        "models": results,
        "headline_models": [nncf_label, best_baseline],
        "settings": settings,
        "baseline_params": {label: model.params for label, model in baselines.items()},
    },
}
step.record(artifacts.write_json(folders["models"] / "metrics.json", metrics),
            holds_timings=True)
step.complete()
print(f"Wrote {folders['models'] / 'metrics.json'} (the metrics of 03 with the ranking added).")

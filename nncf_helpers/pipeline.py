"""Run the report notebooks for both datasets under papermill and render them to HTML.

``python -m nncf_helpers.pipeline`` (``make reports``) runs ``01_split`` to
``05_compare_models`` for the ``seed-track`` and ``random`` datasets, renders each executed
notebook to ``reports/<dataset>/<notebook>.html`` and writes ``reports/index.html`` with
links and headline metrics. Without ``--mpd-dir`` it runs on the synthetic dataset.

When a cell fails, the run stops with exit status 1, the executed notebook with its
traceback is kept as ``reports/<dataset>/<notebook>.failed.ipynb`` (and rendered beside
it), and no index is written: the pages of earlier runs are removed when a run starts,
so nothing stale is presented as current.
"""

from __future__ import annotations

import argparse
import html
import json
import logging
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

import jupytext
import nbformat
import papermill
from nbconvert import HTMLExporter

from nncf_helpers import paths, report
from nncf_helpers.mpd import list_slice_files
from nncf_helpers.subsets import DATASETS

logger = logging.getLogger(__name__)

NOTEBOOKS = (
    "01_split", "02_train", "03_evaluate", "04_compare_checkpoints", "05_compare_models",
)
TITLES = {
    "01_split": "Split: playlists, matrix and held-out cells",
    "02_train": "Train: loss and accuracy curves",
    "03_evaluate": "Evaluate: the final model on the test cells",
    "04_compare_checkpoints": "Compare checkpoints: lowest validation loss against final",
    "05_compare_models": "Compare models: ranking metrics, baselines, recommendations",
}
KERNEL = "python3"


class NotebookFailed(RuntimeError):
    """A notebook raised; the message names the kept executed notebook."""


def run_name_for(mpd_dir: str | None, synthetic_seed: int = 0) -> str:
    """Folder name under ``data/runs`` for one data source."""
    if not mpd_dir:
        return f"synthetic-seed-{synthetic_seed}"
    return f"mpd-{paths.resolve(mpd_dir).resolve().name}"


def notebook_parameters(notebook: nbformat.NotebookNode) -> set[str]:
    """Names assigned in the cell tagged ``parameters``."""
    for cell in notebook.cells:
        if "parameters" in cell.get("metadata", {}).get("tags", []):
            names = set()
            for line in cell.source.splitlines():
                head = line.split("#", 1)[0]
                if "=" in head and not head.startswith((" ", "\t")):
                    names.add(head.split("=", 1)[0].split(":", 1)[0].strip())
            return names
    raise ValueError("The notebook has no cell tagged 'parameters'.")


def render_html(notebook_path: Path, html_path: Path) -> Path:
    """Render an executed notebook to HTML without its code cells, atomically."""
    exporter = HTMLExporter(exclude_input=True, exclude_input_prompt=True,
                            exclude_output_prompt=True)
    body, _ = exporter.from_filename(str(notebook_path))
    temporary = html_path.with_name(f".partial-{html_path.name}")
    temporary.write_text(body, encoding="utf-8")
    temporary.replace(html_path)
    return html_path


def run_notebook(name: str, dataset: str, parameters: Mapping, build_dir: Path,
                 report_dir: Path) -> Path:
    """Execute one notebook under papermill and render it; return the HTML page."""
    source = paths.NOTEBOOKS_DIR / f"{name}.py"
    notebook = jupytext.read(source)
    accepted = notebook_parameters(notebook)
    injected = {key: value for key, value in parameters.items() if key in accepted}
    input_path = build_dir / f"{name}.ipynb"
    nbformat.write(notebook, input_path)
    output_path = build_dir / f"{name}.executed.ipynb"
    logger.info("[%s] %s: running with %s", dataset, name,
                ", ".join(f"{key}={value!r}" for key, value in injected.items()))
    started = time.perf_counter()
    try:
        papermill.execute_notebook(
            str(input_path), str(output_path), parameters=injected, kernel_name=KERNEL,
            log_output=True, progress_bar=False, cwd=str(paths.PROJECT_ROOT),
        )
    except papermill.PapermillExecutionError as error:
        failed = report_dir / f"{name}.failed.ipynb"
        output_path.replace(failed)
        render_html(failed, report_dir / f"{name}.failed.html")
        raise NotebookFailed(
            f"[{dataset}] {name} failed in cell {error.exec_count}: {error.ename}: "
            f"{error.evalue}\nThe executed notebook with its traceback is {failed} "
            f"(rendered as {failed.with_suffix('.html')})."
        ) from None
    page = render_html(output_path, report_dir / f"{name}.html")
    output_path.replace(report_dir / f"{name}.ipynb")
    logger.info("[%s] %s: done in %.0f s -> %s", dataset, name,
                time.perf_counter() - started, page)
    return page


def clear_pages(reports_dir: Path, datasets: Sequence[str]) -> None:
    """Remove the index and the pages of the datasets about to run."""
    (reports_dir / "index.html").unlink(missing_ok=True)
    for dataset in datasets:
        folder = reports_dir / dataset
        if folder.exists():
            for path in folder.iterdir():
                if path.suffix in (".html", ".ipynb"):
                    path.unlink()


def headline(run_dir: Path) -> dict:
    """Headline metrics of one dataset run, read from the artifacts it wrote."""
    folders = paths.step_folders(run_dir)
    found: dict = {}
    metrics_path = folders["evaluation"] / "metrics.json"
    if metrics_path.exists():
        metrics = json.loads(metrics_path.read_text(encoding="utf-8"))
        real = metrics["test"]["real_ratio"]
        balanced = metrics["test"]["balanced"]
        found.update({
            "test ROC AUC (probabilities)": real["roc_auc"],
            "test ROC AUC (hard predictions)": real["roc_auc_hard"],
            "test accuracy, real ratio": real["accuracy"],
            "test accuracy, class-balanced": balanced["accuracy"],
            "sensitivity": real["sensitivity"],
            "specificity": real["specificity"],
        })
    ranking_path = folders["models"] / "metrics.json"
    if ranking_path.exists():
        ranking = json.loads(ranking_path.read_text(encoding="utf-8")).get("ranking", {})
        for model_name in ranking.get("headline_models", []):
            row = ranking["models"][model_name]
            found[f"{model_name}: HR@10"] = row.get("hr@10")
            found[f"{model_name}: R-precision"] = row.get("r_precision")
    split_manifest = folders["split"] / "manifest.json"
    if split_manifest.exists():
        manifest = json.loads(split_manifest.read_text(encoding="utf-8"))
        found["_synthetic"] = manifest.get("synthetic")
        found["_source"] = manifest.get("source")
        summary = manifest.get("summary", {})
        found["_shape"] = (f"{summary.get('tracks', 0):,} tracks x "
                           f"{summary.get('playlists', 0):,} playlists")
    return found


def write_index(reports_dir: Path, runs: Mapping[str, Path], run_name: str) -> Path:
    """Write ``reports/index.html`` linking every page, with headline metrics."""
    sections = []
    any_synthetic = False
    for dataset, run_dir in runs.items():
        figures = headline(run_dir)
        any_synthetic = any_synthetic or bool(figures.get("_synthetic"))
        links = "".join(
            f"<li><a href='{html.escape(dataset)}/{name}.html'>{name}</a>: "
            f"{html.escape(TITLES[name])}</li>"
            for name in NOTEBOOKS if (reports_dir / dataset / f"{name}.html").exists()
        )
        rows = [{"metric": key, "value": value} for key, value in figures.items()
                if not key.startswith("_")]
        banner_text = report.data_banner(bool(figures.get("_synthetic")),
                                         str(figures.get("_source")))
        sections.append(
            f"<h2>{html.escape(dataset)}</h2>"
            f"<p>{html.escape(banner_text)}"
            f" {html.escape(str(figures.get('_shape', '')))}.</p>"
            f"<ul>{links}</ul>{report.table_html(rows)}"
        )
    banner = (
        "<p style='color:#b00020;font-size:1.2em'><b>SYNTHETIC DATA: these reports were built "
        "on a synthetic dataset generated by this project, not on real playlists.</b></p>"
        if any_synthetic else ""
    )
    page = (
        "<!DOCTYPE html><html><head><meta charset='utf-8'><title>NNCF playlist continuation "
        "reports</title><style>body{font-family:sans-serif;max-width:60em;margin:2em auto}"
        "td,th{padding:2px 10px;text-align:left}</style></head><body>"
        f"{banner}<h1>NNCF for playlist continuation: reports</h1>"
        f"<p>Run <code>{html.escape(run_name)}</code>; code commit "
        f"<code>{html.escape(report.git_commit())}</code>.</p>"
        f"{''.join(sections)}</body></html>"
    )
    index = reports_dir / "index.html"
    temporary = index.with_name(".partial-index.html")
    temporary.write_text(page, encoding="utf-8")
    temporary.replace(index)
    return index


def run_pipeline(mpd_dir: str | None = None, datasets: Sequence[str] = DATASETS,
                 reports_dir: Path = paths.REPORTS_DIR, run_name: str | None = None,
                 overrides: Mapping | None = None, overwrite: bool = False,
                 notebooks: Sequence[str] = NOTEBOOKS, runs_dir: Path = paths.RUNS_DIR,
                 build_dir: Path = paths.PROJECT_ROOT / "build") -> Path:
    """Run the notebooks for each dataset and write the index; return its path.

    Artifacts go to ``runs_dir/<run_name>/<dataset>``, the notebooks papermill reads and
    writes to ``build_dir``, and the rendered pages to ``reports_dir/<dataset>``.
    """
    overrides = dict(overrides or {})
    accepted = set().union(*(
        notebook_parameters(jupytext.read(paths.NOTEBOOKS_DIR / f"{name}.py"))
        for name in NOTEBOOKS
    ))
    unknown = sorted(set(overrides) - accepted)
    if unknown:
        raise ValueError(
            f"Unknown notebook parameter(s) {', '.join(unknown)}: no notebook has them. "
            f"Check the spelling; the parameters are {', '.join(sorted(accepted))}."
        )
    if mpd_dir:
        # Fail before the pages of the last run are removed.
        list_slice_files(paths.resolve(mpd_dir))
    synthetic_seed = int(overrides.get("SYNTHETIC_SEED", 0))
    run_name = run_name or run_name_for(mpd_dir, synthetic_seed)
    reports_dir = paths.resolve(reports_dir)
    reports_dir.mkdir(parents=True, exist_ok=True)
    clear_pages(reports_dir, datasets)
    runs = {}
    started = time.perf_counter()
    for dataset in datasets:
        run_dir = paths.resolve(runs_dir) / run_name / dataset
        run_dir.mkdir(parents=True, exist_ok=True)
        report_dir = reports_dir / dataset
        report_dir.mkdir(parents=True, exist_ok=True)
        notebook_dir = paths.resolve(build_dir) / run_name / dataset
        notebook_dir.mkdir(parents=True, exist_ok=True)
        parameters = {
            "MPD_DIR": str(paths.resolve(mpd_dir).resolve()) if mpd_dir else "",
            "DATASET": dataset,
            "RUN_DIR": str(run_dir),
            "OVERWRITE": overwrite,
            **overrides,
        }
        for name in notebooks:
            run_notebook(name, dataset, parameters, notebook_dir, report_dir)
        runs[dataset] = run_dir
    index = write_index(reports_dir, runs, run_name)
    logger.info("Wrote %s in %.1f minutes.", index, (time.perf_counter() - started) / 60)
    return index


def _parse_value(text: str):
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def main(argv: Sequence[str] | None = None) -> int:
    """Command line of ``make reports``."""
    parser = argparse.ArgumentParser(
        prog="python -m nncf_helpers.pipeline",
        description="Run the NNCF report notebooks for both datasets and render HTML reports.",
    )
    parser.add_argument("--mpd-dir", default="",
                        help="folder of MPD slice files; empty uses the synthetic dataset")
    parser.add_argument("--datasets", nargs="+", default=list(DATASETS), choices=DATASETS,
                        help="datasets to run (default: both)")
    parser.add_argument("--reports-dir", default=str(paths.REPORTS_DIR),
                        help="folder for the HTML reports (default: reports/)")
    parser.add_argument("--run-name", default=None,
                        help="folder name under the runs folder (default: from the data source)")
    parser.add_argument("--runs-dir", default=str(paths.RUNS_DIR),
                        help="folder for the artifacts of each run (default: data/runs/)")
    parser.add_argument("-p", "--parameter", nargs=2, action="append", default=[],
                        metavar=("NAME", "VALUE"),
                        help="notebook parameter for every notebook that has it, e.g. "
                        "-p EPOCHS 100 (values are read as JSON when they parse)")
    parser.add_argument("--overwrite", action="store_true",
                        help="replace artifacts of a run with other parameters")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stdout)
    logging.getLogger("papermill").setLevel(logging.INFO)
    overrides = {name: _parse_value(value) for name, value in args.parameter}
    try:
        index = run_pipeline(args.mpd_dir or None, args.datasets, Path(args.reports_dir),
                             args.run_name, overrides, args.overwrite,
                             runs_dir=Path(args.runs_dir))
    except NotebookFailed as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except (ValueError, OSError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"Reports: {index}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Project folders. Relative paths given to notebooks are read from the project root, so a
notebook opened in Jupyter from ``notebooks/`` and one run by papermill from the root find
the same files."""

from __future__ import annotations

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DATA_DIR = PROJECT_ROOT / "data"
RUNS_DIR = DATA_DIR / "runs"
SYNTHETIC_DIR = DATA_DIR / "raw" / "synthetic"
REPORTS_DIR = PROJECT_ROOT / "reports"
NOTEBOOKS_DIR = PROJECT_ROOT / "notebooks"


def resolve(path: str | Path) -> Path:
    """Return ``path`` as an absolute path, reading a relative one from the project root."""
    path = Path(path).expanduser()
    return path if path.is_absolute() else PROJECT_ROOT / path


def step_folders(run_dir: str | Path) -> dict[str, Path]:
    """Output folder of every notebook step of one dataset run."""
    run_dir = resolve(run_dir)
    return {
        "split": run_dir / "split",
        "model": run_dir / "model",
        "evaluation": run_dir / "evaluation",
        "checkpoints": run_dir / "checkpoint_comparison",
        "models": run_dir / "model_comparison",
    }

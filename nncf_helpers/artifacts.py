"""Artifacts on disk: atomic writes, fingerprints and step manifests.

Every artifact is written under a temporary name in its final folder and renamed into
place, so an interrupted run leaves the old file or the new one, never part of one.
Temporary names start with ``.partial-``, which no step reads.

Each step folder contains a ``manifest.json`` with the step's parameters, a fingerprint of
its inputs and the SHA-256 of every file it wrote. A step that finds a manifest from
other parameters or inputs stops instead of mixing results, unless told to overwrite.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import zipfile
from collections.abc import Iterator, Mapping
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

MANIFEST = "manifest.json"
PARTIAL_PREFIX = ".partial-"


class ArtifactMismatchError(RuntimeError):
    """A step folder contains artifacts of other parameters or inputs."""


class MissingArtifactError(FileNotFoundError):
    """A step needs artifacts that an earlier step has not written (completely)."""


@contextlib.contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it to ``path`` when the block ends.

    The temporary name keeps the suffix, so writers that check it (Keras wants
    ``.keras``) accept it. If the block raises, the temporary file is removed and
    ``path`` is left as it was.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f"{PARTIAL_PREFIX}{os.getpid()}-{path.name}")
    try:
        yield temporary
        os.replace(temporary, path)
    finally:
        if temporary.exists():
            temporary.unlink()


def write_json(path: str | Path, payload) -> Path:
    """Write ``payload`` as indented UTF-8 JSON, atomically."""
    with atomic_path(path) as temporary:
        temporary.write_text(
            json.dumps(payload, indent=2, ensure_ascii=False, default=_to_json) + "\n",
            encoding="utf-8",
        )
    return Path(path)


def read_json(path: str | Path):
    """Read a JSON artifact, naming the file if it is missing or broken."""
    path = Path(path)
    if not path.exists():
        raise MissingArtifactError(f"{path} does not exist; run the step that writes it first.")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise ValueError(f"{path} is not valid JSON ({error}); rerun the step that wrote it.")


def write_npz(path: str | Path, **arrays: np.ndarray) -> Path:
    """Write arrays to an uncompressed ``.npz``, atomically."""
    with atomic_path(path) as temporary:
        with open(temporary, "wb") as handle:
            np.savez(handle, **arrays)
    return Path(path)


def read_npz(path: str | Path) -> dict[str, np.ndarray]:
    """Read every array of an ``.npz`` without unpickling anything."""
    path = Path(path)
    if not path.exists():
        raise MissingArtifactError(f"{path} does not exist; run the step that writes it first.")
    with np.load(path, allow_pickle=False) as archive:
        return {name: archive[name] for name in archive.files}


def sha256_file(path: str | Path, chunk_size: int = 1 << 22) -> str:
    """SHA-256 of a file's contents."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(chunk_size):
            digest.update(chunk)
    return digest.hexdigest()


def content_sha256(path: str | Path) -> str:
    """SHA-256 of what a file holds, leaving out what changes with the time it was written.

    A ``.keras`` file is a zip whose ``metadata.json`` records the save date and whose
    ``config.json`` records Python object ids (``shared_object_id``), present in a freshly
    built model and absent in a reloaded one. The metadata and those ids are left out, so a
    retrained or resumed model with the same weights fingerprints the same.
    """
    path = Path(path)
    if path.suffix == ".keras" and zipfile.is_zipfile(path):
        digest = hashlib.sha256()
        with zipfile.ZipFile(path) as archive:
            for name in sorted(archive.namelist()):
                if name == "metadata.json":
                    continue
                content = archive.read(name)
                if name == "config.json":
                    content = _without_object_ids(json.loads(content))
                digest.update(name.encode() + b"\0" + content)
        return digest.hexdigest()
    return sha256_file(path)


def _without_object_ids(config) -> bytes:
    def visit(node):
        if isinstance(node, dict):
            return {key: visit(value) for key, value in node.items()
                    if key != "shared_object_id"}
        if isinstance(node, list):
            return [visit(item) for item in node]
        return node

    return json.dumps(visit(config), sort_keys=True).encode()


def fingerprint(payload) -> str:
    """SHA-256 of the canonical JSON form of ``payload`` (sorted keys)."""
    text = json.dumps(payload, sort_keys=True, default=_to_json, ensure_ascii=True)
    return hashlib.sha256(text.encode()).hexdigest()


def _to_json(value):
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


class StepFolder:
    """The output folder of one notebook step, guarded by its manifest.

    Args:
        folder: Where the step writes.
        step: Step name, such as ``"01_split"``.
        params: The parameters that determine the step's results.
        inputs: Fingerprints of what the step reads (slice files, earlier manifests).
        overwrite: Replace artifacts of other parameters or inputs instead of stopping.
    """

    def __init__(self, folder, step: str, params: Mapping, inputs: Mapping,
                 overwrite: bool = False):
        self.folder = Path(folder)
        self.step = step
        self.params = json.loads(json.dumps(dict(params), default=_to_json))
        self.inputs = json.loads(json.dumps(dict(inputs), default=_to_json))
        self.overwrite = overwrite
        self.outputs: dict[str, str] = {}
        self.timing_outputs: dict[str, str] = {}

    @property
    def manifest_path(self) -> Path:
        return self.folder / MANIFEST

    def prepare(self, keep_for_resume: bool = False) -> dict | None:
        """Check the folder before the step writes, and clear it for a new run.

        Returns the previous manifest when it came from the same parameters and inputs
        (the caller may resume from it when ``keep_for_resume``), else ``None``.

        Raises:
            ArtifactMismatchError: The folder contains artifacts of other parameters or
                inputs, or files without a manifest, and ``overwrite`` is false.
        """
        previous = None
        if self.manifest_path.exists():
            previous = read_json(self.manifest_path)
            differences = self._differences(previous)
            if differences and not self.overwrite:
                raise ArtifactMismatchError(
                    f"{self.folder} contains {self.step} artifacts from another run "
                    f"({'; '.join(differences)}). Pass OVERWRITE=True to replace them, or "
                    "choose another output folder."
                )
            if differences:
                previous = None
        elif self.folder.exists() and any(
            not p.name.startswith(PARTIAL_PREFIX) for p in self.folder.iterdir()
        ):
            if not self.overwrite:
                raise ArtifactMismatchError(
                    f"{self.folder} contains files but no {MANIFEST}, so they may come from "
                    "another run. Pass OVERWRITE=True to replace them, or choose another "
                    "output folder."
                )
        if previous is not None and keep_for_resume:
            return previous
        if self.folder.exists():
            shutil.rmtree(self.folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        # The manifest is written first with status "running", so a later step never
        # mistakes an interrupted run for a finished one.
        self._write_manifest("running")
        return previous

    def record(self, path: str | Path, holds_timings: bool = False) -> Path:
        """Record the SHA-256 of a file this step wrote.

        Files that hold wall-clock timings (``holds_timings``) differ between identical
        runs, so they are listed apart and left out of the fingerprint that later steps
        check.
        """
        path = Path(path)
        target = self.timing_outputs if holds_timings else self.outputs
        target[str(path.relative_to(self.folder))] = content_sha256(path)
        return path

    def complete(self, extra: Mapping | None = None) -> None:
        """Mark the step finished: its artifacts are now safe for later steps to read."""
        self._write_manifest("complete", extra)

    def _write_manifest(self, status: str, extra: Mapping | None = None) -> None:
        payload = {
            "step": self.step,
            "status": status,
            "params": self.params,
            "inputs": self.inputs,
            "outputs": dict(sorted(self.outputs.items())),
            "outputs_with_timings": dict(sorted(self.timing_outputs.items())),
            "written_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        }
        if extra:
            payload.update(extra)
        write_json(self.manifest_path, payload)

    def _differences(self, previous: Mapping) -> list[str]:
        differences = []
        old_params = previous.get("params", {})
        for name in sorted(set(old_params) | set(self.params)):
            if old_params.get(name) != self.params.get(name):
                differences.append(
                    f"{name} was {old_params.get(name)!r}, now {self.params.get(name)!r}"
                )
        old_inputs = previous.get("inputs", {})
        for name in sorted(set(old_inputs) | set(self.inputs)):
            if old_inputs.get(name) != self.inputs.get(name):
                differences.append(f"input {name!r} differs (an earlier step was rerun)")
        return differences


def read_manifest(folder: str | Path, step: str) -> dict:
    """Read the manifest of a finished step, or explain what to run first."""
    path = Path(folder) / MANIFEST
    if not path.exists():
        raise MissingArtifactError(
            f"{folder} has no {MANIFEST}: run {step} with this output folder first."
        )
    manifest = read_json(path)
    if manifest.get("step") != step:
        raise MissingArtifactError(
            f"{path} belongs to step {manifest.get('step')!r}, not {step!r}; check the folder."
        )
    if manifest.get("status") != "complete":
        raise MissingArtifactError(
            f"{folder}: {step} did not finish (status {manifest.get('status')!r}); run it again."
        )
    return manifest


def check_lineage(manifests: Mapping[str, Mapping]) -> None:
    """Check that each step read the current artifacts of the steps before it.

    Args:
        manifests: Finished manifests by the names the steps use in their ``inputs``
            (``split``, ``model``, ``evaluation``, ``checkpoints``).

    Raises:
        ArtifactMismatchError: A step was run on artifacts that an earlier step has since
            replaced, for example a model trained on a split that 01 rewrote.
    """
    fingerprints = {name: manifest_fingerprint(manifest) for name, manifest in manifests.items()}
    for manifest in manifests.values():
        for name, recorded in manifest.get("inputs", {}).items():
            if name in fingerprints and recorded != fingerprints[name]:
                raise ArtifactMismatchError(
                    f"The {manifest['step']} artifacts were made from an earlier "
                    f"{manifests[name]['step']} run, which has since been replaced. Rerun "
                    f"{manifest['step']} with OVERWRITE=True, then the steps after it."
                )


def manifest_fingerprint(manifest: Mapping) -> str:
    """Fingerprint of a finished step: its parameters, inputs and output hashes."""
    return fingerprint(
        {key: manifest.get(key) for key in ("step", "params", "inputs", "outputs")}
    )

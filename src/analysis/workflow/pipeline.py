"""``python -m analysis run``: execute the notebooks in order with papermill, only when needed.

A notebook is re-executed when something it depends on changed since its last successful run:
its source (cell sources and tags, not outputs), its parameters, the checksums of its data
sources and input files, or the package code; or when one of its outputs is missing. The run
says what it skipped and why. A failing notebook stops the run, naming the notebook and the
cell; the last good executed notebook stays untouched and the failed one is saved aside in
notebooks/_failed/. Executed notebooks are written back in place without volatile metadata
(timestamps, durations, widget ids), so rerunning an unchanged tree leaves ``git status`` clean.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat
import yaml

from analysis import paths
from analysis.ingest.sources import DataError, load_manifest, sha256_file
from analysis.ingest.sources import state as source_state

KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
INJECTED_TAG = "injected-parameters"


class PipelineError(RuntimeError):
    """The pipeline file is invalid or a notebook failed; the message says which and where."""


@dataclass
class Step:
    """One notebook of the pipeline and what it depends on."""

    notebook: str
    parameters: dict[str, Any] = field(default_factory=dict)
    sources: list[str] = field(default_factory=list)
    inputs: list[str] = field(default_factory=list)
    outputs: list[str] = field(default_factory=list)

    @property
    def path(self) -> Path:
        return paths.NOTEBOOKS / self.notebook

    @property
    def name(self) -> str:
        return Path(self.notebook).stem


def load_pipeline(path: Path | None = None) -> list[Step]:
    """Read notebooks/pipeline.yml; errors name the entry and the field."""
    path = path or paths.PIPELINE_YML
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise PipelineError(f"{path}: pipeline file not found.") from exc
    except yaml.YAMLError as exc:
        raise PipelineError(f"{path}: not valid YAML ({exc}).") from exc
    entries = (doc or {}).get("notebooks")
    if not isinstance(entries, list) or not entries:
        raise PipelineError(f"{path}: expected a list under 'notebooks:'.")
    steps, seen = [], set()
    allowed = {"notebook", "parameters", "sources", "inputs", "outputs"}
    for n, entry in enumerate(entries, start=1):
        if not isinstance(entry, dict) or "notebook" not in entry:
            raise PipelineError(f"{path}: entry #{n} has no 'notebook' field.")
        unknown = set(entry) - allowed
        if unknown:
            raise PipelineError(f"{path}: entry #{n} ({entry['notebook']}) has unknown field(s) {sorted(unknown)}.")
        step = Step(**{k: (entry.get(k) or ([] if k != "parameters" else {})) for k in allowed if k in entry})
        if not step.path.exists():
            raise PipelineError(f"{path}: entry #{n}: notebook {step.path} does not exist.")
        if step.notebook in seen:
            raise PipelineError(f"{path}: notebook {step.notebook} is listed twice.")
        seen.add(step.notebook)
        steps.append(step)
    return steps


def parse_overrides(pairs: list[str]) -> dict[str, Any]:
    """``-p name=value`` pairs; values are parsed as YAML scalars (numbers, booleans, strings)."""
    out: dict[str, Any] = {}
    for pair in pairs:
        if "=" not in pair:
            raise PipelineError(f"Parameter {pair!r} must be written name=value.")
        name, value = pair.split("=", 1)
        out[name.strip()] = yaml.safe_load(value) if value != "" else ""
    return out


# --------------------------------------------------------------------------- fingerprints


def _digest(obj: Any) -> str:
    return hashlib.sha256(json.dumps(obj, sort_keys=True, ensure_ascii=False, default=str).encode()).hexdigest()


def notebook_source_digest(nb: nbformat.NotebookNode) -> str:
    """Hash of what a person wrote: cell types, sources and tags; not outputs or injected cells."""
    cells = [
        (c.cell_type, c.source, sorted(c.get("metadata", {}).get("tags", [])), c.get("metadata", {}).get("mystnb"))
        for c in nb.cells
        if INJECTED_TAG not in c.get("metadata", {}).get("tags", [])
    ]
    return _digest(cells)


def _path_digest(path: Path) -> str:
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.is_file() and not p.name.startswith("."))
        return _digest({str(p.relative_to(path)): sha256_file(p) for p in files})
    if path.exists():
        return sha256_file(path)
    return "missing"


def code_digest() -> str:
    """Hash of the package source (every .py, .yml and .json under src/analysis)."""
    files = sorted(p for p in paths.SRC.rglob("*") if p.suffix in {".py", ".yml", ".yaml", ".json"} and p.is_file())
    return _digest({str(p.relative_to(paths.SRC)): sha256_file(p) for p in files})


def fingerprint(step: Step, params: dict[str, Any], code: str) -> dict[str, str]:
    """Everything a notebook's result depends on, as digests."""
    manifest = {s.id: s for s in load_manifest()}
    unknown = [s for s in step.sources if s not in manifest]
    if unknown:
        raise PipelineError(f"{step.notebook}: unknown data source(s) {unknown} in pipeline.yml.")
    for sid in step.sources:
        st, actual = source_state(manifest[sid])
        if st != "ok":
            raise DataError(
                f"{step.notebook} needs source '{sid}', which is {st}"
                + (f" (sha256 {actual}, expected {manifest[sid].sha256})" if actual else "")
                + "; run `python -m analysis data fetch`."
            )
    nb = nbformat.read(step.path, as_version=4)
    return {
        "notebook": notebook_source_digest(nb),
        "parameters": _digest(params),
        "sources": _digest({sid: manifest[sid].sha256 for sid in step.sources}),
        "inputs": _digest({i: _path_digest(paths.ROOT / i) for i in step.inputs}),
        "code": code,
    }


def _load_state() -> dict[str, Any]:
    try:
        return json.loads(paths.PIPELINE_STATE.read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        return {}


def _save_state(state: dict[str, Any]) -> None:
    paths.PIPELINE_STATE.parent.mkdir(parents=True, exist_ok=True)
    tmp = paths.PIPELINE_STATE.with_suffix(".tmp")
    tmp.write_text(json.dumps(state, indent=1, sort_keys=True), encoding="utf-8")
    os.replace(tmp, paths.PIPELINE_STATE)


def why_run(step: Step, fp: dict[str, str], previous: dict[str, str] | None) -> list[str]:
    """Reasons to execute a notebook; empty when it is up to date."""
    reasons = []
    if previous is None:
        reasons.append("never executed here")
    else:
        labels = {"notebook": "its source changed", "parameters": "its parameters changed",
                  "sources": "a data source changed", "inputs": "an input file changed", "code": "the package code changed"}
        reasons += [labels[k] for k in labels if previous.get(k) != fp.get(k)]
    missing = [o for o in step.outputs if not (paths.ROOT / o).exists()]
    if missing:
        reasons.append(f"output(s) missing: {', '.join(missing)}")
    return reasons


# --------------------------------------------------------------------------- execution


def clean_notebook(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Remove volatile metadata so that identical results give identical files."""
    nb.metadata.pop("papermill", None)
    nb.metadata.pop("widgets", None)
    nb.metadata["kernelspec"] = dict(KERNELSPEC)
    lang = nb.metadata.get("language_info", {})
    nb.metadata["language_info"] = {k: lang[k] for k in ("name", "file_extension", "mimetype") if k in lang}
    count = 0
    for i, cell in enumerate(nb.cells):
        cell.metadata.pop("papermill", None)
        cell.metadata.pop("execution", None)
        cell.pop("id", None)
        if cell.cell_type != "code":
            continue
        count += 1
        cell.execution_count = count if cell.source.strip() else None
        cell.outputs = coalesce_streams(cell.get("outputs", []))
        for out in cell.outputs:
            if "execution_count" in out:
                out["execution_count"] = cell.execution_count
            view = out.get("data", {}).get("application/vnd.jupyter.widget-view+json")
            if view:
                view["model_id"] = f"widget-{i:03d}"
    nb.nbformat_minor = 4
    return nb


def coalesce_streams(outputs: list[Any]) -> list[Any]:
    """Merge consecutive stdout (or stderr) chunks: how the kernel splits a stream depends on timing."""
    merged: list[Any] = []
    for out in outputs:
        prev = merged[-1] if merged else None
        if (out.get("output_type") == "stream" and prev is not None and prev.get("output_type") == "stream"
                and prev.get("name") == out.get("name")):
            prev["text"] = "".join(prev["text"]) + "".join(out["text"])
            continue
        merged.append(out)
    return merged


def strip_injected(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Drop a previous run's injected-parameters cell so papermill injects a fresh one."""
    nb.cells = [c for c in nb.cells if INJECTED_TAG not in c.get("metadata", {}).get("tags", [])]
    return nb


def write_notebook_atomic(nb: nbformat.NotebookNode, target: Path) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    try:
        nbformat.write(nb, tmp)
        os.replace(tmp, target)
    finally:
        Path(tmp).unlink(missing_ok=True)


def execute(step: Step, params: dict[str, Any]) -> None:
    """Execute one notebook with papermill into a temporary file; replace the original on success."""
    import papermill as pm

    source = strip_injected(nbformat.read(step.path, as_version=4))
    with tempfile.TemporaryDirectory(prefix="pipeline-") as tmp:
        src = Path(tmp) / f"in-{step.notebook}"
        out = Path(tmp) / f"out-{step.notebook}"
        for cell in source.cells:  # papermill expects ids on nbformat>=4.5 notebooks
            cell.pop("id", None)
        source.nbformat_minor = 4
        source.metadata["kernelspec"] = dict(KERNELSPEC)
        nbformat.write(source, src)
        try:
            pm.execute_notebook(
                str(src), str(out), parameters=params, cwd=str(paths.NOTEBOOKS), kernel_name="python3",
                progress_bar=False, log_output=False, request_save_on_cell_execute=False,
            )
        except pm.PapermillExecutionError as exc:
            paths.FAILED_NOTEBOOKS.mkdir(parents=True, exist_ok=True)
            failed = paths.FAILED_NOTEBOOKS / step.notebook
            if out.exists():
                os.replace(out, failed)
            raise PipelineError(
                f"{step.notebook} failed in cell [{exc.exec_count}] with {exc.ename}: {exc.evalue}\n"
                f"The last good {step.notebook} is untouched; the failed run is saved as "
                f"{failed.relative_to(paths.ROOT)}."
            ) from None
        nb = clean_notebook(nbformat.read(out, as_version=4))
    write_notebook_atomic(nb, step.path)


def run(
    only: list[str] | None = None, overrides: dict[str, Any] | None = None, force: bool = False,
    log: Callable[[str], None] = print,
) -> dict[str, str]:
    """Run the pipeline; return {notebook: 'executed' | 'skipped'}. Raises PipelineError on failure."""
    steps = load_pipeline()
    if only:
        names = {s.name: s for s in steps} | {s.notebook: s for s in steps}
        unknown = [o for o in only if o not in names and not any(s.name.startswith(o) for s in steps)]
        if unknown:
            raise PipelineError(f"Unknown notebook(s) {unknown}; pipeline.yml lists {[s.name for s in steps]}.")
        steps = [s for s in steps if any(s.notebook == o or s.name == o or s.name.startswith(o) for o in only)]
    overrides = overrides or {}
    code = code_digest()
    state = _load_state()
    result: dict[str, str] = {}
    for step in steps:
        params = {**step.parameters, **{k: v for k, v in overrides.items() if k in step.parameters}}
        fp = fingerprint(step, params, code)
        reasons = ["--force"] if force else why_run(step, fp, state.get(step.notebook))
        if not reasons:
            log(f"skip  {step.notebook}: up to date (source, parameters, inputs and code unchanged)")
            result[step.notebook] = "skipped"
            continue
        log(f"run   {step.notebook}: {'; '.join(reasons)}")
        started = time.perf_counter()
        execute(step, params)
        missing = [o for o in step.outputs if not (paths.ROOT / o).exists()]
        if missing:
            raise PipelineError(f"{step.notebook} ran but did not write its declared output(s): {', '.join(missing)}.")
        fp = fingerprint(step, params, code)  # outputs of earlier steps may be this step's inputs
        state[step.notebook] = fp
        _save_state(state)
        log(f"done  {step.notebook} in {time.perf_counter() - started:.1f} s")
        result[step.notebook] = "executed"
    unused = sorted(set(overrides) - {k for s in steps for k in s.parameters})
    if unused:
        log(f"note: parameter(s) {unused} are not parameters of any notebook run")
    return result





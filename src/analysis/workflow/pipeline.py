"""``python -m analysis run``: execute the notebooks with papermill, only when needed, atomically.

A notebook is re-executed when something it depends on changed since its last successful run:
its source (cell sources and tags, not outputs), its parameters, the content of any file or folder
a parameter points to, the checksums of its data sources and input files, or the package code; or
when one of its declared outputs is missing or differs from what that run wrote (every output is
fingerprinted with SHA-256). The run says what it skipped and why.

Outputs are bound to the state: before a notebook executes, its declared outputs are copied
aside into ``data/processed/.staging/<notebook>/``; only when it succeeds are the new outputs
fingerprinted and its state entry written (the commit point), after which the executed notebook
replaces the committed one. If it fails (an exception in a cell, a dead kernel, Ctrl-C, SIGTERM)
the previous outputs are restored byte for byte, outputs that did not exist before are removed and
its state entry is left as it was; the failed notebook is saved aside in ``notebooks/_failed/``. If
the pipeline process itself is killed, the staging folder stays behind and the next run restores
it (or, when the state was already committed, finishes the commit) before doing anything else.

Only one run at a time: a run holds ``fcntl.flock`` on ``data/processed/.pipeline.lock`` (which
names its PID); another run waits up to ``wait`` seconds, then stops naming the lock and the PID.
Parameters are checked before anything executes. With ``jobs > 1`` notebooks that do not depend on
each other (one reads a file that another declares as output) run at the same time, each
papermill in its own process; a failure stops its dependants, not the independent notebooks.
Executed notebooks are written without volatile metadata (timestamps, durations, widget ids), so
rerunning an unchanged tree leaves ``git status`` clean.
"""

from __future__ import annotations

import ast
import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor
from concurrent.futures import wait as wait_futures
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat
import psutil
import yaml

from analysis import paths
from analysis.analyses.qda.privacy import LeakScanError, guard_notebook
from analysis.ingest.sources import DataError, load_manifest, sha256_file
from analysis.ingest.sources import state as source_state
from analysis.tables.agreements import REGISTRIES
from analysis.util.io import publish

#: nbformat's reader and writer, typed (nbformat ships no annotations for them).
nb_read: Callable[..., Any] = nbformat.read
nb_write: Callable[..., Any] = nbformat.write

KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
INJECTED_TAG = "injected-parameters"


class PipelineError(RuntimeError):
    """The pipeline file is invalid, a parameter is wrong or a notebook failed; the message says which and where."""

    def __init__(self, message: str, results: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.results = results or {}


class PipelineBusy(PipelineError):
    """Another run holds the pipeline lock."""


@dataclass
class Step:
    """One notebook of the pipeline and what it depends on."""

    notebook: str
    parameters: dict[str, Any] = field(default_factory=dict)
    sources: list[str] = field(default_factory=list)
    inputs: list[str] = field(default_factory=list)
    outputs: list[str] = field(default_factory=list)
    match_parameters: dict[str, str] = field(default_factory=dict)

    @property
    def path(self) -> Path:
        return paths.NOTEBOOKS / self.notebook

    @property
    def name(self) -> str:
        return Path(self.notebook).stem


def _covers(a: str, b: str) -> bool:
    """True when path a is path b or a folder containing it (or the other way round)."""
    a, b = a.rstrip("/"), b.rstrip("/")
    return a == b or b.startswith(a + "/") or a.startswith(b + "/")


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
    steps: list[Step] = []
    seen: set[str] = set()
    allowed = {"notebook", "parameters", "sources", "inputs", "outputs", "match_parameters"}
    for n, entry in enumerate(entries, start=1):
        if not isinstance(entry, dict) or "notebook" not in entry:
            raise PipelineError(f"{path}: entry #{n} has no 'notebook' field.")
        unknown = set(entry) - allowed
        if unknown:
            raise PipelineError(f"{path}: entry #{n} ({entry['notebook']}) has unknown field(s) {sorted(unknown)}.")
        fields: dict[str, Any] = {k: (entry.get(k) or ({} if k in {"parameters", "match_parameters"} else []))
                                  for k in allowed if k in entry}
        step = Step(**fields)
        if not step.path.exists():
            raise PipelineError(f"{path}: entry #{n}: notebook {step.path} does not exist.")
        if step.notebook in seen:
            raise PipelineError(f"{path}: notebook {step.notebook} is listed twice.")
        for other in steps:
            shared = [o for o in step.outputs if any(_covers(o, x) for x in other.outputs)]
            if shared:
                raise PipelineError(f"{path}: {shared} declared as output of both {other.notebook} and {step.notebook}; "
                                    "each file is written by one notebook.")
            early = [i for i in other.inputs if any(_covers(i, o) for o in step.outputs)]
            if early:
                raise PipelineError(f"{path}: {other.notebook} reads {early}, written by {step.notebook}, which is listed "
                                    f"after it; list {step.notebook} first.")
        seen.add(step.notebook)
        steps.append(step)
    by_name = {s.notebook: s for s in steps}
    for step in steps:
        for name, writer in step.match_parameters.items():
            if writer not in by_name or name not in step.parameters or name not in by_name[writer].parameters:
                raise PipelineError(f"{path}: {step.notebook}: match_parameters {{{name}: {writer}}} must name a parameter "
                                    "of both notebooks and a notebook of the pipeline.")
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


def read_notebook(path: Path) -> nbformat.NotebookNode:
    """A notebook file, or a PipelineError naming it when it is not a readable notebook."""
    try:
        nb: nbformat.NotebookNode = nb_read(path, as_version=4)
        return nb
    except FileNotFoundError as exc:
        raise PipelineError(f"{path}: notebook not found; restore it (git checkout -- {path.name}).") from exc
    except Exception as exc:  # nbformat raises NotJSONError, ValidationError, UnicodeDecodeError, KeyError...
        raise PipelineError(f"{path}: not a readable notebook ({type(exc).__name__}: {str(exc)[:200]}); restore it "
                            f"from git (git checkout -- notebooks/{path.name}) or fix its JSON.") from exc


#: Annotations of the parameters cell that type a parameter (``timeline_start: int = 1985``).
TYPE_KINDS = {"int": "a whole number", "float": "a number", "str": "text", "bool": "true or false",
              "list": "a list", "dict": "a mapping", "list[int]": "a list of whole numbers",
              "list[float]": "a list of numbers", "list[str]": "a list of texts"}


def parameters_cell(path: Path) -> dict[str, tuple[str | None, Any]]:
    """name -> (type annotation or None, literal value) of each assignment in a notebook's ``parameters`` cell.

    ``timeline_start: int = 1985`` gives ``("int", 1985)``, ``top = 10`` gives ``(None, 10)``;
    statements that are not a literal assignment to a name are ignored.
    """
    nb = read_notebook(path)
    for cell in nb.cells:
        if cell.cell_type == "code" and "parameters" in cell.get("metadata", {}).get("tags", []):
            try:
                tree = ast.parse(cell.source)
            except SyntaxError:
                return {}
            values: dict[str, tuple[str | None, Any]] = {}
            for node in tree.body:
                if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
                    name, annotation, value = node.targets[0].id, None, node.value
                elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value is not None:
                    name, annotation, value = node.target.id, ast.unparse(node.annotation).replace(" ", ""), node.value
                else:
                    continue
                with contextlib.suppress(ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
                    values[name] = (annotation, ast.literal_eval(value))
            return values
    return {}


_PLURAL = {"a whole number": "whole numbers", "a number": "numbers", "text": "texts", "true or false": "true/false values"}
_EXAMPLE = {"true or false": "true", "a whole number": "3", "a number": "0.5", "text": "abc", "a mapping": "'{a: 1}'"}


def _fits(kind: str, value: Any) -> bool:
    if kind == "true or false":
        return isinstance(value, bool)
    if kind == "a whole number":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "a number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    if kind == "a mapping":
        return isinstance(value, dict)
    if kind.startswith("a list"):
        if not isinstance(value, list):
            return False
        inner = {v: k for k, v in _PLURAL.items()}.get(kind.removeprefix("a list of "))
        return inner is None or all(_fits(inner, v) for v in value)
    return True


def _typed(name: str, text: str, notebook: str, annotation: str | None, default: Any) -> Any:
    try:
        value = yaml.safe_load(text) if text != "" else ""
    except yaml.YAMLError:
        value = text
    kind = TYPE_KINDS.get(annotation or "")
    if kind is None:  # not typed: a text default keeps the text as typed, anything else is read as YAML
        if annotation is None and isinstance(default, str) and not isinstance(value, str):
            return text  # -p case_code=23005 stays the text "23005"
        return value
    if kind == "text":
        return value if isinstance(value, str) else text
    if not _fits(kind, value):
        example = _EXAMPLE.get(kind, "'[1, 2]'")
        raise PipelineError(f"-p {name}={text!r}: {notebook}'s parameters cell declares {name}: {annotation} = "
                            f"{default!r}, {kind}; give {kind} (e.g. -p {name}={example}).")
    return float(value) if kind == "a number" else value


def typed_overrides(pairs: list[str], only: list[str] | None = None) -> dict[str, Any]:
    """``-p name=value`` pairs typed against the ``parameters`` cell of the selected notebooks.

    A parameter annotated there (``timeline_start: int = 1985``) must get a value of that type, or
    the run stops before anything executes with an error naming the parameter, the notebook and the
    type expected. A parameter whose default is text keeps the text as typed (``-p case_code=23005``
    is the text "23005", not a number); other values are read as YAML scalars. Names no selected
    notebook declares are left to :func:`plan_parameters`, which lists the known ones.
    """
    raw: dict[str, str] = {}
    for pair in pairs:
        if "=" not in pair:
            raise PipelineError(f"Parameter {pair!r} must be written name=value.")
        name, value = pair.split("=", 1)
        raw[name.strip()] = value
    declared: dict[str, tuple[str, str | None, Any]] = {}
    for step in _selected(load_pipeline(), only):
        cell = parameters_cell(step.path) if raw else {}
        for name in step.parameters:
            annotation, default = cell.get(name, (None, step.parameters[name]))
            declared.setdefault(name, (step.notebook, annotation, default))
    out: dict[str, Any] = {}
    for name, text in raw.items():
        if name in declared:
            out[name] = _typed(name, text, *declared[name])
        else:
            out[name] = parse_overrides([f"{name}={text}"])[name]
    return out


def dependencies(steps: list[Step]) -> dict[str, list[str]]:
    """For each notebook, the notebooks that write one of its inputs (they run before it)."""
    return {s.notebook: [o.notebook for o in steps if o is not s and any(_covers(i, x) for i in s.inputs for x in o.outputs)]
            for s in steps}


# --------------------------------------------------------------------------- parameters


def parameter_path(value: Any) -> Path | None:
    """The existing file or folder a parameter value points to (absolute, or relative to the project root)."""
    if not isinstance(value, str) or not value.strip() or "\n" in value or len(value) > 4096:
        return None
    p = Path(value).expanduser()
    for candidate in ([p] if p.is_absolute() else [paths.ROOT / p, paths.NOTEBOOKS / p]):
        try:
            if not candidate.exists():
                continue
            resolved, root = candidate.resolve(), paths.ROOT.resolve()
        except OSError:
            return None
        # a folder holding the project (".", "..") would include this run's own outputs: not a data file
        return None if resolved == root or resolved in root.parents else candidate
    return None


def _selected(steps: list[Step], only: list[str] | None) -> list[Step]:
    if not only:
        return steps
    names = {s.name: s for s in steps} | {s.notebook: s for s in steps}
    unknown = [o for o in only if o not in names and not any(s.name.startswith(o) for s in steps)]
    if unknown:
        raise PipelineError(f"Unknown notebook(s) {unknown}; pipeline.yml lists {[s.name for s in steps]}.")
    return [s for s in steps if any(s.notebook == o or s.name == o or s.name.startswith(o) for o in only)]


def plan_parameters(selected: list[Step], steps: list[Step], overrides: dict[str, Any],
                    state: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Each selected notebook's parameters (defaults + overrides), checked before anything executes."""
    known = {s.notebook: list(s.parameters) for s in selected}
    unknown = sorted(set(overrides) - {k for names in known.values() for k in names})
    if unknown:
        listing = "; ".join(f"{nb}: {', '.join(names) or '(none)'}" for nb, names in known.items())
        raise PipelineError(f"Unknown parameter(s) {unknown}: no selected notebook declares them in pipeline.yml. "
                            f"Known parameters per notebook: {listing}.")
    plan: dict[str, dict[str, Any]] = {}
    for step in selected:
        params = {**step.parameters, **{k: v for k, v in overrides.items() if k in step.parameters}}
        if "registry" in params:
            params = _check_registry(step, params)
        _check_ranges(step, params)
        plan[step.notebook] = params
    by_name = {s.notebook: s for s in steps}
    for step in selected:
        for name, other in step.match_parameters.items():
            if other in plan:
                expected, origin = plan[other].get(name), f"the value {other} runs with now"
            else:
                last = (state.get(other) or {}).get("params")
                if last is None:
                    raise PipelineError(f"{step.notebook}: its {name} must match the one {other} last ran with, but no "
                                        f"successful run of {other} is recorded; run `python -m analysis run "
                                        f"{by_name[other].name}` first.")
                expected, origin = last.get(name), f"the value of {other}'s last successful run"
            if plan[step.notebook][name] != expected:
                raise PipelineError(f"{step.notebook}: {name}={plan[step.notebook][name]!r}, but {other} was run with "
                                    f"{name}={expected!r} ({origin}); run both with the same -p {name}=..., "
                                    f"e.g. `python -m analysis run {by_name[other].name} {step.name} -p {name}=...`.")
    return plan


def _check_ranges(step: Step, params: dict[str, Any]) -> None:
    """A ``<name>_start`` parameter may not be after its ``<name>_end`` (the range would be empty)."""
    for name, start in params.items():
        if not name.endswith("_start"):
            continue
        end_name = name.removesuffix("_start") + "_end"
        end = params.get(end_name)
        numbers = all(isinstance(v, int | float) and not isinstance(v, bool) for v in (start, end))
        if numbers and start > end:
            raise PipelineError(f"{step.notebook}: {name}={start!r} is after {end_name}={end!r}, so the range is empty; "
                                f"give a {name} no later than {end_name} (e.g. -p {name}=... -p {end_name}=...).")


def _check_registry(step: Step, params: dict[str, Any]) -> dict[str, Any]:
    registry, rai_path = params["registry"], params.get("rai_path", "")
    if registry not in REGISTRIES:
        raise PipelineError(f"{step.notebook}: registry={registry!r} is not a registry; use one of {list(REGISTRIES)}.")
    if "rai_path" not in params:
        return params
    given = str(rai_path or "").strip()
    if registry != "rai" and given:
        raise PipelineError(f"{step.notebook}: rai_path={given!r} is given but registry={registry!r}; the export would be "
                            "ignored. Add -p registry=rai to use it, or drop rai_path.")
    if registry == "rai":
        if not given:
            raise PipelineError(f"{step.notebook}: registry=rai needs -p rai_path=/path/to/export (CSV or XLSX of the RAI).")
        p = Path(given).expanduser()
        found = next((c for c in ([p] if p.is_absolute() else [Path.cwd() / p, paths.ROOT / p]) if c.is_file()), None)
        if found is None:
            raise PipelineError(f"{step.notebook}: rai_path={given!r}: no such file (relative paths are read from the "
                                "current folder or the project root).")
        params = {**params, "rai_path": str(found.resolve())}  # the kernel runs in notebooks/: pass it absolute
    return params


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


def output_digests(step: Step) -> dict[str, str]:
    """SHA-256 of each declared output ('missing' when absent)."""
    return {o: _path_digest(paths.ROOT / o) for o in step.outputs}


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
    nb = read_notebook(step.path)
    pointed = {k: p for k, v in params.items() if (p := parameter_path(v)) is not None}
    return {
        "notebook": notebook_source_digest(nb),
        "parameters": _digest(params),
        "parameter_files": _digest({k: _path_digest(p) for k, p in sorted(pointed.items())}),
        "sources": _digest({sid: manifest[sid].sha256 for sid in step.sources}),
        "inputs": _digest({i: _path_digest(paths.ROOT / i) for i in step.inputs}),
        "code": code,
    }


FINGERPRINT_LABELS = {
    "notebook": "its source changed",
    "parameters": "its parameters changed",
    "parameter_files": "a file or folder a parameter points to changed",
    "sources": "a data source changed",
    "inputs": "an input file changed",
    "code": "the package code changed",
}


def why_run(step: Step, fp: dict[str, str], previous: dict[str, Any] | None) -> list[str]:
    """Reasons to execute a notebook; empty when it is up to date."""
    reasons = []
    legacy = previous is not None and (any(k not in previous for k in FINGERPRINT_LABELS)
                                       or not isinstance(previous.get("outputs"), dict))
    if previous is None:
        reasons.append("never executed here")
    elif legacy:
        reasons.append("its last run was recorded without fingerprints of its outputs and parameter files")
    else:
        reasons += [label for k, label in FINGERPRINT_LABELS.items() if previous.get(k) != fp.get(k)]
    missing = [o for o in step.outputs if not (paths.ROOT / o).exists()]
    if missing:
        reasons.append(f"output(s) missing: {', '.join(missing)}")
    if previous is not None and not legacy:
        recorded = previous["outputs"]
        changed = [o for o in step.outputs if o not in missing and recorded.get(o) != _path_digest(paths.ROOT / o)]
        reasons += [f"an output changed since the last run: {o}" for o in changed]
    return reasons


def check_upstream(selected: list[Step], steps: list[Step], state: dict[str, Any]) -> None:
    """A notebook may not read an output of a notebook that is not run now unless that output is what its last run wrote."""
    chosen = {s.notebook for s in selected}
    problems = []
    for step in selected:
        for other in steps:
            if other.notebook in chosen or other is step:
                continue
            recorded = (state.get(other.notebook) or {}).get("outputs")
            for out in other.outputs:
                if not any(_covers(i, out) for i in step.inputs):
                    continue
                if not isinstance(recorded, dict) or out not in recorded:
                    why = f"no successful run of {other.notebook} that wrote it is recorded"
                elif not (paths.ROOT / out).exists():
                    why = "it is missing"
                elif recorded[out] != _path_digest(paths.ROOT / out):
                    why = f"it changed since {other.notebook}'s last successful run"
                else:
                    continue
                problems.append(f"{step.notebook} reads {out}, written by {other.notebook}, but {why}; run "
                                f"`python -m analysis run {other.name}` first (or select both)")
    if problems:
        raise PipelineError("\n".join(problems) + ".")


# --------------------------------------------------------------------------- state and lock


def _load_state() -> dict[str, Any]:
    try:
        state = json.loads(paths.PIPELINE_STATE.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except json.JSONDecodeError:
        return {}  # unreadable: every notebook reruns
    except OSError as exc:  # e.g. written by another user with permissions that exclude this one
        raise PipelineError(f"{paths.PIPELINE_STATE}: cannot read the pipeline state ({exc.strerror or exc}); give "
                            "yourself read and write permission on it (and on data/processed) or run as its owner.") from None
    return state if isinstance(state, dict) else {}


def _write_atomic(target: Path, text: str) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        publish(tmp, target)  # 0o666 minus the umask, not the 0600 of a temporary file
    finally:
        Path(tmp).unlink(missing_ok=True)


def _save_state(state: dict[str, Any]) -> None:
    _write_atomic(paths.PIPELINE_STATE, json.dumps(state, indent=1, sort_keys=True))


def lock_holder() -> str:
    try:
        return paths.PIPELINE_LOCK.read_text(encoding="utf-8").strip() or "unknown"
    except OSError:
        return "unknown"


@contextlib.contextmanager
def pipeline_lock(wait: float = 0.0) -> Iterator[int]:
    """Hold the pipeline lock (fcntl.flock) for the duration; wait up to ``wait`` seconds for it."""
    lock = paths.PIPELINE_LOCK
    try:
        lock.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise PipelineError(f"cannot write the lock file {lock} ({exc.strerror or exc}): the pipeline writes its outputs "
                            f"in {lock.parent}, which must be writable by you; fix its permissions (chmod u+w) or run "
                            "from a copy of the project that you own.") from None
    deadline = time.monotonic() + max(0.0, wait)
    try:
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    holder = lock_holder()
                    waited = f" after waiting {wait:g} s" if wait > 0 else ""
                    raise PipelineBusy(
                        f"Another `python -m analysis run` is running (pid {holder}; lock file {lock}){waited}. "
                        "Wait for it to finish, or pass --wait SECONDS to wait for it.") from None
                time.sleep(min(0.2, max(0.0, deadline - time.monotonic())))
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield fd
    finally:
        os.close(fd)  # releases the flock (children that inherited it keep it until they exit)


# --------------------------------------------------------------------------- staging


def _staging_dir(notebook: str) -> Path:
    return paths.PIPELINE_STAGING / Path(notebook).stem


def _copy_atomic(src: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    try:
        shutil.copy2(src, tmp)
        publish(tmp, target)
    finally:
        Path(tmp).unlink(missing_ok=True)


class Snapshot:
    """The declared outputs of one notebook, set aside before it runs (data/processed/.staging/<name>/)."""

    def __init__(self, step: Step, run_id: str) -> None:
        self.step, self.run_id = step, run_id
        self.dir = _staging_dir(step.notebook)
        self.items: dict[str, str] = {}

    def take(self) -> None:
        if self.dir.exists():
            raise PipelineError(f"{self.dir} exists: an earlier run of {self.step.notebook} was not cleaned up.")
        backup = self.dir / "backup"
        backup.mkdir(parents=True)
        for rel in self.step.outputs:
            src = paths.ROOT / rel
            if src.is_dir():
                raise PipelineError(f"{self.step.notebook}: declared output {rel} is a folder; declare its files.")
            if src.exists():
                dst = backup / rel
                dst.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(src, dst)
                self.items[rel] = "saved"
            else:
                self.items[rel] = "absent"
        # the manifest is written last: without it, the backup is incomplete and nothing was executed yet
        _write_atomic(self.dir / "manifest.json", json.dumps(
            {"notebook": self.step.notebook, "run": self.run_id, "pid": os.getpid(), "items": self.items}, indent=1))

    def stage_notebook(self, nb: nbformat.NotebookNode) -> None:
        write_notebook_atomic(nb, self.dir / "executed.ipynb")

    def finish(self) -> None:
        """After the state is committed: put the executed notebook in place and drop the backup."""
        _finish(self.dir, self.step.path)

    def restore(self) -> None:
        _restore(self.dir, self.items)


def _drop(staging: Path) -> None:
    shutil.rmtree(staging)
    with contextlib.suppress(OSError):
        staging.parent.rmdir()  # only when no other notebook is staged


def _finish(staging: Path, notebook_path: Path) -> None:
    executed = staging / "executed.ipynb"
    if executed.exists():
        _copy_atomic(executed, notebook_path)
    _drop(staging)


def _restore(staging: Path, items: dict[str, str]) -> None:
    for rel, kind in items.items():
        target = paths.ROOT / rel
        if kind == "saved":
            _copy_atomic(staging / "backup" / rel, target)
        elif target.is_file() or target.is_symlink():
            target.unlink()
    _drop(staging)


def recover(steps: list[Step], state: dict[str, Any], log: Callable[[str], None]) -> None:
    """Clean up after a run that was killed: restore its outputs, or finish a commit that was already recorded."""
    if not paths.PIPELINE_STAGING.exists():
        return
    by_name = {s.name: s for s in steps}
    for staging in sorted(p for p in paths.PIPELINE_STAGING.iterdir() if p.is_dir()):
        try:
            manifest = json.loads((staging / "manifest.json").read_text(encoding="utf-8"))
        except (FileNotFoundError, json.JSONDecodeError):
            _drop(staging)  # backup never completed: the outputs were not touched yet
            log(f"clean {staging.name}: an interrupted run had not started executing; nothing to restore")
            continue
        notebook = manifest.get("notebook", staging.name)
        entry = state.get(notebook) or {}
        if entry.get("run") == manifest.get("run"):
            nb_path = by_name[staging.name].path if staging.name in by_name else paths.NOTEBOOKS / notebook
            _finish(staging, nb_path)
            log(f"clean {notebook}: its last run (pid {manifest.get('pid')}) was committed; finished writing the notebook")
        else:
            _restore(staging, manifest.get("items", {}))
            log(f"restore {notebook}: a run (pid {manifest.get('pid')}) was interrupted; its previous outputs were restored")


# --------------------------------------------------------------------------- execution

#: Temporary folders of a run are named pipeline-<pid>-<random> in the system's temporary folder.
TEMP_PREFIX = "pipeline-"


def clean_stale_temporaries(log: Callable[[str], None] = print) -> None:
    """Remove the temporary folders of runs whose process is gone (a pipeline killed with kill -9)."""
    for folder in Path(tempfile.gettempdir()).glob(f"{TEMP_PREFIX}*-*"):
        pid = folder.name.removeprefix(TEMP_PREFIX).split("-", 1)[0]
        try:
            if not pid.isdigit() or psutil.pid_exists(int(pid)) or folder.stat().st_uid != os.getuid():
                continue
        except OSError:
            continue
        shutil.rmtree(folder, ignore_errors=True)
        log(f"clean {folder}: temporary folder of a run (pid {pid}) that no longer exists")



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
        tags = cell.metadata.get("tags", [])
        if INJECTED_TAG in tags and "remove-cell" not in tags:
            cell.metadata["tags"] = [*tags, "remove-cell"]  # the parameters cell already shows the values
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
        nb_write(nb, tmp)
        publish(tmp, target)
    finally:
        Path(tmp).unlink(missing_ok=True)


# Runs papermill in a child process. If the pipeline dies, the child gets SIGTERM (Linux
# PR_SET_PDEATHSIG); on SIGTERM or SIGINT it kills its kernel before exiting, so no kernel keeps
# writing after the pipeline restored the outputs. It holds the pipeline lock while it lives.
_CHILD = r"""
import json, os, signal, sys
import psutil
spec = json.loads(open(sys.argv[1], encoding="utf-8").read())
def _stop(signum, frame):
    try:
        kids = psutil.Process().children(recursive=True)
        for k in kids:
            try:
                k.kill()
            except psutil.Error:
                pass
        psutil.wait_procs(kids, timeout=10)
    finally:
        os._exit(128 + signum)
signal.signal(signal.SIGTERM, _stop)
signal.signal(signal.SIGINT, _stop)
try:
    import ctypes
    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)
except Exception:
    pass
if os.getppid() != spec["parent"]:
    sys.exit(4)
import papermill as pm
try:
    pm.execute_notebook(spec["input"], spec["output"], parameters=spec["parameters"], cwd=spec["cwd"],
                        kernel_name="python3", progress_bar=False, log_output=False,
                        request_save_on_cell_execute=False)
except pm.PapermillExecutionError as exc:
    with open(spec["error"], "w", encoding="utf-8") as fh:
        json.dump({"exec_count": exc.exec_count, "ename": exc.ename, "evalue": exc.evalue}, fh)
    sys.exit(3)
"""


def _guard_names(notebook: Path, params: dict[str, Any]) -> None:
    """An interview notebook (one with a ``register_path`` parameter) is scanned for register names."""
    if "register_path" in params:
        guard_notebook(notebook, paths.ROOT / str(params["register_path"]))


class Runner:
    """Executes notebooks in child processes and stops them all when asked."""

    def __init__(self, lock_fd: int | None = None) -> None:
        self.lock_fd = lock_fd
        self.cancelled = threading.Event()
        self._procs: set[subprocess.Popen[bytes]] = set()
        self._mutex = threading.Lock()

    def cancel(self) -> None:
        """Stop every running notebook; each worker then kills what is left and restores its outputs."""
        with self._mutex:
            self.cancelled.set()
            for proc in self._procs:
                with contextlib.suppress(ProcessLookupError):
                    proc.send_signal(signal.SIGTERM)

    @staticmethod
    def _stop(proc: subprocess.Popen[bytes]) -> int:
        """Make sure the papermill child and everything it started (the kernel) are gone."""
        try:
            kids = psutil.Process(proc.pid).children(recursive=True)
        except psutil.Error:
            kids = []
        with contextlib.suppress(ProcessLookupError):
            proc.send_signal(signal.SIGTERM)
        try:
            code = proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            code = proc.wait()
        for kid in kids:
            with contextlib.suppress(psutil.Error):
                kid.kill()
        psutil.wait_procs(kids, timeout=20)
        return code

    def execute(self, step: Step, params: dict[str, Any]) -> nbformat.NotebookNode:
        """Execute one notebook with papermill; return the cleaned executed notebook or raise PipelineError."""
        source = strip_injected(read_notebook(step.path))
        with tempfile.TemporaryDirectory(prefix=f"{TEMP_PREFIX}{os.getpid()}-") as tmp:
            src, out = Path(tmp) / f"in-{step.notebook}", Path(tmp) / f"out-{step.notebook}"
            error, spec_file, log_file = Path(tmp) / "error.json", Path(tmp) / "spec.json", Path(tmp) / "child.log"
            for cell in source.cells:  # papermill expects ids on nbformat>=4.5 notebooks
                cell.pop("id", None)
            source.nbformat_minor = 4
            source.metadata["kernelspec"] = dict(KERNELSPEC)
            nb_write(source, src)
            spec_file.write_text(json.dumps({"input": str(src), "output": str(out), "parameters": params,
                                             "cwd": str(paths.NOTEBOOKS), "error": str(error), "parent": os.getpid()},
                                            default=str), encoding="utf-8")
            env = {**os.environ, "ANALYSIS_ROOT": str(paths.ROOT)}
            with self._mutex:
                if self.cancelled.is_set():
                    raise PipelineError(f"{step.notebook} was not started: the run was interrupted.")
                with Path(log_file).open("wb") as log_fh:
                    proc = subprocess.Popen([sys.executable, "-c", _CHILD, str(spec_file)], env=env, stdin=subprocess.DEVNULL,
                                            stdout=log_fh, stderr=subprocess.STDOUT, cwd=str(paths.NOTEBOOKS),
                                            pass_fds=(self.lock_fd,) if self.lock_fd is not None else ())
                self._procs.add(proc)
            try:
                while True:
                    try:
                        code = proc.wait(timeout=0.2)
                        break
                    except subprocess.TimeoutExpired:
                        if self.cancelled.is_set():
                            code = self._stop(proc)
                            break
            finally:
                with self._mutex:
                    self._procs.discard(proc)
            if code != 0:
                raise self._failure(step, code, out, error, log_file, params)
            try:
                _guard_names(out, params)
            except LeakScanError as exc:
                raise PipelineError(f"{step.notebook}: {exc}") from None
            return clean_notebook(nb_read(out, as_version=4))

    def _failure(self, step: Step, code: int, out: Path, error: Path, log_file: Path,
                 params: dict[str, Any] | None = None) -> PipelineError:
        failed = None
        kept, leaked = "", False
        if out.exists():
            paths.FAILED_NOTEBOOKS.mkdir(parents=True, exist_ok=True)
            failed = paths.FAILED_NOTEBOOKS / step.notebook
            shutil.copyfile(out, failed)
            try:
                _guard_names(failed, params or {})
                kept = f"; the failed run is saved as {failed.relative_to(paths.ROOT)}"
            except LeakScanError as exc:
                kept, leaked = f"; the failed run was not kept: {exc}", True
        if leaked:  # the error message and the log may quote the same names
            what = "failed (its error message is not shown: the notebook held participant names)"
        elif error.exists():
            info = json.loads(error.read_text(encoding="utf-8"))
            what = f"failed in cell [{info['exec_count']}] with {info['ename']}: {info['evalue']}"
        elif self.cancelled.is_set() or code < 0 or code in (128 + signal.SIGTERM, 128 + signal.SIGINT):
            what = f"was interrupted (exit status {code})"
        else:
            tail = log_file.read_text(encoding="utf-8", errors="replace").strip().splitlines()[-6:]
            what = f"failed: papermill exited with status {code} (the kernel may have died)\n  " + "\n  ".join(tail)
        return PipelineError(f"{step.notebook} {what}\nIts previous outputs were restored and its state entry left as it "
                             f"was; the last good {step.notebook} is untouched{kept}.")


def run(
    only: list[str] | None = None, overrides: dict[str, Any] | None = None, force: bool = False,
    log: Callable[[str], None] = print, jobs: int = 1, wait: float = 0.0,
) -> dict[str, str]:
    """Run the pipeline; return {notebook: 'executed' | 'skipped'}.

    Raises PipelineError (with ``.results``, where a notebook may also be 'failed' or 'not run') when a
    notebook failed, PipelineBusy when another run holds the lock, KeyboardInterrupt after restoring
    the outputs of the notebooks that were running.
    """
    steps = load_pipeline()
    selected = _selected(steps, only)
    with pipeline_lock(wait) as lock_fd:
        clean_stale_temporaries(log)
        state = _load_state()
        recover(steps, state, log)
        plan = plan_parameters(selected, steps, overrides or {}, state)
        check_upstream(selected, steps, state)
        with _signals_as_flag() as interrupted:
            return _Schedule(selected, steps, plan, state, force, log, max(1, int(jobs)), Runner(lock_fd),
                             interrupted).run()


@contextlib.contextmanager
def _signals_as_flag() -> Iterator[threading.Event]:
    """SIGINT (Ctrl-C) and SIGTERM set a flag the scheduler checks; a second one raises KeyboardInterrupt."""
    flag = threading.Event()
    if threading.current_thread() is not threading.main_thread():
        yield flag
        return

    def handler(_signum: int, _frame: Any) -> None:
        if flag.is_set():
            raise KeyboardInterrupt
        flag.set()

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield flag
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


class _Schedule:
    def __init__(self, selected: list[Step], steps: list[Step], plan: dict[str, dict[str, Any]], state: dict[str, Any],
                 force: bool, log: Callable[[str], None], jobs: int, runner: Runner,
                 interrupted: threading.Event | None = None) -> None:
        chosen = {s.notebook for s in selected}
        self.deps = {nb: [d for d in ds if d in chosen] for nb, ds in dependencies(steps).items() if nb in chosen}
        self.selected, self.plan, self.state, self.force, self.log, self.jobs = selected, plan, state, force, log, jobs
        self.runner, self.interrupted = runner, interrupted or threading.Event()
        self.code = code_digest()
        self.state_mutex = threading.Lock()
        self.errors: dict[str, BaseException] = {}

    def run(self) -> dict[str, str]:
        results: dict[str, str] = {}
        pending = list(self.selected)
        running: dict[Future[str], Step] = {}
        with ThreadPoolExecutor(max_workers=self.jobs, thread_name_prefix="notebook") as pool:
            try:
                while pending or running:
                    if self.interrupted.is_set():
                        raise KeyboardInterrupt
                    progressed = True
                    while progressed and len(running) < self.jobs:
                        progressed = False
                        for step in pending:
                            blocked = [d for d in self.deps[step.notebook] if results.get(d) in ("failed", "not run")]
                            if blocked:
                                results[step.notebook] = "not run"
                                self.log(f"stop  {step.notebook}: not run because {', '.join(blocked)} did not succeed")
                            elif all(d in results for d in self.deps[step.notebook]):
                                running[pool.submit(self._one, step)] = step
                            else:
                                continue
                            pending.remove(step)
                            progressed = True
                            break
                    if not running:
                        if pending and not progressed:  # cannot happen with a valid pipeline.yml (writers first)
                            raise PipelineError(f"No notebook can start: {[s.notebook for s in pending]} wait on each other.")
                        continue
                    done, _ = wait_futures(running, timeout=0.5, return_when=FIRST_COMPLETED)
                    for fut in done:
                        step = running.pop(fut)
                        try:
                            results[step.notebook] = fut.result()
                        except (PipelineError, DataError) as exc:
                            results[step.notebook] = "failed"
                            self.errors[step.notebook] = exc
                            self.log(f"fail  {step.notebook}")
            except BaseException:  # Ctrl-C or SIGTERM: stop the children, let each worker restore, then re-raise
                self.runner.cancel()
                for fut in running:
                    with contextlib.suppress(BaseException):
                        fut.result()
                raise
        if self.errors:
            message = "\n".join(str(e) for e in self.errors.values())
            stopped = [nb for nb, r in results.items() if r == "not run"]
            if stopped:
                message += f"\nNot run because a notebook they depend on failed: {', '.join(stopped)}."
            raise PipelineError(message, results)
        return results

    def _one(self, step: Step) -> str:
        params = self.plan[step.notebook]
        fp = fingerprint(step, params, self.code)
        reasons = ["--force"] if self.force else why_run(step, fp, self.state.get(step.notebook))
        if not reasons:
            self.log(f"skip  {step.notebook}: up to date (source, parameters, inputs, outputs and code unchanged)")
            return "skipped"
        self.log(f"run   {step.notebook}: {'; '.join(reasons)}")
        started = time.perf_counter()
        snapshot = Snapshot(step, uuid.uuid4().hex)
        snapshot.take()
        committed = False
        try:
            nb = self.runner.execute(step, params)
            missing = [o for o in step.outputs if not (paths.ROOT / o).exists()]
            if missing:
                raise PipelineError(f"{step.notebook} ran but did not write its declared output(s): {', '.join(missing)}. "
                                    "Its previous outputs were restored and its state entry left as it was.")
            snapshot.stage_notebook(nb)
            entry = {**fp, "params": params, "outputs": output_digests(step), "run": snapshot.run_id}
            with self.state_mutex:
                _save_state({**self.state, step.notebook: entry})  # the commit point
                self.state[step.notebook] = entry
            committed = True
            snapshot.finish()
        except BaseException:
            if not committed:
                snapshot.restore()
            raise
        self.log(f"done  {step.notebook} in {time.perf_counter() - started:.1f} s")
        return "executed"

"""``python -m analysis bench``: measure the compendium's costs and write book/benchmarks.csv.

Every figure is a median over repeats measured in one run (the machine is shared and noisy, so
ratios measured together are more telling than absolute times). Measured:

- ``install``: creating the pinned environment in an empty virtual environment, without a package
  cache, with uv and with pip (the two installers of ``make env``), and their ratio;
- ``pipeline``: the cold pipeline (every notebook executed, ``run --force``) with ``-j 1`` and with
  ``-j 2``, their ratio, and a rerun with nothing changed;
- ``book``: the book build alone (all pages rewritten) and a no-op ``make book``;
- interview coding throughput against the bare spaCy pass over the same text (ratio);
- SDG classification throughput: goals only, and goals + targets as a ratio to it;
- partner-finder index build time and recommendation latency;
- peak resident memory of this process and of the commands it started;
- ``escala`` (``--scale-words N``), coding of a large generated corpus in 1 process, in
  ``--processes`` worker processes and on a local Dask cluster of as many workers: wall time,
  words/s and peak resident memory (parent + workers), and the ratios to one process.

``--groups`` measures some groups only; their rows replace the rows of the same groups in the table
and the other groups' rows are kept, so one group is never reported from two runs. Every group
records the one-minute load average when its measurement started, so a reader sees how busy the
shared machine was.
"""

from __future__ import annotations

import csv
import functools
import os
import platform
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from analysis import paths
from analysis.analyses.partners import foreign as partner_finder
from analysis.analyses.sdg import DISABLE, classify_texts, load_sdg_dictionary, read_validation
from analysis.analyses.sdg_targets import classify_targets, load_target_index
from analysis.features.covariates import covariates_or_build
from analysis.features.profiles import profiles_or_build
from analysis.ingest.openflights import read_airports, read_routes
from analysis.ingest.sources import require
from analysis.ingest.wikidata import read_gexf
from analysis.tables.municipalities import read_processed
from analysis.tables.sources_union import read_links
from analysis.util.nlp import load_nlp
from analysis.workflow.scale import SCALE_CHUNK_WORDS, bench_coding, bench_scale

BENCH_CSV = paths.BOOK / "benchmarks.csv"
FIELDS = ["group", "metric", "value", "unit", "repeats", "note"]
#: Every group, in the order of the table. ``memory`` and ``machine`` come with any run.
GROUPS = ("install", "pipeline", "book", "escala", "nlp", "sdg", "partners")
DEFAULT_GROUPS = ("pipeline", "book", "nlp", "sdg", "partners")
LOAD_METRIC = "load average (1 min) at start"


class BenchError(ValueError):
    """A benchmark cannot run as asked (unknown group, missing installer, failed command)."""


def parse_groups(text: str) -> tuple[str, ...]:
    """``"install,escala"`` -> the groups in table order; an unknown name is an error naming the valid ones."""
    names = [n.strip() for n in text.split(",") if n.strip()]
    unknown = [n for n in names if n not in GROUPS]
    if unknown or not names:
        raise BenchError(f"unknown benchmark group(s) {unknown or [text]}; choose among {', '.join(GROUPS)}.")
    return tuple(g for g in GROUPS if g in names)


def uv_executable() -> Path:
    """The uv that ``make env`` bootstraps (its version and place are read from the Makefile)."""
    makefile = (paths.ROOT / "Makefile").read_text(encoding="utf-8")
    version = re.search(r"^UV_VERSION\s*:=\s*(\S+)", makefile, re.MULTILINE)
    if version is None:
        raise BenchError("Makefile: no UV_VERSION line; the install benchmark needs it to find uv.")
    uv = Path.home() / ".cache" / "analysis-bootstrap" / f"uv-{version.group(1)}" / "bin" / "uv"
    if not uv.exists():
        raise BenchError(f"{uv} not found: run `make env` once (it installs uv there), then measure again.")
    return uv


def install_commands(installer: str, python: Path, uv: Path | None = None) -> list[list[str]]:
    """The commands ``make env`` runs to fill an empty environment, without any package cache."""
    reqs = [["-r", str(paths.ROOT / "requirements.txt")], ["--no-deps", "-r", str(paths.ROOT / "requirements-nodeps.txt")],
            ["--no-deps", "-e", str(paths.ROOT)]]
    if installer == "uv":
        if uv is None:
            raise BenchError("the uv install benchmark needs the uv executable")
        return [[str(uv), "pip", "install", "--quiet", "--no-cache", "--compile-bytecode", "--python", str(python), *r]
                for r in reqs]
    if installer == "pip":
        return [[str(python), "-m", "pip", "install", "--quiet", "--no-cache-dir", "--disable-pip-version-check", *r]
                for r in reqs]
    raise BenchError(f"unknown installer {installer!r}; use uv or pip")


def bench_install(installer: str, base_python: str | None = None) -> float:
    """Seconds to create an empty virtual environment and install the pins into it with ``installer``."""
    uv = uv_executable() if installer == "uv" else None
    with tempfile.TemporaryDirectory(prefix=f"bench-{installer}-") as tmp:
        venv = Path(tmp) / "venv"
        t0 = time.perf_counter()
        _run([base_python or _base_python(), "-m", "venv", str(venv)])
        for cmd in install_commands(installer, venv / "bin" / "python", uv):
            _run(cmd)
        return time.perf_counter() - t0


def _base_python() -> str:
    """The interpreter the project's environment was made from (``make env`` uses python3)."""
    return shutil.which("python3") or sys.executable


def _run(cmd: list[str]) -> None:
    proc = subprocess.run(cmd, cwd=paths.ROOT, capture_output=True, text=True)
    if proc.returncode != 0:
        raise BenchError(f"benchmark command failed: {' '.join(cmd)}\n{proc.stderr[-2000:]}")


def _timed(cmd: list[str]) -> float:
    t0 = time.perf_counter()
    _run(cmd)
    return time.perf_counter() - t0


def median_of(fn: Callable[[], float], repeats: int) -> float:
    return statistics.median(fn() for _ in range(repeats))


def book_command(rebuild_all: bool = True) -> list[str]:
    exe = Path(sys.executable).with_name("jupyter-book")
    cmd = [str(exe), "build", ".", "--config", "book/_config.yml", "--toc", "book/_toc.yml", "--path-output", "book",
           "-W", "-n", "--keep-going"]
    return [*cmd, "--all"] if rebuild_all else cmd


def run_benchmarks(repeats: int = 3, cold_repeats: int = 1, coding_words: int = 50_000,
                   sdg_texts: int = 2000, groups: tuple[str, ...] = DEFAULT_GROUPS,
                   log: Callable[[str], None] = print, scale_words: int = 0,
                   processes: int | None = None, jobs: int = 2) -> list[dict[str, object]]:
    """Run the benchmarks of ``groups``; return their rows (plus ``memory`` and ``machine``).

    ``escala`` needs ``scale_words`` > 0: a generated corpus of that many words coded, streamed,
    once each in ``processes`` worker processes (default: every core), on a Dask ``LocalCluster``
    of as many workers (needs the ``dask`` extra) and in one process. It runs before the in-process
    measurements so the parent's peak RSS is its own. ``install`` needs the network (package index)
    and takes minutes; ``pipeline`` compares a cold run at ``-j 1`` with one at ``-j jobs``.
    """
    groups = tuple(g for g in GROUPS if g in groups)
    if not groups:
        raise BenchError(f"no benchmark group chosen; choose among {', '.join(GROUPS)}.")
    if "escala" in groups and scale_words <= 0:
        raise BenchError("the escala group needs --scale-words N (N > 0), e.g. --scale-words 10000000")
    rows: list[dict[str, object]] = []

    def add(group: str, metric: str, value: float, unit: str, n: int, note: str = "") -> None:
        rows.append({"group": group, "metric": metric, "value": round(value, 3), "unit": unit, "repeats": n, "note": note})
        log(f"{group:<12} {metric:<44} {value:>12,.3f} {unit:<10} (n={n}) {note}")

    def started(group: str) -> None:
        add(group, LOAD_METRIC, os.getloadavg()[0], "load", 1)

    def ended(group: str) -> None:  # the long groups also say how busy the machine was at their end
        add(group, "load average (1 min) at end", os.getloadavg()[0], "load", 1)

    py = sys.executable
    if "install" in groups:
        started("install")
        times = {name: median_of(functools.partial(bench_install, name), cold_repeats) for name in ("uv", "pip")}
        for name, seconds in times.items():
            add("install", f"install with {name} (empty environment, no cache)", seconds, "s", cold_repeats)
        add("install", "pip / uv", times["pip"] / times["uv"], "ratio", cold_repeats)
        ended("install")
    if "pipeline" in groups:
        started("pipeline")
        cold = {j: median_of(functools.partial(_timed, [py, "-m", "analysis", "run", "--force", "-j", str(j)]),
                             cold_repeats) for j in (1, jobs)}
        add("pipeline", "cold run (every notebook executed)", cold[1], "s", cold_repeats, "-j 1")
        add("pipeline", f"cold run, -j {jobs}", cold[jobs], "s", cold_repeats)
        add("pipeline", f"cold run -j 1 / -j {jobs}", cold[1] / cold[jobs], "ratio", cold_repeats)
        rerun = median_of(lambda: _timed([py, "-m", "analysis", "run"]), repeats)
        add("pipeline", "rerun with nothing changed", rerun, "s", repeats, "no notebook re-executed")
        add("pipeline", "cold / rerun", cold[1] / rerun, "ratio", repeats)
    if "book" in groups:
        started("book")
        book = median_of(lambda: _timed(book_command(rebuild_all=True)), repeats)
        add("book", "book build alone (all pages)", book, "s", repeats)
        _run(["make", "book"])  # brings the stamps up to date after the runs above
        noop = median_of(lambda: _timed(["make", "book"]), repeats)
        add("book", "make book with nothing changed", noop, "s", repeats, "goal: under 1.5 s")

    if "escala" in groups:
        started("escala")
        procs = processes or os.cpu_count() or 1
        runs = {}
        # the lightest parent first: ru_maxrss is the parent's peak over its whole life so far
        for name, n, sched in [(f"{procs} processes", procs, "processes"),
                               (f"LocalCluster, {procs} workers", procs, "dask"), ("1 process", 1, "processes")]:
            before = os.getloadavg()[0]
            runs[name] = sc = bench_scale(scale_words, n, scheduler=sched)
            add("escala", f"load average (1 min) before, {name}", before, "load", 1)
            add("escala", f"load average (1 min) after, {name}", os.getloadavg()[0], "load", 1)
            note = f"{name}, {int(sc['chunks'])} chunk(s) of up to {SCALE_CHUNK_WORDS:,} words"
            add("escala", f"throughput, {name}", sc["words_per_s"], "words/s", 1, note)
            add("escala", f"wall time, {name}", sc["wall_s"], "s", 1, f"{sc['words']:,.0f} generated words")
            add("escala", f"peak RSS total, {name}", sc["rss_total_peak_mb"], "MB", 1,
                f"parent {sc['rss_parent_peak_mb']:,.1f} MB + workers {sc['rss_workers_peak_mb']:,.1f} MB; "
                "goal: under 1,500 MB")
        one = runs["1 process"]
        add("escala", "words coded", one["words"], "words", 1, "the same generated corpus in every run")
        add("escala", "segments coded", one["segments"], "segments", 1)
        add("escala", "codes assigned", one["codings"], "codes", 1)
        same = all(runs[n]["segments"] == one["segments"] and runs[n]["codings"] == one["codings"] for n in runs)
        if not same:
            raise BenchError("the scale runs coded different numbers of segments or codes: "
                             + "; ".join(f"{n}: {r['segments']:,.0f} segments, {r['codings']:,.0f} codes"
                                         for n, r in runs.items()))
        for name in (f"{procs} processes", f"LocalCluster, {procs} workers"):
            add("escala", f"throughput {name} / 1 process", runs[name]["words_per_s"] / one["words_per_s"], "ratio", 1)
            add("escala", f"peak RSS {name} / 1 process", runs[name]["rss_total_peak_mb"] / one["rss_total_peak_mb"],
                "ratio", 1)
        ended("escala")

    if "nlp" in groups:
        started("nlp")
        coding = [bench_coding(n_words=coding_words, repeats=1) for _ in range(repeats)]
        bare = statistics.median(c["bare_wps"] for c in coding)
        coded = statistics.median(c["coding_wps"] for c in coding)
        add("nlp", "bare spaCy pass", bare, "words/s", repeats, f"{int(coding[0]['words']):,} generated words")
        add("nlp", "segmentation + coding", coded, "words/s", repeats)
        add("nlp", "coding time / bare spaCy time", bare / coded, "ratio", repeats, "goal: under 1.25")

    if "sdg" in groups:
        started("sdg")
        sdg = [bench_classify_targets(sdg_texts) for _ in range(repeats)]
        goal_tps = statistics.median(s["goal_texts_per_s"] for s in sdg)
        target_tps = statistics.median(s["target_texts_per_s"] for s in sdg)
        add("sdg", "classification throughput", goal_tps, "texts/s", repeats, f"{sdg_texts:,} short texts, goals only")
        add("sdg", "goal + target classification throughput", target_tps, "texts/s", repeats,
            f"{sdg_texts:,} short texts, 169 targets")
        add("sdg", "goal + target time / goal-only time", statistics.median(s["ratio"] for s in sdg), "ratio", repeats,
            "goal: under 2")

    if "partners" in groups:
        started("partners")
        part = [bench_partners() for _ in range(repeats)]
        add("partners", "finder build", statistics.median(p["build_seconds"] for p in part), "s", repeats)
        add("partners", "recommendation latency (median)", statistics.median(p["median_latency_ms"] for p in part),
            "ms", repeats, f"{part[0]['n_queries']} queries each; goal: under 10 ms")
        chapters = median_of(lambda: _timed([py, "-m", "analysis", "run", "--force", "06", "07"]), cold_repeats)
        add("partners", "chapters 6 and 7, cold run", chapters, "s", cold_repeats,
            "evaluation over 20 seeds and the page's data included; goal: under 60 s")

    measured = ", ".join(groups)
    kb_self = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    kb_children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    add("memory", "peak RSS, benchmark process", kb_self / 1024, "MB", 1, f"run measuring {measured}")
    if kb_children:
        add("memory", "peak RSS, largest command started", kb_children / 1024, "MB", 1, f"run measuring {measured}")
    add("machine", "cores", float(os.cpu_count() or 0), "cores", 1, f"Python {platform.python_version()}")
    return rows


def merge_rows(new: list[dict[str, object]], path: Path = BENCH_CSV) -> list[dict[str, object]]:
    """The table after a run: the new rows replace every old row of the groups they measured.

    ``memory`` rows belong to the run that wrote them: a run replaces them (their note names the
    groups measured). Rows come out in the order of :data:`GROUPS`, then ``memory`` and ``machine``.
    """
    old: list[dict[str, object]] = []
    if path.exists():
        with path.open(encoding="utf-8", newline="") as fh:
            reader = csv.DictReader(fh)
            if reader.fieldnames != FIELDS:
                raise BenchError(f"{path}: columns {reader.fieldnames}, expected {FIELDS}; "
                                 "move it aside and run `python -m analysis bench` with every group.")
            old = list(reader)
    replaced = {r["group"] for r in new} | {"memory", "machine"}
    rows = [r for r in old if r["group"] not in replaced] + new
    order = {g: i for i, g in enumerate((*GROUPS, "memory", "machine"))}
    unknown = sorted({str(r["group"]) for r in rows} - set(order))
    if unknown:
        raise BenchError(f"{path}: unknown group(s) {unknown}; expected {', '.join(order)}.")
    return sorted(rows, key=lambda r: order[str(r["group"])])


def write_rows(rows: list[dict[str, object]], path: Path = BENCH_CSV) -> Path:
    """Write the table atomically (a temporary file renamed), so a failed run leaves the old one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=FIELDS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    tmp.replace(path)
    return path


def bench_classify(n: int = 5000) -> dict[str, float]:
    """Classify ``n`` short texts (the validation sentences, repeated) and measure throughput."""
    if n < 1:
        raise ValueError(f"the number of texts must be at least 1, got {n}.")
    base = read_validation()["text"].tolist()
    texts = [base[i % len(base)] for i in range(n)]
    d = load_sdg_dictionary()
    load_nlp(DISABLE)
    start = time.perf_counter()
    classify_texts(texts, d)
    seconds = time.perf_counter() - start
    return {"texts": float(n), "seconds": seconds, "texts_per_s": n / seconds if seconds else float("inf")}


def bench_classify_targets(n: int = 2000) -> dict[str, float]:
    """Goal-only and goal + target classification of the same ``n`` texts, one after the other.

    Both passes include the spaCy pass; the knowledge bases are loaded before timing. ``ratio`` is the
    goal + target time over the goal-only time.
    """
    if n < 1:
        raise ValueError(f"the number of texts must be at least 1, got {n}.")
    base = read_validation()["text"].tolist()
    texts = [base[i % len(base)] for i in range(n)]
    d = load_sdg_dictionary()
    load_nlp(DISABLE)
    load_target_index()
    classify_targets(texts[:20], d)  # warm the pipeline
    t0 = time.perf_counter()
    classify_texts(texts, d)
    goal_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    classify_targets(texts, d)
    target_s = time.perf_counter() - t0
    return {"texts": float(n), "goal_texts_per_s": n / goal_s, "target_texts_per_s": n / target_s, "ratio": target_s / goal_s}


# ---------------------------------------------------------------------- speed
def bench_partners(n_queries: int = 200, top: int = 10) -> dict[str, Any]:
    """Build the finder from the processed tables (weights of notebook 06) and time it; median latency of
    ``n_queries`` queries."""
    links, munis, prof, cov = read_links(), read_processed(), profiles_or_build(), covariates_or_build()
    graph = read_gexf(require("wikidata_hermanamientos"))
    airports = read_airports(require("openflights_airports"))
    routes, _ = read_routes(require("openflights_routes"), airports)
    weights = pd.read_csv(paths.PROCESSED / "partner_finder_weights.csv", dtype=str, keep_default_na=False)
    t0 = time.perf_counter()
    finder, _ = partner_finder.build_foreign_finder(links, graph, munis, prof, cov, airports=airports, routes=routes)
    partner_finder.set_weights(finder, weights)
    build = time.perf_counter() - t0
    step = max(1, len(finder.codes) // n_queries)
    queries = finder.codes[::step][:n_queries]
    lat = []
    for code in queries:
        t = time.perf_counter()
        finder.recommend(code, top=top)
        lat.append(time.perf_counter() - t)
    return {"build_seconds": round(build, 3), "median_latency_ms": round(1000 * float(np.median(lat)), 2),
            "p95_latency_ms": round(1000 * float(np.quantile(lat, 0.95)), 2), "n_queries": len(queries)}

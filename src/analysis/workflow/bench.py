"""``python -m analysis bench``: measure the compendium's costs and write book/benchmarks.csv.

Every figure is a median over repeats measured in one run (the machine is shared and noisy, so
ratios measured together are more telling than absolute times). Measured:

- the cold pipeline (every notebook executed, ``run --force``) and a rerun with nothing changed;
- the book build alone (all pages rewritten);
- interview coding throughput against the bare spaCy pass over the same text (ratio);
- SDG classification throughput: goals only, and goals + targets as a ratio to it;
- partner-finder index build time and recommendation latency;
- peak resident memory of this process and of the commands it started;
- optionally (``--scale-words N``), coding of a large generated corpus in 1 process, in
  ``--processes`` worker processes and on a local Dask cluster of as many workers: wall time,
  words/s and peak resident memory (parent + workers), and the ratios to one process.
"""

from __future__ import annotations

import csv
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from analysis import paths
from analysis.analyses.partners import PartnerIndex
from analysis.analyses.sdg import DISABLE, classify_texts, load_sdg_dictionary, read_validation
from analysis.analyses.sdg_targets import classify_targets, load_target_index
from analysis.features.profiles import profiles_or_build
from analysis.tables.municipalities import read_processed
from analysis.tables.store import read_twinnings
from analysis.util.nlp import load_nlp
from analysis.workflow.scale import bench_coding, bench_scale

BENCH_CSV = paths.BOOK / "benchmarks.csv"
FIELDS = ["group", "metric", "value", "unit", "repeats", "note"]


def _timed(cmd: list[str]) -> float:
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=paths.ROOT, capture_output=True, text=True)
    elapsed = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"benchmark command failed: {' '.join(cmd)}\n{proc.stderr[-2000:]}")
    return elapsed


def median_of(fn: Callable[[], float], repeats: int) -> float:
    return statistics.median(fn() for _ in range(repeats))


def book_command(rebuild_all: bool = True) -> list[str]:
    exe = Path(sys.executable).with_name("jupyter-book")
    cmd = [str(exe), "build", ".", "--config", "book/_config.yml", "--toc", "book/_toc.yml", "--path-output", "book",
           "-W", "-n", "--keep-going"]
    return [*cmd, "--all"] if rebuild_all else cmd


def run_benchmarks(repeats: int = 3, cold_repeats: int = 1, coding_words: int = 50_000,
                   sdg_texts: int = 2000, skip_pipeline: bool = False, log: Callable[[str], None] = print,
                   scale_words: int = 0, processes: int | None = None) -> list[dict[str, object]]:
    """Run every benchmark; return the rows written to book/benchmarks.csv.

    ``scale_words`` > 0 adds the large-corpus measurement (group ``escala``): a generated corpus of
    that many words coded, streamed, once each in ``processes`` worker processes (default: every
    core), on a Dask ``LocalCluster`` of as many workers (needs the ``dask`` extra) and in one
    process. It runs before the in-process measurements so the parent's peak RSS is its own.
    """
    rows: list[dict[str, object]] = []

    def add(group: str, metric: str, value: float, unit: str, n: int, note: str = "") -> None:
        rows.append({"group": group, "metric": metric, "value": round(value, 3), "unit": unit, "repeats": n, "note": note})
        log(f"{group:<12} {metric:<44} {value:>12,.3f} {unit:<10} (n={n}) {note}")

    py = sys.executable
    if not skip_pipeline:
        cold = median_of(lambda: _timed([py, "-m", "analysis", "run", "--force", "-j", "1"]), cold_repeats)
        add("pipeline", "cold run (every notebook executed)", cold, "s", cold_repeats)
        rerun = median_of(lambda: _timed([py, "-m", "analysis", "run"]), repeats)
        add("pipeline", "rerun with nothing changed", rerun, "s", repeats, "no notebook re-executed")
        add("pipeline", "cold / rerun", cold / rerun, "ratio", repeats)
        book = median_of(lambda: _timed(book_command(rebuild_all=True)), repeats)
        add("book", "book build alone (all pages)", book, "s", repeats)

    if scale_words > 0:
        procs = processes or os.cpu_count() or 1
        runs = {}
        # the lightest parent first: ru_maxrss is the parent's peak over its whole life so far
        for name, n, sched in [(f"{procs} processes", procs, "processes"),
                               (f"LocalCluster, {procs} workers", procs, "dask"), ("1 process", 1, "processes")]:
            runs[name] = sc = bench_scale(scale_words, n, scheduler=sched)
            note = f"{name}, {int(sc['chunks'])} chunk(s) of up to 50,000 words"
            add("escala", f"throughput, {name}", sc["words_per_s"], "words/s", 1, note)
            add("escala", f"wall time, {name}", sc["wall_s"], "s", 1, f"{sc['words']:,.0f} generated words")
            add("escala", f"peak RSS total, {name}", sc["rss_total_peak_mb"], "MB", 1,
                f"parent {sc['rss_parent_peak_mb']:,.1f} MB + workers {sc['rss_workers_peak_mb']:,.1f} MB; "
                "goal: under 1,500 MB")
        one = runs["1 process"]
        for name in (f"{procs} processes", f"LocalCluster, {procs} workers"):
            add("escala", f"throughput {name} / 1 process", runs[name]["words_per_s"] / one["words_per_s"], "ratio", 1)
            add("escala", f"peak RSS {name} / 1 process", runs[name]["rss_total_peak_mb"] / one["rss_total_peak_mb"],
                "ratio", 1)

    coding = [bench_coding(n_words=coding_words, repeats=1) for _ in range(repeats)]
    bare = statistics.median(c["bare_wps"] for c in coding)
    coded = statistics.median(c["coding_wps"] for c in coding)
    add("nlp", "bare spaCy pass", bare, "words/s", repeats, f"{int(coding[0]['words']):,} generated words")
    add("nlp", "segmentation + coding", coded, "words/s", repeats)
    add("nlp", "coding time / bare spaCy time", bare / coded, "ratio", repeats, "goal: under 1.25")

    sdg = [bench_classify_targets(sdg_texts) for _ in range(repeats)]
    goal_tps = statistics.median(s["goal_texts_per_s"] for s in sdg)
    target_tps = statistics.median(s["target_texts_per_s"] for s in sdg)
    add("sdg", "classification throughput", goal_tps, "texts/s", repeats, f"{sdg_texts:,} short texts, goals only")
    add("sdg", "goal + target classification throughput", target_tps, "texts/s", repeats,
        f"{sdg_texts:,} short texts, 169 targets")
    add("sdg", "goal + target time / goal-only time", statistics.median(s["ratio"] for s in sdg), "ratio", repeats,
        "goal: under 2")

    part = [bench_partners() for _ in range(repeats)]
    add("partners", "index build", statistics.median(p["build_seconds"] for p in part), "s", repeats)
    add("partners", "recommendation latency (median)", statistics.median(p["median_latency_ms"] for p in part), "ms",
        repeats, f"{part[0]['n_queries']} queries each")

    kb_self = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    kb_children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    add("memory", "peak RSS, benchmark process", kb_self / 1024, "MB", 1)
    if not skip_pipeline:
        add("memory", "peak RSS, largest command started", kb_children / 1024, "MB", 1, "pipeline, kernels, book")
    add("machine", "cores", float(os.cpu_count() or 0), "cores", 1, f"Python {platform.python_version()}")
    return rows


def write_rows(rows: list[dict[str, object]], path: Path = BENCH_CSV) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=FIELDS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return path


def bench_classify(n: int = 5000) -> dict[str, float]:
    """Classify ``n`` short texts (the validation sentences, repeated) and measure throughput."""
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
    """Build the index from the processed tables and time it; median latency of ``n_queries`` queries."""
    tw, munis, prof = read_twinnings(), read_processed(), profiles_or_build()
    t0 = time.perf_counter()
    index = PartnerIndex.build(tw, munis, prof)
    build = time.perf_counter() - t0
    step = max(1, len(index.codes) // n_queries)
    queries = index.codes[::step][:n_queries]
    lat = []
    for code in queries:
        t = time.perf_counter()
        index.recommend(code, top=top)
        lat.append(time.perf_counter() - t)
    return {"build_seconds": round(build, 3), "median_latency_ms": round(1000 * float(np.median(lat)), 2),
            "p95_latency_ms": round(1000 * float(np.quantile(lat, 0.95)), 2), "n_queries": len(queries)}

"""Coding at scale: a deterministic synthetic corpus, chunked, coded in worker processes; measured memory.

Owns: the generated corpus used by the benchmarks (``generate_corpus``, ``generate_chunk``), the
chunk unit of work (``code_chunk``, ``code_partition`` for other schedulers such as Dask's
``map_partitions``) and the runner ``code_corpus_parallel`` (a process pool, or a Dask cluster through
:mod:`analysis.workflow.parallel`).

May import: ``analysis.paths``, ``analysis.ingest``, ``analysis.analyses.qda``; never ``cli``.
"""

from __future__ import annotations

import gc
import os
import resource
import time
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, cast

import numpy as np
import psutil

from analysis import paths
from analysis.analyses.qda.codebook import load_codebook
from analysis.analyses.qda.coder import CODE_COLUMNS, Coder, coded_rows
from analysis.ingest.transcripts import Transcript, Turn, load_corpus
from analysis.util.procs import die_with_parent
from analysis.workflow.parallel import Runner, proc_peak_mb

#: Words per chunk of the generated corpus, and the seed it is generated from by default.
SCALE_CHUNK_WORDS = 50_000
SCALE_SEED = 0


def generate_corpus(n_words: int, seed: int = SCALE_SEED, base: Sequence[Transcript] | None = None) -> Iterator[Transcript]:
    """A deterministic synthetic corpus of about ``n_words`` informant words, streamed.

    Sentences of ``base`` (default: the demonstration transcripts) are shuffled into new
    one-turn-per-paragraph transcripts of about 400 words, so memory does not grow with n_words.
    """

    base = list(base) if base is not None else load_corpus(paths.INTERVIEWS / "transcripts")
    sentences = [s.strip() + "." for t in base for turn in t.turns if not turn.is_interviewer
                 for s in turn.text.split(". ") if len(s.split()) > 3]
    rng = np.random.default_rng(seed)
    produced, k = 0, 0
    meta = {"informant_role": "generado", "synthetic": True}
    while produced < n_words:
        k += 1
        turns, words = [], 0
        while words < 400 and produced + words < n_words:
            picks = rng.choice(len(sentences), size=4)
            text = " ".join(sentences[i] for i in picks)
            turns.append(Turn("I", text, 0))
            words += len(text.split())
        produced += words
        yield Transcript(id=f"GEN-{k:06d}", meta=meta, turns=tuple(turns), source="generated")


def _rss_mb() -> float:

    return float(psutil.Process().memory_info().rss / 2**20)


def bench_coding(n_words: int = 20_000, seed: int = 0, codebook: Path | None = None,
                 batch_size: int = 64, repeats: int = 2) -> dict[str, float]:
    """Words per second of the bare spaCy pass (nlp.pipe) and of segmentation + coding.

    Times are CPU seconds of this process (time.process_time), robust to other load on the
    machine. Both stream the same generated corpus; the runs alternate (bare, coding, ...) and the
    fastest of ``repeats`` is kept for each, which damps noise from other processes. Returns
    bare_wps, coding_wps, overhead_pct (extra time of coding over the bare pass), RSS at start and
    peak RSS during the coding runs (MB), and the counts.
    """

    if n_words < 1 or repeats < 1:
        raise ValueError(f"n_words must be at least 1 (got {n_words}) and repeats at least 1 (got {repeats}).")
    cb = load_codebook(codebook or paths.INTERVIEWS / "codebook.yml")
    coder = Coder(cb, batch_size=batch_size)
    nlp = coder.nlp
    list(nlp.pipe(["Calentamiento del modelo antes de medir."] * 8))
    gc.collect()

    def texts() -> Iterator[str]:
        for t in generate_corpus(n_words, seed):
            for turn in t.turns:
                yield turn.text

    words = sum(len(x.split()) for x in texts())
    bare, coding = float("inf"), float("inf")
    rss0, peak, n_seg, n_codes = _rss_mb(), 0.0, 0, 0
    for _ in range(repeats):
        t0 = time.process_time()
        for _doc in nlp.pipe(texts(), batch_size=batch_size):
            pass
        bare = min(bare, time.process_time() - t0)
        n_seg = n_codes = 0
        t0 = time.process_time()
        for i, (_seg, codes) in enumerate(coder.iter_coded(generate_corpus(n_words, seed))):
            n_seg += 1
            n_codes += len(codes)
            if i % 2000 == 0:
                peak = max(peak, _rss_mb())
        coding = min(coding, time.process_time() - t0)
    peak = max(peak, _rss_mb())
    return {"words": float(words), "bare_wps": round(words / bare, 1), "coding_wps": round(words / coding, 1),
            "overhead_pct": round(100 * (coding - bare) / bare, 1), "rss_start_mb": round(rss0, 1),
            "rss_peak_mb": round(peak, 1), "segments": float(n_seg), "codings": float(n_codes)}


def generate_chunk(index: int, chunk_words: int, seed: int = SCALE_SEED,
                   base: Sequence[Transcript] | None = None) -> Iterator[Transcript]:
    """Chunk ``index`` of a chunked generated corpus: about ``chunk_words`` words, streamed.

    The chunk depends only on ``(seed, index)`` (its random stream is seeded with both), so a
    worker process can build it from two integers and nothing large crosses process boundaries.
    Transcript ids carry the chunk index (``GEN-<chunk>-<k>``) and are unique across chunks.
    """
    for k, t in enumerate(generate_corpus(chunk_words, seed=_chunk_seed(seed, index), base=base), start=1):
        yield Transcript(id=f"GEN-{index:05d}-{k:04d}", meta=t.meta, turns=t.turns, source=t.source)


def _chunk_seed(seed: int, index: int) -> int:
    return int(np.random.SeedSequence([seed, index]).generate_state(1)[0])


def chunk_sizes(n_words: int, chunk_words: int) -> list[int]:
    """Word budget of each chunk: full chunks of ``chunk_words`` and a last, smaller one."""
    if n_words <= 0 or chunk_words <= 0:
        raise ValueError("n_words and chunk_words must be positive")
    full, rest = divmod(n_words, chunk_words)
    return [chunk_words] * full + ([rest] if rest else [])


def generate_chunked_corpus(n_words: int, seed: int = SCALE_SEED, chunk_words: int = SCALE_CHUNK_WORDS,
                            base: Sequence[Transcript] | None = None) -> Iterator[Transcript]:
    """The whole chunked corpus in one stream (what :func:`code_corpus_parallel` codes in parallel)."""
    base = list(base) if base is not None else None
    for i, size in enumerate(chunk_sizes(n_words, chunk_words)):
        yield from generate_chunk(i, size, seed, base)


def _peak_rss_mb() -> float:
    """Peak resident memory of this process so far (ru_maxrss, kB on Linux)."""

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


_WORKER: dict[str, object] = {}


def _init_worker(codebook: str | None, batch_size: int, base_dir: str | None) -> None:
    """Pool initializer: load the spaCy model, the codebook and the base sentences once per worker."""

    cb = load_codebook(Path(codebook) if codebook else paths.INTERVIEWS / "codebook.yml")
    _WORKER["coder"] = Coder(cb, batch_size=batch_size)
    _WORKER["base"] = load_corpus(Path(base_dir) if base_dir else paths.INTERVIEWS / "transcripts")


def _init_pool_worker(parent: int, codebook: str | None, batch_size: int, base_dir: str | None) -> None:
    """Initializer of the process pool's workers: end with the parent, then :func:`_init_worker`."""
    die_with_parent(parent)
    _init_worker(codebook, batch_size, base_dir)


def code_chunk(coder: Coder, index: int, chunk_words: int, seed: int,
               base: Sequence[Transcript] | None = None) -> dict[str, object]:
    """Generate and code chunk ``index``; return its counts and coded rows (CODE_COLUMNS tuples).

    This is the unit of work of every parallel back end (a process pool here, a Dask cluster in
    the book): it needs only integers as input and returns plain Python objects.
    """
    words = segments = 0
    rows: list[tuple[object, ...]] = []
    def counted() -> Iterator[Transcript]:
        nonlocal words
        for t in generate_chunk(index, chunk_words, seed, base):
            words += sum(len(turn.text.split()) for turn in t.turns)
            yield t
    for seg, codes in coder.iter_coded(counted()):
        segments += 1
        rows.extend(coded_rows(seg, codes))
    return {"index": index, "words": words, "segments": segments, "rows": rows}


def _work(task: tuple[int, int, int]) -> dict[str, object]:

    index, chunk_words, seed = task
    out = code_chunk(_WORKER["coder"], index, chunk_words, seed, _WORKER["base"])  # type: ignore[arg-type]
    out.update(pid=os.getpid(), rss_mb=_rss_mb(), peak_rss_mb=_peak_rss_mb())
    return out


def _work_cached(task: tuple[int, int, int, str | None, int]) -> dict[str, object]:
    """Unit of work on a Dask worker: the coder is built on the worker's first chunk and kept."""
    index, chunk_words, seed, codebook, batch_size = task
    if "coder" not in _WORKER:
        _init_worker(codebook, batch_size, None)
    return _work((index, chunk_words, seed))


def code_corpus_parallel(n_words: int, processes: int, out: Path | None, seed: int, chunk_words: int = SCALE_CHUNK_WORDS,
                         codebook: Path | None = None, batch_size: int = 64, context: str = "spawn",
                         scheduler: str = "processes", address: str | None = None) -> dict[str, float]:
    """Code a generated corpus of ``n_words`` words in ``processes`` worker processes, streaming.

    The corpus is split into chunks of ``chunk_words`` words; each worker (spawn or forkserver
    context; the spaCy model and codebook are loaded once per worker by the pool initializer)
    generates chunk *i* from ``(seed, i)`` and codes it. Results arrive in chunk order
    (``imap``) and, when ``out`` is given, their rows are appended to a CSV (CODE_COLUMNS)
    as they arrive; the file is written beside ``out`` and renamed at the end, and is
    byte-identical for the same arguments whatever the number of processes. Memory stays flat:
    the parent holds at most a few chunks' rows, each worker one chunk.

    With ``processes=1`` the chunks are coded in this process (no pool), for comparison.
    ``scheduler="dask"`` sends the same chunks to a Dask cluster instead: a ``LocalCluster`` of
    ``processes`` single-threaded worker processes, started and closed here, or the scheduler at
    ``address`` (see :class:`analysis.workflow.parallel.Runner`); the output is the same.

    Returns words, segments, codings, chunks, wall seconds, words/s and measured memory: the
    parent's peak RSS (ru_maxrss), each worker's peak RSS as reported by the worker with its
    results (and, on Linux, read from /proc before the pool closes, so a worker that received no
    chunk is counted too), their sum, and the total (parent + workers), in MB.
    """
    import contextlib
    import csv
    import multiprocessing as mp

    if processes < 1:
        raise ValueError("processes must be at least 1")
    if context not in ("spawn", "forkserver"):
        raise ValueError("context must be 'spawn' or 'forkserver' (fork is unsafe with spaCy's threads)")
    tasks = [(i, size, seed) for i, size in enumerate(chunk_sizes(n_words, chunk_words))]
    totals = {"words": 0, "segments": 0, "codings": 0}
    worker_peaks: dict[int, float] = {}
    tmp = out.with_name(out.name + ".part") if out is not None else None

    def consume(results: Iterable[dict[str, object]], writer: Any) -> None:
        for res in results:
            rows = cast("list[tuple[object, ...]]", res["rows"])
            totals["words"] += cast(int, res["words"])
            totals["segments"] += cast(int, res["segments"])
            totals["codings"] += len(rows)
            if writer is not None:
                writer.writerows(rows)
            if "pid" in res:
                pid = cast(int, res["pid"])
                worker_peaks[pid] = max(worker_peaks.get(pid, 0.0), cast(float, res["peak_rss_mb"]))

    t0 = time.perf_counter()
    with contextlib.ExitStack() as stack:
        if tmp is not None:  # a failed run leaves no partial file
            stack.push(lambda kind, _exc, _tb: tmp.unlink(missing_ok=True) if kind is not None else None)
        writer = None
        if tmp is not None:
            tmp.parent.mkdir(parents=True, exist_ok=True)
            writer = csv.writer(stack.enter_context(tmp.open("w", newline="", encoding="utf-8")), lineterminator="\n")
            writer.writerow(CODE_COLUMNS)
        if scheduler == "dask":
            runner = stack.enter_context(Runner(processes, "dask", address))
            dask_tasks = ((i, size, s, str(codebook) if codebook else None, batch_size) for i, size, s in tasks)
            consume(runner.map(_work_cached, dask_tasks), writer)
            # the cluster's own view replaces the workers' reports: every worker process started
            # here (local cluster) or every worker of the remote cluster
            worker_peaks.clear()
            worker_peaks.update({k: peak for k, peak in enumerate(runner.worker_peaks_mb().values())})
        elif processes == 1:
            coder = Coder(load_codebook(codebook or paths.INTERVIEWS / "codebook.yml"), batch_size=batch_size)
            base = load_corpus(paths.INTERVIEWS / "transcripts")
            consume((code_chunk(coder, i, size, s, base) for i, size, s in tasks), writer)
        else:
            pool = stack.enter_context(mp.get_context(context).Pool(
                processes, initializer=_init_pool_worker,
                initargs=(os.getpid(), str(codebook) if codebook else None, batch_size, None)))
            consume(pool.imap(_work, tasks, chunksize=1), writer)
            for child in mp.active_children():  # workers that got no chunk hold the model too
                peak = proc_peak_mb(child.pid)
                if child.pid is not None and peak is not None:
                    worker_peaks[child.pid] = max(worker_peaks.get(child.pid, 0.0), peak)
    wall = time.perf_counter() - t0
    if tmp is not None and out is not None:
        tmp.replace(out)
    parent = _peak_rss_mb()
    workers = sum(worker_peaks.values())
    return {"words": float(totals["words"]), "segments": float(totals["segments"]),
            "codings": float(totals["codings"]), "chunks": float(len(tasks)), "processes": float(processes),
            "wall_s": round(wall, 2), "words_per_s": round(totals["words"] / wall, 1),
            "rss_parent_peak_mb": round(parent, 1), "rss_workers_peak_mb": round(workers, 1),
            "rss_worker_max_mb": round(max(worker_peaks.values(), default=0.0), 1),
            "rss_total_peak_mb": round(parent + workers, 1)}


def code_partition(tasks: Iterable[tuple[int, int]], seed: int, codebook: str | None = None) -> list[dict[str, object]]:
    """Code chunks ``(index, words)`` in this process: one dict (CODE_COLUMNS) per coding.

    The unit of work for other schedulers, e.g. Dask's ``bag.map_partitions``: the model and
    the codebook are loaded once per process and reused by later partitions.
    """
    if "coder" not in _WORKER:
        _init_worker(codebook, 64, None)
    out: list[dict[str, object]] = []
    for index, size in tasks:
        res = code_chunk(_WORKER["coder"], index, size, seed, _WORKER["base"])  # type: ignore[arg-type]
        out.extend(dict(zip(CODE_COLUMNS, row, strict=True)) for row in res["rows"])  # type: ignore[attr-defined]
    return out


def bench_scale(n_words: int, processes: int, seed: int = SCALE_SEED, chunk_words: int = SCALE_CHUNK_WORDS,
                out: Path | None = None, scheduler: str = "processes") -> dict[str, float]:
    """Measure :func:`code_corpus_parallel` on a generated corpus (no output file unless ``out``)."""
    return code_corpus_parallel(n_words, processes, out, seed, chunk_words=chunk_words, scheduler=scheduler)

"""Coding a real corpus in chunks on worker processes or a Dask cluster, with results in input order.

Owns: the runner (:class:`Runner`: a spawn-context process pool, a local Dask cluster started and
closed here, or a remote Dask scheduler given by its address), the chunkers of a transcript stream
and of a list of texts, and the chunk functions the workers run (:func:`code_transcripts` for
``python -m analysis code``, :func:`classify_chunk` for ``python -m analysis sdg classify``).

The parent reads, validates and (for transcripts) pseudonymises the corpus, cuts it into chunks and
keeps at most ``2 x workers`` chunks in flight; results are yielded in chunk order whatever the
order in which workers finish, so the output is byte-identical to a run in one process. Each worker
loads the spaCy model, the codebook's matchers or the ODS knowledge bases once, on its first chunk,
and reuses them for later chunks.

May import: ``analysis.paths``, ``analysis.ingest``, ``analysis.analyses``; never ``cli``.
"""

from __future__ import annotations

import collections
import concurrent.futures
import concurrent.futures.process
import hashlib
import logging
import multiprocessing as mp
import os
import pickle
import resource
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import psutil

from analysis.analyses.qda.codebook import Codebook
from analysis.analyses.qda.coder import Coder, Segment
from analysis.analyses.sdg import load_sdg_dictionary
from analysis.analyses.sdg_targets import classify_targets, load_target_index
from analysis.ingest.transcripts import Transcript
from analysis.util.procs import die_with_parent

SCHEDULERS = ("processes", "dask")
#: Words of transcript text per chunk sent to a worker (whole transcripts; a long one is a chunk alone).
CHUNK_WORDS = 20_000
#: Texts per chunk for the ODS classifier.
CHUNK_ROWS = 200
#: Seconds to wait for a remote Dask scheduler before giving up.
CONNECT_TIMEOUT_S = 20
#: Seconds to wait for a remote Dask scheduler to have at least one worker before giving up.
WORKER_TIMEOUT_S = 30
#: Memory one worker needs (spaCy model, matchers or ODS knowledge bases, a chunk), in MB: --jobs is
#: capped so that the workers fit in the memory available.
WORKER_MEMORY_MB = 400
DASK_HINT = "install them with: pip install 'analysis[dask]'"


class SchedulerError(RuntimeError):
    """The requested scheduler cannot run; the message says why and what to do."""


# ------------------------------------------------------------------------------------------ runner

def _stderr(message: str) -> None:
    print(message, file=sys.stderr)


def _dask() -> Any:
    """The ``distributed`` module, or a clear error when the optional extra is not installed."""
    try:
        import distributed
    except ImportError as exc:
        raise SchedulerError(f"--scheduler dask needs the packages dask and distributed, which are not installed; "
                             f"{DASK_HINT}") from exc
    return distributed


def check_options(jobs: int, scheduler: str, address: str | None) -> None:
    """Validate --jobs, --scheduler and --address together (raises ValueError naming the option)."""
    if not isinstance(jobs, int) or jobs < 1:
        raise ValueError(f"--jobs must be a whole number of at least 1, got {jobs!r}.")
    if scheduler not in SCHEDULERS:
        raise ValueError(f"--scheduler must be one of {', '.join(SCHEDULERS)}, got {scheduler!r}.")
    if address is not None:
        if scheduler != "dask":
            raise ValueError("--address names a Dask scheduler; use it with --scheduler dask.")
        if "://" not in address:
            raise ValueError(f"--address {address!r} is not a scheduler address; write it as tcp://host:8786.")


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def available_memory_mb() -> float:
    """Memory this process may still use (MB): the system's available memory, or less under a cgroup limit."""
    avail = float(psutil.virtual_memory().available) / 2**20
    try:
        limit = Path("/sys/fs/cgroup/memory.max").read_text(encoding="ascii").strip()
        current = Path("/sys/fs/cgroup/memory.current").read_text(encoding="ascii").strip()
        if limit.isdigit() and current.isdigit():
            avail = min(avail, (int(limit) - int(current)) / 2**20)
    except OSError:
        pass
    return max(0.0, avail)


def usable_jobs(jobs: int) -> tuple[int, str]:
    """(worker processes to start, why): ``jobs`` capped by the cores and by the memory available."""
    cores = _cores()
    memory = available_memory_mb()
    by_memory = max(1, int(memory // WORKER_MEMORY_MB))
    why = (f"{cores} core(s); {memory / 1024:.1f} GB of memory available, about {WORKER_MEMORY_MB} MB per worker")
    return max(1, min(jobs, cores, by_memory)), why


class Runner:
    """Ordered, bounded map of a chunk function over a stream of tasks.

    ``scheduler="processes"``: a pool of ``jobs`` spawn-context worker processes (``jobs=1``: this
    process, no pool). ``scheduler="dask"``: a Dask ``Client`` on the scheduler at ``address``, or,
    without an address, on a ``LocalCluster`` of ``jobs`` worker processes with one thread each,
    started on entry and closed on exit.
    """

    def __init__(self, jobs: int = 1, scheduler: str = "processes", address: str | None = None,
                 report: Callable[[str], None] | None = None) -> None:
        check_options(jobs, scheduler, address)
        if address is None and jobs > 1:
            usable, why = usable_jobs(jobs)
            if usable < jobs:
                (report or _stderr)(f"note: --jobs {jobs} capped at {usable} ({why}).")
                jobs = usable
        self.jobs, self.scheduler, self.address = jobs, scheduler, address
        self._pool: concurrent.futures.ProcessPoolExecutor | None = None
        self._client: Any = None
        self._cluster: Any = None

    def __enter__(self) -> Runner:
        if self.scheduler == "dask":
            distributed = _dask()
            try:
                if self.address is None:
                    self._cluster = distributed.LocalCluster(
                        n_workers=self.jobs, processes=True, threads_per_worker=1, dashboard_address=None,
                        silence_logs=logging.ERROR)
                    self._client = distributed.Client(self._cluster)
                else:
                    self._client = distributed.Client(self.address, timeout=f"{CONNECT_TIMEOUT_S}s")
            except (OSError, TimeoutError) as exc:
                self.__exit__(None, None, None)
                where = f"the Dask scheduler at {self.address}" if self.address else "a local Dask cluster"
                raise SchedulerError(f"could not connect to {where} ({exc}); check that the scheduler is running "
                                     "(dask scheduler) and that its workers have started (dask worker ADDRESS).") from exc
            if self.address is not None:
                try:
                    self._client.wait_for_workers(1, timeout=WORKER_TIMEOUT_S)
                except (OSError, TimeoutError) as exc:
                    self.__exit__(None, None, None)
                    raise SchedulerError(f"the Dask scheduler at {self.address} has no workers after {WORKER_TIMEOUT_S:g} s; "
                                         f"start at least one (dask worker {self.address}) and run again, or leave out "
                                         "--address to start a local cluster") from exc
        elif self.jobs > 1:
            self._pool = concurrent.futures.ProcessPoolExecutor(self.jobs, mp_context=mp.get_context("spawn"),
                                                                initializer=die_with_parent, initargs=(os.getpid(),))
        return self

    def __exit__(self, *exc: object) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
        if self._client is not None:
            self._client.close()
            self._client = None
        if self._cluster is not None:
            self._cluster.close()
            self._cluster = None

    @property
    def workers(self) -> int:
        """Number of worker slots (threads of the Dask workers; processes of the pool)."""
        if self._client is not None:
            return max(1, int(sum(self._client.nthreads().values())))
        return self.jobs

    def map(self, fn: Callable[[Any], Any], tasks: Iterable[Any], hint: str = "fewer --jobs") -> Iterator[Any]:
        """``fn(task)`` for each task, yielded in task order, at most ``2 x workers`` tasks in flight.

        A worker that dies (most often killed by the system for lack of memory) ends the map with a
        :class:`SchedulerError` that says so and suggests ``hint`` (what to lower).
        """
        if self._pool is None and self._client is None:
            for task in tasks:
                yield fn(task)
            return
        window = 2 * self.workers
        pending: collections.deque[Any] = collections.deque()
        try:
            for task in tasks:
                if self._client is not None:
                    pending.append(self._client.submit(fn, task, pure=False))
                else:
                    assert self._pool is not None
                    pending.append(self._pool.submit(fn, task))
                if len(pending) >= window:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()
        except concurrent.futures.process.BrokenProcessPool as exc:
            raise SchedulerError(self._died(hint)) from exc
        except Exception as exc:
            if type(exc).__name__ == "KilledWorker":  # distributed's: a worker died on this task
                raise SchedulerError(self._died(hint)) from exc
            raise

    def _died(self, hint: str) -> str:
        return (f"a worker process died before finishing its chunk, most likely killed by the system for lack of memory "
                f"({self.workers} worker(s), about {WORKER_MEMORY_MB} MB each plus its chunk; "
                f"{available_memory_mb() / 1024:.1f} GB available now); run again with {hint}")

    def worker_peaks_mb(self) -> dict[str, float]:
        """Peak resident memory (MB) of every worker, by worker (call before leaving the block).

        Dask workers report their own peak (so remote workers are measured too); for the process
        pool and a local cluster every process started from this one is read from /proc (Linux); a
        local cluster's scheduler and nannies run inside this process and count in its own peak.
        """
        peaks: dict[str, float] = {}
        if self._client is not None and self._cluster is None:
            return {str(k): float(v) for k, v in self._client.run(peak_rss_mb).items()}
        for child in psutil.Process().children(recursive=True):
            mb = proc_peak_mb(child.pid)
            if mb is not None:
                peaks[str(child.pid)] = mb
        return peaks


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far (ru_maxrss, kB on Linux), in MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def proc_peak_mb(pid: int | None) -> float | None:
    try:
        with Path(f"/proc/{pid}/status").open(encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


# ----------------------------------------------------------------------------------- chunkers

def chunk_transcripts(corpus: Iterable[Transcript], chunk_words: int = CHUNK_WORDS) -> Iterator[list[Transcript]]:
    """Consecutive transcripts, grouped until a group holds at least ``chunk_words`` words."""
    if chunk_words < 1:
        raise ValueError("chunk_words must be at least 1")
    chunk: list[Transcript] = []
    words = 0
    for t in corpus:
        chunk.append(t)
        words += sum(len(turn.text.split()) for turn in t.turns)
        if words >= chunk_words:
            yield chunk
            chunk, words = [], 0
    if chunk:
        yield chunk


def chunk_list(items: Sequence[Any], size: int = CHUNK_ROWS) -> Iterator[Sequence[Any]]:
    if size < 1:
        raise ValueError("size must be at least 1")
    for i in range(0, len(items), size):
        yield items[i:i + size]


# ---------------------------------------------------------------------- worker-side chunk functions

_CACHE: dict[tuple[str, ...], Any] = {}


def codebook_key(codebook: Codebook, batch_size: int) -> str:
    """A fingerprint of the codebook and batch size: workers rebuild their coder only when it changes."""
    return hashlib.sha256(pickle.dumps((codebook, batch_size))).hexdigest()


def code_transcripts(task: tuple[str, Codebook, int, list[Transcript]]) -> list[tuple[Segment, dict[str, list[str]]]]:
    """Worker side of ``analysis code``: segment and code a chunk of (already pseudonymised) transcripts.

    ``task`` is ``(codebook key, codebook, batch size, transcripts)``; the coder (spaCy model and
    matchers) is built on the first chunk a worker receives and kept for the next ones.
    """
    key, codebook, batch_size, transcripts = task
    coder = _CACHE.get(("coder", key))
    if coder is None:
        coder = _CACHE[("coder", key)] = Coder(codebook, batch_size=batch_size)
    return list(coder.iter_coded(transcripts))


def code_stream(corpus: Iterable[Transcript], codebook: Codebook, runner: Runner, batch_size: int = 64,
                chunk_words: int | None = None) -> Iterator[tuple[Segment, dict[str, list[str]]]]:
    """(segment, codes) of every segment of ``corpus``, coded by ``runner``'s workers, in corpus order.

    The same stream as ``Coder(codebook, batch_size=batch_size).iter_coded(corpus)``; the corpus is
    read and chunked in this process, so whatever it does (pseudonymisation, checks) happens here,
    before anything reaches a worker.
    """
    key = codebook_key(codebook, batch_size)
    tasks = ((key, codebook, batch_size, chunk)
             for chunk in chunk_transcripts(corpus, chunk_words if chunk_words is not None else CHUNK_WORDS))
    words = chunk_words if chunk_words is not None else CHUNK_WORDS
    for rows in runner.map(code_transcripts, tasks, hint=f"fewer --jobs or a smaller --batch-size (chunks of about "
                                                        f"{words:,} words, {batch_size} texts per batch)"):
        yield from rows


def classify_chunk(task: tuple[str | None, float, Sequence[str]]) -> pd.DataFrame:
    """Worker side of ``analysis sdg classify``: ``classify_targets`` on a chunk of texts.

    ``task`` is ``(dictionary path or None for the project's, threshold, texts)``; the dictionary,
    the target index and the spaCy model are loaded once per worker. A dictionary path must be
    readable by the workers (on a remote cluster: a shared folder).
    """
    dictionary, threshold, texts = task
    key = ("sdg", dictionary or "")
    kb = _CACHE.get(key)
    if kb is None:
        if dictionary:
            kb = (load_sdg_dictionary(Path(dictionary)), load_target_index(bridge_path=Path(dictionary)))
        else:
            kb = (load_sdg_dictionary(), load_target_index())
        _CACHE[key] = kb
    return classify_targets(list(texts), kb[0], threshold=threshold, index=kb[1])


def classify_stream(texts: Sequence[str], dictionary: Path | None, threshold: float, runner: Runner,
                    chunk_rows: int | None = None) -> Iterator[pd.DataFrame]:
    """The classification of ``texts`` chunk by chunk (``classify_targets`` frames), in input order."""
    rows = chunk_rows if chunk_rows is not None else CHUNK_ROWS
    tasks = ((str(dictionary) if dictionary else None, threshold, chunk) for chunk in chunk_list(texts, rows))
    yield from runner.map(classify_chunk, tasks, hint=f"fewer --jobs or a smaller --chunk-rows (now {rows})")

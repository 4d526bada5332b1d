"""Parallel, streamed coding of a generated corpus: same codings as one process, deterministic output."""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import pytest

from analysis import paths
from analysis.analyses import qda
from analysis.workflow import scale

N_WORDS, CHUNK, SEED = 20_000, 5_000, 7


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[dict[str, float], Path]]:
    """Two runs of the parallel coder with the same arguments (2 processes, 4 chunks)."""
    out = []
    for k in range(2):
        path = tmp_path_factory.mktemp(f"run{k}") / "codings.csv"
        out.append((scale.code_corpus_parallel(N_WORDS, 2, path, SEED, chunk_words=CHUNK), path))
    return out


@pytest.fixture(scope="module")
def single() -> tuple[list[list[str]], int, int]:
    """Rows, segments and words from the single-process Coder over the same chunked corpus."""
    coder = qda.Coder(qda.load_codebook(paths.INTERVIEWS / "codebook.yml"))
    corpus = list(scale.generate_chunked_corpus(N_WORDS, SEED, CHUNK))
    words = sum(len(turn.text.split()) for t in corpus for turn in t.turns)
    rows, segments = [], 0
    for seg, codes in coder.iter_coded(corpus):
        segments += 1
        rows += [[str(v) for v in row] for row in qda.coded_rows(seg, codes)]
    return rows, segments, words


def read_rows(path: Path) -> list[list[str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.reader(fh)
        assert next(reader) == qda.CODE_COLUMNS
        return list(reader)


def test_same_codings_as_single_process(runs: list[tuple[dict[str, float], Path]],
                                        single: tuple[list[list[str]], int, int]) -> None:
    result, path = runs[0]
    rows, segments, words = single
    got = read_rows(path)
    assert len(rows) > 500  # the generated corpus is actually coded
    assert Counter(r[7] for r in got) == Counter(r[7] for r in rows)
    assert got == rows
    assert result["codings"] == len(rows)
    assert result["segments"] == segments
    assert result["words"] == words
    assert result["chunks"] == 4


def test_output_is_deterministic(runs: list[tuple[dict[str, float], Path]]) -> None:
    (_, first), (_, second) = runs
    assert first.read_bytes() == second.read_bytes()
    assert not list(first.parent.glob("*.part"))


def test_memory_is_measured(runs: list[tuple[dict[str, float], Path]]) -> None:
    for result, _ in runs:
        for key in ("rss_parent_peak_mb", "rss_workers_peak_mb", "rss_worker_max_mb", "rss_total_peak_mb"):
            assert result[key] > 0, key
        # a worker holds the spaCy model: it cannot be smaller than a few tens of MB
        assert result["rss_worker_max_mb"] > 50
        # two workers: max <= sum <= 2 x max, up to the 0.1 MB rounding of each reported figure
        assert result["rss_worker_max_mb"] <= result["rss_workers_peak_mb"] <= 2 * result["rss_worker_max_mb"] + 0.2
        assert result["rss_total_peak_mb"] == pytest.approx(result["rss_parent_peak_mb"] + result["rss_workers_peak_mb"],
                                                            abs=0.2)
        assert result["words_per_s"] == pytest.approx(result["words"] / result["wall_s"], rel=0.01)


def test_idle_workers_are_counted() -> None:
    """One chunk for two workers: the worker that coded nothing still holds the model and is measured."""
    result = scale.code_corpus_parallel(2_000, 2, None, SEED, chunk_words=CHUNK)
    assert result["chunks"] == 1
    assert result["rss_workers_peak_mb"] > result["rss_worker_max_mb"] + 50


def test_partition_function_gives_the_same_rows(runs: list[tuple[dict[str, float], Path]]) -> None:
    rows = scale.code_partition([(1, CHUNK), (2, CHUNK)], SEED)
    expected = [r for r in read_rows(runs[0][1]) if r[0].startswith(("GEN-00001-", "GEN-00002-"))]
    assert expected
    assert [[str(r[c]) for c in qda.CODE_COLUMNS] for r in rows] == expected


def test_chunks_depend_only_on_seed_and_index() -> None:
    first = [t.turns for t in scale.generate_chunk(3, 2_000, SEED)]
    again = [t.turns for t in scale.generate_chunk(3, 2_000, SEED)]
    other = [t.turns for t in scale.generate_chunk(4, 2_000, SEED)]
    assert first == again
    assert first != other
    ids = [t.id for t in scale.generate_chunked_corpus(12_000, SEED, 5_000)]
    assert len(ids) == len(set(ids))
    assert ids[0].startswith("GEN-00000-")
    assert ids[-1].startswith("GEN-00002-")
    assert scale.chunk_sizes(12_000, 5_000) == [5_000, 5_000, 2_000]


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="processes"):
        scale.code_corpus_parallel(1_000, 0, None, 0)
    with pytest.raises(ValueError, match="spawn"):
        scale.code_corpus_parallel(1_000, 2, None, 0, context="fork")
    with pytest.raises(ValueError, match="positive"):
        scale.chunk_sizes(0, 100)


@pytest.mark.slow
def test_local_dask_cluster_gives_the_same_bytes(runs: list[tuple[dict[str, float], Path]], tmp_path: Path) -> None:
    """The same chunks on a 2-worker LocalCluster: same file, memory of both workers measured."""
    pytest.importorskip("distributed", reason="distributed is not installed (pip install 'analysis[dask]')")
    path = tmp_path / "dask.csv"
    result = scale.code_corpus_parallel(N_WORDS, 2, path, SEED, chunk_words=CHUNK, scheduler="dask")
    assert path.read_bytes() == runs[0][1].read_bytes()
    assert result["codings"] == runs[0][0]["codings"]
    assert result["chunks"] == 4
    # two workers, each holding the model
    assert result["rss_workers_peak_mb"] > 2 * 50
    assert result["rss_total_peak_mb"] == pytest.approx(result["rss_parent_peak_mb"] + result["rss_workers_peak_mb"],
                                                        abs=0.2)

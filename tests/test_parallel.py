"""``code`` and ``sdg classify`` with --jobs / --scheduler dask: same bytes as one process, privacy kept.

The corpora are the demonstration transcripts (interviews/transcripts), the test fixtures with a
participants register, and 300 texts built from data/curated/ods_validacion.csv. Chunks are made
small so that every run spreads several chunks over the workers.
"""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

import pytest

from analysis import paths
from analysis.analyses.qda import privacy
from analysis.cli import main
from analysis.ingest.transcripts import load_corpus
from analysis.workflow import parallel

FIX = Path(__file__).parent / "fixtures" / "interviews"
TRANSCRIPTS = paths.INTERVIEWS / "transcripts"


def _has_distributed() -> bool:
    try:
        import distributed  # noqa: F401
    except ImportError:
        return False
    return True


needs_dask = pytest.mark.skipif(not _has_distributed(),
                                reason="distributed is not installed (pip install 'analysis[dask]')")


def code(tmp: Path, name: str, *extra: str, source: Path = TRANSCRIPTS) -> tuple[int, Path, Path]:
    out, seg = tmp / f"{name}.csv", tmp / f"{name}_segments.csv"
    status = main(["code", str(source), "--out", str(out), "--segments", str(seg), *extra])
    return status, out, seg


@pytest.fixture(scope="module")
def serial(tmp_path_factory: pytest.TempPathFactory) -> tuple[bytes, bytes]:
    status, out, seg = code(tmp_path_factory.mktemp("serial"), "serial", "--jobs", "1")
    assert status == 0
    return out.read_bytes(), seg.read_bytes()


@pytest.fixture
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> int:
    """Chunks of ~400 words: the demonstration corpus (about 2,700 words) becomes several chunks."""
    monkeypatch.setattr(parallel, "CHUNK_WORDS", 400)
    monkeypatch.setattr(parallel, "CHUNK_ROWS", 37)
    chunks = list(parallel.chunk_transcripts(load_corpus(TRANSCRIPTS), 400))
    assert len(chunks) >= 4
    return len(chunks)


# ------------------------------------------------------------------------------- the runner itself

def test_chunks_keep_order_and_drop_nothing() -> None:
    corpus = load_corpus(TRANSCRIPTS)
    chunks = list(parallel.chunk_transcripts(corpus, 1_500))
    assert [t.id for c in chunks for t in c] == [t.id for t in corpus]
    assert all(c for c in chunks)
    assert [list(c) for c in parallel.chunk_list(list(range(7)), 3)] == [[0, 1, 2], [3, 4, 5], [6]]
    with pytest.raises(ValueError, match="at least 1"):
        list(parallel.chunk_transcripts(corpus, 0))


def test_results_come_back_in_task_order_whatever_finishes_first() -> None:
    """The first task is the slowest; results still arrive in submission order."""
    tasks = [["sh", "-c", f"sleep {s}; echo {k}"] for k, s in enumerate([1.5, 0, 0.5, 0, 0])]
    with parallel.Runner(2) as runner:
        got = [int(r) for r in runner.map(subprocess.check_output, tasks)]
    assert got == [0, 1, 2, 3, 4]


@pytest.mark.parametrize(("jobs", "scheduler", "address", "message"), [
    (0, "processes", None, "--jobs"),
    (2, "threads", None, "--scheduler"),
    (2, "processes", "tcp://127.0.0.1:8786", "--scheduler dask"),
    (2, "dask", "127.0.0.1:8786", "tcp://"),
])
def test_bad_options(jobs: int, scheduler: str, address: str | None, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parallel.check_options(jobs, scheduler, address)


@pytest.mark.parametrize("value", ["0", "-3", "dos"])
def test_jobs_is_validated_by_both_commands(value: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for argv in (["code", str(TRANSCRIPTS), "--out", str(tmp_path / "o.csv")],
                 ["sdg", "classify", str(paths.CURATED / "ods_validacion.csv"), "--out", str(tmp_path / "o.csv")]):
        with pytest.raises(SystemExit):
            main([*argv, "--jobs", value])
        assert "--jobs" in capsys.readouterr().err
    assert not (tmp_path / "o.csv").exists()


def test_address_without_dask_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = code(tmp_path, "x", "--jobs", "2", "--address", "tcp://127.0.0.1:8786")
    assert status == 1
    assert not out.exists()
    assert "--scheduler dask" in capsys.readouterr().err


def test_missing_dask_gives_the_install_command(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed -> ImportError
    status, out, _ = code(tmp_path, "x", "--scheduler", "dask", "--jobs", "2")
    err = capsys.readouterr().err
    assert status == 1
    assert not out.exists()
    assert "pip install 'analysis[dask]'" in err


@pytest.mark.slow
def test_unreachable_scheduler_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    if not _has_distributed():
        pytest.skip("distributed is not installed (pip install 'analysis[dask]')")
    status, out, _ = code(tmp_path, "x", "--scheduler", "dask", "--address", "tcp://127.0.0.1:9")
    assert status == 1
    assert not out.exists()
    assert "could not connect to the Dask scheduler at tcp://127.0.0.1:9" in capsys.readouterr().err


# ------------------------------------------------------------------------------------- analysis code

@pytest.mark.slow
@pytest.mark.usefixtures("small_chunks")
def test_code_with_two_processes_is_byte_identical(serial: tuple[bytes, bytes],
                                                   tmp_path: Path) -> None:
    status, out, seg = code(tmp_path, "p2", "--jobs", "2")
    assert status == 0
    assert out.read_bytes() == serial[0]
    assert seg.read_bytes() == serial[1]
    assert serial[0].count(b"\n") > 100  # the corpus is actually coded


@pytest.mark.slow
@needs_dask
@pytest.mark.usefixtures("small_chunks")
def test_code_on_a_local_dask_cluster_is_byte_identical(serial: tuple[bytes, bytes],
                                                        tmp_path: Path) -> None:
    status, out, seg = code(tmp_path, "d2", "--scheduler", "dask", "--jobs", "2")
    assert status == 0
    assert out.read_bytes() == serial[0]
    assert seg.read_bytes() == serial[1]


@pytest.mark.slow
def test_parallel_code_pseudonymises_before_the_workers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Real transcripts with a register: names never reach the output, same bytes as one process."""
    monkeypatch.setattr(parallel, "CHUNK_WORDS", 50)
    reg = ["--register", str(FIX / "register.csv")]
    s1, out1, seg1 = code(tmp_path, "one", "--jobs", "1", *reg, source=FIX / "corpus")
    s2, out2, seg2 = code(tmp_path, "two", "--jobs", "2", *reg, source=FIX / "corpus")
    assert s1 == s2 == 0
    assert out1.read_bytes() == out2.read_bytes()
    assert seg1.read_bytes() == seg2.read_bytes()
    register = privacy.load_register(FIX / "register.csv")
    assert privacy.find_leaks([out2, seg2], register) == []
    assert "Persona" in seg2.read_text(encoding="utf-8")


@pytest.mark.slow
def test_parallel_code_scans_the_output_before_renaming(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    """With pseudonymisation switched off, the scan finds the names and nothing is written."""
    monkeypatch.setattr(parallel, "CHUNK_WORDS", 50)
    monkeypatch.setattr(privacy, "iter_pseudonymised", lambda corpus, _register: corpus)
    (tmp_path / "two.csv").write_text("earlier output\n", encoding="utf-8")
    status, out, seg = code(tmp_path, "two", "--jobs", "2", "--register", str(FIX / "register.csv"),
                            source=FIX / "corpus")
    assert status == 1
    assert "participant name(s)" in capsys.readouterr().err
    assert out.read_text(encoding="utf-8") == "earlier output\n"
    assert not seg.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["two.csv"]


# ------------------------------------------------------------------------------- analysis sdg classify

@pytest.fixture(scope="module")
def texts_300(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """300 rows cycled from the ODS validation sentences, with their own ids."""
    with (paths.CURATED / "ods_validacion.csv").open(newline="", encoding="utf-8-sig") as fh:
        base = [r["text"] for r in csv.DictReader(fh)]
    path = tmp_path_factory.mktemp("sdg") / "textos.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "text"])
        w.writerows((f"T{i:04d}", base[i % len(base)]) for i in range(300))
    return path


def classify(src: Path, out: Path, *extra: str, hash_seed: str = "random") -> bytes:
    """Run ``sdg classify`` in a fresh interpreter (string-hash seed ``hash_seed``) with small chunks."""
    env = {**os.environ, "PYTHONHASHSEED": hash_seed}
    code_ = ("import sys; from analysis.workflow import parallel; parallel.CHUNK_ROWS = 37; "
             "from analysis.cli import main; sys.exit(main(sys.argv[1:]))")
    proc = subprocess.run([sys.executable, "-c", code_, "sdg", "classify", str(src), "--out", str(out), *extra],
                          env=env, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return out.read_bytes()


@pytest.fixture(scope="module")
def sdg_serial(texts_300: Path) -> bytes:
    data = classify(texts_300, texts_300.with_name("uno.csv"), "--jobs", "1")
    assert data.count(b"\n") == 301
    return data


@pytest.mark.slow
def test_sdg_with_two_processes_is_byte_identical(texts_300: Path, sdg_serial: bytes) -> None:
    assert classify(texts_300, texts_300.with_name("dos.csv"), "--jobs", "2") == sdg_serial


@pytest.mark.slow
@needs_dask
def test_sdg_on_a_local_dask_cluster_is_byte_identical(texts_300: Path, sdg_serial: bytes) -> None:
    assert classify(texts_300, texts_300.with_name("dask.csv"), "--scheduler", "dask", "--jobs", "2") == sdg_serial


@pytest.mark.slow
def test_sdg_output_does_not_depend_on_the_string_hash_seed(texts_300: Path) -> None:
    """Ties between dictionary patterns are broken in a fixed order, not in a set's hash order."""
    small = texts_300.with_name("cuarenta.csv")
    small.write_text("".join(texts_300.read_text(encoding="utf-8").splitlines(keepends=True)[:41]), encoding="utf-8")
    one = classify(small, small.with_name("semilla1.csv"), "--jobs", "1", hash_seed="1")
    two = classify(small, small.with_name("semilla2.csv"), "--jobs", "1", hash_seed="2")
    assert one == two

"""The remaining faults under bad input: each case plants the fault and checks for one clear
message, a non-zero exit and nothing left behind (no partial file, no temporary folder, no
orphaned worker), or for the ordinary file permissions of the user's umask."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import nbformat
import psutil
import pytest
import yaml
from cli_support import run_cli
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook
from pipeline_support import scratch_project

from analysis import paths
from analysis.analyses import sdg
from analysis.analyses import sdg_targets as st
from analysis.cli import main
from analysis.ingest import plans as D
from analysis.ingest import sources
from analysis.util import io as uio
from analysis.workflow import parallel, pipeline
from analysis.workflow.pipeline import PipelineError

SRC = Path(pipeline.__file__).resolve().parents[2]
TEXT = "Ampliar la red de agua potable y drenaje"
DICTIONARY = paths.CURATED / "ods_diccionario.yml"


def _has_distributed() -> bool:
    try:
        import distributed  # noqa: F401
    except ImportError:
        return False
    return True


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def umask_022() -> Iterator[None]:
    old = os.umask(0o022)
    yield None
    os.umask(old)


# ------------------------------------------------------------------------------ permissions

@pytest.mark.usefixtures("umask_022")
def test_state_file_and_executed_notebooks_get_the_umask_permissions(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = scratch_project(tmp_path / "p", monkeypatch)
    pipeline._save_state({"a.ipynb": {"run": "x"}})
    assert _mode(root / "data/processed/.pipeline-state.json") == 0o644
    nb = new_notebook(cells=[new_code_cell("x = 1")])
    target = root / "notebooks" / "a.ipynb"
    pipeline.write_notebook_atomic(nb, target)
    assert _mode(target) == 0o644
    copy = root / "notebooks" / "b.ipynb"
    pipeline._copy_atomic(target, copy)  # how the staged executed notebook replaces the committed one
    assert _mode(copy) == 0o644
    os.umask(0o027)
    pipeline._save_state({})
    assert _mode(root / "data/processed/.pipeline-state.json") == 0o640


# ------------------------------------------------------------------------------ sdg classify

def test_sdg_duplicate_id_is_an_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "in.csv"
    src.write_text(f"id,text\nA1,{TEXT}\nA2,{TEXT}\nA1,otro texto\n", encoding="utf-8")
    out = tmp_path / "o.csv"
    assert main(["sdg", "classify", str(src), "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert "in.csv: line 4: id 'A1' already appears on line 2" in err
    assert not out.exists()


def _dictionary(tmp_path: Path, goals: str) -> Path:
    path = tmp_path / "dic.yml"
    path.write_text(f"objetivos:\n{goals}", encoding="utf-8")
    return path


ALL_GOALS = "".join(f"  {g}: {{titulo: t{g}, terminos: {{palabra{g}: 1}}}}\n" for g in range(2, 18))


@pytest.mark.parametrize(("goal1", "message"), [
    ("  1: {titulo: t, terminos: {null: 2}}\n", r"goal 1: term 'null' \(None\) is not text"),
    ("  1: {titulo: t, terminos: {pobreza: 1}, excluir: [null]}\n", r"goal 1: 'excluir' entry None is not text"),
    ("  1: {titulo: t, terminos: {'': 2}}\n", r"goal 1: an empty term"),
    ("  1: {titulo: t, terminos: [pobreza, hambre]}\n", r"goal 1: 'terminos' must map each term to its weight"),
    ("  1: {titulo: t, terminos: {pobreza: 1}}\n  uno: {terminos: {x: 1}}\n",
     r"goal key 'uno' is not a goal number 1-17"),
    ("  1: {titulo: t, terminos: {pobreza: 1}}\n  18: {terminos: {galaxia: 1}}\n",
     r"goal 18 is not one of the 17 SDGs"),
    ("  1: [pobreza]\n", r"goal 1: expected a mapping with 'terminos:'"),
])
def test_sdg_dictionary_bad_entries_are_clear_errors(tmp_path: Path, goal1: str, message: str) -> None:
    path = _dictionary(tmp_path, goal1 + ALL_GOALS)
    with pytest.raises(sdg.DictionaryError, match=message):
        sdg.load_sdg_dictionary(path)


def test_sdg_empty_dictionary_is_an_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    empty = "".join(f"  {g}: {{titulo: t{g}}}\n" for g in range(1, 18))
    path = _dictionary(tmp_path, empty)
    with pytest.raises(sdg.DictionaryError, match=r"dic\.yml: no term under any goal"):
        sdg.load_sdg_dictionary(path)
    src = tmp_path / "in.csv"
    src.write_text(f"id,text\n1,{TEXT}\n", encoding="utf-8")
    assert main(["sdg", "classify", str(src), "--out", str(tmp_path / "o.csv"), "--dictionary", str(path)]) == 1
    assert "no term under any goal" in capsys.readouterr().err


def test_goal_18_in_a_dictionary_given_in_code_is_named_by_the_target_scorer() -> None:
    base = sdg.load_sdg_dictionary()
    extra = sdg.Pattern(18, "galaxia", 1.0, (("exact", frozenset({"galaxia"})),))
    d = sdg.Dictionary([*base.patterns, extra], base.titles)
    with pytest.raises(sdg.DictionaryError, match=r"goal 18 .*galaxia.* not one of the 17 SDGs"):
        st.classify_targets(["la galaxia y el agua potable"], d)


def test_sdg_command_names_a_list_of_terms(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    head = "  1:\n    titulo: Fin de la pobreza\n    terminos:\n"
    text = DICTIONARY.read_text(encoding="utf-8").replace(head, head + "      - x\n    t2:\n", 1)
    path = tmp_path / "dic.yml"
    path.write_text(text, encoding="utf-8")
    src = tmp_path / "in.csv"
    src.write_text(f"id,text\n1,{TEXT}\n", encoding="utf-8")
    status = main(["sdg", "classify", str(src), "--out", str(tmp_path / "o.csv"), "--dictionary", str(path)])
    err = capsys.readouterr().err
    assert status == 1
    assert "dic.yml" in err
    assert "Traceback" not in err


# ------------------------------------------------------------------------------ plans

def test_plan_with_unknown_municipality_or_reversed_period_is_set_aside(tmp_path: Path) -> None:
    body = "Eje 1 Medio ambiente\n1.1.1.1 Proteger la selva.\n"
    for name in ("23009_2021-2024.txt", "99999_2021-2024.txt", "23005_2024-2021.txt"):
        (tmp_path / name).write_text(body, encoding="utf-8")
    segs, report = D.load_plans(tmp_path)
    assert set(segs.plan_id) == {"23009_2021-2024"}
    status = report.set_index("file")
    assert status.status.to_dict() == {"23005_2024-2021.txt": "set_aside", "23009_2021-2024.txt": "kept",
                                       "99999_2021-2024.txt": "set_aside"}
    assert "99999 is not a municipality of the INEGI catalogue" in status.loc["99999_2021-2024.txt", "reason"]
    assert "period '2024-2021' ends before it starts" in status.loc["23005_2024-2021.txt", "reason"]
    with pytest.raises(D.DocumentError, match="ends before it starts"):
        D.parse_plan(tmp_path / "23005_2024-2021.txt")


def test_plan_registry_with_reversed_period_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "reg.yml"
    path.write_text("plans:\n  - {inegi_code: '23005', period: 2024-2021, municipality: Benito Juárez}\n", encoding="utf-8")
    with pytest.raises(D.DocumentError, match=r"reg\.yml: plan #1: period '2024-2021' ends before it starts"):
        D.load_registry(path)


# ------------------------------------------------------------------------------ notebook parameters

def _notebook(path: Path, params: str, body: str = "") -> None:
    nb = new_notebook(cells=[new_markdown_cell("# t"), new_code_cell(params, metadata={"tags": ["parameters"]}),
                             new_code_cell(body)])
    for cell in nb.cells:
        cell.pop("id", None)
    nb.nbformat_minor = 4
    nbformat.write(nb, path)


@pytest.fixture
def typed_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = scratch_project(tmp_path / "p", monkeypatch)
    _notebook(root / "notebooks/t.ipynb", "timeline_start: int = 1985\ntimeline_end: int = 2021\ncase_code = '23005'\n"
              "weight: float = 0.5\nflag: bool = True\ncounts: list[int] = [5, 10]\nvalue = 1\n")
    (root / "notebooks/pipeline.yml").write_text(yaml.safe_dump({"notebooks": [
        {"notebook": "t.ipynb", "parameters": {"timeline_start": 1985, "timeline_end": 2021, "case_code": "23005",
                                              "weight": 0.5, "flag": True, "counts": [5, 10], "value": 1},
         "outputs": ["data/processed/t.txt"]}]}, sort_keys=False))
    return root


@pytest.mark.parametrize(("pair", "message"), [
    ("timeline_start=abc", r"-p timeline_start='abc': t\.ipynb's parameters cell declares timeline_start: int = 1985, "
                           r"a whole number; give a whole number"),
    ("timeline_start=19.5", r"timeline_start.*a whole number"),
    ("weight=mucho", r"weight.*a number"),
    ("flag=3", r"flag.*true or false"),
    ("counts=7", r"counts.*a list"),
    ("counts=[a, b]", r"counts.*a list of whole numbers"),
])
def test_wrongly_typed_parameter_is_named_before_execution(typed_project: Path, pair: str, message: str) -> None:
    with pytest.raises(PipelineError, match=message):
        pipeline.typed_overrides([pair], None)
    for jobs in ("1", "2"):
        proc = run_cli("run", "-j", jobs, "-p", pair)
        assert proc.returncode == 1
        assert "Traceback" not in proc.stderr
        assert pair.split("=")[0] in proc.stderr
    assert not (typed_project / "data/processed/.staging").exists()
    assert not (typed_project / "data/processed/.pipeline-state.json").exists()


@pytest.mark.usefixtures("typed_project")
def test_typed_parameters_keep_text_as_text() -> None:
    got = pipeline.typed_overrides(["case_code=23010", "timeline_start=1990", "weight=1", "flag=false",
                                    "counts=[1, 2]", "value=hang"], None)
    assert got == {"case_code": "23010", "timeline_start": 1990, "weight": 1.0, "flag": False, "counts": [1, 2],
                   "value": "hang"}  # value is not annotated: any value goes to the notebook
    assert isinstance(got["case_code"], str)


@pytest.mark.usefixtures("typed_project")
def test_start_after_end_names_both_parameters() -> None:
    with pytest.raises(PipelineError, match=r"timeline_start=2021 is after timeline_end=1985"):
        pipeline.run(overrides={"timeline_start": 2021, "timeline_end": 1985}, log=lambda _: None)
    proc = run_cli("run", "-p", "timeline_start=2030")
    assert proc.returncode == 1
    assert "timeline_start=2030 is after timeline_end=2021" in proc.stderr


def test_unreadable_notebook_is_one_clear_message(typed_project: Path) -> None:
    (typed_project / "notebooks/t.ipynb").write_text("{ not json", encoding="utf-8")
    proc = run_cli("run")
    assert proc.returncode == 1
    assert "t.ipynb: not a readable notebook" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_read_only_processed_folder_is_a_clear_message(typed_project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real_open = os.open
    lock = typed_project / "data/processed/.pipeline.lock"

    def read_only(path: object, flags: int, *args: object) -> int:
        if Path(str(path)) == lock and flags & os.O_CREAT:
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, flags, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "open", read_only)  # as in a folder without write permission (root ignores chmod)
    proc = run_cli("run")
    assert proc.returncode == 1
    assert "cannot write the lock file" in proc.stderr
    assert "data/processed" in proc.stderr
    assert "Permission denied" in proc.stderr
    assert "Traceback" not in proc.stderr


@pytest.mark.usefixtures("typed_project")
def test_stale_temporary_folders_of_dead_runs_are_removed() -> None:
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    tmp = Path(tempfile.gettempdir())
    stale = tmp / f"pipeline-{dead.pid}-abcd1234"
    stale.mkdir(exist_ok=True)
    (stale / "in-t.ipynb").write_text("{}")
    alive = tmp / f"pipeline-{os.getpid()}-abcd1234"
    alive.mkdir(exist_ok=True)
    try:
        pipeline.clean_stale_temporaries(log=lambda _: None)
        assert not stale.exists()
        assert alive.exists()
    finally:
        alive.rmdir()


def test_stale_part_files_of_dead_commands_are_removed(tmp_path: Path) -> None:
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    target = tmp_path / "o.csv"
    stale = tmp_path / f".o.csv.{dead.pid}.x1y2.part"
    stale.write_text("half")
    mine = tmp_path / f".o.csv.{os.getpid()}.x1y2.part"
    mine.write_text("in progress")
    with uio.atomic_write(target) as fh:
        fh.write("ok\n")
    assert not stale.exists()
    assert mine.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == [mine.name, "o.csv"]


# ------------------------------------------------------------------------------ RAI

def test_header_only_rai_export_says_it_has_no_rows(tmp_path: Path) -> None:
    import pandas as pd

    from analysis.tables.rai import RaiFormatError, read_rai

    munis = pd.read_csv(Path(__file__).parent / "fixtures/rai/municipalities_subset.csv", dtype=str)
    path = tmp_path / "header.csv"
    path.write_text("Entidad;Municipio;País;Título;Fecha de firma\n\n", encoding="utf-8")
    with pytest.raises(RaiFormatError, match=r"header\.csv: the export has no rows after its header \(line 1\)"):
        read_rai(path, munis)


# ------------------------------------------------------------------------------ mirror

def test_mirror_follows_symlinks(temp_root: Path, tmp_path: Path) -> None:
    payload = b"contenido\n"
    real = tmp_path / "elsewhere" / "file.bin"
    real.parent.mkdir()
    real.write_bytes(payload)
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    (mirror / "link.bin").symlink_to(real)
    import hashlib

    sha = hashlib.sha256(payload).hexdigest()
    src = sources.Source("x", "data/raw/x.bin", "https://example.invalid/x", sha, len(payload), "l", "c", "d")
    got = sources.fetch([src], mirror=mirror, allow_network=False, log=lambda _: None)
    assert got["x"].startswith("mirror")
    assert (temp_root / "data/raw/x.bin").read_bytes() == payload


def test_missing_mirror_folder_from_the_environment_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(paths.MIRROR_ENV, "/nonexistent/espejo")
    src = sources.Source("x", "data/raw/never.bin", "https://example.invalid/x", "0" * 64, 1, "l", "c", "d")
    with pytest.raises(sources.DataError, match=r"ANALYSIS_DATA_MIRROR names /nonexistent/espejo, which does not exist"):
        sources.fetch([src], allow_network=False, log=lambda _: None)


# ------------------------------------------------------------------------------ bench

@pytest.mark.parametrize("option", ["--coding-words", "--sdg-texts"])
def test_bench_negative_sizes_are_refused(option: str, tmp_path: Path) -> None:
    out = tmp_path / "bench.csv"
    proc = run_cli("bench", "--groups", "nlp", option, "-5", "--out", str(out))
    assert proc.returncode == 2
    assert f"{option} must be at least 1" in proc.stderr
    assert not out.exists()


def test_bench_coding_refuses_an_empty_corpus() -> None:
    from analysis.workflow.scale import bench_coding

    with pytest.raises(ValueError, match="n_words must be at least 1"):
        bench_coding(n_words=-5)


# ------------------------------------------------------------------------------ parallelism

def test_jobs_are_capped_by_cores_and_memory() -> None:
    notes: list[str] = []
    runner = parallel.Runner(10_000, report=notes.append)
    assert 1 <= runner.jobs <= (os.cpu_count() or 1)
    assert notes
    assert "--jobs 10000 capped at" in notes[0]
    assert "memory" in notes[0]
    quiet: list[str] = []
    assert parallel.Runner(1, report=quiet.append).jobs == 1
    assert quiet == []


def test_sdg_classify_jobs_10000_is_capped_with_a_message(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parallel, "usable_jobs", lambda _jobs: (1, "cores"))
    src = tmp_path / "in.csv"
    src.write_text(f"id,text\n1,{TEXT}\n", encoding="utf-8")
    assert main(["sdg", "classify", str(src), "--out", str(tmp_path / "o.csv"), "--jobs", "10000"]) == 0
    assert "--jobs 10000 capped at 1" in capsys.readouterr().err


def test_worker_killed_names_memory_and_the_chunk_size() -> None:
    with parallel.Runner(2) as runner, pytest.raises(parallel.SchedulerError) as err:
        list(runner.map(signal.raise_signal, [signal.SIGKILL, signal.SIGKILL], hint="a smaller --chunk-rows (now 200)"))
    message = str(err.value)
    assert "memory" in message
    assert "--chunk-rows" in message
    assert "BrokenProcessPool" not in message


@pytest.mark.slow
def test_kill_9_of_parallel_classify_leaves_no_process_and_no_part_file(tmp_path: Path) -> None:
    src = tmp_path / "in.csv"
    src.write_text("id,text\n" + "".join(f"{i},{TEXT} número {i}\n" for i in range(20_000)), encoding="utf-8")
    out = tmp_path / "o.csv"
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    proc = subprocess.Popen([sys.executable, "-m", "analysis", "sdg", "classify", str(src), "--out", str(out),
                             "--jobs", "2"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    parent = psutil.Process(proc.pid)
    deadline = time.monotonic() + 120
    family: list[psutil.Process] = []
    while time.monotonic() < deadline:
        family = parent.children(recursive=True)
        workers = [p for p in family if "spawn_main" in " ".join(p.cmdline())]
        if len(workers) >= 2 and list(tmp_path.glob(".o.csv.*.part")):
            break
        time.sleep(0.2)
    else:
        proc.kill()
        pytest.fail("the workers never started")
    time.sleep(1)
    family = parent.children(recursive=True)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    _, alive = psutil.wait_procs(family, timeout=5)
    for p in alive:
        p.kill()
    assert alive == [], f"still running 5 s after kill -9 of the parent: {[p.cmdline() for p in alive]}"
    # the next run removes the dead run's partial file
    assert list(tmp_path.glob(".o.csv.*.part"))
    small = tmp_path / "small.csv"
    small.write_text(f"id,text\n1,{TEXT}\n", encoding="utf-8")
    assert main(["sdg", "classify", str(small), "--out", str(out)]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.csv", "o.csv", "small.csv"]


@pytest.mark.slow
@pytest.mark.skipif(not _has_distributed(), reason="distributed is not installed")
def test_dask_scheduler_without_workers_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    sched = subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_scheduler", "--host", "127.0.0.1",
                              "--port", str(port), "--no-dashboard"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.3)
        monkeypatch.setattr(parallel, "WORKER_TIMEOUT_S", 3)
        src = tmp_path / "in.csv"
        src.write_text(f"id,text\n1,{TEXT}\n", encoding="utf-8")
        address = f"tcp://127.0.0.1:{port}"
        started = time.monotonic()
        status = main(["sdg", "classify", str(src), "--out", str(tmp_path / "o.csv"), "--scheduler", "dask",
                       "--address", address])
        assert time.monotonic() - started < 60
        err = capsys.readouterr().err
        assert status == 1
        assert f"the Dask scheduler at {address} has no workers after 3 s" in err
        status = main(["code", str(paths.INTERVIEWS / "transcripts"), "--out", str(tmp_path / "c.csv"),
                       "--scheduler", "dask", "--address", address])
        assert status == 1
        assert "has no workers after 3 s" in capsys.readouterr().err
        assert sorted(p.name for p in tmp_path.iterdir()) == ["in.csv"]
    finally:
        sched.kill()
        sched.wait()


# ------------------------------------------------------------------------------ closed pipe

@pytest.mark.parametrize("command", ["data verify", "--help", "partners --help"])
def test_closed_pipe_exits_quietly(command: str) -> None:
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    shell = f"{sys.executable} -m analysis {command} | true"  # the reader is gone before anything is written
    proc = subprocess.run(["bash", "-c", shell], env=env, capture_output=True, text=True, timeout=120)
    assert proc.stderr == ""


# ------------------------------------------------------------------------------ interview codebook

CODEBOOK_HEAD = "codebook: {name: x, version: '1', language: es}\n"


@pytest.mark.parametrize(("codes", "message"), [
    ("codes:\n  - {name: agua, label: Agua, definition: d, terms: [null, agua potable]}\n",
     r"code 'agua': term None is empty or not text"),
    ("codes:\n  - {name: agua, label: Agua, definition: d, terms: ['  ', agua potable]}\n",
     r"code 'agua': term '  ' is empty or not text"),
    ("codes: []\n", r"no codes under 'codes:'"),
])
def test_codebook_null_or_empty_term_and_empty_codebook_are_errors(tmp_path: Path, codes: str, message: str) -> None:
    from analysis.analyses.qda import CodebookError, load_codebook

    path = tmp_path / "cb.yml"
    path.write_text(CODEBOOK_HEAD + codes, encoding="utf-8")
    with pytest.raises(CodebookError, match=message):
        load_codebook(path)


def test_code_refuses_a_codebook_that_codes_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "cb.yml"
    path.write_text(CODEBOOK_HEAD + "codes:\n  - {name: agua, label: Agua, definition: d}\n", encoding="utf-8")
    out = tmp_path / "o.csv"
    assert main(["code", str(paths.INTERVIEWS / "transcripts"), "--codebook", str(path), "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert "cb.yml: no code has terms or patterns" in err
    assert "W036" not in err
    assert not out.exists()


def test_unreadable_state_file_is_a_clear_message(typed_project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    state = typed_project / "data/processed/.pipeline-state.json"
    state.write_text("{}", encoding="utf-8")
    real = Path.read_text

    def denied(self: Path, *args: object, **kwargs: object) -> str:
        if self == state:
            raise PermissionError(13, "Permission denied", str(self))
        return real(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Path, "read_text", denied)  # another user's 0600 file (root reads anything)
    proc = run_cli("run")
    assert proc.returncode == 1
    assert "cannot read the pipeline state (Permission denied)" in proc.stderr
    assert "Traceback" not in proc.stderr

"""``python -m analysis bench``: groups, the merged table, the install commands (no measurement here)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from analysis import paths
from analysis.workflow import bench


def _write(path: Path, rows: list[dict[str, object]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=bench.FIELDS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def _row(group: str, metric: str, value: float) -> dict[str, object]:
    return {"group": group, "metric": metric, "value": value, "unit": "s", "repeats": 1, "note": ""}


def test_groups_are_parsed_in_table_order_and_unknown_ones_named() -> None:
    assert bench.parse_groups("escala, install") == ("install", "escala")
    with pytest.raises(bench.BenchError, match=r"unknown benchmark group.*'scale'.*choose among install"):
        bench.parse_groups("install,scale")
    with pytest.raises(bench.BenchError, match="unknown benchmark group"):
        bench.parse_groups(" , ")


def test_a_run_replaces_only_the_groups_it_measured(tmp_path: Path) -> None:
    table = tmp_path / "benchmarks.csv"
    _write(table, [_row("pipeline", "cold", 100), _row("escala", "old scale row", 1), _row("escala", "gone", 2),
                   _row("memory", "peak", 300), _row("machine", "cores", 2)])
    new = [_row("escala", "new scale row", 5), _row("install", "uv", 60), _row("memory", "peak", 900),
           _row("machine", "cores", 2)]
    merged = bench.merge_rows(new, table)
    assert [(r["group"], r["metric"]) for r in merged] == [
        ("install", "uv"), ("pipeline", "cold"), ("escala", "new scale row"), ("memory", "peak"), ("machine", "cores")]
    assert [r["value"] for r in merged if r["group"] == "memory"] == [900]


def test_the_merge_refuses_a_table_it_cannot_read(tmp_path: Path) -> None:
    table = tmp_path / "benchmarks.csv"
    table.write_text("group,metric,value\npipeline,cold,1\n", encoding="utf-8")
    with pytest.raises(bench.BenchError, match=r"benchmarks\.csv: columns .* expected"):
        bench.merge_rows([_row("install", "uv", 1)], table)
    _write(table, [_row("warp", "speed", 9)])
    with pytest.raises(bench.BenchError, match=r"unknown group\(s\) \['warp'\]"):
        bench.merge_rows([_row("install", "uv", 1)], table)


def test_writing_leaves_no_partial_file(tmp_path: Path) -> None:
    out = bench.write_rows([_row("install", "uv", 1.5)], tmp_path / "b.csv")
    assert out.read_text(encoding="utf-8").splitlines() == ["group,metric,value,unit,repeats,note",
                                                             "install,uv,1.5,s,1,"]
    assert not list(tmp_path.glob("*.tmp"))


def test_both_installers_fill_the_same_pins_without_a_cache(tmp_path: Path) -> None:
    py = tmp_path / "venv" / "bin" / "python"
    uv = bench.install_commands("uv", py, Path("/opt/uv"))
    pip = bench.install_commands("pip", py)
    assert [c[0] for c in uv] == ["/opt/uv"] * 3
    assert [c[:3] for c in pip] == [[str(py), "-m", "pip"]] * 3
    assert all("--no-cache" in c for c in uv)
    assert all("--no-cache-dir" in c for c in pip)
    for a, b in zip(uv, pip, strict=True):  # the same requirement files, in the same order
        assert a[a.index("install") + 1:][-2:] == b[-2:]
    assert uv[0][-1] == str(paths.ROOT / "requirements.txt")
    assert uv[2][-2:] == ["-e", str(paths.ROOT)]
    with pytest.raises(bench.BenchError, match="unknown installer 'conda'"):
        bench.install_commands("conda", py)


def test_uv_is_found_where_make_env_puts_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(Path, "home", lambda: tmp_path)
    with pytest.raises(bench.BenchError, match=r"uv-.*/bin/uv not found: run `make env`"):
        bench.uv_executable()
    makefile = (paths.ROOT / "Makefile").read_text(encoding="utf-8")
    version = next(line.split(":=")[1].strip() for line in makefile.splitlines() if line.startswith("UV_VERSION"))
    uv = tmp_path / ".cache" / "analysis-bootstrap" / f"uv-{version}" / "bin" / "uv"
    uv.parent.mkdir(parents=True)
    uv.touch()
    assert bench.uv_executable() == uv


def test_the_scale_group_needs_a_corpus_size() -> None:
    with pytest.raises(bench.BenchError, match="escala group needs --scale-words"):
        bench.run_benchmarks(groups=("escala",), scale_words=0, log=lambda _s: None)
    with pytest.raises(bench.BenchError, match="no benchmark group chosen"):
        bench.run_benchmarks(groups=("warp",), log=lambda _s: None)

"""ODS classifier: matching rules, command line contract, validation set, cooperation coding."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from cli_support import run_cli

from analysis.analyses import sdg
from analysis.workflow import bench

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> sdg.Dictionary:
    yml = tmp_path_factory.mktemp("dic") / "d.yml"
    goals = {g: {"titulo": str(g), "terminos": {f"zzz{g}": 1}, "excluir": []} for g in sdg.GOALS}
    goals[6]["terminos"] = {"agua": 2, "agua potable": 4}
    goals[12]["terminos"] = {"residu*": 3, "recolección de residuos": 4}
    goals[16]["terminos"] = {"violencia": 2, "seguridad": 2}
    goals[16]["excluir"] = ["seguridad alimentaria"]
    goals[5]["terminos"] = {"violencia de género": 4}
    goals[14]["terminos"] = {"agua de mar": 2}
    goals[3]["terminos"] = {"salud": 2}
    import yaml

    yml.write_text(yaml.safe_dump({"objetivos": goals}, allow_unicode=True), encoding="utf-8")
    return sdg.load_sdg_dictionary(yml)


def _one(text: str, d: sdg.Dictionary) -> pd.Series:
    return sdg.classify_texts([text], d).iloc[0]


def test_lemma_stopword_and_prefix_matching(tiny: sdg.Dictionary) -> None:
    r = _one("Mejorar la recolección de los residuos sólidos", tiny)
    assert r.top_sdg == 12
    assert r.score_12 == pytest.approx(4 + 0.5 * 0)  # inner "residuos" dropped
    assert _one("Reducir los residuales", tiny).top_sdg == 12  # prefix residu* (no lemma shared)
    assert _one("Ampliar las aguas potables", tiny).score_6 == pytest.approx(4)  # plural -> lemma


def test_longer_match_wins_across_goals(tiny: sdg.Dictionary) -> None:
    r = _one("Prevenir la violencia de género", tiny)
    assert r.top_sdg == 5
    assert r.score_16 == 0
    r = _one("Vigilar la calidad del agua de mar", tiny)
    assert r.top_sdg == 14
    assert r.score_6 == 0


def test_exclusion_cancels_goal(tiny: sdg.Dictionary) -> None:
    r = _one("Garantizar la seguridad alimentaria", tiny)
    assert r.score_16 == 0
    assert pd.isna(r.top_sdg)
    assert r.sdgs == ""
    assert _one("Garantizar la seguridad en las calles", tiny).top_sdg == 16


def test_ties_go_to_strongest_single_match(tiny: sdg.Dictionary) -> None:
    # goal 3: salud (2) -> 2 ; goal 16: violencia (2) -> 2 ; equal scores, equal weight -> lower number
    r = _one("salud y violencia", tiny)
    assert r.top_sdg == 3
    assert r.sdgs.split(";") == ["3", "16"]
    # secondary matches count half: residuos (3) + recolección de residuos is absent -> 3; 16 gets 2 + 1
    r = _one("residuos, violencia y seguridad", tiny)
    assert r.score_16 == pytest.approx(3)
    assert r.score_12 == pytest.approx(3)
    assert r.top_sdg == 12


def test_empty_and_missing_texts(tiny: sdg.Dictionary) -> None:
    out = sdg.classify_texts(["", None, "   "], tiny)  # type: ignore[list-item]
    assert len(out) == 3
    assert out.top_sdg.isna().all()
    assert (out[list(sdg.SCORE_COLUMNS)] == 0).all().all()


def test_dictionary_errors(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yml"
    bad.write_text("objetivos:\n  1: {terminos: {pobreza: 1}}\n", encoding="utf-8")
    with pytest.raises(sdg.DictionaryError, match="missing"):
        sdg.load_sdg_dictionary(bad)


def test_real_dictionary_covers_17_goals_and_cooperation() -> None:
    d = sdg.load_sdg_dictionary()
    counts = pd.Series([p.goal for p in d.patterns if not p.exclude]).value_counts()
    assert set(counts.index) == set(sdg.GOALS)
    assert counts.min() >= 30
    assert set(sdg.load_cooperation_patterns()) >= {"hermanamiento", "agenda_2030", "organismos_internacionales"}


def test_validation_set_is_large_and_balanced() -> None:
    df = sdg.read_validation()
    assert len(df) >= 170
    assert df.id.is_unique
    assert set(df.batch) == {"A", "B"}
    per_goal = pd.Series([g for s in df.sdgs for g in sdg.parse_goals(s)]).value_counts()
    assert per_goal.reindex(sdg.GOALS).min() >= 10


def test_classifier_beats_title_baseline_on_held_back_batch() -> None:
    df = sdg.read_validation()
    b = df[df.batch == "B"].reset_index(drop=True)
    full, _, _ = sdg.validate(b)
    base, _, _ = sdg.validate(b, sdg.title_dictionary(sdg.load_titles()))
    assert full["top1_accuracy"] >= 0.7
    assert full["top1_accuracy"] > base["top1_accuracy"] + 0.3


def test_evaluate_metrics_by_hand() -> None:
    summary, per_goal = sdg.evaluate(["1", "2;3", "4"], [1, 3, None], ["1;2", "3", ""])
    assert summary["top1_accuracy"] == pytest.approx(2 / 3)
    assert summary["coverage"] == pytest.approx(2 / 3)
    g2 = per_goal.set_index("sdg").loc[2]
    # predicted 2 for a text labelled 1; missed it where labelled
    assert g2.precision == 0
    assert g2.recall == 0
    g1 = per_goal.set_index("sdg").loc[1]
    assert g1.precision == 1
    assert g1.recall == 1


def test_cooperation_coding_counts_mentions() -> None:
    segs = pd.DataFrame(
        {
            "segment_id": ["p-1", "p-2", "q-1"],
            "plan_id": ["p", "p", "q"],
            "inegi_code": ["23005", "23005", "23001"],
            "text": ["Hermanamiento con ciudades hermanas y apoyo del PNUD.", "Agenda 2030", "Bacheo de calles."],
        }
    )
    per = sdg.cooperation_by_plan(sdg.code_cooperation(segs)).set_index("plan_id")
    assert per.loc["p", "hermanamiento"] == 2
    assert per.loc["p", "organismos_internacionales"] == 1
    assert per.loc["p", "agenda_2030"] == 1
    assert per.loc["p", "segments_with_mentions"] == 2
    assert per.loc["q", "total_mentions"] == 0


def test_bench_classify_reports_throughput() -> None:
    out = bench.bench_classify(50)
    assert out["texts"] == 50
    assert out["texts_per_s"] > 0


# --- the command, exactly as specified ------------------------------------------------------------


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    """``python -m analysis sdg ARGS`` in this process (the entry point itself is run once, below)."""
    return run_cli("sdg", *args)


def test_the_entry_point_runs_the_command(tmp_path: Path) -> None:
    src = tmp_path / "in.csv"
    src.write_text("id,text\n1,Ampliar la red de agua potable\n", encoding="utf-8")
    res = subprocess.run([sys.executable, "-m", "analysis", "sdg", "classify", str(src), "--out", str(tmp_path / "o.csv")],
                         capture_output=True, text=True, cwd=ROOT, check=False)
    assert res.returncode == 0, res.stderr
    assert pd.read_csv(tmp_path / "o.csv", dtype=str).top_sdg.tolist() == ["6"]


def test_command_contract(tmp_path: Path) -> None:
    src = tmp_path / "in.csv"
    src.write_text(
        "id,text,extra\n007,Ampliar la red de agua potable y drenaje,a\n"
        '010,"Prevenir la violencia contra las mujeres, con perspectiva de género",b\n'
        "0011,,c\nx-1,Hola,d\n",
        encoding="utf-8",
    )
    out = tmp_path / "out.csv"
    res = _run("classify", str(src), "--text-col", "text", "--id-col", "id", "--out", str(out))
    assert res.returncode == 0, res.stderr
    with out.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0])[:20] == ["id", "top_sdg", "sdgs", *sdg.SCORE_COLUMNS]
    assert [r["id"] for r in rows] == ["007", "010", "0011", "x-1"]
    assert rows[0]["top_sdg"] == "6"
    assert rows[0]["sdgs"].split(";")[0] == "6"
    assert rows[1]["top_sdg"] == "5"
    assert rows[2]["top_sdg"] == ""
    assert rows[2]["sdgs"] == ""
    assert all(float(rows[2][c]) == 0 for c in sdg.SCORE_COLUMNS)


def test_command_latin1_and_errors(tmp_path: Path) -> None:
    src = tmp_path / "latin.csv"
    out = tmp_path / "o.csv"
    src.write_bytes(b"clave,x\n1,\"Construir plantas de tratamiento de aguas residuales en Oth\xf3n\"\n")
    res = _run("classify", str(src), "--text-col", "x", "--id-col", "clave", "--out", str(out))
    assert res.returncode == 0
    assert "cp1252" in res.stderr
    assert pd.read_csv(out, dtype=str).top_sdg.tolist() == ["6"]
    res = _run("classify", str(src), "--text-col", "texto", "--id-col", "clave", "--out", str(out))
    assert res.returncode == 1
    assert "'texto'" in res.stderr
    assert "'clave', 'x'" in res.stderr
    empty = tmp_path / "empty.csv"
    empty.write_text("", encoding="utf-8")
    res = _run("classify", str(empty), "--out", str(out))
    assert res.returncode == 1
    assert "empty" in res.stderr
    empty.write_text("id,text\n", encoding="utf-8")
    res = _run("classify", str(empty), "--out", str(out))
    assert res.returncode == 1
    assert "no data rows" in res.stderr

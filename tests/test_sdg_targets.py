"""Target-level (metas) alignment: knowledge base, scoring, abstention, calibration, command, frozen set."""

from __future__ import annotations

import csv
import hashlib
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from cli_support import run_cli

from analysis.analyses import sdg
from analysis.analyses import sdg_targets as st
from analysis.workflow import bench

ROOT = Path(__file__).resolve().parents[1]


def test_official_targets_are_169_in_order() -> None:
    targets = st.load_targets()
    codes = [t.code for t in targets]
    assert len(codes) == 169
    assert len(set(codes)) == 169
    assert codes[:7] == ["1.1", "1.2", "1.3", "1.4", "1.5", "1.a", "1.b"]
    assert codes.index("11.7") < codes.index("11.a") < codes.index("11.c") < codes.index("12.1")
    assert codes[-1] == "17.19"
    assert all(t.goal == int(t.code.split(".")[0]) for t in targets)
    assert "transporte" in next(t.text for t in targets if t.code == "11.2")


def test_malformed_target_file_names_the_key(tmp_path: Path) -> None:
    bad = tmp_path / "t.yml"
    bad.write_text("1-1-title: ''\n1-title: Fin de la pobreza\n", encoding="utf-8")
    with pytest.raises(st.TargetsError, match="'1-1-title'"):
        st.load_targets(bad)
    bad.write_text("1-1-title: Erradicar la pobreza\n", encoding="utf-8")
    with pytest.raises(st.TargetsError, match="1 target texts found, expected 169"):
        st.load_targets(bad)


def test_link_vocabulary_is_checked(tmp_path: Path) -> None:
    bridge = st.load_bridge()
    assert "11.2" in bridge
    assert all(isinstance(x, str) for x in bridge["11.2"])
    bad = tmp_path / "d.yml"
    bad.write_text("metas:\n  '11.99': [autobuses]\n", encoding="utf-8")
    with pytest.raises(sdg.DictionaryError, match=r"'11\.99' is not one of the 169 targets"):
        st.load_bridge(bad, {t.code for t in st.load_targets()})
    bad.write_text("metas:\n  '11.2': autobuses\n", encoding="utf-8")
    with pytest.raises(sdg.DictionaryError, match="list of non-empty phrases"):
        st.load_bridge(bad)
    official_only = st.classify_targets(["Construir ciclovías"], index=st.load_target_index(bridge_path=None)).iloc[0]
    with_bridge = st.classify_targets(["Construir ciclovías"], threshold=0).iloc[0]
    assert with_bridge.top_target == "11.2"
    assert "ciclovia" in with_bridge.evidence
    assert "ciclovia" not in official_only.evidence


def test_best_target_and_evidence() -> None:
    out = st.classify_targets(["Ampliar el transporte público y mejorar la seguridad vial en la ciudad",
                               "Reducir la mortalidad materna en las comunidades rurales"])
    first = out.iloc[0]
    assert first.top_sdg == 11
    assert first.top_target == "11.2"
    assert first.targets.split(";")[0] == "11.2"
    assert len(first.targets.split(";")) == 3
    assert first.target_score_1 >= first.target_score_2 >= first.target_score_3
    assert "transporte" in first.evidence
    assert "«transporte público»" in first.evidence
    assert out.iloc[1].top_target == "3.1"
    assert "materno" in out.iloc[1].evidence


def test_abstention_follows_the_threshold() -> None:
    text = ["Ampliar el transporte público y mejorar la seguridad vial en la ciudad"]
    low = st.classify_targets(text, threshold=0).iloc[0]
    high = st.classify_targets(text, threshold=low.target_score_1 + 0.01).iloc[0]
    assert low.top_target == "11.2"
    assert pd.isna(high.top_sdg)
    assert high.top_target == ""
    assert high.sdgs == ""
    assert high.targets == low.targets  # the candidates stay visible on abstention
    empty = st.classify_targets(["", None, "Hola"])
    assert empty.top_sdg.isna().all()
    assert (empty.top_target == "").all()
    assert (empty.targets == "").all()
    with pytest.raises(ValueError, match="non-negative"):
        st.classify_targets(text, threshold=-1)


def test_held_out_target_has_no_score() -> None:
    targets, terms = st.target_terms()
    i = [t.code for t in targets].index("11.2")
    idx = st.TargetIndex.build(list(targets), [list(x) for x in terms], frozenset({i}))
    s = st.score_one(st.lemmatise([targets[i].text])[0], sdg.load_sdg_dictionary(), idx)
    assert s.combined[i] == 0
    assert i not in s.order
    assert s.lexical[i] == 0
    full = st.score_one(st.lemmatise([targets[i].text])[0], sdg.load_sdg_dictionary(), st.load_target_index())
    assert full.order[0] == i  # with its own text in the knowledge base it wins, so exclusion matters


def test_calibrate_threshold_by_hand() -> None:
    t, curve = st.calibrate_threshold([1, 2, 3, 4, 0.5], [True, True, True, True, False], keep=0.75)
    assert t == 2
    assert curve.set_index("threshold").loc[2.0, "correct_kept"] == 0.75
    t, _ = st.calibrate_threshold([1, 2, 3, 4], [True] * 4, keep=1.0)
    assert t == 1
    with pytest.raises(ValueError, match="at least one correct answer"):
        st.calibrate_threshold([1.0], [False])


@pytest.mark.slow
def test_defaults_are_the_calibrated_values() -> None:
    """LEXICAL_WEIGHT and DEFAULT_THRESHOLD are what the documented calibration on batch A gives."""
    w, curve = st.choose_lexical_weight()
    assert w == st.LEXICAL_WEIGHT
    assert len(curve) >= 5
    t, _ = st.calibrate_on_tuning(w)
    assert t == pytest.approx(st.DEFAULT_THRESHOLD)


def test_leave_one_target_out_summary() -> None:
    lo = st.leave_one_target_out()
    summ = st.loto_summary(lo)
    assert len(lo) == 169
    assert summ["top3_goal_accuracy"] >= summ["goal_accuracy"]
    assert 0 <= summ["abstention"] < 1
    assert not lo.goal_ok[lo.pred_goal.isna()].any()
    assert summ["goal_accuracy"] > 0.5  # official texts of other targets still point to the right goal


def test_stated_alignment_is_split_off() -> None:
    rest, codes = st.split_stated("Ampliar el transporte público. Alineación ODS: meta 11.2, 11.6 y 3.6.")
    assert codes == ["11.2", "11.6", "3.6"]
    assert "Alineación" not in rest
    assert rest.startswith("Ampliar")
    assert st.split_stated("Sin alineación declarada.") == ("Sin alineación declarada.", [])
    assert st.split_stated("Alineación ODS: metas 17.a; 17.17")[1] == ["17.a", "17.17"]


def test_frozen_set_reads_and_checks_rows(tmp_path: Path) -> None:
    df = st.read_target_validation()
    assert len(df) == 242
    assert (df.target == "").sum() >= 15
    bad = tmp_path / "f.csv"
    bad.write_text("sentence_id,kind,text,target,goal,note\nS1,linea,Texto,11.99,11,\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"line 2 \(id S1\): field 'target' '11.99'"):
        st.read_target_validation(bad)
    bad.write_text("sentence_id,kind,text,target,goal,note\nS1,linea,Texto,11.2,12,\n", encoding="utf-8")
    with pytest.raises(ValueError, match="field 'goal'"):
        st.read_target_validation(bad)


def test_evaluate_targets_by_hand() -> None:
    gold = pd.DataFrame({"target": ["11.2", "3.1", "", "6.1"], "goal": ["11", "3", "", "6"]})
    pred = pd.DataFrame({"top_sdg": pd.array([11, 17, 8, pd.NA], dtype="Int64"),
                         "top_target": ["11.2", "17.1", "8.1", ""], "targets": ["11.2", "17.1;3.1", "8.1", "6.1"]})
    summ, per = st.evaluate_targets(gold, pred)
    assert summ["target_accuracy"] == pytest.approx(1 / 3)
    assert summ["goal_accuracy"] == pytest.approx(1 / 3)
    assert summ["top3_target_accuracy"] == 1
    assert summ["abstention_with_target"] == pytest.approx(1 / 3)
    assert summ["abstention_without_target"] == 0
    assert summ["other_to_17"] == 1
    assert summ["other_to_8"] == 1
    assert per.set_index("sdg").loc[17, "assigned_from_other"] == 1
    assert np.isnan(per.set_index("sdg").loc[1, "goal_accuracy"])


# --- the command -----------------------------------------------------------------------------------


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return run_cli("sdg", *args)


@pytest.mark.slow
def test_command_target_columns_threshold_and_summary(tmp_path: Path) -> None:
    src = tmp_path / "in.csv"
    src.write_text('id,text\na,"Ampliar el transporte público y mejorar la seguridad vial"\nb,Publicar la gaceta municipal\nc,\n',
                   encoding="utf-8")
    out = tmp_path / "out.csv"
    res = _run("classify", str(src), "--text-col", "text", "--id-col", "id", "--out", str(out))
    assert res.returncode == 0, res.stderr
    with out.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0]) == ["id", "top_sdg", "sdgs", *sdg.SCORE_COLUMNS, *st.TARGET_COLUMNS, "evidence"]
    assert rows[0]["top_target"] == "11.2"
    assert rows[0]["targets"].startswith("11.2;")
    assert float(rows[0]["target_score_1"]) > 0
    assert rows[1]["top_sdg"] == ""  # abstention
    assert rows[1]["top_target"] == ""
    assert rows[1]["targets"] != ""
    assert rows[2]["targets"] == ""
    assert rows[2]["target_score_1"] == ""
    assert "1 abstentions" in res.stderr
    assert "1 empty texts" in res.stderr
    res = _run("classify", str(src), "--out", str(out), "--threshold", "0")
    assert res.returncode == 0
    assert "0 abstentions" in res.stderr
    assert pd.read_csv(out, dtype=str, keep_default_na=False).top_target.tolist()[:2] != ["11.2", ""]
    res = _run("classify", str(src), "--out", str(out), "--threshold", "mucho")
    assert res.returncode == 2
    assert "--threshold expects a number" in res.stderr


def test_bench_measures_target_pass_against_goal_pass() -> None:
    out = bench.bench_classify_targets(60)
    assert out["texts"] == 60
    assert out["goal_texts_per_s"] > 0
    assert out["target_texts_per_s"] > 0
    assert out["ratio"] == pytest.approx(out["goal_texts_per_s"] / out["target_texts_per_s"])


def test_plan_segments_stated_and_suggested_targets() -> None:
    segs = pd.DataFrame({
        "segment_id": ["p-1", "p-2", "p-3"], "plan_id": ["p"] * 3, "inegi_code": ["23005"] * 3, "eje": ["1", "1", "2"],
        "level": ["linea"] * 3,
        "text": ["1.1.1.1 Ampliar el transporte público y la seguridad vial. Alineación ODS: meta 11.2.",
                 "1.1.1.2 Construir ciclovías y banquetas en la ciudad. Alineación ODS: metas 3.6 y 11.7.",
                 "2.1.1.1 Publicar la gaceta."],
    })
    clean, stated = st.strip_stated(segs)
    assert stated == ["11.2", "3.6;11.7", ""]
    assert not clean.text.str.contains("ODS").any()
    aligned = st.classify_plan_targets(segs)
    assert aligned.stated_targets.tolist() == stated
    assert aligned.top_target.iloc[0] == "11.2"
    assert aligned.top_target.iloc[2] == ""  # nothing to align: abstains
    cmp_ = st.stated_vs_suggested(aligned)
    assert cmp_.segment_id.tolist() == ["p-1", "p-2"]
    assert bool(cmp_.same_target.iloc[0])
    assert cmp_.same_goal.iloc[1] == (aligned.top_target.iloc[1].split(".")[0] in {"3", "11"})
    counts = st.targets_by_group(aligned, "eje")
    assert counts.segments.sum() == (aligned.top_target != "").sum()
    assert set(counts.eje) <= {"1"}


def test_frozen_set_is_unchanged() -> None:
    assert hashlib.sha256(st.FROZEN_PATH.read_bytes()).hexdigest() == st.FROZEN_SHA256


def test_command_uses_the_link_vocabulary_of_the_given_dictionary(tmp_path: Path) -> None:
    src = tmp_path / "in.csv"
    src.write_text("id,text\n1,Construir ciclovías en la ciudad\n", encoding="utf-8")
    dic = tmp_path / "d.yml"
    text = (ROOT / "data/curated/ods_diccionario.yml").read_text(encoding="utf-8")
    dic.write_text(text.split("\nmetas:\n")[0] + "\n", encoding="utf-8")  # same dictionary, no link vocabulary
    out = tmp_path / "o.csv"
    res = _run("classify", str(src), "--out", str(out), "--dictionary", str(dic), "--threshold", "0")
    assert res.returncode == 0, res.stderr
    assert "ciclovia" not in pd.read_csv(out, dtype=str, keep_default_na=False).evidence.iloc[0].split(";")[0]
    res = _run("classify", str(src), "--out", str(out), "--threshold", "0")
    assert "ciclovia" in pd.read_csv(out, dtype=str, keep_default_na=False).evidence.iloc[0]

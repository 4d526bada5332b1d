"""The interview coder measured on the frozen passages: reading, refusing a changed file, the metrics."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from analysis import paths
from analysis.analyses.qda import load_codebook
from analysis.analyses.qda import validation as v


def test_frozen_file_is_the_frozen_one() -> None:
    df = v.read_passages()
    assert len(df) >= 60
    assert df.passage_id.is_unique


def test_a_changed_file_is_refused(tmp_path: Path) -> None:
    copy = tmp_path / "p.csv"
    copy.write_text(v.PASSAGES_CSV.read_text(encoding="utf-8") + 'P999,"Otro pasaje.",turismo,\n', encoding="utf-8")
    with pytest.raises(v.PassageError, match="changed"):
        v.read_passages(copy)


def test_duplicate_ids_and_empty_text_are_named(tmp_path: Path) -> None:
    bad = tmp_path / "p.csv"
    bad.write_text('passage_id,text,codes,note\nP1,"Uno.",turismo,\nP1,"Dos.",,\n', encoding="utf-8")
    with pytest.raises(v.PassageError, match="P1"):
        v.read_passages(bad, sha256=None)
    bad.write_text('passage_id,text,codes,note\nP1," ",turismo,\n', encoding="utf-8")
    with pytest.raises(v.PassageError, match="line 2"):
        v.read_passages(bad, sha256=None)


def test_metrics_count_hits_misses_and_false_codes() -> None:
    passages = pd.DataFrame({"passage_id": ["a", "b", "c"], "text": ["x", "y", "z"],
                             "codes": ["turismo;migracion", "turismo", ""], "note": ""})
    found = {"a": {"turismo"}, "b": {"turismo", "migracion"}, "c": {"migracion"}}
    table, overall = v.evaluate_passages(passages, found, ["turismo", "migracion"])
    t = table.set_index("code")
    assert t.loc["turismo", "recall"] == 1.0
    assert t.loc["turismo", "precision"] == 1.0
    assert t.loc["migracion", "recall"] == 0.0
    assert t.loc["migracion", "precision"] == 0.0
    assert overall["recall"] == pytest.approx(2 / 3)
    assert overall["precision"] == pytest.approx(2 / 4)
    assert overall["exact_share"] == 0.0
    assert overall["false_codes_on_empty"] == 1.0


def test_unknown_expected_code_is_an_error() -> None:
    cb = load_codebook(paths.INTERVIEWS / "codebook.yml")
    passages = pd.DataFrame({"passage_id": ["a"], "text": ["Un texto."], "codes": ["no_existe"], "note": ""})
    with pytest.raises(v.PassageError, match="no_existe"):
        v.code_passages(passages, cb)


def test_coder_finds_an_obvious_twinning() -> None:
    cb = load_codebook(paths.INTERVIEWS / "codebook.yml")
    passages = pd.DataFrame({"passage_id": ["a"], "text": ["Firmamos un hermanamiento con una ciudad de Francia."],
                             "codes": ["hermanamiento"], "note": ""})
    assert "hermanamiento" in v.code_passages(passages, cb)["a"]

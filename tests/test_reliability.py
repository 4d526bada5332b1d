"""Reliability: kappa and alpha against hand computations, gold validation, bootstrap determinism."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis import paths
from analysis.analyses import qda
from analysis.analyses.qda import privacy, reliability
from analysis.ingest.transcripts import load_corpus


@pytest.fixture(scope="module")
def codebook() -> qda.Codebook:
    return qda.load_codebook(paths.INTERVIEWS / "codebook.yml")


@pytest.fixture(scope="module")
def demo(codebook: qda.Codebook) -> qda.CodingResult:
    corpus = load_corpus(paths.INTERVIEWS / "transcripts")
    corpus = privacy.pseudonymise_corpus(corpus, privacy.resolve_register(None, corpus))
    return qda.Coder(codebook).code(corpus)


def test_cohen_kappa_by_hand() -> None:
    # po = 0.75; pe = 0.5 * 0.25 + 0.5 * 0.75 = 0.5; kappa = 0.5
    assert reliability.cohen_kappa(np.array([1, 1, 0, 0]), np.array([1, 0, 0, 0])) == pytest.approx(0.5)
    assert np.isnan(reliability.cohen_kappa(np.zeros(4), np.zeros(4)))


def test_alpha_nominal_by_hand() -> None:
    # two coders, 4 units: values (1,1), (1,0), (0,0), (0,0): Do = 2*1/8 ... alpha = 1 - Do/De
    # coincidences: o11 = 2, o10 = o01 = 1, o00 = 4; n = 8; n1 = 3, n0 = 5
    # Do = (o10 + o01) / n = 2/8; De = 2 * n1 * n0 / (n * (n - 1)) = 30/56
    expected = 1 - (2 / 8) / (30 / 56)
    assert reliability.alpha_nominal(np.array([1, 1, 0, 0]), np.array([1, 0, 0, 0])) == pytest.approx(expected)


def test_compare_reports_disagreements() -> None:
    a = {"s1": frozenset({"x"}), "s2": frozenset({"x", "y"}), "s3": frozenset()}
    b = {"s1": frozenset({"x"}), "s2": frozenset({"x"}), "s3": frozenset({"y"})}
    rep = reliability.compare(a, b, ["x", "y"], seed=1, n_boot=50)
    assert rep.overall["exact_agreement_pct"] == pytest.approx(100 / 3, abs=0.1)
    row = rep.per_code.set_index("code").loc["y"]
    assert (row.n_auto, row.n_gold, row.both) == (1, 1, 0)
    assert rep.disagreements.set_index("segment_id").loc["s2", "only_auto"] == "y"
    assert rep.disagreements.set_index("segment_id").loc["s3", "only_gold"] == "y"
    assert list(rep.disagreements.segment_id) == ["s2", "s3"]


def test_identical_codings_agree_fully() -> None:
    a = {f"s{i}": frozenset({"x"} if i % 2 else {"y"}) for i in range(20)}
    rep = reliability.compare(a, dict(a), ["x", "y"], seed=0, n_boot=100)
    assert rep.overall["alpha"] == pytest.approx(1.0)
    assert rep.disagreements.empty
    assert (rep.per_code.kappa == 1.0).all()


def test_gold_matches_current_segmentation(demo: qda.CodingResult, codebook: qda.Codebook) -> None:
    gold = reliability.load_gold(paths.INTERVIEWS / "gold", codebook, demo.segments)
    assert 40 <= len(gold) <= 80
    assert gold.attrs["set_aside"] == 0
    rep = reliability.evaluate(demo.codes, demo.segments, gold, codebook.codable, seed=3, n_boot=200)
    again = reliability.evaluate(demo.codes, demo.segments, gold, codebook.codable, seed=3, n_boot=200)
    assert rep is not None
    assert again is not None
    assert rep.overall == again.overall  # seeded bootstrap
    assert rep.overall["alpha_low"] <= rep.overall["alpha"] <= rep.overall["alpha_high"]


def test_gold_errors_name_file_and_line(demo: qda.CodingResult, codebook: qda.Codebook, tmp_path: Path) -> None:
    src = pd.read_csv(paths.INTERVIEWS / "gold" / "ENT-04.csv", dtype=str, keep_default_na=False)
    bad = src.copy()
    bad.loc[2, "codes"] = "no_such_code"
    bad.to_csv(tmp_path / "g.csv", index=False)
    with pytest.raises(reliability.GoldError, match=r"g.csv, line 4: code 'no_such_code'"):
        reliability.load_gold(tmp_path / "g.csv", codebook, demo.segments)
    drift = src.copy()
    drift.loc[0, "text"] = "Un texto que ya no coincide."
    drift.to_csv(tmp_path / "g.csv", index=False)
    with pytest.raises(reliability.GoldError, match=r"line 2: the text of ENT-04-t002-s01 differs"):
        reliability.load_gold(tmp_path / "g.csv", codebook, demo.segments)

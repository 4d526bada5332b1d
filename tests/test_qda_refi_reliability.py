"""Codings of a REFI-QDA project back into the reliability analysis: person-engine and person-person."""

from __future__ import annotations

from pathlib import Path

import krippendorff
import numpy as np
import pandas as pd
import pytest

from analysis import paths
from analysis.analyses import qda
from analysis.analyses.qda import privacy, refi, reliability
from analysis.ingest.transcripts import load_corpus


@pytest.fixture(scope="module")
def demo() -> tuple[qda.Codebook, list, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    cb = qda.load_codebook(paths.INTERVIEWS / "codebook.yml")
    corpus = privacy.pseudonymise_corpus(load_corpus(paths.INTERVIEWS / "transcripts"),
                                         privacy.load_register(privacy.EXAMPLE_REGISTER))
    res = qda.Coder(cb).code(corpus)
    gold = reliability.load_gold(paths.INTERVIEWS / "gold", cb, res.segments)
    return cb, corpus, res.segments, res.codes, gold


def test_binary_alpha_and_kappa_match_the_reference_implementations() -> None:
    rng = np.random.default_rng(3)
    for _ in range(20):
        x, y = rng.integers(0, 2, 30), rng.integers(0, 2, 30)
        ref = krippendorff.alpha(reliability_data=np.vstack([x, y]).astype(float), level_of_measurement="nominal")
        assert reliability.alpha_binary(x, y) == pytest.approx(ref)
        assert reliability.kappa_binary(x, y) == pytest.approx(reliability.cohen_kappa(x, y))


def test_every_statistic_has_an_interval_that_contains_it(demo) -> None:  # type: ignore[no-untyped-def]
    cb, _, segments, codes, gold = demo
    rep = reliability.evaluate(codes, segments, gold, cb.codable, seed=1, n_boot=200)
    assert rep is not None
    for s in ("agreement", "kappa", "alpha"):
        est = rep.per_code["agreement_pct" if s == "agreement" else s]
        ok = est.isna() | ((rep.per_code[f"{s}_low"] <= est + 1e-9) & (est <= rep.per_code[f"{s}_high"] + 1e-9))
        assert ok.all(), s
    o = rep.overall
    assert o["alpha_low"] < o["alpha"] < o["alpha_high"]
    assert o["mean_kappa_low"] < o["mean_kappa"] < o["mean_kappa_high"]


def test_imported_project_gives_the_same_agreement_as_the_gold_table(demo, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    cb, corpus, segments, codes, gold = demo
    direct = reliability.evaluate(codes, segments, gold, cb.codable, seed=5, n_boot=200)
    assert direct is not None
    docs = set(gold.doc_id)
    p = refi.write_qdpx([t for t in corpus if t.id in docs], reliability.gold_as_codings(gold, segments), cb,
                        tmp_path / "revision.qdpx", coder="CH1")
    f = refi.read_refi(p)
    table = reliability.agreement_from_project(f.codings, segments, codes, cb.codable, seed=5, n_boot=200)
    pooled = table[table.code == "(todas)"].iloc[0]
    assert (pooled.coder_a, pooled.coder_b) == ("CH1", "motor")
    assert pooled.alpha == direct.overall["alpha"]
    assert pooled.kappa == direct.overall["mean_kappa"]
    per = table[table.code != "(todas)"].set_index("code")
    assert per.kappa.equals(direct.per_code.set_index("code").kappa)


def test_two_people_in_one_project_are_compared_with_each_other(demo, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    cb, corpus, segments, codes, gold = demo
    first = reliability.gold_as_codings(gold, segments)
    second = first[first.code != "hermanamiento"].assign(coder="CH2")  # the second person never uses one code
    docs = set(gold.doc_id)
    p = refi.write_qdpx([t for t in corpus if t.id in docs], pd.concat([first, second]), cb, tmp_path / "dos.qdpx")
    f = refi.read_refi(p)
    assert sorted(set(f.codings.coder)) == ["CH1", "CH2"]
    table = reliability.agreement_from_project(f.codings, segments, codes, cb.codable, seed=5, n_boot=200)
    people = table[(table.coder_a == "CH1") & (table.coder_b == "CH2")].set_index("code")
    assert people.loc["hermanamiento", "kappa"] == 0.0 or np.isnan(people.loc["hermanamiento", "kappa"])
    used = people.drop(index=["hermanamiento", "(todas)"])
    assert (used.kappa.dropna() == 1.0).all()
    assert set(table.coder_b) == {"motor", "CH2"}


def test_selections_that_do_not_follow_sentences_are_assigned_by_overlap(demo) -> None:  # type: ignore[no-untyped-def]
    _, _, segments, _, _ = demo
    seg = segments[segments.speaker != "E"].iloc[0]
    rows = pd.DataFrame([{"source_name": seg.doc_id, "start": seg.start + 2, "end": seg.end - 1, "code": "turismo",
                          "coder": "A"},
                         {"source_name": seg.doc_id, "start": seg.end - 1, "end": seg.end + 40, "code": "migracion",
                          "coder": "A"}])
    coding = reliability.project_codings(rows, segments)["A"]
    assert coding[seg.segment_id] == frozenset({"turismo"})

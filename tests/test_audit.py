"""The audit of the twinning outcome: Wilson intervals, the seeded stratified sample, the curated tables."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest

from analysis import paths
from analysis.analyses import audit
from analysis.tables.sources_union import read_links


def _links(n_per: int = 6) -> pd.DataFrame:
    rows = []
    for prov in audit.STRATA:
        for i in range(n_per):
            rows.append({"inegi_code": f"{10000 + i:05d}", "partner_id": f"{prov}-{i}", "partner_key": f"city {prov} {i}|USA",
                         "partner_city": f"City {prov} {i}", "partner_country_iso3": "USA", "provenance": prov})
    return pd.DataFrame(rows)


def test_wilson_matches_known_values() -> None:
    lo, hi = audit.wilson(5, 10)
    assert (round(lo, 4), round(hi, 4)) == (0.2366, 0.7634)
    assert audit.wilson(0, 10) == (0.0, pytest.approx(0.2775, abs=1e-4))
    assert audit.wilson(10, 10) == (pytest.approx(0.7225, abs=1e-4), 1.0)
    assert all(math.isnan(x) for x in audit.wilson(0, 0))
    with pytest.raises(ValueError, match="between 0 and n"):
        audit.wilson(11, 10)


def test_sample_is_stratified_seeded_and_stable() -> None:
    links = _links()
    a = audit.draw_sample(links, seed=1, per_stratum=3)
    assert a.provenance.value_counts().to_dict() == {p: 3 for p in audit.STRATA}
    assert a.equals(audit.draw_sample(links, seed=1, per_stratum=3))
    assert set(a.link_id) != set(audit.draw_sample(links, seed=2, per_stratum=3).link_id)
    # a link added to one stratum moves at most one drawn link of that stratum, none of the others
    more = pd.concat([links, links.iloc[[0]].assign(partner_id="wikipedia-new")], ignore_index=True)
    b = audit.draw_sample(more, seed=1, per_stratum=3)
    for prov in ("wikidata", "both"):
        assert set(a[a.provenance == prov].link_id) == set(b[b.provenance == prov].link_id)
    assert len(set(a.link_id) ^ set(b.link_id)) <= 2


def _audit_rows(sample: pd.DataFrame) -> pd.DataFrame:
    return sample.assign(municipality="X", verdict="no_evidence", search_scope="none", evidence_url="",
                         consulted="2026-12-07", note="nothing found")[audit.AUDIT_COLUMNS]


def test_read_audit_rejects_bad_rows(tmp_path: Path) -> None:
    sample = audit.draw_sample(_links(), seed=1, per_stratum=2)
    good = _audit_rows(sample)
    path = tmp_path / "link_audit.csv"
    good.to_csv(path, index=False)
    assert len(audit.read_audit(path)) == len(good)
    for field, value, problem in [("verdict", "maybe", "verdict"), ("consulted", "7/12/2026", "consulted"),
                                  ("note", " ", "note"), ("search_scope", "some", "search_scope")]:
        bad = good.copy()
        bad.loc[1, field] = value
        bad.to_csv(path, index=False)
        with pytest.raises(audit.AuditError, match=rf"row 3, field {problem}"):
            audit.read_audit(path)
    bad = good.copy()
    bad.loc[0, "verdict"] = "confirmed"  # a confirmation without its evidence
    bad.to_csv(path, index=False)
    with pytest.raises(audit.AuditError, match="row 2, field evidence_url"):
        audit.read_audit(path)


def test_audit_must_be_the_drawn_sample() -> None:
    links = _links()
    sample = audit.draw_sample(links, seed=1, per_stratum=2)
    rows = _audit_rows(sample)
    audit.check_audit_sample(rows, links, seed=1, per_stratum=2)
    not_drawn = links[~links.partner_id.isin(sample.partner_id)].iloc[0]
    planted = rows.copy()
    planted.loc[0, ["link_id", "partner_id"]] = [audit.link_id(not_drawn.inegi_code, not_drawn.partner_id),
                                                 not_drawn.partner_id]
    with pytest.raises(audit.AuditError, match="not the sample"):
        audit.check_audit_sample(planted, links, seed=1, per_stratum=2)


def test_precision_counts_and_denominators() -> None:
    rows = pd.DataFrame({"provenance": ["both"] * 4 + ["wikidata"] * 4,
                         "verdict": ["confirmed", "confirmed", "contradicted", "no_evidence",
                                     "no_evidence", "no_evidence", "no_evidence", "confirmed"]})
    t = audit.precision_by_stratum(rows).set_index("stratum")
    assert t.loc["both", ["audited", "confirmed", "contradicted", "decided"]].tolist() == [4, 2, 1, 3]
    assert t.loc["both", "precision"] == pytest.approx(2 / 3)
    assert t.loc["both", "confirmed_share"] == pytest.approx(0.5)
    assert t.loc["wikidata", "precision"] == 1.0
    assert t.loc["wikidata", "confirmed_share"] == 0.25
    assert t.loc["wikipedia", "audited"] == 0
    assert math.isnan(t.loc["wikipedia", "precision"])
    assert t.loc["all", "confirmed"] == 3
    assert audit.share_text(1, 4) == "1 de 4 (25.0 %; IC 95 %: 4.6 % a 69.9 %)"


def test_recall_matches_by_city_key() -> None:
    links = pd.DataFrame({"inegi_code": ["14039", "14039"], "partner_id": ["Q1", "kyoto|JPN"],
                          "partner_key": ["seville|ESP", "kyoto|JPN"], "partner_city": ["Seville", "Kyoto"],
                          "partner_country_iso3": ["ESP", "JPN"]})
    lists = pd.DataFrame({"list_id": ["a", "a", "a", "b"], "inegi_code": ["14039", "14039", "20067", ""],
                          "level": ["municipal", "municipal", "municipal", "state"],
                          "partner_city": ["Kyoto", "Seville", "Kyoto", "Nagoya"],
                          "partner_country_iso3": ["JPN", "ESP", "JPN", "JPN"]})
    out = audit.recall_check(lists, links)
    assert out.in_union.tolist() == [True, True, False]  # state rows are not counted
    by = audit.recall_by_list(out).set_index("list_id")
    assert by.loc["all", ["entries", "in_union"]].tolist() == [3, 2]


def test_curated_tables_are_valid_and_match_the_union() -> None:
    auditoria = audit.read_audit()
    assert len(auditoria) >= 120
    assert set(auditoria.provenance) == set(audit.STRATA)
    assert (auditoria.verdict != "confirmed").sum() < len(auditoria)
    recall = audit.read_recall_lists()
    assert recall.url.str.startswith("http").all()
    links_csv = paths.PROCESSED / "twinning_links.csv"
    if not links_csv.exists():
        pytest.skip("run notebook 00 to check the sample against the union")
    audit.check_audit_sample(auditoria, read_links(links_csv))

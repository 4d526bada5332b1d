"""The reviewed matching of the two-source union: candidates, the curated decisions and their application."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis import paths
from analysis.ingest.sources import load_manifest
from analysis.tables import sources_union as su


def _link(code: str, pid: str, city: str, prov: str, lat: float, lon: float, iso: str = "ESP") -> dict[str, object]:
    return {"inegi_code": code, "state_code": code[:2], "partner_id": pid, "partner_key": f"{city.lower()}|{iso}",
            "partner_qid": pid if pid.startswith("Q") else "", "partner_city": city, "partner_country_iso3": iso,
            "partner_lat": lat, "partner_lon": lon, "partner_pop": np.nan if prov == "wikipedia" else 1000.0,
            "provenance": prov, "key_method": "", "wikipedia_pair_ids": "W1" if prov != "wikidata" else "",
            "wikidata_edge_ids": "" if prov == "wikipedia" else "E1"}


def _union() -> pd.DataFrame:
    return pd.DataFrame([
        _link("14039", "Q11953", "Guadalajara", "wikipedia", 40.63, -3.16),
        _link("14039", "Q54925", "Guadalajara Province", "wikidata", 40.9, -2.6),
        _link("14039", "Q8717", "Seville", "both", 37.39, -5.99),
        _link("02002", "Q753034", "Calexico", "wikipedia", 32.68, -115.5, "USA"),
        _link("02004", "Q753034", "Calexico", "wikidata", 32.68, -115.5, "USA"),
    ])[su.LINK_COLUMNS]


def _review(rows: list[tuple[str, str, str, str, str, str]]) -> pd.DataFrame:
    return pd.DataFrame([{"kind": k, "inegi_code": c, "partner_id": p, "partner_city": "", "decision": d,
                          "target_partner_id": t, "reason": r, "evidence_url": ""} for k, c, p, d, t, r in rows])


FULL = [("same_city_two_keys", "14039", "Q54925", "merge", "Q11953", "province node; the twinning is with the city"),
        ("same_city_two_keys", "14039", "Q11953", "keep", "", "target of the merge"),
        ("shared_partner_same_state", "02002", "Q753034", "keep", "", "documented"),
        ("shared_partner_same_state", "02004", "Q753034", "keep", "", "only in Wikidata, flagged")]


def test_candidates_find_two_keys_and_shared_partners() -> None:
    cand = su.matching_candidates(_union())
    assert set(zip(cand.kind, cand.inegi_code, cand.partner_id, strict=True)) == {(k, c, p) for k, c, p, *_ in FULL}


def test_merge_folds_the_link_and_recomputes_provenance() -> None:
    out, counts = su.apply_matching_review(_union(), _review(FULL))
    assert len(out) == 4
    assert counts["links_before_review"] == 5
    assert counts["links_after_review"] == 4
    row = out[(out.inegi_code == "14039") & (out.partner_id == "Q11953")].iloc[0]
    assert row.provenance == "both"
    assert row.wikidata_edge_ids == "E1"
    assert row.partner_pop == 1000.0
    assert counts["wikipedia_before_review"] - counts["wikipedia_after_review"] == 1
    assert counts["both_after_review"] - counts["both_before_review"] == 1
    assert list(out.columns) == su.LINK_COLUMNS


def test_a_candidate_without_a_review_row_stops_the_build() -> None:
    with pytest.raises(su.SourcesUnionError, match=r"without a reviewed row: .*02004"):
        su.apply_matching_review(_union(), _review(FULL[:3]))


def test_a_review_row_without_its_link_is_an_error() -> None:
    planted = [*FULL, ("same_city_two_keys", "14039", "Q999", "keep", "", "no such link")]
    with pytest.raises(su.SourcesUnionError, match="row 6: no link 14039 Q999"):
        su.apply_matching_review(_union(), _review(planted))
    bad_target = [("same_city_two_keys", "14039", "Q54925", "merge", "Q1", "x"), *FULL[1:]]
    with pytest.raises(su.SourcesUnionError, match="target_partner_id"):
        su.apply_matching_review(_union(), _review(bad_target))


def test_read_review_names_row_and_field(tmp_path: Path) -> None:
    path = tmp_path / "review.csv"
    good = _review(FULL)
    good.to_csv(path, index=False)
    assert len(su.read_matching_review(path)) == 4
    for field, value in [("decision", "drop"), ("kind", "other"), ("reason", " "), ("inegi_code", "1403")]:
        bad = good.copy()
        bad.loc[2, field] = value
        bad.to_csv(path, index=False)
        with pytest.raises(su.SourcesUnionError, match=f"row 4, field {field}"):
            su.read_matching_review(path)
    bad = good.copy()
    bad.loc[1, "target_partner_id"] = "Q1"  # a keep row with a target
    bad.to_csv(path, index=False)
    with pytest.raises(su.SourcesUnionError, match="row 3, field target_partner_id"):
        su.read_matching_review(path)


def test_curated_review_covers_the_processed_union() -> None:
    review = su.read_matching_review()
    assert (review.decision == "merge").sum() >= 1
    links = paths.PROCESSED / "twinning_links.csv"
    if not links.exists():
        pytest.skip("run notebook 00 first")
    union = su.read_links(links)
    merged = review[review.decision == "merge"]
    present = set(zip(union.inegi_code, union.partner_id, strict=True))
    assert not any((c, p) in present for c, p in zip(merged.inegi_code, merged.partner_id, strict=True))
    assert all((c, t) in present for c, t in zip(merged.inegi_code, merged.target_partner_id, strict=True))


def test_wikidata_cut_off_is_checked_on_the_graph() -> None:
    graph = su.WikidataGraph(Path("g.gexf"), pd.DataFrame({"pop": [12_000.0, 10_007.0]}), pd.DataFrame(), None)  # type: ignore[arg-type]
    assert su.smallest_population(graph) == 10_007.0
    planted = su.WikidataGraph(Path("g.gexf"), pd.DataFrame({"pop": [12_000.0, 9_000.0]}), pd.DataFrame(), None)  # type: ignore[arg-type]
    with pytest.raises(su.SourcesUnionError, match="below the copy's stated cut-off"):
        su.smallest_population(planted)


def test_manifest_carries_spanish_licences() -> None:
    manifest = {s.id: s for s in load_manifest()}
    assert manifest["twincities_raw"].licence_es.startswith("Código MIT")
    assert all(s.licence_es or s.licence == "MIT" or s.licence.startswith("MIT") for s in manifest.values())

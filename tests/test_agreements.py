"""Canonical agreements table and the Wikipedia adapter."""

from __future__ import annotations

import pandas as pd
import pytest

from analysis.tables.agreements import CANONICAL_COLUMNS, AgreementDataError, from_links, from_twinnings, validate_canonical
from analysis.tables.registry import load_agreements


def _twinnings() -> pd.DataFrame:
    rows = [  # pair_id, inegi_code, state_code, level, status, duplicate, note
        ("W00001", "23005", "23", "municipal", "matched", False, ""),
        ("W00002", "23005", "23", "municipal", "matched", True, ""),
        ("W00003", "", "09", "state", "unmatched", False, "the Mexican party is a federal entity"),
        ("W00004", "", "05", "municipal", "ambiguous", False, "name matches 3 municipalities"),
        ("W00005", "", "", "municipal", "unmatched", False, "no municipality of that name"),
        ("W00006", "14039", "14", "municipal", "matched", False, ""),
    ]
    df = pd.DataFrame(rows, columns=["pair_id", "inegi_code", "state_code", "level", "match_status",
                                     "reciprocal_duplicate", "match_note"])
    df["mexican_city"] = ["Cancún", "Cancún", "Mexico City", "Allende", "Nowhere", "Guadalajara"]
    df["partner_city"] = ["Wichita", "Wichita", "Berlin", "San Elizario", "X", "Lima"]
    df["partner_country"] = ["United States", "United States", "Germany", "United States", "Spain", "Peru"]
    df["partner_country_iso3"] = ["USA", "USA", "DEU", "USA", "ESP", "PER"]
    df["source"] = "wikipedia_twincities"
    df["source_row"] = range(1, 7)
    return df


def test_wikipedia_adapter_keeps_matched_and_state_rows() -> None:
    r = from_twinnings(_twinnings())
    assert list(r.agreements.columns) == CANONICAL_COLUMNS
    assert r.agreements.agreement_id.tolist() == ["W00001", "W00003", "W00006"]
    assert r.agreements.level.tolist() == ["municipal", "state", "municipal"]
    assert r.agreements.inegi_code.tolist() == ["23005", "", "14039"]
    assert set(r.agreements.agreement_type) == {"hermanamiento"}
    assert (r.agreements.signed_date == "").all()


def test_wikipedia_adapter_accounts_for_every_row() -> None:
    r = from_twinnings(_twinnings())
    assert r.counts["rows_in"] == 6 == r.counts["kept"] + r.counts["set_aside"]
    assert r.counts["set_aside_reciprocal_duplicate"] == 1
    assert r.counts["set_aside_ambiguous"] == 1
    assert r.counts["set_aside_unmatched"] == 1
    reasons = r.review.set_index("source_ref").reason
    assert reasons["W00002"].startswith("reciprocal duplicate")
    assert reasons["W00004"] == "ambiguous: name matches 3 municipalities"
    assert reasons["W00005"].startswith("unmatched")


def test_validate_rejects_broken_tables() -> None:
    good = from_twinnings(_twinnings()).agreements
    with pytest.raises(AgreementDataError, match="duplicated agreement_id"):
        validate_canonical(pd.concat([good, good.head(1)]))
    bad = good.copy()
    bad.loc[0, "inegi_code"] = "235"
    with pytest.raises(AgreementDataError, match="5-digit"):
        validate_canonical(bad)
    bad = good.copy()
    bad.loc[0, "agreement_type"] = "amistad"
    with pytest.raises(AgreementDataError, match="agreement_type"):
        validate_canonical(bad)
    with pytest.raises(AgreementDataError, match="lacks column"):
        validate_canonical(good.drop(columns="source_ref"))


def test_load_agreements_parameters_are_checked() -> None:
    with pytest.raises(AgreementDataError, match="needs rai_path"):
        load_agreements("rai", "")
    with pytest.raises(AgreementDataError, match="Unknown registry"):
        load_agreements("sre", "")


def _links() -> pd.DataFrame:
    return pd.DataFrame({
        "inegi_code": ["23005", "23005", "14039"], "state_code": ["23", "23", "14"],
        "partner_id": ["Q49261", "wichita|USA", "Q2868"], "partner_city": ["Kunming", "Wichita", "Lima"],
        "partner_country_iso3": ["CHN", "USA", "PER"], "provenance": ["wikidata", "wikipedia", "both"],
        "wikipedia_pair_ids": ["", "W00001", "W00006"], "wikidata_edge_ids": ["17", "", "40"],
    })


def test_two_source_adapter_keeps_provenance_and_one_key_per_city() -> None:
    r = from_links(_links(), _twinnings())
    a = r.agreements
    assert list(a.columns) == CANONICAL_COLUMNS
    muni = a[a.level == "municipal"].set_index("partner_id")
    assert muni.loc["Q49261", "provenance"] == "wikidata"
    assert muni.loc["Q49261", "source"] == "wikidata_p190"
    assert muni.loc["Q2868", "source"] == "wikipedia_twincities+wikidata_p190"
    assert muni.loc["Q2868", "source_ref"] == "wikipedia W00006 wikidata 40"
    assert muni.loc["Q2868", "agreement_id"] == "L-14039-Q2868"
    state = a[a.level == "state"]
    assert state.agreement_id.tolist() == ["W00003"]  # the Wikipedia state-level pair, as in from_twinnings
    assert state.provenance.tolist() == ["wikipedia"]
    assert r.counts["kept_municipal"] == 3
    assert r.counts["kept_municipal_both"] == r.counts["kept_municipal_wikidata"] == r.counts["kept_municipal_wikipedia"] == 1
    assert r.counts["rows_in"] == r.counts["kept"] + r.counts["set_aside"]


def test_wikipedia_adapter_keys_cities_and_marks_provenance() -> None:
    a = from_twinnings(_twinnings()).agreements
    assert set(a.provenance) == {"wikipedia"}
    assert a.set_index("agreement_id").loc["W00001", "partner_id"] == "wichita|USA"


def test_two_source_adapter_names_a_bad_provenance() -> None:
    links = _links()
    links.loc[1, "provenance"] = "wiki"
    with pytest.raises(AgreementDataError, match=r"row 3, field provenance: 'wiki'"):
        from_links(links, _twinnings())
    with pytest.raises(AgreementDataError, match="partner_id"):
        from_links(_links().drop(columns="partner_id"), _twinnings())

"""The Wikidata twinning graph reader: a small GEXF, malformed variants, and the real file."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import box

from analysis.ingest import geometry as geo
from analysis.ingest.sources import require
from analysis.ingest.wikidata import WikidataFormatError, country_edges, read_gexf
from analysis.tables.municipalities import read_processed
from analysis.tables.schemas import validate_table
from analysis.tables.sources_union import (
    agreement_by_state,
    assign_qids,
    build_links,
    build_wikidata_twinnings,
    place_name,
)
from analysis.tables.store import read_twinnings
from analysis.tables.twinnings import state_index
from analysis.util import spatial

SMALL = Path(__file__).parent / "fixtures" / "wikidata" / "small.gexf"


def variant(tmp_path: Path, old: str, new: str) -> Path:
    text = SMALL.read_text(encoding="utf-8")
    assert old in text, old
    path = tmp_path / "bad.gexf"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def test_small_graph_nodes_edges_and_counts():
    g = read_gexf(SMALL)
    assert len(g.nodes) == 7
    assert len(g.edges) == 5
    cancun = g.nodes.set_index("qid").loc["Q8969"]
    assert cancun.label == "Cancun"
    assert cancun.country == "Mexico"
    assert cancun.lat == pytest.approx(21.160555555)
    assert cancun["pop"] == 888797
    assert g.report.counts["nodes_in_file"] == 7
    assert g.report.counts["edges_in_file"] == 5
    # Cancun says degree 2 and has 2 edges; Wichita says 2 and has 2; Madrid says 1 but has 2.
    assert g.report.counts["nodes_whose_degree_attribute_differs_from_edges"] == 1


def test_country_edges_orient_and_reconcile():
    g = read_gexf(SMALL)
    mx, counts = country_edges(g)
    assert counts == {"edges_in_file": 5, "edges_without_side_in_country": 1, "edges_with_one_side_in_country": 3,
                      "edges_with_both_sides_in_country": 1}
    assert set(zip(mx.qid_mx, mx.qid_foreign, strict=True)) == {("Q8969", "Q49261"), ("Q2279198", "Q2807"),
                                                                ("Q13160", "Q49261")}


@pytest.mark.parametrize(("old", "new", "message"), [
    ('id="Q456"', 'id="Lyon"', "node 7 (id 'Lyon'), field id"),
    ('id="Q456"', 'id="Q2807"', "Q2807 appears twice"),
    ('label="Lyon"', 'label=" "', "field label"),
    ('for="2" value="45.76"', 'for="2" value="north"', "field lat: 'north' is not a number"),
    ('for="2" value="45.76"', 'for="2" value="145.76"', "outside"),
    ('for="3" value="513275"', 'for="3" value="5132.5"', "field pop"),
    ('target="Q456"', 'target="Q999"', "field target: 'Q999' is not a node"),
    ('source="Q2807" target="Q456"', 'source="Q49261" target="Q8969"', "listed twice"),
    ('title="country"', 'title="nation"', "['country'] are not declared"),
    ("</edges>", "</edge>", "not well-formed XML"),
])
def test_malformed_graph_names_file_place_and_field(tmp_path, old, new, message):
    path = variant(tmp_path, old, new)
    with pytest.raises(WikidataFormatError) as err:
        read_gexf(path)
    assert str(path) in str(err.value)
    assert message in str(err.value)
    assert "data fetch" in str(err.value)


def test_empty_and_foreign_files(tmp_path):
    empty = tmp_path / "empty.gexf"
    empty.write_bytes(b"  \n")
    with pytest.raises(WikidataFormatError, match="empty"):
        read_gexf(empty)
    other = tmp_path / "other.xml"
    other.write_text("<graphml xmlns='http://graphml.graphdrawing.org/xmlns'/>", encoding="utf-8")
    with pytest.raises(WikidataFormatError, match="expected <gexf>"):
        read_gexf(other)


def test_real_graph():
    g = read_gexf(require("wikidata_hermanamientos"))
    assert g.report.counts["nodes_in_file"] == len(g.nodes) == 4566
    assert g.report.counts["edges_in_file"] == len(g.edges) == 8182
    mx, counts = country_edges(g)
    assert counts["edges_with_one_side_in_country"] == len(mx) == 344
    nodes = g.nodes.set_index("qid")
    assert nodes.loc["Q8969", "label"] == "Cancun"
    assert nodes.loc["Q2279198", "label"] == "Benito Juárez Municipality"
    assert sorted(g.nodes.qid[g.nodes.label == "Mexicali"]) == ["Q1477270", "Q199440"]
    assert {"Q8969", "Q2279198"} <= set(mx.qid_mx)


# --- resolution to municipalities and the two-source links table ------------------------------------

MUNIS = pd.DataFrame({
    "inegi_code": ["23005", "14039", "04002", "04003"],
    "state_code": ["23", "14", "04", "04"],
    "state_name": ["Quintana Roo", "Jalisco", "Campeche", "Campeche"],
    "name": ["Benito Juárez", "Guadalajara", "Campeche", "Carmen"],
    "catalogue_name": ["Benito Juárez", "Guadalajara", "Campeche", "Carmen"],
    "seat_name": ["Cancún", "Guadalajara", "San Francisco de Campeche", "Ciudad del Carmen"],
    "population_2020": [911503, 1385629, 294077, 248303],
})
POLYS = gpd.GeoDataFrame({"inegi_code": ["23005", "14039", "04002", "04003"]},
                         geometry=[box(-87.2, 20.8, -86.8, 21.3), box(-103.5, 20.5, -103.2, 20.8),
                                   box(-90.7, 19.6, -90.3, 20.0), box(-91.9, 18.4, -91.5, 18.8)], crs=spatial.CRS)
CAMPECHE = """
      <node id="Q61301" label="Campeche">
        <attvalues><attvalue for="1" value="-90.525" /><attvalue for="2" value="19.8486" />
          <attvalue for="3" value="{pop}" /><attvalue for="4" value="Mexico" /></attvalues>
      </node>
    </nodes>"""


def graph_with_campeche(tmp_path: Path, pop: int) -> Path:
    """The small graph plus a node 'Campeche' of the given population twinned with Madrid."""
    text = SMALL.read_text(encoding="utf-8").replace("</nodes>", CAMPECHE.format(pop=pop).strip(), 1)
    text = text.replace("</edges>", '<edge source="Q61301" target="Q2807" id="9" />\n    </edges>', 1)
    path = tmp_path / f"campeche_{pop}.gexf"
    path.write_text(text, encoding="utf-8")
    return path


def test_place_name_drops_suffixes_but_keeps_state_names():
    states = state_index(MUNIS)
    assert place_name("Benito Juárez Municipality", states) == "Benito Juárez"
    assert place_name("Aguascalientes City", states) == "Aguascalientes"
    assert place_name("Tepic, Jalisco", states) == "Tepic"
    assert place_name("Mexico City", states) == "Mexico City"
    assert place_name("Jalisco", states) == "Jalisco"


def test_city_and_municipality_nodes_resolve_to_one_municipality_and_states_to_state_level():
    wd, report = build_wikidata_twinnings(read_gexf(SMALL), MUNIS, POLYS)
    by = wd.set_index("edge_id")
    assert by.loc["0", "inegi_code"] == "23005"  # Cancun - Wichita
    assert by.loc["1", "inegi_code"] == "23005"  # Benito Juárez Municipality - Madrid
    assert by.loc["2", "level"] == "state"
    assert by.loc["2", "state_code"] == "14"  # Jalisco
    assert by.loc["2", "match_status"] == "unmatched"
    assert report.counts["edges_with_one_side_in_country"] == len(wd) == 3
    assert report.counts["status_matched"] + report.counts["status_unmatched"] == 3
    assert set(by.partner_country_iso3) == {"USA", "ESP"}


@pytest.mark.parametrize(("pop", "level"), [(220389, "municipal"), (928363, "state")])
def test_state_named_node_is_the_state_when_its_population_is(tmp_path, pop, level):
    wd, report = build_wikidata_twinnings(read_gexf(graph_with_campeche(tmp_path, pop)), MUNIS, POLYS)
    row = wd.set_index("edge_id").loc["9"]
    assert row.level == level
    assert row.inegi_code == ("04002" if level == "municipal" else "")
    assert report.counts["state_nodes_by_population"] == (level == "state")


def test_same_link_through_city_and_municipality_nodes_is_flagged(tmp_path):
    text = SMALL.read_text(encoding="utf-8").replace(
        "</edges>", '<edge source="Q2279198" target="Q49261" id="7" />\n    </edges>', 1)
    path = tmp_path / "dup.gexf"
    path.write_text(text, encoding="utf-8")
    wd, report = build_wikidata_twinnings(read_gexf(path), MUNIS, POLYS)
    assert report.counts["duplicate_links_flagged"] == 1
    assert wd.duplicate_link.sum() == 1
    assert set(wd[wd.duplicate_link].qid_foreign) == {"Q49261"}


def wikipedia_table(rows: list[dict[str, object]]) -> pd.DataFrame:
    base = {"match_status": "matched", "reciprocal_duplicate": False, "partner_lat": float("nan"),
            "partner_lon": float("nan")}
    return pd.DataFrame([{**base, **r} for r in rows])


def test_links_table_provenance_and_keys():
    graph = read_gexf(SMALL)
    wd, _ = build_wikidata_twinnings(graph, MUNIS, POLYS)
    tw = wikipedia_table([
        {"pair_id": "W00002", "inegi_code": "23005", "partner_city": "Wichita", "partner_country_iso3": "USA"},
        {"pair_id": "W00003", "inegi_code": "23005", "partner_city": "Sanya", "partner_country_iso3": "CHN"},
        {"pair_id": "W00004", "inegi_code": "14039", "partner_city": "Lyon", "partner_country_iso3": "FRA",
         "match_status": "ambiguous"},
        {"pair_id": "W00005", "inegi_code": "23005", "partner_city": "Wichita", "partner_country_iso3": "USA",
         "reciprocal_duplicate": True},
    ])
    links, counts = build_links(tw, wd, graph)
    by = links.set_index("partner_city")
    assert by.loc["Wichita", "provenance"] == "both"
    assert by.loc["Wichita", "partner_qid"] == "Q49261"
    assert by.loc["Wichita", "partner_pop"] == 389255
    assert by.loc["Sanya", "provenance"] == "wikipedia"
    assert by.loc["Sanya", "partner_id"] == "sanya|CHN"
    assert by.loc["Madrid", "provenance"] == "wikidata"
    assert counts["links_both"] == 1
    assert counts["links_wikipedia_only"] == 1
    assert counts["links_wikidata_only"] == 1
    assert counts["links_total"] == len(links) == 3
    agree = agreement_by_state(links, MUNIS).set_index("state_code")
    assert agree.loc["23", ["wikipedia_only", "wikidata_only", "both"]].tolist() == [1, 1, 1]
    assert agree.loc["23", "both_pct"] == pytest.approx(33.3)
    assert agree.loc["14", "links_total"] == 0


def test_assign_qids_by_key_and_by_coordinates():
    nodes = read_gexf(SMALL).nodes
    cities = pd.DataFrame({"partner_city": ["Wichita", "Lyons", "Lyon 3e", "Paris"],
                           "partner_country_iso3": ["USA", "FRA", "FRA", "FRA"],
                           "partner_lat": [float("nan"), 45.75, 45.76, 48.85], "partner_lon": [float("nan"), 4.85, 4.84, 2.35]})
    out = assign_qids(cities, nodes).set_index("partner_city")
    assert out.loc["Wichita", ["partner_qid", "key_method"]].tolist() == ["Q49261", "city_key"]
    assert out.loc["Lyons", ["partner_qid", "key_method"]].tolist() == ["Q456", "coordinates+name"]
    assert out.loc["Lyon 3e", "partner_qid"] == ""  # near but a different name: not assumed to be Lyon
    assert out.loc["Paris", "partner_qid"] == ""


@pytest.mark.slow
@pytest.mark.usefixtures("real_data")
def test_real_wikidata_resolution_and_links():
    graph = read_gexf(require("wikidata_hermanamientos"))
    munis = read_processed()
    wd, report = build_wikidata_twinnings(graph, munis, geo.load_municipal_boundaries())
    assert len(wd) == 344
    node = wd.drop_duplicates("qid_mx").set_index("qid_mx")
    assert node.loc["Q8969", "inegi_code"] == node.loc["Q2279198", "inegi_code"] == "23005"
    assert node.loc["Q13160", "level"] == "state"
    assert node.loc["Q15282", "level"] == "state"
    assert node.loc["Q79923", "level"] == "state"  # "Puebla" with the state's population
    assert node.loc["Q125293", "inegi_code"] == "21114"  # "Puebla City"
    assert node.loc["Q1477270", "inegi_code"] == node.loc["Q199440", "inegi_code"] == "02002"
    assert sum(report.counts[f"status_{s}"] for s in ("matched", "ambiguous", "unmatched")) == 344
    links, counts = build_links(read_twinnings(), wd, graph)
    assert counts["links_both"] + counts["links_wikipedia_only"] + counts["links_wikidata_only"] == len(links)
    assert counts["links_both"] > 100  # the two sources overlap substantially
    assert links.duplicated(["inegi_code", "partner_id"]).sum() == 0
    assert set(links.provenance) == {"wikipedia", "wikidata", "both"}


def test_tables_pass_their_schemas():
    graph = read_gexf(SMALL)
    wd, _ = build_wikidata_twinnings(graph, MUNIS, POLYS)
    tw = wikipedia_table([{"pair_id": "W00002", "inegi_code": "23005", "partner_city": "Wichita",
                           "partner_country_iso3": "USA"}])
    links, _ = build_links(tw, wd, graph)
    validate_table(wd, "wikidata_twinnings.csv")
    validate_table(links, "twinning_links.csv")
    validate_table(agreement_by_state(links, MUNIS), "twinning_agreement_by_state.csv")


def test_method_counts_add_up_to_matched(tmp_path):
    _, report = build_wikidata_twinnings(read_gexf(graph_with_campeche(tmp_path, 928363)), MUNIS, POLYS)
    by_method = sum(v for k, v in report.counts.items() if k.startswith("matched_by_"))
    assert by_method == report.counts["status_matched"]

"""The Wikidata twinning graph reader: a small GEXF, malformed variants, and the real file."""

from __future__ import annotations

from pathlib import Path

import pytest

from analysis.ingest.sources import require
from analysis.ingest.wikidata import WikidataFormatError, country_edges, read_gexf

SMALL = Path(__file__).parent / "fixtures" / "wikidata" / "small.gexf"


def variant(tmp_path: Path, old: str, new: str) -> Path:
    text = SMALL.read_text(encoding="utf-8")
    assert old in text, old
    path = tmp_path / "bad.gexf"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def test_small_graph_nodes_edges_and_counts():
    g = read_gexf(SMALL)
    assert len(g.nodes) == 7 and len(g.edges) == 5
    cancun = g.nodes.set_index("qid").loc["Q8969"]
    assert cancun.label == "Cancun" and cancun.country == "Mexico"
    assert cancun.lat == pytest.approx(21.160555555) and cancun["pop"] == 888797
    assert g.report.counts["nodes_in_file"] == 7 and g.report.counts["edges_in_file"] == 5
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
    assert str(path) in str(err.value) and message in str(err.value)
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

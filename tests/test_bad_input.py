"""Bad input for the loaders of the catalogue, the census history and the geometry files.

Every fixture is written in ``tmp_path``; each error must name the file and the record, line or
field at fault.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from analysis.ingest import geometry as geo
from analysis.ingest.inegi import InegiFormatError
from analysis.tables.municipalities import MunicipalityDataError, read_catalogue, read_census_history
from analysis.util import spatial

# ------------------------------------------------------------------------------ catalogue JSON

GOOD_RECORD = {"cve_completa": "23005", "nom_cabecera": "Cancún", "nom_municipio": "Benito Juárez",
               "nom_abr_entidad": "QR", "poblacion_total": 911503}


def write_json(tmp: Path, data: object, name: str = "municipios.json") -> Path:
    path = tmp / name
    path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
    return path


def test_good_catalogue_is_read(tmp_path: Path) -> None:
    other = {**GOOD_RECORD, "cve_completa": 1001, "nom_municipio": "Aguascalientes"}
    df = read_catalogue(write_json(tmp_path, [GOOD_RECORD, other]))
    assert df.inegi_code.tolist() == ["23005", "01001"]
    assert df.loc[0, "seat_name"] == "Cancún"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ('[{"cve_completa": "23005",', r"municipios\.json: not valid JSON \(.*line 1"),
        ({"cve_completa": "23005"}, r"municipios\.json: expected a JSON list"),
        ([], r"municipios\.json: expected a JSON list"),
        ([GOOD_RECORD, {k: v for k, v in GOOD_RECORD.items() if k != "nom_cabecera"}],
         r"municipios\.json: record 1 lacks field\(s\) \['nom_cabecera'\]"),
        ([GOOD_RECORD, "23005"], r"municipios\.json: record 1 is a str"),
        ([{**GOOD_RECORD, "cve_completa": None}], r"municipios\.json: record 0: field 'cve_completa' is None"),
        ([{**GOOD_RECORD, "cve_completa": "Q-05"}], r"record 0: field 'cve_completa' is 'Q-05'"),
        ([GOOD_RECORD, {**GOOD_RECORD, "cve_completa": 23005}], r"records \[0, 1\] share the code 23005"),
    ],
    ids=["invalid-json", "not-a-list", "empty-list", "missing-field", "record-not-object", "null-code", "bad-code",
         "duplicate-code"],
)
def test_bad_catalogue_names_file_and_record(tmp_path: Path, data: object, message: str) -> None:
    with pytest.raises(MunicipalityDataError, match=message):
        read_catalogue(write_json(tmp_path, data))


# ------------------------------------------------------------------------------ history export

HISTORY = '''"Población total"
""
"Consulta de: Población total   Por: Entidad y municipio y Sexo   Según: Año censal"
"","","","1990","1995","2000","2005","2010",""
"","Total","Total","10","11","12","13","14"
"=CONCATENAR(0,01) ","Aguascalientes","Total","10","11","12","13","14"
" 01 001 ","Aguascalientes","Total","8","9","10","11","12"
" 01 001 ","Aguascalientes","Hombre","4","4","5","5","6"
" 01 002 ","Asientos","Total","2","2","2","2","2"
'''


def write_history(tmp: Path, text: str) -> Path:
    path = tmp / "historia.csv"
    path.write_bytes(text.encode("latin-1"))
    return path


def test_history_fixture_is_valid(tmp_path: Path) -> None:
    assert read_census_history(write_history(tmp_path, HISTORY)).inegi_code.tolist() == ["01001", "01002"]


def test_history_wrong_sex_label_names_the_line(tmp_path: Path) -> None:
    text = HISTORY.replace('"Hombre"', '"Hombres"')
    with pytest.raises(InegiFormatError, match=r"historia\.csv, line 8: unexpected sex label 'Hombres'"):
        read_census_history(write_history(tmp_path, text))


def test_history_duplicate_total_rows_name_the_lines(tmp_path: Path) -> None:
    text = HISTORY + '" 01 001 ","Aguascalientes","Total","8","9","10","11","12"\n'
    with pytest.raises(InegiFormatError, match=r"historia\.csv, lines \[7, 10\]: municipality 01001 has more than one"):
        read_census_history(write_history(tmp_path, text))


# ------------------------------------------------------------------------------ geometry

SQUARE = [[[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]]


def topology(ids: list[str | None], name: str = "municipios") -> dict[str, object]:
    """A TopoJSON with one square arc per feature and the given ids (None: no id)."""
    geoms = []
    for i, fid in enumerate(ids):
        g: dict[str, object] = {"type": "Polygon", "arcs": [[i]], "properties": {"n": f"f{i}"}}
        if fid is not None:
            g["id"] = fid
        geoms.append(g)
    arcs = [[[x + 2 * i, y] for x, y in SQUARE[0]] for i in range(len(ids))]
    return {"type": "Topology", "objects": {name: {"type": "GeometryCollection", "geometries": geoms}}, "arcs": arcs}


def write_rdata(tmp: Path, obj: object, name: str = "municipios.RData") -> Path:
    import rdata

    path = tmp / name
    rdata.write_rda(path, {"topo": obj})
    return path


def test_rdata_fixture_with_ids_loads(tmp_path: Path) -> None:
    gdf = geo.load_municipal_boundaries(write_rdata(tmp_path, json.dumps(topology(["23005", "1001"]))))
    assert gdf.inegi_code.tolist() == ["01001", "23005"]
    assert str(gdf.crs) == spatial.CRS


@pytest.mark.parametrize("content", [b"", b"not an R file at all", b"RDX2\nX\n\x00\x01garbage"],
                         ids=["empty", "text", "truncated-xdr"])
def test_corrupt_rdata_names_the_file(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "roto.RData"
    path.write_bytes(content)
    with pytest.raises(geo.GeometryError, match=r"roto\.RData: cannot be read as an R data file"):
        geo.load_municipal_boundaries(path)


def test_rdata_holding_something_else_is_refused(tmp_path: Path) -> None:
    with pytest.raises(geo.GeometryError, match=r"municipios\.RData: the object is not a TopoJSON Topology"):
        geo.topojson_from_rdata(write_rdata(tmp_path, json.dumps({"type": "FeatureCollection", "features": []})))
    with pytest.raises(geo.GeometryError, match=r"municipios\.RData: the stored string is not valid TopoJSON"):
        geo.topojson_from_rdata(write_rdata(tmp_path, '{"type": "Topology", '))


def test_topojson_features_without_ids(tmp_path: Path) -> None:
    path = write_rdata(tmp_path, json.dumps(topology([None, None])))
    with pytest.raises(geo.GeometryError, match=r"municipios\.RData: 2 feature\(s\) carry no 'id' \(first: feature 0\)"):
        geo.load_municipal_boundaries(path)
    path = write_rdata(tmp_path, json.dumps(topology(["23005", None])))
    with pytest.raises(geo.GeometryError, match=r"municipios\.RData: 1 feature\(s\) carry no 'id' \(first: feature 1\)"):
        geo.load_municipal_boundaries(path)


def test_topojson_ids_that_are_not_codes(tmp_path: Path) -> None:
    path = write_rdata(tmp_path, json.dumps(topology(["23005", "Cancún"])))
    with pytest.raises(geo.GeometryError, match=r"municipios\.RData: feature ids that are not INEGI codes: \['Cancún'\]"):
        geo.load_municipal_boundaries(path)


def quintana_roo_geojson(tmp: Path, properties: dict[str, object]) -> Path:
    path = tmp / "qroo.geojson"
    feature = {"type": "Feature", "properties": properties, "geometry": {"type": "Polygon", "coordinates": SQUARE}}
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [feature]}), encoding="utf-8")
    return path


def test_quintana_roo_fixture_loads(tmp_path: Path) -> None:
    gdf = geo.load_quintana_roo(quintana_roo_geojson(tmp_path, {"CVEGEO": "23005", "NOM_MUN": "Benito Juárez"}))
    assert gdf[["inegi_code", "name"]].values.tolist() == [["23005", "Benito Juárez"]]


@pytest.mark.parametrize(("properties", "column"), [({"NOM_MUN": "Benito Juárez"}, "CVEGEO"), ({"CVEGEO": "23005"}, "NOM_MUN")])
def test_quintana_roo_missing_column(tmp_path: Path, properties: dict[str, object], column: str) -> None:
    with pytest.raises(geo.GeometryError, match=rf"qroo\.geojson: missing column {column}"):
        geo.load_quintana_roo(quintana_roo_geojson(tmp_path, properties))


def test_world_fixture_loads(tmp_path: Path) -> None:
    topo = topology(["484", "840"], name="countries")
    for g, name in zip(topo["objects"]["countries"]["geometries"], ["Mexico", "United States"], strict=True):  # type: ignore[index]
        g["properties"] = {"name": name}
    gdf = geo.load_world(write_json(tmp_path, topo, "paises.json"))
    assert sorted(gdf.name) == ["Mexico", "United States"]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (topology(["484"], name="land"), r"paises\.json: TopoJSON has no 'countries' object"),
        ({"type": "Topology", "arcs": []}, r"paises\.json: TopoJSON has no 'countries' object"),
        ([1, 2, 3], r"paises\.json: TopoJSON has no 'countries' object"),
        ('{"type": "Topology"', r"paises\.json: not valid TopoJSON"),
    ],
    ids=["other-object", "no-objects", "not-a-mapping", "invalid-json"],
)
def test_world_without_countries(tmp_path: Path, data: object, message: str) -> None:
    with pytest.raises(geo.GeometryError, match=message):
        geo.load_world(write_json(tmp_path, data, "paises.json"))

"""REFI-QDA: well-formed .qdc in the right namespace, round trip, stable GUIDs, .qdpx offsets."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest

from analysis import paths
from analysis.analyses import qda
from analysis.analyses.qda import privacy, refi
from analysis.ingest.transcripts import load_corpus

NS = "{urn:QDA-XML:codebook:1.0}"
PNS = "{urn:QDA-XML:project:1.0}"
GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


@pytest.fixture(scope="module")
def codebook() -> qda.Codebook:
    return qda.load_codebook(paths.INTERVIEWS / "codebook.yml")


def test_qdc_structure_and_namespace(codebook: qda.Codebook, tmp_path: Path) -> None:
    path = refi.write_qdc(codebook, tmp_path / "cb.qdc")
    root = ET.parse(path).getroot()
    assert root.tag == f"{NS}CodeBook"
    assert [c.tag for c in root] == [f"{NS}Codes"]  # no Sets invented: the codebook has none
    codes = list(root.iter(f"{NS}Code"))
    assert len(codes) == len(codebook.codes)
    for c in codes:
        assert GUID.match(c.attrib["guid"])
        assert c.attrib["name"]
        assert c.attrib["isCodable"] in {"true", "false"}
        assert re.match(r"^#[0-9A-F]{6}$", c.attrib["color"])
    parent = next(c for c in root.find(f"{NS}Codes") if c.attrib["name"] == "barreras")
    assert "costo_percibido" in {c.attrib["name"] for c in parent.findall(f"{NS}Code")}


def test_qdc_round_trip_and_stable_guids(codebook: qda.Codebook, tmp_path: Path) -> None:
    a = refi.write_qdc(codebook, tmp_path / "a.qdc").read_bytes()
    b = refi.write_qdc(qda.load_codebook(paths.INTERVIEWS / "codebook.yml"), tmp_path / "b.qdc").read_bytes()
    assert a == b
    back = refi.read_qdc(tmp_path / "a.qdc")
    assert refi.codebook_records(back) == refi.codebook_records(codebook)
    assert back.path("uso_personal") == "tic/uso_personal"


def test_read_qdc_rejects_wrong_namespace(tmp_path: Path) -> None:
    (tmp_path / "x.qdc").write_text('<CodeBook xmlns="urn:other"><Codes/></CodeBook>', encoding="utf-8")
    with pytest.raises(qda.CodebookError, match=r"namespace"):
        refi.read_qdc(tmp_path / "x.qdc")


def test_codebook_csv_import(tmp_path: Path) -> None:
    p = tmp_path / "cb.csv"
    p.write_text("name,path,description,color\nbarreras,barreras,Obstáculos,#D62728\ncosto,barreras/costo,Gasto,\n",
                 encoding="utf-8")
    cb = refi.read_codebook_csv(p)
    assert cb["costo"].parent == "barreras"
    assert cb["costo"].description == "Gasto"
    assert cb["barreras"].color == "#D62728"
    p.write_text("name,path,description\ncosto,barreras/otro,Gasto\n", encoding="utf-8")
    with pytest.raises(qda.CodebookError, match=r"line 2: path"):
        refi.read_codebook_csv(p)


def test_qdpx_selections_match_sources(codebook: qda.Codebook, tmp_path: Path) -> None:
    corpus = load_corpus(paths.INTERVIEWS / "transcripts")[:3]
    corpus = privacy.pseudonymise_corpus(corpus, privacy.resolve_register(None, corpus))
    res = qda.Coder(codebook).code(corpus)
    memos = qda.load_memos(paths.INTERVIEWS / "memos.yml", codebook, res.segments)
    out = refi.write_qdpx(corpus, res.codes, codebook, tmp_path / "p.qdpx", memos=memos)
    again = refi.write_qdpx(corpus, res.codes, codebook, tmp_path / "q.qdpx", memos=memos)
    assert out.read_bytes() == again.read_bytes()
    with zipfile.ZipFile(out) as z:
        root = ET.fromstring(z.read("project.qde"))
        assert root.tag == f"{PNS}Project"
        code_guids = {c.attrib["guid"] for c in root.iter(f"{PNS}Code")}
        n_sel = 0
        for src in root.iter(f"{PNS}TextSource"):
            text = z.read("sources/" + src.attrib["plainTextPath"].removeprefix("internal://")).decode("utf-8")
            seg = res.codes.drop_duplicates("segment_id").set_index("segment_id")
            for sel in src.iter(f"{PNS}PlainTextSelection"):
                s, e = int(sel.attrib["startPosition"]), int(sel.attrib["endPosition"])
                assert text[s:e] == seg.loc[sel.attrib["name"], "text"]
                assert {r.attrib["targetGUID"] for r in sel.iter(f"{PNS}CodeRef")} <= code_guids
                n_sel += 1
        assert n_sel == res.codes.segment_id.nunique()
        assert len(list(root.iter(f"{PNS}Note"))) == len(memos)

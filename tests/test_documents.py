"""Plan ingestion: PDF and text reading, cleaning, structure, bad files, drop-in folder, registry."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from analysis.ingest import plans as D

FIX = Path(__file__).parent / "fixtures" / "pmd"


def test_text_pdf_is_cleaned_and_segmented() -> None:
    plan = D.parse_plan(FIX / "plan_texto.pdf", "99001", "2021-2024")
    segs = plan.segments
    text = " ".join(segs.text)
    assert "Municipio de Ejemplo" not in text  # running header removed
    assert "Gobierno Municipal" not in text  # running footer removed
    assert "Página" not in text
    assert "desarrollo comunitario" in text  # hyphenation joined
    assert "desa-" not in text
    assert plan.counts["running_removed"] >= 8
    line = segs[segs.linea == "2.1.1.2"].iloc[0]
    assert (line.eje, line.objetivo, line.estrategia, line.level, line.page) == ("2", "2.1", "2.1.1", "linea", 3)
    assert "aguas residuales del municipio" in line.text  # continuation line kept with its segment
    last = segs.iloc[-1]
    assert (last.level, last.estrategia, last.linea) == ("linea", "3.1.1", "3.1.1.1")
    assert list(segs.columns) == D.SEGMENT_COLUMNS
    assert segs.segment_id.is_unique
    assert segs.segment_id.iloc[0] == "99001_2021-2024-0001"


@pytest.mark.parametrize(
    ("name", "advice"),
    [("plan_escaneado.pdf", "OCR"), ("plan_cifrado.pdf", "password"), ("plan_corrupto.pdf", "download it again")],
)
def test_bad_pdfs_get_clear_errors(name: str, advice: str) -> None:
    with pytest.raises(D.DocumentError) as err:
        D.read_pages(FIX / name)
    assert name in str(err.value)
    assert advice in str(err.value)


def test_text_pages_page_numbers_and_bare_numbering(tmp_path: Path) -> None:
    pages = [
        "Encabezado del plan\nEJE II Economía\nObjetivo 1 Generar empleo.\n- 3 -\nPie del plan",
        "Encabezado del plan\nEstrategia 1 Apoyar negocios.\n2.1.1.1 Dar microcréditos a las\nempresas.\n4\nPie del plan",
        "Encabezado del plan\n2.1.2 Capacitar a la población.\nPágina 5 de 9\nPie del plan",
    ]
    f = tmp_path / "23005_2021-2024.txt"
    f.write_text("\f".join(pages), encoding="latin-1")
    plan = D.parse_plan(f)
    segs = plan.segments
    assert plan.inegi_code == "23005"
    assert plan.counts["pages"] == 3
    assert plan.counts["page_numbers_removed"] >= 2
    assert segs.level.tolist() == ["eje", "objetivo", "estrategia", "linea", "estrategia"]
    assert segs.eje.tolist() == ["2"] * 5  # roman numeral converted
    assert segs.objetivo.tolist()[1:4] == ["2.1", "2.1", "2.1"]  # bare "Objetivo 1" qualified by its eje
    assert segs.iloc[3].text.endswith("microcréditos a las empresas.")
    assert segs.iloc[4].estrategia == "2.1.2"
    assert segs.iloc[4].page == 3
    assert "Encabezado" not in " ".join(segs.text)


def test_classify_line_ignores_numbers_in_prose() -> None:
    assert D.classify_line("1.5 millones de visitantes llegaron") is None
    assert D.classify_line("Línea de acción 4.2.1.3: Instalar luminarias")[:2] == ("linea", "4.2.1.3")  # type: ignore[index]


def test_drop_in_folder_reports_what_was_set_aside(tmp_path: Path) -> None:
    (tmp_path / "23009_2021-2024.txt").write_text("Eje 1 Medio ambiente\n1.1.1.1 Proteger la selva.\n", encoding="utf-8")
    (tmp_path / "plan tulum.pdf").write_bytes(b"%PDF")
    (tmp_path / "23010_2021-2024.pdf").write_bytes((FIX / "plan_corrupto.pdf").read_bytes())
    segs, report = D.load_plans(tmp_path)
    assert set(segs.plan_id) == {"23009_2021-2024"}
    status = dict(zip(report.file, report.status, strict=True))
    assert status == {"23009_2021-2024.txt": "kept", "plan tulum.pdf": "set_aside", "23010_2021-2024.pdf": "set_aside"}
    assert "download it again" in report.set_index("file").loc["23010_2021-2024.pdf", "reason"]


def test_demo_corpus_has_all_municipalities_marked_as_demo() -> None:
    files = sorted(D.DEMO_DIR.glob("*.txt"))
    assert [f.name[:5] for f in files] == [f"230{n:02d}" for n in range(1, 12)]
    for f in files:
        assert f.read_text(encoding="utf-8").startswith("[TEXTO DE DEMOSTRACIÓN")


def test_registry_lists_11_plans_without_invented_urls() -> None:
    plans = D.load_registry()
    assert sorted(p["inegi_code"] for p in plans) == [f"230{n:02d}" for n in range(1, 12)]
    for p in plans:
        assert (p.get("url") and p.get("sha256")) or p.get("status") == "to_supply"


def test_fetch_plans_verifies_checksum(tmp_path: Path) -> None:
    payload = (FIX / "plan_texto.pdf").read_bytes()
    src = tmp_path / "remote.pdf"
    src.write_bytes(payload)
    good = hashlib.sha256(payload).hexdigest()
    reg = tmp_path / "reg.yml"
    entry = '  - {{inegi_code: "23001", municipality: Cozumel, period: 2021-2024, url: "{u}", sha256: "{s}"}}\n'
    reg.write_text("plans:\n" + entry.format(u=src.as_uri(), s=good), encoding="utf-8")
    out = tmp_path / "pmd"
    assert D.fetch_plans(reg, out)["23001_2021-2024.pdf"].startswith("downloaded")
    assert (out / "23001_2021-2024.pdf").read_bytes() == payload
    assert D.fetch_plans(reg, out)["23001_2021-2024.pdf"] == "already verified"
    reg.write_text("plans:\n" + entry.format(u=src.as_uri(), s="0" * 64), encoding="utf-8")
    (out / "23001_2021-2024.pdf").unlink()
    with pytest.raises(D.DocumentError, match="checksum mismatch"):
        D.fetch_plans(reg, out)
    assert not list(out.iterdir())  # no partial file left behind

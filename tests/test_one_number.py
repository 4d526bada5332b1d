"""One quantity, one number: two pages that quote the same concept must quote the same value.

The pages of the book quote results keys (``{{ r01_sin_vinculo }}``); several notebooks record
keys for the same concept (municipalities without links, the United States' share, Benito
Juárez's links). :func:`conflicts` lists every concept that the pages quote with more than one
value; the book must have none, and a planted contradiction must be caught.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from analysis import paths

#: Concept -> the results keys that measure it. Keys of one concept must agree wherever pages quote them.
CONCEPTS: dict[str, list[str]] = {
    "municipios sin ningún vínculo": ["r01_sin_vinculo", "r02_sin_vinculo", "r06_sin_vinculo"],
    "porcentaje de municipios sin ningún vínculo": ["r01_sin_vinculo_pct", "r02_sin_vinculo_pct", "r06_sin_vinculo_pct"],
    "municipios con al menos un vínculo": ["r01_con_vinculo"],
    "parte de los vínculos municipales con Estados Unidos": ["r01_pais1_pct"],
    "vínculos de Benito Juárez en la tabla por municipio": ["r05_bj_vinculos"],
    "lugar de Benito Juárez en su estado": ["r05_bj_lugar_estado"],
    "vínculos municipales de la unión": ["r01_vinculos_total", "r01_vinculos_union", "r01_vinculos_municipales_socios"],
}
KEY = re.compile(r"\{\{\s*(r\d{2}_[a-z0-9_]+)\s*\}\}")


def quoted_keys(pages: dict[str, str]) -> dict[str, set[str]]:
    """key -> the pages that quote it."""
    out: dict[str, set[str]] = {}
    for page, text in pages.items():
        for key in KEY.findall(text):
            out.setdefault(key, set()).add(page)
    return out


def conflicts(pages: dict[str, str], results: dict[str, str],
              concepts: dict[str, list[str]] | None = None) -> list[str]:
    """One message per concept quoted with two different values (naming the pages and keys)."""
    quoted = quoted_keys(pages)
    out = []
    for concept, keys in (concepts or CONCEPTS).items():
        values = {(k, results[k]) for k in keys if k in quoted and k in results}
        if len({v for _, v in values}) > 1:
            where = "; ".join(f"{k} = {v} in {', '.join(sorted(quoted[k]))}" for k, v in sorted(values))
            out.append(f"{concept}: {where}")
    return out


def book_pages() -> dict[str, str]:
    return {p.name: p.read_text(encoding="utf-8") for p in sorted((paths.ROOT / "book").glob("*.md"))}


def all_results() -> dict[str, str]:
    files = sorted(paths.PROCESSED.glob("results_*.csv"))
    if not files:
        pytest.skip("no results_NN.csv yet; run the pipeline")
    table = pd.concat([pd.read_csv(f, dtype=str, keep_default_na=False) for f in files])
    return dict(zip(table.key, table.text, strict=True))


def test_a_planted_contradiction_is_caught() -> None:
    pages = {"conclusiones.md": "{{ r01_sin_vinculo }} municipios sin vínculo",
             "buscador.md": "los {{ r06_sin_vinculo }} municipios sin hermanamiento"}
    found = conflicts(pages, {"r01_sin_vinculo": "2,273", "r06_sin_vinculo": "2,284"})
    assert len(found) == 1
    assert "r01_sin_vinculo = 2,273 in conclusiones.md" in found[0]
    assert "r06_sin_vinculo = 2,284 in buscador.md" in found[0]
    # the same value under two keys, or one key on two pages, is no contradiction
    assert conflicts(pages, {"r01_sin_vinculo": "2,273", "r06_sin_vinculo": "2,273"}) == []
    assert conflicts({"a.md": "{{ r01_sin_vinculo }}", "b.md": "{{ r01_sin_vinculo }}"}, {"r01_sin_vinculo": "1"}) == []


def test_every_concept_key_is_a_results_key_of_its_chapter() -> None:
    for keys in CONCEPTS.values():
        assert all(re.fullmatch(r"r\d{2}_[a-z0-9_]+", k) for k in keys)


def test_the_book_quotes_one_value_per_concept() -> None:
    found = conflicts(book_pages(), all_results())
    assert found == [], "\n".join(found)


def test_pages_name_the_denominator_of_the_united_states_share() -> None:
    for name, text in book_pages().items():
        for m in re.finditer(r"\{\{\s*r01_pais1_pct\s*\}\}", text):
            context = text[m.end(): m.end() + 200]
            assert "vínculos municipales" in context or "r01_vinculos_municipales_socios" in context, (
                f"{name}: the United States' share is quoted without its denominator")


def test_conclusions_quote_the_chapter_1_count_of_municipalities_without_links() -> None:
    text = (Path(paths.ROOT) / "book" / "conclusiones.md").read_text(encoding="utf-8")
    assert "r02_sin_vinculo" not in text
    assert "r06_sin_vinculo" not in text
    assert "r01_sin_vinculo" in text

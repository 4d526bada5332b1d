"""The built book speaks Spanish: no English leftovers a reader could see (licences, country and city
names, raw feature names, programmer's notes) and no plurals of the "municipio(s)" kind.

The check reads every page of ``book/_build/html`` as a reader sees it: scripts, styles and code
(fenced blocks, inline code, the code cells of the chapters) are left out, since identifiers there
are code, not prose. The list of leftovers is the one a review of the book found; a new leftover
found later is added to ``LEFTOVERS``. The test over the built book runs in the ``build`` tier; the
cases that plant a leftover run in every tier, so the check is known to fail when it should.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from lxml import html as lxml_html

from analysis import paths

HTML = paths.BOOK_BUILD

#: English or programmer's text that must not reach a reader (case-insensitive, as regular expressions).
LEFTOVERS: list[str] = [
    r"INEGI terms of free use",
    r"terms of free use",
    r"Code MIT; content CC BY-SA",
    r"attribute Wikipedia contributors",
    r"Mexico City",
    r"\bGermany\b",
    r"\bSeville\b",
    r"Miami-Dade County",
    r"\bnannies\b",
    r"punta del este\|URY",
    r"\w+\|[A-Z]{3}\b",                 # an internal city key ("nombre|ISO3")
    r"faltan: log10_population",
    r"\bhay otros 1 nombres\b",
    r"\botros 1\b",
    r"\bdistance\b",
    r"\bforeign_links\b",
    r"\bsize_gap\b",
    r"\bUnited States\b",
    r"\bUnited Kingdom\b",
]
#: A plural left to the reader: "municipio(s)", "acuerdo(s)", "socio(s)", "país(es)".
PLURAL = re.compile(r"[A-Za-zÁÉÍÓÚÜÑáéíóúüñ]\((?:s|es)\)")
LEFTOVER = re.compile("|".join(f"(?:{p})" for p in LEFTOVERS), re.IGNORECASE)
#: Leftovers still on a page, waiting for the fix in that page's own notebook (then removed from here;
#: an entry no longer found fails the test, so the list cannot go stale): page -> matched texts.
PENDING: dict[str, set[str]] = {}
#: What is code, not prose: left out before the check.
NOT_PROSE = ("//script", "//style", "//pre", "//code", "//*[contains(concat(' ', @class, ' '), ' cell_input ')]",
             "//*[contains(concat(' ', @class, ' '), ' highlight ')]", "//nav", "//*[@role='search']",
             "//*[@lang='en']")  # an English equivalent marked as such (the glossary's {en} role)


def visible_text(page_html: str) -> str:
    """The prose of a page: its main content without scripts, styles and code."""
    tree = lxml_html.fromstring(page_html)
    main = tree.xpath("//main") or [tree]
    root = main[0]
    for query in NOT_PROSE:
        for el in root.xpath("." + query) if query.startswith("//") else root.xpath(query):
            el.drop_tree()
    return " ".join(" ".join(root.itertext()).split())


def matches(text: str, where: str = "") -> list[tuple[str, str]]:
    """(matched text, message) for every English leftover and "(s)" plural in ``text``."""
    found = []
    for pattern, kind in ((LEFTOVER, "English or programmer's leftover"), (PLURAL, 'plural written "(s)"')):
        for m in pattern.finditer(text):
            found.append((m.group(0), f"{where}: {kind} {m.group(0)!r} in «…{text[max(0, m.start() - 50):m.end() + 50]}…»"))
    return found


def problems(text: str, where: str = "") -> list[str]:
    """Every English leftover and "(s)" plural in ``text``, with a little context."""
    return [message for _text, message in matches(text, where)]


def book_pages() -> list[Path]:
    return sorted(p for p in HTML.rglob("*.html") if "_static" not in p.parts and "_sources" not in p.parts
                  and p.name not in {"genindex.html", "search.html"})


@pytest.mark.build
def test_the_built_book_has_no_english_leftovers_and_no_plurals_in_brackets() -> None:
    pages = book_pages()
    if not pages:
        pytest.fail(f"{HTML} has no built book; run `make book-html` before this test.")
    found, seen = [], set()
    for page in pages:
        rel = page.relative_to(HTML).as_posix()
        for text, message in matches(visible_text(page.read_text(encoding="utf-8")), rel):
            if text in PENDING.get(rel, set()):
                seen.add((rel, text))
            else:
                found.append(message)
    assert not found, f"{len(found)} leftovers in the built book:\n" + "\n".join(found)
    gone = sorted({(rel, t) for rel, texts in PENDING.items() for t in texts} - seen)
    assert not gone, f"no longer in the built book; remove from PENDING: {gone}"


PLANTED = [
    "<p>Licencia: Code MIT; content CC BY-SA 4.0 (attribute Wikipedia contributors)</p>",
    "<table><tr><td>Mexico City</td><td>Germany</td></tr></table>",
    "<p>Hermanada con Seville y Miami-Dade County.</p>",
    "<p>Perfil incompleto (faltan: log10_population)</p>",
    "<p>Socia de 1 municipio(s) de perfil parecido.</p>",
    "<p>Tiene 3 país(es) socios.</p>",
    "<table><tr><td>punta del este|URY</td></tr></table>",
    "<table><tr><td>foreign_links</td><td>size_gap</td></tr></table>",
    "<p>hay otros 1 nombres que empiezan así</p>",
    "<p>el planificador y los nannies</p>",
]


@pytest.mark.parametrize("snippet", PLANTED)
def test_a_planted_leftover_fails(snippet: str) -> None:
    page = f"<html><body><main>{snippet}</main></body></html>"
    assert problems(visible_text(page), "planted.html"), snippet


def test_spanish_prose_and_code_pass() -> None:
    page = ("<html><body><main><p>Hermanada con 28 municipios de México; socia de 1 municipio de Sevilla, "
            "en la Ciudad de México y en Alemania (véase el cuadro 6.8).</p>"
            "<div class='cell_input'><pre>tabla(t[['distance_km', 'foreign_links']])</pre></div>"
            "<p>La columna <code>size_gap</code> y el paso <code>f(s)</code>.</p>"
            "<p>Alcaldía [<em lang='en'>Borough of Mexico City</em>]</p>"
            "<script>var x = 'Germany';</script></main></body></html>")
    assert problems(visible_text(page)) == []

"""Property-based tests (hypothesis) for the name normaliser and the municipality name matcher."""

from __future__ import annotations

import unicodedata

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.tables.twinnings import name_index
from analysis.util.text import normalise

ACCENTED = "áéíóúüñÁÉÍÓÚÜÑ"
letters = st.text(alphabet=st.sampled_from("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ" + ACCENTED + " -.,'"),
                  min_size=1, max_size=30)


def strip_accents(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


@given(st.text(max_size=60))
def test_normalise_is_idempotent(text: str) -> None:
    assert normalise(normalise(text)) == normalise(text)


@given(st.text(max_size=60))
def test_normalise_output_alphabet(text: str) -> None:
    out = normalise(text)
    assert out == out.strip()
    assert "  " not in out
    assert all(c.isdigit() or ("a" <= c <= "z") or c == " " for c in out)


@given(letters)
def test_normalise_ignores_case_accents_and_punctuation(text: str) -> None:
    assert normalise(text) == normalise(strip_accents(text).upper().replace(",", " ").replace(".", " "))


@settings(max_examples=50)
@given(st.lists(letters.filter(lambda s: normalise(s) != ""), min_size=1, max_size=8, unique_by=normalise))
def test_name_index_finds_every_municipality_under_any_spelling(names: list[str]) -> None:
    codes = [f"99{i:03d}" for i in range(len(names))]
    munis = pd.DataFrame({"inegi_code": codes, "name": names, "catalogue_name": names, "seat_name": [""] * len(names)})
    index = name_index(munis)
    for code, name in zip(codes, names, strict=True):
        variant = strip_accents(name).swapcase() + "  "
        assert code in index[normalise(variant)]
        assert index[normalise(variant)] == {code}  # names are distinct after normalising

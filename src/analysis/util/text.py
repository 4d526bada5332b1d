"""Name normalisation for matching places across sources (accent-, case- and punctuation-blind)."""

from __future__ import annotations

import re
import unicodedata

_NON_ALNUM = re.compile(r"[^0-9a-z]+")


def normalise(text: str) -> str:
    """Lower-case, strip accents and punctuation, collapse spaces: 'Benito Juárez ' -> 'benito juarez'.

    Idempotent: normalise(normalise(x)) == normalise(x) for every string.
    """
    decomposed = unicodedata.normalize("NFKD", str(text).casefold())
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _NON_ALNUM.sub(" ", stripped).strip()

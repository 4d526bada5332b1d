"""Text helpers: name normalisation for matching places across sources (accent-, case- and
punctuation-blind) and Spanish plurals that agree with a count (never "municipio(s)")."""

from __future__ import annotations

import numbers
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


def plural(n: object, singular: str, plural_form: str, *, numero: bool = True) -> str:
    """A count with the Spanish noun that agrees with it: ``plural(1, "municipio", "municipios")`` →
    "1 municipio", ``plural(3, …)`` → "3 municipios", ``plural(0, …)`` → "0 municipios".

    Spanish uses the singular only for exactly one (1 and -1; "1.0" too, "1.5" takes the plural).
    The number is written in the Mexican format (comma for thousands); ``numero=False`` returns the
    noun alone, for sentences that write the number elsewhere ("hay otros 2 nombres" →
    ``f"hay {'otro' if n == 1 else 'otros'} {n} {plural(n, 'nombre', 'nombres', numero=False)}"``).
    """
    if isinstance(n, bool) or not isinstance(n, numbers.Real):
        raise TypeError(f"plural: the count must be a number, got {type(n).__name__} ({n!r}).")
    value = float(n)
    noun = singular if abs(value) == 1 else plural_form
    if not numero:
        return noun
    shown = f"{int(value):,}" if value.is_integer() else f"{value:,}"
    return f"{shown} {noun}"

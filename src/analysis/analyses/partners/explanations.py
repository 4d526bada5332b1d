"""The partner finder's Spanish explanations: one sentence per suggestion, and the notes on the method.

May import: nothing from ``analysis`` (it words what the index computed).
"""

from __future__ import annotations


def sentence(text: str) -> str:
    """Capitalise and close a clause list as one sentence; empty stays empty."""
    return (text[:1].upper() + text[1:] + ".") if text else ""


def links_clause(names: list[str], n: int, what: str) -> str:
    """'hermanada con 4 municipios que comparten socios con el suyo: A, B, C y 1 más' (first three named)."""
    more = f" y {n - 3} más" if n > 3 else ""
    plural = "municipios" if n != 1 else "municipio"
    adj = what if n != 1 else what.replace("comparten", "comparte").replace("parecidos", "parecido")
    return f"hermanada con {n} {plural} {adj}: {', '.join(names[:3])}{more}"


def popularity_clause(n: int, scope: str) -> str:
    """'hermanada con 12 municipios de México en total'."""
    return f"hermanada con {n} municipio{'s' if n != 1 else ''} {scope} en total"


def blend_note(n_links: int) -> str:
    """How the list of a municipality with ``n_links`` links was made."""
    if n_links == 0:
        return ("El municipio no tiene hermanamientos registrados: la lista se basa en los socios de municipios "
                "de perfil parecido y en la popularidad de cada ciudad.")
    return (f"El municipio tiene {count_phrase(n_links, 'hermanamiento registrado', 'hermanamientos registrados')} "
            "(excluidos de la lista); se combinan los socios "
            "de municipios con socios en común, los de municipios de perfil parecido y la popularidad.")


def count_phrase(n: int, singular: str, plural: str) -> str:
    """'1 municipio', '12 municipios', '1,204 hermanamientos' (Spanish plural chosen by the count)."""
    return f"{n:,} {singular if n == 1 else plural}"

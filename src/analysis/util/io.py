"""Reading researchers' text files: one encoding sniffer for every command and loader.

Owns: :func:`decode_text`, which tries the encodings a Mexican researcher's files come in (UTF-8
with or without BOM, then Windows-1252, then Latin-1) and says which one it used.
May import: nothing from ``analysis``.
"""

from __future__ import annotations

from pathlib import Path

#: Tried in order; Latin-1 decodes any byte string, so it is the last resort.
ENCODINGS: tuple[str, ...] = ("utf-8-sig", "cp1252", "latin-1")


def decode_text(raw: bytes, path: Path | str, encodings: tuple[str, ...] = ENCODINGS) -> tuple[str, str]:
    """(text, encoding used) of ``raw``, read from ``path``; the first encoding that decodes wins."""
    for enc in encodings:
        try:
            return raw.decode(enc), enc
        except UnicodeDecodeError:
            continue
    raise UnicodeError(f"{path}: cannot be decoded as {', '.join(encodings)}; save it as UTF-8.")

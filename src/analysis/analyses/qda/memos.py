"""Analytic memos stored as data (interviews/memos.yml), checked against the codebook and the segments.

May import: ``analysis.analyses.qda.codebook``, pandas, yaml.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import yaml

from analysis.analyses.qda.codebook import Codebook

MEMO_COLUMNS = ["memo_id", "code", "doc_id", "segment_id", "author", "date", "text"]


def load_memos(path: Path, codebook: Codebook, segments: pd.DataFrame | None = None) -> pd.DataFrame:
    """Memos from YAML (a list of memo_id, text and an optional code, doc_id, segment_id, author, date).

    A memo attached to an unknown code or segment is an error naming the memo.
    """
    path = Path(path)
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    items = data.get("memos", []) if isinstance(data, dict) else data
    rows = []
    known_segments = set(segments.segment_id) if segments is not None else None
    known_docs = set(segments.doc_id) if segments is not None else None
    for i, m in enumerate(items, start=1):
        mid = str(m.get("memo_id", f"#{i}"))
        if not str(m.get("text", "")).strip():
            raise ValueError(f"{path.name}: memo {mid}: empty text.")
        code = m.get("code") or ""
        if code and code not in codebook:
            raise ValueError(f"{path.name}: memo {mid}: code {code!r} is not in the codebook.")
        seg, doc = m.get("segment_id") or "", m.get("doc_id") or ""
        if known_docs is not None and doc and doc not in known_docs:
            continue  # memo about a transcript that is not loaded (e.g. demo memos on a real corpus)
        if known_segments is not None and seg and seg not in known_segments:
            raise ValueError(f"{path.name}: memo {mid}: segment {seg!r} is not in the corpus; fix the id.")
        rows.append({"memo_id": mid, "code": code, "doc_id": doc, "segment_id": seg, "author": str(m.get("author", "")),
                     "date": str(m.get("date", "")), "text": " ".join(str(m["text"]).split())})
    return pd.DataFrame(rows, columns=MEMO_COLUMNS)

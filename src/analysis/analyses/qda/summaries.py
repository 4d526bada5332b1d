"""What the coded segments say: frequencies, totals, roles, co-occurrence, key quotes.

May import: ``analysis.analyses.qda.codebook``, numpy, pandas.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.analyses.qda.codebook import Codebook


def frequencies(codes: pd.DataFrame, codebook: Codebook, by: str = "doc_id") -> pd.DataFrame:
    """Coded segments per code (rows, in codebook order) and value of ``by`` (columns)."""
    order = codebook.codable
    table = pd.crosstab(codes.code, codes[by]).reindex(order, fill_value=0)
    table.index.name, table.columns.name = "code", by
    return table.astype(int)


def code_totals(codes: pd.DataFrame, segments: pd.DataFrame, codebook: Codebook) -> pd.DataFrame:
    """Per codable code: its category, coded segments, documents and share of informant segments."""
    n_inf = int((segments.speaker != "E").sum()) or 1
    rows = []
    for name in codebook.codable:
        sub = codes[codes.code == name]
        rows.append({"code": name, "label": codebook.label(name), "category": codebook.label(codebook.top(name)),
                     "segments": len(sub), "documents": sub.doc_id.nunique(),
                     "share_pct": round(100 * len(sub) / n_inf, 1)})
    return pd.DataFrame(rows)


def by_role(codes: pd.DataFrame, segments: pd.DataFrame, codebook: Codebook, level: str = "category") -> pd.DataFrame:
    """Share (%) of each role's informant segments coded with each category (or code)."""
    key = codes.code.map(codebook.top) if level == "category" else codes.code
    coded = codes.assign(key=key).drop_duplicates(["segment_id", "key"])
    counts = pd.crosstab(coded.key, coded.informant_role)
    n = segments[segments.speaker != "E"].groupby("informant_role").size()
    share = (100 * counts / n.reindex(counts.columns)).round(1)
    if level == "category":
        share.index = [codebook.label(k) for k in share.index]
    share.index.name, share.columns.name = level, "informant_role"
    return share.fillna(0.0)


def cooccurrence(codes: pd.DataFrame, unit: str = "turn") -> tuple[pd.DataFrame, pd.DataFrame]:
    """Co-occurrence counts and c-coefficients between codes over ``unit`` (segment, turn, document).

    ``c = n12 / (n1 + n2 - n12)`` with n counted in units (ATLAS.ti's c-coefficient; the Jaccard
    index of the two codes' sets of units). The diagonal holds n (counts) and 1 (coefficient).
    """
    keys = {"segment": ["segment_id"], "turn": ["doc_id", "turn"], "document": ["doc_id"]}[unit]
    df = codes.copy()
    if unit == "turn":
        df["turn"] = df.segment_id.str.extract(r"-t(\d+)-s\d+$")[0].astype(int)
    df["unit"] = df[keys].astype(str).agg("|".join, axis=1)
    pres = pd.crosstab(df.unit, df.code).clip(upper=1)
    names = sorted(pres.columns)
    pres = pres[names]
    m = pres.to_numpy(dtype=np.int64)
    n12 = m.T @ m
    n = np.diag(n12)
    denom = n[:, None] + n[None, :] - n12
    with np.errstate(divide="ignore", invalid="ignore"):
        c = np.where(denom > 0, n12 / denom, 0.0)
    return (pd.DataFrame(n12, index=names, columns=names),
            pd.DataFrame(c.round(3), index=names, columns=names))


def top_pairs(counts: pd.DataFrame, coef: pd.DataFrame, k: int = 5) -> pd.DataFrame:
    """The ``k`` code pairs with the highest c-coefficient (ties: more units, then names)."""
    names = list(coef.index)
    rows = [(a, b, int(counts.loc[a, b]), float(coef.loc[a, b])) for i, a in enumerate(names) for b in names[i + 1:]]
    df = pd.DataFrame(rows, columns=["code_a", "code_b", "n", "c"])
    df = df[df.n > 0].sort_values(["c", "n", "code_a", "code_b"], ascending=[False, False, True, True])
    return df.head(k).reset_index(drop=True)


def key_quotes(codes: pd.DataFrame, codebook: Codebook, k: int = 2, min_chars: int = 50,
               max_chars: int = 320) -> pd.DataFrame:
    """Up to ``k`` quotes per code from different documents, best first.

    Ranking: more distinct matched terms, then length within [min_chars, max_chars], then a
    stable order (document, offset). One quote per document per code.
    """
    df = codes.copy()
    df["n_terms"] = df.matched_terms.str.split("; ").map(len)
    df["fits"] = df.text.str.len().between(min_chars, max_chars)
    df = df.sort_values(["code", "fits", "n_terms", "doc_id", "start"], ascending=[True, False, False, True, True])
    best = df.drop_duplicates(["code", "doc_id"]).groupby("code", sort=False).head(k)
    order = {c: i for i, c in enumerate(codebook.codable)}
    best = best.assign(label=best.code.map(codebook.label), _o=best.code.map(order))
    return best.sort_values(["_o", "fits", "n_terms"], ascending=[True, False, False])[
        ["code", "label", "doc_id", "segment_id", "informant_role", "text", "matched_terms"]].reset_index(drop=True)


def top_pair_phrase(pairs: pd.DataFrame, labels: dict[str, str]) -> str:
    """The strongest co-occurring pair in words (Spanish, for a figure's description); a corpus where no two
    codes share a turn says so instead of failing."""
    if pairs.empty:
        return "ningún par de códigos aparece en un mismo turno"
    p = pairs.iloc[0]
    return f"el par más asociado es «{labels[p.code_a]}» con «{labels[p.code_b]}» (c = {p.c:.2f})"

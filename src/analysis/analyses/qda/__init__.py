"""Qualitative data analysis of interviews: codebook, automatic coding, summaries, reliability, REFI-QDA, privacy.

Owns: ``codebook`` (codes and their validation), ``coder`` (segmentation and automatic coding
with spaCy), ``summaries`` (frequencies, co-occurrence, key quotes), ``memos``, ``reliability``
(kappa, alpha), ``refi`` (REFI-QDA .qdc/.qdpx exchange) and ``privacy`` (pseudonymisation and
leak checks). The synthetic corpus and the scale harness live in :mod:`analysis.workflow.scale`;
figures in :mod:`analysis.viz`.

May import: ``analysis.util``, ``analysis.ingest`` (transcripts), spaCy, pandas; never ``viz``,
``workflow`` or ``cli``. The names below are re-exported for notebooks (``from analysis.analyses import qda``).
"""

from analysis.analyses.qda.codebook import (
    Code,
    Codebook,
    CodebookError,
    CodeSet,
    codebook_from_dict,
    codebook_to_dict,
    load_codebook,
    validate_codebook,
)
from analysis.analyses.qda.coder import (
    CODE_COLUMNS,
    SEGMENT_COLUMNS,
    Coder,
    CodingResult,
    Segment,
    code_corpus,
    coded_rows,
    set_norms,
    write_coded_csv,
)
from analysis.analyses.qda.memos import MEMO_COLUMNS, load_memos
from analysis.analyses.qda.summaries import (
    by_role,
    code_totals,
    cooccurrence,
    frequencies,
    key_quotes,
    top_pair_phrase,
    top_pairs,
)

__all__ = [
    "CODE_COLUMNS", "MEMO_COLUMNS", "SEGMENT_COLUMNS", "Code", "CodeSet", "Codebook", "CodebookError", "Coder", "CodingResult",
    "Segment", "by_role", "code_corpus", "code_totals", "codebook_from_dict", "codebook_to_dict", "coded_rows", "cooccurrence",
    "frequencies", "key_quotes", "load_codebook", "load_memos", "set_norms", "top_pair_phrase", "top_pairs",
    "validate_codebook",
    "write_coded_csv",
]

"""Ingest: get the raw material and read it faithfully.

Owns: the data manifest and fetch+verify (``sources``), INEGI export readers (``inegi``),
geometry files (``geometry``), interview transcripts (``transcripts``), municipal development
plans (``plans``), Wikidata's twinning graph (``wikidata``) and CONAPO's indices (``conapo``).
Readers return what the files say, with errors that name the file and line; they do not join or
derive.

Layer 1. May import: ``analysis.paths``, ``analysis.util``.
"""

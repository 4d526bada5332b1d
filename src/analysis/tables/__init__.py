"""Tables: the validated tables the chapters share, built from ingested material.

Owns: the municipality table, the twinning matcher, the canonical agreements table from any
registry (Wikipedia-derived pairs, RAI export), the one city key (``cities``), the curated
case-study tables, reading and writing processed tables (``store``), the data dictionary and
the pandera ``schemas`` derived from it, the core tables notebook 00 writes, and the two-source
(Wikipedia + Wikidata) links table (``sources_union``), with its reviewed matching
(data/curated/link_matching_review.csv).

Layer 2. May import: ``analysis.paths``, ``analysis.util``, ``analysis.ingest``.
"""

"""Utilities every layer may use: text normalisation, Spanish dates, countries, encodings, spherical geometry, spaCy.

Layer 0 (with ``analysis.paths``). May import: only the standard library and third-party
packages; nothing else from ``analysis``.
"""

"""Workflow: running the compendium, not analysing it.

Owns: the papermill pipeline (``pipeline``), the figures the book quotes (``results``: each
notebook's results file, read by the book at build time), the benchmarks (``bench``) and coding at
scale over worker processes (``scale``).

Layer 6. May import: every layer below; never ``cli``.
"""

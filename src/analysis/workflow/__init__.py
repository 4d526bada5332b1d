"""Workflow: running the compendium, not analysing it.

Owns: the papermill pipeline (``pipeline``), the benchmarks (``bench``) and coding at scale over
worker processes (``scale``).

Layer 6. May import: every layer below; never ``cli``.
"""

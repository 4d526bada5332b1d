"""Analyses: every computation a chapter reports, on DataFrames in and DataFrames out.

Owns: ``descriptive`` (chapter 01), ``models`` (02), ``qda`` (03, a subpackage), ``sdg`` (04),
``casestudy`` and ``claims`` (05), ``partners`` (06, a subpackage). No figures (see
:mod:`analysis.viz`) and no benchmarks (see :mod:`analysis.workflow`) live here.

Layer 4. May import: ``analysis.paths``, ``analysis.util``, ``analysis.ingest``,
``analysis.tables``, ``analysis.features``; never ``viz``, ``workflow`` or ``cli``.
"""

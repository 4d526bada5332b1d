"""Analyses: every computation a chapter reports, on DataFrames in and DataFrames out.

Owns: ``descriptive`` (chapter 01), ``models`` (02), ``qda`` (03, a subpackage), ``sdg`` and
``sdg_targets`` (04: goals and the 169 targets), ``casestudy``, ``shared_partners`` and ``claims``
(05), ``partners`` (06, a subpackage, with the two-source ``foreign`` finder), ``audit`` (08: a
seeded sample of the union checked against outside evidence, recall against independent lists),
``wording`` (the Spanish sentences that follow the intervals) and ``intervals`` (Wilson and
bootstrap intervals of the rates every chapter reports). No figures (see
:mod:`analysis.viz`) and no benchmarks (see :mod:`analysis.workflow`) live here.

Layer 4. May import: ``analysis.paths``, ``analysis.util``, ``analysis.ingest``,
``analysis.tables``, ``analysis.features``; never ``viz``, ``workflow`` or ``cli``.
"""

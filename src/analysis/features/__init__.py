"""Features derived from the tables: the single definition of each place attribute.

Owns: ``geography`` (regions, northern border states, coast and land borders) and ``profiles``
(the municipal profile table the partner finder compares).

Layer 3. May import: ``analysis.paths``, ``analysis.util``, ``analysis.ingest``, ``analysis.tables``.
"""

"""Features derived from the tables: the single definition of each place attribute.

Owns: ``geography`` (regions, northern border states, coast and land borders, distance to the
United States border), ``profiles`` (the municipal profile table the partner finder compares) and
``covariates`` (marginalisation, migration intensity and the other covariates of the count models).

Layer 3. May import: ``analysis.paths``, ``analysis.util``, ``analysis.ingest``, ``analysis.tables``.
"""

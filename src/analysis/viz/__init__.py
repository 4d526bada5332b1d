"""Figures, tables and web pages: one style (``style``), one table helper (``tables``), one module per
chapter's figures, the Leaflet maps (``webmap``, ``bookmaps``) and the data of the municipality
finder page (``finder_page``).

Layer 5. May import: every lower layer (``util``, ``ingest``, ``tables``, ``features``,
``analyses``); never ``workflow`` or ``cli``. Nothing below imports it.
"""

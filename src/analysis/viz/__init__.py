"""Figures and web maps: one style (``style``), one module per chapter's figures, the Leaflet maps.

Layer 5. May import: every lower layer (``util``, ``ingest``, ``tables``, ``features``,
``analyses``); never ``workflow`` or ``cli``. Nothing below imports it.
"""

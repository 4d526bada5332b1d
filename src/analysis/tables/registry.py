"""The agreements of one registry, whatever its source: the two twinning sources, Wikipedia alone, or an RAI export.

Owns: the choice of registry (``REGISTRIES``) and :func:`load_agreements`, which notebooks 01
and 02 call. May import: the other ``analysis.tables`` modules.
"""

from __future__ import annotations

from pathlib import Path

from analysis.tables.agreements import REGISTRIES, AdapterResult, AgreementDataError, from_links, from_twinnings
from analysis.tables.municipalities import read_processed
from analysis.tables.rai import read_rai
from analysis.tables.sources_union import read_links
from analysis.tables.store import read_twinnings


def load_agreements(registry: str = "two_sources", rai_path: str | Path = "") -> AdapterResult:
    """The agreements of one registry: ``two_sources`` (default: Wikipedia and Wikidata), ``wikipedia``
    or ``rai`` (needs ``rai_path``)."""
    if registry == "two_sources":
        return from_links(read_links(), read_twinnings())
    if registry == "wikipedia":
        return from_twinnings(read_twinnings())
    if registry == "rai":
        if not str(rai_path).strip():
            raise AgreementDataError("registry=rai needs rai_path: run the notebook with -p rai_path=/path/to/export.xlsx.")
        return read_rai(Path(rai_path), read_processed())
    raise AgreementDataError(f"Unknown registry {registry!r}; use one of {REGISTRIES}.")

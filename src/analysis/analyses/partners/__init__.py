"""Partner finder ("ciberparadiplomacia"): foreign cities a Mexican municipality could twin with.

Owns: ``foreign`` (the one finder: the two-source links, the foreign city's features, the
OpenFlights routes, the Spanish reasons; used by chapter 6, ``python -m analysis partners`` and the
book's finder page), ``validation`` (its evaluation: one link hidden and cold start, repeated
cross-fitting with the method chosen inside the training folds, paired comparisons with popularity,
same-state popularity, gravity and a random order, ablations), ``explanations`` (Spanish wording
helpers) and ``index`` (municipality lookup by code or name, profile similarity, country checks;
its older network-only index is kept for reference and is no longer shipped).

May import: ``analysis.util``, ``analysis.tables``, ``analysis.features``, ``analysis.ingest``;
never ``viz``, ``workflow`` or ``cli``.
"""

from analysis.analyses.partners.evaluation import (
    Evaluation,
    blend_ranks,
    bootstrap_summary,
    cross_fit,
    evaluate,
    leave_one_link_out,
    metrics,
    recommendation_examples,
    tune,
    weight_grid,
)
from analysis.analyses.partners.index import (
    COMPONENTS,
    DEFAULT_K,
    DEFAULT_WEIGHTS,
    TABLE_COLUMNS,
    AmbiguousMunicipalityError,
    PartnerError,
    PartnerIndex,
    Recommendation,
    UnknownMunicipalityError,
    Weights,
    network_links,
    profile_similarity,
)
from analysis.util.countries import UnknownCountryError

__all__ = [
    "COMPONENTS", "DEFAULT_K", "DEFAULT_WEIGHTS", "TABLE_COLUMNS", "AmbiguousMunicipalityError", "Evaluation",
    "PartnerError", "PartnerIndex", "Recommendation", "UnknownCountryError", "UnknownMunicipalityError", "Weights",
    "blend_ranks", "bootstrap_summary", "cross_fit", "evaluate", "leave_one_link_out", "metrics", "network_links",
    "profile_similarity", "recommendation_examples", "tune", "weight_grid",
]

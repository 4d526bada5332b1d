"""Partner finder ("ciberparadiplomacia"): foreign cities a Mexican municipality could twin with.

Owns: ``index`` (the bipartite network, profile similarity, scores and recommendations),
``explanations`` (the Spanish sentence behind every suggestion), ``evaluation`` (leave one
link out, split tuning, bootstrap intervals) and ``foreign`` (a second finder over the two-source
links that also weighs the foreign city: its size, distance, country and region, its twinnings
abroad, with the same evaluation). Figures live in :mod:`analysis.viz.partners`;
the timing harness in :mod:`analysis.workflow.bench`.

May import: ``analysis.util``, ``analysis.tables``, ``analysis.features``; never ``viz``,
``workflow`` or ``cli``.
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

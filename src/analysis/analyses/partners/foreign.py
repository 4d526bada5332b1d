"""The partner finder: foreign cities a Mexican municipality could twin with, and why.

One finder serves chapter 6, the command ``python -m analysis partners`` and the book's finder
page. Data: the two-source links (:mod:`analysis.tables.sources_union`, Wikipedia and Wikidata),
Wikidata's twinning graph and, when given, OpenFlights' direct air routes. The candidate cities are
every foreign place of the graph plus every foreign city of the links table; a candidate must be
known through some link other than the ones being predicted (a twinning with a Mexican
municipality or, in Wikidata, with a city of another country).

For a municipality ``m`` and a candidate city ``p`` the finder computes ``FEATURES`` (grouped in
``FAMILIES`` for the ablations of chapter 6):

- popularity: ``mexican_links`` = log(1 + Mexican municipalities twinned with p),
  ``any_mexican_link`` and ``foreign_links`` = log(1 + twinnings of p abroad, Wikidata);
- ``network``: log(1 + sum over municipalities n of cos(m, n) * A[n, p]) (partners of
  municipalities that share partners with m); ``profile``: log(1 + partners of the ``k`` linked
  municipalities most similar to m by profile);
- size: ``population``/``population_missing`` of p (Wikidata), ``size_gap`` and ``size_product``;
- distance: ``distance`` = log10(1 + km), ``distance_missing``, ``near`` and ``near_border``;
- country: ``country_own``, ``country_region``, ``country_nation``, ``subregion_region``;
- the United States: ``usa_border``, ``usa_migration`` (CONAPO 2010), ``usa_migration_missing``;
- the partner's links nearby: ``state_links`` and ``region_links`` = log(1 + municipalities of m's
  state, or region, twinned with p);
- ``shared_name``: p bears the name of m or of its seat (Mérida, León, Valladolid...);
- ``air_route``: a direct scheduled route (OpenFlights) joins an airport within ``AIRPORT_KM`` of
  m with one within ``AIRPORT_KM`` of p.

The score is an L2-penalised logistic regression on the standardised features, fitted on hidden
links (1) against sampled candidates of the same municipality (0). Three simple rules are computed
from the same features: popularity, same-state popularity (``popularidad_estatal``: the
municipalities of m's state twinned with p, then the national count) and gravity
(log(1 + Mexican links) - log10(1 + km)). The evaluation (:mod:`analysis.analyses.partners.validation`)
chooses among the logistic fits and the rules inside the training folds; the finder ranks by
whichever it selects (``method``), and by the better rule for municipalities without links when
the cold-start evaluation says the model does not beat it (``method_no_links``).

Reasons are merits only (never a distance); the municipalities a reason names are the finder's
profile neighbours, which the page shows. Cities are named in Spanish when a source gives it
(the Wikipedia links, else the reviewed table ``data/curated/city_names_es.csv``); the same place
is listed once (a district inside a suggested city, such as Old Havana in Havana, is left out).

May import: ``analysis.util``, ``analysis.tables``, ``analysis.features``, ``analysis.ingest``,
``analysis.analyses.partners.index``, ``analysis.analyses.partners.explanations``, numpy, pandas.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
import pandas as pd
from scipy import sparse

from analysis import paths
from analysis.analyses.partners.explanations import count_phrase, sentence
from analysis.analyses.partners.index import MunicipalityNames, PartnerError, check_country, profile_similarity
from analysis.ingest.wikidata import WikidataGraph
from analysis.tables.store import read_curated
from analysis.util.countries import UnknownCountryError, iso3_name_es, to_iso3
from analysis.util.spatial import haversine_km
from analysis.util.text import normalise

FEATURES = ("mexican_links", "any_mexican_link", "network", "profile", "foreign_links", "population", "population_missing",
            "size_gap", "distance", "distance_missing", "near", "near_border", "country_own", "country_region",
            "country_nation", "subregion_region", "usa_border", "usa_migration", "usa_migration_missing", "size_product",
            "state_links", "region_links", "shared_name", "air_route")
#: Feature families, removed one at a time in the ablations (Spanish labels are the chapter's).
FAMILIES: dict[str, tuple[str, ...]] = {
    "popularidad": ("mexican_links", "any_mexican_link", "foreign_links"),
    "red": ("network",),
    "perfil": ("profile",),
    "tamaño": ("population", "population_missing", "size_gap", "size_product"),
    "distancia": ("distance", "distance_missing", "near", "near_border"),
    "país y región del mundo": ("country_own", "country_region", "country_nation", "subregion_region"),
    "Estados Unidos y migración": ("usa_border", "usa_migration", "usa_migration_missing"),
    "vínculos en la entidad y la región": ("state_links", "region_links"),
    "nombre compartido": ("shared_name",),
    "rutas aéreas": ("air_route",),
}
#: Spanish labels of the features (tables of chapter 6).
FEATURE_LABELS = {
    "mexican_links": "Municipios mexicanos hermanados con la ciudad (log)", "any_mexican_link": "Algún vínculo con México",
    "network": "Socia de municipios con socios en común", "profile": "Socia de municipios de perfil parecido",
    "foreign_links": "Hermanamientos con otros países (log)", "population": "Población de la ciudad (log)",
    "population_missing": "Población desconocida", "size_gap": "Diferencia de tamaño",
    "distance": "Distancia (log)", "distance_missing": "Distancia desconocida", "near": "A menos de 300 km",
    "near_border": "Cercana, en estado fronterizo", "country_own": "País de otros socios del municipio",
    "country_region": "País de socios de la región", "country_nation": "País de socios de México",
    "subregion_region": "Región del mundo de socios de la región", "usa_border": "Estados Unidos y estado fronterizo",
    "usa_migration": "Estados Unidos por intensidad migratoria", "usa_migration_missing": "Intensidad migratoria desconocida",
    "size_product": "Grande con grande", "state_links": "Socia de municipios de la entidad (log)",
    "region_links": "Socia de municipios de la región (log)", "shared_name": "Mismo nombre que el municipio",
    "air_route": "Vuelo directo",
}
RULES = ("popularidad", "popularidad_estatal", "gravedad")
METHODS = ("modelo", *RULES)
PROFILE_K = 10
PENALTIES = (1.0, 10.0, 100.0, 1000.0)
#: A candidate this close (great-circle km) is "near" (sister cities across the border are).
NEAR_KM = 300.0
#: An airport within this distance (km) serves a municipality or a foreign city.
AIRPORT_KM = 60.0
#: A city within this distance of a better-ranked city of the same country whose name it contains
#: (Old Havana, Havana) is the same place for the list.
SAME_PLACE_KM = 30.0
NEGATIVES_PER_LINK = 40
SCORE_DECIMALS = 10
TABLE_COLUMNS = ["rank", "partner_id", "partner_city", "partner_country_iso3", "partner_country", "partner_region",
                 "partner_qid", "partner_pop", "distance_km", "mexican_links", "foreign_links", "score", "reason"]
_PROFILE = ("log10_population", "region", "coastal", "us_border", "south_border", "lat", "lon")
MEXICO = "Mexico"
country_es = lru_cache(maxsize=None)(iso3_name_es)
_CLAUSE_GROUP = {"size_gap": "size", "size_product": "size", "population": "size", "state_links": "nearby",
                 "region_links": "nearby", "country_region": "country", "country_nation": "country",
                 "country_own": "country", "subregion_region": "country", "mexican_links": "popularity",
                 "any_mexican_link": "popularity"}
#: Features that never become a reason: a distance is not a merit, and a missing value says nothing.
_NO_REASON = frozenset({"distance", "distance_missing", "near", "near_border", "population_missing",
                        "usa_migration_missing"})
COUNTRY_REGIONS_CSV = paths.CURATED / "country_regions.csv"
CITY_NAMES_CSV = paths.CURATED / "city_names_es.csv"
# ---------------------------------------------------------------------- data
def candidate_cities(links: pd.DataFrame, graph: WikidataGraph) -> tuple[pd.DataFrame, dict[str, int]]:
    """Every foreign city the finder can propose: Wikidata's foreign places plus the links' cities.

    Columns: partner_id (QID, or the city key for a city Wikidata does not hold), partner_city,
    partner_country_iso3, partner_lat, partner_lon, partner_pop, foreign_links (Wikidata edges to
    places of other countries, none of them Mexican) and in_wikidata.
    """
    nodes = graph.nodes
    country = nodes.set_index("qid").country
    a, b = graph.edges.qid_a.map(country), graph.edges.qid_b.map(country)
    keep = (a != MEXICO) & (b != MEXICO) & (a != b)
    deg = pd.concat([graph.edges.qid_a[keep], graph.edges.qid_b[keep]]).value_counts()
    foreign = nodes[nodes.country != MEXICO].copy()
    iso = []
    for c in foreign.country:
        try:
            iso.append(to_iso3(c) if c else "")
        except UnknownCountryError:
            iso.append("")
    foreign["partner_country_iso3"] = iso
    counts = {"wikidata_foreign_nodes": len(foreign),
              "wikidata_nodes_without_iso3_set_aside": int((foreign.partner_country_iso3 == "").sum())}
    foreign = foreign[foreign.partner_country_iso3 != ""]
    wd = pd.DataFrame({"partner_id": foreign.qid, "partner_city": foreign.label,
                       "partner_country_iso3": foreign.partner_country_iso3, "partner_lat": foreign.lat,
                       "partner_lon": foreign.lon, "partner_pop": foreign["pop"],
                       "foreign_links": foreign.qid.map(deg).fillna(0).astype(int), "in_wikidata": True})
    extra = (links[~links.partner_id.isin(set(wd.partner_id))]
             .sort_values(["partner_id", "inegi_code"]).drop_duplicates("partner_id"))
    other = pd.DataFrame({"partner_id": extra.partner_id, "partner_city": extra.partner_city,
                          "partner_country_iso3": extra.partner_country_iso3, "partner_lat": extra.partner_lat,
                          "partner_lon": extra.partner_lon, "partner_pop": np.nan, "foreign_links": 0,
                          "in_wikidata": False})
    out = pd.concat([wd, other], ignore_index=True).sort_values("partner_id").reset_index(drop=True)
    counts.update({"candidates": len(out), "candidates_only_in_links": len(other)})
    return out, counts


def _subregions(regions: pd.DataFrame) -> dict[str, str]:
    return dict(zip(regions.iso3, regions.subregion_es.where(regions.subregion_es != "", regions.region_es), strict=True))


# ---------------------------------------------------------------------- logistic regression
def _loglik(Z: np.ndarray, y: np.ndarray, beta: np.ndarray, ridge: np.ndarray) -> float:
    eta = Z @ beta
    return float(y @ eta - np.logaddexp(0, eta).sum() - 0.5 * ridge @ (beta * beta))


def fit_logistic(X: np.ndarray, y: np.ndarray, penalty: float, iterations: int = 50) -> np.ndarray:
    """L2-penalised logistic regression (intercept not penalised) by Newton's method with step halving.

    Stops when the penalised log-likelihood gains less than 1e-8 of its size. Returns (intercept, coefficients).
    """
    Z = np.column_stack([np.ones(len(X)), X])
    beta = np.zeros(Z.shape[1])
    ridge = np.full(Z.shape[1], penalty)
    ridge[0] = 0.0
    current = _loglik(Z, y, beta, ridge)
    for _ in range(iterations):
        p = 1 / (1 + np.exp(-np.clip(Z @ beta, -30, 30)))
        grad = Z.T @ (y - p) - ridge * beta
        hess = (Z * (p * (1 - p))[:, None]).T @ Z + np.diag(ridge)
        step = np.linalg.solve(hess, grad)
        for _ in range(40):  # halve the step until the penalised log-likelihood improves
            trial = _loglik(Z, y, beta + step, ridge)
            if trial >= current:
                break
            step = step / 2
        else:
            break
        beta, gain, current = beta + step, trial - current, trial
        if gain < 1e-8 * max(1.0, abs(current)) or np.max(np.abs(step)) < 1e-6:
            break
    return beta


# ---------------------------------------------------------------------- the finder
@dataclass
class ForeignRecommendation:
    """Suggestions for one municipality, with the method, its note and one Spanish reason per city."""

    inegi_code: str
    label: str
    note: str
    table: pd.DataFrame
    n_links: int = 0
    existing: list[str] = field(default_factory=list)
    method: str = "modelo"
    neighbours: list[str] = field(default_factory=list)


@dataclass
class Hidden:
    """What an evaluation hides: municipality i's links to ``cities``, and the same-state links ``drop``."""

    i: int
    cities: np.ndarray
    drop: list[tuple[int, int]] = field(default_factory=list)


def air_links(airports: pd.DataFrame, routes: pd.DataFrame, m_lat: np.ndarray, m_lon: np.ndarray,
              p_lat: np.ndarray, p_lon: np.ndarray, p_iso: np.ndarray) -> list[np.ndarray]:
    """For each municipality, the candidate cities joined to it by a direct route (either direction).

    ``airports``: airport_id, country_iso3, lat, lon; ``routes``: source_id, destination_id
    (:mod:`analysis.ingest.openflights`). An airport serves a place within ``AIRPORT_KM``.
    """
    out: list[np.ndarray] = [np.zeros(0, dtype=int) for _ in range(len(m_lat))]
    if airports.empty or routes.empty:
        return out
    mx = airports[airports.country_iso3 == "MEX"]
    abroad = airports[airports.country_iso3 != "MEX"]
    pairs = pd.concat([routes[["source_id", "destination_id"]],
                       routes[["destination_id", "source_id"]].set_axis(["source_id", "destination_id"], axis=1)])
    pairs = pairs[pairs.source_id.isin(set(mx.airport_id)) & pairs.destination_id.isin(set(abroad.airport_id))]
    pairs = pairs.drop_duplicates()
    if pairs.empty:
        return out
    dest = abroad[abroad.airport_id.isin(set(pairs.destination_id))]
    served: dict[int, np.ndarray] = {}  # foreign airport -> candidate cities it serves
    ok = np.isfinite(p_lat) & np.isfinite(p_lon)
    for a in dest.itertuples():
        d = haversine_km(float(a.lat), float(a.lon), np.where(ok, p_lat, 0.0), np.where(ok, p_lon, 0.0))
        served[int(a.airport_id)] = np.flatnonzero(ok & (d <= AIRPORT_KM) & (p_iso == a.country_iso3))
    by_origin = {int(k): [served[int(x)] for x in g.destination_id] for k, g in pairs.groupby("source_id")}
    origins = mx[mx.airport_id.isin(set(by_origin))]
    okm = np.isfinite(m_lat) & np.isfinite(m_lon)
    for a in origins.itertuples():
        d = haversine_km(float(a.lat), float(a.lon), np.where(okm, m_lat, 0.0), np.where(okm, m_lon, 0.0))
        cities = np.unique(np.concatenate(by_origin[int(a.airport_id)]))
        for i in np.flatnonzero(okm & (d <= AIRPORT_KM)):
            out[i] = np.union1d(out[i], cities)
    return out


class ForeignFinder:
    """Two-source network, municipal features and foreign-city features, ready to score."""

    def __init__(self, links: pd.DataFrame, cities: pd.DataFrame, municipalities: pd.DataFrame,
                 profiles: pd.DataFrame, covariates: pd.DataFrame, regions: pd.DataFrame, k: int = PROFILE_K,
                 negatives: int = NEGATIVES_PER_LINK, airports: pd.DataFrame | None = None,
                 routes: pd.DataFrame | None = None, names_es: pd.DataFrame | None = None):
        self.cities = cities.reset_index(drop=True)
        self.munis = municipalities.sort_values("inegi_code").reset_index(drop=True)
        self.codes = self.munis.inegi_code.astype(str).tolist()
        self.pos = {c: i for i, c in enumerate(self.codes)}
        unknown = sorted(set(links.inegi_code) - set(self.codes))
        if unknown:
            raise PartnerError(f"links: {len(unknown)} code(s) absent from the municipality table, e.g. {unknown[:3]}.")
        pidx = {p: j for j, p in enumerate(self.cities.partner_id)}
        missing = sorted(set(links.partner_id) - set(pidx))
        if missing:
            raise PartnerError(f"links: partner ids absent from the candidate cities, e.g. {missing[:3]}.")
        self.A = np.zeros((len(self.codes), len(self.cities)), dtype=np.float32)
        self.A[[self.pos[c] for c in links.inegi_code], [pidx[p] for p in links.partner_id]] = 1.0
        self.k, self.negatives = k, negatives
        prof = pd.DataFrame({"inegi_code": self.codes}).merge(profiles, on="inegi_code", how="left", validate="one_to_one")
        prof["state_code"] = self.munis.state_code.astype(str).str.zfill(2).to_numpy()
        self.profiles = prof
        cov = pd.DataFrame({"inegi_code": self.codes}).merge(covariates, on="inegi_code", how="left", validate="one_to_one")
        self.border = cov.northern_border_state.fillna(False).astype(bool).to_numpy()
        self.migration = cov.migration_intensity_2010.to_numpy(float)
        self.complete = prof[list(_PROFILE)].notna().all(axis=1).to_numpy()
        self.region = prof.region.fillna("").to_numpy()
        self.states, self.st_idx = np.unique(prof.state_code.to_numpy(), return_inverse=True)
        self.regions, self.reg_idx = np.unique(self.region, return_inverse=True)
        self.m_lat, self.m_lon = prof.lat.to_numpy(float), prof.lon.to_numpy(float)
        self.m_logpop = prof.log10_population.to_numpy(float)
        # foreign side
        c = self.cities
        self.iso = c.partner_country_iso3.to_numpy()
        self.countries, self.country_idx = np.unique(self.iso, return_inverse=True)
        sub = _subregions(regions)
        self.subregion = np.array([sub.get(i, "") for i in self.iso])
        self.subregions, self.sub_idx = np.unique(self.subregion, return_inverse=True)
        pop = c.partner_pop.to_numpy(float)
        self.pop_missing = ~(pop > 0)
        logpop = np.log10(np.where(self.pop_missing, np.nan, pop))
        self.p_logpop = np.where(self.pop_missing, np.nanmedian(logpop) if (~self.pop_missing).any() else 5.0, logpop)
        self.p_lat, self.p_lon = c.partner_lat.to_numpy(float), c.partner_lon.to_numpy(float)
        self.foreign_links = c.foreign_links.to_numpy(float)
        self.is_usa = (self.iso == "USA").astype(float)
        self.display = spanish_names(c, names_es)
        self.city_norm = np.array([normalise(x) for x in c.partner_city])
        self.name_rank = np.empty(len(c), dtype=int)
        self.name_rank[np.lexsort((c.partner_country_iso3.to_numpy(), np.array([normalise(x) for x in self.display])))] = \
            np.arange(len(c))
        self.linked = np.flatnonzero(self.A.sum(axis=1) > 0)
        norms = np.linalg.norm(self.A[self.linked], axis=1)
        # sparse: a few hundred links in a matrix of millions of cells (and no BLAS threads to wait for)
        self.A_unit = sparse.csr_matrix(self.A[self.linked].astype(float) / norms[:, None])
        self.A_linked_T = sparse.csr_matrix(self.A[self.linked].astype(float).T)
        self.linked_pos = {int(j): q for q, j in enumerate(self.linked)}
        self.degree = self.A.sum(axis=0).astype(float)
        self.C = self._group_counts(self.A, self.country_idx, len(self.countries))
        self.S = self._group_counts(self.A, self.sub_idx, len(self.subregions))
        self.C_nat = self.C.sum(axis=0).astype(float)
        self.C_reg = np.vstack([self.C[self.reg_idx == r].sum(axis=0) for r in range(len(self.regions))]).astype(float)
        self.S_reg = np.vstack([self.S[self.reg_idx == r].sum(axis=0) for r in range(len(self.regions))]).astype(float)
        self.SD = np.vstack([self.A[self.st_idx == s].sum(axis=0) for s in range(len(self.states))]).astype(float)
        self.RD = np.vstack([self.A[self.reg_idx == r].sum(axis=0) for r in range(len(self.regions))]).astype(float)
        by_name: dict[str, list[int]] = {}
        for j, nm in enumerate(self.city_norm):
            by_name.setdefault(nm, []).append(j)
        for j, nm in enumerate(np.array([normalise(x) for x in self.display])):
            if j not in by_name.setdefault(nm, []):
                by_name[nm].append(j)
        self.same_name: list[np.ndarray] = []
        for i in range(len(self.codes)):
            row = self.munis.iloc[i]
            keys = {normalise(str(row[col])) for col in ("name", "seat_name") if col in self.munis.columns
                    and isinstance(row[col], str) and row[col]}
            self.same_name.append(np.array(sorted({j for key in keys for j in by_name.get(key, [])}), dtype=int))
        self.air = air_links(airports if airports is not None else pd.DataFrame(),
                             routes if routes is not None else pd.DataFrame(),
                             self.m_lat, self.m_lon, self.p_lat, self.p_lon, self.iso)
        self.mean, self.scale = np.zeros(len(FEATURES)), np.ones(len(FEATURES))
        self.beta = np.zeros(len(FEATURES) + 1)
        self.beta[1 + FEATURES.index("mexican_links")] = 1.0  # popularity until fitted
        self.penalty = float("nan")
        self.method, self.method_no_links = "modelo", "modelo"
        self.names = MunicipalityNames(self.munis)
        self._nb: dict[int, tuple[np.ndarray, np.ndarray]] = {}

    @staticmethod
    def _group_counts(A: np.ndarray, idx: np.ndarray, n: int) -> np.ndarray:
        onehot = np.zeros((A.shape[1], n), dtype=np.float32)
        onehot[np.arange(A.shape[1]), idx] = 1.0
        return np.asarray(A @ onehot)

    # ------------------------------------------------------------------ neighbours
    def neighbours(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        """The ``k`` linked municipalities (other than i) most similar to i by profile, and their similarity."""
        if i not in self._nb:
            if self.complete[i]:
                cand = self.linked[self.linked != i]
                cand = cand[self.complete[cand]]
                sims = profile_similarity(self.profiles.iloc[i], self.profiles.iloc[cand])
                order = np.lexsort((cand, -np.round(sims, SCORE_DECIMALS)))[: self.k]
                self._nb[i] = (cand[order], sims[order])
            else:
                self._nb[i] = (np.zeros(0, dtype=int), np.zeros(0))
        return self._nb[i]

    # ------------------------------------------------------------------ features
    def features(self, i: int, hidden: Hidden | None = None) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
        """Feature matrix (candidates x FEATURES), the candidate mask, and the raw parts for explanations.

        ``hidden`` names links treated as unknown: municipality i's links to ``hidden.cities`` and
        the links ``hidden.drop`` of other municipalities (same-state twins of a hidden link).
        """
        row = self.A[i].astype(float)
        degree = self.degree.copy()
        st, rg = self.st_idx[i], self.reg_idx[i]
        state_deg, region_deg = self.SD[st].copy(), self.RD[rg].copy()
        C_nat, C_reg, S_reg = self.C_nat.copy(), self.C_reg[rg].copy(), self.S_reg[rg].copy()
        removed: list[tuple[int, int]] = []
        if hidden is not None:
            row[hidden.cities] = 0.0
            removed = [(i, int(p)) for p in hidden.cities] + list(hidden.drop)
            for n, p in removed:
                degree[p] -= 1
                C_nat[self.country_idx[p]] -= 1
                if self.st_idx[n] == st:
                    state_deg[p] -= 1
                if self.reg_idx[n] == rg:
                    region_deg[p] -= 1
                    C_reg[self.country_idx[p]] -= 1
                    S_reg[self.sub_idx[p]] -= 1
        C_i = np.bincount(self.country_idx[row > 0], minlength=len(self.countries)).astype(float)
        norm = np.linalg.norm(row)
        cos = np.asarray(self.A_unit @ (row / norm)) if norm > 0 else np.zeros(len(self.linked))
        cos[self.linked == i] = 0.0  # i's own row cannot feed its network term
        network = np.asarray(self.A_linked_T @ cos) if norm > 0 else np.zeros(len(self.cities))
        nb, nb_sims = self.neighbours(i)
        profile = nb_sims @ self.A[nb] if len(nb) else np.zeros(len(self.cities))
        if removed:
            other_pos = self.linked_pos
            nb_pos = {int(j): q for q, j in enumerate(nb)}
            for n, p in removed:
                if n == i:
                    continue
                if n in other_pos:
                    network[p] -= cos[other_pos[n]]
                if n in nb_pos:
                    profile[p] -= nb_sims[nb_pos[n]]
        network, profile = np.maximum(network, 0.0), np.maximum(profile, 0.0)
        dist = haversine_km(self.m_lat[i], self.m_lon[i], self.p_lat, self.p_lon)
        dist_missing = ~np.isfinite(dist)
        dist_fill = np.where(dist_missing, np.nanmedian(dist) if np.isfinite(dist).any() else 0.0, dist)
        n_own = row.sum()
        mig = self.migration[i]
        near = (dist_fill <= NEAR_KM) & ~dist_missing
        m_logpop = self.m_logpop[i] if np.isfinite(self.m_logpop[i]) else 4.0
        n_c = len(self.cities)
        shared = np.zeros(n_c)
        shared[self.same_name[i]] = 1.0
        air = np.zeros(n_c)
        air[self.air[i]] = 1.0
        X = np.column_stack([
            np.log1p(degree), (degree > 0).astype(float), np.log1p(network), np.log1p(profile),
            np.log1p(self.foreign_links), self.p_logpop, self.pop_missing.astype(float),
            np.abs(m_logpop - self.p_logpop),
            np.log10(1 + dist_fill), dist_missing.astype(float), near.astype(float), near * float(self.border[i]),
            C_i[self.country_idx] / n_own if n_own > 0 else np.zeros(n_c),
            np.log1p(C_reg[self.country_idx]), np.log1p(C_nat[self.country_idx]), np.log1p(S_reg[self.sub_idx]),
            self.is_usa * float(self.border[i]), self.is_usa * (mig if np.isfinite(mig) else 0.0),
            self.is_usa * float(not np.isfinite(mig)), (m_logpop - 4.0) * (self.p_logpop - 5.0),
            np.log1p(state_deg), np.log1p(region_deg), shared, air,
        ])
        mask = ((degree > 0) | (self.foreign_links > 0)) & (row == 0)
        parts = {"cos": cos, "others": self.linked, "nb": nb, "degree": degree, "dist": dist,
                 "C_i": C_i, "C_reg": C_reg, "C_nat": C_nat, "state_deg": state_deg, "region_deg": region_deg}
        return X, mask, parts

    def score(self, X: np.ndarray, method: str | None = None) -> np.ndarray:
        """The finder's score (``method`` defaults to the selected one): the logistic fit or a rule."""
        return method_scores(X, method or self.method, self.mean, self.scale, self.beta)

    def rank_of(self, score: np.ndarray, mask: np.ndarray, p: int) -> float:
        if not mask[p]:
            return float("inf")
        s = np.round(score, SCORE_DECIMALS)
        better = mask & ((s > s[p]) | ((s == s[p]) & (self.name_rank < self.name_rank[p])))
        return float(better.sum() + 1)

    # ------------------------------------------------------------------ lookup and explanation
    def resolve(self, query: str) -> str:
        """INEGI code for a code or a name (:class:`MunicipalityNames`)."""
        return self.names.resolve(query)

    def label(self, code: str) -> str:
        return self.names.label(code)

    def short_label(self, j: int) -> str:
        row = self.munis.iloc[j]
        return f"{row['name']} ({row['state_abbr']})"

    def check_country(self, country: str | None) -> str | None:
        """The ISO3 code of ``country`` when some candidate city is there; else UnknownCountryError with close codes."""
        return check_country(country, self.iso, "está entre las candidatas")

    def method_for(self, i: int) -> str:
        """The ranking the finder uses for municipality i: the no-links method when it has no link."""
        return self.method if self.A[i].any() else self.method_no_links

    def ranked(self, i: int, country: str | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict[str, np.ndarray]]:
        """Candidate cities of municipality i, best first (one per place), with the features, scores and parts."""
        X, mask, parts = self.features(i)
        if country:
            mask = mask & (self.iso == country)
        score = self.score(X, self.method_for(i))
        idx = np.flatnonzero(mask)
        order = idx[np.lexsort((self.name_rank[idx], -np.round(score[idx], SCORE_DECIMALS)))]
        return order, X, score, parts

    def distinct(self, order: np.ndarray, top: int) -> list[int]:
        """The first ``top`` cities of ``order``, leaving out a place inside (or named after) one already listed."""
        chosen: list[int] = []
        for p in order:
            if any(self._same_place(int(p), q) for q in chosen):
                continue
            chosen.append(int(p))
            if len(chosen) == top:
                break
        return chosen

    def _same_place(self, p: int, q: int) -> bool:
        if self.iso[p] != self.iso[q]:
            return False
        a, b = set(self.city_norm[p].split()), set(self.city_norm[q].split())
        if not (a <= b or b <= a):
            return False
        d = haversine_km(float(self.p_lat[p]), float(self.p_lon[p]), np.array([self.p_lat[q]]), np.array([self.p_lon[q]]))
        return bool(np.isfinite(d[0]) and d[0] <= SAME_PLACE_KM)

    def recommend(self, code: str, top: int = 10, country: str | None = None) -> ForeignRecommendation:
        """The ``top`` best-ranked candidate cities for a municipality (optionally in one ISO3 country),
        each with its reason in Spanish."""
        if code not in self.pos:
            code = self.resolve(code)
        if top < 1:
            raise PartnerError(f"--top must be at least 1 (got {top}).")
        iso = self.check_country(country)
        i = self.pos[code]
        order, X, score, parts = self.ranked(i, iso)
        chosen = self.distinct(order, top)
        method = self.method_for(i)
        contrib = ((X - self.mean) / self.scale) * self.beta[1:]
        rows = []
        for rank, p in enumerate(chosen, start=1):
            c = self.cities.iloc[p]
            d = parts["dist"][p]
            rows.append({
                "rank": rank, "partner_id": c.partner_id, "partner_city": self.display[p],
                "partner_country_iso3": c.partner_country_iso3, "partner_country": country_es(c.partner_country_iso3),
                "partner_region": self.subregion[p], "partner_qid": c.partner_id if c.in_wikidata else "",
                "partner_pop": None if self.pop_missing[p] else int(c.partner_pop),
                "distance_km": None if not np.isfinite(d) else round(float(d)),
                "mexican_links": int(parts["degree"][p]), "foreign_links": int(self.foreign_links[p]),
                "score": round(float(score[p]), 4), "reason": self.reason(i, p, contrib[p], parts, method),
            })
        n = int(self.A[i].sum())
        existing = sorted(self.display[self.A[i] > 0].tolist())
        nb, _ = self.neighbours(i)
        return ForeignRecommendation(code, self.label(code), method_note(n, method), pd.DataFrame(rows, columns=TABLE_COLUMNS),
                                     n, existing, method, [self.codes[j] for j in nb])

    def reason(self, i: int, p: int, contrib: np.ndarray, parts: dict[str, np.ndarray], method: str) -> str:
        """Up to three merits of city p for municipality i, strongest first, one per kind; never a distance."""
        country = country_es(self.iso[p])
        if method == "modelo":
            ranked = sorted(((float(v), f) for f, v in zip(FEATURES, contrib, strict=True) if v > 0), key=lambda t: -t[0])
            features = [f for _, f in ranked]
        else:
            features = list(RULE_REASONS[method])
        chosen: list[str] = []
        groups: set[str] = set()
        for f in features:
            if f in _NO_REASON or _CLAUSE_GROUP.get(f, f) in groups or len(chosen) == 3:
                continue
            text = self._clause(f, i, p, parts, country)
            if text:
                chosen.append(text)
                groups.add(_CLAUSE_GROUP.get(f, f))
        if not chosen:
            chosen = [f"ciudad de {country} con vínculos internacionales registrados"]
        return sentence("; ".join(chosen))

    def _clause(self, f: str, i: int, p: int, parts: dict[str, np.ndarray], country: str) -> str:
        deg = int(parts["degree"][p])
        state = str(self.munis.state_name.iloc[i]) if "state_name" in self.munis.columns else "su entidad"
        if f == "mexican_links" and deg:
            return f"hermanada con {count_phrase(deg, 'municipio', 'municipios')} de México"
        if f == "network":
            who = parts["others"][(parts["cos"] > 0) & (self.A[parts["others"], p] > 0)]
            if len(who):
                return f"socia de {count_phrase(len(who), 'municipio', 'municipios')} con socios en común con el suyo"
        if f == "profile":
            who = [int(j) for j in parts["nb"] if self.A[j, p] > 0]
            if who:
                names = ", ".join(self.short_label(j) for j in who[:3])
                what = "municipio de perfil parecido" if len(who) == 1 else "municipios de perfil parecido"
                return f"socia de {len(who)} {what}: {names}"
        if f == "foreign_links" and self.foreign_links[p] > 0:
            return f"hermanada con {count_phrase(int(self.foreign_links[p]), 'ciudad', 'ciudades')} de otros países"
        if f == "population" and not self.pop_missing[p]:
            return f"ciudad de {int(self.cities.partner_pop.iloc[p]):,} habitantes"
        if f == "size_gap" and not self.pop_missing[p] and abs(self.m_logpop[i] - self.p_logpop[p]) < 0.5:
            return "de tamaño parecido al del municipio"
        if f == "size_product" and not self.pop_missing[p] and np.isfinite(self.m_logpop[i]):
            if self.m_logpop[i] >= 5.0 and self.p_logpop[p] >= 5.5:  # 100,000 and 316,000 inhabitants or more
                return "ciudad grande para un municipio grande"
            if self.m_logpop[i] < 4.5 and self.p_logpop[p] < 5.0:  # under 31,600 and 100,000 inhabitants
                return "ciudad pequeña, como el municipio"
        if f == "country_own" and parts["C_i"][self.country_idx[p]] > 0:
            n = int(parts["C_i"][self.country_idx[p]])
            return f"en {country}, donde el municipio ya tiene {count_phrase(n, 'socia', 'socias')}"
        if f == "country_region" and parts["C_reg"][self.country_idx[p]] > 0:
            n = int(parts["C_reg"][self.country_idx[p]])
            return f"{country} reúne {count_phrase(n, 'vínculo', 'vínculos')} de municipios de la región {self.region[i]}"
        if f == "country_nation" and parts["C_nat"][self.country_idx[p]] > 0:
            n = int(parts["C_nat"][self.country_idx[p]])
            return f"{country} es país de {count_phrase(n, 'hermanamiento', 'hermanamientos')} de municipios mexicanos"
        if f == "subregion_region" and self.subregion[p]:
            return f"en {self.subregion[p]}, donde se hermanan municipios de la región {self.region[i]}"
        if f == "usa_border" and self.is_usa[p] and self.border[i]:
            return "ciudad de Estados Unidos y municipio de un estado fronterizo"
        if f == "usa_migration" and self.is_usa[p] and np.isfinite(self.migration[i]) and self.migration[i] > 0:
            return ("ciudad de Estados Unidos; intensidad migratoria del municipio hacia ese país: "
                    f"{self.migration[i]:.2f} (CONAPO 2010)")
        if f == "state_links" and parts["state_deg"][p] > 0:
            return f"ya hermanada con {count_phrase(int(parts['state_deg'][p]), 'municipio', 'municipios')} de {state}"
        if f == "region_links" and parts["region_deg"][p] > 0:
            n = int(parts["region_deg"][p])
            return f"ya hermanada con {count_phrase(n, 'municipio', 'municipios')} de la región {self.region[i]}"
        if f == "shared_name" and p in set(self.same_name[i].tolist()):
            return "lleva el mismo nombre que el municipio o su cabecera"
        if f == "air_route" and p in set(self.air[i].tolist()):
            return "vuelo directo desde un aeropuerto cercano al municipio"
        return ""


#: The merits a rule's suggestion is explained by (the rule's own terms, distance left out).
RULE_REASONS = {"popularidad": ("mexican_links", "foreign_links"),
                "popularidad_estatal": ("state_links", "mexican_links", "foreign_links"),
                "gravedad": ("mexican_links", "foreign_links")}


def method_scores(X: np.ndarray, method: str, mean: np.ndarray, scale: np.ndarray, beta: np.ndarray) -> np.ndarray:
    """Scores of the candidates (rows of X) under the logistic fit ('modelo') or one of ``RULES``."""
    f = FEATURES.index
    if method == "modelo":
        return np.asarray(((X - mean) / scale) @ beta[1:] + beta[0])
    if method == "popularidad":
        return np.asarray(X[:, f("mexican_links")])
    if method == "popularidad_estatal":
        return np.asarray(np.expm1(X[:, f("state_links")]) * 1000.0 + X[:, f("mexican_links")])
    if method == "gravedad":
        return np.asarray(X[:, f("mexican_links")] - X[:, f("distance")])
    raise PartnerError(f"unknown ranking method {method!r}; expected one of {list(METHODS)}.")


def method_note(n_links: int, method: str) -> str:
    """How the list of a municipality with ``n_links`` links was made."""
    head = (f"El municipio tiene {count_phrase(n_links, 'hermanamiento registrado', 'hermanamientos registrados')} "
            "en Wikipedia o Wikidata (excluidos de la lista). " if n_links
            else "El municipio no tiene hermanamientos registrados en Wikipedia ni en Wikidata. ")
    if method == "modelo":
        return head + ("Cada ciudad se ordena por sus vínculos con México y con otros países, su tamaño, su distancia, "
                       "su país, sus socios en la entidad y la región, los vuelos directos y los socios de municipios "
                       "parecidos; los pesos se ajustaron ocultando vínculos conocidos.")
    rule = {"popularidad": "el número de municipios mexicanos hermanados con cada ciudad",
            "popularidad_estatal": "el número de municipios de su entidad hermanados con cada ciudad (y luego de todo México)",
            "gravedad": "los vínculos de cada ciudad con México, descontada la distancia"}[method]
    return head + (f"La lista se ordena por {rule}: en la evaluación del capítulo 6, esta regla simple acierta al "
                   "menos tanto como el modelo para los municipios sin vínculos.")


def spanish_names(cities: pd.DataFrame, names_es: pd.DataFrame | None) -> np.ndarray:
    """The name each candidate is shown with: its reviewed Spanish name (``names_es``: partner_id, name_es;
    data/curated/city_names_es.csv), else the source's name (Wikidata's English label)."""
    shown = cities.partner_city.astype(str).to_numpy().copy()
    if names_es is not None:
        pos = {p: j for j, p in enumerate(cities.partner_id)}
        for pid, name in zip(names_es.partner_id, names_es.name_es, strict=True):
            if pid in pos and str(name).strip():
                shown[pos[pid]] = str(name).strip()
    return np.asarray(shown)


# ---------------------------------------------------------------------- construction and weights
def build_foreign_finder(links: pd.DataFrame, graph: WikidataGraph, municipalities: pd.DataFrame,
                         profiles: pd.DataFrame, covariates: pd.DataFrame, regions: pd.DataFrame | None = None,
                         airports: pd.DataFrame | None = None, routes: pd.DataFrame | None = None,
                         names_es: pd.DataFrame | None = None, k: int = PROFILE_K,
                         negatives: int = NEGATIVES_PER_LINK) -> tuple[ForeignFinder, dict[str, int]]:
    """The finder over the two-source links (``twinning_links.csv``) and the Wikidata graph, unfitted.

    ``regions`` defaults to data/curated/country_regions.csv (UN M49) and ``names_es`` to
    data/curated/city_names_es.csv. Returns the finder and the counts of the candidate cities. Fit
    it with :func:`analysis.analyses.partners.validation.evaluate` or set saved weights with
    :func:`set_weights`.
    """
    if regions is None:
        regions = read_curated(COUNTRY_REGIONS_CSV, ["iso3", "region_es", "subregion_es"], PartnerError)
    if names_es is None and CITY_NAMES_CSV.exists():
        names_es = read_curated(CITY_NAMES_CSV, ["partner_id", "name_es", "source"], PartnerError)
    cities, counts = candidate_cities(links, graph)
    finder = ForeignFinder(links, cities, municipalities, profiles, covariates, regions, k=k, negatives=negatives,
                           airports=airports, routes=routes, names_es=names_es)
    return finder, counts


WEIGHT_COLUMNS = ("feature", "mean", "scale", "coefficient", "penalty", "method", "method_no_links")


def weights_table(finder: ForeignFinder) -> pd.DataFrame:
    """The finder's weights: feature, mean and scale used to standardise it, coefficient; the penalty and
    the ranking methods selected (for municipalities with links, and without)."""
    return pd.DataFrame({"feature": ["intercept", *FEATURES], "mean": np.r_[0.0, finder.mean],
                         "scale": np.r_[1.0, finder.scale], "coefficient": finder.beta,
                         "penalty": finder.penalty, "method": finder.method, "method_no_links": finder.method_no_links})


def check_weights(table: pd.DataFrame, source: str = "finder weights") -> pd.DataFrame:
    """The weights table with every value a finite number, every feature present once and known methods.

    ``source`` names the file in the messages. A missing column or feature, a repeated or unknown
    feature, a value that is empty, text or not finite, a scale that is not positive or an unknown
    method is a :class:`PartnerError` naming the row and field: recommendations from such weights
    would be meaningless (every score empty and the list ordered by name).
    """
    hint = "re-run notebook 06 (`python -m analysis run 06`), which writes them"
    if table.empty:
        raise PartnerError(f"{source}: the table has no rows; {hint}.")
    missing_cols = [c for c in WEIGHT_COLUMNS if c not in table.columns]
    if missing_cols:
        raise PartnerError(f"{source}: missing column(s) {missing_cols}; expected {list(WEIGHT_COLUMNS)}; {hint}.")
    names = table.feature.astype(str).str.strip()
    expected = ["intercept", *FEATURES]
    absent = [f for f in expected if f not in set(names)]
    if absent:
        raise PartnerError(f"{source}: feature(s) {absent} missing; {hint}.")
    extra = sorted(set(names) - set(expected))
    repeated = sorted(set(names[names.duplicated()]))
    if extra or repeated:
        raise PartnerError(f"{source}: unknown feature(s) {extra} or repeated feature(s) {repeated}; {hint}.")
    out = pd.DataFrame({"feature": names})
    for col in ("mean", "scale", "coefficient", "penalty"):
        raw = table[col]
        values = pd.to_numeric(raw, errors="coerce").to_numpy(float)
        bad = np.flatnonzero(~np.isfinite(values))
        if len(bad):
            j = int(bad[0])
            raise PartnerError(f"{source}, row {j + 2} (feature {names.iloc[j]!r}), field {col}: {raw.iloc[j]!r} is not "
                               f"a finite number; {hint}.")
        out[col] = values
    bad_scale = np.flatnonzero(out["scale"].to_numpy() <= 0)
    if len(bad_scale):
        j = int(bad_scale[0])
        raise PartnerError(f"{source}, row {j + 2} (feature {names.iloc[j]!r}), field scale: must be positive; {hint}.")
    for col in ("method", "method_no_links"):
        values = table[col].astype(str).str.strip()
        unknown = sorted(set(values) - set(METHODS))
        if unknown or len(set(values)) != 1:
            raise PartnerError(f"{source}, field {col}: {sorted(set(values))} is not one of {list(METHODS)} "
                               f"(the same on every row); {hint}.")
        out[col] = values.to_numpy()
    return out.set_index("feature").loc[expected].reset_index()


def set_weights(finder: ForeignFinder, table: pd.DataFrame, source: str = "finder weights") -> None:
    """Load weights written by :func:`weights_table`, after :func:`check_weights`."""
    table = check_weights(table, source)
    finder.mean = table["mean"].to_numpy(float)[1:]
    finder.scale = table["scale"].to_numpy(float)[1:]
    finder.beta = table["coefficient"].to_numpy(float)
    finder.penalty = float(table["penalty"].iloc[0])
    finder.method = str(table["method"].iloc[0])
    finder.method_no_links = str(table["method_no_links"].iloc[0])

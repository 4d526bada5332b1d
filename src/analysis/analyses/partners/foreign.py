"""A partner finder that also looks at the foreign side: who the foreign city is, where, and whom it twins with.

Data: the two-source links (:mod:`analysis.tables.sources_union`, Wikipedia and Wikidata) and
Wikidata's twinning graph. The candidate cities are every foreign place of the graph plus every
foreign city of the links table; a candidate must be known through some link other than the
one being predicted (a twinning with another Mexican municipality, or with a city of another
country in Wikidata), so that no evaluation is helped by the very link it hides.

For a municipality ``m`` and a candidate city ``p`` the finder scores ``FEATURES``:

- ``mexican_links``: log(1 + Mexican municipalities twinned with p) (the popularity baseline), and
  ``any_mexican_link`` (p is twinned with at least one);
- ``network``: log(1 + sum over municipalities n of cos(m, n) * A[n, p]) (partners of
  municipalities that share partners with m);
- ``profile``: log(1 + partners of the ``k`` linked municipalities most similar to m by profile);
- ``foreign_links``: log(1 + twinnings of p with places of other countries, Wikidata);
- ``population`` and ``population_missing``: log10 of p's population (Wikidata; the median when
  unknown, with the indicator), and ``size_gap``: |log10 population of m - that of p|;
- ``distance``: log10(1 + great-circle km from m to p) (``distance_missing`` when p has no point);
- ``near`` (p within ``NEAR_KM``) and ``near_border`` (the same for a municipality of a northern
  border state);
- ``country_own``: share of m's other partners in p's country; ``country_region``: log(1 + links
  of m's region to p's country); ``country_nation``: the same for all Mexican municipalities;
  ``subregion_region``: links of m's region to p's world subregion (UN M49);
- ``usa_border``: p is in the United States and m in a northern border state;
  ``usa_migration``: p is in the United States times m's 2010 migration intensity to the US
  (CONAPO; 0 when missing, with ``usa_migration_missing``);
- ``size_product``: (log10 population of m - 4) * (log10 population of p - 5): large with large.

The weights are those of an L2-penalised logistic regression of "is a partner" on the
standardised features, fitted on the hidden links (1) against ``NEGATIVES_PER_LINK`` candidates
of the same municipality sampled at random (0). The evaluation is the same
as the first finder's (:mod:`analysis.analyses.partners.evaluation`): every link of every
municipality with two or more links is hidden in turn, the weights are fitted on the other
fold's municipalities (split tuning, including the choice of the penalty), and hit@10 and MRR
get bootstrap intervals over municipalities, against popularity and a seeded random order over
the same candidates.

May import: ``analysis.util``, ``analysis.tables``, ``analysis.features``,
``analysis.analyses.partners.index``, ``analysis.analyses.partners.evaluation``, numpy, pandas.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from analysis import paths
from analysis.analyses.partners.evaluation import bootstrap_summary
from analysis.analyses.partners.index import MunicipalityNames, PartnerError, check_country, profile_similarity
from analysis.ingest.wikidata import WikidataGraph
from analysis.tables.store import read_curated
from analysis.util.countries import UnknownCountryError, iso3_name_es, to_iso3
from analysis.util.spatial import haversine_km
from analysis.util.text import normalise, plural

FEATURES = ("mexican_links", "any_mexican_link", "network", "profile", "foreign_links", "population", "population_missing",
            "size_gap",
            "distance", "distance_missing", "near", "near_border", "country_own", "country_region", "country_nation",
            "subregion_region", "usa_border", "usa_migration", "usa_migration_missing", "size_product")
PROFILE_K = 10
PENALTIES = (1.0, 10.0, 100.0, 1000.0)
#: A candidate this close (great-circle km) is "near" (sister cities across the border are).
NEAR_KM = 300.0
NEGATIVES_PER_LINK = 200
SCORE_DECIMALS = 10
TABLE_COLUMNS = ["rank", "partner_city", "partner_country_iso3", "partner_country", "partner_region", "partner_qid",
                 "partner_pop", "distance_km", "mexican_links", "foreign_links", "score", "reason"]
_PROFILE = ("log10_population", "region", "coastal", "us_border", "south_border", "lat", "lon")
MEXICO = "Mexico"
_CLAUSE_GROUP = {"near": "distance", "near_border": "distance", "size_gap": "size", "size_product": "size",
                 "population": "size"}
COUNTRY_REGIONS_CSV = paths.CURATED / "country_regions.csv"


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


def fit_logistic(X: np.ndarray, y: np.ndarray, penalty: float, iterations: int = 100) -> np.ndarray:
    """L2-penalised logistic regression (intercept not penalised) by Newton's method with step halving.

    Returns (intercept, coefficients).
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
        if gain < 1e-9 or np.max(np.abs(step)) < 1e-8:
            break
    return beta


# ---------------------------------------------------------------------- the finder
@dataclass
class ForeignRecommendation:
    """Suggestions for one municipality, with the method note and one Spanish reason per city."""

    inegi_code: str
    label: str
    note: str
    table: pd.DataFrame
    n_links: int = 0
    existing: list[str] = field(default_factory=list)


class ForeignFinder:
    """Two-source network, municipal features and foreign-city features, ready to score."""

    def __init__(self, links: pd.DataFrame, cities: pd.DataFrame, municipalities: pd.DataFrame,
                 profiles: pd.DataFrame, covariates: pd.DataFrame, regions: pd.DataFrame, k: int = PROFILE_K,
                 negatives: int = NEGATIVES_PER_LINK):
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
        self.p_logpop = np.where(self.pop_missing, np.nanmedian(logpop), logpop)
        self.p_lat, self.p_lon = c.partner_lat.to_numpy(float), c.partner_lon.to_numpy(float)
        self.foreign_links = c.foreign_links.to_numpy(float)
        self.is_usa = (self.iso == "USA").astype(float)
        self.name_rank = np.empty(len(c), dtype=int)
        self.name_rank[np.lexsort((c.partner_country_iso3.to_numpy(), c.partner_city.map(normalise).to_numpy()))] = \
            np.arange(len(c))
        self.linked = np.flatnonzero(self.A.sum(axis=1) > 0)
        norms = np.linalg.norm(self.A[self.linked], axis=1)
        self.A_unit = self.A[self.linked] / norms[:, None]
        self.degree = self.A.sum(axis=0).astype(float)
        self.C = self._country_counts(self.A)
        self.S = self._subregion_counts(self.A)
        self.mean, self.scale = np.zeros(len(FEATURES)), np.ones(len(FEATURES))
        self.beta = np.zeros(len(FEATURES) + 1)
        self.beta[1 + FEATURES.index("mexican_links")] = 1.0  # popularity until fitted
        self.penalty = float("nan")
        self.names = MunicipalityNames(self.munis)
        self._rows: dict[tuple[int, int, int, int], tuple[np.ndarray, np.ndarray] | None] = {}

    # ------------------------------------------------------------------ counts
    def _country_counts(self, A: np.ndarray) -> np.ndarray:
        C = np.zeros((A.shape[0], len(self.countries)), dtype=np.float32)
        for j in range(len(self.countries)):
            C[:, j] = A[:, self.country_idx == j].sum(axis=1)
        return C

    def _subregion_counts(self, A: np.ndarray) -> np.ndarray:
        S = np.zeros((A.shape[0], len(self.subregions)), dtype=np.float32)
        for j in range(len(self.subregions)):
            S[:, j] = A[:, self.sub_idx == j].sum(axis=1)
        return S

    # ------------------------------------------------------------------ features
    def features(self, i: int, hidden: int | None = None) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
        """Feature matrix (candidates x FEATURES), the candidate mask, and the raw parts for explanations.

        ``hidden`` is a city index whose link with municipality i is treated as unknown.
        """
        row = self.A[i].astype(float)
        degree = self.degree.copy()
        C_i, S_i = self.C[i].astype(float), self.S[i].astype(float)
        same_region = self.region == self.region[i] if self.region[i] else np.zeros(len(self.codes), bool)
        C_reg = self.C[same_region].sum(axis=0).astype(float)
        C_nat = self.C.sum(axis=0).astype(float)
        S_reg = self.S[same_region].sum(axis=0).astype(float)
        if hidden is not None:
            row[hidden] = 0.0
            degree[hidden] -= 1
            C_i[self.country_idx[hidden]] -= 1
            C_nat[self.country_idx[hidden]] -= 1
            S_i[self.sub_idx[hidden]] -= 1
            if self.region[i]:
                C_reg[self.country_idx[hidden]] -= 1
                S_reg[self.sub_idx[hidden]] -= 1
        others = self.linked != i
        norm = np.linalg.norm(row)
        cos = (self.A_unit[others] @ (row / norm)) if norm > 0 else np.zeros(int(others.sum()))
        network = cos @ self.A[self.linked[others]]  # row i itself is left out: its hidden link cannot feed it
        if self.complete[i]:
            cand = self.linked[others]
            cand = cand[self.complete[cand]]
            sims = profile_similarity(self.profiles.iloc[i], self.profiles.iloc[cand])
            order = np.lexsort((cand, -np.round(sims, SCORE_DECIMALS)))[: self.k]
            nb, nb_sims = cand[order], sims[order]
            profile = nb_sims @ self.A[nb]
        else:
            nb, profile = np.array([], dtype=int), np.zeros(len(self.cities))
        dist = haversine_km(self.m_lat[i], self.m_lon[i], self.p_lat, self.p_lon)
        dist_missing = ~np.isfinite(dist)
        dist_fill = np.where(dist_missing, np.nanmedian(dist) if np.isfinite(dist).any() else 0.0, dist)
        n_own = row.sum()
        mig = self.migration[i]
        near = (dist_fill <= NEAR_KM) & ~dist_missing
        m_logpop = self.m_logpop[i] if np.isfinite(self.m_logpop[i]) else 4.0
        X = np.column_stack([
            np.log1p(degree), (degree > 0).astype(float), np.log1p(network), np.log1p(profile),
            np.log1p(self.foreign_links), self.p_logpop,
            self.pop_missing.astype(float),
            np.abs(m_logpop - self.p_logpop),
            np.log10(1 + dist_fill), dist_missing.astype(float), near.astype(float), near * float(self.border[i]),
            C_i[self.country_idx] / n_own if n_own > 0 else np.zeros(len(self.cities)),
            np.log1p(C_reg[self.country_idx]), np.log1p(C_nat[self.country_idx]), np.log1p(S_reg[self.sub_idx]),
            self.is_usa * float(self.border[i]), self.is_usa * (mig if np.isfinite(mig) else 0.0),
            self.is_usa * float(not np.isfinite(mig)), (m_logpop - 4.0) * (self.p_logpop - 5.0),
        ])
        mask = ((degree > 0) | (self.foreign_links > 0)) & (row == 0)
        parts = {"cos": np.r_[cos], "others": self.linked[others], "nb": nb, "degree": degree, "dist": dist,
                 "C_i": C_i, "C_reg": C_reg, "C_nat": C_nat, "row": row}
        return X, mask, parts

    def score(self, X: np.ndarray) -> np.ndarray:
        return np.asarray(((X - self.mean) / self.scale) @ self.beta[1:] + self.beta[0])

    def rank_of(self, score: np.ndarray, mask: np.ndarray, p: int) -> float:
        if not mask[p]:
            return float("inf")
        s = np.round(score, SCORE_DECIMALS)
        better = mask & ((s > s[p]) | ((s == s[p]) & (self.name_rank < self.name_rank[p])))
        return float(better.sum() + 1)

    # ------------------------------------------------------------------ fitting
    def hidden_links(self, min_links: int = 2) -> pd.DataFrame:
        """Every (municipality, city) link of municipalities with ``min_links`` or more links."""
        rows = [(i, int(p)) for i in self.linked if self.A[i].sum() >= min_links for p in np.flatnonzero(self.A[i])]
        return pd.DataFrame(rows, columns=["i", "partner"])

    def training_rows(self, hidden: pd.DataFrame, seed: int) -> tuple[np.ndarray, np.ndarray]:
        """The hidden city (1) and ``self.negatives`` sampled candidates (0) for every hidden link.

        The sample of a link depends only on the seed and the link, so a link gives the same rows
        in every fold it trains (cached).
        """
        Xs, ys = [], []
        negatives = self.negatives
        for r in hidden.itertuples(index=False):
            key = (int(r.i), int(r.partner), seed, negatives)
            if key not in self._rows:
                X, mask, _ = self.features(r.i, r.partner)
                if not mask[r.partner]:
                    self._rows[key] = None
                else:
                    rng = np.random.default_rng([seed, int(r.i), int(r.partner)])
                    pool = np.flatnonzero(mask)
                    pool = pool[pool != r.partner]
                    if len(pool) < negatives:
                        self._rows[key] = None  # too few candidates to compare with: not used for fitting
                        continue
                    neg = rng.choice(pool, size=negatives, replace=False)
                    self._rows[key] = (X[np.r_[r.partner, neg]], np.r_[1.0, np.zeros(len(neg))])
            cached = self._rows.get(key)
            if cached is not None:
                Xs.append(cached[0])
                ys.append(cached[1])
        if not Xs:
            return np.zeros((0, len(FEATURES))), np.zeros(0)
        return np.vstack(Xs), np.concatenate(ys)

    def fitted(self, hidden: pd.DataFrame, seed: int, penalty: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(mean, scale, beta) of the logistic fit on the training rows of ``hidden``."""
        X, y = self.training_rows(hidden, seed)
        if not len(y) or y.sum() == 0:
            raise PartnerError("no hidden link reachable for fitting the finder.")
        mean = X.mean(axis=0)
        scale = np.where(X.std(axis=0) > 0, X.std(axis=0), 1.0)
        return mean, scale, fit_logistic((X - mean) / scale, y, penalty)

    def fit(self, hidden: pd.DataFrame, seed: int, penalty: float) -> None:
        """Set the finder's weights to the fit on ``hidden`` with the given penalty."""
        self.mean, self.scale, self.beta = self.fitted(hidden, seed, penalty)
        self.penalty = penalty

    def ranks(self, hidden: pd.DataFrame, seed: int,
              fits: dict[float, tuple[np.ndarray, np.ndarray, np.ndarray]] | None = None) -> pd.DataFrame:
        """Rank of each hidden city under the finder (or each of ``fits``), popularity and a seeded random order."""
        fits = fits or {self.penalty: (self.mean, self.scale, self.beta)}
        out = []
        for r in hidden.itertuples(index=False):
            X, mask, _ = self.features(r.i, r.partner)
            rng = np.random.default_rng([seed, int(r.i), int(r.partner), 1])
            row = {"inegi_code": self.codes[r.i], "partner": int(r.partner), "in_network": bool(mask[r.partner]),
                   "rank_popularity": self.rank_of(X[:, FEATURES.index("mexican_links")], mask, r.partner),
                   "rank_random": self.rank_of(rng.random(len(mask)), mask, r.partner)}
            for lam, (mean, scale, beta) in fits.items():
                score = ((X - mean) / scale) @ beta[1:] + beta[0]
                row[f"rank_model@{lam:g}"] = self.rank_of(score, mask, r.partner)
            out.append(row)
        df = pd.DataFrame(out)
        if len(fits) == 1:
            df["rank_model"] = df[f"rank_model@{next(iter(fits)):g}"]
        return df

    def tune(self, hidden: pd.DataFrame, seed: int, penalties: tuple[float, ...] = PENALTIES, top: int = 10) -> float:
        """Choose the penalty on a split of ``hidden`` by municipality (fit on one half, hit@top on the other)."""
        codes = np.array(sorted(set(hidden.i)))
        perm = np.random.default_rng(seed + 1).permutation(len(codes))
        half = set(codes[perm[: len(codes) // 2]].tolist())
        a, b = hidden[hidden.i.isin(half)], hidden[~hidden.i.isin(half)]
        hits: dict[float, list[float]] = {lam: [] for lam in penalties}
        rr: dict[float, list[float]] = {lam: [] for lam in penalties}
        for train, test in ((a, b), (b, a)):
            fits = {lam: self.fitted(train, seed, lam) for lam in penalties}
            rk = self.ranks(test, seed, fits)
            for lam in penalties:
                hits[lam].extend((rk[f"rank_model@{lam:g}"] <= top).tolist())
                rr[lam].extend((1 / rk[f"rank_model@{lam:g}"]).tolist())
        return max(penalties, key=lambda lam: (float(np.mean(hits[lam])), float(np.mean(rr[lam])), -penalties.index(lam)))

    # ------------------------------------------------------------------ lookup and explanation
    def resolve(self, query: str) -> str:
        """INEGI code for a code or a name, as the first finder resolves it (:class:`MunicipalityNames`)."""
        return self.names.resolve(query)

    def label(self, code: str) -> str:
        return self.names.label(code)

    def short_label(self, j: int) -> str:
        row = self.munis.iloc[j]
        return f"{row['name']} ({row['state_abbr']})"

    def check_country(self, country: str | None) -> str | None:
        """The ISO3 code of ``country`` when some candidate city is there; else UnknownCountryError with close codes."""
        return check_country(country, self.iso, "está entre las candidatas")

    def recommend(self, code: str, top: int = 10, country: str | None = None) -> ForeignRecommendation:
        """The ``top`` best-scored candidate cities for a municipality (optionally in one ISO3 country),
        each with its reason in Spanish."""
        if code not in self.pos:
            code = self.resolve(code)
        if top < 1:
            raise PartnerError(f"--top must be at least 1 (got {top}).")
        iso = self.check_country(country)
        i = self.pos[code]
        X, mask, parts = self.features(i)
        if iso:
            mask = mask & (self.iso == iso)
        score = self.score(X)
        idx = np.flatnonzero(mask)
        chosen = idx[np.lexsort((self.name_rank[idx], -np.round(score[idx], SCORE_DECIMALS)))][:top]
        contrib = ((X - self.mean) / self.scale) * self.beta[1:]
        rows = []
        for rank, p in enumerate(chosen, start=1):
            c = self.cities.iloc[p]
            d = parts["dist"][p]
            rows.append({
                "rank": rank, "partner_city": c.partner_city, "partner_country_iso3": c.partner_country_iso3,
                "partner_country": iso3_name_es(c.partner_country_iso3), "partner_region": self.subregion[p],
                "partner_qid": c.partner_id if c.in_wikidata else "",
                "partner_pop": None if self.pop_missing[p] else int(c.partner_pop),
                "distance_km": None if not np.isfinite(d) else round(float(d)),
                "mexican_links": int(parts["degree"][p]), "foreign_links": int(self.foreign_links[p]),
                "score": round(float(score[p]), 4), "reason": self._reason(i, p, contrib[p], parts),
            })
        n = int(self.A[i].sum())
        existing = sorted(self.cities.partner_city.to_numpy()[self.A[i] > 0].tolist())
        note = (f"El municipio tiene {plural(n, 'hermanamiento registrado', 'hermanamientos registrados')} en Wikipedia o "
                "Wikidata (excluidos de la lista). "
                if n else "El municipio no tiene hermanamientos registrados en Wikipedia ni en Wikidata. ")
        note += ("Cada ciudad se puntúa por sus vínculos con México y con otros países, su tamaño, su distancia al "
                 "municipio, su país y región, y los socios de municipios parecidos o con socios en común; "
                 "los pesos se ajustaron ocultando vínculos conocidos.")
        return ForeignRecommendation(code, self.label(code), note, pd.DataFrame(rows, columns=TABLE_COLUMNS), n, existing)

    def _reason(self, i: int, p: int, contrib: np.ndarray, parts: dict[str, np.ndarray]) -> str:
        country = iso3_name_es(self.iso[p])
        clauses: list[tuple[float, str, str]] = []
        for f, value in zip(FEATURES, contrib, strict=True):
            if value <= 0:
                continue
            text = self._clause(f, i, p, parts, country)
            if text:
                clauses.append((float(value), _CLAUSE_GROUP.get(f, f), text))
        clauses.sort(key=lambda t: -t[0])
        chosen: list[str] = []
        groups: set[str] = set()
        for _, group, text in clauses:  # one clause per group (distance and nearness say the same thing)
            if group not in groups and len(chosen) < 3:
                chosen.append(text)
                groups.add(group)
        if not chosen:
            chosen = [f"ciudad de {country} sin rasgo destacado; entra por su puntaje total"]
        text = "; ".join(chosen)
        return text[:1].upper() + text[1:] + "."

    def _clause(self, f: str, i: int, p: int, parts: dict[str, np.ndarray], country: str) -> str:
        deg = int(parts["degree"][p])
        if f == "mexican_links" and deg:
            return f"hermanada con {deg:,} municipio{'s' if deg != 1 else ''} de México"
        if f == "network":
            who = parts["others"][(parts["cos"] > 0) & (self.A[parts["others"], p] > 0)]
            if len(who):
                names = ", ".join(self.short_label(j) for j in who[:3])
                return f"socia de {plural(len(who), 'municipio', 'municipios')} con socios en común con el suyo: {names}"
        if f == "profile":
            who = [j for j in parts["nb"] if self.A[j, p] > 0]
            if who:
                return (f"socia de {plural(len(who), 'municipio', 'municipios')} de perfil parecido: "
                        f"{', '.join(self.short_label(j) for j in who[:3])}")
        if f == "foreign_links" and self.foreign_links[p] > 0:
            n = int(self.foreign_links[p])
            return f"hermanada con {n:,} ciudad{'es' if n != 1 else ''} de otros países (Wikidata)"
        if f == "population" and not self.pop_missing[p]:
            return f"ciudad de {int(self.cities.partner_pop.iloc[p]):,} habitantes (Wikidata)"
        if f == "size_gap" and not self.pop_missing[p]:
            return "de tamaño parecido al del municipio"
        if f == "distance" and np.isfinite(parts["dist"][p]):
            return f"a {round(float(parts['dist'][p])):,} km del municipio"
        if f == "country_own" and parts["C_i"][self.country_idx[p]] > 0:
            n = int(parts["C_i"][self.country_idx[p]])
            return f"en {country}, donde el municipio ya tiene {n} socio{'s' if n != 1 else ''}"
        if f == "country_region" and parts["C_reg"][self.country_idx[p]] > 0:
            n = int(parts["C_reg"][self.country_idx[p]])
            return f"{country} reúne {n:,} vínculo{'s' if n != 1 else ''} de los municipios de la región {self.region[i]}"
        if f == "country_nation" and parts["C_nat"][self.country_idx[p]] > 0:
            n = int(parts["C_nat"][self.country_idx[p]])
            return f"{country} es país de {n:,} hermanamientos de municipios mexicanos"
        if f in ("near", "near_border") and np.isfinite(parts["dist"][p]) and parts["dist"][p] <= NEAR_KM:
            where = " del otro lado de la frontera" if f == "near_border" else ""
            return f"cercana: a {round(float(parts['dist'][p])):,} km{where}"
        if f == "size_product" and not self.pop_missing[p]:
            big = self.p_logpop[p] > 5
            return "ciudad grande para un municipio grande" if big else "ciudad pequeña para un municipio pequeño"
        if f == "subregion_region" and self.subregion[p]:
            return f"en {self.subregion[p]}, región con la que se hermanan municipios de la región {self.region[i]}"
        if f == "usa_border":
            return "ciudad de Estados Unidos y municipio de un estado fronterizo"
        if f == "usa_migration" and np.isfinite(self.migration[i]):
            return ("ciudad de Estados Unidos; intensidad migratoria del municipio hacia ese país: "
                    f"{self.migration[i]:.2f} (CONAPO 2010)")
        return ""


# ---------------------------------------------------------------------- evaluation
@dataclass
class ForeignEvaluation:
    """What the evaluation of the foreign-side finder reports."""

    ranks: pd.DataFrame
    summary: pd.DataFrame
    penalties: list[float]
    coefficients: pd.DataFrame
    reachable_share: float


def evaluate_foreign(finder: ForeignFinder, seed: int, folds: int = 2, n_boot: int = 2000, top: int = 10,
                     penalties: tuple[float, ...] = PENALTIES) -> ForeignEvaluation:
    """Leave one link out; penalty and weights fitted on the other folds' municipalities; bootstrap intervals.

    At the end the finder is fitted on every hidden link (penalty tuned on all of them): those are
    the weights its recommendations use.
    """
    hidden = finder.hidden_links()
    codes = np.array(sorted(set(hidden.i)))
    perm = np.random.default_rng(seed).permutation(len(codes))
    fold_of = {int(codes[j]): n % folds for n, j in enumerate(perm)}
    fold = hidden.i.map(fold_of).to_numpy()
    parts, chosen = [], []
    for f in range(folds):
        train, test = hidden[fold != f], hidden[fold == f]
        lam = finder.tune(train, seed, penalties, top)
        finder.fit(train, seed, lam)
        chosen.append(lam)
        parts.append(finder.ranks(test, seed)[["inegi_code", "partner", "in_network", "rank_model", "rank_popularity",
                                               "rank_random"]].assign(fold=f, penalty=lam))
    ranks = pd.concat(parts).sort_values(["inegi_code", "partner"]).reset_index(drop=True)
    summary = bootstrap_summary(ranks, seed, n_boot, top)
    lam = finder.tune(hidden, seed, penalties, top)
    finder.fit(hidden, seed, lam)
    coefs = pd.DataFrame({"feature": ["intercept", *FEATURES], "coefficient": np.round(finder.beta, 4)})
    return ForeignEvaluation(ranks, summary, chosen, coefs, float(ranks.in_network.mean()))


def evaluation_table(ev: ForeignEvaluation) -> pd.DataFrame:
    """The summary of :func:`evaluate_foreign` with the penalties chosen per fold and the reachable share."""
    return ev.summary.assign(penalties=" ".join(f"{p:g}" for p in ev.penalties),
                             reachable_share=round(ev.reachable_share, 4))


# ---------------------------------------------------------------------- construction and weights
def build_foreign_finder(links: pd.DataFrame, graph: WikidataGraph, municipalities: pd.DataFrame,
                         profiles: pd.DataFrame, covariates: pd.DataFrame, regions: pd.DataFrame | None = None,
                         **kwargs: int) -> tuple[ForeignFinder, dict[str, int]]:
    """The finder over the two-source links (``twinning_links.csv``) and the Wikidata graph, unfitted.

    ``regions`` defaults to data/curated/country_regions.csv (UN M49). Returns the finder and the
    counts of the candidate cities. Fit it with :func:`evaluate_foreign` (which leaves the weights
    fitted on every link) or set saved weights with :func:`set_weights`.
    """
    if regions is None:
        regions = read_curated(COUNTRY_REGIONS_CSV, ["iso3", "region_es", "subregion_es"], PartnerError)
    cities, counts = candidate_cities(links, graph)
    return ForeignFinder(links, cities, municipalities, profiles, covariates, regions, **kwargs), counts


def weights_table(finder: ForeignFinder) -> pd.DataFrame:
    """The finder's weights: feature, mean and scale used to standardise it, coefficient; and the penalty."""
    return pd.DataFrame({"feature": ["intercept", *FEATURES], "mean": np.r_[0.0, finder.mean],
                         "scale": np.r_[1.0, finder.scale], "coefficient": finder.beta,
                         "penalty": finder.penalty})


def set_weights(finder: ForeignFinder, table: pd.DataFrame) -> None:
    """Load weights written by :func:`weights_table`; the features must be the finder's, in order."""
    expected = ["intercept", *FEATURES]
    if list(table.feature) != expected:
        raise PartnerError(f"finder weights: features {list(table.feature)} differ from {expected}; "
                           "re-run the evaluation that writes them.")
    finder.mean = table["mean"].to_numpy(float)[1:]
    finder.scale = table["scale"].to_numpy(float)[1:]
    finder.beta = table["coefficient"].to_numpy(float)
    finder.penalty = float(table["penalty"].iloc[0])

"""Partner finder ("ciberparadiplomacia"): foreign cities a Mexican municipality could twin with.

The twinning network is bipartite: Mexican municipalities on one side, foreign cities on the
other (a foreign city is its normalised name plus its ISO3 country). For a municipality ``m`` the
score of a candidate city ``p`` (one ``m`` is not yet twinned with) blends three components, each
scaled to [0, 1] by its maximum over the candidates:

- ``network``: the partners of municipalities that share partners with ``m``:
  sum over municipalities n of cos(m, n) * A[n, p], with cos the cosine of the rows of the
  bipartite adjacency A. Zero for a municipality without links.
- ``profile``: the partners of the ``k`` linked municipalities most similar to ``m`` by profile
  (population, state, region, border and coast, distance; see ``profile_similarity``):
  sum over those n of s(m, n) * A[n, p].
- ``popularity``: log(1 + number of Mexican municipalities twinned with p), a prior that gives
  every municipality, linked or not, a sensible list.

score = w_network * network + w_profile * profile + w_popularity * popularity; the three
weighted terms are reported as the score's decomposition, and a sentence in Spanish names the
municipalities behind each term. Ties are broken by the city's name, then its country.
A municipality whose profile is incomplete gets an explained fallback: its network component
(if it has links) and the popularity of each city within its region (or the nation).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from analysis.analyses.partners.explanations import blend_note, links_clause, popularity_clause, sentence
from analysis.tables.cities import city_key
from analysis.util.countries import UnknownCountryError, iso3_name_es
from analysis.util.spatial import haversine_km
from analysis.util.text import normalise

DEFAULT_K = 10
#: Weights of the profile-similarity terms (fixed by design, documented in notebook 06).
PROFILE_FEATURE_WEIGHTS: dict[str, float] = {
    "population": 1.0, "state": 1.0, "region": 0.5, "northern_border_state": 0.5,
    "coastal": 1.0, "us_border": 1.0, "south_border": 0.5, "distance": 1.0,
}
#: Scale (km) of the distance term exp(-d / DISTANCE_SCALE_KM).
DISTANCE_SCALE_KM = 300.0
_REQUIRED_PROFILE = ("log10_population", "region", "coastal", "us_border", "south_border", "lat", "lon")
COMPONENTS = ("network", "profile", "popularity")
SCORE_DECIMALS = 12
TABLE_COLUMNS = ["rank", "partner_city", "partner_country_iso3", "partner_country", "score", *COMPONENTS,
                 "mexican_links", "reason"]


@dataclass(frozen=True)
class Weights:
    """Blend weights of the three components (they need not sum to one)."""

    network: float = 0.3
    profile: float = 0.3
    popularity: float = 0.4

    def as_array(self) -> np.ndarray:
        return np.array([self.network, self.profile, self.popularity], dtype=float)


#: Weights tuned by leave-one-link-out on every municipality with two or more links (notebook 06
#: reports the cross-fitted evaluation that chose them).
DEFAULT_WEIGHTS = Weights()


class PartnerError(ValueError):
    """Base class of the partner finder's input errors."""


class UnknownMunicipalityError(PartnerError):
    """A code or name that matches no municipality; ``suggestions`` holds the closest ones."""

    def __init__(self, query: str, suggestions: list[tuple[str, str]]):
        self.query, self.suggestions = query, suggestions
        hint = "; ".join(n for _, n in suggestions) or "ningún nombre parecido"
        super().__init__(f"No hay ningún municipio con el código o nombre {query!r}. ¿Quiso decir: {hint}?")


class AmbiguousMunicipalityError(PartnerError):
    """A name shared by several municipalities; ``candidates`` holds (code, label) pairs."""

    def __init__(self, query: str, candidates: list[tuple[str, str]]):
        self.query, self.candidates = query, candidates
        super().__init__(f"{query!r} designa {len(candidates)} municipios; indique el código INEGI "
                         "o añada el estado ('Nombre, Estado'):")


@dataclass
class Recommendation:
    """The answer for one municipality: the ranked table and how it was obtained."""

    inegi_code: str
    label: str
    method: str
    note: str
    table: pd.DataFrame
    n_links: int = 0
    existing: list[str] = field(default_factory=list)


def network_links(twinnings: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, int]]:
    """Matched municipal links (reciprocal duplicates excluded), one row per municipality-city pair.

    Returns the links and the counts of what came in, what was kept and what was set aside.
    """
    counts = {"rows_in": len(twinnings)}
    recip = twinnings.reciprocal_duplicate.astype(str).str.strip().str.lower() == "true"
    code = twinnings.inegi_code.fillna("").astype(str).str.strip()
    ok = (twinnings.match_status == "matched") & ~recip & code.str.fullmatch(r"\d{5}")
    counts["set_aside_not_matched"] = int((twinnings.match_status != "matched").sum())
    counts["set_aside_reciprocal_duplicate"] = int(((twinnings.match_status == "matched") & recip).sum())
    counts["set_aside_no_code"] = int(((twinnings.match_status == "matched") & ~recip & ~code.str.fullmatch(r"\d{5}")).sum())
    links = twinnings.loc[ok, ["partner_city", "partner_country_iso3", "partner_lat", "partner_lon"]].copy()
    links.insert(0, "inegi_code", code[ok])
    links["partner_key"] = [city_key(c, i) for c, i in zip(links.partner_city, links.partner_country_iso3, strict=True)]
    dup = links.duplicated(["inegi_code", "partner_key"])
    counts["set_aside_repeated_pair"] = int(dup.sum())
    links = links[~dup].sort_values(["inegi_code", "partner_key"]).reset_index(drop=True)
    counts["links_kept"] = len(links)
    return links, counts


def profile_similarity(query: pd.Series, others: pd.DataFrame) -> np.ndarray:
    """Similarity in [0, 1] of one profile to each row of ``others`` (weighted mean of agreements)."""
    w = PROFILE_FEATURE_WEIGHTS
    terms = {
        "population": np.exp(-np.abs(others.log10_population.to_numpy(float) - float(query.log10_population))),
        "state": (others.state_code.to_numpy() == query.state_code).astype(float),
        "region": (others.region.to_numpy() == query.region).astype(float),
    }
    for flag in ("northern_border_state", "coastal", "us_border", "south_border"):
        terms[flag] = (others[flag].astype("Float64").to_numpy(dtype=float, na_value=np.nan) == float(bool(query[flag])))
    d = haversine_km(float(query.lat), float(query.lon), others.lat.to_numpy(float), others.lon.to_numpy(float))
    terms["distance"] = np.exp(-d / DISTANCE_SCALE_KM)
    total = sum(w[k] * np.nan_to_num(v, nan=0.0) for k, v in terms.items())
    return np.asarray(total / sum(w.values()))


def scaled_to_max(x: np.ndarray, mask: np.ndarray) -> np.ndarray:
    top = float(x[mask].max()) if mask.any() else 0.0
    return x / top if top > 0 else np.zeros_like(x)


def check_country(country: str | None, present_iso3: Iterable[str], where: str) -> str | None:
    """The ISO3 code of ``country`` (None when no country is asked for) if some candidate city is in it;
    else UnknownCountryError naming the close codes. ``where`` ends the message: 'Ninguna ciudad del
    país 'XYZ' <where>'."""
    if not country:
        return None
    iso = country.strip().upper()
    present = sorted(set(present_iso3))
    if iso == "MEX":
        raise UnknownCountryError("México (MEX) no puede ser país de las socias: el buscador sugiere ciudades "
                                  "extranjeras. Indique el código ISO3 de otro país (p. ej. USA, ESP, GTM).")
    if iso not in present:
        close = close_codes(iso, present)
        raise UnknownCountryError(
            f"Ninguna ciudad del país {iso!r} {where}. "
            f"Códigos ISO3 parecidos presentes: {', '.join(close) or 'ninguno'}; hay {len(present)} países."
        )
    return iso


def close_codes(iso: str, present: list[str], n: int = 5) -> list[str]:
    """Codes of ``present`` that share two letters in the same places with ``iso`` (a typo: 'ESO' -> ESP),
    else those that start with its first two letters, else with its first letter; at most ``n``."""
    iso = iso.upper()
    same_places = [c for c in present if sum(a == b for a, b in zip(iso, c, strict=False)) >= 2]
    for close in (same_places, [c for c in present if c[:2] == iso[:2]], [c for c in present if c[:1] == iso[:1]]):
        if close:
            return close[:n]
    return []


class MunicipalityNames:
    """Labels and lookup of municipalities by INEGI code or name, the same for every finder.

    A name is matched accent-blind against the municipality's name, its catalogue name and its seat;
    'Nombre, Estado' narrows by state (name or abbreviation). An unknown query names the closest
    municipalities; an ambiguous one lists the candidates.
    """

    def __init__(self, munis: pd.DataFrame):
        self.munis = munis.reset_index(drop=True)
        self.codes = self.munis.inegi_code.astype(str).tolist()
        self.pos = {c: i for i, c in enumerate(self.codes)}
        index: dict[str, list[str]] = {}
        for cols in (("name", "catalogue_name"), ("seat_name",)):
            for col in cols:
                if col not in self.munis.columns:
                    continue
                for code, name in zip(self.codes, self.munis[col].fillna(""), strict=True):
                    if name:
                        index.setdefault(f"{cols[0]}:{normalise(name)}", []).append(code)
        self._names = {k: sorted(set(v)) for k, v in index.items()}

    def label(self, code: str) -> str:
        """'Benito Juárez, Quintana Roo (23005)'."""
        row = self.munis.iloc[self.pos[code]]
        return f"{row['name']}, {row['state_name']} ({code})"

    def long_label(self, code: str) -> str:
        """The label plus the seat's name when it differs: '... (23005), cabecera Cancún'."""
        row = self.munis.iloc[self.pos[code]]
        seat = row.get("seat_name")
        extra = f", cabecera {seat}" if isinstance(seat, str) and normalise(seat) != normalise(row["name"]) else ""
        return self.label(code) + extra

    def resolve(self, query: str) -> str:
        """INEGI code for a code or a name (accent-blind; 'Nombre, Estado' narrows by state)."""
        raw = str(query).strip()
        if raw.isdigit() and len(raw) <= 5:
            code = raw.zfill(5)
            if code in self.pos:
                return code
            close = difflib.get_close_matches(code, self.codes, n=5, cutoff=0.6)
            raise UnknownMunicipalityError(raw, [(c, self.long_label(c)) for c in close])
        name, _, state = raw.partition(",")
        q = normalise(name)
        hits = self._names.get(f"name:{q}") or self._names.get(f"seat_name:{q}") or []
        if state.strip():
            s = normalise(state)
            fields = [f for f in ("state_name", "state_abbr") if f in self.munis.columns]
            hits = [c for c in hits if s in {normalise(self.munis.iloc[self.pos[c]][f]) for f in fields}]
        if len(hits) == 1:
            return hits[0]
        if len(hits) > 1:
            raise AmbiguousMunicipalityError(raw, [(c, self.long_label(c)) for c in hits])
        keys = [k.split(":", 1)[1] for k in self._names]
        close = difflib.get_close_matches(q, sorted(set(keys)), n=5, cutoff=0.6)
        found = sorted({c for k in close for pre in ("name", "seat_name") for c in self._names.get(f"{pre}:{k}", [])})
        raise UnknownMunicipalityError(raw, [(c, self.long_label(c)) for c in found[:8]])


class PartnerIndex:
    """The bipartite twinning network plus municipal profiles, ready to answer queries fast."""

    def __init__(self, codes: list[str], munis: pd.DataFrame, profiles: pd.DataFrame, partners: pd.DataFrame,
                 adjacency: np.ndarray, weights: Weights, k: int, link_counts: dict[str, int]):
        self.codes, self.munis, self.profiles, self.partners = codes, munis, profiles, partners
        self.A, self.weights, self.k, self.link_counts = adjacency, weights, k, link_counts
        self.pos = {c: i for i, c in enumerate(codes)}
        norms = np.linalg.norm(adjacency, axis=1)
        self.A_unit = np.divide(adjacency, norms[:, None], out=np.zeros_like(adjacency), where=norms[:, None] > 0)
        self.degree = adjacency.sum(axis=0)
        self.linked = np.flatnonzero(adjacency.sum(axis=1) > 0)
        self.complete = profiles[list(_REQUIRED_PROFILE)].notna().all(axis=1).to_numpy()
        self.region = profiles.region.fillna("").to_numpy()
        order = partners.sort_values(["sort_name", "partner_country_iso3"]).index.to_numpy()
        self.name_rank = np.empty(len(partners), dtype=int)
        self.name_rank[order] = np.arange(len(partners))
        self.names = MunicipalityNames(munis)

    # ------------------------------------------------------------------ construction
    @classmethod
    def build(cls, twinnings: pd.DataFrame, municipalities: pd.DataFrame, profiles: pd.DataFrame,
              weights: Weights | None = None, k: int = DEFAULT_K) -> PartnerIndex:
        """Index the matched links of ``twinnings`` over the municipalities of ``municipalities``."""
        links, counts = network_links(twinnings)
        munis = municipalities.sort_values("inegi_code").reset_index(drop=True)
        codes = munis.inegi_code.astype(str).tolist()
        unknown = sorted(set(links.inegi_code) - set(codes))
        if unknown:
            raise PartnerError(f"twinnings: {len(unknown)} code(s) absent from the municipality table, e.g. {unknown[:3]}.")
        prof = pd.DataFrame({"inegi_code": codes}).merge(profiles, on="inegi_code", how="left",
                                                           suffixes=("", "_p"), validate="one_to_one")
        if "state_code" not in prof or prof.state_code.isna().any():
            prof["state_code"] = munis.state_code.astype(str).str.zfill(2).to_numpy()
        partners = cls._partner_table(links)
        pidx = {k_: i for i, k_ in enumerate(partners.partner_key)}
        A = np.zeros((len(codes), len(partners)), dtype=float)
        pos = {c: i for i, c in enumerate(codes)}
        A[[pos[c] for c in links.inegi_code], [pidx[p] for p in links.partner_key]] = 1.0
        return cls(codes, munis, prof, partners, A, weights or DEFAULT_WEIGHTS, k, counts)

    @staticmethod
    def _partner_table(links: pd.DataFrame) -> pd.DataFrame:
        """One row per foreign city: key, most frequent spelling, country, mean coordinates."""
        spelled = (links.groupby(["partner_key", "partner_city"]).size().rename("n").reset_index()
                   .sort_values(["partner_key", "n", "partner_city"], ascending=[True, False, True])
                   .drop_duplicates("partner_key"))
        geo = links.groupby("partner_key").agg(partner_country_iso3=("partner_country_iso3", "first"),
                                               partner_lat=("partner_lat", "mean"), partner_lon=("partner_lon", "mean"))
        out = spelled[["partner_key", "partner_city"]].merge(geo, on="partner_key").sort_values("partner_key")
        out["partner_country"] = [iso3_name_es(i) for i in out.partner_country_iso3]
        out["sort_name"] = out.partner_city.map(normalise)
        return out.reset_index(drop=True)

    # ------------------------------------------------------------------ lookup
    def label(self, code: str) -> str:
        """'Benito Juárez, Quintana Roo (23005)'."""
        return self.names.label(code)

    def long_label(self, code: str) -> str:
        """The label plus the seat's name when it differs: '... (23005), cabecera Cancún'."""
        return self.names.long_label(code)

    def short_label(self, code: str) -> str:
        row = self.munis.iloc[self.pos[code]]
        return f"{row['name']} ({row['state_abbr']})"

    def resolve(self, query: str) -> str:
        """INEGI code for a code or a name (see :class:`MunicipalityNames`)."""
        return self.names.resolve(query)

    # ------------------------------------------------------------------ scoring
    def profile_neighbours(self, i: int, k: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """The k linked municipalities most similar to municipality i by profile, and their similarity."""
        k = k or self.k
        others = self.linked[self.linked != i]
        sims = profile_similarity(self.profiles.iloc[i], self.profiles.iloc[others])
        order = np.lexsort((others, -np.round(sims, SCORE_DECIMALS)))[:k]
        return others[order], sims[order]

    def raw_components(self, i: int, row: np.ndarray | None = None, degree: np.ndarray | None = None,
                       ks: tuple[int, ...] | None = None) -> dict[str, np.ndarray]:
        """Un-scaled components for municipality i; ``row``/``degree`` override its links (for evaluation)."""
        row = self.A[i] if row is None else row
        degree = self.degree if degree is None else degree
        norm = np.linalg.norm(row)
        cos = self.A_unit @ (row / norm) if norm > 0 else np.zeros(len(self.codes))
        cos[i] = 0.0
        out = {"network": cos @ self.A, "popularity": np.log1p(degree), "_cos": cos}
        if self.complete[i]:
            for k in ks or (self.k,):
                nb, sims = self.profile_neighbours(i, k)
                out[f"profile@{k}"] = sims @ self.A[nb]
        return out

    def candidates(self, row: np.ndarray, degree: np.ndarray, country: str | None = None) -> np.ndarray:
        mask = (degree > 0) & (row == 0)
        if country:
            mask &= (self.partners.partner_country_iso3 == country).to_numpy()
        return np.asarray(mask, dtype=bool)

    def ranking(self, score: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """Indices of candidate cities, best first; ties by name then country."""
        idx = np.flatnonzero(mask)
        return idx[np.lexsort((self.name_rank[idx], -np.round(score[idx], SCORE_DECIMALS)))]

    def recommend(self, code: str, top: int = 10, country: str | None = None) -> Recommendation:
        """Top ``top`` foreign cities for municipality ``code`` (optionally in one ISO3 country)."""
        if code not in self.pos:
            code = self.resolve(code)
        if top < 1:
            raise PartnerError(f"--top must be at least 1 (got {top}).")
        country = self._check_country(country)
        i = self.pos[code]
        row = self.A[i]
        comps = self.raw_components(i)
        mask = self.candidates(row, self.degree, country)
        w = self.weights
        if self.complete[i]:
            method, note = "mezcla", self._note_blend(i)
            parts = {"network": w.network * scaled_to_max(comps["network"], mask),
                     "profile": w.profile * scaled_to_max(comps[f"profile@{self.k}"], mask),
                     "popularity": w.popularity * scaled_to_max(comps["popularity"], mask)}
            pop_scope = "de México"
        else:
            method, note, pop_deg, pop_scope = self._fallback(i)
            mask = mask & (pop_deg > 0) if pop_deg.any() else mask
            parts = {"network": w.network * scaled_to_max(comps["network"], mask), "profile": np.zeros(len(mask)),
                     "popularity": (w.profile + w.popularity) * scaled_to_max(np.log1p(pop_deg), mask)}
        score: np.ndarray = np.sum(list(parts.values()), axis=0)
        chosen = self.ranking(score, mask)[:top]
        table = self._table(i, chosen, score, parts, comps, pop_scope, method)
        existing = self.partners.partner_city.to_numpy()[row > 0].tolist()
        return Recommendation(code, self.label(code), method, note, table, int(row.sum()), sorted(existing))

    def _check_country(self, country: str | None) -> str | None:
        return check_country(country, self.partners.partner_country_iso3, "figura en la red de hermanamientos")

    def _note_blend(self, i: int) -> str:
        return blend_note(int(self.A[i].sum()))

    def _fallback(self, i: int) -> tuple[str, str, np.ndarray, str]:
        missing = [c for c in _REQUIRED_PROFILE if pd.isna(self.profiles.iloc[i][c])]
        region = self.region[i]
        if region:
            deg = self.A[self.region == region].sum(axis=0)
            deg[self.A[i] > 0] = 0
        else:
            deg = np.zeros(self.A.shape[1])
        if deg.any():
            return ("popularidad regional",
                    f"Perfil incompleto (faltan: {', '.join(missing)}): no se comparan perfiles; la lista usa la "
                    f"popularidad de cada ciudad entre los municipios de la región {region}"
                    + (" y los socios de municipios con socios en común." if self.A[i].any() else "."),
                    deg, f"de la región {region}")
        return ("popularidad nacional",
                f"Perfil incompleto (faltan: {', '.join(missing)}) y sin región conocida o sin socios en ella: "
                "la lista usa la popularidad nacional de cada ciudad.", self.degree, "de México")

    def _table(self, i: int, chosen: np.ndarray, score: np.ndarray, parts: dict[str, np.ndarray],
               comps: dict[str, np.ndarray], pop_scope: str, method: str) -> pd.DataFrame:
        nb, _ = (self.profile_neighbours(i) if method == "mezcla" else (np.array([], int), np.array([])))
        rows = []
        for rank, p in enumerate(chosen, start=1):
            reasons = []
            for comp in sorted(COMPONENTS, key=lambda c: (-parts[c][p], COMPONENTS.index(c))):
                if parts[comp][p] <= 0:
                    continue
                if comp == "network":
                    who = np.flatnonzero((comps["_cos"] > 0) & (self.A[:, p] > 0))
                    who = who[np.lexsort((who, -comps["_cos"][who]))]
                    reasons.append(self._clause(who, "que comparten socios con el suyo"))
                elif comp == "profile":
                    who = nb[self.A[nb, p] > 0]
                    reasons.append(self._clause(who, "parecidos al suyo"))
                else:
                    d = int(self.degree[p]) if pop_scope == "de México" else int(self.A[self.region == self.region[i], p].sum())
                    reasons.append(popularity_clause(d, pop_scope))
            part = self.partners.iloc[p]
            rows.append({
                "rank": rank, "partner_city": part.partner_city, "partner_country_iso3": part.partner_country_iso3,
                "partner_country": part.partner_country, "score": round(float(score[p]), 4),
                **{c: round(float(parts[c][p]), 4) for c in COMPONENTS},
                "mexican_links": int(self.degree[p]), "reason": sentence("; ".join(reasons)),
            })
        return pd.DataFrame(rows, columns=TABLE_COLUMNS)

    def _clause(self, who: np.ndarray, what: str) -> str:
        return links_clause([self.short_label(self.codes[j]) for j in who[:3]], len(who), what)

"""The data of the book's partner-finder page (``book/buscador.md``): one compact static JSON file.

The page runs in the reader's browser with no server: everything it shows for each of the
municipalities of the 2020 census comes from ``municipios.json``, written here by notebook 07:

- identity: INEGI code, name, state, seat, 2020 population, region, coast and border features
  (:mod:`analysis.features.geography` through the municipal profiles);
- its current international links (matched Wikipedia pairs, as the partner finder counts them);
- how it compares: its population size class (:func:`analysis.analyses.descriptive.size_class`),
  how many municipalities of that class have more links, and its most similar municipalities by
  profile (:func:`analysis.analyses.partners.profile_similarity`) with their links;
- its suggested partners and the finder's Spanish explanation of each
  (:meth:`analysis.analyses.partners.PartnerIndex.recommend`);
- CONAPO's marginalisation grade (text) and migration intensity (the absolute index as a number,
  or a grade as text) when a covariates table is given (``None`` otherwise, and for a
  municipality the table lacks: the page says "sin dato").

Compaction (the file must stay small enough to load fast): column-wise arrays, foreign cities
and method notes stored once and referred to by position, and the municipalities named inside an
explanation written as ``@<position>`` tokens (:func:`compress_reason`; :func:`expand_reason` is
the inverse, mirrored in ``book/_vendor/buscador/buscador.js``). A coarse world outline
(Natural Earth 1:110m, simplified) lets the page draw its own map without tiles.

May import: layers 0–4 (no plotting library is needed here).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from analysis import paths
from analysis.analyses.descriptive import SIZE_LABELS, size_class
from analysis.analyses.partners import PartnerIndex, network_links, profile_similarity

#: Where the page's data and code live (``book/_vendor`` is served as ``_static`` by Sphinx).
FINDER_DIR = paths.BOOK / "_vendor" / "buscador"
DATA_NAME = "municipios.json"
#: Size budget of the uncompressed JSON file, in bytes.
SIZE_BUDGET = 2_500_000
SCHEMA_VERSION = 1
COVARIATE_COLUMNS = ("inegi_code", "marginacion_grado", "intensidad_migratoria")
#: Column names of a municipal covariate table in English (as the count models name them), read
#: as the page's when the page's own names are absent.
COVARIATE_ALIASES = {"marginalisation_grade_2020": "marginacion_grado", "migration_intensity_2010": "intensidad_migratoria"}
LINK_SOURCE = "Wikipedia (pares geocodificados)"
#: Phrases of the finder's explanations (analysis.analyses.partners.explanations) written once in
#: the file and referred to as #A, #B... inside each explanation.
PHRASES: tuple[str, ...] = (
    "Hermanada con ", "; hermanada con ", " municipios de México en total", " municipio de México en total",
    " municipios parecidos al suyo: ", " municipio parecido al suyo: ",
    " municipios que comparten socios con el suyo: ", " municipio que comparte socios con el suyo: ",
)
_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_PROFILE_FIELDS = ("log10_population", "region", "coastal", "us_border", "south_border", "lat", "lon")


class FinderDataError(ValueError):
    """An input table of the finder page is malformed (the message names the table and field)."""


def check_covariates(covariates: pd.DataFrame, codes: list[str]) -> tuple[pd.DataFrame, list[str]]:
    """Validate the optional CONAPO covariates; return them indexed by code and the unknown codes.

    A missing column or a repeated code is an error; codes absent from the 2020 municipality
    table are not used but reported (the caller records them in the file's metadata).
    """
    covariates = covariates.rename(columns={k: v for k, v in COVARIATE_ALIASES.items() if v not in covariates.columns})
    missing = [c for c in COVARIATE_COLUMNS if c not in covariates.columns]
    if missing:
        raise FinderDataError(f"covariates: missing column(s) {missing}; expected {list(COVARIATE_COLUMNS)} "
                              f"(inegi_code -> marginacion_grado, intensidad_migratoria) or {list(COVARIATE_ALIASES)}.")
    cov = covariates[list(COVARIATE_COLUMNS)].copy()
    cov["inegi_code"] = cov.inegi_code.astype(str).str.strip()
    bad = cov.index[~cov.inegi_code.str.fullmatch(r"\d{5}")].tolist()
    if bad:
        raise FinderDataError(f"covariates: row(s) {bad[:5]} have an inegi_code that is not 5 digits "
                              f"(e.g. {cov.inegi_code[bad[0]]!r}); keep the codes as zero-padded text.")
    dup = sorted(set(cov.inegi_code[cov.inegi_code.duplicated()]))
    if dup:
        raise FinderDataError(f"covariates: inegi_code repeated: {dup[:5]}; give one row per municipality.")
    unknown = sorted(set(cov.inegi_code) - set(codes))
    return cov.set_index("inegi_code"), unknown


def _text_or_none(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and np.isnan(value)) or pd.isna(value):
        return None
    text = str(value).strip()
    return text or None


def _number_or_text(value: Any) -> float | str | None:
    """An index as a number (2 decimals) or, when the table gives a grade, its text."""
    if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool):
        return None if pd.isna(value) else round(float(value), 2)
    text = _text_or_none(value)
    if text is None:
        return None
    try:
        return round(float(text), 2)
    except ValueError:
        return text


def _flag(value: Any) -> int | None:
    return None if pd.isna(value) else int(bool(value))


def label_pattern(labels: list[str]) -> re.Pattern[str]:
    """Regex of the short labels as the explanations list them (after ': ' or ', '), longest first."""
    alts = "|".join(re.escape(x) for x in sorted(set(labels), key=lambda s: (-len(s), s)))
    return re.compile(rf"(?<=: |, )({alts})(?=, | y \d+ más|;|\.$|$)")


def compress_reason(reason: str, pattern: re.Pattern[str], position: dict[str, int]) -> str:
    """Replace each municipality named in an explanation by ``@<position>`` and each phrase of
    :data:`PHRASES` by ``#<letter>``."""
    for mark in ("@", "#"):
        if mark in reason:
            raise FinderDataError(f"explanation contains {mark!r}, which the page reserves for its tokens: {reason!r}")
    out = pattern.sub(lambda m: f"@{position[m.group(1)]}", reason)
    for letter, phrase in sorted(zip(_LETTERS, PHRASES, strict=False), key=lambda lp: -len(lp[1])):
        out = out.replace(phrase, f"#{letter}")
    return out


def expand_reason(template: str, short_labels: list[str], phrases: list[str] | tuple[str, ...] = PHRASES) -> str:
    """Inverse of :func:`compress_reason` (the page does the same in JavaScript)."""
    text = re.sub(r"#([A-Z])", lambda m: phrases[_LETTERS.index(m.group(1))], template)
    return re.sub(r"@(\d+)", lambda m: short_labels[int(m.group(1))], text)


def world_outline(world: gpd.GeoDataFrame, tolerance: float = 0.5, digits: int = 1) -> str:
    """SVG path data of the world's land (lon, -lat), simplified; the page scales it to its map.

    Rings that cross the antimeridian (Fiji, eastern Russia) are unwrapped so that they do not
    draw a line across the whole map; Antarctica (entirely south of 60°S) is left out.
    """
    parts: list[str] = []
    for geom in world.geometry.simplify(tolerance, preserve_topology=True):
        if geom is None or geom.is_empty:
            continue
        for poly in getattr(geom, "geoms", [geom]):
            ring = np.asarray(poly.exterior.coords)
            if len(ring) < 4 or ring[:, 1].max() < -60:
                continue
            lon = np.unwrap(ring[:, 0], period=360.0)
            pts = [f"{round(x, digits):g} {round(-y, digits):g}" for x, y in zip(lon[:-1], ring[:-1, 1], strict=True)]
            parts.append("M" + "L".join(pts) + "Z")
    return "".join(parts)


def build_finder_data(municipalities: pd.DataFrame, twinnings: pd.DataFrame, profiles: pd.DataFrame,
                      covariates: pd.DataFrame | None = None, world: gpd.GeoDataFrame | None = None,
                      top: int = 10, n_similar: int = 5, index: PartnerIndex | None = None) -> dict[str, Any]:
    """The page's data for every municipality of ``municipalities`` (see the module docstring)."""
    if top < 1 or n_similar < 1:
        raise FinderDataError(f"top and n_similar must be at least 1 (got {top}, {n_similar}).")
    idx = index or PartnerIndex.build(twinnings, municipalities, profiles)
    munis, prof, codes = idx.munis, idx.profiles, idx.codes
    links, counts = network_links(twinnings)
    n_links = links.groupby("inegi_code").size().reindex(codes, fill_value=0).to_numpy(int)

    cov: pd.DataFrame | None = None
    unknown_cov: list[str] = []
    if covariates is not None:
        cov, unknown_cov = check_covariates(covariates, codes)

    cities = idx.partners.reset_index(drop=True)
    ciudades = [[str(r.partner_city), str(r.partner_country), round(float(r.partner_lat), 2),
                 round(float(r.partner_lon), 2), int(d)]
                for r, d in zip(cities.itertuples(), idx.degree, strict=True)]
    city_pos = {(str(c), str(i)): j for j, (c, i) in enumerate(zip(cities.partner_city, cities.partner_country_iso3,
                                                                   strict=True))}

    short = [idx.short_label(c) for c in codes]
    # A label two municipalities share (San Pedro Mixtepec, Oax.) stays as text in the explanations.
    shared = {s for s in short if short.count(s) > 1}
    pos = {s: i for i, s in enumerate(short) if s not in shared}
    pattern = label_pattern(list(pos))

    classes = size_class(munis.population_2020).astype(str).to_numpy()
    class_idx = np.array([SIZE_LABELS.index(c) if c in SIZE_LABELS else -1 for c in classes])
    complete = prof[list(_PROFILE_FIELDS)].notna().all(axis=1).to_numpy()
    comparable = np.flatnonzero(complete)

    notes: list[str] = []
    note_pos: dict[str, int] = {}
    rows: dict[str, list[Any]] = {k: [] for k in (
        "c", "n", "e", "s", "p", "r", "g", "y", "x", "v", "k", "a", "h", "t", "o", "u", "m", "i")}
    for i, code in enumerate(codes):
        m, pr = munis.iloc[i], prof.iloc[i]
        rec = idx.recommend(code, top=top)
        if rec.note not in note_pos:
            note_pos[rec.note] = len(notes)
            notes.append(rec.note)
        sugg = []
        for r in rec.table.itertuples():
            template = compress_reason(str(r.reason), pattern, pos)
            if expand_reason(template, short) != r.reason:
                raise FinderDataError(f"{code}: the compressed explanation of {r.partner_city} does not expand back "
                                      f"to the finder's text ({r.reason!r}); check PHRASES and label_pattern.")
            sugg.append([city_pos[(str(r.partner_city), str(r.partner_country_iso3))], round(float(r.score), 3),
                         template])
        existing = idx.A[i] > 0
        if complete[i]:
            others = comparable[comparable != i]
            sims = profile_similarity(pr, prof.iloc[others])
            order = np.lexsort((others, -np.round(sims, 12)))[:n_similar]
            similar = [int(j) for j in others[order]]
        else:
            similar = []
        k = int(class_idx[i])
        same = class_idx == k
        rows["c"].append(code)
        rows["n"].append(str(m["name"]))
        rows["e"].append(str(m["state_code"]).zfill(2))
        rows["s"].append(_text_or_none(m["seat_name"]))
        rows["p"].append(None if pd.isna(m["population_2020"]) else int(m["population_2020"]))
        rows["r"].append(_text_or_none(pr["region"]))
        rows["g"].append([_flag(pr[f]) for f in ("coastal", "us_border", "south_border", "northern_border_state")])
        rows["y"].append(None if pd.isna(pr["lat"]) else round(float(pr["lat"]), 3))
        rows["x"].append(None if pd.isna(pr["lon"]) else round(float(pr["lon"]), 3))
        rows["v"].append([int(j) for j in np.flatnonzero(existing)])
        rows["k"].append(k)
        rows["a"].append(int(((n_links > n_links[i]) & same).sum()))
        rows["h"].append(similar)
        rows["t"].append(rec.method)
        rows["o"].append(note_pos[rec.note])
        rows["u"].append(sugg)
        has = cov is not None and code in cov.index
        # .at: scalar look-ups inside the per-municipality loop (2,469 rows)
        rows["m"].append(_text_or_none(cov.at[code, "marginacion_grado"]) if has else None)  # type: ignore[union-attr]  # noqa: PD008
        rows["i"].append(_number_or_text(cov.at[code, "intensidad_migratoria"]) if has else None)  # type: ignore[union-attr]  # noqa: PD008

    states = (munis[["state_code", "state_name", "state_abbr"]].drop_duplicates("state_code")
              .assign(state_code=lambda d: d.state_code.astype(str).str.zfill(2)).sort_values("state_code"))
    clases = []
    for k, label in enumerate(SIZE_LABELS):
        same = class_idx == k
        clases.append({"clase": label, "n": int(same.sum()), "con_vinculo": int(((n_links > 0) & same).sum())})
    return {
        "esquema": SCHEMA_VERSION,
        "fuentes": {
            "vinculos": LINK_SOURCE,
            "poblacion": "Censo de Población y Vivienda 2020 (INEGI)",
            "marginacion": "CONAPO, Índice de marginación por municipio 2020 (conapo_imm2020)",
            "migracion": "CONAPO, Índice absoluto de intensidad migratoria México-Estados Unidos 2010 (conapo_iaim2010)",
            "covariables_presentes": covariates is not None,
            "covariables_sin_municipio": unknown_cov,
        },
        "conteos_vinculos": counts,
        "sugerencias_por_municipio": top,
        "estados": {str(r.state_code): [str(r.state_name), str(r.state_abbr)] for r in states.itertuples()},
        "clases": clases,
        "notas": notes,
        "frases": list(PHRASES),
        "ciudades": ciudades,
        "mundo": world_outline(world) if world is not None else "",
        "municipios": rows,
    }


def dumps(data: dict[str, Any]) -> str:
    """The compact JSON text of the page's data (UTF-8 characters kept, no spaces)."""
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def write_finder_data(data: dict[str, Any], path: Path | None = None, budget: int = SIZE_BUDGET) -> tuple[Path, int]:
    """Write the JSON atomically; return its path and size in bytes. Over the budget is an error."""
    path = path or FINDER_DIR / DATA_NAME
    text = dumps(data).encode("utf-8")
    if len(text) > budget:
        raise FinderDataError(f"{path.name} would be {len(text):,} bytes, over its budget of {budget:,}; "
                              "reduce the suggestions per municipality or simplify the world outline.")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_bytes(text)
    tmp.replace(path)
    return path, len(text)

"""The data of the book's partner-finder page (``book/buscador.md``): one compact static JSON file.

The page runs in the reader's browser with no server: everything it shows for each of the
municipalities of the 2020 census comes from ``municipios.json``, written here by notebook 07
from the one partner finder (:class:`analysis.analyses.partners.foreign.ForeignFinder`, with the
weights and methods chapter 6 selected), so that the page, ``python -m analysis partners`` and
chapter 6 give the same lists:

- identity: INEGI code, name, state, seat, 2020 population, region, coast and border features;
- its current international links (the two-source links the finder uses) and a sentence that
  explains the count with its sources (and, for Benito Juárez, Table 1 of the slides);
- how it compares: its population size class, how many municipalities of that class have more
  links, and the finder's profile neighbours (the municipalities its reasons name);
- its suggested partners, in rank order, each with the finder's Spanish reason;
- CONAPO's marginalisation grade and migration intensity when a covariates table is given.

Compaction: column-wise arrays; the cities referred to by position; each distinct reason stored
once (``motivos``) with the municipalities it names written as ``@<position>`` tokens
(:func:`compress_reason`; :func:`expand_reason` is the inverse, mirrored in
``book/_vendor/buscador/buscador.js``). A coarse world outline (Natural Earth 1:110m, simplified)
lets the page draw its own map without tiles.

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
from analysis.analyses.partners.explanations import count_phrase
from analysis.analyses.partners.foreign import ForeignFinder, country_es

#: Where the page's data and code live (``book/_vendor`` is served as ``_static`` by Sphinx).
FINDER_DIR = paths.BOOK / "_vendor" / "buscador"
DATA_NAME = "municipios.json"
#: Size budget of the uncompressed JSON file, in bytes.
SIZE_BUDGET = 2_500_000
SCHEMA_VERSION = 2
COVARIATE_COLUMNS = ("inegi_code", "marginacion_grado", "intensidad_migratoria")
#: Column names of a municipal covariate table in English (as the count models name them), read
#: as the page's when the page's own names are absent.
COVARIATE_ALIASES = {"marginalisation_grade_2020": "marginacion_grado", "migration_intensity_2010": "intensidad_migratoria"}
LINK_SOURCE = "Wikipedia y Wikidata (unión de las dos fuentes, una clave por ciudad extranjera)"
#: Phrases written once and referred to as #A, #B... (none: distinct reasons are stored once instead).
PHRASES: tuple[str, ...] = ()
_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


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


def link_sentence(n: int, provenance: dict[str, int], table1: tuple[int, int] | None = None) -> str:
    """How many links the card counts and where they come from; Table 1 of the slides when it applies."""
    if n == 0:
        text = "Ningún vínculo internacional en Wikipedia ni en Wikidata"
    else:
        parts = [f"{v:,} {k}" for k, v in (("en las dos", provenance.get("both", 0)),
                                            ("solo en Wikipedia", provenance.get("wikipedia", 0)),
                                            ("solo en Wikidata", provenance.get("wikidata", 0))) if v]
        counted = count_phrase(n, "vínculo internacional", "vínculos internacionales")
        text = f"{counted} en Wikipedia y Wikidata ({', '.join(parts)})"
    if table1 is not None:
        total, international = table1
        text += (f"; la Tabla 1 de las diapositivas lista {count_phrase(total, 'hermanamiento', 'hermanamientos')} "
                 f"({international:,} con ciudades extranjeras, al corte de 2022)")
    return text + "."


def build_finder_data(finder: ForeignFinder, covariates: pd.DataFrame | None = None, world: gpd.GeoDataFrame | None = None,
                      top: int = 10, links: pd.DataFrame | None = None,
                      table1: dict[str, tuple[int, int]] | None = None) -> dict[str, Any]:
    """The page's data for every municipality of the finder (see the module docstring).

    ``links`` (twinning_links.csv) gives each link's provenance for the count sentence; ``table1``
    maps an INEGI code to (rows, international rows) of a published list to compare with.
    """
    if top < 1:
        raise FinderDataError(f"top must be at least 1 (got {top}).")
    munis, prof, codes = finder.munis, finder.profiles, finder.codes
    n_links = finder.A.sum(axis=1).astype(int)
    provenance: dict[str, dict[str, int]] = {}
    if links is not None and "provenance" in links.columns:
        for code, g in links.groupby("inegi_code"):
            provenance[str(code)] = g.provenance.value_counts().to_dict()
    table1 = table1 or {}

    cov: pd.DataFrame | None = None
    unknown_cov: list[str] = []
    if covariates is not None:
        cov, unknown_cov = check_covariates(covariates, codes)

    short = [finder.short_label(j) for j in range(len(codes))]
    shared = {x for x in short if short.count(x) > 1}
    pos = {x: i for i, x in enumerate(short) if x not in shared}
    pattern = label_pattern(list(pos))

    classes = size_class(munis.population_2020).astype(str).to_numpy()
    class_idx = np.array([SIZE_LABELS.index(c) if c in SIZE_LABELS else -1 for c in classes])

    city_pos: dict[int, int] = {}
    ciudades: list[list[Any]] = []

    def city(p: int) -> int:
        if p not in city_pos:
            city_pos[p] = len(ciudades)
            lat, lon = finder.p_lat[p], finder.p_lon[p]
            ciudades.append([str(finder.display[p]), str(country_es(finder.iso[p])),
                             None if not np.isfinite(lat) else round(float(lat), 2),
                             None if not np.isfinite(lon) else round(float(lon), 2), int(finder.degree[p])])
        return city_pos[p]

    notes: list[str] = []
    note_pos: dict[str, int] = {}
    reasons: list[str] = []
    reason_pos: dict[str, int] = {}
    top3: set[tuple[str, ...]] = set()
    rows: dict[str, list[Any]] = {k: [] for k in (
        "c", "n", "e", "s", "p", "r", "g", "y", "x", "v", "k", "a", "h", "t", "o", "u", "m", "i", "l")}
    for i, code in enumerate(codes):
        m, pr = munis.iloc[i], prof.iloc[i]
        rec = finder.recommend(code, top=top)
        if rec.note not in note_pos:
            note_pos[rec.note] = len(notes)
            notes.append(rec.note)
        sugg = []
        for r in rec.table.itertuples():
            template = compress_reason(str(r.reason), pattern, pos)
            if expand_reason(template, short) != r.reason:
                raise FinderDataError(f"{code}: the compressed explanation of {r.partner_city} does not expand back "
                                      f"to the finder's text ({r.reason!r}); check label_pattern.")
            if template not in reason_pos:
                reason_pos[template] = len(reasons)
                reasons.append(template)
            p = finder_index(finder)[str(r.partner_id)]
            sugg.append([city(p), reason_pos[template]])
        if not n_links[i]:
            top3.add(tuple(rec.table.partner_id.head(3)))
        k = int(class_idx[i])
        same = class_idx == k
        rows["c"].append(code)
        rows["n"].append(str(m["name"]))
        rows["e"].append(str(m["state_code"]).zfill(2))
        rows["s"].append(_text_or_none(m["seat_name"]))
        rows["p"].append(None if pd.isna(m["population_2020"]) else int(m["population_2020"]))
        rows["r"].append(_text_or_none(pr["region"]))
        rows["g"].append([_flag(pr[f]) for f in ("coastal", "us_border", "south_border")] + [int(bool(finder.border[i]))])
        rows["y"].append(None if pd.isna(pr["lat"]) else round(float(pr["lat"]), 3))
        rows["x"].append(None if pd.isna(pr["lon"]) else round(float(pr["lon"]), 3))
        rows["v"].append([city(int(p)) for p in np.flatnonzero(finder.A[i])])
        rows["k"].append(k)
        rows["a"].append(int(((n_links > n_links[i]) & same).sum()))
        rows["h"].append([finder.pos[c] for c in rec.neighbours])
        rows["t"].append(rec.method)
        rows["o"].append(note_pos[rec.note])
        rows["u"].append(sugg)
        rows["l"].append(link_sentence(int(n_links[i]), provenance.get(code, {}), table1.get(code)))
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
            "rutas": "OpenFlights, rutas aéreas de junio de 2014 (ODbL 1.0)",
            "covariables_presentes": covariates is not None,
            "covariables_sin_municipio": unknown_cov,
        },
        "sugerencias_por_municipio": top,
        "listas_distintas_sin_vinculo": len(top3),
        "municipios_sin_vinculo": int((n_links == 0).sum()),
        "estados": {str(r.state_code): [str(r.state_name), str(r.state_abbr)] for r in states.itertuples()},
        "clases": clases,
        "notas": notes,
        "frases": list(PHRASES),
        "motivos": reasons,
        "ciudades": ciudades,
        "mundo": world_outline(world) if world is not None else "",
        "municipios": rows,
    }


_INDEX: dict[int, dict[str, int]] = {}


def finder_index(finder: ForeignFinder) -> dict[str, int]:
    """partner_id -> candidate position (cached per finder)."""
    key = id(finder)
    if key not in _INDEX:
        _INDEX[key] = {str(p): j for j, p in enumerate(finder.cities.partner_id)}
    return _INDEX[key]


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


def page_covariates(covariates_path: str, computed: pd.DataFrame, root: Path) -> pd.DataFrame:
    """The covariates the page shows: the table at ``covariates_path`` (relative to ``root`` unless
    absolute) when one is given, else ``computed`` (CONAPO, notebook 07). A missing or unreadable file
    is a :class:`FinderDataError` naming it; its columns are checked when the page data is built."""
    if not str(covariates_path).strip():
        return computed
    path = Path(covariates_path)
    path = path if path.is_absolute() else root / path
    if not path.is_file():
        raise FinderDataError(f"covariates_path: {path} does not exist; give a CSV with inegi_code, marginacion_grado "
                              "and intensidad_migratoria, or leave the parameter empty for CONAPO's.")
    try:
        return pd.read_csv(path, dtype={"inegi_code": str})
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise FinderDataError(f"covariates_path: {path} is not a readable CSV ({str(exc).strip()}).") from None

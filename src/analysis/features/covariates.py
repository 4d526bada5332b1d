"""Municipal covariates for the count models: one definition of each, one row per municipality.

Columns (``COVARIATE_COLUMNS``):

- ``population_2020``, ``log10_pop``: 2020 census population and its log10.
- ``northern_border_state``: the state touches the United States
  (:data:`analysis.features.geography.NORTHERN_BORDER_STATES`).
- ``capital``: the municipality is the seat of its state's capital (data/curated/state_capitals.csv).
- ``coastal``: the single definition of :func:`analysis.features.geography.coast_and_borders`.
- ``dist_us_border_km``: :func:`analysis.features.geography.distance_to_us_border_km`
  (representative point of the municipal polygon to the nearest point of the US land border of
  the 1:110m world map, EPSG:6372, km).
- ``marginalisation_index_2020``, ``marginalisation_grade_2020``: CONAPO's 2020 marginalisation
  index and grade ("Muy bajo" .. "Muy alto"). Since 2020 CONAPO measures the index as a distance
  to a reference of no deprivation: a HIGHER index means LESS marginalisation (Benito Juárez,
  "Muy bajo", about 59.7; Bacalar, "Medio", about 53.5).
- ``migration_intensity_2010``: CONAPO's 2010 absolute index of migration intensity to the United
  States. Missing for the municipalities created after 2010 (2010 geography), never imputed;
  ``migration_missing`` is 1 for them. Municipalities whose territory was split after 2010 keep
  the value of their 2010 territory.

Rule for models (:func:`model_frame`), stated once:

- ``migration="indicator"`` (the default): ``migration_intensity_2010`` is set to 0 where it is
  missing and ``migration_missing`` (0/1) enters the model, so every municipality stays in the
  model and the migration coefficient is estimated on the municipalities with a value;
- ``migration="complete_case"``: the municipalities without a value are excluded (listed in the
  frame's ``attrs["excluded_codes"]``); the two fits are to be compared, and a conclusion that
  depends on the choice is to be reported as such.

``marginalisation="grade"`` replaces the index by one indicator per CONAPO grade ("Muy bajo" is the
reference), for a re-estimate that does not assume a linear effect of the index.

May import: ``analysis.paths``, ``analysis.util``, ``analysis.ingest``, ``analysis.tables``,
``analysis.features.geography``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from analysis import paths
from analysis.features.geography import NORTHERN_BORDER_STATES, coast_and_borders, distance_to_us_border_km
from analysis.ingest.conapo import GRADES, coverage, read_iaim2010, read_imm2020
from analysis.ingest.geometry import load_municipal_boundaries, load_world
from analysis.ingest.sources import require
from analysis.tables.municipalities import read_processed
from analysis.tables.store import read_curated, write_csv
from analysis.util.text import plural

CAPITALS_CSV = paths.CURATED / "state_capitals.csv"
COVARIATES_CSV = "municipal_covariates.csv"
COVARIATE_COLUMNS = [
    "inegi_code", "state_code", "population_2020", "log10_pop", "northern_border_state", "capital", "coastal",
    "dist_us_border_km", "marginalisation_index_2020", "marginalisation_grade_2020", "migration_intensity_2010",
    "migration_missing",
]
#: Terms of the count models built from the covariates (the distance in hundreds of km, so that an
#: IRR is the change for 100 km).
MODEL_TERMS = ["log10_pop", "border_state", "capital", "coastal", "dist_us_border_100km",
               "marginalisation_index_2020", "migration_intensity_2010", "migration_missing"]
MIGRATION_RULES = ("indicator", "complete_case")
#: With ``marginalisation="grade"`` the index is replaced by one indicator per grade, "Muy bajo" the reference.
GRADE_TERMS = ["marginalisation_grade_bajo", "marginalisation_grade_medio", "marginalisation_grade_alto",
               "marginalisation_grade_muy_alto"]
MARGINALISATION_FORMS = ("index", "grade")


class CovariateError(ValueError):
    """The inputs of the covariate table are inconsistent; the message says which and what to do."""


@dataclass
class CovariateReport:
    """What each source covered: municipalities without a value, by covariate."""

    missing: dict[str, list[str]] = field(default_factory=dict)

    def lines(self) -> list[str]:
        return [f"{col}: {plural(len(codes), 'municipio', 'municipios')} sin valor" + (f" ({', '.join(codes)})" if codes else "")
                for col, codes in self.missing.items()]

    def table(self) -> pd.DataFrame:
        """One row per covariate: ``column``, ``n_missing`` (municipalities without a value) and ``codes``
        (their INEGI codes, comma-separated; empty when none is missing)."""
        return pd.DataFrame({"column": list(self.missing), "n_missing": [len(c) for c in self.missing.values()],
                             "codes": [", ".join(c) for c in self.missing.values()]})


def read_capitals(path: Path | None = None) -> pd.DataFrame:
    """The curated table of state capitals: state_code and the INEGI code of the capital's municipality."""
    df = read_curated(path or CAPITALS_CSV, ["state_code", "inegi_code"], CovariateError)
    bad = df[~df.inegi_code.str.fullmatch(r"\d{5}")]
    if not bad.empty:
        raise CovariateError(f"{path or CAPITALS_CSV}, line {int(bad.index[0]) + 2}, field inegi_code: "
                             f"{bad.inegi_code.iloc[0]!r} is not a 5-digit INEGI code.")
    return df


def build_covariates(municipalities: pd.DataFrame, boundaries: gpd.GeoDataFrame, world: gpd.GeoDataFrame,
                     imm: pd.DataFrame, iaim: pd.DataFrame, capitals: pd.DataFrame,
                     coast: pd.DataFrame | None = None) -> tuple[pd.DataFrame, CovariateReport]:
    """The covariate table (``COVARIATE_COLUMNS``), sorted by code, and the report of missing values.

    ``coast`` is the output of :func:`coast_and_borders` when already computed (it takes seconds).
    """
    m = municipalities[["inegi_code", "state_code", "population_2020"]].copy()
    m["inegi_code"] = m.inegi_code.astype(str)
    m["state_code"] = m.state_code.astype(str).str.zfill(2)
    if m.inegi_code.duplicated().any():
        raise CovariateError(f"municipalities: repeated codes {sorted(m.inegi_code[m.inegi_code.duplicated()])[:5]}.")
    pop = pd.to_numeric(m.population_2020, errors="coerce")
    m["log10_pop"] = np.log10(pop.where(pop > 0))
    m["northern_border_state"] = m.state_code.isin(NORTHERN_BORDER_STATES)
    unknown = sorted(set(capitals.inegi_code) - set(m.inegi_code))
    if unknown:
        raise CovariateError(f"{CAPITALS_CSV}: capital code(s) {unknown} are not municipalities of the census table.")
    m["capital"] = m.inegi_code.isin(set(capitals.inegi_code))
    coast = coast if coast is not None else coast_and_borders(boundaries, world)
    m["coastal"] = m.inegi_code.map(dict(zip(coast.inegi_code, coast.coastal, strict=True))).astype("boolean")
    m["dist_us_border_km"] = m.inegi_code.map(distance_to_us_border_km(boundaries, world))
    mm = imm.set_index("inegi_code")
    m["marginalisation_index_2020"] = m.inegi_code.map(mm.marginalisation_index_2020)
    m["marginalisation_grade_2020"] = pd.Categorical(m.inegi_code.map(mm.marginalisation_grade_2020.astype(str)),
                                                     categories=GRADES, ordered=True)
    m["migration_intensity_2010"] = m.inegi_code.map(iaim.set_index("inegi_code").migration_intensity_2010)
    m["migration_missing"] = m.migration_intensity_2010.isna()
    report = CovariateReport({
        col: sorted(m.inegi_code[m[col].isna()]) for col in
        ("log10_pop", "coastal", "dist_us_border_km", "marginalisation_index_2020", "migration_intensity_2010")
    })
    extra = coverage(iaim, m.inegi_code, "migration_intensity_2010").codes_not_in_reference
    if extra:
        report.missing["migration_codes_without_municipality"] = extra
    return m[COVARIATE_COLUMNS].sort_values("inegi_code").reset_index(drop=True), report


def load_covariates() -> tuple[pd.DataFrame, CovariateReport]:
    """The covariate table from the processed municipalities and the raw sources (about 20 s)."""
    iaim, _ = read_iaim2010(require("conapo_iaim2010"))
    return build_covariates(read_processed(), load_municipal_boundaries(), load_world(),
                            read_imm2020(require("conapo_imm2020")), iaim, read_capitals())


def model_frame(counts: pd.DataFrame, covariates: pd.DataFrame, migration: str = "indicator",
                count_column: str = "n_links", marginalisation: str = "index") -> pd.DataFrame:
    """One row per municipality: ``count_column``, state_code (the cluster) and the model terms.

    The terms are ``MODEL_TERMS`` (``attrs["terms"]``); under ``complete_case`` without
    ``migration_missing``, which would be constant; with ``marginalisation="grade"`` the index is
    replaced by the indicators of ``GRADE_TERMS``.

    ``counts`` holds inegi_code and the count for every municipality of ``covariates`` (zeros
    included). ``migration`` is the rule for the municipalities without a 2010 migration value
    (see the module docstring); ``attrs["excluded_codes"]`` lists those excluded and
    ``attrs["migration_rule"]`` states the rule in Spanish.
    """
    if migration not in MIGRATION_RULES:
        raise CovariateError(f"migration={migration!r}: use one of {MIGRATION_RULES}.")
    if marginalisation not in MARGINALISATION_FORMS:
        raise CovariateError(f"marginalisation={marginalisation!r}: use one of {MARGINALISATION_FORMS}.")
    if count_column not in counts or "inegi_code" not in counts:
        raise CovariateError(f"counts: needs columns inegi_code and {count_column}; found {list(counts.columns)}.")
    c = counts[["inegi_code", count_column]].copy()
    c["inegi_code"] = c.inegi_code.astype(str)
    missing = sorted(set(covariates.inegi_code) - set(c.inegi_code))
    if missing:
        raise CovariateError(f"counts: {len(missing)} municipalities have no {count_column} (e.g. {missing[:5]}); "
                             "give every municipality a count, zeros included.")
    df = covariates.merge(c, on="inegi_code", how="left", validate="one_to_one")
    for col in ("log10_pop", "coastal", "dist_us_border_km", "marginalisation_index_2020"):
        if df[col].isna().any():
            raise CovariateError(f"covariates: {col} is missing for {sorted(df.inegi_code[df[col].isna()])[:5]}; "
                                 "these covariates have no missing-value rule: fix the input.")
    df["border_state"] = df.northern_border_state.astype(int)
    df["capital"] = df.capital.astype(int)
    df["coastal"] = df.coastal.astype(int)
    df["dist_us_border_100km"] = df.dist_us_border_km / 100
    excluded = sorted(df.inegi_code[df.migration_intensity_2010.isna()])
    if migration == "complete_case":
        df = df[df.migration_intensity_2010.notna()].copy()
        rule = (f"Caso completo: se excluyen {plural(len(excluded), 'municipio creado', 'municipios creados')} "
                "después de 2010, sin índice de intensidad migratoria 2010.")
        kept_excluded = excluded
    else:
        rule = (f"Indicador de dato faltante: {plural(len(excluded), 'municipio creado', 'municipios creados')} después de 2010 "
                f"{'no tiene' if len(excluded) == 1 else 'no tienen'} índice de "
                "intensidad migratoria 2010; su índice se fija en 0 y la variable migration_missing vale 1.")
        kept_excluded = []
    df["migration_missing"] = df.migration_intensity_2010.isna().astype(int)
    df["migration_intensity_2010"] = df.migration_intensity_2010.fillna(0.0)
    terms = [t for t in MODEL_TERMS if not (migration == "complete_case" and t == "migration_missing")]
    if marginalisation == "grade":
        grade = df.marginalisation_grade_2020.astype(str)
        if df.marginalisation_grade_2020.isna().any():
            raise CovariateError(f"covariates: marginalisation_grade_2020 is missing for "
                                 f"{sorted(df.inegi_code[df.marginalisation_grade_2020.isna()])[:5]}.")
        for term, label in zip(GRADE_TERMS, ("Bajo", "Medio", "Alto", "Muy alto"), strict=True):
            df[term] = (grade == label).astype(int)
        i = terms.index("marginalisation_index_2020")
        terms = [*terms[:i], *GRADE_TERMS, *terms[i + 1:]]
    out = df[["inegi_code", "state_code", count_column, *terms]].reset_index(drop=True)
    out.attrs["terms"] = terms
    out.attrs["excluded_codes"] = kept_excluded
    out.attrs["migration_rule"] = rule
    return out


def read_covariates(path: Path | None = None) -> pd.DataFrame:
    """Read data/processed/municipal_covariates.csv (written by notebook 07) with typed columns."""
    path = path or paths.PROCESSED / COVARIATES_CSV
    if not path.exists():
        raise CovariateError(f"{path} not found; run notebook 07 (`python -m analysis run`) or use load_covariates().")
    df = pd.read_csv(path, dtype={"inegi_code": str, "state_code": str})
    missing = [c for c in COVARIATE_COLUMNS if c not in df.columns]
    if missing:
        raise CovariateError(f"{path}: missing column(s) {missing}; rebuild it with notebook 07.")
    for col in ("northern_border_state", "capital", "coastal", "migration_missing"):
        df[col] = df[col].map({True: True, False: False, "True": True, "False": False}).astype("boolean")
    return df


def covariates_or_build() -> pd.DataFrame:
    """The processed covariate table when present, else built from the sources (about 20 s)."""
    try:
        return read_covariates()
    except CovariateError:
        return load_covariates()[0]


def write_covariates(df: pd.DataFrame) -> str:
    """Write data/processed/municipal_covariates.csv; return its path."""
    return write_csv(df, COVARIATES_CSV)

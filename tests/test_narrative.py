"""The figures quoted in the book's narrative pages agree with the tables the notebooks wrote.

The conclusions page quotes numbers in prose. Each check below recomputes one of them from
data/processed and looks for it, formatted as written, in the page: if a rerun changes a result,
this test names the sentence that is now out of date.
"""

from __future__ import annotations

import pandas as pd
import pytest

from analysis import paths
from analysis.analyses.descriptive import gini

PAGE = paths.BOOK / "conclusiones.md"


@pytest.fixture(scope="module")
def text() -> str:
    return " ".join(PAGE.read_text(encoding="utf-8").split())


def table(name: str) -> pd.DataFrame:
    path = paths.PROCESSED / name
    if not path.exists():
        pytest.fail(f"{path} is missing: run the pipeline first (`python -m analysis run`)")
    return pd.read_csv(path, dtype={"inegi_code": str, "state_code": str})


def assert_quoted(text: str, expected: str, what: str) -> None:
    assert expected in text, f"{PAGE.name} should quote {what} as {expected!r}; update the page after the rerun"


def test_coverage_and_zero_links(text: str) -> None:
    links = table("links_by_municipality.csv")
    with_link = int(links.has_link.sum())
    share = 100 * with_link / len(links)
    assert_quoted(text, f"{with_link} de los {len(links):,} municipios ({share:.2f} %)", "the coverage")
    without = len(links) - with_link
    assert_quoted(text, f"{without:,} municipios ({100 * without / len(links):.1f} %)", "municipalities without links")


def test_concentration(text: str) -> None:
    gm = gini(table("links_by_municipality.csv").n_links)
    gs = gini(table("links_by_state.csv").n_links_total)
    assert_quoted(text, f"**{gm:.3f}**", "the Gini between municipalities")
    assert_quoted(text, f"entidades {gs:.3f}", "the Gini between states")


def test_main_incidence_rate_ratios(text: str) -> None:
    est = table("model_estimates.csv").set_index(["model", "term"])
    pop = est.loc[("nb2", "log10_pop")]
    assert_quoted(text, f"**{pop.irr:.2f}** (IC 95 %: {pop.ci_low:.2f} a {pop.ci_high:.2f})", "the population IRR")
    cap = est.loc[("nb2", "capital")]
    assert_quoted(text, f"**{cap.irr:.2f}** ({cap.ci_low:.2f} a {cap.ci_high:.2f})", "the capital IRR")


def test_benito_juarez_share(text: str) -> None:
    munis = table("municipalities.csv")
    qroo = munis[munis.state_code == "23"]
    bj = int(qroo.loc[qroo.inegi_code == "23005", "population_2020"].item())
    total = int(qroo.population_2020.sum())
    assert_quoted(text, f"{bj:,} de {total:,} habitantes, {100 * bj / total:.4f} %", "Benito Juárez's share")


def test_partner_finder_ratio(text: str) -> None:
    ev = table("partner_evaluation.csv").set_index("method")
    ratio = ev.loc["cociente modelo/popularidad"]
    assert_quoted(text, f"{ratio.hit_at_10:.2f}, con un intervalo ({ratio.hit_low:.2f} a {ratio.hit_high:.2f})",
                  "the finder/popularity ratio")

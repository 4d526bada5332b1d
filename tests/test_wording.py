"""Numbers and IRRs worded in Spanish: the wording follows the interval, never the point estimate alone."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from analysis.analyses import models as md
from analysis.analyses import wording as w


@pytest.mark.parametrize(("x", "decimals", "text"), [
    (2469, 0, "2,469"), (126014024, 0, "126,014,024"), (0.4631, 3, "0.463"), (10.5974, 2, "10.60"),
])
def test_mexican_number_format(x: float, decimals: int, text: str) -> None:
    assert w.num(x, decimals) == text


def test_percentages() -> None:
    assert w.pct(7.4929, 2) == "7.49 %"
    assert w.share_pct(185, 2469, 2) == "7.49 %"
    with pytest.raises(ValueError, match="total of 0"):
        w.share_pct(1, 0)


def test_missing_number_is_an_error() -> None:
    with pytest.raises(ValueError, match="NaN"):
        w.num(math.nan)


def test_irr_above_one_is_an_association() -> None:
    assert w.irr_phrase(4.49141, 2.54508, 7.92621) == "se asocia con una tasa 4.49 veces mayor (IC 95 %: 2.55 a 7.93)"


def test_irr_interval_crossing_one_is_not_distinguished() -> None:
    text = w.irr_phrase(2.14304, 0.942977, 4.87033)
    assert text == "no se distingue de 1 (razón estimada 2.14; IC 95 %: 0.94 a 4.87)"
    assert "mayor" not in text
    assert "asocia" not in text


def test_irr_below_one() -> None:
    assert w.irr_phrase(0.464, 0.258, 0.836).startswith("se asocia con una tasa menor, 0.46 veces")


@pytest.mark.parametrize(("low", "high", "side"), [(1.02, 7.05, "above"), (0.98, 7.48, "crosses"), (1.0, 2.0, "crosses"),
                                                   (0.2, 0.9, "below")])
def test_side_of_one(low: float, high: float, side: str) -> None:
    assert w.irr_side(low, high) == side


def test_bad_intervals_are_errors() -> None:
    with pytest.raises(ValueError, match="wrong order"):
        w.irr_side(2.0, 1.0)
    with pytest.raises(ValueError, match="missing limit"):
        w.irr_side(math.nan, 1.0)


def test_irr_change_says_when_the_conclusion_changes() -> None:
    gone = w.irr_change("la capitalidad", (4.49, 2.55, 7.93), (2.14, 0.94, 4.87))
    assert gone.endswith("ya no se distingue de 1")
    assert "pasa de 4.49 a 2.14" in gone
    kept = w.irr_change("la población (×10)", (10.6, 6.33, 17.75), (10.53, 6.2, 17.89))
    assert kept.endswith("y sigue por encima de 1")
    new = w.irr_change("la costa", (2.71, 0.98, 7.48), (2.68, 1.02, 7.05))
    assert new.endswith("pasa a distinguirse de 1 (mayor)")


def estimates() -> pd.DataFrame:
    rows = []
    for model, values in {
        "nb2": {"log10_pop": (10.6, 6.3, 17.8), "border_state": (2.37, 1.03, 5.41), "capital": (4.49, 2.55, 7.93),
                "coastal": (2.68, 1.02, 7.05)},
        "nb2_sin_cdmx": {"log10_pop": (11.4, 6.8, 19.1), "border_state": (2.26, 0.99, 5.17), "capital": (4.19, 2.37, 7.4),
                         "coastal": (2.54, 0.96, 6.72)},
        "nb2_sin_top1pct": {"log10_pop": (10.5, 6.2, 17.9), "border_state": (2.95, 1.38, 6.31),
                            "capital": (2.14, 0.94, 4.87), "coastal": (1.6, 0.97, 2.63)},
    }.items():
        for term, (irr, lo, hi) in values.items():
            rows.append({"model": model, "term": term, "irr": irr, "ci_low": lo, "ci_high": hi})
    return pd.DataFrame(rows)


def test_covariate_sentences_follow_the_intervals() -> None:
    est = estimates()
    text = md.covariate_sentences(est)
    assert text["capital"].startswith("Ser capital estatal se asocia con una tasa 4.49 veces mayor")
    est.loc[(est.model == "nb2") & (est.term == "capital"), "ci_low"] = 0.8  # the interval now crosses 1
    assert "no se distingue de 1" in md.covariate_sentences(est)["capital"]


def test_robustness_paragraph_names_what_changes_by_the_rule() -> None:
    est = estimates().replace({"model": {"nb2_sin_top1pct": "nb2_wikidata"}}).assign(ci_method=md.CI_CR3)
    text = md.robustness_paragraph(md.robustness_table(est))
    assert text.startswith(md.rule_sentence())
    assert ("con los vínculos de Wikidata solamente, la capitalidad cambia de lado respecto de 1 "
            "(2.14; IC 95 %: 0.94 a 4.87)") in text
    assert "la población" not in text  # 10.6 -> 10.5: nothing to report


def test_missing_estimate_is_named() -> None:
    with pytest.raises(ValueError, match="'zinb'"):
        md.estimate(estimates(), "zinb", "capital")


def test_limits_next_to_1_get_the_decimals_that_tell_them_apart() -> None:
    assert w.ci_decimals(1.002, 1.42) == 3
    assert w.ci_decimals(0.9995, 1.2) == 4
    assert w.ci_decimals(0.94, 4.87) == 2
    assert w.irr_phrase(1.19, 1.002, 1.42) == "se asocia con una tasa 1.190 veces mayor (IC 95 %: 1.002 a 1.420)"
    assert "IC 95 %: 0.998 a 1.170" in w.irr_phrase(1.08, 0.998, 1.17)
    moved = w.irr_change("la distancia", (1.19, 0.998, 1.42), (1.19, 1.003, 1.41))
    assert moved == "la razón de la distancia pasa de 1.190 a 1.190 (IC 95 %: 1.003 a 1.410): pasa a distinguirse de 1 (mayor)"


def test_the_ratio_of_a_masculine_noun_contracts_de_el() -> None:
    text = w.irr_change("el índice de marginación", (1.36, 1.2, 1.54), (1.35, 1.19, 1.53))
    assert text.startswith("la razón del índice de marginación pasa de 1.36 a 1.35")

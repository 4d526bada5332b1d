"""The figure rules of the book, checked on each figure function with small synthetic data: no text
under 9 pt, no label cut with "…", no snake_case code on an axis, no legend over the plotting area,
lettered panels where a figure has several, and a visible mark on demonstration figures."""

from __future__ import annotations

import itertools
import math

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.legend import Legend
from matplotlib.text import Text

from analysis.viz import casestudy, descriptive, models, qda, sdg, style


@pytest.fixture(autouse=True)
def theme():
    style.set_theme()
    yield
    plt.close("all")


def texts(fig: plt.Figure) -> list[str]:
    return [t.get_text() for t in fig.findobj(Text) if t.get_text().strip()]


def check_rules(fig: plt.Figure) -> None:
    fig.canvas.draw()
    assert style.small_text(fig) == []
    shown = texts(fig)
    assert not [t for t in shown if "…" in t], shown
    assert not [t for t in shown if style.SNAKE.match(t)], shown
    renderer = fig.canvas.get_renderer()
    for ax in fig.axes:
        legend = ax.get_legend()
        if legend is None or not ax.axison:
            continue
        box = legend.get_window_extent(renderer)
        frame = ax.get_window_extent(renderer)
        overlap = box.intersection(box, frame)
        inside = overlap is not None and overlap.width * overlap.height > 0.05 * box.width * box.height
        assert not inside or ax.get_title() in ALLOWED_INSIDE, (ax.get_title(), box, frame)


#: Figures whose legend sits in a corner that the data cannot reach (said in their code).
ALLOWED_INSIDE = {"Concentración de los vínculos internacionales", "Hermanamientos acumulados de Benito Juárez, 1985-2021"}


def test_style_helpers() -> None:
    assert style.humanize("autoridad_municipal") == "autoridad municipal"
    assert style.humanize("Cancún") == "Cancún"
    assert "…" not in style.wrap("una etiqueta muy larga que no cabe en una línea", 12)
    assert style.wrap("una etiqueta muy larga", 12).count("\n") >= 1
    assert style.text_colour("#440154") == "white"
    assert style.text_colour("#fde725") == "black"
    assert style.number_es(12345.678, 1) == "12,345.7"
    fig, ax = plt.subplots()
    ax.text(0, 0, "diminuto", fontsize=6)
    assert style.small_text(fig) == ["'diminuto' (6.0 pt)"]


def test_rootogram_keeps_the_zero_count_apart() -> None:
    ks = np.arange(11)
    observed = np.array([2100, 200, 60, 30, 20, 12, 8, 5, 4, 3, 2])
    expected = {"poisson": 2469 * np.exp(-0.3) * 0.3 ** ks / np.array([math.factorial(k) for k in ks]),
                "nb2": observed * 1.05, "zinb": observed * 0.95, "hurdle": None}
    fig = models.plot_rootogram_panels(observed, expected)
    check_rules(fig)
    wide = [ax for ax in fig.axes if ax.get_title(loc="left").startswith("(")]
    assert [ax.get_title(loc="left")[:3] for ax in wide] == ["(a)", "(b)", "(c)", "(d)"]
    # the panels for 1, 2, … links are scaled to those counts, not to the ~46 of the zero bar
    assert wide[1].get_ylim()[1] < 20
    assert models.observed_frequencies(np.array([0, 0, 1, 5, 99]), 5).tolist() == [2, 1, 0, 0, 0, 1]


def test_descriptive_figures() -> None:
    by_state = pd.DataFrame({"state_name": [f"Entidad {i}" for i in range(32)], "coverage_pct": np.linspace(0, 80, 32)})
    check_rules(descriptive.plot_coverage_by_state(by_state, 7.5))
    partners = pd.DataFrame({"country_name_es": ["Estados Unidos", "España", "Cuba"], "n_links": [273, 70, 35]})
    regions = pd.DataFrame({"subregion_es": ["América septentrional", "América Latina y el Caribe"], "n_links": [280, 160]})
    fig = descriptive.plot_partners(partners, regions, n=3)
    check_rules(fig)
    assert [ax.get_title(loc="left")[:3] for ax in fig.axes] == ["(a)", "(b)"]
    classes = pd.DataFrame({"size_class": ["< 15 mil", "15 a 50 mil", "500 mil o más"], "coverage_pct": [2.0, 8.0, 70.0],
                            "links_per_100k": [1.0, 0.5, 0.3]})
    check_rules(descriptive.plot_size_classes(classes))


def test_case_study_figures() -> None:
    agreements = pd.DataFrame({"partner_city": ["Mérida", "Sanya", "Wichita"], "distance_km": [280.0, 15000.0, 2095.7],
                               "scope": ["national", "international", "international"]})
    check_rules(casestudy.plot_distances(agreements))
    timeline = pd.DataFrame({"date": ["1974-10-08", "1985", "2021-12-17"],
                             "event": ["Creación del municipio de Benito Juárez con la erección del estado de Quintana "
                                       "Roo y su primera división municipal, según el decreto publicado",
                                       "Primer hermanamiento", "Hermanamiento con Ensenada y Mérida"]})
    fig = casestudy.plot_timeline(timeline)
    check_rules(fig)
    assert any("publicado" in t for t in texts(fig))  # the long event is wrapped, not cut


def test_labels_of_the_state_map_never_overlap() -> None:
    pts = pd.DataFrame({"y": [21.3, 21.25, 21.2, 21.1, 20.5]})
    heights = casestudy.label_positions(pts, 18.0, 21.6, 0.3)
    assert all(a - b >= 0.3 - 1e-9 for a, b in itertools.pairwise(heights))
    assert min(heights) >= 18.0 - 1e-9
    assert max(heights) <= 21.6


def test_interview_figures_speak_words_and_mark_the_demonstration() -> None:
    totals = pd.DataFrame({"label": ["Falta de información", "Costo percibido"], "segments": [12, 7],
                           "category": ["obstaculos", "obstaculos_percibidos"]})
    fig = qda.plot_code_frequencies(totals)
    check_rules(fig)
    assert qda.DEMO in texts(fig)
    by_role = pd.DataFrame({"autoridad_municipal": [60.0, 10.0], "academia": [20.0, 90.0]},
                           index=["obstaculos", "propuestas_tic"])
    fig = qda.plot_categories_by_role(by_role)
    check_rules(fig)
    labels = [t.get_text() for t in fig.axes[0].get_xticklabels()]
    assert "autoridad\nmunicipal" in labels or "autoridad municipal" in labels
    coef = pd.DataFrame([[1.0, 0.2], [0.2, 1.0]], index=["c_info", "c_costo"], columns=["c_info", "c_costo"])
    check_rules(qda.plot_cooccurrence(coef, {"c_info": "Información", "c_costo": "Costo"}))


def test_sdg_figures() -> None:
    shares = pd.DataFrame(np.array([[0.5, 0.02, 0.1], [0.0, 0.3, 0.9]]), columns=[1, 2, 3],
                          index=["Benito Juárez (23005)", "Othón P. Blanco (23004)"])
    fig = sdg.plot_goal_shares(shares, "ODS detectados en los planes municipales")
    check_rules(fig)
    colours = {t.get_text(): t.get_color() for t in fig.axes[0].texts if t.get_text().isdigit()}
    assert colours["90"] == "black"  # light cell, dark cell (viridis)
    assert colours["10"] == "white"
    assert "2" not in colours  # under 5 %: no number
    stack = pd.DataFrame({"Hermanamientos": [3, 0], "Agenda 2030": [5, 2]}, index=["Benito Juárez", "Bacalar"])
    check_rules(sdg.plot_cooperation(stack, "Menciones de cooperación internacional en los planes"))
    matrix = pd.DataFrame({"8.9": [3, 0], "11.2": [0, 2], "16.1": [1, 1]},
                          index=["Eje 1. Bienestar social e igualdad", "Eje 5. Gobierno honesto y alianzas"])
    fig = sdg.plot_target_matrix(matrix, "Metas ODS sugeridas por eje del plan de Benito Juárez")
    check_rules(fig)
    assert sdg.DEMO in texts(fig)
    assert sorted(t.get_text() for t in fig.axes[0].texts) == ["1", "1", "2", "3"]  # zeros stay blank


@pytest.mark.parametrize("make", [
    lambda: qda.plot_code_frequencies(pd.DataFrame({"label": ["Turismo", "Migración"], "segments": [5, 3],
                                                    "category": ["Impulsores", "Impulsores"]})),
    lambda: sdg.plot_goal_shares(pd.DataFrame([[0.5, 0.1]], columns=[1, 2], index=["Bacalar (23010)"]), "ODS"),
    lambda: sdg.plot_cooperation(pd.DataFrame({"Agenda 2030": [5]}, index=["Bacalar"]), "Menciones"),
])
def test_the_demonstration_mark_sits_above_everything_else(make) -> None:
    fig = make()
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    mark = next(t for t in fig.texts if t.get_text().startswith("DEMOSTRACIÓN"))
    box = mark.get_window_extent(renderer)
    others = [t for t in fig.findobj(Text) if t is not mark and t.get_text().strip() and t.get_visible()]
    assert others
    assert all(box.y0 >= t.get_window_extent(renderer).y1 - 1 for t in others), "the mark covers a text"


def test_interview_labels_in_spanish() -> None:
    assert qda.role_label("osc") == "organización de la sociedad civil"
    assert qda.role_label("cargo_nuevo") == "cargo nuevo"
    codes = pd.Series(["cooperacion_tecnica; sitio_web", "", None])
    assert qda.code_labels(codes, {"cooperacion_tecnica": "Cooperación técnica"}).tolist() == [
        "Cooperación técnica; sitio web", "", ""]


def test_a_legend_inside_the_bars_is_caught() -> None:
    fig, ax = plt.subplots()
    ax.bar(["a", "b"], [1, 2], label="barras")
    ax.legend(loc="center")
    with pytest.raises(AssertionError):
        check_rules(fig)
    assert isinstance(ax.get_legend(), Legend)


def test_mostrar_carries_the_alt_text_and_saves(tmp_path) -> None:
    fig, ax = plt.subplots()
    ax.plot([0, 1], [0, 1])
    shown = style.mostrar(fig, "Una recta que sube de izquierda a derecha.", nombre="recta", folder=tmp_path)
    page = shown._repr_html_()
    assert 'alt="Una recta que sube de izquierda a derecha."' in page
    assert "data:image/png;base64," in page
    assert (tmp_path / "recta.png").exists()
    assert (tmp_path / "recta.svg").exists()
    assert not plt.fignum_exists(fig.number)  # closed: shown once
    for bad in ("", "01_cobertura_estado.png", "../_images/abc.png"):
        fig, _ = plt.subplots()
        with pytest.raises(ValueError, match="alt text"):
            style.mostrar(fig, bad)


def test_place_labels_avoids_overlaps() -> None:
    fig, ax = plt.subplots(figsize=(6, 4))
    xs, ys = [0.0, 0.05, 0.1, 0.12, 0.5], [0.0, 0.02, 0.0, 0.03, 0.5]
    ax.set(xlim=(-1, 1), ylim=(-1, 1))
    ax.plot(xs, ys, "o")
    labels = style.place_labels(ax, xs, ys, ["San Pedro Tlaquepaque", "Santiago de Querétaro", "Puebla",
                                             "Valle de Bravo", "Mérida"])
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    boxes = [t.get_window_extent(renderer) for t in labels]
    assert len(boxes) == 5
    assert not [(i, j) for i in range(5) for j in range(i + 1, 5) if boxes[i].overlaps(boxes[j])]


def test_fit_warnings_read_in_spanish() -> None:
    text = ("ConvergenceWarning: Maximum Likelihood optimization failed to converge. Check mle_retvals; "
            "HessianInversionWarning: Inverting hessian failed, no bse or cov_params available")
    assert models.warnings_es(text) == "no convergió; hessiana no invertible: sin errores estándar"
    assert models.warnings_es("") == ""
    assert models.warnings_es("LinAlgError: Singular matrix") == "LinAlgError: Singular matrix"

"""Chapter 2's new figures: coefficients (CR3 beside CR1), the robustness forest and leave one state out."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd
from matplotlib import pyplot as plt

from analysis.analyses import models as md
from analysis.viz import models as vmd
from analysis.viz import style

TERMS = ["log10_pop", "border_state", "dist_us_border_100km"]


def estimates() -> pd.DataFrame:
    rows = []
    for model, shift in (("nb2", 0.0), ("nb2_sin_cdmx", 0.05), ("nb2_wikidata", 0.9)):
        for term, (irr, lo, hi) in zip(TERMS, [(6.7, 3.1, 14.4), (3.6, 0.82, 16.1), (1.19, 0.94, 1.5)], strict=True):
            f = np.exp(shift)
            rows.append({"model": model, "term": term, "irr": irr * f, "ci_low": lo * f, "ci_high": hi * f,
                         "ci_low_cr1": lo * 1.1, "ci_high_cr1": hi / 1.1, "ci_method": md.CI_CR3, "converged": True})
    return pd.DataFrame(rows)


def test_figures_draw_every_term_with_readable_text() -> None:
    est = estimates()
    table = md.robustness_table(est, "nb2", ["nb2_sin_cdmx", "nb2_wikidata"], TERMS)
    loo = pd.DataFrame([{"state_code": f"{s:02d}", "param": t, "coef": np.log(v) + 0.01 * s, "converged": True}
                        for s in range(1, 33) for t, v in zip(TERMS, (6.7, 3.6, 1.19), strict=True)])
    figs = [vmd.plot_coefficients(est, "nb2", TERMS, md.TERM_LABELS),
            vmd.plot_robustness_forest(table, TERMS, md.TERM_LABELS, {"nb2": "NB2 principal", **md.ROBUSTNESS_LABELS}),
            vmd.plot_leave_one_state_out(loo, est, TERMS, md.TERM_LABELS, {"01": "Aguascalientes"})]
    for fig in figs:
        assert style.small_text(fig) == []
        for ax in fig.axes:
            if ax.axison and ax.get_xscale() == "log":
                assert 1.0 in ax.get_xticks() or not (ax.get_xlim()[0] <= 1 <= ax.get_xlim()[1])
                assert 2 <= len(ax.get_xticks()) <= 8
        plt.close(fig)
    # the forest has one panel per term and marks the reported change of the Wikidata fit
    assert table[table.change_reported].model.unique().tolist() == ["nb2_wikidata"]

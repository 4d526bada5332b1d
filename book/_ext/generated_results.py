"""Sphinx extension: the book quotes figures the notebooks wrote, never figures typed by hand.

At ``config-inited`` it reads every ``data/processed/results_NN.csv`` (written by the notebooks
through ``analysis.workflow.results``) and adds each ``key -> text`` to ``myst_substitutions``, so
that a page writes ``{{ r01_cobertura_pct }}`` and the build prints the value of the last run.
A key used on a page but absent from the files is a MyST warning, which fails a ``-W`` build.

Two more sets of substitutions come from ``analysis.workflow.results``: ``bench_*``, the costs that
``python -m analysis bench`` wrote to ``book/benchmarks.csv`` (``{{ bench_machine_cores }}``), and
``sdg_*``, the parameters of the SDG coding as the code and the curated files set them
(``{{ sdg_umbral }}``), and the SDG validation figures notebook 04 writes to
``data/processed/pmd_sdg_validation.csv`` and ``ods_metas_validation.csv``
(``{{ sdg_val_todos_solo_titulos_top1_accuracy }}``). A key produced by two of these sets is an error.

It also defines two roles for numbers that are quoted, not computed, so that a reader (and the test
that scans the narrative for hand-typed numbers) can tell them apart:

- ``{seed}`49.05 %``` — a value as stated by one of the two seed documents;
- ``{fuente}`391``` — a value as stated by another published source cited next to it.

Both render as the plain text with a CSS class (``cifra-semilla``, ``cifra-citada``).
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from docutils import nodes
from sphinx.util import logging

from analysis.workflow.results import benchmark_values, method_parameters, validation_values

ROOT = Path(__file__).resolve().parents[2]
RESULTS_GLOB = "results_*.csv"


def read_results(folder: Path) -> dict[str, str]:
    """key -> text of every results file in ``folder``; a key written twice is an error."""
    out: dict[str, str] = {}
    for path in sorted(folder.glob(RESULTS_GLOB)):
        with path.open(encoding="utf-8", newline="") as fh:
            for line, row in enumerate(csv.DictReader(fh), start=2):
                key = row.get("key", "")
                if not key or "text" not in row:
                    raise ValueError(f"{path}, line {line}: a results file needs the columns key and text.")
                if key in out:
                    raise ValueError(f"{path}, line {line}: key {key!r} is also written by another notebook.")
                out[key] = row["text"]
    return out


def generated_values() -> dict[str, dict[str, str]]:
    """Every set of generated substitutions, by origin (results files, benchmarks, method parameters)."""
    return {"data/processed/results_*.csv": read_results(ROOT / "data" / "processed"),
            "book/benchmarks.csv": benchmark_values(ROOT / "book" / "benchmarks.csv"),
            "analysis.workflow.results.method_parameters": method_parameters(),
            "data/processed (SDG validation of notebook 04)": validation_values(ROOT / "data" / "processed")}


def _add_substitutions(app: Any, config: Any) -> None:
    sets = generated_values()
    if not sets["data/processed/results_*.csv"]:
        logging.getLogger(__name__).warning(
            "no data/processed/results_*.csv: run the notebooks (`python -m analysis run`) before building the book")
    current = dict(getattr(config, "myst_substitutions", {}) or {})
    seen: dict[str, str] = {}
    for origin, values in sets.items():
        for key in values:
            if key in seen:
                raise ValueError(f"substitution {key!r} comes from both {seen[key]} and {origin}; rename one.")
            seen[key] = origin
        current.update(values)
    config.myst_substitutions = current


def _quoted_role(css: str) -> Any:
    def role(name: str, rawtext: str, text: str, lineno: int, inliner: Any,
             options: dict | None = None, content: list | None = None) -> tuple[list, list]:
        return [nodes.inline(rawtext, text, classes=[css])], []
    return role


def setup(app: Any) -> dict[str, Any]:
    app.connect("config-inited", _add_substitutions)
    app.add_role("seed", _quoted_role("cifra-semilla"))
    app.add_role("fuente", _quoted_role("cifra-citada"))
    return {"parallel_read_safe": True, "parallel_write_safe": True}

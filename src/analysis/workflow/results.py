"""The figures the book quotes, written by the notebooks that compute them.

Owns: :class:`Results`, the one way a notebook records a number (or a short generated phrase) that
the narrative quotes, and :func:`load_results`, which reads them back. Each notebook writes its own
file, ``data/processed/results_NN.csv`` (NN = the notebook's number), through the atomic table
writer; a key starts with ``rNN_`` so that two notebooks can never write the same key. Columns:
``key``, ``text`` (the value as a reader sees it, Mexican format), ``value`` (the raw number,
empty for a phrase) and ``description``.

The book's pages quote a result as a MyST substitution, ``{{ r01_cobertura_pct }}``; the Sphinx
extension ``book/_ext/generated_results.py`` fills the substitutions from these files when the
book is built, so no figure is typed by hand. Two more sets of substitutions come from here:
:func:`benchmark_values` (``bench_*``: the costs ``python -m analysis bench`` wrote to
``book/benchmarks.csv``) and :func:`method_parameters` (``sdg_*``, ``escala_*``: the constants and curated
files that define the SDG coding, read from the code and data that use them).

Layer 6. May import: every layer below.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import pandas as pd
import yaml

from analysis import paths
from analysis.analyses import sdg, sdg_targets, wording
from analysis.analyses.qda.coder import BATCH_SIZE
from analysis.tables.store import read_curated, write_csv
from analysis.workflow.parallel import CHUNK_ROWS, CHUNK_WORDS, CONNECT_TIMEOUT_S
from analysis.workflow.scale import SCALE_CHUNK_WORDS, SCALE_SEED

COLUMNS = ["key", "text", "value", "description"]
_KEY = re.compile(r"r\d{2}_[a-z0-9_]+")


class ResultsError(ValueError):
    """A result is malformed (key, value or duplicate); the message names the key."""


class Results:
    """The results of one notebook: ``add`` them as they are computed, then ``save``."""

    def __init__(self, notebook: str) -> None:
        if not re.fullmatch(r"\d{2}", notebook):
            raise ResultsError(f"notebook {notebook!r}: give the two-digit number of the notebook, e.g. '01'.")
        self.notebook = notebook
        self.rows: dict[str, dict[str, object]] = {}

    @property
    def file_name(self) -> str:
        return f"results_{self.notebook}.csv"

    def _check_key(self, key: str) -> None:
        if not _KEY.fullmatch(key) or not key.startswith(f"r{self.notebook}_"):
            raise ResultsError(f"key {key!r}: it must look like r{self.notebook}_name (lower case, digits, _).")
        if key in self.rows:
            raise ResultsError(f"key {key!r} is recorded twice in notebook {self.notebook}.")

    def add(self, key: str, value: float | int, kind: str = "num", decimals: int = 0, description: str = "") -> str:
        """Record a number; ``kind`` is ``num`` (1,234.5) or ``pct`` (7.49 %). Returns its text."""
        self._check_key(key)
        if value is None or (isinstance(value, float) and math.isnan(value)):
            raise ResultsError(f"key {key!r}: the value is missing (NaN); check the table it comes from.")
        if kind == "num":
            text = wording.num(float(value), decimals)
        elif kind == "pct":
            text = wording.pct(float(value), decimals)
        else:
            raise ResultsError(f"key {key!r}: kind {kind!r} is not 'num' or 'pct'.")
        self.rows[key] = {"key": key, "text": text, "value": float(value), "description": description}
        return text

    def add_text(self, key: str, text: str, description: str = "") -> str:
        """Record a generated phrase (for instance an IRR worded by its interval). Returns it."""
        self._check_key(key)
        if not str(text).strip():
            raise ResultsError(f"key {key!r}: the text is empty.")
        self.rows[key] = {"key": key, "text": str(text), "value": float("nan"), "description": description}
        return str(text)

    def __getitem__(self, key: str) -> str:
        return str(self.rows[key]["text"])

    def table(self) -> pd.DataFrame:
        """The rows; ``value`` as text with 12 significant digits, so the table writer does not round it."""
        df = pd.DataFrame(list(self.rows.values()), columns=COLUMNS)
        df["value"] = [("" if math.isnan(v) else f"{v:.12g}") for v in df.value.astype(float)]
        return df

    def save(self) -> str:
        """Write data/processed/results_NN.csv atomically; returns its path relative to the project."""
        if not self.rows:
            raise ResultsError(f"notebook {self.notebook} recorded no result; nothing to write.")
        return write_csv(self.table(), self.file_name)


def load_results(folder: Path | None = None) -> dict[str, str]:
    """key -> text of every results_NN.csv in ``folder`` (data/processed by default)."""
    folder = folder or paths.PROCESSED
    out: dict[str, str] = {}
    for path in sorted(folder.glob("results_*.csv")):
        df = pd.read_csv(path, dtype=str, keep_default_na=False)
        missing = [c for c in COLUMNS if c not in df.columns]
        if missing:
            raise ResultsError(f"{path}: missing column(s) {missing}.")
        for i, row in enumerate(df.itertuples(index=False), start=2):
            if row.key in out:
                raise ResultsError(f"{path}, line {i}: key {row.key!r} is also written by another notebook.")
            out[row.key] = row.text
    return out


PREVIOUS_CSV = paths.CURATED / "published_before.csv"
PREVIOUS_COLUMNS = ["key", "value", "text", "published_in", "note"]


def previous_values(path: Path | None = None) -> dict[str, str]:
    """key -> text of the values the previous version of the book published (data/curated/published_before.csv).

    They let a chapter say what changed when a definition changed; the current value always comes
    from the notebook's own results.
    """
    path = path or PREVIOUS_CSV
    df = read_curated(path, PREVIOUS_COLUMNS, ResultsError)
    for i, row in enumerate(df.itertuples(index=False), start=2):
        if not _KEY.fullmatch(row.key) or not row.text.strip():
            raise ResultsError(f"{path}, line {i}: key {row.key!r} must look like rNN_name and text must not be empty.")
    return dict(zip(df.key, df.text, strict=True))


BENCHMARKS_CSV = paths.BOOK / "benchmarks.csv"
BENCHMARK_COLUMNS = ["group", "metric", "value", "unit", "repeats", "note"]


def plain(x: float) -> str:
    """A number as written in code or data, Mexican format: ``0.75``, ``1.2``, ``169``, ``1,000,475``."""
    return format(float(x), ",.12g")


def measured(x: float) -> str:
    """A measured value, Mexican format: whole units from 100 up, three significant digits below."""
    x = float(x)
    return plain(round(x) if abs(x) >= 100 else float(f"{x:.3g}"))


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


def benchmark_values(path: Path | None = None) -> dict[str, str]:
    """``bench_<group>_<metric>`` -> the measured value of each row of book/benchmarks.csv.

    E.g. ``bench_pipeline_cold_run_every_notebook_executed`` -> ``107``; ``bench_machine_cores`` -> ``2``.
    """
    path = path or BENCHMARKS_CSV
    if not path.exists():
        raise FileNotFoundError(f"{path} not found; `python -m analysis bench` writes it.")
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    missing = [c for c in BENCHMARK_COLUMNS if c not in df.columns]
    if missing:
        raise ResultsError(f"{path}: missing column(s) {missing}; expected {BENCHMARK_COLUMNS}.")
    out: dict[str, str] = {}
    for i, row in enumerate(df.itertuples(index=False), start=2):
        key = f"bench_{_slug(row.group)}_{_slug(row.metric)}"
        try:
            value = float(row.value)
        except ValueError:
            raise ResultsError(f"{path}, line {i}: value {row.value!r} of {row.metric!r} is not a number; "
                               "run `python -m analysis bench` again.") from None
        if math.isnan(value):
            raise ResultsError(f"{path}, line {i}: the value of {row.metric!r} is missing.")
        if key in out:
            raise ResultsError(f"{path}, line {i}: {row.group!r}/{row.metric!r} gives the key {key!r} twice.")
        out[key] = measured(value)
    return out


def method_parameters() -> dict[str, str]:
    """``sdg_*`` and ``escala_*`` -> the parameters of the SDG coding and of coding at scale (batch and
    chunk sizes, seed, scheduler timeout), as the code and the curated files set them."""
    with sdg.DICTIONARY_PATH.open(encoding="utf-8") as fh:
        dictionary = yaml.safe_load(fh) or {}
    weights = [float(w) for goal in (dictionary.get("objetivos") or {}).values()
               for w in ((goal or {}).get("terminos") or {}).values()]
    if not weights:
        raise ResultsError(f"{sdg.DICTIONARY_PATH}: no weighted term under objetivos/*/terminos.")
    frozen = pd.read_csv(sdg_targets.FROZEN_PATH, dtype=str, keep_default_na=False)
    return {
        "sdg_metas_oficiales": plain(sdg_targets.N_TARGETS),
        "sdg_metas_con_vocabulario": plain(len(dictionary.get("metas") or {})),
        "sdg_peso_min": plain(min(weights)),
        "sdg_peso_max": plain(max(weights)),
        "sdg_parte_secundaria": plain(sdg.SECONDARY_SHARE),
        "sdg_bm25_k1": plain(sdg_targets.K1),
        "sdg_bm25_b": plain(sdg_targets.B),
        "sdg_peso_lexico": plain(sdg_targets.LEXICAL_WEIGHT),
        "sdg_umbral": plain(sdg_targets.DEFAULT_THRESHOLD),
        "sdg_conserva_pct": wording.pct(100 * sdg_targets.KEEP_SHARE, 0),
        "sdg_candidatas": plain(sdg_targets.TOP_K),
        "sdg_validacion_metas_oraciones": plain(len(frozen)),
        "escala_lote": plain(BATCH_SIZE),
        "escala_trozo_generado": plain(SCALE_CHUNK_WORDS),
        "escala_semilla": plain(SCALE_SEED),
        "escala_trozo_transcripciones": plain(CHUNK_WORDS),
        "escala_trozo_textos": plain(CHUNK_ROWS),
        "escala_espera_dask_s": plain(CONNECT_TIMEOUT_S),
    }


#: Validation tables of the SDG coding written by notebook 04, quoted as ``sdg_val_*`` and ``sdg_metas_*``.
SDG_VALIDATION_CSV = "pmd_sdg_validation.csv"
TARGET_VALIDATION_CSV = "ods_metas_validation.csv"
_COUNT_METRICS = ("n", "n_with_target", "n_without_target", "answered", "assigned_from_other")


def validation_values(folder: Path | None = None) -> dict[str, str]:
    """The SDG validation figures of notebook 04, for the pages that discuss the dictionary.

    From ``pmd_sdg_validation.csv``: ``sdg_val_<batch>_<method>_<column>`` (accuracy, coverage,
    precision and recall as percentages with one decimal, F1 with three decimals, ``n`` as a count), e.g.
    ``sdg_val_todos_solo_titulos_top1_accuracy``. From ``ods_metas_validation.csv`` (only the rows of
    the whole set, not per goal): ``sdg_metas_<set>_<method>_<metric>``, shares as percentages and
    counts as counts. A file not yet written gives no key (the build then names the missing key).
    """
    folder = folder or paths.PROCESSED
    out: dict[str, str] = {}
    path = folder / SDG_VALIDATION_CSV
    if path.exists():
        df = pd.read_csv(path, dtype=str, keep_default_na=False)
        for i, row in enumerate(df.to_dict("records"), start=2):
            for column, value in row.items():
                if column in ("batch", "method"):
                    continue
                key = f"sdg_val_{_slug(row['batch'])}_{_slug(row['method'])}_{_slug(column)}"
                out[key] = _validation_text(path, i, column, value)
    path = folder / TARGET_VALIDATION_CSV
    if path.exists():
        df = pd.read_csv(path, dtype=str, keep_default_na=False)
        for i, row in enumerate(df.to_dict("records"), start=2):
            if row["sdg"]:
                continue
            key = f"sdg_metas_{_slug(row['set'])}_{_slug(row['method'])}_{_slug(row['metric'])}"
            out[key] = _validation_text(path, i, row["metric"], row["value"])
    return out


def _validation_text(path: Path, line: int, metric: str, value: str) -> str:
    try:
        x = float(value)
    except ValueError:
        raise ResultsError(f"{path}, line {line}: {metric} = {value!r} is not a number; run notebook 04 again.") from None
    if math.isnan(x):
        raise ResultsError(f"{path}, line {line}: {metric} is missing; run notebook 04 again.")
    if metric in _COUNT_METRICS or metric.startswith("other_to_"):
        return wording.num(x, 0)
    if metric.endswith("f1"):
        return wording.num(x, 3)
    return wording.pct(100 * x, 1)

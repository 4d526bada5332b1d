"""Shared fixtures (the real verified data, temp roots) and the test tiers.

Tiers, by marker (declared in pyproject.toml):

- ``slow``: long-running (real data at full size, whole notebook runs);
- ``browser``: the built book in Debian's headless Chromium;
- ``notebook``: executes Jupyter notebooks with a kernel (nbval cells, the pipeline runner);
- ``build``: reads what ``make run`` and ``make book-html`` leave (data/processed, book/_build,
  the executed notebooks).

``make test-fast`` runs the rest (unit and bad-input tests); ``make test`` runs everything, with nbval.
Tests of other files are given their tier here by node id (``TIERS``), so that the whole scheme
is in one place; a test module may also mark itself with ``pytestmark``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import pytest

from analysis import paths
from analysis.ingest.sources import DataError, require
from analysis.workflow.pipeline import load_pipeline

FIXTURES = Path(__file__).parent / "fixtures"

#: Node-id prefixes (relative to the project root) of tests that belong to a tier. A prefix that
#: matches no collected test has no effect.
TIERS: dict[str, tuple[str, ...]] = {
    "slow": (  # the parallel coder over a generated 20,000-word corpus, in worker processes
        "tests/test_qda_scale.py::test_same_codings_as_single_process",
        "tests/test_qda_scale.py::test_output_is_deterministic",
        "tests/test_qda_scale.py::test_memory_is_measured",
        "tests/test_qda_scale.py::test_idle_workers_are_counted",
        "tests/test_qda_scale.py::test_partition_function_gives_the_same_rows",
    ),
    "build": (
        "tests/test_narrative.py::test_every_substitution_is_generated",
        "tests/test_narrative.py::test_coverage_and_zero_links",
        "tests/test_narrative.py::test_concentration",
        "tests/test_narrative.py::test_main_incidence_rate_ratios",
        "tests/test_narrative.py::test_incidence_rate_ratios_follow_their_intervals",
        "tests/test_narrative.py::test_benito_juarez_share",
        "tests/test_narrative.py::test_partner_finder_ratio",
        "tests/test_narrative.py::test_claim_status_counts",
        "tests/test_claims.py::test_published_ledger_statuses",
        "tests/test_privacy.py::test_published_book_and_outputs_name_no_participant",
        "tests/test_privacy.py::test_executed_chapter_leaks_no_name_it_read",  # the pipeline's run of notebook 03
        "tests/test_privacy.py::test_leak_check_reads_the_executed_notebook",
        "tests/test_dictionary.py::test_some_processed_table_exists",
        "tests/test_dictionary.py::test_csv_columns_equal_documented_columns",
        "tests/test_casestudy.py::test_partner_codes_name_the_right_census_municipality",
        "tests/test_casestudy.py::test_foreign_coordinates_agree_with_the_geocoded_wikipedia_points",
        "tests/test_casestudy.py::test_population_share_from_census",
    ),
    "notebook": (
        "tests/test_pipeline.py::test_runs_in_order_then_skips_then_reruns_what_changed",
        "tests/test_pipeline.py::test_rerun_with_force_is_byte_identical",
        "tests/test_pipeline.py::test_failing_notebook_is_named_and_the_good_one_kept",
        "tests/test_pipeline_atomic.py::test_failed_notebook_restores_outputs_and_state",
        "tests/test_pipeline_atomic.py::test_failure_on_first_run_removes_partial_outputs",
        "tests/test_pipeline_atomic.py::test_truncated_or_edited_output_forces_a_rerun",
        "tests/test_pipeline_atomic.py::test_file_named_by_a_parameter_edited_in_place_forces_a_rerun",
        "tests/test_pipeline_atomic.py::test_unselected_producer_with_stale_output_blocks_its_readers",
        "tests/test_pipeline_atomic.py::test_registry_parameters_are_validated",
        "tests/test_pipeline_atomic.py::test_second_run_gets_the_lock_message_or_waits",
        "tests/test_pipeline_jobs.py::test_parallel_run_orders_by_dependencies_and_matches_serial",
        "tests/test_pipeline_jobs.py::test_failure_stops_dependants_not_independent_notebooks",
    ),
}

#: Tests that compare against the notebooks' second execution, which nbval does: they run last.
RUN_LAST = ("tests/test_determinism.py::test_second_execution_gives_byte_identical_tables",)


@dataclass(frozen=True)
class Snapshot:
    """The processed tables as the pipeline left them, taken before nbval executes the notebooks again."""

    files: dict[str, tuple[str, int]]  # relative path -> (sha256, mtime_ns)
    notebooks: frozenset[str]  # notebooks nbval is about to execute


FIRST_EXECUTION = pytest.StashKey[Snapshot]()


def _is_notebook_cell(item: pytest.Item) -> bool:
    return item.path.suffix == ".ipynb"


@pytest.hookimpl(tryfirst=True)  # before -m deselects, so that the markers given here count
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:  # noqa: ARG001 (pytest's hook signature)
    for item in items:
        if _is_notebook_cell(item):
            item.add_marker(pytest.mark.notebook)
            item.add_marker(pytest.mark.slow)
        for tier, prefixes in TIERS.items():
            if item.nodeid.startswith(prefixes):
                item.add_marker(getattr(pytest.mark, tier))
    items.sort(key=lambda item: item.nodeid.startswith(RUN_LAST))  # stable: only moves those to the end


def pytest_collection_finish(session: pytest.Session) -> None:
    """Snapshot the processed tables when nbval is about to execute the notebooks a second time."""
    notebooks = frozenset(item.path.name for item in session.items if _is_notebook_cell(item))
    if not notebooks:
        return
    files = {}
    for step in load_pipeline():
        for out in step.outputs:
            path = paths.ROOT / out
            if out.endswith(".csv") and path.is_file():
                files[out] = (hashlib.sha256(path.read_bytes()).hexdigest(), path.stat().st_mtime_ns)
    session.config.stash[FIRST_EXECUTION] = Snapshot(files, notebooks)


@pytest.fixture(scope="session")
def first_execution(request: pytest.FixtureRequest) -> Snapshot | None:
    """The snapshot taken before nbval's execution, or None when nbval does not run in this session."""
    return request.config.stash.get(FIRST_EXECUTION, None)


@pytest.fixture(scope="session")
def real_data() -> None:
    """Make sure the verified raw data is present (`make test` fetches it first)."""
    try:
        for sid in ("censo2020", "censos1990_2010", "catalogo_municipios", "geo_municipios", "twincities_geocoded"):
            require(sid)
    except DataError as exc:
        pytest.fail(f"real data not ready: {exc}")


@pytest.fixture
def temp_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point analysis.paths at a temporary project root (data/, notebooks/ inside it)."""
    root = tmp_path / "project"
    for sub in ("data/raw", "data/processed", "notebooks"):
        (root / sub).mkdir(parents=True)
    monkeypatch.setattr(paths, "ROOT", root)
    monkeypatch.setattr(paths, "DATA", root / "data")
    monkeypatch.setattr(paths, "RAW", root / "data" / "raw")
    monkeypatch.setattr(paths, "PROCESSED", root / "data" / "processed")
    monkeypatch.setattr(paths, "NOTEBOOKS", root / "notebooks")
    monkeypatch.setattr(paths, "PIPELINE_YML", root / "notebooks" / "pipeline.yml")
    monkeypatch.setattr(paths, "FAILED_NOTEBOOKS", root / "notebooks" / "_failed")
    monkeypatch.setattr(paths, "PIPELINE_STATE", root / "data" / "processed" / ".pipeline-state.json")
    monkeypatch.setattr(paths, "PIPELINE_LOCK", root / "data" / "processed" / ".pipeline.lock")
    monkeypatch.setattr(paths, "PIPELINE_STAGING", root / "data" / "processed" / ".staging")
    monkeypatch.setattr(paths, "SOURCES_YML", root / "data" / "sources.yml")
    return root

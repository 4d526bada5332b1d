"""Every file under data/ that the book names exists in the repository or is a declared output.

A reader who follows a note such as "la revisión está en data/processed/shared_partner_review.csv"
must find that file: it is in git (data/sources.yml, data/curated/…), it is a declared output of a
notebook (notebooks/pipeline.yml) or a command, or it is where data/sources.yml puts a downloaded
file. The pages scanned are the narrative pages (book/*.md) and the notebooks' markdown cells and
displayed outputs (table notes, printed lines), which is what the book shows.
"""

from __future__ import annotations

import fnmatch
import json
import re
from pathlib import Path

import pytest
import yaml

from analysis import paths
from analysis.ingest.sources import load_manifest

#: A path under data/ as the book writes it: data/processed/x.csv, data/curated/y.csv, data/raw/…
DATA_PATH = re.compile(r"(?<![\w/.-])data/(?:[A-Za-z0-9_.*-]+/)*[A-Za-z0-9_*-]+\.[A-Za-z0-9]{2,7}\b")
#: Files a command writes (not a notebook): declared here with the command that writes them.
COMMAND_OUTPUTS = {"book/benchmarks.csv"}
#: Wrong names still in a notebook, waiting for the notebook's own fix (then removed from here; an
#: entry that is no longer wrong fails the test, so the list cannot go stale).
PENDING: dict[str, set[str]] = {}


def declared_paths(root: Path = paths.ROOT) -> set[str]:
    """Files that exist in the repository or that the pipeline, a command or the manifest declare."""
    found = {p.relative_to(root).as_posix() for p in (root / "data").rglob("*") if p.is_file()
             and "raw" not in p.relative_to(root).parts[:2] and "processed" not in p.relative_to(root).parts[:2]}
    pipeline = yaml.safe_load((root / "notebooks" / "pipeline.yml").read_text(encoding="utf-8"))
    for nb in pipeline["notebooks"]:
        found.update(nb.get("outputs", []) or [])
    found.update(s.path for s in load_manifest())
    return found | COMMAND_OUTPUTS


def named_paths(text: str) -> set[str]:
    return {m.group(0).rstrip(".") for m in DATA_PATH.finditer(text)}


def unknown_paths(named: set[str], declared: set[str]) -> list[str]:
    """Named paths that are neither declared nor matched by a declared one (a glob such as results_*.csv
    matches a declared results_01.csv)."""
    out = []
    for path in sorted(named):
        if path in declared:
            continue
        if "*" in path and any(fnmatch.fnmatch(d, path) for d in declared):
            continue
        out.append(path)
    return out


def book_texts() -> dict[str, str]:
    texts = {f"book/{p.name}": p.read_text(encoding="utf-8") for p in sorted(paths.BOOK.glob("*.md"))}
    for nb_path in sorted((paths.ROOT / "notebooks").glob("*.ipynb")):
        nb = json.loads(nb_path.read_text(encoding="utf-8"))
        parts = []
        for cell in nb["cells"]:
            if cell["cell_type"] == "markdown":
                parts.append("".join(cell["source"]))
            for out in cell.get("outputs", []):
                parts.append("".join(out.get("text", "")))
                for kind, value in out.get("data", {}).items():
                    if kind in {"text/html", "text/markdown", "text/plain"}:
                        parts.append("".join(value))
        texts[f"notebooks/{nb_path.name}"] = "\n".join(parts)
    return texts


def test_every_data_path_the_book_names_exists_or_is_declared() -> None:
    declared = declared_paths()
    bad = {where: set(unknown) for where, text in book_texts().items()
           if (unknown := unknown_paths(named_paths(text), declared))}
    new = {where: sorted(found - PENDING.get(where, set())) for where, found in bad.items()}
    new = {where: found for where, found in new.items() if found}
    assert not new, "\n".join(f"{where} names {found} (neither in git nor a declared output)" for where, found in new.items())
    fixed = {where: sorted(names - bad.get(where, set())) for where, names in PENDING.items()}
    fixed = {where: names for where, names in fixed.items() if names}
    assert not fixed, f"no longer wrong, remove from PENDING: {fixed}"


@pytest.mark.parametrize(("text", "expected"), [
    ("véase data/processed/shared_partners_review.csv.", ["data/processed/shared_partners_review.csv"]),
    ("en `data/curated/bj_agreements.csv`", ["data/curated/bj_agreements.csv"]),
    ("las cifras de data/processed/results_*.csv", []),
    ("la lista data/processed/twinnings.csv y data/sources.yml", []),
])
def test_a_wrong_file_name_is_caught(text: str, expected: list[str]) -> None:
    declared = {"data/processed/shared_partner_review.csv", "data/curated/benito_juarez_hermanamientos.csv",
                "data/processed/results_01.csv", "data/processed/twinnings.csv", "data/sources.yml"}
    assert unknown_paths(named_paths(text), declared) == expected

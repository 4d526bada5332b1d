"""The package's layer contract: the folder tree is the data flow, imports only go down, nothing is defined twice.

Layers, lowest first (see ARCHITECTURE.md): ``paths`` and ``util`` (0), ``ingest`` (1), ``tables`` (2),
``features`` (3), ``analyses`` (4), ``viz`` (5), ``workflow`` (6), ``cli`` (7). A module may import its
own layer or lower ones, never a higher one; the import graph has no cycle; imports of ``analysis``
stand at the top of a module, never inside a function; plots and benchmarks stay out of the
analysis layers; and each concept named below has exactly one definition.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "analysis"
LAYERS = {"paths": 0, "util": 0, "ingest": 1, "tables": 2, "features": 3, "analyses": 4, "viz": 5, "workflow": 6, "cli": 7}
PLOTTING = ("matplotlib", "seaborn")


def module_name(path: Path) -> str:
    parts = ["analysis", *path.relative_to(SRC).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def layer_of(module: str) -> int | None:
    parts = module.split(".")
    if len(parts) < 2:
        return None  # the package root (analysis/__init__.py): version only
    if parts[1] == "__main__":
        return LAYERS["cli"]
    return LAYERS.get(parts[1])


def modules() -> dict[str, ast.Module]:
    return {module_name(p): ast.parse(p.read_text(encoding="utf-8"), str(p)) for p in sorted(SRC.rglob("*.py"))}


def resolve(name: str, known: set[str]) -> str:
    """The module an ``analysis...`` import refers to (a name imported from a package is its submodule if one exists)."""
    return name if name in known else name.rsplit(".", 1)[0]


def analysis_imports(tree: ast.Module, known: set[str]) -> list[tuple[str, int, bool]]:
    """(imported module, line, at module level?) for every import of ``analysis``."""
    top_level = {id(n) for n in tree.body}
    out = []
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names if a.name.split(".")[0] == "analysis"]
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "analysis":
            names = [resolve(f"{node.module}.{a.name}", known) for a in node.names]
        out.extend((resolve(n, known), node.lineno, id(node) in top_level) for n in names)
    return out


MODULES = modules()
KNOWN = set(MODULES)


def test_every_module_belongs_to_a_layer() -> None:
    orphans = [m for m in MODULES if m != "analysis" and layer_of(m) is None]
    assert not orphans, f"modules outside the layers {list(LAYERS)}: {orphans}"


def test_imports_only_go_down_the_layers() -> None:
    bad = []
    for mod, tree in MODULES.items():
        lo = layer_of(mod)
        for target, line, _ in analysis_imports(tree, KNOWN):
            lt = layer_of(target)
            if lo is not None and lt is not None and lt > lo:
                bad.append(f"{mod}:{line} imports {target} (layer {lt} > {lo})")
    assert not bad, "imports against the layer order:\n" + "\n".join(bad)


def test_no_import_of_analysis_hidden_inside_a_function() -> None:
    hidden = [f"{mod}:{line} imports {t}" for mod, tree in MODULES.items()
              for t, line, top in analysis_imports(tree, KNOWN) if not top]
    assert not hidden, "imports of analysis inside functions (move them to the top of the module):\n" + "\n".join(hidden)


def import_graph() -> dict[str, set[str]]:
    return {mod: {t for t, _, _ in analysis_imports(tree, KNOWN) if t in KNOWN and t != mod} for mod, tree in MODULES.items()}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    colour: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        colour[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if colour.get(nxt) == 1:
                return [*stack[stack.index(nxt):], nxt]
            if nxt not in colour and (cycle := visit(nxt)):
                return cycle
        stack.pop()
        colour[node] = 2
        return None

    for node in sorted(graph):
        if node not in colour and (cycle := visit(node)):
            return cycle
    return None


def test_import_graph_has_no_cycle() -> None:
    cycle = find_cycle(import_graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_cycle_finder_finds_a_cycle() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_layer_check_catches_an_upward_import() -> None:
    tree = ast.parse("from analysis.viz.style import save_figure\n")
    imports = analysis_imports(tree, KNOWN)
    assert imports == [("analysis.viz.style", 1, True)]
    assert layer_of("analysis.viz.style") > layer_of("analysis.tables.store")  # type: ignore[operator]


@pytest.mark.parametrize("layer", ["util", "ingest", "tables", "features", "analyses"])
def test_no_plotting_below_viz(layer: str) -> None:
    bad = []
    for mod, tree in MODULES.items():
        if layer_of(mod) != LAYERS[layer]:
            continue
        for node in ast.walk(tree):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                [node.module] if isinstance(node, ast.ImportFrom) and node.module else [])
            bad += [f"{mod} imports {n}" for n in names if n.split(".")[0] in PLOTTING]
    assert not bad, f"figures belong in analysis.viz: {bad}"


def test_benchmarks_live_in_workflow() -> None:
    bad = [f"{mod}.{n.name}" for mod, tree in MODULES.items() if layer_of(mod) != LAYERS["workflow"]
           for n in tree.body if isinstance(n, ast.FunctionDef) and n.name.startswith("bench")]
    assert not bad, f"benchmark functions outside analysis.workflow: {bad}"


def defined_names(node: ast.stmt) -> list[str]:
    """Names a top-level statement defines (functions, classes, assignments)."""
    if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
        return [node.name]
    if isinstance(node, ast.Assign):
        return [t.id for t in node.targets if isinstance(t, ast.Name)]
    if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
        return [node.target.id]
    return []


def definitions(name: str) -> list[str]:
    return [mod for mod, tree in MODULES.items() for node in tree.body if name in defined_names(node)]


#: One definition per concept: the concept and the only module allowed to define it.
SINGLE_DEFINITIONS = {
    "coast_and_borders": "analysis.features.geography",
    "coastal_flags": "analysis.features.geography",
    "NORTHERN_BORDER_STATES": "analysis.features.geography",
    "LAND_NEIGHBOURS": "analysis.features.geography",
    "REGIONS": "analysis.features.geography",
    "city_key": "analysis.tables.cities",
    "city_name_key": "analysis.tables.cities",
    "UnknownCountryError": "analysis.util.countries",
    "decode_text": "analysis.util.io",
    "copy_verified": "analysis.ingest.sources",
    "download_verified": "analysis.ingest.sources",
    "sha256_file": "analysis.ingest.sources",
    "haversine_km": "analysis.util.spatial",
    "unwrap_antimeridian": "analysis.util.spatial",
    "split_antimeridian": "analysis.util.spatial",
    "CRS": "analysis.util.spatial",
    "write_csv": "analysis.tables.store",
    "read_curated": "analysis.tables.store",
}


@pytest.mark.parametrize("name", sorted(SINGLE_DEFINITIONS))
def test_concept_defined_once(name: str) -> None:
    assert definitions(name) == [SINGLE_DEFINITIONS[name]]


def test_no_retired_duplicate_names() -> None:
    """Names that used to define a concept twice (two partner keys, two state alias tables, two loaders)."""
    retired_names = ("partner_key", "STATE_ALIASES", "load_dictionary", "PARTNER_ALIASES", "_unwrap_antimeridian")
    for retired in retired_names:
        assert definitions(retired) == [], f"{retired} is defined again: {definitions(retired)}"

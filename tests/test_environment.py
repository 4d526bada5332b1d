"""The pins: requirements.txt and environment.yml agree, and the installed versions match them."""

from __future__ import annotations

import re
from importlib import metadata
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
PIN = re.compile(r"^([A-Za-z0-9_.\-\[\]]+)==([^\s;#]+)$")


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def parse_pins(lines: list[str], where: str) -> dict[str, str]:
    pins = {}
    for line in lines:
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        m = PIN.match(line)
        if not m:
            raise AssertionError(f"{where}: {line!r} is not an exact pin (name==version)")
        pins[canonical(m.group(1))] = m.group(2)
    return pins


def requirement_pins() -> dict[str, str]:
    return parse_pins((ROOT / "requirements.txt").read_text().splitlines(), "requirements.txt")


def environment_pins() -> dict[str, str]:
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip_section = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict) and "pip" in d)
    return parse_pins(pip_section, "environment.yml")


def test_parse_pins_rejects_ranges() -> None:
    with pytest.raises(AssertionError, match="exact pin"):
        parse_pins(["pandas>=2"], "x")


def test_environment_yml_has_the_same_pins_as_requirements() -> None:
    req, env = requirement_pins(), environment_pins()
    only_req = sorted(set(req) - set(env))
    only_env = sorted(set(env) - set(req))
    differ = sorted(k for k in set(req) & set(env) if req[k] != env[k])
    problems = (only_req, only_env, differ)
    assert problems == ([], [], []), (
        f"pins disagree: only in requirements.txt {only_req}; only in environment.yml {only_env}; "
        f"different versions {[(k, req[k], env[k]) for k in differ]}"
    )


def test_design_card_packages_are_pinned() -> None:
    req = requirement_pins()
    for name in ("jupyterlab", "papermill", "pandas", "statsmodels", "spacy", "seaborn", "jupyter-book", "pytest", "nbval"):
        assert name in req, f"{name} is not pinned in requirements.txt"
    assert req["jupyter-book"].startswith("1."), "the book needs Jupyter Book 1 (2.x downloads its theme)"


@pytest.mark.parametrize("source", ["requirements.txt", "requirements-nodeps.txt"])
def test_installed_versions_match_pins(source: str) -> None:
    pins = parse_pins((ROOT / source).read_text().splitlines(), source)
    wrong = []
    for name, version in pins.items():
        try:
            installed = metadata.version(name)
        except metadata.PackageNotFoundError:
            wrong.append(f"{name} not installed (pinned {version})")
            continue
        if installed != version:
            wrong.append(f"{name} {installed} installed, {version} pinned")
    assert not wrong, f"{source}: " + "; ".join(wrong) + ". Run `make env` in a fresh .venv."


def declared_requirements() -> list[str]:
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    reqs = list(project["dependencies"])
    for extra in project.get("optional-dependencies", {}).values():
        reqs.extend(extra)
    return reqs


def test_pyproject_declares_dependencies_the_lock_satisfies() -> None:
    from packaging.requirements import Requirement

    pins = requirement_pins()
    reqs = [Requirement(r) for r in declared_requirements()]
    assert len(reqs) >= 15, "pyproject.toml must declare the package's real dependencies"
    unpinned = [str(r) for r in reqs if canonical(r.name) not in pins]
    assert not unpinned, f"declared in pyproject.toml but not locked in requirements.txt: {unpinned}"
    outside = [f"{r} (lock: {pins[canonical(r.name)]})" for r in reqs if pins[canonical(r.name)] not in r.specifier]
    assert not outside, f"requirements.txt pins outside the ranges of pyproject.toml: {outside}"


def test_every_third_party_import_of_the_package_is_declared() -> None:
    import ast
    import sys

    from packaging.requirements import Requirement

    import_names = {"yaml": "pyyaml"}
    declared = {canonical(Requirement(r).name) for r in declared_requirements()}
    used = set()
    for path in (ROOT / "src" / "analysis").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                used |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                used.add(node.module.split(".")[0])
    third = {canonical(import_names.get(m, m)) for m in used if m not in sys.stdlib_module_names and m != "analysis"}
    assert third - declared == set(), f"imported by src/analysis but not declared in pyproject.toml: {sorted(third - declared)}"


def installer_commands() -> dict[str, list[str]]:
    """The install lines of `make env`, by installer: uv (`$(UV) pip install ...`) and pip (`-m pip install ...`)."""
    recipe = (ROOT / "Makefile").read_text().split("$(STAMP): requirements.txt", 1)[1].split("\n\n", 1)[0]
    out: dict[str, list[str]] = {"uv": [], "pip": []}
    for line in recipe.splitlines():
        for name, marker in (("uv", "$(UV) pip install"), ("pip", "$(BIN)/python -m pip install")):
            if marker in line:
                args = line.split(marker, 1)[1]
                args = re.sub(r"--(quiet|disable-pip-version-check|compile-bytecode)|--python \S+|&&|;|\\", " ", args)
                out[name].append(" ".join(args.split()))
    return out


def test_uv_and_pip_install_the_same_pins() -> None:
    """`make env` installs with uv when it can and with pip otherwise: both must install the same things."""
    cmds = installer_commands()
    expected = ["-r requirements.txt", "--no-deps -r requirements-nodeps.txt", "--no-deps -e ."]
    assert cmds["pip"] == expected, f"the pip branch of `make env` installs {cmds['pip']}, expected {expected}"
    assert cmds["uv"] == cmds["pip"], f"uv installs {cmds['uv']} but pip installs {cmds['pip']} in `make env`"

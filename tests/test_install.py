"""A plain `pip install .` runs every command: what the package imports is the standard
library or a core dependency, never something of the test or server extras; and the
bundled dumps are served from the default, relative `graph/`.

Both were broken once (requests only in the test extra; `/dumps/*` answering 500 when
send_file resolved the relative graph/ inside the package).
"""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib import metadata

import requests

from lactgraph.dumps import read_manifest

from .conftest import ROOT

PACKAGE = ROOT / "src" / "lactgraph"
# Imported only by a maintainer's command, from the dev extra, never by a user's command.
MAINTENANCE = {"bioregistry": "link/prefixes.py"}  # regenerating the committed prefix map


def _name(requirement: str) -> str:
    return re.split(r"[\s<>=!~;\[(]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def _imported(path) -> set[str]:
    """Top-level names of the absolute imports of a module."""
    tree = ast.parse(path.read_text("utf-8"), str(path))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_the_package_imports_only_the_standard_library_and_its_core_dependencies():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]
    core = {_name(requirement) for requirement in project["dependencies"]}
    owners = metadata.packages_distributions()
    outside: dict[str, list[str]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        for module in _imported(path) - set(sys.stdlib_module_names) - {"lactgraph"}:
            distributions = {_name(d) for d in owners.get(module, [module])}
            if not distributions & core and MAINTENANCE.get(module) != str(
                    path.relative_to(PACKAGE)):
                outside.setdefault(module, []).append(str(path.relative_to(PACKAGE)))
    assert not outside, f"imports outside the core dependencies of pyproject.toml: {outside}"


def test_the_bundled_dumps_are_served_from_the_default_relative_graph(server):
    """The session server runs `lactgraph serve` in the repository with no --graph."""
    dumps = ROOT / "graph" / "dumps"
    infos = read_manifest(dumps)
    assert infos, "graph/dumps/ has no manifest"
    for info in infos:
        response = requests.get(f"{server.url}dumps/{info.path}", timeout=30)
        assert response.status_code == 200, (info.path, response.text[:200])
        assert response.content == (dumps / info.path).read_bytes()

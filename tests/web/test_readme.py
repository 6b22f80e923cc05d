"""The README's example queries run on the served graph and give the seed's facts."""

from __future__ import annotations

import re

import pytest
import requests

from lactgraph.web.examples import EXAMPLE_QUERIES, with_prefixes

from ..conftest import ROOT

pytestmark = pytest.mark.both_stores  # the embedded store and Virtuoso

README = (ROOT / "README.md").read_text(encoding="utf-8")


def _readme_queries() -> list[str]:
    return re.findall(r"```sparql\n(.*?)\n```", README, flags=re.S)


def _rows(server, query: str) -> list[dict[str, str]]:
    response = requests.post(server.url + "sparql", data={"query": with_prefixes(query)},
                             headers={"Accept": "application/sparql-results+json"}, timeout=30)
    assert response.status_code == 200, response.text
    bindings = response.json()["results"]["bindings"]
    return [{name: cell["value"] for name, cell in row.items()} for row in bindings]


def test_the_readme_shows_every_example_query():
    assert _readme_queries() == [example.query for example in EXAMPLE_QUERIES]


def test_the_readme_starts_with_the_two_commands():
    commands = README.split("```sh\n", 1)[1].split("```", 1)[0].splitlines()
    assert commands[0].endswith("pip install . && lactgraph serve")
    assert commands[1].endswith("pip install -e '.[test]' && python -m pytest")


def test_level_0_products(server):
    rows = _rows(server, _readme_queries()[0])
    assert [row["name"] for row in rows] == ["Cavitation", "Cryolipolysis"]


def test_alternatives_of_mesotherapy_with_levels(server):
    rows = _rows(server, _readme_queries()[1])
    assert [(row["name"], row["level"]) for row in rows] == [
        ("Cavitation", "0"), ("Cryolipolysis", "0")]


def test_products_per_level(server):
    rows = _rows(server, _readme_queries()[2])
    counts = {row["level"]: (row["levelName"], row["products"]) for row in rows}
    assert counts == {"0": ("Very Low Risk", "2"), "1": ("Low Risk", "2")}

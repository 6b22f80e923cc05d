"""Example SPARQL queries: shown on the /sparql page and reused by the README.

Each query is written without its PREFIX lines; `with_prefixes` adds the project's prefix
map for a base IRI, so the examples stay right when the graph is served under another base.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..vocab import DEFAULT_BASE, lactgraph_prefixes


@dataclass(frozen=True)
class ExampleQuery:
    title: str
    query: str  # without PREFIX declarations


EXAMPLE_QUERIES: tuple[ExampleQuery, ...] = (
    ExampleQuery(
        "All products of level 0 (very low risk, compatible)",
        """SELECT ?product ?name WHERE {
  ?product a lg:Product ;
           skos:prefLabel ?name ;
           lg:riskLevel/skos:notation 0 .
  FILTER(langMatches(lang(?name), "en"))
}
ORDER BY ?name""",
    ),
    ExampleQuery(
        "The alternatives of Mesotherapy with their levels",
        """SELECT ?alternative ?name ?level WHERE {
  ?mesotherapy skos:prefLabel "Mesotherapy"@en ;
               lg:alternative ?alternative .
  ?alternative skos:prefLabel ?name ;
               lg:riskLevel/skos:notation ?level .
  FILTER(langMatches(lang(?name), "en"))
}
ORDER BY ?level ?name""",
    ),
    ExampleQuery(
        "Products per risk level",
        """SELECT ?level ?levelName (COUNT(DISTINCT ?product) AS ?products) WHERE {
  ?product a lg:Product ;
           lg:riskLevel ?risk .
  ?risk skos:notation ?level ;
        skos:prefLabel ?levelName .
  FILTER(langMatches(lang(?levelName), "en"))
}
GROUP BY ?level ?levelName
ORDER BY ?level""",
    ),
    ExampleQuery(
        "Products per risk level, as the build counted them (graph/statistics.ttl)",
        """SELECT ?level ?products WHERE {
  ?subset lg:subsetRiskLevel/skos:notation ?level ;
          void:entities ?products .
}
ORDER BY ?level""",
    ),
    ExampleQuery(
        "The twenty products updated last",
        """SELECT ?product ?name ?date WHERE {
  ?dataset lg:recentlyUpdatedProduct ?product .
  ?product dcterms:modified ?date ; skos:prefLabel ?name .
  FILTER(langMatches(lang(?name), "en"))
}
ORDER BY DESC(?date) ?product
LIMIT 20""",
    ),
)


def prefix_block(base: str = DEFAULT_BASE) -> str:
    """PREFIX declarations for every prefix of the project, one a line."""
    return "".join(f"PREFIX {p}: <{ns}>\n" for p, ns in lactgraph_prefixes(base).items())


def with_prefixes(query: str, base: str = DEFAULT_BASE) -> str:
    """A query ready to run: the prefix block, a blank line, the query."""
    return f"{prefix_block(base)}\n{query}\n"

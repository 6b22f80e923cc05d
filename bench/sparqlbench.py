"""SPARQL benchmark: p50/p99 latency of the typical queries, pyoxigraph against rdflib.

    python -m bench.sparqlbench PROJECT [--rdflib-max 10000] [--seconds 10]
                                        [--save FILE] [--reference FILE]

pyoxigraph answers from the store the build left (opened read-only, as the server opens
it), and the name search also from the name index beside it (as `/search` does); rdflib
from the same graph parsed from graph/*.ttl (skipped above --rdflib-max products: it
needs about 2 GB per million triples). Each query runs with a different entity each
time, for at most --seconds (and at most 500 times) per engine, after a first pass over the
same entities that is not counted: it reads the store's pages from the disk (this machine
pages out what has not been read for a minute), which a server answering steadily has
read already. The first pass's p50 is printed below each query's line.
--save writes pyoxigraph's p50s to FILE; where rdflib is skipped, --reference compares
them with those saved for a smaller graph in the same run (how the queries scale).
"""

from __future__ import annotations

import argparse
import json
import random
import time
from collections.abc import Callable
from pathlib import Path

import pyoxigraph as ox

from bench.common import BASE, line, milliseconds, percentile, ratio, seconds

PREFIXES = f"""PREFIX lg: <{BASE}ontology#> PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX dcterms: <http://purl.org/dc/terms/> PREFIX void: <http://rdfs.org/ns/void#>
"""
# "..., statistics": the same answer from the figures the build precomputes
# (graph/statistics.ttl), where the plain form reads every product.
QUERIES = {
    "an entity": "SELECT ?p ?o WHERE {{ <{product}> ?p ?o }}",
    "a group's members with levels": """SELECT ?product ?name ?level WHERE {{
        ?product lg:belongsToGroup <{group}> ; skos:prefLabel ?name .
        OPTIONAL {{ ?product lg:riskLevel ?level }} }} ORDER BY ?name""",
    "related products and alternatives": """SELECT ?link ?other ?name ?level WHERE {{
        VALUES ?link {{ lg:relatedProduct lg:alternative }} <{product}> ?link ?other .
        OPTIONAL {{ ?other skos:prefLabel ?name }} OPTIONAL {{ ?other lg:riskLevel ?level }}
        }}""",
    "name search": """SELECT ?entity ?label WHERE {{ ?entity skos:prefLabel ?label .
        FILTER(CONTAINS(LCASE(STR(?label)), "{term}")) }} LIMIT 20""",
    "counts per level": """SELECT ?level (COUNT(?product) AS ?products) WHERE {{
        ?product lg:riskLevel ?level }} GROUP BY ?level ORDER BY ?level""",
    "counts per level, statistics": """SELECT ?level ?products WHERE {{
        ?subset lg:subsetRiskLevel ?level ; void:entities ?products }} ORDER BY ?level""",
    "most recently updated": """SELECT ?product ?date WHERE {{
        ?product dcterms:modified ?date }} ORDER BY DESC(?date) LIMIT 20""",
    "most recently updated, statistics": """SELECT ?product ?date WHERE {{
        ?dataset lg:recentlyUpdatedProduct ?product . ?product dcterms:modified ?date }}
        ORDER BY DESC(?date) LIMIT 20""",
}
# The name search as `/search` answers it: from the name index the build writes beside the
# store (SQLite; FTS5 trigrams for substrings), the same terms; rdflib runs the CONTAINS.
NAME_INDEX = "name search, name index"


def samples(store: ox.Store) -> dict[str, list[str]]:
    """Entities to ask about, picked from the data (the same for both engines)."""
    def column(query: str) -> list[str]:
        rows = store.query(PREFIXES + query, use_default_graph_as_union=True)
        return [str(row[0].value) for row in rows]

    products = column("SELECT ?p WHERE { ?p lg:importedFrom ?f } LIMIT 400")
    groups = column("SELECT DISTINCT ?g WHERE { ?p lg:belongsToGroup ?g } LIMIT 200")
    names = column("SELECT ?n WHERE { ?p lg:importedFrom ?f ; skos:prefLabel ?n } LIMIT 400")
    terms = [name.lower()[1:5] for name in names if len(name) > 5]
    return {"product": products, "group": groups, "term": terms}


def _timed(run: Callable[[str], int], texts: list[str], budget: float
           ) -> tuple[list[float], int]:
    """The time of each run, and the rows of all (none at all says the store lacks what
    the query reads: one built by older code, say)."""
    took: list[float] = []
    rows = 0
    deadline = time.perf_counter() + budget
    for text in texts:
        started = time.perf_counter()
        rows += run(text)
        took.append(time.perf_counter() - started)
        if time.perf_counter() > deadline:
            break
    return took, rows


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.sparqlbench")
    parser.add_argument("project", type=Path)
    parser.add_argument("--rdflib-max", type=int, default=10_000)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--products", type=int, default=0)
    parser.add_argument("--save", type=Path)
    parser.add_argument("--reference", type=Path)
    args = parser.parse_args()
    from lactgraph.config import Settings
    from lactgraph.generations import current_store, search_index_of
    from lactgraph.search_index import SearchIndex

    directory = current_store(Settings(base=BASE, project_dir=args.project))
    if directory is None:
        raise SystemExit("no up-to-date store: build first")
    store = ox.Store.read_only(str(directory))
    drawn = samples(store)
    rng = random.Random(7)
    picks = [{k: rng.choice(v) for k, v in drawn.items()} for _ in range(500)]
    texts = {name: [PREFIXES + query.format(**pick) for pick in picks]
             for name, query in QUERIES.items()}
    index = SearchIndex(search_index_of(directory))

    def oxigraph(text: str) -> int:
        return len(list(store.query(text, use_default_graph_as_union=True)))

    def name_index(term: str) -> int:
        return len(index.search(term, 20))

    ours_by_name = {name: (oxigraph, texts[name]) for name in QUERIES}
    ours_by_name[NAME_INDEX] = (name_index, [pick["term"] for pick in picks])
    texts[NAME_INDEX] = texts["name search"]  # what rdflib runs against it

    graph = None
    reference: dict = {}
    if args.products <= args.rdflib_max:
        from rdflib import Graph

        started = time.perf_counter()
        graph = Graph()
        for path in sorted((args.project / "graph").glob("*.ttl")):  # data, links, statistics
            graph.parse(path)
        print(f"  (rdflib parsed the graph, {len(graph)} triples, in "
              f"{seconds(time.perf_counter() - started)})", flush=True)
    else:
        print(f"  (rdflib skipped: {args.products:,} products > --rdflib-max "
              f"{args.rdflib_max:,}; it needs about 2 GB per million triples)")
        if args.reference and args.reference.is_file():
            reference = json.loads(args.reference.read_text("utf-8"))

    def rdflib(text: str) -> int:
        return len(list(graph.query(text)))

    against = (f"pyoxigraph at {reference['products']:,}" if reference
               else "rdflib p50 / p99")
    print(f"  {'query':<34} {'pyoxigraph p50 / p99':>22}   {against:>27}   "
          + ("p50 ratio" if reference else "rdflib/oxigraph (p50)"))
    p50s: dict[str, float] = {}
    for name, (run, asked) in ours_by_name.items():
        first, _ = _timed(run, asked, args.seconds)
        ours, rows = _timed(run, asked, args.seconds)
        p50s[name] = percentile(ours, .5)
        ours_text = f"{milliseconds(p50s[name])} / {milliseconds(percentile(ours, .99))}"
        if graph is not None:
            _timed(rdflib, texts[name], args.seconds)
            theirs, _ = _timed(rdflib, texts[name], args.seconds)
            line(name, ours_text, f"{milliseconds(percentile(theirs, .5))} / "
                 f"{milliseconds(percentile(theirs, .99))} ({len(theirs)} runs)",
                 ratio(p50s[name], percentile(theirs, .5)))
        elif name in reference.get("p50", {}):
            before = reference["p50"][name]
            line(name, ours_text, f"p50 {milliseconds(before)}",
                 f"{p50s[name] / before:.1f}x the time")
        else:
            line(name, ours_text, "skipped", "n/a")
        print(f"    first pass p50 {milliseconds(percentile(first, .5))}")
        if not rows:
            print("    (no rows in any run: was the store built by older code? rebuild it)")
    if args.save:
        args.save.write_text(json.dumps({"products": args.products, "p50": p50s}), "utf-8")


if __name__ == "__main__":
    main()

"""The `link` and `mappings` commands; `cli.ADDERS` registers `add_link_commands`.

Thin, like the other commands: parse arguments, call the library, and let a
LactgraphError become one clear line (the main entry point prints it).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..arguments import http_url
from ..config import settings_from_env
from ..errors import LactgraphError
from .targets import TARGETS

EXIT_OK = 0


def cmd_link(args: argparse.Namespace) -> int:
    from .client import LinkError, SparqlClient  # HTTP clients: for these commands only
    from .linker import link_candidates

    settings = settings_from_env().with_overrides(base=args.base, graph_dir=args.graph)
    cache = None if args.no_cache else (args.cache or settings.cache_path / "link")
    client = SparqlClient(args.endpoint, cache, timeout=args.timeout, pause=args.pause,
                          max_retries=args.max_retries, max_wait=args.max_wait)
    try:
        run = link_candidates(args.target, client, settings.graph_path, args.output,
                              args.mappings, settings.base, args.batch_size)
    except OSError as error:  # the output or the cache cannot be written
        where = error.filename2 or error.filename or args.output
        raise LinkError(f"{where}: {error.strerror}") from None
    print(f"lactgraph: wrote {run.mappings} candidate mapping(s) to {run.path} "
          f"({run.requests} request(s), {run.cache_hits} answer(s) from the cache)")
    return EXIT_OK


def cmd_mappings_check(args: argparse.Namespace) -> int:
    from .sssom import MappingsInvalid, read_and_check

    settings = settings_from_env().with_overrides(base=args.base)
    subjects = None
    if args.graph:
        from ..rdfio import read_graph, some_rdf_paths
        from .subjects import graph_subjects, subject_predicates

        subjects = graph_subjects(read_graph(some_rdf_paths([args.graph]),
                                             predicates=subject_predicates(settings.base)),
                                  settings.base)
    sets, problems = read_and_check(args.paths, subjects, settings.base)
    if problems:
        raise MappingsInvalid(problems)
    if not sets:
        raise LactgraphError(f"no *.sssom.tsv file in {', '.join(map(str, args.paths))}")
    count = sum(len(ms.mappings) for ms in sets)
    print(f"lactgraph: {len(sets)} mapping set(s), {count} mapping(s): no problems",
          file=sys.stdout)
    return EXIT_OK


def _add_link(commands: argparse._SubParsersAction) -> None:
    link = commands.add_parser(
        "link", help="propose SSSOM candidate mappings to another vocabulary",
        description="Query a Wikidata-modelled SPARQL endpoint for the graph's products and "
                    "references; targets other than wikidata are reached through the Wikidata "
                    "items' own identifiers (mapping chaining).")
    link.add_argument("--target", required=True, choices=sorted(TARGETS),
                      help="the vocabulary to link to")
    link.add_argument("--endpoint", required=True, type=http_url,
                      help="SPARQL endpoint, e.g. https://query.wikidata.org/sparql")
    link.add_argument("-o", "--output", required=True, type=Path,
                      help="candidates file to write, e.g. "
                           "mappings/candidates/wikidata.sssom.tsv")
    link.add_argument("--graph", type=Path, help="folder of the built graph (graph/)")
    link.add_argument("--mappings", type=Path, default=Path("mappings"),
                      help="accepted mapping sets; pairs decided there are not proposed "
                           "again (mappings/)")
    link.add_argument("--cache", type=Path, help="cache of answers (~/.cache/lactgraph/link)")
    link.add_argument("--no-cache", action="store_true", help="ask the endpoint every time")
    link.add_argument("--batch-size", type=int, default=100,
                      help="values per query (100)")
    link.add_argument("--pause", type=float, default=0.5,
                      help="seconds between two requests (0.5)")
    link.add_argument("--timeout", type=float, default=60.0, help="seconds per request (60)")
    link.add_argument("--max-retries", type=int, default=4,
                      help="retries after 429/503 answers (4)")
    link.add_argument("--max-wait", type=float, default=120.0,
                      help="longest wait asked by Retry-After that we accept (120 s)")
    link.add_argument("--base", help="base IRI of the graph (https://w3id.org/lactgraph/)")
    link.set_defaults(run=cmd_link)


def _add_mappings(commands: argparse._SubParsersAction) -> None:
    mappings = commands.add_parser("mappings", help="work with SSSOM mapping sets")
    actions = mappings.add_subparsers(dest="action", required=True, metavar="ACTION")
    check = actions.add_parser(
        "check", help="check mapping sets: SSSOM, prefixes, IRI forms, conflicts")
    check.add_argument("paths", nargs="+", type=Path, help="*.sssom.tsv files or folders")
    check.add_argument("--graph", type=Path,
                       help="also check that every subject is a product or reference of "
                            "this graph folder")
    check.add_argument("--base", help="base IRI of the graph (https://w3id.org/lactgraph/)")
    check.set_defaults(run=cmd_mappings_check)


def add_link_commands(commands: argparse._SubParsersAction) -> None:
    """Add `link` and `mappings check` to the top-level subcommands."""
    _add_link(commands)
    _add_mappings(commands)

"""Thin commands: parse arguments, call the library, print errors as one clear line."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from importlib import import_module
from pathlib import Path
from typing import NoReturn

from .arguments import absolute_iri, date_or_time, http_url, number, whole_number
from .config import PASSWORD_VARIABLE, PUSH_BATCH_SIZE, Settings, settings_from_env
from .errors import LactgraphError, SourceError
from .link.cli import add_link_commands

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
MAX_SYNTH_PRODUCTS = 10_000_000  # a typo's extra zeros are refused, not allocated for


def _settings(args: argparse.Namespace) -> Settings:
    return settings_from_env().with_overrides(
        base=getattr(args, "base", None),
        public_url=getattr(args, "public_url", None),
        graph_dir=getattr(args, "graph", None),
        store_dir=getattr(args, "store", None),
        query_timeout=getattr(args, "query_timeout", None),
        row_cap=getattr(args, "row_cap", None),
        query_workers=getattr(args, "query_workers", None),
        sparql_endpoint=getattr(args, "sparql_endpoint", None),
        sparql_graph=getattr(args, "sparql_graph", None),
    )


def cmd_serve(args: argparse.Namespace) -> int:
    from .web import create_app
    from .web.server import listen, listening_port, serve

    app = create_app(_settings(args).with_overrides(
        sparql_budget=args.sparql_budget, query_log=args.query_log,
        max_url_bytes=args.max_url_bytes, document_cache_mb=args.document_cache_mb,
        trusted_proxies=tuple(args.trusted_proxy) if args.trusted_proxy else None))
    server = listen(app, args.host, args.port, threads=args.threads)
    print(f"lactgraph: serving on http://{args.host}:{listening_port(server)}/",
          file=sys.stderr, flush=True)
    serve(app, server, grace=args.grace)
    return EXIT_OK


def _add_serve(commands: argparse._SubParsersAction) -> None:
    serve = commands.add_parser("serve", help="serve the graph: SPARQL endpoint and entity pages")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    serve.add_argument("--port", type=whole_number(0, 65535), default=8000,
                       help="port to listen on, 0 to 65535 (8000; 0: any free port, "
                            "named in the 'serving on' line)")
    serve.add_argument("--graph", type=Path, help="folder of the published graph (./graph)")
    serve.add_argument("--store", type=Path, help="a persistent Oxigraph store to open read-only")
    serve.add_argument("--sparql-endpoint", type=http_url,
                       help="read this SPARQL server instead of an embedded store")
    serve.add_argument("--sparql-graph", type=absolute_iri,
                       help="the named graph of the data on that server")
    serve.add_argument("--base", help="base IRI of the graph (https://w3id.org/lactgraph/)")
    serve.add_argument("--public-url", help="URL the server is reached at, if not its own origin")
    serve.add_argument("--query-timeout", type=float, help="seconds a SPARQL query may run (10)")
    serve.add_argument("--row-cap", type=int, help="rows a SPARQL answer may carry (10000)")
    serve.add_argument("--query-workers", type=int, help="SPARQL worker processes (2)")
    serve.add_argument("--threads", type=whole_number(1), default=8,
                       help="request threads, 1 or more (8)")
    serve.add_argument("--sparql-budget", type=float, metavar="SECONDS",
                       help="SPARQL query time per client and minute, then 429 (60; 0: off)")
    serve.add_argument("--trusted-proxy", action="append", metavar="ADDRESS",
                       help="a proxy (address or network) whose X-Forwarded-For is believed; "
                            "repeatable")
    serve.add_argument("--query-log", type=Path, metavar="FILE",
                       help="append each SPARQL query to FILE as JSON lines")
    serve.add_argument("--max-url-bytes", type=int,
                       help="longest path or query string, then 414 (16384)")
    serve.add_argument("--document-cache-mb", type=float, metavar="MB",
                       help="rendered entity documents kept in memory (64; 0: none)")
    serve.add_argument("--grace", type=number(0), default=30.0, metavar="SECONDS",
                       help="on SIGTERM, how long requests in flight may finish (30)")
    serve.set_defaults(run=cmd_serve)


def cmd_build(args: argparse.Namespace) -> int:
    from .build import ValidationFailed, build

    settings = _settings(args)
    project = Path(os.path.abspath(settings.project_dir))
    sources = [_in(project, path) for path in args.sources] if args.sources else [Path("sources")]
    graph, shapes, ontology = (_in(project, path) for path in (
        settings.graph_path, settings.shapes_path, settings.ontology_path))
    started_in = Path(os.path.abspath("."))
    try:  # the graph records its sources' paths (lg:importedFrom) as the project's own
        os.chdir(project)
    except OSError as error:
        raise LactgraphError(f"{project}: cannot enter the project folder "
                             f"({error.strerror})") from None
    try:
        built = build(sources, graph, shapes, ontology, settings.base,
                      mappings=Path("mappings"), dumps=not args.no_dumps)
    except ValidationFailed as failed:
        _print_warnings(failed.warnings)  # before the findings: they may say why
        raise
    _print_warnings(built.warnings)
    warnings = len(built.report.findings)
    shown = built.path if project == started_in else project / built.path
    print(f"lactgraph: built {shown} from {built.products} entries "
          f"(conforms; {warnings} warning(s): `lactgraph validate {shown.parent}`)")
    return EXIT_OK


def _print_warnings(warnings: list[str]) -> None:
    for warning in warnings:
        print(f"lactgraph: warning: {warning}", file=sys.stderr)


def _in(project: Path, path: Path) -> Path:
    """`path` (relative to the working folder) from the project folder: relative where it is
    inside, so that a build run from elsewhere publishes the same paths."""
    absolute = Path(os.path.abspath(path))
    return absolute.relative_to(project) if absolute.is_relative_to(project) else absolute


def cmd_validate(args: argparse.Namespace) -> int:
    from .file_validation import validate_files
    from .rdfio import read_graph
    from .validate import format_json, format_text

    settings = _settings(args)
    report = validate_files(args.paths, read_graph([settings.shapes_path]),
                            settings.ontology_path, settings)
    print(format_json(report) if args.format == "json" else format_text(report), end="")
    return EXIT_OK if report.conforms else EXIT_FAILED


_OUTPUT_FORMATS = {".ttl": "turtle", ".nt": "nt", ".jsonld": "json-ld"}


def cmd_import(args: argparse.Namespace) -> int:
    from .build import import_sources
    from .rdfio import write_atomically

    rdf_format = "turtle"
    if args.output:
        rdf_format = _OUTPUT_FORMATS.get(args.output.suffix.lower(), "")
        if not rdf_format:  # nor, then, one of the sources (.txt, .json, .jsonl)
            raise SourceError(str(args.output), None, "expected a .ttl, .nt or .jsonld file "
                              "to write")
    imported = import_sources(args.files, _settings(args).base)
    for error in imported.errors:
        print(f"lactgraph: error: {error}", file=sys.stderr)
    _print_warnings(imported.warnings)
    if not imported.products:
        where = f"; {args.output} left as it was" if args.output else ""
        print(f"lactgraph: nothing imported{where}", file=sys.stderr)
        return EXIT_FAILED
    data = imported.graph.serialize(format=rdf_format, encoding="utf-8")
    if args.output:
        write_atomically(args.output, data)
        print(f"lactgraph: wrote {len(imported.graph)} triples from {imported.products} "
              f"entries to {args.output}", file=sys.stderr)
    else:
        sys.stdout.buffer.write(data)
    return EXIT_FAILED if imported.errors else EXIT_OK


def cmd_synth(args: argparse.Namespace) -> int:
    from .synth import FORMS, write_corpus

    if args.output.exists() and not args.output.is_dir():
        raise LactgraphError(f"{args.output}: not a folder (synth writes export/ and pages/ "
                             "in a new or empty folder)")
    try:
        summary = write_corpus(args.products, args.seed, args.output,
                               args.form or list(FORMS))
    except FileExistsError as error:
        raise LactgraphError(str(error)) from None
    except OSError as error:  # a parent that is a file, no permission, a full disk
        raise LactgraphError(f"{error.filename or args.output}: cannot write "
                             f"({error.strerror or error})") from None
    print(f"lactgraph: wrote {summary.products} made-up entries (seed {summary.seed}) in "
          f"{summary.files} file(s), {summary.bytes:,} bytes, under {args.output}; levels "
          f"{summary.levels}; {summary.references} shared references")
    if len(set(args.form or FORMS)) > 1:  # building both would import every entry twice
        print(f"lactgraph: {args.output / 'export'} and {args.output / 'pages'} hold the same "
              f"entries: build one of them (lactgraph build {args.output / 'pages'})")
    return EXIT_OK


def _add_synth(commands: argparse._SubParsersAction) -> None:
    synth = commands.add_parser(
        "synth", help="write a deterministic made-up corpus (for tests and benchmarks; "
        "never for graph/)")
    synth.add_argument("--products", type=whole_number(1, MAX_SYNTH_PRODUCTS), required=True,
                       help=f"how many entries, 1 to {MAX_SYNTH_PRODUCTS:,} (the corpus is "
                            "planned in memory first)")
    synth.add_argument("--seed", type=int, default=1, help="the same seed, the same bytes")
    synth.add_argument("-o", "--output", type=Path, required=True,
                       help="folder (gets export/ and pages/)")
    synth.add_argument("--form", action="append", choices=("json", "pages"),
                       help="only this input form (repeatable; default both)")
    synth.set_defaults(run=cmd_synth)


def _add_build(commands: argparse._SubParsersAction) -> None:
    build = commands.add_parser("build", help="sources/ -> validated graph/ (Turtle)")
    build.add_argument("sources", nargs="*", type=Path, help="entry files or folders (sources/)")
    build.add_argument("--graph", type=Path, help="output folder (graph/)")
    build.add_argument("--base", help="base IRI (https://w3id.org/lactgraph/)")
    build.add_argument("--no-dumps", action="store_true",
                       help="leave graph/dumps/ as it is (the dumps take longest on a large "
                       "graph; a later build writes them)")
    build.set_defaults(run=cmd_build)


def _add_validate(commands: argparse._SubParsersAction) -> None:
    validate = commands.add_parser("validate", help="validate RDF files against the shapes")
    validate.add_argument("paths", nargs="+", type=Path, help="Turtle, N-Triples or JSON-LD "
                          "files or folders")
    validate.add_argument("--format", choices=("text", "json"), default="text")
    validate.set_defaults(run=cmd_validate)


def _add_import(commands: argparse._SubParsersAction) -> None:
    imp = commands.add_parser("import", help="entry pages or export records -> RDF")
    imp.add_argument("files", nargs="+", type=Path, help="entry pages (.txt), files of the "
                     "source's JSON export (.json, .jsonl) or folders of them")
    imp.add_argument("-o", "--output", type=Path,
                     help="output file (.ttl, .nt or .jsonld); standard output if absent")
    imp.add_argument("--base", help="base IRI (https://w3id.org/lactgraph/)")
    imp.set_defaults(run=cmd_import)


def _deferred(module: str, command: str) -> Callable[[argparse.Namespace], int]:
    """The command function of another module, imported when it runs, as each command here
    imports its library: an HTTP client loaded for nothing costs every build 0.1 s."""
    def run(args: argparse.Namespace) -> int:
        return getattr(import_module(module, __package__), command)(args)

    return run


def _add_push(commands: argparse._SubParsersAction) -> None:
    push = commands.add_parser(
        "push", help="load the graph into a SPARQL 1.1 server (for serve --sparql-endpoint)")
    push.add_argument("--endpoint", required=True, type=http_url,
                      help="the server's SPARQL Update endpoint "
                           "(Virtuoso: http://HOST:8890/sparql-auth)")
    push.add_argument("--graph-store", type=http_url,
                      help="its Graph Store Protocol endpoint, to load each graph in one "
                           "request (Virtuoso: http://HOST:8890/sparql-graph-crud-auth)")
    push.add_argument("--graph", dest="graph_iri", type=absolute_iri,
                      help="named graph of the data (<base>graph/lactgraph); the "
                           "ontology and the shapes go into their own graphs whatever it is")
    push.add_argument("--user", help=f"user name; the password is read from "
                                     f"{PASSWORD_VARIABLE}")
    push.add_argument("--batch-size", type=whole_number(1), default=PUSH_BATCH_SIZE,
                      help="triples per SPARQL Update request without --graph-store "
                           f"({PUSH_BATCH_SIZE})")
    push.add_argument("--timeout", type=number(0, allowed=False), default=600.0,
                      help="seconds one request may take (600)")
    push.add_argument("--graph-dir", type=Path, help="folder of the built graph (./graph)")
    push.add_argument("--base", help="base IRI of the graph (https://w3id.org/lactgraph/)")
    push.set_defaults(run=_deferred(".push", "cmd_push"))


def _add_harvest(commands: argparse._SubParsersAction) -> None:
    harvest = commands.add_parser(
        "harvest", help="take every entry of a lactgraph server as JSON-LD or N-Triples")
    harvest.add_argument("base_url", help="the server's base URL, e.g. http://127.0.0.1:8000/")
    harvest.add_argument("-o", "--output", type=Path, required=True,
                         help="output file: .jsonld (one document) or .nt")
    harvest.add_argument("--since", type=date_or_time,
                         help="only entries updated since this date (an incremental run)")
    harvest.add_argument("--until", type=date_or_time,
                         help="only entries updated until this date")
    harvest.add_argument("--page-size", type=whole_number(1, 1000), default=1000,
                         help="entries per collection page (1000)")
    harvest.add_argument("--retries", type=whole_number(0), default=5,
                         help="retries of a failed request, with back-off (5)")
    harvest.add_argument("--no-progress", action="store_true", help="no progress bar")
    harvest.set_defaults(run=_deferred(".harvest", "cmd_harvest"))


class _Parser(argparse.ArgumentParser):
    """A usage error is one line too, like every other error (`COMMAND --help` shows the
    usage); the subcommands' parsers are of this class as well."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def parser() -> argparse.ArgumentParser:
    top = _Parser(
        prog="lactgraph",
        description="Linked data for breastfeeding compatibility (e-lactancia.org entries).",
    )
    top.add_argument("--debug", action="store_true", help="show tracebacks")
    commands = top.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for add in ADDERS:
        add(commands)
    return top


ADDERS: list[Callable[[argparse._SubParsersAction], None]] = [
    _add_build, _add_validate, _add_import, _add_serve, add_link_commands, _add_push,
    _add_harvest, _add_synth,
]


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.run(args)
    except LactgraphError as error:
        if args.debug:
            raise
        print(f"lactgraph: error: {error}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())

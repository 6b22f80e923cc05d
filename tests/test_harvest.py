"""`lactgraph harvest` against live servers: what it harvests is the published graph,
an incremental run fetches what changed (and the entries whose triples pointing at it the
change took away) and nothing else, a re-run gets 304s."""

from __future__ import annotations

import gzip
import json
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from decimal import Decimal
from functools import partial
from http.server import SimpleHTTPRequestHandler
from pathlib import Path
from typing import ClassVar

import pytest
import requests
from rdflib import Graph, Literal, Namespace, URIRef

from lactgraph import cli
from lactgraph.build import import_sources
from lactgraph.dumps import write_dumps
from lactgraph.harvest import STATE_SUFFIX, HarvestError, harvest
from lactgraph.iris import IriScheme
from lactgraph.records import BrandName, Product
from lactgraph.to_rdf import products_graph

from . import conftest
from .cli_helpers import assert_clean_error, run_lactgraph
from .conftest import ROOT
from .loopback import Answering, serving
from .rdf_compare import same_graph

BASE = "https://w3id.org/lactgraph/"
XSD = Namespace("http://www.w3.org/2001/XMLSchema#")
VOCABULARY = (ROOT / "ontology" / "lactgraph.ttl", ROOT / "shapes" / "lactgraph.ttl")
GENERATED_PRODUCTS = 8


class Recorder(requests.Session):
    """A session that remembers every response (redirects included): (status, URL)."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[tuple[int, str]] = []
        self.hooks["response"].append(lambda r, *args, **kwargs: self.seen.append(
            (r.status_code, r.url)))

    def documents(self, server) -> list[tuple[int, str]]:
        """The responses for entity documents (not collections, not the context)."""
        collections = ("collections", "context.jsonld", "products", "groups", "aliases",
                       "brands", "writings", "references", "countries", "risks", "vocabulary")
        return [(status, url) for status, url in self.seen
                if url[len(server.url):].split("?")[0] not in collections]


def canonical(graph: Graph, origin: str | None = None) -> Graph:
    """IRIs back under the base, and literals in one lexical form (the server maps the
    base onto its origin and writes integral decimals as '5.0')."""
    def term(node):
        if origin and isinstance(node, URIRef) and node.startswith(origin):
            return URIRef(BASE + node[len(origin):])
        if isinstance(node, Literal) and node.datatype == XSD.decimal:
            return Literal(format(Decimal(str(node)).normalize(), "f"), datatype=XSD.decimal)
        if isinstance(node, Literal) and node.datatype and origin and str(
                node.datatype).startswith(origin):
            return Literal(str(node), datatype=term(node.datatype))
        return node

    result = Graph()
    for s, p, o in graph:
        result.add((term(s), term(p), term(o)))
    return result


def published(*files: Path) -> Graph:
    """What a server publishes: its graph files, the ontology and the shapes."""
    graph = Graph()
    for path in (*files, *VOCABULARY):
        graph.parse(path)
    return canonical(graph)


def harvested(path: Path, server) -> Graph:
    return canonical(Graph().parse(path, format="json-ld" if path.suffix == ".jsonld"
                                   else "nt"), server.url)


# --- the bundled graph -----------------------------------------------------------------------

# What the entity documents hold: graph/ but its statistics (the dataset's VoID, not entries).
ENTRIES = (ROOT / "graph" / "lactgraph.ttl", ROOT / "graph" / "links.ttl")


@pytest.mark.both_stores
def test_harvest_of_the_bundled_graph_is_the_published_graph(server, tmp_path):
    output = tmp_path / "harvested.jsonld"
    report = harvest(server.url, output)
    expected = published(*ENTRIES)
    graph = harvested(output, server)
    assert len(graph) == len(expected) and same_graph(graph, expected)
    document = json.loads(output.read_text())
    assert isinstance(document["@context"], dict) and document["@graph"]
    assert report.entries == len(report.fetched) and report.not_modified == 0
    assert report.triples == len(expected)


@pytest.mark.both_stores
def test_a_harvest_with_nothing_changed_gets_304s(server, tmp_path):
    output = tmp_path / "harvested.nt"
    first = harvest(server.url, output)
    written = output.read_bytes()
    lines = written.decode().splitlines()
    assert lines == sorted(lines) and len(lines) == first.triples
    assert same_graph(harvested(output, server), published(*ENTRIES))
    assert (tmp_path / ("harvested.nt" + STATE_SUFFIX)).is_file()
    session = Recorder()
    again = harvest(server.url, output, session=session)
    assert again.fetched == [] and again.requests == len(session.seen)
    assert {status for status, _ in session.seen} == {304}
    assert again.not_modified == len(session.seen)
    assert len(session.documents(server)) == first.entries  # each document asked, none sent
    assert output.read_bytes() == written


# --- a larger, generated graph --------------------------------------------------------------

@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> Path:
    from lactgraph.synth import write_corpus

    folder = tmp_path_factory.mktemp("generated")
    write_corpus(GENERATED_PRODUCTS, 3, folder / "corpus", forms=("pages",))
    imported = import_sources([folder / "corpus" / "pages"], BASE)
    assert not imported.errors
    graph_dir = folder / "graph"
    graph_dir.mkdir()
    imported.graph.serialize(graph_dir / "lactgraph.ttl", format="turtle")
    write_dumps([graph_dir / "lactgraph.ttl"], graph_dir / "dumps")
    return graph_dir


def test_harvest_of_a_generated_graph_pages_through_everything(start_server, generated,
                                                               tmp_path):
    server = start_server("--graph", str(generated))
    output = tmp_path / "harvested.jsonld"
    session = Recorder()
    report = harvest(server.url, output, page_size=7, session=session)
    expected = published(generated / "lactgraph.ttl")
    graph = harvested(output, server)
    assert len(graph) == len(expected) and same_graph(graph, expected)
    documents = [url for status, url in session.documents(server) if status == 200]
    assert len(documents) == len(set(documents)) == report.entries > 100
    packed = requests.get(server.url + "dumps/lactgraph.nt.gz", timeout=10).content
    dump = Graph().parse(data=gzip.decompress(packed).decode(), format="nt")
    assert same_graph(dump, Graph().parse(generated / "lactgraph.ttl"))


# --- incremental runs --------------------------------------------------------------------------

def change_one_entry(graph_dir: Path) -> None:
    """Hydrolipoclasia gets an update: a new date, a new risk level, the change recorded."""
    path = graph_dir / "lactgraph.ttl"
    graph = Graph().parse(path)
    lg = Namespace(BASE + "ontology#")
    product = URIRef(BASE + "product/hydrolipoclasia")
    change = URIRef(f"{product}#risk-change-2025-02-01")
    graph.set((product, lg.riskLevel, URIRef(BASE + "risk/2")))
    graph.add((product, URIRef("http://purl.org/dc/terms/modified"),
               Literal("2025-02-01", datatype=XSD.date)))
    graph.add((product, lg.riskChange, change))
    graph.add((change, URIRef("http://purl.org/dc/terms/date"),
               Literal("2025-02-01", datatype=XSD.date)))
    graph.add((change, lg.previousRiskLevel, URIRef(BASE + "risk/1")))
    graph.add((change, lg.newRiskLevel, URIRef(BASE + "risk/2")))
    graph.serialize(path, format="turtle")


@contextmanager
def served_after_a_change(tmp_path: Path, monkeypatch, graph_dir: Path,
                          change: Callable[[], None]) -> Iterator[tuple[conftest.LiveServer,
                                                                        Path]]:
    """A full harvest of a server of graph_dir into the output; then `change`, and the
    server again on the same URL: (that server, the output)."""
    port = conftest.free_port()
    monkeypatch.setattr(conftest, "free_port", lambda: port)  # the same URL after a restart
    output = tmp_path / "harvested.nt"
    before = conftest.LiveServer(tmp_path / "cache", "--graph", str(graph_dir))
    try:
        harvest(before.url, output)
    finally:
        before.stop()
    change()
    after = conftest.LiveServer(tmp_path / "cache", "--graph", str(graph_dir))
    try:
        yield after, output
    finally:
        after.stop()


def test_an_incremental_harvest_fetches_the_changed_entry_and_nothing_else(
        tmp_path, monkeypatch):
    graph_dir = tmp_path / "graph"
    graph_dir.mkdir()
    shutil.copy(ROOT / "graph" / "lactgraph.ttl", graph_dir / "lactgraph.ttl")
    with served_after_a_change(tmp_path, monkeypatch, graph_dir,
                               partial(change_one_entry, graph_dir)) as (after, output):
        session = Recorder()
        report = harvest(after.url, output, since=date(2025, 1, 1), session=session)
        changed = after.url + "product/hydrolipoclasia"
        assert report.fetched == [changed]
        assert session.documents(after) == [(200, changed + ".jsonld")]
        expected = published(graph_dir / "lactgraph.ttl")
        graph = harvested(output, after)
        assert len(graph) == len(expected) and same_graph(graph, expected)


def test_an_incremental_harvest_drops_what_an_updated_entry_no_longer_states(
        tmp_path, monkeypatch):
    """Beta drops a brand name it shares with Alpha: the brand's document changes, but its
    date is its products' (Alpha's, old), so the change feed lists Beta only. The harvest
    kept 'brand activeIngredient Beta' (an audit's finding); Beta's document no longer
    shows that triple pointing at it, so the brand is fetched again."""
    def write(beta_brands: list[BrandName], beta_updated: date) -> None:
        products = [Product({"en": "Alpha"}, "alpha.txt", level=0, updated=date(2020, 1, 10),
                            brand_names=[BrandName("Sharedbrand")]),
                    Product({"en": "Beta"}, "beta.txt", level=1, updated=beta_updated,
                            brand_names=beta_brands)]
        products_graph(products, [], IriScheme()).serialize(graph_dir / "lactgraph.ttl",
                                                             format="turtle")

    graph_dir = tmp_path / "graph"
    graph_dir.mkdir()
    write([BrandName("Sharedbrand")], date(2021, 6, 1))
    with served_after_a_change(tmp_path, monkeypatch, graph_dir,
                               partial(write, [], date(2025, 2, 1))) as (after, output):
        report = harvest(after.url, output, since=date(2025, 1, 1))
        assert report.fetched == [after.url + "product/beta", after.url + "brand/sharedbrand"]
        expected = published(graph_dir / "lactgraph.ttl")
        graph = harvested(output, after)
        assert len(graph) == len(expected) and same_graph(graph, expected)


# --- the command and its errors ---------------------------------------------------------------

def run(*args: str) -> int:
    return cli.main(["harvest", *args])


def test_the_command_reports_and_errors_in_one_line(server, tmp_path, capsys):
    output = tmp_path / "out.nt"
    assert run(server.url, "-o", str(output), "--since", "2019-01-01") == 0
    err = capsys.readouterr().err
    assert err.startswith("lactgraph: harvested ") and "\r" not in err  # no bar off a TTY
    assert output.is_file()
    assert run(f"http://127.0.0.1:{conftest.free_port()}/", "-o",
               str(output), "--retries", "0") == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "cannot connect" in err and "Traceback" not in err
    assert run(server.url + "nothing/", "-o", str(output)) == 1
    assert "404" in capsys.readouterr().err
    assert run(server.url, "-o", str(tmp_path / "out.txt")) == 1
    assert "must end in .jsonld or .nt" in capsys.readouterr().err
    with pytest.raises(SystemExit) as usage:
        run(server.url, "-o", str(output), "--since", "last week")
    assert usage.value.code == 2
    assert "expected a date (YYYY-MM-DD)" in capsys.readouterr().err


class Flaky(Answering):
    """Answers 503 (Retry-After: 0), then 429, then an empty collection index."""

    answers: ClassVar[list[int]] = []

    def do_GET(self) -> None:
        status = self.answers.pop(0) if self.answers else 200
        if status == 200:
            self.answer(status, b'{"member": []}', "application/ld+json")
        else:
            self.answer(status, b"busy", "application/ld+json", {"Retry-After": "0"})


@pytest.fixture
def flaky():
    with serving(Flaky) as url:
        yield url


def test_retries_honour_retry_after_and_give_up_with_a_message(flaky, tmp_path):
    Flaky.answers = [503, 429]
    session = Recorder()
    report = harvest(flaky, tmp_path / "out.nt", session=session, backoff=0)
    assert [status for status, _ in session.seen] == [503, 429, 200]
    assert report.entries == 0 and (tmp_path / "out.nt").read_bytes() == b""
    assert session.headers["User-Agent"].startswith("lactgraph-harvest/")
    Flaky.answers = [503] * 5
    with pytest.raises(HarvestError, match=r"collections: 503"):
        harvest(flaky, tmp_path / "out.nt", retries=2, backoff=0)


class Files(SimpleHTTPRequestHandler):
    """Serves a folder, as `python -m http.server` does (the query string is ignored)."""

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def not_lactgraph(tmp_path):
    """A server that is not lactgraph: its pages are JSON, but no collections."""
    folder = tmp_path / "site"
    folder.mkdir()
    with serving(partial(Files, directory=str(folder))) as url:
        yield folder, url


@pytest.mark.parametrize("page", ["collections", "products"])
def test_a_page_with_no_member_list_is_an_error_and_the_output_stays(not_lactgraph, tmp_path,
                                                                      page):
    """Once, `{"foo": 1}` read as an empty collection: 'harvested 0 entries', exit 0, and
    the earlier output emptied."""
    folder, url = not_lactgraph
    (folder / "collections").write_text(json.dumps({"member": [{"id": url + "products"}]}))
    (folder / page).write_text('{"foo": 1}')
    output = tmp_path / "out.nt"
    output.write_text("<urn:x:a> <urn:x:b> <urn:x:c> .\n")
    result = run_lactgraph("harvest", url, "-o", str(output), "--no-progress", cwd=tmp_path)
    assert_clean_error(result, f"lactgraph: error: {url}{page}: not a collection page: "
                               "no member list")
    assert result.stderr.count("\n") == 1
    assert output.read_text() == "<urn:x:a> <urn:x:b> <urn:x:c> .\n"


@pytest.mark.parametrize("option, value, expected", [
    ("--retries", "-1", "a whole number, 0 or more"),
    ("--retries", "many", "a whole number, 0 or more"),
    ("--page-size", "0", "a whole number from 1 to 1000"),
])
def test_numeric_options_are_checked_before_any_request(tmp_path, option, value, expected):
    result = run_lactgraph("harvest", "http://127.0.0.1:1/", "-o", "out.nt", option, value,
                           cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr == (f"lactgraph harvest: error: argument {option}: {value!r}: "
                             f"expected {expected}\n")

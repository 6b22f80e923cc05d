"""The remote store against a real Virtuoso: `lactgraph push` loads it, and it answers as the
embedded store does, through the Store interface, /sparql and the served pages."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyoxigraph as ox
import pytest
import requests
from rdflib import RDFS, VOID, BNode, Graph, Literal, URIRef
from rdflib.collection import Collection
from requests.auth import HTTPDigestAuth

from lactgraph import cli
from lactgraph.config import PUSH_BATCH_SIZE, Settings
from lactgraph.errors import LactgraphError
from lactgraph.iris import UrlMapper
from lactgraph.push import Pushed, batches, dataset_parts, insert_update, push
from lactgraph.rdfio import read_graph
from lactgraph.sparql_client import Server
from lactgraph.store.querypool import (
    QueryJob,
    QueryRefused,
    QuerySyntaxError,
    QueryTimeout,
    execute,
)
from lactgraph.store.remote import (
    EMPTY_GRAPH,
    VIRTUOSO_OVERRUN,
    RemoteError,
    RemoteStore,
    dataset_graphs,
    public_dataset,
    version_graph,
)
from lactgraph.web.context import Site
from lactgraph.web.describe import describe, ontology_graph, shapes_graph
from lactgraph.web.sparql import SD

from ..conftest import ROOT, free_port
from ..rdf_compare import same_graph
from ..virtuoso import PASSWORD, USER, loader, quiet
from .conftest import IRIS, PROJECT

LG = IRIS.term("")
MESOTHERAPY = IRIS.product("mesotherapy")
PREFIXES = (f"PREFIX lg: <{LG}>\nPREFIX skos: <http://www.w3.org/2004/02/skos/core#>\n"
            "PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>\n")
PRODUCTS_WITH_LEVELS = PREFIXES + """
SELECT ?product ?name ?level ?notation WHERE {
  ?product a lg:Product ; skos:prefLabel ?name ; lg:riskLevel ?level .
  ?level skos:notation ?notation . FILTER(LANG(?name) = "en")
} ORDER BY ?product"""
FORMATS = {"solutions": "text/csv", "boolean": "application/sparql-results+json",
           "graph": "text/turtle"}
VIRTUOSO_SYSTEM_GRAPH = "http://www.openlinksw.com/schemas/virtrdf#"


def rows(store, query: str) -> list[dict]:
    """The answer in a fixed order (by the terms' N-Triples forms: rdflib's own ordering of
    literals of different datatypes is not total)."""
    return sorted(store.select(query),
                  key=lambda row: sorted((name, term.n3()) for name, term in row.items()))


def graph_of(store, graph: str) -> Graph:
    """One named graph, as the store gives it."""
    return store.construct(f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}")


def as_stored(graph: Graph) -> Graph:
    """graph as a store gives it back: Oxigraph, as Virtuoso, keeps the value of a decimal,
    not its lexical form ("1.0" reads back "1")."""
    store = ox.Store()
    store.load(graph.serialize(format="nt", encoding="utf-8"), ox.RdfFormat.N_TRIPLES)
    return Graph().parse(data=store.dump(format=ox.RdfFormat.N_TRIPLES,
                                         from_graph=ox.DefaultGraph()), format="nt")


def graphs_under(virtuoso, stem: str) -> set[str]:
    """The server's graphs whose names start with stem, past any dataset (the public
    endpoint, no parameters). Without the filter Virtuoso took 11 s here once the generated
    graphs were in."""
    answer = requests.post(virtuoso.sparql, data={"query": (
        "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } "
        f'FILTER(STRSTARTS(STR(?g), "{stem}")) }}')},
        headers={"Accept": "application/sparql-results+json"}, timeout=30).json()
    return {row["g"]["value"] for row in answer["results"]["bindings"]}


# --- a public query's dataset (no server needed) ---------------------------------------

OURS = ("urn:g:data", "urn:g:ontology")


def test_a_query_without_dataset_reads_all_of_our_graphs():
    dataset = public_dataset("SELECT * WHERE { ?s ?p ?o }", OURS)
    assert (dataset.default_graphs, dataset.named_graphs) == (OURS, OURS)


def test_from_clauses_become_parameters_among_our_graphs_only():
    query = ("PREFIX x: <urn:x#> SELECT * FROM <urn:g:data> FROM NAMED <urn:g:ontology> "
             f"FROM <{VIRTUOSO_SYSTEM_GRAPH}> WHERE {{ ?s x:from \"FROM <urn:g:no>\" }}")
    dataset = public_dataset(query, OURS)
    assert dataset.default_graphs == ("urn:g:data",)
    assert dataset.named_graphs == ("urn:g:ontology",)
    assert "FROM <" not in dataset.query.replace('"FROM <urn:g:no>"', "")
    assert 'x:from "FROM <urn:g:no>"' in dataset.query


@pytest.mark.parametrize("clause", ["FROM<{}>", "from<{}>", "FROM NAMED<{}>",
                                    "FROM\tNAMED\n<{}>"])
def test_from_clauses_without_spaces_are_taken_out_too(clause):
    """`FROM<iri>` (SPARQL asks for no space) stayed in the text: Virtuoso merged it with
    the protocol's graphs, and a public query read its system graph, or push's record."""
    query = f"SELECT (COUNT(*) AS ?n) {clause.format(VIRTUOSO_SYSTEM_GRAPH)} {{ ?s ?p ?o }}"
    dataset = public_dataset(query, OURS)
    assert VIRTUOSO_SYSTEM_GRAPH not in dataset.query
    assert EMPTY_GRAPH in dataset.default_graphs + dataset.named_graphs


def test_a_public_query_reads_no_graph_but_ours_on_the_server(remote):
    query = f"SELECT (COUNT(*) AS ?n) FROM<{VIRTUOSO_SYSTEM_GRAPH}> {{ ?s ?p ?o }}"
    job = QueryJob(query, FORMATS)
    assert remote.run(job).body.decode().splitlines()[1:] == ["0"]


def test_protocol_graphs_win_over_from_and_unknown_graphs_read_as_empty():
    dataset = public_dataset("SELECT * FROM <urn:g:data> WHERE { ?s ?p ?o }", OURS,
                             default_graphs=("urn:elsewhere",))
    assert dataset.default_graphs == (EMPTY_GRAPH,)


def test_virtuoso_pragmas_and_prefixed_from_are_refused():
    with pytest.raises(QueryRefused, match="DEFINE"):
        public_dataset("define input:default-graph-uri <urn:x> SELECT * {}", OURS)
    with pytest.raises(QueryRefused, match="full IRI"):
        public_dataset("PREFIX g: <urn:g:> SELECT * FROM g:data {}", OURS)


def test_batches_keep_the_triples_of_connected_blank_nodes_together():
    graph = Graph()
    head = BNode()
    Collection(graph, head, [Literal(n) for n in range(10)])
    graph.add((URIRef("urn:x"), RDFS.seeAlso, head))
    for n in range(25):
        graph.add((URIRef(f"urn:s{n}"), RDFS.label, Literal(n)))
    store = ox.Store()
    store.load(graph.serialize(format="nt", encoding="utf-8"), ox.RdfFormat.N_TRIPLES)
    sent = list(batches(store, 7))
    assert sum(len(batch) for batch in sent) == len(graph)
    list_batches = [batch for batch in sent
                    if any(isinstance(q.subject, ox.BlankNode) for q in batch)]
    assert len(list_batches) == 1 and len(list_batches[0]) >= 21
    assert all(len(batch) <= 7 for batch in sent if batch not in list_batches)


def test_update_batches_write_an_integral_decimal_with_its_point():
    """Virtuoso reads "1"^^xsd:decimal in an update as an integer, and Oxigraph gives a
    decimal's value back ("1.0" reads "1"); an ill-typed one is sent as it is."""
    decimal = ox.NamedNode("http://www.w3.org/2001/XMLSchema#decimal")
    quads = [ox.Quad(ox.NamedNode("urn:s"), ox.NamedNode("urn:p"),
                     ox.Literal(value, datatype=decimal)) for value in ("1", "-3", "0.5", "abc")]
    text = insert_update("urn:g", quads)
    for written in ('"1.0"^^', '"-3.0"^^', '"0.5"^^', '"abc"^^'):
        assert written + "<http://www.w3.org/2001/XMLSchema#decimal> ." in text, written


# --- push ------------------------------------------------------------------------------

def test_push_loads_each_file_into_its_graph(virtuoso, pushed):
    data, ontology, shapes = dataset_graphs(IRIS)
    assert pushed.triples == {
        data: len(read_graph([ROOT / "graph"])),
        ontology: len(read_graph([PROJECT.ontology_path])),
        shapes: len(read_graph([PROJECT.shapes_path])),
    }
    assert not [g for g in graphs_under(virtuoso, IRIS.base) if "/staging-" in g]


def test_pushing_again_replaces_the_graph(virtuoso, pushed, tmp_path):
    target = f"{IRIS.base}graph/replace-test"
    removed = (URIRef(MESOTHERAPY), RDFS.label, Literal("Mesotherapy", lang="en"))
    source = read_graph([ROOT / "graph"])
    assert removed in source
    source.remove(removed)
    (tmp_path / "graph").mkdir()
    source.serialize(tmp_path / "graph" / "lactgraph.ttl", format="turtle")
    full = dataset_parts(PROJECT, target)
    reduced = dataset_parts(Settings(project_dir=ROOT, graph_dir=tmp_path / "graph"), target)
    store = RemoteStore(virtuoso.sparql, [target], version_ttl=0)
    count = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"

    first = push(full, loader(virtuoso), say=quiet)
    second = push(full, loader(virtuoso), say=quiet)
    assert first.triples[target] == second.triples[target] == len(source) + 1
    assert int(store.select(count)[0]["n"]) == len(source) + 1
    assert first.version == second.version  # the same files: ETags survive a re-push

    third = push(reduced, loader(virtuoso), say=quiet)
    assert third.triples[target] == len(source)
    assert not store.ask(f'ASK {{ <{MESOTHERAPY}> <{RDFS.label}> "Mesotherapy"@en }}')
    assert store.ask(f"ASK {{ <{MESOTHERAPY}> ?p ?o }}")
    assert third.version != first.version
    assert store.version().endswith(third.version)


def test_each_push_gets_its_name_index_and_the_cache_keeps_two(virtuoso, pushed, tmp_path):
    """A server on a remote store gathers a name index per version of the store; after
    a push it gathers a new one and removes those older than the one before it."""
    target = f"{IRIS.base}graph/search-index-test"
    source = read_graph([ROOT / "graph"])
    dropped = [next(source.triples((URIRef(MESOTHERAPY), URIRef(predicate), None)))
               for predicate in ("https://schema.org/breastfeedingWarning",
                                 "http://purl.org/dc/terms/modified")]
    cache = tmp_path / "cache"
    site = Site(Settings(project_dir=ROOT, sparql_endpoint=virtuoso.sparql, cache_dir=cache),
                RemoteStore(virtuoso.sparql, [target], version_ttl=0), None, IRIS,
                UrlMapper(IRIS.base, None))
    gathered = []
    for version in range(3):  # one triple fewer each time: three versions of the store
        if version:
            source.remove(dropped[version - 1])
        folder = tmp_path / f"graph-{version}"
        folder.mkdir()
        source.serialize(folder / "lactgraph.ttl", format="turtle")
        push(dataset_parts(Settings(project_dir=ROOT, graph_dir=folder), target),
             loader(virtuoso), say=quiet)
        hits = site.search_index().search("Mesotherapy", 5)
        assert hits[0][1].entity == MESOTHERAPY
        gathered.append(sorted(cache.glob("search-*.sqlite")))
    assert [len(files) for files in gathered] == [1, 2, 2]
    assert gathered[0][0] not in gathered[2]  # the oldest went; the one before stays


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> tuple[Path, Graph]:
    """graph/ of a generated corpus of 40 products (13k triples, 2 MB of N-Triples)."""
    from lactgraph.build import import_sources
    from lactgraph.synth import write_corpus

    folder = tmp_path_factory.mktemp("generated")
    write_corpus(40, 2, folder / "corpus", forms=("pages",))
    imported = import_sources([folder / "corpus" / "pages"], IRIS.base)
    assert not imported.errors
    (folder / "graph").mkdir()
    imported.graph.serialize(folder / "graph" / "lactgraph.ttl", format="turtle")
    return folder / "graph", imported.graph


def test_the_default_batch_size_loads_a_generated_graph_into_virtuoso(virtuoso, generated):
    """With the old default (5,000 triples a request) Virtuoso refused the first batch of
    any graph past it: "SP030 ... memory exhausted"."""
    folder, graph = generated
    assert len(graph) > 3 * PUSH_BATCH_SIZE
    target = f"{IRIS.base}graph/default-batches"
    pushed = push(dataset_parts(Settings(project_dir=ROOT, graph_dir=folder), target),
                  loader(virtuoso, graph_store=False), say=quiet)
    assert pushed.triples[target] == len(graph)


@pytest.fixture(scope="module")
def generated_target(virtuoso, generated) -> tuple[str, Pushed]:
    """The generated graph pushed through the graph store, in a data graph of its own."""
    target = f"{IRIS.base}graph/one-put"
    folder, _ = generated
    return target, push(dataset_parts(Settings(project_dir=ROOT, graph_dir=folder), target),
                        loader(virtuoso), say=quiet)


def test_a_graph_of_megabytes_goes_in_one_graph_store_put(virtuoso, generated,
                                                          generated_target):
    """urllib sent each body before answering Virtuoso's Digest challenge, and Virtuoso
    closed the connection on a body past about 650 KB: "connection reset"."""
    _, graph = generated
    assert len(graph.serialize(format="nt", encoding="utf-8")) > 1_000_000
    target, pushed = generated_target
    assert pushed.triples[target] == len(graph)
    store = RemoteStore(virtuoso.sparql, dataset_graphs(IRIS, target))
    assert same_graph(graph_of(store, target), as_stored(graph))


def test_the_ontology_and_the_shapes_are_their_graphs_beside_a_large_data_graph(
        virtuoso, generated_target):
    """They were gathered by pattern over every graph: 2.3 s with these 40 products, past
    the site's 60 s with 200."""
    store = RemoteStore(virtuoso.sparql, dataset_graphs(IRIS, generated_target[0]))
    assert same_graph(ontology_graph(store, IRIS), read_graph([PROJECT.ontology_path]))
    assert same_graph(shapes_graph(store, IRIS), read_graph([PROJECT.shapes_path]))


def test_sparql_update_batches_give_the_same_graphs_as_the_graph_store(
        virtuoso, pushed, embedded):
    target = f"{IRIS.base}graph/batch-test"
    batched = push(dataset_parts(PROJECT, target), loader(virtuoso, graph_store=False),
                   batch_size=50, say=quiet)
    assert batched.triples[target] == pushed.triples[dataset_graphs(IRIS)[0]]
    remote_data = RemoteStore(virtuoso.sparql, [target])
    files = Graph()  # each file of graph/ in a graph of its own in the embedded store
    for name in ("lactgraph", "links", "statistics"):
        files += graph_of(embedded, f"{IRIS.base}graph/{name}")
    assert len(graph_of(embedded, f"{IRIS.base}graph/statistics")) > 10
    assert same_graph(remote_data.construct("CONSTRUCT WHERE { ?s ?p ?o }"), files)
    remote_shapes = RemoteStore(virtuoso.sparql, [IRIS.shapes])  # blank nodes throughout
    assert same_graph(remote_shapes.construct("CONSTRUCT WHERE { ?s ?p ?o }"),
                      graph_of(embedded, IRIS.shapes))


def test_push_with_a_wrong_password_is_refused_and_changes_nothing(virtuoso, remote):
    before = remote.version()
    with pytest.raises(LactgraphError, match=r"refused user 'dba' \(HTTP 401\)"):
        push(dataset_parts(PROJECT), loader(virtuoso, password="not-the-password"), say=quiet)
    with pytest.raises(LactgraphError, match="refused no credentials"):
        push(dataset_parts(PROJECT), Server(virtuoso.sparql_auth, virtuoso.graph_store),
             say=quiet)
    assert remote.version() == before


def test_the_wrong_endpoints_are_told_apart_from_a_wrong_password(virtuoso, remote):
    """Virtuoso's graph store without auth answered 403, reported as 'refused user dba',
    which reads as a wrong password; a store given /sparql-auth said 'HTTP 401:' and no
    more (found by an audit)."""
    before = remote.version()
    unauthenticated = Server(virtuoso.sparql_auth, virtuoso.url + "sparql-graph-crud", USER,
                             PASSWORD, timeout=60)
    with pytest.raises(LactgraphError, match=r"forbids this request \(HTTP 403\).*"
                                             r"/sparql-graph-crud-auth"):
        push(dataset_parts(PROJECT), unauthenticated, say=quiet)
    assert remote.version() == before
    with pytest.raises(RemoteError, match="asks for credentials; give the server's public"):
        RemoteStore(virtuoso.sparql_auth, dataset_graphs(IRIS)).version()


def test_push_to_a_closed_port_says_the_server_cannot_be_reached():
    endpoint = f"http://127.0.0.1:{free_port()}/sparql-auth"
    with pytest.raises(LactgraphError, match="cannot reach the server"):
        push(dataset_parts(PROJECT), Server(endpoint), say=quiet)


def test_the_push_command_reads_the_password_from_the_environment(virtuoso, pushed, capsys,
                                                                  monkeypatch):
    args = cli.parser().parse_args([
        "push", "--endpoint", virtuoso.sparql_auth, "--graph-store", virtuoso.graph_store,
        "--user", USER, "--graph-dir", str(ROOT / "graph")])
    monkeypatch.delenv("LACTGRAPH_SPARQL_PASSWORD", raising=False)
    with pytest.raises(LactgraphError, match="LACTGRAPH_SPARQL_PASSWORD"):
        args.run(args)
    monkeypatch.setenv("LACTGRAPH_SPARQL_PASSWORD", PASSWORD)
    assert args.run(args) == 0
    assert f"pushed {sum(pushed.triples.values())} triples into 3 graphs" in \
        capsys.readouterr().out


@pytest.mark.parametrize(("signal_number", "times", "said"), [
    (signal.SIGTERM, 1, "interrupted; its staging graphs were dropped"),
    (signal.SIGINT, 1, "interrupted; its staging graphs were dropped"),
    (signal.SIGINT, 2, "stopped at once; its staging graphs were dropped, but"),
])
def test_a_push_stopped_midway_drops_its_staging_graphs_and_says_so(virtuoso, signal_number,
                                                                    times, said):
    """`kill PID` (SIGTERM) left the staging graphs on the server and said nothing; Ctrl-C
    dropped them, silently. Then both stopped in the middle of a request, which Virtuoso
    went on with, filling a staging graph again after its drop (an audit found it): a first
    signal now waits for the request under way."""
    target = f"{IRIS.base}graph/stopped-push"
    command = [sys.executable, "-m", "lactgraph", "push", "--endpoint", virtuoso.sparql_auth,
               "--user", USER, "--batch-size", "10", "--graph", target]
    process = subprocess.Popen(command, cwd=ROOT, stderr=subprocess.PIPE, text=True,
                               env={**os.environ, "LACTGRAPH_SPARQL_PASSWORD": PASSWORD})
    try:
        signals = 0
        for line in process.stderr:  # the second once the first is heard (they coalesce)
            if "batch 3:" in line or "stopping after" in line:
                process.send_signal(signal_number)
                signals += 1
                if signals == times:
                    break
        errors = line + process.stderr.read()
        assert process.wait(timeout=60) == 128 + signal_number
    finally:
        process.kill()
        process.wait()
    assert errors.splitlines()[-1].startswith(f"lactgraph: push: {said}")
    if times == 1:
        assert "stopping after the request under way (again: at once)" in errors
        assert graphs_under(virtuoso, target) == set()  # no staging graph, no target


def test_a_push_drops_the_staging_graphs_a_killed_push_left(virtuoso, pushed):
    """SIGKILL (or the machine going down) leaves no chance to drop them: each held a
    copy of a graph on the server, seen by nothing, until someone dropped it by hand."""
    target = f"{IRIS.base}graph/after-a-kill"
    left = [f"{target}/staging-{token}" for token in ("0123456789ab", "ba9876543210")]
    inserts = " ;\n".join(f"INSERT DATA {{ GRAPH <{graph}> {{ <urn:x> <urn:y> 1 }} }}"
                           for graph in left)
    answer = requests.post(virtuoso.sparql_auth, data={"update": inserts}, timeout=30,
                           auth=HTTPDigestAuth(USER, PASSWORD))
    assert answer.ok, answer.text
    said: list[str] = []
    push(dataset_parts(PROJECT, target), loader(virtuoso), say=said.append)
    assert f"dropped 2 staging graph(s) an earlier push left: {', '.join(left)}" in said
    assert graphs_under(virtuoso, target) == {target, version_graph(target)}


# --- the Store interface: the same answers as the embedded store ------------------------

def test_products_with_their_levels_are_the_same_rows(remote, embedded):
    answer = rows(remote, PRODUCTS_WITH_LEVELS)
    assert answer == rows(embedded, PRODUCTS_WITH_LEVELS)
    mesotherapy = next(row for row in answer if str(row["product"]) == MESOTHERAPY)
    assert mesotherapy["level"] == URIRef(IRIS.risk(1))
    assert mesotherapy["name"] == Literal("Mesotherapy", lang="en")


def test_every_triple_reads_back_with_the_same_terms(remote, embedded):
    """Datatypes, language tags and lexical forms, compared term by term (blank nodes
    aside: their labels are the store's own)."""
    query = "SELECT ?s ?p ?o WHERE { ?s ?p ?o FILTER(!isBlank(?s) && !isBlank(?o)) }"
    remote_rows, embedded_rows = rows(remote, query), rows(embedded, query)
    assert len(remote_rows) > 100
    assert remote_rows == embedded_rows


def test_construct_of_mesotherapy_is_isomorphic(remote, embedded):
    query = PREFIXES + f"""
    CONSTRUCT {{ ?s ?p ?o }} WHERE {{
      {{ BIND(<{MESOTHERAPY}> AS ?s) ?s ?p ?o }}
      UNION {{ <{MESOTHERAPY}> lg:bibliography/rdf:rest* ?s . ?s ?p ?o }} }}"""
    remote_graph = remote.construct(query)
    assert any(isinstance(s, BNode) for s in remote_graph.subjects())
    assert same_graph(remote_graph, embedded.construct(query))


@pytest.mark.parametrize("iri", [MESOTHERAPY, IRIS.risk(1), IRIS.risk_scheme,
                                 f"{IRIS.base}reference/konda-2013-4cca56d1"])
def test_descriptions_of_entities_are_isomorphic(remote, embedded, iri):
    remote_graph = describe(remote, IRIS, iri)
    assert remote_graph is not None and len(remote_graph) > 5
    assert same_graph(remote_graph, describe(embedded, IRIS, iri))


def test_ask_answers_alike(remote, embedded):
    yes = f"ASK {{ <{MESOTHERAPY}> <{LG}riskLevel> <{IRIS.risk(1)}> }}"
    no = f"ASK {{ <{MESOTHERAPY}> <{LG}riskLevel> <{IRIS.risk(3)}> }}"
    assert remote.ask(yes) is embedded.ask(yes) is True
    assert remote.ask(no) is embedded.ask(no) is False


def test_the_version_is_what_push_recorded(remote, pushed):
    assert remote.version().endswith(pushed.version)
    assert remote.modified() is not None


def test_pushing_the_same_files_again_keeps_the_version_and_its_time(virtuoso, pushed):
    """The version (ETags) stayed, but its time moved to each push: a worker's kept
    documents said one Last-Modified, those rendered after it another (found by an audit)."""
    target = f"{IRIS.base}graph/twice"
    times = []
    for _ in range(2):
        push(dataset_parts(PROJECT, target), loader(virtuoso), say=quiet)
        store = RemoteStore(virtuoso.sparql, dataset_graphs(IRIS, target), version_ttl=0)
        times.append((store.version(), store.modified()))
        time.sleep(1.1)  # the time is kept to the second
    assert times[0] == times[1] and times[0][1] is not None


# --- /sparql answers: serialised by the same code as the embedded store's ---------------

@pytest.mark.parametrize("query", [
    PRODUCTS_WITH_LEVELS,
    # graph/statistics is a graph of its own in the embedded store, in the data graph on
    # a server (docs/deployment.md)
    f"SELECT DISTINCT ?g WHERE {{ GRAPH ?g {{ ?s ?p ?o }} "
    f"FILTER(?g != <{IRIS.base}graph/statistics>) }} ORDER BY ?g",
    f"SELECT (COUNT(*) AS ?n) FROM <{VIRTUOSO_SYSTEM_GRAPH}> WHERE {{ ?s ?p ?o }}",
    f"ASK {{ <product/mesotherapy> <{LG}riskLevel> ?level }}",
])
def test_public_queries_give_the_same_bytes(remote, embedded, query):
    job = QueryJob(query, FORMATS, base_iri=IRIS.base)
    assert remote.run(job).body == execute(embedded.store, job).body


def test_public_construct_is_isomorphic_and_cut_at_the_row_cap(remote, embedded):
    query = f"CONSTRUCT WHERE {{ <{MESOTHERAPY}> ?p ?o }}"
    whole = QueryJob(query, FORMATS)
    assert same_graph(Graph().parse(data=remote.run(whole).body, format="turtle"),
                      Graph().parse(data=execute(embedded.store, whole).body, format="turtle"))
    cut = remote.run(QueryJob(query, FORMATS, row_cap=3))
    assert cut.truncated and cut.count == 3
    assert cut.body.startswith(b"# Truncated")


def test_a_query_the_server_cannot_parse_is_the_client_s_error(remote, virtuoso):
    with pytest.raises(QuerySyntaxError, match="the SPARQL server: HTTP 400") as refused:
        remote.run(QueryJob("SELECT * WHERE { ?s ?p }", FORMATS))
    assert virtuoso.url not in str(refused.value)  # an internal address, once in the answer
    with pytest.raises(RemoteError) as raised:
        remote.select("SELECT * WHERE { ?s ?p }")
    assert raised.value.status == 400


def test_a_public_query_past_its_time_is_stopped_by_the_server(virtuoso, pushed):
    """This client gave up in time (503), but the query ran on in Virtuoso up to Virtuoso's
    own limit: 13 s more on a graph of 200 products, both cores busy."""
    store = RemoteStore(virtuoso.sparql, dataset_graphs(IRIS), query_timeout=1)
    assert store.version()  # as a web worker asks when it starts: the server is Virtuoso
    endless = ("SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i "
               "FILTER(STRLEN(CONCAT(STR(?c), STR(?f), STR(?i))) > 0) }")
    started = time.monotonic()
    with pytest.raises(QueryTimeout, match="the server stopped the query when its time"):
        store.run(QueryJob(endless, FORMATS))
    assert time.monotonic() - started < 1 + VIRTUOSO_OVERRUN


@pytest.mark.parametrize("parameter", ["default_graphs", "named_graphs"])
def test_a_protocol_graph_name_that_is_no_iri_is_the_client_s_error(remote, parameter):
    """It went to the server, and its echo in the answer failed as a 500."""
    job = QueryJob("ASK {}", FORMATS, **{parameter: ("not an IRI",)})
    with pytest.raises(QuerySyntaxError, match=r"graph-uri: not an IRI"):
        remote.run(job)


def test_a_closed_port_is_a_clear_error():
    store = RemoteStore(f"http://127.0.0.1:{free_port()}/sparql", dataset_graphs(IRIS))
    with pytest.raises(RemoteError, match="cannot reach the SPARQL server"):
        store.select("SELECT * WHERE { ?s ?p ?o } LIMIT 1")


# --- end to end: `lactgraph serve` reading Virtuoso --------------------------------------

def fetch(server, path: str, accept: str = "*/*") -> tuple[requests.Response, str]:
    """A response and its text with the server's origin written as `ORIGIN/`."""
    response = requests.get(server.url + path, headers={"Accept": accept}, timeout=30)
    return response, response.text.replace(server.url, "ORIGIN/")


def test_a_document_read_across_a_push_is_kept_under_no_version(start_server, virtuoso,
                                                                tmp_path):
    """A worker remembers the version for 5 s. A document rendered then, after a push, held
    the new data under the old version's ETag, and was kept: once that version was pushed
    back (a roll-back), its ETag served the other data for good (found by an audit)."""
    target = f"{IRIS.base}graph/across-a-push"
    second = tmp_path / "graph"
    second.mkdir()
    for path in (ROOT / "graph").glob("*.ttl"):
        (second / path.name).write_text(path.read_text("utf-8").replace(
            '"Mesotherapy"@en', '"Mesotherapy II"@en'), "utf-8")

    def push_from(folder: Path) -> None:
        settings = Settings(project_dir=ROOT, graph_dir=folder)
        push(dataset_parts(settings, target), loader(virtuoso), say=quiet)

    push_from(ROOT / "graph")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("LACTGRAPH_SPARQL_ENDPOINT", virtuoso.sparql)
        patch.setenv("LACTGRAPH_SPARQL_GRAPH", target)
        server = start_server()
    document = server.url + "product/mesotherapy"
    first = requests.get(document + ".ttl", timeout=30)  # the version, remembered
    push_from(second)
    across = requests.get(document + ".nt", timeout=30)
    assert "Mesotherapy II" in across.text
    assert across.headers.get("ETag") not in (None, first.headers["ETag"]) or \
        "no-store" in across.headers["Cache-Control"]
    push_from(ROOT / "graph")  # back
    back = requests.get(document + ".nt", timeout=30)
    assert back.status_code == 200 and "Mesotherapy II" not in back.text


@pytest.mark.parametrize("path", [
    "product/mesotherapy.ttl",
    "reference/konda-2013-4cca56d1.ttl",
    "risk-levels.ttl",
    "ontology.ttl",
    "shapes.ttl",
])
def test_documents_have_the_same_triples(server, remote_server, path):
    (mine, mine_text), (theirs, theirs_text) = fetch(remote_server, path), fetch(server, path)
    assert mine.status_code == theirs.status_code == 200, mine.text[:300]
    assert same_graph(Graph().parse(data=mine_text, format="turtle"),
                      Graph().parse(data=theirs_text, format="turtle"))


@pytest.mark.parametrize("path", ["shapes.nt", "shapes.jsonld", "product/mesotherapy.nt",
                                  "product/mesotherapy.jsonld", "product/mesotherapy.rdf"])
def test_every_worker_gives_the_same_bytes_of_a_document(start_server, remote_server,
                                                          virtuoso, path):
    """Under one ETag, two workers of the remote store gave two bodies: rdflib named each
    answer's blank nodes afresh, Virtuoso relabels them at each push, and the triples came
    in the order of the answers and of what a worker had kept from earlier documents
    (found by an audit)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("LACTGRAPH_SPARQL_ENDPOINT", virtuoso.sparql)
        other = start_server()
    mine, theirs = (requests.get(server.url + path, timeout=30)
                    for server in (remote_server, other))
    # (their ETags differ by the origin only)
    assert mine.text.replace(remote_server.url, "") == theirs.text.replace(other.url, "")


def test_void_gives_the_same_statistics(server, remote_server):
    """The build's statistics (products per level, the latest updates) are one graph in the
    embedded store and part of the data graph on the server: VoID asks by subject."""
    def statistics(target) -> Graph:
        response = requests.get(target.url + ".well-known/void",
                                headers={"Accept": "text/turtle"}, timeout=30)
        void = Graph().parse(data=response.text, format="turtle")
        dataset = target.url + "dataset"
        found = Graph()
        for triple in void:
            if str(triple[0]).startswith(dataset + "#") or (
                    str(triple[0]) == dataset and str(triple[2]).startswith(dataset + "#")):
                found.add(tuple(URIRef(str(t).replace(target.url, "http://origin/"))
                                if isinstance(t, URIRef) else t for t in triple))
        return found

    mine, theirs = statistics(remote_server), statistics(server)
    assert len(theirs) > 20 and same_graph(mine, theirs)


def test_void_counts_the_same_triples(server, remote_server):
    """The triples of the dumps (entries and links), whichever store: the remote one counted
    the build's statistics too, which `push` puts in the data graph."""
    def triples(target) -> int:
        response = requests.get(target.url + ".well-known/void",
                                headers={"Accept": "text/turtle"}, timeout=30)
        void = Graph().parse(data=response.text, format="turtle")
        return int(void.value(URIRef(target.url + "dataset"), VOID.triples))

    published = read_graph(sorted((ROOT / "graph").glob("*.ttl")))
    statistics = read_graph([ROOT / "graph" / "statistics.ttl"])
    assert triples(remote_server) == triples(server) == len(published) - len(statistics)


def test_the_service_description_names_the_graphs_on_the_server(remote_server):
    """It listed none: Virtuoso matches no graph to `GRAPH ?g {}`, the query that asked."""
    response = requests.get(remote_server.url + "sparql", headers={"Accept": "text/turtle"},
                            timeout=30)
    description = Graph().parse(data=response.text, format="turtle")
    names = {str(name) for name in description.objects(None, SD.name)}
    assert names == set(dataset_graphs(IRIS))


@pytest.mark.parametrize("path", ["", "product/mesotherapy.html", "search?q=meso"])
def test_pages_are_the_same(server, remote_server, path):
    (mine, mine_text), (theirs, theirs_text) = fetch(remote_server, path, "text/html"), \
        fetch(server, path, "text/html")
    assert mine.status_code == theirs.status_code == 200
    assert mine_text == theirs_text


def test_the_sparql_endpoint_gives_the_same_rows(server, remote_server):
    params = {"query": PRODUCTS_WITH_LEVELS}
    accept = {"Accept": "application/sparql-results+json"}
    mine = requests.get(remote_server.url + "sparql", params=params, headers=accept, timeout=30)
    theirs = requests.get(server.url + "sparql", params=params, headers=accept, timeout=30)
    assert mine.status_code == theirs.status_code == 200, mine.text[:300]
    assert mine.json()["results"] == theirs.json()["results"]
    assert len(mine.json()["results"]["bindings"]) >= 3


def test_serve_with_an_unreachable_endpoint_stops_with_one_clear_line():
    env = {**os.environ,
           "LACTGRAPH_SPARQL_ENDPOINT": f"http://127.0.0.1:{free_port()}/sparql"}
    result = subprocess.run([sys.executable, "-m", "lactgraph", "serve", "--port",
                             str(free_port())], cwd=ROOT, env=env, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "cannot reach the SPARQL server" in result.stderr


def test_serve_with_a_graph_the_server_does_not_hold_stops_with_one_clear_line(virtuoso,
                                                                               pushed):
    """It served an empty site: no triples, every product a 404 (found by an audit)."""
    env = {**os.environ, "LACTGRAPH_SPARQL_ENDPOINT": virtuoso.sparql,
           "LACTGRAPH_SPARQL_GRAPH": "https://example.org/not-pushed"}
    result = subprocess.run([sys.executable, "-m", "lactgraph", "serve", "--port",
                             str(free_port())], cwd=ROOT, env=env, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert ("the SPARQL server holds nothing in the graph <https://example.org/not-pushed>"
            in result.stderr)

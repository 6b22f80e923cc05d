"""The 34 tests of the W3C SPARQL 1.1 Protocol suite, run over HTTP against a live server.

Each manifest entry is a sequence of HTTP requests (method, path, headers, body) with the
expected status, result format and boolean. The server holds the suite's data files as
named graphs under the names the manifest gives them (`ut:graphData`). This endpoint is
read-only, so every update request must get a 4xx instead of its 2xx, the requests that
follow it must find the update's effect absent (their expected boolean is negated), and
the data must be unchanged afterwards.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from rdflib import Graph, Namespace, URIRef
from rdflib.collection import Collection
from rdflib.namespace import RDFS

pytestmark = pytest.mark.both_stores  # the embedded store and Virtuoso

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "w3c-protocol"
MANIFEST = FIXTURES / "manifest.ttl"

MF = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
HT = Namespace("http://www.w3.org/2011/http#")
CNT = Namespace("http://www.w3.org/2011/content#")
UT = Namespace("http://www.w3.org/2009/sparql/tests/test-update#")
HTS = Namespace("http://www.w3.org/2011/http-statusCodes#")

RESULTS_JSON = "application/sparql-results+json"
RESULTS_XML = "application/sparql-results+xml"
TABULAR = {RESULTS_JSON, RESULTS_XML, "text/csv", "text/tab-separated-values"}
RDF_TYPES = {"text/turtle": "turtle", "application/n-triples": "nt",
             "application/rdf+xml": "xml", "application/ld+json": "json-ld"}


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes | None
    statuses: frozenset[int]  # acceptable status classes: 2, 3, 4
    expected_format: str | None
    expected_boolean: bool | None

    @property
    def is_update(self) -> bool:
        content_type = self.headers.get("content-type", "")
        text = (self.body or b"").decode("utf-8", "replace")
        return ("sparql-update" in content_type or text.startswith("update=")
                or "?update=" in self.path)


@dataclass(frozen=True)
class ProtocolTest:
    name: str
    description: str
    graph_data: tuple[tuple[str, str], ...]  # (file, graph name)
    requests: tuple[Request, ...]


def _items(graph: Graph, head: URIRef | None) -> list:
    return list(Collection(graph, head)) if head is not None else []


def _request(graph: Graph, node: URIRef) -> Request:
    headers = {str(graph.value(h, HT.fieldName)).lower(): str(graph.value(h, HT.fieldValue))
               for h in _items(graph, graph.value(node, HT.headers))}
    body_node = graph.value(node, HT.body)
    body = None
    if body_node is not None:
        encoding = str(graph.value(body_node, CNT.characterEncoding) or "UTF-8")
        body = str(graph.value(body_node, CNT.chars)).encode(encoding)
    response = graph.value(node, HT.resp)
    statuses = frozenset(int(str(code)[-3]) for code in graph.objects(response,
                                                                     MF.expectedStatus))
    expected_format = graph.value(response, MF.expectedFormat)
    expected_boolean = graph.value(response, MF.expectedBoolean)
    return Request(
        method=str(graph.value(node, HT.methodName)),
        path=str(graph.value(node, HT.absolutePath)),
        headers=headers,
        body=body,
        statuses=statuses,
        expected_format=str(expected_format) if expected_format is not None else None,
        expected_boolean=expected_boolean.toPython() if expected_boolean is not None else None,
    )


def load_manifest() -> list[ProtocolTest]:
    graph = Graph().parse(MANIFEST, format="turtle")
    manifest = next(graph.subjects(MF.entries, None))
    tests = []
    for entry in _items(graph, graph.value(manifest, MF.entries)):
        action = graph.value(entry, MF.action)
        data = tuple(
            (Path(str(graph.value(d, UT.graph))).name, str(graph.value(d, RDFS.label)))
            for d in graph.objects(entry, UT.graphData)
        )
        tests.append(ProtocolTest(
            name=str(entry).rsplit("#", 1)[-1],
            description=str(graph.value(entry, MF.name)),
            graph_data=data,
            requests=tuple(_request(graph, r) for r in _items(graph, graph.value(action,
                                                                                 HT.requests))),
        ))
    return tests


TESTS = load_manifest()
# Every data file under every name the manifest gives it.
GRAPH_DATA = sorted({pair for test in TESTS for pair in test.graph_data})


def test_the_manifest_has_the_34_tests() -> None:
    assert len(TESTS) == 34
    assert len({t.name for t in TESTS}) == 34
    assert all(t.requests for t in TESTS)


def test_the_fixture_is_the_shared_copy(shared_dir: Path) -> None:
    """tests/fixtures/w3c-protocol is byte for byte ../shared/ext-tests/sparql-protocol."""
    for name in ("manifest.ttl", "data1.nt", "data2.nt", "data3.nt"):
        shared = shared_dir / "ext-tests" / "sparql-protocol" / name
        assert (FIXTURES / name).read_bytes() == shared.read_bytes(), name


@pytest.fixture(scope="session")
def w3c_server(start_server, tmp_path_factory: pytest.TempPathFactory):
    """A server whose graph folder holds the suite's data as N-Quads, one graph per file."""
    folder = tmp_path_factory.mktemp("w3c-graph")
    lines = []
    for file_name, graph_name in GRAPH_DATA:
        for line in (FIXTURES / file_name).read_text().splitlines():
            if line.strip():
                lines.append(f"{line.strip().removesuffix('.').rstrip()} <{graph_name}> .\n")
    (folder / "w3c-protocol.nq").write_text("".join(lines))
    return start_server("--graph", str(folder))


def _url(server, path: str) -> str:
    assert path.startswith("/sparql/")  # the manifest's convention, replaced by our endpoint
    return server.url + "sparql" + path[len("/sparql/"):]


def _boolean(response: requests.Response) -> bool:
    media_type = response.headers["Content-Type"].split(";")[0].strip()
    if media_type == RESULTS_JSON:
        return json.loads(response.text)["boolean"]
    assert media_type == RESULTS_XML, media_type
    root = ET.fromstring(response.content)
    element = root.find("{http://www.w3.org/2005/sparql-results#}boolean")
    return element.text.strip() == "true"


def _check_format(response: requests.Response, expected: str) -> None:
    media_type = response.headers["Content-Type"].split(";")[0].strip()
    if expected == "boolean":
        assert media_type in (RESULTS_JSON, RESULTS_XML)
        _boolean(response)  # parses
    elif expected == "tabular":
        assert media_type in TABULAR
        if media_type == RESULTS_JSON:
            assert "vars" in json.loads(response.text)["head"]
    else:
        assert expected == "RDF"
        assert media_type in RDF_TYPES
        Graph().parse(data=response.content, format=RDF_TYPES[media_type])


def _quads(server) -> int:
    response = requests.get(server.url + "sparql", params={
        "query": "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"}, timeout=30)
    assert response.status_code == 200
    return int(response.json()["results"]["bindings"][0]["n"]["value"])


@pytest.mark.parametrize("test", TESTS, ids=[t.name for t in TESTS])
def test_w3c_protocol(w3c_server, test: ProtocolTest) -> None:
    before = _quads(w3c_server)
    refused_update = False
    for req in test.requests:
        response = requests.request(req.method, _url(w3c_server, req.path),
                                    headers=req.headers, data=req.body, timeout=30)
        assert "Traceback" not in response.text
        if req.is_update:
            assert 400 <= response.status_code < 500, (test.description, response.text)
            refused_update = True
            continue
        assert response.status_code // 100 in req.statuses, (test.description, response.text)
        if req.expected_format:
            _check_format(response, req.expected_format)
        if req.expected_boolean is not None:
            # After a refused update its effect must be absent: the opposite answer.
            assert _boolean(response) is (req.expected_boolean ^ refused_update)
    assert _quads(w3c_server) == before  # nothing changed, whatever was asked
    assert _suite_data_present(w3c_server)


def _suite_data_present(server) -> bool:
    """Each data file's triple is still in the graph the manifest names for it."""
    patterns = " ".join(
        f"GRAPH <{name}> {{ <{name}> a <http://xmlns.com/foaf/0.1/Document> }}"
        for _, name in GRAPH_DATA
    )
    response = requests.get(server.url + "sparql", params={"query": f"ASK {{ {patterns} }}"},
                            headers={"Accept": RESULTS_JSON}, timeout=30)
    return response.json()["boolean"]

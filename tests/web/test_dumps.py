"""Bulk dumps and the DCAT catalogue: deterministic files, served byte for byte with
validators, whose sizes and checksums DCAT, VoID and the manifest agree on."""

from __future__ import annotations

import gzip
import hashlib
import json
import shutil
from pathlib import Path

import pytest
import requests
from pyld import jsonld
from rdflib import RDF, Graph, Namespace, URIRef

from lactgraph.dumps import (
    JSONLD_DUMP,
    MANIFEST,
    NT_DUMP,
    TURTLE_DUMP,
    read_manifest,
    write_dumps,
)

from ..rdf_compare import same_graph
from .test_jsonld import KEYWORDS, _entries

pytestmark = pytest.mark.both_stores  # the embedded store and Virtuoso

ROOT = Path(__file__).resolve().parent.parent.parent
FIXTURE_GRAPH = ROOT / "tests" / "fixtures" / "web" / "graph"
DCAT = Namespace("http://www.w3.org/ns/dcat#")
DCTERMS = Namespace("http://purl.org/dc/terms/")
SPDX = Namespace("http://spdx.org/rdf/terms#")
VOID = Namespace("http://rdfs.org/ns/void#")
IANA = "https://www.iana.org/assignments/media-types/"


@pytest.fixture(scope="module")
def graph_dir(tmp_path_factory) -> Path:
    """The bundled graph with its dumps, as `lactgraph build` leaves graph/."""
    folder = tmp_path_factory.mktemp("graph")
    shutil.copy(ROOT / "graph" / "lactgraph.ttl", folder / "lactgraph.ttl")
    write_dumps([folder / "lactgraph.ttl"], folder / "dumps")
    return folder


@pytest.fixture(scope="module")
def dumps_server(start_server, graph_dir):
    return start_server("--graph", str(graph_dir))


def published(graph_dir: Path) -> Graph:
    return Graph().parse(graph_dir / "lactgraph.ttl")


def download(server, name: str) -> requests.Response:
    response = requests.get(f"{server.url}dumps/{name}", timeout=10)
    assert response.status_code == 200, response.text
    return response


def catalog(server) -> Graph:
    response = requests.get(server.url + "catalog", headers={"Accept": "text/turtle"},
                            timeout=10)
    assert response.headers["Content-Type"].startswith("text/turtle")
    return Graph().parse(data=response.text, format="turtle")


@pytest.mark.parametrize("jobs", [1, 2])
def test_dumps_are_deterministic_and_hold_the_graph(graph_dir, tmp_path, jobs):
    cache = tmp_path / "cache.sqlite"
    for run in ("compacting", "from the cache"):
        again = write_dumps([graph_dir / "lactgraph.ttl"], tmp_path / run, jobs=jobs,
                            cache=cache)
        assert again == read_manifest(graph_dir / "dumps")  # same bytes, same checksums
        for name in (TURTLE_DUMP, NT_DUMP, JSONLD_DUMP):
            assert (tmp_path / run / name).read_bytes() == \
                (graph_dir / "dumps" / name).read_bytes()
    text = gzip.decompress((tmp_path / run / NT_DUMP).read_bytes()).decode()
    graph = published(graph_dir)
    assert same_graph(Graph().parse(data=text, format="nt"), graph)
    assert [info.triples for info in again] == [len(graph)] * 3
    assert [info.file for info in again] == [TURTLE_DUMP, NT_DUMP, JSONLD_DUMP]
    assert not (tmp_path / run / MANIFEST).read_text().startswith("[")  # JSON Lines


def test_each_dump_is_served_as_the_manifest_dcat_and_void_say(dumps_server, graph_dir):
    graph = catalog(dumps_server)
    infos = read_manifest(graph_dir / "dumps")
    dataset = URIRef(dumps_server.url + "dataset")
    distributions = set(graph.objects(dataset, DCAT.distribution))
    assert len(distributions) == len(infos) == 3
    void = Graph().parse(data=requests.get(dumps_server.url + ".well-known/void", headers={
        "Accept": "text/turtle"}, timeout=10).text, format="turtle")
    assert (dataset, URIRef("http://www.w3.org/2000/01/rdf-schema#seeAlso"),
            URIRef(dumps_server.url + "catalog")) in void
    for info in infos:
        url = URIRef(f"{dumps_server.url}dumps/{info.file}")
        node = graph.value(predicate=DCAT.downloadURL, object=url)
        assert node in distributions
        assert (dataset, VOID.dataDump, url) in void
        response = download(dumps_server, info.file)
        body = response.content
        assert int(response.headers["Content-Length"]) == len(body) == info.bytes
        assert graph.value(node, DCAT.byteSize).toPython() == len(body)
        digest = hashlib.sha256(body).hexdigest()
        checksum = graph.value(node, SPDX.checksum)
        assert graph.value(checksum, SPDX.algorithm) == SPDX.checksumAlgorithm_sha256
        assert str(graph.value(checksum, SPDX.checksumValue)) == digest == info.sha256
        assert response.headers["ETag"] == f'"{digest}"'
        assert graph.value(node, DCAT.mediaType) == URIRef(IANA + info.media_type)
        assert graph.value(node, DCTERMS.license) == URIRef(
            "https://creativecommons.org/licenses/by-nc-sa/4.0/")
        expected = "application/gzip" if info.compression else info.media_type
        assert response.headers["Content-Type"].startswith(expected)
        assert "Content-Encoding" not in response.headers  # the bytes the checksum covers
    assert gzip.decompress(download(dumps_server, TURTLE_DUMP).content) == (
        graph_dir / "lactgraph.ttl").read_bytes()
    sparql = graph.value(predicate=DCAT.endpointURL, object=URIRef(dumps_server.url + "sparql"))
    assert (sparql, RDF.type, DCAT.DataService) in graph
    assert (sparql, DCAT.servesDataset, dataset) in graph


def test_dumps_answer_conditional_requests(dumps_server):
    first = download(dumps_server, NT_DUMP)
    url = f"{dumps_server.url}dumps/{NT_DUMP}"
    for headers in ({"If-None-Match": first.headers["ETag"]},
                    {"If-Modified-Since": first.headers["Last-Modified"]}):
        again = requests.get(url, headers=headers, timeout=10)
        assert again.status_code == 304 and not again.content
    manifest = download(dumps_server, MANIFEST)
    assert [json.loads(line)["sha256"] for line in manifest.text.splitlines()][1] == hashlib.sha256(
        first.content).hexdigest()


def test_dumps_evaluate_preconditions_and_ranges_as_rfc_9110_says(dumps_server):
    """Werkzeug's send_file answered `If-Match: *` with 412 carrying the whole dump, any
    range it could not serve with 416, and a range for a weak If-Range (an audit's
    findings)."""
    first = download(dumps_server, NT_DUMP)
    url, etag = f"{dumps_server.url}dumps/{NT_DUMP}", first.headers["ETag"]

    def get(**headers: str) -> requests.Response:
        return requests.get(url, headers=headers, timeout=10)

    assert get(**{"If-Match": "*"}).content == first.content
    refused = get(**{"If-Match": '"x"'})
    assert refused.status_code == 412 and len(refused.content) < 200
    assert "Content-Disposition" not in refused.headers  # a message, not the file
    for headers in ({"If-None-Match": etag, "Range": "bytes=0-9"},  # 13.2.2: 304 first
                    {"If-Modified-Since": first.headers["Last-Modified"], "Range": "bytes=0-9"}):
        assert get(**headers).status_code == 304, headers
    assert get(**{"If-Unmodified-Since": "Mon, 01 Jan 1990 00:00:00 GMT"}).status_code == 412
    part = get(Range="bytes=0-9")
    assert (part.status_code, part.content) == (206, first.content[:10])
    assert get(Range="bytes=0-9", **{"If-Range": etag}).status_code == 206
    for headers in ({"Range": "items=0-1"}, {"Range": "bytes=0-1,5-6"},  # 14.2: ignored
                    {"Range": "bytes=0-9", "If-Range": f"W/{etag}"}):  # 13.1.5: false
        whole = get(**headers)
        assert (whole.status_code, whole.content) == (200, first.content), headers
    assert requests.get(f"{dumps_server.url}dumps/nothing.nt.gz", timeout=10).status_code == 404
    assert requests.get(f"{dumps_server.url}dumps/..%2Flactgraph.ttl",
                        timeout=10).status_code == 404


def test_the_json_ld_dump_expands_with_pyld_to_the_graph_dropping_no_key(dumps_server,
                                                                         graph_dir):
    document = json.loads(gzip.decompress(download(dumps_server, JSONLD_DUMP).content))
    assert isinstance(document["@context"], dict)  # inline: it expands offline
    nquads = jsonld.to_rdf(document, {"format": "application/n-quads"})  # no loader needed
    assert same_graph(Graph().parse(data=nquads, format="nt"), published(graph_dir))
    terms = document["@context"]
    for key, value in _entries(document, terms, {}).items():
        if key in KEYWORDS or str(terms.get(key)) in KEYWORDS:
            continue
        probe = jsonld.expand({"@context": terms, key: value})
        assert probe and any(not k.startswith("@") for k in probe[0]), f"{key!r} dropped"


def test_the_catalogue_in_json_ld_html_and_by_extension(dumps_server, graph_dir):
    turtle = catalog(dumps_server)
    response = requests.get(dumps_server.url + "catalog",
                            headers={"Accept": "application/ld+json"}, timeout=10)
    assert "Accept" in response.headers["Vary"]
    document = response.json()
    context = requests.get(document["@context"], timeout=10).json()
    document["@context"] = context["@context"]
    assert same_graph(Graph().parse(data=json.dumps(document), format="json-ld"), turtle)
    again = requests.get(dumps_server.url + "catalog.ttl",
                         headers={"If-None-Match": requests.get(
                             dumps_server.url + "catalog.ttl", timeout=10).headers["ETag"]},
                         timeout=10)
    assert again.status_code == 304
    page = requests.get(dumps_server.url + "catalog", headers={"Accept": "text/html"},
                        timeout=10).text
    for info in read_manifest(graph_dir / "dumps"):
        assert f'href="{dumps_server.url}dumps/{info.file}"' in page and info.sha256 in page
    block = page.split('<script type="application/ld+json">')[1].split("</script>")[0]
    data = json.loads(block)
    assert data["@type"] == "Dataset"
    assert len(data["distribution"]) == 3


@pytest.mark.parametrize("path", ["dumps/", "dumps"])
def test_the_dumps_folder_sends_the_client_to_the_catalogue_that_lists_them(dumps_server,
                                                                             graph_dir, path):
    """Once a 404, where a harvester looks for the list of dumps."""
    response = requests.get(dumps_server.url + path, allow_redirects=False, timeout=10)
    assert response.status_code == 303
    assert response.headers["Location"] == dumps_server.url + "catalog"
    listed = requests.get(dumps_server.url + path, headers={"Accept": "text/html"},
                          timeout=10).text
    assert all(f"dumps/{info.file}" in listed for info in read_manifest(graph_dir / "dumps"))


def test_a_graph_without_dumps_lists_none(start_server):
    bare = start_server("--graph", str(FIXTURE_GRAPH))
    graph = catalog(bare)
    assert not list(graph.objects(None, DCAT.distribution))
    assert list(graph.subjects(RDF.type, DCAT.DataService))
    assert requests.get(f"{bare.url}dumps/{NT_DUMP}", timeout=10).status_code == 404

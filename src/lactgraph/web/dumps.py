"""The bulk dumps (`/dumps/<file>`) and the DCAT catalogue that lists them (`/catalog`).

The build writes the dumps and their manifest into `<graph>/dumps/` (see
`lactgraph.dumps`); this blueprint serves what the manifest lists, byte for byte, with
the manifest's SHA-256 as a strong ETag, the file's time as Last-Modified, ranges, and
304 on a match. A gzip dump is served as `application/gzip` without Content-Encoding, so
that the bytes saved are the bytes the checksum covers; the catalogue says what is inside
(`dcat:mediaType`) and how it is packed (`dcat:compressFormat`).

The catalogue (DCAT 3) describes the dataset, one distribution per dump (media type, byte
size, SPDX checksum, licence, download URL), the SPARQL endpoint and the collections as
data services. It is a document like the others: negotiated in place at `/catalog`, also
at `/catalog.ttl`, `.jsonld`, ..., with ETag and Last-Modified. `/dumps/` itself sends the
client there (303).
"""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Response, abort, redirect, render_template
from rdflib import RDF, XSD, Graph, Literal, Namespace, URIRef

from ..dumps import FOLDER, MANIFEST, DumpInfo, read_manifest
from ..to_rdf import DCTERMS, FOAF
from ..vocab import PREFIXES
from . import urls
from .context import site
from .entities import document_response, negotiated, not_acceptable
from .preconditions import file_modified, send_conditional
from .renderers import DOCUMENT_FORMATS

blueprint = Blueprint("dumps", __name__)

DCAT = Namespace(PREFIXES["dcat"])
VOID = Namespace(PREFIXES["void"])
SPDX = Namespace("http://spdx.org/rdf/terms#")
IANA = "https://www.iana.org/assignments/media-types/"

KEYWORDS = ("breastfeeding", "lactation", "drug safety", "linked data")
_LABELS = {"text/turtle": "Turtle", "application/n-triples": "N-Triples",
           "application/ld+json": "JSON-LD"}


def dumps_dir() -> Path:
    """Absolute: Flask's send_file reads a relative path from the package, not the cwd."""
    return (site().settings.graph_path / FOLDER).resolve()


def available() -> list[DumpInfo]:
    """The dumps the manifest lists whose files are there."""
    folder = dumps_dir()
    return [info for info in read_manifest(folder) if (folder / info.path).is_file()]


def dump_iri(info: DumpInfo) -> str:
    """The dump's IRI under the base (served, mapped, at /dumps/<file>)."""
    return f"{site().iris.base}{FOLDER}/{info.file}"


def download_url(info: DumpInfo) -> str:
    return urls.url(dump_iri(info))


def catalog_iri() -> str:
    return site().iris.base + "catalog"


@blueprint.get(f"/{FOLDER}")
@blueprint.get(f"/{FOLDER}/")
def dumps_index() -> Response:
    """The folder's listing is the catalogue: it names each dump with its size and checksum."""
    return redirect(urls.url(catalog_iri()), 303)


@blueprint.get(f"/{FOLDER}/<name>")
def dump(name: str) -> Response:
    """One dump, or the manifest, conditional on its validators."""
    folder = dumps_dir()
    if name == MANIFEST and (folder / MANIFEST).is_file():
        path = folder / MANIFEST
        return send_conditional(path, mimetype="application/jsonl", max_age=3600)
    info = next((info for info in available() if info.file == name), None)
    if info is None:
        abort(404)
    path = folder / info.path
    mimetype = info.compression or info.media_type
    if info.compression is None:
        mimetype += "; charset=utf-8"
    response = send_conditional(path, info.sha256, mimetype=mimetype, max_age=3600,
                                download_name=info.file)
    if response.status_code in (200, 206):  # not on a 412's message
        response.headers["Content-Disposition"] = f'attachment; filename="{info.file}"'
    return response


def catalog_graph() -> Graph:
    """The DCAT catalogue: the dataset, its distributions and its services."""
    from .meta import DESCRIPTION, LICENSE, SOURCE, TITLE  # meta links the catalogue

    iris = site().iris
    catalog, dataset = URIRef(catalog_iri()), URIRef(iris.dataset)

    graph = Graph()
    add = graph.add
    add((catalog, RDF.type, DCAT.Catalog))
    add((catalog, DCTERMS.title, Literal("lactgraph catalogue", lang="en")))
    add((catalog, DCTERMS.description, Literal(
        "The lactgraph dataset, its bulk dumps, its SPARQL endpoint and its collections.",
        lang="en")))
    add((catalog, DCAT.dataset, dataset))
    add((catalog, FOAF.homepage, URIRef(iris.base)))
    add((dataset, RDF.type, DCAT.Dataset))
    add((dataset, RDF.type, VOID.Dataset))
    add((dataset, DCTERMS.title, Literal(TITLE, lang="en")))
    add((dataset, DCTERMS.description, Literal(DESCRIPTION, lang="en")))
    add((dataset, DCTERMS.license, URIRef(LICENSE)))
    add((dataset, DCTERMS.source, URIRef(SOURCE)))
    add((dataset, DCAT.landingPage, URIRef(iris.base)))
    for keyword in KEYWORDS:
        add((dataset, DCAT.keyword, Literal(keyword, lang="en")))
    infos = available()
    for info in infos:
        _distribution(graph, dataset, info, LICENSE)
    if infos:
        latest = max(file_modified(dumps_dir() / info.path) for info in infos)
        add((catalog, DCTERMS.modified, Literal(latest.isoformat(), datatype=XSD.dateTime)))
    _service(graph, catalog, dataset, "sparql", "SPARQL endpoint",
             "https://www.w3.org/TR/sparql11-protocol/", iris.base + "sparql")
    _service(graph, catalog, dataset, "collections", "Collections and change feed (Hydra)",
             "http://www.w3.org/ns/hydra/core", iris.base + "collections")
    return graph


def _distribution(graph: Graph, dataset: URIRef, info: DumpInfo, licence: str) -> None:
    """One dump as a dcat:Distribution (hash IRIs under the catalogue: no blank nodes)."""
    node = URIRef(f"{catalog_iri()}#{info.file}")
    checksum = URIRef(f"{catalog_iri()}#{info.file}-sha256")
    download = URIRef(dump_iri(info))
    label = _LABELS.get(info.media_type, info.media_type)
    packed = " (gzip)" if info.compression else ""
    add = graph.add
    add((dataset, DCAT.distribution, node))
    add((node, RDF.type, DCAT.Distribution))
    add((node, DCTERMS.title, Literal(f"{label} dump{packed}", lang="en")))
    add((node, DCAT.downloadURL, download))
    add((node, DCAT.accessURL, download))
    add((node, DCAT.mediaType, URIRef(IANA + info.media_type)))
    if info.compression:
        add((node, DCAT.compressFormat, URIRef(IANA + info.compression)))
    add((node, DCAT.byteSize, Literal(info.bytes, datatype=XSD.nonNegativeInteger)))
    add((node, DCTERMS.license, URIRef(licence)))
    add((node, VOID.triples, Literal(info.triples)))
    add((node, SPDX.checksum, checksum))
    add((checksum, RDF.type, SPDX.Checksum))
    add((checksum, SPDX.algorithm, SPDX.checksumAlgorithm_sha256))
    add((checksum, SPDX.checksumValue, Literal(info.sha256, datatype=XSD.hexBinary)))


def _service(graph: Graph, catalog: URIRef, dataset: URIRef, key: str, title: str,
             standard: str, endpoint: str) -> None:
    node = URIRef(f"{catalog_iri()}#{key}")
    add = graph.add
    add((catalog, DCAT.service, node))
    add((node, RDF.type, DCAT.DataService))
    add((node, DCTERMS.title, Literal(title, lang="en")))
    add((node, DCAT.endpointURL, URIRef(endpoint)))
    add((node, DCTERMS.conformsTo, URIRef(standard)))
    add((node, DCAT.servesDataset, dataset))


def structured_data(infos: list[DumpInfo]) -> dict[str, object]:
    """The schema.org Dataset of the catalogue page (what dataset search engines index)."""
    from .embedded import SCHEMA_ORG
    from .meta import DESCRIPTION, LICENSE, SOURCE, TITLE

    return {
        "@context": SCHEMA_ORG, "@type": "Dataset", "@id": urls.url(site().iris.dataset),
        "name": TITLE, "description": DESCRIPTION, "license": LICENSE,
        "url": urls.public_base(), "isBasedOn": SOURCE, "keywords": list(KEYWORDS),
        "creator": {"@type": "Organization", "name": "APILAM (e-lactancia.org)", "url": SOURCE},
        "distribution": [{"@type": "DataDownload", "contentUrl": download_url(info),
                          "encodingFormat": info.media_type, "contentSize": f"{info.bytes} B",
                          "sha256": info.sha256} for info in infos],
    }


def _catalog_page(iri: str, graph: Graph) -> str:
    infos = available()
    return render_template("catalog.html", infos=infos, url=download_url,
                           labels=_LABELS, structured_data=structured_data(infos),
                           formats=[(fmt.label, urls.document(iri, fmt.extension))
                                    for fmt in DOCUMENT_FORMATS])


@blueprint.get("/catalog")
@blueprint.get("/catalog.<extension>")
def catalog(extension: str | None = None) -> Response:
    """The catalogue, negotiated in place (or by extension), conditional on its ETag."""
    in_place = extension is None
    if in_place:
        fmt = negotiated(DOCUMENT_FORMATS)
        if fmt is None:
            return not_acceptable(DOCUMENT_FORMATS)
        extension = fmt.extension
    response = document_response(catalog_iri(), extension, catalog_graph, _catalog_page)
    if in_place:
        response.headers["Vary"] = "Accept"
    return response

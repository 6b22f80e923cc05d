"""Accepted mappings -> links in the graph, and their description as VoID linksets.

- Every positive row of `mappings/<target>.sssom.tsv` (never `candidates/`) becomes a
  direct link with its SKOS predicate; an exact match also gives `schema:sameAs`, which
  harvesters read. Never `owl:sameAs` to an outside IRI: it would make our risk levels
  statements about Wikidata's or ChEBI's resources.
- A reference with a PMID or a DOI links to its PubMed and DOI IRIs with `schema:sameAs`:
  those identifiers name the article itself (`skos:exactMatch` would make an article a
  `skos:Concept` through the property's domain, and `rdfs:seeAlso` says too little to
  join on).
- Each mapping set is described as VoID linksets, one per link predicate (VoID gives a
  linkset one `void:linkPredicate`), with its target dataset, its number of triples, its
  licence and the SSSOM file it comes from (`dcterms:source`, served at
  `<base>mappings/<file>`).

Linksets and target datasets get hash IRIs under the dataset IRI (`<base>dataset#...`),
so they dereference to the VoID document that describes them.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from rdflib import RDF, RDFS, Graph, Literal, Namespace, URIRef

from ..iris import IriScheme
from ..to_rdf import BIBO, DCTERMS, FABIO, FOAF, SCHEMA, SKOS
from . import prefixes
from .sssom import SUFFIX, MappingSet, MappingsInvalid, check_mapping_sets, read_mapping_set
from .subjects import graph_subjects
from .targets import REFERENCE_TARGETS, TARGETS, Target, target_of_curie

VOID = Namespace(prefixes.vocabulary_prefixes()["void"])

_DOI_IN_URL = re.compile(r"^https?://(?:dx\.)?doi\.org/(10\.[0-9]{4,9}/\S+)$", re.IGNORECASE)


def accepted_sets(mappings_dir: Path) -> list[MappingSet]:
    """The accepted mapping sets: `mappings/*.sssom.tsv`, not the candidates below it."""
    if not mappings_dir.is_dir():
        return []
    return [read_mapping_set(p) for p in sorted(mappings_dir.glob(f"*{SUFFIX}")) if p.is_file()]


def _local(predicate: URIRef) -> str:
    return re.split(r"[#/]", str(predicate))[-1]


def _links(sets: Iterable[MappingSet], base: str | None) -> dict[tuple[str, URIRef],
                                                                   list[tuple]]:
    """(mapping set name, link predicate) -> the triples it publishes."""
    links: dict[tuple[str, URIRef], list[tuple]] = defaultdict(list)
    for ms in sets:
        for mapping in ms.mappings:
            if mapping.negated:
                continue
            subject = prefixes.expand(mapping.subject_id, base)
            predicate = prefixes.expand(mapping.predicate_id, base)
            target = prefixes.expand(mapping.object_id, base)
            if not (subject and predicate and target):
                continue
            triple = (URIRef(subject), URIRef(predicate), URIRef(target))
            links[(ms.name, triple[1])].append(triple)
            if triple[1] == SKOS.exactMatch:
                links[(ms.name, SCHEMA.sameAs)].append((triple[0], SCHEMA.sameAs, triple[2]))
    return links


def _bound(graph: Graph, base: str | None) -> Graph:
    for prefix, namespace in prefixes.prefix_map(base).items():
        graph.bind(prefix, namespace, override=True)
    return graph


def mapping_links(sets: Iterable[MappingSet], base: str | None = None) -> Graph:
    """The direct links of the accepted mappings (skos:*Match, and schema:sameAs for exact)."""
    graph = _bound(Graph(bind_namespaces="none"), base)
    for triples in _links(sets, base).values():
        for triple in triples:
            graph.add(triple)
    return graph


def _reference_iris(graph: Graph, reference: URIRef) -> dict[str, set[str]]:
    """PubMed and DOI IRIs of a reference, from bibo:pmid, bibo:doi and DOI links."""
    found: dict[str, set[str]] = defaultdict(set)
    pubmed, doi = REFERENCE_TARGETS["pubmed"], REFERENCE_TARGETS["doi"]
    for predicate in (BIBO.pmid, FABIO.hasPubMedId):
        found["pubmed"] |= {pubmed.namespace + str(p).strip()
                            for p in graph.objects(reference, predicate)}
    dois = {str(d).strip() for d in graph.objects(reference, BIBO.doi)}
    for url in graph.objects(reference, RDFS.seeAlso):
        if match := _DOI_IN_URL.match(str(url)):
            dois.add(match.group(1))
    found["doi"] |= {doi.namespace + d for d in dois}
    return {name: {i for i in iris if re.match(REFERENCE_TARGETS[name].iri_pattern, i)}
            for name, iris in found.items()}


def reference_links(graph: Graph, base: str | None = None) -> Graph:
    """`<reference> schema:sameAs <https://identifiers.org/pubmed:N>` (and DOI IRIs)."""
    links = _bound(Graph(bind_namespaces="none"), base)
    for reference in set(graph.subjects(RDF.type, FABIO.JournalArticle)):
        if isinstance(reference, URIRef):
            for iris in _reference_iris(graph, reference).values():
                for iri in iris:
                    links.add((reference, SCHEMA.sameAs, URIRef(iri)))
    return links


def _describe_target(graph: Graph, node: URIRef, target: Target) -> None:
    graph.add((node, RDF.type, VOID.Dataset))
    graph.add((node, DCTERMS.title, Literal(target.title, lang="en")))
    graph.add((node, FOAF.homepage, URIRef(target.homepage)))
    graph.add((node, VOID.uriSpace, Literal(target.namespace)))


def _linkset(graph: Graph, iris: IriScheme, name: str, predicate: URIRef, triples: int,
             target: Target) -> URIRef:
    dataset = URIRef(iris.dataset)
    node = URIRef(f"{iris.dataset}#linkset-{name}-{_local(predicate)}")
    target_node = URIRef(f"{iris.dataset}#target-{target.name}")
    _describe_target(graph, target_node, target)
    graph.add((dataset, VOID.subset, node))
    graph.add((node, RDF.type, VOID.Linkset))
    graph.add((node, VOID.subjectsTarget, dataset))
    graph.add((node, VOID.objectsTarget, target_node))
    graph.add((node, VOID.linkPredicate, predicate))
    graph.add((node, VOID.triples, Literal(triples)))
    return node


def linkset_graph(sets: Iterable[MappingSet], base: str | None = None,
                  references: Graph | None = None) -> Graph:
    """VoID linksets: one per (mapping set, link predicate), and for reference links."""
    sets = list(sets)
    iris = IriScheme(base or prefixes.default_base())
    graph = _bound(Graph(bind_namespaces="none"), base)
    by_name = {ms.name: ms for ms in sets}
    for (name, predicate), triples in sorted(_links(sets, base).items()):
        ms = by_name[name]
        objects = {target_of_curie(m.object_id) for m in ms.mappings if not m.negated}
        target = TARGETS.get(name) or next((t for t in objects if t), None)
        if target is None:
            continue
        node = _linkset(graph, iris, name, predicate, len(set(triples)), target)
        graph.add((node, DCTERMS.title, Literal(f"lactgraph to {target.title} "
                                                f"({_local(predicate)})", lang="en")))
        graph.add((node, DCTERMS.source, URIRef(f"{iris.base}mappings/{name}{SUFFIX}")))
        if license_iri := ms.metadata.get("license"):
            graph.add((node, DCTERMS.license, URIRef(str(license_iri))))
    for name, target in REFERENCE_TARGETS.items():
        count = len({(s, o) for s, _, o in (references or Graph()).triples(
            (None, SCHEMA.sameAs, None)) if re.match(target.iri_pattern, str(o))})
        if count:
            node = _linkset(graph, iris, f"references-{name}", SCHEMA.sameAs, count, target)
            graph.add((node, DCTERMS.title, Literal(f"lactgraph references to {target.title}",
                                                    lang="en")))
    return graph


def published_links(mappings_dir: Path, data: Graph, base: str | None = None) -> Graph:
    """Everything the build adds to the graph for links: checked mappings as links,
    reference links, and the linksets. Raises MappingsInvalid (file:line problems) when an
    accepted mapping set is wrong, so that the build writes nothing."""
    sets = accepted_sets(mappings_dir)
    problems = check_mapping_sets(sets, graph_subjects(data, base), base)
    if problems:
        raise MappingsInvalid(problems)
    references = reference_links(data, base)
    graph = mapping_links(sets, base)
    graph += references
    graph += linkset_graph(sets, base, references)
    return graph


@dataclass(frozen=True)
class ExternalLink:
    """A link as an entity page shows it: which target, which identifier, how related."""

    target: str  # the target's title, e.g. "ChEBI"
    curie: str  # CHEBI:46195
    iri: str
    relation: str  # exactMatch, closeMatch... or sameAs


def external_links(pairs: Iterable[tuple[str, str]]) -> list[ExternalLink]:
    """The (predicate IRI, object IRI) pairs of an entity that are links to a target,
    sorted by target and identifier, for the entity pages."""
    link_predicates = {str(SKOS[f"{k}Match"]) for k in ("exact", "close", "broad", "narrow",
                                                         "related")} | {str(SCHEMA.sameAs)}
    found = set()
    for predicate, obj in pairs:
        curie = prefixes.compress(obj) if predicate in link_predicates else None
        prefix = curie.split(":", 1)[0] if curie else None
        target = next((t for t in (*TARGETS.values(), *REFERENCE_TARGETS.values())
                       if t.prefix == prefix), None)
        if target is not None and re.match(target.iri_pattern, obj):
            found.add(ExternalLink(target.title, curie, obj, _local(URIRef(predicate))))
    return sorted(found, key=lambda link: (link.target, link.curie, link.relation))

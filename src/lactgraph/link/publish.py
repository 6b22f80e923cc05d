"""Accepted mappings -> links in the graph, and their description as VoID linksets.

- Every positive row of `mappings/<target>.sssom.tsv` (never `candidates/`) becomes a
  direct link with its SKOS predicate; an exact match also gives `schema:sameAs`, which
  harvesters read; a reference's, `schema:sameAs` alone (see below). Never `owl:sameAs`
  to an outside IRI: it would make our risk levels statements about Wikidata's or
  ChEBI's resources.
- A reference with a PMID or a DOI links to its PubMed and DOI IRIs with `schema:sameAs`
  (written with the entry, by `to_rdf`): those identifiers name the article itself
  (`skos:exactMatch` would make an article a `skos:Concept` through the property's
  domain, and `rdfs:seeAlso` says too little to join on).
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

from rdflib import RDF, Graph, Literal, Namespace, URIRef

from ..iris import IriScheme
from ..to_rdf import DCTERMS, FABIO, FOAF, SCHEMA, SKOS
from . import prefixes
from .sssom import SUFFIX, MappingSet, MappingsInvalid, check_mapping_sets, read_mapping_set
from .subjects import graph_subjects
from .targets import REFERENCE_TARGETS, TARGETS, Target

VOID = Namespace(prefixes.vocabulary_prefixes()["void"])

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
            if not mapping.subject_id.startswith("reference:"):  # an article is no Concept
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


def reference_links(graph: Graph) -> Graph:
    """The links of the graph's references to their PubMed and DOI IRIs (`schema:sameAs`,
    written by the build from each reference's PMID and DOI link)."""
    links = Graph(bind_namespaces="none")
    patterns = [target.iri_pattern for target in REFERENCE_TARGETS.values()]
    for reference in set(graph.subjects(RDF.type, FABIO.JournalArticle)):
        for iri in graph.objects(reference, SCHEMA.sameAs):
            if any(re.match(pattern, str(iri)) for pattern in patterns):
                links.add((reference, SCHEMA.sameAs, iri))
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
                  reference_targets: Iterable[str] = ()) -> Graph:
    """VoID linksets: one per (mapping set, link predicate), and one per target of the
    references' links, given as the IRIs those links point at."""
    sets = list(sets)
    iris = IriScheme(base or prefixes.default_base())
    graph = _bound(Graph(bind_namespaces="none"), base)
    by_name = {ms.name: ms for ms in sets}
    for (name, predicate), triples in sorted(_links(sets, base).items()):
        ms = by_name[name]
        target = TARGETS[name]  # an accepted set is one target's (`mappings check`)
        node = _linkset(graph, iris, name, predicate, len(set(triples)), target)
        graph.add((node, DCTERMS.title, Literal(f"lactgraph to {target.title} "
                                                f"({_local(predicate)})", lang="en")))
        graph.add((node, DCTERMS.source, URIRef(f"{iris.base}mappings/{name}{SUFFIX}")))
        if license_iri := ms.metadata.get("license"):
            graph.add((node, DCTERMS.license, URIRef(str(license_iri))))
    reference_targets = list(reference_targets)
    for name, target in REFERENCE_TARGETS.items():
        count = sum(1 for iri in reference_targets if re.match(target.iri_pattern, iri))
        if count:
            node = _linkset(graph, iris, f"references-{name}", SCHEMA.sameAs, count, target)
            graph.add((node, DCTERMS.title, Literal(f"lactgraph references to {target.title}",
                                                    lang="en")))
    return graph


def links_graph(sets: list[MappingSet], subjects: set[str], reference_targets: Iterable[str],
                base: str | None = None) -> Graph:
    """What the build publishes for links: the accepted mappings as links, and the
    linksets. Raises MappingsInvalid (file:line problems) when an accepted mapping set is
    wrong or names a subject the graph does not hold, so that the build writes nothing."""
    problems = check_mapping_sets(sets, subjects, base)
    if problems:
        raise MappingsInvalid(problems)
    graph = mapping_links(sets, base)
    graph += linkset_graph(sets, base, reference_targets)
    return graph


def published_links(mappings_dir: Path, data: Graph, base: str | None = None) -> Graph:
    """links_graph for the accepted sets of a folder and a graph in memory."""
    references = [str(iri) for iri in reference_links(data).objects()]
    return links_graph(accepted_sets(mappings_dir), graph_subjects(data, base), references,
                       base)


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

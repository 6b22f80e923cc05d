"""The committed prefix map: one file, `data/prefixes.json`, for every namespace we use.

The same map serves the SSSOM files (their `curie_map`), Turtle prefixes, the JSON-LD
context and the SPARQL query page, so a CURIE means the same IRI everywhere. It has three
sections:

- `lactgraph`: our own namespaces, written against the default base; those of the data
  are rebased on demand (`rebase`), the vocabulary's stay;
- `vocabularies`: the standard vocabularies we reuse (what `vocab.PREFIXES` holds);
- `identifiers`: outside identifier namespaces as curies "extended prefix map" records.
  Their synonyms (other spellings of the prefix, other IRI forms such as identifiers.org
  or bioregistry.io) let us read CURIEs and IRIs written by others and standardise them.

The `identifiers` section is regenerated from bioregistry (a dev dependency that ships its
data, so this works offline) by `python -m lactgraph.link.prefixes`; `--check` says whether
the committed file is current. Reading the map needs only the standard library, so that
`vocab` can load it without pulling in curies or rdflib; curies is imported when a
converter is asked for.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import curies

PREFIX_FILE = "data/prefixes.json"


@dataclass(frozen=True)
class Source:
    """Where an identifier namespace comes from when the map is regenerated.

    `iri` is "rdf" (bioregistry's RDF IRI form), "miriam" (identifiers.org, for namespaces
    that publish no RDF IRIs of their own), "default" (bioregistry's first choice), or an
    IRI prefix chosen by hand where bioregistry has no RDF form.
    """

    prefix: str
    bioregistry: str | None
    iri: str


# The prefix written is bioregistry's preferred prefix where it has one (CHEBI, NCBITaxon,
# MONDO), else its canonical prefix; MESH is upper-cased as OBO ontologies and SSSOM files
# write it. ATC and RxNorm use the class IRIs of their RDF/OWL releases on BioPortal
# (purl.bioontology.org): a concept IRI, where bioregistry's default for ATC is a page of
# the WHO's web site and identifiers.org only redirects to such pages.
SOURCES: tuple[Source, ...] = (
    Source("wikidata", "wikidata", "rdf"),
    Source("wdt", None, "http://www.wikidata.org/prop/direct/"),
    Source("CHEBI", "chebi", "rdf"),
    Source("atc", "atc", "http://purl.bioontology.org/ontology/ATC/"),
    Source("MESH", "mesh", "rdf"),
    Source("drugbank", "drugbank", "miriam"),
    Source("rxnorm", "rxnorm", "http://purl.bioontology.org/ontology/RXNORM/"),
    Source("unii", "unii", "miriam"),
    Source("pubchem.compound", "pubchem.compound", "rdf"),
    Source("NCBITaxon", "ncbitaxon", "rdf"),
    Source("MONDO", "mondo", "rdf"),
    Source("pubmed", "pubmed", "miriam"),
    Source("doi", "doi", "default"),
    Source("semapv", "semapv", "rdf"),
    Source("orcid", "orcid", "rdf"),
)


@cache
def _committed() -> dict[str, Any]:
    text = resources.files("lactgraph").joinpath(PREFIX_FILE).read_text("utf-8")
    return json.loads(text)


def default_base() -> str:
    """The base IRI the `lactgraph` section is written against."""
    return _committed()["base"]


def vocabulary_prefixes() -> dict[str, str]:
    """The reused standard vocabularies, prefix -> namespace (vocab.PREFIXES)."""
    return dict(_committed()["vocabularies"])


# What lies under the default base and is vocabulary, not data: the ontology, its shapes,
# the risk levels and their scheme. It stays there whatever the data's base (a
# vocabulary's namespace does not move with the data that uses it: iris.IriScheme).
_VOCABULARY_PATHS = ("ontology", "shapes", "risk/", "risk-levels")


def rebase(iri: str, base: str) -> str:
    """An IRI written against the default base, for data minted under base: the data's
    namespaces move with the base, the vocabulary's stay; any other string is unchanged."""
    default = default_base()
    if not iri.startswith(default) or iri[len(default):].startswith(_VOCABULARY_PATHS):
        return iri
    return base + iri[len(default):]


def own_prefixes(base: str | None = None) -> dict[str, str]:
    """Our own namespaces (lg, product, reference...) for data under a base IRI."""
    base = base or default_base()
    return {prefix: rebase(namespace, base)
            for prefix, namespace in _committed()["lactgraph"].items()}


def identifier_records() -> list[dict[str, Any]]:
    """The outside identifier namespaces, as curies extended prefix map records."""
    return [dict(record) for record in _committed()["identifiers"]]


def identifier_prefixes() -> dict[str, str]:
    """The outside identifier namespaces, canonical prefix -> IRI prefix."""
    return {record["prefix"]: record["uri_prefix"] for record in _committed()["identifiers"]}


def prefix_map(base: str | None = None) -> dict[str, str]:
    """Every canonical prefix: for Turtle prefixes, the JSON-LD context, the SPARQL page."""
    return {**own_prefixes(base), **vocabulary_prefixes(), **identifier_prefixes()}


@cache
def converter(base: str | None = None) -> curies.Converter:
    """The whole map as a curies Converter (synonyms included), for IRIs under base."""
    import curies

    simple = {**own_prefixes(base), **vocabulary_prefixes()}
    records = [{"prefix": p, "uri_prefix": ns} for p, ns in simple.items()]
    return curies.Converter.from_extended_prefix_map(records + identifier_records())


def expand(curie: str, base: str | None = None) -> str | None:
    """The IRI of a CURIE (any known spelling of its prefix), or None if unknown or not a
    CURIE (curies raises on a text without a colon)."""
    return converter(base).expand(curie) if ":" in curie else None


def compress(iri: str, base: str | None = None) -> str | None:
    """The canonical CURIE of an IRI (any known IRI form), or None if unknown."""
    return converter(base).compress(iri)


def standardize(curie: str, base: str | None = None) -> str | None:
    """A CURIE with its canonical prefix ("chebi:1" -> "CHEBI:1"), or None if unknown or not
    a CURIE."""
    return converter(base).standardize_curie(curie) if ":" in curie else None


def _bioregistry_record(source: Source, known_records: curies.Converter) -> dict[str, Any]:
    """One `identifiers` record computed from bioregistry's data and the source's rule."""
    if source.bioregistry is None:
        return {"prefix": source.prefix, "uri_prefix": source.iri}
    import bioregistry

    resource = bioregistry.get_resource(source.bioregistry)
    if resource is None:
        raise ValueError(f"bioregistry does not know {source.bioregistry!r}")
    chosen = {
        "rdf": resource.get_rdf_uri_prefix,
        "miriam": lambda: bioregistry.get_miriam_uri_prefix(source.bioregistry),
        "default": resource.get_uri_prefix,
    }.get(source.iri, lambda: source.iri)()
    if not chosen:
        raise ValueError(f"bioregistry has no {source.iri} IRI form for {source.bioregistry!r}")
    known = known_records.get_record(source.bioregistry)
    prefixes = {source.bioregistry, *resource.get_synonyms()}
    iris = set()
    if known is not None:
        prefixes |= {known.prefix, *known.prefix_synonyms}
        iris |= {known.uri_prefix, *known.uri_prefix_synonyms}
    record: dict[str, Any] = {"prefix": source.prefix, "uri_prefix": chosen}
    if synonyms := sorted(prefixes - {source.prefix}):
        record["prefix_synonyms"] = synonyms
    if iri_synonyms := sorted(iris - {chosen}):
        record["uri_prefix_synonyms"] = iri_synonyms
    return record


def regenerate(current: dict[str, Any] | None = None) -> dict[str, Any]:
    """The prefix file with its `identifiers` section recomputed from bioregistry.

    The `lactgraph` and `vocabularies` sections are the project's own choices and are
    kept as they are. The result is checked by building a curies Converter from it, which
    refuses a prefix or an IRI prefix claimed twice.
    """
    import bioregistry
    import curies

    known_records = bioregistry.manager.get_converter()  # every IRI form bioregistry knows
    data = dict(current or _committed())
    data["identifiers"] = [_bioregistry_record(source, known_records) for source in SOURCES]
    simple = {**data["lactgraph"], **data["vocabularies"]}
    records = [{"prefix": p, "uri_prefix": ns} for p, ns in simple.items()]
    curies.Converter.from_extended_prefix_map(records + data["identifiers"])
    return data


def format_prefix_file(data: dict[str, Any]) -> str:
    """The file's text: stable, so that a regeneration shows a readable diff."""
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m lactgraph.link.prefixes [--check]`: regenerate the committed map."""
    parser = argparse.ArgumentParser(prog="python -m lactgraph.link.prefixes",
                                     description="Regenerate data/prefixes.json from "
                                                 "bioregistry (dev extra).")
    parser.add_argument("--check", action="store_true",
                        help="exit 1 if the committed file differs from a regeneration")
    args = parser.parse_args(argv)
    path = Path(str(resources.files("lactgraph").joinpath(PREFIX_FILE)))
    text = format_prefix_file(regenerate())
    if args.check:
        current = path.read_text("utf-8") == text
        print(f"{path}: {'up to date' if current else 'differs from bioregistry'}")
        return 0 if current else 1
    path.write_text(text, "utf-8")
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

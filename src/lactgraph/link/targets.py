"""The outside vocabularies we link to: one row per target, said once.

A target's name is its mapping file's name (`mappings/<name>.sssom.tsv`) and the value of
`lactgraph link --target`. Its IRIs are its prefix's namespace in the committed prefix map
followed by a local identifier of the given form; the SHACL snippet, the mapping checks and
the linker's chaining all read this table, so a target's IRI form is stated in one place.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from .prefixes import identifier_prefixes

EXACT_MATCH = "skos:exactMatch"
CLOSE_MATCH = "skos:closeMatch"


@dataclass(frozen=True)
class Target:
    name: str  # file stem and --target value
    prefix: str  # CURIE prefix in the committed map
    title: str
    local_id: str  # regex of a local identifier as Wikidata stores it (XSD syntax: no (?:))
    homepage: str  # the outside dataset, described as a void:Dataset
    wikidata_property: str | None = None  # the Wikidata property that chains to it
    # How a Wikidata item relates to the identifier its property gives. ATC codes name a
    # substance *in one therapeutic use* (a drug may have several), hence closeMatch.
    chain_predicate: str = EXACT_MATCH

    @property
    def namespace(self) -> str:
        return identifier_prefixes()[self.prefix]

    @property
    def iri_pattern(self) -> str:
        """A regular expression a whole IRI of this target matches (XSD and Python syntax)."""
        return f"^{regex_escape(self.namespace)}{self.local_id}$"

    def curie(self, local_id: str) -> str | None:
        """The CURIE of a local identifier, or None if it has not the target's form."""
        if re.fullmatch(self.local_id, local_id):
            return f"{self.prefix}:{local_id}"
        return None


TARGETS: dict[str, Target] = {target.name: target for target in (
    Target("wikidata", "wikidata", "Wikidata", r"Q[1-9][0-9]*", "https://www.wikidata.org/"),
    Target("chebi", "CHEBI", "ChEBI", r"[1-9][0-9]*", "https://www.ebi.ac.uk/chebi/", "P683"),
    Target("atc", "atc", "Anatomical Therapeutic Chemical classification",
           r"[A-Z]([0-9]{2}([A-Z]([A-Z]([0-9]{2})?)?)?)?",
           "https://www.whocc.no/atc_ddd_index/", "P267", CLOSE_MATCH),
    Target("mesh", "MESH", "Medical Subject Headings", r"[CDM][0-9]+",
           "https://id.nlm.nih.gov/mesh/", "P486"),
    Target("drugbank", "drugbank", "DrugBank", r"DB[0-9]{5}", "https://go.drugbank.com/",
           "P715"),
    Target("rxnorm", "rxnorm", "RxNorm", r"[1-9][0-9]{0,6}",
           "https://www.nlm.nih.gov/research/umls/rxnorm/", "P3345"),
    Target("unii", "unii", "FDA Unique Ingredient Identifier", r"[A-Z0-9]{10}",
           "https://precision.fda.gov/uniisearch", "P652"),
    Target("pubchem", "pubchem.compound", "PubChem Compound", r"[1-9][0-9]*",
           "https://pubchem.ncbi.nlm.nih.gov/", "P662"),
    Target("ncbitaxon", "NCBITaxon", "NCBI Taxonomy", r"[1-9][0-9]*",
           "https://www.ncbi.nlm.nih.gov/taxonomy", "P685"),
    Target("mondo", "MONDO", "Mondo Disease Ontology", r"[0-9]{7}",
           "https://mondo.monarchinitiative.org/", "P5270"),
)}

# Where references link (derived from their PMID or DOI, not from a mapping file).
REFERENCE_TARGETS: dict[str, Target] = {target.name: target for target in (
    Target("pubmed", "pubmed", "PubMed", r"[1-9][0-9]*", "https://pubmed.ncbi.nlm.nih.gov/"),
    Target("doi", "doi", "DOI", r"10\.[0-9]{4,9}/\S+", "https://www.doi.org/"),
)}


_DOI_IN_URL = re.compile(r"^https?://(?:dx\.)?doi\.org/(10\.[0-9]{4,9}/\S+)$", re.IGNORECASE)


def article_iris(pmids: Iterable[str], urls: Iterable[str]) -> list[str]:
    """The PubMed and DOI IRIs naming an article, from its PMIDs and the DOI links among
    its URLs; anything not of the right form is left out. Sorted."""
    pubmed, doi = REFERENCE_TARGETS["pubmed"], REFERENCE_TARGETS["doi"]
    found = {pubmed.namespace + pmid.strip() for pmid in pmids}
    found |= {doi.namespace + match.group(1) for url in urls
              if (match := _DOI_IN_URL.match(url.strip()))}
    return sorted(iri for iri in found
                  if any(re.match(t.iri_pattern, iri) for t in REFERENCE_TARGETS.values()))


def regex_escape(text: str) -> str:
    """Escape the regex metacharacters of an IRI prefix, the way both XSD and Python read."""
    return re.sub(r"([.?*+(){}\[\]^$|\\-])", r"\\\1", text)


def target_named(name: str) -> Target | None:
    return TARGETS.get(name)


def target_of_curie(curie: str) -> Target | None:
    """The target whose prefix a (standardised) CURIE has."""
    prefix = curie.split(":", 1)[0]
    return next((t for t in TARGETS.values() if t.prefix == prefix), None)

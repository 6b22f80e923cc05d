"""Shared by the ontology and shapes tests: the two graphs, a full sample entry, validation.

The sample entry is a hand-made `records.Product` that fills every field `to_rdf` knows, so
that the graph built from it holds every term the data can use.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path

import pyshacl
from rdflib import RDF, Graph, Namespace, URIRef
from rdflib.term import Node

from lactgraph.iris import IriScheme
from lactgraph.records import (
    CORPORATE_AUTHOR,
    CORRECTED_YEAR,
    EXACT,
    FUZZY_NAME,
    BrandName,
    Citation,
    OtherWriting,
    PharmacokineticValue,
    Product,
    ProductMention,
    Reference,
)
from lactgraph.sources.pharmacokinetics import PK_VARIABLES
from lactgraph.to_rdf import products_graph

ROOT = Path(__file__).resolve().parent.parent
ONTOLOGY_PATH = ROOT / "ontology" / "lactgraph.ttl"
SHAPES_PATH = ROOT / "shapes" / "lactgraph.ttl"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
SHACL_SHACL_PATH = FIXTURES / "shacl-shacl.ttl"

IRIS = IriScheme()
LG = Namespace(IRIS.term(""))
SH = Namespace("http://www.w3.org/ns/shacl#")

# A raw value per pharmacokinetic variable, as a page would show it.
PK_RAW = {
    "oral-bioavailability": "60 - 90",
    "molecular-weight": "151",
    "protein-binding": "25",
    "volume-of-distribution": "1,5 - 5",
    "pka": "9,5",
    "tmax": "0,5 - 2",
    "half-life": "1,6 ± 0,6",
    "milk-plasma-ratio": "1,1 (0,5 - 2,9)",
    "theoretical-infant-dose": "0,3",
    "relative-infant-dose": "89 / 60",
    "relative-paediatric-dose": "2",
}

SAMPLE_NAME = "Mesotherapy"
SAMPLE_PRODUCT = URIRef(IRIS.product(SAMPLE_NAME))


@cache
def _parsed(path: Path) -> Graph:
    return Graph().parse(path, format="turtle")


def load(path: Path) -> Graph:
    """A fresh copy of a Turtle file's graph (parsed once per session)."""
    copy = Graph()
    for triple in _parsed(path):
        copy.add(triple)
    for prefix, namespace in _parsed(path).namespaces():
        copy.bind(prefix, namespace)
    return copy


def sample_references() -> list[Reference]:
    return [
        Reference(
            position=1,
            text="Konda D, Thappa DM. Mesotherapy: What is new? Indian J Dermatol "
            "Venereol Leprol. 2013 Abstract",
            authors=["Konda D", "Thappa DM"],
            title="Mesotherapy: What is new?",
            journal="Indian J Dermatol Venereol Leprol",
            year=2013,
            has_abstract_link=True,
            has_full_text_link=True,
            pmid="23254729",
            abstract_url="https://www.ncbi.nlm.nih.gov/pubmed/23254729",
            full_text_url="https://example.org/konda-2013.pdf",
            publication="Indian J Dermatol Venereol Leprol. 2013;79(1):127-34",
        ),
        Reference(
            position=2,
            text="Galmés-Truyols A, Giménez-Duran J. [Outbreak of cutaneous infections "
            "due to Mycobacterium abscessus]. Enferm Infecc Microbiol Clin. 2011",
            authors=["Galmés-Truyols A", "Giménez-Duran J"],
            title="[Outbreak of cutaneous infections due to Mycobacterium abscessus]",
            journal="Enferm Infecc Microbiol Clin",
            year=2011,
        ),
        Reference(
            position=3,
            text="Centers for Disease Control and Prevention (CDC). Outbreak of "
            "mycobacterial infections. MMWR. 2005 Abstract",
            authors=["Centers for Disease Control and Prevention (CDC)"],
            title="Outbreak of mycobacterial infections",
            journal="MMWR",
            year=2005,
            has_abstract_link=True,
        ),
    ]


def sample_citations() -> list[Citation]:
    return [
        Citation("Konda 2103", "en", 120, 1, CORRECTED_YEAR, 0.9),
        Citation("Galés 2011", "en", 480, 2, FUZZY_NAME, 0.75),
        Citation("CDC 2005", "en", 610, 3, CORPORATE_AUTHOR, 0.85),
        Citation("Konda 2013", "es", 15, 1, EXACT, 1.0),
    ]


def sample_product() -> Product:
    """One entry filling every field `to_rdf` writes."""
    return Product(
        names={"en": SAMPLE_NAME, "es": "Mesoterapia"},
        source_file="sources/mesotherapy.txt",
        level=1,
        updated=date(2019, 1, 26),
        created=date(2015, 6, 2),
        commentary={
            "en": "Mesotherapy involves ... (Konda 2103) ... (Galés 2011) ... CDC 2005)",
            "es": "(Konda 2013) La mesoterapia consiste en ...",
        },
        related_products=[ProductMention("Hydrolipoclasia", 1)],
        related_groups=["Cosmetic procedures"],
        alternatives=[ProductMention("Cavitation", 0), ProductMention("Cryolipolysis", 0)],
        no_alternatives=False,
        aliases=["Intradermotherapy"],
        other_writings=[OtherWriting("Mesoteràpia", "Catalan"), OtherWriting("D02AX")],
        groups=["Aesthetic procedures"],
        brand_names=[
            BrandName("Mesoderm", countries=["Spain", "France"]),
            BrandName(
                "Mesolift Plus", countries=["Italy"], is_combination=True,
                other_ingredients=["Lidocaine"],
            ),
        ],
        pharmacokinetics=[
            PharmacokineticValue(
                key, PK_RAW.get(key, "1"), variable.unit,
                value=1.6 if key == "half-life" else None,
                minimum=60.0 if key == "oral-bioavailability" else None,
                maximum=90.0 if key == "oral-bioavailability" else None,
            )
            for key, variable in PK_VARIABLES.items()
        ],
        references=sample_references(),
        citations=sample_citations(),
        source_id=1234,
        translations={
            "Aesthetic procedures": {"es": "Procedimientos estéticos"},
            "Cavitation": {"es": "Cavitación"},
        },
    )


def sample_stubs() -> list[tuple[str, dict[str, str], int | None]]:
    """The products the sample entry names, known only by mention: (slug, names, level)."""
    return [
        ("hydrolipoclasia", {"en": "Hydrolipoclasia"}, 1),
        ("cavitation", {"en": "Cavitation"}, 0),
        ("cryolipolysis", {"en": "Cryolipolysis"}, 0),
    ]


def sample_graph() -> Graph:
    """The graph `to_rdf` builds from the sample entry and its mentions (a new one each call)."""
    return products_graph([sample_product()], sample_stubs(), IRIS)


@dataclass(frozen=True)
class Finding:
    """One validation result, reduced to what a test asserts on."""

    severity: URIRef
    focus: Node
    path: Node | None
    message: str


def validate(
    data: Graph, inference: str = "none", allow_warnings: bool = False
) -> tuple[bool, list[Finding]]:
    """Validate as the build does: the lactgraph shapes, with the ontology mixed in."""
    conforms, report, _ = pyshacl.validate(
        data,
        shacl_graph=load(SHAPES_PATH),
        ont_graph=load(ONTOLOGY_PATH),
        inference=inference,
        allow_warnings=allow_warnings,
    )
    return conforms, findings(report)


def findings(report: Graph) -> list[Finding]:
    results = []
    for result in report.subjects(RDF.type, SH.ValidationResult):
        results.append(
            Finding(
                severity=report.value(result, SH.resultSeverity),
                focus=report.value(result, SH.focusNode),
                path=report.value(result, SH.resultPath),
                message=str(report.value(result, SH.resultMessage) or ""),
            )
        )
    return results

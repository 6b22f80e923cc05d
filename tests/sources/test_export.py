"""The source's JSON export (`/API/get_term/<id>`): records, errors, and the same graph as a page.

Fixtures: tests/fixtures/export/README.md. The seed page and `mesotherapy.json` hold the same
entry, so their graphs are compared triple by triple.
"""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from rdflib import RDF, RDFS, Graph, Literal, Namespace, URIRef
from rdflib.compare import graph_diff, to_isomorphic

from lactgraph.build import import_sources
from lactgraph.errors import SourceError
from lactgraph.iris import IriScheme
from lactgraph.merge import merge_products
from lactgraph.records import CORRECTED_YEAR, EXACT, FUZZY_NAME, Product, ProductMention
from lactgraph.sources.export import read_export_document, read_export_file
from lactgraph.sources.page import read_page_file
from lactgraph.sources.references import parse_reference
from lactgraph.to_rdf import products_graph
from lactgraph.vocab import DEFAULT_BASE, PREFIXES

ROOT = Path(__file__).resolve().parents[2]
EXPORT = ROOT / "tests" / "fixtures" / "export"
SEED = ROOT / "sources" / "mesotherapy.txt"
LG = Namespace(f"{DEFAULT_BASE}ontology#")
SKOS = Namespace(PREFIXES["skos"])
SCHEMA = Namespace(PREFIXES["schema"])
BIBO = Namespace(PREFIXES["bibo"])
DCTERMS = Namespace(PREFIXES["dcterms"])
FOAF = Namespace(PREFIXES["foaf"])
PRODUCT = Namespace(f"{DEFAULT_BASE}product/")


def _read_one(path: Path) -> Product:
    products, errors = read_export_file(path)
    assert errors == []
    assert len(products) == 1
    return products[0]


def _graph(products: list[Product]) -> Graph:
    """What `build.import_sources` does with the products of any reader."""
    merged = merge_products(products)
    assert merged.errors == [] and merged.warnings == []
    return products_graph(merged.products, merged.stubs, IriScheme(DEFAULT_BASE))


@pytest.fixture(scope="module")
def mesotherapy() -> Product:
    return _read_one(EXPORT / "mesotherapy.json")


@pytest.fixture(scope="module")
def seed_page() -> Product:
    return read_page_file(SEED)


# --- one document: the seed entry as the export gives it ------------------------------------


def test_names_level_dates_and_id(mesotherapy: Product) -> None:
    assert mesotherapy.names == {"en": "Mesotherapy", "es": "Mesoterapia"}
    assert mesotherapy.level == 1
    assert mesotherapy.updated == date(2019, 1, 26)
    assert mesotherapy.created == date(2012, 3, 14)
    assert mesotherapy.source_id == 1789
    assert mesotherapy.source_file == str(EXPORT / "mesotherapy.json")


def test_commentaries_are_verbatim_in_both_languages(mesotherapy: Product, seed_page: Product
                                                     ) -> None:
    assert list(mesotherapy.commentary) == ["en", "es"]
    assert mesotherapy.commentary["en"] == seed_page.commentary["en"]
    spanish = mesotherapy.commentary["es"]
    assert spanish.startswith("La mesoterapia consiste")
    assert "(Konda 2103, Vedamurthy 2007)" in spanish  # typos kept as written
    assert spanish.count("\n\n") == 4


def test_an_untranslated_commentary_is_spanish_only() -> None:
    document = json.loads((EXPORT / "mesotherapy.json").read_text("utf-8"))
    document["producto"]["comentario_en"] = document["producto"]["comentario_es"]
    product = read_export_document(document, "untranslated.json", None, 1)
    assert list(product.commentary) == ["es"]
    assert product.commentary["es"].startswith("La mesoterapia consiste")
    graph = _graph([product])
    warnings = list(graph.objects(PRODUCT.mesotherapy, SCHEMA.breastfeedingWarning))
    assert [warning.language for warning in warnings] == ["es"]
    languages = {str(language) for language in graph.objects(None, DCTERMS.language)}
    assert languages == {"es"}  # each citation once, from the Spanish text


def test_alternatives_and_groups_keep_their_spanish_names(mesotherapy: Product) -> None:
    assert mesotherapy.alternatives == [ProductMention("Cavitation", 0),
                                        ProductMention("Cryolipolysis", 0)]
    assert mesotherapy.groups == ["Aesthetic procedures"]
    assert mesotherapy.translations == {
        "Cavitation": {"es": "Cavitación"},
        "Cryolipolysis": {"es": "Criolipólisis"},
        "Aesthetic procedures": {"es": "Procedimientos estéticos"},
    }
    assert mesotherapy.related_products == []  # the export has no key for them


def test_references_match_the_page_and_add_pubmed_ids(mesotherapy: Product, seed_page: Product
                                                      ) -> None:
    assert len(mesotherapy.references) == 20
    for exported, shown in zip(mesotherapy.references, seed_page.references, strict=True):
        assert exported.text == shown.text
        assert (exported.authors, exported.title, exported.journal, exported.year) == (
            shown.authors, shown.title, shown.journal, shown.year)
        assert exported.has_abstract_link and exported.pmid and exported.pmid.isdigit()
    first, second = mesotherapy.references[:2]
    assert (first.pmid, first.abstract_url) == (
        "23527629", "https://www.ncbi.nlm.nih.gov/pubmed/23527629")
    assert (second.pmid, second.abstract_url) == (
        "24005453", "https://pubmed.ncbi.nlm.nih.gov/24005453/")
    assert first.full_text_url is None and not first.has_full_text_link  # "" means no link
    assert mesotherapy.references[19].authors == [
        "Centers for Disease Control and Prevention (CDC)"]


def test_citations_of_both_commentaries_resolve(mesotherapy: Product, seed_page: Product
                                                ) -> None:
    english = [c for c in mesotherapy.citations if c.language == "en"]
    spanish = [c for c in mesotherapy.citations if c.language == "es"]
    assert mesotherapy.citations == english + spanish  # numbered like an English page's
    assert english == seed_page.citations
    assert len(spanish) == 22 and all(c.reference for c in spanish)
    by_text = {c.text: (c.reference, c.method) for c in spanish}
    assert by_text["Konda 2103"] == (2, CORRECTED_YEAR)
    assert by_text["Galés 2011"] == (9, FUZZY_NAME)
    assert by_text["Orjuela 2010"] == (11, EXACT)


def test_empty_pharmacokinetic_fields_are_skipped(mesotherapy: Product) -> None:
    assert mesotherapy.pharmacokinetics == []


# --- the same graph as the page import ------------------------------------------------------


@pytest.fixture(scope="module")
def graphs() -> tuple[Graph, Graph]:
    page = import_sources([SEED], DEFAULT_BASE)
    assert page.errors == []
    _products, errors = read_export_file(EXPORT / "mesotherapy.json")
    assert errors == []
    return page.graph, _graph(_products)


def test_every_triple_of_the_page_import_is_in_the_export_graph(graphs) -> None:
    """RDF lists are blank nodes: compared after canonical relabelling of both graphs."""
    page, export = graphs
    _both, page_only, _export_only = graph_diff(to_isomorphic(page), to_isomorphic(export))
    meso, hydro = PRODUCT.mesotherapy, PRODUCT.hydrolipoclasia
    provenance = {(meso, LG.importedFrom, Literal(str(SEED)))}
    # The seed's one related product: the export has no key for related products.
    related = {
        (meso, LG.relatedProduct, hydro),
        (hydro, RDF.type, LG.Product),
        (hydro, SKOS.prefLabel, Literal("Hydrolipoclasia", lang="en")),
        (hydro, RDFS.label, Literal("Hydrolipoclasia", lang="en")),
        (hydro, LG.riskLevel, URIRef(f"{DEFAULT_BASE}risk/1")),
        (hydro, FOAF.page,
         URIRef("https://www.e-lactancia.org/breastfeeding/hydrolipoclasia/product/")),
    }
    assert set(page_only) == provenance | related
    assert len(page) > 600  # the comparison covered the whole entry


def test_the_export_graph_adds_spanish_and_pubmed_ids(graphs) -> None:
    _page, export = graphs
    meso = PRODUCT.mesotherapy
    assert (meso, SKOS.prefLabel, Literal("Mesoterapia", lang="es")) in export
    warnings = {o.language for o in export.objects(meso, SCHEMA.breastfeedingWarning)}
    assert warnings == {"en", "es"}
    assert (PRODUCT.cavitation, SKOS.prefLabel, Literal("Cavitación", lang="es")) in export
    group = URIRef(f"{DEFAULT_BASE}group/aesthetic-procedures")
    assert (meso, LG.belongsToGroup, group) in export
    assert (group, SKOS.prefLabel, Literal("Procedimientos estéticos", lang="es")) in export
    assert (meso, DCTERMS.created, Literal(date(2012, 3, 14))) in export
    assert (meso, LG.sourceId, Literal(1789)) in export
    pmids = {str(pmid) for pmid in export.objects(None, BIBO.pmid)}
    assert len(pmids) == 20 and "23527629" in pmids


# --- references: the same IRI key from both inputs ------------------------------------------

BIBLIO = [
    {"titulo": "Chamomile in lactation: what do we know?", "autores": "Sánchez M, Ortiz JA.",
     "publicacion": "Rev Fitoter. 2017;17(2):115-21", "anyo": 2017,
     "abstract_link": "https://pubmed.ncbi.nlm.nih.gov/123456/", "full_text_link": None},
    {"titulo": "[Three cases of panniculitis after mesotherapy].",
     "autores": "Gutiérrez-de la Peña J, Ruiz-Veramendi M, et al",
     "publicacion": "Actas Dermosifiliogr. 2010 Mar;101(2):188-90.", "anyo": 2010,
     "abstract_link": "", "full_text_link": "https://www.actasdermo.org/es/article/1"},
    {"titulo": "Breastfeeding and maternal medication. Recommendations for drugs.",
     "autores": "World Health Organization (WHO)", "publicacion": "WHO/UNICEF", "anyo": 2002},
]


def _document(**changes: object) -> dict:
    """A small valid document; `changes` replace fields of `producto` (None removes one)."""
    document = {
        "producto": {"id": 7, "nombre_es": "Manzanilla romana", "nombre_en": "Roman chamomile",
                     "riesgo__nivel": 0, "comentario_en": "Digestive (Sánchez 2017).",
                     "fecha_modificacion": "2022-01-05T10:00:00Z"},
        "alternativas": [], "grupo": [], "biblio": copy.deepcopy(BIBLIO), "marcas": [],
    }
    for key, value in changes.items():
        if value is None:
            document["producto"].pop(key, None)
        else:
            document["producto"][key] = value
    return document


def test_reference_fields_agree_with_the_page_reading_of_the_same_line() -> None:
    """A page shows `text`; reading it back must give what the export gave field by field."""
    product = read_export_document(_document(), "doc.json", None, 1)
    for reference in product.references:
        shown = parse_reference(reference.text, reference.position)
        assert (shown.authors, shown.title, shown.journal, shown.year, shown.publication,
                shown.has_abstract_link, shown.has_full_text_link) == (
            reference.authors, reference.title, reference.journal, reference.year,
            reference.publication, reference.has_abstract_link, reference.has_full_text_link)
    first, second, third = product.references
    assert first.text == ("Sánchez M, Ortiz JA. Chamomile in lactation: what do we know? "
                          "Rev Fitoter. 2017;17(2):115-21. 2017 Abstract")
    assert (first.journal, first.publication, first.pmid) == (
        "Rev Fitoter", "Rev Fitoter. 2017;17(2):115-21", "123456")
    assert second.authors == ["Gutiérrez-de la Peña J", "Ruiz-Veramendi M"]
    assert second.title == "[Three cases of panniculitis after mesotherapy]"
    assert (second.pmid, second.has_abstract_link, second.has_full_text_link) == (
        None, False, True)
    assert third.title == "Breastfeeding and maternal medication. Recommendations for drugs"
    assert (third.journal, third.publication) == ("WHO/UNICEF", None)


# --- files: one document, an array, JSON Lines ----------------------------------------------


def test_json_lines_import_the_good_records_and_name_the_bad_ones() -> None:
    path = EXPORT / "mixed.jsonl"
    products, errors = read_export_file(path)
    assert [p.source_id for p in products] == [101, 107]
    assert [(e.path, e.line) for e in errors] == [(str(path), n) for n in (2, 3, 5, 6, 7)]
    messages = [e.message for e in errors]
    assert "'no existe producto'" in messages[0] and "not an entry" in messages[0]
    assert messages[1] == ("product 103, field producto.riesgo__nivel: level 7; "
                           "expected 0, 1, 2 or 3")
    assert messages[2].startswith("not valid JSON at column 98:")
    assert "product 105, field producto.fecha_modificacion" in messages[3]
    assert "'2019-02-30T10:00:00Z'" in messages[3]
    assert "product 106, field producto.nombre_en: lone surrogate U+D800" in messages[4]


def test_json_lines_values(tmp_path: Path) -> None:
    products, _errors = read_export_file(EXPORT / "mixed.jsonl")
    paracetamol, ondansetron = products
    assert paracetamol.updated == date(2020, 5, 4)  # the date as written, offset and all
    pk = {v.variable: (v.raw, v.unit, v.value, v.minimum, v.maximum)
          for v in paracetamol.pharmacokinetics}
    assert pk == {
        "molecular-weight": ("151", "Da", 151.0, None, None),
        "protein-binding": ("10 - 25", "%", None, 10.0, 25.0),
        "half-life": ("1,9 - 2,5", "h", None, 1.9, 2.5),
        "relative-infant-dose": ("1,1 (0,5 - 2,9)", "%", 1.1, 0.5, 2.9),
    }  # t_maximo "" is skipped
    assert [b.name for b in paracetamol.brand_names] == ["Gelocatil", "Termalgin®"]
    assert [(c.language, c.reference) for c in paracetamol.citations] == [("en", 1), ("es", 1)]
    reference = paracetamol.references[0]
    assert (reference.full_text_url, reference.has_abstract_link) == (
        "https://www.example.org/hale-2019", False)
    assert ondansetron.level == 1  # from its level name and description: no number given
    assert ondansetron.commentary == {}  # "" and a missing key alike
    assert ondansetron.alternatives == [ProductMention("Paracetamol", 0)]


def test_a_control_character_in_a_text_field_refuses_its_record(tmp_path: Path) -> None:
    """Once imported, it made every RDF/XML document and SPARQL XML answer that held the
    commentary ill-formed XML."""
    bad = _document(comentario_en="Digestive\u0001 (Sánchez 2017).")
    path = tmp_path / "terms.jsonl"
    path.write_text(json.dumps(_document()) + "\n" + json.dumps(bad) + "\n", encoding="utf-8")
    products, errors = read_export_file(path)
    assert len(products) == 1
    [error] = errors
    assert (error.line, error.message) == (2, (
        "product 7, field producto.comentario_en: control character U+0001 at character 10: "
        "not text, and XML cannot carry it; remove it"))


def test_an_array_names_the_line_each_record_starts_on(tmp_path: Path) -> None:
    good, bad = _document(), _document(riesgo__nivel="1")
    text = "[\n" + ",\n".join(json.dumps(d, indent=1) for d in (good, bad, good)) + "\n]\n"
    path = tmp_path / "terms.json"
    path.write_text(text, encoding="utf-8")
    products, errors = read_export_file(path)
    assert len(products) == 2
    [error] = errors
    assert error.line == 2 + json.dumps(good, indent=1).count("\n") + 1
    assert error.message == ("product 7, field producto.riesgo__nivel: expected a whole number, "
                             "found text")


def test_a_syntax_error_names_its_line_and_keeps_the_records_before_it(tmp_path: Path) -> None:
    path = tmp_path / "terms.json"
    path.write_text("[\n" + json.dumps(_document()) + ",\n{\"producto\": }\n]", encoding="utf-8")
    products, errors = read_export_file(path)
    assert len(products) == 1
    assert [(e.line, e.message) for e in errors] == [
        (3, "not valid JSON at column 14: Expecting value")]


def test_one_document_with_a_byte_order_mark(tmp_path: Path) -> None:
    path = tmp_path / "term.json"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(_document()).encode())
    assert _read_one(path).names["en"] == "Roman chamomile"


def test_a_byte_that_is_not_utf8_spoils_only_its_line(tmp_path: Path) -> None:
    path = tmp_path / "terms.jsonl"
    line = json.dumps(_document(), ensure_ascii=False).encode()
    path.write_bytes(line + b"\n" + line.replace(b"Roman", b"R\xffoman") + b"\n" + line + b"\n")
    products, errors = read_export_file(path)
    assert len(products) == 2
    assert [(e.line, e.message.split(" at ")[0]) for e in errors] == [(2, "byte 0xff")]


def test_a_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nowhere.jsonl"
    products, errors = read_export_file(path)
    assert products == []
    assert [(e.path, e.line, e.message) for e in errors] == [(str(path), None, "file not found")]


# --- bad records: each error names the record and the field ---------------------------------


@pytest.mark.parametrize(
    ("changes", "field", "expected"),
    [
        ({"id": None}, "producto.id", "missing"),
        ({"riesgo__nivel": True}, "producto.riesgo__nivel", "expected a whole number"),
        ({"riesgo__nivel": None}, "producto.riesgo__nivel", "no risk level"),
        ({"riesgo__nivel": 1, "riesgo__nombre_en": "Incompatible"}, "producto.riesgo__nombre_en",
         "'Incompatible' means level 3, but producto.riesgo__nivel says 1"),
        ({"riesgo__nivel": None, "riesgo__nombre_en": "Compatible",
          "riesgo__descripcion_es": "Muy inseguro. Contraindicado. Usar una alternativa o cesar "
                                    "la lactancia. Lea el Comentario."},
         "producto.riesgo__descripcion_es", "means level 3, but producto.riesgo__nombre_en says 0"),
        ({"nombre_es": "", "nombre_en": " "}, "producto.nombre_es", "no name"),
        ({"nombre_en": 5}, "producto.nombre_en", "expected text, found a number"),
        ({"comentario_es": ["a"]}, "producto.comentario_es", "expected text, found an array"),
        ({"fecha_creacion": "26/01/2019"}, "producto.fecha_creacion", "ISO 8601"),
    ],
)
def test_a_bad_field_is_named(changes: dict, field: str, expected: str) -> None:
    with pytest.raises(SourceError) as caught:
        read_export_document(_document(**changes), "terms.jsonl", 4, 4)
    assert (caught.value.path, caught.value.line) == ("terms.jsonl", 4)
    assert f"field {field}: " in caught.value.message
    assert expected in caught.value.message
    assert caught.value.message.startswith("product 7" if "id" not in changes else "record 4")


@pytest.mark.parametrize(
    ("key", "value", "field", "expected"),
    [
        ("biblio", {"titulo": "x"}, "biblio", "expected an array, found an object"),
        ("biblio", [{"titulo": "T", "anyo": "2013"}], "biblio[0].anyo", "expected a whole number"),
        ("biblio", [{"titulo": "T", "abstract_link": "pubmed 123"}], "biblio[0].abstract_link",
         "not an http(s) URL"),
        ("biblio", [{"anyo": 2013}], "biblio[0].titulo", "needs a title or authors"),
        ("alternativas", [{"nombre_en": "X", "riesgo__nivel": 4}], "alternativas[0].riesgo__nivel",
         "level 4"),
        ("grupo", ["Analgesics"], "grupo[0]", "expected an object, found text"),
        ("marcas", [{"nombre": ""}], "marcas[0].nombre", "must not be empty"),
    ],
)
def test_a_bad_list_item_is_named(key: str, value: object, field: str, expected: str) -> None:
    document = _document()
    document[key] = value
    with pytest.raises(SourceError) as caught:
        read_export_document(document, "terms.json", None, 1)
    assert f"product 7, field {field}: " in caught.value.message
    assert expected in caught.value.message


@pytest.mark.parametrize(("where", "key", "field", "meant"), [
    ("producto", "comentario_EN", "producto.comentario_EN", "comentario_en"),
    ("producto", "fecha_modificacio", "producto.fecha_modificacio", "fecha_modificacion"),
    ("(document)", "biblios", "biblios", "biblio"),
    ("biblio", "titulos", "biblio[0].titulos", "titulo"),
    # An audit's: each lost its field without a word.
    ("producto", "coment_en", "producto.coment_en", "comentario_en"),
    ("producto", "t_max", "producto.t_max", "t_maximo"),
    ("(document)", "groups", "groups", "grupo"),
    ("biblio", "anio", "biblio[0].anio", "anyo"),
    ("biblio", "autor", "biblio[0].autor", "autores"),
])
def test_a_misspelt_key_refuses_the_record(where: str, key: str, field: str, meant: str
                                           ) -> None:
    """A field under a misspelt key would be lost without a word: the record is refused,
    and the others of its file still import."""
    document = _document()
    holder = {"(document)": document, "producto": document["producto"],
              "biblio": document["biblio"][0]}[where]
    holder[key] = holder.pop(meant, "x")
    with pytest.raises(SourceError) as caught:
        read_export_document(document, "terms.jsonl", 2, 2)
    assert (f"product 7, field {field}: unknown field; did you mean {meant!r}?"
            in caught.value.message)  # the record's id, not its number (2)


def test_a_commentary_longer_than_the_sources_ever_were_imports_with_a_warning() -> None:
    product = read_export_document(_document(comentario_en="Digestive. " * 1000),
                                   "terms.jsonl", 2, 2)
    assert product.warnings == ["terms.jsonl:2: product 7: the commentary (en) has 11,000 "
                                "characters, where the source's hold at most 10,000; "
                                "imported as it is"]


def test_a_date_in_the_future_refuses_the_record() -> None:
    with pytest.raises(SourceError, match=r"product 7, field producto.fecha_modificacion: "
                                          r"3009-08-26 is in the future"):
        read_export_document(_document(fecha_modificacion="3009-08-26T10:00:00Z"),
                             "terms.jsonl", 2, 2)


def test_other_unknown_keys_import_with_a_warning_each() -> None:
    document = _document(nombre_fr="Camomille romaine", pka="3,5")
    document["url"] = "https://www.e-lactancia.org/breastfeeding/roman-chamomile/product/"
    for reference in document["biblio"]:
        reference["doi"] = "10.1000/x"
    product = read_export_document(document, "terms.jsonl", 2, 2)
    assert product.names == {"en": "Roman chamomile", "es": "Manzanilla romana"}
    items = f" (in {len(document['biblio'])} items)" if len(document["biblio"]) > 1 else ""
    assert product.warnings == [
        f"terms.jsonl:2: product 7, field {field}: not a field of the source's export; ignored"
        for field in ("url", "producto.nombre_fr", f"biblio[0].doi{items}")]


def test_a_document_that_is_not_an_object() -> None:
    with pytest.raises(SourceError, match=r"record 3, field \(document\): expected an object"):
        read_export_document([1, 2], "terms.json", None, 3)


def test_the_reader_does_not_import_rdflib() -> None:
    code = "import sys, lactgraph.sources.export; print('rdflib' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True)
    assert result.stdout.strip() == "False"

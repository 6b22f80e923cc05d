"""The name index reads the build's store as the web layer reads a store.

The build gathers the labels through Oxigraph's CSV results (`oxigraph_rows`), where the
web layer and a remote store go through rdflib terms (`store_rows`): both readers must
give the same entries, labels with the characters CSV quotes included.
"""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox

from lactgraph.iris import IriScheme
from lactgraph.search_index import entries, oxigraph_rows, store_rows
from lactgraph.store.oxigraph import OxigraphStore

BASE = "https://w3id.org/lactgraph/"
DATA = """
@prefix lg: <https://w3id.org/lactgraph/ontology#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix product: <https://w3id.org/lactgraph/product/> .
@prefix alias: <https://w3id.org/lactgraph/alias/> .
@prefix brand: <https://w3id.org/lactgraph/brand/> .
@prefix group: <https://w3id.org/lactgraph/group/> .
@prefix risk: <https://w3id.org/lactgraph/risk/> .

risk:2 skos:notation 2 .
product:quoted a lg:Product ; lg:riskLevel risk:2 ;
    skos:prefLabel "Sodium, \\"quoted\\" salt"@en , "Sal sódica"@es .
product:unlevelled a lg:Product ; skos:prefLabel "Solo en español"@es .
alias:lines a lg:Alias ; lg:aliasOf product:quoted ; skos:prefLabel "Two\\nlines, one alias" .
brand:empty a lg:BrandName ; lg:activeIngredient product:unlevelled ; skos:prefLabel "" .
group:g a lg:Group ; skos:prefLabel "Ça, va"@fr .
"""


def _store(folder: Path) -> Path:
    store = ox.Store(str(folder))
    store.load(DATA.encode("utf-8"), format=ox.RdfFormat.TURTLE,
               to_graph=ox.NamedNode(f"{BASE}graph/lactgraph"))
    store.flush()
    del store
    return folder


def test_both_readers_give_the_same_entries(tmp_path: Path) -> None:
    folder = _store(tmp_path / "store")
    iris = IriScheme(BASE)
    built = entries(oxigraph_rows(ox.Store.read_only(str(folder))), iris)
    served = entries(store_rows(OxigraphStore(folder)), iris)
    assert built == served
    quoted = (f"{BASE}product/quoted", 'Sodium, "quoted" salt', 2)
    unlevelled = (f"{BASE}product/unlevelled", f"{BASE}product/unlevelled", None)
    assert {(e.label, e.lang, e.kind, e.products) for e in built} == {
        ('Sodium, "quoted" salt', "en", "product", (quoted,)),
        ("Sal sódica", "es", "product", (quoted,)),
        ("Solo en español", "es", "product", (unlevelled,)),
        ("Two\nlines, one alias", None, "alias", (quoted,)),
        ("", None, "brand", (unlevelled,)),
        ("Ça, va", "fr", "group", ()),
    }

"""The merge: entries by slug, stubs for products known only by mention."""

from __future__ import annotations

from lactgraph.merge import merge_products
from lactgraph.records import Product, ProductMention


def test_a_name_without_letters_or_digits_is_an_error_not_an_empty_iri():
    products = [Product({"en": "%%%"}, "punctuation.txt", level=1),
                Product({"en": "Ginger"}, "ginger.txt", level=0,
                        alternatives=[ProductMention("***", 0), ProductMention("Mint", 0)])]
    merged = merge_products(products)
    assert [p.name for p in merged.products] == ["Ginger"]
    assert [(e.path, str(e)) for e in merged.errors] == [
        ("punctuation.txt", "punctuation.txt: the product's name has no letter or digit to "
                            "make its IRI from")]
    assert merged.stubs == [({"en": "Mint"}, 0)]
    assert merged.warnings == ["ginger.txt: a related product or alternative named '***' has "
                               "no letter or digit to make its IRI from; left out"]

"""The merge: entries by slug, stubs for products known only by mention."""

from __future__ import annotations

from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st
from rdflib import RDF

from lactgraph.merge import (
    EntryFacts,
    Mention,
    Placed,
    Translation,
    merge_placed,
    merge_products,
    remerge,
)
from lactgraph.records import Product, ProductMention
from lactgraph.to_rdf import products_graph

from .shape_helpers import IRIS, LG


def test_a_name_without_letters_or_digits_is_an_error_not_an_empty_iri():
    products = [Product({"en": "%%%"}, "punctuation.txt", level=1),
                Product({"en": "Ginger"}, "ginger.txt", level=0,
                        alternatives=[ProductMention("***", 0), ProductMention("Mint", 0)])]
    merged = merge_products(products)
    assert [p.name for p in merged.products] == ["Ginger"]
    assert [(e.path, str(e)) for e in merged.errors] == [
        ("punctuation.txt", "punctuation.txt: the product's name has no letter or digit to "
                            "make its IRI from")]
    assert merged.stubs == [("mint", {"en": "Mint"}, 0)]
    assert merged.warnings == ["ginger.txt: a related product or alternative named '***' has "
                               "no letter or digit to make its IRI from; left out"]


def test_a_stub_is_the_node_its_mention_links_to_even_when_translated():
    """A Spanish-only entry names an alternative in Spanish, with its English name known:
    the link and the stub are one node, that of the Spanish name the page links with."""
    page = Product({"es": "Metoclopramida"}, "metoclopramida.json", level=1,
                   alternatives=[ProductMention("Domperidona", 0)],
                   translations={"Domperidona": {"en": "Domperidone"}})
    merged = merge_products([page])
    assert merged.stubs == [("domperidona", {"es": "Domperidona", "en": "Domperidone"}, 0)]
    graph = products_graph(merged.products, merged.stubs, IRIS)
    [target] = graph.objects(predicate=LG.alternative)
    assert str(target) == IRIS.entity("product", "domperidona")
    assert (target, RDF.type, LG.Product) in graph
    assert (target, LG.riskLevel, None) in graph


def test_an_english_name_that_is_another_products_spanish_one_is_no_duplicate():
    """Two export records: one's English name is the other's Spanish one. Both IRIs come
    from English names, so neither is the other under a Spanish name (a review's finding:
    a warning said so); a Spanish page of that name would be."""
    records = [Product({"en": "Foxifenaco", "es": "Foxifenaco"}, "a.jsonl", level=0),
               Product({"en": "Foxifenac", "es": "Foxifenaco"}, "b.jsonl", level=1)]
    assert merge_products(records).warnings == []
    page = Product({"es": "Foxifenaco"}, "foxifenaco.txt", level=1)
    assert [w.split(":")[0] for w in merge_products([records[1], page]).warnings] == [
        "product/foxifenaco (imported from foxifenaco.txt) is also product/foxifenac"]


# --- a change re-decides the slugs it touches, and gives what deciding all of them gives

SLUGS = ["a", "b", "c", "d", "e", ""]  # "" is a name of punctuation only


@st.composite
def entries(draw: st.DrawFn) -> list[EntryFacts]:
    count = draw(st.integers(0, 8))
    found = []
    for i in range(count):
        mentions = tuple(  # named in the entry's language: English, or not
            Mention(slug, {draw(st.sampled_from(["en", "es"])): slug.upper() or "***"},
                    draw(st.sampled_from([None, 0, 1, 2])))
            for slug in draw(st.lists(st.sampled_from(SLUGS), max_size=4)))
        slug = draw(st.sampled_from(SLUGS))
        named = [slug, *(m.slug for m in mentions)]
        translations = tuple(  # another language's name, of the entry or of a mention
            Translation(other, product, "es", other.upper())
            for product, other in draw(st.lists(st.tuples(st.sampled_from(named),
                                                          st.sampled_from(SLUGS[:-1])),
                                                max_size=2))
            if product and other != product)
        found.append(EntryFacts(
            slug, draw(st.sampled_from(["x.json", f"{i}.txt"])),
            draw(st.sampled_from([None, 0, 3])),
            draw(st.sampled_from([None, date(2020, 1, 1), date(2024, 5, 1)])), mentions,
            translations=translations, english=draw(st.booleans())))
    return found


def _placed(files: list[list[EntryFacts]], ids: list[list[str]]) -> list[Placed]:
    return [Placed(ids[rank][position], facts, (rank, position))
            for rank, file in enumerate(files) for position, facts in enumerate(file)]


@settings(max_examples=300, deadline=None)
@given(st.lists(entries(), max_size=5), st.data())
def test_a_merge_after_a_change_equals_the_merge_of_everything(files, data):
    ids = [[f"{rank}-{position}" for position in range(len(file))]
           for rank, file in enumerate(files)]
    before = _placed(files, ids)
    merged = merge_placed(before)
    if merged.errors:  # only a build without errors is built upon
        return
    # sources change: some go, some come (a changed one goes and comes back, at its place)
    after_files, after_ids = [], []
    for rank, file in enumerate(files):
        kept = data.draw(st.sampled_from(["kept", "gone", "changed"]), f"file {rank}")
        if kept == "kept":
            after_files.append(file)
            after_ids.append(ids[rank])
        elif kept == "changed":
            after_files.append(data.draw(entries()))
            after_ids.append([f"new{rank}-{p}" for p in range(len(after_files[-1]))])
    for extra in range(data.draw(st.integers(0, 2))):
        after_files.insert(0, data.draw(entries()))
        after_ids.insert(0, [f"extra{extra}-{p}" for p in range(len(after_files[0]))])
    after = _placed(after_files, after_ids)
    now = {entry.eid for entry in after}
    removed = [entry for entry in before if entry.eid not in now]
    added = [entry for entry in after if entry.eid not in {e.eid for e in before}]

    def live(slugs: set[str]):
        return ({slug: [e for e in after if e.facts.slug == slug] for slug in slugs},
                {slug: [e for e in after if slug in e.facts.named] for slug in slugs})

    expected = merge_placed(after)
    again, touched = remerge(merged, removed, added, live)
    assert (again.products, again.stubs, again.warnings) == (
        expected.products, expected.stubs, expected.warnings)
    assert list(map(str, again.errors)) == list(map(str, expected.errors))
    assert touched <= {e.facts.slug for e in removed + added} | {
        slug for e in removed + added for slug in e.facts.named}

"""What each collection lists, in which order, with which last update; paging and the
change-feed window. The index behind a collection is computed once per store version
(`per_version`), so serving a page is a slice of it.

- Collections: products, groups, aliases, brands, writings, references, countries and
  risks (the four levels; `/risk-levels` stays the IRI of their SKOS scheme), plus
  `vocabulary` (the ontology, the shapes and the risk-level scheme), so that walking
  every collection yields every document of the published graph.
- Order: by IRI, so that pages are stable while the data is. With `since` and/or `until`
  (ISO 8601 dates or date-times, both inclusive) a collection becomes a change feed: only
  members updated in that window, newest first (a member updated on a date, not at a
  time, is in every window that holds part of that day).
- Last update: a product's `dcterms:modified` (or the date of a recorded change of its
  risk level, `lg:riskChange`, when later); for a resource that entries state (a group,
  alias, brand name, other writing, reference, country, and a product known only by
  mention: its name and level come from the pages that name it) the latest last update of
  those entries, since an update of an entry is when what it states may have changed. Risk
  levels and the vocabulary have none: they change with the ontology, not the data, and
  so stay out of a change feed.
- `size` defaults to 100 and is capped at 1000; a bad `page`, `size` or date is a
  BadRequest with a message; a page past the last is None (a 404). An empty collection
  has one, empty, page.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from rdflib import Literal

from ..vocab import lactgraph_prefixes
from . import urls
from .context import site
from .describe import per_version

DEFAULT_SIZE = 100
MAX_SIZE = 1000


@dataclass(frozen=True)
class Kind:
    """One collection: which resources are its members, how they are named and dated.

    The members are the instances of cls, or those a SPARQL pattern binding ?item
    selects; updated is a property path from an item to its dates of last update (None:
    it has none), and stated_by one to the dates of the entries that state what an item
    without such dates is.
    """

    path: str
    title: str
    cls: str | None
    name: tuple[str, str]  # (naming property, its key in JSON-LD)
    updated: str | None
    pattern: str | None = None
    stated_by: str | None = None

    @property
    def members(self) -> str:
        return self.pattern or f"?item a {self.cls}"


_STATED_BY = {  # resource -> the products whose entries state it
    "groups": "(^lg:belongsToGroup|^lg:hasRelatedGroup)",
    "aliases": "lg:aliasOf",
    "brands": "lg:activeIngredient",
    "writings": "lg:otherWritingOf",
    "references": "^cito:citesAsEvidence",
    "countries": "^lg:country/lg:activeIngredient",
}
_PRODUCT_UPDATE = "(dcterms:modified|(lg:riskChange/dcterms:date))"
_PREF_LABEL = ("skos:prefLabel", "name")

KINDS: tuple[Kind, ...] = (
    Kind("products", "Products", "lg:Product", _PREF_LABEL, _PRODUCT_UPDATE,
         stated_by=f"(^lg:relatedProduct|^lg:alternative)/{_PRODUCT_UPDATE}"),
    Kind("groups", "Groups and families", "lg:Group", _PREF_LABEL,
         f"{_STATED_BY['groups']}/{_PRODUCT_UPDATE}"),
    Kind("aliases", "Aliases", "lg:Alias", _PREF_LABEL,
         f"{_STATED_BY['aliases']}/{_PRODUCT_UPDATE}"),
    Kind("brands", "Brand names", "lg:BrandName", _PREF_LABEL,
         f"{_STATED_BY['brands']}/{_PRODUCT_UPDATE}"),
    Kind("writings", "Other writings", "lg:OtherWriting", _PREF_LABEL,
         f"{_STATED_BY['writings']}/{_PRODUCT_UPDATE}"),
    Kind("references", "References", "bibo:AcademicArticle",
         ("dcterms:title", "title"), f"{_STATED_BY['references']}/{_PRODUCT_UPDATE}"),
    Kind("countries", "Countries", "lg:Country", ("rdfs:label", "label"),
         f"{_STATED_BY['countries']}/{_PRODUCT_UPDATE}"),
    Kind("risks", "Risk levels", "lg:RiskLevel", _PREF_LABEL, None),
)


def vocabulary_kind() -> Kind:
    """The documents of the vocabulary: ontology, shapes, risk-level scheme."""
    iris = site().iris
    values = " ".join(f"<{iri}>" for iri in (iris.ontology, iris.shapes, iris.risk_scheme))
    return Kind("vocabulary", "Vocabulary", None, ("rdfs:label", "label"), None,
                pattern=f"VALUES ?item {{ {values} }} FILTER EXISTS {{ ?item ?p ?o }}")


def kinds() -> tuple[Kind, ...]:
    return (*KINDS, vocabulary_kind())


def kind_named(path: str) -> Kind | None:
    return next((kind for kind in kinds() if kind.path == path), None)


# --- the index ----------------------------------------------------------------------------

@dataclass(frozen=True)
class RiskChange:
    iri: str
    when: date | datetime | None
    previous: str | None
    new: str | None


@dataclass
class Item:
    """A member of a collection, with canonical IRIs."""

    iri: str
    types: list[str] = field(default_factory=list)
    names: list[Literal] = field(default_factory=list)
    level: str | None = None
    updated: date | datetime | None = None
    changes: list[RiskChange] = field(default_factory=list)


def _prologue() -> str:
    return "".join(f"PREFIX {name}: <{ns}>\n" for name, ns in lactgraph_prefixes().items())


def _moment(value: date | datetime) -> datetime:
    """Dates and date-times on one axis (a date is its midnight, UTC)."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return datetime.combine(value, time(), tzinfo=UTC)


def _when(term: object) -> date | datetime | None:
    value = term.toPython() if isinstance(term, Literal) else None
    return value if isinstance(value, date) else None


def _build_index(kind: Kind) -> list[Item]:
    store, prologue = site().store, _prologue()
    items: dict[str, Item] = {}
    name = kind.name[0]
    for row in store.select(prologue + f"""
SELECT ?item ?type ?name ?level WHERE {{
  {kind.members} FILTER(isIRI(?item))
  {{ ?item a ?type }} UNION {{ ?item {name} ?name }} UNION {{ ?item lg:riskLevel ?level }}
}}"""):
        item = items.setdefault(str(row["item"]), Item(str(row["item"])))
        if "type" in row and str(row["type"]) not in item.types:
            item.types.append(str(row["type"]))
        if "name" in row and isinstance(row["name"], Literal) and row["name"] not in item.names:
            item.names.append(row["name"])
        if "level" in row:
            item.level = str(row["level"])
    for path in (kind.updated, kind.stated_by):
        if path is None:
            continue
        for row in store.select(prologue + f"""
SELECT ?item (MAX(?when) AS ?updated) WHERE {{
  {kind.members} . ?item {path} ?when
}} GROUP BY ?item"""):
            item = items.get(str(row["item"]))
            if item is not None and item.updated is None:
                item.updated = _when(row.get("updated"))
    for row in store.select(prologue + f"""
SELECT ?item ?change ?date ?previous ?new WHERE {{
  {kind.members} . ?item lg:riskChange ?change .
  OPTIONAL {{ ?change dcterms:date ?date }} OPTIONAL {{ ?change lg:previousRiskLevel ?previous }}
  OPTIONAL {{ ?change lg:newRiskLevel ?new }}
}}"""):
        if str(row["item"]) in items:
            items[str(row["item"])].changes.append(RiskChange(
                str(row["change"]), _when(row.get("date")),
                str(row["previous"]) if "previous" in row else None,
                str(row["new"]) if "new" in row else None))
    for item in items.values():
        item.types.sort()
        item.names.sort(key=lambda lit: (lit.language or "", str(lit)))
        item.changes.sort(key=lambda c: (_moment(c.when) if c.when else datetime.min.replace(
            tzinfo=UTC), c.iri), reverse=True)
    return sorted(items.values(), key=lambda item: item.iri)


def index(kind: Kind) -> list[Item]:
    """Every member of a collection, by IRI (built once per store version)."""
    return per_version(f"collection:{kind.path}", lambda: _build_index(kind))


# --- a request for a page -----------------------------------------------------------------

class BadRequest(ValueError):
    """A parameter the client must correct; the message says how."""


@dataclass(frozen=True)
class PageRequest:
    page: int = 1
    size: int = DEFAULT_SIZE
    since: date | datetime | None = None
    until: date | datetime | None = None

    @property
    def feed(self) -> bool:
        return self.since is not None or self.until is not None

    def filters(self) -> dict[str, str]:
        """The parameters that define the collection (not the page)."""
        found = {"since": self.since, "until": self.until}
        return {key: value.isoformat() for key, value in found.items() if value is not None}

    def selects(self, item: Item) -> bool:
        if not self.feed:
            return True
        if item.updated is None:
            return False
        # A date is the whole day: an entry updated "2024-10-23" is in a window that
        # starts at noon that day (a harvester's last run), else it would be missed.
        if self.since is not None and _end(item.updated) < _moment(self.since):
            return False
        return self.until is None or _moment(item.updated) <= _end(self.until)


def _end(value: date | datetime) -> datetime:
    """The last moment a date or date-time stands for."""
    if isinstance(value, datetime):
        return _moment(value)
    return _moment(value) + timedelta(days=1) - timedelta(microseconds=1)


def _whole_number(name: str, text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise BadRequest(f"{name}={text!r}: expected a whole number from 1")
    return int(text)


def _moment_parameter(name: str, text: str) -> date | datetime:
    try:
        return date.fromisoformat(text) if len(text) == 10 else datetime.fromisoformat(text)
    except ValueError:
        raise BadRequest(f"{name}={text!r}: expected an ISO 8601 date (YYYY-MM-DD) or "
                         "date-time (YYYY-MM-DDThh:mm:ssZ)") from None


def page_request(args: dict[str, str]) -> PageRequest:
    """The page a query string asks for; BadRequest when a parameter is wrong."""
    page = _whole_number("page", args["page"]) if "page" in args else 1
    size = min(_whole_number("size", args["size"]), MAX_SIZE) if "size" in args else DEFAULT_SIZE
    since = _moment_parameter("since", args["since"]) if args.get("since") else None
    until = _moment_parameter("until", args["until"]) if args.get("until") else None
    if since and until and _moment(since) > _moment(until):
        raise BadRequest(f"since={since.isoformat()} is after until={until.isoformat()}")
    return PageRequest(page, size, since, until)


@dataclass
class Page:
    kind: Kind
    request: PageRequest
    total: int
    last: int
    items: list[Item]

    def url(self, page: int | None = None) -> str:
        """The collection's URL, or one of its pages'."""
        values: dict[str, object] = dict(self.request.filters())
        if page is not None:
            values["page"] = page
            if self.request.size != DEFAULT_SIZE:
                values["size"] = self.request.size
        return urls.absolute("collections.collection", path=self.kind.path, **values)

    @property
    def links(self) -> dict[str, str]:
        """first/previous/next/last, as far as they exist."""
        number = self.request.page
        found = {"first": 1, "previous": number - 1 if number > 1 else None,
                 "next": number + 1 if number < self.last else None, "last": self.last}
        return {rel: self.url(page) for rel, page in found.items() if page is not None}


def select_page(kind: Kind, wanted: PageRequest) -> Page | None:
    """The page asked for, or None when it is past the last."""
    members = [item for item in index(kind) if wanted.selects(item)]
    if wanted.feed:  # newest first, then by IRI
        members.sort(key=lambda item: _moment(item.updated), reverse=True)  # type: ignore[arg-type]
    last = max(1, math.ceil(len(members) / wanted.size))
    if wanted.page > last:
        return None
    start = (wanted.page - 1) * wanted.size
    return Page(kind, wanted, len(members), last, members[start:start + wanted.size])


def every_item() -> Iterable[Item]:
    """Every member of every collection (the sitemap's entries)."""
    for kind in kinds():
        yield from index(kind)

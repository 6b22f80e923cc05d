"""Slugs, IRIs, and the IRI <-> URL mapping: the only place that builds them."""

from __future__ import annotations

import hashlib
import re
from functools import lru_cache

from text_unidecode import unidecode

from .countries import country_code
from .vocab import DEFAULT_BASE

SOURCE_SITE = "https://www.e-lactancia.org/breastfeeding/"

# The kinds of entity with a path segment of their own, in the source's words where
# the source has a page for them (product, group, synonym, tradename, writing).
ENTITY_KINDS = ("product", "group", "alias", "brand", "writing", "reference", "risk", "country")
_SOURCE_KIND = {
    "product": "product",
    "group": "group",
    "alias": "synonym",
    "brand": "tradename",
    "writing": "writing",
}


@lru_cache(maxsize=1 << 16)  # names recur: groups, countries, first authors, mentions
def slugify(name: str) -> str:
    """The source's slug rule: ASCII transliteration, lower case, non-word runs -> '-'
    (nothing for a name of symbols only: a product so named is an error of the merge)."""
    ascii_name = unidecode(name).lower()
    return re.sub(r"[\W_]+", "-", ascii_name).strip("-")


def _name_key(name: str) -> str:
    """The slug of a name a product carries (group, alias, brand, other writing); one of
    symbols only ("±"), which the rule takes to nothing, is spelled by its code points
    ("u00b1"): an empty slug would make the IRI its namespace's."""
    return slugify(name) or "-".join(f"u{ord(char):04x}" for char in name
                                     if not char.isspace())


class IriScheme:
    """Mints every IRI of the graph from one base.

    The vocabulary (ontology terms, shapes and the risk-level scheme, all defined in the
    ontology file) stays at the default base whatever the data's base: a vocabulary's
    namespace does not move with the data that uses it.
    """

    def __init__(self, base: str = DEFAULT_BASE) -> None:
        if not base.endswith("/"):
            base += "/"
        self.base = base
        self.ontology = f"{DEFAULT_BASE}ontology"
        self.shapes = f"{DEFAULT_BASE}shapes"
        self.dataset = f"{base}dataset"
        self.risk_scheme = f"{DEFAULT_BASE}risk-levels"

    def entity(self, kind: str, key: str) -> str:
        if kind not in ENTITY_KINDS:
            raise ValueError(f"unknown entity kind {kind!r}")
        return f"{self.base}{kind}/{key}"

    def product(self, name: str) -> str:
        return self.entity("product", slugify(name))

    def group(self, name: str) -> str:
        return self.entity("group", _name_key(name))

    def alias(self, name: str) -> str:
        return self.entity("alias", _name_key(name))

    def brand(self, name: str) -> str:
        return self.entity("brand", _name_key(name))

    def writing(self, name: str) -> str:
        return self.entity("writing", _name_key(name))

    def risk(self, level: int) -> str:
        return f"{DEFAULT_BASE}risk/{level}"

    def country(self, name: str) -> str:
        """By ISO 3166-1 code where the name (English or Spanish) is known, else by slug."""
        return self.entity("country", country_code(name) or _name_key(name))

    def term(self, name: str) -> str:
        """A term of the lactgraph ontology."""
        return f"{self.ontology}#{name}"

    def shape(self, name: str) -> str:
        return f"{self.shapes}#{name}"

    def reference(self, first_author: str | None, year: int | None, title: str) -> str:
        """A stable key shared by every product citing the same work."""
        return self.entity("reference", _reference_key(first_author, year, title))

    def split(self, iri: str) -> tuple[str, str] | None:
        """(kind, key) for an entity IRI of this scheme, else None."""
        if not iri.startswith(self.base):
            return None
        kind, _, key = iri[len(self.base):].partition("/")
        if kind in ENTITY_KINDS and key and "/" not in key:
            return kind, key
        return None


@lru_cache(maxsize=1 << 16)  # a work is cited by many entries (and many times in one)
def _reference_key(first_author: str | None, year: int | None, title: str) -> str:
    normalised = re.sub(r"\W+", " ", unidecode(title).casefold()).strip()
    digest = hashlib.sha1(normalised.encode()).hexdigest()[:8]
    surname = slugify((first_author or "anon").split(" ")[0]) or "anon"
    return f"{surname}-{year or 'nd'}-{digest}"


def source_page(kind: str, slug: str) -> str | None:
    """The e-lactancia.org page of an entity, for the kinds the source has pages for."""
    source_kind = _SOURCE_KIND.get(kind)
    return f"{SOURCE_SITE}{slug}/{source_kind}/" if source_kind else None


class UrlMapper:
    """Maps the base IRI onto the origin a server actually runs on, and back.

    A laptop serving the graph at http://127.0.0.1:8000/ rewrites every
    https://w3id.org/lactgraph/... IRI in its pages and RDF so that links can be followed.
    """

    def __init__(self, base: str, public_url: str | None) -> None:
        self.base = base if base.endswith("/") else base + "/"
        url = public_url or self.base
        self.public = url if url.endswith("/") else url + "/"

    @property
    def identity(self) -> bool:
        return self.public == self.base

    def to_url(self, iri: str) -> str:
        if not self.identity and iri.startswith(self.base):
            return self.public + iri[len(self.base):]
        return iri

    def to_iri(self, url: str) -> str:
        if not self.identity and url.startswith(self.public):
            return self.base + url[len(self.public):]
        return url

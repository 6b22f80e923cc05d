"""Content negotiation: which representation a client gets, from `Accept` or a `format=` name.

Every web area (the SPARQL endpoint, entity documents, the metadata pages) offers some of
the formats below and asks `choose_format` which one the client prefers. The matching is
python-mimeparse's (q-values, `type/*` and `*/*` ranges, specificity); this module adds
what mimeparse leaves out and Werkzeug's `best_match` gets wrong for linked-data clients:

- server preference breaks ties: offers are listed most preferred first, so `*/*` or an
  absent Accept header gets the first offer (Turtle, SPARQL JSON, ...);
- type and subtype compare case-insensitively (`Text/Turtle`), parameter values do not
  matter for matching (`application/ld+json; profile="...#compacted"` is JSON-LD);
- a malformed media range is ignored, and a header with nothing usable counts as absent
  (`*/*`), as RFC 9110 §12.5.1 allows: a junk header never causes an error;
- `q=0` means "not acceptable", so `*/*, text/csv;q=0` never gets CSV; a format whose own
  media type the client refuses is not sent for an alias it accepts (the answer would
  carry the refused type: `application/sparql-results+json;q=0, application/json`);
- a weight that is no number from 0 to 1 (`q=-1`, `q=abc`, `q=2`) makes its range
  malformed (mimeparse reads it as 1); `q=.2` (Java's default header) is a weight.

API::

    choose(accept, offers) -> str | None            # media types in, the chosen one out
    choose_format(accept, formats) -> Format | None  # the same over Format records
    format_named(name, formats) -> Format | None     # `format=ttl`, `rdf+xml`, `text/turtle`
    requested_format(accept, name, formats)           # `format=` if given, else Accept
    format_for_extension(ext, formats) -> Format | None
    not_acceptable(formats) -> str                   # the body of a 406 answer

    RDF_FORMATS      Turtle, N-Triples, RDF/XML, JSON-LD (graphs)
    RESULT_FORMATS   SPARQL results JSON, XML, CSV, TSV (SELECT; ASK takes JSON and XML)
    BOOLEAN_FORMATS  SPARQL results JSON and XML (ASK)
    HTML             text/html (pages for people)
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import mimeparse

__all__ = [
    "BOOLEAN_FORMATS",
    "CSV",
    "HTML",
    "JSON_LD",
    "N_TRIPLES",
    "RDF_FORMATS",
    "RDF_XML",
    "RESULT_FORMATS",
    "SPARQL_JSON",
    "SPARQL_XML",
    "TSV",
    "TURTLE",
    "Format",
    "choose",
    "choose_format",
    "format_for_extension",
    "format_named",
    "not_acceptable",
    "requested_format",
]


@dataclass(frozen=True)
class Format:
    """One representation: its media type, short names for `format=`, file extension.

    `also` lists other media types clients use for the same bytes (`application/json` for
    SPARQL JSON); a request for one of them is answered in this format. `rdflib` is the
    rdflib serializer name, for the areas that serialise rdflib graphs.
    """

    label: str
    media_type: str
    extension: str
    names: tuple[str, ...]
    also: tuple[str, ...] = ()
    rdflib: str | None = None
    text: bool = True  # send `; charset=utf-8` (JSON media types take no charset parameter)

    @property
    def name(self) -> str:
        """The canonical short name (`format=turtle`)."""
        return self.names[0]

    @property
    def content_type(self) -> str:
        """The Content-Type header value of a response in this format."""
        return f"{self.media_type}; charset=utf-8" if self.text else self.media_type

    @property
    def media_types(self) -> tuple[str, ...]:
        return (self.media_type, *self.also)


TURTLE = Format("Turtle", "text/turtle", "ttl", ("turtle", "ttl"),
                also=("application/x-turtle",), rdflib="turtle")
N_TRIPLES = Format("N-Triples", "application/n-triples", "nt", ("ntriples", "nt", "n-triples"),
                   rdflib="nt")
RDF_XML = Format("RDF/XML", "application/rdf+xml", "rdf", ("rdfxml", "xml", "rdf"),
                 rdflib="xml")
JSON_LD = Format("JSON-LD", "application/ld+json", "jsonld", ("jsonld", "json-ld", "json"),
                 rdflib="json-ld", text=False)
SPARQL_JSON = Format("SPARQL results JSON", "application/sparql-results+json", "srj",
                     ("json", "srj"), also=("application/json",), text=False)
SPARQL_XML = Format("SPARQL results XML", "application/sparql-results+xml", "srx",
                    ("xml", "srx"), also=("application/xml",))
CSV = Format("SPARQL results CSV", "text/csv", "csv", ("csv",))
TSV = Format("SPARQL results TSV", "text/tab-separated-values", "tsv", ("tsv",),
             also=("text/tsv",))
HTML = Format("HTML", "text/html", "html", ("html", "htm"))

RDF_FORMATS: tuple[Format, ...] = (TURTLE, N_TRIPLES, RDF_XML, JSON_LD)
RESULT_FORMATS: tuple[Format, ...] = (SPARQL_JSON, SPARQL_XML, CSV, TSV)
BOOLEAN_FORMATS: tuple[Format, ...] = (SPARQL_JSON, SPARQL_XML)


_WEIGHT = re.compile(r";\s*q\s*=\s*([^;]*)", re.IGNORECASE)
# A weight is a number from 0 to 1 (RFC 9110 12.4.2, read leniently: Java sends "q=.2")
_NUMBER = re.compile(r"\d+(\.\d*)?|\.\d+")


def _weight_ok(text: str) -> bool:
    return bool(_NUMBER.fullmatch(text)) and float(text) <= 1


def _media_ranges(accept: str | None) -> list[tuple[str, str, dict[str, str]]]:
    """The parseable ranges of an Accept header, type and subtype in lower case."""
    ranges = []
    for item in (accept or "").split(","):
        weight = _WEIGHT.search(item)
        if not item.strip() or (weight and not _weight_ok(weight.group(1).strip())):
            continue
        try:
            kind, subtype, params = mimeparse.parse_media_range(item)
        except ValueError:  # MimeTypeParseException: skip this range, keep the others
            continue
        if kind and subtype:
            ranges.append((kind.lower(), subtype.lower(), params))
    return ranges or [("*", "*", {"q": "1"})]


def choose(accept: str | None, offers: Sequence[str]) -> str | None:
    """The offer the client prefers, or None when none is acceptable.

    offers are media types, most preferred first; an absent, empty or junk Accept header
    gets the first offer.
    """
    ranges = _media_ranges(accept)
    best, best_key = None, (0.0, -1.0)
    for offer in offers:
        quality, fitness = mimeparse.quality_and_fitness_parsed(offer.lower(), ranges)
        key = (quality, fitness)
        if quality > 0 and key > best_key:  # strict: an earlier offer wins a tie
            best, best_key = offer, key
    return best


def _refused(media_type: str, ranges: list[tuple[str, str, dict[str, str]]]) -> bool:
    """Whether the range that best matches the media type weighs it 0 (a match at all:
    fitness -1 is none)."""
    quality, fitness = mimeparse.quality_and_fitness_parsed(media_type, ranges)
    return quality == 0 and fitness >= 0


def choose_format(accept: str | None, formats: Sequence[Format]) -> Format | None:
    """The format the client prefers among formats (most preferred first), or None."""
    ranges = _media_ranges(accept)
    offered = [fmt for fmt in formats if not _refused(fmt.media_type, ranges)]
    by_type = {media_type: fmt for fmt in offered for media_type in fmt.media_types}
    chosen = choose(accept, [fmt.media_type for fmt in offered]
                    + [t for fmt in offered for t in fmt.also])
    return by_type.get(chosen) if chosen else None


def format_named(name: str, formats: Iterable[Format]) -> Format | None:
    """The format a `format=` value names, or None.

    A short name (`ttl`), an extension, a media type or its subtype (`rdf+xml`, as
    SPARQLWrapper sends it) all name a format.
    """
    wanted = name.strip().lower()
    for fmt in formats:
        subtypes = {media_type.split("/", 1)[1] for media_type in fmt.media_types}
        if wanted in fmt.names or wanted == fmt.extension or wanted in fmt.media_types \
                or wanted in subtypes:
            return fmt
    return None


def requested_format(accept: str | None, name: str | None, formats: Sequence[Format]
                     ) -> Format | None:
    """The format `format=name` names where given (None when it names none of formats:
    a 406 names them), else the one Accept prefers."""
    return format_named(name, formats) if name else choose_format(accept, formats)


def format_for_extension(extension: str, formats: Iterable[Format]) -> Format | None:
    """The format of a document path's extension (`ttl`, `.jsonld`), or None."""
    wanted = extension.lower().lstrip(".")
    return next((fmt for fmt in formats if fmt.extension == wanted), None)


def not_acceptable(formats: Iterable[Format],
                   why: str = "No representation asked for (by Accept or format=) can be "
                              "produced.") -> str:
    """The plain-text body of a 406 answer: why, and what could have been produced."""
    lines = [f"- {fmt.media_type} ({fmt.label}; format={fmt.name})" for fmt in formats]
    return f"{why} Available:\n" + "\n".join(lines) + "\n"

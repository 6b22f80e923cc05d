"""Bibliography lines: "Authors. Title. Journal. Year Abstract", as entry pages show them.

The source prints `autores`, `titulo`, `publicacion` and `anyo` one after the other,
then one link label per link ("Abstract"/"Resumen" for PubMed, "Full text …"/"Texto
completo …" for the full text). Segments are split at sentence ends (". ", "? ", "! ",
"]. "), because titles may end in "?" or sit in [brackets] (translated titles): the
first segment is the authors, the last one before the year the journal, and everything
between them the title. Initials carry no dots in this style, so "Jayasinghe S, Guillot T"
splits cleanly on ", "; a corporate author such as "Centers for Disease Control and
Prevention (CDC)" has no comma and stays one author.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from ..records import Reference

_YEAR = r"(?:1[5-9]|20)\d{2}"
# "Abstract", "Resumen", "Full text (link to original source)", "Texto completo (…)".
# Labels are searched for only in the last _LABEL_WINDOW characters, and "(?<!\s)" skips
# starts inside a run of spaces: a search of the whole line per label is quadratic.
_LINK_LABEL = re.compile(
    r"(?<!\s)\s*(?P<label>Abstract|Resumen|(?:Full text|Texto completo)"
    r"(?:\s*\([^()]{0,100}\))?)\s*$",
    re.IGNORECASE,
)
_LABEL_WINDOW = 160
_LABEL_ENDS = ("t", "n", "o", ")")  # the last characters of the labels, lower case
# "… Journal. 2013", "… Journal. 2013;14(11):906-17", "… Journal. 2013 Nov;14(11):906-17. 2013".
_TAIL = re.compile(
    rf"(?P<journal_end>[.?!\]])?(?<!\s)\s+(?P<year>{_YEAR})"
    r"(?P<detail>(?:\s[A-Z][a-z]{2}(?:\s\d{1,2})?)?[;:]\S*?)?\.?"
    rf"(?:\s+(?P<year_again>{_YEAR})\.?)?$"
)
_SEGMENT_END = re.compile(r"(?<=[.?!])\s+(?=\S)")


@dataclass(frozen=True)
class _Links:
    abstract: bool
    full_text: bool


def _strip_link_labels(text: str) -> tuple[str, _Links]:
    """Remove the trailing link labels, remembering which links the page had."""
    abstract = full_text = False
    end = len(text)
    while (_may_end_in_label(text, end)
           and (match := _LINK_LABEL.search(text, max(0, end - _LABEL_WINDOW), end))):
        label = match["label"].casefold()
        abstract = abstract or label in ("abstract", "resumen")
        full_text = full_text or label.startswith(("full text", "texto completo"))
        end = match.start()
        while end and text[end - 1].isspace():  # spaces before the window's start
            end -= 1
    return text[:end].rstrip(), _Links(abstract, full_text)


def without_link_labels(line: str) -> str:
    """A bibliography line as a citation of the work: the page's link labels ("Abstract",
    "Full text (…)") name links, not a part of the reference."""
    return _strip_link_labels(line.strip())[0]


def _may_end_in_label(text: str, end: int) -> bool:
    """Whether text[:end], spaces aside, ends as a label does: a search costs 40 us, and
    most lines end in a year or in one label, searched for once more after it."""
    return text[:end].rstrip()[-1:].lower() in _LABEL_ENDS


def split_authors(segment: str) -> list[str]:
    """Ordered authors of an authors segment (a page line's or the export's `autores`).

    "et al" is a marker, not an author. Public so that every reader splits authors alike:
    the first author is part of a reference's IRI key.
    """
    authors = [a.strip() for a in segment.rstrip(".").split(", ")]
    return [a for a in authors if a and a.casefold().rstrip(".") != "et al"]


def _clean(segment: str) -> str:
    """A segment without its closing period; "?" and "]" are part of what was written."""
    segment = segment.strip()
    return segment[:-1] if segment.endswith(".") else segment


def parse_reference(text: str, position: int) -> Reference:
    """One bibliography line (its number already removed) as a Reference.

    `year` is None when the line has no year: the caller decides whether that means a
    cut-off page; this function only reads what is there.
    """
    written = text.strip()
    authors, title, journal, year, links, publication = _parsed(written)
    return Reference(
        position=position,
        text=written,
        authors=list(authors),
        title=title,
        journal=journal,
        year=year,
        has_abstract_link=links.abstract,
        publication=publication,
        has_full_text_link=links.full_text,
    )


@lru_cache(maxsize=1 << 14)  # the same works are cited page after page
def _parsed(written: str) -> tuple[tuple[str, ...], str | None, str | None, int | None,
                                   _Links, str | None]:
    """(authors, title, journal, year, links, publication) of a bibliography line."""
    body, links = _strip_link_labels(written)
    year: int | None = None
    publication: str | None = None
    tail = _TAIL.search(body)
    if tail:
        year = int(tail["year_again"] or tail["year"])
        body = body[: tail.start()] + (tail["journal_end"] or "")
    segments = _SEGMENT_END.split(body) if body else []
    authors = split_authors(segments[0]) if segments else []
    # Without a year there is no telling where the title ends and the journal starts.
    journal_at = len(segments) - 1 if tail and len(segments) >= 2 else len(segments)
    journal = _clean(segments[journal_at]) if journal_at < len(segments) else None
    title = _clean(" ".join(segments[1:journal_at])) if journal_at > 1 else None
    if tail and tail["detail"] and journal:
        publication = f"{journal}. {tail['year']}{tail['detail']}"
    return tuple(authors), title, journal, year, links, publication


def surname(author: str) -> str:
    """The author without trailing initials: "Da Mata Jardín O" -> "Da Mata Jardín".

    Initials are one to three capitals ("S", "DM", "MÁ"); a corporate author has none
    and is returned whole.
    """
    words = author.split()
    if len(words) > 1 and re.fullmatch(r"[^\W\d_]{1,3}", words[-1]) and words[-1].isupper():
        return " ".join(words[:-1])
    return author

"""Country names as pages write them (English or Spanish) -> ISO 3166-1 alpha-2 codes.

DESIGN.md §3 names countries `country/{code}`: "Spain" on an English page and "España" on
a Spanish one are one country. The names come from pycountry (ISO 3166-1 and its Spanish
translation): the name, the official and common names, and the part before a comma
("Venezuela" of "Venezuela, Bolivarian Republic of") where only one country has it; plus
the short names pages use that ISO does not give. A name none of these know has no code
(its IRI keeps the name's slug).
"""

from __future__ import annotations

import gettext
from functools import cache

from .sources import fold

# Names in common use that ISO 3166-1 (or its Spanish translation) spells otherwise
# (folded: `sources.fold`, as the names are looked up).
_COMMON = {
    "russia": "ru", "rusia": "ru", "holland": "nl", "holanda": "nl", "usa": "us",
    "eeuu": "us", "ee uu": "us", "uk": "gb", "great britain": "gb", "gran bretana": "gb",
    "turkey": "tr",
}


@cache
def _codes() -> dict[str, str]:
    import pycountry  # its database: read once, at the first country

    spanish = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=["es"])
    named: dict[str, set[str]] = {}
    for country in pycountry.countries:
        code = country.alpha_2.lower()
        names = {getattr(country, field, None)
                 for field in ("name", "official_name", "common_name")} - {None}
        names |= {spanish.gettext(name) for name in names}
        names |= {name.split(",")[0] for name in names if "," in name}
        for name in names:
            named.setdefault(fold(name), set()).add(code)
    codes = {name: next(iter(found)) for name, found in named.items() if len(found) == 1}
    return {**codes, **_COMMON}


def country_code(name: str) -> str | None:
    """The ISO 3166-1 alpha-2 code (lower case) of a country's English or Spanish name."""
    return _codes().get(fold(name))

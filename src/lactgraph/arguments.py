"""Types of command-line values, checked while the arguments are parsed.

A value out of range is refused before any work starts, in one line naming the option (argparse
adds it), the value and what was expected; never later as a traceback from deep inside.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable
from datetime import date, datetime
from urllib.parse import urlsplit

import pyoxigraph


def whole_number(least: int, most: int | None = None) -> Callable[[str], int]:
    """An argparse type: a whole number from least (up to most, if given)."""
    expected = (f"a whole number from {least} to {most}" if most is not None
                else f"a whole number, {least} or more")

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = None
        if value is None or value < least or (most is not None and value > most):
            raise argparse.ArgumentTypeError(f"{text!r}: expected {expected}")
        return value

    return parse


def number(least: float, *, allowed: bool = True) -> Callable[[str], float]:
    """An argparse type: a finite number above least (or equal to it when allowed)."""
    expected = f"a number, {least:g} or more" if allowed else f"a number more than {least:g}"

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        if not math.isfinite(value) or value < least or (value == least and not allowed):
            raise argparse.ArgumentTypeError(f"{text!r}: expected {expected}")
        return value

    return parse


def date_or_time(text: str) -> date | datetime:
    """An argparse type: a date (YYYY-MM-DD) or an ISO 8601 date-time."""
    try:
        return date.fromisoformat(text) if len(text) == 10 else datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r}: expected a date (YYYY-MM-DD) or a date-time") from None


def is_http_url(text: str) -> bool:
    """An http or https URL with a host and a valid port, if any (urllib refuses anything
    else with a traceback)."""
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 - raises ValueError for a port out of range
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def http_url(text: str) -> str:
    """An argparse type: an http(s) URL, e.g. of a SPARQL endpoint."""
    if not is_http_url(text):
        raise argparse.ArgumentTypeError(f"{text!r}: expected an http(s) URL")
    return text


def is_http_iri(text: str) -> bool:
    """An http(s) URL that is also a valid IRI (no space, no `>`), as a base IRI must be."""
    try:
        pyoxigraph.NamedNode(text)
    except ValueError:
        return False
    return is_http_url(text)


def absolute_iri(text: str) -> str:
    """An argparse type: an absolute IRI, e.g. of a named graph (it goes into SPARQL text,
    where a space or `>` would break the request, and a relative one means nothing)."""
    try:
        pyoxigraph.NamedNode(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"{text!r}: expected an absolute IRI ({error})"
                                         ) from None
    return text

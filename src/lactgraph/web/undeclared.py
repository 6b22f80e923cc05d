"""Which prefixes a query uses without declaring them: the likeliest cause of a query that
does not parse (examples copied without their PREFIX lines), which the parser reports as
what it expected at that column ("expected ENCODE_FOR_URI"), not as a missing prefix."""

from __future__ import annotations

import re

# What cannot hold a prefixed name: IRIs, strings (long ones first) and comments.
_OPAQUE = re.compile(r'<[^<>"{}|^`\\\s]*>|"""(?:[^\\]|\\.)*?"""|\'\'\'(?:[^\\]|\\.)*?\'\'\''
                     r'|"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)*\'|#[^\n]*')
_DECLARED = re.compile(r"\bPREFIX\s+([A-Za-z][\w.-]*)?:", re.IGNORECASE)
_USED = re.compile(r"(?<![\w.:?$-])([A-Za-z][\w.-]*)?:(?=[\w%\\:])")


def undeclared_prefixes(query: str) -> list[str]:
    """The prefixes (without their colon) of prefixed names the query uses and does not
    declare, in the order first used."""
    text = _OPAQUE.sub(" ", query)
    declared = {name or "" for name in _DECLARED.findall(text)}
    used = dict.fromkeys(name or "" for name in _USED.findall(_DECLARED.sub(" ", text)))
    return [name for name in used if name not in declared]


def prefix_hint(query: str, known: dict[str, str]) -> str:
    """A sentence naming the undeclared prefixes, with the declaration of those we know;
    empty when the query declares all it uses."""
    missing = undeclared_prefixes(query)
    if not missing:
        return ""
    lines = [f"PREFIX {name}: <{known[name]}>" if name in known else f"PREFIX {name}: <...>"
             for name in missing]
    names = ", ".join(f"{name}:" for name in missing)
    return f"the query uses {names} without declaring it; add {'; '.join(lines)}"

"""SSSOM/TSV mapping sets: read, write and check, with problems that name file and line.

The format (SSSOM 1.x, TSV serialisation): a YAML header whose every line starts with `#`
(mapping_set_id, license, curie_map and other set-level metadata), then a tab-separated
table whose first row names the columns. Multivalued columns join values with `|`.

Read and written here with PyYAML, csv and curies rather than sssom-py (pandas and
LinkML, about 360 MB installed) or sssom-pydantic: curators move rows between files by
hand, so we keep every row as written (no condensing of common values into the header, no
silent built-in prefixes) and report each problem with its line. The tests read our files
with sssom-pydantic as an independent check of the format.

A `Mapping` keeps its cells as text, exactly as in the file, so a read-write round trip
changes nothing; typed access (confidence, negation) goes through properties.
"""

from __future__ import annotations

import csv
import datetime
import io
import re
import textwrap
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import yaml

from ..errors import LactgraphError, SourceError
from ..rdfio import write_atomically
from . import prefixes
from .targets import TARGETS, target_of_curie

SUFFIX = ".sssom.tsv"
CANDIDATES_DIR = "candidates"
NOT = "Not"

SKOS_PREDICATES = tuple(f"skos:{name}Match" for name in
                        ("exact", "close", "broad", "narrow", "related"))
# The matching processes of the Semantic Mapping Vocabulary (semapv), plus mapping review.
JUSTIFICATIONS = frozenset(f"semapv:{name}" for name in (
    "LexicalMatching", "LogicalReasoning", "CompositeMatching", "UnspecifiedMatching",
    "SemanticSimilarityThresholdMatching", "LexicalSimilarityThresholdMatching",
    "StructuralMatching", "InstanceBasedMatching", "BackgroundKnowledgeBasedMatching",
    "MappingChaining", "MappingInversion", "ManualMappingCuration", "MappingReview",
))

REQUIRED_METADATA = ("mapping_set_id", "license", "curie_map")
MANUAL = "semapv:ManualMappingCuration"
# The mapping set slots of the SSSOM schema (1.1): what a header may set, besides the
# extensions it declares.
METADATA = frozenset((
    "sssom_version", "curie_map", "mapping_set_id", "mapping_set_version",
    "mapping_set_source", "mapping_set_title", "mapping_set_description",
    "mapping_set_confidence", "creator_id", "creator_label", "license", "subject_type",
    "subject_source", "subject_source_version", "object_type", "object_source",
    "object_source_version", "predicate_type", "mapping_provider", "cardinality_scope",
    "mapping_tool", "mapping_tool_id", "mapping_tool_version", "mapping_date",
    "publication_date", "subject_match_field", "object_match_field", "subject_preprocessing",
    "object_preprocessing", "similarity_measure", "see_also", "issue_tracker", "other",
    "comment", "extension_definitions", "curation_rule", "curation_rule_text",
))
REQUIRED_COLUMNS = ("subject_id", "predicate_id", "object_id", "mapping_justification")
# The mapping slots of the SSSOM schema, in its order (the order we write columns in).
COLUMNS = (
    "record_id", "subject_id", "subject_label", "subject_category", "predicate_id",
    "predicate_label", "predicate_modifier", "object_id", "object_label", "object_category",
    "mapping_justification", "author_id", "author_label", "reviewer_id", "reviewer_label",
    "creator_id", "creator_label", "license", "subject_type", "subject_source",
    "subject_source_version", "object_type", "object_source", "object_source_version",
    "predicate_type", "mapping_provider", "mapping_source", "mapping_cardinality",
    "cardinality_scope", "mapping_tool", "mapping_tool_id", "mapping_tool_version",
    "mapping_date", "publication_date", "review_date", "confidence", "reviewer_agreement",
    "curation_rule", "curation_rule_text", "subject_match_field", "object_match_field",
    "match_string", "subject_preprocessing", "object_preprocessing", "similarity_score",
    "similarity_measure", "see_also", "issue_tracker_item", "derived_from", "other", "comment",
)
MULTIVALUED = frozenset((
    "author_id", "author_label", "creator_id", "creator_label", "reviewer_id",
    "reviewer_label", "curation_rule", "curation_rule_text", "match_string", "see_also",
    "subject_match_field", "object_match_field", "subject_preprocessing",
    "object_preprocessing", "cardinality_scope", "derived_from",
))
# Columns whose values are CURIEs (entity references in the SSSOM schema).
CURIE_COLUMNS = frozenset((
    "record_id", "subject_id", "predicate_id", "object_id", "mapping_justification",
    "author_id", "reviewer_id", "creator_id", "subject_source", "object_source",
    "mapping_tool_id", "curation_rule", "subject_match_field", "object_match_field",
    "subject_preprocessing", "object_preprocessing", "issue_tracker_item", "derived_from",
))
# Slots the SSSOM schema types: dates (xsd:date), numbers from 0 to 1, enumerations.
DATE_SLOTS = frozenset(("mapping_date", "publication_date", "review_date"))
UNIT_SLOTS = frozenset(("confidence", "similarity_score", "reviewer_agreement"))
_ENTITY_TYPES = ("owl class", "owl object property", "owl data property",
                 "owl annotation property", "owl named individual", "skos concept",
                 "rdfs resource", "rdfs class", "rdfs literal", "rdfs datatype", "rdf property",
                 "composed entity expression")
ENUM_SLOTS = {"subject_type": _ENTITY_TYPES, "object_type": _ENTITY_TYPES,
              "predicate_type": _ENTITY_TYPES,
              "mapping_cardinality": ("1:1", "1:n", "n:1", "1:0", "0:1", "n:n", "0:0")}
# Prefixes every SSSOM reader knows, which a curie_map may leave out.
BUILTIN_PREFIXES = frozenset(("owl", "rdf", "rdfs", "skos", "semapv", "sssom", "xsd", "linkml"))
# Set-level keys written first, in this order; curie_map always last (it is the longest).
_METADATA_ORDER = ("mapping_set_id", "mapping_set_title", "mapping_set_description",
                   "mapping_set_version", "license", "creator_id", "mapping_tool",
                   "mapping_tool_version", "mapping_date", "comment")


@dataclass
class Mapping:
    """One row of a mapping set: column -> text as written (multivalued joined by `|`)."""

    values: dict[str, str]
    line: int | None = None

    @classmethod
    def of(cls, subject_id: str, predicate_id: str, object_id: str, justification: str,
           **columns: object) -> Mapping:
        """A mapping from typed values; None and empty values are left out."""
        values = {"subject_id": subject_id, "predicate_id": predicate_id,
                  "object_id": object_id, "mapping_justification": justification}
        for column, value in columns.items():
            if value is None or value == "" or value == ():
                continue
            if isinstance(value, list | tuple):
                value = "|".join(str(v) for v in value)
            values[column] = str(value)
        return cls(values)

    def get(self, column: str) -> str:
        return self.values.get(column, "").strip()

    def all(self, column: str) -> list[str]:
        """The values of a column, split if it is multivalued."""
        text = self.get(column)
        if not text:
            return []
        return [v.strip() for v in text.split("|")] if column in MULTIVALUED else [text]

    @property
    def subject_id(self) -> str:
        return self.get("subject_id")

    @property
    def predicate_id(self) -> str:
        return self.get("predicate_id")

    @property
    def object_id(self) -> str:
        return self.get("object_id")

    @property
    def justification(self) -> str:
        return self.get("mapping_justification")

    @property
    def negated(self) -> bool:
        """A rejected pair, kept so that it is never proposed again."""
        return self.get("predicate_modifier") == NOT

    @property
    def confidence(self) -> float | None:
        try:
            return float(self.get("confidence"))
        except ValueError:
            return None


@dataclass
class MappingSet:
    """A mapping set file: its header, its rows, and where it came from."""

    metadata: dict[str, Any]
    mappings: list[Mapping] = field(default_factory=list)
    path: Path | None = None
    columns: list[str] = field(default_factory=list)  # as read; empty for a new set
    header: list[str] = field(default_factory=list)  # header lines as read, without '#'
    problems: list[SourceError] = field(default_factory=list)  # rows that could not be read

    @property
    def name(self) -> str:
        """The file name without `.sssom.tsv`: a target's name for a target's file."""
        name = self.path.name if self.path else str(self.metadata.get("mapping_set_id", ""))
        name = name.rsplit("/", 1)[-1]
        return name[: -len(SUFFIX)] if name.endswith(SUFFIX) else name

    @property
    def curie_map(self) -> dict[str, str]:
        value = self.metadata.get("curie_map")
        return value if isinstance(value, dict) else {}

    @property
    def is_candidates(self) -> bool:
        """Machine candidates live under a `candidates/` folder and are never published."""
        return self.path is not None and CANDIDATES_DIR in self.path.parent.parts

    def where(self, line: int | None, message: str) -> SourceError:
        return SourceError(str(self.path or "<mapping set>"), line, message)

    def header_line(self, key: str) -> int | None:
        """The line of a header key (for messages), or None if absent."""
        return _key_line(self.header, key)


class MappingsInvalid(LactgraphError):
    """Mapping sets with problems; each names its file and line."""

    def __init__(self, problems: list[SourceError]) -> None:
        self.problems = problems
        lines = "\n".join(f"  {problem}" for problem in problems)
        super().__init__(f"{len(problems)} problem(s) in mapping sets:\n{lines}")


# -- reading -------------------------------------------------------------------------------

def _plain(value: Any) -> Any:
    """A header's value as SSSOM's JSON-like types; TypeError for a YAML-only type (an
    explicit `!!binary`, `!!set` or `!!timestamp`)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, str | int | float):  # (bool is an int)
        return value
    raise TypeError(f"a YAML {type(value).__name__} is not an SSSOM value (text, number, "
                    "list or mapping)")


def _key_line(header: list[str], key: str) -> int | None:
    """The line of a header key (for messages), or None if absent."""
    pattern = re.compile(rf"^\s*['\"]?{re.escape(key)}['\"]?\s*:")
    return next((n for n, text in enumerate(header, 1) if pattern.match(text)), None)


class _UniqueKeys(yaml.SafeLoader):
    """YAML keys are unique (YAML 1.2, 3.2.1.1); PyYAML keeps the last of two silently, so
    that a second `license` or `curie_map` replaced the first without a word.

    Dates stay text, as in the columns: PyYAML's own reading of `2026-13-45` is a
    ValueError, and of `2026-01-05` a date to write back as it was."""

    yaml_implicit_resolvers: ClassVar[dict] = {
        first: [(tag, pattern) for tag, pattern in resolvers
                if tag != "tag:yaml.org,2002:timestamp"]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()}

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        seen: set[object] = set()
        for key_node, _value in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"{key!r} is given twice (YAML keys are unique)",
                    key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep)


def _metadata(header: list[str], path: str) -> dict[str, Any]:
    try:
        text = textwrap.dedent("".join(header))
        metadata = yaml.load(text, Loader=_UniqueKeys) if header else {}  # a SafeLoader
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        problem = getattr(error, "problem", None) or str(error)
        raise SourceError(path, mark.line + 1 if mark else 1,
                          f"the header is not YAML: {problem}") from None
    except ValueError as error:  # an explicit !!timestamp that is no date
        raise SourceError(path, 1, f"the header is not YAML: {error}") from None
    if metadata is None:
        return {}
    if not isinstance(metadata, dict):
        raise SourceError(path, 1, "the header must be a YAML mapping of metadata keys")
    plain = {}
    for key, value in metadata.items():
        try:
            plain[str(key)] = _plain(value)
        except TypeError as error:
            raise SourceError(path, _key_line(header, str(key)) or 1, f"{key}: {error}"
                              ) from None
    return plain


def parse_mapping_set(text: str, path: Path | None = None) -> MappingSet:
    """A mapping set from SSSOM/TSV text; raises SourceError if it cannot be read at all.

    Rows of the wrong width are recorded in `problems` and skipped, so that a check can
    report every problem of a file at once.
    """
    where = str(path or "<mapping set>")
    # Lines as an editor counts them: str.splitlines would also end one at a U+2028 (or a
    # form feed...) inside a label. A spreadsheet's byte-order mark is not part of the text.
    parts = text.removeprefix("\ufeff").split("\n")
    if parts[-1] == "":
        parts.pop()
    lines = [f"{part}\n" for part in parts]
    header = []
    for line in lines:
        if line.startswith('"#'):  # a spreadsheet that quotes every text cell
            line = next(csv.reader([line], delimiter="\t"))[0] + "\n"
        if not line.startswith("#"):
            break
        header.append(line[1:])
    metadata = _metadata(header, where)
    blank = next((n for n, line in enumerate(lines[len(header):]) if line.strip()),
                 len(lines) - len(header))  # blank lines before the column row
    body = lines[len(header) + blank:]
    reader = csv.reader(body, delimiter="\t")
    columns_line = len(header) + blank + 1
    try:
        columns = [c.strip() for c in next(reader)]
    except StopIteration:
        raise SourceError(where, columns_line, "no column header row after the YAML "
                          "header") from None
    if "" in columns or not set(REQUIRED_COLUMNS) & set(columns):  # a mapping row, say
        found = " | ".join(columns)[:80]
        raise SourceError(where, columns_line, "expected the column header row (naming "
                          f"{', '.join(REQUIRED_COLUMNS)}...) after the YAML header; found "
                          f"{found!r}")
    duplicated = sorted({c for c in columns if columns.count(c) > 1})
    if duplicated:
        raise SourceError(where, columns_line, f"column(s) named twice: {', '.join(duplicated)}")
    mapping_set = MappingSet(metadata, [], path, columns, header)
    consumed = reader.line_num
    for cells in reader:
        line = columns_line + consumed
        consumed = reader.line_num
        if not any(cell.strip() for cell in cells):
            continue
        if cells[0].startswith("#"):
            mapping_set.problems.append(mapping_set.where(
                line, "a comment line after the column header row (SSSOM/TSV has comment "
                      "lines only in the metadata block above it)"))
            continue
        if len(cells) != len(columns):
            mapping_set.problems.append(mapping_set.where(
                line, f"{len(cells)} cells where the header row names {len(columns)} columns"))
            continue
        values = {c: v for c, v in zip(columns, cells, strict=True) if v.strip()}
        mapping_set.mappings.append(Mapping(values, line))
    return mapping_set


def read_mapping_set(path: Path) -> MappingSet:
    """Read one SSSOM/TSV file."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise SourceError(str(path), None, "file not found") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise SourceError(str(path), line, f"byte 0x{data[error.start]:02x} is not UTF-8 "
                          "(save the file as UTF-8)") from None
    return parse_mapping_set(text, path)


def mapping_files(paths: Iterable[Path]) -> list[Path]:
    """The `*.sssom.tsv` files named or found in folders (recursively), sorted."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(sorted(p for p in path.rglob(f"*{SUFFIX}") if p.is_file()))
        elif path.is_file():
            found.append(path)
        else:
            raise SourceError(str(path), None, "file or folder not found")
    return found


def read_mapping_sets(paths: Iterable[Path]) -> list[MappingSet]:
    return [read_mapping_set(path) for path in mapping_files(paths)]


# -- writing -------------------------------------------------------------------------------

def _ordered_metadata(metadata: dict[str, Any]) -> dict[str, Any]:
    first = {k: metadata[k] for k in _METADATA_ORDER if k in metadata}
    rest = {k: v for k, v in metadata.items() if k not in first and k != "curie_map"}
    curie_map = {"curie_map": metadata["curie_map"]} if "curie_map" in metadata else {}
    return {**first, **rest, **curie_map}


def _columns(mapping_set: MappingSet) -> list[str]:
    used = {c for m in mapping_set.mappings for c, v in m.values.items() if v}
    used.update(REQUIRED_COLUMNS)
    known = [c for c in COLUMNS if c in used]
    extra = [c for c in mapping_set.columns if c in used and c not in COLUMNS]
    extra += sorted(used - set(known) - set(extra))
    return known + extra


def format_mapping_set(mapping_set: MappingSet) -> str:
    """SSSOM/TSV text: the YAML header, then one row per mapping in the given order."""
    out = io.StringIO()
    dumped = yaml.safe_dump(_ordered_metadata(mapping_set.metadata), sort_keys=False,
                            allow_unicode=True, default_flow_style=False, width=4096)
    for line in dumped.splitlines():
        out.write(f"#{line}\n")
    columns = _columns(mapping_set)
    writer = csv.writer(out, delimiter="\t", lineterminator="\n")
    writer.writerow(columns)
    for mapping in mapping_set.mappings:
        writer.writerow([mapping.values.get(c, "") for c in columns])
    return out.getvalue()


def write_mapping_set(mapping_set: MappingSet, path: Path) -> None:
    """Write atomically: a reader sees the old file or the new one, never a part."""
    write_atomically(path, format_mapping_set(mapping_set).encode("utf-8"))


def curie_map_for(curies_used: Iterable[str], base: str | None = None) -> dict[str, str]:
    """The header curie_map for CURIEs: their prefixes, from the committed map, sorted."""
    committed = prefixes.prefix_map(base)
    used = {c.split(":", 1)[0] for c in curies_used if ":" in c}
    return {p: committed[p] for p in sorted(used, key=str.casefold) if p in committed}


def used_curies(mappings: Iterable[Mapping]) -> Iterator[str]:
    for mapping in mappings:
        for column in CURIE_COLUMNS:
            yield from mapping.all(column)


# -- checking ------------------------------------------------------------------------------

def _check_metadata(ms: MappingSet) -> Iterator[SourceError]:
    for key in REQUIRED_METADATA:
        if not ms.metadata.get(key):
            yield ms.where(1, f"the header has no {key} (required: "
                              f"{', '.join(REQUIRED_METADATA)})")
    for key in ("mapping_set_id", "license"):
        value = ms.metadata.get(key)
        if value and not re.match(r"^https?://\S+$", str(value)):
            yield ms.where(ms.header_line(key), f"{key} {value!r} is not an http(s) IRI")
    for key, value in ms.metadata.items():  # the typed slots a header may set
        for problem in _check_typed({key: value}):
            yield ms.where(ms.header_line(key), problem)
    if "curie_map" in ms.metadata and not isinstance(ms.metadata["curie_map"], dict):
        yield ms.where(ms.header_line("curie_map"), "curie_map must map prefixes to IRIs")
    declared = _extensions(ms)
    if "extension_definitions" in ms.metadata and declared is None:
        yield ms.where(ms.header_line("extension_definitions"), "extension_definitions must "
                       "be a list of mappings, each with a slot_name")
    for key in (key for key in ms.metadata if key not in METADATA | (declared or set())):
        yield ms.where(ms.header_line(key), f"unknown metadata key {key!r} (not an SSSOM "
                                            "mapping set slot, nor declared in "
                                            "extension_definitions)")
    committed = prefixes.prefix_map()
    for prefix, namespace in ms.curie_map.items():
        expected = committed.get(prefix)
        if expected is None:
            yield ms.where(ms.header_line(prefix), f"prefix {prefix!r} is not in the committed "
                           "prefix map (src/lactgraph/data/prefixes.json)")
        elif namespace != expected:
            yield ms.where(ms.header_line(prefix), f"prefix {prefix!r} maps to {namespace!r}; "
                           f"the committed prefix map says {expected!r}")


def _extensions(ms: MappingSet) -> set[str] | None:
    """The slot names the header declares, or None if extension_definitions is malformed."""
    definitions = ms.metadata.get("extension_definitions") or []
    if not isinstance(definitions, list) or not all(
            isinstance(d, dict) and isinstance(d.get("slot_name"), str) for d in definitions):
        return None
    return {d["slot_name"] for d in definitions}


def _check_columns(ms: MappingSet) -> Iterator[SourceError]:
    line = len(ms.header) + 1
    missing = [c for c in REQUIRED_COLUMNS if c not in ms.columns]
    if missing:
        yield ms.where(line, f"missing required column(s): {', '.join(missing)}")
    unknown = [c for c in ms.columns if c not in COLUMNS and c not in (_extensions(ms) or ())]
    if unknown:
        yield ms.where(line, f"unknown column(s): {', '.join(unknown)} (not SSSOM slots, "
                             "nor declared in extension_definitions)")


def _check_curie(ms: MappingSet, column: str, curie: str) -> str | None:
    """A problem with one CURIE of a row, or None."""
    if not re.fullmatch(r"[A-Za-z_][\w.-]*:\S+", curie):
        return f"{column} {curie!r} is not a CURIE (prefix:identifier)"
    prefix = curie.split(":", 1)[0]
    standard = prefixes.standardize(curie)
    if standard is None:
        return (f"{column} {curie!r}: prefix {prefix!r} is not in the committed prefix map "
                "(src/lactgraph/data/prefixes.json)")
    if standard != curie:
        return f"{column} {curie!r}: write it {standard!r} (the committed prefix)"
    if prefix not in ms.curie_map and prefix not in BUILTIN_PREFIXES:
        return f"{column} {curie!r}: prefix {prefix!r} is not declared in the header's curie_map"
    return None


def _check_target(ms: MappingSet, mapping: Mapping) -> str | None:
    """A problem with the object's target, or None: right namespace, right IRI form."""
    curie = prefixes.standardize(mapping.object_id) or mapping.object_id
    target = target_of_curie(curie)
    file_target = TARGETS.get(ms.name)
    if target is None:
        return f"object_id {mapping.object_id!r} is not an identifier of a known target " \
               f"({', '.join(TARGETS)})"
    if file_target is not None and target is not file_target:
        return f"object_id {mapping.object_id!r} belongs in {target.name}{SUFFIX}, " \
               f"not in {ms.name}{SUFFIX}"
    iri = prefixes.expand(curie) or ""
    if not re.match(target.iri_pattern, iri):
        return f"object_id {mapping.object_id!r} is not a {target.title} identifier " \
               f"(expected {target.prefix}:{target.local_id})"
    return None


def _is_date(text: str) -> bool:
    try:
        return bool(re.fullmatch(r"\d{4}-\d{2}-\d{2}", text)) and \
            bool(datetime.date.fromisoformat(text))
    except ValueError:  # 2025-02-30
        return False


def _is_unit_number(text: str) -> bool:
    try:
        return 0 <= float(text) <= 1
    except ValueError:
        return False


def _check_typed(values: dict[str, Any]) -> Iterator[str]:
    """The slots the SSSOM schema types, as a spreadsheet may have rewritten them
    ("02/01/2025", "0,9"): a date, a number from 0 to 1, a value of an enumeration."""
    for column, value in values.items():
        text = str(value).strip()
        if not text:
            continue
        if column in DATE_SLOTS and not _is_date(text):
            yield f"{column} {text!r}: expected a date as YYYY-MM-DD"
        elif column in UNIT_SLOTS and not _is_unit_number(text):
            yield f"{column} {text!r}: expected a number from 0 to 1"
        elif column in ENUM_SLOTS and text not in ENUM_SLOTS[column]:
            yield f"{column} {text!r}: expected one of {', '.join(ENUM_SLOTS[column])}"


def _check_row(ms: MappingSet, mapping: Mapping) -> Iterator[str]:
    for column in REQUIRED_COLUMNS:
        if not mapping.get(column):
            yield f"empty {column} (required)"
    for column in sorted(CURIE_COLUMNS & mapping.values.keys()):
        for curie in mapping.all(column):
            if problem := _check_curie(ms, column, curie):
                yield problem
    if mapping.subject_id and not re.match(r"^(product|reference):", mapping.subject_id):
        yield f"subject_id {mapping.subject_id!r} is not a lactgraph product or reference"
    if mapping.predicate_id and mapping.predicate_id not in SKOS_PREDICATES:
        yield f"predicate_id {mapping.predicate_id!r}: expected one of " \
              f"{', '.join(SKOS_PREDICATES)}"
    modifier = mapping.get("predicate_modifier")
    if modifier and modifier != NOT:
        yield f"predicate_modifier {modifier!r}: the only modifier is {NOT!r}"
    if mapping.justification and mapping.justification not in JUSTIFICATIONS:
        yield f"mapping_justification {mapping.justification!r} is not a semapv matching " \
              "process"
    yield from _check_typed(mapping.values)
    if mapping.subject_id.startswith("reference:") and mapping.predicate_id in SKOS_PREDICATES \
            and mapping.predicate_id != "skos:exactMatch":
        yield f"predicate_id {mapping.predicate_id!r}: a reference is linked to the article " \
              "it is (skos:exactMatch, published as schema:sameAs), or not at all"
    if ":" in mapping.object_id and (problem := _check_target(ms, mapping)):
        yield problem


def _check_accepted(ms: MappingSet) -> Iterator[SourceError]:
    """An accepted set is one target's, published at `<base>mappings/<its file name>`."""
    if ms.path is None or ms.is_candidates:
        return
    if ms.name not in TARGETS:
        yield ms.where(None, f"an accepted mapping set is one target's: name the file "
                             f"<target>{SUFFIX}, the target one of {', '.join(TARGETS)}")
    for mapping in ms.mappings:
        made_by_hand = mapping.justification == MANUAL
        if not mapping.get("reviewer_id") and not (made_by_hand and mapping.get("author_id")):
            yield ms.where(mapping.line, (
                "an accepted mapping names who reviewed it (reviewer_id), or, made by hand "
                f"({MANUAL}), who made it (author_id): a candidate copied without review "
                "would be published"))
    set_id = str(ms.metadata.get("mapping_set_id") or "")
    if set_id and not set_id.endswith(f"/mappings/{ms.path.name}"):
        yield ms.where(ms.header_line("mapping_set_id"), (
            f"mapping_set_id {set_id!r}: an accepted set is published at "
            f"<base>mappings/{ms.path.name}, which its mapping_set_id must be (a copied "
            "candidates header keeps the candidates' IRI)"))


def check_mapping_set(ms: MappingSet) -> list[SourceError]:
    """Everything wrong with one file on its own: header, columns, every row."""
    problems = [*ms.problems, *_check_metadata(ms), *_check_columns(ms), *_check_accepted(ms)]
    seen: dict[tuple[str, ...], int | None] = {}
    for mapping in ms.mappings:
        problems.extend(ms.where(mapping.line, text) for text in _check_row(ms, mapping))
        key = (mapping.subject_id, mapping.predicate_id, mapping.get("predicate_modifier"),
               mapping.object_id)
        if key in seen:
            problems.append(ms.where(mapping.line, f"the same mapping as line {seen[key]}"))
        seen.setdefault(key, mapping.line)
    return sorted(problems, key=lambda problem: problem.line or 0)


def check_conflicts(accepted: Iterable[MappingSet]) -> list[SourceError]:
    """Contradictions across the accepted sets.

    One subject mapped exactly to two objects of one target, or two subjects to one
    object (skos:exactMatch is transitive, and is published as schema:sameAs: the two
    would be said to be one); a triple both accepted and rejected (a Not row).
    """
    problems: list[SourceError] = []
    exact: dict[tuple[str, str], tuple[MappingSet, Mapping]] = {}
    exact_of: dict[str, tuple[MappingSet, Mapping]] = {}  # object -> its first subject
    decided: dict[tuple[str, str, str], dict[bool, tuple[MappingSet, Mapping]]] = {}
    for ms in accepted:
        for mapping in ms.mappings:
            triple = (mapping.subject_id, mapping.predicate_id, mapping.object_id)
            sides = decided.setdefault(triple, {})
            first_said = sides.setdefault(mapping.negated, (ms, mapping))
            if first_said[0] is not ms:  # the same file's twin is its own check's
                problems.append(ms.where(mapping.line, f"the same mapping as "
                                         f"{first_said[0].path}:{first_said[1].line}"))
            other = sides.get(not mapping.negated)
            if other is not None:
                seen_at = f"{other[0].path}:{other[1].line}"
                problems.append(ms.where(mapping.line, f"{' '.join(triple)} is both accepted "
                                         f"and rejected (see {seen_at})"))
            target = target_of_curie(mapping.object_id)
            if mapping.negated or mapping.predicate_id != "skos:exactMatch" or target is None:
                continue
            first = exact.setdefault((mapping.subject_id, target.name), (ms, mapping))
            if first[1].object_id != mapping.object_id:
                problems.append(ms.where(mapping.line, (
                    f"{mapping.subject_id} has two exact matches in {target.title}: "
                    f"{first[1].object_id} ({first[0].path}:{first[1].line}) and "
                    f"{mapping.object_id}")))
            first = exact_of.setdefault(mapping.object_id, (ms, mapping))
            if first[1].subject_id != mapping.subject_id:
                problems.append(ms.where(mapping.line, (
                    f"{mapping.object_id} is the exact match of two subjects: "
                    f"{first[1].subject_id} ({first[0].path}:{first[1].line}) and "
                    f"{mapping.subject_id} (an exact match says they are one; "
                    "skos:closeMatch says they are alike)")))
    return problems


def check_subjects(sets: Iterable[MappingSet], subjects: set[str],
                   base: str | None = None) -> list[SourceError]:
    """Rows whose subject is not a product or reference of the graph (by IRI)."""
    problems = []
    for ms in sets:
        for mapping in ms.mappings:
            iri = prefixes.expand(mapping.subject_id, base)
            if iri is not None and iri not in subjects:
                problems.append(ms.where(mapping.line, f"subject {mapping.subject_id} is not a "
                                                       "product or reference of the graph"))
    return problems


def check_mapping_sets(sets: list[MappingSet], subjects: set[str] | None = None,
                       base: str | None = None) -> list[SourceError]:
    """Every problem: each file on its own, then conflicts among accepted sets, then
    subjects unknown to the graph (when the graph's subjects are given)."""
    problems = [p for ms in sets for p in check_mapping_set(ms)]
    problems += check_conflicts(ms for ms in sets if not ms.is_candidates)
    if subjects is not None:
        problems += check_subjects(sets, subjects, base)
    return problems


def read_and_check(paths: Iterable[Path], subjects: set[str] | None = None,
                   base: str | None = None) -> tuple[list[MappingSet], list[SourceError]]:
    """Read every mapping file under paths and check them all; a file that cannot be read
    at all is one problem among the others, not the end of the check."""
    sets: list[MappingSet] = []
    problems: list[SourceError] = []
    for path in mapping_files(paths):
        try:
            sets.append(read_mapping_set(path))
        except SourceError as error:
            problems.append(error)
    return sets, problems + check_mapping_sets(sets, subjects, base)

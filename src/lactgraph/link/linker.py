"""The linker: our products and references -> Wikidata items, and on to ChEBI, ATC, MeSH...

How a candidate is found, in order (the confidence says which):

1. shared identifiers: an other writing that is an ATC code or a CAS number, a reference's
   PMID, found as the value of the same property on a Wikidata item (0.95);
2. names, for products that step 1 did not settle: preferred labels, aliases and other
   writings, English and Spanish (and Wikidata's language-neutral `mul`), compared without
   case or diacritics: our preferred label = their label (0.9), any pairing with an alias
   on either side (0.75), several items tied for the best evidence (0.5 each);
3. types: an item counts only if it is an instance of a class that fits (a homonymous
   emperor or album is dropped); a weaker hit that has the chosen item as a part (a salt
   of the drug) is proposed as skos:narrowMatch, other weaker hits are dropped.

Other targets are reached by chaining: the Wikidata item's own ChEBI, ATC, MeSH...
identifier (`semapv:MappingChaining`, confidence x 0.95). Pairs already decided by a
curator (accepted, or rejected with predicate_modifier Not) are never proposed again.

The SPARQL text is built in `queries.py` from rdflib terms, never by pasting a name into
query text, so no name can change a query's meaning.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from rdflib import Literal

from .. import __version__
from ..rdfio import read_graph, some_rdf_paths
from ..text import without_marks
from . import prefixes
from .client import Row, SparqlClient
from .queries import (
    LABEL_FIELDS,
    RDFS_NS,
    WDT,
    facts_query,
    identifier_query,
    item_id,
    name_languages,
    name_query,
    name_variants,
    property_query,
)
from .sssom import (
    SUFFIX,
    Mapping,
    MappingSet,
    curie_map_for,
    read_mapping_set,
    used_curies,
    write_mapping_set,
)
from .subjects import (
    PREF_LABEL,
    PRODUCT,
    REFERENCE,
    Name,
    Subject,
    subject_predicates,
    subjects_from_graph,
)
from .targets import EXACT_MATCH, TARGETS, Target

NARROW_MATCH = "skos:narrowMatch"
LEXICAL = "semapv:LexicalMatching"
SHARED_IDENTIFIER = "semapv:BackgroundKnowledgeBasedMatching"
CHAINING = "semapv:MappingChaining"
NORMALISATION = ("semapv:CaseNormalization", "semapv:DiacriticsSuppression")
LICENSE = "https://creativecommons.org/licenses/by-nc-sa/4.0/"

# The Wikidata property holding each kind of identifier our side has.
IDENTIFIER_PROPERTIES = {"atc": "P267", "cas": "P231", "pmid": "P698"}

# Classes (wdt:P31 values) an item must be an instance of to be proposed.
DRUG_CLASSES = frozenset({"Q11173", "Q12140", "Q113145171", "Q79529", "Q28885102", "Q8386"})
PLANT_CLASSES = frozenset({"Q16521"})  # taxon
DISEASE_CLASSES = frozenset({"Q12136"})  # disease
PROCEDURE_CLASSES = frozenset({"Q796194"})  # medical procedure
FOOD_CLASSES = frozenset({"Q2095"})  # food
ARTICLE_CLASSES = frozenset({"Q13442814"})  # scholarly article
PRODUCT_CLASSES = DRUG_CLASSES | PLANT_CLASSES | DISEASE_CLASSES | PROCEDURE_CLASSES | FOOD_CLASSES
_SCHEMA = prefixes.vocabulary_prefixes()["schema"]
SCHEMA_CLASSES = {  # a product typed with a schema.org class accepts only these
    f"{_SCHEMA}Drug": DRUG_CLASSES,
    f"{_SCHEMA}MedicalProcedure": PROCEDURE_CLASSES,
    f"{_SCHEMA}MedicalCondition": DISEASE_CLASSES,
    f"{_SCHEMA}DietarySupplement": DRUG_CLASSES | PLANT_CLASSES | FOOD_CLASSES,
    f"{_SCHEMA}Substance": DRUG_CLASSES | PLANT_CLASSES | FOOD_CLASSES,
}

IDENTIFIER, PREFERRED, ALIAS = 3, 2, 1  # evidence tiers, strongest first
CONFIDENCE = {IDENTIFIER: 0.95, PREFERRED: 0.9, ALIAS: 0.75}
SEVERAL_HITS = 0.5
CHAIN_FACTOR = 0.95


def normalise(text: str) -> str:
    """Compare names without case, diacritics, typographic quotes or spacing."""
    text = without_marks(text).replace("\u2019", "'").replace("\u2018", "'")
    return " ".join(text.casefold().split())


def _batches(items: list, size: int) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


# -- evidence ------------------------------------------------------------------------------

@dataclass
class Evidence:
    """Why a subject may be an item: the best tier seen and the fields that matched."""

    tier: int = 0
    subject_fields: set[str] = field(default_factory=set)
    object_fields: set[str] = field(default_factory=set)
    strings: set[str] = field(default_factory=set)

    def add(self, tier: int, subject_field: str, object_field: str, string: str) -> None:
        if tier > self.tier:
            self.tier = tier
            self.subject_fields, self.object_fields, self.strings = set(), set(), set()
        if tier == self.tier:
            self.subject_fields.add(subject_field)
            self.object_fields.add(object_field)
            self.strings.add(string)


@dataclass(frozen=True)
class Item:
    """What we need to know of a Wikidata item."""

    qid: str
    classes: frozenset[str] = frozenset()
    parts: frozenset[str] = frozenset()
    labels: tuple[tuple[str, str], ...] = ()  # (language, label)

    @property
    def label(self) -> str:
        labels = dict(self.labels)
        return labels.get("en") or labels.get("mul") or labels.get("es") or ""


def accepted_classes(subject: Subject) -> frozenset[str]:
    if subject.kind == REFERENCE:
        return ARTICLE_CLASSES
    typed = [SCHEMA_CLASSES[c] for c in subject.classes if c in SCHEMA_CLASSES]
    return frozenset().union(*typed) if typed else PRODUCT_CLASSES


@dataclass(frozen=True)
class Choice:
    qid: str
    predicate: str
    confidence: float
    evidence: Evidence
    comment: str = ""


def choose(subject: Subject, evidence: dict[str, Evidence], items: dict[str, Item],
           decided: AbstractSet[tuple[str, str]]) -> list[Choice]:
    """The candidates for one subject from its evidence (see the module's docstring)."""
    fitting = accepted_classes(subject)
    kept = {q: e for q, e in evidence.items()
            if q in items and items[q].classes & fitting
            and (subject.curie, f"wikidata:{q}") not in decided}
    if not kept:
        return []
    top = max(e.tier for e in kept.values())
    best = sorted(q for q, e in kept.items() if e.tier == top)
    several = len(best) > 1
    choices = [Choice(q, EXACT_MATCH, SEVERAL_HITS if several else CONFIDENCE[top], kept[q],
                      f"one of {len(best)} items found alike" if several else "")
               for q in best]
    for qid in sorted(kept):
        parent = next((p for p in best if p in items[qid].parts), None)
        if kept[qid].tier < top and parent:
            choices.append(Choice(qid, NARROW_MATCH, CONFIDENCE[kept[qid].tier], kept[qid],
                                  f"has part wikidata:{parent} (wdt:P527), as a salt has "
                                  "its drug"))
    return choices


# -- the linker ----------------------------------------------------------------------------

class Linker:
    """Finds candidates on a Wikidata-modelled SPARQL endpoint, in batches."""

    def __init__(self, client: SparqlClient, batch_size: int = 100) -> None:
        self.client = client
        self.batch_size = max(1, batch_size)

    def _select_all(self, build: Callable[[list], str], values: list) -> list[Row]:
        found: list[Row] = []
        for batch in _batches(values, self.batch_size):  # callers sort: stable cache keys
            found.extend(self.client.select(build(batch)))
        return found

    def _identifier_evidence(self, subjects: list[Subject]) -> dict[str, dict[str, Evidence]]:
        holders: dict[tuple[str, str], list[tuple[Subject, str]]] = defaultdict(list)
        for subject in subjects:
            for identifier in subject.identifiers:
                prop = IDENTIFIER_PROPERTIES[identifier.kind]
                holders[(prop, identifier.value)].append((subject, identifier.field))
        evidence: dict[str, dict[str, Evidence]] = defaultdict(dict)
        for row in self._select_all(identifier_query, sorted(holders)):
            qid, prop = item_id(row.get("item")), str(row.get("property", ""))[len(WDT):]
            for subject, subject_field in holders.get((prop, str(row.get("value"))), []):
                if qid:
                    evidence[subject.curie].setdefault(qid, Evidence()).add(
                        IDENTIFIER, subject_field, f"wdt:{prop}", str(row["value"]))
        return evidence

    def _name_evidence(self, subjects: list[Subject]) -> dict[str, dict[str, Evidence]]:
        owners: dict[tuple[str, str], list[tuple[Subject, Name]]] = defaultdict(list)
        literals: set[Literal] = set()
        for subject in subjects:
            for name in subject.names:
                for lang in name_languages(name):
                    owners[(normalise(name.text), lang)].append((subject, name))
                    literals.update(Literal(v, lang=lang) for v in name_variants(name.text))
        evidence: dict[str, dict[str, Evidence]] = defaultdict(dict)
        ordered = sorted(literals, key=lambda lit: (lit.language or "", str(lit)))
        for row in self._select_all(name_query, ordered):
            qid, found = item_id(row.get("item")), row.get("name")
            object_field = LABEL_FIELDS.get(str(row.get("field")))
            if not (qid and object_field and isinstance(found, Literal) and found.language):
                continue
            key = normalise(str(found))
            for subject, name in owners.get((key, found.language.lower()), []):
                preferred = name.field == PREF_LABEL and object_field == "rdfs:label"
                evidence[subject.curie].setdefault(qid, Evidence()).add(
                    PREFERRED if preferred else ALIAS, name.field, object_field, key)
        return evidence

    def items(self, qids: Iterable[str]) -> dict[str, Item]:
        """Classes, parts and labels of items."""
        facts: dict[str, dict[str, set]] = defaultdict(lambda: defaultdict(set))
        for row in self._select_all(facts_query, sorted(set(qids))):
            qid, prop, value = item_id(row.get("item")), str(row.get("property")), row.get("value")
            if not qid:
                continue
            if prop == f"{RDFS_NS}label" and isinstance(value, Literal):
                facts[qid]["labels"].add((value.language or "", str(value)))
            elif prop == f"{WDT}P31" and item_id(value):
                facts[qid]["classes"].add(item_id(value))
            elif prop == f"{WDT}P527" and item_id(value):
                facts[qid]["parts"].add(item_id(value))
        return {q: Item(q, frozenset(f["classes"]), frozenset(f["parts"]),
                        tuple(sorted(f["labels"]))) for q, f in facts.items()}

    def wikidata_mappings(self, subjects: Iterable[Subject],
                          decided: AbstractSet[tuple[str, str]] = frozenset(),
                          linked: AbstractSet[str] = frozenset()) -> list[Mapping]:
        """Candidates to Wikidata for subjects not already linked there by a curator."""
        todo = [s for s in subjects if s.curie not in linked]
        evidence = self._identifier_evidence(todo)
        items = self.items({q for found in evidence.values() for q in found})
        settled = {s.curie for s in todo
                   if choose(s, evidence.get(s.curie, {}), items, decided)}
        by_name = self._name_evidence([s for s in todo
                                       if s.kind == PRODUCT and s.curie not in settled])
        items.update(self.items({q for found in by_name.values() for q in found} - set(items)))
        rows: list[Mapping] = []
        for subject in todo:
            found = evidence.get(subject.curie) if subject.curie in settled else \
                by_name.get(subject.curie)
            for choice in choose(subject, found or {}, items, decided):
                rows.append(_row(subject, choice, items[choice.qid]))
        return sorted(rows, key=_order)

    def chained_mappings(self, wikidata: Iterable[Mapping], target: Target,
                         decided: AbstractSet[tuple[str, str]] = frozenset(),
                         linked: AbstractSet[str] = frozenset()) -> list[Mapping]:
        """Mappings to a target through the Wikidata items' own identifiers."""
        if target.wikidata_property is None:
            raise ValueError(f"{target.name} has no Wikidata property to chain through")
        sources = [m for m in wikidata if not m.negated and m.subject_id not in linked
                   and m.object_id.startswith("wikidata:")]
        qids = sorted({m.object_id.split(":", 1)[1] for m in sources})
        values: dict[str, set[str]] = defaultdict(set)
        prop = target.wikidata_property
        for row in self._select_all(lambda batch: property_query(batch, prop), qids):
            qid = item_id(row.get("item"))
            if qid and isinstance(row.get("value"), Literal):
                values[qid].add(str(row["value"]).strip())
        best: dict[tuple[str, str, str], Mapping] = {}
        for source in sources:
            qid = source.object_id.split(":", 1)[1]
            for value in sorted(values.get(qid, ())):
                mapping = _chained(source, target, value, decided)
                if mapping is None:
                    continue
                key = (mapping.subject_id, mapping.predicate_id, mapping.object_id)
                if key not in best or (mapping.confidence or 0) > (best[key].confidence or 0):
                    best[key] = mapping
        return sorted(best.values(), key=_order)


def compose(first: str, second: str) -> str | None:
    """The predicate of a chain first-then-second (SSSOM chaining rules), None if none."""
    if first == EXACT_MATCH:
        return second
    if second == EXACT_MATCH:
        return first
    return None


def chained_confidence(first: float | None) -> float:
    """The first mapping's confidence (1 if a curator gave none) x CHAIN_FACTOR, to 3
    decimals rounded half up (decimal arithmetic: 0.95 x 0.95 is 0.903, not 0.902)."""
    product = Decimal(str(1.0 if first is None else first)) * Decimal(str(CHAIN_FACTOR))
    return float(product.quantize(Decimal("0.001"), rounding=ROUND_HALF_UP))


def _chained(source: Mapping, target: Target, value: str,
             decided: AbstractSet[tuple[str, str]]) -> Mapping | None:
    curie = target.curie(value)
    predicate = compose(source.predicate_id, target.chain_predicate)
    if curie is None or predicate is None or (source.subject_id, curie) in decided:
        return None
    confidence = chained_confidence(source.confidence)
    return Mapping.of(source.subject_id, predicate, curie, CHAINING,
                      subject_label=source.get("subject_label"), confidence=confidence,
                      comment=f"via {source.object_id} (wdt:{target.wikidata_property})")


def _row(subject: Subject, choice: Choice, item: Item) -> Mapping:
    evidence = choice.evidence
    lexical = evidence.tier != IDENTIFIER
    return Mapping.of(
        subject.curie, choice.predicate, f"wikidata:{choice.qid}",
        LEXICAL if lexical else SHARED_IDENTIFIER,
        subject_label=subject.label, object_label=item.label, confidence=choice.confidence,
        subject_match_field=sorted(evidence.subject_fields),
        object_match_field=sorted(evidence.object_fields),
        match_string=sorted(evidence.strings),
        subject_preprocessing=NORMALISATION if lexical else None,
        object_preprocessing=NORMALISATION if lexical else None,
        comment=choice.comment or None)


def _order(mapping: Mapping) -> tuple[str, str, str]:
    return mapping.subject_id, mapping.object_id, mapping.predicate_id


# -- a whole run ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Decisions:
    """What curators decided for one target: pairs never to propose again, and subjects
    settled by an accepted exact match (a subject has at most one per target)."""

    decided: set[tuple[str, str]]
    linked: set[str]
    accepted: list[Mapping]

    @classmethod
    def read(cls, mappings_dir: Path | None, target: Target) -> Decisions:
        path = mappings_dir / f"{target.name}{SUFFIX}" if mappings_dir else None
        rows = read_mapping_set(path).mappings if path and path.is_file() else []
        accepted = [m for m in rows if not m.negated]
        return cls({(m.subject_id, m.object_id) for m in rows},
                   {m.subject_id for m in accepted if m.predicate_id == EXACT_MATCH},
                   accepted)


def candidate_set(target: Target, rows: list[Mapping], endpoint: str,
                  on: date | None = None) -> MappingSet:
    """The candidates file of a target: header and rows, ready to write."""
    base = prefixes.default_base()
    metadata = {
        "mapping_set_id": f"{base}mappings/candidates/{target.name}{SUFFIX}",
        "mapping_set_title": f"lactgraph to {target.title}: candidates",
        "mapping_set_description": (
            "Machine candidates from `lactgraph link`, never published. To accept a row, "
            f"move it into mappings/{target.name}{SUFFIX}; to reject it, move it there with "
            "predicate_modifier Not. Either way it is not proposed again."),
        "license": LICENSE,
        "mapping_tool": "lactgraph link",
        "mapping_tool_version": __version__,
        "mapping_date": (on or date.today()).isoformat(),
        "comment": f"Found by querying {endpoint}",
        "curie_map": curie_map_for(used_curies(rows)),
    }
    return MappingSet(metadata, rows)


@dataclass(frozen=True)
class LinkRun:
    path: Path
    mappings: int
    requests: int
    cache_hits: int


def link_candidates(target_name: str, client: SparqlClient, graph_dir: Path, output: Path,
                    mappings_dir: Path | None = None, base: str | None = None,
                    batch_size: int = 100, on: date | None = None) -> LinkRun:
    """Propose candidates for one target and write them to `output` (SSSOM/TSV)."""
    target = TARGETS[target_name]
    subjects = subjects_from_graph(read_graph(some_rdf_paths([graph_dir]),
                                              predicates=subject_predicates(base)), base)
    linker = Linker(client, batch_size)
    decisions = Decisions.read(mappings_dir, target)
    if target.name == "wikidata":
        rows = linker.wikidata_mappings(subjects, decisions.decided, decisions.linked)
    else:
        wikidata = Decisions.read(mappings_dir, TARGETS["wikidata"])
        found = linker.wikidata_mappings(subjects, wikidata.decided, wikidata.linked)
        rows = linker.chained_mappings([*wikidata.accepted, *found], target,
                                       decisions.decided, decisions.linked)
    write_mapping_set(candidate_set(target, rows, client.endpoint, on), output)
    return LinkRun(output, len(rows), client.requests, client.cache_hits)


"""Reading and writing RDF files: safe parsing, precise errors, atomic writes.

Files are parsed with Oxigraph's parsers, which report line and column and never fetch a
remote JSON-LD context; the triples then become an rdflib graph for validation and
serialisation. Before a parser sees a file, `read_graph` refuses one too big to hold in
memory (`max_rdf_bytes`), and `refuse_doctype` an RDF/XML file that Oxigraph must not
parse: it does expand the entities a DOCTYPE declares (a "billion laughs" file grows
without bound), and its parse time grows with the nesting depth.
"""

from __future__ import annotations

import codecs
import os
import tempfile
from collections.abc import Collection, Iterable, Iterator, Sequence
from pathlib import Path
from xml.parsers import expat

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.term import Node

from .errors import LactgraphError, SourceError

RDF_SUFFIXES = {
    ".ttl": ox.RdfFormat.TURTLE,
    ".nt": ox.RdfFormat.N_TRIPLES,
    ".nq": ox.RdfFormat.N_QUADS,
    ".trig": ox.RdfFormat.TRIG,
    ".jsonld": ox.RdfFormat.JSON_LD,
    ".json": ox.RdfFormat.JSON_LD,
    ".rdf": ox.RdfFormat.RDF_XML,
    ".owl": ox.RdfFormat.RDF_XML,
}
DATASET_FORMATS = (ox.RdfFormat.N_QUADS, ox.RdfFormat.TRIG)  # files that name their graphs
_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
IRI_CHARACTER = r'[^<>"{}|^`\\\x00-\x20]'  # what may stand inside <...> in SPARQL and Turtle
DEFAULT_MAX_RDF_BYTES = 2**30  # per file; LACTGRAPH_MAX_RDF_BYTES overrides it
MAX_XML_DEPTH = 256  # elements inside each other in an RDF/XML file
_CHUNK = 2**20


def to_rdflib(term: ox.NamedNode | ox.BlankNode | ox.Literal, as_written: bool = False
              ) -> Node:
    """An Oxigraph term as the equivalent rdflib term; as_written: a typed literal keeps
    its lexical form, where rdflib would write its value's canonical one (a report names
    `"yes"^^xsd:boolean` as the file has it, not as "false")."""
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    if term.language:
        return Literal(term.value, lang=term.language)
    if term.datatype.value == _XSD_STRING:  # a simple literal, as rdflib parsers make it
        return Literal(term.value)
    return Literal(term.value, datatype=URIRef(term.datatype.value),
                   normalize=False if as_written else None)


def rdf_paths(paths: Iterable[Path]) -> list[Path]:
    """Every RDF file named or found in a folder, sorted; a missing path is an error."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(p for p in sorted(path.rglob("*")) if p.suffix in RDF_SUFFIXES)
        elif path.is_file():
            if path.suffix not in RDF_SUFFIXES:
                expected = ", ".join(sorted(RDF_SUFFIXES))
                raise SourceError(str(path), None, f"not an RDF file: expected one of {expected}")
            found.append(path)
        else:
            raise SourceError(str(path), None, "file not found")
    return found


def some_rdf_paths(paths: Sequence[Path]) -> list[Path]:
    """`rdf_paths`, where finding none is an error: a command given a graph to read (an
    empty folder would otherwise read as a graph with nothing wrong in it)."""
    found = rdf_paths(paths)
    if not found:
        raise SourceError(", ".join(map(str, paths)), None, "no RDF file here: expected "
                          f"{', '.join(sorted(RDF_SUFFIXES))} files")
    return found


def max_rdf_bytes() -> int:
    """The largest RDF file `read_graph` reads: LACTGRAPH_MAX_RDF_BYTES, else 1 GiB.

    rdflib holds every triple in memory, several times the file's size; a bigger graph
    belongs in an Oxigraph store (`lactgraph serve` loads one from disk, streaming).
    """
    text = os.environ.get("LACTGRAPH_MAX_RDF_BYTES", "").strip()
    if not text:
        return DEFAULT_MAX_RDF_BYTES
    try:
        return int(text)
    except ValueError:
        raise LactgraphError(
            f"LACTGRAPH_MAX_RDF_BYTES={text!r}: expected a whole number of bytes"
        ) from None


def _size(count: int) -> str:
    return f"{count / 2**30:.1f} GiB" if count >= 2**30 else f"{count / 2**20:.1f} MiB"


def refuse_big_file(path: Path, limit: int) -> None:
    """Refuse a file over `limit` bytes before anything reads it."""
    size = path.stat().st_size
    if size > limit:
        raise SourceError(
            str(path), None,
            f"{_size(size)}: more than the {_size(limit)} an RDF file may have to be read "
            "into memory (set LACTGRAPH_MAX_RDF_BYTES to allow more)",
        )


def _parse_error(path: Path, error: SyntaxError) -> SourceError:
    message = error.msg or str(error)
    if "remote context" in message:  # Oxigraph has no document loader, and gets none here
        message = ("JSON-LD with a remote @context is refused (contexts are never fetched); "
                   "put the context in the file")
    return SourceError(str(path), error.lineno, message)


def read_quads(paths: Iterable[Path]) -> Iterator[ox.Quad]:
    """The statements of RDF files (of their files' every graph; blank nodes kept apart per
    file), each file refused with a precise error where it is too big, not well-formed
    or not RDF."""
    limit = max_rdf_bytes()
    for path in rdf_paths(paths):
        refuse_big_file(path, limit)
        refuse_doctype(path)
        try:
            with path.open("rb") as file:
                if file.read(len(codecs.BOM_UTF8)) != codecs.BOM_UTF8:
                    file.seek(0)  # Oxigraph's Turtle and N-Triples parsers reject a BOM
                yield from ox.parse(file, format=RDF_SUFFIXES[path.suffix],
                                    rename_blank_nodes=True)
        except SyntaxError as error:
            raise _parse_error(path, error) from None
        except UnicodeDecodeError as error:
            raise SourceError(str(path), None, f"not UTF-8 ({error.reason})") from None


def add_files(store: ox.Store, paths: Iterable[Path],
              graph: ox.NamedNode | ox.DefaultGraph | None = None) -> None:
    """The statements of RDF files into one graph of an Oxigraph store (the default one
    unless named), read as `read_quads` reads them."""
    target = graph or ox.DefaultGraph()
    store.extend(ox.Quad(quad.subject, quad.predicate, quad.object, target)
                 for quad in read_quads(paths))


def read_graph(paths: Iterable[Path], graph: Graph | None = None,
               predicates: Collection[str] | None = None) -> Graph:
    """Parse RDF files into one rdflib graph; predicates: only the triples of these (a
    command reading a few facts of a large graph: rdflib holds every triple it keeps, at
    about 1.5 KB each)."""
    graph = Graph() if graph is None else graph
    for quad in read_quads(paths):
        if predicates is None or quad.predicate.value in predicates:
            graph.add((to_rdflib(quad.subject), to_rdflib(quad.predicate),
                       to_rdflib(quad.object)))
    return graph


def refuse_doctype(path: Path) -> None:
    """Refuse an RDF/XML file with a DOCTYPE, nested deeper than MAX_XML_DEPTH, or that is
    not well-formed XML, before any RDF parser sees it (see the module doc).

    The file is read once, in chunks, by two checks: a search for "<!doctype" in any case,
    anywhere (after a comment of any length; inside the root element, where Oxigraph
    accepts one too), in UTF-8 or in the UTF-16/32 its BOM or zero bytes show (a byte that
    is not UTF-8 is refused: Oxigraph reads nothing else); and expat, which decodes what
    the XML declaration says, stops at a DOCTYPE before any entity is declared, and
    measures the depth.
    """
    if RDF_SUFFIXES[path.suffix] is not ox.RdfFormat.RDF_XML:
        return
    with path.open("rb") as file:
        chunk = file.read(_CHUNK)
        check = _XmlCheck(str(path), _search_codec(chunk))
        while chunk:
            check.feed(chunk)
            chunk = file.read(_CHUNK)
        check.feed(b"", final=True)


def _search_codec(head: bytes) -> str:
    """How to read a file that starts with `head`: UTF-16 or UTF-32 by its BOM or its zero
    bytes, else UTF-8, the only encoding Oxigraph reads RDF/XML in."""
    for start, codec in (
        (codecs.BOM_UTF32_LE, "utf-32-le"), (codecs.BOM_UTF32_BE, "utf-32-be"),
        (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"),
        (b"<\0\0\0", "utf-32-le"), (b"\0\0\0<", "utf-32-be"),
        (b"<\0", "utf-16-le"), (b"\0<", "utf-16-be"),
    ):
        if head.startswith(start):
            return codec
    return "utf-8"


class _Refused(Exception):
    def __init__(self, line: int | None, message: str) -> None:
        self.line, self.message = line, message


_DOCTYPE = "<!doctype"
_DOCTYPE_REFUSED = ("RDF/XML with a DOCTYPE is refused: the entities it declares can "
                    "expand without bound (\"billion laughs\"); remove the DOCTYPE")


class _XmlCheck:
    """The two checks of `refuse_doctype`, fed the file chunk by chunk."""

    def __init__(self, path: str, codec: str) -> None:
        self.path = path
        self.decoder = codecs.getincrementaldecoder(codec)()
        self.tail = ""  # the end of the text searched so far: a DOCTYPE may span two chunks
        self.newlines = 0  # before the tail
        self.depth = 0
        self.parser = expat.ParserCreate()
        self.parser.StartDoctypeDeclHandler = self._doctype
        self.parser.StartElementHandler = self._start
        self.parser.EndElementHandler = self._end

    def feed(self, chunk: bytes, final: bool = False) -> None:
        try:
            text = self.tail + self.decoder.decode(chunk, final).lower()
        except UnicodeDecodeError as error:
            line = self.newlines + self.tail.count("\n") + error.object.count(b"\n", 0, error.start)
            byte = error.object[error.start]
            message = f"byte 0x{byte:02x} is not {error.encoding.upper()}; RDF/XML must be UTF-8"
            raise SourceError(self.path, line + 1, message) from None
        found = text.find(_DOCTYPE)
        if found >= 0:
            line = self.newlines + text.count("\n", 0, found) + 1
            raise SourceError(self.path, line, _DOCTYPE_REFUSED)
        self.tail = text[-len(_DOCTYPE) + 1 :]
        self.newlines += text.count("\n", 0, len(text) - len(self.tail))
        try:
            self.parser.Parse(chunk, final)
        except _Refused as refused:
            raise SourceError(self.path, refused.line, refused.message) from None
        except expat.ExpatError as error:
            message = f"not well-formed XML at column {error.offset + 1}: "
            raise SourceError(
                self.path, error.lineno, message + expat.ErrorString(error.code)
            ) from None

    def _doctype(self, *_args: object) -> None:
        raise _Refused(self.parser.CurrentLineNumber, _DOCTYPE_REFUSED)

    def _start(self, *_args: object) -> None:
        self.depth += 1
        if self.depth > MAX_XML_DEPTH:
            raise _Refused(
                self.parser.CurrentLineNumber,
                f"elements nested more than {MAX_XML_DEPTH} deep: refused, as the time "
                "to parse RDF/XML grows with its depth",
            )

    def _end(self, *_args: object) -> None:
        self.depth -= 1


def make_readable(path: Path) -> None:
    """Give a temporary file or folder (made 0600 or 0700) the mode any the user makes
    gets: what the build publishes must be readable by the server's user."""
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(path, (0o777 if path.is_dir() else 0o666) & ~umask)


def write_atomically(path: Path, data: bytes) -> None:
    """Write a file so that readers see the old or the new content, never a part.

    A symbolic link keeps pointing where it did (its target is replaced); a folder, a
    device or a pipe is never replaced by a file: that is an error, as a folder that
    cannot be made or written into is."""
    target = Path(os.path.realpath(path))
    if target.exists() and not target.is_file():
        kind = "a folder" if target.is_dir() else "not a regular file"
        raise SourceError(str(path), None, f"{kind}: expected a file to write (or none)")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    except OSError as error:
        raise SourceError(str(path), None, f"cannot write here: {error.strerror}") from None
    try:
        make_readable(Path(temporary))
        with os.fdopen(handle, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, target)
    except BaseException as error:
        Path(temporary).unlink(missing_ok=True)
        if isinstance(error, OSError):
            raise SourceError(str(path), None, f"cannot write: {error.strerror}") from None
        raise

"""RDF inputs that could hang, exhaust memory or reach the network are refused at once.

`lactgraph validate` (and everything else reading RDF through `rdfio.read_graph`):
- RDF/XML with a DOCTYPE ("billion laughs" makes Oxigraph expand entities for ever),
  however it hides: after a long comment, in lower case, in UTF-16, inside the root
  element, across a read boundary;
- RDF/XML nested deep enough to make Oxigraph's parse time explode;
- JSON-LD whose @context is remote: refused, and nothing is fetched;
- files bigger than LACTGRAPH_MAX_RDF_BYTES (1 GiB): refused from their size, unread;
- syntax and encoding errors name the line and the problem.
Each CLI run is timed against a plain run, and its memory is measured and capped.
"""

from __future__ import annotations

import os
import resource
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from lactgraph import rdfio
from lactgraph.errors import LactgraphError, SourceError
from lactgraph.rdfio import read_graph

from .conftest import ROOT

MIB = 2**20
ADDRESS_SPACE = 6 * 2**30  # a child that failed to refuse dies here instead of the machine
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
ROOT_OPEN = f'<rdf:RDF xmlns:rdf="{RDF}" xmlns:ex="http://example.org/">\n'
DESCRIPTION = '<rdf:Description rdf:about="http://example.org/s"><ex:p>{}</ex:p></rdf:Description>'
# Ten levels of ten: 10**10 characters if a parser expands it.
LAUGHS = "<!DOCTYPE rdf:RDF [\n <!ENTITY l0 \"ha\">\n" + "".join(
    f' <!ENTITY l{n} "{f"&l{n - 1};" * 10}">\n' for n in range(1, 11)) + "]>\n"
BILLION_LAUGHS = (f'<?xml version="1.0"?>\n{LAUGHS}{ROOT_OPEN}'
                  f'{DESCRIPTION.format("&l10;")}\n</rdf:RDF>\n')


# --- running the CLI, timed and measured --------------------------------------------------


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str
    seconds: float
    peak_bytes: int


def _cap_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE, ADDRESS_SPACE))


def run_cli(*args: str, env: dict[str, str] | None = None, timeout: float = 60.0) -> Run:
    """`python -m lactgraph ARGS` in the project; its wall time and peak resident memory."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.monotonic()
        process = subprocess.Popen([sys.executable, "-m", "lactgraph", *args], cwd=ROOT,
                                   stdout=out, stderr=err, env={**os.environ, **(env or {})},
                                   preexec_fn=_cap_memory)
        while not (ended := os.wait4(process.pid, os.WNOHANG))[0]:
            if time.monotonic() - started > timeout:
                process.kill()
                os.wait4(process.pid, 0)
                process.returncode = -9
                pytest.fail(f"lactgraph {' '.join(args)} still ran after {timeout} s")
            time.sleep(0.005)
        seconds = time.monotonic() - started
        _pid, status, usage = ended
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return Run(process.returncode, out.read().decode(), err.read().decode(), seconds,
                   usage.ru_maxrss * 1024)


@pytest.fixture(scope="module")
def plain(tmp_path_factory: pytest.TempPathFactory) -> Run:
    """A run on a small valid file: the time and memory the CLI needs anyway."""
    path = tmp_path_factory.mktemp("plain") / "plain.rdf"
    path.write_text(ROOT_OPEN + DESCRIPTION.format("x") + "</rdf:RDF>\n", encoding="utf-8")
    run = run_cli("validate", str(path))
    assert run.returncode == 0, run.stderr
    return run


def assert_refused_at_once(run: Run, plain: Run, path: Path, line: int | None,
                           fragment: str) -> None:
    where = f"{path}:{line}" if line else str(path)
    assert run.returncode == 1
    assert "Traceback" not in run.stderr
    assert run.stderr.startswith(f"lactgraph: error: {where}: "), run.stderr[:500]
    assert fragment in run.stderr
    assert run.seconds < plain.seconds + 1.0, run.seconds
    assert run.peak_bytes < plain.peak_bytes + 64 * MIB, run.peak_bytes


# --- DOCTYPE ------------------------------------------------------------------------------------


def _line_of(text: str, fragment: str) -> int:
    return text[: text.lower().index(fragment.lower())].count("\n") + 1


def _hidden(where: str) -> tuple[bytes, int]:
    """A billion laughs file whose DOCTYPE hides `where`, and the DOCTYPE's line."""
    text = BILLION_LAUGHS
    match where:
        case "plain":
            pass
        case "after-a-long-comment":
            text = text.replace("?>\n", "?>\n<!-- " + "x\n" * (2 * MIB) + " -->\n", 1)
        case "lower-case":
            text = text.replace("<!DOCTYPE", "<!doctype")
        case "inside-the-root-element":
            text = ROOT_OPEN + LAUGHS + DESCRIPTION.format("&l10;") + "\n</rdf:RDF>\n"
        case "across-a-read-boundary":
            padding = rdfio._CHUNK - len('<?xml version="1.0"?>\n') - 4
            text = text.replace("?>\n", "?>\n" + " " * padding, 1)
        case "utf-16" | "utf-16-without-bom":
            text = text.replace('version="1.0"', 'version="1.0" encoding="UTF-16"')
    line = _line_of(text, "<!DOCTYPE")
    if where == "utf-16":
        return text.encode("utf-16"), line
    if where == "utf-16-without-bom":
        return text.encode("utf-16-be"), line
    return text.encode(), line


HIDING = ["plain", "after-a-long-comment", "lower-case", "inside-the-root-element",
          "across-a-read-boundary", "utf-16", "utf-16-without-bom"]


@pytest.mark.parametrize("where", HIDING)
def test_a_doctype_is_refused_wherever_it_hides(tmp_path: Path, where: str) -> None:
    path = tmp_path / "laughs.rdf"
    data, line = _hidden(where)
    path.write_bytes(data)
    started = time.monotonic()
    with pytest.raises(SourceError) as caught:
        read_graph([path])
    assert time.monotonic() - started < 1.0
    assert (caught.value.path, caught.value.line) == (str(path), line)
    assert caught.value.message.startswith("RDF/XML with a DOCTYPE is refused")


@pytest.mark.parametrize("where", ["plain", "after-a-long-comment", "utf-16"])
def test_validate_refuses_billion_laughs_within_a_second(tmp_path: Path, plain: Run,
                                                         where: str) -> None:
    path = tmp_path / "laughs.rdf"
    data, line = _hidden(where)
    path.write_bytes(data)
    run = run_cli("validate", str(path))
    assert_refused_at_once(run, plain, path, line, "billion laughs")


def test_the_store_loader_refuses_a_hidden_doctype_too(tmp_path: Path) -> None:
    from lactgraph.store.oxigraph import load_store

    path = tmp_path / "laughs.rdf"
    path.write_bytes(_hidden("after-a-long-comment")[0])
    with pytest.raises(LactgraphError, match="DOCTYPE is refused"):
        load_store([(path, "http://example.org/graph")], tmp_path / "store")


# --- other RDF/XML ------------------------------------------------------------------------------


def _nested(depth: int) -> str:
    """RDF/XML with `depth` elements inside each other (a chain of blank nodes)."""
    levels = (depth - 2) // 2
    return (ROOT_OPEN + "<rdf:Description>" + "<ex:p><rdf:Description>" * levels
            + "</rdf:Description></ex:p>" * levels + "</rdf:Description></rdf:RDF>\n")


def test_deep_rdf_xml_is_refused_before_oxigraph_slows_down(tmp_path: Path) -> None:
    """Oxigraph took 26 s on 50 000 levels (2.4 MB) and 224 s on 100 000."""
    path = tmp_path / "deep.rdf"
    path.write_text(_nested(100_000), encoding="utf-8")
    started = time.monotonic()
    with pytest.raises(SourceError) as caught:
        read_graph([path])
    assert time.monotonic() - started < 1.0
    assert caught.value.message.startswith(f"elements nested more than {rdfio.MAX_XML_DEPTH} deep")
    path.write_text(_nested(rdfio.MAX_XML_DEPTH), encoding="utf-8")
    assert len(read_graph([path])) == (rdfio.MAX_XML_DEPTH - 2) // 2


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        (ROOT_OPEN + "<rdf:Description>\n<ex:p>x</ex:q>", 3, "not well-formed XML at column 10: "
                                                           "mismatched tag"),
        (ROOT_OPEN + DESCRIPTION.format("caf\xe9"), 2, "byte 0xe9 is not UTF-8; RDF/XML must "
                                                      "be UTF-8"),
    ],
    ids=["mismatched-tag", "latin-1"],
)
def test_broken_rdf_xml_names_its_line(tmp_path: Path, text: str, line: int,
                                       message: str) -> None:
    path = tmp_path / "broken.rdf"
    path.write_bytes(text.encode("latin-1"))
    with pytest.raises(SourceError) as caught:
        read_graph([path])
    assert (caught.value.line, caught.value.message) == (line, message)


# --- JSON-LD contexts are never fetched ---------------------------------------------------------


class Listener:
    """A loopback TCP listener that counts the connections it is offered."""

    def __init__(self) -> None:
        self.socket = socket.create_server(("127.0.0.1", 0))
        self.socket.settimeout(0.1)
        self.url = f"http://127.0.0.1:{self.socket.getsockname()[1]}/"
        self.connections = 0
        self.open = True
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        while self.open:
            try:
                connection, _address = self.socket.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.connections += 1
            connection.close()

    def close(self) -> None:
        self.open = False
        self.thread.join()
        self.socket.close()


@pytest.fixture
def listener() -> Iterator[Listener]:
    listening = Listener()
    yield listening
    listening.close()


def _remote_contexts(url: str) -> dict[str, str]:
    node = '"@id": "http://example.org/s", "http://example.org/p": "x"'
    return {
        "string": f'{{"@context": "{url}context.jsonld", {node}}}',
        "array": f'{{"@context": [{{"@vocab": "http://example.org/"}}, "{url}c"], {node}}}',
        "import": f'{{"@context": {{"@import": "{url}c"}}, {node}}}',
        "nested": f'{{{node}, "http://example.org/q": {{"@context": "{url}c", "@value": 1}}}}',
        "graph": f'[{{{node}}}, {{"@context": "{url}c", "@id": "http://example.org/t"}}]',
    }


@pytest.mark.parametrize("kind", list(_remote_contexts("")))
def test_a_remote_context_is_refused_not_fetched(tmp_path: Path, listener: Listener,
                                                 kind: str) -> None:
    path = tmp_path / "remote.jsonld"
    path.write_text(_remote_contexts(listener.url)[kind], encoding="utf-8")
    with pytest.raises(SourceError) as caught:
        read_graph([path])
    assert caught.value.message.startswith("JSON-LD with a remote @context is refused")
    time.sleep(0.2)  # time for a connection, had one been attempted
    assert listener.connections == 0


def test_validate_refuses_a_remote_context_and_connects_to_nothing(
    tmp_path: Path, listener: Listener, plain: Run
) -> None:
    path = tmp_path / "remote.jsonld"
    path.write_text(_remote_contexts(listener.url)["string"], encoding="utf-8")
    run = run_cli("validate", str(path))
    assert_refused_at_once(run, plain, path, None, "remote @context is refused (contexts are "
                                                   "never fetched)")
    assert listener.connections == 0


def test_the_listener_would_have_seen_a_connection(listener: Listener) -> None:
    """The listener works: a fetch, had it happened, would have been counted."""
    socket.create_connection(("127.0.0.1", int(listener.url.rsplit(":", 1)[1].strip("/")))).close()
    deadline = time.monotonic() + 5
    while listener.connections == 0 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert listener.connections == 1


# --- size ---------------------------------------------------------------------------------------


def _sparse(path: Path, size: int) -> Path:
    with path.open("wb") as file:
        file.truncate(size)  # no data is written: the file takes no disk space
    return path


@pytest.mark.parametrize("suffix", [".nt", ".ttl", ".rdf", ".jsonld"])
def test_a_gigabytes_file_is_refused_unread(tmp_path: Path, plain: Run, suffix: str) -> None:
    path = _sparse(tmp_path / f"huge{suffix}", 2 * 2**30)
    run = run_cli("validate", str(path))
    assert_refused_at_once(run, plain, path, None, "2.0 GiB: more than the 1.0 GiB an RDF "
                                                   "file may have to be read into memory")
    assert "LACTGRAPH_MAX_RDF_BYTES" in run.stderr


def test_the_size_limit_is_configurable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "small.nt"
    path.write_text('<http://example.org/s> <http://example.org/p> "x" .\n', encoding="utf-8")
    size = path.stat().st_size
    monkeypatch.setenv("LACTGRAPH_MAX_RDF_BYTES", str(size))
    assert len(read_graph([path])) == 1
    monkeypatch.setenv("LACTGRAPH_MAX_RDF_BYTES", str(size - 1))
    with pytest.raises(SourceError, match="set LACTGRAPH_MAX_RDF_BYTES to allow more"):
        read_graph([path])
    monkeypatch.setenv("LACTGRAPH_MAX_RDF_BYTES", "lots")
    with pytest.raises(LactgraphError, match="LACTGRAPH_MAX_RDF_BYTES='lots': expected a whole"):
        read_graph([path])


# --- syntax and encoding errors name the line ----------------------------------------------------

TRIPLE = '<http://example.org/s> <http://example.org/p> "x" .\n'


@pytest.mark.parametrize(
    ("name", "data", "line", "fragment"),
    [
        ("unterminated.ttl", (TRIPLE * 3 + '<http://example.org/s> <http://example.org/p> "x'
                              ).encode(), 4, "Unexpected end of file"),
        ("latin1.ttl", TRIPLE.encode() + '<http://example.org/s> <http://example.org/p> "é" .\n'
         .encode("latin-1"), 2, "Invalid UTF-8"),
        ("latin1.nt", (TRIPLE * 2).encode() + b'<http://example.org/s> <http://example.org/p> '
         b'"\xff" .\n', 3, "Invalid UTF-8"),
        ("latin1.jsonld", '{"@id": "http://example.org/s",\n "http://example.org/p": "é"}'
         .encode("latin-1"), 2, "Invalid UTF-8"),
        ("utf16.ttl", TRIPLE.encode("utf-16"), 1, "Invalid UTF-8"),
    ],
)
def test_a_syntax_or_encoding_error_names_its_line(tmp_path: Path, name: str, data: bytes,
                                                   line: int, fragment: str) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(SourceError) as caught:
        read_graph([path])
    assert caught.value.line == line
    assert fragment in caught.value.message
    assert str(caught.value).startswith(f"{path}:{line}: ")


def test_a_utf8_bom_is_not_an_error(tmp_path: Path) -> None:
    """Oxigraph's Turtle and N-Triples parsers reject a BOM: was "\ufeff is not a valid subject"."""
    for suffix in (".ttl", ".nt", ".nq", ".trig", ".jsonld", ".rdf"):
        path = tmp_path / f"bom{suffix}"
        text = (ROOT_OPEN + DESCRIPTION.format("x") + "</rdf:RDF>" if suffix == ".rdf" else
                '{"@id": "http://example.org/s", "http://example.org/p": "x"}'
                if suffix == ".jsonld" else TRIPLE)
        path.write_bytes(b"\xef\xbb\xbf" + text.encode())
        assert len(read_graph([path])) == 1, suffix

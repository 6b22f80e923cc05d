"""Shared fixtures: the project's paths and a real `lactgraph serve` on a loopback port."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from requests.adapters import HTTPAdapter

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"


class SourceAddress(HTTPAdapter):
    """Connect from a chosen local address (another client, as the server sees it)."""

    def __init__(self, address: str) -> None:
        self.address = address
        super().__init__()

    def init_poolmanager(self, *args, **kwargs) -> None:
        kwargs["source_address"] = (self.address, 0)
        super().init_poolmanager(*args, **kwargs)


def client(address: str) -> requests.Session:
    """An HTTP session whose requests come from address (any 127/8 address on Linux)."""
    session = requests.Session()
    session.mount("http://", SourceAddress(address))
    return session


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LiveServer:
    """`python -m lactgraph serve` in a subprocess, talked to over HTTP."""

    def __init__(self, cache_dir: Path, *options: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        env = {**os.environ, "LACTGRAPH_CACHE_DIR": str(cache_dir)}
        command = [sys.executable, "-m", "lactgraph", "serve", "--port", str(self.port), *options]
        # The server's output goes to a file: a pipe nobody reads blocks a chatty server.
        # Beside the cache, in pytest's own temporary folder: a run that is killed leaves
        # it where pytest prunes old runs, not in /tmp.
        self.log = tempfile.NamedTemporaryFile(  # noqa: SIM115 - kept open for the server's life
            prefix="lactgraph-serve-", suffix=".log", dir=cache_dir.parent)
        self.process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT
        )
        self._wait_until_up()

    def _wait_until_up(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                output = Path(self.log.name).read_text(errors="replace")
                raise RuntimeError(f"server exited with {self.process.returncode}:\n{output}")
            try:
                if requests.get(self.url + "healthz", timeout=1).ok:
                    return
            except requests.RequestException:  # not listening yet, or still loading
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("server did not start in time")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


@pytest.fixture(scope="session")
def start_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator:
    """A factory: start_server('--query-timeout', '1') -> a running LiveServer."""
    servers: list[LiveServer] = []
    cache = tmp_path_factory.mktemp("store-cache")

    def start(*options: str) -> LiveServer:
        server = LiveServer(cache, *options)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


# The stores a test of `server` runs against: the embedded one, and in the modules marked
# `both_stores` a Virtuoso too (issue 6: "the same test suite runs against both").
EMBEDDED, REMOTE = "embedded", "remote"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "both_stores: run the tests of `server` against the "
                                       "remote store (a Virtuoso) too")
    config.addinivalue_line("markers", "embedded_only(why): not against the remote store")
    # A shell starts a background job (`.ci/run &`) with SIGINT ignored, and the commands
    # the tests start inherit that: the tests of Ctrl-C would see it ignored.
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    marked = metafunc.definition.get_closest_marker
    if "server" in metafunc.fixturenames and marked("both_stores") and not marked(
            "embedded_only"):
        metafunc.parametrize("server", [EMBEDDED, REMOTE], indirect=True, scope="session")


@pytest.fixture(scope="session")
def server(request: pytest.FixtureRequest, start_server) -> LiveServer:
    """The bundled graph, served as `lactgraph serve` would serve it: from the build's
    store, or (parametrized, above) from a Virtuoso it was pushed to."""
    if getattr(request, "param", EMBEDDED) == REMOTE:
        return request.getfixturevalue("remote_server")
    return start_server()


@pytest.fixture(scope="session")
def virtuoso(tmp_path_factory: pytest.TempPathFactory) -> Iterator:
    """A throwaway Virtuoso (tests/virtuoso.py), or a skip where none is installed."""
    from .virtuoso import start_virtuoso

    started = start_virtuoso(tmp_path_factory.mktemp("virtuoso"))
    yield started
    started.stop()


@pytest.fixture(scope="session")
def pushed(virtuoso):
    """The project's graph, ontology and shapes, pushed to Virtuoso."""
    from lactgraph.config import Settings
    from lactgraph.push import dataset_parts, push

    from .virtuoso import loader, quiet

    return push(dataset_parts(Settings(project_dir=ROOT)), loader(virtuoso), say=quiet)


@pytest.fixture(scope="session")
def remote_server(start_server, virtuoso, pushed) -> LiveServer:
    """`lactgraph serve` configured as a web worker is: by LACTGRAPH_SPARQL_ENDPOINT."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("LACTGRAPH_SPARQL_ENDPOINT", virtuoso.sparql)
        return start_server()


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """../shared (there for CI and developers, absent on a user's clone)."""
    if not SHARED.is_dir():
        pytest.skip("../shared is not present")
    return SHARED

"""A throwaway Virtuoso Open Source on loopback, for the tests of the remote store.

Its own database in a temporary folder, free ports bound to 127.0.0.1 (the SQL port that
Virtuoso insists on, and HTTP), the `dba`/`dba` account of a fresh database; stopped at the
end of the session. Started in about three seconds.

Endpoints: `/sparql` (public, read-only: the SPARQL user has no update rights),
`/sparql-auth` (SPARQL Update, Digest auth as dba) and `/sparql-graph-crud-auth` (Graph Store
Protocol, Digest auth). Loading goes through the authenticated ones: granting SPARQL_UPDATE
to the public SPARQL user would let anyone who reaches the server change the data.

When `virtuoso-t` is not installed (Debian: `apt-get install virtuoso-opensource`) the tests
that need it are skipped, saying so; with LACTGRAPH_REQUIRE_VIRTUOSO=1 (CI) they fail.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from lactgraph.sparql_client import Server

from .conftest import free_port

BINARY = "virtuoso-t"
REQUIRE = "LACTGRAPH_REQUIRE_VIRTUOSO"
USER = PASSWORD = "dba"  # a fresh database's administrator

# CaseMode = 2 is the Debian package's setting; without it this Virtuoso answers ASK as a
# one-column SELECT. ResultSetMaxRows caps every answer silently, so it is set far above
# anything the site asks for (the search index selects every label).
INI = """\
[Database]
DatabaseFile = {dir}/virtuoso.db
ErrorLogFile = {dir}/virtuoso.log
LockFile = {dir}/virtuoso.lck
TransactionFile = {dir}/virtuoso.trx
xa_persistent_file = {dir}/virtuoso.pxa
TempStorage = TempDatabase

[TempDatabase]
DatabaseFile = {dir}/virtuoso-temp.db
TransactionFile = {dir}/virtuoso-temp.trx

[Parameters]
ServerPort = 127.0.0.1:{sql_port}
DisableUnixSocket = 1
CaseMode = 2
DirsAllowed = ., {dir}
NumberOfBuffers = 10000
MaxDirtyBuffers = 6000
CheckpointInterval = 0

[HTTPServer]
ServerPort = 127.0.0.1:{http_port}
ServerRoot = {dir}
ServerThreads = 10
MaxClientConnections = 10

[SPARQL]
ResultSetMaxRows = 1000000
MaxQueryExecutionTime = 60
"""


@dataclass
class Virtuoso:
    directory: Path
    http_port: int
    process: subprocess.Popen

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}/"

    @property
    def sparql(self) -> str:
        """The public, read-only endpoint (what `serve --sparql-endpoint` reads)."""
        return self.url + "sparql"

    @property
    def sparql_auth(self) -> str:
        """SPARQL Query and Update, with Digest auth."""
        return self.url + "sparql-auth"

    @property
    def graph_store(self) -> str:
        """The Graph Store Protocol, with Digest auth."""
        return self.url + "sparql-graph-crud-auth"

    def log(self) -> str:
        path = self.directory / "virtuoso.log"
        return path.read_text(errors="replace")[-3000:] if path.exists() else "(no log)"

    def stop(self) -> None:
        self.process.terminate()  # Virtuoso checkpoints and exits
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def virtuoso_binary() -> str:
    """The path of virtuoso-t, else a skip (a failure where CI requires Virtuoso)."""
    found = shutil.which(BINARY)
    if found:
        return found
    reason = f"{BINARY} is not installed (apt-get install virtuoso-opensource)"
    if os.environ.get(REQUIRE) == "1":
        pytest.fail(f"{reason}, and {REQUIRE}=1")
    pytest.skip(reason)


def start_virtuoso(directory: Path, timeout: float = 60.0) -> Virtuoso:
    """A new Virtuoso with an empty database in directory, up and answering /sparql."""
    binary = virtuoso_binary()
    http_port = free_port()
    ini = directory / "virtuoso.ini"
    ini.write_text(INI.format(dir=directory, sql_port=free_port(), http_port=http_port))
    process = subprocess.Popen([binary, "+foreground", "+configfile", str(ini)], cwd=directory,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    server = Virtuoso(directory, http_port, process)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{BINARY} exited with {process.returncode}:\n{server.log()}")
        try:
            if requests.get(server.sparql, params={"query": "ASK {}"}, timeout=2).ok:
                return server
        except requests.ConnectionError:
            pass
        time.sleep(0.2)
    server.stop()
    raise RuntimeError(f"{BINARY} did not answer in {timeout:g} s:\n{server.log()}")


def loader(virtuoso: Virtuoso, graph_store: bool = True, password: str = PASSWORD) -> Server:
    """How `lactgraph push` reaches the test server: Digest auth as dba; the Graph Store
    Protocol for staging, or SPARQL Update batches without it."""
    return Server(virtuoso.sparql_auth, virtuoso.graph_store if graph_store else None,
                  USER, password, timeout=60)


def quiet(line: str) -> None:
    """push's progress lines, unwanted in test output."""

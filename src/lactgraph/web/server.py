"""Run the app under waitress and stop it gracefully on SIGTERM.

`waitress.serve` stops dead on SIGTERM (Python's default: the process ends, answers half
sent). A container orchestrator or systemd sends SIGTERM and waits before SIGKILL, so
`serve` uses that time: on SIGTERM it stops listening (new connections are refused, so a
load balancer moves on), lets the requests already received finish and their answers go
out, for at most `grace` seconds, then closes every connection, the SPARQL workers, and
returns. Ctrl-C (SIGINT) still stops at once.

This drives waitress's event loop (`wasyncore.loop`, one turn at a time) instead of
`server.run()`, which has no way to stop but an exception; it reads the channels' queues
(`requests`, `total_outbufs_len`), stable since waitress 2.
"""

from __future__ import annotations

import errno
import logging
import signal
import sys
import threading
import time

from flask import Flask
from waitress import wasyncore
from waitress.channel import HTTPChannel
from waitress.server import BaseWSGIServer, MultiSocketServer, create_server

from ..errors import LactgraphError
from ..store.querypool import QueryPool

IDLE_TURN = 1.0  # seconds a turn of the event loop waits for activity (waitress's own)
TURN = 0.05  # the same while draining, when no new connection will wake it
Server = BaseWSGIServer | MultiSocketServer  # one socket, or several (a name of two addresses)


def _socket_map(server: object) -> dict:
    """The map of sockets of a single (BaseWSGIServer) or multi-socket server."""
    return server.map if hasattr(server, "map") else server._map


def _listeners(server: Server) -> list[BaseWSGIServer]:
    return [d for d in _socket_map(server).values() if isinstance(d, BaseWSGIServer)]


def _busy(socket_map: dict) -> int:
    """Requests received and not yet answered in full (queued, running or being sent)."""
    return sum(1 for channel in list(socket_map.values())
               if isinstance(channel, HTTPChannel)
               and (channel.requests or channel.total_outbufs_len or channel.request))


def _close_pools(app: Flask) -> None:
    for extension in list(app.extensions.values()):
        if isinstance(extension, QueryPool):
            extension.close()


def _say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def _bind_failure(error: OSError | ValueError) -> str:
    """Why an address cannot be listened on, in words (waitress says ValueError for a
    host name that does not resolve)."""
    if isinstance(error, ValueError):
        return "unknown host or invalid address"
    if error.errno == errno.EADDRNOTAVAIL:
        return "not an address of this machine"
    reason = error.strerror or str(error)
    return reason[:1].lower() + reason[1:]


def listen(app: Flask, host: str, port: int, threads: int = 8) -> Server:
    """A waitress server of app bound to host:port (0: any free port), not serving yet; an
    address that cannot be listened on is one LactgraphError (the app's pools closed)."""
    logging.basicConfig()  # as waitress.serve: its warnings (queue depth) are seen
    try:
        # X-Forwarded-For reaches the app, which believes it only from its trusted
        # proxies (ratelimit.py); waitress would otherwise drop it before the app could.
        return create_server(app, host=host, port=port, threads=threads, ident="lactgraph",
                             clear_untrusted_proxy_headers=False)
    except (OSError, ValueError) as error:
        _close_pools(app)
        raise LactgraphError(f"cannot listen on {host}:{port}: {_bind_failure(error)}") from None


def listening_port(server: Server) -> int:
    """The port a server listens on (the one chosen, with port 0)."""
    return _listeners(server)[0].effective_port


def serve(app: Flask, server: Server, grace: float = 30.0) -> None:
    """Serve until SIGTERM, then finish the requests in flight (up to grace seconds)."""
    socket_map = _socket_map(server)
    listeners = _listeners(server)
    stopping = threading.Event()

    def on_sigterm(signum: int, frame: object) -> None:
        stopping.set()
        listeners[0].pull_trigger()  # wake the loop now (a write to a pipe: signal-safe)

    previous = signal.signal(signal.SIGTERM, on_sigterm)
    try:
        while not stopping.is_set():
            wasyncore.loop(timeout=IDLE_TURN, map=socket_map, count=1)
        for listener in listeners:
            wasyncore.dispatcher.close(listener)  # stop accepting; keep the wake-up trigger
        _say(f"lactgraph: SIGTERM: finishing {_busy(socket_map)} request(s) "
            f"(at most {grace:g} s)")
        deadline = time.monotonic() + grace
        while _busy(socket_map) and time.monotonic() < deadline:
            wasyncore.loop(timeout=TURN, map=socket_map, count=1)
        if _busy(socket_map):
            _say(f"lactgraph: {_busy(socket_map)} request(s) still running after {grace:g} s; "
                "closing them")
    finally:
        signal.signal(signal.SIGTERM, previous)
        wasyncore.close_all(socket_map)
        server.task_dispatcher.shutdown(cancel_pending=True, timeout=1)
        _close_pools(app)
    _say("lactgraph: stopped")

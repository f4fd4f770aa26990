"""Serves container logs the way the kubelet does, so `kubectl logs` works against the agent.

`kubectl logs` asks the API server, which connects to the Node's address and
`daemonEndpoints.kubeletEndpoint.Port` over HTTPS and requests
`/containerLogs/{namespace}/{pod}/{container}`. This server answers that one path from the
agent's log files, with `tailLines`, `limitBytes` and `follow` (until the container ends).
"""

from __future__ import annotations

import http.server
import ssl
import threading
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from http import HTTPStatus
from pathlib import Path

from scheduledjob_dev import certificates

_FOLLOW_POLL_SECONDS = 0.2
_CHUNK_BYTES = 64 * 1024


@dataclass(frozen=True)
class ContainerLog:
    """Where a container's log is and whether more may still come."""

    path: Path
    running: Callable[[], bool]


LogLookup = Callable[[str, str, str], ContainerLog | None]


def _tail_start(path: Path, lines: int) -> int:
    """The byte offset where the last `lines` lines of `path` begin."""
    data = path.read_bytes()
    if lines <= 0:
        return len(data)
    newlines = [index for index, byte in enumerate(data) if byte == ord("\n")]
    if data and not data.endswith(b"\n"):
        newlines.append(len(data))
    if len(newlines) <= lines:
        return 0
    return newlines[-lines - 1] + 1


class _Handler(http.server.BaseHTTPRequestHandler):
    lookup: LogLookup

    def do_GET(self) -> None:
        url = urllib.parse.urlsplit(self.path)
        parts = url.path.strip("/").split("/")
        if len(parts) != 4 or parts[0] != "containerLogs":  # noqa: PLR2004 - the path's shape
            self.send_error(HTTPStatus.NOT_FOUND, "only /containerLogs/{ns}/{pod}/{container}")
            return
        found = self.lookup(parts[1], parts[2], parts[3])
        if found is None or not found.path.exists():
            self.send_error(HTTPStatus.NOT_FOUND, f"no logs for {'/'.join(parts[1:])}")
            return
        query = urllib.parse.parse_qs(url.query)
        follow = query.get("follow", ["false"])[0] == "true"
        limit = int(query.get("limitBytes", ["0"])[0]) or None
        offset = 0
        if "tailLines" in query:
            offset = _tail_start(found.path, int(query["tailLines"][0]))
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "text/plain")
        self.end_headers()
        self._stream(found, offset=offset, follow=follow, limit=limit)

    def _stream(self, found: ContainerLog, *, offset: int, follow: bool, limit: int | None) -> None:
        sent = 0
        with found.path.open("rb") as log:
            log.seek(offset)
            while True:
                running = found.running()  # read before the file, so no last line is missed
                chunk = log.read(_CHUNK_BYTES)
                if chunk:
                    if limit is not None:
                        chunk = chunk[: limit - sent]
                    self.wfile.write(chunk)
                    self.wfile.flush()
                    sent += len(chunk)
                    if limit is not None and sent >= limit:
                        return
                    continue
                if not follow or not running:
                    return
                time.sleep(_FOLLOW_POLL_SECONDS)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - base signature
        """Quiet: the agent logs what matters itself."""


class LogServer:
    """An HTTPS server on a loopback port answering the kubelet's container-log path."""

    def __init__(self, lookup: LogLookup, directory: Path) -> None:
        handler = type("LogHandler", (_Handler,), {"lookup": staticmethod(lookup)})
        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        cert, key = certificates.self_signed_serving_pair(directory, "node-agent")
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        self._server.socket = context.wrap_socket(self._server.socket, server_side=True)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        """The port the API server is told to connect to."""
        port: int = self._server.server_address[1]
        return port

    def start(self) -> None:
        """Serve in a background thread."""
        self._thread.start()

    def stop(self) -> None:
        """Stop serving and close the socket."""
        self._server.shutdown()
        self._server.server_close()

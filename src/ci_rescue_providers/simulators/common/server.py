"""The simulators' HTTP layer: a threaded stdlib server on loopback that survives bad input
and stops clean."""

from __future__ import annotations

import contextlib
import socket
import socketserver
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

__all__ = ["ALL_METHODS", "App", "HttpServer", "Reply", "ServerStyle"]

_MAX_BODY = 64 * 1024 * 1024

#: Every method a simulator may answer.
ALL_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


@dataclass
class Reply:
    """What to send back; ``delay`` seconds first, ``truncate`` cuts the body in half and then
    closes the connection (the full ``Content-Length`` is still announced)."""

    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    delay: float = 0.0
    truncate: bool = False


#: ``app(method, target, lower-case headers, body) -> Reply``; must not raise.
App = Callable[[str, str, dict[str, str], bytes], Reply]


@dataclass(frozen=True)
class ServerStyle:
    """How one simulator's server presents itself.

    ``name`` prefixes its thread names; ``server_version`` is the ``Server`` header;
    ``bad_request`` answers a request whose body cannot be read; a method outside ``methods``
    gets the standard library's ``501 Unsupported method``.
    """

    name: str = "simulator"
    server_version: str = "simulator"
    bad_request: Reply = field(
        default_factory=lambda: Reply(
            400, {"Content-Type": "application/json"}, b'{"message": "Bad request"}'
        )
    )
    methods: frozenset[str] = ALL_METHODS


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"
    sys_version = ""
    timeout = 60  # idle keep-alive connections are dropped after this many seconds
    disable_nagle_algorithm = True  # headers and body go out in two writes: avoid a 40 ms stall

    def setup(self) -> None:
        """Take the ``Server`` header from the style of the server."""
        super().setup()
        self.server_version = self.server.style.server_version

    def log_message(self, format: str, *args: Any) -> None:
        """Keep test output quiet."""

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks: list[bytes] = []
            total = 0
            while True:
                size = int(self.rfile.readline(1024).split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                total += size
                if total > _MAX_BODY:
                    raise ValueError("body too large")
                chunks.append(self.rfile.read(size))
                self.rfile.readline(1024)
        length = int(self.headers.get("Content-Length") or 0)
        if length < 0 or length > _MAX_BODY:
            raise ValueError("bad Content-Length")
        return self.rfile.read(length) if length else b""

    def _handle(self) -> None:
        style = self.server.style
        if self.command not in style.methods:  # as if the method had no ``do_`` handler
            self.send_error(HTTPStatus.NOT_IMPLEMENTED, f"Unsupported method ({self.command!r})")
            return
        try:
            body = self._read_body()
        except (ValueError, OSError):
            self.close_connection = True
            self._send(style.bad_request)
            return
        headers = {name.lower(): value for name, value in self.headers.items()}
        reply = self.server.app(self.command, self.path, headers, body)
        if reply.delay > 0 and self.server.stopping.wait(reply.delay):
            self.close_connection = True
            return
        self._send(reply)

    def _send(self, reply: Reply) -> None:
        try:
            self.send_response(reply.status)
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(reply.body)))
            self.end_headers()
            if self.command != "HEAD":
                body = reply.body[: len(reply.body) // 2] if reply.truncate else reply.body
                self.wfile.write(body)
            self.wfile.flush()
        except OSError:
            self.close_connection = True
        if reply.truncate:
            self.close_connection = True

    do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = _handle


class _Server(ThreadingHTTPServer):
    # Handler threads are daemons (they never block interpreter exit) and are tracked here:
    # socketserver's own bookkeeping skips daemon threads, so it would not join them.
    daemon_threads = True
    block_on_close = False

    def __init__(self, address: tuple[str, int], app: App, style: ServerStyle) -> None:
        self.app = app
        self.style = style
        self.stopping = threading.Event()
        self._active: set[socket.socket] = set()
        self._workers: list[threading.Thread] = []
        self._lock = threading.Lock()
        super().__init__(address, _Handler)

    def server_bind(self) -> None:
        # Skip HTTPServer.server_bind's getfqdn(), a possibly slow reverse DNS lookup.
        socketserver.TCPServer.server_bind(self)
        self.server_name = str(self.server_address[0])
        self.server_port = int(self.server_address[1])

    def process_request(self, request: Any, client_address: Any) -> None:
        worker = threading.Thread(
            target=self.process_request_thread,
            args=(request, client_address),
            name=f"{self.style.name}-conn:{self.server_port}",
            daemon=True,
        )
        with self._lock:
            self._active.add(request)
            self._workers = [w for w in self._workers if w.is_alive()]
            self._workers.append(worker)
        worker.start()

    def shutdown_request(self, request: Any) -> None:
        with self._lock:
            self._active.discard(request)
        super().shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A broken connection only ends that connection; never print or raise."""

    def abort_connections(self) -> None:
        """Wake every handler blocked on a keep-alive read so it can finish."""
        self.stopping.set()
        with self._lock:
            active = list(self._active)
        for sock in active:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def join_workers(self, timeout: float) -> None:
        """Wait (up to ``timeout`` seconds in total) for every connection thread to end."""
        with self._lock:
            workers = list(self._workers)
        deadline = time.monotonic() + timeout
        for worker in workers:
            worker.join(max(0.0, deadline - time.monotonic()))


class _Server6(_Server):
    address_family = socket.AF_INET6


class HttpServer:
    """Runs ``app`` on ``host:port`` (port 0: a free one; an IPv6 ``host`` works too) in a
    daemon thread, presented as ``style`` says."""

    def __init__(
        self,
        app: App,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        style: ServerStyle | None = None,
    ) -> None:
        self._app = app
        self._host = host
        self._port = port
        self._style = style or ServerStyle()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        """Whether the server is accepting connections."""
        return self._server is not None

    @property
    def base_url(self) -> str:
        """``http://host:port`` of the running server."""
        if self._server is None:
            raise RuntimeError(
                "the simulator is not running; call start() or use it as a context manager"
            )
        host = self._host if ":" not in self._host else f"[{self._host}]"
        return f"http://{host}:{self._server.server_port}"

    def start(self) -> None:
        """Bind and serve; a no-op when already running."""
        if self._server is not None:
            return
        server_class = _Server6 if ":" in self._host else _Server
        server = server_class((self._host, self._port), self._app, self._style)
        thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"{self._style.name}:{server.server_port}",
            daemon=True,
        )
        thread.start()
        self._server, self._thread = server, thread

    def stop(self) -> None:
        """Stop accepting, drop open connections, join every thread, close the socket."""
        server, thread = self._server, self._thread
        if server is None or thread is None:
            return
        self._server = self._thread = None
        server.shutdown()
        server.abort_connections()
        server.server_close()
        server.join_workers(timeout=10)
        thread.join(timeout=10)

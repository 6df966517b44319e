"""The HTTP plumbing the local provider servers share: a threaded server, its handler, a base class.

Each server is an *app* (routes parsed requests to :class:`Reply` objects, records them, counts
hits) served by :class:`LocalServer` from a daemon thread. Request headers drive failure
injection in every server: ``x-llmledger-drop: 1`` closes the connection after two server-sent
events (after half the body for a non-streamed reply). Standard library only.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Protocol, Self, cast

__all__ = ["App", "LocalServer", "RecordedRequest", "Reply", "json_reply", "sse"]


@dataclass(frozen=True, slots=True, kw_only=True)
class RecordedRequest:
    """One HTTP request received by the server."""

    path: str
    """URL path without the query string, e.g. `/v1/chat/completions`."""
    headers: dict[str, str]
    """Request headers, names lower-cased."""
    body: dict[str, Any]
    """The parsed JSON body (`{}` for a request without a body)."""
    method: str = "POST"
    """The HTTP method."""
    query: str = ""
    """The query string, without the `?`."""


@dataclass(slots=True, kw_only=True)
class Reply:
    """An HTTP reply; a streamed one has one part per server-sent event."""

    status: int = 200
    parts: list[bytes]
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)


def json_reply(payload: Any, status: int = 200, headers: dict[str, str] | None = None) -> Reply:
    """A JSON reply."""
    return Reply(status=status, parts=[json.dumps(payload).encode()], headers=headers or {})


def sse(payload: Any, event: str | None = None) -> bytes:
    """One server-sent event carrying JSON ``payload`` (with an ``event:`` line when given)."""
    head = f"event: {event}\n".encode() if event else b""
    return head + b"data: " + json.dumps(payload).encode() + b"\n\n"


class App(Protocol):
    """What :class:`LocalServer` serves."""

    lock: threading.Lock
    hits: int
    requests: list[RecordedRequest]
    base_url: str

    def handle(self, request: RecordedRequest) -> Reply:
        """Answer one request."""
        ...

    def invalid_body(self) -> Reply:
        """The reply to a body that is not a JSON object."""
        ...

    def reset(self) -> None:
        """Forget requests and hits."""
        ...


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 512

    def __init__(self, address: tuple[str, int], app: App) -> None:
        super().__init__(address, _Handler)
        self.app = app
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._connections_lock:
            self._connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._connections_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        """Unblock handler threads still waiting on keep-alive connections."""
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def do_GET(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    def log_message(self, format: str, *args: Any) -> None:
        """Stay quiet: tests read the server's `requests` instead."""

    def _read_body(self) -> dict[str, Any] | None:
        length = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(length) if length else b""
        if not raw:
            return {}
        try:
            body = json.loads(raw)
        except ValueError:
            return None
        return body if isinstance(body, dict) else None

    def _dispatch(self) -> None:
        app = cast(_HTTPServer, self.server).app
        body = self._read_body()
        headers = {name.lower(): value for name, value in self.headers.items()}
        path, _, query = self.path.partition("?")
        if body is None:
            reply = app.invalid_body()
        else:
            reply = app.handle(RecordedRequest(path=path, headers=headers, body=body, method=self.command, query=query))
        self._send(reply, drop=headers.get("x-llmledger-drop") == "1")

    def _send(self, reply: Reply, *, drop: bool) -> None:
        payload = b"".join(reply.parts)
        self.send_response(reply.status)
        self.send_header("content-type", reply.content_type)
        self.send_header("content-length", str(len(payload)))
        self.send_header("x-request-id", f"req_{uuid.uuid4().hex}")
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.end_headers()
        if not drop:
            self.wfile.write(payload)
            return
        streamed = len(reply.parts) > 1
        self.wfile.write(b"".join(reply.parts[:2]) if streamed else payload[: len(payload) // 2])
        self.close_connection = True


class LocalServer:
    """Serves an :class:`App` on localhost from a daemon thread; a context manager.

    Subclasses set the app in ``__init__`` and say how ``base_url`` ends (``url_suffix``).
    """

    url_suffix = ""
    """Appended to ``http://host:port`` in :attr:`base_url`."""
    thread_name = "llmledger-server"

    def __init__(self, app: App, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self._app = app
        self._address = (host, port)
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        """The URL to give the SDK as its base URL."""
        if self._httpd is None:
            raise RuntimeError(f"{type(self).__name__} is not running; call start() first")
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}{self.url_suffix}"

    @property
    def hits(self) -> int:
        """How many model requests arrived, failures included."""
        with self._app.lock:
            return self._app.hits

    @property
    def requests(self) -> list[RecordedRequest]:
        """A snapshot of every request received since start (or the last `reset()`)."""
        with self._app.lock:
            return list(self._app.requests)

    def reset(self) -> None:
        """Forget the recorded requests and the hit count (and any server-side cache)."""
        self._app.reset()

    def start(self) -> Self:
        """Bind the socket and serve in a daemon thread.

        Returns:
            The server itself, so that `server = LocalOpenAIServer().start()` works.
        """
        if self._httpd is not None:
            return self
        self._httpd = _HTTPServer(self._address, self._app)
        self._app.base_url = self.base_url
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=self.thread_name,
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, close open connections and release the port. Safe to call twice."""
        httpd, thread = self._httpd, self._thread
        self._httpd = self._thread = None
        if httpd is None:
            return
        httpd.shutdown()
        httpd.close_connections()
        httpd.server_close()
        if thread is not None:
            thread.join()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

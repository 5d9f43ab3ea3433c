"""A threaded HTTP/1.1 server on 127.0.0.1 that routes requests to per-provider handlers.

Handlers are pure functions of the request and return a :class:`Reply`: a JSON body, raw bytes,
or an iterator of byte chunks sent with chunked transfer encoding (SSE, NDJSON, AWS event
stream). The server keeps connections alive as the real SDKs expect and records every request.
"""

from __future__ import annotations

import json
import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body or b"{}")


@dataclass
class Reply:
    status: int = 200
    body: bytes | Iterable[bytes] = b""
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def json(cls, payload: Any, status: int = 200, headers: dict[str, str] | None = None) -> Reply:
        return cls(status, json.dumps(payload).encode(), "application/json", headers or {})

    @classmethod
    def stream(
        cls, chunks: Iterable[bytes], content_type: str, headers: dict[str, str] | None = None
    ) -> Reply:
        return cls(200, chunks, content_type, headers or {})


Handler = Callable[[Request], Reply]


def sse(events: Iterable[Any], event_names: bool = False, done: bool = True) -> Iterator[bytes]:
    """Server-sent events: ``data: <json>`` (optionally ``event: <type>``) blocks."""
    for event in events:
        prefix = f"event: {event['type']}\n".encode() if event_names else b""
        yield prefix + b"data: " + json.dumps(event).encode() + b"\n\n"
    if done:
        yield b"data: [DONE]\n\n"


class _QuietServer(ThreadingHTTPServer):
    """Clients that time out or cancel drop connections on purpose: not worth a traceback."""

    def handle_error(self, request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            super().handle_error(request, client_address)


class FakeServer:
    """Routes ``(method, path prefix)`` to handlers; the longest matching prefix wins."""

    def __init__(self) -> None:
        self._routes: list[tuple[str, str, Handler]] = []
        self.requests: list[Request] = []
        server = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                parts = urlsplit(self.path)
                request = Request(
                    self.command,
                    parts.path,
                    parse_qs(parts.query),
                    {k.lower(): v for k, v in self.headers.items()},
                    body,
                )
                server.requests.append(request)
                del server.requests[:-200]
                reply = server.dispatch(request)
                self.send_response(reply.status)
                self.send_header("Content-Type", reply.content_type)
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                if isinstance(reply.body, bytes):
                    self.send_header("Content-Length", str(len(reply.body)))
                    self.end_headers()
                    self.wfile.write(reply.body)
                    return
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                try:
                    for chunk in reply.body:
                        self.wfile.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
                        self.wfile.flush()
                    self.wfile.write(b"0\r\n\r\n")
                except (BrokenPipeError, ConnectionResetError):
                    self.close_connection = True

            do_GET = do_POST = do_PUT = do_DELETE = _serve

        self._httpd = _QuietServer(("127.0.0.1", 0), _Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def route(self, method: str, prefix: str, handler: Handler) -> None:
        self._routes.append((method, prefix, handler))
        self._routes.sort(key=lambda route: len(route[1]), reverse=True)

    def dispatch(self, request: Request) -> Reply:
        for method, prefix, handler in self._routes:
            if request.method == method and request.path.startswith(prefix):
                try:
                    return handler(request)
                except Exception as error:  # a fake bug must show up as a test failure
                    return Reply.json({"error": f"fake handler failed: {error!r}"}, status=599)
        return Reply.json({"error": f"no fake route for {request.method} {request.path}"}, 404)

    def start(self) -> FakeServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()


def _to_loopback(request: httpx.Request, port: int) -> None:
    request.url = request.url.copy_with(scheme="http", host="127.0.0.1", port=port)


class LoopbackTransport(httpx.HTTPTransport):
    """Sends every request to the fake, whatever host the client was configured with.

    Lets a test configure a client with a real provider URL (``https://api.together.xyz/v1``), so
    host-based detection and ``server.address`` see that URL, while the bytes go over loopback.
    """

    def __init__(self, port: int) -> None:
        super().__init__()
        self._port = port

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        _to_loopback(request, self._port)
        return super().handle_request(request)


class AsyncLoopbackTransport(httpx.AsyncHTTPTransport):
    def __init__(self, port: int) -> None:
        super().__init__()
        self._port = port

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        _to_loopback(request, self._port)
        return await super().handle_async_request(request)


def loopback_clients(server: FakeServer) -> tuple[httpx.Client, httpx.AsyncClient]:
    """(sync, async) httpx clients routed to ``server``: pass as http_client/http_async_client."""
    return (
        httpx.Client(transport=LoopbackTransport(server.port)),
        httpx.AsyncClient(transport=AsyncLoopbackTransport(server.port)),
    )

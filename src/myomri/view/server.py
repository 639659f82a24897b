"""The viewer's HTTP server: 127.0.0.1 only, a random token on every request, nothing from outside.

Every request must carry the session token (``?token=`` or the ``X-Myomri-Token`` header) and a
``Host`` of this machine's loopback address (so a web page elsewhere cannot reach it by DNS
rebinding); otherwise the answer is 403. Static files come from the package's ``static/`` folder
and data only through :mod:`myomri.view.api`, which names files relative to the served folders.
"""

from __future__ import annotations

import hmac
import json
import mimetypes
import secrets
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from ..errors import MyomriError
from .catalog import resolve_served

__all__ = ["ViewerServer", "HttpError", "static_dir"]

#: Largest request body accepted (a 512 x 512 x 400 uint16 label map is 200 MiB).
MAX_BODY = 512 * 1024 * 1024


class HttpError(Exception):
    """An answer other than 200 with a message for the page."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


def static_dir() -> Path:
    """The folder of the page's HTML, JavaScript and CSS (package data)."""
    return Path(str(resources.files("myomri.view").joinpath("static"))).resolve()


class _Handler(BaseHTTPRequestHandler):
    server: ViewerServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args):  # noqa: A002 - the stdlib's name
        if self.server.verbose:
            sys.stderr.write("view: " + (format % args) + "\n")

    def do_GET(self):  # noqa: N802 - the stdlib's name
        self._dispatch("GET")

    def do_POST(self):  # noqa: N802
        self._dispatch("POST")

    def _dispatch(self, method: str) -> None:
        url = urlsplit(self.path)
        query = {k: v[-1] for k, v in parse_qs(url.query).items()}
        try:
            self._check_access(query)
            body = self._read_body() if method == "POST" else b""
            status, ctype, payload = self._route(method, unquote(url.path), query, body)
        except HttpError as exc:
            status, ctype, payload = exc.status, "application/json", _json({"error": str(exc)})
        except Exception as exc:  # noqa: BLE001 - every failure becomes a message on the page
            status, ctype, payload = _classify(exc)
        self._send(status, ctype, payload)

    def _check_access(self, query: dict) -> None:
        host = (self.headers.get("Host") or "").rsplit(":", 1)[0]
        if host not in ("127.0.0.1", "localhost"):
            raise HttpError(403, f"forbidden host {host!r}: the viewer answers on 127.0.0.1 only")
        token = query.get("token") or self.headers.get("X-Myomri-Token") or ""
        if not hmac.compare_digest(token.encode(), self.server.token.encode()):
            raise HttpError(403, "missing or wrong access token: open the URL printed by 'myomri view'")

    def _read_body(self) -> bytes:
        n = int(self.headers.get("Content-Length") or 0)
        if n > MAX_BODY:
            raise HttpError(413, f"request body of {n} bytes is larger than the {MAX_BODY} accepted")
        return self.rfile.read(n) if n else b""

    def _route(self, method: str, path: str, query: dict, body: bytes):
        if method == "GET" and path in ("/", "/index.html"):
            html = (static_dir() / "index.html").read_text(encoding="utf-8")
            return 200, "text/html; charset=utf-8", html.replace("__TOKEN__", self.server.token).encode()
        if method == "GET" and path.startswith("/static/"):
            file = resolve_served([static_dir()], path[len("/static/") :])
            ctype = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
            return 200, ctype, file.read_bytes()
        if path.startswith("/api/"):
            return self.server.api.handle(method, path[len("/api/") :], query, body)
        raise HttpError(404, f"no such page: {path}")

    def _send(self, status: int, ctype: str, payload: bytes) -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(payload)))
            self.send_header("Cache-Control", "no-store")
            self.send_header("X-Content-Type-Options", "nosniff")
            self.send_header("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; "
                             "connect-src 'self'; style-src 'self' 'unsafe-inline'")  # fmt: skip
            self.end_headers()
            self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):  # the tab was closed mid-answer
            pass


def _json(obj) -> bytes:
    return json.dumps(obj, allow_nan=False, default=str).encode()


def _classify(exc: Exception) -> tuple[int, str, bytes]:
    from .corrections import ConflictError

    if isinstance(exc, ConflictError):
        status = 409
    elif isinstance(exc, PermissionError) and not getattr(exc, "filename", None):
        status = 403  # refused by resolve_served (a file-system permission error names its file)
    elif isinstance(exc, (FileNotFoundError, KeyError)):
        status = 404
    elif isinstance(exc, (MyomriError, ValueError)):
        status = 400
    else:
        status = 500
    text = str(exc) if not isinstance(exc, KeyError) else f"unknown: {exc}"
    if isinstance(exc, OSError) and getattr(exc, "filename", None):
        text = f"{exc.strerror or type(exc).__name__}: {exc.filename}"
    return status, "application/json", _json({"error": text, "kind": type(exc).__name__})


class ViewerServer(ThreadingHTTPServer):
    """The server of one ``myomri view`` session.

    Parameters
    ----------
    api : myomri.view.api.ViewerApi
        Answers the ``/api/...`` requests.
    port : int
        0 picks a free port.
    token : str, optional
        Defaults to a fresh random token.
    """

    daemon_threads = True
    allow_reuse_address = False

    def __init__(self, api, *, port: int = 0, token: str | None = None, verbose: bool = False):
        super().__init__(("127.0.0.1", port), _Handler)
        self.api = api
        self.token = token or secrets.token_urlsafe(24)
        self.verbose = verbose
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        """The port listened on."""
        return self.server_address[1]

    @property
    def url(self) -> str:
        """The page's address with the access token."""
        return f"http://127.0.0.1:{self.port}/?token={self.token}"

    def start_background(self) -> ViewerServer:
        """Serve from a daemon thread (tests, notebooks); stop with :meth:`stop`."""
        self._thread = threading.Thread(target=self.serve_forever, name="myomri-view", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket (also ends a background job's wait)."""
        if self._thread is not None:
            self.shutdown()
            self._thread.join(timeout=10)
            self._thread = None
        self.server_close()
        self.api.close()

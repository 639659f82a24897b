"""Federated-learning client: pull the served model, push locally refined weights (stdlib HTTP).

A push sends the model file only (architecture spec, label names, preprocessing settings and
weights; never an image or a mask), the site's data size and the lineage id of the model it
started from (the model file's ``parent``).
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from ...errors import InputError, MyomriError

__all__ = ["FederatedError", "pull_model", "push_model", "server_status", "server_url"]


class FederatedError(MyomriError):
    """The server refused a request or could not be reached."""

    def __init__(self, message: str, status: int | None = None, payload: dict | None = None):
        super().__init__(message)
        self.status = status
        self.payload = payload or {}


def server_url(server: str) -> str:
    """``server`` without a trailing slash, once it is a usable ``http(s)://HOST[:PORT]`` URL.

    Raises
    ------
    InputError
        Another scheme, no host, a bad port, or text that is not a URL at all (urllib's own
        messages, e.g. "unknown url type", do not say which value was wrong).
    """
    expected = "expected http://HOST[:PORT] or https://HOST[:PORT], e.g. http://127.0.0.1:8765"
    try:
        parts = urllib.parse.urlsplit(str(server).strip())
        parts.port  # noqa: B018 - parsing the port raises ValueError when it is not a number in range
    except ValueError as exc:
        raise InputError(f"server URL {server!r}: {exc}; {expected}") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InputError(f"server URL {server!r}: {expected}")
    return str(server).strip().rstrip("/")


def _request(url: str, token: str, *, data: bytes | None = None, timeout: float = 300.0):
    if not token:
        raise InputError("no token given; expected the site token issued by the federated server")
    req = urllib.request.Request(url, data=data, method="POST" if data is not None else "GET",
                                 headers={"Authorization": f"Bearer {token}",
                                          "Content-Type": "application/octet-stream"})  # fmt: skip
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:  # noqa: S310 - URL given by the user
            return resp.status, dict(resp.headers), resp.read()
    except urllib.error.HTTPError as exc:
        body = exc.read()
        try:
            payload = json.loads(body)
            text = payload.get("reason", body.decode(errors="replace"))
        except ValueError:
            payload, text = {}, body.decode(errors="replace")
        raise FederatedError(f"{url}: server answered {exc.code} {exc.reason}: {text.strip()[:500]}",
                             exc.code, payload) from None  # fmt: skip
    except urllib.error.URLError as exc:
        raise FederatedError(f"{url}: cannot reach the federated server: {exc.reason}") from None
    except OSError as exc:
        raise FederatedError(f"{url}: cannot reach the federated server: {exc}") from None


def server_status(server: str, token: str) -> dict:
    """The server's ``/status`` JSON."""
    _, _, body = _request(server_url(server) + "/status", token)
    return json.loads(body)


def pull_model(server: str, token: str, output) -> tuple[Path, dict]:
    """Download the served model, validate it and write it atomically to ``output``."""
    from ..model_io import save_model, state_from_bytes

    url = server_url(server)
    output = Path(output)
    # checked before downloading: a folder would otherwise fail only after the transfer, with a raw OSError
    if output.is_dir():
        raise InputError(
            f"{output}: is a folder; expected the path of the model file to write (e.g. {output / 'model.pt'})"
        )
    _, headers, body = _request(url + "/model", token)
    model = state_from_bytes(body, source=f"model from {server}")
    path = save_model(model, output)
    return path, {"version": headers.get("X-Myomri-Version"), "lineage": model.lineage}


def push_model(server: str, token: str, model_path, *, n_samples: int, base: str | None = None) -> dict:
    """Upload a model file; ``base`` defaults to the file's recorded parent lineage.

    Returns the server's JSON answer (``accepted`` True). Raises ``FederatedError`` with the
    server's reason (401 token, 413 size, 400 bad weights, 409 gate rejection).
    """
    from ..model_io import load_model, state_to_bytes

    url = server_url(server)
    model = load_model(model_path)  # validate locally before sending anything
    base = base or model.parent
    if not base:
        raise InputError(f"{model_path}: the model records no parent lineage; pass the base lineage explicitly")
    if int(n_samples) < 1:
        raise InputError(f"n_samples {n_samples}: expected a positive number of training slices/cases")
    q = urllib.parse.urlencode({"n_samples": int(n_samples), "base": base})
    _, _, body = _request(url + "/push?" + q, token, data=state_to_bytes(model))
    return json.loads(body)

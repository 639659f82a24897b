"""HTTP server of federated learning (aiohttp): sites pull the served model and push weights.

Endpoints (every one needs ``Authorization: Bearer TOKEN``; tokens are compared with
``hmac.compare_digest`` against every site's token, so timing does not reveal a prefix):

``GET /status``
    JSON: served version, lineage, represented data size.
``GET /model``
    The served model file (headers ``X-Myomri-Version``, ``X-Myomri-Lineage``).
``POST /push?n_samples=N&base=LINEAGE``
    Body: a model file (weights and architecture spec only; the format holds no images). The
    upload is size-limited (413), parsed without executing code (``weights_only``), checked
    (architecture, tensor shapes, finite values: 400), gated on the validation set (409 with the
    Dice values when rejected, also for weights identical to the served ones) and merged (200
    with the new version; ``n_samples_used`` is the weight the claimed ``n_samples`` got, capped
    at ``max_share`` of the merge).

Submissions are handled one at a time (a lock) in a worker thread so the event loop stays responsive.
"""

from __future__ import annotations

import asyncio
import hmac
from pathlib import Path

from ...config import segment_dl as cfg
from ...errors import ConfigError, FormatError, InputError

__all__ = ["read_tokens", "make_app", "serve"]


def read_tokens(path) -> dict[str, str]:
    """Site tokens from a file of ``site token`` lines (``#`` comments); tokens >= 16 characters."""
    path = Path(path)
    try:
        text = path.read_text()
    except OSError as exc:
        raise ConfigError([f"cannot read token file: {exc}"], path) from exc
    tokens, problems = {}, []
    for n, line in enumerate(text.splitlines(), 1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        parts = line.split()
        if len(parts) != 2:
            problems.append(f"line {n}: expected 'SITE TOKEN', found {len(parts)} fields")
        elif len(parts[1]) < 16:
            problems.append(f"line {n}: token of site {parts[0]!r} is shorter than 16 characters")
        elif parts[0] in tokens:
            problems.append(f"line {n}: site {parts[0]!r} listed twice")
        else:
            tokens[parts[0]] = parts[1]
    if not tokens and not problems:
        problems.append("no site tokens found")
    if problems:
        raise ConfigError(problems, path)
    return tokens


def _site_for(tokens: dict[str, str], header: str | None) -> str | None:
    if not header or not header.startswith("Bearer "):
        return None
    given = header[7:].strip().encode()
    found = None
    for site, tok in tokens.items():  # compare with every token: constant work whatever matches
        if hmac.compare_digest(given, tok.encode()):
            found = site
    return found


def make_app(store, validation, tokens: dict[str, str], *, tolerance: float = cfg.FEDERATED["tolerance"],
             candidate_tolerance: float = cfg.FEDERATED["candidate_tolerance"],
             max_upload_mb: float = cfg.FEDERATED["max_upload_mb"], max_share: float = cfg.FEDERATED["max_share"],
             log=print):  # fmt: skip
    """The aiohttp application serving ``store`` (a :class:`ModelStore`), gating on ``validation``
    (a :class:`~myomri.segment.train.TileSet`); ``max_share`` caps one upload's merge weight."""
    from aiohttp import web

    from ..model_io import state_from_bytes
    from ..refine import evaluate_tiles
    from .store import GateRejection

    max_bytes = int(max_upload_mb * 1024 * 1024)
    lock = asyncio.Lock()

    def evaluate(model) -> float:
        return evaluate_tiles(model, validation)["mean"]

    def auth(request):
        site = _site_for(tokens, request.headers.get("Authorization"))
        if site is None:
            raise web.HTTPUnauthorized(text="missing or wrong token", headers={"WWW-Authenticate": "Bearer"})
        return site

    async def status(request):
        auth(request)
        info = store.current_info()
        model = store.load(info["version"])
        return web.json_response({**info, "lineage": model.lineage, "arch": model.arch})

    async def get_model(request):
        auth(request)
        data, info = store.model_bytes()
        lineage = store.load(info["version"]).lineage
        headers = {"X-Myomri-Version": str(info["version"]), "X-Myomri-Lineage": lineage}
        return web.Response(body=data, content_type="application/octet-stream", headers=headers)

    async def push(request):
        site = auth(request)
        if request.content_length is not None and request.content_length > max_bytes:
            raise web.HTTPRequestEntityTooLarge(max_size=max_bytes, actual_size=request.content_length)
        try:
            n_samples = int(request.query.get("n_samples", ""))
        except ValueError:
            raise web.HTTPBadRequest(text="n_samples: expected a positive integer") from None
        if not 0 < n_samples <= cfg.FEDERATED["max_samples"]:
            raise web.HTTPBadRequest(text=f"n_samples {n_samples}: expected 1..{cfg.FEDERATED['max_samples']}")
        base = request.query.get("base", "")
        data = await request.read()  # aiohttp enforces client_max_size (413) while reading
        loop = asyncio.get_running_loop()
        async with lock:
            try:
                source = f"upload from {site}"
                candidate = await loop.run_in_executor(None, lambda: state_from_bytes(data, source=source))
                rec = await loop.run_in_executor(None, lambda: store.submit(
                    candidate, site=site, n_samples=n_samples, base_lineage=base, evaluate=evaluate,
                    tolerance=tolerance, candidate_tolerance=candidate_tolerance, max_share=max_share))  # fmt: skip
            except GateRejection as exc:
                log(f"site {site}: {exc}")
                return web.json_response({"accepted": False, "reason": str(exc), **exc.record}, status=409)
            except (FormatError, InputError) as exc:
                log(f"site {site}: bad upload: {exc}")
                return web.json_response({"accepted": False, "reason": str(exc)}, status=400)
        log(f"site {site}: accepted, now serving version {rec['version']}")
        return web.json_response({"accepted": True, **rec})

    app = web.Application(client_max_size=max_bytes)
    app.add_routes([web.get("/status", status), web.get("/model", get_model), web.post("/push", push)])
    return app


def serve(app, *, host: str, port: int) -> None:
    """Run ``app`` until interrupted."""
    from aiohttp import web

    web.run_app(app, host=host, port=port, print=None)

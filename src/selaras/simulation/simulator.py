"""A simulator of the three source APIs (``docs/source-api.md``), served from a snapshot: the
web app and its server.

The app answers like PMM, SIASN and Dapodik would, from the data of a
:class:`~selaras.simulation.state.Simulator`, and injects the failures it draws. Control
endpoints under ``/_sim/`` change the data ("the school operator fixed the NIP") and the
faults. SIASN's and Dapodik's real shapes (``simulation/real.py``) are served beside the
project's own contract when asked.
"""

from __future__ import annotations

import asyncio
import hmac
import math
import threading
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

from selaras.domain.snapshot import Snapshot
from selaras.simulation.real import RealAccess, add_real_routes
from selaras.simulation.state import BadRequest, Faults, Simulator
from selaras.sources.http import RESOURCES, Resource

__all__ = ["LOOPBACK_HOSTS", "RunningServer", "build_app", "require_loopback", "serve_in_thread"]

LOOPBACK_HOSTS = ("127.0.0.1", "::1", "localhost")


def _error(status: int, message: str, headers: Mapping[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers=dict(headers or {}))


def _refused() -> JSONResponse:
    return _error(401, "token tidak sah atau tidak ada", {"WWW-Authenticate": "Bearer"})


def _list_endpoint(sim: Simulator, resource: Resource, expected: bytes) -> Any:
    """The endpoint of one list resource: authorised, with the fault its call draws."""

    async def endpoint(request: Request) -> Response:
        if not _authorized(request, expected):
            return _refused()
        kind = sim.draw_fault(resource)
        f = sim.faults
        if f.latency_ms:
            await asyncio.sleep(f.latency_ms / 1000)
        if kind == "latency":
            await asyncio.sleep(f.slow_ms / 1000)
        elif kind == "timeout":
            await asyncio.sleep(f.hang_s)
        elif kind == "5xx":
            return _error(sim.server_error(), "gangguan simulasi")
        elif kind == "429":
            wait = str(math.ceil(f.retry_after_s))
            return _error(429, "terlalu banyak permintaan (simulasi)", {"Retry-After": wait})
        try:
            body = sim.answer(resource, request.query_params.multi_items(), invalid=kind == "invalid")
        except BadRequest as e:
            return _error(400, str(e))
        if kind == "malformed":
            body = body[: len(body) // 2]
        return Response(body, media_type="application/json")

    return endpoint


def _authorized(request: Request, expected: bytes) -> bool:
    return hmac.compare_digest(request.headers.get("authorization", "").encode(), expected)


async def _body_of(request: Request) -> Any:
    try:
        return await request.json()
    except ValueError as e:
        raise BadRequest("badan permintaan bukan JSON") from e


def _add_control_routes(app: FastAPI, sim: Simulator, expected: bytes) -> None:
    """``/_sim/``: the call and fault counts, the fault settings, and changes to the data."""

    @app.get("/_sim/stats")
    async def stats(request: Request) -> Response:
        if not _authorized(request, expected):
            return _refused()
        return JSONResponse(sim.stats())

    @app.post("/_sim/faults")
    async def set_faults(request: Request) -> Response:
        if not _authorized(request, expected):
            return _refused()
        try:
            changes = await _body_of(request)
            if not isinstance(changes, dict):
                raise BadRequest("badan permintaan harus objek JSON")
            sim.set_faults(sim.faults.changed(changes))
        except (BadRequest, ValueError, TypeError) as e:
            return _error(400, str(e))
        return JSONResponse(asdict(sim.faults))

    @app.post("/_sim/{table}")
    async def upsert(table: str, request: Request) -> Response:
        if not _authorized(request, expected):
            return _refused()
        try:
            body = await _body_of(request)
            records = body.get("records") if isinstance(body, dict) else body
            if not isinstance(records, list):
                raise BadRequest('badan permintaan harus daftar rekaman atau {"records": [...]}')
            return JSONResponse({"upserted": sim.upsert(table, records)})
        except BadRequest as e:
            return _error(400, str(e))

    @app.delete("/_sim/{table}")
    async def delete(table: str, request: Request) -> Response:
        if not _authorized(request, expected):
            return _refused()
        try:
            body = await _body_of(request)
            keys = body.get("keys") if isinstance(body, dict) else body
            if not isinstance(keys, list):
                raise BadRequest('badan permintaan harus {"keys": [...]}')
            return JSONResponse({"deleted": sim.delete(table, keys)})
        except BadRequest as e:
            return _error(400, str(e))


def build_app(
    snapshot: Snapshot,
    *,
    token: str,
    faults: Faults | None = None,
    seed: int | None = None,
    shapes: str = "keduanya",
    access: RealAccess | None = None,
) -> FastAPI:
    """The simulated PMM, SIASN and Dapodik APIs (and ``/_sim/`` control endpoints) serving
    ``snapshot``, each call authorised by ``Authorization: Bearer <token>``. The
    :class:`Simulator` is ``app.state.simulator``. ``shapes``: ``lama`` the project's own
    contract only, ``nyata`` SIASN's and Dapodik's real shapes (``simulation.real``, with
    ``access``: a ``RealAccess``) and PMM's own, ``keduanya`` both."""
    if shapes not in ("lama", "nyata", "keduanya"):
        raise ValueError(f"shapes must be lama, nyata or keduanya, not {shapes!r}")
    if not token:
        raise ValueError("the simulator needs a token")
    sim = Simulator(snapshot, faults=faults, seed=seed)
    app = FastAPI(title="Selaras source simulator", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.simulator = sim
    expected = f"Bearer {token}".encode()
    for resource in RESOURCES:
        if shapes == "nyata" and resource.source != "PMM":
            continue
        app.add_api_route(
            f"/{resource.prefix}/{resource.path}", _list_endpoint(sim, resource, expected), methods=["GET"]
        )
    if shapes != "lama":
        add_real_routes(app, sim, pmm_token=token, access=access)
    _add_control_routes(app, sim, expected)
    return app


# ------------------------------------------------------------------------------ serving


@dataclass
class RunningServer:
    """A server running in a background thread."""

    url: str
    server: uvicorn.Server
    thread: threading.Thread

    def stop(self, timeout: float = 10.0) -> None:
        """Ask the server to shut down and wait for its thread."""
        self.server.should_exit = True
        self.thread.join(timeout)

    def __enter__(self) -> RunningServer:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()


def require_loopback(host: str) -> None:
    """Refuse any address but the loopback one: the simulator is a test tool with a shared token."""
    if host not in LOOPBACK_HOSTS:
        raise ValueError(
            f"simulator hanya boleh mendengarkan di loopback ({', '.join(LOOPBACK_HOSTS)}), bukan {host!r}"
        )


def serve_in_thread(app: FastAPI, *, host: str = "127.0.0.1", port: int = 0, timeout: float = 10.0) -> RunningServer:
    """Serve ``app`` with uvicorn in a daemon thread on loopback (``port`` 0: an ephemeral
    one) and return once it accepts connections."""
    require_loopback(host)
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level="warning",
        access_log=False,
        lifespan="off",
        timeout_graceful_shutdown=2,
    )
    server = uvicorn.Server(config)
    # Server.run installs signal handlers only on the main thread; in this thread it does not.
    thread = threading.Thread(target=server.run, name="selaras-simulator", daemon=True)
    thread.start()
    deadline = time.monotonic() + timeout
    while not server.started:
        if not thread.is_alive():
            raise RuntimeError(f"simulator could not start on {host}:{port}")
        if time.monotonic() > deadline:
            server.should_exit = True
            raise RuntimeError(f"simulator did not start within {timeout} s")
        time.sleep(0.01)
    bound = server.servers[0].sockets[0].getsockname()[1]
    shown = f"[{host}]" if ":" in host else host
    return RunningServer(f"http://{shown}:{bound}", server, thread)

"""The FastAPI application: server-rendered pages in Bahasa Indonesia and the JSON API ``/api/v1``.

This module only assembles: it creates the app, mounts the static files, adds the middlewares
and the refusal handlers (``web.errors``) and includes the routers. What the routers share
(the signed-in user, the context, ``render``) lives in ``web.deps``; the request and response
models in ``web.models``.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import fastapi_offline
from fastapi import FastAPI
from fastapi.responses import FileResponse, HTMLResponse
from fastapi.staticfiles import StaticFiles

from selaras import __version__
from selaras.jobs.runtime import Dispatcher
from selaras.store.database import Store
from selaras.web import api, errors, eskalasi_routes, health, pages, pimpinan_routes, sso_pages
from selaras.web.deps import HERE, SecurityHeaders
from selaras.web.screens.konteks import Konteks

# Swagger UI 5 (it reads OpenAPI 3.1, the version FastAPI writes), bundled by ``fastapi-offline``: no CDN.
SWAGGER_UI = Path(fastapi_offline.__file__).resolve().parent / "static"

DOCS_HTML = """<!doctype html>
<html lang="id"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>API Selaras</title><link rel="stylesheet" href="/api/docs/aset/swagger-ui.css"></head>
<body><div id="swagger-ui"></div>
<script src="/api/docs/aset/swagger-ui-bundle.js"></script><script src="/static/docs.js"></script>
</body></html>"""
"""The API docs: Swagger UI 5 from the ``fastapi-offline`` package (no CDN), under the app's CSP."""


def _static(app: FastAPI) -> None:
    """The static files, the API docs and the favicon."""
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")
    app.mount("/api/docs/aset", StaticFiles(directory=str(SWAGGER_UI)), name="swagger")

    @app.get("/api/docs", include_in_schema=False)
    def _docs() -> HTMLResponse:
        return HTMLResponse(DOCS_HTML)

    @app.get("/favicon.ico", include_in_schema=False)
    def _favicon() -> FileResponse:
        # Browsers ask for it on every page: an answer, not a 404 in every log.
        return FileResponse(HERE / "static" / "favicon.ico", media_type="image/x-icon")


def create_app(
    store: Store,
    runner: Dispatcher,
    *,
    secure_cookies: bool = False,
    tahun: int | None = None,
    tenggat: date | None = None,
) -> FastAPI:
    """The web application over ``store``; sync requests go to ``runner`` as durable jobs.

    ``tahun`` fixes the year shown (default: the latest year logged); ``tenggat`` the deadline
    the recap measures progress against (default: the year's last day).
    """
    app = FastAPI(
        title="Selaras: Sinkron PMM",
        version=__version__,
        description="Pemeriksaan dan sinkron SKP/penilaian guru ASN dari PMM ke e-Kinerja. "
        "Autentikasi: cookie sesi (halaman) atau `Authorization: Bearer <token>` (mesin).",
        docs_url=None,
        redoc_url=None,
        openapi_url="/api/v1/openapi.json",
    )
    app.state.ctx = Konteks(store, runner, tahun, tenggat)
    app.state.secure_cookies = secure_cookies
    app.state.reach_cache = {}
    _static(app)

    app.state.metrics = health.Metrics(store)
    if health.json_logs_wanted():
        health.install_json_logs()
    app.include_router(health.router)
    app.include_router(sso_pages.router)
    app.include_router(api.router)
    app.include_router(eskalasi_routes.router)
    app.include_router(pimpinan_routes.router)
    app.include_router(pages.router)
    errors.install(app)

    app.add_middleware(SecurityHeaders)
    app.add_middleware(health.RequestMetrics, metrics=app.state.metrics)
    return app

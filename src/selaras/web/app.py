"""The FastAPI application: server-rendered pages in Bahasa Indonesia and the JSON API ``/api/v1``.

Authentication: a session cookie (HttpOnly, SameSite=Lax, Secure over TLS) for browsers, with
a CSRF token on every form and ``fetch``; ``Authorization: Bearer <token>`` for machine
clients (no CSRF needed: browsers never send that header on their own).
"""

from __future__ import annotations

import hmac
import logging
import time
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import quote

import fastapi_offline
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from selaras import __version__
from selaras.catalogue import dates, words
from selaras.catalogue.codes import CATALOGUE
from selaras.jobs.runtime import Dispatcher
from selaras.store import uow
from selaras.store.database import Store
from selaras.usecases.access import Ditolak, Pengguna, resolve
from selaras.usecases.accounts import session, token_account
from selaras.web.edge import body, validation_detail, validation_fields
from selaras.web.screens.konteks import Konteks

HERE = Path(__file__).resolve().parent
# Swagger UI 5 (it reads OpenAPI 3.1, the version FastAPI writes), bundled by ``fastapi-offline``: no CDN.
SWAGGER_UI = Path(fastapi_offline.__file__).resolve().parent / "static"
COOKIE = "selaras_sesi"
PRA_COOKIE = "selaras_pra"
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")

log = logging.getLogger("selaras.web")
templates = Jinja2Templates(directory=str(HERE / "templates"))
words.install_filters(templates.env)
# A code is never shown bare: "PMM-11 Data SKP Organisasi belum dibuat oleh atasan".
templates.env.filters["kode_judul"] = lambda code: f"{code} {CATALOGUE[code].judul}" if code in CATALOGUE else code


class PerluMasuk(Exception):
    """No valid session or token: 401 for the API, the login page for pages."""


def konteks(request: Request) -> Konteks:
    """The app's context (store, job engine, year)."""
    return request.app.state.ctx  # type: ignore[no-any-return]


def is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def secure(request: Request) -> bool:
    """Whether cookies get the Secure flag: configured so, or the request came over TLS."""
    return bool(request.app.state.secure_cookies) or request.url.scheme == "https"


REACH_TTL = 10.0
"""Seconds a machine client's reach (instansi, school) stays resolved in this process: a
batch client sends hundreds of requests a second with one token. The token itself is
checked on every request, so a revoked token stops at once."""


def _token_user(app: Any, store: Store, token: str) -> Pengguna | None:
    a = token_account(store, token)
    if a is None:
        return None
    cache: dict[Any, tuple[Pengguna, float]] = app.state.reach_cache
    now = time.monotonic()
    hit = cache.get(a)
    if hit is not None and now - hit[1] < REACH_TTL:
        return hit[0]
    user = resolve(store, a, via_token=True)
    if len(cache) > 10_000:
        cache.clear()
    cache[a] = (user, now)
    return user


async def current_user(request: Request) -> Pengguna:
    """The signed-in user (session cookie or API token); checks CSRF on unsafe cookie requests."""
    ctx = konteks(request)
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        user = await run_in_threadpool(_token_user, request.app, ctx.store, auth[7:].strip())
        if user is None:
            raise PerluMasuk
        return user
    value = request.cookies.get(COOKIE)
    sesi = await run_in_threadpool(session, ctx.store, value) if value else None
    if sesi is None:
        raise PerluMasuk
    if request.method not in SAFE_METHODS:
        sent = request.headers.get("x-csrf-token")
        if sent is None and request.headers.get("content-type", "").startswith(
            ("application/x-www-form-urlencoded", "multipart/form-data")
        ):
            sent = str((await request.form()).get("csrf_token") or "")
        if not sent or not hmac.compare_digest(sent, sesi.csrf):
            raise Ditolak(403, "Token keamanan (CSRF) tidak cocok. Muat ulang halaman lalu coba lagi.")
    return await run_in_threadpool(lambda: resolve(ctx.store, sesi.akun, csrf=sesi.csrf))


CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; "
    "frame-ancestors 'none'; form-action 'self'; base-uri 'none'; object-src 'none'"
)
PERMISSIONS = "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()"


def security_headers(*, static: bool = False) -> dict[str, str]:
    """The headers every answer carries (``no-store`` on all but the static files)."""
    headers = {
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
        "Referrer-Policy": "same-origin",
        "Permissions-Policy": PERMISSIONS,
        "Content-Security-Policy": CSP,
    }
    if not static:
        headers["Cache-Control"] = "no-store"
    return headers


class SecurityHeaders:
    """Security headers on every answer, ``Cache-Control: no-store`` on every answer but the
    static files (pages, API answers and exports may carry personal data: Back after signing
    out on a shared PC must show nothing), and HEAD answered wherever GET is (as GET without
    the body). Plain ASGI: no per-request task as with ``BaseHTTPMiddleware``, which costs a
    noticeable share of a request at hundreds a second."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        static = scope["path"].startswith("/static/")
        head = scope["method"] == "HEAD" and not static
        if head:
            scope = {**scope, "method": "GET"}

        async def send_with_headers(message: Any) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for k, v in security_headers(static=static).items():
                    headers.setdefault(k, v)
                if not static:
                    headers["Cache-Control"] = "no-store"
            elif head and message["type"] == "http.response.body":
                message = {**message, "body": b""}
            await send(message)

        await self.app(scope, receive, send_with_headers)


def render(request: Request, name: str, status_code: int = 200, **data: Any) -> Response:
    """A page from ``templates/name`` with the common context."""
    user = data.get("user")
    if "zona" not in data:
        data["zona"] = konteks(request).zona(user.instansi_id) if user is not None else dates.ZONA_BAKU
    return templates.TemplateResponse(request, name, {"request": request, **data}, status_code=status_code)


async def page_user(request: Request) -> Pengguna | None:
    """The signed-in user of a page request, or None (for error pages: the menu when signed in)."""
    value = request.cookies.get(COOKIE)
    if not value:
        return None
    try:
        ctx = konteks(request)
        sesi = await run_in_threadpool(session, ctx.store, value)
        if sesi is None:
            return None
        return await run_in_threadpool(lambda: resolve(ctx.store, sesi.akun, csrf=sesi.csrf))
    except Exception:  # an error page never fails on the menu
        return None


async def refusal(
    request: Request,
    status: int,
    pesan: str,
    fields: list[tuple[str, str]] | tuple[()] = (),
    headers: dict[str, str] | None = None,
) -> Response:
    """A refusal: a :class:`~selaras.web.edge.Galat` for the API, the error page in the layout
    (with the menu when signed in) for pages."""
    if is_api(request):
        return JSONResponse(body(pesan, fields), status_code=status, headers=headers)
    user = await page_user(request)
    response = render(request, "galat.html", status_code=status, status=status, pesan=pesan, fields=fields, user=user)
    if headers:
        response.headers.update(headers)
    return response


def allowed_methods(request: Request) -> str:
    """The methods of every route at the request's path (``Allow`` of a 405 or an OPTIONS)."""
    methods: set[str] = set()
    for method in ("GET", "POST", "PUT", "PATCH", "DELETE"):
        probe = {**request.scope, "method": method}
        if any(route.matches(probe)[0] is Match.FULL for route in request.app.router.routes):
            methods.add(method)
    if "GET" in methods:
        methods.add("HEAD")
    methods.add("OPTIONS")
    return ", ".join(sorted(methods))


CRASH = "Terjadi kesalahan di server. Coba lagi sebentar lagi; bila tetap, hubungi admin."
RETRY_AFTER = "10"
"""Seconds a client waits before asking again when the store is unreachable (503)."""


DOCS_HTML = """<!doctype html>
<html lang="id"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>API Selaras</title><link rel="stylesheet" href="/api/docs/aset/swagger-ui.css"></head>
<body><div id="swagger-ui"></div>
<script src="/api/docs/aset/swagger-ui-bundle.js"></script><script src="/static/docs.js"></script>
</body></html>"""
"""The API docs: Swagger UI 5 from the ``fastapi-offline`` package (no CDN), under the app's CSP."""


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
    from selaras.web import api, eskalasi_routes, health, pages, pimpinan_routes, sso, sso_pages

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
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")
    app.mount("/api/docs/aset", StaticFiles(directory=str(SWAGGER_UI)), name="swagger")

    @app.get("/api/docs", include_in_schema=False)
    def _docs() -> HTMLResponse:
        return HTMLResponse(DOCS_HTML)

    @app.get("/favicon.ico", include_in_schema=False)
    def _favicon() -> FileResponse:
        # Browsers ask for it on every page: an answer, not a 404 in every log.
        return FileResponse(HERE / "static" / "favicon.ico", media_type="image/x-icon")

    app.state.metrics = health.Metrics(store)
    if health.json_logs_wanted():
        health.install_json_logs()
    app.include_router(health.router)
    app.include_router(sso.router)
    app.include_router(sso_pages.router)
    app.include_router(api.router)
    app.include_router(eskalasi_routes.router)
    app.include_router(pimpinan_routes.router)
    app.include_router(pages.router)

    @app.exception_handler(PerluMasuk)
    async def _login(request: Request, _exc: PerluMasuk) -> Response:
        if is_api(request):
            return JSONResponse(
                body("Perlu masuk: sesi atau token tidak valid."),
                status_code=401,
                headers={"WWW-Authenticate": "Bearer"},
            )
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/masuk?lanjut={quote(target)}", status_code=303)

    @app.exception_handler(Ditolak)
    async def _refused(request: Request, exc: Ditolak) -> Response:
        return await refusal(request, exc.status, exc.pesan, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        fields = validation_fields(exc.errors())
        return await refusal(request, 422, validation_detail(fields), fields)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 405:
            allow = allowed_methods(request)
            if request.method == "OPTIONS":
                return Response(status_code=204, headers={"Allow": allow})
            return await refusal(request, 405, "Metode ini tidak tersedia untuk alamat ini.", headers={"Allow": allow})
        if exc.status_code == 404:
            return await refusal(request, 404, "Halaman atau data tidak ditemukan.")
        if exc.status_code == 400:
            return await refusal(
                request, 400, "Isi permintaan tidak dapat dibaca; kirim JSON atau isian formulir yang valid."
            )
        return await refusal(request, exc.status_code, str(exc.detail) if exc.detail else "Permintaan ditolak.")

    @app.exception_handler(uow.InfrastructureError)
    async def _infrastructure(request: Request, exc: uow.InfrastructureError) -> Response:
        # Raised inside the handlers, so the SecurityHeaders middleware still wraps this answer.
        return await refusal(request, 503, exc.message(), headers={"Retry-After": RETRY_AFTER})

    async def _store_failed(request: Request, exc: Exception) -> Response:
        # Every read on the request path (the token and session lookups, each page and API
        # read) meets the store without a unit of work: its failure is sorted here, once, as
        # the unit of work sorts its own. Answered inside the middleware, never re-raised: an
        # error that reaches the server after a 500 was sent makes it drop the connection.
        infra = uow.infrastructure_error(exc)
        if infra is None:
            log.error("unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
            return await refusal(request, 500, CRASH, headers=security_headers())
        log.warning("%s %s: %s", request.method, request.url.path, infra.apa)
        return await refusal(request, 503, infra.message(), headers={"Retry-After": RETRY_AFTER})

    for failure in uow.store_failures():
        app.add_exception_handler(failure, _store_failed)

    @app.exception_handler(Exception)
    async def _crash(request: Request, _exc: Exception) -> Response:
        # Starlette answers an unhandled error outside every middleware: the headers are set here.
        return await refusal(request, 500, CRASH, headers=security_headers())

    app.add_middleware(SecurityHeaders)
    app.add_middleware(health.RequestMetrics, metrics=app.state.metrics)
    return app

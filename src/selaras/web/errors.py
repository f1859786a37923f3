"""How the app refuses: a :class:`~selaras.web.edge.Galat` for the API, the error page in the
layout (with the menu when signed in) for pages; one handler per kind of failure."""

from __future__ import annotations

import logging
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from selaras.store import uow
from selaras.usecases.access import Ditolak
from selaras.web.deps import PerluMasuk, is_api, page_user, render, security_headers
from selaras.web.edge import body, validation_detail, validation_fields

log = logging.getLogger("selaras.web")

CRASH = "Terjadi kesalahan di server. Coba lagi sebentar lagi; bila tetap, hubungi admin."
RETRY_AFTER = "10"
"""Seconds a client waits before asking again when the store is unreachable (503)."""


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


def install(app: FastAPI) -> None:
    """Every refusal handler of the app."""

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

    for failure in uow.store_failures():
        app.add_exception_handler(failure, _store_failed)

    @app.exception_handler(Exception)
    async def _crash(request: Request, _exc: Exception) -> Response:
        # Starlette answers an unhandled error outside every middleware: the headers are set here.
        return await refusal(request, 500, CRASH, headers=security_headers())


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

"""What every router needs: the cookies, the app's context, the signed-in user, the templates
and the security headers.

Authentication: a session cookie (HttpOnly, SameSite=Lax, Secure over TLS) for browsers, with
a CSRF token on every form and ``fetch``; ``Authorization: Bearer <token>`` for machine
clients (no CSRF needed: browsers never send that header on their own).
"""

from __future__ import annotations

import hmac
import time
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import Response
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import MutableHeaders

from selaras.catalogue import dates, words
from selaras.catalogue.codes import CATALOGUE
from selaras.store.database import Store
from selaras.usecases.access import Ditolak, Pengguna, resolve
from selaras.usecases.accounts import session, token_account
from selaras.web.screens.konteks import Konteks
from selaras.web.sso import sso_label

HERE = Path(__file__).resolve().parent
COOKIE = "selaras_sesi"
PRA_COOKIE = "selaras_pra"
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")

templates = Jinja2Templates(directory=str(HERE / "templates"))
words.install_filters(templates.env)
# A code is never shown bare: "PMM-11 Data SKP Organisasi belum dibuat oleh atasan".
templates.env.filters["kode_judul"] = lambda code: f"{code} {CATALOGUE[code].judul}" if code in CATALOGUE else code
templates.env.globals["sso_label"] = sso_label


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


User = Annotated[Pengguna, Depends(current_user)]
"""A route's signed-in user (401 or the login page without one)."""


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


def render(request: Request, name: str, status_code: int = 200, **data: Any) -> Response:
    """A page from ``templates/name`` with the common context."""
    user = data.get("user")
    if "zona" not in data:
        data["zona"] = konteks(request).zona(user.instansi_id) if user is not None else dates.ZONA_BAKU
    return templates.TemplateResponse(request, name, {"request": request, **data}, status_code=status_code)


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

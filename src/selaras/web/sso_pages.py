"""Pages of single sign-on (issue 20): the login through the provider (``/masuk/sso`` and its
callback), an Admin Instansi granting and revoking single sign-on roles (``/akun/hak``,
audited), and the owner of an imported local account setting its password through a one-time
link (``/sandi/{token}``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import RedirectResponse, Response

from selaras.domain.akun import PERAN_LABEL, AccountError, Peran
from selaras.usecases import akun as uc
from selaras.usecases.access import Ditolak, Pengguna, require_admin
from selaras.web.deps import COOKIE, User, konteks, render, secure
from selaras.web.sso import (
    STATE_COOKIE,
    STATE_MINUTES,
    SsoError,
    begin,
    decide,
    finish,
    redirect_uri_of,
    setelan,
    sign_in,
)

router = APIRouter(include_in_schema=False)
TokenPath = Annotated[str, Path(pattern=r"^[A-Za-z0-9_-]{20,100}$")]
ADMIN_GRANTS = (Peran.OPERATOR, Peran.ADMIN, Peran.DINAS, Peran.PIMPINAN)
"""What an Admin Instansi grants within its instansi (nasional and monitor: the command line)."""


# ------------------------------------------------------------------ single sign-on login


def _refuse(request: Request, e: SsoError) -> Response:
    return render(request, "galat.html", status_code=e.status, status=e.status, pesan=e.pesan, fields=(), user=None)


@router.get("/masuk/sso", name="sso_masuk")
def sso_masuk(request: Request, lanjut: str = "/") -> Response:
    """Send the browser to the provider's login."""
    try:
        s = setelan()
        if s is None:
            raise SsoError("Masuk dengan SSO belum diatur di server ini; masuk dengan akun lokal.", 404)
        url, state = begin(konteks(request).store, s, redirect_uri_of(request, s), lanjut)
    except SsoError as e:
        return _refuse(request, e)
    response = RedirectResponse(url, status_code=303)
    response.set_cookie(
        STATE_COOKIE,
        state,
        httponly=True,
        samesite="lax",
        secure=secure(request),
        max_age=STATE_MINUTES * 60,
        path="/masuk/sso",
    )
    return response


@router.get("/masuk/sso/kembali", name="sso_kembali")
def sso_kembali(request: Request) -> Response:
    """The provider's answer: sign the person in, or say why not."""
    store = konteks(request).store
    try:
        s = setelan()
        if s is None:
            raise SsoError("Masuk dengan SSO belum diatur di server ini; masuk dengan akun lokal.", 404)
        params = {k: str(v) for k, v in request.query_params.items()}
        claims, lanjut = finish(store, s, redirect_uri_of(request, s), params, request.cookies.get(STATE_COOKIE, ""))
        a = decide(store, s, claims)
        value = sign_in(store, a)
    except SsoError as e:
        response = _refuse(request, e)
        response.delete_cookie(STATE_COOKIE, path="/masuk/sso")
        return response
    response = RedirectResponse(lanjut, status_code=303)
    response.set_cookie(COOKIE, value, httponly=True, samesite="lax", secure=secure(request), path="/")
    response.delete_cookie(STATE_COOKIE, path="/masuk/sso")
    return response


def _pelaku(user: Pengguna) -> uc.Pelaku:
    return uc.Pelaku(user.akun.username, user.peran.value, user.instansi_id)


def _hak_page(request: Request, user: Pengguna, status: int = 200, galat: str | None = None) -> Response:
    instansi_id = require_admin(user)
    rows = uc.grants(konteks(request).store, instansi_id)
    pesan = {"beri": "Peran diberikan; berlaku saat ia masuk berikutnya.", "cabut": "Peran dicabut; sesinya berakhir."}
    return render(
        request,
        "hak.html",
        status_code=status,
        user=user,
        rows=rows,
        pilihan=ADMIN_GRANTS,
        labels=PERAN_LABEL,
        galat=galat,
        pesan=pesan.get(request.query_params.get("pesan", "")),
        pesan_jenis="ok",
    )


@router.get("/akun/hak")
def hak(request: Request, user: User) -> Response:
    """The grants of the admin's instansi, with the form to grant one."""
    return _hak_page(request, user)


@router.post("/akun/hak")
def hak_beri(
    request: Request,
    user: User,
    nip: Annotated[str, Form(pattern=r"^\d{18}$")],
    peran: Annotated[Peran, Form()],
    npsn: Annotated[str, Form()] = "",
) -> Response:
    """Grant a role within the admin's instansi (audited)."""
    instansi_id = require_admin(user)
    if peran not in ADMIN_GRANTS:
        raise Ditolak(
            403, "Admin Instansi hanya memberi peran operator, admin instansi, dinas pendidikan atau pimpinan instansi."
        )
    try:
        uc.grant(konteks(request).store, _pelaku(user), nip, peran, npsn=npsn or None, instansi_id=instansi_id)
    except AccountError as e:
        return _hak_page(request, user, 422, str(e))
    return RedirectResponse("/akun/hak?pesan=beri", status_code=303)


@router.post("/akun/hak/{nip}/cabut")
def hak_cabut(request: Request, user: User, nip: Annotated[str, Path(pattern=r"^\d{18}$")]) -> Response:
    """Revoke a grant of the admin's instansi (audited); the person's sessions end at once."""
    require_admin(user)
    try:
        found = uc.revoke(konteks(request).store, _pelaku(user), nip)
    except AccountError:
        found = False
    if not found:
        raise Ditolak(404, "Peran untuk NIP itu tidak ditemukan di instansi Anda.")
    return RedirectResponse("/akun/hak?pesan=cabut", status_code=303)


@router.get("/sandi/{token}")
def sandi(request: Request, token: TokenPath) -> Response:
    """The form to set the password of an imported account (a live, unused link only)."""
    nama = uc.link_account(konteks(request).store, token)
    if nama is None:
        raise Ditolak(404, "Tautan tidak berlaku: sudah dipakai, kedaluwarsa, atau tidak dikenal. Minta tautan baru.")
    return render(request, "sandi.html", user=None, nama=nama, token=token, galat=None)


@router.post("/sandi/{token}")
def sandi_simpan(
    request: Request, token: TokenPath, password: Annotated[str, Form()], ulang: Annotated[str, Form()]
) -> Response:
    """Set the password once; then the login page."""
    store = konteks(request).store
    nama = uc.link_account(store, token)
    if nama is None:
        raise Ditolak(404, "Tautan tidak berlaku: sudah dipakai, kedaluwarsa, atau tidak dikenal. Minta tautan baru.")
    galat = "Kedua kata sandi tidak sama." if password != ulang else None
    if galat is None:
        try:
            uc.set_password_by_link(store, token, password)
        except AccountError as e:
            galat = str(e).capitalize() + "."
    if galat:
        return render(request, "sandi.html", status_code=422, user=None, nama=nama, token=token, galat=galat)
    return RedirectResponse("/masuk", status_code=303)

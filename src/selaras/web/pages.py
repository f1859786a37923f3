"""The server-rendered pages. Each form posts here and calls the same service as the API."""

from __future__ import annotations

import secrets
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from selaras.catalogue.codes import CATALOGUE, Aktor
from selaras.domain.akun import Peran
from selaras.domain.results import Flow, Status
from selaras.store import audit
from selaras.usecases import admin, requests
from selaras.usecases import sandi as sandi_usecase
from selaras.usecases.access import Ditolak, Pengguna, can_view_pegawai, forbidden, log_scope, require_admin
from selaras.usecases.accounts import (
    RateLimited,
    authenticate,
    close_session,
    end_sessions,
    list_tokens,
    open_session,
    retry_after,
    revoke_token,
    session_count,
)
from selaras.web import screens
from selaras.web.charts import bar_chart, trend_chart
from selaras.web.deps import COOKIE, PRA_COOKIE, User, konteks, render, secure
from selaras.web.edge import IdPath, IdQuery, IdTeksPath, NipPath, validation_detail, validation_fields
from selaras.web.log_detail import log_detail
from selaras.web.models import Filter, IdTeks, MassalIn, PeriodeIn
from selaras.web.queries import log_page
from selaras.web.sso import logout_url

router = APIRouter(include_in_schema=False)

PESAN = {
    # Notices are chosen by these codes only: no text from the URL reaches the page.
    "antre": "Permintaan sinkron sudah masuk antrean.",
    "massal": "Sinkron massal sudah masuk antrean.",
    "periode": "Periode disimpan.",
    "periode-hapus": "Periode dihapus.",
    "atasan": "Atasan unit kerja diubah; pegawai yang terdampak dicoba lagi otomatis.",
    "manual": "SKP manual dihapus dan SKP dari PMM sudah menggantikannya di e-Kinerja.",
    "token-cabut": "Token dicabut; permintaan dengan token itu kini ditolak.",
    "sandi": "Kata sandi diganti; sesi di perangkat lain dan semua token API akun ini berakhir.",
    "pilih-dulu": "Belum ada pegawai yang dipilih: centang pegawai di tabel lalu tekan lagi.",
}
PESAN_PERINGATAN = {"pilih-dulu"}
"""Notices that tell the user to do something (shown as a warning, not as a success)."""


PESAN_ANTRE = {"antre"}
"""Notices that a job was queued: shown only while the job is still queued or running."""


def _page(request: Request, name: str, user: Pengguna, status_code: int = 200, **data: Any) -> Response:
    kode = request.query_params.get("pesan", "")
    v = data.get("v")
    if kode in PESAN_ANTRE and isinstance(v, dict) and not v.get("job_aktif"):
        kode = ""  # the job has finished: the page shows its final state, not "queued"
    pesan = PESAN.get(kode)
    n = request.query_params.get("n", "")
    if pesan and n.isascii() and n.isdigit() and len(n) <= 7:
        pesan += f" ({int(n)} pegawai)"
    jenis = "warn" if kode in PESAN_PERINGATAN else "ok"
    return render(request, name, status_code=status_code, user=user, pesan=pesan, pesan_jenis=jenis, **data)


def _go(url: str, **params: Any) -> RedirectResponse:
    query = urlencode({k: v for k, v in params.items() if v is not None})
    return RedirectResponse(url + (("&" if "?" in url else "?") + query if query else ""), status_code=303)


def _home_of(user: Pengguna) -> str:
    p = user.peran
    if p is Peran.PEGAWAI:
        return "/skp"
    if p in (Peran.ADMIN, Peran.NASIONAL, Peran.PIMPINAN):
        return "/rekap"
    return "/kerja"


# ------------------------------------------------------------------------------ sign in


@router.get("/masuk")
def masuk(request: Request, lanjut: str = "/") -> Response:
    pra = secrets.token_urlsafe(16)
    response = render(request, "masuk.html", user=None, pra=pra, lanjut=lanjut, galat=None)
    response.set_cookie(PRA_COOKIE, pra, httponly=True, samesite="lax", secure=secure(request), max_age=3600)
    return response


@router.post("/masuk")
def masuk_post(
    request: Request,
    username: Annotated[str, Form()],
    password: Annotated[str, Form()],
    pra: Annotated[str, Form()] = "",
    lanjut: Annotated[str, Form()] = "/",
) -> Response:
    store = konteks(request).store
    if not pra or not secrets.compare_digest(pra, request.cookies.get(PRA_COOKIE, "")):
        return render(
            request, "masuk.html", 403, user=None, pra=pra, lanjut=lanjut, galat="Formulir kedaluwarsa; coba lagi."
        )
    address = request.client.host if request.client else "-"
    try:
        a = authenticate(store, username.strip(), password, address)
    except RateLimited:
        refused = render(
            request,
            "masuk.html",
            429,
            user=None,
            pra=pra,
            lanjut=lanjut,
            galat="Terlalu banyak percobaan masuk yang gagal. Coba lagi dalam 15 menit.",
        )
        refused.headers["Retry-After"] = retry_after()
        return refused
    if a is None:
        return render(
            request, "masuk.html", 401, user=None, pra=pra, lanjut=lanjut, galat="Nama pengguna atau kata sandi salah."
        )
    value, _csrf = open_session(store, a.username)
    target = lanjut if lanjut.startswith("/") and not lanjut.startswith("//") else "/"
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(COOKIE, value, httponly=True, samesite="lax", secure=secure(request), path="/")
    response.delete_cookie(PRA_COOKIE)
    return response


@router.post("/keluar")
def keluar(request: Request, user: User) -> Response:
    value = request.cookies.get(COOKIE)
    if value:
        close_session(konteks(request).store, value)
    sso_end = logout_url(request, user.akun.username)
    response: Response
    if sso_end:
        # A page, not a redirect: the CSP's form-action 'self' stops a form's redirect to the provider.
        response = render(request, "keluar_sso.html", user=None, url=sso_end)
    else:
        response = RedirectResponse("/masuk", status_code=303)
    response.delete_cookie(COOKIE, path="/")
    return response


@router.get("/akun")
def akun_saya(request: Request, user: User) -> Response:
    store = konteks(request).store
    name = user.akun.username
    return _page(request, "akun.html", user, tokens=list_tokens(store, name), sesi=session_count(store, name))


@router.post("/akun/sandi")
def akun_sandi(
    request: Request,
    user: User,
    sandi_lama: Annotated[str, Form()] = "",
    sandi_baru: Annotated[str, Form()] = "",
    sandi_ulang: Annotated[str, Form()] = "",
) -> Response:
    store = konteks(request).store
    try:
        sandi_usecase.ganti_sandi(store, user, sandi_lama, sandi_baru, sandi_ulang, sesi=request.cookies.get(COOKIE))
    except Ditolak as e:
        name = user.akun.username
        return _page(
            request,
            "akun.html",
            user,
            status_code=e.status,
            tokens=list_tokens(store, name),
            sesi=session_count(store, name),
            galat_sandi=e.pesan,
        )
    return _go("/akun", pesan="sandi")


@router.post("/akun/token/{token_id}/cabut")
def akun_token_cabut(
    request: Request, token_id: Annotated[str, Path(pattern=r"^[0-9a-f]{12}$")], user: User
) -> Response:
    if not revoke_token(konteks(request).store, user.akun.username, token_id, pelaku=user.pelaku):
        raise Ditolak(404, "Token tidak ditemukan atau sudah dicabut.")
    return _go("/akun", pesan="token-cabut")


@router.post("/akun/keluar-semua")
def akun_keluar_semua(request: Request, user: User) -> Response:
    end_sessions(konteks(request).store, user.akun.username, pelaku=user.pelaku)
    response = RedirectResponse("/masuk", status_code=303)
    response.delete_cookie(COOKIE, path="/")
    return response


@router.get("/")
def beranda(user: User) -> Response:
    return RedirectResponse(_home_of(user), status_code=303)


# ------------------------------------------------------------------------------- pegawai


@router.get("/skp")
def skp(request: Request, user: User) -> Response:
    if user.peran is not Peran.PEGAWAI or not user.akun.nip:
        return RedirectResponse(_home_of(user), status_code=303)
    return _pegawai_page(request, user, user.akun.nip)


@router.get("/pegawai/{nip}")
def pegawai(request: Request, nip: NipPath, user: User) -> Response:
    if user.peran is Peran.PEGAWAI and nip == user.akun.nip:
        return RedirectResponse("/skp", status_code=303)
    return _pegawai_page(request, user, nip)


def _pegawai_page(request: Request, user: Pengguna, nip: str) -> Response:
    ctx = konteks(request)
    view = screens.pegawai_view(ctx, user, nip)
    return _page(
        request,
        "pegawai.html",
        user,
        v=view,
        sendiri=user.akun.nip == nip,
        notices=screens.notices(ctx.store, user, 5) if user.akun.nip == nip else [],
        menunggu_saya=screens.waiting_on_me(ctx, user) if user.akun.nip == nip else None,
    )


@router.post("/pegawai/{nip}/sinkron")
def sinkron(request: Request, nip: NipPath, user: User, flow: Annotated[Flow, Form()] = Flow.SKP) -> Response:
    ids = requests.request_sync(konteks(request), user, nip, flow)
    target = "/skp" if user.akun.nip == nip else f"/pegawai/{nip}"
    return _go(target, pesan="antre", job=ids[0] if ids else None)


@router.post("/pegawai/{nip}/skp-manual/{skp_id}/ganti")
def ganti_manual(request: Request, nip: NipPath, skp_id: IdTeksPath, user: User) -> Response:
    admin.replace_manual_skp(konteks(request), user, nip, skp_id)
    target = "/skp" if user.akun.nip == nip else f"/pegawai/{nip}"
    return _go(target, pesan="manual")


@router.get("/pegawai/{nip}/pak")
def pak(request: Request, nip: NipPath, user: User) -> Response:
    """The PAK konversi of one pegawai, to print on A4."""
    from selaras.web.screens.tahunan import pak_view

    return _page(request, "pak.html", user, v=pak_view(konteks(request), user, nip))


@router.get("/tahunan")
def tahunan(request: Request, user: User) -> Response:
    """The year's end for the principal, the operator, the Dinas and the Admin Instansi."""
    from selaras.web.screens.tahunan import tahunan_view

    return _page(request, "tahunan.html", user, t=tahunan_view(konteks(request), user))


@router.get("/sekolah")
def sekolah(request: Request, user: User) -> Response:
    return _page(request, "sekolah.html", user, s=screens.school_view(konteks(request), user))


@router.get("/kerja")
def kerja(request: Request, user: User) -> Response:
    ctx = konteks(request)
    return _page(request, "kerja.html", user, w=screens.worklist(ctx, user), notices=screens.notices(ctx.store, user))


# ------------------------------------------------------------------------- admin instansi


@router.get("/rekap")
def rekap(
    request: Request,
    user: User,
    flow: Flow = Flow.SKP,
    instansi_id: Annotated[str, Query(pattern=r"^$|" + IdTeks.__metadata__[0].pattern)] = "",
) -> Response:
    ctx = konteks(request)
    r = screens.recap_view(ctx, user, flow, instansi_id or None)
    charts = {
        "kode": bar_chart([(k["code"], k["pegawai"], k["judul"]) for k in r["kode"]]),
        "aktor": bar_chart([(a["aktor"], a["pegawai"], ", ".join(a["kode"])) for a in r["aktor"]]),
        "tren": trend_chart(r["tren"]),
    }
    semua = screens.instansi_list(ctx.store) if user.peran is Peran.NASIONAL else []
    # The head of the agency reads here what was escalated to them (they have no worklist).
    notices = screens.notices(ctx.store, user) if user.peran is Peran.PIMPINAN else []
    return _page(request, "rekap.html", user, r=r, charts=charts, semua_instansi=semua, notices=notices)


@router.get("/log")
def log(request: Request, user: User, f: Filter, sebelum: IdQuery = None) -> Response:
    store = konteks(request).store
    rows, nxt = log_page(store, f, log_scope(user), before=sebelum, limit=50)
    return _page(
        request,
        "log.html",
        user,
        rows=rows,
        berikutnya=nxt,
        f=f,
        params=f.params(),
        codes=sorted(log_scope(user).codes or CATALOGUE),  # only codes the role can ever see
        aktor=[a.value for a in Aktor],
        statuses=[s.value for s in Status],
        query=urlencode(f.params()),
    )


@router.get("/log/{log_id}")
def log_rinci(request: Request, log_id: IdPath, user: User) -> Response:
    entry = log_detail(request, user, log_id)
    # A link is offered only where the role may follow it (a Dinas sees problems, not pegawai).
    boleh = can_view_pegawai(konteks(request).store, user, entry["nip"])
    return _page(request, "log_rinci.html", user, e=entry, boleh_lihat_pegawai=boleh)


@router.post("/sinkron-massal")
async def massal(request: Request, user: User) -> Response:
    form = await request.form()
    back = str(form.get("kembali") or "/log")
    if not back.startswith("/") or back.startswith("//"):
        back = "/log"
    try:
        data = MassalIn.model_validate(
            {
                "nips": [str(n) for n in form.getlist("nip") if n],
                "flow": str(form.get("flow") or "skp"),
                "npsn": str(form.get("npsn") or "") or None,
                "kode": str(form.get("kode") or "") or None,
                "semua": form.get("semua") == "1",
            }
        )
    except ValidationError as e:
        raise Ditolak(422, validation_detail(validation_fields(e.errors()))) from e
    if not (data.nips or data.npsn or data.kode or data.semua):
        return _go(back, pesan="pilih-dulu")
    from starlette.concurrency import run_in_threadpool

    out = await run_in_threadpool(
        lambda: requests.bulk_sync(
            konteks(request), user, flow=data.flow, npsn=data.npsn, nips=data.nips, code=data.kode, semua=data.semua
        )
    )
    return _go(back, pesan="massal", n=out["jumlah"])


@router.get("/periode")
def periode(request: Request, user: User) -> Response:
    instansi_id = require_admin(user)
    rows = screens.periode_list(konteks(request).store, instansi_id)
    return _page(request, "periode.html", user, rows=rows, galat=None, isian={})


@router.post("/periode")
def periode_simpan(
    request: Request,
    user: User,
    periode_id: Annotated[str, Form()] = "",
    nama: Annotated[str, Form()] = "",
    jenis: Annotated[str, Form()] = "",
    awal: Annotated[str, Form()] = "",
    akhir: Annotated[str, Form()] = "",
    tipe_periodik: Annotated[str, Form()] = "",
    angka_periodik: Annotated[str, Form()] = "",
) -> Response:
    ctx = konteks(request)
    instansi_id = require_admin(user)
    data = {
        "periode_id": periode_id,
        "nama": nama,
        "jenis": jenis,
        "awal": awal,
        "akhir": akhir,
        "tipe_periodik": tipe_periodik,
        "angka_periodik": angka_periodik,
    }
    try:
        form: dict[str, Any] = {
            k: (v.strip().upper() if k in ("jenis", "tipe_periodik") else v.strip()) or None for k, v in data.items()
        }
        form["nama"] = nama.strip()
        if form["angka_periodik"] and form["angka_periodik"].isascii() and form["angka_periodik"].isdigit():
            form["angka_periodik"] = int(form["angka_periodik"][:6])
        checked = PeriodeIn.model_validate(form)
        admin.save_periode(ctx, user, checked.model_dump())
    except ValidationError as e:
        rows = screens.periode_list(ctx.store, instansi_id)
        galat = validation_detail(validation_fields(e.errors()))
        return _page(request, "periode.html", user, status_code=422, rows=rows, galat=galat, isian=data)
    except Ditolak as e:
        if e.status not in (404, 409, 422):
            raise
        rows = screens.periode_list(ctx.store, instansi_id)
        return _page(request, "periode.html", user, status_code=e.status, rows=rows, galat=e.pesan, isian=data)
    return _go("/periode", pesan="periode")


@router.post("/periode/{periode_id}/hapus")
def periode_hapus(request: Request, periode_id: IdTeksPath, user: User) -> Response:
    admin.delete_periode(konteks(request), user, periode_id)
    return _go("/periode", pesan="periode-hapus")


@router.get("/unor")
def unor(request: Request, user: User) -> Response:
    rows = screens.unor_list(konteks(request).store, require_admin(user))
    return _page(request, "unor.html", user, rows=rows)


@router.post("/unor/{unor_id}/atasan")
def unor_atasan(
    request: Request, unor_id: IdTeksPath, user: User, atasan_nip: Annotated[str, Form(pattern=r"^\s*[0-9]{18}\s*$")]
) -> Response:
    admin.set_atasan(konteks(request), user, unor_id, atasan_nip.strip())
    return _go("/unor", pesan="atasan")


@router.get("/audit")
def audit_page(request: Request, user: User) -> Response:
    if user.peran not in (Peran.ADMIN, Peran.NASIONAL):
        raise forbidden("Log audit hanya untuk Admin Instansi dan Admin Nasional.")
    scope = user.instansi_id if user.peran is Peran.ADMIN else None
    return _page(request, "audit.html", user, rows=audit.entries(konteks(request).store, scope, limit=200))

"""The JSON API ``/api/v1``: every action of the pages, for machine clients and the pages' scripts.

Refusals: 401 without a valid session or token; 403 for an action the role may never take;
404 for data outside the user's reach (the same answer as for data that does not exist).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from selaras.catalogue.codes import CATALOGUE
from selaras.domain.akun import PERAN_LABEL, Peran
from selaras.domain.results import Flow
from selaras.jobs import queue
from selaras.store import audit
from selaras.usecases import admin, requests
from selaras.usecases import sandi as sandi_usecase
from selaras.usecases.access import (
    Ditolak,
    Pengguna,
    can_view_pegawai,
    forbidden,
    log_scope,
    not_found,
    require_admin,
)
from selaras.usecases.accounts import RateLimited, authenticate, create_token, list_tokens, retry_after, revoke_token
from selaras.usecases.pemberitahuan import mark_read
from selaras.web import export, screens
from selaras.web.deps import COOKIE, User, konteks
from selaras.web.edge import IdPath, IdQuery, IdTeksPath, NipPath
from selaras.web.log_detail import log_detail
from selaras.web.models import (
    API_ERRORS,
    AtasanIn,
    DibacaIn,
    Filter,
    IdTeks,
    MassalIn,
    PeriodeIn,
    SandiIn,
    SinkronIn,
    error_responses,
    optional_query,
)
from selaras.web.queries import log_entry, log_page

router = APIRouter(prefix="/api/v1", tags=["api"], responses=API_ERRORS)


def user_json(user: Pengguna) -> dict[str, Any]:
    """The signed-in account as JSON."""
    a = user.akun
    return {
        "username": a.username,
        "nama": a.nama,
        "peran": a.peran.value,
        "peran_label": user.label,
        "nip": a.nip,
        "npsn": user.npsn,
        "instansi_id": user.instansi_id,
        "kepala_sekolah": user.kepala_sekolah,
    }


# ------------------------------------------------------------------------------ accounts


@router.post(
    "/auth/token",
    responses=error_responses(429),
    summary="Masuk dengan nama pengguna dan kata sandi; mendapat token API",
)
def token(
    request: Request,
    username: Annotated[str, Form(min_length=1, max_length=200)],
    password: Annotated[str, Form(min_length=1, max_length=1000)],
) -> dict[str, str]:
    store = konteks(request).store
    address = request.client.host if request.client else "-"
    try:
        a = authenticate(store, username, password, address)
    except RateLimited as e:
        raise Ditolak(
            429, "Terlalu banyak percobaan masuk yang gagal. Coba lagi dalam 15 menit.", {"Retry-After": retry_after()}
        ) from e
    if a is None:
        raise Ditolak(401, "Nama pengguna atau kata sandi salah.")
    return {"token": create_token(store, a.username, "api"), "token_type": "bearer"}


@router.get("/saya", summary="Akun yang sedang masuk")
def saya(user: User) -> dict[str, Any]:
    return user_json(user)


TokenId = Annotated[str, Path(pattern=r"^[0-9a-f]{12}$", description="id token dari daftar token")]


@router.get("/saya/token", summary="Token API akun saya (tanpa nilainya): id, label, berlaku sampai, status")
def my_tokens(request: Request, user: User) -> list[dict[str, Any]]:
    return [t.json() for t in list_tokens(konteks(request).store, user.akun.username)]


@router.delete("/saya/token/{token_id}", status_code=204, summary="Cabut satu token API akun saya")
def revoke_my_token(request: Request, token_id: TokenId, user: User) -> Response:
    if not revoke_token(konteks(request).store, user.akun.username, token_id, pelaku=user.pelaku):
        raise not_found("Token tidak ditemukan atau sudah dicabut.")
    return Response(status_code=204)


@router.post(
    "/saya/sandi",
    responses=error_responses(403, 422, 429),
    summary="Ganti kata sandi saya (kata sandi lama ditanyakan); sesi dan token lain berakhir",
)
def change_my_password(request: Request, body: SandiIn, user: User) -> dict[str, int]:
    auth = request.headers.get("authorization", "")
    token = auth[7:].strip() if auth.lower().startswith("bearer ") else None
    done = sandi_usecase.ganti_sandi(
        konteks(request).store,
        user,
        body.sandi_lama,
        body.sandi_baru,
        sesi=None if token else request.cookies.get(COOKIE),
        token=token,
    )
    return {"sesi_diakhiri": done.sesi_diakhiri, "token_dicabut": done.token_dicabut}


@router.get("/kode", summary="Katalog kode kendala")
def kode(user: User) -> list[dict[str, Any]]:
    return [
        {
            "code": c.code,
            "flow": c.flow,
            "judul": c.judul,
            "penyebab": c.penyebab,
            "aktor": [a.value for a in c.aktor],
            "langkah": list(c.langkah),
        }
        for c in CATALOGUE.values()
    ]


# ------------------------------------------------------------------------------- pegawai


@router.get("/pegawai/{nip}", summary="Halaman SKP seorang pegawai: SKP, tombol, hasil terakhir, kartu kendala")
def pegawai(request: Request, nip: NipPath, user: User) -> dict[str, Any]:
    return screens.pegawai_view(konteks(request), user, nip)


@router.post("/pegawai/{nip}/sinkron", status_code=202, summary="Sinkron PMM / Sinkron Penilaian Periodik (antre)")
def sinkron(request: Request, nip: NipPath, body: SinkronIn, user: User) -> dict[str, Any]:
    ids = requests.request_sync(konteks(request), user, nip, body.flow)
    return {"job_ids": ids, "status": queue.JobStatus.ANTRE.value}


@router.post(
    "/pegawai/{nip}/skp-manual/{skp_id}/ganti",
    responses=error_responses(409),
    summary="Ganti SKP MANUAL (PMM-07) dengan SKP dari PMM, disinkronkan seketika; 409 dengan alasannya bila "
    "SKP dari PMM belum dapat disinkronkan",
)
def ganti_manual(request: Request, nip: NipPath, skp_id: IdTeksPath, user: User) -> dict[str, Any]:
    return admin.replace_manual_skp(konteks(request), user, nip, skp_id)


@router.get("/jobs/{job_id}", summary="Status satu permintaan sinkron")
def job(request: Request, job_id: IdPath, user: User) -> dict[str, Any]:
    store = konteks(request).store
    j = queue.get_job(store, job_id)
    if j is None or not (j.diminta_oleh == user.akun.username or can_view_pegawai(store, user, j.nip)):
        raise not_found()
    out = screens.job_view(j) or {}
    if j.status is queue.JobStatus.SELESAI and j.log_id is not None:
        entry = log_entry(store, j.log_id)
        out["hasil_sinkron"] = screens.result_view(store, entry)
    return out


@router.get("/sekolah", summary="Status sinkron pegawai sekolah saya (operator, kepala sekolah)")
def sekolah(request: Request, user: User) -> dict[str, Any]:
    return screens.school_view(konteks(request), user)


@router.get("/kerja", summary="Daftar kerja: yang harus saya perbaiki, dikelompokkan per akar masalah")
def kerja(request: Request, user: User) -> dict[str, Any]:
    return screens.worklist(konteks(request), user)


@router.get("/notifikasi", summary="Pemberitahuan saya")
def notifikasi(request: Request, user: User) -> list[dict[str, Any]]:
    return screens.notices(konteks(request).store, user, limit=50)


@router.post("/notifikasi/dibaca", summary="Tandai pemberitahuan sudah dibaca")
def dibaca(request: Request, body: DibacaIn, user: User) -> dict[str, int]:
    keys = screens.penerima_of(user)
    return {"diubah": mark_read(konteks(request).store, keys, body.ids) if keys else 0}


# ------------------------------------------------------------------------- admin instansi


@router.get("/rekap", summary="Rekap kendala sinkron (per kode, sekolah, pihak; kemajuan; tren)")
def rekap(
    request: Request,
    user: User,
    flow: Flow = Flow.SKP,
    instansi_id: optional_query(IdTeks, description="instansi (Admin Nasional)") = None,  # type: ignore[valid-type]
) -> dict[str, Any]:
    return screens.recap_view(konteks(request), user, flow, instansi_id)


@router.get("/log", summary="Log Sinkronisasi PMM: saring dan halaman (keyset pada log_id)")
def log(
    request: Request,
    user: User,
    f: Filter,
    sebelum: IdQuery = None,
    batas: Annotated[int, Query(ge=1, le=500)] = 50,
) -> dict[str, Any]:
    rows, nxt = log_page(konteks(request).store, f, log_scope(user), before=sebelum, limit=batas)
    return {"baris": rows, "sebelum_berikutnya": nxt, "filter": f.params()}


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@router.get(
    "/log/ekspor",
    summary="Ekspor tampilan log yang disaring ke XLSX atau CSV",
    response_class=Response,
    responses={
        200: {
            "description": "Berkas XLSX (format=xlsx) atau CSV (format=csv)",
            "content": {
                XLSX: {"schema": {"type": "string", "format": "binary"}},
                "text/csv": {"schema": {"type": "string"}},
            },
        }
    },
)
async def log_ekspor(request: Request, user: User, f: Filter, format: Literal["xlsx", "csv"] = "xlsx") -> Response:
    store = konteks(request).store
    scope = log_scope(user)
    if format == "csv":
        return export.csv_response(store, f, scope)
    return await run_in_threadpool(export.xlsx_response, store, f, scope)


@router.get("/log/{log_id}", summary="Rincian satu percobaan sinkron, dengan nilai tiap sistem berdampingan")
def log_detail_api(request: Request, log_id: IdPath, user: User) -> dict[str, Any]:
    return log_detail(request, user, log_id)


@router.post(
    "/sinkron-massal",
    status_code=202,
    summary="Sinkron massal: satu sekolah, pilihan NIP, satu kode, atau semua pegawai instansi",
)
def massal(request: Request, body: MassalIn, user: User) -> dict[str, Any]:
    return requests.bulk_sync(
        konteks(request), user, flow=body.flow, npsn=body.npsn, nips=body.nips, code=body.kode, semua=body.semua
    )


@router.get("/periode", summary="Manajemen Periode: periode instansi saya")
def periode(request: Request, user: User) -> list[dict[str, Any]]:
    return screens.periode_list(konteks(request).store, require_admin(user))


@router.post(
    "/periode",
    status_code=201,
    responses=error_responses(409),
    summary="Simpan periode (ditolak bila tidak standar, PER-01)",
)
def periode_simpan(request: Request, body: PeriodeIn, user: User) -> dict[str, Any]:
    return admin.save_periode(konteks(request), user, body.model_dump())


@router.delete("/periode/{periode_id}", status_code=204, responses=error_responses(409), summary="Hapus periode")
def periode_hapus(request: Request, periode_id: IdTeksPath, user: User) -> Response:
    admin.delete_periode(konteks(request), user, periode_id)
    return Response(status_code=204)


@router.get("/unor", summary="Unit kerja instansi saya dengan atasan di e-Kinerja")
def unor(request: Request, user: User) -> list[dict[str, Any]]:
    return screens.unor_list(konteks(request).store, require_admin(user))


@router.put("/unor/{unor_id}/atasan", summary="Ubah atasan unit kerja di e-Kinerja (dicatat di audit)")
def unor_atasan(request: Request, unor_id: IdTeksPath, body: AtasanIn, user: User) -> dict[str, Any]:
    return admin.set_atasan(konteks(request), user, unor_id, body.atasan_nip)


@router.get("/audit", summary="Log audit tindakan admin instansi saya")
def audit_log(
    request: Request, user: User, sebelum: IdQuery = None, batas: Annotated[int, Query(ge=1, le=500)] = 100
) -> list[dict[str, Any]]:
    if user.peran is Peran.NASIONAL:
        scope = None
    elif user.peran is Peran.ADMIN:
        scope = user.instansi_id
    else:
        raise forbidden(f"Log audit hanya untuk {PERAN_LABEL[Peran.ADMIN]} dan {PERAN_LABEL[Peran.NASIONAL]}.")
    return audit.entries(konteks(request).store, scope, limit=batas, before=sebelum)

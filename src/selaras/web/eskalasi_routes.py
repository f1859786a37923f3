"""Routes of issue 12: the worklist with ages as CSV, the forecast and the escalations as JSON.

``/kerja/ekspor.csv`` (a person's worklist, with each item's age), ``/api/v1/prakiraan`` (the
forecast at the deadline: schools of an instansi, or instansi for the national admin) and
``/api/v1/eskalasi`` (the steps taken: an admin's instansi, or every instansi for the national
admin).
"""

from __future__ import annotations

import csv
import io
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from selaras.domain.akun import Peran
from selaras.domain.eskalasi import TINGKAT_LABEL, Tingkat
from selaras.domain.results import Flow
from selaras.store import eskalasi as esk
from selaras.usecases.access import forbidden, instansi_scope
from selaras.web import screens
from selaras.web.deps import User, konteks
from selaras.web.edge import Hari
from selaras.web.models import API_ERRORS, IdTeks, optional_query
from selaras.web.screens import umur

router = APIRouter()


@router.get("/kerja/ekspor.csv", include_in_schema=False)
def kerja_csv(request: Request, user: User) -> Response:
    """The user's worklist as CSV, each item with its age in working days."""
    w = screens.worklist(konteks(request), user)
    buf = io.StringIO()
    out = csv.writer(buf)
    out.writerow(["Kode", "Kendala", "Alur", "Pegawai tertahan", "Menunggu (hari kerja)", "Sejak", "Eskalasi"])
    for b in w["butir"]:
        out.writerow(
            [
                b["code"],
                b["label"],
                b["flow_label"],
                b["jumlah"],
                "" if b.get("umur") is None else b["umur"],
                b.get("sejak_label") or "",
                "; ".join(e["kepada"] for e in b.get("eskalasi") or []),
            ]
        )
    return Response(
        "\ufeff" + buf.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="daftar-kerja.csv"'},
    )


@router.get(
    "/api/v1/prakiraan", tags=["api"], responses=API_ERRORS, summary="Prakiraan persentase tersinkron pada tenggat"
)
def prakiraan(
    request: Request,
    user: User,
    flow: Flow = Flow.SKP,
    instansi_id: optional_query(IdTeks, description="instansi (Admin Nasional)") = None,  # type: ignore[valid-type]
    tenggat: optional_query(Hari, description="YYYY-MM-DD") = None,  # type: ignore[valid-type]
) -> dict[str, Any]:
    """The forecast of an instansi and its schools at risk (national admin: instansi at risk)."""
    if user.peran not in (Peran.ADMIN, Peran.NASIONAL, Peran.PIMPINAN):
        raise forbidden("Prakiraan hanya untuk Admin Instansi, Pimpinan Instansi dan Admin Nasional.")
    ctx = konteks(request)
    scope = instansi_scope(user, instansi_id)
    tahun = ctx.tahun()
    return {
        "flow": flow.value,
        "tahun": tahun,
        "instansi_id": scope,
        "tenggat": (tenggat or ctx.tenggat(tahun)).isoformat(),
        "prakiraan": umur.forecast(ctx.store, flow.value, tahun, scope, tenggat or ctx.tenggat(tahun)),
    }


@router.get("/api/v1/eskalasi", tags=["api"], responses=API_ERRORS, summary="Langkah eskalasi yang sudah diambil")
def eskalasi(
    request: Request,
    user: User,
    instansi_id: optional_query(IdTeks, description="instansi (Admin Nasional)") = None,  # type: ignore[valid-type]
) -> list[dict[str, Any]]:
    """Escalation steps taken, newest first: the admin's instansi, or (national) any or all."""
    if user.peran not in (Peran.ADMIN, Peran.NASIONAL, Peran.PIMPINAN):
        raise forbidden("Eskalasi hanya untuk Admin Instansi, Pimpinan Instansi dan Admin Nasional.")
    scope = instansi_scope(user, instansi_id)
    return [
        {
            "instansi_id": s["instansi_id"],
            "kode": s["kode"],
            "tingkat": s["tingkat"],
            "kepada": TINGKAT_LABEL[Tingkat(s["tingkat"])],
            "waktu": s["waktu"],
            "umur_hari_kerja": s["umur_hari_kerja"],
            "selesai": s["ditutup"] is not None,
        }
        for s in esk.step_log(konteks(request).store, scope)
    ]

"""Routes of issue 18: the schools by leadership (Plt, Plh, none, invalid, term ending within 30
days) with the teachers at stake, as a page (``/pimpinan``) and as JSON
(``/api/v1/pimpinan``); for the Admin Instansi, the PLT/PLH to-do list and unclaimed units."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from selaras.web.access import Pengguna
from selaras.web.api import IdTeks, error_responses, optional_query
from selaras.web.app import current_user, konteks, render
from selaras.web.screens import pimpinan as screen

router = APIRouter()
API_ERRORS = error_responses(400, 401, 403, 404, 422, 500, 503)
User = Annotated[Pengguna, Depends(current_user)]


@router.get("/pimpinan", include_in_schema=False)
def pimpinan_page(request: Request, user: User) -> Response:
    """The page: schools by leadership, and the admin's PLT/PLH to-do list."""
    data = screen.daftar_pimpinan(konteks(request), user)
    return render(request, "pimpinan.html", user=user, pesan=None, pesan_jenis="ok", d=data)


@router.get(
    "/api/v1/pimpinan",
    summary="Sekolah menurut kepemimpinan (Plt, Plh, tanpa kepala sekolah) dan guru yang terdampak",
    responses=API_ERRORS,
)
def pimpinan_api(
    request: Request,
    user: User,
    instansi_id: optional_query(IdTeks, description="instansi (Admin Nasional)") = None,  # type: ignore[valid-type]
) -> dict[str, Any]:
    """Schools by leadership today with the teachers at stake; the PLT/PLH to-do list."""
    return screen.daftar_pimpinan(konteks(request), user, instansi_id)

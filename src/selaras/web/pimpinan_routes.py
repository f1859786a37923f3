"""Routes of issue 18: the schools by leadership (Plt, Plh, none, invalid, term ending within 30
days) with the teachers at stake, as a page (``/pimpinan``) and as JSON
(``/api/v1/pimpinan``); for the Admin Instansi, the PLT/PLH to-do list and unclaimed units."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, Field

from selaras.usecases import pimpinan as usecase
from selaras.web.deps import User, konteks, render
from selaras.web.models import API_ERRORS, IdTeks, optional_query
from selaras.web.screens import pimpinan as screen

router = APIRouter()


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


class KebijakanPltIn(BaseModel):
    """The instansi's Plt policy; a field left out keeps its value."""

    plt_boleh_menilai: Annotated[bool, Field(strict=True)] | None = None
    plt_masa_bulan: Annotated[int, Field(strict=True, ge=1, le=36)] | None = None


@router.put(
    "/api/v1/pimpinan/kebijakan",
    summary="Ubah kebijakan Plt Kepala Sekolah instansi saya (dicatat di audit)",
    responses=API_ERRORS,
)
def kebijakan_api(request: Request, body: KebijakanPltIn, user: User) -> dict[str, Any]:
    """Set whether a Plt may assess SKP and the Plt term in months (Admin Instansi)."""
    return usecase.set_kebijakan_plt(konteks(request), user, body.plt_boleh_menilai, body.plt_masa_bulan)


@router.post("/pimpinan/kebijakan", include_in_schema=False)
def kebijakan_form(
    request: Request,
    user: User,
    boleh_menilai: Annotated[str, Form(pattern=r"^(ya|tidak)$")],
    masa_bulan: Annotated[int, Form(ge=1, le=36)],
) -> Response:
    """The settings form of the page."""
    usecase.set_kebijakan_plt(konteks(request), user, boleh_menilai == "ya", masa_bulan)
    return RedirectResponse("/pimpinan", status_code=303)

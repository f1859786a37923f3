"""The API's request models and the types of its parameters, shared by the API and the pages
(a page's form is checked against the same model as the API's JSON body)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import Depends, Query
from pydantic import BaseModel, BeforeValidator, Field, StringConstraints

from selaras.catalogue.codes import CATALOGUE, Aktor
from selaras.domain.results import Flow, Status
from selaras.web.edge import ID_MAX, ID_POLA, NIP_POLA, NPSN_POLA, Galat, Hari, Teks
from selaras.web.queries import LogFilter


def error_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    return {code: {"model": Galat, "description": ERROR_TEXT[code]} for code in codes}


ERROR_TEXT = {
    400: "Isi permintaan tidak dapat dibaca",
    401: "Perlu masuk: sesi atau token tidak ada, kedaluwarsa atau dicabut",
    403: "Peran Anda tidak boleh melakukan tindakan ini (atau token CSRF tidak cocok)",
    404: "Tidak ditemukan, atau di luar wewenang Anda",
    405: "Metode tidak tersedia untuk alamat ini",
    409: "Bentrok dengan data yang ada",
    422: "Isian tidak valid: `galat` menyebut setiap kolom yang salah",
    429: "Terlalu banyak percobaan masuk yang gagal",
    500: "Kesalahan di server",
    503: "Penyimpanan atau server sedang terganggu; tidak ada yang diubah, coba lagi nanti",
}
API_ERRORS = error_responses(400, 401, 403, 404, 422, 500, 503)
"""The refusals every API route may answer."""

Nip = Annotated[str, StringConstraints(pattern=NIP_POLA)]
Npsn = Annotated[str, StringConstraints(pattern=NPSN_POLA)]
Kode = Literal[tuple(sorted(CATALOGUE))]  # type: ignore[valid-type]
IdTeks = Annotated[str, StringConstraints(pattern=ID_POLA)]
Id = Annotated[int, Field(strict=True, ge=1, le=ID_MAX)]


class SinkronIn(BaseModel):
    """A sync request for one pegawai."""

    flow: Flow = Flow.SKP


class MassalIn(BaseModel):
    """A bulk sync: a school, a selection of NIPs, or everyone whose latest result has a code.

    At least one of ``npsn``, ``nips``, ``kode`` or ``semua`` (true) is required."""

    flow: Flow = Flow.SKP
    npsn: Npsn | None = None
    nips: list[Nip] = Field(default_factory=list, max_length=5000)
    kode: Kode | None = None
    semua: Annotated[bool, Field(strict=True)] = False

    model_config = {
        "json_schema_extra": {
            "anyOf": [
                {"required": ["npsn"], "properties": {"npsn": {"type": "string"}}},
                {"required": ["nips"], "properties": {"nips": {"type": "array", "minItems": 1}}},
                {"required": ["kode"], "properties": {"kode": {"type": "string"}}},
                {"required": ["semua"], "properties": {"semua": {"const": True}}},
            ]
        }
    }


class PeriodeIn(BaseModel):
    """One e-Kinerja period (Manajemen Periode)."""

    periode_id: IdTeks
    nama: Teks = ""
    jenis: Literal["TAHUNAN", "PERIODIK"]
    awal: Hari
    akhir: Hari
    tipe_periodik: Literal["BULANAN", "TRIWULANAN"] | None = None
    angka_periodik: Annotated[int, Field(strict=True, ge=1, le=12)] | None = None


class AtasanIn(BaseModel):
    """The new superior (NIP) of a unit in e-Kinerja."""

    atasan_nip: Nip


class SandiIn(BaseModel):
    """Changing the own password: the old one, and the new one (at least 8 characters)."""

    sandi_lama: Annotated[str, StringConstraints(min_length=1, max_length=1024)]
    sandi_baru: Annotated[str, StringConstraints(min_length=8, max_length=1024)]


class DibacaIn(BaseModel):
    """Notices to mark read."""

    ids: list[Id] = Field(max_length=500)


def _blank(value: Any) -> Any:
    return None if value == "" else value


def optional_query(t: Any, **query: Any) -> Any:
    """An optional query parameter of type ``t``; an empty value (as a plain form sends it) is none."""
    return Annotated[t | Literal[""] | None, BeforeValidator(_blank), Query(**query)]


def log_filter(
    kode: optional_query(Kode, description="kode kendala, mis. PMM-12") = None,  # type: ignore[valid-type]
    npsn: optional_query(Npsn, description="NPSN, 8 digit") = None,  # type: ignore[valid-type]
    status: optional_query(Status) = None,  # type: ignore[valid-type]
    dari: optional_query(Hari, description="YYYY-MM-DD") = None,  # type: ignore[valid-type]
    sampai: optional_query(Hari, description="YYYY-MM-DD") = None,  # type: ignore[valid-type]
    aktor: optional_query(Aktor) = None,  # type: ignore[valid-type]
    q: optional_query(Teks, description="NIP (atau awalnya) atau bagian nama") = None,  # type: ignore[valid-type]
    flow: optional_query(Flow) = None,  # type: ignore[valid-type]
) -> LogFilter:
    """The log filters from query parameters (empty values ignored, as a plain form sends them)."""
    return LogFilter(
        kode,
        npsn,
        status.value if status else None,
        dari,
        sampai,
        aktor.value if aktor else None,
        q or None,
        flow.value if flow else None,
    )


Filter = Annotated[LogFilter, Depends(log_filter)]

"""What a request may carry, checked at the edge: the ranges the store can hold, and refusals
in Bahasa Indonesia that name the field, in one body shape for the whole API.

Every refusal of the API (401, 403, 404, 409, 422, 429, 500) is a :class:`Galat`:
``{"detail": "<pesan untuk orang>", "galat": [{"kolom": "...", "pesan": "..."}]}``; ``galat``
lists the fields at fault (empty when no field is).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import date
from typing import Annotated, Any

from fastapi import Path, Query
from pydantic import AfterValidator, BaseModel, Field, StringConstraints, WithJsonSchema

from selaras.catalogue import words

ID_MAX = 2**53 - 1
"""The largest id accepted (log, job, notice, audit ids): inside the 64-bit signed columns, and
the largest integer every JSON client (JavaScript's numbers) holds exactly."""
HARI_MIN = date(2000, 1, 1)
HARI_MAX = date(2100, 12, 31)
"""The window of dates the app accepts: filters, periods (the store and its arithmetic hold them)."""
NIP_POLA = r"^[0-9]{18}$"
ID_POLA = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
"""An id that is safe in a URL path: letters, digits, dot, dash, underscore (periods, units, SKP)."""
NPSN_POLA = r"^[0-9]{8}$"
KODE_POLA = r"^[A-Z]{2,4}-[0-9]{2}$"


class GalatKolom(BaseModel):
    """One field at fault."""

    kolom: str = Field(description="nama isian, mis. `sampai` atau `body.ids.0`")
    pesan: str


class Galat(BaseModel):
    """The body of every refusal of the API."""

    detail: str = Field(description="pesan untuk orang, dalam Bahasa Indonesia")
    galat: list[GalatKolom] = Field(default_factory=list)


def body(detail: str, fields: Sequence[tuple[str, str]] = ()) -> dict[str, Any]:
    """A :class:`Galat` as JSON."""
    return {"detail": detail, "galat": [{"kolom": k, "pesan": p} for k, p in fields]}


HARI_POLA = (
    r"^(?:(?:20\d\d|2100)-(?:(?:0[13578]|1[02])-(?:0[1-9]|[12]\d|3[01])|(?:0[469]|11)-(?:0[1-9]|[12]\d|30)"
    r"|02-(?:0[1-9]|1\d|2[0-8]))|20(?:[02468][048]|[13579][26])-02-29)$"
)
"""Exactly the calendar dates YYYY-MM-DD from ``HARI_MIN`` to ``HARI_MAX`` (leap days included):
the schema states the window, so a client knows before sending which dates are accepted."""


def _to_date(value: str) -> date:
    return date.fromisoformat(value)


Hari = Annotated[
    str,
    StringConstraints(pattern=HARI_POLA),
    AfterValidator(_to_date),
    WithJsonSchema({"type": "string", "pattern": HARI_POLA, "description": "YYYY-MM-DD, 01-01-2000 s.d. 31-12-2100"}),
]
"""A date inside the app's window (``HARI_MIN`` .. ``HARI_MAX``), as YYYY-MM-DD."""
IdPath = Annotated[int, Path(ge=1, le=ID_MAX, description="id (bilangan bulat 64-bit positif)")]
IdQuery = Annotated[int | None, Query(ge=1, le=ID_MAX, description="id (bilangan bulat 64-bit positif)")]
NipPath = Annotated[str, Path(pattern=NIP_POLA, description="NIP, 18 digit")]
IdTeksPath = Annotated[str, Path(pattern=ID_POLA, description="id: huruf, angka, titik, minus, garis bawah")]
Teks = Annotated[str, StringConstraints(max_length=200, pattern=r"^[^\x00]*$")]
"""Free text of a request: bounded, no NUL (PostgreSQL refuses NUL in text)."""

_TYPE_TEXT = {
    "missing": "wajib diisi",
    "int_parsing": "harus bilangan bulat",
    "int_type": "harus bilangan bulat",
    "int_from_float": "harus bilangan bulat",
    "bool_type": "harus true atau false",
    "bool_parsing": "harus true atau false",
    "string_type": "harus teks",
    "list_type": "harus daftar",
    "dict_type": "harus objek JSON",
    "model_attributes_type": "harus objek JSON",
    "model_type": "harus objek JSON",
    "json_invalid": "bukan JSON yang valid",
    "json_type": "bukan JSON yang valid",
    "date_parsing": "harus tanggal YYYY-MM-DD",
    "date_from_datetime_parsing": "harus tanggal YYYY-MM-DD",
    "date_from_datetime_inexact": "harus tanggal YYYY-MM-DD",
    "date_type": "harus tanggal YYYY-MM-DD",
    "string_pattern_mismatch": "formatnya tidak valid",
    "extra_forbidden": "tidak dikenal",
    "too_short": "terlalu sedikit isinya",
}


def _text(err: dict[str, Any]) -> str:
    t = err.get("type", "")
    ctx = err.get("ctx") or {}
    if t in ("greater_than_equal", "greater_than"):
        return f"harus paling kecil {ctx.get('ge', ctx.get('gt'))}"
    if t in ("less_than_equal", "less_than"):
        return f"harus paling besar {ctx.get('le', ctx.get('lt'))}"
    if t in ("enum", "literal_error"):
        choices = [_choice(v) for v in re.findall(r"'([^']*)'", str(ctx.get("expected", "")))]
        if len(choices) > 1:
            return f"harus salah satu dari: {', '.join(choices[:-1])} atau {choices[-1]}"
        return f"harus salah satu dari: {ctx.get('expected', '')}".replace("'", "").replace(" or ", " atau ")
    if t == "string_pattern_mismatch" and ctx.get("pattern") == HARI_POLA:
        return f"harus tanggal YYYY-MM-DD antara {HARI_MIN:%d-%m-%Y} dan {HARI_MAX:%d-%m-%Y}"
    if t == "string_too_long":
        return f"terlalu panjang (paling banyak {ctx.get('max_length')} karakter)"
    if t == "string_too_short":
        return "wajib diisi"
    if t == "too_long":
        return f"terlalu banyak isinya (paling banyak {ctx.get('max_length')})"
    return _TYPE_TEXT.get(t, "tidak valid")


def _choice(value: str) -> str:
    """One allowed value in words, the value itself (what to send) in brackets: ``Gagal (GAGAL)``."""
    for table in (words.STATUS, words.FLOW, words.HASIL, words.MODE, words.PERAN, words.JOB_STATUS):
        if value in table:
            return f"{table[value]} ({value})"
    return value


_FIELD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _name(loc: Iterable[Any]) -> str:
    # Keep field names and list indexes; drop pydantic's union member tags ("str-enum[Flow]").
    parts = [str(p) for p in loc if isinstance(p, int) or _FIELD.fullmatch(str(p))]
    if parts and parts[0] in ("body", "query", "path", "header", "cookie", "form"):
        parts = parts[1:]
    return ".".join(parts) or "isian"


def validation_fields(errors: Sequence[Any]) -> list[tuple[str, str]]:
    """(field, Indonesian message) of each validation error of FastAPI/pydantic, in order, once."""
    out: list[tuple[str, str]] = []
    for err in errors:
        if any(str(p) == "literal['']" for p in err.get("loc", ())):
            continue  # the "empty means none" alternative of an optional filter: not what was meant
        pair = (_name(err.get("loc", ())), _text(err))
        if pair not in out:
            out.append(pair)
    return out


def validation_detail(fields: Sequence[tuple[str, str]]) -> str:
    """One sentence for people: which fields are wrong and why."""
    return "Isian tidak valid: " + "; ".join(f"{k} {p}" for k, p in fields) + "."

"""Export of the filtered log view: XLSX (openpyxl, write-only) and CSV (streamed).

What people read in a spreadsheet: headers and values in words (status, flow, outcome, who),
names beside ids, each problem's title beside its code, and times in the instansi's own zone
(WIB, WITA or WIT), the zone named in the header.
"""

from __future__ import annotations

import csv
import io
import os
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from fastapi.responses import FileResponse, StreamingResponse
from openpyxl import Workbook
from starlette.background import BackgroundTask

from selaras.catalogue import dates, words
from selaras.catalogue.codes import CATALOGUE
from selaras.store import reads
from selaras.store.database import Store
from selaras.usecases.access import LogScope
from selaras.web.queries import EXPORT_COLUMNS, LogFilter, export_rows

HEADERS = {
    "log_id": "ID log",
    "waktu": "Waktu",
    "nip": "NIP",
    "nama": "Nama",
    "npsn": "NPSN",
    "sekolah_nama": "Sekolah",
    "instansi_id": "ID instansi",
    "instansi_nama": "Instansi",
    "flow": "Alur",
    "tahun": "Tahun",
    "mode": "Jenis",
    "status": "Status",
    "hasil": "Hasil",
    "kode": "Kode kendala",
    "kendala": "Kendala",
    "pelaku": "Dicatat oleh",
}

_WORDS = {"flow": words.FLOW, "mode": words.MODE, "status": words.STATUS, "hasil": words.HASIL}


def headers(zona: str) -> list[str]:
    """The header row; the time column names its zone."""
    return [f"{HEADERS[c]} ({zona})" if c == "waktu" else HEADERS[c] for c in EXPORT_COLUMNS]


def cells(row: dict[str, Any], zona: str) -> list[Any]:
    """One log row as export cells: words for values, a naive time in the instansi's zone."""
    out: list[Any] = []
    for c in EXPORT_COLUMNS:
        v = row.get(c)
        if c == "waktu" and isinstance(v, datetime):
            v = dates.di_zona(v, zona).replace(tzinfo=None, microsecond=0)
        elif c in _WORDS and v is not None:
            v = words.label(_WORDS[c], v)
        elif c == "kode":
            v = ", ".join((v or "").split(",")) if v else ""
        elif c == "kendala":
            v = "; ".join(CATALOGUE[k].judul for k in (row.get("kode") or "").split(",") if k in CATALOGUE)
        elif c == "pelaku":
            v = row.get("pelaku_nama") or words.pelaku(v)
        out.append(v)
    return out


def _name(ext: str) -> str:
    return f"log-sinkronisasi-{datetime.now(UTC):%Y%m%d-%H%M%S}.{ext}"


def xlsx_response(store: Store, f: LogFilter, scope: LogScope) -> FileResponse:
    """The filtered rows as an XLSX workbook (one sheet ``log``, a header row)."""
    zona = reads.zona_of(store, scope.instansi_id)
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("log")
    ws.append(headers(zona))
    for row in export_rows(store, f, scope):
        ws.append(cells(row, zona))
    fd, path = tempfile.mkstemp(prefix="selaras-", suffix=".xlsx")
    os.close(fd)
    wb.save(path)
    return FileResponse(
        path,
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        filename=_name("xlsx"),
        background=BackgroundTask(os.unlink, path),
    )


def csv_response(store: Store, f: LogFilter, scope: LogScope) -> StreamingResponse:
    """The filtered rows as CSV (UTF-8 with BOM so that spreadsheet programs read it right)."""
    zona = reads.zona_of(store, scope.instansi_id)

    def lines() -> Iterator[str]:
        buf = io.StringIO()
        w = csv.writer(buf)
        buf.write("\ufeff")
        w.writerow(headers(zona))
        for i, row in enumerate(export_rows(store, f, scope)):
            w.writerow(
                [
                    "" if v is None else (v.strftime("%d-%m-%Y %H.%M.%S") if isinstance(v, datetime) else v)
                    for v in cells(row, zona)
                ]
            )
            if i % 1000 == 999:
                yield buf.getvalue()
                buf.seek(0)
                buf.truncate()
        yield buf.getvalue()

    return StreamingResponse(
        lines(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{_name("csv")}"'},
    )

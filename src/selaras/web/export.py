"""Export of the filtered log view: XLSX (openpyxl, write-only) and CSV (streamed)."""

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

from selaras.store.database import Store
from selaras.web.access import LogScope
from selaras.web.queries import EXPORT_COLUMNS, LogFilter, export_rows

HEADERS = {
    "log_id": "ID log",
    "waktu": "Waktu (UTC)",
    "nip": "NIP",
    "nama": "Nama",
    "npsn": "NPSN",
    "instansi_id": "Instansi",
    "flow": "Alur",
    "tahun": "Tahun",
    "mode": "Mode",
    "status": "Status",
    "hasil": "Hasil",
    "kode": "Kode kendala",
    "pelaku": "Pelaku",
}


def _cells(row: dict[str, Any]) -> list[Any]:
    out = []
    for c in EXPORT_COLUMNS:
        v = row.get(c)
        if isinstance(v, datetime):
            v = v.astimezone(UTC).replace(tzinfo=None, microsecond=0)
        out.append(v)
    return out


def _name(ext: str) -> str:
    return f"log-sinkronisasi-{datetime.now(UTC):%Y%m%d-%H%M%S}.{ext}"


def xlsx_response(store: Store, f: LogFilter, scope: LogScope) -> FileResponse:
    """The filtered rows as an XLSX workbook (one sheet ``log``, a header row)."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("log")
    ws.append([HEADERS[c] for c in EXPORT_COLUMNS])
    for row in export_rows(store, f, scope):
        ws.append(_cells(row))
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

    def lines() -> Iterator[str]:
        buf = io.StringIO()
        w = csv.writer(buf)
        buf.write("\ufeff")
        w.writerow([HEADERS[c] for c in EXPORT_COLUMNS])
        for i, row in enumerate(export_rows(store, f, scope)):
            w.writerow(
                ["" if v is None else (v.isoformat(sep=" ") if isinstance(v, datetime) else v) for v in _cells(row)]
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

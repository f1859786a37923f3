"""Reads of the sync log for the web: filtered keyset pages, one entry, exports, the trend.

Pages are keyset pages on ``log_id`` (newest first): each page is an index range scan, as fast
on the millionth row as on the first (no OFFSET).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import polars as pl
import sqlalchemy as sa

from selaras.catalogue import words
from selaras.catalogue.codes import CATALOGUE
from selaras.domain.results import Status
from selaras.store import reads
from selaras.store.database import Store
from selaras.store.tables import sync_log, sync_log_error
from selaras.web.access import LogScope

EXPORT_MAX = 200_000
EXPORT_PAGE = 5_000
EXPORT_COLUMNS = (
    "log_id",
    "waktu",
    "nip",
    "nama",
    "npsn",
    "sekolah_nama",
    "instansi_id",
    "instansi_nama",
    "flow",
    "tahun",
    "mode",
    "status",
    "hasil",
    "kode",
    "kendala",
    "pelaku",
)
"""The columns of a log export: the log row's own, with the names beside the ids."""


@dataclass(frozen=True)
class LogFilter:
    """The filters of the Log Sinkronisasi PMM page (all optional)."""

    kode: str | None = None
    npsn: str | None = None
    status: str | None = None
    dari: date | None = None
    sampai: date | None = None
    aktor: str | None = None
    q: str | None = None  # a NIP (or its start) or part of a name
    flow: str | None = None

    def params(self) -> dict[str, str]:
        """The non-empty filters as query parameters (for links and exports)."""
        return {k: str(v) for k, v in asdict(self).items() if v not in (None, "")}


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _where(query: sa.Select, f: LogFilter, scope: LogScope) -> sa.Select:
    conds: list[Any] = []
    for column, value in (
        (sync_log.c.instansi_id, scope.instansi_id),
        (sync_log.c.npsn, scope.npsn),
        (sync_log.c.nip, scope.nip),
        (sync_log.c.npsn, f.npsn),
        (sync_log.c.status, f.status),
        (sync_log.c.flow, f.flow),
    ):
        if value:
            conds.append(column == value)
    codes: list[tuple[str, ...]] = []
    if scope.codes is not None:
        codes.append(scope.codes)
    if f.kode:
        codes.append((f.kode,))
    if f.aktor:
        codes.append(tuple(c.code for c in CATALOGUE.values() if f.aktor in [a.value for a in c.aktor]))
    for group in codes:
        conds.append(
            sa.exists().where(sync_log_error.c.log_id == sync_log.c.log_id, sync_log_error.c.code.in_(group or ("-",)))
        )
    if f.dari:
        conds.append(sync_log.c.waktu >= datetime.combine(f.dari, time(), UTC))
    if f.sampai:
        conds.append(sync_log.c.waktu < datetime.combine(f.sampai + timedelta(days=1), time(), UTC))
    if f.q:
        q = f.q.strip()
        if q.isdigit():
            conds.append(sync_log.c.nip.like(q + "%"))
        else:
            conds.append(sa.func.lower(sync_log.c.nama).like("%" + q.lower().replace("%", "") + "%"))
    return query.where(*conds)


def log_page(
    store: Store, f: LogFilter, scope: LogScope, *, before: int | None = None, limit: int = 50
) -> tuple[list[dict[str, Any]], int | None]:
    """One page of log rows (newest first) and the ``before`` of the next page (None at the end)."""
    q = _where(sa.select(sync_log), f, scope)
    if before is not None:
        q = q.where(sync_log.c.log_id < before)
    q = q.order_by(sync_log.c.log_id.desc()).limit(limit + 1)
    with store.read() as conn:
        rows = [dict(r._mapping) for r in conn.execute(q)]
    for r in rows:
        r["waktu"] = _utc(r["waktu"])
    more = len(rows) > limit
    rows = readable(store, rows[:limit])
    return rows, (rows[-1]["log_id"] if more and rows else None)


def log_entry(store: Store, log_id: int) -> dict[str, Any] | None:
    """One log row with its errors (``detail`` parsed), or None."""
    with store.read() as conn:
        row = conn.execute(sa.select(sync_log).where(sync_log.c.log_id == log_id)).first()
        if row is None:
            return None
        entry = dict(row._mapping)
        entry["waktu"] = _utc(entry["waktu"])
        entry["errors"] = _errors(conn, log_id)
    return readable(store, [entry])[0]


def readable(store: Store, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Add the names people read beside the ids of log rows: ``sekolah_nama``,
    ``instansi_nama`` and ``pelaku_nama`` (who made the row, in words)."""
    schools = reads.sekolah_names(store, {r["npsn"] for r in rows if r.get("npsn")})
    instansi = reads.instansi_names(store, {r["instansi_id"] for r in rows if r.get("instansi_id")})
    for r in rows:
        r["sekolah_nama"] = schools.get(r.get("npsn") or "")
        r["instansi_nama"] = instansi.get(r.get("instansi_id") or "")
        r["pelaku_nama"] = words.pelaku(r.get("pelaku"))
    return rows


def latest_state(store: Store, nip: str, flow: str, tahun: int) -> dict[str, Any] | None:
    """``{status, kode}`` of the pegawai's latest log row for the flow and year; None when
    never logged."""
    found = reads.latest_state(store, flow, tahun=tahun, nips=[nip])
    return None if not found else {"status": found[0].status, "kode": found[0].kode}


def latest_entry(store: Store, nip: str, flow: str) -> dict[str, Any] | None:
    """The newest log row of ``nip`` for ``flow``, with its errors; None when never logged."""
    with store.read() as conn:
        log_id = conn.execute(
            sa.select(sync_log.c.log_id)
            .where(sync_log.c.nip == nip, sync_log.c.flow == flow)
            .order_by(sync_log.c.log_id.desc())
            .limit(1)
        ).scalar()
    return None if log_id is None else log_entry(store, int(log_id))


def _errors(conn: sa.Connection, log_id: int) -> list[dict[str, Any]]:
    rows = conn.execute(
        sa.select(sync_log_error).where(sync_log_error.c.log_id == log_id).order_by(sync_log_error.c.nomor)
    )
    out = []
    for r in rows:
        try:
            detail = json.loads(r.detail) if r.detail else {}
        except ValueError:
            detail = {"teks": r.detail}
        out.append(
            {
                "code": r.code,
                "urutan": r.urutan,
                "pmm_skp_id": r.pmm_skp_id,
                "detail": detail,
                "selesai_oleh": r.selesai_oleh,
            }
        )
    return out


def export_rows(store: Store, f: LogFilter, scope: LogScope) -> Iterator[dict[str, Any]]:
    """Every row of the filtered view (up to ``EXPORT_MAX``), page by page."""
    before: int | None = None
    done = 0
    while done < EXPORT_MAX:
        rows, before = log_page(store, f, scope, before=before, limit=min(EXPORT_PAGE, EXPORT_MAX - done))
        yield from rows
        done += len(rows)
        if before is None:
            break


def trend(store: Store, flow: str, tahun: int, instansi_id: str | None) -> pl.DataFrame:
    """Per day with log rows: how many pegawai had each status at the end of that day.

    Each pegawai counts with the status of their newest row up to that day: a day's change
    adds one to the new status and takes one from the previous, and the running sums give
    the counts.
    """
    q = sa.select(sync_log.c.log_id, sync_log.c.nip, sync_log.c.waktu, sync_log.c.status).where(
        sync_log.c.flow == flow, sync_log.c.tahun == tahun
    )
    if instansi_id is not None:
        q = q.where(sync_log.c.instansi_id == instansi_id)
    with store.read() as conn:
        rows = conn.execute(q).all()
    statuses = [s.value for s in Status]
    if not rows:
        return pl.DataFrame(schema={"hari": pl.Date, **{s: pl.Int64 for s in statuses}})
    df = pl.DataFrame(
        {
            "log_id": [r.log_id for r in rows],
            "nip": [r.nip for r in rows],
            "hari": [_utc(r.waktu).date() for r in rows],  # type: ignore[union-attr]
            "status": [r.status for r in rows],
        }
    )
    daily = (
        df.sort("log_id")
        .group_by("nip", "hari")
        .agg(pl.col("status").last())
        .sort("nip", "hari")
        .with_columns(pl.col("status").shift(1).over("nip").alias("sebelum"))
    )
    plus = daily.select("hari", "status", pl.lit(1).alias("n"))
    minus = daily.filter(pl.col("sebelum").is_not_null()).select(
        "hari", pl.col("sebelum").alias("status"), pl.lit(-1).alias("n")
    )
    delta = pl.concat([plus, minus]).group_by("hari", "status").agg(pl.col("n").sum())
    days = delta.select("hari").unique().sort("hari")
    out = days
    for s in statuses:
        col = delta.filter(pl.col("status") == s).select("hari", pl.col("n").alias(s))
        out = out.join(col, on="hari", how="left")
    return out.fill_null(0).sort("hari").with_columns(pl.col(s).cum_sum() for s in statuses)

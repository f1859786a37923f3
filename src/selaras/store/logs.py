"""Reads of the sync log: filtered keyset pages, one row with its errors, a pegawai's newest
row, the rows of a trend. The web builds a :class:`LogQuery` from the page's filters.

Pages are keyset pages on ``log_id`` (newest first): each page is an index range scan, as fast
on the millionth row as on the first (no OFFSET).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from selaras.store.database import Store
from selaras.store.tables import sync_log, sync_log_error


@dataclass(frozen=True)
class LogQuery:
    """Which log rows: equal columns, having an error of each code group, a time range (UTC),
    a NIP prefix or a part of the name."""

    equal: dict[str, str] = field(default_factory=dict)
    code_groups: Sequence[tuple[str, ...]] = ()
    since: datetime | None = None
    until: datetime | None = None
    nip_prefix: str | None = None
    nama_part: str | None = None


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _where(query: sa.Select, q: LogQuery) -> sa.Select:
    conds: list[Any] = [sync_log.c[column] == value for column, value in q.equal.items() if value]
    for group in q.code_groups:
        conds.append(
            sa.exists().where(sync_log_error.c.log_id == sync_log.c.log_id, sync_log_error.c.code.in_(group or ("-",)))
        )
    if q.since is not None:
        conds.append(sync_log.c.waktu >= q.since)
    if q.until is not None:
        conds.append(sync_log.c.waktu < q.until)
    if q.nip_prefix:
        conds.append(sync_log.c.nip.like(q.nip_prefix + "%"))
    if q.nama_part:
        conds.append(sa.func.lower(sync_log.c.nama).like("%" + q.nama_part.lower().replace("%", "") + "%"))
    return query.where(*conds)


def log_page(
    store: Store, q: LogQuery, *, before: int | None = None, limit: int = 50
) -> tuple[list[dict[str, Any]], int | None]:
    """One page of log rows (newest first) and the ``before`` of the next page (None at the end)."""
    query = _where(sa.select(sync_log), q)
    if before is not None:
        query = query.where(sync_log.c.log_id < before)
    query = query.order_by(sync_log.c.log_id.desc()).limit(limit + 1)
    with store.read() as conn:
        rows = [dict(r._mapping) for r in conn.execute(query)]
    for r in rows:
        r["waktu"] = _utc(r["waktu"])
    more = len(rows) > limit
    rows = rows[:limit]
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
    return entry


def newest_log_id(store: Store, nip: str, flow: str) -> int | None:
    """The ``log_id`` of the newest log row of ``nip`` for ``flow``."""
    with store.read() as conn:
        log_id = conn.execute(
            sa.select(sync_log.c.log_id)
            .where(sync_log.c.nip == nip, sync_log.c.flow == flow)
            .order_by(sync_log.c.log_id.desc())
            .limit(1)
        ).scalar()
    return None if log_id is None else int(log_id)


def trend_rows(store: Store, flow: str, tahun: int, instansi_id: str | None) -> list[tuple[int, str, datetime, str]]:
    """``(log_id, nip, waktu, status)`` of every log row of a flow and year (of one instansi)."""
    q = sa.select(sync_log.c.log_id, sync_log.c.nip, sync_log.c.waktu, sync_log.c.status).where(
        sync_log.c.flow == flow, sync_log.c.tahun == tahun
    )
    if instansi_id is not None:
        q = q.where(sync_log.c.instansi_id == instansi_id)
    with store.read() as conn:
        return [(int(r.log_id), r.nip, r.waktu, r.status) for r in conn.execute(q)]


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

"""The sync log: each check or sync run written (``sync_run``, a ``sync_log`` row per pegawai,
``sync_log_error`` rows, ``sync_state`` kept up to date), each pegawai's latest state read back
as a check result, and the reads of the log's pages: filtered keyset pages, one row with its
errors, a pegawai's newest row, the rows of a trend. The web builds a :class:`LogQuery` from the
page's filters.

Pages are keyset pages on ``log_id`` (newest first): each page is an index range scan, as fast
on the millionth row as on the first (no OFFSET).
"""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import polars as pl
import sqlalchemy as sa

from selaras.domain.results import ERROR_SCHEMA, PEGAWAI_SCHEMA, CheckResult, Flow, Status
from selaras.store import uow
from selaras.store.bulk import IN_CHUNK, SQLITE_BULK_CACHE_KIB, cursor, fetch_frame, insert_frame, quote
from selaras.store.database import Store
from selaras.store.tables import sync_log, sync_log_error, sync_run, sync_state


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


# ------------------------------------------------------------------- runs and latest state


MODES = ("CHECK", "SYNC")
ANALYZE_LOG_ROWS = 10_000
"""A run logging this many pegawai refreshes the PostgreSQL statistics of the log (and on
SQLite is written with the bulk page cache)."""


def record_run(
    store: Store,
    *,
    pelaku: str,
    mode: str,
    flow: Flow,
    tahun: int,
    check: CheckResult,
    outcomes: pl.DataFrame | None = None,
    mulai: datetime | None = None,
) -> int:
    """Log one check or sync run; returns its ``run_id``.

    Writes a ``sync_run`` row, one ``sync_log`` row per pegawai of ``check.pegawai`` (with
    ``hasil`` from ``outcomes`` by NIP, and ``kode``: the pegawai's distinct codes in
    fix-first order) and one ``sync_log_error`` row per row of ``check.errors``. ``mulai`` is
    when the run started (default: now). Old log rows are never changed; ``sync_state`` (each
    pegawai's latest log row) is brought up to date in the same transaction.
    """
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, not {mode!r}")
    flow = Flow(flow)
    pegawai = check.pegawai.select(
        pl.col(c).cast(t) if c in check.pegawai.columns else pl.lit(None, t).alias(c) for c, t in PEGAWAI_SCHEMA.items()
    )
    if pegawai["nip"].n_unique() != pegawai.height:
        raise ValueError("check.pegawai lists a NIP more than once")
    errors = check.errors.select(
        pl.col(c).cast(t) if c in check.errors.columns else pl.lit(None, t).alias(c) for c, t in ERROR_SCHEMA.items()
    )
    unknown = errors.join(pegawai, on="nip", how="anti")
    if unknown.height:
        raise ValueError(f"check.errors has NIPs not in check.pegawai: {unknown['nip'][0]}")
    selesai = datetime.now(UTC)
    mulai = (mulai or selesai).astimezone(UTC)
    counts = pegawai["status"].value_counts()
    count = dict(zip(counts["status"].to_list(), counts["count"].to_list(), strict=True))
    return uow.run(
        store,
        lambda u: _record_run(u.store, pegawai, errors, outcomes, count, mulai, selesai, pelaku, mode, flow, tahun),
        name="log",
    )


def _record_run(
    store: Store,
    pegawai: pl.DataFrame,
    errors: pl.DataFrame,
    outcomes: pl.DataFrame | None,
    count: dict[str, int],
    mulai: datetime,
    selesai: datetime,
    pelaku: str,
    mode: str,
    flow: Flow,
    tahun: int,
) -> int:
    with store.write() as conn:
        run_id = conn.execute(
            sync_run.insert().values(
                mulai=mulai,
                selesai=selesai,
                pelaku=pelaku,
                mode=mode,
                flow=flow.value,
                tahun=tahun,
                jumlah_pegawai=pegawai.height,
                jumlah_siap=count.get(Status.SIAP.value, 0),
                jumlah_gagal=count.get(Status.GAGAL.value, 0),
                jumlah_tersinkron=count.get(Status.TERSINKRON.value, 0),
            )
        ).inserted_primary_key[0]
        # The log's indexes and sync_state take random updates: with SQLite's default 2 MB
        # page cache a national run spends half its time re-reading pages.
        big = store.dialect == "sqlite" and pegawai.height >= ANALYZE_LOG_ROWS
        with cursor(conn, SQLITE_BULK_CACHE_KIB if big else None) as cur:
            if store.dialect == "postgresql":
                # log_ids are assigned here in one block; other writers wait (readers don't).
                cur.execute(f"LOCK TABLE {quote(conn, 'sync_log')} IN EXCLUSIVE MODE")
            cur.execute("SELECT coalesce(max(log_id), 0) FROM sync_log")
            base = int(cur.fetchone()[0])
            log = _log_frame(store, pegawai, errors, outcomes, base, run_id, selesai, pelaku, mode, flow, tahun)
            insert_frame(store, conn, cur, "sync_log", log)
            err = (
                errors.with_row_index("_pos")
                .join(log.select("nip", "log_id"), on="nip")
                .sort("_pos")
                .with_columns(nomor=pl.col("_pos").cum_count().over("log_id").cast(pl.Int64))
                .select("log_id", "nomor", "urutan", "code", "pmm_skp_id", "detail", "selesai_oleh")
            )
            insert_frame(store, conn, cur, "sync_log_error", err)
            if log.height:
                # log_ids only grow (the lock above on PostgreSQL, the write lock on SQLite),
                # so the rows just logged are each pegawai's latest. In NIP order the upsert
                # walks the state's primary key from one end to the other.
                ph = "?" if store.dialect == "sqlite" else "%s"
                cur.execute(
                    "INSERT INTO sync_state (flow, tahun, nip, log_id, instansi_id) "
                    f"SELECT flow, tahun, nip, log_id, instansi_id FROM sync_log WHERE log_id > {ph} "
                    "ORDER BY nip ON CONFLICT (flow, tahun, nip) DO UPDATE "
                    "SET log_id = excluded.log_id, instansi_id = excluded.instansi_id",
                    (base,),
                )
            if store.dialect == "postgresql" and log.height:
                cur.execute(
                    "SELECT setval(pg_get_serial_sequence('sync_log', 'log_id'), %s)",
                    (base + log.height,),
                )
                if log.height >= ANALYZE_LOG_ROWS:
                    # Until autovacuum samples a big first run, the planner scans the
                    # whole log backwards for a nip or npsn filter instead of its index.
                    cur.execute("ANALYZE sync_log, sync_log_error, sync_state")
    return int(run_id)


def _log_frame(
    store: Store,
    pegawai: pl.DataFrame,
    errors: pl.DataFrame,
    outcomes: pl.DataFrame | None,
    base: int,
    run_id: int,
    waktu: datetime,
    pelaku: str,
    mode: str,
    flow: Flow,
    tahun: int,
) -> pl.DataFrame:
    kode = (
        errors.with_row_index("_pos")
        .sort("urutan", "_pos", nulls_last=True)
        .unique(subset=["nip", "code"], keep="first", maintain_order=True)
        .group_by("nip", maintain_order=True)
        .agg(kode=pl.col("code").str.join(","))
    )
    if outcomes is not None and outcomes.height:
        hasil = outcomes.select(pl.col("nip").cast(pl.String), pl.col("hasil").cast(pl.String))
        hasil = hasil.unique(subset="nip", keep="last")
    else:
        hasil = pl.DataFrame(schema={"nip": pl.String, "hasil": pl.String})
    # The text SQLAlchemy's DateTime uses on SQLite, so that Core reads it back.
    stamp = (
        waktu.replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")
        if store.dialect == "sqlite"
        else waktu.isoformat()
    )
    return (
        pegawai.with_row_index("_pos")
        .join(kode, on="nip", how="left")
        .join(hasil, on="nip", how="left")
        .sort("_pos")
        .select(
            (pl.col("_pos").cast(pl.Int64) + base + 1).alias("log_id"),
            pl.lit(run_id, pl.Int64).alias("run_id"),
            pl.lit(stamp).alias("waktu"),
            pl.lit(pelaku).alias("pelaku"),
            pl.lit(mode).alias("mode"),
            pl.lit(flow.value).alias("flow"),
            pl.lit(tahun, pl.Int64).alias("tahun"),
            "nip",
            "nama",
            "instansi_id",
            "unor_id",
            "npsn",
            "kepala_sekolah",
            "status",
            "hasil",
            "kode",
        )
    )


def latest_results(
    store: Store, flow: Flow, instansi_id: str | None = None, *, tahun: int | None = None
) -> CheckResult | None:
    """Each pegawai's latest known state of ``flow`` in year ``tahun``, as a check result.

    Every pegawai ever logged for the flow and year, with the status and errors of their most
    recent log row: a partial run (one pegawai synced after a national check) updates those
    it logged and leaves the others as they were. ``tahun=None`` is the latest year logged
    for the flow (with ``instansi_id``: the latest with pegawai of that instansi). With
    ``instansi_id``: only the pegawai whose latest row is of that instansi. Rows come in log
    order. ``None`` when nothing is logged for the flow (and year, and instansi); a run that
    checked no pegawai gives an empty result. ``unor_id`` and ``kepala_sekolah`` are as logged
    (null when the run did not know them).
    """
    flow = Flow(flow)
    with store.read() as conn:
        if instansi_id is None:
            year_query = sa.select(sa.func.max(sync_run.c.tahun)).where(sync_run.c.flow == flow.value)
            if tahun is not None:
                year_query = year_query.where(sync_run.c.tahun == tahun)
        else:
            year_query = sa.select(sa.func.max(sync_state.c.tahun)).where(
                sync_state.c.flow == flow.value, sync_state.c.instansi_id == instansi_id
            )
            if tahun is not None:
                year_query = year_query.where(sync_state.c.tahun == tahun)
        year = conn.execute(year_query).scalar()
        if year is None:
            return None
        with cursor(conn) as cur:
            ph = "?" if store.dialect == "sqlite" else "%s"
            where = f"s.flow = {ph} AND s.tahun = {ph}"
            params: list[Any] = [flow.value, int(year)]
            if instansi_id is not None:
                where += f" AND s.instansi_id = {ph}"
                params.append(instansi_id)
            # Put in log order here rather than by ORDER BY: the database would sort millions
            # of rows (with the error details) in a temporary b-tree, polars does it in memory.
            cur.execute(
                "SELECT l.log_id, l.nip, l.nama, l.instansi_id, l.unor_id, l.npsn, l.kepala_sekolah, l.status "
                f"FROM sync_state s JOIN sync_log l ON l.log_id = s.log_id WHERE {where}",
                params,
            )
            pegawai = fetch_frame(cur, {"log_id": pl.Int64(), **PEGAWAI_SCHEMA}, store.dialect)
            cur.execute(
                "SELECT e.log_id, e.nomor, s.nip, e.code, e.urutan, e.pmm_skp_id, e.detail, e.selesai_oleh "
                f"FROM sync_state s JOIN sync_log_error e ON e.log_id = s.log_id WHERE {where}",
                params,
            )
            errors = fetch_frame(cur, {"log_id": pl.Int64(), "nomor": pl.Int64(), **ERROR_SCHEMA}, store.dialect)
    return CheckResult(
        tahun=int(year),
        flow=flow,
        pegawai=pegawai.sort("log_id").drop("log_id"),
        errors=errors.sort("log_id", "nomor").drop("log_id", "nomor"),
    )


def log_entries(
    store: Store,
    *,
    nip: str | None = None,
    code: str | None = None,
    npsn: str | None = None,
    status: str | None = None,
    instansi_id: str | None = None,
    limit: int = 50,
    before_log_id: int | None = None,
    log_ids: Collection[int] | None = None,
) -> list[dict[str, Any]]:
    """Log rows, newest first, filtered; page on with ``before_log_id`` = the last ``log_id``.

    ``log_ids``: exactly those rows (at most ``limit`` of them).

    Each entry has the ``sync_log`` columns (``waktu`` a UTC ``datetime``) and ``errors``: a
    list of ``{code, urutan, pmm_skp_id, detail, selesai_oleh}`` in the logged order, with
    ``detail`` parsed from JSON.
    """
    query = sa.select(sync_log)
    if nip is not None:
        query = query.where(sync_log.c.nip == nip)
    if npsn is not None:
        query = query.where(sync_log.c.npsn == npsn)
    if status is not None:
        query = query.where(sync_log.c.status == status)
    if instansi_id is not None:
        query = query.where(sync_log.c.instansi_id == instansi_id)
    if code is not None:
        query = query.where(
            sa.exists().where(sync_log_error.c.log_id == sync_log.c.log_id, sync_log_error.c.code == code)
        )
    if before_log_id is not None:
        query = query.where(sync_log.c.log_id < before_log_id)
    if log_ids is not None:
        query = query.where(sync_log.c.log_id.in_(sorted(log_ids)))
    query = query.order_by(sync_log.c.log_id.desc()).limit(limit)
    with store.read() as conn:
        entries = [dict(row._mapping) for row in conn.execute(query)]
        by_id = {e["log_id"]: e for e in entries}
        for e in entries:
            e["waktu"] = _utc(e["waktu"])
            e["errors"] = []
        ids = list(by_id)
        for i in range(0, len(ids), IN_CHUNK):
            rows = conn.execute(
                sa.select(sync_log_error)
                .where(sync_log_error.c.log_id.in_(ids[i : i + IN_CHUNK]))
                .order_by(sync_log_error.c.log_id, sync_log_error.c.nomor)
            )
            for row in rows:
                by_id[row.log_id]["errors"].append(
                    {
                        "code": row.code,
                        "urutan": row.urutan,
                        "pmm_skp_id": row.pmm_skp_id,
                        "detail": _json(row.detail),
                        "selesai_oleh": row.selesai_oleh,
                    }
                )
    return entries


def logged_results(store: Store, run_ids: Collection[int]) -> dict[str, tuple[int, str]]:
    """NIP -> (log_id, status) of the rows the runs ``run_ids`` logged."""
    if not run_ids:
        return {}
    with store.read() as conn:
        rows = conn.execute(
            sa.select(sync_log.c.nip, sync_log.c.log_id, sync_log.c.status).where(
                sync_log.c.run_id.in_(sorted(run_ids))
            )
        ).all()
    return {nip: (int(log_id), status) for nip, log_id, status in rows}


def latest_with_status(store: Store, flow: Flow, tahun: int, nips: Collection[str], status: Status) -> set[str]:
    """Those of ``nips`` whose latest log row of ``flow`` and ``tahun`` has ``status``."""
    if not nips:
        return set()
    with store.read() as conn:
        rows = conn.execute(
            sa.select(sync_log.c.nip)
            .select_from(sync_state)
            .join(sync_log, sync_log.c.log_id == sync_state.c.log_id)
            .where(
                sync_state.c.flow == Flow(flow).value,
                sync_state.c.tahun == tahun,
                sync_state.c.nip.in_(sorted(nips)),
                sync_log.c.status == Status(status).value,
            )
        ).all()
    return {r[0] for r in rows}


def _json(text: str | None) -> Any:
    if text is None:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text

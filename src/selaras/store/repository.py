"""Reading and writing the store: snapshots, e-Kinerja changes and the sync log.

Bulk paths work on the raw DBAPI connection inside the SQLAlchemy transaction: executemany of
tuples on SQLite, ``COPY`` on PostgreSQL. Going through SQLAlchemy's per-row type processing
would cost several times the time at national scale (tens of millions of rows).
"""

from __future__ import annotations

import json
import sqlite3
import tempfile
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from itertools import chain
from typing import Any

import polars as pl
import sqlalchemy as sa

from selaras.domain import snapshot as contract
from selaras.domain.pegawai import principal_expr
from selaras.domain.results import (
    ERROR_SCHEMA,
    PEGAWAI_SCHEMA,
    CheckResult,
    EkinerjaChanges,
    Flow,
    Status,
)
from selaras.domain.snapshot import TABLE, TABLES, Kind, SharedTexts, Snapshot
from selaras.store import uow
from selaras.store.database import SQLITE_BUSY_TIMEOUT_MS, Store
from selaras.store.generasi import next_generation
from selaras.store.tables import sync_log, sync_log_error, sync_run, sync_state

Progress = Callable[[str, int, int], None]
"""Called as ``progress(table, rows_done, rows_total)`` while a snapshot is written."""

IN_CHUNK = 500
"""Values per ``IN (...)`` list: well under every driver's bound-parameter limit."""
WRITE_CHUNK = 100_000
"""Rows per executemany / COPY batch: bounds the memory of the Python tuples."""
FETCH_CHUNK = 200_000
"""Rows per fetchmany."""
SQLITE_ROWS_PER_INSERT = 200
"""Rows per ``INSERT ... VALUES (...), (...)`` statement on SQLite (fewer when the table is so
wide that they would pass the bound-parameter limit)."""
MODES = ("CHECK", "SYNC")
ANALYZE_LOG_ROWS = 10_000
"""A run logging this many pegawai refreshes the PostgreSQL statistics of the log (and on
SQLite is written with the bulk page cache)."""
SQLITE_BULK_CACHE_KIB = 256 * 1024
"""SQLite page cache while a snapshot is replaced or a big run is logged."""


@contextmanager
def _cursor(conn: sa.Connection, sqlite_cache_kib: int | None = None) -> Iterator[Any]:
    """The raw DBAPI cursor of ``conn``, closed afterwards. With ``sqlite_cache_kib`` the SQLite
    page cache is raised to that size for the block and restored after it."""
    raw = conn.connection.dbapi_connection
    assert raw is not None
    cur = raw.cursor()
    previous = None
    try:
        if sqlite_cache_kib:
            previous = cur.execute("PRAGMA cache_size").fetchone()[0]
            cur.execute(f"PRAGMA cache_size=-{sqlite_cache_kib}")
        yield cur
    finally:
        if previous is not None:
            cur.execute(f"PRAGMA cache_size={int(previous)}")
        cur.close()


# --------------------------------------------------------------------------------- snapshot


def save_snapshot(store: Store, snapshot: Snapshot, *, progress: Progress | None = None) -> None:
    """Replace the 13 contract tables with ``snapshot`` in one transaction (holding the data
    lock, see ``selaras.store.uow``), then fold the SQLite WAL back.

    Either every table holds the new snapshot afterwards or (on any error) nothing changed.
    """
    uow.run(store, lambda u: replace_snapshot(u.store, snapshot, progress=progress), name="import")
    checkpoint(store)


def checkpoint(store: Store) -> None:
    """After a large write: on SQLite, fold the WAL back into the database file."""
    if store.dialect == "sqlite" and not isinstance(store, uow.BoundStore):
        _sqlite_checkpoint(store)


def replace_snapshot(store: Store, snapshot: Snapshot, *, progress: Progress | None = None) -> None:
    """Replace the 13 contract tables with ``snapshot`` in one write transaction of ``store``.

    Secondary indexes are dropped and rebuilt inside the transaction: building an index once
    from sorted data is several times faster than maintaining it row by row.
    """
    # On SQLite the default 2 MB page cache makes the index rebuilds spill to disk.
    cache = SQLITE_BULK_CACHE_KIB if store.dialect == "sqlite" else None
    with store.write() as conn, _cursor(conn, cache) as cur:
        if store.dialect == "postgresql":
            names = ", ".join(_q(conn, t.name) for t in TABLES)
            cur.execute(f"TRUNCATE {names}")
        for table in TABLES:
            if store.dialect != "postgresql":
                cur.execute(f"DELETE FROM {_q(conn, table.name)}")
            indexes = _secondary_indexes(store, cur, table.name)
            for name, _ddl in indexes:
                cur.execute(f"DROP INDEX {_q(conn, name)}")
            _bulk_insert(store, conn, cur, table.name, snapshot[table.name], progress)
            for _name, ddl in indexes:
                cur.execute(ddl)
            if store.dialect == "postgresql":
                # Fresh statistics, or the planner guesses badly on the first lookups.
                cur.execute(f"ANALYZE {_q(conn, table.name)}")
    # In the import's unit of work: a run in parts sees that its later parts would read other data.
    next_generation(store)


def load_snapshot(store: Store, nips: Collection[str] | None = None) -> Snapshot:
    """Read the snapshot from the store: all of it, or what checking ``nips`` needs.

    With ``nips``: those pegawai; the Dapodik PTK matched by their NIP or NIK and the PTK's
    PMM SKP, RHK and assessments; their instansi with its periods; their units, the units and
    schools of their PTK and SKP, and those units' parents; the superiors (``atasan_nip`` of
    those units in e-Kinerja, ``pmm_skp.atasan_nip`` of their SKP) with their SIASN, Dapodik
    and PMM rows; and the e-Kinerja SKP, RHK and assessments of the pegawai and the superiors.
    Nothing else of their instansi: a batch of a few hundred pegawai spread over the country
    must not read every unit of every instansi it touches.
    """
    with store.read() as conn, _cursor(conn) as cur:
        if nips is None:
            return Snapshot({t.name: _read_table(store, conn, cur, t.name) for t in TABLES})
        return _load_subset(_Reader(store, conn, cur), set(nips))


class _Reader:
    """Chunked ``WHERE column IN (...)`` reads of contract tables into typed frames."""

    def __init__(self, store: Store, conn: sa.Connection, cur: Any) -> None:
        self.store, self.conn, self.cur = store, conn, cur
        self.ph = "?" if store.dialect == "sqlite" else "%s"

    def where(self, table: str, column: str, values: Iterable[object]) -> pl.DataFrame:
        wanted = sorted({v for v in values if v is not None})
        cols = ", ".join(_q(self.conn, c) for c in TABLE[table].column_names)
        rows: list[tuple[Any, ...]] = []
        if self.store.dialect == "postgresql":
            # One array parameter: no per-value placeholders for the driver to parse.
            if wanted:
                self.cur.execute(
                    f"SELECT {cols} FROM {_q(self.conn, table)} WHERE {_q(self.conn, column)} = ANY(%s)", (wanted,)
                )
                rows = self.cur.fetchall()
            return _typed(self.store, table, rows)
        for i in range(0, len(wanted), IN_CHUNK):
            chunk = wanted[i : i + IN_CHUNK]
            marks = ", ".join([self.ph] * len(chunk))
            self.cur.execute(
                f"SELECT {cols} FROM {_q(self.conn, table)} WHERE {_q(self.conn, column)} IN ({marks})",
                chunk,
            )
            rows.extend(self.cur.fetchall())
        return _typed(self.store, table, rows)

    def first(self, table: str) -> pl.DataFrame:
        """One row of ``table`` (none when it is empty)."""
        cols = ", ".join(_q(self.conn, c) for c in TABLE[table].column_names)
        self.cur.execute(f"SELECT {cols} FROM {_q(self.conn, table)} LIMIT 1")
        return _typed(self.store, table, self.cur.fetchall())


def _load_subset(r: _Reader, nips: set[str]) -> Snapshot:
    def ids(*frames_and_columns: tuple[pl.DataFrame, str]) -> set[Any]:
        out: set[Any] = set()
        for df, col in frames_and_columns:
            out.update(df[col].drop_nulls().to_list())
        return out

    pegawai = r.where("siasn_pegawai", "nip", nips)
    instansi_ids = ids((pegawai, "instansi_id"))
    ptk = pl.concat(
        [
            r.where("dapodik_ptk", "nip", nips),
            r.where("dapodik_ptk", "nik", ids((pegawai, "nik"))),
        ]
    )
    skp = r.where("pmm_skp", "ptk_id", ids((ptk, "ptk_id")))
    skp_ids = ids((skp, "pmm_skp_id"))
    rhk = r.where("pmm_rhk", "pmm_skp_id", skp_ids)
    pmm_penilaian = r.where("pmm_penilaian", "pmm_skp_id", skp_ids)

    school_npsn = ids((ptk, "npsn"), (skp, "npsn"))
    unor = pl.concat(
        [
            r.where("siasn_unor", "npsn", school_npsn),
            r.where("siasn_unor", "unor_id", ids((pegawai, "unor_id"))),
        ]
    )
    parents = ids((unor, "parent_unor_id")) - ids((unor, "unor_id"))
    unor = pl.concat([unor, r.where("siasn_unor", "unor_id", parents)])
    ekinerja_unor = r.where("ekinerja_unor", "unor_id", ids((unor, "unor_id"), (pegawai, "unor_id")))
    sekolah = r.where("dapodik_sekolah", "npsn", school_npsn | ids((unor, "npsn")))

    # The superiors the checks compare: the heads (in e-Kinerja) of the pegawai's own units, of
    # the units of their schools and of those units' parents, and the approvers of their SKP;
    # not the heads of every unit of the instansi (tens of thousands for a batch of a few
    # hundred pegawai spread over the country).
    own_units = ids((pegawai, "unor_id")) | ids((unor.filter(pl.col("npsn").is_in(list(school_npsn))), "unor_id"))
    own_units |= ids((unor.filter(pl.col("unor_id").is_in(list(own_units))), "parent_unor_id"))
    superiors = ids((ekinerja_unor.filter(pl.col("unor_id").is_in(list(own_units))), "atasan_nip"), (skp, "atasan_nip"))
    pegawai = pl.concat([pegawai, r.where("siasn_pegawai", "nip", superiors - nips)])
    sup_ptk = r.where("dapodik_ptk", "nip", superiors - nips)
    sup_skp = r.where("pmm_skp", "ptk_id", ids((sup_ptk, "ptk_id")) - ids((ptk, "ptk_id")))
    sup_rhk = r.where("pmm_rhk", "pmm_skp_id", ids((sup_skp, "pmm_skp_id")) - skp_ids)

    ek_skp = r.where("ekinerja_skp", "nip", nips | superiors)
    ek_skp_ids = ids((ek_skp, "skp_id"))
    periode = r.where("ekinerja_periode", "instansi_id", instansi_ids)
    periode = pl.concat(
        [
            periode,
            r.where("ekinerja_periode", "periode_id", ids((ek_skp, "periode_id")) - ids((periode, "periode_id"))),
        ]
    )
    # Who leads the schools (leaders.md): their duties and the PTK who may lead them. With no
    # duty at these schools, one row of the table still says the snapshot has the duty file.
    tugas = r.where("dapodik_tugas_tambahan", "npsn", school_npsn)
    if tugas.height == 0:
        tugas = r.first("dapodik_tugas_tambahan")
    lead_ptk = (
        pl.concat(
            [
                r.where("dapodik_ptk", "ptk_id", ids((tugas, "ptk_id"))),
                r.where("dapodik_ptk", "npsn", school_npsn).filter(principal_expr()),
            ]
        )
        if tugas.height
        else r.where("dapodik_ptk", "ptk_id", [])  # no duty file: nothing reads them (as before)
    )
    frames = {
        "dapodik_tugas_tambahan": tugas,
        "instansi": r.where("instansi", "instansi_id", instansi_ids),
        "siasn_unor": unor,
        "siasn_pegawai": pegawai,
        "dapodik_sekolah": sekolah,
        "dapodik_ptk": pl.concat([ptk, sup_ptk, lead_ptk]),
        "pmm_skp": pl.concat([skp, sup_skp]),
        "pmm_rhk": pl.concat([rhk, sup_rhk]),
        "pmm_penilaian": pmm_penilaian,
        "ekinerja_unor": ekinerja_unor,
        "ekinerja_periode": periode,
        "ekinerja_skp": ek_skp,
        "ekinerja_rhk": r.where("ekinerja_rhk", "skp_id", ek_skp_ids),
        "ekinerja_penilaian": r.where("ekinerja_penilaian", "skp_id", ek_skp_ids),
        **_year_end_subset(r, nips, school_npsn, ids((ptk, "ptk_id"), (sup_ptk, "ptk_id"))),
    }
    frames["dapodik_ptk"] = pl.concat([frames["dapodik_ptk"], frames.pop("_ptk_sekolah")])
    return Snapshot(
        {
            name: df.unique(subset=list(TABLE[name].key), keep="first", maintain_order=True)
            for name, df in frames.items()
        }
    )


def _year_end_subset(r: _Reader, nips: set[str], npsn: set[Any], ptk_ids: set[Any]) -> dict[str, pl.DataFrame]:
    """The year-end rows (annual.md) of ``nips``: their jenjang, credit and e-Kinerja rating, their
    schools' PKO, and every rating at those schools (``_ptk_sekolah``: the PTK rated there, for
    the distribution rule TAH-04)."""
    mates = r.where("dapodik_ptk", "npsn", npsn)
    return {
        "pmm_predikat_organisasi": r.where("pmm_predikat_organisasi", "npsn", npsn),
        "pmm_predikat": r.where("pmm_predikat", "ptk_id", ptk_ids | set(mates["ptk_id"].to_list())),
        "siasn_jabatan": r.where("siasn_jabatan", "nip", nips),
        "siasn_angka_kredit": r.where("siasn_angka_kredit", "nip", nips),
        "ekinerja_predikat": r.where("ekinerja_predikat", "nip", nips),
        "_ptk_sekolah": mates,
    }


def load_table(store: Store, name: str) -> pl.DataFrame:
    """One whole contract table, typed as in a snapshot."""
    if name not in TABLE:
        raise KeyError(f"no contract table {name!r}")
    with store.read() as conn, _cursor(conn) as cur:
        return _read_table(store, conn, cur, name)


def rows_where(store: Store, table: str, column: str, values: Iterable[str], columns: list[str]) -> pl.DataFrame:
    """``columns`` of the stored rows of contract ``table`` whose ``column`` is one of ``values``."""
    from selaras.store.tables import CONTRACT

    t = CONTRACT[table]
    wanted = sorted(set(values))
    schema = {c: TABLE[table].column(c).dtype for c in columns}
    rows: list[tuple[object, ...]] = []
    if wanted:
        with store.read() as conn:
            for i in range(0, len(wanted), IN_CHUNK):
                query = sa.select(*(t.c[c] for c in columns)).where(t.c[column].in_(wanted[i : i + IN_CHUNK]))
                rows.extend(tuple(r) for r in conn.execute(query))
    return pl.DataFrame(rows, schema=schema, orient="row")


# ---------------------------------------------------------------------------- e-Kinerja


def apply_changes(store: Store, changes: EkinerjaChanges) -> None:
    """Write a sync's changes to the e-Kinerja tables in one transaction.

    First every ``deletes`` key is removed, then every ``upserts`` row is inserted or, when
    its key exists, updated. Applying the same changes twice gives the same state.
    """
    for name in (*changes.upserts, *changes.deletes):
        if name not in contract.EKINERJA_TABLES:
            raise ValueError(f"apply_changes writes only e-Kinerja tables, not {name!r}")
    uow.run(store, lambda u: _apply_changes(u.store, changes), name="apply")


def _apply_changes(store: Store, changes: EkinerjaChanges) -> None:
    with store.write() as conn, _cursor(conn) as cur:
        for name, df in changes.deletes.items():
            if df.height:
                _delete_keys(store, conn, cur, name, _keys_frame(name, df))
        for name, df in changes.upserts.items():
            if df.height:
                _upsert(store, conn, cur, name, _upsert_frame(name, df))


def upsert_rows(store: Store, name: str, df: pl.DataFrame) -> None:
    """Insert or update rows of any contract table by its key, in one transaction.

    The rows are conformed to the contract first; for a key given twice the last row wins.
    """
    write_rows(store, upserts={name: df})


def delete_rows(store: Store, name: str, keys: pl.DataFrame) -> None:
    """Delete the rows of a contract table whose key is in ``keys``, in one transaction."""
    write_rows(store, deletes={name: keys})


def write_rows(
    store: Store,
    upserts: Mapping[str, pl.DataFrame] | None = None,
    deletes: Mapping[str, pl.DataFrame] | None = None,
) -> None:
    """Upsert rows into and delete keys from contract tables, all in one transaction.

    This is how fresh source data (a connector's pull) lands in the store: a pull is written
    whole or not at all. Upserts go first, in the order given, then deletes.
    """
    upserts, deletes = upserts or {}, deletes or {}
    for name in (*upserts, *deletes):
        if name not in TABLE:
            raise KeyError(f"no contract table {name!r}")
    if not any(df.height for df in (*upserts.values(), *deletes.values())):
        return
    uow.run(store, lambda u: _write_rows(u.store, upserts, deletes), name="refresh")


def _write_rows(store: Store, upserts: Mapping[str, pl.DataFrame], deletes: Mapping[str, pl.DataFrame]) -> None:
    with store.write() as conn, _cursor(conn) as cur:
        for name, df in upserts.items():
            if df.height:
                _upsert(store, conn, cur, name, _upsert_frame(name, df))
        for name, keys in deletes.items():
            if keys.height:
                _delete_keys(store, conn, cur, name, _keys_frame(name, keys))


def _keys_frame(name: str, df: pl.DataFrame) -> pl.DataFrame:
    table = TABLE[name]
    return df.select(pl.col(k).cast(table.column(k).dtype) for k in table.key).unique(maintain_order=True)


def _upsert_frame(name: str, df: pl.DataFrame) -> pl.DataFrame:
    key = list(TABLE[name].key)
    # PostgreSQL refuses to update one row twice in one statement; the last row wins.
    return contract.conform(name, df).unique(subset=key, keep="last").sort(key)


def _delete_keys(store: Store, conn: sa.Connection, cur: Any, name: str, keys: pl.DataFrame) -> None:
    table = _q(conn, name)
    if store.dialect == "postgresql":
        tmp = _pg_temp_copy(conn, cur, name, keys)
        match = " AND ".join(f"t.{_q(conn, k)} = d.{_q(conn, k)}" for k in keys.columns)
        cur.execute(f"DELETE FROM {table} t USING {tmp} d WHERE {match}")
        cur.execute(f"DROP TABLE {tmp}")
        return
    match = " AND ".join(f"{_q(conn, k)} = ?" for k in keys.columns)
    sql = f"DELETE FROM {table} WHERE {match}"
    for chunk in _chunks(_for_sqlite(keys)):
        cur.executemany(sql, chunk.iter_rows())


def _upsert(store: Store, conn: sa.Connection, cur: Any, name: str, df: pl.DataFrame) -> None:
    table = TABLE[name]
    cols = ", ".join(_q(conn, c) for c in table.column_names)
    key = ", ".join(_q(conn, k) for k in table.key)
    others = [c for c in table.column_names if c not in table.key]
    update = ", ".join(f"{_q(conn, c)} = excluded.{_q(conn, c)}" for c in others)
    conflict = f"ON CONFLICT ({key}) DO UPDATE SET {update}" if others else (f"ON CONFLICT ({key}) DO NOTHING")
    if store.dialect == "postgresql":
        tmp = _pg_temp_copy(conn, cur, name, df)
        cur.execute(f"INSERT INTO {_q(conn, name)} ({cols}) SELECT {cols} FROM {tmp} {conflict}")
        cur.execute(f"DROP TABLE {tmp}")
        return
    for chunk in _chunks(df):
        _sqlite_insert(cur, f"INSERT INTO {_q(conn, name)} ({cols})", _for_sqlite(chunk), f" {conflict}")


def _pg_temp_copy(conn: sa.Connection, cur: Any, name: str, df: pl.DataFrame) -> str:
    """COPY ``df`` into a new temporary table shaped like columns of ``name``; its name."""
    tmp = _q(conn, f"_selaras_tmp_{name}")
    cols = ", ".join(_q(conn, c) for c in df.columns)
    cur.execute(f"CREATE TEMPORARY TABLE {tmp} ON COMMIT DROP AS SELECT {cols} FROM {_q(conn, name)} WITH NO DATA")
    _pg_copy_in(cur, tmp, df, None)
    return tmp


# ------------------------------------------------------------------------------ the log


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
        with _cursor(conn, SQLITE_BULK_CACHE_KIB if big else None) as cur:
            if store.dialect == "postgresql":
                # log_ids are assigned here in one block; other writers wait (readers don't).
                cur.execute(f"LOCK TABLE {_q(conn, 'sync_log')} IN EXCLUSIVE MODE")
            cur.execute("SELECT coalesce(max(log_id), 0) FROM sync_log")
            base = int(cur.fetchone()[0])
            log = _log_frame(store, pegawai, errors, outcomes, base, run_id, selesai, pelaku, mode, flow, tahun)
            _bulk_insert_frame(store, conn, cur, "sync_log", log)
            err = (
                errors.with_row_index("_pos")
                .join(log.select("nip", "log_id"), on="nip")
                .sort("_pos")
                .with_columns(nomor=pl.col("_pos").cum_count().over("log_id").cast(pl.Int64))
                .select("log_id", "nomor", "urutan", "code", "pmm_skp_id", "detail", "selesai_oleh")
            )
            _bulk_insert_frame(store, conn, cur, "sync_log_error", err)
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
        with _cursor(conn) as cur:
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
            pegawai = _fetch_frame(cur, {"log_id": pl.Int64(), **PEGAWAI_SCHEMA}, store.dialect)
            cur.execute(
                "SELECT e.log_id, e.nomor, s.nip, e.code, e.urutan, e.pmm_skp_id, e.detail, e.selesai_oleh "
                f"FROM sync_state s JOIN sync_log_error e ON e.log_id = s.log_id WHERE {where}",
                params,
            )
            errors = _fetch_frame(cur, {"log_id": pl.Int64(), "nomor": pl.Int64(), **ERROR_SCHEMA}, store.dialect)
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


# ---------------------------------------------------------------------------- internals


def _q(conn: sa.Connection, name: str) -> str:
    return conn.dialect.identifier_preparer.quote(name)


def _chunks(df: pl.DataFrame, size: int = WRITE_CHUNK, order: pl.Series | None = None) -> Iterator[pl.DataFrame]:
    """``df`` in slices of ``size`` rows, in ``order`` (row indices) when given."""
    for offset in range(0, df.height, size):
        yield df.slice(offset, size) if order is None else df.select(pl.all().gather(order.slice(offset, size)))


def _for_sqlite(df: pl.DataFrame) -> pl.DataFrame:
    """Values as SQLAlchemy stores them on SQLite: dates as ISO text (booleans stay 0/1)."""
    return df.with_columns(pl.col(c).dt.strftime("%Y-%m-%d") for c, t in df.schema.items() if t == pl.Date)


def _secondary_indexes(store: Store, cur: Any, table: str) -> list[tuple[str, str]]:
    """(name, CREATE statement) of the indexes of ``table`` other than its primary key."""
    if store.dialect == "postgresql":
        cur.execute(
            "SELECT c.relname, pg_get_indexdef(i.indexrelid) FROM pg_index i"
            " JOIN pg_class c ON c.oid = i.indexrelid WHERE i.indrelid = to_regclass(%s)"
            " AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)"
            " ORDER BY c.relname",
            (table,),
        )
    else:
        cur.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? "
            "AND sql IS NOT NULL ORDER BY name",
            (table,),
        )
    return [(name, ddl) for name, ddl in cur.fetchall()]


def _bulk_insert(
    store: Store,
    conn: sa.Connection,
    cur: Any,
    name: str,
    df: pl.DataFrame,
    progress: Progress | None,
) -> None:
    key = list(TABLE[name].key)
    df = contract.conform(name, df)
    # Sent in key order, the rows arrive as appends instead of page splits. Only the order is
    # computed here; each chunk is gathered in turn, so no sorted copy of the table is held.
    order = df.select(pl.arg_sort_by(key).alias("i"))["i"]
    _bulk_insert_frame(store, conn, cur, name, df, progress, order)


def _bulk_insert_frame(
    store: Store,
    conn: sa.Connection,
    cur: Any,
    name: str,
    df: pl.DataFrame,
    progress: Progress | None = None,
    order: pl.Series | None = None,
) -> None:
    def report(done: int) -> None:
        if progress:
            progress(name, done, df.height)

    report(0)
    if store.dialect == "postgresql":
        _pg_copy_in(cur, _q(conn, name), df, report, order)
        return
    cols = ", ".join(_q(conn, c) for c in df.columns)
    done = 0
    for chunk in _chunks(df, order=order):
        _sqlite_insert(cur, f"INSERT INTO {_q(conn, name)} ({cols})", _for_sqlite(chunk))
        done += chunk.height
        report(done)


def _sqlite_insert(cur: Any, head: str, df: pl.DataFrame, tail: str = "") -> None:
    """Run ``{head} VALUES (?, ...), (?, ...) {tail}`` for the rows of ``df`` (already in SQLite's
    types), in order, many rows per statement.

    One row per statement costs SQLite a statement reset and Python a call per row: with
    ``SQLITE_ROWS_PER_INSERT`` rows the same rows go in about 1.7 times faster.
    """
    width = df.width
    limit = cur.connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    per = max(1, min(SQLITE_ROWS_PER_INSERT, limit // width))
    one = "(" + ", ".join("?" * width) + ")"
    full = df.height // per * per
    if full:
        flat = list(chain.from_iterable(df.slice(0, full).iter_rows()))
        step = per * width
        cur.executemany(
            f"{head} VALUES {', '.join([one] * per)}{tail}", (flat[i : i + step] for i in range(0, len(flat), step))
        )
        del flat
    if full < df.height:
        cur.executemany(f"{head} VALUES {one}{tail}", df.slice(full).iter_rows())


def _pg_copy_in(
    cur: Any,
    table_sql: str,
    df: pl.DataFrame,
    progress: Callable[[int], None] | None,
    order: pl.Series | None = None,
) -> None:
    # CSV keeps NULL (unquoted empty) and '' (quoted "") apart, and polars writes it in Rust.
    cols = ", ".join(f'"{c}"' for c in df.columns)
    done = 0
    with cur.copy(f"COPY {table_sql} ({cols}) FROM STDIN (FORMAT csv)") as copy:
        for chunk in _chunks(df, order=order):
            copy.write(chunk.write_csv(include_header=False, date_format="%Y-%m-%d"))
            done += chunk.height
            if progress:
                progress(done)


def _read_table(store: Store, conn: sa.Connection, cur: Any, name: str, where: str | None = None) -> pl.DataFrame:
    """A contract table (only the rows matching the SQL ``where``, when given), typed, built in
    blocks with its repeated texts shared: as lean as the CSV reader (see
    :class:`selaras.domain.snapshot.SharedTexts`)."""
    table = TABLE[name]
    cols = ", ".join(_q(conn, c) for c in table.column_names)
    sql = f"SELECT {cols} FROM {_q(conn, name)}" + (f" WHERE {where}" if where else "")
    if store.dialect == "postgresql":
        # COPY: text in bulk instead of a Python tuple per row.
        with tempfile.NamedTemporaryFile(prefix="selaras-", suffix=".csv") as f:
            with cur.copy(f"COPY ({sql}) TO STDOUT (FORMAT csv)") as cp:
                for data in cp:
                    f.write(data)
            f.flush()
            if f.tell() == 0:
                return contract.empty_frame(name)
            scan = pl.scan_csv(f.name, has_header=False, schema={c: pl.String() for c in table.column_names})
            repeats = SharedTexts()
            parts = [
                _shared(repeats, _from_text(name, block)) for block in scan.collect_batches(chunk_size=FETCH_CHUNK)
            ]
        return pl.concat(parts)
    cur.execute(sql)
    return _fetch_typed(store, cur, name)


def _from_text(name: str, df: pl.DataFrame) -> pl.DataFrame:
    """Typed contract frame from PostgreSQL's CSV text (booleans are t/f)."""
    exprs = []
    for c in TABLE[name].columns:
        col = pl.col(c.name)
        if c.kind is Kind.DATE:
            exprs.append(col.str.to_date("%Y-%m-%d"))
        elif c.kind is Kind.BOOL:
            exprs.append(col.replace_strict({"t": True, "f": False}, return_dtype=pl.Boolean))
        elif c.kind is Kind.INT:
            exprs.append(col.cast(pl.Int64))
        elif c.kind is Kind.DECIMAL:
            exprs.append(col.cast(pl.Float64))
        else:
            exprs.append(col)
    return df.select(exprs)


def _raw_schema(store: Store, name: str) -> dict[str, pl.DataType]:
    """The types the driver returns: SQLite gives dates as text and booleans as 0/1."""
    if store.dialect != "sqlite":
        return TABLE[name].polars_schema
    raw = {Kind.DATE: pl.String(), Kind.BOOL: pl.Int64()}
    return {c.name: raw.get(c.kind, c.dtype) for c in TABLE[name].columns}


def _typed(store: Store, name: str, rows: Sequence[tuple[Any, ...]]) -> pl.DataFrame:
    df = pl.DataFrame(rows, schema=_raw_schema(store, name), orient="row")
    return contract.conform(name, df)


def _fetch_typed(store: Store, cur: Any, name: str) -> pl.DataFrame:
    schema = _raw_schema(store, name)
    return _fetch_blocks(cur, schema, lambda block: contract.conform(name, block), contract.empty_frame(name))


def _fetch_frame(cur: Any, schema: dict[str, pl.DataType], dialect: str) -> pl.DataFrame:
    raw = {c: (pl.Int64() if dialect == "sqlite" and t == pl.Boolean else t) for c, t in schema.items()}
    return _fetch_blocks(cur, raw, lambda block: block.cast(schema), pl.DataFrame(schema=schema))  # type: ignore[arg-type]


def _fetch_blocks(
    cur: Any,
    raw: dict[str, pl.DataType],
    typed: Callable[[pl.DataFrame], pl.DataFrame],
    empty: pl.DataFrame,
) -> pl.DataFrame:
    """The rest of ``cur``'s rows as one frame, built block by block like the CSV reader: each
    ``FETCH_CHUNK`` rows become a typed frame with its repeated texts shared before the next
    block is fetched, so neither the driver's tuples nor a text per row outlive their block."""
    repeats = SharedTexts()
    parts = []
    while True:
        rows = cur.fetchmany(FETCH_CHUNK)
        if not rows:
            break
        block = pl.DataFrame(rows, schema=raw, orient="row")
        del rows  # the block's Python tuples go before the next fetch
        parts.append(_shared(repeats, typed(block)))
        del block
    return pl.concat(parts) if parts else empty


def _shared(repeats: SharedTexts, block: pl.DataFrame) -> pl.DataFrame:
    """``block`` with the repeated texts of its string columns stored once."""
    texts = [c for c, t in block.schema.items() if t == pl.String]
    if not texts:
        return block
    return block.with_columns(repeats.share(block.select(texts)).get_columns())


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def _json(text: str | None) -> Any:
    if text is None:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text


def _sqlite_checkpoint(store: Store) -> None:
    # A snapshot replace leaves a WAL as large as the data; fold it back into the database
    # file and truncate it now. Best effort: when readers keep the WAL busy for more than a
    # moment, SQLite's automatic checkpoints do it later.
    with store.engine.connect() as conn:
        raw = conn.connection.dbapi_connection
        assert raw is not None
        raw.execute("PRAGMA busy_timeout=2000")
        try:
            raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            raw.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")


# ------------------------------------------------------------------- lookups for the jobs


def pegawai_brief(store: Store, nips: Collection[str]) -> dict[str, dict[str, Any]]:
    """NIP -> ``{nama, instansi_id, unor_id}`` from SIASN, for those of ``nips`` it knows."""
    from selaras.store.tables import CONTRACT

    peg = CONTRACT["siasn_pegawai"]
    wanted = sorted(set(nips))
    out: dict[str, dict[str, Any]] = {}
    with store.read() as conn:
        for i in range(0, len(wanted), IN_CHUNK):
            rows = conn.execute(
                sa.select(peg.c.nip, peg.c.nama, peg.c.instansi_id, peg.c.unor_id).where(
                    peg.c.nip.in_(wanted[i : i + IN_CHUNK])
                )
            )
            out.update({r.nip: {"nama": r.nama, "instansi_id": r.instansi_id, "unor_id": r.unor_id} for r in rows})
    return out


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


def source_watermark(store: Store, sumber: str) -> str | None:
    """Up to when the sources were last pulled (``sumber_tanda``), or ``None``."""
    from selaras.store.tables import sumber_tanda

    with store.read() as conn:
        return conn.execute(sa.select(sumber_tanda.c.diperbarui_sampai).where(sumber_tanda.c.sumber == sumber)).scalar()


def set_source_watermark(store: Store, sumber: str, value: str) -> None:
    """Record up to when the sources were pulled."""
    from selaras.store.tables import sumber_tanda

    t = datetime.now(UTC)
    with store.write() as conn:
        updated = conn.execute(
            sa.update(sumber_tanda).where(sumber_tanda.c.sumber == sumber).values(diperbarui_sampai=value, waktu=t)
        ).rowcount
        if not updated:
            conn.execute(sumber_tanda.insert().values(sumber=sumber, diperbarui_sampai=value, waktu=t))

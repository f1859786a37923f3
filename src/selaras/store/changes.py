"""Rows written into contract tables by key: a sync's e-Kinerja changes, a source pull's
upserts and deletes; each in one transaction (its own unit of work)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import polars as pl
import sqlalchemy as sa

from selaras.domain import snapshot as contract
from selaras.domain.results import EkinerjaChanges
from selaras.domain.snapshot import TABLE
from selaras.store import uow
from selaras.store.bulk import chunks, cursor, for_sqlite, pg_copy_in, quote, sqlite_insert
from selaras.store.database import Store


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
    with store.write() as conn, cursor(conn) as cur:
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
    with store.write() as conn, cursor(conn) as cur:
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
    table = quote(conn, name)
    if store.dialect == "postgresql":
        tmp = _pg_temp_copy(conn, cur, name, keys)
        match = " AND ".join(f"t.{quote(conn, k)} = d.{quote(conn, k)}" for k in keys.columns)
        cur.execute(f"DELETE FROM {table} t USING {tmp} d WHERE {match}")
        cur.execute(f"DROP TABLE {tmp}")
        return
    match = " AND ".join(f"{quote(conn, k)} = ?" for k in keys.columns)
    sql = f"DELETE FROM {table} WHERE {match}"
    for chunk in chunks(for_sqlite(keys)):
        cur.executemany(sql, chunk.iter_rows())


def _upsert(store: Store, conn: sa.Connection, cur: Any, name: str, df: pl.DataFrame) -> None:
    table = TABLE[name]
    cols = ", ".join(quote(conn, c) for c in table.column_names)
    key = ", ".join(quote(conn, k) for k in table.key)
    others = [c for c in table.column_names if c not in table.key]
    update = ", ".join(f"{quote(conn, c)} = excluded.{quote(conn, c)}" for c in others)
    conflict = f"ON CONFLICT ({key}) DO UPDATE SET {update}" if others else (f"ON CONFLICT ({key}) DO NOTHING")
    if store.dialect == "postgresql":
        tmp = _pg_temp_copy(conn, cur, name, df)
        cur.execute(f"INSERT INTO {quote(conn, name)} ({cols}) SELECT {cols} FROM {tmp} {conflict}")
        cur.execute(f"DROP TABLE {tmp}")
        return
    for chunk in chunks(df):
        sqlite_insert(cur, f"INSERT INTO {quote(conn, name)} ({cols})", for_sqlite(chunk), f" {conflict}")


def _pg_temp_copy(conn: sa.Connection, cur: Any, name: str, df: pl.DataFrame) -> str:
    """COPY ``df`` into a new temporary table shaped like columns of ``name``; its name."""
    tmp = quote(conn, f"_selaras_tmp_{name}")
    cols = ", ".join(quote(conn, c) for c in df.columns)
    cur.execute(f"CREATE TEMPORARY TABLE {tmp} ON COMMIT DROP AS SELECT {cols} FROM {quote(conn, name)} WITH NO DATA")
    pg_copy_in(cur, tmp, df, None)
    return tmp

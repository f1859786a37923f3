"""Bulk statements on the store: the raw DBAPI cursor, chunked inserts and ``COPY``, typed reads.

Bulk paths work on the raw DBAPI connection inside the SQLAlchemy transaction: executemany of
tuples on SQLite, ``COPY`` on PostgreSQL. Going through SQLAlchemy's per-row type processing
would cost several times the time at national scale (tens of millions of rows).
"""

from __future__ import annotations

import sqlite3
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from itertools import chain
from typing import Any

import polars as pl
import sqlalchemy as sa

from selaras.domain import snapshot as contract
from selaras.domain.snapshot import TABLE, Kind, SharedTexts
from selaras.store.database import Store

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
SQLITE_BULK_CACHE_KIB = 256 * 1024
"""SQLite page cache while a snapshot is replaced or a big run is logged."""


@contextmanager
def cursor(conn: sa.Connection, sqlite_cache_kib: int | None = None) -> Iterator[Any]:
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


def quote(conn: sa.Connection, name: str) -> str:
    """``name`` quoted as an identifier of ``conn``'s dialect."""
    return conn.dialect.identifier_preparer.quote(name)


def chunks(df: pl.DataFrame, size: int = WRITE_CHUNK, order: pl.Series | None = None) -> Iterator[pl.DataFrame]:
    """``df`` in slices of ``size`` rows, in ``order`` (row indices) when given."""
    for offset in range(0, df.height, size):
        yield df.slice(offset, size) if order is None else df.select(pl.all().gather(order.slice(offset, size)))


def for_sqlite(df: pl.DataFrame) -> pl.DataFrame:
    """Values as SQLAlchemy stores them on SQLite: dates as ISO text (booleans stay 0/1)."""
    return df.with_columns(pl.col(c).dt.strftime("%Y-%m-%d") for c, t in df.schema.items() if t == pl.Date)


def insert_frame(
    store: Store,
    conn: sa.Connection,
    cur: Any,
    name: str,
    df: pl.DataFrame,
    progress: Progress | None = None,
    order: pl.Series | None = None,
) -> None:
    """Insert the rows of ``df`` (already in the table's types) into table ``name``, in
    ``order`` (row indices) when given: ``COPY`` on PostgreSQL, multi-row inserts on SQLite."""

    def report(done: int) -> None:
        if progress:
            progress(name, done, df.height)

    report(0)
    if store.dialect == "postgresql":
        pg_copy_in(cur, quote(conn, name), df, report, order)
        return
    cols = ", ".join(quote(conn, c) for c in df.columns)
    done = 0
    for chunk in chunks(df, order=order):
        sqlite_insert(cur, f"INSERT INTO {quote(conn, name)} ({cols})", for_sqlite(chunk))
        done += chunk.height
        report(done)


def sqlite_insert(cur: Any, head: str, df: pl.DataFrame, tail: str = "") -> None:
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


def pg_copy_in(
    cur: Any,
    table_sql: str,
    df: pl.DataFrame,
    progress: Callable[[int], None] | None,
    order: pl.Series | None = None,
) -> None:
    """``COPY`` the rows of ``df`` into ``table_sql`` (quoted) as CSV, chunk by chunk."""
    # CSV keeps NULL (unquoted empty) and '' (quoted "") apart, and polars writes it in Rust.
    cols = ", ".join(f'"{c}"' for c in df.columns)
    done = 0
    with cur.copy(f"COPY {table_sql} ({cols}) FROM STDIN (FORMAT csv)") as copy:
        for chunk in chunks(df, order=order):
            copy.write(chunk.write_csv(include_header=False, date_format="%Y-%m-%d"))
            done += chunk.height
            if progress:
                progress(done)


def read_table(store: Store, conn: sa.Connection, cur: Any, name: str, where: str | None = None) -> pl.DataFrame:
    """A contract table (only the rows matching the SQL ``where``, when given), typed, built in
    blocks with its repeated texts shared: as lean as the CSV reader (see
    :class:`selaras.domain.snapshot.SharedTexts`)."""
    table = TABLE[name]
    cols = ", ".join(quote(conn, c) for c in table.column_names)
    sql = f"SELECT {cols} FROM {quote(conn, name)}" + (f" WHERE {where}" if where else "")
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


def typed_frame(store: Store, name: str, rows: Sequence[tuple[Any, ...]]) -> pl.DataFrame:
    """Rows of contract table ``name`` as the driver returned them, as a typed frame."""
    df = pl.DataFrame(rows, schema=_raw_schema(store, name), orient="row")
    return contract.conform(name, df)


def _fetch_typed(store: Store, cur: Any, name: str) -> pl.DataFrame:
    schema = _raw_schema(store, name)
    return _fetch_blocks(cur, schema, lambda block: contract.conform(name, block), contract.empty_frame(name))


def fetch_frame(cur: Any, schema: dict[str, pl.DataType], dialect: str) -> pl.DataFrame:
    """The rest of ``cur``'s rows as a frame of ``schema`` (SQLite's 0/1 read as booleans)."""
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

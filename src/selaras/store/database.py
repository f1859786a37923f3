"""Opening the database (SQLite file by default, PostgreSQL at scale) and migrating it."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import event

DEFAULT_SQLITE_FILE = "selaras.db"
MIGRATIONS = Path(__file__).resolve().parent / "migrations"
SQLITE_BUSY_TIMEOUT_MS = 30_000
PG_CONNECT_TIMEOUT = 10
"""Seconds to wait for a PostgreSQL connection (unless the URL says ``connect_timeout``)."""
# Arbitrary constant: the advisory lock that serialises migrations on PostgreSQL.
_PG_MIGRATION_LOCK = 0x5E1A8A5


def resolve_url(url: str | None = None) -> str:
    """The SQLAlchemy URL for ``url``, ``$SELARAS_DB`` or ``./selaras.db``.

    A value without ``://`` is taken as the path of a SQLite file.
    """
    if url is None:
        url = os.environ.get("SELARAS_DB") or DEFAULT_SQLITE_FILE
    if "://" not in url:
        return f"sqlite:///{Path(url).expanduser()}"
    if url.startswith(("postgresql://", "postgres://")):
        # Only psycopg 3 is installed with the project: make it the driver.
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


class Store:
    """The database: an SQLAlchemy engine plus the project's transaction conventions."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine

    @classmethod
    def open(cls, url: str | None = None, *, migrate: bool = True) -> Store:
        """Open (and by default migrate to the latest schema) the database at ``url``.

        ``url`` is an SQLAlchemy URL or a SQLite file path; ``None`` means ``$SELARAS_DB``
        or else ``selaras.db`` in the current directory.
        """
        resolved = resolve_url(url)
        if resolved.startswith("sqlite"):
            engine = sa.create_engine(resolved)
            _setup_sqlite(engine)
        else:
            # At most 20 connections per process: a web process's 40 threads share them, and
            # several processes stay under PostgreSQL's default max_connections (100). No ping
            # before each checkout (a round trip per transaction): connections are recycled
            # hourly, and one that broke (a server restart) is dropped when a statement fails.
            # A server that is down refuses at once, but one that is unreachable would hold each
            # request until the system's TCP timeout: give up after PG_CONNECT_TIMEOUT (a 503).
            timeout = {} if "connect_timeout" in resolved else {"connect_timeout": PG_CONNECT_TIMEOUT}
            engine = sa.create_engine(resolved, pool_size=10, max_overflow=10, pool_recycle=3600, connect_args=timeout)
        store = cls(engine)
        if migrate:
            store.migrate()
        return store

    @property
    def dialect(self) -> str:
        """``"sqlite"`` or ``"postgresql"``."""
        return self.engine.dialect.name

    @contextmanager
    def write(self) -> Iterator[sa.Connection]:
        """A connection in a write transaction: committed on success, rolled back on error.

        On SQLite the transaction takes the write lock at once (``BEGIN IMMEDIATE``), so that
        two writers wait for each other instead of failing when the second upgrades its lock.
        """
        with self.engine.connect() as conn:
            conn = conn.execution_options(selaras_write=True)
            with conn.begin():
                yield conn

    @contextmanager
    def read(self) -> Iterator[sa.Connection]:
        """A connection in a read transaction (one consistent view of the data)."""
        with self.engine.connect() as conn:
            if self.dialect == "postgresql":
                # READ COMMITTED would give each statement of a multi-table read its own view.
                conn = conn.execution_options(isolation_level="REPEATABLE READ")
            with conn.begin():
                yield conn

    def migrate(self) -> None:
        """Upgrade the schema to the latest Alembic revision (no-op when already there)."""
        config = alembic_config()
        head = ScriptDirectory.from_config(config).get_current_head()
        # Checked in a read transaction first: opening the store must not wait for the write
        # lock (held for minutes while a snapshot is replaced) when there is nothing to do.
        with self.read() as conn:
            if MigrationContext.configure(conn).get_current_revision() == head:
                return
        with self.write() as conn:
            if self.dialect == "postgresql":
                conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_PG_MIGRATION_LOCK})")
            config.attributes["connection"] = conn
            command.upgrade(config, "head")

    def checkpoint(self, *, when_tight: bool = False) -> None:
        """SQLite: copy the write-ahead log into the database file now, without waiting for
        readers (``PASSIVE``); a disk that refuses it (full, failing) raises. Nothing on
        PostgreSQL. ``when_tight``: only when the disk's free space is less than the log,
        the most a checkpoint can add to the database file (one costs fsyncs, ~10 ms).

        SQLite checkpoints on its own after a commit and when the last connection closes,
        but ignores their failure: a commit that fits on the disk while its checkpoint does
        not would otherwise be reported as done, leaving the disk full for the next command.
        """
        if self.dialect != "sqlite":
            return
        if when_tight:
            database = self.engine.url.database
            if not database or database == ":memory:":
                return
            wal = Path(f"{database}-wal")
            try:
                if shutil.disk_usage(wal.parent).free > wal.stat().st_size:
                    return
            except FileNotFoundError:
                return  # no log: nothing to copy
        raw = self.engine.raw_connection()
        try:
            raw.driver_connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()  # type: ignore[union-attr]
        finally:
            raw.close()

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()

    def __repr__(self) -> str:
        return f"Store({self.engine.url.render_as_string(hide_password=True)!r})"


def alembic_config() -> Config:
    """The Alembic configuration of the package's migrations (no ``alembic.ini`` needed).

    Pass an open connection as ``config.attributes["connection"]``; ``env.py`` uses it.
    """
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("path_separator", "os")
    return config


def _setup_sqlite(engine: sa.Engine) -> None:
    # pysqlite opens transactions itself only before DML and never before DDL or reads;
    # hand that over to SQLAlchemy (its documented recipe) so that a transaction really is
    # one: a snapshot replace, a migration and a read see one consistent state.
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=OFF")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: sa.Connection) -> None:
        if conn.get_execution_options().get("selaras_write"):
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            conn.exec_driver_sql("BEGIN")

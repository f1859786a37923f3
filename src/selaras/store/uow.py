"""The unit of work: one use case (one part of a national batch) in one transaction.

:func:`run` opens a write transaction, takes the store's data lock, runs the use case on a
:class:`UnitOfWork` and commits once. Everything the use case reads and writes goes through
``uow.store``: a :class:`Store` whose ``read()`` and ``write()`` join this transaction instead of
opening their own, so the store functions (``load_snapshot``, ``apply_changes``,
``record_run``, ``queue.finish``, ``notifications.save``, ...) all land in the one commit, or, on
any error, none of them does.

The data lock (why a plan is never computed on stale data):

- SQLite: the write transaction starts with ``BEGIN IMMEDIATE`` (see ``Store.write``), which is
  the database's single writer lock; readers go on, writers wait (``busy_timeout``).
- PostgreSQL: ``pg_advisory_xact_lock(DATA_LOCK)``, one global lock held to the end of the
  transaction by every use case that plans on or replaces the contract data (check, sync,
  import, the admin fixes). The lock is taken by the first statement and every later statement
  sees what was committed before it (READ COMMITTED: REPEATABLE READ would fix its snapshot
  while still waiting for the lock). One global lock rather than one per instansi: a batch
  reads superiors and units across instansi, an import replaces everything, and a part's
  transaction lasts seconds, so finer locks would buy little and cost a lock order.

A second use case waits for the first. A deadlock or serialisation failure (or SQLite's lock
wait running out) rolls the transaction back and runs the use case again, up to ``ATTEMPTS``
times; after that it is an :class:`InfrastructureError` like a full disk or a dead server: a
message in Bahasa Indonesia that says what happened, that nothing of this transaction was
kept, and what to do.

Crash points (for the crash tests, off by default): ``$SELARAS_CRASH_AT=<unit>:<point>[@n]``
SIGKILLs this process the n-th time (default the first) it reaches ``<unit>:before_commit``
(everything written, not committed) or ``<unit>:after_commit``; :data:`CRASH_HOOKS` takes
functions called with the point's name, for tests in one process.
"""

from __future__ import annotations

import errno
import logging
import os
import random
import re
import signal
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

import sqlalchemy as sa

from selaras.store.database import Store

log = logging.getLogger("selaras.store")

T = TypeVar("T")

DATA_LOCK = 0x5E1A8A6
"""The PostgreSQL advisory lock of the contract data (next to the migrations' 0x5E1A8A5)."""
ATTEMPTS = 4
"""Runs of a use case that meets a deadlock, a serialisation failure or a busy store."""
RETRY_PAUSE = 0.2
"""Seconds before the second run; doubled each run, with jitter."""

CRASH_HOOKS: list[Callable[[str], None]] = []
"""Called with each crash point's name (``"sync:before_commit"``, ...); tests raise from them."""
_crash_counts: dict[str, int] = {}
_crash_guard = threading.Lock()


class BoundStore(Store):
    """A :class:`Store` whose ``read()`` and ``write()`` are the unit of work's transaction."""

    def __init__(self, store: Store, conn: sa.Connection) -> None:
        super().__init__(store.engine)
        self.outer = store
        self.conn = conn

    @contextmanager
    def write(self) -> Iterator[sa.Connection]:
        """The unit of work's connection: committed with the unit, not here."""
        yield self.conn

    @contextmanager
    def read(self) -> Iterator[sa.Connection]:
        """The unit of work's connection (reads see its own writes)."""
        yield self.conn

    def migrate(self) -> None:  # pragma: no cover - a guard, never called on purpose
        raise RuntimeError("migrations run on the store, not inside a unit of work")

    def dispose(self) -> None:
        """Nothing: the outer store owns the engine."""

    def __repr__(self) -> str:
        return f"BoundStore({self.outer!r})"


@dataclass
class UnitOfWork:
    """One transaction of a use case: ``store`` reads and writes in it."""

    name: str
    store: BoundStore
    attempt: int

    @property
    def conn(self) -> sa.Connection:
        """The transaction's connection (for store code that wants SQLAlchemy Core)."""
        return self.store.conn


def run(
    store: Store,
    work: Callable[[UnitOfWork], T],
    *,
    name: str,
    lock: bool = True,
    waiting: Callable[[str], None] | None = None,
) -> T:
    """Run ``work`` in one write transaction holding the data lock; its result.

    ``work`` may be called again (after a rollback) when the database reports a deadlock or a
    serialisation failure, or SQLite's lock wait runs out: it must not have effects outside
    the store. Committed once, after ``work`` returns; on an error nothing of it is kept.
    Infrastructure failures are raised as :class:`InfrastructureError`. ``waiting`` is told
    (in Bahasa Indonesia) when another use case holds the data lock and this one waits.
    """
    if isinstance(store, BoundStore):  # already inside a unit of work: join it
        return work(UnitOfWork(name, store, 1))
    for attempt in range(1, ATTEMPTS + 1):
        try:
            with store.write() as conn:
                if lock:
                    lock_data(store, conn, waiting)
                result = work(UnitOfWork(name, BoundStore(store, conn), attempt))
                crash_point(f"{name}:before_commit")
            crash_point(f"{name}:after_commit")
        except Exception as e:  # noqa: BLE001 - classified below; others re-raised as they are
            if transient(e) and attempt < ATTEMPTS:
                pause = RETRY_PAUSE * 2 ** (attempt - 1) * (0.5 + random.random())
                log.warning("%s: %s; run %d of %d in %.1f s", name, _first_line(e), attempt + 1, ATTEMPTS, pause)
                time.sleep(pause)
                continue
            infra = infrastructure_error(e)
            if infra is None:
                raise
            raise infra from e
        _checkpoint(store)
        return result
    raise AssertionError("unreachable")


def _checkpoint(store: Store) -> None:
    """After a commit on SQLite: its checkpoint, whose failure says that the commit was kept."""
    try:
        store.checkpoint(when_tight=True)
    except Exception as e:  # noqa: BLE001 - classified below; others re-raised as they are
        if transient(e):
            return  # a writer or a reader holds the log: the next checkpoint copies it
        infra = infrastructure_error(e)
        if infra is None:
            raise
        raise InfrastructureError(
            f"{infra.apa}; perubahan dari log tulis-depan SQLite (berkas -wal) belum dapat dipindahkan "
            "ke berkas basis data",
            "Kosongkan ruang disk penyimpanan; perintah berikutnya menyelesaikan pemindahan itu.",
            tersimpan=True,
        ) from e


WAITING = "menunggu proses lain (sinkron, pemeriksaan atau impor) selesai memakai penyimpanan"


def lock_data(store: Store, conn: sa.Connection, waiting: Callable[[str], None] | None = None) -> None:
    """Take the data lock in ``conn``'s transaction (on SQLite ``BEGIN IMMEDIATE`` took it);
    when another holds it, say so to ``waiting`` and wait."""
    if store.dialect != "postgresql":
        return
    if conn.exec_driver_sql(f"SELECT pg_try_advisory_xact_lock({DATA_LOCK})").scalar():
        return
    log.info(WAITING)
    if waiting is not None:
        waiting(WAITING)
    conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({DATA_LOCK})")


def crash_point(point: str) -> None:
    """A commit boundary named ``point``: the crash tests stop the process here."""
    for hook in CRASH_HOOKS:
        hook(point)
    wanted = os.environ.get("SELARAS_CRASH_AT")
    if not wanted:
        return
    target, _, nth = wanted.partition("@")
    if target != point:
        return
    with _crash_guard:
        _crash_counts[point] = _crash_counts.get(point, 0) + 1
        reached = _crash_counts[point]
    if reached == int(nth or 1):
        os.kill(os.getpid(), signal.SIGKILL)


# ------------------------------------------------------------------ infrastructure errors


class InfrastructureError(Exception):
    """The store or the machine failed (not the input, not a bug): disk full, database
    unreachable, lock waits that never end, data the database refuses.

    ``apa``: what happened; ``langkah``: what to do; ``disimpan``: what was nonetheless kept
    (``None``: nothing was changed); ``tersimpan``: the failing transaction itself was
    committed (the failure came after: SQLite's checkpoint).
    """

    def __init__(self, apa: str, langkah: str, disimpan: str | None = None, *, tersimpan: bool = False) -> None:
        super().__init__(apa)
        self.apa, self.langkah, self.disimpan, self.tersimpan = apa, langkah, disimpan, tersimpan

    def __reduce__(self) -> tuple[Any, ...]:
        # Exception pickles only ``args`` (here ``apa``): Celery sends failures pickled.
        return (_rebuilt, (type(self), self.apa, self.langkah, self.disimpan, self.tersimpan))

    def with_kept(self, disimpan: str | None) -> InfrastructureError:
        """The same failure, saying what earlier transactions of the command kept."""
        return InfrastructureError(self.apa, self.langkah, disimpan, tersimpan=self.tersimpan)

    def message(self) -> str:
        """The message for a person: what happened, what changed, what to do."""
        if self.tersimpan:
            kept = "Perubahan transaksi ini sudah tersimpan" + (f"; {self.disimpan}" if self.disimpan else ".")
        elif self.disimpan:
            kept = f"Transaksi yang sedang berjalan dibatalkan seluruhnya; {self.disimpan}"
        else:
            kept = "Tidak ada yang diubah: seluruh transaksi dibatalkan."
        return f"{self.apa}. {kept} {self.langkah}"


def _rebuilt(
    kind: type[InfrastructureError], apa: str, langkah: str, disimpan: str | None, tersimpan: bool
) -> InfrastructureError:
    return kind(apa, langkah, disimpan, tersimpan=tersimpan)


_DEADLOCK_STATES = {"40001", "40P01", "55P03"}


def transient(e: BaseException) -> bool:
    """A failure that running the same transaction again may not meet."""
    orig = _orig(e)
    if getattr(orig, "sqlstate", None) in _DEADLOCK_STATES:
        return True
    return isinstance(orig, sqlite3.OperationalError) and "locked" in str(orig)


def infrastructure_error(e: BaseException) -> InfrastructureError | None:
    """``e`` as an :class:`InfrastructureError`, or ``None`` when it is not one."""
    if isinstance(e, InfrastructureError):
        return e
    orig = _orig(e)
    text = _first_line(orig)
    state = getattr(orig, "sqlstate", None) or ""
    code = os_errno(orig)
    if code in (errno.ENOSPC, errno.EDQUOT) or state == "53100":
        return InfrastructureError(
            f"Disk penuh saat menulis ({text})", "Kosongkan ruang disk penyimpanan, lalu jalankan perintah ini lagi."
        )
    if isinstance(orig, sqlite3.Error) and ("disk is full" in text or "database or disk is full" in text):
        return InfrastructureError(
            f"Disk penuh saat menulis penyimpanan SQLite ({text})",
            "Kosongkan ruang disk penyimpanan, lalu jalankan perintah ini lagi.",
        )
    if transient(e) or state.startswith("40"):
        return InfrastructureError(
            f"Penyimpanan sedang dipakai proses lain (sinkron atau impor lain) dan tetap terkunci "
            f"setelah {ATTEMPTS} kali dicoba ({text})",
            "Tunggu sampai proses itu selesai (lihat `selaras antrean`), lalu jalankan perintah ini lagi.",
        )
    if "NUL (0x00)" in text or state == "22021" or "0x00" in text:
        return InfrastructureError(
            f"PostgreSQL menolak teks yang berisi karakter NUL ({text})",
            "Hapus karakter kontrol dari data sumber, lalu impor atau jalankan lagi.",
        )
    if code in (errno.EIO, errno.EROFS, errno.EACCES):
        return InfrastructureError(
            f"Berkas tidak dapat ditulis ({text})",
            "Periksa disk dan izin berkas penyimpanan, lalu jalankan perintah ini lagi.",
        )
    if isinstance(e, sa.exc.ProgrammingError) or type(orig).__name__ in ("ProgrammingError", "UndefinedTable"):
        return None  # a bug in a statement: its traceback is what a developer needs
    if isinstance(e, sa.exc.DBAPIError) or _is_driver_error(orig):
        if state.startswith("08") or isinstance(e, sa.exc.OperationalError) and not isinstance(orig, sqlite3.Error):
            return InfrastructureError(
                f"Basis data tidak dapat dihubungi atau koneksinya terputus ({text})",
                "Pastikan server basis data berjalan dan dapat dijangkau (--db / SELARAS_DB), "
                "lalu jalankan perintah ini lagi.",
            )
        return InfrastructureError(
            f"Basis data menolak operasi ({text})",
            "Periksa penyimpanan (disk, izin berkas, server basis data); jika terulang, hubungi pengelola sistem.",
        )
    return None


_RUST_OS_ERROR = re.compile(r"\(os error (\d+)\)")


def os_errno(e: BaseException) -> int | None:
    """The errno of an :class:`OSError`, also of one raised by polars (Rust), which leaves
    ``errno`` empty and says the number only in its text ("... (os error 28)")."""
    if not isinstance(e, OSError):
        return None
    if e.errno is not None:
        return e.errno
    found = _RUST_OS_ERROR.search(str(e))
    return int(found.group(1)) if found else None


def store_failures() -> tuple[type[Exception], ...]:
    """The exception classes a read or write of the store may raise when the store fails
    (the drivers', SQLAlchemy's, the disk's): an entry point catches these and sorts them
    with :func:`infrastructure_error` (``None``: a bug, not the store)."""
    import psycopg

    return (sa.exc.SQLAlchemyError, sqlite3.Error, psycopg.Error, OSError)


def _is_driver_error(e: BaseException) -> bool:
    if isinstance(e, sqlite3.Error):
        return True
    try:
        import psycopg
    except ImportError:  # pragma: no cover - psycopg is a dependency
        return False
    return isinstance(e, psycopg.Error)


def _orig(e: BaseException) -> BaseException:
    return e.orig if isinstance(e, sa.exc.DBAPIError) and e.orig is not None else e  # type: ignore[return-value]


def _first_line(e: BaseException) -> str:
    text = str(e).strip()
    return text.splitlines()[0] if text else type(e).__name__

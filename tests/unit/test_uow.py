"""Sorting failures into infrastructure errors (exit 3), transient ones (run again) and the rest."""

from __future__ import annotations

import errno
import sqlite3

import pytest
import sqlalchemy as sa

from selaras.store import uow


def _wrapped(orig: Exception) -> sa.exc.DBAPIError:
    return sa.exc.OperationalError("INSERT ...", {}, orig)


def test_a_full_disk_is_an_infrastructure_error_that_says_what_to_do() -> None:
    for e in (_wrapped(sqlite3.OperationalError("database or disk is full")), OSError(errno.ENOSPC, "No space")):
        infra = uow.infrastructure_error(e)
        assert infra is not None
        text = infra.message()
        assert text.startswith("Disk penuh") and "Tidak ada yang diubah" in text and "Kosongkan" in text


def test_a_busy_store_is_retried_then_an_infrastructure_error() -> None:
    busy = _wrapped(sqlite3.OperationalError("database is locked"))
    assert uow.transient(busy)
    infra = uow.infrastructure_error(busy)
    assert infra is not None and "proses lain" in infra.message()


def test_bugs_and_input_errors_are_not_infrastructure_errors() -> None:
    assert uow.infrastructure_error(ValueError("check.errors has NIPs not in check.pegawai")) is None
    assert uow.infrastructure_error(KeyError("no contract table")) is None
    assert not uow.transient(ValueError("x"))


def test_what_earlier_parts_kept_is_said_instead_of_nothing_changed() -> None:
    infra = uow.InfrastructureError("Disk penuh", "Kosongkan ruang disk.").with_kept("2 dari 5 bagian tersimpan.")
    assert "Tidak ada yang diubah" not in infra.message() and "2 dari 5 bagian tersimpan." in infra.message()


def test_a_crash_point_calls_the_hooks_and_is_off_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SELARAS_CRASH_AT", raising=False)
    seen: list[str] = []
    monkeypatch.setattr(uow, "CRASH_HOOKS", [seen.append])
    uow.crash_point("sync:before_commit")
    assert seen == ["sync:before_commit"]
    monkeypatch.setenv("SELARAS_CRASH_AT", "sync:after_commit@3")
    uow.crash_point("sync:after_commit")  # the first time of three: the process lives on
    uow.crash_point("sync:before_commit")


def test_a_wrong_statement_is_a_bug_not_an_infrastructure_error() -> None:
    bug = sa.exc.ProgrammingError("SELECT nope", {}, sqlite3.ProgrammingError("no such column: nope"))
    assert uow.infrastructure_error(bug) is None


def test_an_infrastructure_error_survives_pickling() -> None:
    """Celery pickles a task's exception to the result backend: it must come back whole (a
    failure of the store under a worker, not an ``UnpickleableExceptionWrapper``)."""
    import pickle

    from celery.utils.serialization import get_pickleable_exception

    for e in (
        uow.InfrastructureError("Disk penuh", "Kosongkan ruang disk."),
        uow.InfrastructureError("Basis data tidak dapat dihubungi", "Jalankan lagi.", "2 dari 5 bagian tersimpan."),
        uow.InfrastructureError("Disk penuh", "Kosongkan ruang disk.", tersimpan=True),
    ):
        back = pickle.loads(pickle.dumps(e))
        assert type(back) is uow.InfrastructureError
        assert (back.apa, back.langkah, back.disimpan, back.tersimpan) == (e.apa, e.langkah, e.disimpan, e.tersimpan)
        assert back.message() == e.message() and str(back) == str(e)
        # What Celery's pool does with a task's exception before sending it to the parent.
        assert get_pickleable_exception(e) is e


def test_a_failure_after_the_commit_says_the_change_was_kept() -> None:
    kept = uow.InfrastructureError("Disk penuh", "Kosongkan ruang disk.", tersimpan=True)
    assert "sudah tersimpan" in kept.message() and "dibatalkan" not in kept.message()
    parts = kept.with_kept("3 dari 4 bagian sudah tersimpan.")
    assert parts.tersimpan and "3 dari 4 bagian" in parts.message() and "dibatalkan" not in parts.message()


def test_a_postgresql_restart_is_an_unreachable_database() -> None:
    """What a restart says to the connections it ends and to those that come while it runs."""
    import psycopg

    for orig in (
        psycopg.errors.AdminShutdown("terminating connection due to administrator command"),
        psycopg.errors.CannotConnectNow("the database system is shutting down"),
        psycopg.OperationalError("consuming input failed: server closed the connection unexpectedly"),
        psycopg.OperationalError('connection failed: connection to server at "127.0.0.1", port 5432 failed'),
    ):
        infra = uow.infrastructure_error(_wrapped(orig))
        assert infra is not None, orig
        assert infra.message().startswith("Basis data tidak dapat dihubungi"), infra.message()
        assert isinstance(orig, uow.store_failures()) and not uow.transient(_wrapped(orig))

"""Reaching the services the tests need: PostgreSQL, Redis, RabbitMQ.

A test that needs a service that is not there is skipped with the reason, except in CI
(``CI=true``), where that fails: in CI every service test runs.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import sqlalchemy as sa

PG_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432"
PG_MAINTENANCE_DBS = ("postgres", "test")


def _pg_admin_engine() -> sa.Engine:
    """An autocommit engine on a maintenance database (CREATE DATABASE needs autocommit)."""
    errors = []
    for db in PG_MAINTENANCE_DBS:
        engine = sa.create_engine(
            f"{PG_SERVER}/{db}",
            isolation_level="AUTOCOMMIT",
            connect_args={"connect_timeout": 3},
        )
        try:
            with engine.connect():
                return engine
        except sa.exc.OperationalError as e:
            engine.dispose()
            errors.append(f"{db}: {str(e.orig).strip().splitlines()[0]}")
    unavailable(f"PostgreSQL not reachable at 127.0.0.1:5432: {'; '.join(errors)}")
    raise AssertionError("unreachable")


def unavailable(reason: str) -> None:
    """Skip with ``reason``; in CI (``CI=true``) a missing service is a failure, not a skip."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(reason)
    pytest.skip(reason)


def require_port(host: str, port: int, what: str) -> None:
    """Skip (fail in CI) unless something listens on ``host:port``."""
    try:
        with socket.create_connection((host, port), timeout=2):
            return
    except OSError as e:
        unavailable(f"{what} not reachable at {host}:{port}: {e}")


@contextmanager
def pg_database() -> Iterator[str]:
    """The URL of a fresh PostgreSQL database, dropped afterwards."""
    admin = _pg_admin_engine()
    name = f"selaras_t_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield f"{PG_SERVER}/{name}"
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()

"""Shared fixtures: a fresh store on SQLite and on PostgreSQL.

PostgreSQL tests need the server at 127.0.0.1:5432 (user ``postgres``, trust auth). When it is
not reachable they are skipped with the reason, except in CI (``CI=true``), where that fails.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from services import pg_database  # noqa: E402

from selaras.store.database import Store  # noqa: E402


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of a new, empty database: a SQLite file, or a fresh PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'selaras.db'}"
        return
    with pg_database() as url:
        yield url


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    """A migrated store on ``store_url``."""
    s = Store.open(store_url)
    try:
        yield s
    finally:
        s.dispose()

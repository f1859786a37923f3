"""Marks of the store itself (``penyimpanan_tanda``): a demo store, the log row a daily
summary was written up to."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from selaras.store.database import Store
from selaras.store.tables import penyimpanan_tanda


def set_mark(store: Store, kunci: str, nilai: str, waktu: datetime) -> None:
    """Write the store's mark ``kunci`` (replacing it)."""
    with store.write() as conn:
        conn.execute(sa.delete(penyimpanan_tanda).where(penyimpanan_tanda.c.kunci == kunci))
        conn.execute(sa.insert(penyimpanan_tanda).values(kunci=kunci, nilai=nilai, waktu=waktu))


def mark(store: Store, kunci: str) -> str | None:
    """The value of the store's mark ``kunci``, or None."""
    with store.read() as conn:
        return conn.execute(sa.select(penyimpanan_tanda.c.nilai).where(penyimpanan_tanda.c.kunci == kunci)).scalar()

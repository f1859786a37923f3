"""Marks of the store itself (``penyimpanan_tanda``): a demo store, the log row a daily
summary was written up to; and up to when the sources were last pulled (``sumber_tanda``)."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa

from selaras.store.database import Store
from selaras.store.tables import penyimpanan_tanda, sumber_tanda


def set_mark(store: Store, kunci: str, nilai: str, waktu: datetime) -> None:
    """Write the store's mark ``kunci`` (replacing it)."""
    with store.write() as conn:
        conn.execute(sa.delete(penyimpanan_tanda).where(penyimpanan_tanda.c.kunci == kunci))
        conn.execute(sa.insert(penyimpanan_tanda).values(kunci=kunci, nilai=nilai, waktu=waktu))


def mark(store: Store, kunci: str) -> str | None:
    """The value of the store's mark ``kunci``, or None."""
    with store.read() as conn:
        return conn.execute(sa.select(penyimpanan_tanda.c.nilai).where(penyimpanan_tanda.c.kunci == kunci)).scalar()


def source_watermark(store: Store, sumber: str) -> str | None:
    """Up to when the sources were last pulled (``sumber_tanda``), or ``None``."""
    with store.read() as conn:
        return conn.execute(sa.select(sumber_tanda.c.diperbarui_sampai).where(sumber_tanda.c.sumber == sumber)).scalar()


def set_source_watermark(store: Store, sumber: str, value: str) -> None:
    """Record up to when the sources were pulled."""
    t = datetime.now(UTC)
    with store.write() as conn:
        updated = conn.execute(
            sa.update(sumber_tanda).where(sumber_tanda.c.sumber == sumber).values(diperbarui_sampai=value, waktu=t)
        ).rowcount
        if not updated:
            conn.execute(sumber_tanda.insert().values(sumber=sumber, diperbarui_sampai=value, waktu=t))

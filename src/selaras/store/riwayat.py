"""The demo's history: runs logged now, moved back to the past day they stand for. Only
``selaras demo`` uses it, on a store it made (never on real data)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from selaras.store.database import Store
from selaras.store.tables import sync_log, sync_run


def newest_ids(store: Store) -> tuple[int, int]:
    """The newest run and log row ids (0 when none)."""
    with store.read() as conn:
        run = conn.execute(sa.select(sa.func.max(sync_run.c.run_id))).scalar()
        log = conn.execute(sa.select(sa.func.max(sync_log.c.log_id))).scalar()
    return int(run or 0), int(log or 0)


def move_back(store: Store, after: tuple[int, int], waktu: datetime) -> int:
    """Give the runs and log rows newer than ``after`` (``newest_ids`` before they were
    logged) the time ``waktu``; how many log rows moved."""
    run_id, log_id = after
    with store.write() as conn:
        conn.execute(sa.update(sync_run).where(sync_run.c.run_id > run_id).values(mulai=waktu, selesai=waktu))
        return conn.execute(sa.update(sync_log).where(sync_log.c.log_id > log_id).values(waktu=waktu)).rowcount or 0

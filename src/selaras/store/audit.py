"""Reading the ``audit_log`` table (one row per admin action)."""

from __future__ import annotations

import json
from datetime import UTC
from typing import Any

import sqlalchemy as sa

from selaras.store.database import Store
from selaras.store.tables import audit_log


def newest(
    store: Store, instansi_id: str | None, *, limit: int = 100, before: int | None = None
) -> list[dict[str, Any]]:
    """Audit rows newest first (of one instansi, or all with ``None``), before/after parsed."""
    q = sa.select(audit_log).order_by(audit_log.c.audit_id.desc()).limit(limit)
    if instansi_id is not None:
        q = q.where(audit_log.c.instansi_id == instansi_id)
    if before is not None:
        q = q.where(audit_log.c.audit_id < before)
    with store.read() as conn:
        out = []
        for r in conn.execute(q):
            e = dict(r._mapping)
            for k in ("sebelum", "sesudah"):
                e[k] = json.loads(e[k]) if e[k] else None
            if e["waktu"].tzinfo is None:
                e["waktu"] = e["waktu"].replace(tzinfo=UTC)
            out.append(e)
    return out

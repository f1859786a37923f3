"""The audit log of admin actions: who, when, what, before and after."""

from __future__ import annotations

import json
from contextlib import nullcontext
from datetime import UTC
from typing import Any

import sqlalchemy as sa

from selaras.store.admin import insert_audit
from selaras.store.database import Store
from selaras.store.tables import audit_log
from selaras.web.access import Pengguna


def record(
    store: Store,
    user: Pengguna,
    aksi: str,
    sasaran: str,
    *,
    sebelum: Any = None,
    sesudah: Any = None,
    instansi_id: str | None = None,
    conn: sa.Connection | None = None,
) -> None:
    """Write one audit row (in ``conn``'s transaction when given, so it commits with the change)."""
    with nullcontext(conn) if conn is not None else store.write() as c:
        insert_audit(
            c,
            username=user.akun.username,
            peran=user.peran.value,
            aksi=aksi,
            sasaran=sasaran,
            instansi_id=instansi_id or user.instansi_id,
            sebelum=sebelum,
            sesudah=sesudah,
        )


def entries(
    store: Store, instansi_id: str | None, *, limit: int = 100, before: int | None = None
) -> list[dict[str, Any]]:
    """Audit rows newest first (of one instansi, or all with ``None``)."""
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

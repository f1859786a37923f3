"""The audit log of admin actions: who, when, what, before and after."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from selaras.store import audit as stored
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
    row = {
        "waktu": datetime.now(UTC),
        "username": user.akun.username,
        "peran": user.peran.value,
        "aksi": aksi,
        "sasaran": sasaran,
        "instansi_id": instansi_id or user.instansi_id,
        "sebelum": None if sebelum is None else json.dumps(sebelum, default=str, ensure_ascii=False),
        "sesudah": None if sesudah is None else json.dumps(sesudah, default=str, ensure_ascii=False),
    }
    if conn is not None:
        conn.execute(sa.insert(audit_log), [row])
        return
    with store.write() as c:
        c.execute(sa.insert(audit_log), [row])


def entries(
    store: Store, instansi_id: str | None, *, limit: int = 100, before: int | None = None
) -> list[dict[str, Any]]:
    """Audit rows newest first (of one instansi, or all with ``None``)."""
    out = stored.newest(store, instansi_id, limit=limit, before=before)
    return readable(store, out)


def readable(store: Store, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Add ``nama`` (the account's name) and ``sasaran_label`` (what was acted on, by name:
    ``pegawai:<nip>``, ``unor:<id>``, ``periode:<id>``, ``instansi:<id>``) to audit rows."""
    from selaras.store import reads

    targets: dict[str, set[str]] = {}
    for e in rows:
        kind, _, key = str(e["sasaran"]).partition(":")
        targets.setdefault(kind, set()).add(key)
    names = {
        "pegawai": reads.names_of(store, targets.get("pegawai", set())),
        "unor": reads.unit_names(store, targets.get("unor", set())),
        "periode": reads.periode_names(store, targets.get("periode", set())),
        "instansi": reads.instansi_names(store, targets.get("instansi", set())),
    }
    what = {"pegawai": "Pegawai", "unor": "Unit kerja", "periode": "Periode", "instansi": "Instansi"}
    accounts = reads.account_names(store, {e["username"] for e in rows})
    for e in rows:
        kind, _, key = str(e["sasaran"]).partition(":")
        nama = names.get(kind, {}).get(key)
        label = what.get(kind, kind.capitalize())
        e["sasaran_label"] = f"{label} {nama} ({key})" if nama else f"{label} {key}"
        e["nama"] = accounts.get(e["username"], e["username"])
    return rows

"""Reading the ``audit_log`` table (one row per admin action): who, when, what, before and after,
with the names of what was acted on. Audit rows are written by the use cases, each in its own
transaction (``store.admin.insert_audit``)."""

from __future__ import annotations

import json
from datetime import UTC
from typing import Any

import sqlalchemy as sa

from selaras.catalogue import words
from selaras.catalogue.codes import CATALOGUE
from selaras.store import reads
from selaras.store.database import Store
from selaras.store.tables import audit_log


def entries(
    store: Store, instansi_id: str | None, *, limit: int = 100, before: int | None = None
) -> list[dict[str, Any]]:
    """Audit rows newest first (of one instansi, or all with ``None``), as people read them."""
    return readable(store, newest(store, instansi_id, limit=limit, before=before))


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


def readable(store: Store, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Add ``nama`` (the account's name) and ``sasaran_label`` (what was acted on, by name:
    ``pegawai:<nip>``, ``unor:<id>``, ``periode:<id>``, ``instansi:<id>``) to audit rows."""
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
    values = _names_in([e.get("sebelum") for e in rows] + [e.get("sesudah") for e in rows], store)
    what = {"pegawai": "Pegawai", "unor": "Unit kerja", "periode": "Periode", "instansi": "Instansi"}
    accounts = reads.account_names(store, {e["username"] for e in rows})
    for e in rows:
        kind, _, key = str(e["sasaran"]).partition(":")
        nama = names.get(kind, {}).get(key)
        label = what.get(kind, kind.capitalize())
        e["sasaran_label"] = f"{label} {nama} ({key})" if nama else f"{label} {key}"
        e["nama"] = accounts.get(e["username"], e["username"])
        e["sebelum_teks"] = words.rincian(e.get("sebelum"), values)
        e["sesudah_teks"] = words.rincian(e.get("sesudah"), values)
    return rows


def _names_in(values: list[Any], store: Store) -> dict[str, dict[str, str]]:
    """The names of every id and code in audit before/after values, by kind (one query per kind)."""
    wanted: dict[str, set[str]] = {}

    def walk(v: Any, field: str | None = None) -> None:
        if isinstance(v, dict):
            for k, x in v.items():
                walk(x, k)
        elif isinstance(v, list):
            for x in v:
                walk(x, field)
        elif isinstance(v, str) and v and field in words.RINCIAN_IDS:
            wanted.setdefault(words.RINCIAN_IDS[field], set()).add(v)

    for v in values:
        walk(v)
    lookups = {
        "orang": reads.names_of,
        "unor": reads.unit_names,
        "periode": reads.periode_names,
        "sekolah": reads.sekolah_names,
        "instansi": reads.instansi_names,
    }
    found: dict[str, dict[str, str]] = {}
    for kind, ids in wanted.items():
        if kind == "kode":
            found[kind] = {c: CATALOGUE[c].judul for c in ids if c in CATALOGUE}
        elif kind in lookups:
            found[kind] = dict(lookups[kind](store, ids))
    return found

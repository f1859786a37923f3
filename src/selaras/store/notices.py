"""The ``notifikasi`` table: notices stored once per unread (penerima, pegawai, code, title),
read per penerima, marked read, and the accounts' e-mail addresses for them."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from selaras.domain.pemberitahuan import Draft, Notice
from selaras.store import eskalasi as eskalasi_store
from selaras.store.database import Store
from selaras.store.tables import akun, notifikasi

CHUNK = 500


def insert_new(store: Store, rows: Sequence[dict[str, Any]]) -> int:
    """Insert notice rows (``penerima, nip, kode, judul, isi, job_id``) in one transaction,
    skipping a row whose unread twin (same penerima, nip, kode and judul) exists; how many."""
    if not rows:
        return 0
    t = datetime.now(UTC)
    with store.write() as conn:
        unread: set[tuple[Any, ...]] = set()
        targets = sorted({r["penerima"] for r in rows})
        for i in range(0, len(targets), CHUNK):
            found = conn.execute(
                sa.select(notifikasi.c.penerima, notifikasi.c.nip, notifikasi.c.kode, notifikasi.c.judul).where(
                    notifikasi.c.penerima.in_(targets[i : i + CHUNK]), notifikasi.c.dibaca.is_(False)
                )
            )
            unread.update(tuple(r) for r in found)
        new = []
        for r in rows:
            key = (r["penerima"], r["nip"], r["kode"], r["judul"])
            if key not in unread:
                unread.add(key)
                new.append({**r, "waktu": t, "dibaca": False})
        if new:
            conn.execute(notifikasi.insert(), new)
    return len(new)


def save(store: Store, drafts: Sequence[Draft]) -> int:
    """Store ``drafts``, skipping one whose unread twin (penerima, nip, kode) is there; how many."""
    return insert_new(
        store,
        [
            {"penerima": d.penerima, "nip": d.nip, "kode": d.kode, "judul": d.judul, "isi": d.isi, "job_id": d.job_id}
            for d in drafts
        ],
    )


def notices_for(store: Store, penerima: Sequence[str], *, limit: int = 50, unread_only: bool = False) -> list[Notice]:
    """The newest notices to any of ``penerima``."""
    return [_notice(m) for m in newest(store, penerima, limit=limit, unread_only=unread_only)]


def _notice(m: Any) -> Notice:
    waktu = m["waktu"]
    return Notice(
        notifikasi_id=int(m["notifikasi_id"]),
        penerima=m["penerima"],
        waktu=waktu.replace(tzinfo=UTC) if waktu.tzinfo is None else waktu,
        nip=m["nip"],
        kode=m["kode"],
        judul=m["judul"],
        isi=m["isi"],
        job_id=m["job_id"],
        dibaca=bool(m["dibaca"]),
    )


def newest(
    store: Store, penerima: Sequence[str], *, limit: int = 50, unread_only: bool = False
) -> list[dict[str, Any]]:
    """The newest notice rows to any of ``penerima``."""
    query = sa.select(notifikasi).where(notifikasi.c.penerima.in_(list(penerima)))
    if unread_only:
        query = query.where(notifikasi.c.dibaca.is_(False))
    query = query.order_by(notifikasi.c.notifikasi_id.desc()).limit(limit)
    with store.read() as conn:
        return [dict(r._mapping) for r in conn.execute(query)]


def mark_read(store: Store, penerima: Sequence[str], ids: Sequence[int]) -> int:
    """Mark notices read; only those addressed to ``penerima``. How many changed."""
    with store.write() as conn:
        r = conn.execute(
            sa.update(notifikasi)
            .where(notifikasi.c.notifikasi_id.in_(list(ids)), notifikasi.c.penerima.in_(list(penerima)))
            .values(dibaca=True)
        )
    return int(r.rowcount or 0)


def email_of(store: Store, kind: str, value: str) -> str | None:
    """The e-mail of the active account a penerima names: a pegawai by NIP, the operator of a
    school, the admin or dinas of an instansi."""
    where = {
        "pegawai": lambda v: akun.c.nip == v,
        "operator": lambda v: sa.and_(akun.c.peran == "operator", akun.c.npsn == v),
        "admin": lambda v: sa.and_(akun.c.peran == "admin", akun.c.instansi_id == v),
        "dinas": lambda v: sa.and_(akun.c.peran == "dinas", akun.c.instansi_id == v),
    }
    if kind not in where:
        return None
    with store.read() as conn:
        return conn.execute(
            sa.select(akun.c.email).where(where[kind](value), akun.c.aktif.is_(True), akun.c.email.isnot(None))
        ).scalar()


def account_address(store: Store) -> Callable[[str], str | None]:
    """``address_of(penerima)`` from the accounts: the e-mail of the account that penerima
    names (a pegawai by NIP, the operator of a school, the admin or dinas of an instansi), or
    the head of an agency's address in its escalation policy (``pimpinan:<instansi_id>``)."""
    found: dict[str, str | None] = {}

    def address_of(penerima: str) -> str | None:
        if penerima not in found:
            kind, _, value = penerima.partition(":")
            if kind == "pimpinan":
                # The head of an agency: the address in the instansi's escalation policy.
                found[penerima] = eskalasi_store.kebijakan_of(store, value).pimpinan_email
            else:
                found[penerima] = email_of(store, kind, value)
        return found[penerima]

    return address_of


def not_emailed(store: Store, limit: int) -> list[dict[str, Any]]:
    """Notice rows not yet e-mailed, oldest first."""
    with store.read() as conn:
        rows = conn.execute(
            sa.select(notifikasi)
            .where(notifikasi.c.email_terkirim.is_(None))
            .order_by(notifikasi.c.notifikasi_id)
            .limit(limit)
        )
        return [dict(r._mapping) for r in rows]


def mark_emailed(store: Store, ids: Sequence[int]) -> None:
    """Record that these notices were e-mailed (or have no address)."""
    if not ids:
        return
    with store.write() as conn:
        conn.execute(
            sa.update(notifikasi)
            .where(notifikasi.c.notifikasi_id.in_(list(ids)))
            .values(email_terkirim=datetime.now(UTC))
        )

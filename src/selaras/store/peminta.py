"""Who asked for the syncs a log shows: the job each log row finished (``sync_job.log_id``)
with who asked (``diminta_oleh``) and why (``alasan``), and the accounts' names and roles."""

from __future__ import annotations

from collections.abc import Collection

import sqlalchemy as sa

from selaras.store.database import Store
from selaras.store.tables import akun, sync_job

_CHUNK = 500


def requests_of(store: Store, rows: Collection[tuple[str, int]]) -> dict[int, tuple[str, str]]:
    """For log rows ``(nip, log_id)``: ``{log_id: (diminta_oleh, alasan)}`` of the job that
    row finished (the first asked, when requests joined one job). Read by NIP (indexed), so a
    page of the log costs one small query however many jobs the store holds."""
    pairs = sorted(set(rows))
    found: dict[int, tuple[str, str]] = {}
    with store.read() as conn:
        for i in range(0, len(pairs), _CHUNK):
            part = pairs[i : i + _CHUNK]
            wanted = {log_id for _, log_id in part}
            q = (
                sa.select(sync_job.c.log_id, sync_job.c.diminta_oleh, sync_job.c.alasan)
                .where(sync_job.c.nip.in_({nip for nip, _ in part}), sync_job.c.log_id.in_(wanted))
                .order_by(sync_job.c.job_id)
            )
            for log_id, diminta_oleh, alasan in conn.execute(q):
                if log_id in wanted and log_id not in found:
                    found[int(log_id)] = (diminta_oleh, alasan)
    return found


def account_labels(store: Store, usernames: Collection[str]) -> dict[str, tuple[str, str]]:
    """``{username: (nama, peran)}`` of the accounts that exist."""
    names = sorted(set(usernames))
    out: dict[str, tuple[str, str]] = {}
    with store.read() as conn:
        for i in range(0, len(names), _CHUNK):
            q = sa.select(akun.c.username, akun.c.nama, akun.c.peran).where(akun.c.username.in_(names[i : i + _CHUNK]))
            out.update({u: (n, p) for u, n, p in conn.execute(q)})
    return out

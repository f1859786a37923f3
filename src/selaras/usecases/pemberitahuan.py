"""What people do with their notices (read them) and what the batch and the escalation do with
them once stored (e-mail them). The notices are drafted by ``domain.pemberitahuan``."""

from __future__ import annotations

from collections.abc import Sequence

from selaras.catalogue import pemberitahuan as teks
from selaras.jobs import surel
from selaras.store import notices, uow
from selaras.store.database import Store


def mark_read(store: Store, penerima: Sequence[str], ids: Sequence[int]) -> int:
    """Mark notices read; only those addressed to ``penerima``. How many changed."""
    return uow.run(store, lambda u: notices.mark_read(u.store, penerima, ids), name="baca", lock=False)


def kirim_surel(store: Store, *, limit: int = 500) -> int:
    """E-mail notices not yet e-mailed, when ``$SELARAS_SMTP_HOST`` is set; how many were done.

    Each goes to the address of the account its penerima names (``store.notices.account_address``);
    a penerima without one keeps the notice in the app only, and it counts as done.
    """
    if not surel.configured():
        return 0
    address_of = notices.account_address(store)
    rows = notices.not_emailed(store, limit)
    messages = []
    for row in rows:
        to = address_of(row["penerima"])
        if to:
            messages.append(surel.Surel(to, teks.SUREL_SUBJEK.format(judul=row["judul"]), row["isi"]))
    surel.send(messages)
    notices.mark_emailed(store, [row["notifikasi_id"] for row in rows])
    return len(rows)

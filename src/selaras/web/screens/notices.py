"""A user's notices (written by ``domain.pemberitahuan`` and ``store.notices``)."""

from __future__ import annotations

from typing import Any

from selaras.domain.akun import Peran
from selaras.store.database import Store
from selaras.store.notices import notices_for
from selaras.usecases.access import Pengguna


def penerima_of(user: Pengguna) -> list[str]:
    """The notice addresses of a user (``store.notices``)."""
    p = user.peran
    if p is Peran.PEGAWAI and user.akun.nip:
        return [f"pegawai:{user.akun.nip}"]
    if p is Peran.OPERATOR and user.npsn:
        return [f"operator:{user.npsn}"]
    if p is Peran.ADMIN and user.instansi_id:
        return [f"admin:{user.instansi_id}"]
    if p is Peran.DINAS and user.instansi_id:
        return [f"dinas:{user.instansi_id}"]
    if p is Peran.PIMPINAN and user.instansi_id:
        return [f"pimpinan:{user.instansi_id}"]
    return []


def notices(store: Store, user: Pengguna, limit: int = 20) -> list[dict[str, Any]]:
    """The user's newest notices."""
    keys = penerima_of(user)
    if not keys:
        return []
    return [n.__dict__ for n in notices_for(store, keys, limit=limit)]

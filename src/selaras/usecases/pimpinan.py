"""The Admin Instansi changes the instansi's Plt policy (leaders.md): whether a Plt may assess
teachers' SKP (PLT-04) and how many months a Plt term lasts (PLT-03). One unit of work, audited."""

from __future__ import annotations

from typing import Any

from selaras.store import pimpinan as repo
from selaras.store import uow
from selaras.usecases.access import Ditolak, Pengguna, require_admin
from selaras.usecases.requests import Context, audit

MASA_BULAN = (1, 36)
"""The term a Plt policy may set, in months."""


def set_kebijakan_plt(
    ctx: Context, user: Pengguna, boleh_menilai: bool | None, masa_bulan: int | None
) -> dict[str, Any]:
    """Set the admin's instansi's Plt policy (``None`` keeps a value); 403 for other roles,
    422 for a term outside 1..36 months, nothing written then. The next check reads it."""
    instansi_id = require_admin(user)
    if masa_bulan is not None and not MASA_BULAN[0] <= masa_bulan <= MASA_BULAN[1]:
        raise Ditolak(422, f"Masa tugas Plt harus {MASA_BULAN[0]} sampai {MASA_BULAN[1]} bulan.")

    def work(u: uow.UnitOfWork) -> dict[str, Any]:
        sebelum = repo.setelan_of(u.conn, instansi_id)
        sesudah = dict(sebelum)
        if boleh_menilai is not None:
            sesudah["plt_boleh_menilai"] = boleh_menilai
        if masa_bulan is not None:
            sesudah["plt_masa_bulan"] = masa_bulan
        repo.save_setelan(u.conn, instansi_id, sesudah)
        audit(u.conn, user, "UBAH_KEBIJAKAN_PLT", f"instansi:{instansi_id}", sebelum=sebelum, sesudah=sesudah)
        return sesudah

    return {"instansi_id": instansi_id, **uow.run(ctx.store, work, name="kebijakan-plt")}

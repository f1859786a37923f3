"""The schools by leadership (leaders.md): the Dinas Pendidikan's list and the Admin Instansi's
PLT/PLH to-do list, with Indonesian labels and dates."""

from __future__ import annotations

from typing import Any

import polars as pl

from selaras.catalogue import dates, words
from selaras.domain.akun import Peran
from selaras.store import pimpinan
from selaras.usecases.access import Pengguna, forbidden, instansi_scope
from selaras.web.screens.konteks import Konteks

URUTAN = ("TANPA", "TIDAK_SAH", "BERAKHIR", "PLT", "PLH", "DEFINITIF")
"""The list's order: the schools whose teachers are blocked first."""


def daftar_pimpinan(ctx: Konteks, user: Pengguna, instansi_id: str | None = None) -> dict[str, Any]:
    """The schools of the user's instansi by how they are led today, with the teachers at
    stake (Dinas Pendidikan, Admin Instansi, Admin Nasional), and the Admin Instansi's PLT/PLH
    to-do list; 403 for the other roles."""
    if user.peran not in (Peran.DINAS, Peran.ADMIN, Peran.NASIONAL):
        raise forbidden("Daftar kepemimpinan sekolah hanya untuk Dinas Pendidikan dan Admin Instansi.")
    scope = instansi_scope(user, instansi_id)
    store = ctx.store
    kebijakan = pimpinan.kebijakan_of(store, instansi_id=scope)
    rows = pimpinan.sekolah_by_pimpinan(store, scope, kebijakan)
    for r in rows:
        r["keadaan_label"] = words.label(words.KEADAAN_PIMPINAN, r["keadaan"])
        r["tmt_label"] = dates.tanggal(r["tmt"]) if r["tmt"] else "-"
        r["akhir_label"] = dates.tanggal(r["akhir_masa"]) if r["akhir_masa"] else "-"
        r["penugasan_label"] = words.label(words.PENUGASAN_ATASAN, r["atasan_penugasan"] or "DEFINITIF")
        for key in ("tmt", "akhir_masa"):
            r[key] = r[key].isoformat() if r[key] else None
    rows.sort(key=lambda r: (URUTAN.index(str(r["keadaan"])), not r["segera_berakhir"], str(r["nama"])))
    ringkas = {k: sum(1 for r in rows if r["keadaan"] == k) for k in URUTAN}
    todo = pimpinan.admin_todo(rows)
    setelan = kebijakan.of_instansi(pl.DataFrame({"instansi_id": [scope or ""]})).row(0, named=True)
    return {
        "kebijakan": {"plt_boleh_menilai": setelan["plt_boleh_menilai"], "plt_masa_bulan": setelan["plt_masa_bulan"]},
        "tanggal": kebijakan.tanggal.isoformat(),
        "tanggal_label": dates.tanggal(kebijakan.tanggal),
        "ringkas": ringkas,
        "segera_berakhir": sum(1 for r in rows if r["segera_berakhir"]),
        "guru_terdampak": sum(int(r["guru"]) for r in rows if r["keadaan"] in ("TANPA", "TIDAK_SAH", "BERAKHIR")),
        "sekolah": rows,
        "menu_plt": todo["menu_plt"],
        "belum_diklaim": todo["belum_diklaim"],
    }

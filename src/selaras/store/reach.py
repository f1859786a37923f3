"""What an account reaches, read from the contract data: a pegawai's instansi and Dapodik PTK, a
school's instansi. The decisions on these facts are the use cases' (usecases/access.py); the SQL is here.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from selaras.domain.pegawai import match_keys
from selaras.store.database import Store
from selaras.store.tables import CONTRACT

_ptk = CONTRACT["dapodik_ptk"]
_peg = CONTRACT["siasn_pegawai"]
_sekolah = CONTRACT["dapodik_sekolah"]


@dataclass(frozen=True)
class PegawaiReach:
    """A pegawai's SIASN instansi and the Dapodik PTK matched as the rules match (NIP, then NIK)."""

    exists: bool
    instansi_id: str | None = None
    npsn: str | None = None
    jenis_ptk: str | None = None
    tugas_tambahan: str | None = None
    ptk_id: str | None = None


def pegawai_reach(store: Store, nip: str) -> PegawaiReach:
    """The pegawai ``nip``'s instansi and matched PTK (a PTK found by NIK counts: PMM-01 holds
    then, but the pegawai is still at that school)."""
    with store.read() as conn:
        peg = conn.execute(sa.select(_peg.c.instansi_id, _peg.c.nik).where(_peg.c.nip == nip)).first()
        for col, value in match_keys(nip, peg.nik if peg is not None else None):
            ptk = conn.execute(
                sa.select(_ptk.c.npsn, _ptk.c.jenis_ptk, _ptk.c.tugas_tambahan, _ptk.c.ptk_id)
                .where(_ptk.c[col] == value)
                .order_by(_ptk.c.ptk_id)
                .limit(1)
            ).first()
            if ptk is not None:
                return PegawaiReach(
                    peg is not None,
                    peg.instansi_id if peg is not None else None,
                    ptk.npsn,
                    ptk.jenis_ptk,
                    ptk.tugas_tambahan,
                    ptk.ptk_id,
                )
    return PegawaiReach(peg is not None, peg.instansi_id if peg is not None else None)


def sekolah_of(store: Store, npsn: str) -> tuple[str | None, str | None]:
    """(name, instansi) of the Dapodik school ``npsn``; (None, None) when unknown."""
    with store.read() as conn:
        row = conn.execute(sa.select(_sekolah.c.nama, _sekolah.c.instansi_id).where(_sekolah.c.npsn == npsn)).first()
    return (row.nama, row.instansi_id) if row is not None else (None, None)

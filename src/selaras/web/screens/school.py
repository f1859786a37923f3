"""The sync state of each pegawai of a school (operator, principal)."""

from __future__ import annotations

from typing import Any

import polars as pl

from selaras.catalogue import words
from selaras.domain.akun import Peran
from selaras.domain.pegawai import is_principal
from selaras.domain.results import Flow
from selaras.store import reads
from selaras.store.logs import latest_results
from selaras.usecases.access import Pengguna, forbidden
from selaras.web.screens.konteks import Konteks


def school_view(ctx: Konteks, user: Pengguna) -> dict[str, Any]:
    """The sync state of each pegawai of the user's school (operator, principal)."""
    plt = user.peran is Peran.PEGAWAI and not user.kepala_sekolah and bool(user.pimpinan_npsn)
    if not (user.peran is Peran.OPERATOR or (user.peran is Peran.PEGAWAI and user.kepala_sekolah) or plt):
        raise forbidden("Halaman sekolah untuk operator sekolah dan kepala sekolah.")
    store, tahun = ctx.store, ctx.tahun()
    # A running Plt/Plh sees the school led (leaders.md), not his or her own.
    npsn = user.pimpinan_npsn[0] if plt else user.npsn
    ptk = reads.school_ptk(store, npsn)
    state: dict[str, dict[str, Any]] = {}
    for flow in Flow:
        latest = latest_results(store, flow, user.instansi_id, tahun=tahun) if user.instansi_id else None
        if latest is None:
            continue
        codes = latest.errors.group_by("nip").agg(pl.col("code").unique(maintain_order=True))
        code_of = dict(zip(codes["nip"].to_list(), codes["code"].to_list(), strict=True))
        for r in latest.pegawai.iter_rows(named=True):
            state.setdefault(r["nip"], {})[flow.value] = {
                "status": r["status"],
                "status_label": words.label(words.STATUS, r["status"]),
                "kode": code_of.get(r["nip"], []),
            }
    rows = [
        {
            "nip": p["nip"],
            "nama": p["nama"],
            "jenis_ptk": p["jenis_ptk"],
            "kepala_sekolah": is_principal(p["jenis_ptk"], p["tugas_tambahan"]),
            "skp": state.get(p["nip"] or "", {}).get("skp"),
            "penilaian": state.get(p["nip"] or "", {}).get("penilaian"),
            "tahunan": state.get(p["nip"] or "", {}).get("tahunan"),
        }
        for p in ptk
    ]
    nama = reads.sekolah_nama(store, npsn) if plt else user.sekolah_nama
    return {"npsn": npsn, "nama": nama, "tahun": tahun, "pegawai": rows}

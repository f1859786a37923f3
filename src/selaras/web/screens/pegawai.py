"""The SKP page of one pegawai."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import polars as pl

from selaras.catalogue import words
from selaras.domain.akun import Peran
from selaras.domain.results import Flow
from selaras.jobs import queue
from selaras.store import reads
from selaras.store.database import Store
from selaras.usecases.access import Pengguna, not_found, require_pegawai
from selaras.usecases.periksa import Pemeriksaan, periksa_pegawai
from selaras.web.queries import latest_entry
from selaras.web.screens.cards import cards, job_view, result_view
from selaras.web.screens.konteks import Konteks
from selaras.web.screens.tahunan import tahun_pegawai_view


def pegawai_view(ctx: Konteks, user: Pengguna, nip: str) -> dict[str, Any]:
    """The SKP page of one pegawai: who, the PMM plans of the year (schools for a rotation),
    the e-Kinerja SKPs, whether the Sinkron PMM button shows (PMM-01), the latest result of
    each flow, and the jobs in progress."""
    store = ctx.store
    require_pegawai(store, user, nip)
    sendiri = user.peran is Peran.PEGAWAI and user.akun.nip == nip
    tahun = ctx.tahun()
    c = periksa_pegawai(store, nip, tahun, Flow.SKP)
    if c is None:
        raise not_found()
    p = c.pegawai
    skps = _skp_rows(store, c)
    ek = c.snapshot["ekinerja_skp"].filter(pl.col("nip") == nip)
    manual = [r for r in ek.iter_rows(named=True) if r["sumber"] == "MANUAL"]
    periode_names = reads.periode_names(store, [m["periode_id"] for m in manual])
    unit_names = reads.unit_names(store, [m["unor_id"] for m in manual if m["unor_id"]] + [p["unor_id"] or ""])
    for m in manual:
        m["periode_nama"] = periode_names.get(m["periode_id"])
        m["unor_nama"] = unit_names.get(m["unor_id"] or "")
    pmm01 = c.errors.filter(pl.col("code") == "PMM-01")
    hasil_skp = result_view(store, latest_entry(store, nip, Flow.SKP.value), sendiri=sendiri)
    hasil_penilaian = result_view(store, latest_entry(store, nip, Flow.PENILAIAN.value), sendiri=sendiri)
    hasil_penilaian, penilaian_catatan = _penilaian_now(hasil_skp, hasil_penilaian, tombol=pmm01.height == 0)
    jobs = [job_view(j) for j in queue.jobs_of(store, nip, limit=5)]
    return {
        "nip": nip,
        "nama": p["nama"],
        "jabatan": p["jabatan_nama"],
        "instansi_id": p["instansi_id"],
        "instansi_nama": reads.instansi_nama(store, p["instansi_id"]),
        "zona": ctx.zona(p["instansi_id"]),
        "unor_id": p["unor_id"],
        "unor_nama": unit_names.get(p["unor_id"] or ""),
        "kepala_sekolah": c.kepala_sekolah,
        "sendiri": sendiri,
        "sekolah": sorted({s["sekolah"] for s in skps}),
        "tahun": tahun,
        "skp": skps,
        "skp_manual": manual,
        "rotasi": len({s["npsn"] for s in skps}) > 1,
        "tombol_sinkron": pmm01.height == 0,
        "tanpa_tombol": _tanpa_tombol(store, c, pmm01, sendiri=sendiri),
        "hasil_skp": hasil_skp,
        "hasil_penilaian": hasil_penilaian,
        "penilaian_catatan": penilaian_catatan,
        "tahunan": tahun_pegawai_view(c),
        "hasil_tahunan": result_view(store, latest_entry(store, nip, Flow.TAHUNAN.value), sendiri=sendiri),
        "jobs": jobs,
        "job_aktif": next((j for j in jobs if j and j["status"] != queue.JobStatus.SELESAI.value), None),
        "boleh_sinkron": user.peran is Peran.ADMIN or sendiri,
        "boleh_ganti_manual": user.peran is Peran.ADMIN or sendiri,
    }


def _skp_rows(store: Store, c: Pemeriksaan) -> list[dict[str, Any]]:
    """The PMM plans of the year with the e-Kinerja SKP each one was synced to."""
    snap, nip = c.snapshot, c.nip
    sekolah = {r["npsn"]: r["nama"] for r in snap["dapodik_sekolah"].iter_rows(named=True)}
    lo, hi = date(c.tahun, 1, 1), date(c.tahun, 12, 31)
    pmm = (
        snap["pmm_skp"]
        .filter(
            pl.col("ptk_id").is_in(c.ptk["ptk_id"].to_list())
            & (pl.col("periode_awal") <= hi)
            & (pl.col("periode_akhir") >= lo)
        )
        .sort("periode_awal", "npsn")
    )
    atasan_names = reads.names_of(store, pmm["atasan_nip"].drop_nulls().to_list())
    ek = snap["ekinerja_skp"].filter(pl.col("nip") == nip)
    ek_by_pmm = {r["pmm_skp_id"]: r for r in ek.iter_rows(named=True) if r["pmm_skp_id"]}
    nilai_pmm = snap["pmm_penilaian"].group_by("pmm_skp_id").len()
    nilai_pmm_n = dict(zip(nilai_pmm["pmm_skp_id"].to_list(), nilai_pmm["len"].to_list(), strict=True))
    nilai_ek = snap["ekinerja_penilaian"].group_by("skp_id").len()
    nilai_ek_n = dict(zip(nilai_ek["skp_id"].to_list(), nilai_ek["len"].to_list(), strict=True))
    skps = []
    for r in pmm.iter_rows(named=True):
        synced = ek_by_pmm.get(r["pmm_skp_id"])
        skps.append(
            {
                "pmm_skp_id": r["pmm_skp_id"],
                "npsn": r["npsn"],
                "sekolah": sekolah.get(r["npsn"]) or r["npsn"],
                "periode_awal": r["periode_awal"],
                "periode_akhir": r["periode_akhir"],
                "status": r["status"],
                "status_label": words.label(words.NILAI, r["status"]),
                "atasan_nip": r["atasan_nip"],
                "atasan_nama": atasan_names.get(r["atasan_nip"] or "", None),
                "skp_id": synced["skp_id"] if synced else None,
                "penilaian_pmm": nilai_pmm_n.get(r["pmm_skp_id"], 0),
                "penilaian_ekinerja": nilai_ek_n.get(synced["skp_id"], 0) if synced else 0,
            }
        )
    return skps


def _tanpa_tombol(store: Store, c: Pemeriksaan, pmm01: pl.DataFrame, *, sendiri: bool) -> dict[str, Any] | None:
    """The PMM-01 card shown where the Sinkron PMM button is not, or None."""
    if not pmm01.height:
        return None
    p = c.pegawai
    entry = {
        "nip": c.nip,
        "nama": p["nama"],
        "npsn": c.ptk["npsn"][0] if c.ptk.height else None,
        "instansi_id": p["instansi_id"],
        "kepala_sekolah": c.kepala_sekolah,
        "errors": [{**pmm01.row(0, named=True), "detail": _json(pmm01["detail"][0])}],
    }
    return cards(store, entry, sendiri=sendiri)[0]


PENILAIAN_MENUNGGU_SKP = "PER-02"
"""The assessment's error that only says the SKP is not synced yet."""


def _penilaian_now(
    skp: dict[str, Any] | None, nilai: dict[str, Any] | None, *, tombol: bool
) -> tuple[dict[str, Any] | None, str | None]:
    """The assessment result as it stands now, and a note where the logged one is out of date.

    A "SKP belum tersinkron" (PER-02) logged before the SKP's latest successful sync is history:
    it is replaced by a note to run Sinkron Penilaian Periodik. Where the Sinkron PMM button is
    hidden (PMM-01), PER-02's step points at the PMM-01 card instead of at that button.
    """
    if nilai is None:
        return None, None
    codes = {k["code"] for k in nilai["kartu"]}
    if PENILAIAN_MENUNGGU_SKP not in codes:
        return nilai, None
    stale = skp is not None and skp["berhasil"] and skp["waktu"] >= nilai["waktu"]
    if stale and codes == {PENILAIAN_MENUNGGU_SKP}:
        return None, (
            "SKP sudah tersinkron ke e-Kinerja; penilaiannya kini dapat dikirim dengan Sinkron Penilaian Periodik."
        )
    if not tombol:
        for k in nilai["kartu"]:
            if k["code"] == PENILAIAN_MENUNGGU_SKP:
                k["langkah"] = [
                    "Tombol Sinkron PMM belum dapat muncul: selesaikan dulu kendala NIP di Dapodik "
                    "(kartu PMM-01 di atas).",
                    *k["langkah"][1:],
                ]
    return nilai, None


def _json(text: str | None) -> Any:
    return json.loads(text) if text else {}

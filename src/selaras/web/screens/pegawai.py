"""The SKP page of one pegawai."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import polars as pl

from selaras.catalogue import words
from selaras.domain.akun import Peran
from selaras.domain.pegawai import principal_expr
from selaras.domain.results import Flow
from selaras.domain.rules import check
from selaras.jobs import queue
from selaras.store import pimpinan, reads
from selaras.store.snapshots import load_snapshot
from selaras.usecases.access import Pengguna, not_found, require_pegawai
from selaras.web.queries import latest_entry
from selaras.web.screens.cards import cards, job_view, result_view
from selaras.web.screens.konteks import Konteks
from selaras.web.screens.tahunan import tahun_pegawai


def pegawai_view(ctx: Konteks, user: Pengguna, nip: str) -> dict[str, Any]:
    """The SKP page of one pegawai: who, the PMM plans of the year (schools for a rotation),
    the e-Kinerja SKPs, whether the Sinkron PMM button shows (PMM-01), the latest result of
    each flow, and the jobs in progress."""
    store = ctx.store
    require_pegawai(store, user, nip)
    sendiri = user.peran is Peran.PEGAWAI and user.akun.nip == nip
    tahun = ctx.tahun()
    snap = load_snapshot(store, [nip])
    peg = snap["siasn_pegawai"].filter(pl.col("nip") == nip)
    if peg.height == 0:
        raise not_found()
    p = peg.row(0, named=True)
    live = check(
        snap, tahun, Flow.SKP, nips=[nip], kebijakan=pimpinan.kebijakan_of(store, instansi_id=p["instansi_id"])
    )
    live_errors = live.errors.filter(pl.col("nip") == nip)
    ptk = snap["dapodik_ptk"].filter((pl.col("nip") == nip) | (pl.col("nik") == p["nik"]))
    ptk_ids = ptk["ptk_id"].to_list()
    sekolah = {r["npsn"]: r["nama"] for r in snap["dapodik_sekolah"].iter_rows(named=True)}
    lo, hi = date(tahun, 1, 1), date(tahun, 12, 31)
    pmm = (
        snap["pmm_skp"]
        .filter(pl.col("ptk_id").is_in(ptk_ids) & (pl.col("periode_awal") <= hi) & (pl.col("periode_akhir") >= lo))
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
    manual = [r for r in ek.iter_rows(named=True) if r["sumber"] == "MANUAL"]
    periode_names = reads.periode_names(store, [m["periode_id"] for m in manual])
    unit_names = reads.unit_names(store, [m["unor_id"] for m in manual if m["unor_id"]] + [p["unor_id"] or ""])
    for m in manual:
        m["periode_nama"] = periode_names.get(m["periode_id"])
        m["unor_nama"] = unit_names.get(m["unor_id"] or "")
    # The PTK matched as the rules match it (by NIP, else by NIK: a principal whose Dapodik NIP is
    # wrong is a principal here too, and his PMM-01 card names him so).
    own_ptk = ptk.filter(pl.col("nip") == nip) if ptk.filter(pl.col("nip") == nip).height else ptk
    ks = bool(own_ptk.select(principal_expr()).to_series().any()) if own_ptk.height else False
    mine = live.pegawai.filter(pl.col("nip") == nip)
    if snap["dapodik_tugas_tambahan"].height and mine.height:
        ks = bool(mine["kepala_sekolah"].item())  # leaders.md: a running Plt leads; an ended duty does not
    pmm01 = live_errors.filter(pl.col("code") == "PMM-01")
    tanpa_tombol = None
    if pmm01.height:
        entry = {
            "nip": nip,
            "nama": p["nama"],
            "npsn": ptk["npsn"][0] if ptk.height else None,
            "instansi_id": p["instansi_id"],
            "kepala_sekolah": ks,
            "errors": [{**pmm01.row(0, named=True), "detail": _json(pmm01["detail"][0])}],
        }
        tanpa_tombol = cards(store, entry, sendiri=sendiri)[0]
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
        "kepala_sekolah": ks,
        "sendiri": sendiri,
        "sekolah": sorted({s["sekolah"] for s in skps}),
        "tahun": tahun,
        "skp": skps,
        "skp_manual": manual,
        "rotasi": len({s["npsn"] for s in skps}) > 1,
        "tombol_sinkron": pmm01.height == 0,
        "tanpa_tombol": tanpa_tombol,
        "hasil_skp": hasil_skp,
        "hasil_penilaian": hasil_penilaian,
        "penilaian_catatan": penilaian_catatan,
        "tahunan": tahun_pegawai(snap, tahun, nip),
        "hasil_tahunan": result_view(store, latest_entry(store, nip, Flow.TAHUNAN.value), sendiri=sendiri),
        "jobs": jobs,
        "job_aktif": next((j for j in jobs if j and j["status"] != queue.JobStatus.SELESAI.value), None),
        "boleh_sinkron": user.peran is Peran.ADMIN or sendiri,
        "boleh_ganti_manual": user.peran is Peran.ADMIN or sendiri,
    }


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

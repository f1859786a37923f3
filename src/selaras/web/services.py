"""The writing actions of the web (sync requests, bulk sync, Manajemen Periode, a unit's
superior, replacing a manual SKP). Being moved to ``selaras.usecases``; the screens (what pages
and the API show) are in ``selaras.web.screens``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date
from typing import Any

import polars as pl
import sqlalchemy as sa

from selaras.catalogue.codes import CATALOGUE, lookup
from selaras.domain.overlap import tahunan_overlaps
from selaras.domain.results import Flow
from selaras.domain.rules import periode_problems
from selaras.jobs import cascade
from selaras.store.repository import latest_results, upsert_rows
from selaras.store.tables import CONTRACT
from selaras.web import audit
from selaras.web.access import (
    Ditolak,
    Pengguna,
    forbidden,
    not_found,
    require_admin,
    require_pegawai,
    require_sync_for,
)
from selaras.web.accounts import Peran
from selaras.web.screens.konteks import Konteks
from selaras.web.screens.lists import periode_list

MASSAL_MAX = 20_000
"""Pegawai per bulk sync request."""
NIP_RE = re.compile(r"^\d{18}$")

_peg = CONTRACT["siasn_pegawai"]
_ptk = CONTRACT["dapodik_ptk"]
_sekolah = CONTRACT["dapodik_sekolah"]
_instansi = CONTRACT["instansi"]
_unor = CONTRACT["siasn_unor"]
_ek_unor = CONTRACT["ekinerja_unor"]
_ek_skp = CONTRACT["ekinerja_skp"]
_ek_rhk = CONTRACT["ekinerja_rhk"]
_periode = CONTRACT["ekinerja_periode"]

# ------------------------------------------------------------------------------ actions


def request_sync(ctx: Konteks, user: Pengguna, nip: str, flow: Flow) -> list[int]:
    """Queue a sync of ``nip`` (the pegawai's button, or an admin on their behalf: audited)."""
    alasan = require_sync_for(ctx.store, user, nip)
    tahun = ctx.tahun()
    ids = ctx.runner.submit([nip], Flow(flow), tahun, alasan=alasan, diminta_oleh=user.akun.username)
    if alasan == "ADMIN":
        from selaras.web.queries import latest_state

        audit.record(
            ctx.store,
            user,
            "SINKRON_ATAS_NAMA",
            f"pegawai:{nip}",
            sebelum=latest_state(ctx.store, nip, Flow(flow).value, tahun),
            sesudah={"flow": Flow(flow).value, "tahun": tahun, "job_id": ids},
        )
    return ids


def bulk_sync(
    ctx: Konteks,
    user: Pengguna,
    *,
    flow: Flow = Flow.SKP,
    npsn: str | None = None,
    nips: Sequence[str] | None = None,
    code: str | None = None,
    semua: bool = False,
) -> dict[str, Any]:
    """Queue a sync for a school, a selection, everyone whose latest result has ``code``, or
    (``semua``) every pegawai of the admin's instansi; audited. ``{jumlah, job_ids}``."""
    instansi_id = require_admin(user)
    store, tahun = ctx.store, ctx.tahun()
    if not (npsn or nips or code or semua):
        raise Ditolak(422, "Pilih sekolah, pegawai, kode kendala, atau semua pegawai.")
    if code and code not in CATALOGUE:
        raise Ditolak(422, f"Kode {code} tidak dikenal.")
    chosen: set[str] = set()
    latest = latest_results(store, Flow(flow), instansi_id, tahun=tahun)
    if npsn:
        with store.read() as conn:
            rows = conn.execute(
                sa.select(_peg.c.nip)
                .join(_unor, _unor.c.unor_id == _peg.c.unor_id)
                .where(_unor.c.npsn == npsn, _peg.c.instansi_id == instansi_id)
            )
            chosen.update(r[0] for r in rows)
        if latest is not None:
            chosen.update(latest.pegawai.filter(pl.col("npsn") == npsn)["nip"].to_list())
    if semua:
        with store.read() as conn:
            chosen.update(r[0] for r in conn.execute(sa.select(_peg.c.nip).where(_peg.c.instansi_id == instansi_id)))
    if code and latest is not None:
        chosen.update(latest.errors.filter(pl.col("code") == code)["nip"].unique().to_list())
    if nips:
        wanted = sorted(set(nips))
        with store.read() as conn:
            found = {
                r[0]
                for i in range(0, len(wanted), 500)
                for r in conn.execute(
                    sa.select(_peg.c.nip).where(_peg.c.nip.in_(wanted[i : i + 500]), _peg.c.instansi_id == instansi_id)
                )
            }
        if len(found) != len(wanted):
            raise not_found("Sebagian pegawai yang dipilih tidak ditemukan di instansi Anda.")
        chosen.update(found)
    if len(chosen) > MASSAL_MAX:
        raise Ditolak(422, f"Terlalu banyak pegawai ({len(chosen):,}); batas satu permintaan {MASSAL_MAX:,}.")
    ordered = sorted(chosen)
    ids = (
        ctx.runner.submit(ordered, Flow(flow), tahun, alasan="MASSAL", diminta_oleh=user.akun.username)
        if ordered
        else []
    )
    audit.record(
        store,
        user,
        "SINKRON_MASSAL",
        f"instansi:{instansi_id}",
        sebelum={
            "kriteria": {"npsn": npsn, "kode": code, "nip": list(nips or []), "semua": semua},
            "flow": Flow(flow).value,
        },
        sesudah={"jumlah": len(ordered), "tahun": tahun, "job_id_pertama": ids[0] if ids else None},
    )
    return {"jumlah": len(ordered), "job_ids": ids}


def _cascade(ctx: Konteks, user: Pengguna, nips: Sequence[str], flow: Flow = Flow.SKP) -> int:
    if not nips:
        return 0
    ids = ctx.runner.submit(list(nips), flow, ctx.tahun(), alasan="KASKADE", diminta_oleh=user.akun.username)
    return len(ids)


# ---------------------------------------------------------------------- Manajemen Periode


def _periode_frame(rows: list[dict[str, Any]]) -> pl.DataFrame:
    from selaras.domain.snapshot import TABLE

    return (
        pl.DataFrame(rows, schema=TABLE["ekinerja_periode"].polars_schema, orient="row")
        if rows
        else pl.DataFrame(schema=TABLE["ekinerja_periode"].polars_schema)
    )


def save_periode(ctx: Konteks, user: Pengguna, data: dict[str, Any]) -> dict[str, Any]:
    """Create or change one period of the admin's instansi. A setup that would not be standard
    (PER-01: mixed types, a number twice, out of range) is refused with the reasons (422)."""
    instansi_id = require_admin(user)
    store = ctx.store
    row = {
        "periode_id": (data.get("periode_id") or "").strip(),
        "instansi_id": instansi_id,
        "nama": (data.get("nama") or "").strip(),
        "jenis": (data.get("jenis") or "").strip().upper(),
        "awal": data.get("awal"),
        "akhir": data.get("akhir"),
        "tipe_periodik": (data.get("tipe_periodik") or "").strip().upper() or None,
        "angka_periodik": data.get("angka_periodik"),
    }
    problems = []
    if not row["periode_id"]:
        problems.append("ID periode wajib diisi.")
    if row["jenis"] not in ("TAHUNAN", "PERIODIK"):
        problems.append("Jenis periode harus TAHUNAN atau PERIODIK.")
    try:
        row["awal"] = _date(row["awal"])
        row["akhir"] = _date(row["akhir"])
        if row["awal"] > row["akhir"]:
            problems.append("Tanggal awal sesudah tanggal akhir.")
    except (TypeError, ValueError):
        problems.append("Tanggal awal dan akhir wajib, format YYYY-MM-DD.")
    if row["angka_periodik"] in ("", None):
        row["angka_periodik"] = None
    else:
        try:
            row["angka_periodik"] = int(row["angka_periodik"])
        except (TypeError, ValueError):
            problems.append("Nomor periodik harus angka.")
    if row["jenis"] == "PERIODIK":
        if row["tipe_periodik"] not in ("BULANAN", "TRIWULANAN"):
            problems.append("Periode PERIODIK memerlukan jenis BULANAN atau TRIWULANAN.")
        if row["angka_periodik"] is None:
            problems.append("Periode PERIODIK memerlukan nomor.")
    else:
        row["tipe_periodik"], row["angka_periodik"] = None, None
    if problems:
        raise Ditolak(422, " ".join(problems))
    existing = periode_list(store, instansi_id)
    with store.read() as conn:
        owner = conn.execute(
            sa.select(_periode.c.instansi_id).where(_periode.c.periode_id == row["periode_id"])
        ).scalar()
    if owner is not None and owner != instansi_id:  # out of reach: the same answer as for what does not exist
        raise not_found(f"ID periode {row['periode_id']} tidak dapat dipakai; pilih ID lain.")
    overlaps = tahunan_overlaps(existing, row)
    if overlaps:
        raise Ditolak(422, " ".join(overlaps))
    before = next((r for r in existing if r["periode_id"] == row["periode_id"]), None)
    after = [r for r in existing if r["periode_id"] != row["periode_id"]] + [row]
    if row["jenis"] == "PERIODIK":
        reasons = periode_problems(_periode_frame(after), instansi_id, row["awal"].year)
        if reasons:
            raise Ditolak(422, "Pengaturan ditolak (PER-01, " + lookup("PER-01").judul + "): " + " ".join(reasons))
    upsert_rows(store, "ekinerja_periode", _periode_frame([row]))
    audit.record(store, user, "PERIODE_SIMPAN", f"periode:{row['periode_id']}", sebelum=before, sesudah=row)
    _cascade(ctx, user, _blocked_by(ctx, instansi_id, ("PMM-06",)), Flow.SKP)
    _cascade(ctx, user, _blocked_by(ctx, instansi_id, ("PER-01",), Flow.PENILAIAN), Flow.PENILAIAN)
    return row


def delete_periode(ctx: Konteks, user: Pengguna, periode_id: str) -> None:
    """Delete one period of the admin's instansi (audited); 404 for another instansi's."""
    instansi_id = require_admin(user)
    existing = periode_list(ctx.store, instansi_id)
    before = next((r for r in existing if r["periode_id"] == periode_id), None)
    if before is None:
        raise not_found("Periode tidak ditemukan di instansi Anda.")
    with ctx.store.write() as conn:
        conn.execute(sa.delete(_periode).where(_periode.c.periode_id == periode_id))
        audit.record(ctx.store, user, "PERIODE_HAPUS", f"periode:{periode_id}", sebelum=before, conn=conn)


def _blocked_by(ctx: Konteks, instansi_id: str, codes: Sequence[str], flow: Flow = Flow.SKP) -> list[str]:
    latest = latest_results(ctx.store, flow, instansi_id, tahun=ctx.tahun())
    if latest is None:
        return []
    return sorted(set(latest.errors.filter(pl.col("code").is_in(list(codes)))["nip"].to_list()))


def _date(value: Any) -> date:
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


# ------------------------------------------------------------------ units and manual SKP


def set_atasan(ctx: Konteks, user: Pengguna, unor_id: str, atasan_nip: str) -> dict[str, Any]:
    """Change the superior of one unit in e-Kinerja (audited), then re-check whom it concerns."""
    instansi_id = require_admin(user)
    store = ctx.store
    if not NIP_RE.match(atasan_nip or ""):
        raise Ditolak(422, "NIP atasan harus 18 angka.")
    with store.read() as conn:
        owner = conn.execute(sa.select(_unor.c.instansi_id).where(_unor.c.unor_id == unor_id)).scalar()
        before = conn.execute(sa.select(_ek_unor).where(_ek_unor.c.unor_id == unor_id)).first()
    if owner != instansi_id:
        raise not_found("Unit kerja tidak ditemukan di instansi Anda.")
    sebelum = dict(before._mapping) if before is not None else None
    after = {"unor_id": unor_id, "aktif": sebelum["aktif"] if sebelum else True, "atasan_nip": atasan_nip}
    from selaras.domain.snapshot import TABLE

    upsert_rows(store, "ekinerja_unor", pl.DataFrame([after], schema=TABLE["ekinerja_unor"].polars_schema))
    audit.record(store, user, "UBAH_ATASAN_UNOR", f"unor:{unor_id}", sebelum=sebelum, sesudah=after)
    n = _cascade(ctx, user, cascade.affected(store, unor_id=unor_id, flow=Flow.SKP), Flow.SKP)
    return {**after, "dicoba_lagi": n}


def replace_manual_skp(ctx: Konteks, user: Pengguna, nip: str, skp_id: str) -> dict[str, Any]:
    """Let the synced SKP replace a MANUAL e-Kinerja SKP (PMM-07): the manual SKP and its RHK
    are removed in one transaction with the audit row, then the pegawai's sync is queued."""
    if not (user.peran is Peran.ADMIN or (user.peran is Peran.PEGAWAI and user.akun.nip == nip)):
        require_pegawai(ctx.store, user, nip)
        raise forbidden("Hanya pegawai itu sendiri atau Admin Instansi yang dapat mengganti SKP manual.")
    require_pegawai(ctx.store, user, nip)
    store = ctx.store
    with store.write() as conn:
        skp = conn.execute(sa.select(_ek_skp).where(_ek_skp.c.skp_id == skp_id, _ek_skp.c.nip == nip)).first()
        if skp is None or skp.sumber != "MANUAL":
            raise not_found("SKP manual tidak ditemukan untuk pegawai ini.")
        rhk = [dict(r._mapping) for r in conn.execute(sa.select(_ek_rhk).where(_ek_rhk.c.skp_id == skp_id))]
        conn.execute(sa.delete(_ek_rhk).where(_ek_rhk.c.skp_id == skp_id))
        conn.execute(sa.delete(_ek_skp).where(_ek_skp.c.skp_id == skp_id))
        audit.record(
            store,
            user,
            "GANTI_SKP_MANUAL",
            f"pegawai:{nip}",
            sebelum={"skp": dict(skp._mapping), "rhk": rhk},
            sesudah={"skp": None, "diganti_oleh": "SKP hasil Sinkron PMM"},
            conn=conn,
        )
    alasan = "TOMBOL" if user.peran is Peran.PEGAWAI else "ADMIN"
    ids = ctx.runner.submit([nip], Flow.SKP, ctx.tahun(), alasan=alasan, diminta_oleh=user.akun.username)
    return {"skp_id": skp_id, "dihapus_rhk": len(rhk), "job_ids": ids}

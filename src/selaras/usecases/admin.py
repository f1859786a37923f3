"""Admin actions that change data: periods, a unit's superior, replacing a MANUAL SKP.

Each action is one function and one write transaction: the change, its audit row and the
re-checks it asks for commit together or not at all. An action that would delete or overwrite
data that nothing replaces is refused with the reason (in Bahasa Indonesia) before anything is
written: a period that SKP or assessments refer to is not deleted nor retyped; a MANUAL SKP is
replaced only by the pegawai's PMM plan, synced in the same transaction.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import polars as pl
import sqlalchemy as sa

from selaras.catalogue.codes import lookup
from selaras.domain.akun import Peran
from selaras.domain.overlap import tahunan_overlaps
from selaras.domain.pimpinan import Kebijakan
from selaras.domain.results import Flow, Outcome, Status, SyncResult
from selaras.domain.rules import periode_problems
from selaras.domain.snapshot import TABLE, Snapshot
from selaras.domain.sync import sync as plan_sync
from selaras.store import admin as repo
from selaras.store import pimpinan, reads, uow
from selaras.store.changes import apply_changes
from selaras.store.logs import record_run
from selaras.store.snapshots import load_snapshot
from selaras.usecases import cascade
from selaras.usecases.access import (
    Ditolak,
    Pengguna,
    forbidden,
    not_found,
    require_admin,
    require_pegawai,
)
from selaras.usecases.requests import Context, audit, blocked_by, request_cascade

NIP_DIGITS = 18


def _date(value: Any) -> date:
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


# ---------------------------------------------------------------------- Manajemen Periode


def _periode_row(instansi_id: str, data: dict[str, Any]) -> dict[str, Any]:
    """The period row from a form or JSON body; 422 with every problem at once."""
    row: dict[str, Any] = {
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
    return row


def _periode_frame(rows: list[dict[str, Any]]) -> pl.DataFrame:
    schema = TABLE["ekinerja_periode"].polars_schema
    return pl.DataFrame(rows, schema=schema, orient="row") if rows else pl.DataFrame(schema=schema)


def _uses_text(uses: dict[str, int]) -> str:
    parts = []
    if uses["skp"]:
        parts.append(f"{uses['skp']} SKP e-Kinerja")
    if uses["penilaian"]:
        parts.append(f"{uses['penilaian']} penilaian periodik")
    return " dan ".join(parts)


def save_periode(ctx: Context, user: Pengguna, data: dict[str, Any]) -> dict[str, Any]:
    """Create or change one period of the admin's instansi, audited, and re-check whom it concerns.

    Refused, with nothing written: bad input (422); a setup that would not be standard (PER-01:
    mixed types, a number twice, out of range; 422); TAHUNAN periods that overlap (422); another
    instansi's id (404, as for anything out of reach); changing the
    type or number of a period that SKP or assessments refer to (409: they would be read as
    another period's)."""
    instansi_id = require_admin(user)
    row = _periode_row(instansi_id, data)
    skp_waiting = blocked_by(ctx, instansi_id, ("PMM-06",), Flow.SKP)
    nilai_waiting = blocked_by(ctx, instansi_id, ("PER-01",), Flow.PENILAIAN)

    def work(u: uow.UnitOfWork) -> int:
        tx, conn = u.store, u.conn
        owner = repo.periode_owner(conn, row["periode_id"])
        if owner is not None and owner != instansi_id:  # out of reach: the same answer as for what does not exist
            raise not_found(f"ID periode {row['periode_id']} tidak dapat dipakai; pilih ID lain.")
        existing = reads.periode_list(tx, instansi_id)
        overlaps = tahunan_overlaps(existing, row)
        if overlaps:
            raise Ditolak(422, " ".join(overlaps))
        before = next((r for r in existing if r["periode_id"] == row["periode_id"]), None)
        if before is not None:
            retyped = any(before[k] != row[k] for k in ("jenis", "tipe_periodik", "angka_periodik"))
            uses = repo.periode_uses(conn, row["periode_id"])
            if retyped and (uses["skp"] or uses["penilaian"]):
                raise Ditolak(
                    409,
                    f"Jenis atau nomor periode {row['periode_id']} tidak dapat diubah: {_uses_text(uses)} "
                    "memakai periode ini. Buat periode baru bila perlu.",
                )
        after = [r for r in existing if r["periode_id"] != row["periode_id"]] + [row]
        if row["jenis"] == "PERIODIK":
            reasons = periode_problems(_periode_frame(after), instansi_id, row["awal"].year)
            if reasons:
                raise Ditolak(422, "Pengaturan ditolak (PER-01, " + lookup("PER-01").judul + "): " + " ".join(reasons))
        repo.save_periode(conn, row)
        audit(conn, user, "PERIODE_SIMPAN", f"periode:{row['periode_id']}", sebelum=before, sesudah=row)
        n = request_cascade(ctx, tx, user, skp_waiting, Flow.SKP)
        n += request_cascade(ctx, tx, user, nilai_waiting, Flow.PENILAIAN)
        return n

    n = uow.run(ctx.store, work, name="periode")
    if n:
        ctx.runner.wake()
    return row


def delete_periode(ctx: Context, user: Pengguna, periode_id: str) -> None:
    """Delete one period of the admin's instansi, audited; 404 for another instansi's, 409 while
    SKP or assessments refer to it (they would lose their period)."""
    instansi_id = require_admin(user)

    def work(u: uow.UnitOfWork) -> None:
        conn = u.conn
        before = next((r for r in reads.periode_list(u.store, instansi_id) if r["periode_id"] == periode_id), None)
        if before is None:
            raise not_found("Periode tidak ditemukan di instansi Anda.")
        uses = repo.periode_uses(conn, periode_id)
        if uses["skp"] or uses["penilaian"]:
            raise Ditolak(
                409,
                f"Periode {before['nama'] or periode_id} tidak dapat dihapus: {_uses_text(uses)} memakai periode ini.",
            )
        repo.delete_periode(conn, periode_id)
        audit(conn, user, "PERIODE_HAPUS", f"periode:{periode_id}", sebelum=before)

    uow.run(ctx.store, work, name="periode")


# ------------------------------------------------------------------------ unit superior


def set_atasan(ctx: Context, user: Pengguna, unor_id: str, atasan_nip: str) -> dict[str, Any]:
    """Change the superior of one unit in e-Kinerja (audited) and re-check whom it concerns.

    Refused with nothing written: a NIP that is not 18 digits (422), a unit outside the admin's
    instansi (404), a NIP that is no pegawai of the instansi in SIASN (422)."""
    instansi_id = require_admin(user)
    atasan_nip = (atasan_nip or "").strip()
    if not (len(atasan_nip) == NIP_DIGITS and atasan_nip.isdigit()):
        raise Ditolak(422, "NIP atasan harus 18 angka.")
    concerned = cascade.affected(ctx.store, unor_id=unor_id, flow=Flow.SKP)

    def work(u: uow.UnitOfWork) -> tuple[dict[str, Any], int]:
        tx, conn = u.store, u.conn
        if repo.unor_owner(conn, unor_id) != instansi_id:
            raise not_found("Unit kerja tidak ditemukan di instansi Anda.")
        if repo.pegawai_instansi(conn, atasan_nip) != instansi_id:
            raise Ditolak(422, f"NIP atasan {atasan_nip} bukan pegawai instansi Anda di SIASN.")
        sebelum = repo.ekinerja_unor(conn, unor_id)
        after = {"unor_id": unor_id, "aktif": sebelum["aktif"] if sebelum else True, "atasan_nip": atasan_nip}
        repo.save_ekinerja_unor(conn, after)
        audit(conn, user, "UBAH_ATASAN_UNOR", f"unor:{unor_id}", sebelum=sebelum, sesudah=after)
        n = request_cascade(ctx, tx, user, concerned, Flow.SKP)
        return after, n

    after, n = uow.run(ctx.store, work, name="atasan")
    if n:
        ctx.runner.wake()
    return {**after, "dicoba_lagi": n}


# --------------------------------------------------------------------------- manual SKP


def _without(snapshot: Snapshot, skp_id: str) -> Snapshot:
    return snapshot.replace(
        ekinerja_skp=snapshot["ekinerja_skp"].filter(pl.col("skp_id") != skp_id),
        ekinerja_rhk=snapshot["ekinerja_rhk"].filter(pl.col("skp_id") != skp_id),
    )


def _manual_skp_id(detail: str | dict[str, Any] | None) -> str | None:
    """The MANUAL SKP a PMM-07 detail names."""
    d = json.loads(detail) if isinstance(detail, str) else detail or {}
    return (d.get("ekinerja") or {}).get("skp_id")


def _reasons(errors: pl.DataFrame) -> list[str]:
    out = []
    for code in errors["code"].unique(maintain_order=True).to_list():
        out.append(f"{code}: {lookup(code).judul}")
    return out


def _refuse_losses(conn: sa.Connection, skp_id: str, rhk: list[dict[str, Any]]) -> None:
    """409 when replacing the SKP would lose data: its assessments, or other RHK linked to its RHK."""
    lost = []
    if nilai := repo.penilaian_of(conn, skp_id):
        lost.append(f"SKP ini sudah memiliki {len(nilai)} penilaian periodik yang akan hilang.")
    if linked := repo.rhk_linked_to(conn, [r["rhk_id"] for r in rhk], skp_id):
        owners = sorted({r["nip"] or "?" for r in linked})
        lost.append(
            f"{len(linked)} RHK pegawai lain (NIP {', '.join(owners)}) terkait ke RHK SKP ini dan akan "
            "kehilangan induknya."
        )
    if lost:
        raise Ditolak(409, "SKP manual tidak dapat diganti: " + " ".join(lost))


def _plan_without(snapshot: Snapshot, nip: str, skp_id: str, tahun: int, kebijakan: Kebijakan) -> SyncResult:
    """The sync plan of ``nip`` once the MANUAL SKP ``skp_id`` is gone; 409 unless PMM-07 names
    that SKP now and the pegawai's PMM plan would then sync."""
    # The SKP must be the one PMM-07 reports: a MANUAL SKP that no PMM plan collides with
    # would be deleted with nothing in its place.
    _, now = plan_sync(snapshot, tahun, Flow.SKP, nips=[nip], kebijakan=kebijakan)
    own = now.check.errors.filter((pl.col("code") == "PMM-07") & (pl.col("nip") == nip))
    if not any(_manual_skp_id(d) == skp_id for d in own["detail"].to_list()):
        raise Ditolak(
            409,
            "SKP manual tidak dapat diganti: tidak ada SKP dari PMM pada periode dan unit kerja SKP ini "
            "yang akan menggantikannya (kendala PMM-07 tidak berlaku untuk SKP ini).",
        )
    _, result = plan_sync(_without(snapshot, skp_id), tahun, Flow.SKP, nips=[nip], kebijakan=kebijakan)
    mine = result.check.pegawai.filter(pl.col("nip") == nip)
    status = mine["status"][0] if mine.height else None
    if status not in (Status.SIAP.value, Status.TERSINKRON.value):
        errors = result.check.errors.filter(pl.col("nip") == nip)
        reasons = _reasons(errors) if errors.height else ["pegawai tidak dalam cakupan Sinkron PMM"]
        raise Ditolak(
            409,
            "SKP manual tidak dapat diganti: tanpa SKP ini pun SKP dari PMM belum dapat disinkronkan ("
            + "; ".join(reasons)
            + "). Perbaiki kendala itu dulu; SKP manual dibiarkan.",
        )
    return result


def replace_manual_skp(ctx: Context, user: Pengguna, nip: str, skp_id: str) -> dict[str, Any]:
    """Let the pegawai's PMM plan replace a MANUAL e-Kinerja SKP (PMM-07), synced at once.

    Allowed only when the plan would sync once that SKP is gone: every check of the pegawai,
    evaluated on the store's rows without that SKP, passes. Otherwise refused (409) with the
    reasons, and nothing changes; also refused when the SKP has assessments or other RHK are
    linked to its RHK (they would be lost). The removal, the synced SKP and RHK, the sync log and
    the audit row are written in one transaction; the teachers waiting on this pegawai are
    queued for a re-check in it too."""
    if not (user.peran is Peran.ADMIN or (user.peran is Peran.PEGAWAI and user.akun.nip == nip)):
        require_pegawai(ctx.store, user, nip)
        raise forbidden("Hanya pegawai itu sendiri atau Admin Instansi yang dapat mengganti SKP manual.")
    require_pegawai(ctx.store, user, nip)
    store, tahun = ctx.store, ctx.tahun()
    kebijakan = pimpinan.kebijakan_of(store, instansi_id=user.instansi_id)  # the check date, Plt policy
    waiting = cascade.waiting_on(store, [nip], Flow.SKP)

    def work(u: uow.UnitOfWork) -> tuple[list[dict[str, Any]], pl.DataFrame | None, list[str], int]:
        tx, conn = u.store, u.conn
        skp = repo.ekinerja_skp(conn, skp_id, nip)
        if skp is None or skp["sumber"] != "MANUAL":
            raise not_found("SKP manual tidak ditemukan untuk pegawai ini.")
        rhk = repo.rhk_of(conn, skp_id)
        _refuse_losses(conn, skp_id, rhk)
        result = _plan_without(load_snapshot(tx, [nip]), nip, skp_id, tahun, kebijakan)
        hasil = result.outcomes.filter(pl.col("nip") == nip)["hasil"].to_list()
        repo.delete_skp(conn, skp_id)
        apply_changes(tx, result.changes)
        run_id = record_run(
            tx,
            pelaku=f"akun:{user.akun.username}",
            mode="SYNC",
            flow=Flow.SKP,
            tahun=tahun,
            check=result.check,
            outcomes=result.outcomes,
        )
        new_skp = result.changes.upserts.get("ekinerja_skp")
        audit(
            conn,
            user,
            "GANTI_SKP_MANUAL",
            f"pegawai:{nip}",
            sebelum={"skp": skp, "rhk": rhk},
            sesudah={
                "skp_id": new_skp["skp_id"].to_list() if new_skp is not None else [],
                "diganti_oleh": "SKP hasil Sinkron PMM",
                "run_id": run_id,
            },
        )
        synced = bool(set(hasil) & {Outcome.BARU.value, Outcome.DIPERBARUI.value})
        n = request_cascade(ctx, tx, user, waiting, Flow.SKP) if synced else 0
        return rhk, new_skp, hasil, n

    rhk, new_skp, hasil, n = uow.run(store, work, name="ganti_skp_manual")
    if n:
        ctx.runner.wake()
    return {
        "skp_id": skp_id,
        "dihapus_rhk": len(rhk),
        "skp_baru": new_skp["skp_id"].to_list() if new_skp is not None else [],
        "hasil": hasil[0] if hasil else None,
        "dicoba_lagi": n,
    }

"""Sync requests: one pegawai's button (or an admin on their behalf), a bulk sync, a cascade.

Each request is stored as jobs and audited in one write transaction; the engine is woken only
after that transaction committed, so no worker looks for a job that is not there yet and no
job exists without its audit row.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

import polars as pl
import sqlalchemy as sa

from selaras.catalogue import words
from selaras.catalogue.codes import CATALOGUE
from selaras.domain.results import Flow
from selaras.jobs import queue
from selaras.jobs.runtime import Dispatcher
from selaras.store import admin as repo
from selaras.store import reads, uow
from selaras.store.database import Store
from selaras.store.logs import latest_results
from selaras.usecases.access import Ditolak, Pengguna, not_found, require_admin, require_sync_for

MASSAL_MAX = 20_000
"""Pegawai per bulk sync request."""


class Context(Protocol):
    """What a use case needs of its caller: the store, the job engine and the year."""

    store: Store
    runner: Dispatcher

    def tahun(self) -> int:
        """The year the request is about."""
        ...


def audit(conn: sa.Connection, user: Pengguna, aksi: str, sasaran: str, **values: Any) -> None:
    """The audit row of ``user``'s action, in the use case's transaction."""
    repo.insert_audit(
        conn,
        username=user.akun.username,
        peran=user.peran.value,
        aksi=aksi,
        sasaran=sasaran,
        instansi_id=values.pop("instansi_id", None) or user.instansi_id,
        **values,
    )


def submit(ctx: Context, tx: Store, user: Pengguna, nips: Sequence[str], flow: Flow, *, alasan: str) -> list[int]:
    """Store jobs for ``nips`` in the use case's transaction (wake the engine after it commits)."""
    if not nips:
        return []
    return queue.submit(tx, list(nips), Flow(flow), ctx.tahun(), alasan=alasan, diminta_oleh=user.akun.username)


def request_sync(ctx: Context, user: Pengguna, nip: str, flow: Flow) -> list[int]:
    """Queue a sync of ``nip``: the pegawai's own button, or an admin on their behalf (audited)."""
    flow, tahun = Flow(flow), ctx.tahun()

    # The reach check and the state before are read in the request's one transaction: at
    # hundreds of requests a second, each transaction more is a pooled connection held across
    # more round trips, and the web's threads queued for connections.
    def work(u: uow.UnitOfWork) -> list[int]:
        alasan = require_sync_for(u.store, user, nip)
        before = None
        if alasan == "ADMIN":
            found = reads.latest_state(u.store, flow.value, tahun=tahun, nips=[nip])
            before = {"status": found[0].status, "kode": found[0].kode} if found else None
        ids = submit(ctx, u.store, user, [nip], flow, alasan=alasan)
        if alasan == "ADMIN":
            audit(
                u.conn,
                user,
                "SINKRON_ATAS_NAMA",
                f"pegawai:{nip}",
                sebelum=before,
                sesudah={"flow": flow.value, "tahun": tahun, "job_id": ids},
            )
        return ids

    ids = uow.run(ctx.store, work, name="permintaan", lock=False)
    ctx.runner.wake()
    return ids


def bulk_sync(
    ctx: Context,
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
    store, tahun, flow = ctx.store, ctx.tahun(), Flow(flow)
    if not (npsn or nips or code or semua):
        raise Ditolak(422, "Pilih sekolah, pegawai, kode kendala, atau semua pegawai.")
    if code and code not in CATALOGUE:
        raise Ditolak(422, f"Kode {code} tidak dikenal.")
    latest = latest_results(store, flow, instansi_id, tahun=tahun)

    def work(u: uow.UnitOfWork) -> tuple[list[str], list[int]]:
        conn = u.conn
        chosen: set[str] = set()
        if npsn:
            chosen.update(repo.nips_of_school(conn, instansi_id, npsn))
            if latest is not None:
                chosen.update(latest.pegawai.filter(pl.col("npsn") == npsn)["nip"].to_list())
        if semua:
            chosen.update(repo.nips_of_instansi(conn, instansi_id))
        if code and latest is not None:
            chosen.update(latest.errors.filter(pl.col("code") == code)["nip"].unique().to_list())
        if nips:
            found = repo.nips_in_instansi(conn, instansi_id, nips)
            if len(found) != len(set(nips)):
                raise not_found("Sebagian pegawai yang dipilih tidak ditemukan di instansi Anda.")
            chosen.update(found)
        if len(chosen) > MASSAL_MAX:
            raise Ditolak(
                422,
                f"Terlalu banyak pegawai ({words.angka(len(chosen))}); "
                f"batas satu permintaan {words.angka(MASSAL_MAX)}.",
            )
        ordered = sorted(chosen)
        ids = submit(ctx, u.store, user, ordered, flow, alasan="MASSAL")
        audit(
            conn,
            user,
            "SINKRON_MASSAL",
            f"instansi:{instansi_id}",
            sebelum={
                "kriteria": {"npsn": npsn, "kode": code, "nip": list(nips or []), "semua": semua},
                "flow": flow.value,
            },
            sesudah={"jumlah": len(ordered), "tahun": tahun, "job_id_pertama": ids[0] if ids else None},
        )
        return ordered, ids

    ordered, ids = uow.run(store, work, name="permintaan", lock=False)
    if ids:
        ctx.runner.wake()
    return {"jumlah": len(ordered), "job_ids": ids}


def request_cascade(ctx: Context, tx: Store, user: Pengguna, nips: Sequence[str], flow: Flow) -> int:
    """Queue a re-check of the pegawai an admin's fix concerns (in the fix's transaction); how many."""
    return len(submit(ctx, tx, user, sorted(set(nips)), Flow(flow), alasan="KASKADE"))


def blocked_by(ctx: Context, instansi_id: str, codes: Sequence[str], flow: Flow = Flow.SKP) -> list[str]:
    """Pegawai of the instansi whose latest result (this year) has one of ``codes``."""
    latest = latest_results(ctx.store, flow, instansi_id, tahun=ctx.tahun())
    if latest is None:
        return []
    return sorted(set(latest.errors.filter(pl.col("code").is_in(list(codes)))["nip"].to_list()))

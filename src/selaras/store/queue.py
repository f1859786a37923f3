"""The job queue's persistence (``selaras.jobs.queue`` is its public face): every sync request
is a ``sync_job`` row before it is acknowledged.

A job is ANTRE (waiting, from ``jadwal`` on), JALAN (leased by one worker until
``sewa_sampai``) or SELESAI (its result logged: ``log_id``, ``hasil``). While a job waits, a
second request for the same pegawai, flow and year joins it instead of queuing another. A
worker that dies leaves its lease to run out; the next claim takes the job again. Finishing
checks the lease holder, so a job is finished exactly once even when delivered twice.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

import sqlalchemy as sa

from selaras.domain.results import Flow
from selaras.store.database import Store
from selaras.store.tables import sync_job

SUBMIT_CHUNK = 5_000
"""Jobs per INSERT statement of a bulk submit."""


def lease_seconds() -> float:
    """How long a worker holds the jobs it claimed (``$SELARAS_LEASE_SECONDS``, default 120)."""
    return float(os.environ.get("SELARAS_LEASE_SECONDS", "120"))


class JobStatus(StrEnum):
    """Where a job is."""

    ANTRE = "ANTRE"
    JALAN = "JALAN"
    SELESAI = "SELESAI"


class Alasan(StrEnum):
    """Why a job was made."""

    TOMBOL = "TOMBOL"  # the pegawai pressed Sinkron PMM / Sinkron Penilaian
    ADMIN = "ADMIN"  # an admin synced on the pegawai's behalf
    MASSAL = "MASSAL"  # a bulk sync
    JADWAL = "JADWAL"  # the scheduled refresh saw changed source data
    TARIK = "TARIK"  # selaras tarik pulled changed source data
    KASKADE = "KASKADE"  # a blocker of the pegawai cleared


@dataclass(frozen=True)
class Job:
    """One sync request and, once run, its result."""

    job_id: int
    nip: str
    flow: Flow
    tahun: int
    alasan: str
    diminta_oleh: str
    status: JobStatus
    dibuat: datetime
    jadwal: datetime
    mulai: datetime | None
    selesai: datetime | None
    percobaan: int
    log_id: int | None
    hasil: str | None
    pesan: str | None


def now() -> datetime:
    """The current UTC time (one clock for the queue)."""
    return datetime.now(UTC)


def submit(store: Store, nips: Sequence[str], flow: Flow, tahun: int, *, alasan: str, diminta_oleh: str) -> list[int]:
    """Persist a sync request for each NIP; the job ids, in the order of ``nips``.

    A NIP that already has a waiting job of the same flow and year gets that job's id (and the
    job is moved to run now if it was waiting for a retry). The rows are committed when this
    returns: a request is never acknowledged before it is durable.
    """
    flow = Flow(flow)
    Alasan(alasan)
    wanted = list(dict.fromkeys(nips))
    if not wanted:
        return []
    t = now()
    ids: dict[str, int] = {}
    with store.write() as conn:
        for i in range(0, len(wanted), SUBMIT_CHUNK):
            chunk = wanted[i : i + SUBMIT_CHUNK]
            rows = [
                {
                    "nip": nip,
                    "flow": flow.value,
                    "tahun": tahun,
                    "alasan": alasan,
                    "diminta_oleh": diminta_oleh,
                    "status": JobStatus.ANTRE.value,
                    "dibuat": t,
                    "jadwal": t,
                    "percobaan": 0,
                }
                for nip in chunk
            ]
            insert = _insert(store)
            # The partial unique index keeps one waiting job per pegawai, flow and year. The rows
            # go as parameters, not in the statement: its compiled form is then cached, where
            # compiling it for each web request took a tenth of the web's CPU.
            insert = insert.on_conflict_do_update(
                index_elements=["nip", "flow", "tahun"],
                index_where=sa.text("status = 'ANTRE'"),
                set_={"jadwal": insert.excluded.jadwal},
            ).returning(sync_job.c.nip, sync_job.c.job_id)
            for nip, job_id in conn.execute(insert, rows):
                ids[nip] = int(job_id)
    return [ids[n] for n in nips]


def _insert(store: Store) -> Any:
    if store.dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(sync_job)


def claim(store: Store, worker: str, limit: int = 500, *, lease: float | None = None) -> list[Job]:
    """Lease up to ``limit`` runnable jobs to ``worker``, oldest first.

    Runnable: waiting with ``jadwal`` reached, or running under a lease that ran out (its
    worker died). On PostgreSQL concurrent claims skip each other's rows; on SQLite the write
    lock serialises them.
    """
    t = now()
    until = t + timedelta(seconds=lease_seconds() if lease is None else lease)
    runnable = sa.or_(
        sa.and_(sync_job.c.status == JobStatus.ANTRE.value, sync_job.c.jadwal <= t),
        sa.and_(sync_job.c.status == JobStatus.JALAN.value, sync_job.c.sewa_sampai < t),
    )
    pick = sa.select(sync_job.c.job_id).where(runnable).order_by(sync_job.c.job_id).limit(limit)
    if store.dialect == "postgresql":
        pick = pick.with_for_update(skip_locked=True)
    update = (
        sa.update(sync_job)
        .where(sync_job.c.job_id.in_(pick.scalar_subquery()))
        .values(
            status=JobStatus.JALAN.value,
            pekerja=worker,
            mulai=t,
            sewa_sampai=until,
            percobaan=sync_job.c.percobaan + 1,
        )
        .returning(*sync_job.c)
    )
    with store.write() as conn:
        rows = conn.execute(update).all()
    return sorted((_job(r._mapping) for r in rows), key=lambda j: j.job_id)


def _mine(store: Store, worker: str, job_ids: Sequence[int] | set[int], *, skip_locked: bool = False) -> Any:
    """SELECT the ids of ``job_ids`` still leased to ``worker``; on PostgreSQL ``FOR UPDATE``
    (``SKIP LOCKED``: leaving out rows another transaction holds)."""
    mine = sa.select(sync_job.c.job_id).where(
        sync_job.c.job_id.in_(sorted(job_ids)),
        sync_job.c.pekerja == worker,
        sync_job.c.status == JobStatus.JALAN.value,
    )
    return mine.with_for_update(skip_locked=skip_locked) if store.dialect == "postgresql" else mine


def extend(store: Store, worker: str, job_ids: Sequence[int], *, lease: float | None = None) -> int:
    """Renew ``worker``'s lease on those of ``job_ids`` it still runs; how many were renewed.

    On PostgreSQL the jobs whose rows a running part of the batch holds are skipped, not
    waited for: nobody can claim them meanwhile, and that part finishes them.
    """
    until = now() + timedelta(seconds=lease_seconds() if lease is None else lease)
    mine = _mine(store, worker, job_ids, skip_locked=True)
    with store.write() as conn:
        return int(
            conn.execute(
                sa.update(sync_job).where(sync_job.c.job_id.in_(mine.scalar_subquery())).values(sewa_sampai=until)
            ).rowcount
        )


def hold(store: Store, worker: str, job_ids: Sequence[int]) -> list[int]:
    """Those of ``job_ids`` still leased to ``worker``, locked to the end of the transaction.

    Called in the transaction that syncs and finishes them: a job whose lease another worker
    took over is left to that worker, so no job's sync is done twice.
    """
    if not job_ids:
        return []
    with store.write() as conn:
        return sorted(int(r[0]) for r in conn.execute(_mine(store, worker, job_ids)))


def finish(store: Store, worker: str, results: Sequence[tuple[int, int | None, str | None, str | None]]) -> list[int]:
    """Mark jobs SELESAI with ``(job_id, log_id, hasil, pesan)``; the ids actually finished.

    Only jobs still leased to ``worker`` are finished: when a lease ran out and another
    worker took the job, that worker finishes it, not this one.
    """
    t = now()
    wanted = {job_id: (log_id, hasil, pesan) for job_id, log_id, hasil, pesan in results}
    if not wanted:
        return []
    with store.write() as conn:
        done = sorted(int(r[0]) for r in conn.execute(_mine(store, worker, set(wanted))))
        if done:
            conn.execute(
                sa.update(sync_job)
                .where(sync_job.c.job_id == sa.bindparam("j"))
                .values(
                    status=JobStatus.SELESAI.value,
                    selesai=t,
                    log_id=sa.bindparam("l"),
                    hasil=sa.bindparam("h"),
                    pesan=sa.bindparam("p"),
                ),
                [{"j": j, "l": wanted[j][0], "h": wanted[j][1], "p": wanted[j][2]} for j in done],
            )
    return done


def retry_later(store: Store, worker: str, job_ids: Sequence[int], delay: float, pesan: str) -> list[int]:
    """Put ``worker``'s jobs back in the queue, runnable after ``delay`` seconds; the ids moved.

    A job whose pegawai meanwhile got a new waiting job is finished instead (that job carries
    the request on).
    """
    t = now()
    moved: list[int] = []
    with store.write() as conn:
        for job_id in job_ids:
            job = conn.execute(
                sa.select(sync_job.c.nip, sync_job.c.flow, sync_job.c.tahun).where(
                    sync_job.c.job_id == job_id, sync_job.c.pekerja == worker, sync_job.c.status == "JALAN"
                )
            ).first()
            if job is None:
                continue
            waiting = conn.execute(
                sa.select(sync_job.c.job_id).where(
                    sync_job.c.nip == job.nip,
                    sync_job.c.flow == job.flow,
                    sync_job.c.tahun == job.tahun,
                    sync_job.c.status == JobStatus.ANTRE.value,
                )
            ).first()
            values: dict[str, Any]
            if waiting is None:
                values = {"status": JobStatus.ANTRE.value, "jadwal": t + timedelta(seconds=delay), "pesan": pesan}
            else:
                values = {
                    "status": JobStatus.SELESAI.value,
                    "selesai": t,
                    "pesan": f"{pesan}; dilanjutkan {waiting[0]}",
                }
            conn.execute(sa.update(sync_job).where(sync_job.c.job_id == job_id).values(pekerja=None, **values))
            moved.append(job_id)
    return moved


def get_job(store: Store, job_id: int) -> Job | None:
    """One job, or ``None``."""
    with store.read() as conn:
        row = conn.execute(sa.select(sync_job).where(sync_job.c.job_id == job_id)).first()
    return None if row is None else _job(row._mapping)


def jobs_of(store: Store, nip: str, limit: int = 20) -> list[Job]:
    """A pegawai's jobs, newest first."""
    with store.read() as conn:
        rows = conn.execute(
            sa.select(sync_job).where(sync_job.c.nip == nip).order_by(sync_job.c.job_id.desc()).limit(limit)
        ).all()
    return [_job(r._mapping) for r in rows]


def counts(store: Store) -> dict[str, int]:
    """How many jobs are in each status."""
    with store.read() as conn:
        rows = conn.execute(sa.select(sync_job.c.status, sa.func.count()).group_by(sync_job.c.status)).all()
    return {JobStatus(s).value: int(n) for s, n in rows}


def runnable(store: Store) -> int:
    """Jobs a worker could take now or that are running: waiting with ``jadwal`` reached, or JALAN."""
    t = now()
    with store.read() as conn:
        return int(
            conn.execute(
                sa.select(sa.func.count()).where(
                    sa.or_(
                        sa.and_(sync_job.c.status == JobStatus.ANTRE.value, sync_job.c.jadwal <= t),
                        sync_job.c.status == JobStatus.JALAN.value,
                    )
                )
            ).scalar_one()
        )


def pending(store: Store) -> int:
    """Jobs not yet SELESAI."""
    with store.read() as conn:
        return int(
            conn.execute(sa.select(sa.func.count()).where(sync_job.c.status != JobStatus.SELESAI.value)).scalar_one()
        )


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _job(m: Any) -> Job:
    return Job(
        job_id=int(m["job_id"]),
        nip=m["nip"],
        flow=Flow(m["flow"]),
        tahun=int(m["tahun"]),
        alasan=m["alasan"],
        diminta_oleh=m["diminta_oleh"],
        status=JobStatus(m["status"]),
        dibuat=_utc(m["dibuat"]),  # type: ignore[arg-type]
        jadwal=_utc(m["jadwal"]),  # type: ignore[arg-type]
        mulai=_utc(m["mulai"]),
        selesai=_utc(m["selesai"]),
        percobaan=int(m["percobaan"]),
        log_id=None if m["log_id"] is None else int(m["log_id"]),
        hasil=m["hasil"],
        pesan=m["pesan"],
    )

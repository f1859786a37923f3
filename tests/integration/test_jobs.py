"""Durable jobs on the store (SQLite and PostgreSQL): the queue, a batch's work, the cascade,
the notices and the in-process runner."""

from __future__ import annotations

import socket
from typing import Any

import polars as pl
import pytest
import sqlalchemy as sa
from world import G1, G2, KS, TAHUN, Rows, base_rows, row, snapshot

from selaras.domain.results import Flow, Status
from selaras.jobs import queue
from selaras.jobs.queue import Alasan, JobStatus
from selaras.jobs.runtime import JobRunner
from selaras.store.changes import upsert_rows
from selaras.store.database import Store
from selaras.store.logs import log_entries
from selaras.store.notices import notices_for
from selaras.store.snapshots import save_snapshot
from selaras.store.tables import sync_job, sync_log
from selaras.usecases import cascade
from selaras.usecases.batch import work_once
from selaras.usecases.pemberitahuan import mark_read

ALL = [KS, G1, G2]


def blocked_principal() -> Rows:
    """The principal's plan is only submitted (PMM-02), so both teachers wait (PMM-11)."""
    rows = base_rows()
    row(rows, "pmm_skp", ptk_id=row(rows, "dapodik_ptk", nip=KS)["ptk_id"])["status"] = "DIAJUKAN"
    return rows


@pytest.fixture
def world(store: Store) -> Store:
    save_snapshot(store, snapshot(base_rows()))
    return store


def test_a_second_request_joins_the_waiting_job_and_a_running_one_does_not(world: Store) -> None:
    first = queue.submit(world, [G1, G2], Flow.SKP, TAHUN, alasan="TOMBOL", diminta_oleh=G1)
    again = queue.submit(world, [G2, G1, KS], Flow.SKP, TAHUN, alasan="ADMIN", diminta_oleh="admin")
    assert again[:2] == [first[1], first[0]]
    assert again[2] not in first
    other_flow = queue.submit(world, [G1], Flow.PENILAIAN, TAHUN, alasan="TOMBOL", diminta_oleh=G1)
    assert other_flow[0] not in first

    claimed = queue.claim(world, "w1", limit=10)
    assert sorted(j.job_id for j in claimed) == sorted({*first, again[2], other_flow[0]})
    assert {j.status for j in claimed} == {JobStatus.JALAN}
    assert {j.percobaan for j in claimed} == {1}
    # While G1's job runs, a new request is a new job: the data may have changed meanwhile.
    (later,) = queue.submit(world, [G1], Flow.SKP, TAHUN, alasan="TOMBOL", diminta_oleh=G1)
    assert later not in first


def test_a_lease_that_runs_out_passes_the_job_on_and_it_is_finished_once(world: Store) -> None:
    (job_id,) = queue.submit(world, [G1], Flow.SKP, TAHUN, alasan="TOMBOL", diminta_oleh=G1)
    (mine,) = queue.claim(world, "dies", lease=-1)  # already expired: the worker "died"
    assert queue.claim(world, "dies-too", lease=60)[0].job_id == job_id
    assert queue.finish(world, "dies", [(job_id, None, None, None)]) == []
    assert queue.finish(world, "dies-too", [(job_id, None, "TERSINKRON", None)]) == [job_id]
    assert queue.finish(world, "dies-too", [(job_id, None, "TERSINKRON", None)]) == []
    job = queue.get_job(world, job_id)
    assert job is not None and job.status is JobStatus.SELESAI and job.percobaan == 2 and mine.percobaan == 1


def test_a_batch_syncs_logs_and_finishes_every_job(world: Store) -> None:
    ids = queue.submit(world, ALL, Flow.SKP, TAHUN, alasan="MASSAL", diminta_oleh="admin")
    report = work_once(world, "w1")
    assert report.claimed == 3 and report.finished == 3
    assert report.hasil == {Status.TERSINKRON.value: 3}
    for job_id, nip in zip(ids, ALL, strict=True):
        job = queue.get_job(world, job_id)
        assert job is not None and job.status is JobStatus.SELESAI and job.hasil == "TERSINKRON"
        (entry,) = log_entries(world, nip=nip, limit=1)
        assert entry["log_id"] == job.log_id and entry["status"] == "TERSINKRON" and entry["mode"] == "SYNC"
    assert work_once(world, "w1").claimed == 0
    # At-least-once: the same pegawai again writes nothing new to e-Kinerja.
    queue.submit(world, ALL, Flow.SKP, TAHUN, alasan="MASSAL", diminta_oleh="admin")
    with world.read() as conn:
        before = conn.execute(sa.text("SELECT count(*) FROM ekinerja_rhk")).scalar()
    work_once(world, "w2")
    with world.read() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM ekinerja_rhk")).scalar() == before


def test_a_nip_out_of_scope_finishes_with_a_reason_not_silently(world: Store) -> None:
    (job_id,) = queue.submit(world, ["199912312020121001"], Flow.SKP, TAHUN, alasan="TOMBOL", diminta_oleh="x")
    work_once(world, "w1")
    job = queue.get_job(world, job_id)
    assert job is not None and job.status is JobStatus.SELESAI and job.log_id is None
    assert job.pesan and "tidak ditemukan" in job.pesan


def test_a_principal_synced_frees_the_teachers_waiting_without_a_new_request(store: Store) -> None:
    rows = blocked_principal()
    save_snapshot(store, snapshot(rows))
    queue.submit(store, [G1, G2], Flow.SKP, TAHUN, alasan="TOMBOL", diminta_oleh=G1)
    work_once(store, "w1")
    assert {e["nip"]: e["status"] for e in log_entries(store, limit=10)} == {G1: "GAGAL", G2: "GAGAL"}
    assert cascade.waiting_on(store, [KS]) == sorted([G1, G2])

    # The teacher is told on whom they wait; the principal is told what to do.
    (notice,) = [n for n in notices_for(store, [f"pegawai:{G1}"]) if n.kode == "PMM-11"]
    assert notice.nip == G1
    assert any(n.kode == "PMM-11" and n.nip == G1 for n in notices_for(store, [f"pegawai:{KS}"]))

    # The principal's plan gets agreed; the principal's own sync is the only request.
    skp = pl.DataFrame([row(rows, "pmm_skp", ptk_id=row(rows, "dapodik_ptk", nip=KS)["ptk_id"])]).with_columns(
        status=pl.lit("DISEPAKATI")
    )
    upsert_rows(store, "pmm_skp", skp)
    queue.submit(store, [KS], Flow.SKP, TAHUN, alasan="TOMBOL", diminta_oleh=KS)
    first = work_once(store, "w1")
    assert first.hasil == {"TERSINKRON": 1} and first.cascaded == 2
    second = work_once(store, "w1")
    assert second.hasil == {"TERSINKRON": 2}
    with store.read() as conn:
        kaskade = conn.execute(
            sa.select(sync_job.c.nip).where(sync_job.c.alasan == Alasan.KASKADE.value, sync_job.c.status == "SELESAI")
        ).scalars()
        assert sorted(kaskade) == sorted([G1, G2])
    assert any(n.judul == "SKP tersinkron" for n in notices_for(store, [f"pegawai:{G1}"]))


def test_the_same_unread_notice_is_not_repeated_and_reading_is_per_penerima(world: Store) -> None:
    save_snapshot(world, snapshot(blocked_principal()))
    for _ in range(2):
        queue.submit(world, [G1], Flow.SKP, TAHUN, alasan="TOMBOL", diminta_oleh=G1)
        work_once(world, "w1")
    mine = notices_for(world, [f"pegawai:{G1}"])
    assert len([n for n in mine if n.kode == "PMM-11"]) == 1
    assert mark_read(world, [f"pegawai:{G2}"], [n.notifikasi_id for n in mine]) == 0
    assert mark_read(world, [f"pegawai:{G1}"], [n.notifikasi_id for n in mine]) == len(mine)
    assert notices_for(world, [f"pegawai:{G1}"], unread_only=True) == []


def test_the_in_process_runner_runs_what_is_submitted(world: Store) -> None:
    runner = JobRunner(world, run=work_once, workers=2).start()
    try:
        ids = runner.submit(ALL, Flow.SKP, TAHUN, alasan="TOMBOL", diminta_oleh="x")
        runner.drain(timeout=60)
    finally:
        runner.stop()
    jobs = [queue.get_job(world, i) for i in ids]
    assert all(j is not None and j.status is JobStatus.SELESAI and j.hasil == "TERSINKRON" for j in jobs)
    with world.read() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(sync_log)).scalar() == 3


def test_notices_are_emailed_to_the_accounts_that_have_an_address(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    from aiosmtpd.controller import Controller
    from aiosmtpd.handlers import Message

    received: list[Any] = []

    class Inbox(Message):
        def handle_message(self, message: Any) -> None:
            received.append(message)

    from selaras.domain.akun import Peran
    from selaras.usecases.accounts import create_account

    save_snapshot(store, snapshot(blocked_principal()))
    create_account(store, G1, "rahasia-guru", Peran.PEGAWAI, "Guru", nip=G1, email="guru@sekolah.example")
    create_account(store, KS, "rahasia-kepsek", Peran.PEGAWAI, "Kepala", nip=KS)  # no address: app only
    with socket.socket() as probe:  # a free port (aiosmtpd checks its own port at start)
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    smtp = Controller(Inbox(), hostname="127.0.0.1", port=port)
    smtp.start()
    try:
        monkeypatch.setenv("SELARAS_SMTP_HOST", "127.0.0.1")
        monkeypatch.setenv("SELARAS_SMTP_PORT", str(port))
        queue.submit(store, [G1, KS], Flow.SKP, TAHUN, alasan="TOMBOL", diminta_oleh=G1)
        work_once(store, "w1")
    finally:
        smtp.stop()
    assert [m["To"] for m in received] == ["guru@sekolah.example"]
    assert "PMM-11" in received[0]["Subject"]
    # Every notice was handled: the one without an address stays in the app only.
    assert notices_for(store, [f"pegawai:{KS}"])
    with store.read() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM notifikasi WHERE email_terkirim IS NULL")).scalar() == 0

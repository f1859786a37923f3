"""Jobs with live sources: the simulator on loopback as PMM, SIASN and Dapodik.

A batch of thousands under 30% injected faults ends with every job synced or holding an error
of errors.md; the principal's data fixed at the source frees the teachers with no request; a
source that stays down ends in SYS-01 after the retries, and meanwhile the job stays queued."""

from __future__ import annotations

import polars as pl
import pytest
import sqlalchemy as sa
from world import G1, G2, KS, TAHUN, base_rows, row, snapshot

from selaras.catalogue.codes import CATALOGUE
from selaras.domain.results import Flow
from selaras.domain.snapshot import Snapshot
from selaras.jobs import queue
from selaras.jobs.queue import JobStatus
from selaras.jobs.runtime import JobRunner
from selaras.simulation.generator import generate
from selaras.simulation.simulator import RunningServer, build_app, serve_in_thread
from selaras.simulation.state import Faults, Simulator
from selaras.sources.clients import Sources
from selaras.store.database import Store
from selaras.store.logs import log_entries
from selaras.store.snapshots import load_table, save_snapshot
from selaras.store.tables import sync_job
from selaras.usecases import batch
from selaras.usecases.batch import scheduled_refresh, work_once

TOKEN = "rahasia-uji"
FAST = {"connect_timeout": 0.5, "read_timeout": 0.3, "max_attempts": 3, "backoff_base": 0.01, "backoff_cap": 0.05}


@pytest.fixture(autouse=True)
def quick_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SELARAS_RETRY_BASE_SECONDS", "0.05")


def _serve(s: Snapshot, faults: Faults | None = None) -> tuple[RunningServer, Simulator]:
    app = build_app(s, token=TOKEN, faults=faults, seed=3)
    return serve_in_thread(app), app.state.simulator


def _sources(server: RunningServer) -> Sources:
    return Sources.from_base_url(server.url, TOKEN, rate_limit=1000.0, **FAST)


def _massal(store: Store) -> list[sa.Row]:
    with store.read() as conn:
        return conn.execute(sa.select(sync_job).where(sync_job.c.alasan == "MASSAL")).all()


def test_thousands_of_syncs_under_30_percent_faults_end_synced_or_with_a_known_error(store: Store) -> None:
    g = generate(2_000, seed=21, tahun=TAHUN, instansi=1)
    save_snapshot(store, g.snapshot)
    nips = g.snapshot["siasn_pegawai"]["nip"].to_list()
    faults = Faults(rate=0.3, latency_ms=0, slow_ms=50, hang_s=0.6, retry_after_s=0.0)
    server, simulator = _serve(g.snapshot, faults)
    with server:
        sources = _sources(server)
        runner = JobRunner(store, run=work_once, workers=2, sources=sources, batch=250).start()
        try:
            ids = runner.submit(nips, Flow.SKP, TAHUN, alasan="MASSAL", diminta_oleh="uji")
            runner.drain(timeout=600)
        finally:
            runner.stop()
            sources.close()
        stats = simulator.stats()

    injected = stats["faults"]
    assert set(injected) >= {"timeout", "5xx", "429", "malformed", "invalid"}, injected
    assert sum(injected.values()) > 0.2 * stats["calls"], stats

    jobs = _massal(store)
    assert len(jobs) == len(nips) == len(set(ids)), "a request was lost or doubled"
    assert {j.status for j in jobs} == {JobStatus.SELESAI.value}, "a job is stuck"
    assert queue.pending(store) == 0
    logged = {e["log_id"]: e for e in log_entries(store, limit=100_000)}
    for j in jobs:
        if j.log_id is None:
            assert j.pesan and "tidak ditemukan" in j.pesan
            continue
        entry = logged[j.log_id]
        assert entry["nip"] == j.nip and entry["status"] == j.hasil
        assert j.hasil in ("TERSINKRON", "GAGAL")
        assert all(e["code"] in CATALOGUE for e in entry["errors"])
        if j.hasil == "GAGAL":
            assert entry["errors"], j
    finished = {j.hasil for j in jobs}
    assert "TERSINKRON" in finished
    # No e-Kinerja SKP written twice for one PMM plan.
    skp = load_table(store, "ekinerja_skp").filter(pl.col("sumber") == "PMM")
    assert skp["pmm_skp_id"].n_unique() == skp.height


def test_the_principal_fixed_at_the_source_frees_every_teacher_with_no_request(store: Store) -> None:
    rows = base_rows()
    ks_skp = row(rows, "pmm_skp", ptk_id=row(rows, "dapodik_ptk", nip=KS)["ptk_id"])
    ks_skp["status"] = "DIAJUKAN"
    s = snapshot(rows)
    save_snapshot(store, s)
    server, simulator = _serve(s)
    with server:
        sources = _sources(server)
        runner = JobRunner(
            store, run=work_once, refresh=scheduled_refresh, sources=sources, refresh_every=0.3, tahun=TAHUN
        ).start()
        try:
            runner.submit([G1, G2], Flow.SKP, TAHUN, alasan="TOMBOL", diminta_oleh=G1)
            runner.drain(timeout=60)
            assert {e["nip"]: e["status"] for e in log_entries(store, limit=10)} == {G1: "GAGAL", G2: "GAGAL"}

            simulator.upsert("pmm_skp", [{**ks_skp, "status": "DISEPAKATI"}])
            _until(lambda: _latest(store, [G1, G2]) == {G1: "TERSINKRON", G2: "TERSINKRON"}, 60)
        finally:
            runner.stop()
            sources.close()
    with store.read() as conn:
        by = {(r.nip, r.alasan) for r in conn.execute(sa.select(sync_job.c.nip, sync_job.c.alasan))}
    assert (KS, "JADWAL") in by and (G1, "KASKADE") in by and (G2, "KASKADE") in by
    assert not any(a == "TOMBOL" and n == KS for n, a in by)


def test_a_source_that_stays_down_keeps_the_job_queued_then_ends_in_sys01(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    s = snapshot(base_rows())
    save_snapshot(store, s)
    monkeypatch.setattr(batch, "MAX_PERCOBAAN", 3)
    monkeypatch.setenv("SELARAS_RETRY_BASE_SECONDS", "0")
    server, _ = _serve(s, Faults(rate=1.0, weights={"5xx": 1.0}))
    with server:
        sources = _sources(server)
        (job_id,) = queue.submit(store, [G1], Flow.SKP, TAHUN, alasan="TOMBOL", diminta_oleh=G1)
        first = batch.work_once(store, "w", sources=sources)
        assert first.retried == 1
        job = queue.get_job(store, job_id)
        assert job is not None and job.status is JobStatus.ANTRE and job.pesan and job.pesan.startswith("SYS-01")
        assert log_entries(store, nip=G1) == []  # queued, not failed
        for _ in range(2):
            batch.work_once(store, "w", sources=sources)
        sources.close()
    job = queue.get_job(store, job_id)
    assert job is not None and job.status is JobStatus.SELESAI and job.hasil == "GAGAL" and job.percobaan == 3
    (entry,) = log_entries(store, nip=G1)
    assert [e["code"] for e in entry["errors"]] == ["SYS-01"]
    assert entry["errors"][0]["detail"]["sumber"]


def _latest(store: Store, nips: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for nip in nips:
        entries = log_entries(store, nip=nip, limit=1)
        if entries:
            out[nip] = entries[0]["status"]
    return out


def _until(ok: object, timeout: float) -> None:
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if ok():  # type: ignore[operator]
            return
        time.sleep(0.1)
    raise AssertionError("timed out")

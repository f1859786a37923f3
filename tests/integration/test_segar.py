"""The sync jobs and the scheduled refresh on the sources in their real shapes (issue 19): the
simulator serves SIASN's web service, Dapodik's school services and PMM's own contract; the
worker pulls through the connectors of ``selaras tarik`` (``sources.connectors``)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import polars as pl
import pytest
import sqlalchemy as sa

from selaras.domain.results import Flow
from selaras.domain.snapshot import Snapshot
from selaras.jobs import queue
from selaras.jobs.queue import JobStatus
from selaras.jobs.runtime import JobRunner
from selaras.simulation.generator import generate
from selaras.simulation.real import RealAccess, real_env
from selaras.simulation.simulator import build_app, serve_in_thread
from selaras.simulation.state import Faults, Simulator
from selaras.sources.clients import Sources
from selaras.sources.connectors import RealSources, live_from_env
from selaras.store.database import Store
from selaras.store.logs import log_entries
from selaras.store.snapshots import load_table
from selaras.store.tables import sync_job
from selaras.usecases import batch
from selaras.usecases.batch import scheduled_refresh, work_once
from selaras.usecases.imports import import_snapshot

TOKEN = "token-pmm"
TAHUN = 2026


@pytest.fixture(scope="module")
def world() -> Snapshot:
    return generate(pegawai=40, seed=4).snapshot


@pytest.fixture(autouse=True)
def quick_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SELARAS_RETRY_BASE_SECONDS", "0")


class Running:
    def __init__(self, url: str, sim: Simulator, access: RealAccess) -> None:
        self.url, self.sim, self.access = url, sim, access

    def env(self, **extra: str) -> dict[str, str]:
        env = dict(real_env(self.url, self.access, TOKEN))
        env.update({"SELARAS_SOURCE_RATE_LIMIT": "1000", **extra})
        return env

    def sources(self, **extra: str) -> RealSources:
        return RealSources.from_env(self.env(**extra), sleep=lambda _s: None)


@pytest.fixture
def running(world: Snapshot) -> Iterator[Running]:
    access = RealAccess()
    app = build_app(world, token=TOKEN, shapes="nyata", access=access, seed=5)
    with serve_in_thread(app) as server:
        yield Running(server.url, app.state.simulator, access)


@pytest.fixture
def pulled(store: Store, world: Snapshot) -> Store:
    """A store holding the data the sources served when last pulled."""
    import_snapshot(store, world)
    return store


def _teacher_with_rhk(world: Snapshot) -> tuple[str, str]:
    """A teacher (NIP) in SIASN with a plan in PMM, and one RHK of that plan."""
    ptk = world["dapodik_ptk"].filter(pl.col("nip").is_in(world["siasn_pegawai"]["nip"].to_list()))
    skp = world["pmm_skp"].join(ptk.select("ptk_id", "nip"), on="ptk_id")
    rhk = world["pmm_rhk"].join(skp.select("pmm_skp_id", "nip"), on="pmm_skp_id").sort("pmm_rhk_id")
    return rhk["nip"][0], rhk["pmm_rhk_id"][0]


def _jobs(store: Store, nip: str) -> list[Any]:
    with store.read() as conn:
        return conn.execute(
            sa.select(sync_job.c.flow, sync_job.c.alasan, sync_job.c.status).where(sync_job.c.nip == nip)
        ).all()


def _ekinerja_uraian(store: Store, pmm_rhk_id: str) -> list[str]:
    return load_table(store, "ekinerja_rhk").filter(pl.col("pmm_rhk_id") == pmm_rhk_id)["uraian"].to_list()


def test_a_job_pulls_its_pegawai_fresh_record_and_syncs_it(pulled: Store, running: Running, world: Snapshot) -> None:
    nip, rhk_id = _teacher_with_rhk(world)
    with running.sources() as sources:
        queue.submit(pulled, [nip], Flow.SKP, TAHUN, alasan="TOMBOL", diminta_oleh=nip)
        first = batch.work_once(pulled, "w", sources=sources)
        assert first.hasil == {"TERSINKRON": 1}
        # Changed at PMM and at SIASN after the store was filled: only a pull can know.
        running.sim.upsert("pmm_rhk", [{"pmm_rhk_id": rhk_id, "uraian": "Meningkatnya literasi murid kelas 4"}])
        running.sim.upsert("siasn_pegawai", [{"nip": nip, "jabatan_nama": "Guru Ahli Madya"}])
        (job_id,) = queue.submit(pulled, [nip], Flow.SKP, TAHUN, alasan="TOMBOL", diminta_oleh=nip)
        second = batch.work_once(pulled, "w", sources=sources)
    assert second.claimed == 1 and second.hasil == {"TERSINKRON": 1}
    job = queue.get_job(pulled, job_id)
    assert job is not None and job.status is JobStatus.SELESAI and job.hasil == "TERSINKRON"
    stored = load_table(pulled, "siasn_pegawai").filter(pl.col("nip") == nip)
    assert stored["jabatan_nama"].to_list() == ["Guru Ahli Madya"]
    assert _ekinerja_uraian(pulled, rhk_id) == ["Meningkatnya literasi murid kelas 4"]
    # The pegawai being checked is not queued again by their own pull.
    assert [j for j in _jobs(pulled, nip) if j.status == "ANTRE"] == []


def test_a_source_down_keeps_the_job_queued_then_it_succeeds_when_back(
    pulled: Store, running: Running, world: Snapshot
) -> None:
    nip, rhk_id = _teacher_with_rhk(world)
    running.sim.upsert("pmm_rhk", [{"pmm_rhk_id": rhk_id, "uraian": "Terlaksananya pembelajaran berdiferensiasi"}])
    running.sim.set_faults(Faults(rate=1.0, weights={"5xx": 1.0}))
    with running.sources(SELARAS_SOURCE_MAX_ATTEMPTS="2") as sources:
        (job_id,) = queue.submit(pulled, [nip], Flow.SKP, TAHUN, alasan="TOMBOL", diminta_oleh=nip)
        down = batch.work_once(pulled, "w", sources=sources)
        assert down.retried == 1 and down.finished == 0
        job = queue.get_job(pulled, job_id)
        assert job is not None and job.status is JobStatus.ANTRE and job.percobaan == 1
        assert job.pesan is not None and job.pesan.startswith("SYS-01")
        assert log_entries(pulled, nip=nip) == []  # queued, not failed, nothing synced from stale data
        assert _ekinerja_uraian(pulled, rhk_id) != ["Terlaksananya pembelajaran berdiferensiasi"]

        running.sim.set_faults(Faults(rate=0.0))
        back = batch.work_once(pulled, "w", sources=sources)
        assert back.claimed == 1 and back.hasil == {"TERSINKRON": 1}
        assert batch.work_once(pulled, "w", sources=sources).claimed == 0
    job = queue.get_job(pulled, job_id)
    assert job is not None and job.status is JobStatus.SELESAI and job.hasil == "TERSINKRON"
    assert len(log_entries(pulled, nip=nip)) == 1
    assert len(_jobs(pulled, nip)) == 1
    assert _ekinerja_uraian(pulled, rhk_id) == ["Terlaksananya pembelajaran berdiferensiasi"]
    assert load_table(pulled, "pmm_rhk").height == world["pmm_rhk"].height


def test_a_refused_record_is_the_pegawai_sys02_naming_record_and_field(
    pulled: Store, running: Running, world: Snapshot
) -> None:
    nip, _ = _teacher_with_rhk(world)
    running.sim.upsert("siasn_pegawai", [{"nip": nip, "status": "PENSIUN"}])
    running.sim.set_faults(Faults(rate=1.0, weights={"invalid": 1.0}))
    with running.sources() as sources:
        queue.submit(pulled, [nip], Flow.SKP, TAHUN, alasan="TOMBOL", diminta_oleh=nip)
        report = batch.work_once(pulled, "w", sources=sources)
    assert report.hasil == {"GAGAL": 1}
    (entry,) = log_entries(pulled, nip=nip)
    sumber = [e["detail"]["sumber"] for e in entry["errors"] if e["code"] == "SYS-02"]
    siasn = [s for s in sumber if s["nama"] == "SIASN"]
    assert siasn == [
        {"nama": "SIASN", "tabel": "data-utama", "kunci": nip, "kolom": "kedudukanPnsNama", "nilai": "Cuti Besar"}
    ]
    # Their own Dapodik record, unmappable too, is named as well (a school's other PTK are not).
    assert {(s["nama"], s["tabel"], s["kolom"]) for s in sumber if s["nama"] == "Dapodik"} == {
        ("Dapodik", "getGtk", "jenis_ptk_id_str")
    }
    # Refused: the stored record stays as it was, not the PENSIUN it could not read.
    stored = load_table(pulled, "siasn_pegawai").filter(pl.col("nip") == nip)
    assert stored["status"].to_list() == ["AKTIF"]


def test_the_scheduled_refresh_picks_up_a_change_at_the_source(
    pulled: Store, running: Running, world: Snapshot
) -> None:
    nip = world["siasn_pegawai"]["nip"][0]
    with running.sources() as sources:
        assert batch.scheduled_refresh(pulled, sources, TAHUN) == 0  # the store is what they serve
        running.sim.upsert("siasn_pegawai", [{"nip": nip, "status": "PENSIUN"}])
        assert batch.scheduled_refresh(pulled, sources, TAHUN) == 1
        assert batch.scheduled_refresh(pulled, sources, TAHUN) == 0
    stored = load_table(pulled, "siasn_pegawai").filter(pl.col("nip") == nip)
    assert stored["status"].to_list() == ["PENSIUN"]
    assert sorted((j.flow, j.alasan) for j in _jobs(pulled, nip)) == sorted((f.value, "JADWAL") for f in Flow)


def test_the_worker_started_from_the_environment_refreshes_and_syncs(
    pulled: Store, running: Running, world: Snapshot, monkeypatch: pytest.MonkeyPatch
) -> None:
    nip, rhk_id = _teacher_with_rhk(world)
    for name, value in running.env().items():
        monkeypatch.setenv(name, value)
    sources = live_from_env()
    assert isinstance(sources, RealSources)
    runner = JobRunner(
        pulled, run=work_once, refresh=scheduled_refresh, sources=sources, refresh_every=0.2, tahun=TAHUN, notify=False
    ).start()
    try:
        running.sim.upsert("pmm_rhk", [{"pmm_rhk_id": rhk_id, "uraian": "Tersusunnya modul ajar berbasis proyek"}])
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and _ekinerja_uraian(pulled, rhk_id) != [
            "Tersusunnya modul ajar berbasis proyek"
        ]:
            time.sleep(0.2)
    finally:
        runner.stop()
        sources.close()
    assert _ekinerja_uraian(pulled, rhk_id) == ["Tersusunnya modul ajar berbasis proyek"]
    assert (Flow.SKP.value, "JADWAL") in {(j.flow, j.alasan) for j in _jobs(pulled, nip)}


def test_live_sources_from_the_environment(running: Running) -> None:
    real = live_from_env(running.env())
    assert isinstance(real, RealSources) and real.configured == ["SIASN", "Dapodik", "PMM"]
    real.close()
    old = {f"SELARAS_{s}_URL": f"{running.url}/{s.lower()}/v1" for s in ("SIASN", "DAPODIK", "PMM")} | {
        "SELARAS_SOURCE_TOKEN": TOKEN
    }
    legacy = live_from_env(old)
    assert isinstance(legacy, Sources)
    legacy.close()
    assert live_from_env({}) is None
    with pytest.raises(ValueError, match="SELARAS_DAPODIK_KEY"):
        live_from_env({"SELARAS_DAPODIK_SEKOLAH_URL": f"{running.url}/dapodik-sekolah/{{npsn}}"})


def _tarik_audits(store: Store) -> list[dict[str, Any]]:
    from selaras.store.audit import newest

    return [a for a in newest(store, None, limit=100) if a["aksi"] == "TARIK_DATA"]


def test_a_pegawai_new_to_the_store_is_found_by_their_own_siasn_record(
    store: Store, running: Running, world: Snapshot
) -> None:
    nip, _ = _teacher_with_rhk(world)
    frames = dict(world.frames)
    frames["siasn_pegawai"] = world["siasn_pegawai"].filter(pl.col("nip") != nip)
    import_snapshot(store, Snapshot(frames))
    with running.sources() as sources:
        queue.submit(store, [nip], Flow.SKP, TAHUN, alasan="TOMBOL", diminta_oleh=nip)
        report = batch.work_once(store, "w", sources=sources)
    assert report.hasil == {"TERSINKRON": 1}
    stored = load_table(store, "siasn_pegawai").filter(pl.col("nip") == nip)
    expected = world["siasn_pegawai"].filter(pl.col("nip") == nip)
    assert stored.select(expected.columns).equals(expected)
    assert len(_tarik_audits(store)) == 1  # the pull that wrote them is audited


def test_a_job_pull_that_changes_nothing_leaves_no_audit_row(pulled: Store, running: Running, world: Snapshot) -> None:
    nip, _ = _teacher_with_rhk(world)
    with running.sources() as sources:
        queue.submit(pulled, [nip], Flow.SKP, TAHUN, alasan="TOMBOL", diminta_oleh=nip)
        assert batch.work_once(pulled, "w", sources=sources).hasil == {"TERSINKRON": 1}
        assert _tarik_audits(pulled) == []
        running.sim.upsert("siasn_pegawai", [{"nip": nip, "jabatan_nama": "Guru Ahli Madya"}])
        queue.submit(pulled, [nip], Flow.SKP, TAHUN, alasan="TOMBOL", diminta_oleh=nip)
        batch.work_once(pulled, "w", sources=sources)
    (audit,) = _tarik_audits(pulled)
    assert audit["username"] == "job:w"


def test_their_school_offline_keeps_the_job_queued_and_another_school_s_teacher_synced(
    pulled: Store, running: Running, world: Snapshot
) -> None:
    from selaras.sources.dapodik import DapodikConfig, DapodikConnector
    from selaras.sources.real import RealSettings

    nip, _ = _teacher_with_rhk(world)
    npsn = world["dapodik_ptk"].filter(pl.col("nip") == nip)["npsn"][0]
    elsewhere = (
        world["dapodik_ptk"]
        .filter((pl.col("npsn") != npsn) & pl.col("nip").is_in(world["siasn_pegawai"]["nip"].to_list()))
        .sort("nip")["nip"]
        .to_list()
    )
    env = running.env()
    offline = DapodikConfig(
        env["SELARAS_DAPODIK_KEY"],
        template=env["SELARAS_DAPODIK_SEKOLAH_URL"],
        endpoints={npsn: "http://127.0.0.1:9"},
        settings=RealSettings(max_attempts=2),
    )
    with running.sources() as sources:
        online = sources.dapodik
        sources.dapodik = DapodikConnector(offline, sleep=lambda _s: None)
        try:
            (job_id,) = queue.submit(pulled, [nip], Flow.SKP, TAHUN, alasan="TOMBOL", diminta_oleh=nip)
            down = batch.work_once(pulled, "w", sources=sources)
            assert down.retried == 1
            job = queue.get_job(pulled, job_id)
            assert job is not None and job.status is JobStatus.ANTRE
            assert job.pesan is not None and job.pesan.startswith("SYS-01") and npsn in job.pesan
            # In one batch with a teacher of another school: that one is pulled and synced.
            queue.submit(pulled, elsewhere[:1], Flow.SKP, TAHUN, alasan="TOMBOL", diminta_oleh="x")
            both = batch.work_once(pulled, "w", sources=sources)
            assert both.claimed == 2 and both.retried == 1 and both.hasil == {"TERSINKRON": 1}
            assert [e["status"] for e in log_entries(pulled, nip=elsewhere[0])] == ["TERSINKRON"]
            assert log_entries(pulled, nip=nip) == []
        finally:
            sources.dapodik.close()
            sources.dapodik = online
        back = batch.work_once(pulled, "w", sources=sources)
    assert back.claimed == 1 and back.hasil == {"TERSINKRON": 1}

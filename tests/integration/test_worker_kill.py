"""A worker killed with SIGKILL in the middle of a batch, then restarted, finishes the batch
with nothing lost and nothing duplicated: on the embedded default (SQLite, in-process worker)
and on the distributed engine (Celery over Redis and over RabbitMQ, PostgreSQL store)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from services import pg_database, require_port

from selaras.domain.results import Flow
from selaras.domain.sync import sync
from selaras.jobs import queue
from selaras.simulation.generator import generate
from selaras.store.database import Store
from selaras.store.snapshots import load_table, save_snapshot
from selaras.store.tables import sync_job, sync_log

PEGAWAI = 2_000
TAHUN = 2026
BROKERS = {
    "redis": ("redis://127.0.0.1:6379/0", 6379, "Redis"),
    "rabbitmq": ("amqp://guest:guest@127.0.0.1:5672//", 5672, "RabbitMQ"),
}


def _worker(url: str, engine: str, broker: str | None, log: Path, queue_name: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "SELARAS_LEASE_SECONDS": "4", "SELARAS_DRAIN_EVERY": "1", "SELARAS_QUEUE": queue_name}
    cmd = [str(Path(sys.executable).with_name("selaras")), "worker", "--db", url, "--engine", engine, "--batch", "100"]
    if broker:
        cmd += ["--broker", broker]
    return subprocess.Popen(cmd, env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT, start_new_session=True)


def _kill(proc: subprocess.Popen[bytes]) -> None:
    """SIGKILL the worker and every process it started (a Celery pool)."""
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(10)


def _counts(store: Store) -> dict[str, int]:
    with store.read() as conn:
        rows = conn.execute(
            sa.select(sync_job.c.status, sa.func.count())
            .where(sync_job.c.alasan == "MASSAL")
            .group_by(sync_job.c.status)
        ).all()
    return {s: int(n) for s, n in rows}


def _wait(what: str, ok: object, timeout: float, log: Path) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if ok():  # type: ignore[operator]
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}; worker log:\n{log.read_text()[-4000:]}")


def _run_killed_batch(url: str, engine: str, broker: str | None, tmp_path: Path) -> None:
    g = generate(PEGAWAI, seed=11, tahun=TAHUN, instansi=1)
    store = Store.open(url)
    assert not queue.counts(store)
    save_snapshot(store, g.snapshot)
    nips = g.snapshot["siasn_pegawai"]["nip"].to_list()
    log = tmp_path / "worker.log"
    queue_name = f"selaras-test-{uuid.uuid4().hex[:8]}"

    proc = _worker(url, engine, broker, log, queue_name)
    try:
        ids = queue.submit(store, nips, Flow.SKP, TAHUN, alasan="MASSAL", diminta_oleh="test")
        assert len(set(ids)) == len(nips)
        # Kill while some jobs are done and some are still leased or waiting.
        _wait(
            "a batch done and the next one leased",
            lambda: (c := _counts(store)).get("SELESAI", 0) >= 100 and c.get("JALAN", 0) > 0,
            240,
            log,
        )
        before = _counts(store)
        _kill(proc)
        assert before.get("SELESAI", 0) < len(nips), f"the batch finished before the kill: {before}"
        proc = _worker(url, engine, broker, log, queue_name)
        _wait("every job done", lambda: _counts(store) == {"SELESAI": len(nips)}, 600, log)
        _wait("the cascade done", lambda: queue.pending(store) == 0, 300, log)
    finally:
        if proc.poll() is None:
            _kill(proc)

    with store.read() as conn:
        jobs = conn.execute(sa.select(sync_job).where(sync_job.c.alasan == "MASSAL")).all()
        logged = {r[0] for r in conn.execute(sa.select(sync_log.c.nip).distinct())}
        pelaku = {r[0].split(":")[1] for r in conn.execute(sa.select(sync_log.c.pelaku).distinct())}
    assert pelaku == {engine}, f"the jobs ran elsewhere than on the {engine} engine: {pelaku}"
    assert len(jobs) == len(nips) and {j.nip for j in jobs} == set(nips)
    assert all(j.status == "SELESAI" and (j.log_id is not None or j.pesan) for j in jobs)
    in_scope = {j.nip for j in jobs if j.log_id is not None}
    assert in_scope <= logged and len(in_scope) > PEGAWAI * 0.9

    # Nothing duplicated, nothing missing: e-Kinerja equals one direct sync of the same data.
    after, _ = sync(g.snapshot, TAHUN, Flow.SKP)
    for table, key in (("ekinerja_skp", "skp_id"), ("ekinerja_rhk", "rhk_id")):
        got = load_table(store, table).sort(key)
        assert got[key].n_unique() == got.height
        want = after[table].sort(key).select(got.columns)
        assert got.height == want.height, table
        assert got.equals(want.cast(dict(got.schema))), table
    store.dispose()


def test_the_embedded_worker_killed_mid_batch_finishes_after_restart(tmp_path: Path) -> None:
    _run_killed_batch(f"sqlite:///{tmp_path / 'selaras.db'}", "proses", None, tmp_path)


@pytest.fixture
def pg_url() -> Iterator[str]:
    with pg_database() as url:
        yield url


@pytest.mark.postgres
@pytest.mark.parametrize("broker", sorted(BROKERS))
def test_a_celery_worker_killed_mid_batch_finishes_after_restart(pg_url: str, broker: str, tmp_path: Path) -> None:
    url, port, name = BROKERS[broker]
    require_port("127.0.0.1", port, name)
    _run_killed_batch(pg_url, "celery", url, tmp_path)

"""One use case, one transaction, under faults (SQLite and PostgreSQL).

- The sync killed (SIGKILL) at each commit boundary, from the CLI and in a worker: every
  e-Kinerja row a sync wrote has its log and state, after the kill and after a re-run, and the
  log of kill + re-run says what one clean run says (BARU once for each SKP created).
- Two syncs at once, and a sync during an import: no double log, no e-Kinerja rows for pegawai
  no longer in the store, no traceback.
- A batch longer than its lease: each job runs once.
- A full disk: exit 3, the message, the store unchanged.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import polars as pl
import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from services import pg_database

from selaras.cli import main
from selaras.domain.results import Flow
from selaras.domain.snapshot import Snapshot
from selaras.domain.sync import sync
from selaras.jobs import queue
from selaras.simulation.generator import generate
from selaras.sources.writer import write_snapshot
from selaras.store import uow
from selaras.store.database import Store
from selaras.store.snapshots import load_table, save_snapshot
from selaras.store.tables import sync_job, sync_log, sync_state
from selaras.usecases.batch import run_jobs
from selaras.usecases.sync import sync_store

TAHUN = 2026
SELARAS = str(Path(sys.executable).with_name("selaras"))
EKINERJA = (("ekinerja_skp", "skp_id"), ("ekinerja_rhk", "rhk_id"))


@pytest.fixture(scope="module")
def generated() -> Snapshot:
    """200 pegawai in 3 instansi (3 parts of at most 80 pegawai)."""
    return generate(200, seed=5, tahun=TAHUN, instansi=3).snapshot


@pytest.fixture(scope="module")
def clean(generated: Snapshot) -> tuple[Snapshot, dict[str, str]]:
    """One clean sync of the data: e-Kinerja after it, and each pegawai's result."""
    after, result = sync(generated, TAHUN, Flow.SKP)
    hasil = {n: h for n, h in result.outcomes.select("nip", "hasil").iter_rows() if h is not None}
    return after, hasil


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "SELARAS_CRASH_AT"}
    return {**env, "SELARAS_PART_PEGAWAI": "80", **extra}


def _url(store: Store) -> str:
    return store.engine.url.render_as_string(hide_password=False)


def _cli(store: Store, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [SELARAS, *args, "--db", _url(store)], env=_env(**env), capture_output=True, text=True, timeout=180
    )


def _sync(store: Store, **env: str) -> subprocess.CompletedProcess[str]:
    return _cli(store, "sync", "--tahun", str(TAHUN), **env)


def _rerun(store: Store) -> None:
    """The sync the CLI runs (its use case), in this process."""
    sync_store(store, flow=Flow.SKP, tahun=TAHUN, pelaku="cli:test", size=80)


def _log(store: Store) -> pl.DataFrame:
    with store.read() as conn:
        rows = conn.execute(
            sa.select(sync_log.c.log_id, sync_log.c.nip, sync_log.c.hasil, sync_log.c.status).where(
                sync_log.c.mode == "SYNC", sync_log.c.flow == "skp"
            )
        ).all()
    schema = {"log_id": pl.Int64, "nip": pl.String, "hasil": pl.String, "status": pl.String}
    return pl.DataFrame([tuple(r) for r in rows], schema=schema, orient="row").sort("log_id")


def _state(store: Store) -> dict[str, str]:
    """NIP -> status of the latest log row (sync_state) of the SKP flow."""
    with store.read() as conn:
        rows = conn.execute(
            sa.select(sync_state.c.nip, sync_log.c.status)
            .join(sync_log, sync_log.c.log_id == sync_state.c.log_id)
            .where(sync_state.c.flow == "skp", sync_state.c.tahun == TAHUN)
        ).all()
    return dict(rows)


def _written(store: Store, before: Snapshot) -> set[str]:
    """NIPs whose e-Kinerja SKP rows differ from the imported ones (the syncs wrote them)."""
    now = load_table(store, "ekinerja_skp")
    old = before["ekinerja_skp"].select(now.columns).cast(dict(now.schema))
    return set(now.join(old, on=now.columns, how="anti", nulls_equal=True)["nip"].to_list())


def assert_logged(store: Store, before: Snapshot) -> None:
    """Every pegawai whose e-Kinerja rows a sync wrote has a log row saying so, and a state
    that says TERSINKRON."""
    log, state = _log(store), _state(store)
    written = _written(store, before)
    told = set(log.filter(pl.col("hasil").is_in(["BARU", "DIPERBARUI"]))["nip"].to_list())
    assert written <= told, f"e-Kinerja written without a log: {sorted(written - told)[:5]}"
    assert all(state.get(n) == "TERSINKRON" for n in written), "e-Kinerja written without its state"


def assert_as_one_clean_run(store: Store, clean: tuple[Snapshot, dict[str, str]]) -> None:
    """The log of all runs says what one clean run says; e-Kinerja equals it."""
    after, hasil = clean
    log = _log(store).filter(pl.col("hasil").is_not_null())
    baru = log.filter(pl.col("hasil") == "BARU")
    assert baru["nip"].n_unique() == baru.height, "a pegawai logged BARU twice"
    said: dict[str, str] = {}
    for nip, h in log.select("nip", "hasil").iter_rows():
        if said.get(nip) in (None, "TIDAK_BERUBAH"):
            said[nip] = h
    assert said == hasil
    assert baru.height == sum(h == "BARU" for h in hasil.values()) > 0
    for table, key in EKINERJA:
        got = load_table(store, table).sort(key)
        assert got.equals(after[table].sort(key).select(got.columns).cast(dict(got.schema))), table


@pytest.mark.parametrize("point", ["sync:after_commit", "sync:before_commit@2"])
def test_the_cli_sync_killed_at_a_commit_boundary(
    store: Store, generated: Snapshot, clean: tuple[Snapshot, dict[str, str]], point: str
) -> None:
    save_snapshot(store, generated)
    killed = _sync(store, SELARAS_CRASH_AT=point)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert_logged(store, generated)
    if point == "sync:after_commit":
        assert _log(store).height, "the first part was committed before the kill"
    _rerun(store)
    assert_logged(store, generated)
    assert_as_one_clean_run(store, clean)


def _worker(store: Store, log: Path, **env: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [SELARAS, "worker", "--db", _url(store), "--batch", "100"],
        env=_env(SELARAS_LEASE_SECONDS="3", **env),
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def _wait(what: str, ok: Any, timeout: float, log: Path) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if ok():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}; worker log:\n{log.read_text()[-3000:]}")


@pytest.mark.parametrize("point", ["sync:before_commit", "sync:after_commit"])
def test_a_worker_killed_at_a_commit_boundary(
    store: Store, generated: Snapshot, clean: tuple[Snapshot, dict[str, str]], point: str, tmp_path: Path
) -> None:
    save_snapshot(store, generated)
    log = tmp_path / "worker.log"
    nips = generated["siasn_pegawai"]["nip"].to_list()
    queue.submit(store, nips, Flow.SKP, TAHUN, alasan="MASSAL", diminta_oleh="test")
    proc = _worker(store, log, SELARAS_CRASH_AT=point)
    try:
        _wait("the kill", lambda: proc.poll() is not None, 120, log)
        assert proc.returncode == -signal.SIGKILL, log.read_text()[-3000:]
        assert_logged(store, generated)
        assert queue.counts(store).get("SELESAI", 0) == (100 if point == "sync:after_commit" else 0)
        proc = _worker(store, log)
        _wait("every job done", lambda: queue.pending(store) == 0, 120, log)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)
    assert "Traceback" not in log.read_text()
    assert_logged(store, generated)
    assert_as_one_clean_run(store, clean)


def test_two_syncs_at_once(store: Store, generated: Snapshot, clean: tuple[Snapshot, dict[str, str]]) -> None:
    save_snapshot(store, generated)
    cmd = [SELARAS, "sync", "--tahun", str(TAHUN), "--db", _url(store)]
    procs = [subprocess.Popen(cmd, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in "ab"]
    outs = [p.communicate(timeout=180) for p in procs]
    for p, (_, err) in zip(procs, outs, strict=True):
        assert p.returncode in (0, 1), err
        assert "Traceback" not in err
    assert_logged(store, generated)
    assert_as_one_clean_run(store, clean)


def test_a_sync_during_an_import(store: Store, generated: Snapshot, tmp_path: Path) -> None:
    save_snapshot(store, generated)
    other = generate(150, seed=9, tahun=TAHUN, instansi=2).snapshot
    folder = tmp_path / "lain"
    write_snapshot(other, folder)
    gone = set(generated["siasn_pegawai"]["nip"]) - set(other["siasn_pegawai"]["nip"])
    assert gone
    url = _url(store)
    sync_cmd = [SELARAS, "sync", "--tahun", str(TAHUN), "--db", url]
    importing = subprocess.Popen(
        [SELARAS, "import", str(folder), "--db", url], env=_env(), stderr=subprocess.PIPE, text=True
    )
    syncing = subprocess.Popen(sync_cmd, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _, import_err = importing.communicate(timeout=180)
    _, sync_err = syncing.communicate(timeout=180)
    assert importing.returncode == 0, import_err
    assert syncing.returncode in (0, 1), sync_err
    assert "Traceback" not in import_err + sync_err
    stale = gone & set(load_table(store, "ekinerja_skp")["nip"])
    assert not stale, f"e-Kinerja SKP of pegawai no longer in the store: {sorted(stale)[:5]}"
    # Whichever came first, a later sync finds the log and e-Kinerja in agreement.
    _rerun(store)
    assert_logged(store, other)


def test_a_batch_longer_than_its_lease_runs_each_job_once(
    store: Store, generated: Snapshot, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The batch's first flow commits, then the batch is slow (outside any transaction) for
    three leases: the heartbeat keeps the second flow's jobs, another worker claims none."""
    monkeypatch.setenv("SELARAS_LEASE_SECONDS", "1")
    save_snapshot(store, generated)
    nips = generated["siasn_pegawai"]["nip"].to_list()[:40]
    for flow in Flow:
        queue.submit(store, nips, flow, TAHUN, alasan="MASSAL", diminta_oleh="test")
    slow = threading.current_thread()

    def slow_after_commit(point: str) -> None:
        if point == "sync:after_commit" and threading.current_thread() is slow:
            time.sleep(3.5)

    taken: list[int] = []
    done = threading.Event()

    def other_worker() -> None:
        while not done.is_set():
            taken.extend(j.job_id for j in queue.claim(store, "lain", 500))
            time.sleep(0.2)

    monkeypatch.setattr(uow, "CRASH_HOOKS", [slow_after_commit])
    jobs = queue.claim(store, "lambat", 500)
    thief = threading.Thread(target=other_worker)
    thief.start()
    try:
        report = run_jobs(store, "lambat", jobs, notify=False)
    finally:
        done.set()
        thief.join()
    assert report.claimed == len(jobs) == len(Flow) * len(nips)
    with store.read() as conn:
        jobs = conn.execute(sa.select(sync_job.c.percobaan, sync_job.c.status).where(sync_job.c.alasan == "MASSAL"))
        assert {(p, s) for p, s in jobs} == {(1, "SELESAI")}
        per_flow = conn.execute(
            sa.select(sync_log.c.flow, sync_log.c.nip, sa.func.count())
            .where(sync_log.c.nip.in_(nips))
            .group_by(sync_log.c.flow, sync_log.c.nip)
        ).all()
    assert max(n for _, _, n in per_flow) == 1
    assert not taken


@pytest.fixture
def tiny_disk(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, int]]:
    """SQLite files that cannot grow past ``limit["pages"]`` (SQLITE_FULL: as a full disk)."""
    from selaras.store import database

    limit = {"pages": 0}
    setup = database._setup_sqlite

    def limited(engine: sa.Engine) -> None:
        setup(engine)

        @sa.event.listens_for(engine, "connect")
        def _limit(dbapi_connection: Any, _record: Any) -> None:
            if limit["pages"]:
                dbapi_connection.execute(f"PRAGMA max_page_count={limit['pages']}")

    monkeypatch.setattr(database, "_setup_sqlite", limited)
    yield limit


def test_a_full_disk_ends_with_exit_3_the_message_and_the_store_unchanged(
    tmp_path: Path, generated: Snapshot, tiny_disk: dict[str, int]
) -> None:
    db = tmp_path / "selaras.db"
    store = Store.open(str(db))
    save_snapshot(store, generated)
    with store.read() as conn:
        tiny_disk["pages"] = int(conn.exec_driver_sql("PRAGMA page_count").scalar_one())
    store.dispose()
    before = {t: load_table(Store.open(str(db)), t) for t, _ in EKINERJA}
    r = CliRunner().invoke(main, ["sync", "--db", str(db), "--tahun", str(TAHUN)])
    assert r.exit_code == 3, r.output
    assert "Disk penuh" in r.stderr and "Tidak ada yang diubah" in r.stderr and "Kosongkan" in r.stderr
    assert "Traceback" not in r.output
    tiny_disk["pages"] = 0
    after = Store.open(str(db))
    for table, key in EKINERJA:
        assert load_table(after, table).sort(key).equals(before[table].sort(key)), table
    with after.read() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(sync_log)).scalar_one() == 0
    after.dispose()


def test_an_unreachable_database_ends_with_exit_3() -> None:
    r = CliRunner().invoke(main, ["check", "--db", "postgresql://postgres@127.0.0.1:9/selaras"])
    assert r.exit_code == 3, r.output
    assert "tidak dapat dihubungi" in r.stderr and "Tidak ada yang diubah" in r.stderr


@pytest.fixture
def pg_store() -> Iterator[Store]:
    """A migrated store on a fresh PostgreSQL database only."""
    with pg_database() as url:
        s = Store.open(url)
        try:
            yield s
        finally:
            s.dispose()


@pytest.mark.postgres
def test_a_nul_byte_refused_by_postgresql_changes_nothing(pg_store: Store, generated: Snapshot) -> None:
    """PostgreSQL alone refuses NUL in text (SQLite stores it; the readers refuse it on input)."""
    store = pg_store
    save_snapshot(store, generated)
    before = load_table(store, "siasn_pegawai")
    bad = Snapshot(
        {
            **generated.frames,
            "siasn_pegawai": generated["siasn_pegawai"].with_columns(pl.col("nama").str.replace("^", "A\x00")),
        }
    )
    with pytest.raises(uow.InfrastructureError) as e:
        save_snapshot(store, bad)
    assert "NUL" in e.value.message() and "Tidak ada yang diubah" in e.value.message()
    assert load_table(store, "siasn_pegawai").equals(before)


def test_a_second_sync_waits_for_the_first_and_says_so(store: Store, generated: Snapshot) -> None:
    """While another use case holds the data lock, a sync waits (PostgreSQL: and says so),
    then plans on what that one committed."""
    save_snapshot(store, generated)
    holding, release = threading.Event(), threading.Event()

    def hold(_: uow.UnitOfWork) -> None:
        holding.set()
        release.wait(10)

    other = threading.Thread(target=uow.run, args=(store, hold), kwargs={"name": "lain"})
    other.start()
    holding.wait(10)
    told: list[str] = []
    timer = threading.Timer(1.0, release.set)
    timer.start()
    started = time.monotonic()
    sync_store(store, flow=Flow.SKP, tahun=TAHUN, pelaku="test", progress=told.append)
    other.join()
    assert time.monotonic() - started >= 0.9, "the sync did not wait for the lock"
    if store.dialect == "postgresql":
        assert uow.WAITING in told

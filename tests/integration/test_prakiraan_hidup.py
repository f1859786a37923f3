"""The forecast agrees with the page it sits on (issue 23, defect 5): right after a sync the
forecast starts from the live figures the recap shows, today's point of the daily summary is
rewritten when the log changed, a school's interval comes from its history (never "anything
from now to 100%" by construction), the schools at risk count the teachers still at risk now,
and the national view's row of an instansi is that instansi's own forecast.
Runs on SQLite and PostgreSQL (the ``store`` fixture)."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

import polars as pl
import pytest
from fastapi.testclient import TestClient

from selaras.cli.akun import seed_demo_accounts
from selaras.domain.harikerja import Kalender
from selaras.domain.results import Flow, Status
from selaras.domain.rules import check
from selaras.jobs.runtime import JobRunner
from selaras.simulation.generator import generate
from selaras.store import eskalasi as esk
from selaras.store.database import Store
from selaras.store.logs import latest_results, record_run
from selaras.store.snapshots import save_snapshot
from selaras.usecases import eskalasi as uc
from selaras.usecases.accounts import create_token
from selaras.usecases.batch import work_once
from selaras.usecases.sync import sync_store
from selaras.web.app import create_app

TAHUN = 2026
TODAY = date(2026, 11, 23)  # a Monday; the deadline is 31 December


def _at(day: date, hour_wib: int) -> datetime:
    return datetime(day.year, day.month, day.day, hour_wib, tzinfo=UTC) - timedelta(hours=7)


@pytest.fixture
def history(store: Store) -> tuple[Store, list[str]]:
    """Two instansi whose pegawai synced a random share each working day for three weeks,
    with the daily summary written each evening."""
    g = generate(240, seed=11, tahun=TAHUN, instansi=2)
    save_snapshot(store, g.snapshot)
    record_run(store, pelaku="uji", mode="CHECK", flow=Flow.SKP, tahun=TAHUN, check=check(g.snapshot, TAHUN))
    nips = sorted(g.snapshot["siasn_pegawai"]["nip"].to_list())
    rng = random.Random(5)
    kal = Kalender()
    day = TODAY - timedelta(days=21)
    while day < TODAY:
        if kal.hari_kerja(day):
            sync_store(store, flow=Flow.SKP, tahun=TAHUN, pelaku="uji", nips=rng.sample(nips, len(nips) // 9))
            assert uc.tulis_ringkasan(store, sekarang=_at(day, 18)) is not None
        day += timedelta(days=1)
    return store, nips


def _live(store: Store, instansi_id: str | None = None) -> pl.DataFrame:
    result = latest_results(store, Flow.SKP, instansi_id, tahun=TAHUN)
    assert result is not None
    return result.pegawai


def test_right_after_a_sync_the_forecast_starts_from_the_figures_of_the_page(history: tuple[Store, list[str]]) -> None:
    store, nips = history
    instansi = sorted(_live(store)["instansi_id"].unique().to_list())
    seed_demo_accounts(store, "rahasia-uji-1")
    runner = JobRunner(store, run=work_once).start()
    try:
        app = create_app(store, runner, tahun=TAHUN)
        admin = TestClient(app)
        admin.headers["Authorization"] = f"Bearer {create_token(store, f'admin-{instansi[0]}')}"
        before = admin.get("/api/v1/rekap").json()
        # The data changes: more pegawai synced today, after this morning's summary was written.
        assert uc.tulis_ringkasan(store) is not None
        sync_store(store, flow=Flow.SKP, tahun=TAHUN, pelaku="uji", nips=nips)
        after = admin.get("/api/v1/rekap").json()
    finally:
        runner.stop()
    assert after["status"]["TERSINKRON"] > before["status"]["TERSINKRON"]
    f = after["prakiraan"]
    assert f is not None
    assert (f["total"], f["tersinkron"]) == (after["total"], after["status"]["TERSINKRON"])
    assert f["persen_sekarang"] == after["persen_tersinkron"]
    assert f["persen"] >= f["persen_sekarang"] and f["bawah"] >= f["persen_sekarang"]
    live = _live(store, instansi[0])
    for school in f["berisiko"]:
        now = live.filter(pl.col("npsn") == school["kunci"])
        synced = now.filter(pl.col("status") == Status.TERSINKRON.value).height
        assert (school["guru"], school["tersinkron"]) == (now.height, synced), school
        assert school["guru_terancam"] <= now.height - synced, school  # only who is still at risk now
    # The daily summary's today is rewritten from the log that changed, and only then.
    assert uc.tulis_ringkasan(store) is not None
    assert uc.tulis_ringkasan(store) is None
    trend = esk.trend(store, "skp", TAHUN, instansi[0])
    assert trend["tersinkron"][-1] == after["status"]["TERSINKRON"]


def test_intervals_come_from_the_data_and_the_views_agree(history: tuple[Store, list[str]]) -> None:
    store, _ = history
    now = _at(TODAY, 10)
    national = uc.prakiraan(store, Flow.SKP, tahun=TAHUN, sekarang=now)
    assert national is not None and national.keseluruhan is not None
    assert len(national.semua) == 2
    for row in national.semua:
        own = uc.prakiraan(store, Flow.SKP, instansi_id=row.kunci, tahun=TAHUN, sekarang=now)
        assert own is not None and own.keseluruhan is not None
        o, n = own.keseluruhan, row.prakiraan
        assert (o.total, o.tersinkron) == (n.total, n.tersinkron)
        for a, b in ((o.perkiraan, n.perkiraan), (o.bawah, n.bawah), (o.atas, n.atas)):
            assert a == pytest.approx(b)
        schools = [r for r in own.semua if r.kunci and r.prakiraan.tersinkron < r.prakiraan.total]
        assert any(r.prakiraan.total - r.prakiraan.tersinkron >= 4 for r in schools)
        for r in schools:
            p = r.prakiraan
            assert p.pengamatan > 10  # every school has three weeks of history
            assert p.bawah <= p.perkiraan <= p.atas
            if p.total - p.tersinkron >= 4:
                # Not "anything from now to all" (what no history gives), but the data's
                # interval (with one or two left, that may well be all that can happen).
                assert p.atas - p.bawah < p.total - p.tersinkron, r
        risky = [r for r in own.berisiko if r.kunci]
        assert risky and any(r.prakiraan.persen_atas < 100.0 for r in risky)
    assert national.keseluruhan.total == sum(r.prakiraan.total for r in national.semua)
    assert national.keseluruhan.perkiraan == pytest.approx(sum(r.prakiraan.perkiraan for r in national.semua))

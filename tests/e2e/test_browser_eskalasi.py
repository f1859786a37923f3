"""Issue 12 in a real headless Chromium: the recap shows the forecast at the deadline and the
oldest blockers, and the worklist shows each item's age, on a desktop and on a phone.

A generated instansi is walked through four past weeks: a check, then each working day some of
the ready pegawai are synced, the daily summary written and the policy run (the injected clock
of ``tests/integration/test_eskalasi.py``). Screenshots go to ``docs/screenshots/`` only with ``SELARAS_SCREENSHOTS=1``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest
from test_browser import PASSWORD, _need_chromium, chromium, shot

TAHUN = 2026
pytestmark = pytest.mark.slow


class _Clock:
    now = datetime(2026, 1, 1, tzinfo=UTC)


class _FakeDatetime(datetime):
    @classmethod
    def now(cls, tz=None):  # type: ignore[no-untyped-def, override]
        return _Clock.now if tz is None else _Clock.now.astimezone(tz)


def _at(day: date, hour_wib: int) -> datetime:
    return datetime(day.year, day.month, day.day, hour_wib, tzinfo=UTC) - timedelta(hours=7)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    _need_chromium()
    import uvicorn

    from selaras.cli.akun import seed_demo_accounts
    from selaras.domain.harikerja import Kalender
    from selaras.domain.results import Flow, Status
    from selaras.domain.rules import check
    from selaras.domain.sync import sync
    from selaras.jobs.runtime import JobRunner
    from selaras.simulation.generator import generate
    from selaras.store import logs
    from selaras.store.changes import apply_changes
    from selaras.store.database import Store
    from selaras.store.logs import record_run
    from selaras.store.snapshots import save_snapshot
    from selaras.usecases import eskalasi
    from selaras.usecases.batch import work_once
    from selaras.web.app import create_app

    store = Store.open(str(tmp_path_factory.mktemp("web") / "selaras.db"))
    g = generate(400, seed=7, tahun=TAHUN, instansi=1)
    snap = g.snapshot
    save_snapshot(store, snap)
    seed_demo_accounts(store, PASSWORD)
    real = logs.datetime
    kal = Kalender()
    today = datetime.now(UTC).date()
    day = today - timedelta(days=28)
    first = check(snap, TAHUN)
    ready = sorted(first.pegawai.filter(first.pegawai["status"] == Status.SIAP.value)["nip"].to_list())
    try:
        logs.datetime = _FakeDatetime  # type: ignore[misc]
        _Clock.now = _at(day, 8)
        record_run(store, pelaku="demo", mode="CHECK", flow=Flow.SKP, tahun=TAHUN, check=first)
        eskalasi.tulis_ringkasan(store, sekarang=_at(day, 9))
        eskalasi.jalankan(store, sekarang=_at(day, 9))
        while day < today - timedelta(days=1):
            day += timedelta(days=1)
            if kal.hari_kerja(day) and ready:
                chunk, ready = ready[:12], ready[12:]
                snap, res = sync(snap, TAHUN, nips=chunk)
                apply_changes(store, res.changes)
                _Clock.now = _at(day, 8)
                record_run(
                    store,
                    pelaku="demo",
                    mode="SYNC",
                    flow=Flow.SKP,
                    tahun=TAHUN,
                    check=res.check,
                    outcomes=res.outcomes,
                )
            eskalasi.tulis_ringkasan(store, sekarang=_at(day, 9))
            eskalasi.jalankan(store, sekarang=_at(day, 9))
    finally:
        logs.datetime = real  # type: ignore[misc]

    runner = JobRunner(store, run=work_once)
    app = create_app(store, runner, tahun=TAHUN, tenggat=today + timedelta(days=30))
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "uvicorn did not start"
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        store.dispose()


@pytest.fixture(scope="module")
def browser(site: str) -> Iterator[object]:
    with chromium() as b:
        yield b


def _login(browser: object, url: str, username: str, *, phone: bool) -> object:
    viewport = {"width": 390, "height": 844} if phone else {"width": 1280, "height": 900}
    context = browser.new_context(viewport=viewport, locale="id-ID")  # type: ignore[attr-defined]
    page = context.new_page()
    page.set_default_timeout(30_000)
    page.goto(url + "/masuk")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button:has-text('Masuk')")
    page.wait_for_load_state("networkidle")
    return page


@pytest.mark.parametrize("phone", [False, True], ids=["desktop", "hp"])
def test_recap_shows_forecast_and_oldest_blockers(browser: object, site: str, phone: bool) -> None:
    admin = _login(browser, site, "admin-INS-0001", phone=phone)
    admin.goto(site + "/rekap")  # type: ignore[attr-defined]
    forecast = admin.inner_text("[data-testid=prakiraan]")  # type: ignore[attr-defined]
    assert "Prakiraan pada tenggat" in forecast and "rentang" in forecast
    oldest = admin.inner_text("[data-testid=terlama]")  # type: ignore[attr-defined]
    assert "menunggu sejak" in oldest and "hari kerja" in oldest
    # Nothing wider than the screen: the tables scroll inside their card.
    width = admin.evaluate("document.documentElement.scrollWidth")  # type: ignore[attr-defined]
    assert width <= (390 if phone else 1280)
    section = admin.locator("[data-testid=prakiraan]")  # type: ignore[attr-defined]
    section.scroll_into_view_if_needed()
    name = "rekap-prakiraan-hp.png" if phone else "rekap-prakiraan.png"
    shot(admin, name)
    admin.goto(site + "/kerja")  # type: ignore[attr-defined]
    assert "menunggu sejak" in admin.inner_text("[data-testid=umur] >> nth=0")  # type: ignore[attr-defined]
    if phone:
        shot(admin, "kerja-umur-hp.png")
    admin.context.close()  # type: ignore[attr-defined]

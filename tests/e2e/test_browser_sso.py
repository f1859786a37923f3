"""Single sign-on in a real headless Chromium: the login page's SSO button, the provider's own
login and consent forms (oidc-provider on the loopback), back to Selaras on the person's page.
A teacher sees their SKP page; a principal also the school; signing out goes through the
provider's logout."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from integration.test_pimpinan_web import plt_world  # tests/ is on sys.path (conftest)
from oidc_provider import CLIENT_ID, CLIENT_SECRET, free_port, oidc_provider
from test_browser import ARGS, CHROMIUM, _need_chromium
from world import G1, G2, KS, TAHUN, Rows, base_rows

LOCAL_PASSWORD = "rahasia-uji-lokal-1"

pytestmark = pytest.mark.slow


@dataclass
class Site:
    url: str
    names: dict[str, str]
    store: Any = None


@contextmanager
def _serve(tmp: Path, rows: Rows, accounts: dict[str, dict[str, str]]) -> Iterator[Site]:
    """Selaras over ``rows`` behind uvicorn, signing in through oidc-provider's ``accounts``;
    the local account ``lokal-<nip>`` (password :data:`LOCAL_PASSWORD`) for each of them too."""
    import uvicorn

    from selaras.domain.results import Flow
    from selaras.domain.rules import check
    from selaras.domain.snapshot import Snapshot
    from selaras.jobs.runtime import JobRunner
    from selaras.store.database import Store
    from selaras.store.logs import record_run
    from selaras.store.snapshots import save_snapshot
    from selaras.usecases.accounts import create_account
    from selaras.usecases.batch import work_once
    from selaras.web.app import create_app

    port = free_port()
    app_url = f"http://127.0.0.1:{port}"
    names = {p["nip"]: p["nama"] for p in rows["siasn_pegawai"]}
    with (
        oidc_provider([f"{app_url}/masuk/sso/kembali"], [f"{app_url}/masuk"], accounts) as issuer,
        pytest.MonkeyPatch.context() as mp,
    ):
        mp.setenv("SELARAS_OIDC_ISSUER", issuer)
        mp.setenv("SELARAS_OIDC_CLIENT_ID", CLIENT_ID)
        mp.setenv("SELARAS_OIDC_CLIENT_SECRET", CLIENT_SECRET)
        mp.setenv("SELARAS_OIDC_LABEL", "Masuk dengan SSO ASN")
        store = Store.open(str(tmp / "selaras.db"))
        snap = Snapshot.from_rows(rows)
        save_snapshot(store, snap)
        record_run(store, pelaku="uji", mode="CHECK", flow=Flow.SKP, tahun=TAHUN, check=check(snap, TAHUN))
        for claims in accounts.values():
            nip = claims["nip"]
            create_account(store, f"lokal-{nip}", LOCAL_PASSWORD, "pegawai", names[nip], nip=nip)
        runner = JobRunner(store, run=work_once).start()
        server = uvicorn.Server(
            uvicorn.Config(create_app(store, runner, tahun=TAHUN), host="127.0.0.1", port=port, log_level="warning")
        )
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        deadline = time.monotonic() + 20
        while not server.started and time.monotonic() < deadline:
            time.sleep(0.05)
        assert server.started, "uvicorn did not start"
        try:
            yield Site(app_url, names, store)
        finally:
            server.should_exit = True
            thread.join(timeout=10)
            runner.stop()
            store.dispose()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    _need_chromium()
    with _serve(tmp_path_factory.mktemp("sso"), base_rows(), {"guru": {"nip": G1}, "kepsek": {"nip": KS}}) as s:
        yield s


@pytest.fixture(scope="module")
def plt_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """SD 1 led by a Plt (a teacher of SD 2, duty from 2 January to 30 June 2026), checked on
    1 March 2026 unless a test moves the date."""
    _need_chromium()
    with (
        pytest.MonkeyPatch.context() as mp,
        _serve(tmp_path_factory.mktemp("sso-plt"), plt_world(), {"plt": {"nip": KS}}) as s,
    ):
        mp.setenv("SELARAS_TANGGAL", "2026-03-01")
        yield s


@pytest.fixture(scope="module")
def browser(site: Site) -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield b
        finally:
            b.close()


def _local(browser: object, site: Site, nip: str) -> object:
    """A browser signed in through Selaras' own login form as the local account of ``nip``."""
    context = browser.new_context(locale="id-ID")  # type: ignore[attr-defined]
    page = context.new_page()
    page.set_default_timeout(30_000)
    page.goto(site.url + "/masuk")
    page.fill("input[name=username]", f"lokal-{nip}")
    page.fill("input[name=password]", LOCAL_PASSWORD)
    page.click("form[action='/masuk'] button")
    page.wait_for_url(site.url + "/**")
    page.wait_for_load_state("networkidle")
    return page


def _sso(browser: object, site: Site, login: str) -> object:
    context = browser.new_context(locale="id-ID")  # type: ignore[attr-defined]
    page = context.new_page()
    page.set_default_timeout(30_000)
    page.goto(site.url + "/masuk")
    page.click("text=Masuk dengan SSO ASN")
    # the provider's own login form, then its consent screen
    page.fill("input[name=login]", login)
    page.fill("input[name=password]", "sandi apa saja")
    page.click("button[type=submit]")
    page.click("button:has-text('Continue')")
    page.wait_for_url(site.url + "/**")
    page.wait_for_load_state("networkidle")
    return page


def test_teacher_signs_in_at_the_provider_and_sees_their_page(browser: object, site: Site) -> None:
    page = _sso(browser, site, "guru")
    assert page.url == site.url + "/skp"  # type: ignore[attr-defined]
    body = page.inner_text("body")  # type: ignore[attr-defined]
    assert site.names[G1] in body
    assert "Sekolah" not in page.inner_text("nav")  # type: ignore[attr-defined]
    page.click("button:has-text('Keluar')")  # type: ignore[attr-defined]
    # the provider asks to confirm signing out there too, then sends the browser to the login page
    page.click("button[autofocus]")  # type: ignore[attr-defined]
    page.wait_for_url(site.url + "/masuk")  # type: ignore[attr-defined]
    page.goto(site.url + "/skp")  # type: ignore[attr-defined]
    assert page.url.startswith(site.url + "/masuk")  # type: ignore[attr-defined]


def test_principal_signs_in_and_sees_the_school(browser: object, site: Site) -> None:
    page = _sso(browser, site, "kepsek")
    assert site.names[KS] in page.inner_text("body")  # type: ignore[attr-defined]
    page.click("nav >> text=Sekolah")  # type: ignore[attr-defined]
    page.wait_for_load_state("networkidle")  # type: ignore[attr-defined]
    assert page.url == site.url + "/sekolah"  # type: ignore[attr-defined]


LEADER_PAGES = ["/sekolah", f"/pegawai/{G1}", f"/pegawai/{G2}"]
OWN_PAGES = ["/skp", f"/pegawai/{KS}"]


def _statuses(page: object, site: Site, paths: list[str]) -> dict[str, int]:
    out = {}
    for p in paths:
        response = page.goto(site.url + p)  # type: ignore[attr-defined]
        out[p] = response.status
    return out


def test_a_plt_signs_in_at_the_provider_and_sees_the_school_led(browser: object, plt_site: Site) -> None:
    page = _sso(browser, plt_site, "plt")
    assert page.url == plt_site.url + "/skp"  # type: ignore[attr-defined]
    assert plt_site.names[KS] in page.inner_text("body")  # type: ignore[attr-defined]
    assert page.inner_text(".who span").endswith("· Plt Kepala Sekolah")  # type: ignore[attr-defined]
    page.click("nav >> text=Sekolah")  # type: ignore[attr-defined]
    page.wait_for_load_state("networkidle")  # type: ignore[attr-defined]
    assert page.url == plt_site.url + "/sekolah"  # type: ignore[attr-defined]
    sekolah = page.inner_text("main")  # type: ignore[attr-defined]
    assert "SD Negeri 1 Bima" in sekolah  # the school led, not the Plt's own SD Negeri 2
    dapodik = {r["nip"]: r["nama"] for r in plt_world()["dapodik_ptk"]}
    assert dapodik[G1] in sekolah and dapodik[G2] in sekolah  # the teachers of the school led
    page.goto(plt_site.url + "/kerja")  # type: ignore[attr-defined]
    # the worklist leads to the teacher: open a bucket's list of pegawai, follow the name
    link = page.locator(f"a[href='/pegawai/{G1}']").first  # type: ignore[attr-defined]
    page.locator("details", has=link).first.locator("summary").click()  # type: ignore[attr-defined]
    link.click()
    page.wait_for_load_state("networkidle")  # type: ignore[attr-defined]
    assert page.url == plt_site.url + f"/pegawai/{G1}"  # type: ignore[attr-defined]
    assert plt_site.names[G1] in page.inner_text("main")  # type: ignore[attr-defined]

    local = _local(browser, plt_site, KS)
    paths = [*OWN_PAGES, *LEADER_PAGES, "/kerja", "/log"]
    got = _statuses(page, plt_site, paths)
    assert got == _statuses(local, plt_site, paths)
    assert all(got[p] == 200 for p in LEADER_PAGES), got
    page.goto(plt_site.url + "/sekolah")  # type: ignore[attr-defined]
    local.goto(plt_site.url + "/sekolah")  # type: ignore[attr-defined]
    assert page.inner_text("main") == local.inner_text("main")  # type: ignore[attr-defined]
    assert page.inner_text("nav") == local.inner_text("nav")  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "tanggal",
    [
        "2026-07-01",  # the day after the duty's TST
        "2026-10-03",  # past TMT + plt_masa_bulan (9): the term is over whatever Dapodik says
    ],
)
def test_when_the_plt_duty_ends_the_next_request_loses_the_leaders_pages(
    browser: object, plt_site: Site, monkeypatch: pytest.MonkeyPatch, tanggal: str
) -> None:
    from selaras.domain.snapshot import Snapshot
    from selaras.store.snapshots import save_snapshot

    rows = plt_world()
    if tanggal == "2026-10-03":
        rows["dapodik_tugas_tambahan"][0]["tst"] = None  # the TST would end it first: the term must here
    save_snapshot(plt_site.store, Snapshot.from_rows(rows))
    page = _sso(browser, plt_site, "plt")
    local = _local(browser, plt_site, KS)
    for p in (page, local):
        assert all(s == 200 for s in _statuses(p, plt_site, LEADER_PAGES).values())
    monkeypatch.setenv("SELARAS_TANGGAL", tanggal)
    for p in (page, local):
        got = _statuses(p, plt_site, [*LEADER_PAGES, *OWN_PAGES])
        assert got == {"/sekolah": 403, f"/pegawai/{G1}": 404, f"/pegawai/{G2}": 404, **dict.fromkeys(OWN_PAGES, 200)}
        p.goto(plt_site.url + "/skp")  # type: ignore[attr-defined]
        assert "Sekolah" not in p.inner_text("nav")  # type: ignore[attr-defined]
        assert p.inner_text(".who span").endswith("· Guru")  # type: ignore[attr-defined]

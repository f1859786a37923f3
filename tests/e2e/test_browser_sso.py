"""Single sign-on in a real headless Chromium: the login page's SSO button, the provider's own
login and consent forms (oidc-provider on the loopback), back to Selaras on the person's page.
A teacher sees their SKP page; a principal also the school; signing out goes through the
provider's logout."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from oidc_provider import CLIENT_ID, CLIENT_SECRET, free_port, oidc_provider
from test_browser import ARGS, CHROMIUM, _need_chromium
from world import G1, KS, TAHUN, base_rows

pytestmark = pytest.mark.slow


@dataclass
class Site:
    url: str
    names: dict[str, str]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    _need_chromium()
    import uvicorn

    from selaras.domain.snapshot import Snapshot
    from selaras.jobs.runtime import JobRunner
    from selaras.store.database import Store
    from selaras.store.repository import save_snapshot
    from selaras.web.app import create_app

    port = free_port()
    app_url = f"http://127.0.0.1:{port}"
    accounts = {"guru": {"nip": G1}, "kepsek": {"nip": KS}}
    rows = base_rows()
    names = {p["nip"]: p["nama"] for p in rows["siasn_pegawai"]}
    with (
        oidc_provider([f"{app_url}/masuk/sso/kembali"], [f"{app_url}/masuk"], accounts) as issuer,
        pytest.MonkeyPatch.context() as mp,
    ):
        mp.setenv("SELARAS_OIDC_ISSUER", issuer)
        mp.setenv("SELARAS_OIDC_CLIENT_ID", CLIENT_ID)
        mp.setenv("SELARAS_OIDC_CLIENT_SECRET", CLIENT_SECRET)
        mp.setenv("SELARAS_OIDC_LABEL", "Masuk dengan SSO ASN")
        store = Store.open(str(tmp_path_factory.mktemp("sso") / "selaras.db"))
        save_snapshot(store, Snapshot.from_rows(rows))
        runner = JobRunner(store).start()
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
            yield Site(app_url, names)
        finally:
            server.should_exit = True
            thread.join(timeout=10)
            runner.stop()
            store.dispose()


@pytest.fixture(scope="module")
def browser(site: Site) -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield b
        finally:
            b.close()


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


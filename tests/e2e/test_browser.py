"""The web app in a real headless Chromium (Debian's chromium driven by Playwright).

A demo-like instansi (generated, every error code present) is served by uvicorn on an
ephemeral port with the in-process job runner. The stories of issue 3: a teacher presses
Sinkron PMM and sees the card naming the principal; the principal syncs; the teacher's sync
then succeeds; an admin filters the log by code, opens a detail, runs a bulk sync and
downloads an XLSX that opens with its rows. Then every main page of every role, on a phone
(360x740) and a desktop (1280x900): nothing wider than the screen, no text squeezed (wrapped) into a box narrower
than 60 px, and (on the phone) no serious or critical axe-core (WCAG 2.1 AA) violation.

Screenshots of the main pages go to ``docs/screenshots/`` (shown in the README) only when
``SELARAS_SCREENSHOTS=1``: an ordinary run leaves the tree as it was.
"""

from __future__ import annotations

import os
import shutil
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import openpyxl
import polars as pl
import pytest
from services import unavailable

CHROMIUM = "/usr/bin/chromium"
SHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
PASSWORD = "selaras-demo"
TAHUN = 2026
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

pytestmark = pytest.mark.slow
PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1280, "height": 900}


def shot(page: object, name: str, *, full_page: bool = False) -> None:
    """A screenshot into docs/screenshots/, only when asked (``SELARAS_SCREENSHOTS=1``)."""
    if os.environ.get("SELARAS_SCREENSHOTS") != "1":
        return
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / name), full_page=full_page)  # type: ignore[attr-defined]


def _need_chromium() -> None:
    if Path(CHROMIUM).exists() and shutil.which(CHROMIUM):
        return
    unavailable(f"{CHROMIUM} is absent: install Debian's chromium package (apt-get install -y chromium)")


@dataclass
class Site:
    url: str
    teacher: str
    teacher_name: str
    principal: str
    principal_name: str
    runner: object
    npsn: str = ""
    wide_card: str = ""  # a pegawai with a PMM-13 card (the widest table of values)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    _need_chromium()
    import uvicorn

    from selaras.cli.akun import seed_demo_accounts
    from selaras.domain.results import Flow
    from selaras.domain.rules import check
    from selaras.jobs.runtime import JobRunner
    from selaras.simulation.generator import generate
    from selaras.simulation.pimpinan import tanggal_snapshot
    from selaras.store.database import Store
    from selaras.store.logs import record_run
    from selaras.store.snapshots import save_snapshot
    from selaras.usecases.batch import work_once
    from selaras.web.app import create_app

    # The generated data's day (its Plt terms are dated from it), for the check and the server.
    day = pytest.MonkeyPatch()
    day.setenv("SELARAS_TANGGAL", tanggal_snapshot(TAHUN).isoformat())
    store = Store.open(str(tmp_path_factory.mktemp("web") / "selaras.db"))
    g = generate(400, seed=7, tahun=TAHUN, instansi=1)
    save_snapshot(store, g.snapshot)
    result = check(g.snapshot, TAHUN)
    record_run(store, pelaku="demo", mode="CHECK", flow=Flow.SKP, tahun=TAHUN, check=result)
    seed_demo_accounts(store, PASSWORD)

    # A teacher whose only problem is the principal's missing sync (PMM-11), the principal ready.
    errs = result.errors
    only = errs.group_by("nip").agg(pl.col("code").unique().alias("codes"), pl.col("selesai_oleh").first())
    waiting = only.filter((pl.col("codes").list.len() == 1) & (pl.col("codes").list.first() == "PMM-11"))
    waiting = waiting.filter(pl.col("selesai_oleh").is_not_null()).sort("nip")
    assert waiting.height, "the generated instansi has a teacher waiting on a ready principal"
    teacher, principal = waiting.row(0)[0], waiting.row(0)[2]
    names = dict(g.snapshot["siasn_pegawai"].select("nip", "nama").iter_rows())

    runner = JobRunner(store, run=work_once).start()
    app = create_app(store, runner, tahun=TAHUN)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "uvicorn did not start"
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        # The school the principal leads: the teacher's (a Plt's own Dapodik school is another).
        ptk = g.snapshot["dapodik_ptk"].filter(pl.col("nip") == teacher)
        npsn = ptk["npsn"][0]
        wide = errs.filter(pl.col("code") == "PMM-13")["nip"].sort()[0]
        yield Site(f"http://127.0.0.1:{port}", teacher, names[teacher], principal, names[principal], runner, npsn, wide)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        runner.stop()
        store.dispose()
        day.undo()


@contextmanager
def chromium() -> Iterator[object]:
    """Debian's Chromium, headless, driven by Playwright (it downloads no browser)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture(scope="module")
def browser(site: Site) -> Iterator[object]:
    with chromium() as b:
        yield b


def _login(browser: object, site: Site, username: str, *, phone: bool) -> object:
    viewport = PHONE if phone else DESKTOP
    context = browser.new_context(viewport=viewport, accept_downloads=True, locale="id-ID")  # type: ignore[attr-defined]
    page = context.new_page()
    page.set_default_timeout(30_000)
    page.goto(site.url + "/masuk")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button:has-text('Masuk')")
    page.wait_for_load_state("networkidle")
    return page


def _press_sync(page: object) -> None:
    page.click("[data-testid=sinkron-pmm]")  # type: ignore[attr-defined]
    # The page shows the queued state, polls the job and reloads with the result.
    page.wait_for_url(lambda url: "job=" not in url, timeout=60_000)  # type: ignore[attr-defined]
    page.wait_for_selector("[data-hasil]")  # type: ignore[attr-defined]


def test_teacher_waits_on_principal_then_syncs(browser: object, site: Site) -> None:
    teacher = _login(browser, site, site.teacher, phone=True)
    assert "SKP Saya" in teacher.inner_text("h1")  # type: ignore[attr-defined]
    _press_sync(teacher)
    card = teacher.locator(".card.error[data-code='PMM-11']").first  # type: ignore[attr-defined]
    text = card.inner_text()
    assert "Data SKP Organisasi belum dibuat oleh atasan" in text
    assert f"Menunggu {site.principal_name} (Kepala Sekolah)" in text
    assert "otomatis" in text
    assert site.principal in text  # named with the NIP too
    card.scroll_into_view_if_needed()
    shot(teacher, "pegawai-kartu.png", full_page=True)

    principal = _login(browser, site, site.principal, phone=True)
    _press_sync(principal)
    assert "Berhasil Melakukan Sinkron dengan Data" in principal.inner_text("#sinkron-pmm")  # type: ignore[attr-defined]

    # The principal's sync re-queues the teachers waiting on it (the cascade): the teacher's
    # page shows success without the teacher pressing anything again.
    site.runner.drain()  # type: ignore[attr-defined]
    teacher.reload()  # type: ignore[attr-defined]
    assert "Berhasil Melakukan Sinkron dengan Data" in teacher.inner_text("#sinkron-pmm")  # type: ignore[attr-defined]
    shot(teacher, "pegawai-berhasil.png", full_page=False)
    teacher.context.close()  # type: ignore[attr-defined]
    principal.context.close()  # type: ignore[attr-defined]


def test_admin_recap_log_detail_bulk_sync_and_xlsx(browser: object, site: Site, tmp_path: Path) -> None:
    admin = _login(browser, site, "admin-INS-0001", phone=False)
    assert admin.url.endswith("/rekap")  # type: ignore[attr-defined]
    assert admin.locator("table[data-testid=per-kode] tr").count() > 5  # type: ignore[attr-defined]
    shot(admin, "rekap.png", full_page=True)

    admin.click("nav >> text=Log Sinkronisasi")  # type: ignore[attr-defined]
    admin.select_option("select[name=kode]", "PMM-12")  # type: ignore[attr-defined]
    admin.click("#saring button:has-text('Saring')")  # type: ignore[attr-defined]
    admin.wait_for_url("**kode=PMM-12**")  # type: ignore[attr-defined]
    rows = admin.locator("table[data-testid=log-tabel] tbody tr")  # type: ignore[attr-defined]
    n = rows.count()
    assert n > 0
    for i in range(n):
        assert "PMM-12" in rows.nth(i).inner_text()
    shot(admin, "log.png", full_page=False)

    # The export of the filtered view opens with its rows.
    with admin.expect_download() as info:  # type: ignore[attr-defined]
        admin.click("[data-testid=ekspor-xlsx]")  # type: ignore[attr-defined]
    target = tmp_path / "log.xlsx"
    info.value.save_as(str(target))
    sheet = openpyxl.load_workbook(target).active
    got = list(sheet.iter_rows(values_only=True))
    assert got[0][:3] == ("ID log", "Waktu (WIB)", "NIP")
    kode = got[0].index("Kode kendala")
    assert len(got) - 1 == n and all("PMM-12" in (r[kode] or "") for r in got[1:])

    rows.first.locator("a:has-text('Rincian')").click()
    admin.wait_for_selector(".card.error[data-code='PMM-12']")  # type: ignore[attr-defined]
    card = admin.locator(".card.error[data-code='PMM-12']").first  # type: ignore[attr-defined]
    assert "PMM / Ruang GTK" in card.inner_text() and "e-Kinerja" in card.inner_text()
    assert card.locator("tr.beda").count() >= 1  # the differing values are marked
    shot(admin, "log-rinci.png", full_page=True)

    admin.go_back()  # type: ignore[attr-defined]
    admin.on("dialog", lambda d: d.accept())  # type: ignore[attr-defined]
    admin.click("[data-testid=sinkron-massal-kriteria]")  # type: ignore[attr-defined]
    admin.wait_for_selector("text=Sinkron massal sudah masuk antrean")  # type: ignore[attr-defined]
    assert f"({n} pegawai)" in admin.inner_text(".notice.ok")  # type: ignore[attr-defined]
    site.runner.drain()  # type: ignore[attr-defined]
    admin.goto(site.url + "/audit")  # type: ignore[attr-defined]
    audit_text = admin.inner_text("table")  # type: ignore[attr-defined]
    assert "Sinkron massal" in audit_text and "SINKRON_MASSAL" not in audit_text
    admin.goto(site.url + "/kerja")  # type: ignore[attr-defined]
    shot(admin, "kerja.png", full_page=False)
    admin.context.close()  # type: ignore[attr-defined]


# ----------------------------------------------------------------------- pages that fit

FIT_JS = """() => {
  const blockOf = (el) => {
    while (el && el !== document.body && getComputedStyle(el).display.startsWith('inline')) { el = el.parentElement; }
    return el;
  };
  const out = {overflow: document.documentElement.scrollWidth - window.innerWidth, narrow: []};
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const seen = new Set();
  while (walker.nextNode()) {
    const node = walker.currentNode;
    const text = node.textContent.trim();
    if (text.length < 8 || !node.parentElement) { continue; }
    if (node.parentElement.closest('.sr-only, script, style, option, title, svg')) { continue; }
    const el = blockOf(node.parentElement);
    if (!el || seen.has(el)) { continue; }
    seen.add(el);
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.height === 0 || el.closest('details:not([open])')) { continue; }
    const line = parseFloat(getComputedStyle(el).lineHeight) || 24;
    if (r.width < 60 && r.height > 1.8 * line) {
      out.narrow.push(`${el.tagName} "${text.slice(0, 40)}" ${Math.round(r.width)} px wide`);
    }
  }
  document.querySelectorAll('svg text').forEach((t) => {
    const h = t.getBoundingClientRect().height;
    if (h > 0 && h < 10) { out.narrow.push('chart label "' + t.textContent + '" ' + h.toFixed(1) + ' px tall'); }
  });
  return out;
}"""
WCAG = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}
SHOW = {
    ("guru", "/skp"): "skp",
    ("admin", "/rekap"): "rekap",
    ("admin", "/log"): "log",
    ("operator", "/kerja"): "kerja",
}
"""The pages whose phone and desktop screenshots the README shows (``SELARAS_SCREENSHOTS=1``)."""
ROLE_PAGES = {
    "guru": ["/skp", "/kerja", "/akun"],
    "kepala": ["/skp", "/sekolah", "/kerja"],
    "operator": ["/kerja", "/sekolah"],
    "admin": [
        "/rekap",
        "/log",
        "/log/*",
        "/kerja",
        "/periode",
        "/unor",
        "/audit",
        "/pegawai/{teacher}",
        "/pegawai/{wide}",
    ],
    "dinas": ["/log", "/kerja", "/pimpinan"],
    "nasional": ["/rekap", "/log", "/audit"],
}


def _username(site: Site, role: str) -> str:
    return {
        "guru": site.teacher,
        "kepala": site.principal,
        "operator": f"op-{site.npsn}",
        "admin": "admin-INS-0001",
        "dinas": "dinas-INS-0001",
        "nasional": "nasional",
    }[role]


@pytest.mark.parametrize("role", list(ROLE_PAGES))
def test_every_main_page_fits_a_phone_and_a_desktop_and_passes_axe(browser: object, site: Site, role: str) -> None:
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()
    problems: list[str] = []
    for phone in (True, False):
        page = _login(browser, site, _username(site, role), phone=phone)
        size = "360" if phone else "1280"
        for path in ROLE_PAGES[role]:
            if path == "/log/*":
                page.goto(site.url + "/log")  # type: ignore[attr-defined]
                path = page.locator("a:has-text('Rincian')").first.get_attribute("href")  # type: ignore[attr-defined]
            path = path.replace("{teacher}", site.teacher).replace("{wide}", site.wide_card)
            answer = page.goto(site.url + path)  # type: ignore[attr-defined]
            assert answer is not None and answer.status == 200, (role, path)
            page.wait_for_load_state("load")  # type: ignore[attr-defined]
            fit = page.evaluate(FIT_JS)  # type: ignore[attr-defined]
            if fit["overflow"] > 0:
                problems.append(f"{role} {path} @{size}: the page is {fit['overflow']} px wider than the screen")
            problems += [f"{role} {path} @{size}: {n}" for n in fit["narrow"]]
            if (role, path) in SHOW:
                shot(page, f"{SHOW[role, path]}-{'hp' if phone else 'desktop'}.png")
            if phone:
                result = axe.run(page, options=WCAG).response
                for v in result["violations"]:
                    if v["impact"] in ("serious", "critical"):
                        targets = [n["target"] for n in v["nodes"][:3]]
                        problems.append(f"{role} {path}: axe {v['id']} ({v['impact']}): {v['help']} {targets}")
        page.context.close()  # type: ignore[attr-defined]
    assert not problems, "\n".join(problems)

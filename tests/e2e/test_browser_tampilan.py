"""What people see, in a real headless Chromium: the API docs render, phone cards keep labels, axe finds nothing.

The demo-like instansi, the server and the browser are those of ``test_browser.py`` (one server per module).
"""

from __future__ import annotations

import httpx
import pytest
import test_browser
from test_browser import _login

pytestmark = pytest.mark.slow

site = test_browser.site
browser = test_browser.browser


def test_api_docs_list_every_operation_of_the_openapi_document(browser: object, site: test_browser.Site) -> None:
    document = httpx.get(site.url + "/api/v1/openapi.json").json()
    assert document["openapi"].startswith("3.1")
    wanted = {
        (method.upper(), path)
        for path, operations in document["paths"].items()
        for method in operations
        if method in ("get", "post", "put", "patch", "delete")
    }
    assert len(wanted) > 10
    page = _login(browser, site, "admin-INS-0001", phone=False)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))  # type: ignore[attr-defined]
    page.goto(site.url + "/api/docs")  # type: ignore[attr-defined]
    page.wait_for_selector(".opblock", timeout=30_000)  # type: ignore[attr-defined]
    assert "Unable to render" not in page.inner_text("body")  # type: ignore[attr-defined]
    listed = page.evaluate(  # type: ignore[attr-defined]
        """() => [...document.querySelectorAll('.opblock')].map((op) => [
             op.querySelector('.opblock-summary-method').textContent.trim().toUpperCase(),
             op.querySelector('.opblock-summary-path').getAttribute('data-path')])"""
    )
    shown = {(m, p) for m, p in listed}
    assert not wanted - shown, f"operations missing from /api/docs: {sorted(wanted - shown)}"
    assert not errors, errors
    page.context.close()  # type: ignore[attr-defined]


PHONE_390 = {"width": 390, "height": 844}

LABELS_JS = """() => {
  const out = {unlabelled: [], cells: 0, systems: []};
  document.querySelectorAll('table').forEach((t) => {
    if (!t.tHead || !t.tHead.rows.length) { return; }
    const head = t.tHead.getBoundingClientRect();
    if (head.width > 1 && head.height > 1) { return; }  // headers shown: not a stacked table
    const names = [];
    for (const c of t.tHead.rows[0].cells) { for (let i = 0; i < c.colSpan; i++) { names.push(c.textContent.trim()); } }
    for (const body of t.tBodies) {
      for (const row of body.rows) {
        let col = 0;
        for (const c of row.cells) {
          const own = c.cloneNode(true);
          own.querySelectorAll('form, button, a.button, input').forEach((x) => x.remove());
          const text = own.textContent.trim().replace(/\\s+/g, ' ');
          const box = c.getBoundingClientRect();
          if (c.tagName === 'TD' && c.colSpan === 1 && text && box.width > 0 && box.height > 0) {
            out.cells += 1;
            const before = getComputedStyle(c, '::before').content;
            const label = (before && before !== 'none' && before !== 'normal')
              ? before.replace(/^"|"$/g, '').replace(/:\\s*$/, '').trim() : '';
            if (!label) {
              out.unlabelled.push(`"${text.slice(0, 40)}" (column "${names[col] || ''}") has no visible label`);
            } else if (names[col] && label !== names[col]) {
              out.unlabelled.push(`"${text.slice(0, 40)}" is labelled "${label}" in column "${names[col]}"`);
            }
            if (t.classList.contains('sbs') && row.querySelector('th') && c.closest('[data-code]')) {
              out.systems.push([c.closest('[data-code]').getAttribute('data-code'), label]);
            }
          }
          col += c.colSpan;
        }
      }
    }
  });
  return out;
}"""
"""Every value cell of every table whose header row is hidden (a phone): its visible label, the column's name."""


def _detail_of(page: object, url: str, code: str) -> str:
    """The log detail page of the first pegawai with ``code``."""
    page.goto(f"{url}/log?kode={code}")  # type: ignore[attr-defined]
    href = page.locator("a:has-text('Rincian')").first.get_attribute("href")  # type: ignore[attr-defined]
    assert href, f"no pegawai with {code} in the log"
    return href


@pytest.mark.parametrize("role", list(test_browser.ROLE_PAGES))
def test_every_value_cell_keeps_its_label_on_a_phone(browser: object, site: test_browser.Site, role: str) -> None:
    from selaras.catalogue.words import SISTEM

    context = browser.new_context(viewport=PHONE_390, locale="id-ID")  # type: ignore[attr-defined]
    page = context.new_page()
    page.goto(site.url + "/masuk")
    page.fill("input[name=username]", test_browser._username(site, role))
    page.fill("input[name=password]", test_browser.PASSWORD)
    page.click("button:has-text('Masuk')")
    page.wait_for_load_state("networkidle")
    paths = list(test_browser.ROLE_PAGES[role])
    if role == "admin":
        paths += [_detail_of(page, site.url, "PMM-12"), _detail_of(page, site.url, "PMM-01")]
    problems: list[str] = []
    cells = 0
    systems: set[str] = set()
    for path in paths:
        if path == "/log/*":
            path = _detail_of(page, site.url, "PMM-11")
        path = path.replace("{teacher}", site.teacher).replace("{wide}", site.wide_card)
        answer = page.goto(site.url + path)
        assert answer is not None and answer.status == 200, (role, path)
        page.wait_for_load_state("load")
        found = page.evaluate(LABELS_JS)
        cells += found["cells"]
        problems += [f"{role} {path}: {p}" for p in found["unlabelled"]]
        for code, label in found["systems"]:
            systems.add(code)
            if label not in SISTEM.values():
                problems.append(f"{role} {path}: a value of the {code} card is labelled {label!r}, not a system")
    context.close()
    assert cells > 0, f"{role}: no stacked table seen at 390 px"
    assert not problems, "\n".join(problems)
    if role == "admin":
        assert {"PMM-12", "PMM-13", "PMM-01"} <= systems, systems


@pytest.mark.parametrize("role", list(test_browser.ROLE_PAGES))
def test_axe_finds_no_violation_of_any_impact_on_a_phone(browser: object, site: test_browser.Site, role: str) -> None:
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()
    context = browser.new_context(viewport=PHONE_390, locale="id-ID")  # type: ignore[attr-defined]
    page = context.new_page()
    page.goto(site.url + "/masuk")
    if role == "guru":  # the sign-in page too, once
        result = axe.run(page).response
        problems = [f"/masuk: axe {v['id']} ({v['impact']}): {v['help']}" for v in result["violations"]]
    else:
        problems = []
    page.fill("input[name=username]", test_browser._username(site, role))
    page.fill("input[name=password]", test_browser.PASSWORD)
    page.click("button:has-text('Masuk')")
    page.wait_for_load_state("networkidle")
    for path in test_browser.ROLE_PAGES[role]:
        if path == "/log/*":
            path = _detail_of(page, site.url, "PMM-11")
        path = path.replace("{teacher}", site.teacher).replace("{wide}", site.wide_card)
        answer = page.goto(site.url + path)
        assert answer is not None and answer.status == 200, (role, path)
        page.wait_for_load_state("load")
        result = axe.run(page).response  # every rule axe runs by default: WCAG and best practices
        for v in result["violations"]:
            targets = [n["target"] for n in v["nodes"][:3]]
            problems.append(f"{role} {path}: axe {v['id']} ({v['impact']}): {v['help']} {targets}")
        small = page.evaluate(
            """() => [...document.querySelectorAll('input[type=checkbox]')]
                 .map((c) => c.getBoundingClientRect()).filter((r) => r.width > 0 && (r.width < 24 || r.height < 24))
                 .map((r) => `${r.width}x${r.height}`)"""
        )
        problems += [f"{role} {path}: a checkbox of {s} px (WCAG's target is 24)" for s in small]
    context.close()
    assert not problems, "\n".join(problems)

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

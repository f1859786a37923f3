"""The edge of the web app: bad input is a 422 naming the field in Bahasa Indonesia (never a
5xx), one error body shape in the API, error pages in the layout with the menu, the headers
every answer carries, HEAD and OPTIONS, the packaged API docs, notices chosen by code only."""

from __future__ import annotations

import re
from typing import Any

import pytest
from test_web_api import ADMIN, PASSWORD, Web
from test_web_api import web as web_fixture  # noqa: F401  (the fixture, by its name "web")
from world import G1

BIG = str(2**63)


@pytest.fixture
def web(web_fixture: Web) -> Web:  # noqa: F811
    """The app of ``test_web_api`` (two instansi, every role)."""
    return web_fixture


def _galat(r: Any, field: str) -> str:
    """The refusal's message, after checking the one error body shape and the field named."""
    assert r.status_code == 422, r.text
    body = r.json()
    assert set(body) == {"detail", "galat"} and isinstance(body["detail"], str)
    assert field in [g["kolom"] for g in body["galat"]], body
    assert field in body["detail"] and "tidak valid" in body["detail"]
    return str(body["detail"])


@pytest.mark.parametrize(
    ("path", "field"),
    [
        (f"/api/v1/log?sebelum={BIG}", "sebelum"),
        (f"/api/v1/log/{BIG}", "log_id"),
        (f"/api/v1/jobs/{BIG}", "job_id"),
        ("/api/v1/jobs/0", "job_id"),
        (f"/api/v1/audit?sebelum={BIG}", "sebelum"),
        ("/api/v1/log?sampai=9999-12-31", "sampai"),
        ("/api/v1/log?dari=0001-01-01", "dari"),
        ("/api/v1/log?dari=2026-02-31", "dari"),
        ("/api/v1/log?flow=bukan", "flow"),
        ("/api/v1/log?status=siap", "status"),
        ("/api/v1/log?npsn=abc", "npsn"),
        ("/api/v1/log/ekspor?format=csv&sampai=9999-12-31", "sampai"),
        ("/api/v1/log/ekspor?format=pdf", "format"),
        ("/api/v1/rekap?flow=x", "flow"),
        ("/api/v1/pegawai/123", "nip"),
    ],
)
def test_bad_query_and_path_values_are_422_naming_the_field(web: Web, path: str, field: str) -> None:
    r = web.client(ADMIN).get(path)
    message = _galat(r, field)
    assert "harus" in message or "formatnya" in message or "tanggal" in message
    if "ekspor" in path:  # refused before the first byte: no partial file
        assert r.headers["content-type"].startswith("application/json")


def test_bad_bodies_are_422_naming_the_field(web: Web) -> None:
    admin = web.client(ADMIN)
    _galat(admin.post("/api/v1/notifikasi/dibaca", json={"ids": [False]}), "ids.0")
    _galat(admin.post("/api/v1/notifikasi/dibaca", json={"ids": [2**63]}), "ids.0")
    base = {"periode_id": "P-Z", "jenis": "PERIODIK", "awal": "2026-01-01", "akhir": "2026-01-31"}
    periodik = {**base, "tipe_periodik": "BULANAN"}
    _galat(admin.post("/api/v1/periode", json={**periodik, "angka_periodik": 10**12}), "angka_periodik")
    _galat(admin.post("/api/v1/periode", json={**periodik, "angka_periodik": 1, "akhir": "9999-12-31"}), "akhir")
    _galat(admin.post("/api/v1/periode", json={**periodik, "angka_periodik": 1, "periode_id": "a/b?c#"}), "periode_id")
    _galat(admin.post("/api/v1/periode", json={**periodik, "jenis": "x"}), "jenis")
    _galat(admin.post(f"/api/v1/pegawai/{G1}/sinkron", json={"flow": "x"}), "flow")
    _galat(admin.post("/api/v1/sinkron-massal", json={"nips": ["1"]}), "nips.0")
    bad_json = admin.post("/api/v1/notifikasi/dibaca", content=b"{", headers={"content-type": "application/json"})
    assert bad_json.status_code == 422 and set(bad_json.json()) == {"detail", "galat"}


def test_every_refusal_has_the_same_body(web: Web) -> None:
    anonymous = web.client().get("/api/v1/saya")
    assert anonymous.status_code == 401 and anonymous.json()["galat"] == []
    admin = web.client(ADMIN)
    missing = admin.get("/api/v1/tidak-ada")
    assert missing.status_code == 404 and set(missing.json()) == {"detail", "galat"}
    assert "tidak ditemukan" in missing.json()["detail"]
    out_of_reach = admin.get("/api/v1/log/999999")
    assert out_of_reach.status_code == 404 and set(out_of_reach.json()) == {"detail", "galat"}
    wrong_method = admin.put("/api/v1/saya")
    assert wrong_method.status_code == 405 and set(wrong_method.json()) == {"detail", "galat"}
    assert "GET" in wrong_method.headers["allow"]
    openapi = admin.get("/api/v1/openapi.json").json()
    assert "Galat" in openapi["components"]["schemas"]
    # {} on a bulk sync is refused, and the schema says so: one of its criteria is required.
    assert admin.post("/api/v1/sinkron-massal", json={}).status_code == 422
    required = [set(a["required"]) for a in openapi["components"]["schemas"]["MassalIn"]["anyOf"]]
    assert required == [{"npsn"}, {"nips"}, {"kode"}, {"semua"}]
    ekspor = openapi["paths"]["/api/v1/log/ekspor"]["get"]["responses"]
    assert set(ekspor["200"]["content"]) == {
        "text/csv",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    }
    for answers in (op["responses"] for path in openapi["paths"].values() for op in path.values()):
        for code in ("401", "404", "422"):
            assert answers[code]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Galat"}


def test_error_pages_are_indonesian_in_the_layout_with_the_menu(web: Web) -> None:
    c, _csrf = web.login(ADMIN, PASSWORD)
    for path, status, words in [
        ("/log?sampai=9999-12-31", 422, ["Isian tidak valid", "sampai"]),
        (f"/log/{BIG}", 422, ["log_id"]),
        ("/rekap?flow=x", 422, ["flow"]),
        ("/halaman-yang-tidak-ada", 404, ["Tidak ditemukan"]),
    ]:
        r = c.get(path)
        assert r.status_code == status, (path, r.text[:300])
        assert r.headers["content-type"].startswith("text/html")
        assert "<nav>" in r.text and "Log Sinkronisasi" in r.text, path  # the menu: still signed in
        assert all(w in r.text for w in words), path
        assert '"detail"' not in r.text and "Not Found" not in r.text
    anonymous = web.client().get("/halaman-yang-tidak-ada")
    assert anonymous.status_code == 404 and "Tidak ditemukan" in anonymous.text and "<nav>" not in anonymous.text


def test_headers_head_and_options(web: Web) -> None:
    c, _csrf = web.login(ADMIN, PASSWORD)
    for path in ("/rekap", "/log", "/api/v1/saya", "/api/v1/log/ekspor?format=csv", "/masuk"):
        r = c.get(path)
        assert r.status_code == 200, path
        assert r.headers["cache-control"] == "no-store", path
        assert "camera=()" in r.headers["permissions-policy"]
        assert "default-src 'self'" in r.headers["content-security-policy"]
    head = web.client().head("/masuk")
    assert head.status_code == 200 and head.content == b""
    assert c.head("/rekap").status_code == 200
    options = web.client(ADMIN).options("/api/v1/periode")
    assert options.status_code == 204
    assert {"GET", "POST", "HEAD"} <= {m.strip() for m in options.headers["allow"].split(",")}


def test_api_docs_come_from_packaged_files_under_the_csp(web: Web) -> None:
    c = web.client()
    docs = c.get("/api/docs")
    assert docs.status_code == 200 and "swagger-ui-bundle.js" in docs.text
    assert "http://" not in docs.text and "https://" not in docs.text  # nothing from a CDN
    assert "script-src 'self'" in docs.headers["content-security-policy"]
    assert "<script>" not in docs.text.replace('<script src="', "")  # no inline script for the CSP
    bundle = c.get("/api/docs/aset/swagger-ui-bundle.js")
    assert bundle.status_code == 200 and len(bundle.content) > 100_000
    assert c.get("/static/docs.js").status_code == 200


def test_the_favicon_is_served_to_anyone(web: Web) -> None:
    icon = web.client().get("/favicon.ico")
    assert icon.status_code == 200 and icon.headers["content-type"] == "image/x-icon"
    assert icon.content[:4] == b"\x00\x00\x01\x00"  # an ICO file's header


def test_notices_are_chosen_by_code_never_text_from_the_url(web: Web) -> None:
    c, _csrf = web.login(ADMIN, PASSWORD)
    r = c.get("/log?pesan=Akun+Anda+diblokir&n=1")
    assert "Akun Anda diblokir" not in r.text
    r = c.get("/log?pesan=massal&n=%3Cb%3Ebayar%3C%2Fb%3E")
    assert "Sinkron massal sudah masuk antrean." in r.text and "bayar" not in r.text
    r = c.get("/log?pesan=massal&n=3")
    assert "(3 pegawai)" in r.text


def test_page_flow_messages_and_links_follow_the_role(web: Web) -> None:
    from test_web_api import DINAS, OP

    from selaras.usecases.access import DINAS_CODES

    admin, csrf = web.login(ADMIN, PASSWORD)
    # A bulk action with nothing ticked: a message on the same page, not an error page.
    r = admin.post("/sinkron-massal", data={"csrf_token": csrf, "kembali": "/log"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/log?pesan=pilih-dulu"
    page = admin.get(r.headers["location"])
    assert page.status_code == 200 and "Belum ada pegawai yang dipilih" in page.text and "notice warn" in page.text
    # "Queued" is shown only while the job is queued or running; once done, the final state.
    r = admin.post(f"/pegawai/{G1}/sinkron", data={"csrf_token": csrf, "flow": "skp"}, follow_redirects=False)
    web.runner.drain()
    assert "sudah masuk antrean" not in admin.get(r.headers["location"]).text
    log_id = web.client(ADMIN).get("/api/v1/log").json()["baris"][0]["log_id"]
    assert "Halaman SKP pegawai" in admin.get(f"/log/{log_id}").text

    dinas, _ = web.login(DINAS, PASSWORD)
    rows = web.client(DINAS).get("/api/v1/log").json()["baris"]
    if rows:  # the Dinas may read the problem but not the pegawai's page: no link to a 404
        assert "Halaman SKP pegawai" not in dinas.get(f"/log/{rows[0]['log_id']}").text
    offered = set(re.findall(r'<option value="([A-Z]+-\d\d)"', dinas.get("/log").text))
    assert offered == set(DINAS_CODES)

    operator, _ = web.login(OP, PASSWORD)
    home = operator.get("/kerja").text
    assert 'href="/log"' in home and operator.get("/log").status_code == 200


def test_a_crash_and_a_failing_store_answer_in_words_with_every_header(
    web: Web, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An unexpected error is a 500 page and a failing store a 503 with its message, both with
    the security headers and no-store (Starlette answers a crash outside the middleware)."""
    from fastapi.testclient import TestClient

    from selaras.store import uow
    from selaras.web import screens

    c = web.client(ADMIN)
    c = TestClient(web.app, raise_server_exceptions=False, headers=dict(c.headers))

    def crash(*_a: Any, **_k: Any) -> Any:
        raise RuntimeError("boom")

    monkeypatch.setattr(screens, "recap_view", crash)
    r = c.get("/api/v1/rekap")
    assert r.status_code == 500 and r.json()["detail"].startswith("Terjadi kesalahan di server")
    assert r.headers["cache-control"] == "no-store" and "default-src" in r.headers["content-security-policy"]
    assert "boom" not in r.text

    def full(*_a: Any, **_k: Any) -> Any:
        raise uow.InfrastructureError("Penyimpanan penuh.", "Kosongkan ruang disk lalu ulangi.")

    monkeypatch.setattr(screens, "recap_view", full)
    r = c.get("/api/v1/rekap")
    assert r.status_code == 503 and "Penyimpanan penuh." in r.json()["detail"]
    assert r.headers["cache-control"] == "no-store"

"""The HTTP API and the pages: every endpoint, and every role trying what it must not do.

The world: instansi I1 of ``tests/world.py`` (a principal and two teachers at one school) plus
a second instansi I2 with one school and one teacher, so that "another instansi" exists.
Runs on SQLite and PostgreSQL (the ``store`` fixture).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import openpyxl
import polars as pl
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from world import G1, G2, KADIS, KS, NPSN, TAHUN, base_rows, manual_skp, row

from selaras.catalogue.codes import CATALOGUE
from selaras.cli.akun import seed_demo_accounts
from selaras.domain.results import Flow
from selaras.domain.rules import check
from selaras.domain.snapshot import Snapshot
from selaras.jobs.runtime import JobRunner
from selaras.store.database import Store
from selaras.store.logs import record_run
from selaras.store.snapshots import save_snapshot
from selaras.store.tables import CONTRACT, audit_log
from selaras.usecases.accounts import create_account, create_token, revoke_tokens
from selaras.usecases.batch import work_once
from selaras.web.app import create_app

PASSWORD = "rahasia-uji-1"
G3 = "199101012016011004"  # a teacher of instansi I2
NPSN_I2 = "20000001"


def two_instansi_rows() -> dict[str, list[dict[str, Any]]]:
    """The clean world plus instansi I2 with one school and one teacher."""
    rows = base_rows()
    rows["instansi"].append({"instansi_id": "I2", "nama": "Pemerintah Kota Bima"})
    rows["siasn_unor"].append(
        {
            "unor_id": "U-I2-SD",
            "instansi_id": "I2",
            "nama": "SD Negeri 9 Kota Bima",
            "parent_unor_id": None,
            "npsn": NPSN_I2,
            "aktif": True,
        }
    )
    rows["siasn_pegawai"].append(
        {
            "nip": G3,
            "nik": "5272010101910004",
            "nama": "Rina Wati, S.Pd.",
            "instansi_id": "I2",
            "unor_id": "U-I2-SD",
            "jenis_asn": "PNS",
            "status": "AKTIF",
            "jabatan_nama": "Guru Ahli Pertama",
            "jabatan_jenis": "FUNGSIONAL",
        }
    )
    rows["dapodik_sekolah"].append({"npsn": NPSN_I2, "nama": "SD Negeri 9 Kota Bima", "instansi_id": "I2"})
    rows["dapodik_ptk"].append(
        {
            "ptk_id": "PTK-G3",
            "nik": "5272010101910004",
            "nuptk": None,
            "nama": "Rina Wati",
            "nip": G3,
            "jenis_ptk": "Guru Kelas",
            "tugas_tambahan": None,
            "npsn": NPSN_I2,
        }
    )
    rows["ekinerja_unor"].append({"unor_id": "U-I2-SD", "aktif": True, "atasan_nip": None})
    return rows


@dataclass
class Web:
    """The app over a store with the two-instansi world, a job runner and role clients."""

    store: Store
    runner: JobRunner
    app: Any
    snapshot: Snapshot

    def client(self, username: str | None = None) -> TestClient:
        """A client with ``username``'s API token (none: anonymous)."""
        c = TestClient(self.app)
        if username:
            c.headers["Authorization"] = f"Bearer {create_token(self.store, username)}"
        return c

    def login(self, username: str, password: str = PASSWORD) -> tuple[TestClient, str]:
        """A browser-like client signed in by the login form; returns it and its CSRF token."""
        c = TestClient(self.app)
        page = c.get("/masuk")
        pra = re.search(r'name="pra" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
        r = c.post("/masuk", data={"username": username, "password": password, "pra": pra}, follow_redirects=False)
        assert r.status_code == 303, r.text
        home = c.get("/")
        token = re.search(r'name="csrf_token" value="([^"]+)"', home.text)
        return c, token.group(1) if token else ""


ADMIN, ADMIN2, DINAS, OP, OP2, NASIONAL = "admin-I1", "admin-I2", "dinas-I1", f"op-{NPSN}", f"op-{NPSN_I2}", "nasional"


@pytest.fixture
def web(store: Store) -> Iterator[Web]:
    snap = Snapshot.from_rows(two_instansi_rows())
    save_snapshot(store, snap)
    seed_demo_accounts(store, PASSWORD)
    record_run(store, pelaku="uji", mode="CHECK", flow=Flow.SKP, tahun=TAHUN, check=check(snap, TAHUN))
    runner = JobRunner(store, run=work_once).start()
    try:
        yield Web(store, runner, create_app(store, runner, tahun=TAHUN), snap)
    finally:
        runner.stop()


def _audit(store: Store) -> list[dict[str, Any]]:
    with store.read() as conn:
        return [dict(r._mapping) for r in conn.execute(sa.select(audit_log).order_by(audit_log.c.audit_id))]


# ----------------------------------------------------------------------------- the schema

API_ROUTES = [
    ("GET", "/api/v1/saya"),
    ("GET", "/api/v1/kode"),
    ("GET", f"/api/v1/pegawai/{G1}"),
    ("POST", f"/api/v1/pegawai/{G1}/sinkron"),
    ("POST", f"/api/v1/pegawai/{G1}/skp-manual/X/ganti"),
    ("GET", "/api/v1/jobs/1"),
    ("GET", "/api/v1/sekolah"),
    ("GET", "/api/v1/kerja"),
    ("GET", "/api/v1/notifikasi"),
    ("POST", "/api/v1/notifikasi/dibaca"),
    ("GET", "/api/v1/rekap"),
    ("GET", "/api/v1/log"),
    ("GET", "/api/v1/log/ekspor"),
    ("GET", "/api/v1/log/1"),
    ("POST", "/api/v1/sinkron-massal"),
    ("GET", "/api/v1/periode"),
    ("POST", "/api/v1/periode"),
    ("DELETE", "/api/v1/periode/P-2026"),
    ("GET", "/api/v1/unor"),
    ("PUT", "/api/v1/unor/U-SD1/atasan"),
    ("GET", "/api/v1/audit"),
]


def test_openapi_describes_every_endpoint(web: Web) -> None:
    spec = web.client().get("/api/v1/openapi.json").json()
    documented = {(m.upper(), p) for p, ops in spec["paths"].items() for m in ops}
    for method, path in [*API_ROUTES, ("POST", "/api/v1/auth/token")]:
        template = re.sub(r"/(\d{18}|\d+|X|P-2026|U-SD1)(?=/|$)", "/{}", path)
        assert any(m == method and re.sub(r"\{[^}]+\}", "{}", p) == template for m, p in documented), (method, path)
    assert not any(p.startswith("/skp") or p.startswith("/log") for p in spec["paths"])  # pages stay out


@pytest.mark.parametrize(("method", "path"), API_ROUTES)
def test_every_endpoint_needs_a_session_or_token(web: Web, method: str, path: str) -> None:
    r = web.client().request(method, path, json={})
    assert r.status_code == 401
    assert r.headers["www-authenticate"] == "Bearer"
    bad = web.client().request(method, path, json={}, headers={"Authorization": "Bearer slr_palsu"})
    assert bad.status_code == 401


# ------------------------------------------------------------------- accounts and sessions


def test_login_sets_a_safe_cookie_and_forms_need_the_csrf_token(web: Web) -> None:
    c = TestClient(web.app)
    page = c.get("/masuk")
    pra = re.search(r'name="pra" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    r = c.post("/masuk", data={"username": G1, "password": PASSWORD, "pra": pra}, follow_redirects=False)
    cookie = r.headers["set-cookie"]
    assert "selaras_sesi=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert "Secure" not in cookie
    assert c.get("/skp").status_code == 200
    # A POST without the token is refused, with it accepted.
    assert c.post(f"/pegawai/{G1}/sinkron", data={"flow": "skp"}, follow_redirects=False).status_code == 403
    assert c.post(f"/api/v1/pegawai/{G1}/sinkron", json={"flow": "skp"}).status_code == 403
    token = re.search(r'name="csrf_token" value="([^"]+)"', c.get("/skp").text).group(1)  # type: ignore[union-attr]
    ok = c.post(f"/pegawai/{G1}/sinkron", data={"flow": "skp", "csrf_token": token}, follow_redirects=False)
    assert ok.status_code == 303 and "job=" in ok.headers["location"]
    assert (
        c.post(f"/api/v1/pegawai/{G1}/sinkron", json={"flow": "skp"}, headers={"X-CSRF-Token": token}).status_code
        == 202
    )
    # The login form itself carries a token (the pre-session cookie).
    c2 = TestClient(web.app)
    assert c2.post("/masuk", data={"username": G1, "password": PASSWORD, "pra": "x"}).status_code == 403
    # Signing out ends the session on the server.
    c.post("/keluar", data={"csrf_token": token})
    assert c.get("/api/v1/saya").status_code == 401


def test_cookies_are_secure_when_configured_or_over_tls(web: Web) -> None:
    app = create_app(web.store, web.runner, secure_cookies=True, tahun=TAHUN)
    c = TestClient(app)
    assert "Secure" in c.get("/masuk").headers["set-cookie"]
    tls = TestClient(web.app, base_url="https://selaras.test")
    assert "Secure" in tls.get("/masuk").headers["set-cookie"]


def test_login_is_rate_limited_per_username_and_address(web: Web) -> None:
    c = TestClient(web.app)
    for _ in range(5):
        assert c.post("/api/v1/auth/token", data={"username": G2, "password": "salah"}).status_code == 401
    r = c.post("/api/v1/auth/token", data={"username": G2, "password": PASSWORD})
    assert r.status_code == 429 and "15 menit" in r.json()["detail"]
    assert r.headers["retry-after"] == str(15 * 60)  # a client knows when to try again
    page = c.get("/masuk")
    pra = re.search(r'name="pra" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    r = c.post("/masuk", data={"username": G2, "password": PASSWORD, "pra": pra})
    assert r.status_code == 429 and "Terlalu banyak percobaan" in r.text
    assert r.headers["retry-after"] == str(15 * 60)
    # Another username is not affected; the limit lives in the store (shared by processes).
    assert c.post("/api/v1/auth/token", data={"username": G1, "password": PASSWORD}).status_code == 200


def test_api_tokens_for_machine_clients(web: Web) -> None:
    token = TestClient(web.app).post("/api/v1/auth/token", data={"username": ADMIN, "password": PASSWORD}).json()
    c = TestClient(web.app, headers={"Authorization": f"Bearer {token['token']}"})
    me = c.get("/api/v1/saya").json()
    assert me["peran"] == "admin" and me["instansi_id"] == "I1"
    # No CSRF for bearer tokens.
    assert c.post(f"/api/v1/pegawai/{G1}/sinkron", json={"flow": "skp"}).status_code == 202
    revoke_tokens(web.store, ADMIN)
    assert c.get("/api/v1/saya").status_code == 401


def test_real_accounts_get_their_own_hash(web: Web) -> None:
    create_account(web.store, "budi", "kata-sandi-panjang", "pegawai", "Budi", nip=G1)
    create_account(web.store, "budi2", "kata-sandi-panjang", "pegawai", "Budi", nip=G1)
    with web.store.read() as conn:
        hashes = conn.execute(sa.text("SELECT password_hash FROM akun WHERE username IN ('budi', 'budi2')")).scalars()
        a, b = list(hashes)
    assert a != b and a.startswith("$argon2id$")


# ----------------------------------------------------------------------------- pegawai


def test_pegawai_sees_only_their_own_data(web: Web) -> None:
    g1 = web.client(G1)
    assert g1.get(f"/api/v1/pegawai/{G1}").status_code == 200
    for other in (G2, KS, G3, "000000000000000000"):
        assert g1.get(f"/api/v1/pegawai/{other}").status_code == 404
        assert g1.post(f"/api/v1/pegawai/{other}/sinkron", json={"flow": "skp"}).status_code == 404
    other_log = g1.get("/api/v1/log").json()["baris"]
    assert {r["nip"] for r in other_log} == {G1}
    for path in ("/api/v1/rekap", "/api/v1/periode", "/api/v1/unor", "/api/v1/audit", "/api/v1/sekolah"):
        assert g1.get(path).status_code == 403, path
    assert g1.post("/api/v1/sinkron-massal", json={"npsn": NPSN}).status_code == 403
    assert g1.put("/api/v1/unor/U-SD1/atasan", json={"atasan_nip": G1}).status_code == 403
    assert g1.post("/api/v1/periode", json=_periode("X", "TAHUNAN")).status_code == 403
    assert g1.delete("/api/v1/periode/P-2026").status_code == 403
    assert g1.get("/api/v1/kerja").status_code == 200
    catalogue = g1.get("/api/v1/kode").json()
    # Every code of the catalogue (18 of errors.md, then the codes of later flows such as TAH-*).
    assert [c["code"] for c in catalogue] == list(CATALOGUE)
    assert {"code", "judul", "penyebab", "aktor", "langkah"} <= set(catalogue[0])
    assert g1.get("/api/v1/notifikasi").status_code == 200
    assert g1.post("/api/v1/notifikasi/dibaca", json={"ids": [1]}).json() == {"diubah": 0}


def test_teacher_waits_on_the_principal_then_syncs(web: Web) -> None:
    g1, ks = web.client(G1), web.client(KS)
    job = g1.post(f"/api/v1/pegawai/{G1}/sinkron", json={"flow": "skp"}).json()["job_ids"][0]
    web.runner.drain()
    done = g1.get(f"/api/v1/jobs/{job}").json()
    assert done["status"] == "SELESAI"
    cards = done["hasil_sinkron"]["kartu"]
    assert [k["code"] for k in cards] == ["PMM-11"]
    card = cards[0]
    assert {"peran": "Kepala Sekolah", "nama": "Siti Aminah, S.Pd.", "nip": KS} in card["pihak"]
    assert "Menunggu Siti Aminah, S.Pd. (Kepala Sekolah)" in card["menunggu"]
    assert "otomatis" in card["menunggu"]
    assert card["nilai"]["sistem"] == ["e-Kinerja"]
    # Another pegawai cannot read that job.
    assert web.client(G2).get(f"/api/v1/jobs/{job}").status_code == 404
    assert ks.post(f"/api/v1/pegawai/{KS}/sinkron", json={"flow": "skp"}).status_code == 202
    web.runner.drain()
    # The principal's sync cascades to the teacher waiting on it.
    view = g1.get(f"/api/v1/pegawai/{G1}").json()
    if view["hasil_skp"]["status"] != "TERSINKRON":
        g1.post(f"/api/v1/pegawai/{G1}/sinkron", json={"flow": "skp"})
        web.runner.drain()
        view = g1.get(f"/api/v1/pegawai/{G1}").json()
    assert view["hasil_skp"]["status"] == "TERSINKRON" and view["hasil_skp"]["berhasil"]
    assert view["skp"][0]["skp_id"]
    # Then the periodic assessment.
    g1.post(f"/api/v1/pegawai/{G1}/sinkron", json={"flow": "penilaian"})
    web.runner.drain()
    assert g1.get(f"/api/v1/pegawai/{G1}").json()["hasil_penilaian"]["hasil"] == "BARU"


def test_penilaian_section_follows_a_later_successful_skp_sync(web: Web) -> None:
    """A "SKP belum tersinkron" logged before the SKP's successful sync is not shown as current."""
    ks = web.client(KS)
    ks.post(f"/api/v1/pegawai/{KS}/sinkron", json={"flow": "penilaian"})
    web.runner.drain()
    before = ks.get(f"/api/v1/pegawai/{KS}").json()
    assert [k["code"] for k in before["hasil_penilaian"]["kartu"]] == ["PER-02"]
    assert before["penilaian_catatan"] is None
    ks.post(f"/api/v1/pegawai/{KS}/sinkron", json={"flow": "skp"})
    web.runner.drain()
    after = ks.get(f"/api/v1/pegawai/{KS}").json()
    assert after["hasil_skp"]["berhasil"]
    assert after["hasil_penilaian"] is None
    assert "Sinkron Penilaian Periodik" in after["penilaian_catatan"]


def test_without_nip_pairing_the_button_is_replaced_by_the_reason(store: Store) -> None:
    rows = two_instansi_rows()
    row(rows, "dapodik_ptk", ptk_id="PTK-G2")["nip"] = "199003032015011999"  # a wrong NIP in Verval PTK
    snap = Snapshot.from_rows(rows)
    save_snapshot(store, snap)
    seed_demo_accounts(store, PASSWORD)
    runner = JobRunner(store, run=work_once)
    c = TestClient(create_app(store, runner, tahun=TAHUN))
    c.headers["Authorization"] = f"Bearer {create_token(store, G2)}"
    view = c.get(f"/api/v1/pegawai/{G2}").json()
    assert view["tombol_sinkron"] is False
    assert view["tanpa_tombol"]["code"] == "PMM-01"
    assert view["tanpa_tombol"]["pihak"][0]["peran"] == "Operator Sekolah"
    values = {b["data"]: b["nilai"] for b in view["tanpa_tombol"]["nilai"]["baris"]}
    assert values["NIP"] == [G2, "199003032015011999"]
    # The assessment's PER-02 card does not point at the hidden button but at the PMM-01 card.
    runner.start()
    try:
        c.post(f"/api/v1/pegawai/{G2}/sinkron", json={"flow": "penilaian"})
        runner.drain()
    finally:
        runner.stop()
    nilai = c.get(f"/api/v1/pegawai/{G2}").json()["hasil_penilaian"]["kartu"]
    per02 = next(k for k in nilai if k["code"] == "PER-02")
    assert "PMM-01" in per02["langkah"][0] and "Jalankan Sinkron PMM" not in " ".join(per02["langkah"])


def test_manual_skp_is_replaced_only_on_request_and_audited(store: Store) -> None:
    rows = two_instansi_rows()
    rows["ekinerja_skp"].append(manual_skp("SKP-MAN-1", G2, "U-SD1", KS))
    rows["ekinerja_rhk"].append(
        {
            "rhk_id": "RHK-MAN-1",
            "skp_id": "SKP-MAN-1",
            "uraian": "Buatan tangan",
            "pmm_rhk_id": None,
            "induk_rhk_id": None,
        }
    )
    save_snapshot(store, Snapshot.from_rows(rows))
    seed_demo_accounts(store, PASSWORD)
    runner = JobRunner(store, run=work_once).start()
    try:
        w = Web(store, runner, create_app(store, runner, tahun=TAHUN), Snapshot())
        assert w.client(G1).post(f"/api/v1/pegawai/{G2}/skp-manual/SKP-MAN-1/ganti").status_code == 404
        assert w.client(OP).post(f"/api/v1/pegawai/{G2}/skp-manual/SKP-MAN-1/ganti").status_code == 403
        assert w.client(ADMIN2).post(f"/api/v1/pegawai/{G2}/skp-manual/SKP-MAN-1/ganti").status_code == 404
        assert w.client(ADMIN).post(f"/api/v1/pegawai/{G2}/skp-manual/NOPE/ganti").status_code == 404
        view = w.client(G2).get(f"/api/v1/pegawai/{G2}").json()
        assert [m["skp_id"] for m in view["skp_manual"]] == ["SKP-MAN-1"]
        # The principal has no e-Kinerja SKP yet (PMM-11): the PMM plan could not replace it.
        refused = w.client(ADMIN).post(f"/api/v1/pegawai/{G2}/skp-manual/SKP-MAN-1/ganti")
        assert refused.status_code == 409 and "PMM-11" in refused.json()["detail"]
        assert [m["skp_id"] for m in w.client(G2).get(f"/api/v1/pegawai/{G2}").json()["skp_manual"]] == ["SKP-MAN-1"]
        page, csrf = w.login(G2)
        shown = page.post(f"/pegawai/{G2}/skp-manual/SKP-MAN-1/ganti", data={"csrf_token": csrf})
        assert shown.status_code == 409 and "PMM-11" in shown.text and "SKP manual dibiarkan" in shown.text
        assert w.client(ADMIN).post(f"/api/v1/pegawai/{KS}/sinkron", json={"flow": "skp"}).status_code == 202
        runner.drain()
        r = w.client(ADMIN).post(f"/api/v1/pegawai/{G2}/skp-manual/SKP-MAN-1/ganti")
        assert r.status_code == 200 and r.json()["dihapus_rhk"] == 1 and r.json()["hasil"] == "BARU"
        assert r.json()["skp_baru"]
        a = _audit(store)[-1]
        assert a["aksi"] == "GANTI_SKP_MANUAL" and a["username"] == ADMIN and "SKP-MAN-1" in a["sebelum"]
        assert w.client(G2).get(f"/api/v1/pegawai/{G2}").json()["skp_manual"] == []
    finally:
        runner.stop()


# ------------------------------------------------------------------ principal and operator


def test_principal_with_a_wrong_dapodik_nip_is_still_a_principal(web: Web) -> None:
    ptk = CONTRACT["dapodik_ptk"]
    with web.store.write() as conn:
        conn.execute(sa.update(ptk).where(ptk.c.ptk_id == "PTK-KS").values(nip="198001012005011099"))
    ks = web.client(KS)
    assert ks.get("/api/v1/saya").json()["kepala_sekolah"] is True  # matched by NIK, as the rules do
    assert ks.get(f"/api/v1/pegawai/{G1}").status_code == 200


def test_principal_sees_the_school_but_acts_only_for_self(web: Web) -> None:
    ks = web.client(KS)
    assert ks.get("/api/v1/saya").json()["kepala_sekolah"] is True
    assert ks.get(f"/api/v1/pegawai/{G1}").status_code == 200
    assert ks.get(f"/api/v1/pegawai/{G3}").status_code == 404
    assert ks.post(f"/api/v1/pegawai/{G1}/sinkron", json={"flow": "skp"}).status_code == 403
    school = ks.get("/api/v1/sekolah").json()
    assert {p["nip"] for p in school["pegawai"]} == {KS, G1, G2}
    assert ks.get("/api/v1/rekap").status_code == 403
    # A teacher is not a principal: no school page.
    assert web.client(G1).get("/api/v1/sekolah").status_code == 403


def test_operator_sees_the_school_and_may_not_sync(web: Web) -> None:
    op = web.client(OP)
    assert op.get(f"/api/v1/pegawai/{G1}").status_code == 200
    assert op.get(f"/api/v1/pegawai/{G3}").status_code == 404
    assert op.post(f"/api/v1/pegawai/{G1}/sinkron", json={"flow": "skp"}).status_code == 403
    assert op.post(f"/api/v1/pegawai/{G3}/sinkron", json={"flow": "skp"}).status_code == 404
    assert {r["npsn"] for r in op.get("/api/v1/log").json()["baris"]} == {NPSN}
    assert op.get("/api/v1/rekap").status_code == 403
    assert op.post("/api/v1/sinkron-massal", json={"npsn": NPSN}).status_code == 403
    assert op.get("/api/v1/sekolah").json()["npsn"] == NPSN
    assert web.client(OP2).get(f"/api/v1/pegawai/{G1}").status_code == 404


# ------------------------------------------------------------------------ admin instansi


def test_admin_reaches_its_instansi_and_nothing_of_another(web: Web) -> None:
    admin = web.client(ADMIN)
    assert admin.get(f"/api/v1/pegawai/{G1}").status_code == 200
    assert admin.get(f"/api/v1/pegawai/{G3}").status_code == 404
    rows = admin.get("/api/v1/log?batas=500").json()["baris"]
    assert rows and {r["instansi_id"] for r in rows} == {"I1"}
    other = web.client(ADMIN2).get("/api/v1/log").json()["baris"]
    assert {r["instansi_id"] for r in other} == {"I2"}
    assert admin.get(f"/api/v1/log/{other[0]['log_id']}").status_code == 404
    assert admin.get(f"/api/v1/log/{rows[0]['log_id']}").status_code == 200
    assert admin.get("/api/v1/rekap?instansi_id=I2").status_code == 404
    assert admin.post(f"/api/v1/pegawai/{G3}/sinkron", json={"flow": "skp"}).status_code == 404
    assert admin.post("/api/v1/sinkron-massal", json={"nips": [G1, G3]}).status_code == 404
    assert admin.put("/api/v1/unor/U-I2-SD/atasan", json={"atasan_nip": KS}).status_code == 404
    assert admin.delete("/api/v1/periode/P-NOPE").status_code == 404
    csv_text = admin.get("/api/v1/log/ekspor?format=csv").text
    assert G3 not in csv_text and G1 in csv_text


def test_admin_syncs_on_behalf_and_in_bulk_with_audit(web: Web) -> None:
    admin = web.client(ADMIN)
    r = admin.post(f"/api/v1/pegawai/{KS}/sinkron", json={"flow": "skp"})
    assert r.status_code == 202
    web.runner.drain()
    a = _audit(web.store)[-1]
    assert (a["aksi"], a["sasaran"], a["username"], a["instansi_id"]) == (
        "SINKRON_ATAS_NAMA",
        f"pegawai:{KS}",
        ADMIN,
        "I1",
    )
    assert '"status": "SIAP"' in a["sebelum"] and "job_id" in a["sesudah"]
    by_code = admin.post("/api/v1/sinkron-massal", json={"kode": "PMM-11"}).json()
    assert by_code["jumlah"] == 0 or by_code["jumlah"] == 2
    everyone = admin.post("/api/v1/sinkron-massal", json={"semua": True}).json()
    assert everyone["jumlah"] == 4  # the Kepala Dinas too: the job's check decides who is in scope
    by_school = admin.post("/api/v1/sinkron-massal", json={"npsn": NPSN}).json()
    assert by_school["jumlah"] == 3
    chosen = admin.post("/api/v1/sinkron-massal", json={"nips": [G1, G2]}).json()
    assert chosen["jumlah"] == 2
    assert admin.post("/api/v1/sinkron-massal", json={}).status_code == 422
    assert admin.post("/api/v1/sinkron-massal", json={"kode": "XXX-99"}).status_code == 422
    web.runner.drain()
    assert [x["aksi"] for x in _audit(web.store)[-4:]] == ["SINKRON_MASSAL"] * 4
    audit_api = admin.get("/api/v1/audit").json()
    assert audit_api[0]["aksi"] == "SINKRON_MASSAL" and audit_api[0]["sebelum"]["kriteria"]["nip"] == [G1, G2]
    assert web.client(ADMIN2).get("/api/v1/audit").json() == []


def _periode(pid: str, jenis: str, tipe: str | None = None, angka: int | None = None) -> dict[str, Any]:
    return {
        "periode_id": pid,
        "nama": pid,
        "jenis": jenis,
        "awal": "2026-01-01",
        "akhir": "2026-12-31",
        "tipe_periodik": tipe,
        "angka_periodik": angka,
    }


def test_periode_management_refuses_a_non_standard_setup(web: Web) -> None:
    admin = web.client(ADMIN)
    assert {p["periode_id"] for p in admin.get("/api/v1/periode").json()} >= {"P-2026", "P-2026-TW1"}
    mixed = admin.post("/api/v1/periode", json=_periode("P-BLN-1", "PERIODIK", "BULANAN", 1))
    assert mixed.status_code == 422
    assert "PER-01" in mixed.json()["detail"] and "mencampur" in mixed.json()["detail"]
    twice = admin.post("/api/v1/periode", json=_periode("P-TW1-LAGI", "PERIODIK", "TRIWULANAN", 1))
    assert twice.status_code == 422 and "lebih dari sekali: 1" in twice.json()["detail"]
    out = admin.post("/api/v1/periode", json=_periode("P-TW5", "PERIODIK", "TRIWULANAN", 5))
    assert out.status_code == 422 and "di luar rentang" in out.json()["detail"]
    assert admin.post("/api/v1/periode", json={**_periode("P-X", "PERIODIK"), "tipe_periodik": None}).status_code == 422
    ok = admin.post(
        "/api/v1/periode", json=_periode("P-2027", "TAHUNAN") | {"awal": "2027-01-01", "akhir": "2027-12-31"}
    )
    assert ok.status_code == 201
    changed = admin.post(
        "/api/v1/periode", json=_periode("P-2026-TW4", "PERIODIK", "TRIWULANAN", 4) | {"nama": "TW IV"}
    )
    assert changed.status_code == 201
    assert admin.delete("/api/v1/periode/P-2027").status_code == 204
    actions = [(a["aksi"], a["sasaran"]) for a in _audit(web.store)]
    assert actions[-3:] == [
        ("PERIODE_SIMPAN", "periode:P-2027"),
        ("PERIODE_SIMPAN", "periode:P-2026-TW4"),
        ("PERIODE_HAPUS", "periode:P-2027"),
    ]
    assert '"nama": "Triwulan 4"' in _audit(web.store)[-2]["sebelum"]
    # Another instansi's admin cannot touch I1's periods.
    assert web.client(ADMIN2).delete("/api/v1/periode/P-2026").status_code == 404
    # Saving under another instansi's id is out of reach: 404 like everything else out of reach.
    assert web.client(ADMIN2).post("/api/v1/periode", json=_periode("P-2026", "TAHUNAN")).status_code == 404
    # TAHUNAN periods may not overlap; dates stay inside the window; ids are safe in a URL.
    overlap = admin.post("/api/v1/periode", json=_periode("P-2026-B", "TAHUNAN") | {"awal": "2026-06-01"})
    assert overlap.status_code == 422 and "bertumpang tanggal dengan periode TAHUNAN P-2026" in overlap.json()["detail"]
    wide = admin.post("/api/v1/periode", json=_periode("P-SEMUA", "TAHUNAN") | {"awal": "0001-01-01"})
    assert wide.status_code == 422 and wide.json()["galat"][0]["kolom"] == "awal"
    assert admin.post("/api/v1/periode", json=_periode("a/b", "TAHUNAN")).status_code == 422


def test_unit_superior_change_is_audited_with_before_and_after(web: Web) -> None:
    admin = web.client(ADMIN)
    units = {u["unor_id"]: u for u in admin.get("/api/v1/unor").json()}
    assert units["U-SD1"]["atasan_nip"] == KS and units["U-SD1"]["atasan_nama"] == "Siti Aminah, S.Pd."
    assert admin.put("/api/v1/unor/U-SD1/atasan", json={"atasan_nip": "123"}).status_code == 422
    r = admin.put("/api/v1/unor/U-SD1/atasan", json={"atasan_nip": KADIS})
    assert r.status_code == 200 and r.json()["atasan_nip"] == KADIS
    a = _audit(web.store)[-1]
    assert a["aksi"] == "UBAH_ATASAN_UNOR" and KS in a["sebelum"] and KADIS in a["sesudah"]
    assert {u["unor_id"]: u for u in admin.get("/api/v1/unor").json()}["U-SD1"]["atasan_nip"] == KADIS


def test_log_filters_paging_detail_and_exports(web: Web) -> None:
    admin = web.client(ADMIN)
    web.client(G1).post(f"/api/v1/pegawai/{G1}/sinkron", json={"flow": "skp"})
    web.runner.drain()
    all_rows = admin.get("/api/v1/log?batas=500").json()["baris"]
    assert len(all_rows) == 4  # three I1 pegawai checked (the Kepala Dinas is out of scope) + one sync
    assert [r["log_id"] for r in all_rows] == sorted((r["log_id"] for r in all_rows), reverse=True)
    pages, before = [], None
    while True:
        page = admin.get("/api/v1/log", params={"batas": 2, **({"sebelum": before} if before else {})}).json()
        pages += page["baris"]
        before = page["sebelum_berikutnya"]
        if before is None:
            break
    assert [r["log_id"] for r in pages] == [r["log_id"] for r in all_rows]
    pmm11 = admin.get("/api/v1/log?kode=PMM-11").json()["baris"]
    assert pmm11 and all("PMM-11" in (r["kode"] or "") for r in pmm11)
    assert {r["nip"] for r in admin.get("/api/v1/log?q=budi").json()["baris"]} == {G1}
    assert {r["nip"] for r in admin.get(f"/api/v1/log?q={G1[:10]}").json()["baris"]} == {G1}
    assert {r["status"] for r in admin.get("/api/v1/log?status=GAGAL").json()["baris"]} == {"GAGAL"}
    ks_rows = admin.get("/api/v1/log?aktor=Kepala Sekolah").json()["baris"]
    assert {r["nip"] for r in ks_rows} <= {G1, G2}
    assert admin.get("/api/v1/log?dari=2000-01-01&sampai=2000-01-02").json()["baris"] == []
    assert len(admin.get("/api/v1/log?dari=2020-01-01").json()["baris"]) == 4
    detail = admin.get(f"/api/v1/log/{pmm11[0]['log_id']}").json()
    assert detail["kartu"][0]["code"] == "PMM-11" and detail["errors"][0]["detail"]["ekinerja"]["atasan_nip"] == KS
    xlsx = admin.get("/api/v1/log/ekspor?format=xlsx&kode=PMM-11")
    assert xlsx.status_code == 200 and "spreadsheetml" in xlsx.headers["content-type"]
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.content)).active
    got = list(sheet.iter_rows(values_only=True))
    assert got[0][0] == "ID log" and len(got) == 1 + len(pmm11)
    assert {r[2] for r in got[1:]} == {r["nip"] for r in pmm11}
    text = admin.get("/api/v1/log/ekspor?format=csv&status=GAGAL").content.decode("utf-8-sig")
    parsed = list(csv.reader(io.StringIO(text)))
    assert parsed[0][2] == "NIP" and len(parsed) - 1 == len(admin.get("/api/v1/log?status=GAGAL").json()["baris"])
    assert admin.get("/api/v1/log/ekspor?format=pdf").status_code == 422
    assert admin.get("/api/v1/log/999999").status_code == 404


# ------------------------------------------------------------------------ dinas and nasional


def test_dinas_sees_its_matching_problems_only(store: Store) -> None:
    rows = two_instansi_rows()
    row(rows, "siasn_unor", unor_id="U-SD1")["npsn"] = None  # the school lost its unit match: PMM-08
    snap = Snapshot.from_rows(rows)
    save_snapshot(store, snap)
    seed_demo_accounts(store, PASSWORD)
    record_run(store, pelaku="uji", mode="CHECK", flow=Flow.SKP, tahun=TAHUN, check=check(snap, TAHUN))
    w = Web(
        store, JobRunner(store, run=work_once), create_app(store, JobRunner(store, run=work_once), tahun=TAHUN), snap
    )
    dinas = w.client(DINAS)
    log_rows = dinas.get("/api/v1/log").json()["baris"]
    assert log_rows and all("PMM-08" in r["kode"] for r in log_rows)
    items = dinas.get("/api/v1/kerja").json()["butir"]
    assert [(i["code"], i["jenis"], i["kunci"], i["jumlah"]) for i in items] == [("PMM-08", "sekolah", NPSN, 3)]
    assert dinas.get(f"/api/v1/pegawai/{G1}").status_code == 404
    assert dinas.post(f"/api/v1/pegawai/{G1}/sinkron", json={"flow": "skp"}).status_code == 404
    for path in ("/api/v1/periode", "/api/v1/unor", "/api/v1/audit", "/api/v1/rekap", "/api/v1/sekolah"):
        assert dinas.get(path).status_code == 403, path
    assert dinas.post("/api/v1/sinkron-massal", json={"npsn": NPSN}).status_code == 403
    assert w.client("dinas-I2").get("/api/v1/log").json()["baris"] == []


def test_national_admin_reads_everything_and_does_nothing(web: Web) -> None:
    nas = web.client(NASIONAL)
    assert {r["instansi_id"] for r in nas.get("/api/v1/log?batas=500").json()["baris"]} == {"I1", "I2"}
    assert nas.get("/api/v1/rekap").json()["total"] == 4
    assert nas.get("/api/v1/rekap?instansi_id=I2").json()["total"] == 1
    assert nas.get(f"/api/v1/pegawai/{G3}").status_code == 200
    assert nas.get("/api/v1/audit").status_code == 200
    assert nas.post(f"/api/v1/pegawai/{G1}/sinkron", json={"flow": "skp"}).status_code == 403
    assert nas.post("/api/v1/sinkron-massal", json={"npsn": NPSN}).status_code == 403
    assert nas.post("/api/v1/periode", json=_periode("P-N", "TAHUNAN")).status_code == 403
    assert nas.delete("/api/v1/periode/P-2026").status_code == 403
    assert nas.put("/api/v1/unor/U-SD1/atasan", json={"atasan_nip": KS}).status_code == 403
    assert nas.post(f"/api/v1/pegawai/{G2}/skp-manual/X/ganti").status_code == 403
    assert nas.get("/api/v1/kerja").status_code == 403
    assert nas.get("/api/v1/periode").status_code == 403


# ------------------------------------------------------------------------------ worklists


def test_worklists_group_by_root_cause(web: Web) -> None:
    # Both teachers wait on the principal: after their sync, one item with two teachers.
    admin = web.client(ADMIN)
    admin.post("/api/v1/sinkron-massal", json={"nips": [G1, G2]})
    web.runner.drain()
    items = admin.get("/api/v1/kerja").json()["butir"]
    blocker = [i for i in items if i["code"] == "PMM-11"]
    assert len(blocker) == 1
    assert blocker[0]["jenis"] == "atasan" and blocker[0]["kunci"] == KS and blocker[0]["jumlah"] == 2
    assert {p["nip"] for p in blocker[0]["daftar"]} == {G1, G2}
    ks_items = web.client(KS).get("/api/v1/kerja").json()["butir"]
    assert [(i["code"], i["jumlah"]) for i in ks_items] == [("PMM-11", 2)]
    assert web.client(G1).get("/api/v1/kerja").json()["butir"] == []  # nothing the teacher can do
    assert web.client(OP).get("/api/v1/kerja").json()["butir"] == []


# ---------------------------------------------------------------------- recap = check


def test_recap_numbers_equal_the_check(store: Store) -> None:
    from selaras.domain.recap import recap
    from selaras.simulation.generator import generate

    g = generate(300, seed=11, tahun=TAHUN, instansi=2)
    save_snapshot(store, g.snapshot)
    seed_demo_accounts(store, PASSWORD)
    result = check(g.snapshot, TAHUN)
    record_run(store, pelaku="uji", mode="CHECK", flow=Flow.SKP, tahun=TAHUN, check=result)
    app = create_app(store, JobRunner(store, run=work_once), tahun=TAHUN)
    for instansi_id in g.snapshot["instansi"]["instansi_id"].to_list():
        c = TestClient(app, headers={"Authorization": f"Bearer {create_token(store, f'admin-{instansi_id}')}"})
        api = c.get("/api/v1/rekap").json()
        nips = g.snapshot["siasn_pegawai"].filter(pl.col("instansi_id") == instansi_id)["nip"]
        mine = result.pegawai.filter(pl.col("nip").is_in(nips.implode()))
        errors = result.errors.filter(pl.col("nip").is_in(nips.implode()))
        assert api["total"] == mine.height
        assert api["status"] == {s: mine.filter(pl.col("status") == s).height for s in ("SIAP", "GAGAL", "TERSINKRON")}
        by_code = errors.group_by("code").agg(pl.col("nip").n_unique())
        assert {k["code"]: k["pegawai"] for k in api["kode"]} == dict(by_code.iter_rows())
        expected = recap(type(result)(TAHUN, Flow.SKP, mine, errors), g.snapshot["dapodik_sekolah"])
        assert api["sekolah"] == expected.by_school.to_dicts()
        assert {a["aktor"]: a["pegawai"] for a in api["aktor"]} == dict(
            expected.by_actor.select("aktor", "pegawai").iter_rows()
        )
        assert api["tren"][-1]["GAGAL"] == api["status"]["GAGAL"]
        page = c.get("/rekap")
        assert page.status_code == 200
        for k in api["kode"]:
            assert f">{k['code']}<" in page.text


# ---------------------------------------------------------------------------------- pages


def test_pages_render_for_each_role_and_refuse_the_rest(web: Web) -> None:
    web.client(G1).post(f"/api/v1/pegawai/{G1}/sinkron", json={"flow": "skp"})
    web.runner.drain()
    log_id = web.client(ADMIN).get("/api/v1/log").json()["baris"][0]["log_id"]
    other_id = web.client(ADMIN).get(f"/api/v1/log?q={G2}").json()["baris"][0]["log_id"]
    allowed = {
        G1: ["/skp", "/kerja"],
        KS: ["/skp", "/kerja", "/sekolah", f"/pegawai/{G1}"],
        OP: ["/kerja", "/sekolah", f"/pegawai/{G1}"],
        ADMIN: [
            "/rekap",
            "/log",
            f"/log/{log_id}",
            "/log?kode=PMM-11",
            "/kerja",
            "/periode",
            "/unor",
            "/audit",
            f"/pegawai/{G1}",
            "/rekap?flow=penilaian",
        ],
        DINAS: ["/kerja", "/log"],
        NASIONAL: ["/rekap", "/log", "/audit", f"/pegawai/{G3}", "/rekap?instansi_id=I2"],
    }
    refused = {
        G1: [("/rekap", 403), ("/periode", 403), (f"/pegawai/{G2}", 404), (f"/log/{other_id}", 404)],
        OP: [("/rekap", 403), (f"/pegawai/{G3}", 404), ("/unor", 403)],
        ADMIN: [(f"/pegawai/{G3}", 404), ("/sekolah", 403)],
        DINAS: [("/rekap", 403), (f"/pegawai/{G1}", 404), ("/audit", 403)],
        NASIONAL: [("/periode", 403), ("/kerja", 403)],
    }
    for user, paths in allowed.items():
        c, _ = web.login(user)
        for path in paths:
            r = c.get(path)
            assert r.status_code == 200, (user, path, r.status_code)
            assert '<html lang="id">' in r.text
        for path, status in refused.get(user, []):
            r = c.get(path)
            assert r.status_code == status, (user, path, r.status_code)
            assert "beranda" in r.text
    anon = TestClient(web.app)
    r = anon.get("/rekap", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/masuk?lanjut=/rekap")


def test_page_forms_run_the_same_actions(web: Web) -> None:
    c, csrf = web.login(ADMIN)
    r = c.post(
        "/periode",
        data={
            "csrf_token": csrf,
            "periode_id": "P-B1",
            "jenis": "PERIODIK",
            "awal": "2026-01-01",
            "akhir": "2026-01-31",
            "tipe_periodik": "BULANAN",
            "angka_periodik": "1",
        },
    )
    assert r.status_code == 422 and "PER-01" in r.text and "mencampur" in r.text
    r = c.post("/unor/U-SD1/atasan", data={"csrf_token": csrf, "atasan_nip": KADIS}, follow_redirects=False)
    assert r.status_code == 303
    r = c.post("/sinkron-massal", data={"csrf_token": csrf, "npsn": NPSN, "kembali": "/log"}, follow_redirects=False)
    assert r.status_code == 303 and "pesan=massal" in r.headers["location"] and "n=3" in r.headers["location"]
    r = c.post(
        "/sinkron-massal",
        data={"csrf_token": csrf, "nip": [G1, G2], "kembali": "https://evil.example/"},
        follow_redirects=False,
    )
    assert r.headers["location"].startswith("/log?")
    r = c.post(f"/pegawai/{G1}/sinkron", data={"csrf_token": csrf, "flow": "skp"}, follow_redirects=False)
    assert r.headers["location"].startswith(f"/pegawai/{G1}?pesan=antre&job=")
    assert [a["aksi"] for a in _audit(web.store)] == [
        "UBAH_ATASAN_UNOR",
        "SINKRON_MASSAL",
        "SINKRON_MASSAL",
        "SINKRON_ATAS_NAMA",
    ]
    web.runner.drain()
    assert "Berhasil" in c.get(f"/pegawai/{KS}").text or "kendala" in c.get(f"/pegawai/{KS}").text


def test_rotation_lists_the_schools_of_the_year(store: Store) -> None:
    rows = two_instansi_rows()
    s1 = row(rows, "pmm_skp", pmm_skp_id="S-G1")
    s1["periode_akhir"] = "2026-06-30"
    rows["pmm_skp"].append(
        {**s1, "pmm_skp_id": "S-G1-B", "npsn": "10000002", "periode_awal": "2026-07-01", "periode_akhir": "2026-12-31"}
    )
    save_snapshot(store, Snapshot.from_rows(rows))
    seed_demo_accounts(store, PASSWORD)
    c = TestClient(create_app(store, JobRunner(store, run=work_once), tahun=TAHUN))
    c.headers["Authorization"] = f"Bearer {create_token(store, G1)}"
    view = c.get(f"/api/v1/pegawai/{G1}").json()
    assert view["rotasi"] is True
    assert [(s["pmm_skp_id"], s["npsn"]) for s in view["skp"]] == [("S-G1", NPSN), ("S-G1-B", "10000002")]
    assert view["sekolah"] == ["SD Negeri 1 Bima", "SD Negeri 2 Bima"]
    token = create_token(store, G1)
    page = TestClient(create_app(store, JobRunner(store, run=work_once), tahun=TAHUN))
    html = page.get("/skp", headers={"Authorization": f"Bearer {token}"}).text
    assert "Sinkron Data SKP dengan Rotasi PMM" in html and "Lakukan Sinkron" in html


FULL_SCAN = re.compile(r"^SCAN (?!CONSTANT ROW)(\S+)(?!.*USING (COVERING )?INDEX)")
"""A plan step reading a whole table (``SCAN sync_log``); ``SCAN t USING INDEX`` reads an index
range, which passes."""


def _plans(store: Store, statements: list[tuple[str, Any]]) -> list[tuple[str, list[str]]]:
    """Each captured SELECT with the steps of its SQLite query plan."""
    out = []
    with store.read() as conn:
        for sql, params in statements:
            if sql.lstrip().upper().startswith("SELECT"):
                steps = [r[3] for r in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql, params)]
                out.append((sql, steps))
    return out


def test_log_pages_are_index_range_scans(tmp_path: Any) -> None:
    """Every filtered log page (and every read it makes for the names beside the rows) is an
    index range scan in log_id order: no step reads a whole table, and no page sorts the rows it
    found (a keyset page then costs the same on the millionth row as on the first). Asserted on
    the query plans SQLite chooses, not on a wall time; after ``ANALYZE`` a store of a few
    thousand rows gets the same plans as one of 200,000 (checked when this test was written)."""
    from selaras.simulation.generator import generate
    from selaras.usecases.access import DINAS_CODES, LogScope
    from selaras.web.queries import LogFilter as F
    from selaras.web.queries import log_page as page

    store = Store.open(str(tmp_path / "log.db"))
    g = generate(2_000, seed=3, tahun=TAHUN, instansi=4)
    save_snapshot(store, g.snapshot)
    result = check(g.snapshot, TAHUN)
    for _ in range(2):
        record_run(store, pelaku="uji", mode="CHECK", flow=Flow.SKP, tahun=TAHUN, check=result)
    with store.engine.begin() as conn:
        conn.exec_driver_sql("ANALYZE")
    instansi_id = g.snapshot["instansi"]["instansi_id"][1]
    rare = result.errors.group_by("code").len().sort("len")["code"][0]
    filters = (F(), F(kode="PMM-12"), F(kode=rare), F(aktor="Dinas Pendidikan"), F(status="SIAP"), F(q="sari"))
    scopes = {
        "admin": (LogScope(instansi_id=instansi_id), filters),
        "dinas": (LogScope(instansi_id=instansi_id, codes=DINAS_CODES), (F(), F(aktor="Dinas Pendidikan"))),
    }
    captured: list[tuple[str, Any]] = []

    def capture(_conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, _many: bool) -> None:
        captured.append((statement, parameters))

    checked = 0
    for name, (scope, its_filters) in scopes.items():
        for f in its_filters:
            captured.clear()
            sa.event.listen(store.engine, "before_cursor_execute", capture)
            try:
                before, pages = None, 0
                while pages < 3:
                    rows, before = page(store, f, scope, before=before, limit=5)
                    pages += 1
                    if before is None:
                        break
            finally:
                sa.event.remove(store.engine, "before_cursor_execute", capture)
            assert rows, (name, f)
            log_reads = 0
            for sql, steps in _plans(store, captured):
                assert not [s for s in steps if FULL_SCAN.match(s)], (name, f, sql, steps)
                if re.search(r"\bFROM sync_log\b", sql):
                    log_reads += 1
                    assert any(re.match(r"(SEARCH|SCAN) sync_log .*USING (COVERING )?INDEX", s) for s in steps)
                    assert not [s for s in steps if "TEMP B-TREE" in s], (name, f, sql, steps)
            assert log_reads == pages, (name, f)
            checked += log_reads
    assert checked >= len(filters) + 2
    store.dispose()

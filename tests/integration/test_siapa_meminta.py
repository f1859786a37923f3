"""The log says who asked for each sync (issue 23, defect 4): a teacher's own button, an
admin's sync on behalf, a bulk sync, a cascade and the scheduled refresh each show the person
(name and role) or the system and why, on the page, the detail, the export and the API.
Runs on SQLite and PostgreSQL (the ``store`` fixture)."""

from __future__ import annotations

import csv
import html
import io

import pytest
from test_web_api import ADMIN, Web
from test_web_api import web as web_fixture  # noqa: F401  (the fixture, by its name "web")
from world import G1, G2, KS, TAHUN

from selaras.domain.results import Flow
from selaras.usecases.accounts import get_account


@pytest.fixture
def web(web_fixture: Web) -> Web:  # noqa: F811
    """The app of ``test_web_api`` (two instansi, every role)."""
    return web_fixture


def test_every_kind_of_request_names_who_asked(web: Web) -> None:
    g1, admin = web.client(G1), web.client(ADMIN)
    assert g1.post(f"/api/v1/pegawai/{G1}/sinkron", json={"flow": "skp"}).status_code == 202
    web.runner.drain()  # the teacher waits on the principal
    assert admin.post(f"/api/v1/pegawai/{KS}/sinkron", json={"flow": "skp"}).status_code == 202
    web.runner.drain()  # the principal synced on his behalf; his teachers go again (cascade)
    assert admin.post("/api/v1/sinkron-massal", json={"nips": [G2]}).status_code == 202
    web.runner.drain()
    # What the scheduled refresh queues when the sources changed (usecases.batch.scheduled_refresh).
    web.runner.submit([G2], Flow.PENILAIAN, TAHUN, alasan="JADWAL", diminta_oleh="selaras")
    web.runner.drain()

    guru, admin_akun = get_account(web.store, G1), get_account(web.store, ADMIN)
    assert guru is not None and admin_akun is not None
    expected = {
        (G1, "skp", "TOMBOL"): (G1, f"{guru.nama} (Pegawai) · tombol sinkron oleh pegawai"),
        (KS, "skp", "ADMIN"): (ADMIN, f"{admin_akun.nama} (Admin Instansi) · sinkron atas nama oleh Admin Instansi"),
        (G1, "skp", "KASKADE"): (None, "Sistem · otomatis, setelah hambatannya selesai"),
        (G2, "skp", "KASKADE"): (None, "Sistem · otomatis, setelah hambatannya selesai"),
        (G2, "skp", "MASSAL"): (ADMIN, f"{admin_akun.nama} (Admin Instansi) · sinkron massal"),
        (G2, "penilaian", "JADWAL"): (None, "Sistem · pembaruan terjadwal (data sumber berubah)"),
    }
    rows = [r for r in admin.get("/api/v1/log?batas=500").json()["baris"] if r["pelaku"].startswith("job:")]
    seen = {(r["nip"], r["flow"], r["alasan"]): (r["diminta_oleh"], r["pelaku_nama"]) for r in rows}
    assert seen == expected
    assert all("antrean" not in r["pelaku_nama"] for r in rows)

    # The page, the detail and the export say the same.
    page, _ = web.login(ADMIN)
    text = html.unescape(page.get("/log").text)
    for _, words in expected.values():
        assert words in text, words
    by_alasan = {r["alasan"]: r for r in rows}
    detail = html.unescape(page.get(f"/log/{by_alasan['TOMBOL']['log_id']}").text)
    assert f"oleh {guru.nama} (Pegawai) · tombol sinkron oleh pegawai" in detail
    api_detail = admin.get(f"/api/v1/log/{by_alasan['ADMIN']['log_id']}").json()
    assert api_detail["diminta_oleh"] == ADMIN and api_detail["alasan"] == "ADMIN"
    exported = list(csv.DictReader(io.StringIO(admin.get("/api/v1/log/ekspor?format=csv").content.decode("utf-8-sig"))))
    got = {(r["NIP"], r["Dicatat oleh"]) for r in exported}
    for (nip, _, _), (_, words) in expected.items():
        assert (nip, words) in got, words

"""School leaders through single sign-on (issue 20 with issue 18's duties): a Plt signed in at
the real provider (oidc-provider on the loopback) reaches the school he or she leads exactly as
a local session of the same NIP does, and loses the leader's pages on the next request when the
duty ends (TST passed, or the term over by ``plt_masa_bulan``); a definitive principal whose
KEPALA_SEKOLAH duty row has ended loses them too (leaders.md: that row's dates decide).
Runs on SQLite and PostgreSQL (the ``store`` fixture)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from oidc_provider import CLIENT_ID, CLIENT_SECRET, oidc_provider
from test_pimpinan_web import plt_world
from test_sso import APP, CALLBACK, _local, sso_login
from world import G1, G2, KS, NPSN, TAHUN, Rows, base_rows, row

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

ACCOUNTS = {"plt": {"nip": KS, "name": "Siti Aminah"}, "kepsek": {"nip": KS, "name": "Siti Aminah"}}
LEADER_PAGES = ["/sekolah", f"/pegawai/{G1}", f"/pegawai/{G2}"]
PAGES = ["/", "/skp", "/kerja", "/log", f"/pegawai/{KS}", "/kerja/ekspor.csv", "/log/ekspor", *LEADER_PAGES]


@pytest.fixture(scope="module")
def provider() -> Iterator[str]:
    with oidc_provider([CALLBACK], [f"{APP}/masuk"], ACCOUNTS) as url:
        yield url


def _app(store: Store, provider: str, monkeypatch: pytest.MonkeyPatch, rows: Rows) -> Any:
    monkeypatch.setenv("SELARAS_OIDC_ISSUER", provider)
    monkeypatch.setenv("SELARAS_OIDC_CLIENT_ID", CLIENT_ID)
    monkeypatch.setenv("SELARAS_OIDC_CLIENT_SECRET", CLIENT_SECRET)
    monkeypatch.setenv("SELARAS_TANGGAL", "2026-03-01")  # inside the duty and the term
    snap = Snapshot.from_rows(rows)
    save_snapshot(store, snap)
    record_run(store, pelaku="uji", mode="CHECK", flow=Flow.SKP, tahun=TAHUN, check=check(snap, TAHUN))
    create_account(store, KS, "rahasia-uji-1", "pegawai", "Siti Aminah", nip=KS)
    return create_app(store, JobRunner(store, run=work_once), tahun=TAHUN)


def _answers(c: TestClient) -> dict[str, int]:
    return {p: c.get(p, follow_redirects=False).status_code for p in PAGES}


def _sessions(app: Any, login: str) -> tuple[TestClient, TestClient]:
    sso, r = sso_login(app, login)
    assert r.status_code == 303, r.text
    return sso, _local(app, KS)


def test_a_plt_signed_in_by_sso_reaches_the_school_led_as_a_local_session_does(
    store: Store, provider: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = _app(store, provider, monkeypatch, plt_world())
    sso, local = _sessions(app, "plt")
    got = _answers(sso)
    assert got == _answers(local)
    assert all(got[p] == 200 for p in LEADER_PAGES), got
    sekolah = sso.get("/sekolah").text
    assert "SD Negeri 1 Bima" in sekolah  # the school led, not the Plt's own (SD Negeri 2)
    assert "· Plt Kepala Sekolah</span>" in sso.get("/skp").text
    kerja = sso.get("/kerja").text
    assert f'href="/pegawai/{G1}"' in kerja  # the worklist leads to the teachers of the school led


def _ended_plt(how: str, monkeypatch: pytest.MonkeyPatch, store: Store) -> None:
    if how == "tst":
        monkeypatch.setenv("SELARAS_TANGGAL", "2026-07-01")  # the day after the TST
        return
    rows = plt_world()
    rows["dapodik_tugas_tambahan"][0]["tst"] = None  # still running in Dapodik
    save_snapshot(store, Snapshot.from_rows(rows))
    # TMT 2 January + the default 9 months ended on 2 October
    monkeypatch.setenv("SELARAS_TANGGAL", "2026-10-03")


@pytest.mark.parametrize("how", ["tst", "masa"])
def test_when_the_plt_duty_ends_the_next_request_loses_the_leaders_pages(
    store: Store, provider: str, monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    app = _app(store, provider, monkeypatch, plt_world())
    sso, local = _sessions(app, "plt")
    assert all(sso.get(p).status_code == 200 for p in LEADER_PAGES)
    _ended_plt(how, monkeypatch, store)
    for c in (sso, local):
        assert c.get("/sekolah").status_code == 403
        assert c.get(f"/pegawai/{G1}").status_code == 404
        assert c.get(f"/pegawai/{G2}").status_code == 404
        assert c.get("/skp").status_code == 200  # still a teacher at SD 2: their own page stays
        assert c.get(f"/pegawai/{KS}").status_code == 200
        assert "· Guru</span>" in c.get("/skp").text
    assert _answers(sso) == _answers(local)


def definitive_with_duty_row() -> Rows:
    """SD 1's principal recorded in the duty file too, his KEPALA_SEKOLAH row ending 30 June."""
    rows = base_rows()
    assert row(rows, "dapodik_ptk", ptk_id="PTK-KS")["tugas_tambahan"] == "Kepala Sekolah"
    rows["dapodik_tugas_tambahan"] = [
        {
            "ptk_id": "PTK-KS",
            "npsn": NPSN,
            "jenis": "KEPALA_SEKOLAH",
            "nomor_sk": "800.1/00001/DISDIK/2020",
            "tmt": "2020-01-02",
            "tst": "2026-06-30",
        }
    ]
    return rows


def test_a_definitive_principal_whose_duty_row_ended_loses_the_pages_on_the_next_request(
    store: Store, provider: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = _app(store, provider, monkeypatch, definitive_with_duty_row())
    sso, local = _sessions(app, "kepsek")
    for c in (sso, local):
        assert all(c.get(p).status_code == 200 for p in LEADER_PAGES)
    # Dapodik still says Kepala Sekolah in the PTK row; the duty row's TST decides (leaders.md)
    monkeypatch.setenv("SELARAS_TANGGAL", "2026-07-01")
    for c in (sso, local):
        assert c.get("/sekolah").status_code == 403
        assert c.get(f"/pegawai/{G1}").status_code == 404
        assert c.get("/skp").status_code == 200
    assert _answers(sso) == _answers(local)

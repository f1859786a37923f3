"""School leaders on the web (issue 18): a Plt sees the teachers of the school led while the
duty lasts and no longer; the Dinas Pendidikan's list of schools by leadership and the Admin
Instansi's PLT/PLH to-do list, as JSON and as a page; other roles are refused."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from world import G1, G2, KADIS, KS, NPSN, NPSN2, TAHUN, Rows, base_rows, row

from selaras.cli.akun import seed_demo_accounts
from selaras.domain.results import Flow
from selaras.domain.rules import check
from selaras.domain.snapshot import Snapshot
from selaras.store.database import Store
from selaras.store.logs import record_run
from selaras.store.snapshots import save_snapshot
from selaras.usecases.accounts import create_token
from selaras.web.app import create_app


def plt_world() -> Rows:
    """SD 1 led by a Plt (the former principal, a teacher of SD 2) whose e-Kinerja head is
    still the Kadis; SD 2 without any leader, its unit not claimed."""
    rows = base_rows()
    ks = row(rows, "dapodik_ptk", ptk_id="PTK-KS")
    ks["tugas_tambahan"], ks["npsn"] = None, NPSN2
    rows["dapodik_tugas_tambahan"] = [
        {
            "ptk_id": "PTK-KS",
            "npsn": NPSN,
            "jenis": "PLT_KEPALA_SEKOLAH",
            "nomor_sk": "800.1/00012/DISDIK/2026",
            "tmt": "2026-01-02",
            "tst": "2026-06-30",
        }
    ]
    row(rows, "ekinerja_unor", unor_id="U-SD1")["atasan_nip"] = KADIS
    row(rows, "ekinerja_unor", unor_id="U-SD2")["pimpinan_diklaim"] = False
    return rows


@pytest.fixture
def app(store: Store) -> Iterator[object]:
    snap = Snapshot.from_rows(plt_world())
    save_snapshot(store, snap)
    seed_demo_accounts(store, "rahasia-uji-1")
    record_run(store, pelaku="uji", mode="CHECK", flow=Flow.SKP, tahun=TAHUN, check=check(snap, TAHUN))
    yield create_app(store, None, tahun=TAHUN)


def client(store: Store, app: object, username: str) -> TestClient:
    """A client with ``username``'s token; what a token reaches is cached for a few seconds,
    so each client starts from a fresh reading (the check date changes between calls)."""
    app.state.reach_cache.clear()  # type: ignore[attr-defined]
    c = TestClient(app)  # type: ignore[arg-type]
    c.headers["Authorization"] = f"Bearer {create_token(store, username)}"
    return c


def test_a_plt_sees_the_teachers_of_the_school_led_while_the_duty_lasts(
    store: Store, app: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SELARAS_TANGGAL", "2026-03-01")
    plt = client(store, app, KS)
    assert plt.get(f"/api/v1/pegawai/{G1}").status_code == 200
    monkeypatch.setenv("SELARAS_TANGGAL", "2026-07-01")  # the day after the TST
    assert client(store, app, KS).get(f"/api/v1/pegawai/{G1}").status_code == 404
    monkeypatch.setenv("SELARAS_TANGGAL", "2026-01-01")  # before the TMT
    assert client(store, app, KS).get(f"/api/v1/pegawai/{G1}").status_code == 404


def test_dinas_lists_schools_by_leadership_and_admin_gets_the_plt_todo(
    store: Store, app: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SELARAS_TANGGAL", "2026-06-15")
    d = client(store, app, "dinas-I1").get("/api/v1/pimpinan").json()
    by = {s["npsn"]: s for s in d["sekolah"]}
    assert by[NPSN]["keadaan"] == "PLT" and by[NPSN]["pimpinan_nip"] == KS
    assert by[NPSN]["segera_berakhir"] is False  # the term (TMT + 9 months) ends in October
    assert by[NPSN]["guru"] == 2
    assert by[NPSN2]["keadaan"] == "TANPA" and by[NPSN2]["keadaan_label"] == "Tanpa kepala sekolah"
    assert d["ringkas"]["PLT"] == 1 and d["ringkas"]["TANPA"] == 1
    assert [s["npsn"] for s in d["sekolah"]] == [NPSN2, NPSN]  # the blocked school first

    monkeypatch.setenv("SELARAS_TANGGAL", "2026-09-15")
    ending = client(store, app, "dinas-I1").get("/api/v1/pimpinan").json()
    assert {s["npsn"]: s for s in ending["sekolah"]}[NPSN]["keadaan"] == "TANPA"  # TST passed

    monkeypatch.setenv("SELARAS_TANGGAL", "2026-06-15")
    a = client(store, app, "admin-I1").get("/api/v1/pimpinan").json()
    assert [s["npsn"] for s in a["menu_plt"]] == [NPSN]
    assert a["menu_plt"][0]["atasan_ekinerja_nip"] == KADIS
    assert [s["npsn"] for s in a["belum_diklaim"]] == [NPSN2]

    assert client(store, app, G1).get("/api/v1/pimpinan").status_code == 403
    assert client(store, app, "dinas-I1").get("/api/v1/pimpinan?instansi_id=I9").status_code == 404


def test_the_page_shows_the_lists_in_indonesian(store: Store, app: object, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SELARAS_TANGGAL", "2026-06-15")
    page = client(store, app, "admin-I1").get("/pimpinan")
    assert page.status_code == 200
    text = page.text
    assert "Dipimpin Plt" in text and "Tanpa kepala sekolah" in text
    assert "Menu Plt/Plh e-Kinerja" in text and "2 Januari 2026" in text
    assert "PLT_KEPALA_SEKOLAH" not in text


def test_the_admin_sets_the_plt_policy_on_the_page_and_the_api(store: Store, app: object) -> None:
    from selaras.store import reads

    admin = client(store, app, "admin-I1")
    assert admin.get("/api/v1/pimpinan").json()["kebijakan"] == {"plt_boleh_menilai": True, "plt_masa_bulan": 9}
    r = admin.put("/api/v1/pimpinan/kebijakan", json={"plt_boleh_menilai": False})
    assert r.status_code == 200, r.text
    assert r.json() == {"instansi_id": "I1", "plt_boleh_menilai": False, "plt_masa_bulan": 9}
    assert admin.put("/api/v1/pimpinan/kebijakan", json={"plt_masa_bulan": 0}).status_code == 422
    assert client(store, app, "dinas-I1").put("/api/v1/pimpinan/kebijakan", json={}).status_code == 403
    form = admin.post("/pimpinan/kebijakan", data={"boleh_menilai": "ya", "masa_bulan": "6"}, follow_redirects=False)
    assert form.status_code == 303
    setelan = reads.plt_setelan(store).row(0, named=True)
    assert (setelan["plt_boleh_menilai"], setelan["plt_masa_bulan"]) == (True, 6)
    assert reads.zona_of(store, "I1") == "WIB"
    page = admin.get("/pimpinan").text
    assert 'value="6"' in page and "Kebijakan Plt Kepala Sekolah" in page
    audit = admin.get("/api/v1/audit").json()
    rows = audit if isinstance(audit, list) else audit.get("baris", [])
    assert sum(1 for a in rows if a.get("aksi") == "UBAH_KEBIJAKAN_PLT") == 2


def test_a_plt_worklist_shows_the_teachers_waiting_on_his_or_her_sync(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    from selaras.domain.pimpinan import Kebijakan
    from selaras.jobs.runtime import JobRunner
    from selaras.usecases.access import resolve
    from selaras.usecases.accounts import get_account
    from selaras.usecases.batch import work_once
    from selaras.web.screens import Konteks, worklist

    monkeypatch.setenv("SELARAS_TANGGAL", "2026-03-01")
    rows = plt_world()
    row(rows, "ekinerja_unor", unor_id="U-SD1")["atasan_nip"] = KS  # recorded as the acting head
    snap = Snapshot.from_rows(rows)
    save_snapshot(store, snap)
    seed_demo_accounts(store, "rahasia-uji-1")
    result = check(snap, TAHUN, Flow.SKP, kebijakan=Kebijakan())
    assert result.errors.filter(result.errors["nip"] == G1)["selesai_oleh"].to_list() == [KS]
    record_run(store, pelaku="uji", mode="CHECK", flow=Flow.SKP, tahun=TAHUN, check=result)
    ctx = Konteks(store, JobRunner(store, run=work_once), tahun_tetap=TAHUN)
    plt = resolve(store, get_account(store, KS))  # type: ignore[arg-type]
    assert plt.pimpinan_npsn == (NPSN,) and plt.label == "Plt Kepala Sekolah"
    items = worklist(ctx, plt)["butir"]
    waiting = [i for i in items if i["code"] == "PMM-11"]
    assert waiting and {p["nip"] for p in waiting[0]["daftar"]} == {G1, G2}


def test_a_plt_school_page_is_the_school_led(store: Store, app: object, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SELARAS_TANGGAL", "2026-03-01")
    page = client(store, app, KS).get("/sekolah")
    assert page.status_code == 200
    assert "SD Negeri 1 Bima" in page.text and "Budi Santoso" in page.text
    monkeypatch.setenv("SELARAS_TANGGAL", "2026-07-01")
    assert client(store, app, KS).get("/sekolah").status_code == 403

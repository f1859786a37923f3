"""The year's end on the web (SQLite and PostgreSQL): the teacher's rating and credit with its
formula, the button of flow TAHUNAN, the printable PAK konversi, and the page of each role."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from world import G1, G2, KS, NPSN, TAHUN, snapshot, tahunan_rows

from selaras.cli.akun import seed_demo_accounts
from selaras.jobs.runtime import JobRunner
from selaras.store.database import Store
from selaras.store.snapshots import load_table, save_snapshot
from selaras.usecases.batch import work_once
from selaras.web.app import create_app

PASSWORD = "rahasia-uji-1"


@pytest.fixture
def app(store: Store) -> Iterator[tuple[object, JobRunner]]:
    save_snapshot(store, snapshot(tahunan_rows()))
    seed_demo_accounts(store, PASSWORD)
    runner = JobRunner(store, run=work_once).start()
    try:
        yield create_app(store, runner, tahun=TAHUN), runner
    finally:
        runner.stop()


def login(app: object, username: str) -> TestClient:
    c = TestClient(app)  # type: ignore[arg-type]
    page = c.get("/masuk")
    pra = re.search(r'name="pra" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    r = c.post("/masuk", data={"username": username, "password": PASSWORD, "pra": pra}, follow_redirects=False)
    assert r.status_code == 303, r.text
    return c


def test_teacher_sees_rating_credit_formula_and_syncs_the_rating(store: Store, app: tuple[object, JobRunner]) -> None:
    web, runner = app
    admin = login(web, "admin-I1")
    page = admin.get(f"/pegawai/{G2}")
    assert page.status_code == 200
    assert "Predikat Tahunan dan Angka Kredit 2026" in page.text
    assert "12/12 × 100% × 12,5 = 12,50" in page.text
    assert "Baik" in page.text
    # Gathered (this year's 12,50) against the next rank (50) of Ahli Pertama, at 12,50 a year.
    assert "perlu 50, kurang 37,50; diperkirakan tercapai tahun 2029" in page.text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    r = admin.post(f"/pegawai/{G2}/sinkron", data={"flow": "tahunan", "csrf_token": csrf}, follow_redirects=False)
    assert r.status_code == 303
    runner.drain()
    rows = load_table(store, "ekinerja_predikat")
    assert rows.filter(rows["nip"] == G2)["predikat"].to_list() == ["BAIK"]
    assert "Predikat tahunan tersinkron" in admin.get(f"/pegawai/{G2}").text


def test_pak_konversi_prints_on_a4(app: tuple[object, JobRunner]) -> None:
    web, _ = app
    g1 = login(web, "admin-I1")
    pak = g1.get(f"/pegawai/{G1}/pak")
    assert pak.status_code == 200
    assert "size: A4" in pak.text and "Penetapan Angka Kredit (PAK) Konversi" in pak.text
    # Ahli Muda, Sangat Baik: 12/12 x 150% x 25 = 37,50
    assert "37,50" in pak.text and "150%" in pak.text and "Ahli Muda" in pak.text


def test_each_role_sees_its_part_of_the_year(app: tuple[object, JobRunner]) -> None:
    web, _ = app
    for leader in (KS, f"op-{NPSN}"):  # the principal and the school's operator
        school = login(web, leader).get("/tahunan")
        assert school.status_code == 200
        assert 'data-testid="sebaran"' in school.text and "<svg" in school.text
        assert "PKO sekolah: <strong>Baik</strong>" in school.text
        assert "paling sedikit 5 guru" in school.text  # 2 rated teachers: not judged
    assert login(web, G1).get("/tahunan").status_code == 403
    admin = login(web, "admin-I1")
    page = admin.get("/tahunan")
    assert page.status_code == 200
    assert "Pegawai yang dapat naik pangkat atau jenjang tahun ini" in page.text
    assert "Sekolah tanpa PKO (0)" in page.text
    dinas = login(web, "dinas-I1")
    d = dinas.get("/tahunan")
    assert d.status_code == 200 and "Sekolah dengan sebaran tidak sesuai PKO (0)" in d.text
    assert "Pegawai yang dapat naik" not in d.text


def test_the_leader_sees_the_distribution_after_one_more_rating() -> None:
    from world import rated

    from selaras.web.screens.tahunan import sebaran_sekolah

    rows = tahunan_rows()
    rows["pmm_predikat"] = [r for r in rows["pmm_predikat"] if r["ptk_id"] != "PTK-G2"]
    rows["pmm_predikat_organisasi"][0]["predikat"] = "ISTIMEWA"
    for i, p in enumerate(["SANGAT_BAIK", "SANGAT_BAIK", "BAIK"]):
        rows["dapodik_ptk"].append(
            {
                "ptk_id": f"PTK-H{i}",
                "nik": None,
                "nuptk": None,
                "nama": f"Guru {i}",
                "nip": f"19900101201501100{i}",
                "jenis_ptk": "Guru Mapel",
                "tugas_tambahan": None,
                "npsn": NPSN,
            }
        )
        rows["pmm_predikat"].append(rated(f"PTK-H{i}", p))
    v = sebaran_sekolah(snapshot(rows), TAHUN, NPSN)
    # 4 rated (G1 and two more SANGAT_BAIK, one BAIK) under PKO ISTIMEWA; G2 still without one.
    assert v["dinilai"] == 4 and not v["dinilai_cukup"]
    assert [g["nip"] for g in v["belum"]] == [G2]
    after = {x["predikat"]: x["pelanggaran"] for x in v["sesudah"]}
    assert after["SANGAT_BAIK"] == ["SANGAT_BAIK<=70%"]  # 4 of 5: 80%
    assert after["BAIK"] == [] and after["KURANG"] == []  # 3 of 5: 60%
    chart = str(v["chart"])
    assert "paling banyak 70%" in chart and "#cf222e" not in chart  # the bound marked, nothing broken
    rows["pmm_predikat"].append(rated("PTK-G2", "SANGAT_BAIK"))
    broken = sebaran_sekolah(snapshot(rows), TAHUN, NPSN)
    assert broken["pelanggaran"] == ["SANGAT_BAIK<=70%"] and "#cf222e" in str(broken["chart"])
    v2 = sebaran_sekolah(snapshot(rows), TAHUN, "99999999")
    assert v2["pko"] is None and v2["sesudah"] == []

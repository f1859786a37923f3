"""Flow SKP: every code of errors.md where it holds and where it does not."""

from __future__ import annotations

from typing import Any

import pytest
from world import (
    G1,
    G2,
    KADIS,
    KS,
    NPSN,
    NPSN2,
    TAHUN,
    Rows,
    base_rows,
    codes,
    error,
    manual_skp,
    row,
    snapshot,
    status,
    synced_rows,
)

from selaras.domain.results import CheckResult, Flow, Status
from selaras.domain.rules import JENIS_PTK_BOLEH, check
from selaras.domain.sync import sync


def run(rows: Rows, **kw: Any) -> CheckResult:
    return check(snapshot(rows), TAHUN, Flow.SKP, **kw)


def test_clean_world_principal_ready_teachers_wait_on_principal() -> None:
    r = run(base_rows())
    assert status(r, KS) == Status.SIAP
    assert codes(r, KS) == []
    for nip in (G1, G2):
        assert codes(r, nip) == ["PMM-11"]
        assert error(r, nip, "PMM-11")["selesai_oleh"] == KS


def test_scope_excludes_non_teachers_and_includes_guru_without_ptk() -> None:
    rows = base_rows()
    rows["siasn_pegawai"].append(
        {
            "nip": "199505052020122005",
            "nik": "5206010505950005",
            "nama": "Guru Tanpa PTK",
            "instansi_id": "I1",
            "unor_id": "U-SD1",
            "jenis_asn": "PPPK",
            "status": "AKTIF",
            "jabatan_nama": "Guru Ahli Pertama",
            "jabatan_jenis": "FUNGSIONAL",
        }
    )
    r = run(rows)
    nips = set(r.pegawai["nip"].to_list())
    assert KADIS not in nips
    assert "199505052020122005" in nips
    assert codes(r, "199505052020122005") == ["PMM-01", "PMM-02"]


def test_pmm01_ptk_found_by_nik_shows_both_nips() -> None:
    rows = base_rows()
    row(rows, "dapodik_ptk", ptk_id="PTK-G1")["nip"] = "198502022010012099"
    r = run(rows)
    e = error(r, G1, "PMM-01")
    assert e["detail"]["siasn"]["nip"] == G1
    assert e["detail"]["dapodik"]["nip"] == "198502022010012099"
    assert e["detail"]["dapodik"]["ptk_id"] == "PTK-G1"
    # The other checks still run on the PTK found by NIK: the teacher still waits on the principal.
    assert codes(r, G1) == ["PMM-01", "PMM-11"]
    assert "PMM-01" not in codes(r, G2)


def test_pmm01_no_ptk_at_all() -> None:
    rows = base_rows()
    p = row(rows, "dapodik_ptk", ptk_id="PTK-G2")
    p["nip"], p["nik"] = None, "9999999999999999"
    r = run(rows)
    e = error(r, G2, "PMM-01")
    assert e["detail"]["dapodik"]["ptk_id"] is None
    assert codes(r, G2) == ["PMM-01", "PMM-02"]


@pytest.mark.parametrize("status_skp", ["DRAF", "DIAJUKAN", "DISETUJUI"])
def test_pmm02_no_agreed_skp(status_skp: str) -> None:
    rows = base_rows()
    row(rows, "pmm_skp", pmm_skp_id="S-G1")["status"] = status_skp
    r = run(rows)
    e = error(r, G1, "PMM-02")
    assert e["detail"]["pmm"]["status_skp"] == [status_skp]
    # SKP-level checks still run on the SKP that exists.
    assert codes(r, G1) == ["PMM-02", "PMM-11"]


def test_pmm02_skp_of_another_year_does_not_count() -> None:
    rows = base_rows()
    s = row(rows, "pmm_skp", pmm_skp_id="S-G2")
    s["periode_awal"], s["periode_akhir"] = "2025-01-01", "2025-12-31"
    r = run(rows)
    assert codes(r, G2) == ["PMM-02"]
    assert error(r, G2, "PMM-02")["detail"]["pmm"]["status_skp"] == []


@pytest.mark.parametrize(
    ("table", "change", "siasn", "ekinerja"),
    [
        ("siasn_unor", {"aktif": False}, "TIDAK_AKTIF", "AKTIF"),
        ("ekinerja_unor", {"aktif": False}, "AKTIF", "TIDAK_AKTIF"),
    ],
)
def test_pmm03_unit_inactive(table: str, change: dict[str, Any], siasn: str, ekinerja: str) -> None:
    rows = base_rows()
    row(rows, table, unor_id="U-SD1").update(change)
    r = run(rows)
    e = error(r, KS, "PMM-03")
    assert (e["detail"]["siasn"]["unor"], e["detail"]["ekinerja"]["unor"]) == (siasn, ekinerja)


def test_pmm03_unit_missing_from_ekinerja_and_unknown() -> None:
    rows = base_rows()
    rows["ekinerja_unor"] = [u for u in rows["ekinerja_unor"] if u["unor_id"] != "U-SD2"]
    row(rows, "siasn_pegawai", nip=G1)["unor_id"] = "U-SD2"
    row(rows, "siasn_pegawai", nip=G2)["unor_id"] = "U-HILANG"
    r = run(rows)
    assert error(r, G1, "PMM-03")["detail"]["ekinerja"]["unor"] == "TIDAK_ADA"
    assert error(r, G2, "PMM-03")["detail"]["siasn"]["unor"] == "TIDAK_ADA"
    assert "PMM-03" not in codes(r, KS)


def test_pmm04_jenis_ptk_not_allowed() -> None:
    rows = base_rows()
    row(rows, "dapodik_ptk", ptk_id="PTK-G1")["jenis_ptk"] = "Tenaga Administrasi Sekolah"
    r = run(rows)
    assert error(r, G1, "PMM-04")["detail"]["dapodik"]["jenis_ptk"] == "Tenaga Administrasi Sekolah"
    assert "PMM-04" not in codes(r, G2)


@pytest.mark.parametrize("jenis", JENIS_PTK_BOLEH)
def test_pmm04_every_allowed_type_passes(jenis: str) -> None:
    rows = base_rows()
    row(rows, "dapodik_ptk", ptk_id="PTK-G1")["jenis_ptk"] = jenis
    assert "PMM-04" not in codes(run(rows), G1)


@pytest.mark.parametrize(
    ("nama", "jenis"),
    [("Guru Ahli Muda", "PELAKSANA"), ("Pengelola Data", "FUNGSIONAL"), ("Kepala Seksi", "STRUKTURAL"), (None, None)],
)
def test_pmm05_jabatan_not_guru(nama: str | None, jenis: str | None) -> None:
    rows = base_rows()
    row(rows, "siasn_pegawai", nip=G1).update(jabatan_nama=nama, jabatan_jenis=jenis)
    r = run(rows)
    assert error(r, G1, "PMM-05")["detail"]["siasn"] == {"jabatan_nama": nama, "jabatan_jenis": jenis}
    assert "PMM-05" not in codes(r, G2)


def test_pmm06_no_yearly_period_covering_the_skp() -> None:
    rows = base_rows()
    s = row(rows, "pmm_skp", pmm_skp_id="S-G1")
    s["periode_awal"], s["periode_akhir"] = "2025-07-01", "2026-06-30"
    r = run(rows)
    e = error(r, G1, "PMM-06")
    assert e["pmm_skp_id"] == "S-G1"
    assert e["detail"]["pmm"] == {"periode_awal": "2025-07-01", "periode_akhir": "2026-06-30"}
    # PMM-11 needs the period: it is not reported on top.
    assert codes(r, G1) == ["PMM-06"]


def test_pmm06_period_of_another_instansi_does_not_count() -> None:
    rows = base_rows()
    rows["instansi"].append({"instansi_id": "I2", "nama": "Pemerintah Kota Bima"})
    row(rows, "ekinerja_periode", periode_id="P-2026")["instansi_id"] = "I2"
    r = run(rows)
    assert all("PMM-06" in codes(r, n) for n in (KS, G1, G2))


def test_pmm07_manual_skp_same_period_and_unit() -> None:
    rows = synced_rows()
    rows["ekinerja_skp"].append(manual_skp("MAN-1", G2, "U-SD1", atasan=KS))
    rows["ekinerja_skp"].append(manual_skp("MAN-2", G1, "U-SD2", atasan=KS))
    r = run(rows)
    e = error(r, G2, "PMM-07")
    assert e["detail"]["ekinerja"]["skp_id"] == "MAN-1"
    assert status(r, G2) == Status.GAGAL
    assert "PMM-07" not in codes(r, G1)  # another unit: not the same SKP slot


def test_pmm07_sync_never_overwrites_manual() -> None:
    rows = base_rows()
    rows["ekinerja_skp"].append(manual_skp("MAN-1", KS, "U-SD1", atasan=KADIS))
    after, result = sync(snapshot(rows), TAHUN)
    assert after["ekinerja_skp"].filter(after["ekinerja_skp"]["nip"] == KS).to_dicts() == [
        manual_skp("MAN-1", KS, "U-SD1", atasan=KADIS)
    ]
    assert "PMM-07" in codes(result.check, KS)


def test_pmm08_school_not_matched_to_a_unit() -> None:
    rows = base_rows()
    row(rows, "siasn_unor", unor_id="U-SD1")["npsn"] = None
    r = run(rows)
    for nip in (KS, G1, G2):
        e = error(r, nip, "PMM-08")
        assert e["detail"]["pmm"]["npsn"] == NPSN
        assert e["detail"]["pmm"]["nama_sekolah"] == "SD Negeri 1 Bima"
        # No unit: no superior to compare, no PMM-10 for that SKP, no teacher-only checks.
        assert not {"PMM-10", "PMM-11", "PMM-12", "PMM-13"} & set(codes(r, nip))


@pytest.mark.parametrize(
    ("field", "value"), [("status", "PENSIUN"), ("status", "CLTN"), ("jenis_asn", "HONORER"), ("jenis_asn", None)]
)
def test_pmm09_not_active_or_not_asn(field: str, value: str | None) -> None:
    rows = base_rows()
    row(rows, "siasn_pegawai", nip=G2)[field] = value
    r = run(rows)
    assert error(r, G2, "PMM-09")["detail"]["siasn"][field] == value
    assert codes(r, G2)[0] == "PMM-09"  # who the pegawai is comes first
    assert "PMM-09" not in codes(r, G1)


def test_pmm10_skp_school_differs_from_siasn_unit() -> None:
    rows = base_rows()
    row(rows, "siasn_pegawai", nip=G1)["unor_id"] = "U-SD2"
    r = run(rows)
    e = error(r, G1, "PMM-10")
    assert e["detail"]["pmm"]["npsn"] == [NPSN]
    assert e["detail"]["siasn"] == {"unor_id": "U-SD2", "nama": "SD Negeri 2 Bima", "npsn": NPSN2}
    assert "PMM-10" not in codes(r, G2)


def test_rotation_two_schools_one_skp_each() -> None:
    rows = base_rows()
    row(rows, "siasn_pegawai", nip=G1)["unor_id"] = "U-SD2"
    s1 = row(rows, "pmm_skp", pmm_skp_id="S-G1")
    s1["periode_akhir"] = "2026-06-30"
    rows["pmm_skp"].append(
        {
            **s1,
            "pmm_skp_id": "S-G1-B",
            "npsn": NPSN2,
            "periode_awal": "2026-07-01",
            "periode_akhir": "2026-12-31",
            "atasan_nip": KADIS,
        }
    )
    row(rows, "ekinerja_unor", unor_id="U-SD2")["atasan_nip"] = KADIS
    rows["ekinerja_skp"].append(manual_skp("EK-KADIS", KADIS, "U-DINAS", atasan=None))
    rows["pmm_rhk"].append(
        {
            "pmm_rhk_id": "R-G1-B1",
            "pmm_skp_id": "S-G1-B",
            "uraian": "Literasi di sekolah baru",
            "jenis": "UTAMA",
            "induk_pmm_rhk_id": None,
        }
    )
    r = run(rows)
    # No PMM-10: one of the year's SKPs is at the school of the SIASN unit.
    assert "PMM-10" not in codes(r, G1)
    # School A waits on the principal; school B's superior has a hand-made SKP: its RHK cannot link.
    assert sorted(codes(r, G1)) == ["PMM-11", "PMM-13"]
    assert error(r, G1, "PMM-13")["pmm_skp_id"] == "S-G1-B"


def test_rotation_sync_writes_one_ekinerja_skp_per_school() -> None:
    rows = base_rows()
    s1 = row(rows, "pmm_skp", pmm_skp_id="S-G1")
    s1["periode_akhir"] = "2026-06-30"
    rows["pmm_skp"].append({**s1, "pmm_skp_id": "S-G1-B", "periode_awal": "2026-07-01", "periode_akhir": "2026-12-31"})
    rows["pmm_rhk"].append(
        {
            "pmm_rhk_id": "R-G1-B1",
            "pmm_skp_id": "S-G1-B",
            "uraian": "Semester dua",
            "jenis": "UTAMA",
            "induk_pmm_rhk_id": "R-KS-2",
        }
    )
    after, result = sync(snapshot(rows), TAHUN)
    ek = after["ekinerja_skp"].filter(after["ekinerja_skp"]["nip"] == G1)
    assert sorted(ek["pmm_skp_id"].to_list()) == ["S-G1", "S-G1-B"]
    assert status(check(after, TAHUN), G1) == Status.TERSINKRON


def test_pmm11_principal_not_synced_names_the_principal_and_clears_by_itself() -> None:
    r = run(base_rows())
    e = error(r, G1, "PMM-11")
    assert e["detail"]["ekinerja"]["atasan_nip"] == KS
    assert e["detail"]["ekinerja"]["atasan_nama"] == "Siti Aminah, S.Pd."
    assert e["selesai_oleh"] == KS


def test_pmm11_not_cleared_by_itself_when_principal_is_blocked() -> None:
    rows = base_rows()
    row(rows, "pmm_skp", pmm_skp_id="S-KS")["status"] = "DRAF"
    r = run(rows)
    assert error(r, G1, "PMM-11")["selesai_oleh"] is None


def test_button_for_one_teacher_still_knows_the_principal_is_ready() -> None:
    r = run(base_rows(), nips=[G1])
    assert r.pegawai["nip"].to_list() == [G1]
    assert error(r, G1, "PMM-11")["selesai_oleh"] == KS


def test_pmm11_manual_superior_skp_counts_but_gives_pmm13() -> None:
    rows = base_rows()
    rows["ekinerja_skp"].append(manual_skp("MAN-KS", KS, "U-SD1", atasan=KADIS))
    rows["ekinerja_rhk"].append(
        {"rhk_id": "MAN-R1", "skp_id": "MAN-KS", "uraian": "Diketik manual", "pmm_rhk_id": None, "induk_rhk_id": None}
    )
    r = run(rows)
    assert codes(r, G1) == ["PMM-13"]
    e = error(r, G1, "PMM-13")
    assert [x["pmm_rhk_id"] for x in e["detail"]["pmm"]["rhk_tidak_terkait"]] == ["R-G1-1", "R-G1-2"]
    assert e["selesai_oleh"] is None  # the principal has PMM-07 first: no ready sync to wait for
    assert codes(r, KS) == ["PMM-07"]


@pytest.mark.parametrize("skip", ["PMM-11", "PMM-12", "PMM-13"])
def test_teacher_only_checks_skipped_for_principals(skip: str) -> None:
    rows = base_rows()
    # Give the principal every teacher-only condition: superior without SKP, other superior in PMM,
    # and RHK pointing to a parent that exists nowhere.
    row(rows, "pmm_skp", pmm_skp_id="S-KS")["atasan_nip"] = "196001011990011001"
    row(rows, "pmm_rhk", pmm_rhk_id="R-KS-1")["induk_pmm_rhk_id"] = "TIDAK-ADA"
    r = run(rows)
    assert skip not in codes(r, KS)
    assert status(r, KS) == Status.SIAP


def test_principal_by_jenis_ptk_is_a_principal() -> None:
    rows = base_rows()
    p = row(rows, "dapodik_ptk", ptk_id="PTK-KS")
    p["jenis_ptk"], p["tugas_tambahan"] = "Kepala Sekolah", None
    r = run(rows)
    assert r.pegawai.filter(r.pegawai["nip"] == KS)["kepala_sekolah"].item() is True


def test_pmm12_superior_differs_shows_both_nips_and_names() -> None:
    rows = synced_rows()
    row(rows, "ekinerja_unor", unor_id="U-SD1")["atasan_nip"] = KADIS
    r = run(rows)
    e = error(r, G1, "PMM-12")
    assert e["detail"]["pmm"] == {"atasan_nip": KS, "atasan_nama": "Siti Aminah, S.Pd."}
    assert e["detail"]["ekinerja"]["atasan_nip"] == KADIS
    assert e["detail"]["ekinerja"]["atasan_nama"] == "Drs. Kadis"
    assert codes(r, G1)[0] == "PMM-12"


def test_pmm12_not_reported_without_pmm_superior() -> None:
    rows = synced_rows()
    row(rows, "ekinerja_unor", unor_id="U-SD1")["atasan_nip"] = KADIS
    row(rows, "pmm_skp", pmm_skp_id="S-G1")["atasan_nip"] = None
    r = run(rows)
    assert "PMM-12" not in codes(r, G1)
    assert "PMM-12" in codes(r, G2)


def test_pmm13_rhk_without_parent_or_unknown_parent() -> None:
    rows = synced_rows()
    row(rows, "pmm_rhk", pmm_rhk_id="R-G1-2")["induk_pmm_rhk_id"] = None
    row(rows, "pmm_rhk", pmm_rhk_id="R-G2-1")["induk_pmm_rhk_id"] = "R-LAIN"
    r = run(rows)
    assert [x["pmm_rhk_id"] for x in error(r, G1, "PMM-13")["detail"]["pmm"]["rhk_tidak_terkait"]] == ["R-G1-2"]
    assert error(r, G2, "PMM-13")["detail"]["pmm"]["rhk_tidak_terkait"][0]["induk_pmm_rhk_id"] == "R-LAIN"


def test_every_error_reported_at_once_in_fix_first_order() -> None:
    rows = base_rows()
    row(rows, "siasn_pegawai", nip=G1).update(status="CLTN", jabatan_jenis="PELAKSANA", unor_id="U-SD2")
    row(rows, "dapodik_ptk", ptk_id="PTK-G1").update(nip=None, jenis_ptk="Laboran")
    row(rows, "pmm_skp", pmm_skp_id="S-G1")["status"] = "DIAJUKAN"
    row(rows, "ekinerja_unor", unor_id="U-SD2")["aktif"] = False
    r = run(rows)
    assert codes(r, G1) == ["PMM-09", "PMM-01", "PMM-04", "PMM-05", "PMM-03", "PMM-10", "PMM-02", "PMM-11"]
    assert r.errors.filter(r.errors["nip"] == G1)["urutan"].is_sorted()


def test_tersinkron_after_sync_and_changes_make_it_siap_again() -> None:
    rows = synced_rows()
    r = run(rows)
    assert {status(r, n) for n in (KS, G1, G2)} == {Status.TERSINKRON}
    row(rows, "pmm_rhk", pmm_rhk_id="R-G2-1")["uraian"] = "Asesmen formatif (revisi)"
    assert status(run(rows), G2) == Status.SIAP
    rows = synced_rows()
    rows["pmm_rhk"].append(
        {
            "pmm_rhk_id": "R-G2-2",
            "pmm_skp_id": "S-G2",
            "uraian": "Baru",
            "jenis": "TAMBAHAN",
            "induk_pmm_rhk_id": "R-KS-2",
        }
    )
    assert status(run(rows), G2) == Status.SIAP


def test_pmm12_unit_without_superior_in_ekinerja() -> None:
    rows = synced_rows()
    row(rows, "ekinerja_unor", unor_id="U-SD1")["atasan_nip"] = None
    r = run(rows)
    e = error(r, G1, "PMM-12")
    assert e["detail"]["ekinerja"]["atasan_nip"] is None
    assert e["detail"]["pmm"]["atasan_nip"] == KS
    # The superior D is the PMM superior (known to SIASN), whose SKP is synced: only PMM-12 holds.
    assert codes(r, G1) == ["PMM-12"]

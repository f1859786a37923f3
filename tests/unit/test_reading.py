"""The reading of errors.md's Clarifications, each case where it holds and where it does not:
PMM-10 only when certain, the superior D of PMM-11/13, PMM-13's causes with their actors, and
``selesai_oleh`` only when D's sync clears the error."""

from __future__ import annotations

import json
from typing import Any

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
    row,
    snapshot,
    status,
    synced_rows,
)

from selaras.domain.diagnosis import error_actors, waits_on_superior
from selaras.domain.results import CheckResult, Flow, Status
from selaras.domain.rules import check
from selaras.domain.sync import sync
from selaras.views import jsonl_lines

KS2 = "198107072006041007"  # the new principal PMM already knows
ASING = "199912312020121999"  # a NIP SIASN does not know


def run(rows: Rows, **kw: Any) -> CheckResult:
    return check(snapshot(rows), TAHUN, Flow.SKP, **kw)


def actors(r: CheckResult, nip: str, code: str) -> list[str]:
    for line in jsonl_lines(r):
        obj = json.loads(line)
        if obj["nip"] == nip:
            return next(e["actors"] for e in obj["errors"] if e["code"] == code)
    raise AssertionError(nip)


# --- PMM-10 only when certain ---------------------------------------------------------------


def _move_g1_to_sd2(rows: Rows) -> None:
    row(rows, "siasn_pegawai", nip=G1)["unor_id"] = "U-SD2"


def test_pmm10_holds_when_no_skp_at_the_unit_school() -> None:
    rows = base_rows()
    _move_g1_to_sd2(rows)
    e = error(run(rows), G1, "PMM-10")
    assert e["detail"]["pmm"] == {"npsn": [NPSN], "nama_sekolah": ["SD Negeri 1 Bima"]}
    assert e["detail"]["siasn"]["npsn"] == NPSN2


def test_pmm10_not_when_a_draft_plan_sits_at_the_new_school() -> None:
    rows = base_rows()
    _move_g1_to_sd2(rows)
    draf = {**row(rows, "pmm_skp", pmm_skp_id="S-G1"), "pmm_skp_id": "S-G1-DRAF", "npsn": NPSN2, "status": "DRAF"}
    rows["pmm_skp"].append(draf)
    assert "PMM-10" not in codes(run(rows), G1)


def test_pmm10_not_when_pegawai_has_no_skp() -> None:
    rows = base_rows()
    _move_g1_to_sd2(rows)
    rows["pmm_skp"] = [s for s in rows["pmm_skp"] if s["pmm_skp_id"] != "S-G1"]
    assert codes(run(rows), G1) == ["PMM-02"]


def test_pmm10_not_when_the_unit_does_not_exist_in_siasn() -> None:
    rows = base_rows()
    row(rows, "siasn_pegawai", nip=G1)["unor_id"] = "U-HILANG"
    c = codes(run(rows), G1)
    assert "PMM-03" in c
    assert "PMM-10" not in c


def test_pmm10_holds_beside_pmm08_when_the_unit_has_an_npsn() -> None:
    rows = base_rows()
    _move_g1_to_sd2(rows)
    row(rows, "siasn_unor", unor_id="U-SD1")["npsn"] = None  # the SKP's school is now unmatched
    c = codes(run(rows), G1)
    assert "PMM-08" in c
    assert "PMM-10" in c


def test_pmm10_unit_without_npsn_holds_only_when_every_school_is_matched() -> None:
    rows = base_rows()
    row(rows, "siasn_unor", unor_id="U-SD2")["npsn"] = None
    _move_g1_to_sd2(rows)
    assert "PMM-10" in codes(run(rows), G1)  # SD1 is matched to U-SD1: certainly elsewhere
    row(rows, "siasn_unor", unor_id="U-SD1")["npsn"] = None
    c = codes(run(rows), G1)
    assert "PMM-08" in c
    assert "PMM-10" not in c  # the unmatched school might be U-SD2's own


# --- the superior D -----------------------------------------------------------------------


def _new_principal_in_pmm(rows: Rows, atasan: str = KS2) -> None:
    """PMM knows G1's new superior; e-Kinerja's unit still names KS (PMM-12)."""
    row(rows, "pmm_skp", pmm_skp_id="S-G1")["atasan_nip"] = atasan
    if atasan != KS2:
        return
    rows["siasn_pegawai"].append(
        {
            **row(rows, "siasn_pegawai", nip=KS),
            "nip": KS2,
            "nik": "5206010707810007",
            "nama": "Dra. Wahyuni, M.Pd.",
        }
    )
    rows["dapodik_ptk"].append(
        {**row(rows, "dapodik_ptk", ptk_id="PTK-KS"), "ptk_id": "PTK-KS2", "nik": "5206010707810007", "nip": KS2}
    )
    rows["pmm_skp"].append({**row(rows, "pmm_skp", pmm_skp_id="S-KS"), "pmm_skp_id": "S-KS2", "ptk_id": "PTK-KS2"})
    rows["pmm_rhk"].append(
        {**row(rows, "pmm_rhk", pmm_rhk_id="R-KS-1"), "pmm_rhk_id": "R-KS2-1", "pmm_skp_id": "S-KS2"}
    )


def test_d_is_a_without_pmm12() -> None:
    r = run(base_rows())
    e = error(r, G1, "PMM-11")
    assert e["detail"]["ekinerja"]["atasan_nip"] == KS
    assert e["selesai_oleh"] == KS


def test_d_is_the_pmm_superior_while_pmm12_holds() -> None:
    rows = synced_rows()
    _new_principal_in_pmm(rows)
    r = run(rows)
    # A (KS) has a synced SKP; the old reading judged PMM-11 against KS and found nothing.
    assert codes(r, G1) == ["PMM-12", "PMM-11"]
    e = error(r, G1, "PMM-11")
    assert e["detail"]["ekinerja"]["atasan_nip"] == KS2
    assert e["detail"]["ekinerja"]["atasan_nama"] == "Dra. Wahyuni, M.Pd."
    assert status(r, KS2) == Status.SIAP
    assert e["selesai_oleh"] == KS2
    assert codes(r, G2) == []  # G2's plan still names KS, as e-Kinerja does


def test_d_unknown_to_siasn_pmm11_and_pmm13_not_evaluated() -> None:
    rows = base_rows()
    _new_principal_in_pmm(rows, atasan=ASING)
    r = run(rows)
    assert codes(r, G1) == ["PMM-12"]
    assert codes(r, G2) == ["PMM-11"]  # G2 is judged against A (KS) as before


def test_principal_matched_by_nik_is_still_a_principal() -> None:
    rows = base_rows()
    row(rows, "dapodik_ptk", ptk_id="PTK-KS")["nip"] = "198001012005011099"
    r = run(rows)
    assert r.pegawai.filter(r.pegawai["nip"] == KS)["kepala_sekolah"].item() is True
    assert codes(r, KS) == ["PMM-01"]  # teacher-only checks skipped for him


# --- PMM-13's causes and their actors --------------------------------------------------------


def _ks_plan_changed(rows: Rows) -> None:
    """KS's agreed PMM plan gains an RHK that KS's synced e-Kinerja SKP does not hold yet."""
    rows["pmm_rhk"].append(
        {
            "pmm_rhk_id": "R-KS-3",
            "pmm_skp_id": "S-KS",
            "uraian": "Meningkatnya numerasi",
            "jenis": "UTAMA",
            "induk_pmm_rhk_id": None,
        }
    )


def test_pmm13_induk_kosong_teacher_and_principal_act_no_waiting() -> None:
    rows = synced_rows()
    row(rows, "pmm_rhk", pmm_rhk_id="R-G1-2")["induk_pmm_rhk_id"] = None
    r = run(rows)
    e = error(r, G1, "PMM-13")
    assert e["detail"]["alasan"] == ["INDUK_KOSONG"]
    assert [x["alasan"] for x in e["detail"]["pmm"]["rhk_tidak_terkait"]] == ["INDUK_KOSONG"]
    assert actors(r, G1, "PMM-13") == ["Pegawai", "Kepala Sekolah"]
    assert e["selesai_oleh"] is None


def test_pmm13_induk_bukan_rhk_atasan() -> None:
    rows = synced_rows()
    row(rows, "pmm_rhk", pmm_rhk_id="R-G2-1")["induk_pmm_rhk_id"] = "R-LAIN"
    r = run(rows)
    e = error(r, G2, "PMM-13")
    assert e["detail"]["alasan"] == ["INDUK_BUKAN_RHK_ATASAN"]
    assert e["detail"]["pmm"]["rhk_tidak_terkait"][0]["induk_pmm_rhk_id"] == "R-LAIN"
    assert actors(r, G2, "PMM-13") == ["Pegawai", "Kepala Sekolah"]
    assert e["selesai_oleh"] is None


def test_pmm13_belum_di_skp_atasan_waits_on_the_ready_principal_and_clears_by_sync() -> None:
    rows = synced_rows()
    _ks_plan_changed(rows)
    row(rows, "pmm_rhk", pmm_rhk_id="R-G2-1")["induk_pmm_rhk_id"] = "R-KS-3"
    r = run(rows)
    assert status(r, KS) == Status.SIAP
    e = error(r, G2, "PMM-13")
    assert e["detail"]["alasan"] == ["BELUM_DI_SKP_ATASAN"]
    item = e["detail"]["pmm"]["rhk_tidak_terkait"][0]
    assert (item["uraian"], item["induk_uraian"]) == ("Asesmen formatif", "Meningkatnya numerasi")
    assert actors(r, G2, "PMM-13") == ["Kepala Sekolah", "Admin Instansi"]
    assert e["selesai_oleh"] == KS
    # The principal's RHK in PMM and in e-Kinerja beside the teacher's, ids and texts.
    assert {x["pmm_rhk_id"]: x["uraian"] for x in e["detail"]["pmm"]["rhk_atasan"]} == {
        "R-KS-1": "Meningkatnya mutu pembelajaran",
        "R-KS-2": "Meningkatnya budaya literasi",
        "R-KS-3": "Meningkatnya numerasi",
    }
    ek = e["detail"]["ekinerja"]["rhk_atasan"]
    assert sorted(x["pmm_rhk_id"] for x in ek) == ["R-KS-1", "R-KS-2"]
    assert all(x["rhk_id"] and x["uraian"] for x in ek)
    # Once the principal's sync succeeds, the teacher clears with no other action.
    after, _ = sync(snapshot(rows), TAHUN)
    assert status(check(after, TAHUN), G2) == Status.TERSINKRON


def test_pmm13_belum_di_skp_atasan_no_waiting_when_the_principal_is_blocked() -> None:
    rows = synced_rows()
    _ks_plan_changed(rows)
    row(rows, "pmm_rhk", pmm_rhk_id="R-G2-1")["induk_pmm_rhk_id"] = "R-KS-3"
    row(rows, "siasn_pegawai", nip=KS)["status"] = "CLTN"
    r = run(rows)
    assert error(r, G2, "PMM-13")["selesai_oleh"] is None


def test_pmm13_mixed_causes_union_of_actors_and_no_waiting() -> None:
    rows = synced_rows()
    _ks_plan_changed(rows)
    row(rows, "pmm_rhk", pmm_rhk_id="R-G1-1")["induk_pmm_rhk_id"] = "R-KS-3"
    row(rows, "pmm_rhk", pmm_rhk_id="R-G1-2")["induk_pmm_rhk_id"] = None
    r = run(rows)
    e = error(r, G1, "PMM-13")
    assert e["detail"]["alasan"] == ["BELUM_DI_SKP_ATASAN", "INDUK_KOSONG"]
    assert actors(r, G1, "PMM-13") == ["Pegawai", "Kepala Sekolah", "Admin Instansi"]
    assert e["selesai_oleh"] is None  # the teacher's own plan must change too
    assert not waits_on_superior("PMM-13", e["detail"])


def test_pmm13_manual_principal_skp_is_belum_di_skp_atasan() -> None:
    rows = base_rows()
    rows["ekinerja_skp"].append(
        {
            "skp_id": "MAN-KS",
            "nip": KS,
            "periode_id": "P-2026",
            "unor_id": "U-SD1",
            "atasan_nip": KADIS,
            "sumber": "MANUAL",
            "pmm_skp_id": None,
        }
    )
    r = run(rows)
    e = error(r, G1, "PMM-13")
    assert e["detail"]["alasan"] == ["BELUM_DI_SKP_ATASAN"]
    assert e["selesai_oleh"] is None  # KS has PMM-07: his sync cannot run yet


def test_actors_and_waiting_of_codes_without_causes_are_the_catalogues() -> None:
    assert [a.value for a in error_actors("PMM-11")] == ["Kepala Sekolah", "Admin Instansi"]
    assert waits_on_superior("PMM-11")
    assert not waits_on_superior("PMM-12")


def test_superior_of_another_instansi_matched_by_nik_gives_the_same_cause_in_parts() -> None:
    rows = synced_rows()
    _new_principal_in_pmm(rows)
    rows["instansi"].append({"instansi_id": "I2", "nama": "Pemerintah Kota Bima"})
    ks2 = row(rows, "siasn_pegawai", nip=KS2)
    ks2["instansi_id"] = "I2"
    row(rows, "dapodik_ptk", ptk_id="PTK-KS2")["nip"] = "198107072006041099"  # wrong in Dapodik
    rows["ekinerja_skp"].append(
        {
            "skp_id": "MAN-KS2",
            "nip": KS2,
            "periode_id": "P-2026",
            "unor_id": "U-SD1",
            "atasan_nip": KADIS,
            "sumber": "MANUAL",
            "pmm_skp_id": None,
        }
    )
    row(rows, "pmm_rhk", pmm_rhk_id="R-G1-1")["induk_pmm_rhk_id"] = "R-KS2-1"
    s = snapshot(rows)
    whole = check(s, TAHUN, part_size=10**9)
    in_parts = check(s, TAHUN, part_size=1)
    for r in (whole, in_parts):
        e = error(r, G1, "PMM-13")
        assert e["detail"]["ekinerja"]["atasan_nip"] == KS2
        # R-G1-1's parent is in KS2's plan (KS2 found by NIK), not in KS2's hand-made SKP;
        # R-G1-2's parent is KS's RHK, not KS2's.
        assert e["detail"]["alasan"] == ["BELUM_DI_SKP_ATASAN", "INDUK_BUKAN_RHK_ATASAN"]

"""School leaders (leaders.md): PLT-01..04, PMM-13's PIMPINAN_BELUM_DIKLAIM, PMM-12's Plt step,
L(s), validity and expiry, each where it holds and where it does not."""

from __future__ import annotations

from datetime import date
from typing import Any

import polars as pl
import pytest
from world import G1, G2, KS, NPSN, NPSN2, TAHUN, Rows, base_rows, codes, error, row, snapshot, status, synced_rows

from selaras.catalogue.codes import CATALOGUE, FIX_ORDER, SEBAB
from selaras.domain import blockers, pimpinan
from selaras.domain.pimpinan import Kebijakan
from selaras.domain.results import CheckResult, Flow
from selaras.domain.rules import check

TANGGAL = date(2026, 3, 1)
SK = "800/1234/567/2026"  # 14 digits


def run(rows: Rows, tanggal: date = TANGGAL, boleh: bool | None = None, masa: int | None = None) -> CheckResult:
    setelan = pl.DataFrame(
        [("I1", boleh, masa)] if boleh is not None or masa is not None else [],
        schema=pimpinan.SETELAN_SCHEMA,
        orient="row",
    )
    return check(snapshot(rows), TAHUN, Flow.SKP, kebijakan=Kebijakan(tanggal, setelan))


def duty(ptk: str, npsn: str, jenis: str = pimpinan.PLT, **kw: Any) -> dict[str, Any]:
    out = {"ptk_id": ptk, "npsn": npsn, "jenis": jenis, "nomor_sk": SK, "tmt": "2026-01-02", "tst": None}
    out.update(kw)
    return out


def plt_rows(**kw: Any) -> Rows:
    """The synced world where the principal is a teacher of the second school, Plt of the first."""
    rows = synced_rows()
    ks = row(rows, "dapodik_ptk", ptk_id="PTK-KS")
    ks["tugas_tambahan"], ks["npsn"] = None, NPSN2
    rows["dapodik_tugas_tambahan"] = [duty("PTK-KS", NPSN, **kw)]
    return rows


def plt_codes(r: CheckResult, nip: str) -> list[str]:
    return [c for c in codes(r, nip) if c.startswith("PLT")]


# --- the compatibility reading -----------------------------------------------------------------


def test_old_snapshot_reads_as_before() -> None:
    """No duty file: the principal of dapodik_ptk leads; an explicit row for the same duty and
    the same dates gives exactly the same result."""
    before = run(synced_rows())
    rows = synced_rows()
    rows["dapodik_tugas_tambahan"] = [duty("PTK-KS", NPSN, pimpinan.DEFINITIF, tmt="2020-01-01")]
    after = run(rows)
    assert before.errors.equals(after.errors)
    assert before.pegawai.equals(after.pegawai)
    assert before.errors.height == 0


def test_old_snapshot_without_principal_has_no_plt01() -> None:
    """Without the duty file a school without a principal reads as today: no PLT-01."""
    rows = synced_rows()
    row(rows, "dapodik_ptk", ptk_id="PTK-KS")["tugas_tambahan"] = None
    assert plt_codes(run(rows), G1) == []


def test_explicit_definitive_row_whose_tst_passed_ends_the_compatibility_reading() -> None:
    rows = synced_rows()
    rows["dapodik_tugas_tambahan"] = [duty("PTK-KS", NPSN, pimpinan.DEFINITIF, tmt="2020-01-01", tst="2026-02-01")]
    assert plt_codes(run(rows), G1) == ["PLT-01"]


# --- L(s) ------------------------------------------------------------------------------------


def _leader_rows() -> Rows:
    rows = synced_rows()
    rows["dapodik_ptk"].append(
        {
            "ptk_id": "PTK-X",
            "nik": "5206010404900004",
            "nuptk": None,
            "nama": "Rina",
            "nip": None,
            "jenis_ptk": "Guru Kelas",
            "tugas_tambahan": None,
            "npsn": NPSN2,
        }
    )
    ks = row(rows, "dapodik_ptk", ptk_id="PTK-KS")
    ks["tugas_tambahan"], ks["npsn"] = None, NPSN2
    rows["dapodik_ptk"].append(
        dict(ks, ptk_id="PTK-D", nik="5206010505900005", nip=None, npsn=NPSN, jenis_ptk="Guru Kelas")
    )
    rows["dapodik_tugas_tambahan"] = [
        duty("PTK-D", NPSN, pimpinan.DEFINITIF),
        duty("PTK-KS", NPSN, pimpinan.PLT),
        duty("PTK-X", NPSN, pimpinan.PLH),
    ]
    return rows


def _leader_of(rows: Rows) -> str | None:
    lead = pimpinan.leaders(snapshot(rows), Kebijakan(TANGGAL)).filter(pl.col("npsn") == NPSN)
    return lead["ptk_id"].item() if lead.height else None


def test_plh_behind_plt_behind_definitive() -> None:
    rows = _leader_rows()
    assert _leader_of(rows) == "PTK-D"
    rows["dapodik_tugas_tambahan"] = rows["dapodik_tugas_tambahan"][1:]
    assert _leader_of(rows) == "PTK-KS"
    rows["dapodik_tugas_tambahan"] = rows["dapodik_tugas_tambahan"][1:]
    assert _leader_of(rows) == "PTK-X"
    rows["dapodik_tugas_tambahan"] = []
    assert _leader_of(rows) is None


def test_a_plt_leads_while_the_duty_is_active_and_no_longer() -> None:
    rows = plt_rows(tst="2026-06-30")
    s = snapshot(rows)
    assert pimpinan.acting_for(s, Kebijakan(date(2026, 6, 30)), KS) == [NPSN]
    assert pimpinan.acting_for(s, Kebijakan(date(2026, 7, 1)), KS) == []
    assert pimpinan.acting_for(s, Kebijakan(date(2026, 1, 1)), KS) == []
    assert pimpinan.acting_for(s, Kebijakan(TANGGAL), G1) == []


# --- PLT-01 ----------------------------------------------------------------------------------


def test_plt01_school_without_any_leader() -> None:
    rows = plt_rows()
    rows["dapodik_tugas_tambahan"] = [duty("PTK-KS", NPSN2, pimpinan.DEFINITIF)]  # the file, elsewhere
    r = run(rows)
    for nip in (G1, G2):
        assert plt_codes(r, nip) == ["PLT-01"]
        assert status(r, nip) == "GAGAL"
    e = error(r, G1, "PLT-01")
    assert e["detail"]["npsn"] == NPSN
    assert e["pmm_skp_id"] == "S-G1"


def test_valid_plt_leads_the_school_without_errors() -> None:
    r = run(plt_rows())
    assert plt_codes(r, G1) == [] and plt_codes(r, G2) == []
    assert codes(r, G1) == []


@pytest.mark.parametrize(("tst", "expected"), [("2026-02-28", ["PLT-01"]), ("2026-03-01", []), ("2026-12-31", [])])
def test_tst_past_and_future(tst: str, expected: list[str]) -> None:
    assert plt_codes(run(plt_rows(tst=tst)), G1) == expected


def test_duty_not_started_yet_leads_nobody() -> None:
    assert plt_codes(run(plt_rows(tmt="2026-03-02")), G1) == ["PLT-01"]


# --- PLT-02 ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "broken"),
    [
        ("own_school", ["SEKOLAH_INDUK"]),
        ("jenis_ptk", ["JENIS_PTK"]),
        ("sk9", ["NOMOR_SK"]),
        ("no_tmt", ["TMT_KOSONG"]),
    ],
)
def test_plt02_invalid_duty_names_the_broken_rule(change: str, broken: list[str]) -> None:
    rows = plt_rows()
    ks = row(rows, "dapodik_ptk", ptk_id="PTK-KS")
    d = rows["dapodik_tugas_tambahan"][0]
    if change == "own_school":
        ks["npsn"] = NPSN
    elif change == "jenis_ptk":
        ks["jenis_ptk"] = "Kepala Sekolah"
    elif change == "sk9":
        d["nomor_sk"] = "800/123/45/2"  # 9 digits
    else:
        d["tmt"] = None
    r = run(rows)
    assert plt_codes(r, G1) == ["PLT-02"]
    e = error(r, G1, "PLT-02")
    assert e["detail"]["dapodik"]["pelanggaran"] == broken
    assert e["detail"]["dapodik"]["penugasan"] == "PLT"
    # teacher-only: the Plt's own SKP is not judged by the codes of the school he or she leads
    assert plt_codes(r, KS) == []


def test_plt02_sk_of_ten_digits_is_valid() -> None:
    assert plt_codes(run(plt_rows(nomor_sk="800/123/45/26")), G1) == []


def test_plt02_holds_for_a_plh_too() -> None:
    r = run(plt_rows(jenis=pimpinan.PLH, nomor_sk="12"))
    assert plt_codes(r, G1) == ["PLT-02"]
    assert error(r, G1, "PLT-02")["detail"]["dapodik"]["penugasan"] == "PLH"


# --- PLT-03 ----------------------------------------------------------------------------------


def test_plt03_term_ended_the_day_before_the_check_date() -> None:
    # TMT 2 January + 9 months: the term's last day is 2 October.
    assert plt_codes(run(plt_rows(), tanggal=date(2026, 10, 2)), G1) == []
    r = run(plt_rows(), tanggal=date(2026, 10, 3))
    assert plt_codes(r, G1) == ["PLT-03"]
    sel = error(r, G1, "PLT-03")["detail"]["selaras"]
    assert sel == {"plt_masa_bulan": 9, "akhir_masa": "2026-10-02", "tanggal_periksa": "2026-10-03"}


def test_plt03_follows_the_instansi_term() -> None:
    assert plt_codes(run(plt_rows(), tanggal=date(2026, 7, 3), masa=6), G1) == ["PLT-03"]
    assert plt_codes(run(plt_rows(), tanggal=date(2026, 7, 2), masa=6), G1) == []


def test_plt03_not_for_an_invalid_duty() -> None:
    assert plt_codes(run(plt_rows(nomor_sk="1"), tanggal=date(2026, 11, 1)), G1) == ["PLT-02"]


# --- PLT-04 ----------------------------------------------------------------------------------


def test_plt04_policy_switch_both_ways() -> None:
    assert plt_codes(run(plt_rows(), boleh=True), G1) == []
    assert plt_codes(run(plt_rows()), G1) == []  # default Ya
    r = run(plt_rows(), boleh=False)
    assert plt_codes(r, G1) == ["PLT-04"] and plt_codes(r, G2) == ["PLT-04"]
    assert error(r, G1, "PLT-04")["detail"]["pmm"]["atasan_nip"] == KS


def test_plt04_not_when_the_pmm_superior_is_someone_else() -> None:
    rows = plt_rows()
    from world import KADIS

    row(rows, "pmm_skp", pmm_skp_id="S-G1")["atasan_nip"] = KADIS
    r = run(rows, boleh=False)
    assert "PLT-04" not in codes(r, G1)
    assert "PLT-04" in codes(r, G2)


# --- PMM-13: the unit's leadership not claimed ---------------------------------------------------


def test_pmm13_unclaimed_unit_blocks_teachers_until_claimed() -> None:
    rows = synced_rows()
    row(rows, "ekinerja_unor", unor_id="U-SD1")["pimpinan_diklaim"] = False
    r = run(rows)
    assert codes(r, G1) == ["PMM-13"]
    e = error(r, G1, "PMM-13")
    assert e["detail"]["alasan"] == ["PIMPINAN_BELUM_DIKLAIM"]
    assert e["selesai_oleh"] is None  # D's sync does not clear it
    assert blockers.aktor(e) == (CATALOGUE["PMM-13"].aktor[1], CATALOGUE["PMM-13"].aktor[2])
    assert blockers.langkah(e) == list(SEBAB["PMM-13"]["PIMPINAN_BELUM_DIKLAIM"].langkah)
    assert codes(r, KS) == []
    row(rows, "ekinerja_unor", unor_id="U-SD1")["pimpinan_diklaim"] = True
    assert codes(run(rows), G1) == []


def test_pmm13_unclaimed_beside_pmm11_when_the_head_has_no_skp() -> None:
    rows = base_rows()
    row(rows, "ekinerja_unor", unor_id="U-SD1")["pimpinan_diklaim"] = False
    r = run(rows)
    assert codes(r, G1) == ["PMM-11", "PMM-13"]
    assert error(r, G1, "PMM-11")["selesai_oleh"] == KS
    assert error(r, G1, "PMM-13")["selesai_oleh"] is None


# --- PMM-12: the Plt step ------------------------------------------------------------------------


def test_pmm12_plt_step_when_ekinerja_head_is_not_the_plt() -> None:
    from world import KADIS

    rows = plt_rows()
    row(rows, "ekinerja_unor", unor_id="U-SD1")["atasan_nip"] = KADIS
    r = run(rows)
    e = error(r, G1, "PMM-12")
    assert e["detail"]["alasan"] == ["ATASAN_PLT"]
    assert e["detail"]["pimpinan"] == {"alasan": "ATASAN_PLT", "penugasan": "PLT", "sejak": "2026-01-02"}
    assert blockers.langkah(e) == list(SEBAB["PMM-12"]["ATASAN_PLT"].langkah)
    assert "menu Plt/Plh" in blockers.langkah(e)[0]


def test_pmm12_plain_step_when_the_plt_is_not_valid() -> None:
    from world import KADIS

    rows = plt_rows(nomor_sk="123")
    row(rows, "ekinerja_unor", unor_id="U-SD1")["atasan_nip"] = KADIS
    e = error(run(rows), G1, "PMM-12")
    assert "alasan" not in e["detail"]
    assert blockers.langkah(e) == list(CATALOGUE["PMM-12"].langkah)


# --- the catalogue ---------------------------------------------------------------------------


def test_catalogue_fix_first_order_and_teacher_only() -> None:
    i = FIX_ORDER.index
    assert i("PMM-10") < i("PLT-01") < i("PLT-02") < i("PLT-03") < i("PLT-04") < i("PMM-06")
    for code in ("PLT-01", "PLT-02", "PLT-03", "PLT-04"):
        entry = CATALOGUE[code]
        assert entry.teacher_only and not entry.known and entry.langkah and entry.aktor


def test_plt_codes_come_before_the_superior_codes_of_the_same_teacher() -> None:
    rows = plt_rows(nomor_sk="1")
    from world import KADIS

    row(rows, "ekinerja_unor", unor_id="U-SD1")["atasan_nip"] = KADIS
    assert codes(run(rows), G1)[:2] == ["PLT-02", "PMM-12"]


def test_a_plt_is_judged_as_the_leader_of_the_school_he_or_she_leads() -> None:
    """Leadership is per school: the Plt's SKP at the school led is a leader's (no teacher
    checks against him- or herself); once the duty ended, the same SKP is a teacher's."""
    r = run(plt_rows())
    assert codes(r, KS) == [] and status(r, KS) == "TERSINKRON"
    ended = run(plt_rows(tst="2026-02-01"))
    assert "PMM-12" in codes(ended, KS)  # judged as a teacher of a school A = self
    assert "PLT-01" in codes(ended, KS)


def test_plt_errors_are_one_item_per_school_for_the_dinas() -> None:
    from selaras.catalogue.codes import Aktor
    from selaras.domain.eskalasi import pihak_of

    r = run(plt_rows(nomor_sk="1"))
    e = error(r, G1, "PLT-02")
    row_g1 = {"nip": G1, "npsn": NPSN}
    assert blockers.root("PLT-02", e, row_g1) == ("sekolah", NPSN)
    assert blockers.root("PLT-02", error(r, G2, "PLT-02"), {"nip": G2, "npsn": NPSN}) == ("sekolah", NPSN)
    aktor = blockers.aktor(e)
    assert aktor[0] is Aktor.DINAS_PENDIDIKAN
    assert pihak_of("sekolah", NPSN, aktor, row_g1, None, "I1") == "dinas:I1"


def test_a_running_plt_is_shown_as_a_leader_and_no_longer_once_the_duty_ended() -> None:
    def leader(r: CheckResult, nip: str) -> bool:
        return r.pegawai.filter(r.pegawai["nip"] == nip)["kepala_sekolah"].item()

    r = run(plt_rows())
    assert leader(r, KS) and not leader(r, G1)
    assert not leader(run(plt_rows(tst="2026-02-01")), KS)
    assert leader(run(synced_rows()), KS)  # no duty file: Dapodik's Kepala Sekolah, as before

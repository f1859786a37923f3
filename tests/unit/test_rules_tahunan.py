"""Flow TAHUNAN (annual.md): TAH-01..TAH-06 where they hold and where they do not, the credit in
the result, and the sync of the rating (a MANUAL rating never overwritten)."""

from __future__ import annotations

from world import G1, G2, KS, NPSN, TAHUN, Rows, codes, error, rated, snapshot, status, tahunan_rows

from selaras.domain.results import CheckResult, Flow, Outcome, Status
from selaras.domain.rules import check
from selaras.domain.sync import sync


def run(rows: Rows) -> CheckResult:
    return check(snapshot(rows), TAHUN, Flow.TAHUNAN)


def kredit(r: CheckResult, nip: str) -> tuple[str | None, float | None]:
    assert r.tahunan is not None
    row = r.tahunan.filter(r.tahunan["nip"] == nip).row(0, named=True)
    return row["predikat"], row["angka_kredit"]


def test_everyone_rated_and_synced_is_ready_with_credit() -> None:
    r = run(tahunan_rows())
    assert r.errors.height == 0
    assert {status(r, n) for n in (KS, G1, G2)} == {Status.SIAP}
    assert kredit(r, KS) == ("BAIK", 37.5)
    assert kredit(r, G1) == ("SANGAT_BAIK", 37.5)  # 150% x 25
    assert kredit(r, G2) == ("BAIK", 12.5)


def test_tah01_skp_of_the_year_not_synced() -> None:
    rows = tahunan_rows()
    rows["ekinerja_skp"] = [r for r in rows["ekinerja_skp"] if r["nip"] != G1]
    rows["ekinerja_rhk"] = [
        r for r in rows["ekinerja_rhk"] if r["skp_id"] in {s["skp_id"] for s in rows["ekinerja_skp"]}
    ]
    r = run(rows)
    assert codes(r, G1) == ["TAH-01"]
    assert error(r, G1, "TAH-01")["pmm_skp_id"] == "S-G1"
    assert codes(r, G2) == []


def test_tah02_school_without_pko() -> None:
    rows = tahunan_rows()
    rows["pmm_predikat_organisasi"][0]["tahun"] = TAHUN - 1  # last year's PKO does not count
    r = run(rows)
    for nip in (KS, G1, G2):
        assert "TAH-02" in codes(r, nip)
    assert error(r, G1, "TAH-02")["detail"]["pmm"]["npsn"] == NPSN


def test_tah03_rating_not_set_names_the_leader_or_the_superior() -> None:
    rows = tahunan_rows()
    rows["pmm_predikat"] = [rated("PTK-G2", "BAIK")]
    r = run(rows)
    assert codes(r, G1) == ["TAH-03"]
    d = error(r, G1, "TAH-03")["detail"]["pmm"]
    assert d["penilai"] == "KEPALA_SEKOLAH" and d["penilai_nip"] == KS
    d = error(r, KS, "TAH-03")["detail"]["pmm"]
    assert d["penilai"] == "ATASAN" and d["penilai_nip"] is None
    assert codes(r, G2) == []
    assert kredit(r, G1) == (None, None)


def _school_of(rows: Rows, ratings: list[str]) -> None:
    """ASN teachers not in this instansi's SIASN rows (so not checked) rated at the school."""
    for i, p in enumerate(ratings):
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


def test_tah04_distribution_broken_is_reported_to_every_teacher_and_the_leader() -> None:
    rows = tahunan_rows()
    # G1 SANGAT_BAIK, G2 BAIK and 3 more BAIK: 100% BAIK or better, none BUTUH_PERBAIKAN/KURANG
    _school_of(rows, ["BAIK", "BAIK", "BAIK"])
    r = run(rows)
    for nip in (KS, G1, G2):
        assert codes(r, nip) == ["TAH-04"]
    d = error(r, G1, "TAH-04")["detail"]
    assert d["pmm"]["pelanggaran"] == ["SANGAT_BAIK+BAIK<=70%", "BUTUH_PERBAIKAN+KURANG>=1"]
    assert d["pmm"]["dinilai"] == 5 and d["pmm"]["jumlah"]["BAIK"] == 4 and d["pmm"]["persen"]["BAIK"] == 80.0


def test_tah04_distribution_kept_or_too_few_rated() -> None:
    rows = tahunan_rows()
    _school_of(rows, ["BAIK", "BUTUH_PERBAIKAN", "KURANG"])  # 3 of 5 BAIK or better: 60%
    assert "TAH-04" not in run(rows).errors["code"].to_list()
    rows = tahunan_rows()
    _school_of(rows, ["BAIK", "BAIK"])  # 4 rated: not judged
    assert "TAH-04" not in run(rows).errors["code"].to_list()


def test_tah05_functional_position_without_jenjang_for_the_year() -> None:
    rows = tahunan_rows()
    rows["siasn_jabatan"] = [j for j in rows["siasn_jabatan"] if j["nip"] != G2]
    rows["siasn_jabatan"].append(
        {"nip": G1, "jenjang": "AHLI_MUDA", "golongan": None, "tmt_jabatan": "2027-01-01", "tmt_golongan": None}
    )
    rows["siasn_jabatan"] = [
        j for j in rows["siasn_jabatan"] if not (j["nip"] == G1 and j["tmt_jabatan"] == "2020-01-01")
    ]
    r = run(rows)
    assert codes(r, G2) == ["TAH-05"]
    assert codes(r, G1) == ["TAH-05"]  # a jenjang from next year only
    assert kredit(r, G2) == ("BAIK", None)
    assert codes(r, KS) == []


def test_credit_of_a_year_split_between_two_jenjang() -> None:
    rows = tahunan_rows()
    rows["siasn_jabatan"].append(
        {"nip": G2, "jenjang": "AHLI_MUDA", "golongan": None, "tmt_jabatan": "2026-05-01", "tmt_golongan": None}
    )
    # 4/12 x 100% x 12.5 = 4.17, 8/12 x 100% x 25 = 16.67
    assert kredit(run(rows), G2) == ("BAIK", 20.84)


def test_sync_writes_the_rating_then_finds_it_equal() -> None:
    after, result = sync(snapshot(tahunan_rows()), TAHUN, Flow.TAHUNAN)
    assert dict(result.outcomes.iter_rows()) == {KS: Outcome.BARU, G1: Outcome.BARU, G2: Outcome.BARU}
    got = {r["nip"]: (r["predikat"], r["sumber"], r["penilai_nip"]) for r in after["ekinerja_predikat"].to_dicts()}
    assert got == {KS: ("BAIK", "PMM", None), G1: ("SANGAT_BAIK", "PMM", KS), G2: ("BAIK", "PMM", KS)}
    again, second = sync(after, TAHUN, Flow.TAHUNAN)
    assert set(second.outcomes["hasil"]) == {Outcome.SAMA}
    assert again["ekinerja_predikat"].height == 3
    assert {status(second.check, n) for n in (KS, G1, G2)} == {Status.TERSINKRON}


def test_a_manual_rating_is_never_overwritten() -> None:
    rows = tahunan_rows()
    rows["ekinerja_predikat"] = [
        {"nip": G1, "tahun": TAHUN, "predikat": "BAIK", "penilai_nip": KS, "sumber": "MANUAL", "disinkron": None},
        {"nip": G2, "tahun": TAHUN, "predikat": "BAIK", "penilai_nip": KS, "sumber": "MANUAL", "disinkron": None},
    ]
    after, result = sync(snapshot(rows), TAHUN, Flow.TAHUNAN)
    outcomes = dict(result.outcomes.iter_rows())
    assert outcomes[G1] == Outcome.GAGAL  # differs from PMM's SANGAT_BAIK: reported, kept
    assert codes(result.check, G1) == ["TAH-06"]
    assert outcomes[G2] == Outcome.SAMA  # equal: nothing to write
    kept = {r["nip"]: (r["predikat"], r["sumber"]) for r in after["ekinerja_predikat"].to_dicts()}
    assert kept[G1] == ("BAIK", "MANUAL") and kept[G2] == ("BAIK", "MANUAL")


def test_school_level_errors_share_one_root_cause_per_school() -> None:
    from selaras.domain import blockers

    rows = tahunan_rows()
    rows["pmm_predikat_organisasi"] = []
    rows["pmm_predikat"] = [rated("PTK-KS", "BAIK", None)]
    r = run(rows)
    kinds = set()
    for nip, ks in ((KS, True), (G1, False), (G2, False)):
        for code in codes(r, nip):
            e = error(r, nip, code)
            kinds.add((nip, code, blockers.root(code, e, {"nip": nip, "kepala_sekolah": ks, "npsn": NPSN})))
    assert (G1, "TAH-02", ("sekolah", NPSN)) in kinds and (KS, "TAH-02", ("sekolah", NPSN)) in kinds
    # The teachers' missing ratings: one item for the school's principal to act on.
    assert (G1, "TAH-03", ("sekolah-skp", NPSN)) in kinds and (G2, "TAH-03", ("sekolah-skp", NPSN)) in kinds


def test_teachers_without_nip_do_not_count_in_the_distribution() -> None:
    rows = tahunan_rows()
    _school_of(rows, ["BAIK", "BAIK", "BAIK"])  # breaks BAIK's bounds (see above)
    for r in rows["dapodik_ptk"]:
        if r["ptk_id"].startswith("PTK-H"):
            r["nip"] = None  # honorer: not ASN, their PMM rating is not bounded by the PKO
    assert "TAH-04" not in run(rows).errors["code"].to_list()  # 2 rated ASN teachers: not judged

"""Flow PENILAIAN: PER-01, PER-02, PER-03 where they hold and where they do not."""

from __future__ import annotations

from typing import Any

import pytest
from world import G1, G2, KS, NPSN2, TAHUN, Rows, base_rows, codes, error, row, snapshot, status, synced_rows

from selaras.domain.results import CheckResult, Flow, Outcome, Status
from selaras.domain.rules import check
from selaras.domain.sync import sync


def run(rows: Rows) -> CheckResult:
    return check(snapshot(rows), TAHUN, Flow.PENILAIAN)


def periodik(pid: str, tipe: str | None, angka: int | None) -> dict[str, Any]:
    return {
        "periode_id": pid,
        "instansi_id": "I1",
        "nama": pid,
        "jenis": "PERIODIK",
        "awal": "2026-01-01",
        "akhir": "2026-12-31",
        "tipe_periodik": tipe,
        "angka_periodik": angka,
    }


def test_all_synced_skp_with_assessments_are_ready() -> None:
    r = run(synced_rows())
    assert r.errors.height == 0
    assert {status(r, n) for n in (KS, G1, G2)} == {Status.SIAP}


def test_per02_skp_not_synced_yet() -> None:
    r = run(base_rows())
    for nip, sid in ((KS, "S-KS"), (G1, "S-G1")):
        e = error(r, nip, "PER-02")
        assert e["pmm_skp_id"] == sid
        assert e["detail"]["ekinerja"]["skp_id"] is None


def test_per02_no_agreed_skp() -> None:
    rows = synced_rows()
    row(rows, "pmm_skp", pmm_skp_id="S-G1")["status"] = "DISETUJUI"
    r = run(rows)
    assert codes(r, G1) == ["PER-02"]
    assert "PER-02" not in codes(r, G2)


def test_per03_no_assessment_in_pmm() -> None:
    rows = synced_rows()
    rows["pmm_penilaian"] = [p for p in rows["pmm_penilaian"] if p["pmm_skp_id"] != "S-G2"]
    r = run(rows)
    assert codes(r, G2) == ["PER-03"]
    assert error(r, G2, "PER-03")["pmm_skp_id"] == "S-G2"
    assert codes(r, G1) == []


@pytest.mark.parametrize(
    ("extra", "field", "expected"),
    [
        ([periodik("X1", "BULANAN", 1)], "campuran", True),
        ([periodik("X1", "TRIWULANAN", 2)], "angka_ganda", [2]),
        ([periodik("X1", "TRIWULANAN", 5)], "di_luar_rentang", [5]),
        ([periodik("X1", "TRIWULANAN", 0)], "di_luar_rentang", [0]),
    ],
)
def test_per01_nonstandard_setup_blocks_the_whole_instansi(
    extra: list[dict[str, Any]], field: str, expected: Any
) -> None:
    rows = synced_rows()
    rows["ekinerja_periode"].extend(extra)
    r = run(rows)
    for nip in (KS, G1, G2):
        assert codes(r, nip) == ["PER-01"]
    assert error(r, G1, "PER-01")["detail"]["ekinerja"][field] == expected


def test_per01_assessment_without_matching_period() -> None:
    rows = synced_rows()
    row(rows, "pmm_penilaian", pmm_skp_id="S-G1")["tipe_periodik"] = "BULANAN"
    r = run(rows)
    e = error(r, G1, "PER-01")
    assert e["detail"]["pmm"]["penilaian_tanpa_periode"] == [
        {"pmm_skp_id": "S-G1", "tipe_periodik": "BULANAN", "angka_periodik": 1}
    ]
    assert e["detail"]["ekinerja"]["campuran"] is False
    assert codes(r, G2) == []


def test_monthly_setup_is_standard() -> None:
    rows = synced_rows()
    rows["ekinerja_periode"] = [p for p in rows["ekinerja_periode"] if p["jenis"] == "TAHUNAN"]
    rows["ekinerja_periode"] += [periodik(f"B{n}", "BULANAN", n) for n in range(1, 13)]
    for p in rows["pmm_penilaian"]:
        p["tipe_periodik"], p["angka_periodik"] = "BULANAN", 3
    assert run(rows).errors.height == 0


def test_penilaian_sync_baru_then_sama_then_changed() -> None:
    s = snapshot(synced_rows())
    s1, r1 = sync(s, TAHUN, Flow.PENILAIAN)
    assert set(r1.outcomes["hasil"]) == {Outcome.BARU}
    assert s1["ekinerja_penilaian"].height == 3
    s2, r2 = sync(s1, TAHUN, Flow.PENILAIAN)
    assert set(r2.outcomes["hasil"]) == {Outcome.SAMA}
    assert r2.changes.is_empty()
    nilai = s2["pmm_penilaian"].with_columns(
        predikat=__import__("polars")
        .when(s2["pmm_penilaian"]["pmm_skp_id"] == "S-G1")
        .then(__import__("polars").lit("SANGAT_BAIK"))
        .otherwise("predikat")
    )
    s3, r3 = sync(s2.replace(pmm_penilaian=nilai), TAHUN, Flow.PENILAIAN)
    got = dict(zip(r3.outcomes["nip"], r3.outcomes["hasil"], strict=True))
    assert got == {KS: Outcome.SAMA, G1: Outcome.BARU, G2: Outcome.SAMA}
    assert s3["ekinerja_penilaian"].height == 3
    assert "SANGAT_BAIK" in s3["ekinerja_penilaian"]["predikat"].to_list()


def rotation_rows() -> Rows:
    """G2 moved to the second school mid-year: two agreed SKPs of the year, both synced."""
    rows = base_rows()
    first = row(rows, "pmm_skp", pmm_skp_id="S-G2")
    first["periode_akhir"] = "2026-06-30"
    second = dict(first, pmm_skp_id="S-G2-B", npsn=NPSN2, periode_awal="2026-07-01", periode_akhir="2026-12-31")
    rows["pmm_skp"].append(second)
    rows["pmm_rhk"].append(
        {
            "pmm_rhk_id": "R-G2-B",
            "pmm_skp_id": "S-G2-B",
            "uraian": "Asesmen sumatif",
            "jenis": "UTAMA",
            "induk_pmm_rhk_id": None,
        }
    )
    after, _ = sync(snapshot(rows), TAHUN)
    for name in ("ekinerja_skp", "ekinerja_rhk"):
        rows[name] = after[name].to_dicts()
    # the sync of flow SKP need not succeed for G2 at the second school; PER-02 must not hold
    ek = {r["pmm_skp_id"] for r in rows["ekinerja_skp"]}
    for sid in ("S-G2", "S-G2-B"):
        if sid not in ek:
            rows["ekinerja_skp"].append(
                {
                    "skp_id": f"E-{sid}",
                    "nip": G2,
                    "periode_id": "P-2026",
                    "unor_id": "U-SD2" if sid.endswith("B") else "U-SD1",
                    "atasan_nip": KS,
                    "sumber": "PMM",
                    "pmm_skp_id": sid,
                }
            )
    return rows


def test_per03_rotation_one_school_without_rows_is_not_an_error() -> None:
    rows = rotation_rows()
    r = run(rows)
    assert "PER-03" not in codes(r, G2)
    assert codes(r, G2) == []
    assert status(r, G2) == Status.SIAP


def test_per03_rotation_no_school_with_rows_is_an_error() -> None:
    rows = rotation_rows()
    rows["pmm_penilaian"] = [p for p in rows["pmm_penilaian"] if p["pmm_skp_id"] != "S-G2"]
    r = run(rows)
    assert codes(r, G2) == ["PER-03", "PER-03"]
    got = r.errors.filter(r.errors["nip"] == G2)["pmm_skp_id"].to_list()
    assert sorted(got) == ["S-G2", "S-G2-B"]
    assert codes(r, G1) == []

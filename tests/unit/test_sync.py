"""The sync: principal-first cascade, idempotency, kept ids, hand-made RHK left alone."""

from __future__ import annotations

import polars as pl
from world import G1, G2, KADIS, KS, TAHUN, base_rows, codes, row, snapshot, status

from selaras.domain.results import Outcome, Status
from selaras.domain.rules import check
from selaras.domain.sync import apply, sync


def outcomes(result) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return dict(zip(result.outcomes["nip"], result.outcomes["hasil"], strict=True))


def test_one_batch_syncs_principal_first_then_the_teachers_it_blocked() -> None:
    after, result = sync(snapshot(), TAHUN)
    assert outcomes(result) == {KS: Outcome.BARU, G1: Outcome.BARU, G2: Outcome.BARU}
    assert result.check.errors.height == 0
    skp = after["ekinerja_skp"]
    assert skp.height == 3 and set(skp["sumber"]) == {"PMM"}
    assert skp.filter(pl.col("nip") == G1).row(0, named=True) | {} == {
        "skp_id": "SKP-PMM-S-G1",
        "nip": G1,
        "periode_id": "P-2026",
        "unor_id": "U-SD1",
        "atasan_nip": KS,
        "sumber": "PMM",
        "pmm_skp_id": "S-G1",
    }
    rhk = after["ekinerja_rhk"]
    ks_rhk = dict(zip(rhk["pmm_rhk_id"], rhk["rhk_id"], strict=True))
    linked = rhk.filter(pl.col("pmm_rhk_id") == "R-G1-2")["induk_rhk_id"].item()
    assert linked == ks_rhk["R-KS-2"]
    assert rhk.filter(pl.col("skp_id") == "SKP-PMM-S-KS")["induk_rhk_id"].null_count() == 2
    assert {status(check(after, TAHUN), n) for n in (KS, G1, G2)} == {Status.TERSINKRON}


def test_sync_twice_changes_nothing() -> None:
    once, _ = sync(snapshot(), TAHUN)
    twice, result = sync(once, TAHUN)
    assert result.changes.is_empty()
    assert set(outcomes(result).values()) == {Outcome.TIDAK_BERUBAH}
    for name in ("ekinerja_skp", "ekinerja_rhk"):
        assert twice[name].sort(twice[name].columns).equals(once[name].sort(once[name].columns))


def test_teacher_alone_waits_while_principal_blocked() -> None:
    rows = base_rows()
    row(rows, "pmm_skp", pmm_skp_id="S-KS")["status"] = "DRAF"
    after, result = sync(snapshot(rows), TAHUN)
    assert outcomes(result) == {KS: Outcome.GAGAL, G1: Outcome.GAGAL, G2: Outcome.GAGAL}
    assert after["ekinerja_skp"].height == 0
    assert codes(result.check, G1) == ["PMM-11"]


def test_changed_pmm_updates_same_rows_keeps_ids_and_links_and_hand_made_rhk() -> None:
    once, _ = sync(snapshot(), TAHUN)
    manual = pl.DataFrame(
        [
            {
                "rhk_id": "HAND-1",
                "skp_id": "SKP-PMM-S-G1",
                "uraian": "Tambahan manual",
                "pmm_rhk_id": None,
                "induk_rhk_id": None,
            }
        ],
        schema=once["ekinerja_rhk"].schema,
    )
    once = once.replace(ekinerja_rhk=pl.concat([once["ekinerja_rhk"], manual]))
    pmm_rhk = (
        once["pmm_rhk"]
        .filter(pl.col("pmm_rhk_id") != "R-G1-2")
        .with_columns(
            uraian=pl.when(pl.col("pmm_rhk_id") == "R-KS-1").then(pl.lit("Mutu (revisi)")).otherwise("uraian")
        )
    )
    after, result = sync(once.replace(pmm_rhk=pmm_rhk), TAHUN)
    assert outcomes(result) == {KS: Outcome.DIPERBARUI, G1: Outcome.DIPERBARUI, G2: Outcome.TIDAK_BERUBAH}
    rhk = after["ekinerja_rhk"]
    assert rhk.filter(pl.col("pmm_rhk_id") == "R-KS-1")["rhk_id"].item() == "RHK-PMM-R-KS-1"
    assert rhk.filter(pl.col("pmm_rhk_id") == "R-KS-1")["uraian"].item() == "Mutu (revisi)"
    assert "R-G1-2" not in rhk["pmm_rhk_id"].to_list()
    assert "HAND-1" in rhk["rhk_id"].to_list()
    assert rhk.filter(pl.col("pmm_rhk_id") == "R-G2-1")["induk_rhk_id"].item() == "RHK-PMM-R-KS-1"
    assert after["ekinerja_skp"].height == 3


def test_superior_change_updates_the_synced_skp() -> None:
    once, _ = sync(snapshot(), TAHUN)
    unor = once["ekinerja_unor"].with_columns(
        atasan_nip=pl.when(pl.col("unor_id") == "U-DINAS").then(pl.lit("196501011990031001")).otherwise("atasan_nip")
    )
    after, result = sync(once.replace(ekinerja_unor=unor), TAHUN)
    assert outcomes(result)[KS] == Outcome.DIPERBARUI
    assert after["ekinerja_skp"].filter(pl.col("nip") == KS)["atasan_nip"].item() == "196501011990031001"
    assert KADIS not in after["ekinerja_skp"]["atasan_nip"].to_list()


def test_pegawai_synced_whole_or_not_at_all() -> None:
    rows = base_rows()
    s1 = row(rows, "pmm_skp", pmm_skp_id="S-G1")
    s1["periode_akhir"] = "2026-06-30"
    rows["pmm_skp"].append(
        {**s1, "pmm_skp_id": "S-G1-B", "npsn": "10000099", "periode_awal": "2026-07-01", "periode_akhir": "2026-12-31"}
    )
    rows["dapodik_sekolah"].append({"npsn": "10000099", "nama": "SD Tanpa Unor", "instansi_id": "I1"})
    after, result = sync(snapshot(rows), TAHUN)
    assert outcomes(result)[G1] == Outcome.GAGAL
    assert "PMM-08" in codes(result.check, G1)
    assert after["ekinerja_skp"].filter(pl.col("nip") == G1).height == 0


def test_apply_is_idempotent() -> None:
    _, result = sync(snapshot(), TAHUN)
    s1 = apply(snapshot(), result.changes)
    s2 = apply(s1, result.changes)
    for name in ("ekinerja_skp", "ekinerja_rhk"):
        assert s2[name].sort(s2[name].columns).equals(s1[name].sort(s1[name].columns))

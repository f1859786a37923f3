"""The live check of the pages as use cases (SQLite and PostgreSQL): the pegawai's check runs
the same rule definitions as the batch, on the rows in the store now; the year's end of a
school and an instansi as the /tahunan page shows it."""

from __future__ import annotations

import polars as pl
from world import G1, G2, KS, NPSN, TAHUN, snapshot, tahunan_rows

from selaras.domain.results import Flow
from selaras.domain.rules import check
from selaras.store.database import Store
from selaras.store.snapshots import load_snapshot, save_snapshot
from selaras.usecases.periksa import periksa_instansi, periksa_pegawai, periksa_sekolah


def test_the_pegawai_check_is_the_batch_check_of_that_pegawai(store: Store) -> None:
    save_snapshot(store, snapshot(tahunan_rows()))
    assert periksa_pegawai(store, "199912312020121999", TAHUN) is None
    batch = check(load_snapshot(store), TAHUN, Flow.SKP)
    for nip in (KS, G1, G2):
        c = periksa_pegawai(store, nip, TAHUN, Flow.SKP)
        assert c is not None and c.nip == nip and c.pegawai["nip"] == nip
        assert c.hasil is not None and c.hasil.flow is Flow.SKP
        mine = batch.errors.filter(pl.col("nip") == nip)
        assert sorted(c.errors["code"].to_list()) == sorted(mine["code"].to_list())
        assert c.kepala_sekolah is (nip == KS)
    g2 = periksa_pegawai(store, G2, TAHUN, flow=None)
    assert g2 is not None and g2.hasil is None and g2.errors.height == 0
    assert g2.tahunan.nilai["predikat"].to_list() == ["BAIK"]
    assert g2.tahunan.kenaikan is not None and g2.tahunan.kenaikan["jenjang"]


def test_the_year_end_of_a_school_and_an_instansi(store: Store) -> None:
    save_snapshot(store, snapshot(tahunan_rows()))
    s = periksa_sekolah(store, NPSN, TAHUN)
    assert s.npsn == NPSN and s.sebaran["pko"] == "BAIK"
    assert set(s.guru["nip"].to_list()) == {G1, G2}
    instansi = snapshot(tahunan_rows())["siasn_pegawai"]["instansi_id"][0]
    dinas, admin = periksa_instansi(store, instansi, TAHUN, naik=True)
    assert set(dinas) == {"tanpa_pko", "melanggar"} and admin is not None
    assert set(admin) == {"naik", "terhambat", "per_sekolah"}
    assert periksa_instansi(store, instansi, TAHUN, naik=False)[1] is None

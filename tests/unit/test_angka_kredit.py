"""The angka kredit conversion (annual.md, steps 5 and 6): each rule on its own, BKN's example,
the split year, the credit gathered and what the next step needs."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from selaras.domain.angka_kredit import (
    angka_kredit_tahun,
    bulan_di_jenjang,
    hitung,
    kebutuhan_jenjang,
    kebutuhan_pangkat,
    kenaikan,
    koefisien_persepuluh,
    persen,
    segmen,
    tahun_tercapai,
    terkumpul,
)


def test_bkn_example_two_months_baik_ahli_pertama() -> None:
    # Peraturan BKN 3/2023: 2/12 x 100% x 12.5 = 2.08
    assert hitung(2, "BAIK", "AHLI_PERTAMA") == 2.08


@pytest.mark.parametrize(
    ("predikat", "expected"),
    [("SANGAT_BAIK", 150), ("BAIK", 100), ("BUTUH_PERBAIKAN", 75), ("KURANG", 50), ("SANGAT_KURANG", 25), ("X", None)],
)
def test_percent_of_each_rating(predikat: str, expected: int | None) -> None:
    assert pl.select(persen(pl.lit(predikat)))[0, 0] == expected


@pytest.mark.parametrize(
    ("jenjang", "tenths"),
    [("AHLI_PERTAMA", 125), ("AHLI_MUDA", 250), ("AHLI_MADYA", 375), ("AHLI_UTAMA", 500), ("TERAMPIL", None)],
)
def test_coefficient_of_each_jenjang(jenjang: str, tenths: int | None) -> None:
    assert pl.select(koefisien_persepuluh(pl.lit(jenjang)))[0, 0] == tenths


@pytest.mark.parametrize(
    ("bulan", "predikat", "jenjang", "ak"),
    [
        (12, "BAIK", "AHLI_PERTAMA", 12.5),
        (12, "SANGAT_BAIK", "AHLI_MADYA", 56.25),
        (12, "SANGAT_KURANG", "AHLI_UTAMA", 12.5),
        (1, "BAIK", "AHLI_PERTAMA", 1.04),  # 1.0416.. rounds down
        (1, "BUTUH_PERBAIKAN", "AHLI_PERTAMA", 0.78),  # 0.78125 rounds down
        (5, "BAIK", "AHLI_MUDA", 10.42),  # 10.4166..
        (1, "KURANG", "AHLI_PERTAMA", 0.52),  # 0.52083..
        (3, "BUTUH_PERBAIKAN", "AHLI_MADYA", 7.03),  # 7.03125
        (7, "SANGAT_BAIK", "AHLI_MADYA", 32.81),  # 32.8125
    ],
)
def test_conversion_rounded_to_two_decimals(bulan: int, predikat: str, jenjang: str, ak: float) -> None:
    assert hitung(bulan, predikat, jenjang) == ak


def test_rounding_is_half_up_on_an_exact_half() -> None:
    # 1/12 x 150% x 25 = 3.125 -> 3.13 (half up; banker's rounding gives 3.12);
    # 6/12 x 25% x 12.5 = 1.5625 -> 1.56
    assert hitung(1, "SANGAT_BAIK", "AHLI_MUDA") == 3.13
    assert hitung(6, "SANGAT_KURANG", "AHLI_PERTAMA") == 1.56


def test_unknown_rating_or_jenjang_gives_no_credit() -> None:
    assert hitung(12, "BAIK", "TERAMPIL") is None
    assert hitung(12, "ISTIMEWA", "AHLI_MUDA") is None


def test_months_whole_year_in_one_jenjang() -> None:
    assert segmen([("AHLI_MUDA", date(2019, 4, 1))], 2026) == [("AHLI_MUDA", 12)]


def test_months_split_when_the_jenjang_changes_mid_year() -> None:
    riwayat = [("AHLI_PERTAMA", date(2020, 1, 1)), ("AHLI_MUDA", date(2026, 5, 1))]
    assert segmen(riwayat, 2026) == [("AHLI_PERTAMA", 4), ("AHLI_MUDA", 8)]


def test_months_start_with_the_position_mid_year() -> None:
    assert segmen([("AHLI_PERTAMA", date(2026, 10, 1))], 2026) == [("AHLI_PERTAMA", 3)]
    # A TMT not on the first of the month counts from the next month.
    assert segmen([("AHLI_PERTAMA", date(2026, 10, 15))], 2026) == [("AHLI_PERTAMA", 2)]


def test_months_of_a_jenjang_entered_next_year_count_nothing() -> None:
    assert segmen([("AHLI_PERTAMA", date(2027, 1, 1))], 2026) == []


def test_rows_without_jenjang_or_tmt_count_nothing() -> None:
    df = pl.DataFrame(
        {"nip": ["a", "b"], "jenjang": [None, "AHLI_MUDA"], "tmt_jabatan": [date(2020, 1, 1), None]},
        schema={"nip": pl.String, "jenjang": pl.String, "tmt_jabatan": pl.Date},
    )
    assert bulan_di_jenjang(df, 2026).height == 0


def test_year_credit_of_a_split_year_sums_the_segments() -> None:
    jabatan = pl.DataFrame(
        {
            "nip": ["a", "a", "b"],
            "jenjang": ["AHLI_PERTAMA", "AHLI_MUDA", "AHLI_MADYA"],
            "tmt_jabatan": [date(2020, 1, 1), date(2026, 5, 1), date(2015, 1, 1)],
        }
    )
    predikat = pl.DataFrame({"nip": ["a", "b", "c"], "predikat": ["BAIK", "SANGAT_BAIK", "BAIK"]})
    out = {r["nip"]: r for r in angka_kredit_tahun(jabatan, predikat, 2026).iter_rows(named=True)}
    # 4/12 x 100% x 12.5 = 4.17; 8/12 x 100% x 25 = 16.67
    assert out["a"]["angka_kredit"] == pytest.approx(20.84)
    assert [(s["jenjang"], s["bulan"], s["angka_kredit"]) for s in out["a"]["rincian"]] == [
        ("AHLI_PERTAMA", 4, 4.17),
        ("AHLI_MUDA", 8, 16.67),
    ]
    assert out["b"]["angka_kredit"] == 56.25
    assert "c" not in out  # no jenjang: no credit


def test_credit_gathered_counts_from_the_year_of_the_last_promotion() -> None:
    angka = pl.DataFrame(
        {"nip": ["a", "a", "a", "b"], "tahun": [2022, 2023, 2024, 2020], "angka_kredit": [12.5, 12.5, 18.75, 25.0]}
    )
    jabatan = pl.DataFrame(
        {
            "nip": ["a", "b"],
            "tmt_jabatan": [date(2019, 1, 1), date(2010, 1, 1)],
            "tmt_golongan": [date(2023, 4, 1), date(2012, 1, 1)],
        }
    )
    out = dict(terkumpul(angka, jabatan).iter_rows())
    assert out == {"a": 31.25, "b": 25.0}


@pytest.mark.parametrize(
    ("jenjang", "golongan", "pangkat", "naik_jenjang"),
    [
        ("AHLI_PERTAMA", "III/a", 50, 100),
        ("AHLI_PERTAMA", "III/b", None, 100),  # top rank of the jenjang: the next step is the jenjang
        ("AHLI_MUDA", "III/c", 100, 200),
        ("AHLI_MADYA", "IV/b", 150, 450),
        ("AHLI_UTAMA", "IV/d", 200, None),  # the last jenjang
        ("AHLI_UTAMA", "IV/e", None, None),
    ],
)
def test_what_the_next_rank_and_jenjang_need(
    jenjang: str, golongan: str, pangkat: int | None, naik_jenjang: int | None
) -> None:
    row = pl.select(
        kebutuhan_pangkat(pl.lit(jenjang), pl.lit(golongan)).alias("p"), kebutuhan_jenjang(pl.lit(jenjang)).alias("j")
    ).row(0)
    assert row == (pangkat, naik_jenjang)


@pytest.mark.parametrize(
    ("gathered", "needed", "per_year", "year"),
    [
        (50.0, 50, 12.5, 2026),  # already reached
        (37.5, 50, 12.5, 2027),
        (25.0, 50, 12.5, 2028),
        (25.0, 50, 9.38, 2029),  # 25 / 9.38 = 2.67 -> three more years
        (10.0, 50, 0.0, None),  # never, at no credit a year
        (10.0, None, 12.5, None),  # nothing further to reach
    ],
)
def test_year_expected_at_the_current_rating(
    gathered: float, needed: int | None, per_year: float, year: int | None
) -> None:
    got = pl.select(tahun_tercapai(pl.lit(gathered), pl.lit(needed, pl.Int64), pl.lit(per_year), 2026))[0, 0]
    assert got == year


def test_promotion_readiness_counts_this_year_once_and_names_the_year() -> None:
    jabatan = pl.DataFrame(
        {
            "nip": ["a", "b", "c"],
            "jenjang": ["AHLI_PERTAMA", "AHLI_MUDA", "AHLI_PERTAMA"],
            "golongan": ["III/a", "III/d", "III/a"],
            "tmt_jabatan": [date(2020, 1, 1), date(2018, 1, 1), date(2020, 1, 1)],
            "tmt_golongan": [date(2023, 1, 1), date(2019, 1, 1), date(2023, 1, 1)],
        }
    )
    angka = pl.DataFrame(
        {
            "nip": ["a", "a", "a", "b", "c"],
            "tahun": [2023, 2024, 2025, 2019, 2026],
            "angka_kredit": [12.5, 12.5, 12.5, 150.0, 12.5],
            "jenis": ["KONVERSI"] * 5,
        }
    )
    predikat = pl.DataFrame({"nip": ["a", "b", "c"], "predikat": ["BAIK", "BUTUH_PERBAIKAN", "BAIK"]})
    out = {r["nip"]: r for r in kenaikan(jabatan, angka, predikat, 2026).iter_rows(named=True)}
    a = out["a"]
    # 3 x 12.5 recorded + 12.5 this year = 50: the next rank (50) this year; the jenjang (100) in 2030
    assert (a["angka_kredit"], a["terkumpul"], a["butuh_pangkat"], a["butuh_jenjang"]) == (12.5, 50.0, 50, 100)
    assert (a["tahun_pangkat"], a["tahun_jenjang"], a["naik_tahun_ini"]) == (2026, 2030, True)
    b = out["b"]
    # top rank of Ahli Muda: only the jenjang (200); 150 + 18.75 = 168.75, two more years; not BAIK
    assert (b["butuh_pangkat"], b["terkumpul"], b["tahun_jenjang"], b["boleh_jenjang"]) == (None, 168.75, 2028, False)
    assert b["naik_tahun_ini"] is False
    c = out["c"]
    # this year's conversion already recorded in SIASN is not counted twice
    assert (c["terkumpul"], c["tahun_pangkat"]) == (12.5, 2029)

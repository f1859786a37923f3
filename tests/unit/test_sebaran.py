"""The distribution rule (annual.md, step 3): each row of the table, where it holds and where it
does not, with shares on, just under and just over each bound."""

from __future__ import annotations

import polars as pl
import pytest

from selaras.domain.sebaran import MIN_DINILAI, langgar, sebaran


def n(**jumlah: int) -> dict[str, int]:
    return jumlah


@pytest.mark.parametrize(
    ("jumlah", "broken"),
    [
        (n(SANGAT_BAIK=7, BAIK=3), []),  # 70%: on the bound
        (n(SANGAT_BAIK=13, BAIK=7), []),  # 65%: under
        (n(SANGAT_BAIK=15, BAIK=5), ["SANGAT_BAIK<=70%"]),  # 75%: over
        (n(SANGAT_BAIK=71, BAIK=29), ["SANGAT_BAIK<=70%"]),  # 71%: just over
        (n(SANGAT_BAIK=69, BAIK=31), []),  # 69%: just under
    ],
)
def test_istimewa(jumlah: dict[str, int], broken: list[str]) -> None:
    assert langgar("ISTIMEWA", jumlah) == broken


@pytest.mark.parametrize(
    ("jumlah", "broken"),
    [
        (n(BAIK=7, BUTUH_PERBAIKAN=3), []),  # 70% BAIK, one or more BUTUH_PERBAIKAN
        (n(SANGAT_BAIK=2, BAIK=5, KURANG=1, SANGAT_KURANG=2), []),  # SB counted with BAIK: 70%
        (n(SANGAT_BAIK=3, BAIK=5, KURANG=2), ["SANGAT_BAIK+BAIK<=70%"]),  # 80%
        (n(BAIK=69, BUTUH_PERBAIKAN=31), []),  # 69%
        (n(BAIK=71, BUTUH_PERBAIKAN=29), ["SANGAT_BAIK+BAIK<=70%"]),  # 71%
        (n(BAIK=6, SANGAT_KURANG=4), ["BUTUH_PERBAIKAN+KURANG>=1"]),  # none BUTUH_PERBAIKAN or KURANG
        (n(BAIK=9, KURANG=1), ["SANGAT_BAIK+BAIK<=70%"]),
        (n(BAIK=10), ["SANGAT_BAIK+BAIK<=70%", "BUTUH_PERBAIKAN+KURANG>=1"]),
    ],
)
def test_baik(jumlah: dict[str, int], broken: list[str]) -> None:
    assert langgar("BAIK", jumlah) == broken


@pytest.mark.parametrize(
    ("jumlah", "broken"),
    [
        (n(BUTUH_PERBAIKAN=6, SANGAT_BAIK=1, BAIK=3), []),  # 60% and 10%: on both bounds
        (n(BUTUH_PERBAIKAN=61, SANGAT_BAIK=9, BAIK=30), []),
        (n(BUTUH_PERBAIKAN=59, SANGAT_BAIK=1, BAIK=40), ["BUTUH_PERBAIKAN>=60%"]),  # 59%
        (n(BUTUH_PERBAIKAN=60, SANGAT_BAIK=11, BAIK=29), ["SANGAT_BAIK<=10%"]),  # 11%
        (n(BUTUH_PERBAIKAN=5, SANGAT_BAIK=2, BAIK=3), ["BUTUH_PERBAIKAN>=60%", "SANGAT_BAIK<=10%"]),
    ],
)
def test_butuh_perbaikan(jumlah: dict[str, int], broken: list[str]) -> None:
    assert langgar("BUTUH_PERBAIKAN", jumlah) == broken


@pytest.mark.parametrize(
    ("jumlah", "broken"),
    [
        (n(KURANG=6, BUTUH_PERBAIKAN=1, SANGAT_BAIK=1, BAIK=2), []),  # on every bound
        (n(KURANG=59, BUTUH_PERBAIKAN=20, BAIK=21), ["KURANG>=60%"]),
        (n(KURANG=61, BUTUH_PERBAIKAN=10, BAIK=29), []),
        (n(KURANG=61, BUTUH_PERBAIKAN=9, BAIK=30), ["BUTUH_PERBAIKAN>=10%"]),  # 9%
        (n(KURANG=60, BUTUH_PERBAIKAN=20, SANGAT_BAIK=11, BAIK=9), ["SANGAT_BAIK<=10%"]),  # 11%
        (n(KURANG=60, BUTUH_PERBAIKAN=20, SANGAT_BAIK=9, BAIK=11), []),  # 9%
    ],
)
def test_kurang(jumlah: dict[str, int], broken: list[str]) -> None:
    assert langgar("KURANG", jumlah) == broken


@pytest.mark.parametrize(
    ("jumlah", "broken"),
    [
        (n(SANGAT_KURANG=6, KURANG=1, BAIK=3), []),
        (n(SANGAT_KURANG=6, BUTUH_PERBAIKAN=1, BAIK=3), []),  # KURANG or BUTUH_PERBAIKAN
        (n(SANGAT_KURANG=59, KURANG=41), ["SANGAT_KURANG>=60%"]),
        (n(SANGAT_KURANG=61, KURANG=9, BAIK=30), ["KURANG+BUTUH_PERBAIKAN>=10%"]),
        (n(SANGAT_KURANG=60, KURANG=10, BAIK=30), []),
        (n(SANGAT_KURANG=7, KURANG=2, SANGAT_BAIK=1), ["SANGAT_BAIK<=0"]),  # no SANGAT_BAIK at all
    ],
)
def test_sangat_kurang(jumlah: dict[str, int], broken: list[str]) -> None:
    assert langgar("SANGAT_KURANG", jumlah) == broken


def test_a_school_of_four_rated_teachers_is_not_judged() -> None:
    assert MIN_DINILAI == 5
    assert langgar("ISTIMEWA", n(SANGAT_BAIK=4)) is None
    assert langgar("ISTIMEWA", n(SANGAT_BAIK=5)) == ["SANGAT_BAIK<=70%"]


def test_every_school_at_once_without_pko_breaks_nothing() -> None:
    predikat = pl.DataFrame(
        {
            "npsn": ["A"] * 5 + ["B"] * 5,
            "predikat": ["SANGAT_BAIK"] * 5 + ["BAIK"] * 3 + ["KURANG"] * 2,
        }
    )
    pko = pl.DataFrame({"npsn": ["A", "C"], "pko": ["BAIK", "ISTIMEWA"]})
    out = {r["npsn"]: r for r in sebaran(predikat, pko).iter_rows(named=True)}
    assert out["A"]["pelanggaran"] == ["SANGAT_BAIK+BAIK<=70%", "BUTUH_PERBAIKAN+KURANG>=1"]
    assert out["B"]["pko"] is None and out["B"]["pelanggaran"] == []
    assert out["C"]["dinilai"] == 0 and out["C"]["pelanggaran"] == []
    assert out["B"]["jumlah_BAIK"] == 3 and out["B"]["jumlah_KURANG"] == 2

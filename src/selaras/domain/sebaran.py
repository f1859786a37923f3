"""The distribution rule (annual.md, step 3): the ratings of a school's teachers must follow the
distribution the school's organisation rating (PKO) allows.

Each bound of the table is one :class:`Batas` (data); :func:`sebaran` judges every school at
once. Shares are compared in whole numbers (``count x 100`` against ``percent x rated``), so a
share exactly on a bound is inside it. A school with fewer than :data:`MIN_DINILAI` rated
teachers is not judged.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import polars as pl

from selaras.domain.snapshot import PREDIKAT

MIN_DINILAI = 5
"""Fewest rated teachers for a school to be judged (this project's reading: a rule on 2 people is noise)."""


@dataclass(frozen=True)
class Batas:
    """One bound: the ratings counted together, and at most / at least this share or count."""

    predikat: tuple[str, ...]
    arah: Literal["paling_banyak", "paling_sedikit"]
    nilai: int
    satuan: Literal["persen", "orang"] = "persen"

    @property
    def kunci(self) -> str:
        """A short stable name of the bound, e.g. ``SANGAT_BAIK<=70%``."""
        op = "<=" if self.arah == "paling_banyak" else ">="
        return f"{'+'.join(self.predikat)}{op}{self.nilai}{'%' if self.satuan == 'persen' else ''}"

    def dilanggar(self, jumlah: pl.Expr, dinilai: pl.Expr) -> pl.Expr:
        """Whether the school breaks this bound, ``jumlah`` teachers of ``predikat`` out of ``dinilai``."""
        batas = dinilai * self.nilai if self.satuan == "persen" else pl.lit(self.nilai)
        got = jumlah * 100 if self.satuan == "persen" else jumlah
        return got > batas if self.arah == "paling_banyak" else got < batas


SB, B, BP, K, SK = PREDIKAT
ATURAN: dict[str, tuple[Batas, ...]] = {
    "ISTIMEWA": (Batas((SB,), "paling_banyak", 70),),
    # SANGAT_BAIK counted with BAIK is this project's reading.
    "BAIK": (Batas((SB, B), "paling_banyak", 70), Batas((BP, K), "paling_sedikit", 1, "orang")),
    "BUTUH_PERBAIKAN": (Batas((BP,), "paling_sedikit", 60), Batas((SB,), "paling_banyak", 10)),
    "KURANG": (
        Batas((K,), "paling_sedikit", 60),
        Batas((BP,), "paling_sedikit", 10),
        Batas((SB,), "paling_banyak", 10),
    ),
    "SANGAT_KURANG": (
        Batas((SK,), "paling_sedikit", 60),
        Batas((K, BP), "paling_sedikit", 10),
        Batas((SB,), "paling_banyak", 0, "orang"),
    ),
}
"""The bounds of each PKO (annual.md, step 3)."""


def sebaran(predikat: pl.DataFrame, pko: pl.DataFrame) -> pl.DataFrame:
    """Each school's distribution judged against its PKO.

    ``predikat``: one row per rated teacher (npsn, predikat); ``pko``: npsn, pko. One row per
    school with ratings or a PKO: npsn, pko, dinilai (rated teachers), a count per rating
    (``jumlah_SANGAT_BAIK`` ...), ``dinilai_cukup`` (at least :data:`MIN_DINILAI`), and
    ``pelanggaran``: the keys of the bounds broken (empty when it holds, when there is no PKO
    or when the school is not judged).
    """
    counts = predikat.group_by("npsn").agg(
        pl.len().cast(pl.Int64).alias("dinilai"),
        *[(pl.col("predikat") == p).sum().cast(pl.Int64).alias(f"jumlah_{p}") for p in PREDIKAT],
    )
    df = counts.join(pko.select("npsn", "pko"), on="npsn", how="full", coalesce=True).with_columns(
        pl.col("dinilai").fill_null(0), *[pl.col(f"jumlah_{p}").fill_null(0) for p in PREDIKAT]
    )
    cukup = pl.col("dinilai") >= MIN_DINILAI
    broken: list[pl.Expr] = []
    for organisasi, bounds in ATURAN.items():
        for b in bounds:
            jumlah = pl.sum_horizontal(*[pl.col(f"jumlah_{p}") for p in b.predikat])
            broken.append(
                pl.when(cukup & (pl.col("pko") == organisasi) & b.dilanggar(jumlah, pl.col("dinilai")))
                .then(pl.lit(b.kunci))
                .otherwise(pl.lit(None, pl.String))
            )
    return df.with_columns(
        cukup.alias("dinilai_cukup"),
        pl.concat_list(broken).list.drop_nulls().alias("pelanggaran"),
    )


def langgar(pko: str, jumlah: dict[str, int]) -> list[str] | None:
    """:func:`sebaran` of one school: the bounds broken for ratings counted as ``jumlah``
    (rating -> teachers); None when the school is not judged (too few rated)."""
    rows = [{"npsn": "x", "predikat": p} for p, n in jumlah.items() for _ in range(n)]
    predikat = pl.DataFrame(rows, schema={"npsn": pl.String, "predikat": pl.String})
    out = sebaran(predikat, pl.DataFrame({"npsn": ["x"], "pko": [pko]})).row(0, named=True)
    return list(out["pelanggaran"]) if out["dinilai_cukup"] else None

"""Angka kredit: the conversion of the year's rating into credit points (annual.md, step 5)
and promotion readiness (step 6), Peraturan BKN 3/2023.

``AK = months / 12 x percent(rating) x coefficient(jenjang)``, rounded to 2 decimals. Each rule
is one function over polars expressions, so the national check and the teacher's page compute
the same numbers; the scalar helpers below (:func:`hitung`, :func:`kebutuhan`, ...) evaluate
the same expressions on one row.

The arithmetic is exact: the coefficients are multiples of 1/10, so the credit in hundredths is
``months x percent x coefficient*10 / 120``, an integer division rounded half up. A float
computation would round 0.125 to 0.12 on some inputs.
"""

from __future__ import annotations

from datetime import date

import polars as pl

PERSEN: dict[str, int] = {
    "SANGAT_BAIK": 150,
    "BAIK": 100,
    "BUTUH_PERBAIKAN": 75,
    "KURANG": 50,
    "SANGAT_KURANG": 25,
}
"""Percent of the yearly coefficient each annual rating gives."""

KOEFISIEN_PERSEPULUH: dict[str, int] = {
    "AHLI_PERTAMA": 125,
    "AHLI_MUDA": 250,
    "AHLI_MADYA": 375,
    "AHLI_UTAMA": 500,
}
"""Yearly coefficient of each jenjang, in tenths (12.5, 25, 37.5, 50)."""

KOEFISIEN: dict[str, float] = {j: t / 10 for j, t in KOEFISIEN_PERSEPULUH.items()}
"""The same coefficients as numbers, to show."""

KEBUTUHAN_PANGKAT: dict[str, int] = {"AHLI_PERTAMA": 50, "AHLI_MUDA": 100, "AHLI_MADYA": 150, "AHLI_UTAMA": 200}
"""Credit a rise of rank (pangkat) within the jenjang needs."""

KEBUTUHAN_JENJANG: dict[str, int] = {"AHLI_PERTAMA": 100, "AHLI_MUDA": 200, "AHLI_MADYA": 450}
"""Credit the step to the next jenjang needs (Ahli Utama is the last)."""

GOLONGAN_JENJANG: dict[str, tuple[str, ...]] = {
    "AHLI_PERTAMA": ("III/a", "III/b"),
    "AHLI_MUDA": ("III/c", "III/d"),
    "AHLI_MADYA": ("IV/a", "IV/b", "IV/c"),
    "AHLI_UTAMA": ("IV/d", "IV/e"),
}
"""The ranks (golongan) of each jenjang, lowest first."""

PREDIKAT_MINIMAL_JENJANG = ("SANGAT_BAIK", "BAIK")
"""The ratings of the last year that allow the step to the next jenjang."""


def persen(predikat: pl.Expr) -> pl.Expr:
    """Percent given by the rating (null for an unknown or missing rating)."""
    return predikat.replace_strict(PERSEN, default=None, return_dtype=pl.Int64)


def koefisien_persepuluh(jenjang: pl.Expr) -> pl.Expr:
    """The jenjang's yearly coefficient in tenths (null for an unknown or missing jenjang)."""
    return jenjang.replace_strict(KOEFISIEN_PERSEPULUH, default=None, return_dtype=pl.Int64)


def bulan_mulai(tmt: pl.Expr) -> pl.Expr:
    """The first month counted in a jenjang (months since year 0): the TMT's month when the TMT
    is the first of the month (BKN's TMT always is), else the month after."""
    return tmt.dt.year().cast(pl.Int64) * 12 + tmt.dt.month().cast(pl.Int64) - 1 + (tmt.dt.day() > 1).cast(pl.Int64)


def bulan_di_jenjang(jabatan: pl.DataFrame, tahun: int) -> pl.DataFrame:
    """Months of ``tahun`` each pegawai spent in each jenjang: columns nip, jenjang, tmt_jabatan,
    bulan (1..12; segments outside the year are dropped).

    ``jabatan`` holds ``siasn_jabatan`` rows (nip, jenjang, tmt_jabatan). Each jenjang lasts from
    its TMT to the next TMT of the same pegawai, so a change mid-year splits the year. Rows
    without a jenjang or a TMT count nothing (TAH-05 reports them).
    """
    awal, akhir = tahun * 12, (tahun + 1) * 12
    rows = jabatan.filter(pl.col("jenjang").is_not_null() & pl.col("tmt_jabatan").is_not_null())
    return (
        rows.select("nip", "jenjang", "tmt_jabatan", bulan_mulai(pl.col("tmt_jabatan")).alias("_mulai"))
        .sort("nip", "_mulai")
        .with_columns(pl.col("_mulai").shift(-1).over("nip").fill_null(akhir).alias("_sampai"))
        .with_columns(
            (pl.min_horizontal(pl.col("_sampai"), pl.lit(akhir)) - pl.max_horizontal(pl.col("_mulai"), pl.lit(awal)))
            .clip(lower_bound=0)
            .alias("bulan")
        )
        .filter(pl.col("bulan") > 0)
        .select("nip", "jenjang", "tmt_jabatan", "bulan")
    )


def bulatkan_perseratus(pembilang: pl.Expr, penyebut: int) -> pl.Expr:
    """``pembilang / penyebut`` rounded half up to a whole number (both non-negative integers)."""
    return (pembilang * 2 + penyebut) // (penyebut * 2)


def perseratus(angka: pl.Expr) -> pl.Expr:
    """A credit (a number with at most 2 decimals) in whole hundredths."""
    return (angka.cast(pl.Float64) * 100).round(0).cast(pl.Int64)


def dari_perseratus(seratus: pl.Expr) -> pl.Expr:
    """Whole hundredths (non-negative) as the credit they are: the double nearest the decimal.

    Written out and read back, because polars divides a column by a constant as a product with
    its reciprocal (35 x 0.01 is 0.35000000000000003, not 0.35), and a pegawai's credit must be
    the same number in the batch as on his page."""
    return pl.format("{}.{}", seratus // 100, (seratus % 100).cast(pl.String).str.zfill(2)).cast(pl.Float64)


def angka_kredit_perseratus(bulan: pl.Expr, predikat: pl.Expr, jenjang: pl.Expr) -> pl.Expr:
    """:func:`angka_kredit` in whole hundredths (Int64)."""
    # months x percent/100 x (tenths/10) / 12, in hundredths: months x percent x tenths / 120.
    return bulatkan_perseratus(bulan.cast(pl.Int64) * persen(predikat) * koefisien_persepuluh(jenjang), 120)


def angka_kredit(bulan: pl.Expr, predikat: pl.Expr, jenjang: pl.Expr) -> pl.Expr:
    """``bulan / 12 x percent(predikat) x coefficient(jenjang)``, rounded to 2 decimals (Float64;
    null when the rating or the jenjang is unknown)."""
    return dari_perseratus(angka_kredit_perseratus(bulan, predikat, jenjang))


def angka_kredit_tahun(jabatan: pl.DataFrame, predikat: pl.DataFrame, tahun: int) -> pl.DataFrame:
    """The year's credit per pegawai: columns nip, angka_kredit, rincian (list of jenjang,
    bulan, persen, koefisien and angka_kredit per segment).

    ``predikat``: nip, predikat (the year's rating). One rounding per segment (each segment is
    its own conversion on the PAK); a pegawai without a rating or a jenjang has no row.
    """
    seg = bulan_di_jenjang(jabatan, tahun).join(predikat.select("nip", "predikat"), on="nip", how="inner")
    seg = seg.with_columns(
        persen(pl.col("predikat")).alias("persen"),
        pl.col("jenjang").replace_strict(KOEFISIEN, default=None, return_dtype=pl.Float64).alias("koefisien"),
        angka_kredit_perseratus(pl.col("bulan"), pl.col("predikat"), pl.col("jenjang")).alias("_h"),
    ).filter(pl.col("_h").is_not_null())
    return (
        seg.with_columns(dari_perseratus(pl.col("_h")).alias("angka_kredit"))
        .sort("nip", "tmt_jabatan")
        .group_by("nip", maintain_order=True)
        .agg(
            pl.col("_h").sum().alias("_h"),
            pl.struct("jenjang", "bulan", "persen", "koefisien", "angka_kredit").alias("rincian"),
        )
        .select("nip", dari_perseratus(pl.col("_h")).alias("angka_kredit"), "rincian")
    )


def terkumpul(angka: pl.DataFrame, jabatan: pl.DataFrame) -> pl.DataFrame:
    """Credit gathered since the last promotion: columns nip, terkumpul.

    ``angka``: ``siasn_angka_kredit`` rows; ``jabatan``: ``siasn_jabatan`` rows. The last
    promotion is the latest TMT of rank or jenjang; the credit of that year and later counts
    (this project's reading: SIASN records one conversion per year, not per month).
    """
    sejak = jabatan.group_by("nip").agg(
        pl.max_horizontal(pl.col("tmt_golongan").max(), pl.col("tmt_jabatan").max()).dt.year().alias("_sejak")
    )
    return (
        angka.join(sejak, on="nip", how="left")
        .filter(pl.col("_sejak").is_null() | (pl.col("tahun") >= pl.col("_sejak")))
        .group_by("nip")
        .agg(perseratus(pl.col("angka_kredit")).sum().alias("_h"))
        .select("nip", dari_perseratus(pl.col("_h")).alias("terkumpul"))
    )


def kebutuhan_pangkat(jenjang: pl.Expr, golongan: pl.Expr) -> pl.Expr:
    """Credit the next rank within the jenjang needs; null at the jenjang's top rank (the next
    step is then the jenjang) or for an unknown jenjang."""
    puncak = {j: g[-1] for j, g in GOLONGAN_JENJANG.items()}
    di_puncak = golongan == jenjang.replace_strict(puncak, default=None, return_dtype=pl.String)
    return (
        pl.when(di_puncak.fill_null(False))
        .then(pl.lit(None, pl.Int64))
        .otherwise(jenjang.replace_strict(KEBUTUHAN_PANGKAT, default=None, return_dtype=pl.Int64))
    )


def kebutuhan_jenjang(jenjang: pl.Expr) -> pl.Expr:
    """Credit the next jenjang needs; null for Ahli Utama (the last) or an unknown jenjang."""
    return jenjang.replace_strict(KEBUTUHAN_JENJANG, default=None, return_dtype=pl.Int64)


def tahun_tercapai(terkumpul: pl.Expr, butuh: pl.Expr, per_tahun: pl.Expr, tahun: int) -> pl.Expr:
    """The year the credit needed is reached at ``per_tahun`` a year (``terkumpul`` already
    counts ``tahun``): ``tahun`` when it is already reached, null when it never will be."""
    kurang = butuh.cast(pl.Int64) * 100 - perseratus(terkumpul)  # in hundredths: exact
    per = perseratus(per_tahun)
    return (
        pl.when(butuh.is_null())
        .then(pl.lit(None, pl.Int64))
        .when(kurang <= 0)
        .then(pl.lit(tahun, pl.Int64))
        .when(per.is_null() | (per <= 0))
        .then(pl.lit(None, pl.Int64))
        .otherwise(pl.lit(tahun, pl.Int64) + (kurang + per - 1) // per)
    )


# --- one row: the same expressions, for a page and for tests ---------------------------------


def hitung(bulan: int, predikat: str, jenjang: str) -> float | None:
    """:func:`angka_kredit` of one segment."""
    df = pl.DataFrame(
        {"b": [bulan], "p": [predikat], "j": [jenjang]}, schema={"b": pl.Int64, "p": pl.String, "j": pl.String}
    )
    value = df.select(angka_kredit(pl.col("b"), pl.col("p"), pl.col("j")))[0, 0]
    return None if value is None else float(value)


def segmen(riwayat: list[tuple[str, date]], tahun: int) -> list[tuple[str, int]]:
    """:func:`bulan_di_jenjang` of one pegawai: (jenjang, months) per jenjang held in ``tahun``,
    from the jenjang history ``riwayat`` of (jenjang, tmt_jabatan)."""
    df = pl.DataFrame(
        {"nip": ["x"] * len(riwayat), "jenjang": [j for j, _ in riwayat], "tmt_jabatan": [t for _, t in riwayat]},
        schema={"nip": pl.String, "jenjang": pl.String, "tmt_jabatan": pl.Date},
    )
    return [(r["jenjang"], r["bulan"]) for r in bulan_di_jenjang(df, tahun).iter_rows(named=True)]


def kenaikan(jabatan: pl.DataFrame, angka: pl.DataFrame, predikat: pl.DataFrame, tahun: int) -> pl.DataFrame:
    """Promotion readiness (annual.md, step 6) of each pegawai with a jenjang this year.

    ``jabatan``: ``siasn_jabatan``; ``angka``: ``siasn_angka_kredit``; ``predikat``: nip,
    predikat (the year's rating). Columns: nip, jenjang, golongan (the latest), predikat,
    angka_kredit (this year's, null without a rating), rincian, terkumpul (since the last
    promotion, this year's credit counted once whether SIASN has recorded it or not),
    butuh_pangkat, butuh_jenjang, tahun_pangkat, tahun_jenjang (the year each is reached at this
    year's credit), boleh_jenjang (this year's rating allows the next jenjang), naik_tahun_ini.
    """
    kini = (
        jabatan.filter(pl.col("jenjang").is_not_null() & pl.col("tmt_jabatan").is_not_null())
        .filter(pl.col("tmt_jabatan").dt.year() <= tahun)
        .sort("nip", "tmt_jabatan")
        .group_by("nip", maintain_order=True)
        .agg(pl.col("jenjang").last(), pl.col("golongan").drop_nulls().last())
    )
    tahun_ini = angka_kredit_tahun(jabatan, predikat, tahun)
    tercatat = angka.filter(~((pl.col("tahun") == tahun) & (pl.col("jenis") == "KONVERSI")))
    lalu = terkumpul(tercatat, jabatan)
    jenjang, golongan = pl.col("jenjang"), pl.col("golongan")
    total = dari_perseratus(perseratus(pl.col("_lalu")).fill_null(0) + perseratus(pl.col("angka_kredit")).fill_null(0))
    return (
        kini.join(predikat.select("nip", "predikat"), on="nip", how="left")
        .join(tahun_ini, on="nip", how="left")
        .join(lalu.rename({"terkumpul": "_lalu"}), on="nip", how="left")
        .with_columns(
            total.alias("terkumpul"),
            kebutuhan_pangkat(jenjang, golongan).alias("butuh_pangkat"),
            kebutuhan_jenjang(jenjang).alias("butuh_jenjang"),
            pl.col("predikat").is_in(list(PREDIKAT_MINIMAL_JENJANG)).fill_null(False).alias("boleh_jenjang"),
        )
        .with_columns(
            tahun_tercapai(pl.col("terkumpul"), pl.col("butuh_pangkat"), pl.col("angka_kredit"), tahun).alias(
                "tahun_pangkat"
            ),
            tahun_tercapai(pl.col("terkumpul"), pl.col("butuh_jenjang"), pl.col("angka_kredit"), tahun).alias(
                "tahun_jenjang"
            ),
        )
        .with_columns(
            (
                (pl.col("tahun_pangkat") == tahun).fill_null(False)
                | ((pl.col("tahun_jenjang") == tahun) & pl.col("boleh_jenjang")).fill_null(False)
            ).alias("naik_tahun_ini")
        )
        .drop("_lalu")
    )

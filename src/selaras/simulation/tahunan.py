"""The generator's year-end stage (annual.md): PKO, annual ratings, jenjang, angka kredit.

Built from the finished SIASN and Dapodik tables, with random streams of its own (a hash of
the seed, a stream name and the row key), so the tables generated before are unchanged by it.
Realistic rates, and the faults the demo must show:

* about 6% of schools without an organisation rating (TAH-02 for their pegawai);
* about 3% of schools with PKO whose leader rated every teacher SANGAT_BAIK (TAH-04), beside
  the schools whose random mix breaks the rule by itself (small schools under BAIK);
* about 7% of teachers not rated yet (TAH-03), principals rated by their superior (95%);
* about 4% of functional-position pegawai without jenjang in SIASN (TAH-05), and 3% whose
  jenjang changed mid-year (a split year);
* about 1% with a rating typed by hand in e-Kinerja, half of them different from PMM's (TAH-06).
"""

from __future__ import annotations

from datetime import date

import polars as pl

from selaras.domain.angka_kredit import angka_kredit
from selaras.domain.pegawai import principal_expr

PKO_MIX = (("BAIK", 0.70), ("ISTIMEWA", 0.15), ("BUTUH_PERBAIKAN", 0.10), ("KURANG", 0.04), ("SANGAT_KURANG", 0.01))
"""Organisation ratings the Dinas sets, and how often."""

RATING_MIX: dict[str, tuple[tuple[str, float], ...]] = {
    "ISTIMEWA": (("SANGAT_BAIK", 0.4), ("BAIK", 0.55), ("BUTUH_PERBAIKAN", 0.05)),
    "BAIK": (("SANGAT_BAIK", 0.03), ("BAIK", 0.45), ("BUTUH_PERBAIKAN", 0.45), ("KURANG", 0.07)),
    "BUTUH_PERBAIKAN": (("SANGAT_BAIK", 0.05), ("BAIK", 0.2), ("BUTUH_PERBAIKAN", 0.7), ("KURANG", 0.05)),
    "KURANG": (("BAIK", 0.1), ("BUTUH_PERBAIKAN", 0.2), ("KURANG", 0.7)),
    "SANGAT_KURANG": (("BUTUH_PERBAIKAN", 0.1), ("KURANG", 0.15), ("SANGAT_KURANG", 0.75)),
}
"""A teacher's rating given the school's PKO (mostly within what the PKO allows)."""

TANPA_PKO = 0.06
SEMUA_SANGAT_BAIK = 0.03
BELUM_DINILAI = 0.07
KS_DINILAI = 0.95
TANPA_JENJANG = 0.04
GANTI_JENJANG = 0.03
MANUAL = 0.01

GOLONGAN = {
    "AHLI_PERTAMA": ("III/a", "III/b"),
    "AHLI_MUDA": ("III/c", "III/d"),
    "AHLI_MADYA": ("IV/a", "IV/b", "IV/c"),
    "AHLI_UTAMA": ("IV/d", "IV/e"),
}
JENJANG_NAMA = {
    "Guru Ahli Pertama": "AHLI_PERTAMA",
    "Guru Ahli Muda": "AHLI_MUDA",
    "Guru Ahli Madya": "AHLI_MADYA",
    "Guru Ahli Utama": "AHLI_UTAMA",
}
NEXT = {"AHLI_PERTAMA": "AHLI_MUDA", "AHLI_MUDA": "AHLI_MADYA", "AHLI_MADYA": "AHLI_UTAMA"}


class _Acak:
    """Uniform numbers in [0, 1): a hash of (seed, stream, key); the same on every run."""

    def __init__(self, seed: int) -> None:
        self.seed = seed

    def u(self, key: pl.Expr, stream: str) -> pl.Expr:
        salt = (self.seed * 1_000_003 + sum(ord(c) * 131**i for i, c in enumerate(stream))) % (1 << 62)
        return (key.hash(seed=salt) // 2048).cast(pl.Float64) * (2.0**-53)


def _choice(u: pl.Expr, options: tuple[tuple[str, float], ...]) -> pl.Expr:
    """One of ``options`` (value, weight) for a uniform ``u``."""
    total = sum(w for _, w in options)
    edges: list[tuple[float, str]] = []
    cum = 0.0
    for value, w in options[:-1]:
        cum += w / total
        edges.append((cum, value))
    expr = pl.lit(options[-1][0])
    for edge, value in reversed(edges):
        expr = pl.when(u < edge).then(pl.lit(value)).otherwise(expr)
    return expr


def _choice_by(key: pl.Expr, u: pl.Expr, table: dict[str, tuple[tuple[str, float], ...]]) -> pl.Expr:
    expr = pl.lit(None, pl.String)
    for k, options in table.items():
        expr = pl.when(key == k).then(_choice(u, options)).otherwise(expr)
    return expr


def year_end(frames: dict[str, pl.DataFrame], tahun: int, seed: int) -> dict[str, pl.DataFrame]:
    """The year-end tables for the generated ``frames`` (siasn_pegawai, dapodik_ptk,
    dapodik_sekolah must be there): pmm_predikat_organisasi, pmm_predikat, siasn_jabatan,
    siasn_angka_kredit, ekinerja_predikat."""
    acak = _Acak(seed)
    sekolah = frames["dapodik_sekolah"].select("npsn")
    pko = sekolah.with_columns(
        pl.when(acak.u(pl.col("npsn"), "pko-ada") < TANPA_PKO)
        .then(pl.lit(None, pl.String))
        .otherwise(_choice(acak.u(pl.col("npsn"), "pko"), PKO_MIX))
        .alias("predikat"),
        (acak.u(pl.col("npsn"), "pko-sb") < SEMUA_SANGAT_BAIK).alias("semua_sb"),
    )
    ptk = frames["dapodik_ptk"].select("ptk_id", "nip", "npsn", principal_expr().alias("ks"))
    ks_of = (
        ptk.filter(pl.col("ks") & pl.col("nip").is_not_null())
        .sort("npsn", "ptk_id")
        .unique("npsn", keep="first", maintain_order=True)
        .select("npsn", pl.col("nip").alias("ks_nip"))
    )
    rated = (
        ptk.join(pko.select("npsn", pl.col("predikat").alias("pko"), "semua_sb"), on="npsn", how="inner")
        .join(ks_of, on="npsn", how="left")
        .with_columns(
            pl.when(pl.col("ks"))
            .then(_choice(acak.u(pl.col("ptk_id"), "nilai-ks"), (("BAIK", 0.8), ("SANGAT_BAIK", 0.2))))
            .when(pl.col("semua_sb"))
            .then(pl.lit("SANGAT_BAIK"))
            .otherwise(_choice_by(pl.col("pko"), acak.u(pl.col("ptk_id"), "nilai"), RATING_MIX))
            .alias("predikat"),
            pl.when(pl.col("ks"))
            .then(acak.u(pl.col("ptk_id"), "ada-ks") < KS_DINILAI)
            .otherwise(acak.u(pl.col("ptk_id"), "ada") >= BELUM_DINILAI)
            .alias("ada"),
        )
        # The leader rates only once the school's PKO is set (annual.md, step 2).
        .filter(pl.col("pko").is_not_null() & pl.col("ada"))
    )
    pmm_predikat = rated.select(
        "ptk_id",
        pl.lit(tahun, pl.Int64).alias("tahun"),
        "predikat",
        pl.when(pl.col("ks")).then(pl.lit(None, pl.String)).otherwise(pl.col("ks_nip")).alias("penilai_nip"),
        pl.lit(date(tahun, 12, 15)).alias("ditetapkan"),
    )
    pmm_pko = pko.filter(pl.col("predikat").is_not_null()).select(
        "npsn",
        pl.lit(tahun, pl.Int64).alias("tahun"),
        "predikat",
        pl.lit(None, pl.String).alias("ditetapkan_oleh_nip"),
        pl.lit(date(tahun, 12, 1)).alias("ditetapkan"),
    )
    jabatan, angka = _jabatan(frames["siasn_pegawai"], tahun, acak)
    # A few ratings typed by hand in e-Kinerja: half equal to PMM's, half not.
    by_nip = (
        rated.filter(pl.col("nip").is_not_null()).sort("nip", "ptk_id").unique("nip", keep="first", maintain_order=True)
    )
    manual = by_nip.filter(acak.u(pl.col("nip"), "manual") < MANUAL).select(
        "nip",
        pl.lit(tahun, pl.Int64).alias("tahun"),
        pl.when(acak.u(pl.col("nip"), "manual-beda") < 0.5)
        .then(pl.when(pl.col("predikat") == "BAIK").then(pl.lit("SANGAT_BAIK")).otherwise(pl.lit("BAIK")))
        .otherwise(pl.col("predikat"))
        .alias("predikat"),
        pl.col("ks_nip").alias("penilai_nip"),
        pl.lit("MANUAL").alias("sumber"),
        pl.lit(None, pl.String).alias("disinkron"),
    )
    # Sorted by key: the joins above need not keep their rows' order.
    return {
        "pmm_predikat_organisasi": pmm_pko.sort("npsn"),
        "pmm_predikat": pmm_predikat.sort("ptk_id"),
        "siasn_jabatan": jabatan,
        "siasn_angka_kredit": angka.sort("nip", "tahun"),
        "ekinerja_predikat": manual.sort("nip"),
    }


def _jabatan(pegawai: pl.DataFrame, tahun: int, acak: _Acak) -> tuple[pl.DataFrame, pl.DataFrame]:
    """SIASN jenjang history (one row, or two for a mid-year change) and the last years'
    conversions since the last promotion."""
    nip = pl.col("nip")
    fung = pegawai.filter(pl.col("jabatan_jenis") == "FUNGSIONAL").select(
        "nip",
        pl.col("jabatan_nama").replace_strict(JENJANG_NAMA, default="AHLI_PERTAMA").alias("jenjang"),
    )
    fung = fung.filter(acak.u(nip, "jenjang-ada") >= TANPA_JENJANG).with_columns(
        (pl.lit(tahun - 16) + (acak.u(nip, "tmt-jabatan") * 15).floor().cast(pl.Int64)).alias("_th_jab"),
        (1 + (acak.u(nip, "bulan-jabatan") * 12).floor().cast(pl.Int64)).alias("_bl_jab"),
        (acak.u(nip, "ganti") < GANTI_JENJANG).alias("_ganti"),
        acak.u(nip, "golongan").alias("_ug"),
        acak.u(nip, "tmt-golongan").alias("_ut"),
    )
    fung = fung.with_columns(
        pl.date(pl.col("_th_jab"), pl.col("_bl_jab"), 1).alias("tmt_jabatan"),
        pl.col("jenjang").replace_strict(NEXT, default=None).alias("_next"),
    )

    def golongan(jenjang: pl.Expr) -> pl.Expr:
        out = pl.lit(None, pl.String)
        for j, gol in GOLONGAN.items():
            pick = pl.lit(gol[-1])
            for i in range(len(gol) - 1, 0, -1):
                pick = pl.when(pl.col("_ug") < i / len(gol)).then(pl.lit(gol[i - 1])).otherwise(pick)
            out = pl.when(jenjang == j).then(pick).otherwise(out)
        return out

    # The last promotion: between the TMT of the jenjang and the start of the year.
    years = (pl.lit(tahun) - pl.col("_th_jab")).clip(lower_bound=1)
    tmt_gol = pl.date(pl.col("_th_jab") + (pl.col("_ut") * years).floor().cast(pl.Int64), 4, 1)
    split = fung.filter(pl.col("_ganti") & pl.col("_next").is_not_null())
    first = fung.select(
        "nip",
        "jenjang",
        golongan(pl.col("jenjang")).alias("golongan"),
        "tmt_jabatan",
        tmt_gol.alias("tmt_golongan"),
    )
    # A mid-year change: the next jenjang from a month of this year (a split year).
    second = split.select(
        "nip",
        pl.col("_next").alias("jenjang"),
        golongan(pl.col("_next")).alias("golongan"),
        pl.date(pl.lit(tahun), 2 + (pl.col("_ut") * 10).floor().cast(pl.Int64), 1).alias("tmt_jabatan"),
        pl.date(pl.lit(tahun), 2 + (pl.col("_ut") * 10).floor().cast(pl.Int64), 1).alias("tmt_golongan"),
    )
    jabatan = pl.concat([first, second]).sort("nip", "tmt_jabatan")

    # Conversions of the (at most three) whole years since the last promotion, mostly BAIK.
    since = first.select("nip", "jenjang", pl.col("tmt_golongan").dt.year().cast(pl.Int64).alias("_sejak"))
    rows = []
    for back in (1, 2, 3):
        y = tahun - back
        part = since.filter(pl.col("_sejak") <= y).with_columns(
            _choice(
                acak.u(pl.col("nip"), f"predikat-{y}"),
                (("BAIK", 0.75), ("SANGAT_BAIK", 0.15), ("BUTUH_PERBAIKAN", 0.1)),
            ).alias("_p")
        )
        ak = angka_kredit(pl.lit(12), pl.col("_p"), pl.col("jenjang"))
        rows.append(
            part.select(
                "nip",
                pl.lit(y, pl.Int64).alias("tahun"),
                ak.alias("angka_kredit"),
                pl.lit("KONVERSI").alias("jenis"),
                pl.lit(f"predikat kinerja tahun {y}").alias("dasar"),
            )
        )
    return jabatan, pl.concat(rows)

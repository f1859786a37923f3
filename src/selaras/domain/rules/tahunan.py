"""Flow TAHUNAN (annual.md): TAH-01..TAH-06 and the frames they share.

The year's rating of each pegawai (set in PMM by the school's leader) goes to e-Kinerja's
``ekinerja_predikat``; it needs the year's SKP synced (TAH-01), the school's organisation rating
(TAH-02), the rating itself (TAH-03), a distribution of the school's ratings that the PKO allows
(TAH-04), no different rating typed by hand in e-Kinerja (TAH-06), and for a functional
position the jenjang the angka kredit is computed from (TAH-05).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import polars as pl

from selaras.domain.angka_kredit import angka_kredit_tahun, bulan_di_jenjang
from selaras.domain.pegawai import principal_expr
from selaras.domain.results import Flow
from selaras.domain.rules.common import Scope, err
from selaras.domain.rules.penilaian import PenilaianContext, skp_belum_tersinkron
from selaras.domain.rules.registry import rule
from selaras.domain.sebaran import sebaran
from selaras.domain.snapshot import PREDIKAT, Snapshot

FUNGSIONAL = "FUNGSIONAL"


@dataclass
class TahunanContext:
    """One check of flow TAHUNAN for ``tahun``."""

    s: Snapshot
    tahun: int
    scope: Scope

    @property
    def pegawai(self) -> pl.DataFrame:
        return self.scope.pegawai

    @cached_property
    def agreed(self) -> pl.DataFrame:
        """The agreed SKPs of the year, each with its e-Kinerja ``skp_id`` (or null)."""
        return PenilaianContext(self.s, self.tahun, self.scope).agreed

    @cached_property
    def sekolah(self) -> pl.DataFrame:
        """nip, sekolah_npsn: the school of P's latest agreed SKP, else of P's unit or PTK."""
        latest = (
            self.agreed.sort("nip", "periode_akhir", "pmm_skp_id")
            .unique("nip", keep="last", maintain_order=True)
            .select("nip", pl.col("npsn").alias("_skp_npsn"))
        )
        return (
            self.pegawai.select("nip", "npsn")
            .join(latest, on="nip", how="left")
            .select("nip", pl.coalesce("_skp_npsn", "npsn").alias("sekolah_npsn"))
        )

    @cached_property
    def pko(self) -> pl.DataFrame:
        """npsn, pko: each school's organisation rating of the year."""
        return (
            self.s["pmm_predikat_organisasi"]
            .filter(pl.col("tahun") == self.tahun)
            .select("npsn", pl.col("predikat").alias("pko"))
        )

    @cached_property
    def predikat(self) -> pl.DataFrame:
        """nip, predikat, penilai_nip: P's annual rating in PMM, from the PTK of an agreed SKP or
        P's own PTK (the latest set when there are several)."""
        ptk = pl.concat(
            [
                self.agreed.select("nip", "ptk_id"),
                self.pegawai.select("nip", pl.col("primary_ptk_id").alias("ptk_id")),
            ]
        ).drop_nulls()
        rated = self.s["pmm_predikat"].filter(pl.col("tahun") == self.tahun)
        return (
            ptk.join(rated, on="ptk_id", how="inner")
            .sort("nip", "ditetapkan", "ptk_id", nulls_last=False)
            .unique("nip", keep="last", maintain_order=True)
            .select("nip", "predikat", "penilai_nip")
        )

    @cached_property
    def sebaran(self) -> pl.DataFrame:
        """Each school's distribution judged against its PKO (:func:`selaras.domain.sebaran.sebaran`),
        over the ratings of its ASN teachers (a PTK with a NIP: the ratings of the unit's ASN are
        what the PKO bounds, this project's reading; a principal's rating is set by the superior
        and not counted). A part of a batch holds every PTK with the NIP of one of its pegawai,
        so the school's count is the same in a part as in the whole snapshot."""
        ptk = self.s["dapodik_ptk"].filter(~principal_expr() & pl.col("nip").is_not_null()).select("ptk_id", "npsn")
        rated = (
            self.s["pmm_predikat"]
            .filter(pl.col("tahun") == self.tahun)
            .unique("ptk_id", keep="last", maintain_order=True)
            .join(ptk, on="ptk_id", how="inner")
            .select("npsn", "predikat")
        )
        return sebaran(rated, self.pko)

    @cached_property
    def pemimpin(self) -> pl.DataFrame:
        """npsn, pemimpin (the NIPs of the school's principals in Dapodik)."""
        return (
            self.s["dapodik_ptk"]
            .filter(principal_expr() & pl.col("nip").is_not_null())
            .group_by("npsn")
            .agg(pl.col("nip").unique().sort().alias("pemimpin"))
        )

    @cached_property
    def ekinerja(self) -> pl.DataFrame:
        """nip, ek_predikat, ek_sumber: the rating of the year already in e-Kinerja."""
        return (
            self.s["ekinerja_predikat"]
            .filter(pl.col("tahun") == self.tahun)
            .select("nip", pl.col("predikat").alias("ek_predikat"), pl.col("sumber").alias("ek_sumber"))
        )

    @cached_property
    def jabatan(self) -> pl.DataFrame:
        """``siasn_jabatan`` rows of the pegawai in scope."""
        return self.s["siasn_jabatan"].filter(pl.col("nip").is_in(self.pegawai["nip"].implode()))

    @cached_property
    def nilai(self) -> pl.DataFrame:
        """One row per pegawai: nip, predikat, penilai_nip, angka_kredit, ek_predikat, ek_sumber,
        ``sama`` (e-Kinerja already holds the PMM rating)."""
        kredit = angka_kredit_tahun(self.jabatan, self.predikat, self.tahun).select("nip", "angka_kredit")
        return (
            self.pegawai.select("nip")
            .join(self.predikat, on="nip", how="left")
            .join(kredit, on="nip", how="left")
            .join(self.ekinerja, on="nip", how="left")
            .with_columns(
                (pl.col("predikat").is_not_null() & pl.col("ek_predikat").eq_missing(pl.col("predikat"))).alias("sama")
            )
        )


@rule("TAH-01", Flow.TAHUNAN)
def tah01_skp_belum_tersinkron(c: TahunanContext) -> pl.DataFrame:
    """No agreed SKP of the year, or an agreed SKP without its synced e-Kinerja SKP (as PER-02)."""
    return skp_belum_tersinkron(c, "TAH-01")


@rule("TAH-02", Flow.TAHUNAN)
def tah02_pko_belum_ditetapkan(c: TahunanContext) -> pl.DataFrame:
    """P's school (of the agreed SKP) has no organisation rating for the year."""
    rows = c.sekolah.filter(
        pl.col("sekolah_npsn").is_not_null() & ~pl.col("sekolah_npsn").is_in(c.pko["npsn"].implode())
    )
    return err(
        rows,
        "TAH-02",
        pl.struct(
            pl.struct(
                pl.col("sekolah_npsn").alias("npsn"),
                pl.lit(None, pl.String).alias("predikat_organisasi"),
            ).alias("pmm")
        ),
    )


@rule("TAH-03", Flow.TAHUNAN)
def tah03_predikat_belum_ditetapkan(c: TahunanContext) -> pl.DataFrame:
    """P has no annual rating for the year; the detail names who must set it: the school's
    leader(s) for a teacher, the superior for a principal."""
    rows = (
        c.pegawai.select("nip", "kepala_sekolah")
        .filter(~pl.col("nip").is_in(c.predikat["nip"].implode()))
        .join(c.sekolah, on="nip", how="left")
        .join(c.pemimpin, left_on="sekolah_npsn", right_on="npsn", how="left")
        .with_columns(
            pl.when(pl.col("kepala_sekolah"))
            .then(pl.lit("ATASAN"))
            .otherwise(pl.lit("KEPALA_SEKOLAH"))
            .alias("penilai"),
            # The school's (first) principal other than P; none for a principal (the superior).
            pl.col("pemimpin").list.set_difference(pl.concat_list(pl.col("nip"))).list.first().alias("pemimpin"),
        )
    )
    return err(
        rows,
        "TAH-03",
        pl.struct(
            pl.struct(
                pl.col("sekolah_npsn").alias("npsn"),
                pl.lit(None, pl.String).alias("predikat"),
                "penilai",
                pl.col("pemimpin").alias("penilai_nip"),
            ).alias("pmm"),
        ),
    )


@rule("TAH-04", Flow.TAHUNAN)
def tah04_sebaran_tidak_sesuai(c: TahunanContext) -> pl.DataFrame:
    """The school's ratings break the distribution its PKO allows: reported to every pegawai of
    the school (teachers and leader), with the counts, shares and bounds broken."""
    broken = c.sebaran.filter(pl.col("pelanggaran").list.len() > 0)
    rows = c.sekolah.join(broken, left_on="sekolah_npsn", right_on="npsn", how="inner")
    share = [_persen(pl.col(f"jumlah_{p}"), pl.col("dinilai")).alias(p) for p in PREDIKAT]
    return err(
        rows,
        "TAH-04",
        pl.struct(
            pl.struct(
                pl.col("sekolah_npsn").alias("npsn"),
                pl.col("pko").alias("predikat_organisasi"),
                "dinilai",
                pl.struct(*[pl.col(f"jumlah_{p}").alias(p) for p in PREDIKAT]).alias("jumlah"),
                pl.struct(*share).alias("persen"),
                "pelanggaran",
            ).alias("pmm"),
        ),
    )


def _persen(jumlah: pl.Expr, dari: pl.Expr) -> pl.Expr:
    """``jumlah`` of ``dari`` in percent with one decimal, the same double on every path: polars
    divides a column by a constant as a product with its reciprocal (111 x 0.1 is not 11.1), so
    the tenths are written out and read back as a number."""
    permil = (jumlah * 2000 + dari) // (dari * 2)  # rounded half up
    return pl.format("{}.{}", permil // 10, permil % 10).cast(pl.Float64)


@rule("TAH-06", Flow.TAHUNAN)
def tah06_predikat_manual(c: TahunanContext) -> pl.DataFrame:
    """e-Kinerja holds a hand-typed rating of the year that differs from PMM's: never
    overwritten silently (as PMM-07)."""
    rows = c.nilai.filter((pl.col("ek_sumber") == "MANUAL") & pl.col("predikat").is_not_null() & ~pl.col("sama"))
    return err(
        rows,
        "TAH-06",
        pl.struct(
            pl.struct("predikat").alias("pmm"),
            pl.struct(pl.col("ek_predikat").alias("predikat"), pl.col("ek_sumber").alias("sumber")).alias("ekinerja"),
        ),
    )


@rule("TAH-05", Flow.TAHUNAN)
def tah05_jenjang_belum_lengkap(c: TahunanContext) -> pl.DataFrame:
    """P is in a functional position but SIASN has no jenjang with a TMT for any month of the year."""
    counted = bulan_di_jenjang(c.jabatan, c.tahun)["nip"].unique()
    known = c.jabatan.group_by("nip").agg(pl.col("jenjang").drop_nulls().last().alias("jenjang"))
    rows = (
        c.pegawai.filter((pl.col("jabatan_jenis") == FUNGSIONAL) & ~pl.col("nip").is_in(counted.implode()))
        .select("nip", "jabatan_nama")
        .join(known, on="nip", how="left")
    )
    return err(
        rows,
        "TAH-05",
        pl.struct(
            pl.struct("jabatan_nama", "jenjang", pl.lit(None, pl.String).alias("tmt_jabatan_tahun_ini")).alias("siasn")
        ),
    )

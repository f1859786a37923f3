"""Rules about who the pegawai is and where they work (no SKP needed): PMM-09, 01, 04, 05, 03."""

from __future__ import annotations

import polars as pl

from selaras.domain.results import Flow
from selaras.domain.rules.common import JENIS_ASN, JENIS_PTK_BOLEH, err
from selaras.domain.rules.registry import rule
from selaras.domain.rules.skp_context import SkpContext


@rule("PMM-09", Flow.SKP)
def pmm09_bukan_asn_aktif(c: SkpContext) -> pl.DataFrame:
    """SIASN status not AKTIF, or not PNS/PPPK."""
    p = c.pegawai
    not_asn = (pl.col("status") != "AKTIF") | ~pl.col("jenis_asn").is_in(JENIS_ASN).fill_null(False)
    return err(p.filter(not_asn), "PMM-09", pl.struct(pl.struct("status", "jenis_asn").alias("siasn")))


@rule("PMM-01", Flow.SKP)
def pmm01_nip_tidak_di_dapodik(c: SkpContext) -> pl.DataFrame:
    """No PTK carries the SIASN NIP; a PTK found by NIK is shown beside it."""
    p = c.pegawai
    no_nip = p.filter(pl.col("via").is_null() | (pl.col("ptk_nip") != pl.col("nip")).fill_null(True))
    return err(
        no_nip,
        "PMM-01",
        pl.struct(
            # Each system's value of every row it holds: the NPSN of the SIASN unit, the NIK by
            # which the PTK was found (a side-by-side cell is never blank when the data has it).
            pl.struct("nip", "nik", "nama", pl.col("unor_npsn").alias("npsn")).alias("siasn"),
            pl.struct(
                pl.col("primary_ptk_id").alias("ptk_id"),
                pl.col("ptk_nip").alias("nip"),
                pl.when(pl.col("via") == "NIK").then(pl.col("nik")).alias("nik"),
                pl.col("ptk_nama").alias("nama"),
                pl.col("ptk_npsn").alias("npsn"),
                pl.col("ptk_sekolah").alias("nama_sekolah"),
            ).alias("dapodik"),
        ),
    )


@rule("PMM-04", Flow.SKP)
def pmm04_jenis_ptk(c: SkpContext) -> pl.DataFrame:
    """The PTK's jenis is not one of the 11 allowed."""
    p = c.pegawai
    bad = p.filter(pl.col("primary_ptk_id").is_not_null() & ~pl.col("jenis_ptk").is_in(JENIS_PTK_BOLEH))
    return err(
        bad,
        "PMM-04",
        pl.struct(
            pl.struct(
                pl.col("primary_ptk_id").alias("ptk_id"),
                pl.col("ptk_nama").alias("nama"),
                "jenis_ptk",
                pl.col("ptk_npsn").alias("npsn"),
                pl.col("ptk_sekolah").alias("nama_sekolah"),
            ).alias("dapodik")
        ),
    )


@rule("PMM-05", Flow.SKP)
def pmm05_jabatan_bukan_guru(c: SkpContext) -> pl.DataFrame:
    """The SIASN jabatan is not a functional Guru jabatan."""
    p = c.pegawai
    bad = p.filter(
        (pl.col("jabatan_jenis") != "FUNGSIONAL").fill_null(True)
        | ~pl.col("jabatan_nama").str.starts_with("Guru").fill_null(False)
    )
    return err(bad, "PMM-05", pl.struct(pl.struct("jabatan_nama", "jabatan_jenis").alias("siasn")))


def _unit_state(aktif: str) -> pl.Expr:
    return (
        pl.when(pl.col(aktif).is_null())
        .then(pl.lit("TIDAK_ADA"))
        .when(pl.col(aktif))
        .then(pl.lit("AKTIF"))
        .otherwise(pl.lit("TIDAK_AKTIF"))
    )


@rule("PMM-03", Flow.SKP)
def pmm03_unit_tidak_terdaftar(c: SkpContext) -> pl.DataFrame:
    """The SIASN unit is missing or inactive in SIASN or in e-Kinerja."""
    p = c.pegawai
    bad = p.filter(~(pl.col("siasn_aktif").fill_null(False) & pl.col("ekinerja_aktif").fill_null(False)))
    return err(
        bad,
        "PMM-03",
        pl.struct(
            pl.struct("unor_id", pl.col("unor_nama").alias("nama"), _unit_state("siasn_aktif").alias("unor")).alias(
                "siasn"
            ),
            pl.struct("unor_id", _unit_state("ekinerja_aktif").alias("unor")).alias("ekinerja"),
        ),
    )

"""What every rule shares: the scope (who is checked, with their PTK and plans) and the shape
of an error row."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date

import polars as pl

from selaras.domain.pegawai import match_ptk, principals
from selaras.domain.snapshot import Snapshot

JENIS_PTK_BOLEH: tuple[str, ...] = (
    "Guru Mapel",
    "Guru Kelas",
    "Guru BK",
    "Guru Pengganti",
    "Guru TIK",
    "Guru Pendamping",
    "Guru Pendamping Khusus",
    "Guru Pembimbing Khusus",
    "Play Group Teacher",
    "Kindergarten Teacher",
    "Kepala Sekolah",
)
"""The 11 PTK types that may use PMM performance management (domain.md)."""

JENIS_ASN = ("PNS", "PPPK")
DISEPAKATI = "DISEPAKATI"
RANGE_PERIODIK = {"BULANAN": 12, "TRIWULANAN": 4}

ERR_COLS = ["nip", "code", "pmm_skp_id", "detail", "selesai_oleh", "atasan"]
"""Columns of a rule's error rows; ``atasan`` (the superior D a PMM-11/13 waits on) is internal."""


@dataclass
class Scope:
    """Who is checked: ``pegawai`` (SIASN columns, ``kepala_sekolah``, unit and primary PTK
    columns) and ``skp`` (their PMM SKPs overlapping the year, any status)."""

    pegawai: pl.DataFrame
    skp: pl.DataFrame


def year(tahun: int) -> tuple[date, date]:
    return date(tahun, 1, 1), date(tahun, 12, 31)


def scope(s: Snapshot, tahun: int, nips: Collection[str] | None, instansi_id: str | None) -> Scope:
    """The pegawai in scope (snapshot.md: matched to a PTK by NIP or NIK, or a "Guru" jabatan)."""
    peg = s["siasn_pegawai"]
    if nips is not None:
        peg = peg.filter(pl.col("nip").is_in(list(nips)))
    if instansi_id is not None:
        peg = peg.filter(pl.col("instansi_id") == instansi_id)

    matched = match_ptk(peg, s["dapodik_ptk"])
    primary = matched.unique("nip", keep="first", maintain_order=True).drop("ptk_nik")

    unor = s["siasn_unor"]
    in_scope = peg.filter(
        pl.col("nip").is_in(matched["nip"].implode()) | pl.col("jabatan_nama").str.starts_with("Guru").fill_null(False)
    )
    pegawai = (
        in_scope.join(principals(matched), on="nip", how="left")
        .join(primary.rename({"ptk_id": "primary_ptk_id"}), on="nip", how="left")
        .join(
            unor.select(
                pl.col("unor_id"),
                pl.col("npsn").alias("unor_npsn"),
                pl.col("nama").alias("unor_nama"),
                pl.col("aktif").alias("siasn_aktif"),
            ),
            on="unor_id",
            how="left",
        )
        .join(
            s["ekinerja_unor"].select("unor_id", pl.col("aktif").alias("ekinerja_aktif")),
            on="unor_id",
            how="left",
        )
        .join(
            s["dapodik_sekolah"].select(pl.col("npsn").alias("ptk_npsn"), pl.col("nama").alias("ptk_sekolah")),
            on="ptk_npsn",
            how="left",
        )
        .join(s["instansi"].select("instansi_id", pl.col("nama").alias("instansi_nama")), on="instansi_id", how="left")
        .with_columns(
            pl.col("kepala_sekolah").fill_null(False),
            pl.coalesce("unor_npsn", "ptk_npsn").alias("npsn"),
        )
    )
    return Scope(pegawai=pegawai, skp=plans_of_year(s, tahun, matched.select("nip", "ptk_id"), pegawai["nip"]))


def plans_of_year(s: Snapshot, tahun: int, matched: pl.DataFrame, nips: pl.Series) -> pl.DataFrame:
    """The PMM SKPs overlapping ``tahun`` of the PTK in ``matched`` (``nip``, ``ptk_id``) whose
    NIP is in ``nips``, with ``atasan_nip`` renamed ``atasan_pmm``."""
    lo, hi = year(tahun)
    return (
        s["pmm_skp"]
        .filter((pl.col("periode_awal") <= hi) & (pl.col("periode_akhir") >= lo))
        .join(matched, on="ptk_id", how="inner")
        .filter(pl.col("nip").is_in(nips.implode()))
        .rename({"atasan_nip": "atasan_pmm"})
    )


def err(df: pl.DataFrame, code: str, detail: pl.Expr, skp: bool = False, atasan: str | None = None) -> pl.DataFrame:
    """Rows of error ``code`` for every row of ``df``, with ``detail`` encoded as JSON.

    ``atasan`` names the column holding the superior D whose sync the error may wait on.
    """
    return df.select(
        pl.col("nip"),
        pl.lit(code).alias("code"),
        (pl.col("pmm_skp_id") if skp else pl.lit(None, pl.String)).alias("pmm_skp_id"),
        detail.struct.json_encode().alias("detail"),
        pl.lit(None, pl.String).alias("selesai_oleh"),
        (pl.col(atasan) if atasan else pl.lit(None, pl.String)).alias("atasan"),
    )


def names(s: Snapshot) -> pl.DataFrame:
    """NIP -> name, from SIASN, else from Dapodik."""
    siasn = s["siasn_pegawai"].select("nip", "nama")
    ptk = s["dapodik_ptk"].filter(pl.col("nip").is_not_null()).select("nip", "nama")
    return pl.concat([siasn, ptk]).unique("nip", keep="first", maintain_order=True)

"""Who a pegawai is in Dapodik: the one definition of the NIP-then-NIK match and of a principal.

The rules, the web's access decisions and the views all ask these questions; they all answer
them here, so a principal whose Dapodik NIP is wrong (PMM-01, matched by NIK) is a principal
everywhere.
"""

from __future__ import annotations

import polars as pl

KEPALA_SEKOLAH = "Kepala Sekolah"
"""The ``jenis_ptk`` or ``tugas_tambahan`` value that makes a PTK a principal (errors.md)."""

PTK_COLUMNS: tuple[str, ...] = (
    "nip",
    "ptk_id",
    "via",
    "jenis_ptk",
    "tugas_tambahan",
    "ptk_nip",
    "ptk_nik",
    "ptk_nama",
    "ptk_npsn",
)
"""Columns of :func:`match_ptk`'s result."""


def is_principal(jenis_ptk: str | None, tugas_tambahan: str | None) -> bool:
    """Whether a Dapodik PTK with these values is a principal (Kepala Sekolah)."""
    return KEPALA_SEKOLAH in (jenis_ptk, tugas_tambahan)


def principal_expr(jenis_ptk: str = "jenis_ptk", tugas_tambahan: str = "tugas_tambahan") -> pl.Expr:
    """:func:`is_principal` as a polars expression over two columns (never null)."""
    return ((pl.col(jenis_ptk) == KEPALA_SEKOLAH) | (pl.col(tugas_tambahan) == KEPALA_SEKOLAH)).fill_null(False)


def match_keys(nip: str | None, nik: str | None) -> list[tuple[str, str]]:
    """The ``dapodik_ptk`` columns and values to look a pegawai up by, in order: NIP, then NIK.

    A lookup of one pegawai (the web) tries each key in turn and stops at the first that finds
    a PTK; :func:`match_ptk` is the same rule over a whole frame.
    """
    return [(col, v) for col, v in (("nip", nip), ("nik", nik)) if v]


def match_ptk(pegawai: pl.DataFrame, ptk: pl.DataFrame) -> pl.DataFrame:
    """The Dapodik PTK of each pegawai (columns ``nip``, ``nik``): by NIP, else by NIK.

    ``ptk`` holds ``dapodik_ptk`` rows. One row per (pegawai, PTK) found, sorted by NIP and
    ``ptk_id``; ``via`` says which key matched. Columns: :data:`PTK_COLUMNS`.
    """
    cols = list(PTK_COLUMNS)
    d = ptk.select(
        "ptk_id",
        "jenis_ptk",
        "tugas_tambahan",
        pl.col("nip").alias("ptk_nip"),
        pl.col("nik").alias("ptk_nik"),
        pl.col("nama").alias("ptk_nama"),
        pl.col("npsn").alias("ptk_npsn"),
    )
    peg = pegawai.select("nip", "nik")
    by_nip = (
        peg.select("nip")
        .join(d, left_on="nip", right_on="ptk_nip", how="inner")
        .with_columns(pl.col("nip").alias("ptk_nip"), pl.lit("NIP").alias("via"))
    )
    no_nip = peg.filter(~pl.col("nip").is_in(by_nip["nip"].implode()) & pl.col("nik").is_not_null())
    by_nik = no_nip.join(d, left_on="nik", right_on="ptk_nik", how="inner").with_columns(
        pl.col("nik").alias("ptk_nik"), pl.lit("NIK").alias("via")
    )
    return pl.concat([by_nip.select(cols), by_nik.select(cols)]).sort("nip", "ptk_id")


def principals(matched: pl.DataFrame) -> pl.DataFrame:
    """``nip``, ``kepala_sekolah`` for each pegawai of :func:`match_ptk`'s result: a principal
    when any PTK matched to it is one."""
    return matched.group_by("nip").agg(principal_expr().any().alias("kepala_sekolah"))

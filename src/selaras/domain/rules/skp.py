"""Rules about the plan, its school and its period: PMM-02, 08, 10, 06, 07."""

from __future__ import annotations

import polars as pl

from selaras.domain.results import Flow
from selaras.domain.rules.common import DISEPAKATI, err
from selaras.domain.rules.registry import rule
from selaras.domain.rules.skp_context import SkpContext


@rule("PMM-02", Flow.SKP)
def pmm02_belum_disepakati(c: SkpContext) -> pl.DataFrame:
    """No SKP of the year is DISEPAKATI (detail: the statuses found)."""
    agreed = c.scope.skp.filter(pl.col("status") == DISEPAKATI).select("nip")
    no_plan = c.pegawai.select("nip").join(agreed, on="nip", how="anti")
    # The statuses only of those it holds for: listing everyone's costs a list per pegawai.
    statuses = (
        c.scope.skp.select("nip", "status")
        .join(no_plan, on="nip", how="semi")
        .group_by("nip")
        .agg(pl.col("status").unique().sort())
    )
    no_plan = no_plan.join(statuses, on="nip", how="left")
    return err(
        no_plan,
        "PMM-02",
        pl.struct(
            pl.struct(pl.col("status").fill_null(pl.lit([], pl.List(pl.String))).alias("status_skp")).alias("pmm")
        ),
    )


@rule("PMM-08", Flow.SKP)
def pmm08_sekolah_belum_padan(c: SkpContext) -> pl.DataFrame:
    """A looked-at SKP's school has no SIASN unit with its NPSN."""
    return err(
        c.targets.filter(pl.col("skp_unor_id").is_null()),
        "PMM-08",
        pl.struct(
            "pmm_skp_id",
            pl.struct("npsn", "nama_sekolah").alias("pmm"),
            pl.struct(pl.lit(None, pl.String).alias("unor_id")).alias("siasn"),
        ),
        skp=True,
    )


@rule("PMM-10", Flow.SKP)
def pmm10_unit_beda(c: SkpContext) -> pl.DataFrame:
    """No SKP of the year is at the school of P's SIASN unit, when that is certain.

    Every SKP of the year counts, whatever its status. Not when P has no SKP, nor when P's unit
    does not exist in SIASN (PMM-03). A unit with an NPSN: holds when no SKP is at that school,
    unmatched schools (PMM-08) or not. A unit without an NPSN: holds only when every SKP school
    is matched to a unit, since an unmatched school might be that unit's school.
    """
    sekolah = c.s["dapodik_sekolah"].select("npsn", pl.col("nama").alias("nama_sekolah"))
    skp = (
        c.scope.skp.select("nip", "npsn")
        .join(c.unit_by_npsn.select("npsn", "skp_unor_id"), on="npsn", how="left")
        .join(sekolah, on="npsn", how="left")
        .unique(["nip", "npsn"])
        .sort("nip", "npsn")
    )
    home = c.pegawai.filter(pl.col("siasn_aktif").is_not_null()).select(
        "nip", pl.col("unor_npsn").alias("npsn_siasn"), "unor_id", "unor_nama"
    )
    at_home = skp.join(home, on="nip", how="inner")
    per_nip = at_home.group_by("nip", maintain_order=True).agg(
        (pl.col("npsn") == pl.col("npsn_siasn")).fill_null(False).any().alias("di_sekolah_unit"),
        pl.col("skp_unor_id").is_not_null().all().alias("semua_padan"),
        pl.col("npsn_siasn").first(),
    )
    holders = per_nip.filter(
        pl.when(pl.col("npsn_siasn").is_not_null()).then(~pl.col("di_sekolah_unit")).otherwise(pl.col("semua_padan"))
    ).select("nip")
    # The schools listed only for those it holds for: listing everyone's costs lists per pegawai.
    holds = (
        at_home.join(holders, on="nip", how="semi")
        .group_by("nip", maintain_order=True)
        .agg(
            pl.col("npsn").alias("npsn_pmm"),
            "nama_sekolah",
            pl.col("npsn_siasn").first(),
            pl.col("unor_id").first(),
            pl.col("unor_nama").first(),
        )
    )
    return err(
        holds,
        "PMM-10",
        pl.struct(
            pl.struct(
                pl.col("npsn_pmm").alias("npsn"),
                "nama_sekolah",
            ).alias("pmm"),
            pl.struct("unor_id", pl.col("unor_nama").alias("nama"), pl.col("npsn_siasn").alias("npsn")).alias("siasn"),
        ),
    )


@rule("PMM-06", Flow.SKP)
def pmm06_periode_belum_ada(c: SkpContext) -> pl.DataFrame:
    """No TAHUNAN period of P's instansi covers the SKP's dates."""
    return err(
        c.targets.filter(pl.col("periode_id").is_null()),
        "PMM-06",
        pl.struct(
            "pmm_skp_id",
            pl.struct("periode_awal", "periode_akhir").alias("pmm"),
            pl.struct(
                "instansi_id", pl.lit("TAHUNAN").alias("jenis"), pl.lit(None, pl.String).alias("periode_id")
            ).alias("ekinerja"),
        ),
        skp=True,
    )


@rule("PMM-07", Flow.SKP)
def pmm07_skp_manual(c: SkpContext) -> pl.DataFrame:
    """A MANUAL e-Kinerja SKP of P for the same period and unit exists."""
    manual = (
        c.s["ekinerja_skp"]
        .filter(pl.col("sumber") == "MANUAL")
        .select("nip", "periode_id", pl.col("unor_id").alias("skp_unor_id"), pl.col("skp_id").alias("skp_manual"))
        .unique(["nip", "periode_id", "skp_unor_id"], keep="first", maintain_order=True)
    )
    unor = c.s["siasn_unor"].select(pl.col("unor_id").alias("skp_unor_id"), pl.col("nama").alias("unor_nama"))
    with_manual = c.targets.join(manual, on=["nip", "periode_id", "skp_unor_id"], how="inner").join(
        unor.unique("skp_unor_id"), on="skp_unor_id", how="left"
    )
    return err(
        with_manual,
        "PMM-07",
        pl.struct(
            "pmm_skp_id",
            pl.struct(
                pl.col("skp_manual").alias("skp_id"),
                pl.lit("MANUAL").alias("sumber"),
                "periode_id",
                pl.col("skp_unor_id").alias("unor_id"),
                pl.col("unor_nama"),
            ).alias("ekinerja"),
        ),
        skp=True,
    )

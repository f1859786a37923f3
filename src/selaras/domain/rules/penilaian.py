"""Flow PENILAIAN: PER-02, PER-01, PER-03, and the frames they share."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Protocol

import polars as pl

from selaras.domain.results import Flow
from selaras.domain.rules.common import DISEPAKATI, RANGE_PERIODIK, Scope, err, year
from selaras.domain.rules.registry import rule
from selaras.domain.snapshot import Snapshot


def periodik(s: Snapshot, tahun: int) -> pl.DataFrame:
    """The PERIODIK periods overlapping ``tahun``."""
    lo, hi = year(tahun)
    return s["ekinerja_periode"].filter(
        (pl.col("jenis") == "PERIODIK") & (pl.col("awal") <= hi) & (pl.col("akhir") >= lo)
    )


def periodic_setup(s: Snapshot, tahun: int) -> pl.DataFrame:
    """Each instansi's PERIODIK setup for ``tahun``: types used, faults, ``tidak_standar``."""
    per = periodik(s, tahun)
    limit = pl.col("tipe_periodik").replace_strict(RANGE_PERIODIK, default=0, return_dtype=pl.Int64)
    out = per.group_by("instansi_id").agg(
        (pl.col("tipe_periodik").n_unique() > 1).alias("campuran"),
        pl.col("angka_periodik").filter(pl.col("angka_periodik").is_duplicated()).unique().sort().alias("ganda"),
        pl.col("angka_periodik")
        .filter(
            pl.col("angka_periodik").is_null()
            | pl.col("tipe_periodik").is_null()
            | (pl.col("angka_periodik") < 1)
            | (pl.col("angka_periodik") > limit)
        )
        .alias("di_luar_rentang"),
        pl.col("tipe_periodik").drop_nulls().unique().sort().alias("tipe"),
    )
    return out.with_columns(
        (pl.col("campuran") | (pl.col("ganda").list.len() > 0) | (pl.col("di_luar_rentang").list.len() > 0)).alias(
            "tidak_standar"
        )
    )


@dataclass
class PenilaianContext:
    """One check of flow PENILAIAN: the agreed SKPs with their e-Kinerja SKP, and the PMM
    assessments with the period each one goes to."""

    s: Snapshot
    tahun: int
    scope: Scope

    @property
    def pegawai(self) -> pl.DataFrame:
        return self.scope.pegawai

    @cached_property
    def agreed(self) -> pl.DataFrame:
        ek = (
            self.s["ekinerja_skp"]
            .filter(pl.col("pmm_skp_id").is_not_null())
            .sort("pmm_skp_id", "sumber", "skp_id", descending=[False, True, False])
            .unique("pmm_skp_id", keep="first", maintain_order=True)
            .select("pmm_skp_id", "skp_id")
        )
        return self.scope.skp.filter(pl.col("status") == DISEPAKATI).join(ek, on="pmm_skp_id", how="left")

    @cached_property
    def nilai(self) -> pl.DataFrame:
        """PMM assessments of the agreed SKPs, each with its PERIODIK ``periode_id`` (or null)."""
        periods = (
            periodik(self.s, self.tahun)
            .sort("periode_id")
            .unique(["instansi_id", "tipe_periodik", "angka_periodik"], keep="first", maintain_order=True)
            .select("instansi_id", "tipe_periodik", "angka_periodik", "periode_id")
        )
        return (
            self.s["pmm_penilaian"]
            .join(self.agreed.select("nip", "pmm_skp_id", "skp_id"), on="pmm_skp_id", how="inner")
            .join(self.pegawai.select("nip", "instansi_id"), on="nip", how="inner")
            .join(periods, on=["instansi_id", "tipe_periodik", "angka_periodik"], how="left")
        )


class AgreedPlans(Protocol):
    """A flow's context that knows its pegawai and their agreed SKPs of the year."""

    @property
    def pegawai(self) -> pl.DataFrame: ...

    @property
    def agreed(self) -> pl.DataFrame: ...


def skp_belum_tersinkron(c: AgreedPlans, code: str) -> pl.DataFrame:
    """No agreed SKP of the year, or an agreed SKP without its synced e-Kinerja SKP: PER-02, and
    TAH-01 of the year's end ("as PER-02 for the year"), from any context with ``pegawai`` and
    ``agreed`` (the agreed SKPs with their e-Kinerja ``skp_id``)."""
    none_agreed = c.pegawai.filter(~pl.col("nip").is_in(c.agreed["nip"].implode()))
    unsynced = c.agreed.filter(pl.col("skp_id").is_null())
    return pl.concat(
        [
            err(
                none_agreed,
                code,
                pl.struct(
                    pl.struct(
                        pl.lit(None, pl.String).alias("pmm_skp_id"), pl.lit("belum ada SKP DISEPAKATI").alias("status")
                    ).alias("pmm"),
                    pl.struct(pl.lit(None, pl.String).alias("skp_id")).alias("ekinerja"),
                ),
            ),
            err(
                unsynced,
                code,
                pl.struct(
                    "pmm_skp_id", pl.struct("pmm_skp_id", "status").alias("pmm"), pl.struct("skp_id").alias("ekinerja")
                ),
                skp=True,
            ),
        ]
    )


@rule("PER-02", Flow.PENILAIAN)
def per02_skp_belum_tersinkron(c: PenilaianContext) -> pl.DataFrame:
    """No agreed SKP of the year, or an agreed SKP without its synced e-Kinerja SKP."""
    return skp_belum_tersinkron(c, "PER-02")


@rule("PER-03", Flow.PENILAIAN)
def per03_penilaian_belum_ada(c: PenilaianContext) -> pl.DataFrame:
    """None of P's agreed SKPs of the year has a PMM assessment row (errors.md, Clarifications):
    in a rotation a school's SKP without rows beside one with rows is not an error."""
    no_nilai = c.agreed.filter(~pl.col("nip").is_in(c.nilai["nip"].implode()))
    return err(
        no_nilai,
        "PER-03",
        pl.struct("pmm_skp_id", pl.struct(pl.lit(0).alias("jumlah_penilaian")).alias("pmm")),
        skp=True,
    )


@rule("PER-01", Flow.PENILAIAN)
def per01_periode_tidak_standar(c: PenilaianContext) -> pl.DataFrame:
    """The instansi's PERIODIK setup is not standard, or P's assessment has no period."""
    no_match = (
        c.nilai.filter(pl.col("periode_id").is_null())
        .group_by("nip")
        .agg(pl.struct("pmm_skp_id", "tipe_periodik", "angka_periodik").alias("tanpa_periode"))
    )
    per01 = (
        c.pegawai.select("nip", "instansi_id")
        .join(periodic_setup(c.s, c.tahun), on="instansi_id", how="left")
        .join(no_match, on="nip", how="left")
        .filter(pl.col("tidak_standar").fill_null(False) | pl.col("tanpa_periode").is_not_null())
    )
    return err(
        per01,
        "PER-01",
        pl.struct(
            pl.struct(pl.col("tanpa_periode").alias("penilaian_tanpa_periode")).alias("pmm"),
            pl.struct(
                "instansi_id",
                pl.col("tipe").alias("tipe_periodik"),
                pl.col("campuran").fill_null(False),
                pl.col("ganda").alias("angka_ganda"),
                "di_luar_rentang",
            ).alias("ekinerja"),
        ),
    )

"""Rules about the superior (teachers only): PMM-12, PMM-11, PMM-13.

The superior D whose e-Kinerja SKP a teacher's RHK must link to is resolved once, in
:attr:`SkpContext.teacher`: A (the unit's superior in e-Kinerja), unless PMM-12 holds; then the
PMM superior when SIASN knows that NIP, else PMM-11 and PMM-13 wait until PMM-12 is fixed.
"""

from __future__ import annotations

import polars as pl

from selaras.domain.diagnosis import ATASAN_PLT
from selaras.domain.pimpinan import DEFINITIF, PENUGASAN, ada_data_tugas
from selaras.domain.results import Flow
from selaras.domain.rules.common import err
from selaras.domain.rules.registry import rule
from selaras.domain.rules.skp_context import SkpContext

ACTING = pl.col("l_jenis").is_not_null() & (pl.col("l_jenis") != DEFINITIF)


@rule("PMM-12", Flow.SKP)
def pmm12_atasan_beda(c: SkpContext) -> pl.DataFrame:
    """A differs from the SKP's superior in PMM (not while PMM has none).

    When the PMM superior is the school's valid, unexpired Plt/Plh (leaders.md) the cause is
    ``ATASAN_PLT``: the step is the Admin Instansi's PLT/PLH menu, and the detail says since when.
    """
    plt = pl.DataFrame(schema={"pmm_skp_id": pl.String, "penugasan": pl.String, "sejak": pl.String})
    # Without Dapodik's duty file every leader is definitive: no Plt to look for.
    if ada_data_tugas(c.s):
        plt = c.teacher_leader.filter(
            ACTING
            & pl.col("l_sah")
            & ~pl.col("l_berakhir")
            & (pl.col("atasan_pmm") == pl.col("l_nip")).fill_null(False)
        ).select(
            "pmm_skp_id",
            pl.col("l_jenis").replace_strict(PENUGASAN, default=None, return_dtype=pl.String).alias("penugasan"),
            pl.col("l_tmt").cast(pl.String).alias("sejak"),
        )
    rows = c.teacher.filter(pl.col("pmm12"))
    common = (
        "pmm_skp_id",
        pl.struct(pl.col("atasan_pmm").alias("atasan_nip"), pl.col("atasan_pmm_nama").alias("atasan_nama")).alias(
            "pmm"
        ),
        pl.struct(
            pl.col("atasan_ek").alias("atasan_nip"),
            pl.col("atasan_ek_nama").alias("atasan_nama"),
            pl.col("atasan_unor_id").alias("unor_id"),
        ).alias("ekinerja"),
    )
    with_plt = rows.join(plt, on="pmm_skp_id", how="inner")
    return pl.concat(
        [
            err(rows.join(plt, on="pmm_skp_id", how="anti"), "PMM-12", pl.struct(*common), skp=True),
            err(
                with_plt,
                "PMM-12",
                pl.struct(
                    *common,
                    pl.lit([ATASAN_PLT]).alias("alasan"),
                    pl.struct(pl.lit(ATASAN_PLT).alias("alasan"), "penugasan", "sejak").alias("pimpinan"),
                ),
                skp=True,
            ),
        ]
    )


@rule("PMM-11", Flow.SKP)
def pmm11_atasan_tanpa_skp(c: SkpContext) -> pl.DataFrame:
    """D has no e-Kinerja SKP for the period (any SKP counts, a MANUAL one too)."""
    return err(
        c.waiting.filter(pl.col("atasan_skp_id").is_null()),
        "PMM-11",
        pl.struct(
            "pmm_skp_id",
            pl.struct(pl.col("atasan").alias("atasan_nip"), "atasan_nama", "periode_id").alias("ekinerja"),
        ),
        skp=True,
        atasan="atasan",
    )


@rule("PMM-13", Flow.SKP)
def pmm13_rhk_tidak_terkait(c: SkpContext) -> pl.DataFrame:
    """Some RHK of the teacher's SKP cannot link to an RHK of D's e-Kinerja SKP.

    Each such RHK carries its ``alasan`` (:mod:`selaras.domain.diagnosis`); the detail puts D's
    RHK in PMM and in e-Kinerja beside the teacher's, ids and texts.
    """
    u = c.unlinked
    per_skp = u.group_by("nip", "pmm_skp_id", maintain_order=True).agg(
        pl.struct("pmm_rhk_id", "uraian", "induk_pmm_rhk_id", "induk_uraian", "alasan").alias("rhk"),
        pl.col("alasan").unique().sort().alias("alasan"),
    )
    d = c.waiting.select(
        "pmm_skp_id", "atasan", "atasan_nama", "atasan_skp_id", "periode_id", "atasan_pmm", "atasan_pmm_nama"
    )
    d_pmm = c.atasan_pmm_rhk.group_by("atasan").agg(pl.struct("pmm_rhk_id", "uraian").alias("rhk_pmm"))
    d_ek = (
        d.select("atasan_skp_id")
        .unique()
        .join(
            c.s["ekinerja_rhk"].select(pl.col("skp_id").alias("atasan_skp_id"), "rhk_id", "pmm_rhk_id", "uraian"),
            on="atasan_skp_id",
            how="inner",
        )
        .sort("atasan_skp_id", "rhk_id")
        .group_by("atasan_skp_id", maintain_order=True)
        .agg(pl.struct("rhk_id", "pmm_rhk_id", "uraian").alias("rhk_ek"))
    )
    rows = (
        per_skp.join(d, on="pmm_skp_id", how="left")
        .join(d_pmm, on="atasan", how="left")
        .join(d_ek, on="atasan_skp_id", how="left")
        .sort("nip", "pmm_skp_id")
    )
    empty_pmm = pl.lit([], pl.List(pl.Struct({"pmm_rhk_id": pl.String, "uraian": pl.String})))
    empty_ek = pl.lit([], pl.List(pl.Struct({"rhk_id": pl.String, "pmm_rhk_id": pl.String, "uraian": pl.String})))
    return err(
        rows,
        "PMM-13",
        pl.struct(
            "pmm_skp_id",
            "alasan",
            pl.struct(
                # The superior the PMM plan names, beside e-Kinerja's: a side-by-side cell is never
                # blank when the system holds the value.
                pl.col("atasan_pmm").alias("atasan_nip"),
                pl.col("atasan_pmm_nama").alias("atasan_nama"),
                pl.col("rhk").alias("rhk_tidak_terkait"),
                pl.col("rhk_pmm").fill_null(empty_pmm).alias("rhk_atasan"),
            ).alias("pmm"),
            pl.struct(
                pl.col("atasan").alias("atasan_nip"),
                "atasan_nama",
                pl.col("atasan_skp_id").alias("skp_id"),
                pl.col("rhk_ek").fill_null(empty_ek).alias("rhk_atasan"),
            ).alias("ekinerja"),
        ),
        skp=True,
        atasan="atasan",
    )

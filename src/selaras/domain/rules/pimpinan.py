"""Rules about the school's leader (teachers only, leaders.md): PLT-01, PLT-02, PLT-03, PLT-04.

The leader L(s) of each SKP's school comes from :mod:`selaras.domain.pimpinan`, read once in
:attr:`SkpContext.teacher_leader`; these rules only say which facts of it block a teacher.
"""

from __future__ import annotations

import polars as pl

from selaras.domain.pimpinan import DEFINITIF, PENUGASAN, ada_data_tugas
from selaras.domain.results import Flow
from selaras.domain.rules.common import err
from selaras.domain.rules.registry import rule
from selaras.domain.rules.skp_context import SkpContext

ACTING = pl.col("l_jenis").is_not_null() & (pl.col("l_jenis") != DEFINITIF)
"""The school is led by a Plt or a Plh."""


def _acting(c: SkpContext) -> pl.DataFrame:
    """Teacher targets whose school is led by a Plt/Plh."""
    return c.teacher_leader.filter(ACTING)


def _none(c: SkpContext, code: str) -> pl.DataFrame:
    """No error rows: without the duty file every leader is definitive (and none is computed)."""
    return err(c.targets.clear(), code, pl.struct("pmm_skp_id"), skp=True)


def _leader(named: bool = True, *extra: pl.Expr) -> pl.Expr:
    """The duty as Dapodik records it; ``named``: with who holds it (not for a term that is
    over: no card names a Plt whose duty has ended); ``extra``: more facts of that record."""
    who = [pl.col("l_ptk_id").alias("ptk_id"), pl.col("l_nama").alias("nama"), pl.col("l_nip").alias("nip")]
    return pl.struct(
        *(who if named else []),
        pl.col("l_jenis").replace_strict(PENUGASAN, default=None, return_dtype=pl.String).alias("penugasan"),
        pl.col("l_nomor_sk").alias("nomor_sk"),
        pl.col("l_tmt").cast(pl.String).alias("tmt"),
        pl.col("l_tst").cast(pl.String).alias("tst"),
        *extra,
    ).alias("dapodik")


@rule("PLT-01", Flow.SKP)
def plt01_tanpa_kepala_sekolah(c: SkpContext) -> pl.DataFrame:
    """The SKP's school has no definitive principal and no active Plt/Plh duty (only read when
    the snapshot carries Dapodik's duty file: without it a snapshot reads as before)."""
    if not ada_data_tugas(c.s):
        return _none(c, "PLT-01")
    return err(
        c.teacher_leader.filter(pl.col("l_ptk_id").is_null()),
        "PLT-01",
        pl.struct("pmm_skp_id", "npsn", "nama_sekolah"),
        skp=True,
    )


@rule("PLT-02", Flow.SKP)
def plt02_plt_tidak_sah(c: SkpContext) -> pl.DataFrame:
    """L(s) is a Plt/Plh whose duty is not valid; the detail names each broken rule."""
    broken = pl.concat_list(
        pl.when(pl.col("l_sekolah_induk")).then(pl.lit("SEKOLAH_INDUK")),
        pl.when(pl.col("l_jenis_ptk_ks")).then(pl.lit("JENIS_PTK")),
        pl.when(pl.col("l_sk_kurang")).then(pl.lit("NOMOR_SK")),
        pl.when(pl.col("l_tmt_kosong")).then(pl.lit("TMT_KOSONG")),
    ).list.drop_nulls()
    if not ada_data_tugas(c.s):
        return _none(c, "PLT-02")
    return err(
        _acting(c).filter(~pl.col("l_sah")),
        "PLT-02",
        # The broken rules beside the duty's values, in Dapodik's column of the card.
        pl.struct("pmm_skp_id", "npsn", "nama_sekolah", _leader(True, broken.alias("pelanggaran"))),
        skp=True,
    )


@rule("PLT-03", Flow.SKP)
def plt03_masa_plt_berakhir(c: SkpContext) -> pl.DataFrame:
    """L(s) is a valid Plt/Plh whose term (TMT plus the instansi's months) is over."""
    if not ada_data_tugas(c.s):
        return _none(c, "PLT-03")
    return err(
        _acting(c).filter(pl.col("l_berakhir")),
        "PLT-03",
        pl.struct(
            "pmm_skp_id",
            "npsn",
            "nama_sekolah",
            _leader(named=False),
            pl.struct(
                pl.col("l_masa_bulan").alias("plt_masa_bulan"),
                pl.col("l_akhir_masa").cast(pl.String).alias("akhir_masa"),
                pl.lit(c.kebijakan.tanggal.isoformat()).alias("tanggal_periksa"),
            ).alias("selaras"),
        ),
        skp=True,
    )


@rule("PLT-04", Flow.SKP)
def plt04_plt_tidak_berwenang(c: SkpContext) -> pl.DataFrame:
    """The SKP's PMM superior is the school's Plt/Plh and the instansi does not let a Plt assess."""
    if not ada_data_tugas(c.s):
        return _none(c, "PLT-04")
    return err(
        _acting(c).filter(
            ~pl.col("plt_boleh_menilai").fill_null(True) & (pl.col("atasan_pmm") == pl.col("l_nip")).fill_null(False)
        ),
        "PLT-04",
        pl.struct(
            "pmm_skp_id",
            "npsn",
            "nama_sekolah",
            pl.struct(pl.col("atasan_pmm").alias("atasan_nip")).alias("pmm"),
            _leader(),
            pl.struct(pl.col("plt_boleh_menilai")).alias("selaras"),
        ),
        skp=True,
    )

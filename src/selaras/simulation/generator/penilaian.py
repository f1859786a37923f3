"""Stage 5: PMM's periodic assessments, the ones already in e-Kinerja, and what the manifest's
PER-01 and PER-03 need."""

from __future__ import annotations

import polars as pl

from selaras.simulation.generator.build import CHUNK_SKP, Build
from selaras.simulation.generator.ids import skp_ek_id_of, skp_pmm_id_of
from selaras.simulation.generator.randomness import Rand, ordered_join, pick
from selaras.simulation.generator.words import EKSPEKTASI, PREDIKAT_MATRIX

_BULANAN = pl.col("tipe") == "BULANAN"


def _assessed(b: Build) -> pl.DataFrame:
    """The agreed SKPs (but PER-03's) with the type of their assessments (PER-01's the other
    one) and the range ``lo``..``hi`` of the months or quarters assessed so far."""
    r, tahun = b.rand, b.tahun
    # The snapshot is taken in mid-October: months up to September and quarters up to
    # the third are over and assessed.
    last_month = tahun * 12 + 8
    skp = ordered_join(b.skp, b.inst.select("inst", "periodik"), "inst").filter(
        (pl.col("status") == "DISEPAKATI") & (pl.col("label").fill_null("") != "PER-03")
    )
    is_per01 = pl.col("label").fill_null("") == "PER-01"
    tipe = (
        pl.when(is_per01)
        .then(pl.when(pl.col("periodik") == "BULANAN").then(pl.lit("TRIWULANAN")).otherwise(pl.lit("BULANAN")))
        .otherwise(pl.col("periodik"))
    )
    m0 = pl.col("awal").dt.year().cast(pl.Int64) * 12 + pl.col("awal").dt.month() - 1
    m1 = pl.min_horizontal(
        pl.col("akhir").dt.year().cast(pl.Int64) * 12 + pl.col("akhir").dt.month() - 1,
        pl.lit(last_month, pl.Int64),
    )
    bulanan = _BULANAN
    m0c, m1c = pl.col("m0"), pl.col("m1")
    u_flow = r.u("skp", "penilaian-flow")
    return (
        skp.select(
            "skp",
            "inst",
            "synced",
            "ek",
            tipe=tipe,
            m0=m0,
            m1=m1,
            flow=pl.when(u_flow < 0.3).then(2).when(u_flow < 0.9).then(1).otherwise(0),
        )
        .with_columns(
            lo=pl.when(bulanan).then(m0c).otherwise(m0c // 3),
            hi=pl.when(bulanan).then(m1c).otherwise((m1c + 1) // 3 - 1),
        )
        .filter(pl.col("hi") >= pl.col("lo"))
    )


def _explode(skp: pl.DataFrame, r: Rand) -> pl.DataFrame:
    """One row per assessment of the SKPs: the period's number, the last one or not, and the
    ratings of work (``h``) and behaviour (``p``) as indices into ``EKSPEKTASI``."""
    bulanan = _BULANAN
    key = pl.col("skp") * 16 + pl.col("t") - pl.col("lo")
    hasil = pl.when(pl.col("u_h") < 0.15).then(0).when(pl.col("u_h") < 0.96).then(1)
    perilaku = pl.when(pl.col("u_p") < 0.2).then(0).when(pl.col("u_p") < 0.97).then(1)
    return (
        skp.with_columns(t=pl.int_ranges("lo", pl.col("hi") + 1))
        .explode("t")
        .with_columns(u_h=r.u(key, "hasil"), u_p=r.u(key, "perilaku"))
        .with_columns(
            angka=pl.when(bulanan).then(pl.col("t") % 12 + 1).otherwise(pl.col("t") % 4 + 1),
            last=pl.col("t") == pl.col("hi"),
            h=hasil.otherwise(2),
            p=perilaku.otherwise(2),
        )
    )


_PMM_SCHEMA = {
    "pmm_skp_id": pl.String,
    "tipe_periodik": pl.String,
    "angka_periodik": pl.Int64,
    "hasil_kerja": pl.String,
    "perilaku": pl.String,
    "predikat": pl.String,
}
_EK_SCHEMA = {
    "skp_id": pl.String,
    "periode_id": pl.String,
    "hasil_kerja": pl.String,
    "perilaku": pl.String,
    "predikat": pl.String,
}


def add_penilaian(b: Build) -> None:
    """PMM's assessments (``pmm_penilaian``), the ones already in e-Kinerja
    (``ekinerja_penilaian``), and the SKPs with assessments and with assessments of a period
    the instansi does not have (``b.skp_with_pen``, ``b.skp_unmatched``), in batches."""
    r = b.rand
    skp = _assessed(b)
    known = b.known_periodik
    good = b.good_periodik.select("inst", "tipe", "angka", "periode_id")
    pmm_parts: list[pl.DataFrame] = []
    ek_parts: list[pl.DataFrame] = []
    with_pen: list[pl.Series] = []
    unmatched: list[pl.Series] = []
    n = skp.height
    for start in range(0, n, CHUNK_SKP):
        part = _explode(skp.slice(start, CHUNK_SKP), r)
        rated = dict(
            hasil_kerja=pick(EKSPEKTASI, pl.col("h")),
            perilaku=pick(EKSPEKTASI, pl.col("p")),
            predikat=pick(PREDIKAT_MATRIX, pl.col("h") * 3 + pl.col("p")),
        )
        pmm_parts.append(
            part.select(
                pmm_skp_id=skp_pmm_id_of(pl.col("skp")),
                tipe_periodik="tipe",
                angka_periodik="angka",
                **rated,
            )
        )
        # Assessments already flowed: for most synced SKPs all but the latest period.
        flowed = part.filter(pl.col("synced") & ((pl.col("flow") == 2) | ((pl.col("flow") == 1) & ~pl.col("last"))))
        ek_parts.append(
            ordered_join(flowed, good, ["inst", "tipe", "angka"], "inner").select(
                skp_id=skp_ek_id_of(pl.col("ek")), periode_id="periode_id", **rated
            )
        )
        with_pen.append(part["skp"].unique())
        unmatched.append(part.join(known, on=["inst", "tipe", "angka"], how="anti")["skp"].unique())
        del part
        b.report("pmm_penilaian", 0.74 + 0.12 * min(n, start + CHUNK_SKP) / max(n, 1))
    b.frames["pmm_penilaian"] = pl.concat(pmm_parts) if pmm_parts else pl.DataFrame(schema=_PMM_SCHEMA)
    b.frames["ekinerja_penilaian"] = pl.concat(ek_parts) if ek_parts else pl.DataFrame(schema=_EK_SCHEMA)
    empty = pl.Series("skp", [], dtype=pl.Int64)
    b.skp_with_pen = pl.concat(with_pen) if with_pen else empty
    b.skp_unmatched = pl.concat(unmatched) if unmatched else empty

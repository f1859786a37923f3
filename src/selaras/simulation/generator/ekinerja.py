"""Stage 6: e-Kinerja's SKPs (synced ones and the ones people made by hand), then the school
leaders (``simulation/pimpinan.py``) and the year end (``simulation/tahunan.py``)."""

from __future__ import annotations

import polars as pl

from selaras.simulation import pimpinan
from selaras.simulation.generator.build import Build
from selaras.simulation.generator.ids import ptk_id_of, rhk_ek_id_of, skp_ek_id_of, skp_pmm_id_of, unor_id_of
from selaras.simulation.generator.randomness import assign, ordered_join, pick
from selaras.simulation.generator.words import RHK_MANUAL
from selaras.simulation.tahunan import year_end


def add_ekinerja(b: Build) -> None:
    """e-Kinerja's SKPs and RHK: the synced copies of PMM's, and the ones people made by hand
    (teachers with PMM-07, principals of PMM-13S schools, the Dinas staff)."""
    r = b.rand
    synced = ordered_join(ordered_join(b.skp.filter(pl.col("synced")), b.tahunan, "inst"), b.nips, "oid")
    # Hand-made SKPs: teachers with PMM-07, principals of PMM-13 schools, and the Dinas
    # staff (out of scope) of instansi that have the yearly period.
    kadis = b.others.filter(pl.col("role") == "KADIS").select("inst", kadis_oid="oid")
    manual_peg = ordered_join(
        b.peg.filter(
            (pl.col("label").fill_null("") == "PMM-07")
            | ((pl.col("role") == "KS") & (pl.col("fault").fill_null("") == "PMM-13S"))
        ),
        b.sch.select("sch", "unor"),
        "sch",
    )
    manual_peg = ordered_join(manual_peg, kadis, "inst").select(
        "oid",
        "inst",
        "unor",
        atasan_oid=pl.when(pl.col("role") == "KS").then(pl.col("kadis_oid")).otherwise(pl.col("ks_oid")),
    )
    manual_dinas = ordered_join(
        b.others.filter(pl.col("role").is_in(["KADIS", "SEKDIS", "KABID", "PELAKSANA", "PENGAWAS"])),
        kadis,
        "inst",
    ).select(
        "oid",
        "inst",
        unor=pl.when(pl.col("role").is_in(["KADIS", "PENGAWAS"]))
        .then(3 * pl.col("inst"))
        .otherwise(3 * pl.col("inst") + pl.col("sub")),
        atasan_oid=pl.when(pl.col("role") == "KADIS").then(None).otherwise(pl.col("kadis_oid")),
    )
    manual = ordered_join(pl.concat([manual_peg, manual_dinas]), b.tahunan, "inst", "inner")
    manual = manual.sort("oid").with_columns(ek=pl.int_range(b.n_ek_skp, b.n_ek_skp + pl.len(), dtype=pl.Int64))
    manual = ordered_join(
        ordered_join(manual, b.nips, "oid"), b.nips.rename({"oid": "atasan_oid", "nip": "atasan_nip"}), "atasan_oid"
    )
    b.frames["ekinerja_skp"] = pl.concat(
        [
            synced.select(
                skp_id=skp_ek_id_of(pl.col("ek")),
                nip="nip",
                periode_id="periode_id",
                unor_id=unor_id_of(pl.col("skp_unor")),
                atasan_nip="atasan_nip",
                sumber=pl.lit("PMM"),
                pmm_skp_id=skp_pmm_id_of(pl.col("skp")),
            ),
            manual.select(
                skp_id=skp_ek_id_of(pl.col("ek")),
                nip="nip",
                periode_id="periode_id",
                unor_id=unor_id_of(pl.col("unor")),
                atasan_nip="atasan_nip",
                sumber=pl.lit("MANUAL"),
                pmm_skp_id=pl.lit(None, pl.String),
            ),
        ]
    )
    manual_rhk = (
        manual.select("ek", n=3 + r.below("ek", "manual-rhk", 3))
        .with_columns(k=pl.int_ranges(0, "n"))
        .explode("k")
        .with_columns(i=pl.int_range(b.n_ek_rhk, b.n_ek_rhk + pl.len(), dtype=pl.Int64))
        .select(
            rhk_id=rhk_ek_id_of(pl.col("i")),
            skp_id=skp_ek_id_of(pl.col("ek")),
            uraian=pick(RHK_MANUAL, (pl.col("k") + r.below("ek", "manual-text", 8)) % len(RHK_MANUAL)),
            pmm_rhk_id=pl.lit(None, pl.String),
            induk_rhk_id=pl.lit(None, pl.String),
        )
    )
    b.frames["ekinerja_rhk"] = pl.concat([b.ek_rhk_synced, manual_rhk])
    del b.ek_rhk_synced


# -- school leaders: Plt, Plh, none, unclaimed units (simulation/pimpinan.py) ------------


def add_pimpinan(b: Build) -> None:
    """The school leaders' stage (``simulation/pimpinan.py``): Plt, Plh, no head, unclaimed
    units; the manifest rows it adds in ``b.pimpinan_codes``."""
    b.pimpinan_codes = pimpinan.inject(
        assign=assign,
        rand=b.rand,
        tahun=b.tahun,
        sch=b.sch,
        peg=b.peg,
        frames=b.frames,
        ptk_id_of=ptk_id_of,
        unor_id_of=unor_id_of,
    )


# -- the year end: PKO, annual ratings, jenjang, angka kredit (simulation/tahunan.py) --------


def add_year_end(b: Build) -> None:
    """The year-end tables, with random streams of their own: the tables above are the same
    with or without them."""
    b.frames.update(year_end(b.frames, b.tahun, b.rand.seed))

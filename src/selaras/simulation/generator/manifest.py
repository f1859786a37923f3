"""The manifest: for every pegawai in scope the error codes that the rules of errors.md say
hold, from the injected faults, their knock-on effects and the generated assessments."""

from __future__ import annotations

import polars as pl

from selaras.simulation.generator.build import Build
from selaras.simulation.generator.faults import LABEL_CODE, SCHOOL_CODES
from selaras.simulation.generator.ids import ptk_id_of
from selaras.simulation.generator.randomness import ordered_join


def _pmm12_knock_on(b: Build) -> pl.DataFrame:
    """A PMM-12 teacher's superior D is the PMM superior (another principal, or the
    Kadis): with an e-Kinerja SKP, the teacher's RHK (linked to the own principal's) cannot
    link to it (PMM-13); without one, PMM-11. Neither without the yearly period (PMM-06)."""
    teachers = b.peg.filter((pl.col("label") == "PMM-12") & ~pl.col("bad_tahunan")).select("oid")
    d = (
        ordered_join(teachers, b.nips, "oid")
        .join(
            b.frames["pmm_skp"].select(pl.col("ptk_id").alias("_ptk"), pl.col("atasan_nip").alias("d_nip")),
            left_on=ptk_id_of(pl.col("oid")),
            right_on="_ptk",
            how="inner",
        )
        .with_columns(has_ek=pl.col("d_nip").is_in(b.frames["ekinerja_skp"]["nip"].implode()))
    )
    return d.select("oid", code=pl.when(pl.col("has_ek")).then(pl.lit("PMM-13")).otherwise(pl.lit("PMM-11"))).unique()


def manifest_of(b: Build) -> pl.DataFrame:
    """The manifest: per pegawai in scope (by NIP) and flow, the codes that must hold."""
    peg = b.peg
    parts: list[pl.DataFrame] = [
        peg.filter(pl.col("label").is_in(list(LABEL_CODE))).select(
            "oid", code=pl.col("label").replace_strict(LABEL_CODE, return_dtype=pl.String)
        )
    ]
    for fault, by_role in SCHOOL_CODES.items():
        for role, codes in by_role.items():
            parts += [
                peg.filter((pl.col("fault") == fault) & (pl.col("role") == role)).select("oid", code=pl.lit(code))
                for code in codes
            ]
    parts.append(peg.filter(pl.col("bad_tahunan")).select("oid", code=pl.lit("PMM-06")))
    parts.append(_pmm12_knock_on(b))
    parts.append(b.pimpinan_codes)
    skp_codes = pl.concat(parts).with_columns(flow=pl.lit("skp"))

    # Flow penilaian, computed from the generated data: P's agreed SKPs of the year, their
    # e-Kinerja copies (by pmm_skp_id) and their PMM assessments.
    agreed = b.skp.filter(pl.col("status") == "DISEPAKATI").select(
        "oid",
        "synced",
        no_pen=~pl.col("skp").is_in(b.skp_with_pen.implode()),
        bad_pen=pl.col("skp").is_in(b.skp_unmatched.implode()),
    )
    per_oid = agreed.group_by("oid").agg(
        unsynced=(~pl.col("synced")).any(),
        # PER-03 only when none of P's agreed SKPs has an assessment (errors.md).
        no_pen=pl.col("no_pen").all(),
        bad_pen=pl.col("bad_pen").any(),
    )
    pp = ordered_join(peg.select("oid", "inst"), per_oid, "oid").with_columns(
        broken=pl.col("inst").is_in(b.broken_inst["inst"].implode())
    )
    per_codes = pl.concat(
        [
            pp.filter(pl.col("unsynced").fill_null(True)).select("oid", code=pl.lit("PER-02")),
            pp.filter(pl.col("broken") | pl.col("bad_pen").fill_null(False)).select("oid", code=pl.lit("PER-01")),
            pp.filter(pl.col("no_pen").fill_null(False)).select("oid", code=pl.lit("PER-03")),
        ]
    ).with_columns(flow=pl.lit("penilaian"))
    return (
        ordered_join(pl.concat([skp_codes, per_codes]).unique(), b.nips, "oid")
        .select("nip", "flow", "code")
        .sort(["nip", "flow", "code"])
    )

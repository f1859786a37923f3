"""The generator's stage for school leaders (leaders.md, issue 18): Plt and Plh principals,
schools without a head, invalid or expired Plt duties and unclaimed units.

It runs after the e-Kinerja stage and changes only schools that are otherwise fault-free
when it adds errors (no school fault, no teacher fault, nobody's partner school), so what it
injects adds to the manifest without touching the other faults' knock-ons; a valid Plt or Plh
changes no error, so any school without a fault of its principal may have one (a school
whose e-Kinerja head is still the former principal may: its teachers' PMM-12 then has the
cause ATASAN_PLT):

* about 18% of schools are led by a valid Plt: the former principal keeps a teacher's jenis
  PTK and an induk school elsewhere in Dapodik, and holds the duty PLT Kepala Sekolah (SK of
  13 digits, TMT 1 to 8 months before the snapshot date); most units record it in e-Kinerja's
  PLT/PLH menu (``atasan_penugasan`` PLT). No new error;
* about 1% by a Plh (valid, PLH_KEPALA_SEKOLAH, a month ago): no new error;
* about 1.5% by an invalid Plt (an SK of 9 digits, no TMT, or the duty at the Plt's own
  school): PLT-02 for every teacher;
* about 1% by a Plt whose term is over (TMT 11 months before the snapshot date, 9-month term):
  PLT-03 for every teacher;
* about 1% by nobody (the former principal keeps no duty): PLT-01 for every teacher, and the
  former principal, now judged as a teacher of a school whose e-Kinerja head is him- or
  herself, gets PLT-01, PMM-12 (the PMM superior is the Kadis) and PMM-13 (D is the Kadis,
  whose hand-made SKP carries none of the principal's RHK, which have no parent);
* about 1% of units are not claimed by their head in e-Kinerja (``pimpinan_diklaim`` 0):
  PMM-13 (PIMPINAN_BELUM_DIKLAIM) for every teacher.

The snapshot date is mid-October of ``tahun`` (:func:`tanggal_snapshot`): the manifest holds
for a check on that date with the default Plt settings.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import polars as pl

from selaras.domain.pimpinan import PLH, PLT

RATES: tuple[tuple[str, float], ...] = (
    ("PLT-02", 0.04),
    ("PLT-03", 0.03),
    ("PLT-01", 0.025),
    ("TIDAK_DIKLAIM", 0.03),
)
"""Shares of the fault-free schools (about a third of all schools: most have a teacher with
a fault of his or her own) per leadership case that adds errors."""
VALID_RATES: tuple[tuple[str, float], ...] = (("PLT", 0.19), ("PLH", 0.015))
"""Shares of the other schools led by a valid Plt or Plh (no error: any school may be one)."""
MIN_ELIGIBLE = 5
"""Each case occurs at least once when this many schools are eligible (the demo shows it)."""

IdOf = Callable[[pl.Expr], pl.Expr]


def tanggal_snapshot(tahun: int) -> date:
    """The day a generated snapshot of ``tahun`` is taken (the sync season, mid-October)."""
    return date(tahun, 10, 15)


def _months_before(day: date, months: pl.Expr) -> pl.Expr:
    return pl.lit(day).dt.offset_by(pl.format("-{}mo", months))


_CASE = pl.col("pimpinan")
_ACTING = _CASE.is_in(["PLT", "PLH", "PLT-02", "PLT-03"])
_OWN_SCHOOL = (_CASE == "PLT-02") & (pl.col("variant") == 2)
"""An invalid Plt whose duty is at his or her own school."""


def _led_schools(assign: Callable[..., pl.DataFrame], rand: Any, sch: pl.DataFrame, peg: pl.DataFrame) -> pl.DataFrame:
    """The schools with a leadership case (``pimpinan``), their former principal (``ks_oid``),
    the induk school of a Plt, and the draws of the case's variant and of the Plt's TMT."""
    u = rand.u
    partners = peg.filter(pl.col("label").is_in(["rotasi", "PMM-10", "PMM-12"]))["partner"].drop_nulls().unique()
    faulty = peg.filter(pl.col("label").is_not_null())["sch"].unique()
    # The induk school of a Plt: the next school of the same instansi (none when it has one).
    s = sch.sort("sch").with_columns(
        induk_npsn=pl.col("npsn").shift(-1).over("inst").fill_null(pl.col("npsn").first().over("inst")),
    )
    eligible = (
        pl.col("fault").is_null()
        & ~pl.col("bad_tahunan")
        & ~pl.col("sch").is_in(partners.implode())
        & ~pl.col("sch").is_in(faulty.implode())
        & (pl.col("induk_npsn") != pl.col("npsn"))
    )
    s = assign(s, rand, "sch", eligible, "pimpinan", RATES, MIN_ELIGIBLE, "pimpinan")
    # Not at a school with another fault of its principal (a hand-made SKP, a unit without
    # NPSN...): those stories stay a definitive principal's. PMM-11 (not synced yet) is kept.
    free = (
        pl.col("pimpinan").is_null()
        & (pl.col("induk_npsn") != pl.col("npsn"))
        & (pl.col("fault").is_null() | pl.col("fault").is_in(["PMM-11", "PMM-12S"]))
    )
    s = assign(s, rand, "sch", free, "pimpinan-sah", VALID_RATES, MIN_ELIGIBLE, "sah")
    # In each instansi the first school whose principal has not synced yet (PMM-11 for its
    # teachers) is led by a valid Plt: the demo shows teachers waiting on a Plt's sync; so is
    # the first whose e-Kinerja head is still the former principal (PMM-12 for its teachers,
    # whose PMM superior is then the Plt: the step is the Admin Instansi's Plt/Plh menu).
    first_waiting = pl.lit(False)
    for fault in ("PMM-11", "PMM-12S"):
        waiting = (pl.col("fault") == fault) & free
        first_waiting = first_waiting | (waiting & (pl.col("sch") == pl.col("sch").filter(waiting).min().over("inst")))
    s = s.with_columns(
        pimpinan=pl.coalesce("pimpinan", pl.when(first_waiting).then(pl.lit("PLT")).otherwise(pl.col("sah")))
    ).filter(pl.col("pimpinan").is_not_null())
    ks = peg.filter(pl.col("role") == "KS").select("sch", ks_oid="oid")
    return s.join(ks, on="sch", how="inner").with_columns(
        variant=(u("sch", "pimpinan-varian") * 3).floor().cast(pl.Int64),
        bulan=1 + (u("sch", "pimpinan-tmt") * 8).floor().cast(pl.Int64),
    )


def _duties(s: pl.DataFrame, tahun: int, ptk_id_of: IdOf) -> pl.DataFrame:
    """``dapodik_tugas_tambahan``: the Plt and Plh duties, valid or not."""
    day = tanggal_snapshot(tahun)
    case = _CASE
    tmt = (
        pl.when(case == "PLT-03")
        .then(_months_before(day, pl.lit(11)))
        .when(case == "PLH")
        .then(_months_before(day, pl.lit(1)))
        .when((case == "PLT-02") & (pl.col("variant") == 1))
        .then(None)
        .otherwise(_months_before(day, pl.col("bulan")))
    )
    sk = (
        pl.when((case == "PLT-02") & (pl.col("variant") == 0))
        .then(pl.format("800/{}/{}", (pl.col("sch") % 100).cast(pl.String).str.zfill(2), pl.lit(tahun)))
        .otherwise(
            pl.format("800.1/{}/DISDIK/{}", (pl.col("sch") % 100_000).cast(pl.String).str.zfill(5), pl.lit(tahun))
        )
    )
    return s.filter(_ACTING).select(
        ptk_id=ptk_id_of(pl.col("ks_oid")),
        npsn="npsn",
        jenis=pl.when(case == "PLH").then(pl.lit(PLH)).otherwise(pl.lit(PLT)),
        nomor_sk=sk,
        tmt=tmt,
        tst=pl.lit(None, pl.Date),
    )


def _former_principals(ptk: pl.DataFrame, s: pl.DataFrame, ptk_id_of: IdOf) -> pl.DataFrame:
    """``dapodik_ptk`` with each former principal a teacher: a teacher's jenis PTK, no Kepala
    Sekolah duty, and an induk school (the own one for PLT-01 and the own-school Plt)."""
    case = _CASE
    moved = s.filter(_ACTING | (case == "PLT-01")).select(
        ptk_id=ptk_id_of(pl.col("ks_oid")),
        new_npsn=pl.when(_OWN_SCHOOL | (case == "PLT-01")).then(pl.col("npsn")).otherwise(pl.col("induk_npsn")),
    )
    ptk = ptk.join(moved, on="ptk_id", how="left")
    changed = pl.col("new_npsn").is_not_null()
    return ptk.with_columns(
        jenis_ptk=pl.when(changed & (pl.col("jenis_ptk") == "Kepala Sekolah"))
        .then(pl.lit("Guru Kelas"))
        .otherwise(pl.col("jenis_ptk")),
        tugas_tambahan=pl.when(changed).then(None).otherwise(pl.col("tugas_tambahan")),
        npsn=pl.coalesce("new_npsn", "npsn"),
    ).drop("new_npsn")


def _units(eu: pl.DataFrame, s: pl.DataFrame, rand: Any, unor_id_of: IdOf) -> pl.DataFrame:
    """``ekinerja_unor`` with the Plt/Plh menu's entries and the units not claimed."""
    case = _CASE
    units = s.select(
        unor_id=unor_id_of(pl.col("unor")),
        _penugasan=pl.when((case == "PLT") & (rand.u("sch", "pimpinan-menu") < 0.85))
        .then(pl.lit("PLT"))
        .when(case == "PLH")
        .then(pl.lit("PLH")),
        _diklaim=pl.when(case == "TIDAK_DIKLAIM").then(pl.lit(False)),
    )
    for column in ("atasan_penugasan", "pimpinan_diklaim"):
        if column not in eu.columns:
            eu = eu.with_columns(pl.lit(None, pl.Boolean if column == "pimpinan_diklaim" else pl.String).alias(column))
    return (
        eu.join(units, on="unor_id", how="left")
        .with_columns(
            atasan_penugasan=pl.coalesce("_penugasan", "atasan_penugasan"),
            pimpinan_diklaim=pl.coalesce("_diklaim", "pimpinan_diklaim"),
        )
        .drop("_penugasan", "_diklaim")
    )


def _codes(peg: pl.DataFrame, s: pl.DataFrame) -> pl.DataFrame:
    """The manifest rows of the leadership cases: the teachers', and a former principal's
    whom nobody replaced (PLT-01, PMM-12, PMM-13)."""
    teacher_code = {"PLT-02": "PLT-02", "PLT-03": "PLT-03", "PLT-01": "PLT-01", "TIDAK_DIKLAIM": "PMM-13"}
    guru = (
        peg.filter(pl.col("role") == "GURU")
        .select("oid", "sch")
        .join(s.select("sch", "pimpinan"), on="sch", how="inner")
    )
    teachers = guru.filter(pl.col("pimpinan").is_in(list(teacher_code))).select(
        "oid", code=pl.col("pimpinan").replace_strict(teacher_code)
    )
    former = s.filter(_CASE == "PLT-01").select(oid="ks_oid")
    knock_on = pl.concat([former.with_columns(code=pl.lit(c)) for c in ("PLT-01", "PMM-12", "PMM-13")])
    return pl.concat([teachers, knock_on])


def inject(
    *,
    assign: Callable[..., pl.DataFrame],
    rand: object,
    tahun: int,
    sch: pl.DataFrame,
    peg: pl.DataFrame,
    frames: dict[str, pl.DataFrame],
    ptk_id_of: IdOf,
    unor_id_of: IdOf,
) -> pl.DataFrame:
    """Change ``frames`` (``dapodik_ptk``, ``ekinerja_unor``, new ``dapodik_tugas_tambahan``)
    for the leadership cases and return the manifest rows they add (``oid``, ``code``).

    ``sch``: the schools (``sch``, ``inst``, ``npsn``, ``unor``, ``fault``, ``bad_tahunan``);
    ``peg``: the pegawai (``oid``, ``sch``, ``role``, ``label``, ``partner``); ``assign`` and
    ``rand`` are the generator's disjoint drawing and random streams.
    """
    s = _led_schools(assign, rand, sch, peg)
    frames["dapodik_tugas_tambahan"] = _duties(s, tahun, ptk_id_of)
    frames["dapodik_ptk"] = _former_principals(frames["dapodik_ptk"], s, ptk_id_of)
    frames["ekinerja_unor"] = _units(frames["ekinerja_unor"], s, rand, unor_id_of)
    return _codes(peg, s)

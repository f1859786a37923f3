"""The recap of sync problems (rekapitulasi kendala sinkron) over a check result.

Counts are of pegawai, not of error rows: a teacher with PMM-11 on two SKPs counts once.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from selaras.catalogue.codes import CATALOGUE
from selaras.domain.diagnosis import actors_expr
from selaras.domain.results import CheckResult, Status


@dataclass
class Recap:
    """What an Admin Instansi looks at first."""

    total: int
    by_status: dict[str, int]
    by_code: pl.DataFrame  # code, judul, pegawai
    by_school: pl.DataFrame  # npsn, nama_sekolah, pegawai, SIAP, GAGAL, TERSINKRON, persen_tersinkron
    by_actor: pl.DataFrame  # aktor, pegawai, kode
    blockers: (
        pl.DataFrame
    )  # atasan, nama, npsn, status_atasan, guru_tertahan, guru_menunggu: one per blocking principal


def _catalogue_frame() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "code": list(CATALOGUE),
            "judul": [c.judul for c in CATALOGUE.values()],
            "urutan": [c.urutan for c in CATALOGUE.values()],
            "aktor": [[a.value for a in c.aktor] for c in CATALOGUE.values()],
        }
    )


def recap(result: CheckResult, sekolah: pl.DataFrame | None = None) -> Recap:
    """Counts by status, code, school and actor, and the principals blocking teachers.

    ``sekolah`` (``dapodik_sekolah``) adds school names when given.
    """
    peg, err = result.pegawai, result.errors
    by_status = {s.value: 0 for s in Status}
    by_status.update(result.status_counts())
    cat = _catalogue_frame()

    by_code = (
        err.group_by("code")
        .agg(pl.col("nip").n_unique().alias("pegawai"))
        .join(cat.select("code", "judul", "urutan"), on="code", how="left")
        .sort("urutan")
        .select("code", "judul", "pegawai")
    )

    statuses = [s.value for s in Status]
    by_school = (
        peg.group_by("npsn")
        .agg(pl.len().alias("pegawai"), *[(pl.col("status") == s).sum().alias(s) for s in statuses])
        .with_columns((100.0 * pl.col(Status.TERSINKRON.value) / pl.col("pegawai")).round(1).alias("persen_tersinkron"))
    )
    if sekolah is not None:
        by_school = by_school.join(sekolah.select("npsn", pl.col("nama").alias("nama_sekolah")), on="npsn", how="left")
    else:
        by_school = by_school.with_columns(pl.lit(None, pl.String).alias("nama_sekolah"))
    by_school = by_school.select("npsn", "nama_sekolah", "pegawai", *statuses, "persen_tersinkron").sort(
        [Status.GAGAL.value, "npsn"], descending=[True, False], nulls_last=True
    )

    by_actor = (
        err.select("nip", "code", actors_expr().alias("aktor"))
        .explode("aktor")
        .group_by("aktor")
        .agg(pl.col("nip").n_unique().alias("pegawai"), pl.col("code").unique().sort().alias("kode"))
        .sort("pegawai", descending=True)
    )

    # A principal blocks a teacher only when the principal's ready sync clears the teacher's
    # error (the check's selesai_oleh): never an outdated head, never someone whose sync cannot
    # help. guru_tertahan: teachers whose every error that sync clears (they are done once it
    # succeeds); guru_menunggu: every teacher with at least one error that sync clears.
    names = peg.select(pl.col("nip").alias("atasan"), pl.col("nama"), "npsn", pl.col("status").alias("status_atasan"))
    waits = err.filter(pl.col("selesai_oleh").is_not_null())
    only = (
        err.group_by("nip")
        .agg(pl.col("selesai_oleh").n_unique().alias("n"), pl.col("selesai_oleh").first().alias("atasan"))
        .filter((pl.col("n") == 1) & pl.col("atasan").is_not_null())
        .group_by("atasan")
        .agg(pl.len().cast(pl.UInt32).alias("guru_tertahan"))
    )
    blockers = (
        waits.group_by(pl.col("selesai_oleh").alias("atasan"))
        .agg(pl.col("nip").n_unique().cast(pl.UInt32).alias("guru_menunggu"))
        .join(only, on="atasan", how="left")
        .with_columns(pl.col("guru_tertahan").fill_null(0))
        .join(names, on="atasan", how="left")
        .filter(pl.col("status_atasan").ne_missing(Status.TERSINKRON.value))
        .sort(["guru_menunggu", "atasan"], descending=[True, False])
        .select("atasan", "nama", "npsn", "status_atasan", "guru_tertahan", "guru_menunggu")
    )
    return Recap(peg.height, by_status, by_code, by_school, by_actor, blockers)

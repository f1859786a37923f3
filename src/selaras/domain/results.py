"""What a check and a sync produce, as data frames (one definition shared by all layers)."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

import polars as pl


class Flow(StrEnum):
    """The sync flows of e-Kinerja."""

    SKP = "skp"
    PENILAIAN = "penilaian"
    TAHUNAN = "tahunan"  # the year's rating and its angka kredit (annual.md)


class Status(StrEnum):
    """A pegawai's state for one flow (snapshot.md)."""

    SIAP = "SIAP"
    GAGAL = "GAGAL"
    TERSINKRON = "TERSINKRON"


class Outcome(StrEnum):
    """What a sync did for one pegawai."""

    BARU = "BARU"  # new e-Kinerja data written (new SKP, or new assessment data)
    DIPERBARUI = "DIPERBARUI"  # an existing synced SKP updated from changed PMM data
    TIDAK_BERUBAH = "TIDAK_BERUBAH"  # already equal: nothing written (flow SKP)
    SAMA = "SAMA"  # already equal: nothing sent (flow PENILAIAN)
    GAGAL = "GAGAL"  # errors: nothing written


PEGAWAI_SCHEMA: dict[str, pl.DataType] = {
    "nip": pl.String(),
    "nama": pl.String(),
    "instansi_id": pl.String(),
    "unor_id": pl.String(),
    "npsn": pl.String(),  # school of the pegawai's current SIASN unit, when matched
    "kepala_sekolah": pl.Boolean(),
    "status": pl.String(),
}
"""One row per pegawai in scope."""

ERROR_SCHEMA: dict[str, pl.DataType] = {
    "nip": pl.String(),
    "code": pl.String(),
    "urutan": pl.Int64(),  # fix-first order of the code (errors.md), lower first
    "pmm_skp_id": pl.String(),  # the SKP the error is about, for SKP-level errors
    "detail": pl.String(),  # JSON object with the values from each system
    "selesai_oleh": pl.String(),  # NIP whose ready sync will clear this error, if any
}
"""One row per error that holds."""


@dataclass
class CheckResult:
    """The outcome of checking the pegawai in scope for one year and one flow."""

    tahun: int
    flow: Flow
    pegawai: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=PEGAWAI_SCHEMA))
    errors: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=ERROR_SCHEMA))
    tahunan: pl.DataFrame | None = None
    """Flow TAHUNAN only: each pegawai's rating and angka kredit (:data:`TAHUNAN_SCHEMA`)."""

    @classmethod
    def concat(cls, tahun: int, flow: Flow, results: list[CheckResult]) -> CheckResult:
        """One result holding the pegawai and errors of ``results`` (parts of one batch)."""
        if not results:
            return cls(tahun, flow)
        extra = [r.tahunan for r in results if r.tahunan is not None]
        return cls(
            tahun,
            flow,
            pl.concat([r.pegawai for r in results], how="vertical_relaxed"),
            pl.concat([r.errors for r in results], how="vertical_relaxed"),
            pl.concat(extra, how="vertical_relaxed") if extra else None,
        )

    def status_counts(self) -> dict[str, int]:
        """How many pegawai have each status."""
        counts = self.pegawai.group_by("status").len()
        return {row["status"]: row["len"] for row in counts.iter_rows(named=True)}


TAHUNAN_SCHEMA: dict[str, pl.DataType] = {
    "nip": pl.String(),
    "predikat": pl.String(),  # the year's rating in PMM, when set
    "angka_kredit": pl.Float64(),  # the credit it gives; null when it cannot be computed
}
"""One row per pegawai of a flow TAHUNAN check."""

OUTCOME_SCHEMA: dict[str, pl.DataType] = {
    "nip": pl.String(),
    "hasil": pl.String(),  # an Outcome
}


@dataclass
class EkinerjaChanges:
    """Rows a sync writes to e-Kinerja: full rows to insert or update, keys of rows to delete.

    ``upserts[table]`` has every column of the contract table; ``deletes[table]`` only its key
    columns. Applying the same changes twice gives the same state (idempotent).
    """

    upserts: dict[str, pl.DataFrame] = field(default_factory=dict)
    deletes: dict[str, pl.DataFrame] = field(default_factory=dict)

    @classmethod
    def union(cls, parts: list[EkinerjaChanges]) -> EkinerjaChanges:
        """The changes of ``parts`` that touch disjoint rows, as one set of changes."""

        def gather(attr: str) -> dict[str, pl.DataFrame]:
            names = {n for p in parts for n in getattr(p, attr)}
            return {n: pl.concat([getattr(p, attr)[n] for p in parts if n in getattr(p, attr)]) for n in names}

        return cls(upserts=gather("upserts"), deletes=gather("deletes"))

    def is_empty(self) -> bool:
        return all(df.height == 0 for df in (*self.upserts.values(), *self.deletes.values()))

    def row_counts(self) -> dict[str, tuple[int, int]]:
        """(upserted, deleted) rows per table."""
        names = set(self.upserts) | set(self.deletes)
        return {
            n: (
                self.upserts[n].height if n in self.upserts else 0,
                self.deletes[n].height if n in self.deletes else 0,
            )
            for n in sorted(names)
        }


@dataclass
class SyncResult:
    """A sync run: the final check of every pegawai, what happened to each, what was written."""

    check: CheckResult
    outcomes: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=OUTCOME_SCHEMA))
    changes: EkinerjaChanges = field(default_factory=EkinerjaChanges)


def add_errors(result: CheckResult, errors: pl.DataFrame, pegawai: pl.DataFrame | None = None) -> CheckResult:
    """``result`` with ``errors`` (columns nip, code, detail; optionally pmm_skp_id) added.

    For the errors a system raises outside the rules (SYS-01, SYS-02): each named pegawai
    becomes GAGAL; one not in ``result`` is taken from ``pegawai`` (PEGAWAI_SCHEMA columns).
    Errors keep the fix-first order per pegawai.
    """
    from selaras.catalogue.codes import CATALOGUE

    if not errors.height:
        return result
    rank = {c: e.urutan for c, e in CATALOGUE.items()}
    new = errors.select(
        pl.col("nip").cast(pl.String),
        pl.col("code").cast(pl.String),
        pl.col("code").replace_strict(rank, return_dtype=pl.Int64).alias("urutan"),
        (pl.col("pmm_skp_id") if "pmm_skp_id" in errors.columns else pl.lit(None)).cast(pl.String).alias("pmm_skp_id"),
        pl.col("detail").cast(pl.String),
        pl.lit(None, pl.String).alias("selesai_oleh"),
    )
    named = new["nip"].unique()
    rows = result.pegawai
    if pegawai is not None:
        extra = pegawai.filter(pl.col("nip").is_in(named.implode()) & ~pl.col("nip").is_in(rows["nip"].implode()))
        rows = pl.concat([rows, extra.select(list(PEGAWAI_SCHEMA)).cast(PEGAWAI_SCHEMA)], how="vertical_relaxed")
    rows = rows.with_columns(
        pl.when(pl.col("nip").is_in(named.implode()))
        .then(pl.lit(Status.GAGAL.value))
        .otherwise("status")
        .alias("status")
    )
    errs = (
        pl.concat([result.errors.select(list(ERROR_SCHEMA)), new], how="vertical_relaxed")
        .with_row_index("_pos")
        .sort("nip", "urutan", "_pos")
        .drop("_pos")
    )
    return CheckResult(result.tahun, result.flow, rows, errs)

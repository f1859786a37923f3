"""Running the rules: every registered rule of a flow over the scope, then the status of each
pegawai and whose ready sync will clear a waiting error (``selesai_oleh``)."""

from __future__ import annotations

from collections.abc import Collection, Iterator
from dataclasses import dataclass

import polars as pl

from selaras.catalogue.codes import CATALOGUE
from selaras.domain.diagnosis import BELUM_DI_SKP_ATASAN, WAITING_CODES
from selaras.domain.partition import PART_PEGAWAI, parts
from selaras.domain.pimpinan import Kebijakan, ada_data_tugas
from selaras.domain.results import ERROR_SCHEMA, PEGAWAI_SCHEMA, TAHUNAN_SCHEMA, CheckResult, Flow, Status
from selaras.domain.rules.common import ERR_COLS, scope
from selaras.domain.rules.penilaian import PenilaianContext, periodic_setup
from selaras.domain.rules.registry import rules_of
from selaras.domain.rules.skp_context import SkpContext
from selaras.domain.rules.tahunan import TahunanContext
from selaras.domain.snapshot import Snapshot


@dataclass
class Evaluation:
    """Everything one check computed; the sync plan reads the same frames.

    ``pegawai``: the scope with status; ``errors``: every error that holds; ``targets``: the
    SKPs the check looked at, with their unit, period and superior; ``rhk``: the PMM RHK of
    those SKPs with the principal's e-Kinerja RHK each one links to.
    """

    tahun: int
    flow: Flow
    pegawai: pl.DataFrame
    errors: pl.DataFrame
    targets: pl.DataFrame
    rhk: pl.DataFrame
    penilaian: pl.DataFrame
    tahunan: pl.DataFrame | None = None
    """Flow TAHUNAN: each pegawai's rating and credit (:data:`TAHUNAN_SCHEMA`)."""

    def result(self) -> CheckResult:
        return CheckResult(
            tahun=self.tahun,
            flow=self.flow,
            pegawai=self.pegawai.select(list(PEGAWAI_SCHEMA)),
            errors=self.errors.select(list(ERROR_SCHEMA)),
            tahunan=None if self.tahunan is None else self.tahunan.select(list(TAHUNAN_SCHEMA)),
        )


def check(
    snapshot: Snapshot,
    tahun: int,
    flow: Flow = Flow.SKP,
    nips: Collection[str] | None = None,
    instansi_id: str | None = None,
    part_size: int = PART_PEGAWAI,
    kebijakan: Kebijakan | None = None,
) -> CheckResult:
    """Check the pegawai in scope (all, or only ``nips`` / one instansi) for ``tahun``.

    A large batch is evaluated in parts of whole instansi (:mod:`selaras.domain.partition`),
    which bounds memory; the rules are the same for every part. ``kebijakan``: the check date
    and the instansi's Plt settings (default: today in WIB, the defaults).
    """
    return CheckResult.concat(
        tahun, flow, list(check_parts(snapshot, tahun, flow, nips, instansi_id, part_size, kebijakan))
    )


def check_parts(
    snapshot: Snapshot,
    tahun: int,
    flow: Flow = Flow.SKP,
    nips: Collection[str] | None = None,
    instansi_id: str | None = None,
    part_size: int = PART_PEGAWAI,
    kebijakan: Kebijakan | None = None,
) -> Iterator[CheckResult]:
    """:func:`check`, one part of whole instansi at a time: a caller that writes each part's
    result out before asking for the next never holds the whole batch's result."""
    kebijakan = kebijakan or Kebijakan()
    for p in parts(snapshot, nips, instansi_id, part_size):
        yield evaluate(p.snapshot, tahun, flow, p.nips, instansi_id, kebijakan=kebijakan).result()


def evaluate(
    snapshot: Snapshot,
    tahun: int,
    flow: Flow = Flow.SKP,
    nips: Collection[str] | None = None,
    instansi_id: str | None = None,
    synced: pl.Series | None = None,
    kebijakan: Kebijakan | None = None,
) -> Evaluation:
    """Evaluate every rule of ``flow`` for the pegawai in scope; see :class:`Evaluation`.

    ``synced``: NIPs a sync has just written on ``snapshot`` (so TERSINKRON), whose readiness
    a teacher's error need not check again (the second round of a sync)."""
    sc = scope(snapshot, tahun, nips, instansi_id)
    if flow is Flow.SKP:
        return _evaluate_skp(SkpContext(snapshot, tahun, sc, nips, synced, kebijakan or Kebijakan()))
    if flow is Flow.TAHUNAN:
        return _evaluate_tahunan(TahunanContext(snapshot, tahun, sc))
    return _evaluate_penilaian(PenilaianContext(snapshot, tahun, sc))


def _run(flow: Flow, context: object) -> pl.DataFrame:
    return pl.concat([r.decide(context).select(ERR_COLS) for r in rules_of(flow)], how="vertical")


def _evaluate_skp(c: SkpContext) -> Evaluation:
    errors = _run(Flow.SKP, c)
    pegawai = _with_status(c.pegawai, errors, _synced_skp(c.s, c.targets, c.rhk))
    if ada_data_tugas(c.s):
        # leaders.md: a pegawai is shown as a leader when leading the school of an SKP (a Plt
        # included; not a principal whose duty has ended); without an SKP, as Dapodik says.
        lead = c.targets.group_by("nip").agg(pl.col("kepala_sekolah").any().alias("_memimpin"))
        pegawai = (
            pegawai.join(lead, on="nip", how="left")
            .with_columns(pl.coalesce("_memimpin", "kepala_sekolah").alias("kepala_sekolah"))
            .drop("_memimpin")
        )
    errors = _ordered(_selesai_oleh(c, errors, pegawai))
    return Evaluation(c.tahun, Flow.SKP, pegawai, errors, c.targets, c.rhk, pl.DataFrame())


def _selesai_oleh(c: SkpContext, errors: pl.DataFrame, pegawai: pl.DataFrame) -> pl.DataFrame:
    """Name, on a teacher's PMM-11 / PMM-13, the superior D whose ready sync will clear it.

    Only when D is SIAP (never GAGAL, never already TERSINKRON): PMM-11 then clears once D syncs;
    PMM-13 only when every unlinked RHK is BELUM_DI_SKP_ATASAN (the other causes are the
    teacher's own plan, which no sync of D fixes).
    """
    waiting = errors.filter(pl.col("code").is_in(WAITING_CODES))
    if waiting.height == 0:
        return errors
    atasan = waiting["atasan"].drop_nulls().unique()
    status = pegawai.filter(pl.col("nip").is_in(atasan.implode())).select("nip", "status")
    missing = atasan.filter(~atasan.is_in(status["nip"].implode()))
    if c.synced is not None:
        # Just synced, so not SIAP: never the one to wait on, and not worth a check of its own.
        missing = missing.filter(~missing.is_in(c.synced.implode()))
    if missing.len() and c.nips is not None:
        # The button checks one teacher; the superior's readiness needs the superior's check.
        extra = evaluate(c.s, c.tahun, Flow.SKP, missing.to_list(), kebijakan=c.kebijakan).pegawai.select(
            "nip", "status"
        )
        status = pl.concat([status, extra])
    ready = status.filter(pl.col("status") == Status.SIAP.value).select(
        pl.col("nip").alias("atasan"), pl.lit(True).alias("siap")
    )
    only_d = c.unlinked.group_by("pmm_skp_id").agg(
        (pl.col("alasan") == BELUM_DI_SKP_ATASAN).all().alias("hanya_atasan")
    )
    marked = (
        errors.join(ready, on="atasan", how="left")
        .join(only_d, on="pmm_skp_id", how="left")
        .with_columns(
            pl.when(
                pl.col("siap").fill_null(False)
                & (
                    (pl.col("code") == "PMM-11")
                    | ((pl.col("code") == "PMM-13") & pl.col("hanya_atasan").fill_null(False))
                )
            )
            .then(pl.col("atasan"))
            .otherwise(pl.col("selesai_oleh"))
            .alias("selesai_oleh")
        )
    )
    return marked.select(ERR_COLS)


def _synced_skp(s: Snapshot, t: pl.DataFrame, rhk: pl.DataFrame) -> pl.DataFrame:
    """NIPs whose every target SKP already equals its e-Kinerja SKP (the TERSINKRON test)."""
    ek = (
        s["ekinerja_skp"]
        .filter((pl.col("sumber") == "PMM") & pl.col("pmm_skp_id").is_not_null())
        .sort("pmm_skp_id", "skp_id")
        .unique("pmm_skp_id", keep="first", maintain_order=True)
        .select(
            "pmm_skp_id",
            "skp_id",
            pl.col("nip").alias("ek_nip"),
            pl.col("periode_id").alias("ek_periode"),
            pl.col("unor_id").alias("ek_unor"),
            pl.col("atasan_nip").alias("ek_atasan"),
        )
    )
    skp_ok = (
        t.select("nip", "pmm_skp_id", "periode_id", "skp_unor_id", "atasan_ek")
        .join(ek, on="pmm_skp_id", how="left")
        .with_columns(
            (
                pl.col("skp_id").is_not_null()
                & pl.col("ek_nip").eq_missing(pl.col("nip"))
                & pl.col("ek_periode").eq_missing(pl.col("periode_id"))
                & pl.col("ek_unor").eq_missing(pl.col("skp_unor_id"))
                & pl.col("ek_atasan").eq_missing(pl.col("atasan_ek"))
            ).alias("skp_ok")
        )
    )
    ek_rhk = (
        s["ekinerja_rhk"]
        .filter(pl.col("pmm_rhk_id").is_not_null())
        .select("skp_id", "pmm_rhk_id", pl.col("uraian").alias("ek_uraian"), pl.col("induk_rhk_id").alias("ek_induk"))
    )
    linked = skp_ok.select("pmm_skp_id", "skp_id").filter(pl.col("skp_id").is_not_null())
    want = (
        rhk.select("pmm_skp_id", "pmm_rhk_id", "uraian", "induk_rhk_id")
        .join(linked, on="pmm_skp_id", how="inner")
        .join(ek_rhk, on=["skp_id", "pmm_rhk_id"], how="left")
        .with_columns(
            (
                pl.col("ek_uraian").eq_missing(pl.col("uraian"))
                & pl.col("ek_induk").eq_missing(pl.col("induk_rhk_id"))
                & pl.col("ek_uraian").is_not_null()
            ).alias("rhk_ok")
        )
    )
    rhk_counts = want.group_by("pmm_skp_id").agg(pl.col("rhk_ok").all().alias("all_ok"), pl.len().alias("n_want"))
    have = (
        ek_rhk.select("skp_id")
        .join(linked, on="skp_id", how="inner")
        .group_by("pmm_skp_id")
        .agg(pl.len().alias("n_have"))
    )
    per_skp = (
        skp_ok.select("nip", "pmm_skp_id", "skp_ok")
        .join(rhk_counts, on="pmm_skp_id", how="left")
        .join(have, on="pmm_skp_id", how="left")
        .with_columns(
            (
                pl.col("skp_ok")
                & pl.col("all_ok").fill_null(True)
                & (pl.col("n_want").fill_null(0) == pl.col("n_have").fill_null(0))
            ).alias("ok")
        )
    )
    return per_skp.group_by("nip").agg(pl.col("ok").all().alias("tersinkron"))


def _with_status(p: pl.DataFrame, errors: pl.DataFrame, synced: pl.DataFrame) -> pl.DataFrame:
    failing = errors.select("nip").unique().with_columns(pl.lit(True).alias("gagal"))
    return (
        p.join(failing, on="nip", how="left")
        .join(synced, on="nip", how="left")
        .with_columns(
            pl.when(pl.col("gagal").fill_null(False))
            .then(pl.lit(Status.GAGAL.value))
            .when(pl.col("tersinkron").fill_null(False))
            .then(pl.lit(Status.TERSINKRON.value))
            .otherwise(pl.lit(Status.SIAP.value))
            .alias("status")
        )
        .drop("gagal", "tersinkron")
    )


def _ordered(errors: pl.DataFrame) -> pl.DataFrame:
    order = pl.DataFrame(
        {"code": list(CATALOGUE), "urutan": [c.urutan for c in CATALOGUE.values()]},
        schema={"code": pl.String, "urutan": pl.Int64},
    )
    return (
        errors.join(order, on="code", how="left")
        .sort("nip", "urutan", "pmm_skp_id", nulls_last=False)
        .select(list(ERROR_SCHEMA))
    )


def _evaluate_penilaian(c: PenilaianContext) -> Evaluation:
    errors = _run(Flow.PENILAIAN, c)
    have = c.s["ekinerja_penilaian"].rename(
        {"hasil_kerja": "ek_hasil", "perilaku": "ek_perilaku", "predikat": "ek_predikat"}
    )
    nilai = (
        c.nilai.filter(pl.col("skp_id").is_not_null() & pl.col("periode_id").is_not_null())
        .join(have, on=["skp_id", "periode_id"], how="left")
        .with_columns(
            (
                pl.col("ek_hasil").eq_missing(pl.col("hasil_kerja"))
                & pl.col("ek_perilaku").eq_missing(pl.col("perilaku"))
                & pl.col("ek_predikat").eq_missing(pl.col("predikat"))
                & pl.col("ek_hasil").is_not_null()
            ).alias("sama")
        )
    )
    synced = nilai.group_by("nip").agg(pl.col("sama").all().alias("tersinkron"))
    pegawai = _with_status(c.pegawai, errors, synced)
    return Evaluation(c.tahun, Flow.PENILAIAN, pegawai, _ordered(errors), c.agreed, pl.DataFrame(), nilai)


def _evaluate_tahunan(c: TahunanContext) -> Evaluation:
    errors = _run(Flow.TAHUNAN, c)
    nilai = c.nilai
    synced = nilai.select("nip", pl.col("sama").alias("tersinkron"))
    pegawai = _with_status(c.pegawai, errors, synced)
    # The credit counts only a rating that can be recorded: none while a TAH error holds on it.
    tahunan = nilai.with_columns(
        pl.when(pl.col("nip").is_in(errors.filter(pl.col("code") == "TAH-05")["nip"].implode()))
        .then(pl.lit(None, pl.Float64))
        .otherwise(pl.col("angka_kredit"))
        .alias("angka_kredit")
    )
    return Evaluation(c.tahun, Flow.TAHUNAN, pegawai, _ordered(errors), nilai, pl.DataFrame(), pl.DataFrame(), tahunan)


def periode_problems(periode: pl.DataFrame, instansi_id: str, tahun: int) -> list[str]:
    """Why the PERIODIK setup of ``instansi_id`` for ``tahun`` in ``periode`` is not standard.

    ``periode`` holds ``ekinerja_periode`` rows (the setup as it would be after a change). The
    faults are those of PER-01 that depend on the setup alone (mixed types, a number twice, a
    number out of range), found by the same rule the check uses; empty when the setup is standard.
    """
    s = Snapshot({"ekinerja_periode": periode.filter(pl.col("instansi_id") == instansi_id)})
    setup = periodic_setup(s, tahun)
    if setup.height == 0:
        return []
    row = setup.row(0, named=True)
    problems = []
    if row["campuran"]:
        problems.append(
            f"Periode PERIODIK tahun {tahun} mencampur jenis {' dan '.join(row['tipe'])}; pakai satu jenis saja."
        )
    if row["ganda"]:
        problems.append(f"Nomor periodik dipakai lebih dari sekali: {', '.join(str(n) for n in row['ganda'])}.")
    if row["di_luar_rentang"]:
        shown = ", ".join("kosong" if n is None else str(n) for n in row["di_luar_rentang"])
        problems.append(f"Nomor periodik di luar rentang (BULANAN 1..12, TRIWULANAN 1..4) atau kosong: {shown}.")
    return problems

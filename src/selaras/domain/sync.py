"""The sync plan: what a sync writes to e-Kinerja, decided from the check's own frames.

Only SIAP pegawai are written; a pegawai is written whole (every school of the year) or not at
all. Ids of rows already synced are kept, so links from teachers' RHK to a principal's RHK
survive a re-sync; RHK made by hand (no ``pmm_rhk_id``) are left alone; nothing is duplicated.

A batch runs in rounds: principals and other SIAP pegawai first, then the teachers whose only
errors were waiting on a principal synced in the round before (``selesai_oleh``). One batch
therefore clears the dependants without anyone pressing a button again.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator

import polars as pl

from selaras.domain.partition import PART_PEGAWAI, of_pegawai, parts
from selaras.domain.pimpinan import Kebijakan
from selaras.domain.results import (
    OUTCOME_SCHEMA,
    CheckResult,
    EkinerjaChanges,
    Flow,
    Outcome,
    Status,
    SyncResult,
)
from selaras.domain.rules import Evaluation, evaluate
from selaras.domain.snapshot import TABLE, Snapshot

SKP_PREFIX = "SKP-PMM-"
RHK_PREFIX = "RHK-PMM-"
MAX_ROUNDS = 4


def sync(
    snapshot: Snapshot,
    tahun: int,
    flow: Flow = Flow.SKP,
    nips: Collection[str] | None = None,
    instansi_id: str | None = None,
    part_size: int = PART_PEGAWAI,
    kebijakan: Kebijakan | None = None,
) -> tuple[Snapshot, SyncResult]:
    """Sync everything that can be synced; return the new snapshot and what happened.

    A large batch runs in parts of whole instansi (a principal and the teachers he or she
    blocks are always in the same part); the changes of all parts are applied at the end.
    """
    results: list[SyncResult] = []
    after: Snapshot | None = None
    for p in parts(snapshot, nips, instansi_id, part_size):
        current, result = _sync_part(p.snapshot, tahun, flow, p.nips, instansi_id, kebijakan)
        after = current if p.snapshot is snapshot else None
        results.append(result)
    # Parts hold disjoint pegawai and each writes only its own pegawai's rows: a plain union.
    changes = EkinerjaChanges.union([r.changes for r in results])
    if after is None or len(results) != 1:
        after = apply(snapshot, changes)
    check = CheckResult.concat(tahun, flow, [r.check for r in results])
    outcomes = pl.concat([r.outcomes for r in results]) if results else pl.DataFrame(schema=OUTCOME_SCHEMA)
    return after, SyncResult(check=check, outcomes=outcomes, changes=changes)


def sync_by_part(
    snapshot: Snapshot,
    tahun: int,
    flow: Flow = Flow.SKP,
    nips: Collection[str] | None = None,
    instansi_id: str | None = None,
    part_size: int = PART_PEGAWAI,
    kebijakan: Kebijakan | None = None,
) -> Iterator[SyncResult]:
    """The sync of :func:`sync`, one part at a time, without building the new snapshot.

    The parts' changes touch disjoint rows: applied one after the other or all at once (their
    union, as :func:`sync` does) they give the same snapshot, so a caller that writes each part's
    changes as it comes never holds them all.
    """
    for p in parts(snapshot, nips, instansi_id, part_size):
        yield _sync_part(p.snapshot, tahun, flow, p.nips, instansi_id, kebijakan)[1]


def _sync_part(
    snapshot: Snapshot,
    tahun: int,
    flow: Flow,
    nips: Collection[str] | None,
    instansi_id: str | None,
    kebijakan: Kebijakan | None = None,
) -> tuple[Snapshot, SyncResult]:
    kebijakan = kebijakan or Kebijakan()
    ev = evaluate(snapshot, tahun, flow, nips, instansi_id, kebijakan=kebijakan)
    current = snapshot
    changes = EkinerjaChanges()
    outcomes: list[pl.DataFrame] = []
    pegawai, errors = ev.pegawai, ev.errors
    for _ in range(MAX_ROUNDS):
        step, outcome = plan(current, ev)
        current = apply(current, step)
        changes = merge(changes, step)
        outcomes.append(outcome)
        synced = outcome.filter(pl.col("hasil").is_in([Outcome.BARU, Outcome.DIPERBARUI]))["nip"]
        waiting = _waiting_on(ev, synced)
        if flow is not Flow.SKP or waiting.len() == 0:
            break
        # Checked again on their own rows and their superiors' (each superior D they waited on
        # with D's own superiors): the same result as on the whole part, without its work.
        atasan = errors.filter(pl.col("nip").is_in(waiting.implode())).get_column("selesai_oleh").drop_nulls()
        rows = of_pegawai(current, pl.concat([waiting, atasan]))
        ev = evaluate(rows, tahun, flow, waiting.to_list(), synced=synced, kebijakan=kebijakan)
        pegawai = pl.concat(
            [pegawai.filter(~pl.col("nip").is_in(waiting.implode())), ev.pegawai], how="diagonal_relaxed"
        )
        errors = pl.concat([errors.filter(~pl.col("nip").is_in(waiting.implode())), ev.errors])

    final = pl.concat(outcomes).unique("nip", keep="last", maintain_order=True)
    done = final.filter(pl.col("hasil") != Outcome.GAGAL)["nip"].implode()
    pegawai = pegawai.with_columns(
        pl.when(pl.col("nip").is_in(done))
        .then(pl.lit(Status.TERSINKRON.value))
        .otherwise(pl.col("status"))
        .alias("status")
    )
    check = Evaluation(tahun, flow, pegawai, errors, ev.targets, ev.rhk, ev.penilaian, ev.tahunan).result()
    return current, SyncResult(check=check, outcomes=final.select(list(OUTCOME_SCHEMA)), changes=changes)


def _waiting_on(ev: Evaluation, synced: pl.Series) -> pl.Series:
    """GAGAL pegawai whose every error names a sync that has just run."""
    # is_in outside the aggregation: inside it polars would evaluate it per group.
    errs = (
        ev.errors.with_columns(pl.col("selesai_oleh").is_in(synced.implode()).fill_null(False).alias("clear"))
        .group_by("nip")
        .agg(pl.col("clear").all())
    )
    return errs.filter(pl.col("clear"))["nip"]


def plan(snapshot: Snapshot, ev: Evaluation) -> tuple[EkinerjaChanges, pl.DataFrame]:
    """The e-Kinerja rows to write for the SIAP pegawai of ``ev``, and each pegawai's outcome."""
    if ev.flow is Flow.SKP:
        return _plan_skp(snapshot, ev)
    if ev.flow is Flow.TAHUNAN:
        return _plan_tahunan(ev)
    return _plan_penilaian(ev)


def _outcomes(ev: Evaluation, siap: pl.DataFrame, synced_default: Outcome) -> pl.DataFrame:
    """Outcome per pegawai: ``siap`` gives (nip, hasil) for the written ones."""
    return (
        ev.pegawai.select("nip", "status")
        .join(siap, on="nip", how="left")
        .select(
            "nip",
            pl.when(pl.col("status") == Status.GAGAL.value)
            .then(pl.lit(Outcome.GAGAL.value))
            .when(pl.col("status") == Status.TERSINKRON.value)
            .then(pl.lit(synced_default.value))
            .otherwise(pl.col("hasil"))
            .alias("hasil"),
        )
    )


def _plan_skp(s: Snapshot, ev: Evaluation) -> tuple[EkinerjaChanges, pl.DataFrame]:
    siap = ev.pegawai.filter(pl.col("status") == Status.SIAP.value).select("nip")
    t = ev.targets.join(siap, on="nip", how="inner")
    existing = (
        s["ekinerja_skp"]
        .filter(pl.col("pmm_skp_id").is_not_null() & (pl.col("sumber") == "PMM"))
        .sort("pmm_skp_id", "skp_id")
        .unique("pmm_skp_id", keep="first", maintain_order=True)
    )
    want = t.select(
        "pmm_skp_id",
        pl.col("nip"),
        "periode_id",
        pl.col("skp_unor_id").alias("unor_id"),
        pl.col("atasan_ek").alias("atasan_nip"),
    ).join(existing.select("pmm_skp_id", "skp_id"), on="pmm_skp_id", how="left")
    want = want.with_columns(
        pl.col("skp_id").is_null().alias("baru"),
        pl.coalesce("skp_id", pl.lit(SKP_PREFIX) + pl.col("pmm_skp_id")).alias("skp_id"),
        pl.lit("PMM").alias("sumber"),
    )
    skp_rows = want.select(TABLE["ekinerja_skp"].column_names)
    skp_up = skp_rows.join(existing.select(skp_rows.columns), on=skp_rows.columns, how="anti", nulls_equal=True)
    _refuse_taken_ids(
        s["ekinerja_skp"], skp_up.filter(pl.col("skp_id").str.starts_with(SKP_PREFIX)), "skp_id", "pmm_skp_id"
    )

    # Only the RHK of the SKP written are compared, kept or deleted.
    ek_rhk = s["ekinerja_rhk"].filter(
        pl.col("pmm_rhk_id").is_not_null() & pl.col("skp_id").is_in(want.get_column("skp_id").implode())
    )
    rhk_want = (
        ev.rhk.join(want.select("pmm_skp_id", "skp_id"), on="pmm_skp_id", how="inner")
        .join(ek_rhk.select("skp_id", "pmm_rhk_id", "rhk_id"), on=["skp_id", "pmm_rhk_id"], how="left")
        .with_columns(pl.coalesce("rhk_id", pl.lit(RHK_PREFIX) + pl.col("pmm_rhk_id")).alias("rhk_id"))
        .select(TABLE["ekinerja_rhk"].column_names)
    )
    rhk_up = rhk_want.join(ek_rhk.select(rhk_want.columns), on=rhk_want.columns, how="anti", nulls_equal=True)
    _refuse_taken_ids(
        s["ekinerja_rhk"], rhk_up.filter(pl.col("rhk_id").str.starts_with(RHK_PREFIX)), "rhk_id", "pmm_rhk_id"
    )
    rhk_del = (
        ek_rhk.join(want.select("skp_id"), on="skp_id", how="inner")
        .join(rhk_want.select("rhk_id"), on="rhk_id", how="anti")
        .select("rhk_id")
    )

    baru = (
        want.group_by("nip")
        .agg(pl.col("baru").any())
        .select(
            "nip",
            pl.when(pl.col("baru"))
            .then(pl.lit(Outcome.BARU.value))
            .otherwise(pl.lit(Outcome.DIPERBARUI.value))
            .alias("hasil"),
        )
    )
    changes = EkinerjaChanges(
        upserts={"ekinerja_skp": skp_up, "ekinerja_rhk": rhk_up},
        deletes={"ekinerja_rhk": rhk_del},
    )
    return changes, _outcomes(ev, baru, Outcome.TIDAK_BERUBAH)


def _refuse_taken_ids(table: pl.DataFrame, new: pl.DataFrame, key: str, source: str) -> None:
    """A new id must not already name a different row (e.g. one typed by hand)."""
    clash = new.join(table.select(key, pl.col(source).alias("_other")), on=key, how="inner").filter(
        ~pl.col("_other").eq_missing(pl.col(source))
    )
    if clash.height:
        raise ValueError(f"id {clash[key][0]} sudah dipakai baris lain di e-Kinerja; sinkron dihentikan")


def _plan_penilaian(ev: Evaluation) -> tuple[EkinerjaChanges, pl.DataFrame]:
    siap = ev.pegawai.filter(pl.col("status") == Status.SIAP.value).select("nip")
    rows = ev.penilaian.join(siap, on="nip", how="inner").filter(~pl.col("sama"))
    up = rows.select(TABLE["ekinerja_penilaian"].column_names)
    hasil = siap.with_columns(pl.lit(Outcome.BARU.value).alias("hasil"))
    return EkinerjaChanges(upserts={"ekinerja_penilaian": up}), _outcomes(ev, hasil, Outcome.SAMA)


def _plan_tahunan(ev: Evaluation) -> tuple[EkinerjaChanges, pl.DataFrame]:
    """The year's rating of each SIAP pegawai, written with ``sumber`` PMM.

    A SIAP pegawai has no TAH-06, so the row replaced is never a different MANUAL rating; the
    time of writing (``disinkron``) is set by the caller that knows the clock."""
    siap = ev.pegawai.filter(pl.col("status") == Status.SIAP.value).select("nip")
    rows = ev.targets.join(siap, on="nip", how="inner").filter(~pl.col("sama"))
    up = rows.select(
        "nip",
        pl.lit(ev.tahun, pl.Int64).alias("tahun"),
        "predikat",
        "penilai_nip",
        pl.lit("PMM").alias("sumber"),
        pl.lit(None, pl.String).alias("disinkron"),
    ).select(TABLE["ekinerja_predikat"].column_names)
    hasil = siap.with_columns(pl.lit(Outcome.BARU.value).alias("hasil"))
    return EkinerjaChanges(upserts={"ekinerja_predikat": up}), _outcomes(ev, hasil, Outcome.SAMA)


def apply(snapshot: Snapshot, changes: EkinerjaChanges) -> Snapshot:
    """The snapshot with ``changes`` written: deleted keys gone, upserted rows in place."""
    frames = {}
    for name in set(changes.upserts) | set(changes.deletes):
        df = snapshot[name]
        stay = staying(df, name, changes)
        if stay is not None:
            df = df.filter(stay)
        if name in changes.upserts and changes.upserts[name].height:
            df = pl.concat([df, changes.upserts[name].select(df.columns)])
        frames[name] = df
    return snapshot.replace(**frames)


def staying(
    old: pl.DataFrame, name: str, changes: EkinerjaChanges, hashes: pl.Series | None = None
) -> pl.Series | None:
    """Which rows of table ``name``'s ``old`` frame stay (True) when ``changes`` are applied:
    those whose key is neither deleted nor upserted; None when all stay.

    The new table is the staying old rows and then the upserts: a writer can write it a slice
    at a time (``old.slice(...).filter(stay.slice(...))``) without building it whole.
    ``hashes`` (:func:`key_hashes` of ``old``), for a caller asking of one large table again and
    again: only the rows whose key hash is among the changed keys' are then compared.
    """
    key = list(TABLE[name].key)
    gone = [
        frame.select(key)
        for frame in (changes.deletes.get(name), changes.upserts.get(name))
        if frame is not None and frame.height
    ]
    if not gone:
        return None
    keys = pl.concat(gone)
    # Positions, not a join of the rows: only the key columns are hashed, once.
    rows = old.select(key).with_row_index("_i")
    if hashes is not None:
        rows = rows.filter(hashes.is_in(keys.hash_rows().implode()))
    drop = rows.join(keys, on=key, how="semi").get_column("_i")
    return pl.repeat(True, old.height, eager=True).scatter(drop, False)


def key_hashes(old: pl.DataFrame, name: str) -> pl.Series:
    """A hash of each row's key of table ``name`` (for :func:`staying`)."""
    return old.select(TABLE[name].key).hash_rows()


def merge(first: EkinerjaChanges, then: EkinerjaChanges) -> EkinerjaChanges:
    """One set of changes equal to applying ``first`` and then ``then``."""
    upserts, deletes = dict(first.upserts), dict(first.deletes)
    for name in set(then.upserts) | set(then.deletes):
        key = list(TABLE[name].key)
        up = then.upserts.get(name)
        de = then.deletes.get(name)
        if name in upserts and de is not None:
            upserts[name] = upserts[name].join(de.select(key), on=key, how="anti")
        if up is not None:
            old = upserts.get(name)
            upserts[name] = up if old is None else pl.concat([old.join(up.select(key), on=key, how="anti"), up])
            if name in deletes:
                deletes[name] = deletes[name].join(up.select(key), on=key, how="anti")
        if de is not None:
            old = deletes.get(name)
            deletes[name] = de.select(key) if old is None else pl.concat([old, de.select(key)]).unique()
    return EkinerjaChanges(upserts=upserts, deletes=deletes)

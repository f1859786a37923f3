"""Check and sync from the store: one part of the batch per transaction, planned inside it.

Each part is one unit of work (``selaras.store.uow.run``): under the data lock it reads the
part's snapshot, computes the check or the sync plan on it, writes the e-Kinerja changes,
the run (``sync_run``, ``sync_log`` with its errors, ``sync_state``) and whatever the caller
adds in the same transaction (the jobs: finishing the jobs, the notices, the cascade), and
commits. A part is written whole or not at all; a part committed stays committed when a later
one fails, and running the command again goes on from there (a second sync of synced data
writes nothing and logs TIDAK_BERUBAH).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Generic, TypeVar

import polars as pl

from selaras.domain.partition import PART_PEGAWAI, SNAPSHOT_PART_PEGAWAI
from selaras.domain.pimpinan import Kebijakan, hari_ini
from selaras.domain.results import OUTCOME_SCHEMA, CheckResult, EkinerjaChanges, Flow, SyncResult
from selaras.domain.rules import check as run_check
from selaras.domain.rules import check_parts
from selaras.domain.snapshot import Snapshot
from selaras.domain.sync import sync as run_sync
from selaras.domain.sync import sync_by_part
from selaras.sources.writer import SnapshotWriter
from selaras.store import uow
from selaras.store.changes import apply_changes
from selaras.store.database import Store
from selaras.store.generasi import generation
from selaras.store.logs import record_run
from selaras.store.parts import PartPlan, load_part, plan_parts

T = TypeVar("T")

Claim = Callable[[uow.UnitOfWork], Collection[str]]
"""Called first in a part's transaction: the NIPs the part may still work on (the jobs:
those whose job is still leased to this worker, now locked)."""
After = Callable[[uow.UnitOfWork, SyncResult, int], T]
"""Called last in a part's transaction with the part's result and ``run_id``."""


@dataclass
class Report(Generic[T]):
    """What a check or sync of the store did, over all its parts."""

    check: CheckResult
    outcomes: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=OUTCOME_SCHEMA))
    written: dict[str, tuple[int, int]] = field(default_factory=dict)
    run_ids: list[int] = field(default_factory=list)
    extra: list[T] = field(default_factory=list)
    catatan: list[str] = field(default_factory=list)
    """What a person must know about the run (an import that landed between its parts)."""


def part_size(default: int = PART_PEGAWAI) -> int:
    """Pegawai per part of a batch (``$SELARAS_PART_PEGAWAI``, else ``default``: ``PART_PEGAWAI``
    read from the store, ``SNAPSHOT_PART_PEGAWAI`` checked or synced from files): lower it to
    bound memory further, or to test the parts on small data."""
    return int(os.environ.get("SELARAS_PART_PEGAWAI") or default)


def sync_store(
    store: Store,
    *,
    flow: Flow,
    tahun: int,
    pelaku: str,
    nips: Collection[str] | None = None,
    instansi_id: str | None = None,
    size: int | None = None,
    claim: Claim | None = None,
    after: After[T] | None = None,
    progress: Callable[[str], None] | None = None,
    tanggal: date | None = None,
) -> Report[T]:
    """Sync (principals first, then their teachers) what is ready in the store, part by part.

    Raises :class:`selaras.store.uow.InfrastructureError` when the store fails; its message
    says how many parts were kept before. ``tanggal``: the check date (leaders.md; default
    today in the instansi's zone).
    """
    return _run_parts(
        store, "SYNC", flow, tahun, pelaku, nips, instansi_id, size, claim, after, progress, tanggal=tanggal
    )


def check_store(
    store: Store,
    *,
    flow: Flow,
    tahun: int,
    pelaku: str,
    nips: Collection[str] | None = None,
    instansi_id: str | None = None,
    size: int | None = None,
    progress: Callable[[str], None] | None = None,
    tanggal: date | None = None,
) -> Report[None]:
    """Check the store's pegawai part by part; each part's result logged (mode CHECK).
    ``tanggal``: the check date (leaders.md; default today in the instansi's zone)."""
    return _run_parts(
        store, "CHECK", flow, tahun, pelaku, nips, instansi_id, size, None, None, progress, tanggal=tanggal
    )


def kebijakan_of(store: Store, tanggal: date | None = None, instansi_id: str | None = None) -> Kebijakan:
    """The check date (``tanggal``, else today in the instansi's zone, WIB for several) and
    every instansi's Plt settings, read from the store."""
    from selaras.catalogue.dates import ZONA
    from selaras.store import reads

    if tanggal is None:
        tanggal = hari_ini(ZONA.get(reads.zona_of(store, instansi_id), 7))
    return Kebijakan(tanggal, reads.plt_setelan(store))


def sync_snapshot(
    snapshot: Snapshot,
    out: Path,
    *,
    flow: Flow,
    tahun: int,
    nips: Collection[str] | None = None,
    size: int | None = None,
    progress: Callable[[str], None] | None = None,
    tanggal: date | None = None,
) -> Report[None]:
    """Sync a snapshot read from files (no store) and write the synced snapshot to ``out``
    (a CSV folder or a workbook); what happened (:func:`sync_snapshot_parts`, gathered)."""
    results = sync_snapshot_parts(
        snapshot, out, flow=flow, tahun=tahun, nips=nips, size=size, progress=progress, tanggal=tanggal
    )
    return _gathered(Report(CheckResult(tahun, flow)), results)


def sync_snapshot_parts(
    snapshot: Snapshot,
    out: Path,
    *,
    flow: Flow,
    tahun: int,
    nips: Collection[str] | None = None,
    size: int | None = None,
    progress: Callable[[str], None] | None = None,
    tanggal: date | None = None,
) -> Iterator[SyncResult]:
    """The sync of a snapshot read from files, one part's result at a time; ``out`` is written
    when the last part has been taken (a caller that stops early leaves ``out`` as it was).

    The sync runs part by part (``size`` pegawai, default ``SNAPSHOT_PART_PEGAWAI``); each part's
    changes go to the writer as they come, which keeps only their upserted rows' text on disk
    and which old rows stay, so neither all the changes nor the new tables are held in memory
    (see :class:`selaras.sources.writer.SnapshotWriter`). ``out`` appears only once complete. A
    caller that keeps only what it shows of each part (counts, lines on disk) never holds the
    results of a national batch at once.
    """
    flow = Flow(flow)
    with SnapshotWriter(snapshot, out) as writer:
        size = size or part_size(SNAPSHOT_PART_PEGAWAI)
        kebijakan = Kebijakan(tanggal or hari_ini())
        for i, r in enumerate(sync_by_part(snapshot, tahun, flow, nips=nips, part_size=size, kebijakan=kebijakan), 1):
            if progress:
                progress(f"menyinkronkan bagian {i}")
            r.changes = stamped(r.changes)
            writer.add(r.changes)
            yield r
        if progress:
            progress(f"menulis {out}")


def stamped(changes: EkinerjaChanges, now: datetime | None = None) -> EkinerjaChanges:
    """``changes`` with the time of writing on the annual ratings they write (``disinkron``:
    the domain plans without a clock)."""
    rows = changes.upserts.get("ekinerja_predikat")
    if rows is None or rows.height == 0:
        return changes
    when = (now or datetime.now(UTC)).isoformat(timespec="seconds")
    upserts = {**changes.upserts, "ekinerja_predikat": rows.with_columns(pl.lit(when).alias("disinkron"))}
    return EkinerjaChanges(upserts=upserts, deletes=changes.deletes)


def _gathered(report: Report[T], results: Iterable[SyncResult]) -> Report[T]:
    """``report`` with the checks, outcomes and written rows of every part in ``results``."""
    checks: list[CheckResult] = []
    outcomes: list[pl.DataFrame] = []
    for r in results:
        checks.append(r.check)
        outcomes.append(r.outcomes)
        count_written(report, r.changes)
    report.check = CheckResult.concat(report.check.tahun, report.check.flow, checks)
    if outcomes:
        report.outcomes = pl.concat(outcomes)
    return report


def count_written(report: Report[T], changes: EkinerjaChanges) -> None:
    """Add the rows ``changes`` upsert and delete to ``report.written``."""
    for table, (up, de) in changes.row_counts().items():
        done = report.written.get(table, (0, 0))
        report.written[table] = (done[0] + up, done[1] + de)


def check_snapshot(
    snapshot: Snapshot,
    *,
    flow: Flow,
    tahun: int,
    nips: Collection[str] | None = None,
    instansi_id: str | None = None,
    tanggal: date | None = None,
) -> CheckResult:
    """Check a snapshot read from files (nothing logged); ``tanggal``: the check date
    (default today in WIB), the Plt settings their defaults."""
    return run_check(
        snapshot,
        tahun,
        flow,
        nips=nips,
        instansi_id=instansi_id,
        part_size=part_size(SNAPSHOT_PART_PEGAWAI),
        kebijakan=Kebijakan(tanggal or hari_ini()),
    )


def check_snapshot_parts(
    snapshot: Snapshot,
    *,
    flow: Flow,
    tahun: int,
    nips: Collection[str] | None = None,
    tanggal: date | None = None,
) -> Iterator[CheckResult]:
    """:func:`check_snapshot` part by part (parts of whole instansi), for output that is
    written as it comes: a national check then never holds every pegawai's result at once."""
    return check_parts(
        snapshot,
        tahun,
        flow,
        nips=nips,
        part_size=part_size(SNAPSHOT_PART_PEGAWAI),
        kebijakan=Kebijakan(tanggal or hari_ini()),
    )


def _run_parts(
    store: Store,
    mode: str,
    flow: Flow,
    tahun: int,
    pelaku: str,
    nips: Collection[str] | None,
    instansi_id: str | None,
    size: int | None,
    claim: Claim | None,
    after: After[T] | None,
    progress: Callable[[str], None] | None,
    tanggal: date | None = None,
) -> Report[T]:
    flow = Flow(flow)
    kebijakan = kebijakan_of(store, tanggal, instansi_id)
    name = mode.lower()
    run_ids: list[int] = []
    extra: list[T] = []
    catatan: list[str] = []
    for _ in range(REPLANS + 1):
        # The plan and every part of it on one generation of the data: an import between two
        # parts ends this round (that part writes nothing) and the run starts again on the new
        # data, which the import replaced whole (the earlier parts' writes included).
        gen, plans = _planned(store, nips, instansi_id, size or part_size())
        report: Report[T] = Report(CheckResult(tahun, flow), run_ids=run_ids, extra=extra, catatan=catatan)
        try:
            return _run_plan(
                store, report, mode, name, flow, tahun, pelaku, gen, plans, claim, after, progress, kebijakan
            )
        except _Replaced as e:
            if e.done:
                verb = "disinkronkan" if mode == "SYNC" else "diperiksa"
                catatan.append(
                    f"Impor baru mengganti data setelah bagian {e.done} dari {len(plans)}: bagian itu {verb} pada "
                    f"data sebelum impor, lalu seluruh pegawai {verb} ulang pada data baru."
                )
    raise uow.InfrastructureError(
        f"Data penyimpanan diganti impor {REPLANS + 1} kali selama proses berjalan",
        "Tunggu sampai impor selesai (lihat `selaras antrean`), lalu jalankan perintah ini lagi.",
        f"{len(run_ids)} bagian yang selesai sudah tersimpan dengan lognya." if run_ids else None,
    )


REPLANS = 3
"""Times a run in parts starts again when an import replaced the data between its parts."""


class _Replaced(Exception):  # noqa: N818 - not an error: the run starts again
    """An import replaced the data after ``done`` parts of the run."""

    def __init__(self, done: int) -> None:
        super().__init__(done)
        self.done = done


def _planned(
    store: Store, nips: Collection[str] | None, instansi_id: str | None, size: int
) -> tuple[int, list[PartPlan]]:
    """The parts and the generation of the data they were planned on (read before and after:
    an import in between means planning again)."""
    while True:
        before = generation(store)
        plans = plan_parts(store, nips=nips, instansi_id=instansi_id, size=size)
        if generation(store) == before:
            return before, plans


def _run_plan(
    store: Store,
    report: Report[T],
    mode: str,
    name: str,
    flow: Flow,
    tahun: int,
    pelaku: str,
    gen: int,
    plans: list[PartPlan],
    claim: Claim | None,
    after: After[T] | None,
    progress: Callable[[str], None] | None,
    kebijakan: Kebijakan,
) -> Report[T]:
    done_parts = 0

    def part(u: uow.UnitOfWork, plan: PartPlan) -> tuple[SyncResult, int, T | None]:
        if generation(u.store) != gen:  # under the data lock: no import lands after this
            raise _Replaced(done_parts)
        only = None if claim is None else claim(u)
        p = load_part(u.store, plan, only=only)
        if mode == "SYNC":
            _, r = run_sync(p.snapshot, tahun, flow, nips=p.nips, kebijakan=kebijakan)
            r.changes = stamped(r.changes)
            apply_changes(u.store, r.changes)
        else:
            r = SyncResult(check=run_check(p.snapshot, tahun, flow, nips=p.nips, kebijakan=kebijakan))
        run_id = record_run(
            u.store, pelaku=pelaku, mode=mode, flow=flow, tahun=tahun, check=r.check, outcomes=r.outcomes
        )
        extra = after(u, r, run_id) if after is not None else None
        return r, run_id, extra

    def done() -> Iterator[SyncResult]:
        nonlocal done_parts
        for i, plan in enumerate(plans, 1):
            if progress:
                progress(f"{'menyinkronkan' if mode == 'SYNC' else 'memeriksa'} bagian {i} dari {len(plans)}")
            try:
                r, run_id, extra = uow.run(store, lambda u, plan=plan: part(u, plan), name=name, waiting=progress)
            except uow.InfrastructureError as e:
                kept = i if e.tersimpan else i - 1  # committed before its checkpoint failed
                if kept == 0 or len(plans) == 1:
                    raise
                raise e.with_kept(
                    f"{kept} dari {len(plans)} bagian {'' if e.tersimpan else 'sebelumnya '}sudah tersimpan "
                    "lengkap dengan lognya, dan menjalankan perintah ini lagi melanjutkan sisanya."
                ) from e
            done_parts = i
            report.run_ids.append(run_id)
            if extra is not None:
                report.extra.append(extra)
            yield r

    return _gathered(report, done())


def log_result(
    store: Store,
    *,
    flow: Flow,
    tahun: int,
    pelaku: str,
    check: CheckResult,
    after: After[T] | None = None,
) -> tuple[int, T | None]:
    """Log a sync that could not run (the sources failed: SYS-01/SYS-02 errors only), with
    what the caller adds, in one transaction; the ``run_id`` and the caller's result."""

    def work(u: uow.UnitOfWork) -> tuple[int, T | None]:
        run_id = record_run(u.store, pelaku=pelaku, mode="SYNC", flow=flow, tahun=tahun, check=check)
        return run_id, (after(u, SyncResult(check=check), run_id) if after is not None else None)

    return uow.run(store, work, name="sync")

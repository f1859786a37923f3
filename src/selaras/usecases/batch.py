"""What running a batch of jobs does, whichever engine runs it (the engines in ``jobs/`` are
given :func:`work_once` and :func:`scheduled_refresh` by the entry point that starts them).

For each flow and year in the batch: pull the pegawai's fresh data from the sources (when
connectors are configured), check and sync them from the store, log the result, finish the
jobs, notify the people concerned, and queue the re-check of those a cleared blocker frees.

Every step is safe to repeat: a batch cut short (a worker killed) is run again from the start
by whoever claims its jobs next, and a second sync of the same data writes nothing.
"""

from __future__ import annotations

import json
import logging
import os
import random
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import polars as pl

from selaras.catalogue import words
from selaras.domain.cascade import atasan_of, clearing_superiors
from selaras.domain.pemberitahuan import drafts_for, for_source_owners
from selaras.domain.results import PEGAWAI_SCHEMA, CheckResult, Flow, Status, SyncResult, add_errors
from selaras.jobs import queue
from selaras.jobs.queue import Alasan, Job
from selaras.store import notices
from selaras.store.database import Store
from selaras.store.logs import latest_with_status, log_entries, logged_results
from selaras.store.reads import pegawai_brief
from selaras.store.tanda import set_source_watermark, source_watermark
from selaras.store.uow import UnitOfWork
from selaras.usecases import cascade
from selaras.usecases.pemberitahuan import kirim_surel
from selaras.usecases.sync import log_result, sync_store

if TYPE_CHECKING:
    from selaras.sources.connectors import LiveSources

log = logging.getLogger("selaras.jobs")

MAX_PERCOBAAN = 8
"""Attempts of a job whose sources stay unreachable before it ends GAGAL with SYS-01."""
BACKOFF_CAP = 900.0
REFRESH_OVERLAP = timedelta(seconds=10)
"""The scheduled refresh asks again for this much before its watermark: a change committed at
a source while the previous pull was paging through later tables is not missed."""


def backoff_base() -> float:
    """Seconds before the first retry of a job that met an unreachable source
    (``$SELARAS_RETRY_BASE_SECONDS``, default 5); each next one doubles, with full jitter,
    up to 15 minutes."""
    return float(os.environ.get("SELARAS_RETRY_BASE_SECONDS", "5"))


@dataclass
class BatchReport:
    """What one batch did."""

    claimed: int = 0
    finished: int = 0
    retried: int = 0
    cascaded: int = 0
    hasil: dict[str, int] = field(default_factory=dict)


def backoff(percobaan: int, rng: random.Random | None = None) -> float:
    """Seconds to wait before attempt ``percobaan + 1`` (full jitter, as the connectors)."""
    from selaras.sources.transport import backoff_delay

    return backoff_delay(max(percobaan, 1), backoff_base(), BACKOFF_CAP, rng)


def work_once(
    store: Store, worker: str, *, limit: int = 500, sources: LiveSources | None = None, notify: bool = True
) -> BatchReport:
    """Claim up to ``limit`` runnable jobs and run them; what happened (claimed 0: queue idle)."""
    jobs = queue.claim(store, worker, limit)
    report = BatchReport(claimed=len(jobs))
    if jobs:
        run_jobs(store, worker, jobs, sources=sources, notify=notify, report=report)
    return report


def run_jobs(
    store: Store,
    worker: str,
    jobs: Sequence[Job],
    *,
    sources: LiveSources | None = None,
    notify: bool = True,
    report: BatchReport | None = None,
) -> BatchReport:
    """Run jobs already leased to ``worker``, renewing their leases while the batch works."""
    report = report or BatchReport(claimed=len(jobs))
    groups: dict[tuple[Flow, int], list[Job]] = defaultdict(list)
    for job in jobs:
        groups[(job.flow, job.tahun)].append(job)
    with queue.Heartbeat(store, worker, [j.job_id for j in jobs]):
        for (flow, tahun), group in groups.items():
            _run_group(store, worker, flow, tahun, group, sources, notify, report)
    return report


@dataclass
class _PartDone:
    """What one part's transaction did for the batch (counted once it committed)."""

    finished: list[int]
    hasil: dict[str, int]
    cascaded: int


def _run_group(
    store: Store,
    worker: str,
    flow: Flow,
    tahun: int,
    jobs: list[Job],
    sources: LiveSources | None,
    notify: bool,
    report: BatchReport,
) -> None:
    system_errors: list[dict[str, Any]] = []
    if sources is not None:
        pulled = _pull(store, worker, tahun, jobs, sources, report)
        if pulled is None:
            return
        jobs, system_errors = pulled
    parts = _sync_and_log(store, worker, flow, tahun, jobs, system_errors, notify)
    finished = {i for p in parts for i in p.finished}
    for p in parts:
        report.cascaded += p.cascaded
        for h, n in p.hasil.items():
            report.hasil[h] = report.hasil.get(h, 0) + n
    # The jobs of NIPs no run logged (not in SIASN, or not a teacher in scope).
    unknown = queue.finish(
        store,
        worker,
        [(j.job_id, None, None, words.JOB_TIDAK_DIKENAL) for j in jobs if j.job_id not in finished],
    )
    report.finished += len(finished) + len(unknown)
    if unknown:
        report.hasil["TIDAK_DIKENAL"] = report.hasil.get("TIDAK_DIKENAL", 0) + len(unknown)
    if notify and finished and os.environ.get("SELARAS_SMTP_HOST"):
        try:
            kirim_surel(store)
        except OSError:  # the notices stay in the app and are e-mailed with the next batch
            log.warning("SMTP server unreachable; notices wait for the next batch", exc_info=True)


def _pull(
    store: Store, worker: str, tahun: int, jobs: list[Job], sources: LiveSources, report: BatchReport
) -> tuple[list[Job], list[dict[str, Any]]] | None:
    """Pull the pegawai's fresh data; the jobs to run now and their system errors (SYS-01 for
    those given up on, SYS-02 for records refused), or None when every job waits to retry."""
    from selaras.sources.connectors import RealSources
    from selaras.sources.transport import SourceUnavailable
    from selaras.usecases.refresh import problems_by_nip, refresh_pegawai
    from selaras.usecases.segar import tarik_pegawai

    nips = sorted({j.nip for j in jobs})
    system_errors: list[dict[str, Any]] = []
    unavailable: dict[str, Exception] = {}
    problems: list[Any] = []
    owned_only = isinstance(sources, RealSources)
    try:
        if isinstance(sources, RealSources):
            # The real shapes: the pieces of `selaras tarik`, which also sends every refused
            # record to its source's owner. A school offline holds up its own pegawai only.
            pulled = tarik_pegawai(store, sources, nips, tahun=tahun, pelaku=f"job:{worker}")
            problems, unavailable = pulled.problems, dict(pulled.tertunda)
        else:
            problems = refresh_pegawai(store, sources, nips).problems
    except SourceUnavailable as e:
        unavailable = dict.fromkeys(nips, e)
    if unavailable:
        held = [j for j in jobs if j.nip in unavailable]
        given_up = [j for j in held if j.percobaan >= MAX_PERCOBAAN]
        for j in held:
            if j.percobaan < MAX_PERCOBAAN:
                why = f"SYS-01: {unavailable[j.nip]}"
                moved = queue.retry_later(store, worker, [j.job_id], backoff(j.percobaan), why)
                report.retried += len(moved)
        system_errors = [
            {"nip": n, "code": "SYS-01", "detail": json.dumps(_unavailable(unavailable[n]))}
            for n in sorted({j.nip for j in given_up})
        ]
        jobs = [j for j in jobs if j.nip not in unavailable] + given_up
        if not jobs:
            return None
        nips = sorted({j.nip for j in jobs})
    fresh = [n for n in nips if n not in unavailable]
    if problems and fresh:
        mine, orphans = problems_by_nip(store, problems, fresh)
        system_errors += [
            {"nip": nip, "code": "SYS-02", "detail": json.dumps(_problem(p), ensure_ascii=False)}
            for nip, found in mine.items()
            for p in found
        ]
        if not owned_only:
            _report_orphans(store, orphans)
    return jobs, system_errors


def _sync_and_log(
    store: Store,
    worker: str,
    flow: Flow,
    tahun: int,
    jobs: list[Job],
    system_errors: list[dict[str, Any]],
    notify: bool,
) -> list[_PartDone]:
    """Sync the pegawai the sources delivered and log the others' system errors, each part in
    its transaction with its jobs finished, notices and cascade; what each part did."""

    def claim(u: UnitOfWork) -> set[str]:
        held = set(queue.hold(u.store, worker, [j.job_id for j in jobs]))
        return {j.nip for j in jobs if j.job_id in held}

    def after(u: UnitOfWork, r: SyncResult, run_id: int) -> _PartDone:
        # In the part's transaction: the jobs finished, the notices and the cascade queued
        # with the sync and its log, or none of them.
        results = logged_results(u.store, [run_id])
        mine = [j for j in jobs if j.nip in results]
        done = set(queue.finish(u.store, worker, [(j.job_id, *results[j.nip], None) for j in mine]))
        finished = {j.nip: j for j in mine if j.job_id in done}
        hasil: dict[str, int] = {}
        for j in mine:
            if j.job_id in done:
                hasil[results[j.nip][1]] = hasil.get(results[j.nip][1], 0) + 1
        entries = _entries(u.store, [results[n][0] for n in finished])
        if notify and entries:
            _notify(u.store, flow, entries, finished)
        return _PartDone(sorted(done), hasil, _cascade(u.store, flow, tahun, entries, finished))

    nips = sorted({j.nip for j in jobs})
    broken = {e["nip"] for e in system_errors}
    # A pegawai the sources could not deliver is not synced from stale data: only logged.
    clean = [n for n in nips if n not in broken]
    parts: list[_PartDone] = []
    pelaku = f"job:{worker}"
    if clean:
        parts += sync_store(store, flow=flow, tahun=tahun, pelaku=pelaku, nips=clean, claim=claim, after=after).extra
    if broken:
        errors = pl.DataFrame(system_errors, schema={"nip": pl.String, "code": pl.String, "detail": pl.String})
        check = add_errors(CheckResult(tahun, flow), errors, _pegawai_rows(store, sorted(broken)))
        if check.pegawai.height:
            _, done = log_result(store, flow=flow, tahun=tahun, pelaku=pelaku, check=check, after=after)
            if done is not None:
                parts.append(done)
    return parts


def _pegawai_rows(store: Store, nips: list[str]) -> pl.DataFrame:
    known = pegawai_brief(store, nips)
    return pl.DataFrame(
        [
            {
                "nip": n,
                **{k: known.get(n, {}).get(k) for k in ("nama", "instansi_id", "unor_id")},
                "npsn": None,
                "kepala_sekolah": None,
                "status": Status.GAGAL.value,
            }
            for n in nips
        ],
        schema=PEGAWAI_SCHEMA,
    )


def _entries(store: Store, log_ids: list[int]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for i in range(0, len(log_ids), 500):
        chunk = log_ids[i : i + 500]
        out.extend(log_entries(store, log_ids=chunk, limit=len(chunk)))
    return out


def _notify(store: Store, flow: Flow, entries: list[dict[str, Any]], jobs: dict[str, Job]) -> None:
    atasan = {e2.get("selesai_oleh") or atasan_of(e2.get("detail")) for e in entries for e2 in e["errors"]}
    names = _names(store, {a for a in atasan if a})
    drafts = [
        d for e in entries for d in drafts_for(e, flow, jobs[e["nip"]].job_id if e["nip"] in jobs else None, names)
    ]
    notices.save(store, drafts)


def _names(store: Store, nips: set[str]) -> dict[str, str]:
    return {nip: p["nama"] for nip, p in pegawai_brief(store, nips).items()}


def _cascade(store: Store, flow: Flow, tahun: int, entries: list[dict[str, Any]], jobs: dict[str, Job]) -> int:
    """Queue the re-check of pegawai whom this batch freed; how many were queued."""
    if flow is not Flow.SKP:
        return 0
    synced = {e["nip"] for e in entries if e["status"] == Status.TERSINKRON.value}
    freed = set(cascade.waiting_on(store, synced)) - set(jobs)
    # A teacher checked while their principal's sync was running may have logged "waiting"
    # after that sync finished: if whom they wait on is synced by now, go again.
    waits = {
        e["nip"]: clearing_superiors(e["errors"])
        for e in entries
        if e["status"] == Status.GAGAL.value
        and jobs.get(e["nip"]) is not None
        and jobs[e["nip"]].alasan != Alasan.KASKADE.value
    }
    if waits:
        atasan = {a for w in waits.values() for a in w if a}
        now_synced = _synced(store, flow, tahun, atasan)
        freed |= {n for n, w in waits.items() if w & now_synced}
    if not freed:
        return 0
    queue.submit(store, sorted(freed), flow, tahun, alasan=Alasan.KASKADE.value, diminta_oleh="selaras")
    log.info("cascade: %d pegawai queued again", len(freed))
    return len(freed)


def _synced(store: Store, flow: Flow, tahun: int, nips: set[str]) -> set[str]:
    return latest_with_status(store, flow, tahun, nips, Status.TERSINKRON)


def _problem(p: Any) -> dict[str, Any]:
    """A SYS-02 error's detail: the record and field the source got wrong."""
    return {
        "sumber": {"nama": p.source, "tabel": p.table, "kunci": p.key, "kolom": p.field, "nilai": p.value},
        "aturan": p.rule,
    }


def _report_orphans(store: Store, orphans: Sequence[Any]) -> None:
    """Problems of records no pegawai of the batch owns go to the source's owner (SYS-02)."""
    if not orphans:
        return
    log.warning("%d records from the sources break the contract: %s", len(orphans), "; ".join(map(str, orphans[:5])))
    notices.save(store, for_source_owners(orphans))


def _unavailable(e: Exception) -> dict[str, Any]:
    return {
        "sumber": getattr(e, "source", None),
        "alasan": getattr(e, "reason", None) or str(e),
        "alamat": getattr(e, "path", None),
    }


WATERMARK = "sumber"
"""The ``sumber_tanda`` row of the scheduled refresh."""


def scheduled_refresh(store: Store, sources: LiveSources, tahun: int) -> int:
    """Pull what changed at the sources since the last pull, and queue a re-check of every
    pegawai it concerns (both flows); how many pegawai were queued. Sources in their real
    shapes are pulled as ``selaras tarik --semua`` does (``usecases.segar.tarik_terjadwal``)."""
    from datetime import datetime

    from selaras.sources.connectors import RealSources
    from selaras.usecases.refresh import refresh_changed
    from selaras.usecases.segar import tarik_terjadwal

    if isinstance(sources, RealSources):
        return tarik_terjadwal(store, sources, tahun)

    mark = source_watermark(store, WATERMARK)
    since = datetime.fromisoformat(mark) if mark else None
    result = refresh_changed(store, sources, since, overlap=REFRESH_OVERLAP)
    if result.watermark is not None:
        value = result.watermark.isoformat() if hasattr(result.watermark, "isoformat") else str(result.watermark)
        set_source_watermark(store, WATERMARK, value)
    nips = sorted(set(result.nips))
    for flow in Flow:
        queue.submit(store, nips, flow, tahun, alasan=Alasan.JADWAL.value, diminta_oleh="selaras")
    return len(nips)

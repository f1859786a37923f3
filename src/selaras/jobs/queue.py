"""The job queue, kept in the store: every sync request is a ``sync_job`` row before it is
acknowledged (the SQL is in :mod:`selaras.store.queue`).

A job is ANTRE (waiting, from ``jadwal`` on), JALAN (leased by one worker until
``sewa_sampai``) or SELESAI (its result logged: ``log_id``, ``hasil``). While a job waits, a
second request for the same pegawai, flow and year joins it instead of queuing another. A
worker that dies leaves its lease to run out; the next claim takes the job again; a worker
that lives renews its leases (:class:`Heartbeat`) however long its batch takes. A job is
finished in the transaction that syncs and logs it, and only by the worker that holds it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence

from selaras.store.database import Store
from selaras.store.queue import (
    SUBMIT_CHUNK,
    Alasan,
    Job,
    JobStatus,
    claim,
    counts,
    extend,
    finish,
    get_job,
    hold,
    jobs_of,
    lease_seconds,
    now,
    pending,
    retry_later,
    runnable,
    submit,
)

__all__ = [
    "Alasan",
    "Heartbeat",
    "Job",
    "JobStatus",
    "SUBMIT_CHUNK",
    "claim",
    "counts",
    "extend",
    "finish",
    "get_job",
    "hold",
    "jobs_of",
    "lease_seconds",
    "now",
    "pending",
    "retry_later",
    "runnable",
    "submit",
]

log = logging.getLogger("selaras.jobs")


class Heartbeat:
    """Renews a batch's leases while it runs: every third of the lease, in a thread.

    ``with Heartbeat(store, worker, job_ids): ...`` A renewal that fails (the store busy) is
    logged and tried again at the next beat.
    """

    def __init__(self, store: Store, worker: str, job_ids: Sequence[int], *, lease: float | None = None) -> None:
        self.store, self.worker, self.job_ids = store, worker, list(job_ids)
        self.lease = lease_seconds() if lease is None else lease
        self.beats = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"selaras-lease-{worker}", daemon=True)

    def __enter__(self) -> Heartbeat:
        if self.job_ids:
            self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(self.lease / 3):
            try:
                extend(self.store, self.worker, self.job_ids, lease=self.lease)
                self.beats += 1
            except Exception as e:  # noqa: BLE001 - the next beat tries again; the batch goes on
                first = (str(e).strip().splitlines() or [type(e).__name__])[0]
                log.warning("lease renewal failed (%s); trying again in %.0f s", first, self.lease / 3)

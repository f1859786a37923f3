"""The engines that run jobs: in-process threads (the embedded default) or Celery at scale.

Both persist the job first (``queue.submit``) and then wake a worker, so a request that was
acknowledged is in the store whatever happens to the process after. The in-process runner
polls too: a retry whose time came or a lease that ran out is picked up without a wake-up.

The engines know how to run, not what: the entry point that starts one gives it the batch, the
scheduled refresh and the escalation round to run (``usecases.batch``, ``usecases.eskalasi``).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from datetime import date
from typing import TYPE_CHECKING, Protocol

from selaras.domain.results import Flow
from selaras.jobs import queue
from selaras.store.database import Store
from selaras.store.uow import InfrastructureError

if TYPE_CHECKING:
    from selaras.sources.connectors import LiveSources

log = logging.getLogger("selaras.jobs")

POLL_SECONDS = 1.0


def eskalasi_every() -> float:
    """Seconds between escalation rounds in the web and beat (``$SELARAS_ESKALASI_EVERY``,
    default an hour; a round is idempotent within a day)."""
    return float(os.environ.get("SELARAS_ESKALASI_EVERY") or 3600)


def worker_name(prefix: str = "proses") -> str:
    """A name unique to this worker: host, process and a random suffix."""
    return f"{prefix}:{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


class Claimed(Protocol):
    """What an engine needs to know of a batch it ran: how many jobs it claimed (0: idle)."""

    @property
    def claimed(self) -> int:
        """Jobs the batch claimed."""
        ...


class RunBatch(Protocol):
    """Claim up to ``limit`` runnable jobs as ``worker`` and run them (``usecases.batch.work_once``)."""

    def __call__(
        self, store: Store, worker: str, *, limit: int = ..., sources: LiveSources | None = ..., notify: bool = ...
    ) -> Claimed:
        """What the batch did."""
        ...


Refresh = Callable[[Store, "LiveSources", int], int]
"""The scheduled refresh (``usecases.batch.scheduled_refresh``): pegawai queued."""
Round = Callable[[Store], int]
"""The scheduled escalation round (``usecases.eskalasi.putaran``)."""


class Dispatcher(Protocol):
    """What the web app and the CLI need of an engine."""

    def submit(self, nips: Sequence[str], flow: Flow, tahun: int, *, alasan: str, diminta_oleh: str) -> list[int]:
        """Persist one job per NIP and have it run; the job ids."""
        ...

    def wake(self) -> None:
        """Have a worker look for jobs now (after a use case committed jobs it stored itself)."""
        ...


class JobRunner:
    """Worker threads inside this process, on the store they were given."""

    def __init__(
        self,
        store: Store,
        *,
        run: RunBatch,
        refresh: Refresh | None = None,
        eskalasi: Round | None = None,
        workers: int = 1,
        sources: LiveSources | None = None,
        batch: int = 500,
        refresh_every: float | None = None,
        tahun: int | None = None,
        notify: bool = True,
        eskalasi_every: float | None = None,
    ) -> None:
        if refresh_every and refresh is None:
            raise ValueError("refresh_every needs the refresh to run (refresh=...)")
        if eskalasi_every and eskalasi is None:
            raise ValueError("eskalasi_every needs the round to run (eskalasi=...)")
        self.run, self.refresh, self.eskalasi = run, refresh, eskalasi
        self.store, self.sources, self.batch, self.notify = store, sources, batch, notify
        self.eskalasi_every = eskalasi_every
        self.refresh_every = refresh_every
        self.tahun = tahun
        self.names = [worker_name() for _ in range(max(workers, 1))]
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._busy = 0
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []

    def start(self) -> JobRunner:
        """Start the worker threads (and the scheduled refresh, when sources and a period are set)."""
        if self._threads:
            return self
        self._stop.clear()
        for name in self.names:
            t = threading.Thread(target=self._loop, args=(name,), name=f"selaras-{name}", daemon=True)
            t.start()
            self._threads.append(t)
        if self.sources is not None and self.refresh_every:
            t = threading.Thread(target=self._refresh_loop, name="selaras-refresh", daemon=True)
            t.start()
            self._threads.append(t)
        if self.eskalasi_every:
            t = threading.Thread(target=self._eskalasi_loop, name="selaras-eskalasi", daemon=True)
            t.start()
            self._threads.append(t)
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """Stop after the current batch; jobs not yet claimed stay queued in the store."""
        self._stop.set()
        self._wake.set()
        for t in self._threads:
            t.join(timeout)
        self._threads = []

    def submit(self, nips: Sequence[str], flow: Flow, tahun: int, *, alasan: str, diminta_oleh: str) -> list[int]:
        """Persist the jobs, then wake a worker."""
        ids = queue.submit(self.store, nips, flow, tahun, alasan=alasan, diminta_oleh=diminta_oleh)
        self.wake()
        return ids

    def wake(self) -> None:
        """Have a worker look for jobs now."""
        self._wake.set()

    def drain(self, timeout: float = 30.0) -> None:
        """Wait until no job is waiting to run now or running (for tests and the demo)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                busy = self._busy
            if not busy and not queue.runnable(self.store):
                return
            self._wake.set()
            time.sleep(0.05)
        raise TimeoutError(f"jobs still pending after {timeout} s: {queue.counts(self.store)}")

    def _loop(self, name: str) -> None:
        while not self._stop.is_set():
            with self._lock:
                self._busy += 1
            try:
                report = self.run(self.store, name, limit=self.batch, sources=self.sources, notify=self.notify)
            except InfrastructureError as e:  # the store failed: said plainly, tried again later
                log.error("%s (jobs return to the queue when their lease runs out)", e.message())
                report = None
            except Exception:  # noqa: BLE001 - a worker must outlive one bad batch; its leases run out
                log.exception("batch failed; its jobs return to the queue when their lease runs out")
                report = None
            finally:
                with self._lock:
                    self._busy -= 1
            if report is None or not report.claimed:
                self._wake.wait(POLL_SECONDS)
                self._wake.clear()

    def _refresh_loop(self) -> None:
        assert self.sources is not None and self.refresh_every and self.refresh is not None
        while not self._stop.wait(self.refresh_every):
            try:
                n = self.refresh(self.store, self.sources, self.tahun or date.today().year)
                if n:
                    self._wake.set()
            except Exception:  # noqa: BLE001 - the next round tries again
                log.exception("scheduled refresh failed")

    def _eskalasi_loop(self) -> None:
        assert self.eskalasi_every and self.eskalasi is not None
        while not self._stop.is_set():
            try:
                self.eskalasi(self.store)
            except Exception:  # noqa: BLE001 - the next round tries again
                log.exception("escalation round failed")
            self._stop.wait(self.eskalasi_every)

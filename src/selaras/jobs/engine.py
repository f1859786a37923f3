"""The distributed engine: the same jobs run by Celery workers over Redis or RabbitMQ.

The store stays the queue and the truth (``sync_job``); a Celery message only wakes a worker
("drain the queue"). So a message lost, repeated or delivered to a worker that then dies costs
nothing: the job is in the store, its lease runs out, and the periodic drain (Celery beat, or
any later wake-up) takes it again. Workers claim with ``FOR UPDATE SKIP LOCKED`` on
PostgreSQL, so any number of them on any number of machines share the queue.

The tasks run what the entry point that starts the worker gives :func:`run_worker` (the batch,
the scheduled refresh and the escalation round): the engine never names a use case.

Configuration: ``$SELARAS_DB`` (the store, PostgreSQL at scale) and ``$SELARAS_BROKER``
(``redis://127.0.0.1:6379/0`` or ``amqp://guest:guest@127.0.0.1:5672//``).
"""

from __future__ import annotations

import logging
import os
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from celery import Celery, signals

from selaras.domain.results import Flow
from selaras.jobs import queue
from selaras.jobs.runtime import Refresh, Round, RunBatch, eskalasi_every, worker_name
from selaras.store.database import Store

log = logging.getLogger("selaras.jobs")

DRAIN_SECONDS = 30.0
"""How long one drain task keeps claiming before it hands the worker back (fairness)."""
DEFAULT_BROKER = "redis://127.0.0.1:6379/0"


def broker_url() -> str:
    """``$SELARAS_BROKER``, or Redis on this machine."""
    return os.environ.get("SELARAS_BROKER", DEFAULT_BROKER)


def make_app(broker: str | None = None) -> Celery:
    """The Celery application of Selaras."""
    app = Celery("selaras", broker=broker or broker_url())
    app.conf.update(
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_ignore_result=True,
        broker_connection_retry_on_startup=True,
        worker_hijack_root_logger=False,
        # One queue per deployment (``$SELARAS_QUEUE``): two stores never share wake-ups.
        task_default_queue=os.environ.get("SELARAS_QUEUE", "selaras"),
        # beat's bookkeeping file, out of the working directory
        beat_schedule_filename=os.environ.get(
            "SELARAS_BEAT_FILE",
            os.path.join(tempfile.gettempdir(), f"selaras-beat-{os.environ.get('SELARAS_QUEUE', 'selaras')}"),
        ),
        beat_schedule={
            # Sweeps retries whose time came and leases that ran out.
            "drain": {"task": "selaras.drain", "schedule": float(os.environ.get("SELARAS_DRAIN_EVERY") or 5)},
            "refresh": {"task": "selaras.refresh", "schedule": float(os.environ.get("SELARAS_REFRESH_EVERY") or 300)},
            # Idempotent within a day: each step once, one digest and one summary a day.
            "eskalasi": {"task": "selaras.eskalasi", "schedule": eskalasi_every()},
        },
    )
    app.task(name="selaras.drain")(drain)
    app.task(name="selaras.refresh")(refresh)
    app.task(name="selaras.eskalasi")(eskalasi)
    return app


@dataclass(frozen=True)
class Handlers:
    """What this process's tasks run, given by the entry point that starts the worker."""

    run: RunBatch
    refresh: Refresh
    eskalasi: Round


_handlers: Handlers | None = None


def register(*, run: RunBatch, refresh: Refresh, eskalasi: Round) -> None:
    """Give this process's tasks what they run (before the worker starts: its pool inherits it)."""
    global _handlers
    _handlers = Handlers(run, refresh, eskalasi)


def _registered() -> Handlers:
    if _handlers is None:
        raise RuntimeError("no batch registered: start the worker with run_worker(run=..., ...)")
    return _handlers


_store: Store | None = None
_name: str | None = None


def _worker_store() -> Store:
    global _store, _name
    if _store is None:
        _store = Store.open(os.environ.get("SELARAS_DB"))
        _name = worker_name("celery")
    return _store


@signals.worker_process_init.connect
def _after_fork(**_: Any) -> None:
    # A forked pool process must not share the parent's database connections.
    global _store
    if _store is not None:
        _store.engine.dispose(close=False)
    _store = None


@signals.worker_ready.connect
def _on_ready(sender: Any = None, **_: Any) -> None:
    # A restarted worker picks up what a dead one left without waiting for the next beat.
    try:
        sender.app.send_task("selaras.drain")
    except Exception:  # noqa: BLE001 - beat will drain
        log.warning("could not queue the first drain")


def drain() -> int:
    """Run batches until the queue has nothing runnable (or ``DRAIN_SECONDS`` passed); jobs run."""
    from selaras.sources.connectors import live_from_env

    run = _registered().run
    store = _worker_store()
    assert _name is not None
    sources = live_from_env()
    deadline = time.monotonic() + DRAIN_SECONDS
    done = 0
    while time.monotonic() < deadline:
        report = run(store, _name, sources=sources)
        if not report.claimed:
            break
        done += report.claimed
    return done


def refresh() -> int:
    """The scheduled refresh: pull changed source data and queue the pegawai it concerns."""
    from selaras.sources.connectors import live_from_env

    refresh_changed = _registered().refresh
    sources = live_from_env()
    if sources is None:
        return 0
    n = refresh_changed(_worker_store(), sources, date.today().year)
    if n:
        drain_app().send_task("selaras.drain")
    return n


def eskalasi() -> int:
    """The scheduled escalation round (summary, policy, digests); how many steps were taken."""
    return _registered().eskalasi(_worker_store())


_app: Celery | None = None


def drain_app() -> Celery:
    """The process's Celery application (made on first use)."""
    global _app
    if _app is None:
        _app = make_app()
    return _app


WAKE_SECONDS = 0.2
"""At most one wake-up per this many seconds from one dispatcher: a worker that wakes drains
everything queued until then, so at hundreds of requests a second one message does for many."""


class CeleryDispatcher:
    """Submit jobs to the store and wake a Celery worker."""

    def __init__(self, store: Store, app: Celery | None = None) -> None:
        self.store = store
        self.app = app or drain_app()
        self._woken = 0.0
        self._pending: threading.Timer | None = None
        self._lock = threading.Lock()

    def submit(self, nips: Sequence[str], flow: Flow, tahun: int, *, alasan: str, diminta_oleh: str) -> list[int]:
        """Persist the jobs, then wake a worker (a broker down only delays them to the next beat)."""
        ids = queue.submit(self.store, nips, flow, tahun, alasan=alasan, diminta_oleh=diminta_oleh)
        self.wake()
        return ids

    def wake(self) -> None:
        """Wake a Celery worker, at most once per ``WAKE_SECONDS`` (later wake-ups are deferred)."""
        with self._lock:
            wait = self._woken + WAKE_SECONDS - time.monotonic()
            if wait <= 0:
                self._woken = time.monotonic()
            elif self._pending is None:
                # A job stored just after a worker's last look must not wait for the next beat.
                self._pending = threading.Timer(wait, self._deferred)
                self._pending.daemon = True
                self._pending.start()
        if wait <= 0:
            self._wake()

    def _deferred(self) -> None:
        with self._lock:
            self._pending = None
            self._woken = time.monotonic()
        self._wake()

    def _wake(self) -> None:
        try:
            self.app.send_task("selaras.drain")
        except Exception:  # noqa: BLE001 - the jobs are stored; beat drains them
            log.warning("broker unreachable: queued jobs wait for the next scheduled drain")


def run_worker(
    *,
    run: RunBatch,
    refresh: Refresh,
    eskalasi: Round,
    concurrency: int = 2,
    beat: bool = True,
    loglevel: str = "INFO",
) -> None:
    """Start a Celery worker of this process's app (``selaras worker``) running ``run`` (the
    batch), ``refresh`` (the scheduled refresh) and ``eskalasi`` (the escalation round)."""
    register(run=run, refresh=refresh, eskalasi=eskalasi)
    argv = ["worker", f"--concurrency={concurrency}", f"--loglevel={loglevel}", "--without-gossip", "--without-mingle"]
    if beat:
        argv.append("--beat")
    drain_app().worker_main(argv)

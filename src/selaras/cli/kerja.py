"""``selaras worker`` and ``antrean``: the sync workers and their queue."""

from __future__ import annotations

import click

from selaras.catalogue import words
from selaras.cli.common import console, db_option, fail, open_store, out


@click.command()
@db_option
@click.option(
    "--engine",
    type=click.Choice(["proses", "celery"]),
    default="proses",
    show_default=True,
    help="proses: pekerja di proses ini (bawaan, tanpa layanan lain); celery: pekerja Celery lewat --broker.",
)
@click.option("--broker", envvar="SELARAS_BROKER", help="URL broker Celery (redis://... atau amqp://...).")
@click.option("--concurrency", type=click.IntRange(1, 64), default=2, show_default=True, help="Proses/utas pekerja.")
@click.option("--batch", type=click.IntRange(1, 5000), default=500, show_default=True, help="Pekerjaan per batch.")
@click.option("--refresh-every", type=float, help="Detik antar penarikan data sumber yang berubah (butuh konektor).")
def worker(
    db: str | None, engine: str, broker: str | None, concurrency: int, batch: int, refresh_every: float | None
) -> None:
    """Jalankan pekerja sinkron: mengambil pekerjaan dari antrean sampai dihentikan (Ctrl-C / SIGTERM)."""
    import os
    import signal
    import threading

    store = open_store(db)
    if engine == "celery":
        from selaras.jobs.engine import run_worker
        from selaras.usecases.batch import scheduled_refresh, work_once
        from selaras.usecases.eskalasi import putaran

        # The pool processes open the store from the environment, after the fork.
        os.environ["SELARAS_DB"] = store.engine.url.render_as_string(hide_password=False)
        if broker:
            os.environ["SELARAS_BROKER"] = broker
        store.dispose()
        run_worker(run=work_once, refresh=scheduled_refresh, eskalasi=putaran, concurrency=concurrency)
        return

    from selaras.jobs.runtime import JobRunner
    from selaras.sources.connectors import live_from_env
    from selaras.usecases.batch import scheduled_refresh, work_once

    try:
        sources = live_from_env()
    except ValueError as e:
        fail(f"{e} (lihat docs/source-api.md)")
    runner = JobRunner(
        store,
        run=work_once,
        refresh=scheduled_refresh,
        workers=concurrency,
        batch=batch,
        sources=sources,
        refresh_every=refresh_every,
    ).start()
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    console.print(f"Pekerja berjalan ({concurrency} utas) pada {store!r}. Ctrl-C untuk berhenti.")
    stop.wait()
    runner.stop()
    console.print("Pekerja berhenti; pekerjaan yang belum diambil tetap di antrean.")


@click.command()
@db_option
def antrean(db: str | None) -> None:
    """Jumlah pekerjaan sinkron per status (ANTRE, JALAN, SELESAI)."""
    from selaras.jobs.queue import JobStatus, counts

    c = counts(open_store(db))
    out.print("  ".join(f"{s.value}: {words.angka(c.get(s.value, 0))}" for s in JobStatus))

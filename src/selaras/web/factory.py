"""The web app of one server process, made from the environment that ``selaras serve`` sets
(``uvicorn`` starts each process afresh and calls :func:`app_from_env`)."""

from __future__ import annotations

from typing import Any

import click

from selaras.store.database import Store

WEB_THREADS = 4
"""Requests a web process works on at once (``$SELARAS_WEB_THREADS``); the others wait their
turn in the event loop. On 2 cores, 4 threads took 205-270 sync requests a second where
anyio's default of 40 took 154-165: the threads fought over the interpreter lock and the
pooled connections rather than doing more (bench/README.md, "Load")."""


def web_threads() -> int:
    """Threads per web process for the app's blocking work (``$SELARAS_WEB_THREADS``, at least 1)."""
    import os

    value = os.environ.get("SELARAS_WEB_THREADS") or str(WEB_THREADS)
    if not value.isdigit() or int(value) < 1:
        raise click.UsageError(f"SELARAS_WEB_THREADS harus bilangan bulat 1 atau lebih, bukan '{value}'")
    return int(value)


def app_from_env() -> Any:
    """The web app of one server process, configured by ``run_server`` through the environment
    (``uvicorn`` starts each process afresh). Its in-process job runner stops with the app."""
    import os
    from contextlib import asynccontextmanager

    from selaras.jobs.runtime import Dispatcher, JobRunner, eskalasi_every
    from selaras.sources.connectors import live_from_env
    from selaras.usecases.batch import scheduled_refresh, work_once
    from selaras.usecases.eskalasi import putaran
    from selaras.web.app import create_app

    store = Store.open(os.environ.get("SELARAS_DB"))
    runner: JobRunner | None = None
    dispatcher: Dispatcher
    if os.environ.get("SELARAS_WEB_ENGINE") == "celery":
        from selaras.jobs.engine import CeleryDispatcher

        dispatcher = CeleryDispatcher(store)
    else:
        every = os.environ.get("SELARAS_REFRESH_EVERY")
        runner = JobRunner(
            store,
            run=work_once,
            refresh=scheduled_refresh,
            eskalasi=putaran,
            workers=int(os.environ.get("SELARAS_WEB_WORKERS") or 1),
            sources=live_from_env(),
            refresh_every=float(every) if every else None,
            eskalasi_every=eskalasi_every(),
        )
        dispatcher = runner
    app = create_app(store, dispatcher, secure_cookies=bool(os.environ.get("SELARAS_WEB_SECURE")))

    @asynccontextmanager
    async def lifespan(_: Any) -> Any:
        import anyio.to_thread

        anyio.to_thread.current_default_thread_limiter().total_tokens = web_threads()
        if runner is not None:
            runner.start()
        yield
        if runner is not None:
            runner.stop()
        store.dispose()

    app.router.lifespan_context = lifespan
    return app

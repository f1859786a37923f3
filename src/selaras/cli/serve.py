"""``selaras serve``: the web app and its API over a store, in one or more processes; and the
demo's server (``selaras demo --serve``)."""

from __future__ import annotations

import click

from selaras.cli.akun import DEMO_PASSWORD
from selaras.cli.common import open_store
from selaras.store.database import Store
from selaras.web.factory import web_threads


def run_server(
    store: Store,
    host: str,
    port: int,
    *,
    secure_cookies: bool = False,
    workers: int = 1,
    engine: str = "proses",
    refresh_every: float | None = None,
    processes: int = 1,
) -> None:
    """Serve ``store`` until interrupted; sync requests become jobs run in this process
    (``engine="proses"``, the embedded default) or by Celery workers (``"celery"``).
    ``processes`` > 1 serves from that many processes (each its own app over the same store)."""
    import os

    import uvicorn

    settings = {
        "SELARAS_DB": store.engine.url.render_as_string(hide_password=False),
        "SELARAS_WEB_ENGINE": engine,
        "SELARAS_WEB_WORKERS": str(workers),
        "SELARAS_WEB_SECURE": "1" if secure_cookies else "",
        "SELARAS_REFRESH_EVERY": "" if refresh_every is None else str(refresh_every),
    }
    os.environ.update(settings)
    web_threads()  # a wrong setting is refused here, before any process starts
    store.dispose()
    uvicorn.run(
        "selaras.web.factory:app_from_env",
        factory=True,
        host=host,
        port=port,
        workers=processes,
        proxy_headers=True,
        log_level="info",
    )


def serve_demo(store_url: str, port: int, accounts: list[tuple[str, str, str]], host: str = "127.0.0.1") -> None:
    """Print the demo accounts and serve the demo store (``selaras demo --serve``)."""
    store = Store.open(store_url)
    click.echo(f"\nAkun demo (kata sandi semua akun: {DEMO_PASSWORD}):")
    by_role: dict[str, list[tuple[str, str]]] = {}
    for username, peran, nama in accounts:
        by_role.setdefault(peran, []).append((username, nama))
    for peran in ("nasional", "pimpinan", "admin", "dinas", "operator", "pegawai"):
        items = by_role.get(peran, [])
        shown = items[:3] if peran in ("operator", "pegawai") else items
        for username, nama in shown:
            click.echo(f"  {peran:9} {username:22} {nama}")
        if len(items) > len(shown):
            click.echo(f"  {peran:9} ... dan {len(items) - len(shown)} lagi (pegawai: NIP; operator: op-<NPSN>)")
    click.echo(f"\nBuka http://{host}:{port}/ (API: http://{host}:{port}/api/docs)\n")
    run_server(store, host, port)


@click.command()
@click.option("--db", envvar="SELARAS_DB", help="URL basis data atau berkas SQLite (bawaan: selaras.db).")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=int, default=8000, show_default=True)
@click.option("--secure-cookies", is_flag=True, help="Cookie sesi hanya lewat HTTPS (di balik proxy TLS).")
@click.option("--workers", type=click.IntRange(1, 32), default=1, show_default=True, help="Pekerja sinkron.")
@click.option(
    "--engine",
    type=click.Choice(["proses", "celery"]),
    default="proses",
    show_default=True,
    help="proses: pekerja sinkron di proses ini; celery: pekerjaan dijalankan `selaras worker --engine celery`.",
)
@click.option("--refresh-every", type=float, help="Detik antar penarikan data sumber yang berubah (butuh konektor).")
@click.option("--processes", type=click.IntRange(1, 64), default=1, show_default=True, help="Proses server web.")
def serve(
    db: str | None,
    host: str,
    port: int,
    secure_cookies: bool,
    workers: int,
    engine: str,
    refresh_every: float | None,
    processes: int,
) -> None:
    """Sajikan aplikasi web dan API /api/v1 atas penyimpanan ini."""
    run_server(
        open_store(db),
        host,
        port,
        secure_cookies=secure_cookies,
        workers=workers,
        engine=engine,
        refresh_every=refresh_every,
        processes=processes,
    )

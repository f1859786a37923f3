"""``selaras simulate``: serve a snapshot as the PMM, SIASN and Dapodik APIs on loopback."""

from __future__ import annotations

import secrets
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from selaras.cli.common import EXIT_INPUT
from selaras.simulation.simulator import LOOPBACK_HOSTS
from selaras.simulation.state import Faults
from selaras.sources.http import SOURCE_PREFIX

if TYPE_CHECKING:
    from selaras.domain.snapshot import Snapshot
    from selaras.simulation.real import RealAccess
    from selaras.simulation.simulator import RunningServer


@click.command("simulate")
@click.option(
    "--snapshot",
    "snapshot_path",
    required=True,
    type=click.Path(path_type=Path),
    help="Snapshot folder of CSV files or .xlsx workbook to serve.",
)
@click.option("--port", default=8700, show_default=True, type=click.IntRange(0, 65535), help="0: any free port.")
@click.option("--host", default="127.0.0.1", show_default=True, help="Loopback only: 127.0.0.1, ::1 or localhost.")
@click.option("--token", default=None, help="Bearer token the APIs require (default: a random one, printed).")
@click.option(
    "--fault-rate", default=0.0, show_default=True, type=click.FloatRange(0, 1), help="Share of faulty calls."
)
@click.option("--latency-ms", default=0, show_default=True, type=click.IntRange(min=0), help="Added to every answer.")
@click.option(
    "--hang-seconds",
    default=30.0,
    show_default=True,
    type=click.FloatRange(min=0),
    help="How long a 'timeout' fault holds an answer back.",
)
@click.option("--seed", default=None, type=int, help="Seed of the fault dice (reproducible faults).")
@click.option(
    "--bentuk",
    type=click.Choice(["keduanya", "nyata", "lama"]),
    default="keduanya",
    show_default=True,
    help="nyata: SIASN dan Dapodik dalam bentuk aslinya (sources-real.md); lama: kontrak Selaras sendiri "
    "untuk klien lama; keduanya: dua-duanya.",
)
@click.option(
    "--token-detik", default=3600.0, show_default=True, type=click.FloatRange(min=1), help="Umur token SIASN."
)
def simulate(
    snapshot_path: Path,
    port: int,
    host: str,
    token: str | None,
    fault_rate: float,
    latency_ms: int,
    hang_seconds: float,
    seed: int | None,
    bentuk: str,
    token_detik: float,
) -> None:
    """Sajikan snapshot sebagai API PMM, SIASN dan Dapodik (docs/source-api.md), dengan gangguan
    buatan bila diminta, sampai dihentikan. Mencetak pengaturan sumber sebagai variabel lingkungan."""
    if host not in LOOPBACK_HOSTS:
        click.echo(
            f"Kesalahan: --host {host} ditolak: simulator hanya mendengarkan di loopback "
            f"({', '.join(LOOPBACK_HOSTS)}); datanya bisa berisi data pribadi dan tokennya dibagikan.",
            err=True,
        )
        sys.exit(EXIT_INPUT)
    snapshot = _read(snapshot_path)
    token = token or secrets.token_urlsafe(18)
    from selaras.simulation.real import RealAccess

    access = RealAccess(token_seconds=token_detik)
    faults = Faults(rate=fault_rate, latency_ms=latency_ms, hang_s=hang_seconds)
    running = _start(snapshot, host, port, token, faults, seed, bentuk, access)
    _print_env(running.url, token, bentuk, access)
    click.echo("simulator berjalan; hentikan dengan Ctrl+C", err=True)
    sys.stdout.flush()
    try:
        while running.thread.is_alive():
            running.thread.join(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        running.stop()


def _read(snapshot_path: Path) -> Snapshot:
    """The snapshot to serve; one that cannot be read ends with exit 2."""
    from selaras.sources.files import SnapshotError, read_snapshot

    try:
        return read_snapshot(snapshot_path).snapshot
    except SnapshotError as e:
        click.echo(f"Kesalahan: {e}", err=True)
        sys.exit(EXIT_INPUT)


def _start(
    snapshot: Snapshot,
    host: str,
    port: int,
    token: str,
    faults: Faults,
    seed: int | None,
    bentuk: str,
    access: RealAccess,
) -> RunningServer:
    """The simulator serving ``snapshot`` in a thread; a port in use ends with exit 2."""
    from selaras.simulation.simulator import build_app, serve_in_thread

    app = build_app(snapshot, token=token, faults=faults, seed=seed, shapes=bentuk, access=access)
    try:
        return serve_in_thread(app, host=host, port=port)
    except RuntimeError as e:
        click.echo(f"Kesalahan: {e} (port sudah dipakai?)", err=True)
        sys.exit(EXIT_INPUT)


def _print_env(url: str, token: str, bentuk: str, access: RealAccess) -> None:
    """The sources' settings as environment variables, one per line on stdout."""
    from selaras.simulation.real import real_env

    if bentuk != "nyata":
        for source in ("PMM", "SIASN", "Dapodik"):
            click.echo(f"SELARAS_{source.upper()}_URL={url}/{SOURCE_PREFIX[source]}")
        click.echo(f"SELARAS_SOURCE_TOKEN={token}")
    if bentuk != "lama":
        for name, value in real_env(url, access, token).items():
            if bentuk == "keduanya" and name == "SELARAS_PMM_URL":
                continue
            click.echo(f"{name}={value}")

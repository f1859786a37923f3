"""What every command of ``selaras`` shares: the consoles, the exit codes, the common options,
opening the store and reading a snapshot, progress on stderr, and how a command fails.

Exit status: 0 all well, 1 some pegawai failed their checks, 2 bad input or usage,
3 the store or the machine failed (disk full, database unreachable or busy): nothing of the
failed transaction was kept.
"""

from __future__ import annotations

import getpass
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import click
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from selaras.catalogue import words
from selaras.catalogue.codes import CATALOGUE
from selaras.domain.results import Flow
from selaras.domain.snapshot import Snapshot

if TYPE_CHECKING:
    from rich.status import Status as Status_

    from selaras.store.database import Store

console = Console(stderr=True, soft_wrap=True)  # messages stay one line each: greppable, copyable
out = Console()

EXIT_OK = 0
"""All well."""
EXIT_GAGAL = 1
"""Some pegawai failed their checks (or some records were refused)."""
EXIT_INPUT = 2
"""Bad input or usage."""
EXIT_INFRA = 3
"""The store or the machine failed."""


def pelaku() -> str:
    """Who runs the command, as the sync log and audit name them (``cli:<user>``)."""
    try:
        return f"cli:{getpass.getuser()}"
    except Exception:  # noqa: BLE001 - no user name in some containers
        return "cli"


@contextmanager
def progress() -> Iterator[Callable[[str, float], None]]:
    """A progress bar on stderr; yields a callback ``(stage, fraction)``."""
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=not console.is_terminal,
    ) as bar:
        tasks: dict[str, int] = {}

        def update(stage: str, fraction: float) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=1.0)
            bar.update(tasks[stage], completed=min(max(fraction, 0.0), 1.0))

        yield update


def rows_progress(update: Callable[[str, float], None]) -> Callable[[str, int, int], None]:
    """Adapt a ``(stage, fraction)`` callback to the store's ``(table, done, total)``."""
    return lambda table, done, total: update(f"menulis {table}", done / total if total else 1.0)


@contextmanager
def stage(text: str) -> Iterator[None]:
    """A spinner with ``text`` while a single step runs."""
    with console.status(text, spinner="dots"):
        yield


def told(status: Status_) -> Callable[[str], None]:
    """A use case's progress on the spinner; waiting for another process also as a line."""

    def update(text: str) -> None:
        status.update(text)
        if text.startswith("menunggu"):
            console.print(f"[yellow]{text[0].upper()}{text[1:]}.[/]")

    return update


def fail(message: str) -> NoReturn:
    """Bad input or usage: print the message and exit 2."""
    console.print(f"[bold red]Galat:[/] {message}")
    sys.exit(EXIT_INPUT)


def infra_fail(message: str) -> NoReturn:
    """The store or the machine failed: print the message and exit 3."""
    console.print(f"[bold red]Galat penyimpanan:[/] {message}")
    sys.exit(EXIT_INFRA)


def read(path: Path, lenient: bool = False, report: Path | None = None) -> Snapshot:
    """Read a snapshot folder or workbook; bad input ends the command with exit 2."""
    from selaras.sources.files import SnapshotError, read_snapshot, write_problems
    from selaras.sources.layout import describe

    try:
        with progress() as p:
            result = read_snapshot(path, lenient=lenient, progress=p)
    except SnapshotError as e:
        for line in describe(e.formats):
            console.print(f"Dibaca dengan {line}", markup=False, highlight=False)
        n = words.angka(len(e.problems))
        console.print(f"[bold red]Snapshot {path} tidak valid:[/] {n} masalah; tidak ada yang diubah.")
        for problem in e.problems[:50]:
            console.print(f"  - {problem}")
        if len(e.problems) > 50:
            console.print(f"  ... dan {words.angka(len(e.problems) - 50)} lagi")
        if report:
            write_problems(e.problems, report)
            console.print(f"Daftar lengkap: {report}")
        sys.exit(EXIT_INPUT)
    for line in describe(result.formats):
        console.print(f"Dibaca dengan {line}", markup=False, highlight=False)
    if result.rejected:
        target = report or path.with_name(path.name.removesuffix(".xlsx") + "-ditolak.csv")
        write_problems(result.rejected, target)
        console.print(
            f"[yellow]{words.angka(len(result.rejected))} baris ditolak (SYS-02 {CATALOGUE['SYS-02'].judul}); "
            f"alasannya ditulis ke {target}[/]"
        )
    return result.snapshot


def open_store(db: str | None) -> Store:
    """The store named by ``db`` (migrated); a wrong URL ends with exit 2, a store that is
    there but fails (server down, disk full) with exit 3."""
    from selaras.store.database import Store
    from selaras.store.uow import infrastructure_error

    try:
        return Store.open(db)
    except Exception as e:  # noqa: BLE001 - sorted into the user's input and the machine's fault
        infra = infrastructure_error(e)
        if infra is not None:
            infra_fail(infra.message())
        fail(f"penyimpanan {db or '(bawaan)'} tidak dapat dibuka: {e}")


class MainGroup(click.Group):
    """The command group: an infrastructure failure anywhere ends with its message and exit 3."""

    def invoke(self, ctx: click.Context) -> object:
        """Run the command; an infrastructure failure becomes its message and exit 3."""
        from selaras.store.uow import infrastructure_error

        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.ClickException, click.Abort, SystemExit):
            raise
        except Exception as e:
            infra = infrastructure_error(e)
            if infra is None:
                raise
            infra_fail(infra.message())


def tahun_or_now(tahun: int | None) -> int:
    """The year asked for, or this year."""
    return tahun if tahun is not None else date.today().year


db_option = click.option("--db", envvar="SELARAS_DB", help="URL basis data atau berkas SQLite (bawaan: selaras.db).")
tahun_option = click.option("--tahun", type=int, help="Tahun SKP (bawaan: tahun berjalan).")
flow_option = click.option(
    "--flow",
    type=click.Choice([f.value for f in Flow]),
    default=Flow.SKP.value,
    show_default=True,
    help="skp: Sinkron PMM; penilaian: Sinkron Penilaian Periodik; tahunan: Sinkron Predikat Tahunan.",
)
nip_option = click.option("--nip", "nips", multiple=True, help="Hanya pegawai ini (boleh diulang).")

"""The ``selaras`` command.

Exit status: 0 all well, 1 some pegawai failed their checks, 2 bad input or usage,
3 the store or the machine failed (disk full, database unreachable or busy): nothing of the
failed transaction was kept.
"""

from __future__ import annotations

import getpass
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn, TextIO

import click
import polars as pl
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from selaras import __version__
from selaras.catalogue import words
from selaras.catalogue.codes import CATALOGUE, SEBAB
from selaras.domain.recap import recap
from selaras.domain.results import CheckResult, Flow, Status
from selaras.domain.snapshot import Snapshot
from selaras.usecases.sync import Report, check_snapshot, check_snapshot_parts, count_written, sync_snapshot_parts
from selaras.views import (
    CardNames,
    error_cards,
    jsonl_lines,
    judul_label,
    print_all,
    recap_tables,
    status_table,
    sync_summary,
)

if TYPE_CHECKING:
    from rich.status import Status as Status_

    from selaras.simulation.generator import Generated
    from selaras.store.database import Store

console = Console(stderr=True, soft_wrap=True)  # messages stay one line each: greppable, copyable
out = Console()

EXIT_OK, EXIT_GAGAL, EXIT_INPUT, EXIT_INFRA = 0, 1, 2, 3


def _pelaku() -> str:
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


def fail(message: str) -> NoReturn:
    """Bad input or usage: print the message and exit 2."""
    console.print(f"[bold red]Galat:[/] {message}")
    sys.exit(EXIT_INPUT)


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


def infra_fail(message: str) -> NoReturn:
    """The store or the machine failed: print the message and exit 3."""
    console.print(f"[bold red]Galat penyimpanan:[/] {message}")
    sys.exit(EXIT_INFRA)


class _Main(click.Group):
    """The command group: an infrastructure failure anywhere ends with its message and exit 3."""

    def invoke(self, ctx: click.Context) -> object:
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


def _tahun(tahun: int | None) -> int:
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


@click.group(cls=_Main, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="selaras")
def main() -> None:
    """Selaras: Sinkron PMM yang memberi tahu setiap orang apa yang salah, di mana, dan siapa yang memperbaiki."""


@main.command()
@click.option("--pegawai", "n", type=click.IntRange(1, 3_000_000), required=True, help="Jumlah pegawai (guru ASN).")
@click.option("--out", "out_dir", type=click.Path(path_type=Path), required=True, help="Folder atau berkas .xlsx.")
@click.option("--seed", type=int, default=1, show_default=True)
@click.option("--instansi", type=click.IntRange(1, 1000), help="Jumlah instansi (bawaan: ~3.700 pegawai per instansi).")
@tahun_option
def generate(n: int, out_dir: Path, seed: int, instansi: int | None, tahun: int | None) -> None:
    """Buat snapshot sintetis yang realistis, dengan setiap kode kendala disisipkan."""
    from selaras.simulation.generator import generate as gen
    from selaras.sources.writer import write_snapshot

    with progress() as p:
        g = gen(n, seed=seed, tahun=_tahun(tahun), instansi=instansi, progress=p)
        p("menulis berkas", 0.0)
        write_snapshot(g.snapshot, out_dir)
        p("menulis berkas", 1.0)
    counts = g.snapshot.counts()
    written = ", ".join(f"{k} {words.angka(v)}" for k, v in counts.items() if v)
    console.print(f"Snapshot ditulis ke {out_dir}: {written}")


@main.command("import")
@click.argument("source", type=click.Path(path_type=Path))
@db_option
@click.option("--lenient", is_flag=True, help="Impor baris yang baik; baris yang ditolak ditulis ke laporan.")
@click.option("--report", type=click.Path(path_type=Path), help="Berkas CSV laporan baris yang ditolak.")
def import_(source: Path, db: str | None, lenient: bool, report: Path | None) -> None:
    """Impor snapshot (folder CSV atau .xlsx) ke penyimpanan, menggantikan isinya secara atomik."""
    from selaras.usecases.imports import import_snapshot

    snapshot = read(source, lenient, report)
    store = open_store(db)
    with progress() as p:
        import_snapshot(store, snapshot, progress=rows_progress(p))
    console.print(f"Diimpor: {words.angka(sum(snapshot.counts().values()))} baris dari {source}.")


@main.command()
@click.argument("target", type=click.Path(path_type=Path))
@db_option
def export(target: Path, db: str | None) -> None:
    """Ekspor isi penyimpanan sebagai snapshot (folder CSV atau .xlsx)."""
    from selaras.sources.writer import write_snapshot
    from selaras.store.repository import load_snapshot

    store = open_store(db)
    with stage("membaca penyimpanan"):
        snapshot = load_snapshot(store)
    try:
        write_snapshot(snapshot, target)
    except ValueError as e:
        fail(str(e))
    console.print(f"Diekspor ke {target}.")


def _told(status: Status_) -> Callable[[str], None]:
    """A use case's progress on the spinner; waiting for another process also as a line."""

    def update(text: str) -> None:
        status.update(text)
        if text.startswith("menunggu"):
            console.print(f"[yellow]{text[0].upper()}{text[1:]}.[/]")

    return update


JSONL_SLICE = 50_000
"""JSON lines written per call (about 15 MB of text)."""


def _emit(
    result: CheckResult, fmt: str, outcomes: pl.DataFrame | None = None, snapshot: Snapshot | None = None
) -> None:
    if fmt == "jsonl":
        # A slice of lines at a time: one text per line cost a Python call per pegawai, one
        # text of a whole national result (the store path) would double its memory.
        _write_jsonl(sys.stdout, jsonl_lines(result, outcomes))
        return
    if result.pegawai.height <= 3:
        for nip in result.pegawai["nip"]:
            row = result.pegawai.filter(pl.col("nip") == nip).row(0, named=True)
            out.print(f"[bold]{row['nama']}[/] (NIP {nip}): {row['status']}")
            print_all(out, error_cards(result, nip, CardNames.of(snapshot) if snapshot is not None else None))
    else:
        out.print(status_table(result))
    counts = result.status_counts()
    out.print("  ".join(f"{s.value}: {words.angka(counts.get(s.value, 0))}" for s in Status))


def _write_jsonl(f: TextIO, lines: pl.Series) -> None:
    for start in range(0, lines.len(), JSONL_SLICE):
        f.write(lines.slice(start, JSONL_SLICE).str.join("\n").item() + "\n")


def _exit_for(result: CheckResult) -> None:
    sys.exit(EXIT_GAGAL if result.errors.height else EXIT_OK)


@main.command()
@click.option(
    "--snapshot", "snapshot_dir", type=click.Path(path_type=Path), help="Folder snapshot (tanpa ini: penyimpanan)."
)
@db_option
@tahun_option
@flow_option
@nip_option
@click.option("--format", "fmt", type=click.Choice(["table", "jsonl"]), default="table", show_default=True)
@click.option(
    "--tanggal",
    "tanggal_periksa",
    type=click.DateTime(["%Y-%m-%d"]),
    help="Tanggal pemeriksaan YYYY-MM-DD untuk masa tugas Plt/Plh (bawaan: hari ini di zona instansi).",
)
def check(
    snapshot_dir: Path | None,
    db: str | None,
    tahun: int | None,
    flow: str,
    nips: tuple[str, ...],
    fmt: str,
    tanggal_periksa: datetime | None,
) -> None:
    """Periksa data PMM, e-Kinerja, SIASN dan Dapodik; laporkan setiap kendala per pegawai.

    Dari penyimpanan, setiap pemeriksaan dicatat di log sinkronisasi.
    """
    th, fl = _tahun(tahun), Flow(flow)
    tgl = tanggal_periksa.date() if tanggal_periksa is not None else None
    snapshot: Snapshot | None = None
    if snapshot_dir is not None and fmt == "jsonl":
        # Written part by part: a national check never holds every pegawai's result at once.
        snapshot = read(snapshot_dir)
        failed = False
        with stage("memeriksa"):
            for part in check_snapshot_parts(snapshot, flow=fl, tahun=th, nips=list(nips) or None, tanggal=tgl):
                _emit(part, fmt)
                failed = failed or part.errors.height > 0
        sys.exit(EXIT_GAGAL if failed else EXIT_OK)
    if snapshot_dir is not None:
        snapshot = read(snapshot_dir)
        with stage("memeriksa"):
            result = check_snapshot(snapshot, flow=fl, tahun=th, nips=list(nips) or None, tanggal=tgl)
    else:
        from selaras.usecases.sync import check_store

        store = open_store(db)
        with console.status("membaca penyimpanan") as status:
            checked = check_store(
                store,
                flow=fl,
                tahun=th,
                pelaku=_pelaku(),
                nips=list(nips) or None,
                progress=_told(status),
                tanggal=tgl,
            )
        _say_notes(checked.catatan)
        result = checked.check
    _emit(result, fmt, snapshot=snapshot)
    _exit_for(result)


@main.command()
@click.option(
    "--snapshot", "snapshot_dir", type=click.Path(path_type=Path), help="Folder snapshot (tanpa ini: penyimpanan)."
)
@click.option(
    "--out", "out_dir", type=click.Path(path_type=Path), help="Folder untuk snapshot hasil (wajib dengan --snapshot)."
)
@db_option
@tahun_option
@flow_option
@nip_option
@click.option("--format", "fmt", type=click.Choice(["table", "jsonl"]), default="table", show_default=True)
@click.option(
    "--tanggal",
    "tanggal_periksa",
    type=click.DateTime(["%Y-%m-%d"]),
    help="Tanggal pemeriksaan YYYY-MM-DD untuk masa tugas Plt/Plh (bawaan: hari ini di zona instansi).",
)
def sync(
    snapshot_dir: Path | None,
    out_dir: Path | None,
    db: str | None,
    tahun: int | None,
    flow: str,
    nips: tuple[str, ...],
    fmt: str,
    tanggal_periksa: datetime | None,
) -> None:
    """Sinkronkan semua yang siap ke e-Kinerja (kepala sekolah lebih dulu, lalu gurunya)."""
    if snapshot_dir is not None and out_dir is None:
        raise click.UsageError("--out wajib bersama --snapshot")
    th, fl = _tahun(tahun), Flow(flow)
    tgl = tanggal_periksa.date() if tanggal_periksa is not None else None
    if snapshot_dir is not None:
        assert out_dir is not None
        _sync_files(read(snapshot_dir), out_dir, fl, th, list(nips) or None, fmt, tgl)
    else:
        from selaras.usecases.sync import sync_store

        store = open_store(db)
        with console.status("membaca penyimpanan") as status:
            report = sync_store(
                store,
                flow=fl,
                tahun=th,
                pelaku=_pelaku(),
                nips=list(nips) or None,
                progress=_told(status),
                tanggal=tgl,
            )
        _say_notes(report.catatan)
    check, outcomes, written = report.check, report.outcomes, report.written
    if fmt == "jsonl":
        _emit(check, fmt, outcomes)
    else:
        _print_sync_summary(outcomes, written, check.errors["nip"].n_unique())
    _exit_for(check)


def _say_notes(catatan: list[str]) -> None:
    """What a person must know about a run in parts (an import between its parts), on stderr."""
    for line in catatan:
        console.print(f"[yellow]{line}[/]")


def _sync_files(
    snapshot: Snapshot,
    out_dir: Path,
    fl: Flow,
    th: int,
    nips: list[str] | None,
    fmt: str,
    tanggal: date | None = None,
) -> NoReturn:
    """``sync --snapshot``: part by part, keeping of each part only what is shown (its JSON
    lines in a file until ``out_dir`` is complete, or its outcomes), never a national result."""
    report: Report[None] = Report(CheckResult(th, fl))
    outcomes: list[pl.DataFrame] = []
    failed = 0
    with tempfile.TemporaryFile("w+", encoding="utf-8") as lines:
        with console.status("menyinkronkan") as status:
            for r in sync_snapshot_parts(
                snapshot, out_dir, flow=fl, tahun=th, nips=nips, progress=_told(status), tanggal=tanggal
            ):
                if fmt == "jsonl":
                    _write_jsonl(lines, jsonl_lines(r.check, r.outcomes))
                else:
                    outcomes.append(r.outcomes)
                count_written(report, r.changes)
                failed += r.check.errors["nip"].n_unique()  # parts hold disjoint pegawai
        del snapshot  # its 4 GiB (national) are not needed to show the outcomes
        if fmt == "jsonl":
            # Shown once ``out_dir`` is complete: a line says what was written.
            lines.seek(0)
            shutil.copyfileobj(lines, sys.stdout, 1 << 24)
        else:
            _print_sync_summary(pl.concat(outcomes) if outcomes else report.outcomes, report.written, failed)
    sys.exit(EXIT_GAGAL if failed else EXIT_OK)


def _print_sync_summary(outcomes: pl.DataFrame, written: dict[str, tuple[int, int]], failed: int) -> None:
    console.print(sync_summary(outcomes, written))
    if failed:
        console.print(f"{words.angka(failed)} pegawai masih GAGAL; lihat `selaras check` atau `selaras recap`.")


@main.command("recap")
@click.option(
    "--snapshot",
    "snapshot_dir",
    type=click.Path(path_type=Path),
    help="Periksa snapshot ini (tanpa ini: log terakhir).",
)
@db_option
@tahun_option
@flow_option
@click.option("--instansi", "instansi_id", help="Hanya instansi ini.")
def recap_(snapshot_dir: Path | None, db: str | None, tahun: int | None, flow: str, instansi_id: str | None) -> None:
    """Rekap kendala sinkron: per status, kode, pihak, sekolah, dan kepala sekolah yang menahan guru."""
    if snapshot_dir is not None:
        snapshot = read(snapshot_dir)
        result = check_snapshot(snapshot, flow=Flow(flow), tahun=_tahun(tahun), instansi_id=instansi_id)
        sekolah = snapshot["dapodik_sekolah"]
    else:
        from selaras.store.repository import latest_results, load_table

        store = open_store(db)
        found = latest_results(store, Flow(flow), instansi_id, tahun=tahun)
        if found is None:
            fail("belum ada pemeriksaan di penyimpanan ini; jalankan `selaras check` atau `selaras sync` dulu")
        result = found
        sekolah = load_table(store, "dapodik_sekolah")
    print_all(out, recap_tables(recap(result, sekolah)))


@main.command()
@click.argument("code", required=False)
def kode(code: str | None) -> None:
    """Katalog kode kendala: semua kode, atau satu kode lengkap dengan langkahnya."""
    from rich.table import Table

    if code is None:
        t = Table(title="Katalog kode kendala")
        for c in ("Kode", "Alur", "Judul", "Pihak"):
            t.add_column(c)
        for c in sorted(CATALOGUE.values(), key=lambda c: c.urutan):
            alur = words.label(words.FLOW_SINGKAT, c.flow)
            t.add_row(c.code, alur, f"{c.judul}\n[dim]{judul_label(c)}[/]", ", ".join(a.value for a in c.aktor))
        out.print(t)
        return
    c = CATALOGUE.get(code.upper())
    if c is None:
        fail(f"kode {code} tidak dikenal; kode yang ada: {', '.join(sorted(CATALOGUE))}")
    out.print(f"[bold]{c.code}[/] {c.judul}\n[dim]Judul: {judul_label(c)}[/]\n{c.penyebab}\n[dim]{c.cause_en}[/]")
    out.print("Pihak: " + ", ".join(a.value for a in c.aktor))
    out.print("Alur: " + words.label(words.FLOW, c.flow))
    for i, s in enumerate(c.langkah, 1):
        out.print(f"  {i}. {s}")
    for sebab in SEBAB.get(c.code, {}).values():
        pihak = ", ".join(a.value for a in sebab.aktor)
        out.print(f"[bold]Penyebab:[/] {sebab.judul} (pihak: {pihak}) [dim]{sebab.alasan}[/]")
        for s in sebab.langkah:
            out.print(f"  - {s}")


@main.command()
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

        # The pool processes open the store from the environment, after the fork.
        os.environ["SELARAS_DB"] = store.engine.url.render_as_string(hide_password=False)
        if broker:
            os.environ["SELARAS_BROKER"] = broker
        store.dispose()
        run_worker(concurrency=concurrency)
        return

    from selaras.jobs.runtime import JobRunner
    from selaras.sources.connectors import live_from_env

    try:
        sources = live_from_env()
    except ValueError as e:
        fail(f"{e} (lihat docs/source-api.md)")
    runner = JobRunner(store, workers=concurrency, batch=batch, sources=sources, refresh_every=refresh_every).start()
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    console.print(f"Pekerja berjalan ({concurrency} utas) pada {store!r}. Ctrl-C untuk berhenti.")
    stop.wait()
    runner.stop()
    console.print("Pekerja berhenti; pekerjaan yang belum diambil tetap di antrean.")


@main.command()
@db_option
def antrean(db: str | None) -> None:
    """Jumlah pekerjaan sinkron per status (ANTRE, JALAN, SELESAI)."""
    from selaras.jobs.queue import JobStatus, counts

    c = counts(open_store(db))
    out.print("  ".join(f"{s.value}: {words.angka(c.get(s.value, 0))}" for s in JobStatus))


@main.command()
@click.option("--dir", "workdir", type=click.Path(path_type=Path), default=Path("selaras-demo"), show_default=True)
@click.option("--pegawai", "n", type=click.IntRange(50, 100_000), default=600, show_default=True)
@tahun_option
@click.option("--serve", "serve_after", is_flag=True, help="Lalu sajikan aplikasi web atas data demo.")
@click.option("--port", type=int, default=8000, show_default=True, help="Port aplikasi web (dengan --serve).")
def demo(workdir: Path, n: int, tahun: int | None, serve_after: bool, port: int) -> None:
    """Demo: satu instansi realistis dengan setiap kode kendala; periksa, sinkron, tampilkan rekap.

    Dengan --serve: aplikasi web atas data demo, dengan akun demo untuk setiap peran.
    """
    from selaras.simulation.generator import generate as gen
    from selaras.sources.writer import write_snapshot
    from selaras.store.repository import load_snapshot
    from selaras.usecases.imports import import_snapshot
    from selaras.usecases.sync import check_store, sync_store
    from selaras.web.accounts import mark_demo_store

    th = _tahun(tahun)
    if workdir.exists():
        shutil.rmtree(workdir)
    workdir.mkdir(parents=True)
    with progress() as p:
        g = gen(n, seed=7, tahun=th, instansi=1, progress=p)
    write_snapshot(g.snapshot, workdir / "snapshot")
    store = open_store(str(workdir / "selaras.db"))
    mark_demo_store(store)
    with progress() as p:
        import_snapshot(store, g.snapshot, progress=rows_progress(p))
    out.rule(f"[bold]Selaras demo[/]: {g.snapshot['instansi']['nama'][0]}, tahun {th}")
    out.print(f"Snapshot: {workdir / 'snapshot'}   Penyimpanan: {workdir / 'selaras.db'}")
    _demo_history(store, th, g)

    # The demo tells the sync season: checked on the snapshot's day, when its Plt terms run.
    from selaras.simulation.pimpinan import tanggal_snapshot

    tgl = tanggal_snapshot(th)
    before = check_store(store, flow=Flow.SKP, tahun=th, pelaku="demo", tanggal=tgl).check
    out.rule("1. Pemeriksaan sebelum sinkron (Sinkron PMM)")
    print_all(out, recap_tables(recap(before, g.snapshot["dapodik_sekolah"]), top_schools=8))
    names = CardNames.of(g.snapshot)
    _demo_examples(before, names)

    result = sync_store(store, flow=Flow.SKP, tahun=th, pelaku="demo", tanggal=tgl)
    out.rule("2. Sinkron PMM untuk semua yang siap (kepala sekolah dulu, lalu gurunya)")
    out.print(sync_summary(result.outcomes, result.written))

    result2 = sync_store(store, flow=Flow.PENILAIAN, tahun=th, pelaku="demo", tanggal=tgl)
    out.rule("3. Sinkron Penilaian Periodik")
    out.print(sync_summary(result2.outcomes, result2.written))
    print_all(out, recap_tables(recap(result2.check, g.snapshot["dapodik_sekolah"]), top_schools=5)[:2])
    _demo_examples(result2.check, names)

    result3 = sync_store(store, flow=Flow.TAHUNAN, tahun=th, pelaku="demo")
    out.rule("3b. Sinkron Predikat Tahunan (predikat dan angka kredit)")
    out.print(sync_summary(result3.outcomes, result3.written))
    print_all(out, recap_tables(recap(result3.check, g.snapshot["dapodik_sekolah"]), top_schools=5)[:2])
    _demo_examples(result3.check, names)

    write_snapshot(load_snapshot(store), workdir / "hasil")
    _demo_today(store)
    _demo_bad_source(workdir)
    out.rule("Selesai")
    out.print(
        f"Snapshot hasil sinkron: {workdir / 'hasil'}\n"
        f"Coba: selaras recap --db {workdir / 'selaras.db'}\n"
        f"      selaras check --snapshot {workdir / 'hasil'} --nip <NIP>\n"
        f"      selaras simulate --snapshot {workdir / 'hasil'} --fault-rate 0.3   (sumber langsung, dengan gangguan)\n"
        f"      selaras serve --db {workdir / 'selaras.db'}   (aplikasi web; atau: selaras demo --serve)"
    )
    if serve_after:
        from selaras.web.cli import demo_account_rows, serve_demo

        # Made with the store (before its history), each with the public demo password.
        accounts = [(str(r["username"]), str(r["peran"]), str(r["nama"])) for r in demo_account_rows(store)]
        store.dispose()
        serve_demo(str(workdir / "selaras.db"), port, accounts)


DEMO_HARI_INI = ("PMM-11", "PMM-12", "PMM-13")
"""Codes about a principal's plan: the schools where they occur sync only today, so that the
demo's first check still shows them."""


def _demo_history(store: Store, tahun: int, g: Generated) -> None:
    """Weeks of history before today, so that ages, escalations, the digest and the forecast
    show on a fresh demo; the demo accounts first (the digests go to them)."""
    from selaras.catalogue import words
    from selaras.usecases.demo_riwayat import buat_riwayat
    from selaras.web.cli import DEMO_PASSWORD, seed_demo_accounts

    with stage("membuat akun demo"):
        seed_demo_accounts(store, DEMO_PASSWORD)
    with stage("membuat riwayat empat minggu (pemeriksaan, sinkron, eskalasi dan ringkasan tiap hari kerja)"):
        ptk = g.snapshot["dapodik_ptk"].select("nip", "npsn").drop_nulls()
        cases = g.manifest.filter(pl.col("code").is_in(list(DEMO_HARI_INI)))["nip"].to_list()
        schools = ptk.filter(pl.col("nip").is_in(cases))["npsn"].unique().to_list()
        today = frozenset(ptk.filter(pl.col("npsn").is_in(schools))["nip"].to_list())
        r = buat_riwayat(store, tahun, g.snapshot["siasn_pegawai"]["nip"].to_list(), tetap=today)
    out.print(
        f"Riwayat: pemeriksaan pertama {words.tanggal(r.mulai)}, lalu {words.angka(r.hari)} hari kerja "
        f"dengan {words.angka(r.sinkron)} permintaan sinkron, {words.angka(r.eskalasi)} eskalasi dan "
        f"{words.angka(r.digest)} ringkasan harian terkirim."
    )


def _demo_today(store: Store) -> None:
    """Today's round (daily summary, escalation policy, digests), as the server runs it."""
    from selaras.usecases import eskalasi

    eskalasi.tulis_ringkasan(store)
    eskalasi.jalankan(store)
    eskalasi.kirim_digest(store)


def _demo_bad_source(workdir: Path) -> None:
    """A source export with broken rows: read leniently, every rejected row named (SYS-02)."""
    from selaras.sources.files import read_snapshot, write_problems
    from selaras.views import rejected_panel

    bad = workdir / "sumber-rusak"
    shutil.copytree(workdir / "snapshot", bad)
    ptk = bad / "dapodik_ptk.csv"
    lines = ptk.read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    cells = lines[1].split(",")
    cells[header.index("nip")] = cells[header.index("nip")][:-3]  # a NIP cut short in the export
    lines[1] = ",".join(cells)
    ptk.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = read_snapshot(bad, lenient=True)
    report = workdir / "sumber-rusak-ditolak.csv"
    write_problems(result.rejected, report)
    out.rule("4. Data sumber yang melanggar kontrak")
    out.print(rejected_panel(result.rejected))
    out.print(f"Semua baris yang ditolak beserta alasannya: {report}")


def _demo_examples(result: CheckResult, names: CardNames | None = None) -> None:
    """One full error card per code, as a teacher or principal would see it."""
    out.rule("Contoh kartu kendala (satu per kode)")
    seen: set[str] = set()
    for e in result.errors.sort("urutan").iter_rows(named=True):
        if e["code"] in seen:
            continue
        seen.add(e["code"])
        single = CheckResult(
            result.tahun,
            result.flow,
            result.pegawai,
            result.errors.filter((pl.col("nip") == e["nip"]) & (pl.col("code") == e["code"])),
        )
        name = result.pegawai.filter(pl.col("nip") == e["nip"])["nama"].item()
        out.print(f"[bold]{name}[/] (NIP {e['nip']})")
        print_all(out, error_cards(single, e["nip"], names))


if __name__ == "__main__":
    main()


def _register() -> None:
    from selaras.eskalasi_cli import eskalasi, prakiraan
    from selaras.simulation.simulate_cli import simulate
    from selaras.tarik_cli import tarik
    from selaras.web.cli import akun, serve
    from selaras.web.setelan_cli import instansi
    from selaras.web.sso_cli import add_commands

    add_commands(akun)

    for command in (simulate, serve, akun, instansi, eskalasi, prakiraan, tarik):
        main.add_command(command)


_register()

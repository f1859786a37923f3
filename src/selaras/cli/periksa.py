"""``selaras check``, ``sync``, ``recap`` and ``kode``: checking and syncing from a snapshot or
the store, the recap of what is wrong, and the catalogue of problem codes."""

from __future__ import annotations

import shutil
import sys
import tempfile
from datetime import date, datetime
from pathlib import Path
from typing import NoReturn, TextIO

import click
import polars as pl

from selaras.catalogue import words
from selaras.catalogue.codes import CATALOGUE, SEBAB
from selaras.cli.common import (
    EXIT_GAGAL,
    EXIT_OK,
    console,
    db_option,
    fail,
    flow_option,
    nip_option,
    open_store,
    out,
    pelaku,
    read,
    stage,
    tahun_option,
    tahun_or_now,
    told,
)
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


snapshot_option = click.option(
    "--snapshot", "snapshot_dir", type=click.Path(path_type=Path), help="Folder snapshot (tanpa ini: penyimpanan)."
)
format_option = click.option(
    "--format", "fmt", type=click.Choice(["table", "jsonl"]), default="table", show_default=True
)
tanggal_option = click.option(
    "--tanggal",
    "tanggal_periksa",
    type=click.DateTime(["%Y-%m-%d"]),
    help="Tanggal pemeriksaan YYYY-MM-DD untuk masa tugas Plt/Plh (bawaan: hari ini di zona instansi).",
)
"""The options check and sync share: where the data is, how results are shown, the check date."""


def _exit_for(result: CheckResult) -> None:
    sys.exit(EXIT_GAGAL if result.errors.height else EXIT_OK)


@click.command()
@snapshot_option
@db_option
@tahun_option
@flow_option
@nip_option
@format_option
@tanggal_option
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
    th, fl = tahun_or_now(tahun), Flow(flow)
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
                pelaku=pelaku(),
                nips=list(nips) or None,
                progress=told(status),
                tanggal=tgl,
            )
        _say_notes(checked.catatan)
        result = checked.check
    _emit(result, fmt, snapshot=snapshot)
    _exit_for(result)


@click.command()
@snapshot_option
@click.option(
    "--out", "out_dir", type=click.Path(path_type=Path), help="Folder untuk snapshot hasil (wajib dengan --snapshot)."
)
@db_option
@tahun_option
@flow_option
@nip_option
@format_option
@tanggal_option
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
    th, fl = tahun_or_now(tahun), Flow(flow)
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
                pelaku=pelaku(),
                nips=list(nips) or None,
                progress=told(status),
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
                snapshot, out_dir, flow=fl, tahun=th, nips=nips, progress=told(status), tanggal=tanggal
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


@click.command("recap")
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
    from selaras.usecases.laporan import recap_latest, recap_snapshot

    if snapshot_dir is not None:
        rekap = recap_snapshot(read(snapshot_dir), flow=Flow(flow), tahun=tahun_or_now(tahun), instansi_id=instansi_id)
    else:
        found = recap_latest(open_store(db), flow=Flow(flow), instansi_id=instansi_id, tahun=tahun)
        if found is None:
            fail("belum ada pemeriksaan di penyimpanan ini; jalankan `selaras check` atau `selaras sync` dulu")
        rekap = found
    print_all(out, recap_tables(rekap))


@click.command()
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

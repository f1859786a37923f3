"""``selaras generate``, ``import`` and ``export``: snapshots made, read into the store, and
written out of it."""

from __future__ import annotations

from pathlib import Path

import click

from selaras.catalogue import words
from selaras.cli.common import (
    console,
    db_option,
    fail,
    open_store,
    progress,
    read,
    rows_progress,
    tahun_option,
    tahun_or_now,
)


@click.command()
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
        g = gen(n, seed=seed, tahun=tahun_or_now(tahun), instansi=instansi, progress=p)
        p("menulis berkas", 0.0)
        write_snapshot(g.snapshot, out_dir)
        p("menulis berkas", 1.0)
    counts = g.snapshot.counts()
    written = ", ".join(f"{k} {words.angka(v)}" for k, v in counts.items() if v)
    console.print(f"Snapshot ditulis ke {out_dir}: {written}")


@click.command("import")
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


@click.command()
@click.argument("target", type=click.Path(path_type=Path))
@db_option
def export(target: Path, db: str | None) -> None:
    """Ekspor isi penyimpanan sebagai snapshot (folder CSV atau .xlsx)."""
    from selaras.usecases.laporan import export_snapshot

    store = open_store(db)
    try:
        with console.status("membaca penyimpanan") as status:
            export_snapshot(store, target, progress=status.update)
    except ValueError as e:
        fail(str(e))
    console.print(f"Diekspor ke {target}.")

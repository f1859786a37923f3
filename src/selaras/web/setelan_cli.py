"""``selaras instansi``: an instansi's own settings in Selaras (the time zone its people read
times in: WIB, WITA or WIT; WIB when never set)."""

from __future__ import annotations

import click

from selaras.catalogue import words
from selaras.store import reads


@click.group()
def instansi() -> None:
    """Pengaturan instansi di Selaras (zona waktu)."""


@instansi.command("zona")
@click.argument("instansi_id")
@click.argument("zona", required=False, type=click.Choice(list(words.ZONA)))
@click.option("--db", envvar="SELARAS_DB", help="URL basis data atau berkas SQLite (bawaan: selaras.db).")
def zona(instansi_id: str, zona: str | None, db: str | None) -> None:
    """Tampilkan atau ubah zona waktu INSTANSI_ID (WIB, WITA, WIT) untuk waktu di halaman dan ekspor."""
    from selaras.cli import open_store

    store = open_store(db)
    nama = reads.instansi_nama(store, instansi_id)
    if nama is None:
        raise click.UsageError(f"Instansi {instansi_id} tidak ada di penyimpanan.")
    if zona is not None:
        reads.set_zona(store, instansi_id, zona)
    click.echo(f"{nama} ({instansi_id}): zona waktu {reads.zona_of(store, instansi_id)}")

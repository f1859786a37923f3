"""``selaras akun hak|hak-cabut|hak-daftar|impor``: role grants for single sign-on (audited) and
local accounts in bulk with one-time password-set links (issue 20). Added to the ``akun`` group
by :func:`add_commands`."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from selaras.domain.akun import PERAN_LABEL, AccountError, Peran
from selaras.usecases import akun as uc
from selaras.usecases.accounts import cli_pelaku


def _store(db: str | None) -> object:
    from selaras.cli.common import open_store

    return open_store(db)


def _fail(message: str) -> None:
    click.echo(f"Galat: {message}", err=True)
    sys.exit(2)


@click.command("hak")
@click.argument("nip")
@click.option("--peran", type=click.Choice([p.value for p in uc.GRANTABLE]), required=True)
@click.option("--npsn", help="Sekolah, untuk peran operator.")
@click.option("--instansi", "instansi_id", help="Instansi, untuk peran admin, dinas dan pimpinan.")
@click.option("--db", envvar="SELARAS_DB")
def hak(nip: str, peran: str, npsn: str | None, instansi_id: str | None, db: str | None) -> None:
    """Beri peran kepada NIP untuk masuk dengan SSO (tercatat di audit); sesi SSO-nya berakhir."""
    try:
        uc.grant(_store(db), cli_pelaku(), nip, peran, npsn=npsn, instansi_id=instansi_id)  # type: ignore[arg-type]
    except AccountError as e:
        _fail(str(e))
    click.echo(f"Peran {PERAN_LABEL[Peran(peran)]} diberikan kepada NIP {nip}; berlaku saat ia masuk berikutnya.")


@click.command("hak-cabut")
@click.argument("nip")
@click.option("--db", envvar="SELARAS_DB")
def hak_cabut(nip: str, db: str | None) -> None:
    """Cabut peran yang diberikan kepada NIP; sesi SSO-nya berakhir saat itu juga."""
    if not uc.revoke(_store(db), cli_pelaku(), nip):  # type: ignore[arg-type]
        _fail(f"NIP {nip} tidak mempunyai peran yang diberikan")
    click.echo(f"Peran NIP {nip} dicabut; sesinya berakhir.")


@click.command("hak-daftar")
@click.option("--instansi", "instansi_id", help="Hanya instansi ini.")
@click.option("--db", envvar="SELARAS_DB")
def hak_daftar(instansi_id: str | None, db: str | None) -> None:
    """Daftar peran yang diberikan untuk SSO: NIP, nama, peran, sekolah/instansi, pemberi."""
    rows = uc.grants(_store(db), instansi_id)  # type: ignore[arg-type]
    if not rows:
        click.echo("Belum ada peran yang diberikan.")
    for r in rows:
        lingkup = r["npsn"] or r["instansi_id"] or "-"
        click.echo(f"{r['nip']}  {r['nama']}  {r['peran_label']}  {lingkup}  oleh {r['pemberi']}")


@click.command("impor")
@click.argument("berkas", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--url", "base_url", default="http://127.0.0.1:8000", show_default=True, help="Alamat aplikasi web.")
@click.option("--db", envvar="SELARAS_DB")
def impor(berkas: Path, base_url: str, db: str | None) -> None:
    """Buat akun lokal dari BERKAS CSV (username,peran,nama,nip,npsn,instansi_id,email); setiap
    akun mendapat tautan sekali pakai untuk membuat kata sandinya (berlaku 72 jam)."""
    try:
        text = berkas.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as e:
        _fail(f"{berkas}: tidak dapat dibaca sebagai CSV UTF-8: {e}")
        return
    try:
        links = uc.import_accounts(_store(db), str(berkas), text, pelaku=cli_pelaku())  # type: ignore[arg-type]
    except uc.ImportGagal as e:
        for p in e.problems:
            click.echo(f"Galat: {p}", err=True)
        click.echo("Tidak ada akun yang dibuat.", err=True)
        sys.exit(2)
    click.echo(f"{len(links)} akun dibuat. Kirim tautan ini kepada pemiliknya (sekali pakai, 72 jam):")
    for username, token in links:
        click.echo(f"{username}\t{base_url.rstrip('/')}/sandi/{token}")


def add_commands(group: click.Group) -> None:
    """Add this module's commands to ``selaras akun``."""
    for command in (hak, hak_cabut, hak_daftar, impor):
        group.add_command(command)

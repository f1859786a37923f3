"""``selaras akun ...``: accounts and API tokens; the demo's accounts (made by ``selaras demo``
and ``selaras akun demo``)."""

from __future__ import annotations

import getpass
import sys

import click

from selaras.cli.common import open_store
from selaras.domain.akun import AccountError, Peran
from selaras.store.accounts import demo_account_sources
from selaras.store.database import Store
from selaras.usecases.accounts import (
    TOKEN_DAYS_MAX,
    check_references,
    cli_pelaku,
    create_account,
    create_accounts,
    create_token,
    end_sessions,
    get_account,
    hash_password,
    is_demo_store,
    list_tokens,
    new_usernames,
    reset_password,
    revoke_token,
    revoke_tokens,
    session_count,
    set_active,
)

DEMO_PASSWORD = "selaras-demo"


def seed_demo_accounts(store: Store, password: str = DEMO_PASSWORD) -> list[tuple[str, str, str]]:
    """Accounts for a demo store: every pegawai (username = NIP), an operator per school
    (``op-<npsn>``), an admin, a dinas and a head-of-agency account per instansi
    (``admin-<id>``, ``dinas-<id>``, ``pimpinan-<id>``) and one national admin (``nasional``).
    One password hash serves them all (hashing it 600 times would take minutes); real accounts
    each get their own. Usernames that have an account already are left as they are. Returns
    the (username, peran, nama) of the accounts made."""
    shared = hash_password(password)
    rows = demo_account_rows(store)
    # An account that exists keeps its password (and its sessions): a password changed with
    # `akun sandi` or on /akun is never put back to the public one.
    fresh = new_usernames(store, [str(r["username"]) for r in rows])
    rows = [r for r in rows if r["username"] in fresh]
    create_accounts(store, rows, shared)
    return [(str(r["username"]), str(r["peran"]), str(r["nama"])) for r in rows]


def demo_account_rows(store: Store) -> list[dict[str, object]]:
    """The accounts the demo makes for ``store``'s instansi, schools and pegawai."""
    instansi, sekolah, pegawai = demo_account_sources(store)
    rows: list[dict[str, object]] = []
    for i in instansi:
        rows.append(
            {
                "username": f"admin-{i.instansi_id}",
                "peran": "admin",
                "nama": f"Admin BKPSDM {i.nama}",
                "instansi_id": i.instansi_id,
            }
        )
        rows.append(
            {
                "username": f"dinas-{i.instansi_id}",
                "peran": "dinas",
                "nama": f"Dinas Pendidikan {i.nama}",
                "instansi_id": i.instansi_id,
            }
        )
        rows.append(
            {
                "username": f"pimpinan-{i.instansi_id}",
                "peran": "pimpinan",
                "nama": f"Pimpinan {i.nama}",
                "instansi_id": i.instansi_id,
            }
        )
    for s in sekolah:
        rows.append(
            {
                "username": f"op-{s.npsn}",
                "peran": "operator",
                "nama": f"Operator {s.nama}",
                "npsn": s.npsn,
                "instansi_id": s.instansi_id,
            }
        )
    for p in pegawai:
        rows.append({"username": p.nip, "peran": "pegawai", "nama": p.nama, "nip": p.nip, "instansi_id": p.instansi_id})
    rows.append({"username": "nasional", "peran": "nasional", "nama": "Admin Nasional BKN"})
    return rows


@click.group()
def akun() -> None:
    """Kelola akun dan token API."""


@akun.command("tambah")
@click.argument("username")
@click.option("--peran", type=click.Choice([p.value for p in Peran]), required=True)
@click.option("--nama", required=True)
@click.option("--nip", help="Untuk peran pegawai.")
@click.option("--npsn", help="Untuk operator sekolah.")
@click.option("--instansi", "instansi_id", help="Untuk admin instansi dan dinas pendidikan.")
@click.option("--db", envvar="SELARAS_DB")
@click.option("--password", envvar="SELARAS_PASSWORD", help="Kata sandi (bawaan: ditanyakan).")
@click.option("--email", help="Alamat surel untuk pemberitahuan (bila SMTP diatur).")
def tambah(
    username: str,
    peran: str,
    nama: str,
    nip: str | None,
    npsn: str | None,
    instansi_id: str | None,
    db: str | None,
    password: str | None,
    email: str | None,
) -> None:
    """Buat (atau ganti) satu akun."""
    store = open_store(db)
    try:
        check_references(store, nip, npsn, instansi_id)
    except AccountError as e:
        _fail(e)
    pw = password or getpass.getpass("Kata sandi: ")
    try:
        create_account(
            store,
            username,
            pw,
            peran,
            nama,
            nip=nip,
            npsn=npsn,
            instansi_id=instansi_id,
            email=email,
            pelaku=cli_pelaku(),
        )
    except AccountError as e:
        click.echo(f"Galat: {e}", err=True)
        sys.exit(2)
    click.echo(f"Akun {username} ({peran}) dibuat.")


def _fail(e: Exception) -> None:
    click.echo(f"Galat: {e}", err=True)
    sys.exit(2)


def _need(store: Store, username: str) -> None:
    if get_account(store, username) is None:
        _fail(AccountError(f"akun {username} tidak ada"))


@akun.command("token")
@click.argument("username")
@click.option("--label", default="api", show_default=True)
@click.option(
    "--hari",
    type=click.IntRange(1, TOKEN_DAYS_MAX),
    help="Masa berlaku dalam hari (bawaan: SELARAS_TOKEN_HARI, atau 90).",
)
@click.option("--db", envvar="SELARAS_DB")
def token(username: str, label: str, hari: int | None, db: str | None) -> None:
    """Buat token API untuk akun (ditampilkan sekali)."""
    try:
        click.echo(create_token(open_store(db), username, label, hari, pelaku=cli_pelaku()))
    except AccountError as e:
        _fail(e)


@akun.command("token-daftar")
@click.argument("username")
@click.option("--db", envvar="SELARAS_DB")
def token_daftar(username: str, db: str | None) -> None:
    """Daftar token API akun: id, label, dibuat, berlaku sampai, status."""
    store = open_store(db)
    _need(store, username)
    tokens = list_tokens(store, username)
    if not tokens:
        click.echo("Tidak ada token.")
    for t in tokens:
        status = "aktif" if t.aktif else ("dicabut" if t.dicabut else "kedaluwarsa")
        dibuat, sampai = t.dibuat.strftime("%d-%m-%Y"), t.kedaluwarsa.strftime("%d-%m-%Y")
        click.echo(f"{t.token_id}  {t.label:<12} dibuat {dibuat}  berlaku s.d. {sampai}  {status}")
    click.echo(f"Sesi terbuka: {session_count(store, username)}")


@akun.command("cabut")
@click.argument("username")
@click.argument("token_id", required=False)
@click.option("--semua", is_flag=True, help="Cabut semua token akun.")
@click.option("--db", envvar="SELARAS_DB")
def cabut(username: str, token_id: str | None, semua: bool, db: str | None) -> None:
    """Cabut satu token API (TOKEN_ID dari token-daftar) atau --semua."""
    store = open_store(db)
    _need(store, username)
    if semua == (token_id is not None):
        _fail(AccountError("sebut satu TOKEN_ID atau --semua"))
    if semua:
        click.echo(f"{revoke_tokens(store, username, pelaku=cli_pelaku())} token dicabut.")
    elif not revoke_token(store, username, str(token_id), pelaku=cli_pelaku()):
        _fail(AccountError(f"token {token_id} tidak ada atau sudah dicabut"))
    else:
        click.echo(f"Token {token_id} dicabut.")


@akun.command("sandi")
@click.argument("username")
@click.option("--db", envvar="SELARAS_DB")
@click.option("--password", envvar="SELARAS_PASSWORD", help="Kata sandi baru (bawaan: ditanyakan).")
def sandi(username: str, db: str | None, password: str | None) -> None:
    """Ganti kata sandi akun; semua sesi dan token akun itu berakhir saat itu juga."""
    pw = password or getpass.getpass("Kata sandi baru: ")
    try:
        reset_password(open_store(db), username, pw, pelaku=cli_pelaku())
    except AccountError as e:
        _fail(e)
    click.echo(f"Kata sandi {username} diganti; semua sesi dan tokennya berakhir.")


@akun.command("nonaktif")
@click.argument("username")
@click.option("--db", envvar="SELARAS_DB")
def nonaktif(username: str, db: str | None) -> None:
    """Nonaktifkan akun; semua sesi dan tokennya berakhir saat itu juga."""
    try:
        set_active(open_store(db), username, False, pelaku=cli_pelaku())
    except AccountError as e:
        _fail(e)
    click.echo(f"Akun {username} dinonaktifkan; semua sesi dan tokennya berakhir.")


@akun.command("aktif")
@click.argument("username")
@click.option("--db", envvar="SELARAS_DB")
def aktif(username: str, db: str | None) -> None:
    """Aktifkan kembali akun (token lama tetap dicabut; buat token baru bila perlu)."""
    try:
        set_active(open_store(db), username, True, pelaku=cli_pelaku())
    except AccountError as e:
        _fail(e)
    click.echo(f"Akun {username} aktif kembali.")


@akun.command("keluar")
@click.argument("username")
@click.option("--db", envvar="SELARAS_DB")
def keluar(username: str, db: str | None) -> None:
    """Akhiri semua sesi peramban akun (token API tidak berubah)."""
    store = open_store(db)
    _need(store, username)
    click.echo(f"{end_sessions(store, username, pelaku=cli_pelaku())} sesi diakhiri.")


@akun.command("demo")
@click.option("--db", envvar="SELARAS_DB")
@click.option("--password", default=DEMO_PASSWORD, show_default=True)
def demo_accounts(db: str | None, password: str) -> None:
    """Buat akun demo untuk setiap pegawai, sekolah dan instansi di penyimpanan demo.

    Hanya untuk penyimpanan yang dibuat oleh ``selaras demo``; akun yang sudah ada tidak diubah.
    """
    store = open_store(db)
    if not is_demo_store(store):
        _fail(
            AccountError(
                "penyimpanan ini bukan penyimpanan demo (yang dibuat oleh `selaras demo`); akun dengan "
                "kata sandi umum tidak dibuat. Buat akun satu per satu dengan `selaras akun tambah`."
            )
        )
    made = seed_demo_accounts(store, password)
    total = len(demo_account_rows(store))
    click.echo(f"{len(made)} akun dibuat; kata sandi: {password}")
    if total > len(made):
        click.echo(f"{total - len(made)} akun sudah ada; kata sandinya tidak diubah.")

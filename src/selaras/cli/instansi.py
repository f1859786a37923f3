"""``selaras instansi``: an instansi's own settings in Selaras (the time zone its people read
times in: WIB, WITA or WIT; WIB when never set)."""

from __future__ import annotations

import click

from selaras.catalogue import dates, words
from selaras.store import reads


@click.group()
def instansi() -> None:
    """Pengaturan instansi di Selaras (zona waktu, hari libur tambahan, kebijakan eskalasi, kebijakan Plt)."""


@instansi.command("zona")
@click.argument("instansi_id")
@click.argument("zona", required=False, type=click.Choice(list(dates.ZONA)))
@click.option("--db", envvar="SELARAS_DB", help="URL basis data atau berkas SQLite (bawaan: selaras.db).")
def zona(instansi_id: str, zona: str | None, db: str | None) -> None:
    """Tampilkan atau ubah zona waktu INSTANSI_ID (WIB, WITA, WIT) untuk waktu di halaman dan ekspor."""
    from selaras.cli.common import open_store
    from selaras.usecases import instansi as usecase
    from selaras.usecases.accounts import cli_pelaku

    store = open_store(db)
    nama = reads.instansi_nama(store, instansi_id)
    if nama is None:
        raise click.UsageError(f"Instansi {instansi_id} tidak ada di penyimpanan.")
    if zona is not None:
        usecase.set_zona(store, instansi_id, zona, pelaku=cli_pelaku())
    click.echo(f"{nama} ({instansi_id}): zona waktu {reads.zona_of(store, instansi_id)}")


def _instansi(store: object, instansi_id: str) -> str:
    nama = reads.instansi_nama(store, instansi_id)  # type: ignore[arg-type]
    if nama is None:
        raise click.UsageError(f"Instansi {instansi_id} tidak ada di penyimpanan.")
    return nama


@instansi.command("libur")
@click.argument("instansi_id")
@click.argument("tanggal", required=False, type=click.DateTime(["%Y-%m-%d"]))
@click.argument("keterangan", required=False)
@click.option("--db", envvar="SELARAS_DB", help="URL basis data atau berkas SQLite (bawaan: selaras.db).")
def libur(instansi_id: str, tanggal: object, keterangan: str | None, db: str | None) -> None:
    """Tampilkan hari libur tambahan INSTANSI_ID, atau tambahkan TANGGAL (YYYY-MM-DD) dengan
    KETERANGAN: hari itu tidak dihitung sebagai hari kerja dalam umur kendala dan eskalasi."""
    from selaras.cli.common import open_store
    from selaras.store import eskalasi as esk
    from selaras.usecases import instansi as usecase
    from selaras.usecases.accounts import cli_pelaku

    store = open_store(db)
    nama = _instansi(store, instansi_id)
    if tanggal is not None:
        if not keterangan or not keterangan.strip():
            raise click.UsageError('Sebutkan KETERANGAN hari libur itu, mis. "Hari jadi kabupaten".')
        day = tanggal.date()  # type: ignore[attr-defined]
        usecase.add_libur(store, instansi_id, day, keterangan.strip(), pelaku=cli_pelaku())
    days = esk.libur_of(store, instansi_id)
    click.echo(f"{nama} ({instansi_id}): {words.angka(len(days))} hari libur tambahan")
    for d in sorted(days):
        click.echo(f"  {dates.tanggal(d)}  {days[d]}")


@instansi.command("eskalasi")
@click.argument("instansi_id")
@click.option("--ke-admin", type=click.IntRange(1, 250), help="Hari kerja sebelum kendala naik ke Admin Instansi.")
@click.option(
    "--ke-pimpinan", type=click.IntRange(1, 250), help="Hari kerja sebelum kendala naik ke pimpinan instansi."
)
@click.option("--pimpinan-email", help="Alamat e-mail pimpinan instansi untuk pemberitahuan eskalasi.")
@click.option("--db", envvar="SELARAS_DB", help="URL basis data atau berkas SQLite (bawaan: selaras.db).")
def kebijakan(
    instansi_id: str, ke_admin: int | None, ke_pimpinan: int | None, pimpinan_email: str | None, db: str | None
) -> None:
    """Tampilkan atau ubah kebijakan eskalasi INSTANSI_ID (ambang dalam hari kerja)."""
    from dataclasses import replace

    from selaras.cli.common import open_store
    from selaras.store import eskalasi as esk
    from selaras.usecases import instansi as usecase
    from selaras.usecases.accounts import cli_pelaku

    store = open_store(db)
    nama = _instansi(store, instansi_id)
    k = esk.kebijakan_of(store, instansi_id)
    if ke_admin is not None or ke_pimpinan is not None or pimpinan_email is not None:
        if pimpinan_email is not None and pimpinan_email and "@" not in pimpinan_email:
            raise click.BadParameter("alamat e-mail tidak valid", param_hint="--pimpinan-email")
        k = replace(
            k,
            ke_admin=ke_admin or k.ke_admin,
            ke_pimpinan=ke_pimpinan or k.ke_pimpinan,
            pimpinan_email=(pimpinan_email or None) if pimpinan_email is not None else k.pimpinan_email,
        )
        usecase.set_kebijakan_eskalasi(store, instansi_id, k, pelaku=cli_pelaku())
    click.echo(
        f"{nama} ({instansi_id}): naik ke Admin Instansi setelah {words.angka(k.ke_admin)} hari kerja, "
        f"ke pimpinan setelah {words.angka(k.ke_pimpinan)} hari kerja; "
        f"e-mail pimpinan: {k.pimpinan_email or '(tidak ada)'}"
    )


@instansi.command("plt")
@click.argument("instansi_id")
@click.option(
    "--boleh-menilai",
    type=click.Choice(["ya", "tidak"], case_sensitive=False),
    help="Apakah Plt/Plh Kepala Sekolah boleh menyetujui dan menilai SKP guru di instansi ini.",
)
@click.option("--masa-bulan", type=click.IntRange(1, 36), help="Lama masa tugas Plt dalam bulan (bawaan 9).")
@click.option("--db", envvar="SELARAS_DB", help="URL basis data atau berkas SQLite (bawaan: selaras.db).")
def plt(instansi_id: str, boleh_menilai: str | None, masa_bulan: int | None, db: str | None) -> None:
    """Tampilkan atau ubah kebijakan Plt Kepala Sekolah INSTANSI_ID: boleh menilai SKP (Ya/Tidak)
    dan masa tugas Plt dalam bulan; keduanya dipakai pemeriksaan PLT-03 dan PLT-04."""
    import polars as pl

    from selaras.cli.common import open_store
    from selaras.domain.pimpinan import Kebijakan
    from selaras.usecases import instansi as usecase
    from selaras.usecases.accounts import cli_pelaku

    store = open_store(db)
    nama = _instansi(store, instansi_id)
    boleh = None if boleh_menilai is None else boleh_menilai.lower() == "ya"
    usecase.set_plt(store, instansi_id, boleh, masa_bulan, pelaku=cli_pelaku())
    row = (
        Kebijakan(setelan=reads.plt_setelan(store))
        .of_instansi(pl.DataFrame({"instansi_id": [instansi_id]}))
        .row(0, named=True)
    )
    click.echo(
        f"{nama} ({instansi_id}): Plt Kepala Sekolah "
        f"{'boleh' if row['plt_boleh_menilai'] else 'tidak boleh'} menilai SKP guru; "
        f"masa tugas Plt {words.angka(row['plt_masa_bulan'])} bulan"
    )

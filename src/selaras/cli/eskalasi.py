"""``selaras eskalasi`` (run the escalation policy once; ``--coba``: what it would do) and
``selaras prakiraan`` (the forecast at the deadline, as a table, CSV or JSON)."""

from __future__ import annotations

import csv
import json
import sys
from datetime import date
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from selaras.catalogue import dates, words
from selaras.cli.common import EXIT_INPUT, open_store
from selaras.domain.eskalasi import TINGKAT_LABEL, Tingkat
from selaras.domain.results import Flow

JENIS_TINDAKAN = {
    "baru": "Kendala baru tercatat",
    "berubah": "Kendala berubah",
    "tutup": "Kendala selesai",
    "eskalasi": "Eskalasi",
}


def _store(db: str | None) -> Any:
    return open_store(db)


@click.command("eskalasi")
@click.option("--db", envvar="SELARAS_DB", help="URL basis data atau berkas SQLite (bawaan: selaras.db).")
@click.option("--coba", is_flag=True, help="Hanya tampilkan apa yang akan dilakukan; tidak ada yang diubah.")
@click.option("--instansi", "instansi_ids", multiple=True, help="Hanya instansi ini (boleh diulang).")
@click.option("--tanpa-digest", is_flag=True, help="Jangan kirim ringkasan harian.")
def eskalasi(db: str | None, coba: bool, instansi_ids: tuple[str, ...], tanpa_digest: bool) -> None:
    """Jalankan kebijakan eskalasi sekali: catat umur kendala, naikkan yang terlalu lama ke tingkat
    berikutnya, tulis ringkasan harian, dan kirim ringkasan harian ke setiap akun (sekali sehari)."""
    from selaras.usecases import eskalasi as uc

    store = _store(db)
    out = Console()
    if not coba:
        written = uc.tulis_ringkasan(store)
        if written is not None:
            out.print(
                f"Ringkasan harian ditulis: {words.angka(written[0])} instansi, "
                f"{words.angka(written[1])} sekolah berubah."
            )
    report = uc.jalankan(store, coba=coba, instansi=list(instansi_ids) or None)
    table = Table(title="Yang akan dilakukan (coba)" if coba else "Yang dilakukan")
    for col in ("Instansi", "Tindakan", "Kendala", "Umur", "Kepada"):
        table.add_column(col)
    for t in report.tindakan:
        kepada = TINGKAT_LABEL[Tingkat(t.tingkat)] if t.tingkat else ""
        umur = f"{t.umur} hari kerja" if t.jenis in ("baru", "eskalasi") else ""
        table.add_row(t.instansi_id, JENIS_TINDAKAN[t.jenis], t.label, umur, kepada)
    out.print(table)
    out.print(
        f"{words.angka(report.hitung('baru'))} baru, {words.angka(report.hitung('berubah'))} berubah, "
        f"{words.angka(report.hitung('tutup'))} selesai, {words.angka(report.hitung('eskalasi'))} eskalasi"
        + (" (coba: tidak ada yang disimpan)" if coba else "")
    )
    if not coba and not tanpa_digest:
        sent = uc.kirim_digest(store)
        out.print(
            f"Ringkasan harian terkirim ke {words.angka(len(sent.terkirim))} akun ({words.angka(sent.email)} surel)."
        )


@click.command("prakiraan")
@click.option("--db", envvar="SELARAS_DB", help="URL basis data atau berkas SQLite (bawaan: selaras.db).")
@click.option(
    "--flow", type=click.Choice([f.value for f in Flow]), default=Flow.SKP.value, show_default=True, help="Alur."
)
@click.option("--tahun", type=int, help="Tahun (bawaan: tahun terakhir di ringkasan harian).")
@click.option("--instansi", "instansi_id", help="Prakiraan per sekolah instansi ini (tanpa: per instansi, nasional).")
@click.option("--tenggat", type=click.DateTime(["%Y-%m-%d"]), help="Tenggat (bawaan: 31 Desember tahun itu).")
@click.option("--format", "fmt", type=click.Choice(["tabel", "csv", "json"]), default="tabel", show_default=True)
@click.option("--semua", is_flag=True, help="Semua sekolah/instansi, bukan hanya yang berisiko.")
def prakiraan(
    db: str | None, flow: str, tahun: int | None, instansi_id: str | None, tenggat: Any, fmt: str, semua: bool
) -> None:
    """Prakiraan persentase TERSINKRON pada tenggat, dengan rentang ketidakpastiannya (95%), dan
    sekolah (atau instansi) yang berisiko, diurutkan menurut jumlah guru yang dipertaruhkan."""
    from selaras.usecases import eskalasi as uc

    store = _store(db)
    due: date | None = tenggat.date() if tenggat is not None else None
    result = uc.prakiraan(store, Flow(flow), instansi_id=instansi_id, tahun=tahun, tenggat=due)
    if result is None:
        Console(stderr=True).print(
            "[red]belum ada ringkasan harian; jalankan `selaras eskalasi` (menulisnya sekali sehari) dulu[/]"
        )
        sys.exit(EXIT_INPUT)
    rows = result.semua if semua else result.berisiko
    level = "sekolah" if instansi_id else "instansi"
    records = [_record(level, r.kunci, r.nama, r.prakiraan) for r in rows]
    if fmt == "json":
        overall = (
            _record("keseluruhan", instansi_id or "nasional", "", result.keseluruhan) if result.keseluruhan else None
        )
        click.echo(
            json.dumps(
                {
                    "flow": result.flow,
                    "tahun": result.tahun,
                    "tenggat": result.tenggat.isoformat(),
                    "keseluruhan": overall,
                    "baris": records,
                },
                ensure_ascii=False,
                indent=2,
            )
        )
        return
    if fmt == "csv":
        w = csv.DictWriter(sys.stdout, fieldnames=list(_record(level, "", "", None).keys()))
        w.writeheader()
        w.writerows(records)
        return
    out = Console()
    p = result.keseluruhan
    if p is not None:
        out.print(
            f"Tenggat {dates.tanggal(result.tenggat)} ({p.hari_kerja_sisa} hari kerja lagi): "
            f"kini {words.persen(100.0 * p.tersinkron / p.total if p.total else 100.0)} tersinkron, "
            f"perkiraan {words.persen(p.persen)} "
            f"(rentang {words.persen(p.persen_bawah)} sampai {words.persen(p.persen_atas)})."
        )
    table = Table(title=f"{level.capitalize()} {'semua' if semua else 'berisiko'}")
    for col in (level.capitalize(), "Nama", "Guru", "Tersinkron", "Perkiraan", "Rentang", "Guru terancam"):
        table.add_column(col)
    for r in rows:
        q = r.prakiraan
        table.add_row(
            r.kunci,
            r.nama,
            words.angka(q.total),
            words.angka(q.tersinkron),
            words.persen(q.persen),
            f"{words.persen(q.persen_bawah)} sampai {words.persen(q.persen_atas)}",
            words.angka(q.guru_terancam),
        )
    out.print(table)


def _record(level: str, kunci: str, nama: str, p: Any) -> dict[str, Any]:
    return {
        "tingkat": level,
        "kunci": kunci,
        "nama": nama,
        "total": p.total if p else None,
        "tersinkron": p.tersinkron if p else None,
        "perkiraan": round(p.perkiraan, 1) if p else None,
        "persen": round(p.persen, 1) if p else None,
        "persen_bawah": round(p.persen_bawah, 1) if p else None,
        "persen_atas": round(p.persen_atas, 1) if p else None,
        "laju_per_hari_kerja": round(p.laju, 2) if p else None,
        "hari_kerja_sisa": p.hari_kerja_sisa if p else None,
        "guru_terancam": p.guru_terancam if p else None,
    }

"""``selaras demo``: one realistic instansi with every problem code; checked, synced, recapped,
with weeks of history, and (``--serve``) the web app over it with demo accounts."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import TYPE_CHECKING

import click
import polars as pl

from selaras.cli.common import open_store, out, progress, rows_progress, stage, tahun_option, tahun_or_now
from selaras.domain.recap import recap
from selaras.domain.results import CheckResult, Flow
from selaras.views import CardNames, error_cards, print_all, recap_tables, sync_summary

if TYPE_CHECKING:
    from selaras.simulation.generator import Generated
    from selaras.store.database import Store


@click.command()
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
    from selaras.usecases.accounts import mark_demo_store
    from selaras.usecases.imports import import_snapshot
    from selaras.usecases.laporan import export_snapshot

    th = tahun_or_now(tahun)
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
    _demo_season(store, th, g)
    export_snapshot(store, workdir / "hasil")
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
        from selaras.cli.akun import demo_account_rows
        from selaras.cli.serve import serve_demo

        # Made with the store (before its history), each with the public demo password.
        accounts = [(str(r["username"]), str(r["peran"]), str(r["nama"])) for r in demo_account_rows(store)]
        store.dispose()
        serve_demo(str(workdir / "selaras.db"), port, accounts)


def _demo_season(store: Store, th: int, g: Generated) -> None:
    """The checks and the three syncs of the season, each with its recap and example cards."""
    from selaras.simulation.pimpinan import tanggal_snapshot
    from selaras.usecases.sync import check_store, sync_store

    # The demo tells the sync season: checked on the snapshot's day, when its Plt terms run.
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


DEMO_HARI_INI = ("PMM-11", "PMM-12", "PMM-13")
"""Codes about a principal's plan: the schools where they occur sync only today, so that the
demo's first check still shows them."""


def _demo_history(store: Store, tahun: int, g: Generated) -> None:
    """Weeks of history before today, so that ages, escalations, the digest and the forecast
    show on a fresh demo; the demo accounts first (the digests go to them)."""
    from selaras.catalogue import dates, words
    from selaras.cli.akun import DEMO_PASSWORD, seed_demo_accounts
    from selaras.usecases.demo_riwayat import buat_riwayat

    with stage("membuat akun demo"):
        seed_demo_accounts(store, DEMO_PASSWORD)
    with stage("membuat riwayat empat minggu (pemeriksaan, sinkron, eskalasi dan ringkasan tiap hari kerja)"):
        ptk = g.snapshot["dapodik_ptk"].select("nip", "npsn").drop_nulls()
        cases = g.manifest.filter(pl.col("code").is_in(list(DEMO_HARI_INI)))["nip"].to_list()
        schools = ptk.filter(pl.col("nip").is_in(cases))["npsn"].unique().to_list()
        today = frozenset(ptk.filter(pl.col("npsn").is_in(schools))["nip"].to_list())
        r = buat_riwayat(store, tahun, g.snapshot["siasn_pegawai"]["nip"].to_list(), tetap=today)
    out.print(
        f"Riwayat: pemeriksaan pertama {dates.tanggal(r.mulai)}, lalu {words.angka(r.hari)} hari kerja "
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

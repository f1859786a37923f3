"""``selaras tarik``: pull now, for one instansi or all, from the sources configured by
environment (``docs/source-api.md``) into the store, and queue the re-check of every pegawai
whose data changed.

Exit status: 0 everything pulled and nothing refused; 1 some records refused (SYS-02, listed);
2 bad usage or configuration (a missing variable, a key or account the source refuses, an
unknown instansi); 3 a source unavailable after its retries (SYS-01) or the store failing:
the instansi it hit keep their data as it was, the others are written (a single school's own
Dapodik service offline holds up only that school).
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import click
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from selaras.catalogue.codes import CATALOGUE
from selaras.catalogue.words import angka
from selaras.cli.common import (
    EXIT_GAGAL,
    EXIT_INFRA,
    EXIT_OK,
    console,
    fail,
    infra_fail,
    open_store,
    pelaku,
    tahun_or_now,
)

if TYPE_CHECKING:
    from selaras.sources.connectors import RealSources
    from selaras.store.database import Store
    from selaras.usecases.tarik import InstansiTarik

SHOWN_PROBLEMS = 30


@click.command("tarik")
@click.option("--db", envvar="SELARAS_DB", help="URL basis data atau berkas SQLite (bawaan: selaras.db).")
@click.option("--instansi", "instansi_ids", multiple=True, help="Hanya instansi ini (boleh diulang).")
@click.option("--semua", is_flag=True, help="Semua instansi di penyimpanan.")
@click.option("--tahun", type=int, help="Tahun SKP pemeriksaan ulang (bawaan: tahun berjalan).")
def tarik(db: str | None, instansi_ids: tuple[str, ...], semua: bool, tahun: int | None) -> None:
    """Tarik data SIASN, Dapodik dan PMM sekarang ke penyimpanan, untuk satu instansi atau semua,
    lalu antrekan pemeriksaan ulang setiap pegawai yang datanya berubah."""
    if bool(instansi_ids) == semua:
        fail("sebutkan --instansi ID (boleh diulang) atau --semua")
    sources = _sources()
    store = open_store(db)
    names, wanted = _wanted(store, instansi_ids, semua)
    with sources:
        results, failures, status = _pull(store, sources, names, wanted, tahun_or_now(tahun))
    status = _print_results(results, sources, names, len(wanted), status)
    for f in failures:
        console.print(f"[bold red]Gagal:[/] {f}")
    sys.exit(status)


def _sources() -> RealSources:
    """The sources configured by the environment; none, or a wrong setting, ends with exit 2."""
    from selaras.sources.connectors import RealSources

    try:
        sources = RealSources.from_env()
    except ValueError as e:
        fail(str(e))
    if not sources.configured:
        fail(
            "belum ada sumber yang dikonfigurasi: isi SELARAS_SIASN_API_URL dan kawan-kawannya, "
            "SELARAS_DAPODIK_SEKOLAH_URL dan SELARAS_DAPODIK_KEY, atau SELARAS_PMM_URL (lihat docs/source-api.md)"
        )
    return sources


def _wanted(store: Store, instansi_ids: tuple[str, ...], semua: bool) -> tuple[dict[str, str], list[str]]:
    """The stored instansi's names by id, and the ids to pull; an unknown one ends with exit 2."""
    from selaras.store.snapshots import load_table

    instansi = load_table(store, "instansi")
    names = dict(zip(instansi["instansi_id"].to_list(), instansi["nama"].to_list(), strict=True))
    wanted = sorted(names) if semua else list(dict.fromkeys(instansi_ids))
    unknown = [i for i in wanted if i not in names]
    if unknown:
        fail(f"instansi {', '.join(unknown)} tidak ada di penyimpanan; impor data instansi terlebih dahulu")
    if not wanted:
        fail("penyimpanan belum berisi instansi; impor data instansi terlebih dahulu")
    return names, wanted


def _pull(
    store: Store, sources: RealSources, names: dict[str, str], wanted: list[str], th: int
) -> tuple[list[InstansiTarik], list[str], int]:
    """Pull each instansi in turn, with a bar per instansi and source: what was pulled, the
    instansi that failed (kept as they were), and the exit status so far."""
    from selaras.sources.transport import SourceConfigError, SourceContractError, SourceUnavailable
    from selaras.store.uow import InfrastructureError
    from selaras.usecases.tarik import tarik_instansi

    results: list[InstansiTarik] = []
    failures: list[str] = []
    status = EXIT_OK
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=not console.is_terminal,
    ) as bar:
        overall = bar.add_task("instansi", total=len(wanted))
        for instansi_id in wanted:
            nama = names[instansi_id]
            tasks: dict[str, int] = {}

            def tell(what: str, done: int, total: int, nama: str = nama, tasks: dict[str, int] = tasks) -> None:
                label = f"{nama}: {what}"
                if label not in tasks:
                    tasks[label] = bar.add_task(label, total=max(total, 1))
                bar.update(tasks[label], completed=done, total=max(total, 1))

            try:
                results.append(tarik_instansi(store, sources, instansi_id, tahun=th, pelaku=pelaku(), progress=tell))
            except SourceUnavailable as e:
                failures.append(f"{nama}: {CATALOGUE['SYS-01'].judul}: {e}; data instansi ini tidak diubah")
                status = EXIT_INFRA
            except SourceContractError as e:
                failures.append(f"{nama}: {CATALOGUE['SYS-02'].judul}: {e}; data instansi ini tidak diubah")
                status = max(status, EXIT_GAGAL)
            except SourceConfigError as e:
                fail(f"{e}. Periksa konfigurasi sumber (docs/source-api.md); tidak ada yang diubah untuk {nama}.")
            except InfrastructureError as e:
                infra_fail(e.message())
            finally:
                for task in tasks.values():
                    bar.remove_task(task)
            bar.advance(overall)
    return results, failures, status


def _print_results(
    results: list[InstansiTarik], sources: RealSources, names: dict[str, str], asked: int, status: int
) -> int:
    """The counts per source, the duties, the queued re-checks, the refused records and the
    schools that could not be reached; the exit status with what they add."""
    from selaras.usecases.tarik import summary_of, tugas_of

    table = Table(title="Hasil tarik data per sumber")
    for column in ("Sumber", "Baru", "Berubah", "Sama", "Ditolak"):
        table.add_column(column, justify="left" if column == "Sumber" else "right")
    for source, h in summary_of(results).items():
        if source in sources.configured:
            table.add_row(source, angka(h.baru), angka(h.berubah), angka(h.sama), angka(h.ditolak))
    console.print(table)
    if "Dapodik" in sources.configured:
        t, ended = tugas_of(results)
        console.print(
            f"Tugas kepala sekolah/Plt/Plh (termasuk hitungan Dapodik): {angka(t.baru)} baru, "
            f"{angka(t.berubah)} berubah, {angka(t.sama)} sama, {angka(t.ditolak)} ditolak, {angka(ended)} berakhir."
        )
    queued = sum(len(r.nips) for r in results)
    console.print(
        f"{angka(len(results))} dari {angka(asked)} instansi ditarik; "
        f"{angka(queued)} pegawai diantrekan untuk diperiksa ulang."
    )
    problems = [p for r in results for p in r.problems]
    if problems:
        console.print(f"[yellow]{angka(len(problems))} rekaman ditolak ({CATALOGUE['SYS-02'].judul}):[/]")
        for p in problems[:SHOWN_PROBLEMS]:
            console.print(f"  - {p}")
        if len(problems) > SHOWN_PROBLEMS:
            console.print(f"  ... dan {angka(len(problems) - SHOWN_PROBLEMS)} lagi")
        status = max(status, EXIT_GAGAL) if status != EXIT_INFRA else status
    missing = sum(len(r.tidak_di_siasn) for r in results)
    if missing:
        console.print(f"{angka(missing)} NIP dari Dapodik, PMM atau e-Kinerja tidak dikenal SIASN.")
    unreachable = [(names[r.instansi_id], n, why) for r in results for n, why in r.sekolah_tidak_terjangkau.items()]
    if unreachable:
        console.print(
            f"[bold red]{angka(len(unreachable))} sekolah tidak dapat dihubungi "
            f"({CATALOGUE['SYS-01'].judul}); datanya tidak diubah, tarik lagi nanti:[/]"
        )
        for nama, npsn, why in unreachable[:SHOWN_PROBLEMS]:
            console.print(f"  - {nama}: NPSN {npsn}: {why}")
        status = EXIT_INFRA
    return status

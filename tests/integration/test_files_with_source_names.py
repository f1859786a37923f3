"""Files with SIASN's and Dapodik's own column names and values (issue 19, item 6), read through
the connectors' mapping tables (``sources/mapping.py``): they check exactly like the contract's
files; what cannot be mapped is refused naming file, row and the file's own column."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import openpyxl
import polars as pl
import pytest
from source_files import TAHUN, assert_same, dapodik_export, outcome, siasn_pegawai, siasn_unor, source_folder

from selaras.domain.results import Flow
from selaras.domain.rules import check
from selaras.domain.snapshot import Snapshot
from selaras.simulation.generator import generate
from selaras.sources.files import Problem, SnapshotError, read_snapshot
from selaras.sources.layout import FileFormat
from selaras.sources.mapped import UNKNOWN_HEADER
from selaras.sources.writer import write_snapshot


@pytest.fixture(scope="module")
def demo() -> Snapshot:
    """The demo instansi of ``selaras demo`` (every data error occurs)."""
    return generate(300, seed=7, tahun=TAHUN, instansi=1).snapshot


def test_siasn_and_dapodik_named_files_check_like_the_original(demo: Snapshot, tmp_path: Path) -> None:
    result = read_snapshot(source_folder(demo, tmp_path / "snap"))
    assert_same(result.snapshot, demo)
    assert outcome(check(result.snapshot, TAHUN, Flow.SKP)) == outcome(check(demo, TAHUN, Flow.SKP))
    formats = {f.label: f for f in result.formats}
    assert formats["siasn_pegawai.csv"] == FileFormat("siasn_pegawai.csv", ";", 1, "siasn.data-utama")
    assert formats["dapodik_ptk.csv"] == FileFormat("dapodik_ptk.csv", ";", 1, "dapodik.getGtk")
    assert formats["instansi.csv"] == FileFormat("instansi.csv", ",")
    assert str(formats["siasn_pegawai.csv"]) == "siasn_pegawai.csv: pemetaan siasn.data-utama, pemisah titik koma (;)"


def test_siasn_named_sheet_below_title_lines_checks_like_the_original(demo: Snapshot, tmp_path: Path) -> None:
    book = tmp_path / "snap.xlsx"
    write_snapshot(demo, book)
    wb = openpyxl.load_workbook(book)
    ws = wb["siasn_pegawai"]
    ws.delete_rows(1, ws.max_row)
    ws.append(["DATA PNS KABUPATEN"])
    ws.append([])
    frame = siasn_pegawai(demo)
    ws.append(frame.columns)
    for row in frame.iter_rows():
        ws.append(list(row))
    wb.save(book)
    result = read_snapshot(book)
    assert_same(result.snapshot, demo)
    assert outcome(check(result.snapshot, TAHUN, Flow.SKP)) == outcome(check(demo, TAHUN, Flow.SKP))
    assert FileFormat("snap.xlsx:siasn_pegawai", None, 3, "siasn.data-utama") in result.formats


def test_an_unmappable_value_is_refused_with_file_row_and_its_own_column(demo: Snapshot, tmp_path: Path) -> None:
    folder = source_folder(demo, tmp_path / "snap")
    frame = siasn_pegawai(demo)
    frame = frame.with_columns(
        pl.when(pl.int_range(pl.len()) == 4)
        .then(pl.lit("Cuti Besar"))
        .otherwise("kedudukanPnsNama")
        .alias("kedudukanPnsNama")
    )
    frame.write_csv(folder / "siasn_pegawai.csv", separator=";")
    with pytest.raises(SnapshotError) as caught:
        read_snapshot(folder)
    rule = "nilai tidak dapat dipetakan (siasn.data-utama): kedudukan pegawai tidak dikenal"
    [problem] = caught.value.problems
    assert (problem.file, problem.row, problem.column, problem.value) == (
        "siasn_pegawai.csv",
        6,
        "kedudukanPnsNama",
        "Cuti Besar",
    )
    assert problem.rule.startswith(rule)


def test_a_contract_rule_broken_in_a_mapped_file_names_the_files_own_column(demo: Snapshot, tmp_path: Path) -> None:
    folder = source_folder(demo, tmp_path / "snap")
    frame = siasn_pegawai(demo).with_columns(
        pl.when(pl.int_range(pl.len()) == 0).then(pl.lit("1234")).otherwise("nipBaru").alias("nipBaru")
    )
    frame.write_csv(folder / "siasn_pegawai.csv")
    with pytest.raises(SnapshotError) as caught:
        read_snapshot(folder)
    assert Problem("siasn_pegawai.csv", 2, "nipBaru", "1234", "NIP harus 18 digit angka") in caught.value.problems


def test_an_unknown_header_is_refused_naming_file_row_and_column(demo: Snapshot, tmp_path: Path) -> None:
    folder = source_folder(demo, tmp_path / "snap")
    frame = siasn_pegawai(demo).rename({"kedudukanPnsNama": "Kedudukan Hukum"})
    frame.write_csv(folder / "siasn_pegawai.csv", separator=";")
    with pytest.raises(SnapshotError) as caught:
        read_snapshot(folder)
    assert caught.value.problems == [
        Problem("siasn_pegawai.csv", None, "kedudukanPnsNama", None, "kolom wajib tidak ada"),
        # Columns Selaras does not read are named too: one of them may be the missing one.
        Problem("siasn_pegawai.csv", 1, "id", None, UNKNOWN_HEADER),
        Problem("siasn_pegawai.csv", 1, "Kedudukan Hukum", None, UNKNOWN_HEADER),
        Problem("siasn_pegawai.csv", 1, "tmtGolAkhir", None, UNKNOWN_HEADER),
    ]


def test_an_unknown_header_in_a_sheet_is_named_by_its_row(tmp_path: Path) -> None:
    book = tmp_path / "snap.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "instansi"
    ws.append(["Daftar instansi"])
    ws.append(["instansi_id", "Nama Instansi"])
    ws.append(["I1", "Kabupaten Bima"])
    wb.save(book)
    with pytest.raises(SnapshotError) as caught:
        read_snapshot(book)
    assert caught.value.problems == [
        Problem("snap.xlsx:instansi", None, "nama", None, "kolom wajib tidak ada"),
        Problem("snap.xlsx:instansi", 2, "Nama Instansi", None, UNKNOWN_HEADER),
    ]


@pytest.mark.parametrize(
    ("table", "build", "mapping"),
    [("siasn_unor", siasn_unor, "siasn.ref-unor"), ("dapodik_ptk", dapodik_export, "dapodik.ekspor-gtk")],
)
def test_ref_unor_and_the_dapodik_export_map(
    demo: Snapshot, tmp_path: Path, table: str, build: Callable[[Snapshot], pl.DataFrame], mapping: str
) -> None:
    folder = tmp_path / "snap"
    write_snapshot(demo, folder)
    build(demo).write_csv(folder / f"{table}.csv")
    result = read_snapshot(folder)
    assert_same(result.snapshot, demo)
    assert FileFormat(f"{table}.csv", ",", 1, mapping) in result.formats


def test_lenient_leaves_out_the_rows_that_do_not_map_and_names_them(demo: Snapshot, tmp_path: Path) -> None:
    folder = source_folder(demo, tmp_path / "snap")
    frame = siasn_pegawai(demo)
    bad = frame["nipBaru"][3]
    frame = frame.with_columns(
        pl.when(pl.int_range(pl.len()) == 3)
        .then(pl.lit("Tugas Belajar"))
        .otherwise("kedudukanPnsNama")
        .alias("kedudukanPnsNama")
    )
    frame.write_csv(folder / "siasn_pegawai.csv", separator=";")
    result = read_snapshot(folder, lenient=True)
    [problem] = [p for p in result.rejected if p.file == "siasn_pegawai.csv"]
    assert (problem.row, problem.column, problem.value) == (5, "kedudukanPnsNama", "Tugas Belajar")
    expected = demo["siasn_pegawai"].filter(pl.col("nip") != bad)
    assert result.snapshot["siasn_pegawai"].equals(expected)

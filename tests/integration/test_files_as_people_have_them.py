"""Files as people have them (issue 19, item 6): CSV saved by Excel in an Indonesian locale
(``;`` between columns, a BOM, CRLF) and workbooks with title lines above each table read, and
check, exactly like the contract's own files."""

from __future__ import annotations

import csv
from pathlib import Path

import openpyxl
import pytest
from source_files import TAHUN, assert_same, outcome

from selaras.domain.results import Flow
from selaras.domain.rules import check
from selaras.domain.snapshot import TABLES, Snapshot
from selaras.simulation.generator import generate
from selaras.sources.files import Problem, SnapshotError, read_snapshot
from selaras.sources.layout import FileFormat
from selaras.sources.writer import write_snapshot


@pytest.fixture(scope="module")
def demo() -> Snapshot:
    """The demo instansi of ``selaras demo`` (every data error occurs)."""
    return generate(300, seed=7, tahun=TAHUN, instansi=1).snapshot


def as_excel_csv(folder: Path) -> None:
    """Rewrite every CSV file of ``folder`` as Excel saves it in an Indonesian locale."""
    for p in folder.glob("*.csv"):
        with p.open(newline="", encoding="utf-8") as f:
            rows = list(csv.reader(f))
        with p.open("w", newline="", encoding="utf-8-sig") as f:
            csv.writer(f, delimiter=";", lineterminator="\r\n").writerows(rows)


def with_csv_title_lines(folder: Path) -> None:
    """Put two title lines above every table, as Excel saves a sheet with a title as CSV."""
    for p in folder.glob("*.csv"):
        text = p.read_bytes().removeprefix(b"\xef\xbb\xbf")
        p.write_bytes(b"\xef\xbb\xbfDATA " + p.stem.upper().encode() + b";;;\r\n;;;\r\n" + text)


def with_title_lines(book: Path) -> None:
    """Put two title lines above the table of every sheet, the first a merged cell."""
    wb = openpyxl.load_workbook(book)
    for ws in wb.worksheets:
        ws.insert_rows(1, 2)
        ws["A1"] = f"Data {ws.title} per 1 Januari {TAHUN}"
        ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=3)
        ws["A2"] = "Sumber: ekspor aplikasi"
    wb.save(book)


def test_demo_as_excel_csv_checks_like_the_original(demo: Snapshot, tmp_path: Path) -> None:
    folder = tmp_path / "snap"
    write_snapshot(demo, folder)
    as_excel_csv(folder)
    raw = (folder / "siasn_pegawai.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbfnip;") and b"\r\n" in raw
    result = read_snapshot(folder)
    assert_same(result.snapshot, demo)
    expected = outcome(check(demo, TAHUN, Flow.SKP))
    assert len(expected) > 100 and any(codes for _, codes in expected.values())
    assert outcome(check(result.snapshot, TAHUN, Flow.SKP)) == expected
    present = [t for t in TABLES if (folder / t.file_name).exists()]
    assert result.formats == [FileFormat(t.file_name, ";") for t in present]
    assert str(result.formats[0]) == f"{present[0].file_name}: kolom kontrak Selaras, pemisah titik koma (;)"


def test_demo_as_workbook_with_title_lines_checks_like_the_original(demo: Snapshot, tmp_path: Path) -> None:
    book = tmp_path / "snap.xlsx"
    write_snapshot(demo, book)
    with_title_lines(book)
    result = read_snapshot(book)
    assert_same(result.snapshot, demo)
    assert outcome(check(result.snapshot, TAHUN, Flow.SKP)) == outcome(check(demo, TAHUN, Flow.SKP))
    assert result.formats == [FileFormat(f"snap.xlsx:{t.name}", None, 3) for t in TABLES]
    assert str(result.formats[0]) == "snap.xlsx:instansi: kolom kontrak Selaras, baris judul tabel di baris 3"


def test_rows_below_title_lines_are_named_by_their_sheet_row(demo: Snapshot, tmp_path: Path) -> None:
    book = tmp_path / "snap.xlsx"
    write_snapshot(demo, book)
    wb = openpyxl.load_workbook(book)
    ws = wb["siasn_pegawai"]
    ws["A3"] = "123"  # the first data row, below the header (row 1 before the title lines)
    wb.save(book)
    with_title_lines(book)
    with pytest.raises(SnapshotError) as caught:
        read_snapshot(book)
    assert caught.value.problems == [Problem("snap.xlsx:siasn_pegawai", 5, "nip", "123", "NIP harus 18 digit angka")]


def test_semicolon_file_refuses_a_wrong_field_count_by_row(tmp_path: Path) -> None:
    folder = tmp_path / "snap"
    folder.mkdir()
    (folder / "instansi.csv").write_bytes(b"\xef\xbb\xbfinstansi_id;nama\r\nI1;Bima;lebih\r\n\r\nI2;Kota, Bima\r\n")
    with pytest.raises(SnapshotError) as caught:
        read_snapshot(folder)
    assert caught.value.problems == [
        Problem("instansi.csv", 2, None, None, "jumlah kolom salah: baris ini punya 3 kolom, baris judul punya 2")
    ]


def test_semicolon_file_with_quoted_separators_reads_every_value(tmp_path: Path) -> None:
    folder = tmp_path / "snap"
    folder.mkdir()
    (folder / "instansi.csv").write_bytes(
        b'instansi_id;nama\r\nI1;"Kabupaten; ""Bima"""\r\nI2;Kota, Bima\r\nI3;"dua\r\nbaris"\r\n'
    )
    result = read_snapshot(folder)
    assert result.snapshot["instansi"].rows() == [
        ("I1", 'Kabupaten; "Bima"'),
        ("I2", "Kota, Bima"),
        ("I3", "dua\r\nbaris"),
    ]


def test_rows_beyond_the_rows_searched_for_the_header_keep_their_numbers(tmp_path: Path) -> None:
    book = tmp_path / "snap.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "instansi"
    ws.append(["Daftar instansi"])
    ws.append(["instansi_id", "nama"])
    ws.append(["I1", "Kabupaten Bima"])
    for _ in range(40):  # blank rows across the end of the rows searched for the header
        ws.append([])
    ws.append(["I2", None])
    wb.save(book)
    with pytest.raises(SnapshotError) as caught:
        read_snapshot(book)
    assert caught.value.problems == [Problem("snap.xlsx:instansi", 44, "nama", None, "nilai wajib kosong")]


def test_demo_as_excel_csv_with_title_lines_checks_like_the_original(demo: Snapshot, tmp_path: Path) -> None:
    folder = tmp_path / "snap"
    write_snapshot(demo, folder)
    as_excel_csv(folder)
    with_csv_title_lines(folder)
    result = read_snapshot(folder)
    assert_same(result.snapshot, demo)
    assert outcome(check(result.snapshot, TAHUN, Flow.SKP)) == outcome(check(demo, TAHUN, Flow.SKP))
    present = [t for t in TABLES if (folder / t.file_name).exists()]
    assert result.formats == [FileFormat(t.file_name, ";", 3) for t in present]


def test_rows_below_csv_title_lines_are_named_by_their_line(tmp_path: Path) -> None:
    folder = tmp_path / "snap"
    folder.mkdir()
    (folder / "instansi.csv").write_bytes(
        b"Daftar instansi\r\n\r\ninstansi_id;nama\r\nI1;Bima\r\n\r\nI2;\r\nI3;Kota;lebih\r\n"
    )
    with pytest.raises(SnapshotError) as caught:
        read_snapshot(folder)
    assert caught.value.problems == [
        Problem("instansi.csv", 6, "nama", None, "nilai wajib kosong"),
        Problem("instansi.csv", 7, None, None, "jumlah kolom salah: baris ini punya 3 kolom, baris judul punya 2"),
    ]


def test_a_title_line_with_a_stray_quote_is_read_slowly_with_the_same_numbers(tmp_path: Path) -> None:
    folder = tmp_path / "snap"
    folder.mkdir()
    (folder / "instansi.csv").write_bytes(b'Daftar 5" instansi\ninstansi_id,nama\nI1,Bi"ma\nI2,\n')
    with pytest.raises(SnapshotError) as caught:
        read_snapshot(folder)
    assert caught.value.problems == [Problem("instansi.csv", 4, "nama", None, "nilai wajib kosong")]

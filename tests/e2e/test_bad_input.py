"""Every kind of bad input: exit 2, a message naming file, row, column and rule, store unchanged."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from world import snapshot

from selaras.cli import main
from selaras.sources.writer import write_snapshot
from selaras.store.database import Store
from selaras.store.snapshots import load_snapshot


def set_cell(path: Path, row: int, column: str, value: str) -> None:
    lines = path.read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    cells = lines[row - 1].split(",")
    cells[header.index(column)] = value
    lines[row - 1] = ",".join(cells)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def drop_column(path: Path, column: str) -> None:
    lines = [line.split(",") for line in path.read_text(encoding="utf-8").splitlines()]
    i = lines[0].index(column)
    path.write_text("\n".join(",".join(c[:i] + c[i + 1 :]) for c in lines) + "\n", encoding="utf-8")


def duplicate_row(path: Path, row: int) -> None:
    lines = path.read_text(encoding="utf-8").splitlines()
    path.write_text("\n".join([*lines, lines[row - 1]]) + "\n", encoding="utf-8")


Corrupt = Callable[[Path], None]
CASES: list[tuple[str, Corrupt, list[str]]] = [
    (
        "nip",
        lambda d: set_cell(d / "siasn_pegawai.csv", 3, "nip", "19850202201001200"),
        ["siasn_pegawai.csv", "baris 3", "nip", "18 digit"],
    ),
    (
        "nik",
        lambda d: set_cell(d / "dapodik_ptk.csv", 2, "nik", "52060101018000"),
        ["dapodik_ptk.csv", "baris 2", "nik", "16 digit"],
    ),
    (
        "npsn",
        lambda d: set_cell(d / "dapodik_sekolah.csv", 2, "npsn", "1000A001"),
        ["dapodik_sekolah.csv", "baris 2", "npsn", "8 digit"],
    ),
    (
        "enum",
        lambda d: set_cell(d / "pmm_skp.csv", 2, "status", "disepakati"),
        ["pmm_skp.csv", "baris 2", "status", "DISEPAKATI"],
    ),
    ("missing column", lambda d: drop_column(d / "pmm_rhk.csv", "uraian"), ["pmm_rhk.csv", "uraian"]),
    (
        "missing optional column",
        lambda d: drop_column(d / "siasn_pegawai.csv", "unor_id"),
        ["siasn_pegawai.csv", "unor_id", "baris judul"],
    ),
    ("duplicate key", lambda d: duplicate_row(d / "dapodik_ptk.csv", 2), ["dapodik_ptk.csv", "ptk_id", "baris 2"]),
    (
        "dangling reference",
        lambda d: set_cell(d / "pmm_rhk.csv", 2, "pmm_skp_id", "S-TIDAK-ADA"),
        ["pmm_rhk.csv", "baris 2", "pmm_skp_id", "S-TIDAK-ADA"],
    ),
    (
        "non-UTF-8",
        lambda d: (d / "instansi.csv").write_bytes("instansi_id,nama\nI1,Kabupaten Bim\xe1\n".encode("latin-1")),
        ["instansi.csv", "UTF-8"],
    ),
    ("empty file", lambda d: (d / "siasn_unor.csv").write_bytes(b""), ["siasn_unor.csv", "kosong"]),
    (
        "NUL in text",
        lambda d: set_cell(d / "pmm_rhk.csv", 2, "uraian", "Asesmen\x00formatif"),
        ["pmm_rhk.csv", "baris 2", "uraian", "karakter kendali"],
    ),
    (
        "cell over the limit",
        lambda d: set_cell(d / "pmm_rhk.csv", 2, "uraian", "x" * 10_000),
        ["pmm_rhk.csv", "baris 2", "uraian", "lebih dari 4.000 karakter"],
    ),
    ("symlink", lambda d: symlink_outside(d / "siasn_pegawai.csv"), ["siasn_pegawai.csv", "tautan simbolik"]),
]


def symlink_outside(path: Path) -> None:
    """Move the file out of the folder and leave a symbolic link to it."""
    outside = path.parent.parent / f"luar-{path.name}"
    path.rename(outside)
    path.symlink_to(outside)


def import_args(source: Path, url: str) -> list[str]:
    return ["import", str(source), "--db", url.replace("postgresql+psycopg://", "postgresql://")]


@pytest.fixture()
def store_with_data(tmp_path: Path) -> tuple[Path, Path]:
    good = tmp_path / "good"
    write_snapshot(snapshot(), good)
    db = tmp_path / "s.db"
    r = CliRunner().invoke(main, ["import", str(good), "--db", str(db)])
    assert r.exit_code == 0, r.output
    return good, db


def contents(db: Path) -> dict[str, list[tuple]]:
    s = load_snapshot(Store.open(str(db)))
    return {n: sorted(df.rows()) for n, df in s.frames.items()}


@pytest.mark.parametrize(("name", "corrupt", "words"), CASES, ids=[c[0] for c in CASES])
def test_bad_csv_is_refused_and_store_unchanged(
    store_with_data: tuple[Path, Path], tmp_path: Path, name: str, corrupt: Corrupt, words: list[str]
) -> None:
    good, db = store_with_data
    before = contents(db)
    bad = tmp_path / "bad"
    shutil.copytree(good, bad)
    corrupt(bad)
    r = CliRunner().invoke(main, ["import", str(bad), "--db", str(db)])
    assert r.exit_code == 2, r.output
    for w in words:
        assert w in r.stderr, (w, r.stderr)
    assert contents(db) == before


def test_wrong_xlsx_sheet_is_refused_and_store_unchanged(store_with_data: tuple[Path, Path], tmp_path: Path) -> None:
    _, db = store_with_data
    before = contents(db)
    book = tmp_path / "data.xlsx"
    write_snapshot(snapshot(), book)
    wb = openpyxl.load_workbook(book)
    wb["dapodik_ptk"].title = "Sheet1"
    wb.save(book)
    r = CliRunner().invoke(main, ["import", str(book), "--db", str(db)])
    assert r.exit_code == 2
    assert "Sheet1" in r.stderr and "dapodik_ptk" in r.stderr
    assert contents(db) == before


def test_lenient_import_keeps_good_rows_and_reports_every_rejected_one(
    store_with_data: tuple[Path, Path], tmp_path: Path
) -> None:
    good, db = store_with_data
    bad = tmp_path / "bad"
    shutil.copytree(good, bad)
    set_cell(bad / "pmm_skp.csv", 2, "status", "SELESAI")
    report = tmp_path / "ditolak.csv"
    r = CliRunner().invoke(main, ["import", str(bad), "--db", str(db), "--lenient", "--report", str(report)])
    assert r.exit_code == 0, r.output
    text = report.read_text(encoding="utf-8")
    rejected_skp = (bad / "pmm_skp.csv").read_text().splitlines()[1].split(",")[0]
    assert "pmm_skp.csv" in text and "SELESAI" in text
    assert "pmm_rhk.csv" in text  # its RHK go with it, each named
    after = contents(db)
    assert all(rejected_skp not in row for row in after["pmm_skp"])
    assert len(after["pmm_skp"]) == 2


def _workbook_with(tmp_path: Path, change: Callable[[openpyxl.Workbook], None]) -> Path:
    book = tmp_path / "data.xlsx"
    write_snapshot(snapshot(), book)
    wb = openpyxl.load_workbook(book)
    change(wb)
    wb.save(book)
    return book


XLSX_CASES: list[tuple[str, Callable[[openpyxl.Workbook], None], list[str]]] = [
    (
        "formula without value",
        lambda wb: wb["siasn_unor"].cell(3, 5, '=TEXT(10000001,"0")'),
        ["data.xlsx:siasn_unor", "baris 3", "npsn", "rumus tanpa nilai tersimpan"],
    ),
    (
        "merged range",
        lambda wb: wb["siasn_unor"].merge_cells("D3:D4"),
        ["data.xlsx:siasn_unor", "baris 3", "parent_unor_id", "D3:D4", "sel gabungan"],
    ),
]


@pytest.mark.parametrize(("name", "change", "words"), XLSX_CASES, ids=[c[0] for c in XLSX_CASES])
def test_xlsx_cells_that_would_read_empty_are_refused_and_store_unchanged(
    store_with_data: tuple[Path, Path],
    tmp_path: Path,
    name: str,
    change: Callable[[openpyxl.Workbook], None],
    words: list[str],
) -> None:
    _, db = store_with_data
    before = contents(db)
    r = CliRunner().invoke(main, ["import", str(_workbook_with(tmp_path, change)), "--db", str(db)])
    assert r.exit_code == 2, r.output
    for w in words:
        assert w in r.stderr, (w, r.stderr)
    assert contents(db) == before


def test_nul_in_text_is_refused_on_every_database(store_url: str, tmp_path: Path) -> None:
    """A NUL is stored silently by SQLite and breaks PostgreSQL: refused before either."""
    good = tmp_path / "good"
    write_snapshot(snapshot(), good)
    assert CliRunner().invoke(main, import_args(good, store_url)).exit_code == 0
    store = Store.open(store_url)
    try:
        before = {n: sorted(df.rows()) for n, df in load_snapshot(store).frames.items()}
        bad = tmp_path / "bad"
        shutil.copytree(good, bad)
        set_cell(bad / "instansi.csv", 2, "nama", "Kabupaten\x00Bima")
        r = CliRunner().invoke(main, import_args(bad, store_url))
        assert r.exit_code == 2, r.output
        assert "instansi.csv baris 2, kolom nama" in r.stderr and "karakter kendali" in r.stderr
        assert {n: sorted(df.rows()) for n, df in load_snapshot(store).frames.items()} == before
    finally:
        store.dispose()

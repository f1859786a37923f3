"""Reading and writing snapshots as CSV folders and XLSX workbooks, with validation."""

from __future__ import annotations

import csv
from collections.abc import Iterable
from pathlib import Path

import openpyxl
import polars as pl
import pytest

from selaras.domain.snapshot import TABLE, TABLES, Snapshot
from selaras.sources.files import Problem, SnapshotError, read_snapshot, write_problems
from selaras.sources.validation import KOLOM_TIDAK_ADA, KOLOM_WAJIB_TIDAK_ADA
from selaras.sources.writer import XLSX_MAX_ROWS, write_snapshot

Rows = dict[str, list[dict[str, str | None]]]

NIP_KADIS = "197001011995031001"
NIP_KS = "198001012005011002"
NIP_GURU = "199002022015022003"


def valid_rows() -> Rows:
    """A few consistent rows for every table: one regency, two schools, a principal and a
    teacher with agreed plans, one plan already synced to e-Kinerja."""
    return {
        "instansi": [
            {"instansi_id": "I1", "nama": "Pemerintah Kabupaten Bima"},
            {"instansi_id": "I2", "nama": "Pemerintah Kota Bima"},
        ],
        "siasn_unor": [
            {
                "unor_id": "U1",
                "instansi_id": "I1",
                "nama": "Dinas Pendidikan",
                "parent_unor_id": None,
                "npsn": None,
                "aktif": "1",
            },
            {
                "unor_id": "U2",
                "instansi_id": "I1",
                "nama": "SD Negeri 1 Bima",
                "parent_unor_id": "U1",
                "npsn": "50100001",
                "aktif": "1",
            },
            {
                "unor_id": "U3",
                "instansi_id": "I1",
                "nama": "SD Negeri 2 Bima",
                "parent_unor_id": "U1",
                "npsn": "50100002",
                "aktif": "0",
            },
        ],
        "siasn_pegawai": [
            {
                "nip": NIP_KADIS,
                "nik": "5206010101700001",
                "nama": "Ahmad",
                "instansi_id": "I1",
                "unor_id": "U1",
                "jenis_asn": "PNS",
                "status": "AKTIF",
                "jabatan_nama": "Kepala Dinas",
                "jabatan_jenis": "STRUKTURAL",
            },
            {
                "nip": NIP_KS,
                "nik": "5206010101800002",
                "nama": "Siti, S.Pd.",
                "instansi_id": "I1",
                "unor_id": "U2",
                "jenis_asn": "PNS",
                "status": "AKTIF",
                "jabatan_nama": "Guru Ahli Madya",
                "jabatan_jenis": "FUNGSIONAL",
            },
            {
                "nip": NIP_GURU,
                "nik": None,
                "nama": "Budi",
                "instansi_id": "I1",
                "unor_id": "U2",
                "jenis_asn": "PPPK",
                "status": "AKTIF",
                "jabatan_nama": "Guru Ahli Pertama",
                "jabatan_jenis": None,
            },
        ],
        "dapodik_sekolah": [
            {"npsn": "50100001", "nama": "SD Negeri 1 Bima", "instansi_id": "I1"},
            {"npsn": "50100002", "nama": "SD Negeri 2 Bima", "instansi_id": "I1"},
        ],
        "dapodik_ptk": [
            {
                "ptk_id": "P1",
                "nik": "5206010101800002",
                "nuptk": "1234567890123456",
                "nama": "Siti, S.Pd.",
                "nip": NIP_KS,
                "jenis_ptk": "Guru Kelas",
                "tugas_tambahan": "Kepala Sekolah",
                "npsn": "50100001",
            },
            {
                "ptk_id": "P2",
                "nik": "5206010202900003",
                "nuptk": None,
                "nama": "Budi",
                "nip": NIP_GURU,
                "jenis_ptk": "Guru Mapel",
                "tugas_tambahan": None,
                "npsn": "50100001",
            },
        ],
        "pmm_skp": [
            {
                "pmm_skp_id": "S1",
                "ptk_id": "P1",
                "npsn": "50100001",
                "periode_awal": "2024-01-01",
                "periode_akhir": "2024-12-31",
                "status": "DISEPAKATI",
                "atasan_nip": NIP_KADIS,
                "diperbarui": "2024-03-01T10:00:00",
            },
            {
                "pmm_skp_id": "S2",
                "ptk_id": "P2",
                "npsn": "50100001",
                "periode_awal": "2024-01-01",
                "periode_akhir": "2024-12-31",
                "status": "DISETUJUI",
                "atasan_nip": NIP_KS,
                "diperbarui": None,
            },
        ],
        "pmm_rhk": [
            {
                "pmm_rhk_id": "R1",
                "pmm_skp_id": "S1",
                "uraian": "Meningkatnya mutu pembelajaran",
                "jenis": "UTAMA",
                "induk_pmm_rhk_id": None,
            },
            {
                "pmm_rhk_id": "R2",
                "pmm_skp_id": "S2",
                "uraian": 'Menyusun modul "ajar", lengkap\ndengan asesmen',
                "jenis": "UTAMA",
                "induk_pmm_rhk_id": "R1",
            },
            {
                "pmm_rhk_id": "R3",
                "pmm_skp_id": "S2",
                "uraian": "Mengikuti komunitas belajar",
                "jenis": "TAMBAHAN",
                "induk_pmm_rhk_id": None,
            },
        ],
        "pmm_penilaian": [
            {
                "pmm_skp_id": "S2",
                "tipe_periodik": "TRIWULANAN",
                "angka_periodik": "1",
                "hasil_kerja": "SESUAI",
                "perilaku": "SESUAI",
                "predikat": "BAIK",
            },
            {
                "pmm_skp_id": "S2",
                "tipe_periodik": "TRIWULANAN",
                "angka_periodik": "2",
                "hasil_kerja": "DIATAS",
                "perilaku": "SESUAI",
                "predikat": "SANGAT_BAIK",
            },
        ],
        "ekinerja_unor": [
            {"unor_id": "U1", "aktif": "1", "atasan_nip": NIP_KADIS},
            {"unor_id": "U2", "aktif": "1", "atasan_nip": NIP_KS},
        ],
        "ekinerja_periode": [
            {
                "periode_id": "T2024",
                "instansi_id": "I1",
                "nama": "Tahunan 2024",
                "jenis": "TAHUNAN",
                "awal": "2024-01-01",
                "akhir": "2024-12-31",
                "tipe_periodik": None,
                "angka_periodik": None,
            },
            {
                "periode_id": "Q1",
                "instansi_id": "I1",
                "nama": "Triwulan I",
                "jenis": "PERIODIK",
                "awal": "2024-01-01",
                "akhir": "2024-03-31",
                "tipe_periodik": "TRIWULANAN",
                "angka_periodik": "1",
            },
        ],
        "ekinerja_skp": [
            {
                "skp_id": "K1",
                "nip": NIP_KS,
                "periode_id": "T2024",
                "unor_id": "U2",
                "atasan_nip": NIP_KADIS,
                "sumber": "PMM",
                "pmm_skp_id": "S1",
            },
        ],
        "ekinerja_rhk": [
            {
                "rhk_id": "E1",
                "skp_id": "K1",
                "uraian": "Meningkatnya mutu pembelajaran",
                "pmm_rhk_id": "R1",
                "induk_rhk_id": None,
            },
        ],
        "ekinerja_penilaian": [
            {"skp_id": "K1", "periode_id": "Q1", "hasil_kerja": "SESUAI", "perilaku": "SESUAI", "predikat": "BAIK"},
        ],
    }


def write_table(
    folder: Path,
    name: str,
    rows: Iterable[dict[str, str | None]],
    header: list[str] | None = None,
) -> Path:
    """Write one table as a CSV file the way a user's export would look."""
    rows = list(rows)
    header = header or TABLE[name].column_names
    path = folder / f"{name}.csv"
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(header)
        for r in rows:
            w.writerow(["" if r.get(c) is None else r.get(c) for c in header])
    return path


def write_folder(folder: Path, rows: Rows | None = None) -> Path:
    """A snapshot folder with every table of ``rows`` (default: the valid fixture)."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, table_rows in (rows or valid_rows()).items():
        write_table(folder, name, table_rows)
    return folder


def write_workbook(
    path: Path, rows: Rows | None = None, extra_sheets: Iterable[str] = (), drop: dict[str, str] | None = None
) -> Path:
    """A snapshot workbook (every cell as text) with every table of ``rows``; ``drop`` leaves
    a column out of a sheet."""
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, table_rows in (rows or valid_rows()).items():
        ws = wb.create_sheet(name)
        header = [c for c in TABLE[name].column_names if c != (drop or {}).get(name)]
        ws.append(header)
        for r in table_rows:
            ws.append([r.get(c) for c in header])
    for name in extra_sheets:
        wb.create_sheet(name)
    wb.save(path)
    return path


def changed(table: str, index: int, column: str, value: str | None) -> Rows:
    """The valid fixture with one value changed."""
    rows = valid_rows()
    rows[table][index][column] = value
    return rows


def problems_of(path: Path, **kwargs: object) -> list[Problem]:
    with pytest.raises(SnapshotError) as caught:
        read_snapshot(path, **kwargs)  # type: ignore[arg-type]
    return caught.value.problems


def expected_snapshot() -> Snapshot:
    return Snapshot.from_rows(valid_rows())


def assert_same(a: Snapshot, b: Snapshot) -> None:
    for t in TABLES:
        assert a[t.name].equals(b[t.name]), t.name


# --- valid input and round trips ----------------------------------------------------------


def test_reads_valid_folder_with_types(tmp_path: Path) -> None:
    result = read_snapshot(write_folder(tmp_path / "snap"))
    assert result.rejected == []
    assert_same(result.snapshot, expected_snapshot())
    skp = result.snapshot["pmm_skp"]
    assert skp.schema["periode_awal"] == pl.Date
    assert result.snapshot["siasn_unor"].get_column("aktif").to_list() == [True, True, False]
    assert result.snapshot["pmm_rhk"].get_column("uraian")[1] == ('Menyusun modul "ajar", lengkap\ndengan asesmen')


def test_csv_round_trip(tmp_path: Path) -> None:
    original = read_snapshot(write_folder(tmp_path / "a")).snapshot
    write_snapshot(original, tmp_path / "b")
    assert sorted(p.name for p in (tmp_path / "b").iterdir()) == sorted(t.file_name for t in TABLES)
    text = (tmp_path / "b" / "siasn_unor.csv").read_text(encoding="utf-8").splitlines()
    assert text[1] == "U1,I1,Dinas Pendidikan,,,1"
    assert_same(read_snapshot(tmp_path / "b").snapshot, original)


def test_xlsx_round_trip(tmp_path: Path) -> None:
    original = read_snapshot(write_folder(tmp_path / "a")).snapshot
    write_snapshot(original, tmp_path / "snap.xlsx")
    wb = openpyxl.load_workbook(tmp_path / "snap.xlsx", read_only=True)
    assert wb.sheetnames == [t.name for t in TABLES]
    wb.close()
    assert_same(read_snapshot(tmp_path / "snap.xlsx").snapshot, original)


@pytest.mark.parametrize("name", ["snap", "snap.xlsx"])
def test_round_trip_keeps_awkward_text(tmp_path: Path, name: str) -> None:
    texts = [
        " spasi depan",
        "spasi belakang ",
        'kutip "ganda"',
        "koma, di tengah",
        "baris\nbaru",
        "é 中文",
        "#pagar",
        "=1+1",
        "tab\tdi",
        '"',
        ",",
    ]
    snapshot = Snapshot.from_rows({"instansi": [{"instansi_id": f"I{i}", "nama": t} for i, t in enumerate(texts)]})
    write_snapshot(snapshot, tmp_path / name)
    assert_same(read_snapshot(tmp_path / name).snapshot, snapshot)


def test_reads_workbook_made_by_a_user(tmp_path: Path) -> None:
    path = write_workbook(tmp_path / "snap.xlsx")
    assert_same(read_snapshot(path).snapshot, expected_snapshot())


def test_absent_file_is_empty_table_and_extra_columns_are_ignored(tmp_path: Path) -> None:
    rows = valid_rows()
    folder = tmp_path / "snap"
    folder.mkdir()
    write_table(folder, "instansi", rows["instansi"], header=["catatan", "nama", "instansi_id"])
    snapshot = read_snapshot(folder).snapshot
    assert snapshot["instansi"].get_column("instansi_id").to_list() == ["I1", "I2"]
    assert snapshot["pmm_rhk"].height == 0


def test_excel_style_csv_with_bom_crlf_quotes_and_blank_lines(tmp_path: Path) -> None:
    folder = tmp_path / "snap"
    folder.mkdir()
    (folder / "instansi.csv").write_bytes(
        b'\xef\xbb\xbfinstansi_id , nama\r\nI1,"Pemerintah Kabupaten ""Bima"""\r\n\r\nI2,Kota\r\n,\r\n'
    )
    snapshot = read_snapshot(folder).snapshot
    assert snapshot["instansi"].rows() == [("I1", 'Pemerintah Kabupaten "Bima"'), ("I2", "Kota")]


def test_progress_is_reported(tmp_path: Path) -> None:
    seen: list[tuple[str, float]] = []
    read_snapshot(write_folder(tmp_path / "snap"), progress=lambda m, f: seen.append((m, f)))
    assert seen[-1] == ("selesai", 1.0)
    assert all(0.0 <= f <= 1.0 for _, f in seen)


# --- bad values ---------------------------------------------------------------------------


BAD_VALUES = [
    ("siasn_pegawai", 1, "nip", "19800101200501100", "NIP harus 18 digit angka"),
    ("dapodik_ptk", 1, "nip", "1990020220150220O3", "NIP harus 18 digit angka"),
    ("dapodik_ptk", 0, "nik", "520601010180000", "NIK harus 16 digit angka"),
    ("siasn_unor", 1, "npsn", "5010001", "NPSN harus 8 digit angka"),
    ("siasn_unor", 2, "aktif", "ya", "nilai harus 1 atau 0"),
    ("pmm_skp", 1, "status", "disetujui", "nilai harus salah satu dari: DRAF, DIAJUKAN, DISETUJUI, DISEPAKATI"),
    ("pmm_rhk", 2, "jenis", "LAINNYA", "nilai harus salah satu dari: UTAMA, TAMBAHAN"),
    ("pmm_skp", 0, "periode_awal", "01-01-2024", "tanggal harus berformat YYYY-MM-DD"),
    ("pmm_skp", 0, "periode_akhir", "2024-02-30", "tanggal tidak ada di kalender"),
    ("pmm_skp", 0, "diperbarui", "kemarin", "waktu harus berformat ISO (YYYY-MM-DDTHH:MM:SS)"),
    ("pmm_skp", 0, "diperbarui", "2024-03-01T25:00:00", "waktu tidak ada di kalender (tanggal atau jam)"),
    ("pmm_penilaian", 1, "angka_periodik", "dua", "nilai harus bilangan bulat"),
    ("dapodik_ptk", 1, "nama", None, "nilai wajib kosong"),
    ("pmm_rhk", 0, "jenis", None, "nilai wajib kosong"),
]


@pytest.mark.parametrize(("table", "index", "column", "value", "rule"), BAD_VALUES)
def test_bad_value_is_reported_with_file_row_column_and_rule(
    tmp_path: Path, table: str, index: int, column: str, value: str | None, rule: str
) -> None:
    problems = problems_of(write_folder(tmp_path / "snap", changed(table, index, column, value)))
    assert problems == [Problem(f"{table}.csv", index + 2, column, value, rule)]


@pytest.mark.parametrize(("table", "index", "column", "value", "rule"), BAD_VALUES[:6])
def test_bad_value_in_workbook_names_the_sheet(
    tmp_path: Path, table: str, index: int, column: str, value: str | None, rule: str
) -> None:
    path = write_workbook(tmp_path / "snap.xlsx", changed(table, index, column, value))
    problems = problems_of(path)
    assert problems == [Problem(f"snap.xlsx:{table}", index + 2, column, value, rule)]


def test_problem_reads_as_a_sentence() -> None:
    p = Problem("dapodik_ptk.csv", 7, "nip", "12345", "NIP harus 18 digit angka")
    assert str(p) == "dapodik_ptk.csv baris 7, kolom nip: '12345' — NIP harus 18 digit angka"
    assert str(Problem("a.csv", None, "nama", None, "kolom wajib tidak ada")) == (
        "a.csv, kolom nama — kolom wajib tidak ada"
    )


# --- keys and references ------------------------------------------------------------------


def test_duplicate_key_names_both_rows(tmp_path: Path) -> None:
    rows = valid_rows()
    rows["dapodik_ptk"].append(dict(rows["dapodik_ptk"][0]))
    problems = problems_of(write_folder(tmp_path / "snap", rows))
    assert problems == [Problem("dapodik_ptk.csv", 4, "ptk_id", "P1", "kunci ganda: ptk_id 'P1' sudah ada di baris 2")]


def test_duplicate_composite_key(tmp_path: Path) -> None:
    rows = valid_rows()
    rows["pmm_penilaian"].append(dict(rows["pmm_penilaian"][0], angka_periodik="01"))
    problems = problems_of(write_folder(tmp_path / "snap", rows))
    assert problems == [
        Problem(
            "pmm_penilaian.csv",
            4,
            "pmm_skp_id, tipe_periodik, angka_periodik",
            "S2, TRIWULANAN, 01",
            "kunci ganda: (pmm_skp_id 'S2', tipe_periodik 'TRIWULANAN', angka_periodik '01') sudah ada di baris 2",
        )
    ]


def test_dangling_reference(tmp_path: Path) -> None:
    problems = problems_of(write_folder(tmp_path / "snap", changed("pmm_skp", 1, "npsn", "50109999")))
    assert problems == [
        Problem(
            "pmm_skp.csv",
            3,
            "npsn",
            "50109999",
            "rujukan tidak ditemukan: npsn '50109999' tidak ada di dapodik_sekolah.csv",
        )
    ]


def test_dangling_self_reference(tmp_path: Path) -> None:
    problems = problems_of(write_folder(tmp_path / "snap", changed("siasn_unor", 2, "parent_unor_id", "U9")))
    assert problems == [
        Problem(
            "siasn_unor.csv",
            4,
            "parent_unor_id",
            "U9",
            "rujukan tidak ditemukan: parent_unor_id 'U9' tidak ada di siasn_unor.csv (kolom unor_id)",
        )
    ]


def test_reference_into_absent_file(tmp_path: Path) -> None:
    rows = valid_rows()
    del rows["instansi"]
    problems = problems_of(write_folder(tmp_path / "snap", rows))
    assert (
        Problem(
            "siasn_unor.csv",
            2,
            "instansi_id",
            "I1",
            "rujukan tidak ditemukan: instansi_id 'I1' tidak ada di instansi.csv",
        )
        in problems
    )
    assert {p.file for p in problems} == {
        "siasn_unor.csv",
        "siasn_pegawai.csv",
        "dapodik_sekolah.csv",
        "ekinerja_periode.csv",
    }


# --- bad files ----------------------------------------------------------------------------


def test_missing_required_column(tmp_path: Path) -> None:
    folder = write_folder(tmp_path / "snap")
    header = [c for c in TABLE["dapodik_ptk"].column_names if c != "nama"]
    write_table(folder, "dapodik_ptk", valid_rows()["dapodik_ptk"], header=header)
    assert problems_of(folder) == [Problem("dapodik_ptk.csv", None, "nama", None, "kolom wajib tidak ada")]


@pytest.mark.parametrize(("table", "column"), [("dapodik_ptk", "nuptk"), ("siasn_pegawai", "unor_id")])
def test_missing_optional_column_is_an_input_error(tmp_path: Path, table: str, column: str) -> None:
    # An optional column may have empty cells; it may not be absent from the header.
    assert not TABLE[table].column(column).required
    folder = write_folder(tmp_path / "snap")
    header = [c for c in TABLE[table].column_names if c != column]
    write_table(folder, table, valid_rows()[table], header=header)
    assert problems_of(folder) == [Problem(f"{table}.csv", None, column, None, KOLOM_TIDAK_ADA)]


@pytest.mark.parametrize(("column", "rule"), [("nama", KOLOM_WAJIB_TIDAK_ADA), ("unor_id", KOLOM_TIDAK_ADA)])
def test_missing_column_in_workbook_names_sheet_and_column(tmp_path: Path, column: str, rule: str) -> None:
    path = write_workbook(tmp_path / "snap.xlsx", drop={"siasn_pegawai": column})
    assert problems_of(path) == [Problem("snap.xlsx:siasn_pegawai", None, column, None, rule)]


def test_optional_column_with_empty_cells_is_fine(tmp_path: Path) -> None:
    rows = valid_rows()
    for r in rows["dapodik_ptk"]:
        r["nuptk"] = None
    ptk = read_snapshot(write_folder(tmp_path / "snap", rows)).snapshot["dapodik_ptk"]
    assert ptk.get_column("nuptk").to_list() == [None, None]


def test_non_utf8_file(tmp_path: Path) -> None:
    folder = write_folder(tmp_path / "snap")
    path = folder / "instansi.csv"
    path.write_bytes("instansi_id,nama\nI1,Kabupaten Bima\nI2,Kota Bima José\n".encode("latin-1"))
    position = path.read_bytes().index(b"\xe9")
    assert problems_of(folder) == [
        Problem(
            "instansi.csv",
            None,
            None,
            None,
            f"berkas bukan UTF-8 (byte 0xE9 pada posisi {position}, baris 3); simpan ulang sebagai CSV UTF-8",
        )
    ]


def test_empty_file(tmp_path: Path) -> None:
    folder = write_folder(tmp_path / "snap")
    (folder / "pmm_penilaian.csv").write_bytes(b"")
    assert problems_of(folder) == [
        Problem("pmm_penilaian.csv", None, None, None, "berkas kosong: tidak ada baris judul")
    ]


def test_header_only_file_is_an_empty_table(tmp_path: Path) -> None:
    folder = write_folder(tmp_path / "snap")
    write_table(folder, "pmm_penilaian", [])
    assert read_snapshot(folder).snapshot["pmm_penilaian"].height == 0


def test_semicolon_separated_file_is_read(tmp_path: Path) -> None:
    # Excel in an Indonesian locale saves CSV with ";" between columns (issue 19): the
    # separator is found from the header line, no longer refused.
    folder = write_folder(tmp_path / "snap")
    (folder / "instansi.csv").write_text("instansi_id;nama\nI1;Bima\nI2;Kota, Bima\n", encoding="utf-8")
    result = read_snapshot(folder)
    assert result.snapshot["instansi"].rows() == [("I1", "Bima"), ("I2", "Kota, Bima")]
    assert [f.separator for f in result.formats if f.label == "instansi.csv"] == [";"]


def test_wrong_field_count(tmp_path: Path) -> None:
    folder = write_folder(tmp_path / "snap")
    (folder / "instansi.csv").write_text("instansi_id,nama\nI1,Bima\nI2\n\nI3,Kota,lebih\n", encoding="utf-8")
    assert problems_of(folder) == [
        Problem("instansi.csv", 3, None, None, "jumlah kolom salah: baris ini punya 1 kolom, baris judul punya 2"),
        Problem("instansi.csv", 5, None, None, "jumlah kolom salah: baris ini punya 3 kolom, baris judul punya 2"),
    ]


def test_wrong_field_count_after_multiline_field(tmp_path: Path) -> None:
    folder = write_folder(tmp_path / "snap")
    (folder / "instansi.csv").write_text('instansi_id,nama\nI1,"Bima\nbaris, kedua"\nI2\n', encoding="utf-8")
    assert problems_of(folder) == [
        Problem("instansi.csv", 3, None, None, "jumlah kolom salah: baris ini punya 1 kolom, baris judul punya 2"),
    ]


def test_wrong_field_count_in_first_data_row(tmp_path: Path) -> None:
    folder = write_folder(tmp_path / "snap")
    (folder / "instansi.csv").write_text("instansi_id,nama\nI1\nI2,Kota\n", encoding="utf-8")
    assert problems_of(folder) == [
        Problem("instansi.csv", 2, None, None, "jumlah kolom salah: baris ini punya 1 kolom, baris judul punya 2"),
    ]


def test_rows_after_blank_lines_keep_their_numbers(tmp_path: Path) -> None:
    folder = write_folder(tmp_path / "snap")
    text = "instansi_id,nama\nI1,Bima\n\nI2,\n\nI3,Kota,lebih\nI1,Dompu\n"
    (folder / "instansi.csv").write_text(text, encoding="utf-8")
    expected = [
        Problem("instansi.csv", 4, "nama", None, "nilai wajib kosong"),
        Problem("instansi.csv", 6, None, None, "jumlah kolom salah: baris ini punya 3 kolom, baris judul punya 2"),
        Problem("instansi.csv", 7, "instansi_id", "I1", "kunci ganda: instansi_id 'I1' sudah ada di baris 2"),
    ]
    assert problems_of(folder) == expected
    result = read_snapshot(folder, lenient=True)
    assert result.rejected == expected
    assert result.snapshot["instansi"].rows() == [("I1", "Bima")]


def rhk_rows(n: int) -> list[dict[str, str | None]]:
    """``n`` RHK of one plan whose texts repeat, with a few of their own."""
    texts = ["Meningkatnya mutu pembelajaran di kelas", 'Menyusun modul "ajar", lengkap\ndengan asesmen']
    return [
        {
            "pmm_rhk_id": f"R{i}",
            "pmm_skp_id": "S1",
            "uraian": f"Uraian yang hanya dipakai oleh RHK nomor {i}" if i % 13 == 0 else texts[i % 2],
            "jenis": "UTAMA",
            "induk_pmm_rhk_id": None if i % 3 else "R0",
        }
        for i in range(n)
    ]


def test_file_read_in_blocks_keeps_every_value_in_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("selaras.sources.files._BLOCK", 16)
    rows = valid_rows()
    rows["pmm_rhk"] = rhk_rows(60)
    rows["ekinerja_rhk"] = []
    snapshot = read_snapshot(write_folder(tmp_path / "snap", rows)).snapshot
    assert_same(snapshot, Snapshot.from_rows(rows))


def test_file_read_in_blocks_numbers_rows_across_blocks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("selaras.sources.files._BLOCK", 16)
    rows = valid_rows()
    rows["pmm_rhk"] = rhk_rows(40)
    rows["pmm_rhk"][30]["jenis"] = "LAINNYA"
    rows["pmm_rhk"][35]["pmm_rhk_id"] = "R1"
    rows["ekinerja_rhk"] = []
    folder = write_folder(tmp_path / "snap", rows)
    path = folder / "pmm_rhk.csv"
    lines = path.read_text(encoding="utf-8").split("\n")
    lines.insert(20, "")  # a blank line within the file shifts the rows after it
    path.write_text("\n".join(lines), encoding="utf-8")
    # The text of every other RHK runs over two lines, so line 21 is the one before R13:
    # from R13 on, every RHK is one row further down (R30 on row 33, R35 on row 38).
    problems = problems_of(folder)
    assert [(p.row, p.column, p.value) for p in problems] == [(33, "jenis", "LAINNYA"), (38, "pmm_rhk_id", "R1")]
    assert problems[1].rule == "kunci ganda: pmm_rhk_id 'R1' sudah ada di baris 3"


def test_stray_quote_inside_a_value_is_kept(tmp_path: Path) -> None:
    folder = write_folder(tmp_path / "snap")
    (folder / "instansi.csv").write_text('instansi_id,nama\nI1,Layar 5" lebar\nI2,Kota\n', encoding="utf-8")
    assert read_snapshot(folder).snapshot["instansi"].rows() == [("I1", 'Layar 5" lebar'), ("I2", "Kota")]


def test_unbalanced_quote(tmp_path: Path) -> None:
    folder = write_folder(tmp_path / "snap")
    (folder / "instansi.csv").write_text('instansi_id,nama\nI1,Bima\nI2,"Kota\nI3,Dompu\n', encoding="utf-8")
    [problem] = problems_of(folder)
    assert problem.file == "instansi.csv"
    assert problem.rule.startswith('berkas CSV rusak mulai baris 3: tanda kutip (") tidak')


def test_unknown_csv_file(tmp_path: Path) -> None:
    folder = write_folder(tmp_path / "snap")
    (folder / "Dapodik PTK.csv").write_text("ptk_id\n", encoding="utf-8")
    (folder / "catatan.txt").write_text("bukan data", encoding="utf-8")
    [problem] = problems_of(folder)
    assert problem.file == "Dapodik PTK.csv"
    assert problem.rule.startswith("berkas 'Dapodik PTK.csv' bukan nama tabel snapshot")


def test_unknown_sheet(tmp_path: Path) -> None:
    path = write_workbook(tmp_path / "snap.xlsx", extra_sheets=["Sheet1"])
    [problem] = problems_of(path)
    assert problem.file == "snap.xlsx:Sheet1"
    assert problem.rule.startswith("lembar 'Sheet1' bukan nama tabel snapshot (yang diterima: instansi, siasn_unor,")


def test_workbook_number_too_long_for_excel(tmp_path: Path) -> None:
    path = write_workbook(tmp_path / "snap.xlsx")
    wb = openpyxl.load_workbook(path)
    wb["siasn_pegawai"]["A3"] = float(NIP_KS)
    wb["dapodik_ptk"]["I3"] = "extra"
    wb.save(path)
    problems = problems_of(path)
    assert [(p.file, p.row, p.column) for p in problems] == [
        ("snap.xlsx:siasn_pegawai", 3, "nip"),
        ("snap.xlsx:dapodik_ptk", 3, None),
    ]
    assert "simpan kolom ini sebagai Teks" in problems[0].rule
    assert problems[1].rule.startswith("jumlah kolom salah: ada nilai di kolom ke-9")


def test_not_a_workbook_and_missing_path(tmp_path: Path) -> None:
    (tmp_path / "rusak.xlsx").write_bytes(b"bukan zip")
    [problem] = problems_of(tmp_path / "rusak.xlsx")
    assert problem.rule.startswith("berkas bukan workbook XLSX yang sah")
    [problem] = problems_of(tmp_path / "tidak-ada")
    assert problem.rule == "folder atau berkas tidak ditemukan"


# --- strict and lenient -------------------------------------------------------------------


def test_strict_reports_all_problems_of_all_files(tmp_path: Path) -> None:
    rows = changed("siasn_pegawai", 0, "nip", "123")
    rows["pmm_rhk"][1]["jenis"] = "utama"
    folder = write_folder(tmp_path / "snap", rows)
    (folder / "ekinerja_unor.csv").write_bytes(b"")
    problems = problems_of(folder)
    assert [(p.file, p.row) for p in problems] == [
        ("ekinerja_unor.csv", None),
        ("siasn_pegawai.csv", 2),
        ("pmm_rhk.csv", 3),
    ]


def test_strict_caps_each_rule_with_a_summary(tmp_path: Path) -> None:
    rows = valid_rows()
    rows["instansi"] += [{"instansi_id": f"X{i}", "nama": None} for i in range(1500)]
    problems = problems_of(write_folder(tmp_path / "snap", rows))
    assert len(problems) == 1001
    assert problems[999].row == 1003
    assert problems[-1] == Problem(
        "instansi.csv",
        None,
        "nama",
        None,
        "500 baris lain juga melanggar aturan ini (nilai wajib kosong); hanya 1000 yang pertama dicantumkan",
    )


def test_lenient_rejects_bad_rows_and_what_points_at_them(tmp_path: Path) -> None:
    rows = changed("pmm_skp", 1, "status", "SELESAI")
    rows["siasn_unor"][0]["aktif"] = "2"
    result = read_snapshot(write_folder(tmp_path / "snap", rows), lenient=True)
    snapshot = result.snapshot
    assert snapshot["pmm_skp"].get_column("pmm_skp_id").to_list() == ["S1"]
    assert snapshot["pmm_rhk"].get_column("pmm_rhk_id").to_list() == ["R1"]
    assert snapshot["pmm_penilaian"].height == 0
    assert snapshot["siasn_unor"].height == 0
    assert snapshot["dapodik_ptk"].height == 2
    assert [(p.file, p.row, p.column) for p in result.rejected] == [
        ("siasn_unor.csv", 2, "aktif"),
        ("siasn_unor.csv", 3, "parent_unor_id"),
        ("siasn_unor.csv", 4, "parent_unor_id"),
        ("pmm_skp.csv", 3, "status"),
        ("pmm_rhk.csv", 3, "pmm_skp_id"),
        ("pmm_rhk.csv", 4, "pmm_skp_id"),
        ("pmm_penilaian.csv", 2, "pmm_skp_id"),
        ("pmm_penilaian.csv", 3, "pmm_skp_id"),
    ]
    assert result.rejected[4].rule == (
        "rujukan ke baris yang ditolak: pmm_skp_id 'S2' hanya ada di pmm_skp.csv baris 3, yang ditolak"
    )

    report = tmp_path / "ditolak.csv"
    write_problems(result.rejected, report)
    written = pl.read_csv(report, infer_schema=False)
    assert written.columns == ["file", "row", "column", "value", "rule"]
    assert written.height == len(result.rejected)
    assert written.row(3) == ("pmm_skp.csv", "3", "status", "SELESAI", result.rejected[3].rule)
    assert written.row(1)[3] == "U1"


def test_lenient_keeps_first_of_duplicates_and_lists_every_row(tmp_path: Path) -> None:
    rows = valid_rows()
    rows["instansi"] += [{"instansi_id": "I1", "nama": f"salinan {i}"} for i in range(1200)]
    result = read_snapshot(write_folder(tmp_path / "snap", rows), lenient=True)
    assert result.snapshot["instansi"].get_column("nama").to_list()[0] == ("Pemerintah Kabupaten Bima")
    assert result.snapshot["instansi"].height == 2
    assert len(result.rejected) == 1200


def test_lenient_still_raises_for_file_problems(tmp_path: Path) -> None:
    folder = write_folder(tmp_path / "snap", changed("pmm_skp", 0, "status", "X"))
    header = [c for c in TABLE["instansi"].column_names if c != "nama"]
    write_table(folder, "instansi", valid_rows()["instansi"], header=header)
    problems = problems_of(folder, lenient=True)
    assert Problem("instansi.csv", None, "nama", None, "kolom wajib tidak ada") in problems


# --- writing ------------------------------------------------------------------------------


def test_xlsx_refuses_a_table_too_big_for_a_sheet(tmp_path: Path) -> None:
    big = pl.DataFrame({"instansi_id": [str(i) for i in range(XLSX_MAX_ROWS + 1)], "nama": ["x"] * (XLSX_MAX_ROWS + 1)})
    with pytest.raises(ValueError, match=r"instansi \(1\.048\.576 baris\)"):
        write_snapshot(Snapshot({"instansi": big}), tmp_path / "snap.xlsx")
    assert list(tmp_path.iterdir()) == []


def test_empty_string_is_written_as_no_value(tmp_path: Path) -> None:
    snapshot = Snapshot.from_rows({"instansi": [{"instansi_id": "I1", "nama": ""}]})
    write_snapshot(snapshot, tmp_path / "snap")
    assert (tmp_path / "snap" / "instansi.csv").read_text(encoding="utf-8") == ("instansi_id,nama\nI1,\n")


# --- input that would be lost or stored wrong ---------------------------------------------


def _column_letter(table: str, column: str) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(TABLE[table].column_names.index(column) + 1)


def test_formula_without_a_saved_value_is_named(tmp_path: Path) -> None:
    path = write_workbook(tmp_path / "snap.xlsx")
    wb = openpyxl.load_workbook(path)
    cell = f"{_column_letter('siasn_unor', 'npsn')}3"  # an optional column: it would read as empty
    wb["siasn_unor"][cell] = '=TEXT(50100001,"0")'
    wb.save(path)  # openpyxl saves no computed value, as a program-made workbook
    [problem] = problems_of(path)
    assert (problem.file, problem.row, problem.column, problem.value) == (
        "snap.xlsx:siasn_unor",
        3,
        "npsn",
        '=TEXT(50100001,"0")',
    )
    assert problem.rule.startswith(f"sel {cell} berisi rumus tanpa nilai tersimpan")
    # Lenient mode cannot leave the row out: the cell's value is unknown, not wrong.
    with pytest.raises(SnapshotError):
        read_snapshot(path, lenient=True)


def test_formula_with_its_saved_value_is_read_as_that_value(tmp_path: Path) -> None:
    import zipfile

    path = write_workbook(tmp_path / "snap.xlsx")
    wb = openpyxl.load_workbook(path)
    letter = _column_letter("siasn_unor", "npsn")
    wb["siasn_unor"][f"{letter}3"] = '=TEXT(50100001,"0")'
    wb.save(path)
    # Add the value Excel would have saved beside the formula.
    patched = tmp_path / "patched.xlsx"
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(patched, "w") as dst:
        sheet = next(n for n in src.namelist() if n.startswith("xl/worksheets/") and b"TEXT(" in src.read(n))
        for item in src.infolist():
            data = src.read(item)
            if item.filename == sheet:
                data = data.replace(b"</f><v /></c>", b"</f><v>50100001</v></c>").replace(
                    f'<c r="{letter}3"'.encode(), f'<c r="{letter}3" t="str"'.encode()
                )
            dst.writestr(item, data)
    assert_same(read_snapshot(patched).snapshot, expected_snapshot())


def test_merged_range_is_named(tmp_path: Path) -> None:
    path = write_workbook(tmp_path / "snap.xlsx")
    wb = openpyxl.load_workbook(path)
    letter = _column_letter("siasn_unor", "parent_unor_id")
    wb["siasn_unor"].merge_cells(f"{letter}3:{letter}4")
    wb.save(path)
    [problem] = problems_of(path)
    assert (problem.file, problem.row, problem.column, problem.value) == (
        "snap.xlsx:siasn_unor",
        3,
        "parent_unor_id",
        f"{letter}3:{letter}4",
    )
    assert problem.rule.startswith(f"sel gabungan (merge) {letter}3:{letter}4")


def test_merge_outside_the_contract_columns_is_ignored(tmp_path: Path) -> None:
    path = write_workbook(tmp_path / "snap.xlsx")
    wb = openpyxl.load_workbook(path)
    wb["siasn_unor"].merge_cells("K2:L3")  # beyond the header: no contract column
    wb.save(path)
    assert_same(read_snapshot(path).snapshot, expected_snapshot())


CONTROL_RULE = "teks berisi karakter kendali"
CONTROL_RULE_ID = "nilai berisi karakter kendali"


_CELL_CASES = [
    ("instansi", "nama", "Kabupaten\x00Bima", CONTROL_RULE, "Kabupaten\ufffdBima"),
    ("instansi", "nama", "Kabupaten\x1bBima", CONTROL_RULE, "Kabupaten\ufffdBima"),
    ("instansi", "nama", "Kabupaten\x85Bima", CONTROL_RULE, "Kabupaten\ufffdBima"),
    ("siasn_unor", "parent_unor_id", "U1\t", CONTROL_RULE_ID, "U1\ufffd"),
    ("pmm_rhk", "uraian", "x" * 4001, "isi sel lebih dari 4.000 karakter", "x" * 80 + "…"),
]


def _in_xml(value: str) -> bool:
    """Whether an XLSX cell can hold ``value`` (XML has no C0 controls but tab and line breaks)."""
    return not any(ord(c) < 32 and c not in "\t\n\r" for c in value)


@pytest.mark.parametrize(
    ("kind", "table", "column", "value", "rule", "shown"),
    [("csv", *case) for case in _CELL_CASES] + [("xlsx", *case) for case in _CELL_CASES if _in_xml(case[2])],
)
def test_control_characters_and_over_long_cells_are_input_errors(
    tmp_path: Path, kind: str, table: str, column: str, value: str, rule: str, shown: str
) -> None:
    rows = changed(table, 1, column, value)
    if kind == "csv":
        path, file = write_folder(tmp_path / "snap", rows), f"{table}.csv"
    else:
        path, file = write_workbook(tmp_path / "snap.xlsx", rows), f"snap.xlsx:{table}"
    # (A control character in a key also leaves what refers to it dangling: reported too.)
    [problem] = [p for p in problems_of(path) if p.rule.startswith(rule)]
    assert (problem.file, problem.row, problem.column, problem.value) == (file, 3, column, shown)


def test_a_control_character_in_a_formatted_value_is_one_problem_of_its_format(tmp_path: Path) -> None:
    rows = changed("ekinerja_periode", 1, "awal", "2025-01-0\x001")
    found = [p for p in problems_of(write_folder(tmp_path / "snap", rows)) if p.column == "awal"]
    assert [(p.file, p.row, p.value, p.rule) for p in found] == [
        ("ekinerja_periode.csv", 3, "2025-01-0\ufffd1", "tanggal harus berformat YYYY-MM-DD")
    ]


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_tab_and_line_breaks_in_free_text_and_a_cell_at_the_limit_are_kept(tmp_path: Path, kind: str) -> None:
    # (XML keeps line breaks as LF only.)
    text = "Kota\tBima\r\nbaris dua" if kind == "csv" else "Kota\tBima\nbaris dua"
    rows = changed("instansi", 1, "nama", text)
    rows["pmm_rhk"][1]["uraian"] = "y" * 4000
    path = write_folder(tmp_path / "snap", rows) if kind == "csv" else write_workbook(tmp_path / "snap.xlsx", rows)
    snap = read_snapshot(path).snapshot
    assert snap["instansi"]["nama"][1] == text
    assert snap["pmm_rhk"]["uraian"][1] == "y" * 4000


def test_symlinked_or_irregular_snapshot_files_are_refused_and_named(tmp_path: Path) -> None:
    folder = write_folder(tmp_path / "snap")
    outside = tmp_path / "elsewhere.csv"
    (folder / "siasn_pegawai.csv").rename(outside)
    (folder / "siasn_pegawai.csv").symlink_to(outside)  # even to a valid file
    (folder / "dapodik_ptk.csv").unlink()
    (folder / "dapodik_ptk.csv").symlink_to("/dev/zero")
    (folder / "pmm_penilaian.csv").unlink()
    (folder / "pmm_penilaian.csv").mkdir()
    problems = problems_of(folder)
    by_file = {p.file: p.rule for p in problems if p.row is None}
    assert by_file["siasn_pegawai.csv"].startswith("berkas 'siasn_pegawai.csv' adalah tautan simbolik")
    assert by_file["dapodik_ptk.csv"].startswith("berkas 'dapodik_ptk.csv' adalah tautan simbolik")
    assert by_file["pmm_penilaian.csv"].startswith("'pmm_penilaian.csv' bukan berkas biasa")
    with pytest.raises(SnapshotError):
        read_snapshot(folder, lenient=True)

"""Files with SIASN's and Dapodik's own column names and values (issue 19, item 6), read through
the connectors' mapping tables (``sources/mapping.py``): they check exactly like the contract's
files; what cannot be mapped is refused naming file, row and the file's own column."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import polars as pl
import pytest

from selaras.domain.results import CheckResult, Flow
from selaras.domain.rules import check
from selaras.domain.snapshot import TABLE, TABLES, Snapshot
from selaras.simulation.generator import generate
from selaras.sources import mapping as source_mapping
from selaras.sources.files import Problem, SnapshotError, read_snapshot, write_snapshot
from selaras.sources.layout import FileFormat
from selaras.sources.mapped import _VECTORISED, UNKNOWN_HEADER

TAHUN = 2026

STATUS = {
    "AKTIF": "Aktif",
    "PENSIUN": "Pensiun BUP",
    "MENINGGAL": "Meninggal",
    "BERHENTI": "Diberhentikan",
    "CLTN": "CLTN",
}
JENIS_ASN = {"PNS": "PNS Daerah", "PPPK": "PPPK"}
JENIS_JABATAN = {"STRUKTURAL": "1", "FUNGSIONAL": "2", "PELAKSANA": "4"}


@pytest.fixture(scope="module")
def demo() -> Snapshot:
    """The demo instansi of ``selaras demo`` (every data error occurs)."""
    return generate(300, seed=7, tahun=TAHUN, instansi=1).snapshot


def siasn_pegawai(s: Snapshot) -> pl.DataFrame:
    """``siasn_pegawai`` as SIASN's ``data-utama`` fields, with SIASN's spellings and a field
    Selaras does not read."""
    p = s["siasn_pegawai"]
    return pl.DataFrame(
        {
            "id": [f"A5EB{i:05d}" for i in range(p.height)],
            "nipBaru": p["nip"],
            "nama": p["nama"],
            "nik": p["nik"].map_elements(lambda v: f"'{v}", return_dtype=pl.String).fill_null("-"),
            "instansiKerjaId": p["instansi_id"],
            "unorId": p["unor_id"],
            "jenisPegawaiNama": p["jenis_asn"].replace(JENIS_ASN),
            "kedudukanPnsNama": p["status"].replace_strict(STATUS),
            "jabatanNama": p["jabatan_nama"],
            "jenisJabatanId": p["jabatan_jenis"].replace_strict(JENIS_JABATAN, default=None),
            "tmtGolAkhir": pl.repeat("01-01-0001", p.height, eager=True),
        }
    )


def dapodik_ptk(s: Snapshot) -> pl.DataFrame:
    """``dapodik_ptk`` as Dapodik's ``getGtk`` rows (plus the school's NPSN), with a duty row of
    a PTK at another school (``ptk_induk`` 0), which is no PTK row."""
    p = s["dapodik_ptk"]
    gtk = pl.DataFrame(
        {
            "ptk_id": p["ptk_id"],
            "ptk_induk": pl.repeat("1", p.height, eager=True),
            "nama": p["nama"],
            "nip": p["nip"].fill_null("-"),
            "nuptk": p["nuptk"],
            "nik": p["nik"],
            # Known kinds are matched case aside; others are kept as Dapodik spells them.
            "jenis_ptk_id_str": p["jenis_ptk"].map_elements(
                lambda v: v.lower() if v.startswith("Guru") else v, return_dtype=pl.String
            ),
            "jabatan_ptk_id_str": p["tugas_tambahan"].fill_null("-").str.to_uppercase(),
            "status_kepegawaian_id_str": pl.repeat("PNS", p.height, eager=True),
            "npsn": p["npsn"],
        }
    )
    duty = gtk.head(1).with_columns(
        pl.lit("0").alias("ptk_induk"),
        pl.lit("PLT Kepala Sekolah").alias("jabatan_ptk_id_str"),
        pl.lit(s["dapodik_sekolah"]["npsn"][-1]).alias("npsn"),
    )
    return pl.concat([gtk, duty])


def outcome(result: CheckResult) -> dict[str, tuple[str, list[str]]]:
    """Every pegawai's status and sorted codes."""
    codes = result.errors.group_by("nip").agg(pl.col("code").sort())
    by_nip = dict(zip(codes["nip"].to_list(), codes["code"].to_list(), strict=True))
    return {nip: (s, by_nip.get(nip, [])) for nip, s in result.pegawai.select("nip", "status").iter_rows()}


def assert_same(a: Snapshot, b: Snapshot) -> None:
    for t in TABLES:
        assert a[t.name].equals(b[t.name]), t.name


def source_folder(demo: Snapshot, folder: Path) -> Path:
    """The demo with SIASN's and Dapodik's own files, saved as Excel saves CSV in Indonesia."""
    write_snapshot(demo, folder)
    siasn_pegawai(demo).write_csv(folder / "siasn_pegawai.csv", separator=";", include_bom=True, line_terminator="\r\n")
    dapodik_ptk(demo).write_csv(folder / "dapodik_ptk.csv", separator=";", include_bom=True, line_terminator="\r\n")
    return folder


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
    "value", ["198001012005011002", " 198001012005011002 ", "'198001012005011002", "-", "0", "' 12", "x"]
)
def test_vectorised_converters_agree_with_the_mapping(value: str) -> None:
    for convert, vectorised in _VECTORISED.items():
        text = value.strip()  # the mapping's converters receive trimmed text
        got = pl.select(vectorised(pl.lit(text))).item()
        assert got == convert(text), (convert, value)
    assert source_mapping._digits in _VECTORISED


def test_every_file_mapping_targets_a_table_of_the_contract_or_is_no_file() -> None:
    # rw-jabatan (leader facts) is read by the connector only; the others are snapshot tables.
    assert {m.table for m in source_mapping.MAPPINGS.values()} - set(TABLE) == {"siasn_rw_jabatan"}

"""The pure parts of reading files as people have them: the separator of a header line, the
header among title lines, and the vectorised forms of the mapping's converters."""

from __future__ import annotations

import polars as pl
import pytest

from selaras.domain.snapshot import TABLE
from selaras.sources import mapping as source_mapping
from selaras.sources.layout import FileFormat, describe, header_row, separator_of_line
from selaras.sources.mapped import _VECTORISED, choose, complete


@pytest.mark.parametrize(
    ("line", "sep"),
    [
        ("nip,nama", ","),
        ("nip;nama", ";"),
        ('"nama; gelar",nip,unor_id', ","),
        ('"nama, gelar";nip;unor_id', ";"),
        ("nip", ","),
    ],
)
def test_the_separator_is_the_one_that_splits_the_header(line: str, sep: str) -> None:
    assert separator_of_line(line) == sep


@pytest.mark.parametrize(
    "value", ["198001012005011002", " 198001012005011002 ", "'198001012005011002", "-", "0", "' 12", "x"]
)
def test_vectorised_converters_agree_with_the_mapping(value: str) -> None:
    for convert, vectorised in _VECTORISED.items():
        text = value.strip()  # the mapping's converters receive trimmed text
        got = pl.select(vectorised(pl.lit(text))).item()
        assert got == convert(text), (convert, value)
    assert source_mapping.digits in _VECTORISED


def test_every_file_mapping_targets_a_table_of_the_contract_or_is_no_file() -> None:
    # rw-jabatan (leader facts) is read by the connector only; the others are snapshot tables.
    assert {m.table for m in source_mapping.MAPPINGS.values()} - set(TABLE) == {"siasn_rw_jabatan"}


def test_the_header_is_the_first_complete_row_else_the_most_known() -> None:
    names = {"instansi_id", "nama"}
    rows: list[list[object]] = [["Daftar instansi", None], [], ["instansi_id", "nama"], ["I1", "Bima"]]
    assert header_row(rows, lambda cells: names <= set(cells), lambda c: c in names) == 2
    partial: list[list[object]] = [["Daftar"], ["No", "nama"], ["1", "Bima"]]
    assert header_row(partial, lambda cells: names <= set(cells), lambda c: c in names) == 1
    assert header_row([["x"], ["y"]], lambda cells: False, lambda c: False) == 0


def test_a_header_with_siasn_names_is_complete_and_chooses_data_utama() -> None:
    t = TABLE["siasn_pegawai"]
    header = ["nipBaru", "nama", "NIK", "instansiKerjaId", "unorId", "jenisPegawaiNama", "kedudukanPnsNama"]
    header += ["jabatanNama", "jenisJabatanId", "tmtJabatan"]
    assert complete(t, header)
    m = choose(t, header)
    assert m is not None and m.name == "siasn.data-utama"
    assert choose(t, t.column_names) is None
    assert not complete(t, header[1:])


def test_the_formats_are_said_one_line_per_way() -> None:
    formats = [
        FileFormat("instansi.csv", ","),
        FileFormat("siasn_pegawai.csv", ";", 3, "siasn.data-utama"),
        FileFormat("pmm_skp.csv", ","),
    ]
    assert describe(formats) == [
        "kolom kontrak Selaras, pemisah koma (,): instansi.csv, pmm_skp.csv",
        "pemetaan siasn.data-utama, pemisah titik koma (;), baris judul tabel di baris 3: siasn_pegawai.csv",
    ]

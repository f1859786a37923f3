"""The mapping tables from the real sources' fields and values to the snapshot's."""

from __future__ import annotations

import pytest

from selaras.domain.snapshot import TABLE
from selaras.sources.mapping import (
    MAPPINGS,
    convert_date,
    find_mapping,
    is_duty,
    map_record,
    match_headers,
    penugasan,
)

DATA_UTAMA = {
    "id": "A1B2",
    "nipBaru": "198001012005011001",
    "nik": "3201010101800001",
    "nama": "Siti Aminah",
    "jenisPegawaiNama": "PNS Daerah",
    "kedudukanPnsNama": "Aktif",
    "statusPegawai": "PNS",
    "instansiIndukId": "I-INDUK",
    "instansiKerjaId": "I1",
    "unorId": "U1",
    "jenisJabatanId": "2",
    "jabatanNama": "Guru Ahli Pertama",
    "tmtJabatan": "01-01-0001",
    "golRuangAkhir": "III/a",
    "fieldBaruBKN": {"apa": "saja"},
}


def test_data_utama_maps_to_siasn_pegawai_and_ignores_unknown_fields() -> None:
    row, problems = map_record(MAPPINGS["siasn.data-utama"], DATA_UTAMA)
    assert problems == []
    assert row == {
        "nip": "198001012005011001",
        "nik": "3201010101800001",
        "nama": "Siti Aminah",
        "instansi_id": "I1",
        "unor_id": "U1",
        "jenis_asn": "PNS",
        "status": "AKTIF",
        "jabatan_nama": "Guru Ahli Pertama",
        "jabatan_jenis": "FUNGSIONAL",
    }
    assert set(row) <= set(TABLE["siasn_pegawai"].column_names)


@pytest.mark.parametrize(
    ("kedudukan", "status"),
    [
        ("Aktif", "AKTIF"),
        ("  aktif ", "AKTIF"),
        ("CLTN", "CLTN"),
        ("Pensiun Janda/Duda", "PENSIUN"),
        ("pensiun", "PENSIUN"),
        ("Meninggal", "MENINGGAL"),
        ("Diberhentikan Dengan Hormat", "BERHENTI"),
        ("Berhenti", "BERHENTI"),
        ("Pemberhentian Sementara", "BERHENTI"),
    ],
)
def test_kedudukan_values(kedudukan: str, status: str) -> None:
    row, problems = map_record(MAPPINGS["siasn.data-utama"], {**DATA_UTAMA, "kedudukanPnsNama": kedudukan})
    assert problems == []
    assert row["status"] == status


@pytest.mark.parametrize(
    ("jenis", "asn"),
    [
        ("PNS Pusat", "PNS"),
        ("pns daerah", "PNS"),
        ("PPPK", "PPPK"),
        ("Pegawai PPPK Guru", "PPPK"),
        ("Honorer", "HONORER"),
    ],
)
def test_jenis_pegawai_values(jenis: str, asn: str) -> None:
    row, problems = map_record(MAPPINGS["siasn.data-utama"], {**DATA_UTAMA, "jenisPegawaiNama": jenis})
    assert (row["jenis_asn"], problems) == (asn, [])


@pytest.mark.parametrize(("jenis", "value"), [("1", "STRUKTURAL"), (2, "FUNGSIONAL"), ("4", "PELAKSANA")])
def test_jenis_jabatan_values(jenis: object, value: str) -> None:
    row, problems = map_record(MAPPINGS["siasn.data-utama"], {**DATA_UTAMA, "jenisJabatanId": jenis})
    assert (row["jabatan_jenis"], problems) == (value, [])


@pytest.mark.parametrize(
    ("field", "value"),
    [("kedudukanPnsNama", "Cuti Besar"), ("jenisJabatanId", "3"), ("kedudukanPnsNama", "Mutasi")],
)
def test_an_unmappable_value_is_a_sys02_naming_source_record_and_field(field: str, value: str) -> None:
    row, problems = map_record(MAPPINGS["siasn.data-utama"], {**DATA_UTAMA, field: value})
    assert len(problems) == 1
    p = problems[0]
    assert (p.code, p.source, p.table, p.key, p.field, p.value) == (
        "SYS-02",
        "SIASN",
        "data-utama",
        "198001012005011001",
        field,
        value,
    )
    assert "198001012005011001" in str(p) and field in str(p)


def test_kedudukan_missing_falls_back_to_status_pegawai_then_is_required() -> None:
    record = {k: v for k, v in DATA_UTAMA.items() if k not in ("kedudukanPnsNama", "statusPegawai")}
    row, problems = map_record(MAPPINGS["siasn.data-utama"], {**record, "statusPegawai": "Pensiun"})
    assert (row["status"], problems) == ("PENSIUN", [])
    row, problems = map_record(MAPPINGS["siasn.data-utama"], record)
    assert row["status"] is None
    assert [(p.field, p.rule) for p in problems] == [("kedudukanPnsNama", "wajib diisi")]


@pytest.mark.parametrize(
    ("text", "iso"),
    [("31-01-2026", "2026-01-31"), ("1-2-2020", "2020-02-01"), ("2026-01-31", "2026-01-31"), ("01-01-0001", None)],
)
def test_dates(text: str, iso: str | None) -> None:
    assert convert_date(text) == iso


def test_a_date_that_is_no_date_is_refused() -> None:
    row, problems = map_record(
        MAPPINGS["siasn.rw-jabatan"], {"id": "R1", "nipBaru": "1" * 18, "tmtJabatan": "31-02-2026"}
    )
    assert row["tmt"] is None
    assert [(p.key, p.field, p.value) for p in problems] == [("R1", "tmtJabatan", "31-02-2026")]


def test_rw_jabatan_gives_leader_facts() -> None:
    base = {"id": "R1", "nipBaru": "198001012005011001", "unorId": "U1", "tmtJabatan": "01-07-2025"}
    definitive, _ = map_record(MAPPINGS["siasn.rw-jabatan"], {**base, "jenisPenugasanId": "D", "namaJabatan": "Kepala"})
    plt, _ = map_record(MAPPINGS["siasn.rw-jabatan"], {**base, "jenisPenugasanId": "T", "namaJabatan": "Plt. Kepala"})
    plh, _ = map_record(MAPPINGS["siasn.rw-jabatan"], {**base, "jenisPenugasanId": "S", "namaJabatan": "Plh Kepala"})
    assert [penugasan(r) for r in (definitive, plt, plh)] == ["DEFINITIF", "PLT", "PLH"]
    assert definitive["tmt"] == "2025-07-01"


def test_ref_unor_takes_the_instansi_from_the_context() -> None:
    record = {"Id": "U2", "DiatasanId": "U1", "NamaUnor": "SMPN 1", "NamaJabatan": "Kepala SMPN 1"}
    row, problems = map_record(MAPPINGS["siasn.ref-unor"], record, {"instansi_id": "I1", "aktif": "1"})
    assert problems == []
    assert row == {
        "unor_id": "U2",
        "nama": "SMPN 1",
        "parent_unor_id": "U1",
        "instansi_id": "I1",
        "aktif": "1",
        "npsn": None,
    }


GTK = {
    "ptk_id": "P1",
    "ptk_terdaftar_id": "T1",
    "ptk_induk": "1",
    "tahun_ajaran_id": "2025",
    "nip": "-",
    "nuptk": "1234567890123456",
    "nik": "3201010101800001",
    "nama": "Budi",
    "jenis_ptk_id_str": "guru mapel",
    "jabatan_ptk_id_str": "KEPALA SEKOLAH",
    "status_kepegawaian_id_str": "PNS",
    "tanggal_surat_tugas": "2020-07-01",
    "password": "$2y$10$abcdef",
}


def test_get_gtk_maps_to_dapodik_ptk_with_the_school_from_the_context() -> None:
    row, problems = map_record(MAPPINGS["dapodik.getGtk"], GTK, {"npsn": "10000001"})
    assert problems == []
    assert row == {
        "ptk_id": "P1",
        "nik": "3201010101800001",
        "nuptk": "1234567890123456",
        "nama": "Budi",
        "nip": None,
        "jenis_ptk": "Guru Mapel",
        "tugas_tambahan": "Kepala Sekolah",
        "ptk_induk": "1",
        "npsn": "10000001",
    }
    assert "$2y$10$abcdef" not in row.values()


def test_a_missing_required_field_is_named_by_the_source_field() -> None:
    _, problems = map_record(MAPPINGS["dapodik.getGtk"], {**GTK, "jenis_ptk_id_str": "  "}, {"npsn": "10000001"})
    assert [(p.source, p.table, p.key, p.field, p.rule) for p in problems] == [
        ("Dapodik", "getGtk", "P1", "jenis_ptk_id_str", "wajib diisi")
    ]


def test_headers_of_a_file_match_case_insensitively() -> None:
    headers = ["No", " Nama ", "NUPTK", "NIP", "Jenis PTK", "tugas tambahan", "PTK ID", "Agama"]
    assert match_headers(MAPPINGS["dapodik.ekspor-gtk"], headers) == {
        "PTK ID": "ptk_id",
        "NUPTK": "nuptk",
        " Nama ": "nama",
        "NIP": "nip",
        "Jenis PTK": "jenis_ptk",
        "tugas tambahan": "tugas_tambahan",
    }


def test_every_target_column_is_a_snapshot_column_or_a_declared_extra() -> None:
    extras = {"dapodik_ptk": {"ptk_induk"}, "dapodik_tugas_tambahan": {"ptk_induk"}}
    for m in MAPPINGS.values():
        if m.table in TABLE:
            assert set(m.columns) - set(TABLE[m.table].column_names) <= extras.get(m.table, set()), m.name


def test_the_mapping_of_a_header_row_is_found() -> None:
    assert find_mapping(list(DATA_UTAMA)) is MAPPINGS["siasn.data-utama"]
    assert find_mapping(list(GTK)) is MAPPINGS["dapodik.getGtk"]
    assert (
        find_mapping(["NO", "PTK ID", "Nama", "NIK", "Jenis PTK", "Tugas Tambahan"]) is MAPPINGS["dapodik.ekspor-gtk"]
    )
    assert find_mapping(["Id", "DiatasanId", "NamaUnor", "NamaJabatan"]) is MAPPINGS["siasn.ref-unor"]
    # The snapshot's own columns are no source's export; a header row missing a required field fits nothing.
    assert find_mapping(["ptk_id", "nik", "nuptk", "nama", "nip", "jenis_ptk", "tugas_tambahan", "npsn"]) is None
    assert find_mapping(["nipBaru", "nik", "kedudukanPnsNama"]) is None
    assert find_mapping(list(DATA_UTAMA), table="dapodik_ptk") is None


@pytest.mark.parametrize(
    ("name", "value"),
    [("Jabatan Struktural", "STRUKTURAL"), ("Jabatan Fungsional Tertentu", "FUNGSIONAL"), ("Pelaksana", "PELAKSANA")],
)
def test_jenis_jabatan_by_name(name: str, value: str) -> None:
    row, problems = map_record(MAPPINGS["siasn.data-utama"], {**DATA_UTAMA, "jenisJabatanId": name})
    assert (row["jabatan_jenis"], problems) == (value, [])


def _gtk(**fields: object) -> dict[str, object]:
    return {"ptk_id": "ptk-1", "nama": "Sri", "jenis_ptk_id_str": "Guru Kelas", "password": "$2y$10$x", **fields}


def _duty(record: dict[str, object]) -> tuple[dict[str, str | None], list[str]]:
    row, problems = map_record(MAPPINGS["dapodik.getGtk-tugas"], record, {"npsn": "20100001"})
    return row, [f"{p.field}: {p.rule}" for p in problems]


@pytest.mark.parametrize(
    ("label", "jenis"),
    [
        ("PLT Kepala Sekolah", "PLT_KEPALA_SEKOLAH"),
        ("Plh. Kepala Sekolah", "PLH_KEPALA_SEKOLAH"),
        ("Kepala Sekolah", "KEPALA_SEKOLAH"),
    ],
)
def test_a_getgtk_row_at_another_school_is_a_duty_there(label: str, jenis: str) -> None:
    record = _gtk(
        ptk_induk="0",
        jabatan_ptk_id_str=label,
        nomor_surat_tugas="800.1/00012/DISDIK/2026",
        tanggal_surat_tugas="2026-03-01",
    )
    row, problems = _duty(record)
    assert problems == []
    assert is_duty(row)
    assert {k: row[k] for k in ("ptk_id", "npsn", "jenis", "nomor_sk", "tmt")} == {
        "ptk_id": "ptk-1",
        "npsn": "20100001",
        "jenis": jenis,
        "nomor_sk": "800.1/00012/DISDIK/2026",
        "tmt": "2026-03-01",
    }
    # The same row is no PTK of that school, and carries no password anywhere.
    assert "password" not in row and "tst" not in row


def test_a_duty_takes_tmt_tugas_before_the_decree_date() -> None:
    row, _ = _duty(
        _gtk(
            ptk_induk="0",
            jabatan_ptk_id_str="PLT Kepala Sekolah",
            tmt_tugas="01-04-2026",
            tanggal_surat_tugas="2026-03-01",
        )
    )
    assert row["tmt"] == "2026-04-01"


def test_at_its_own_school_a_principal_is_a_duty_only_with_a_decree_number() -> None:
    plain, _ = _duty(_gtk(ptk_induk="1", jabatan_ptk_id_str="Kepala Sekolah", tanggal_surat_tugas="2020-07-13"))
    assert not is_duty(plain)
    decreed, _ = _duty(_gtk(ptk_induk="1", jabatan_ptk_id_str="Kepala Sekolah", nomor_surat_tugas="800/1/2020"))
    assert is_duty(decreed) and decreed["jenis"] == "KEPALA_SEKOLAH"
    acting, _ = _duty(_gtk(ptk_induk="1", jabatan_ptk_id_str="PLH Kepala Sekolah"))
    assert is_duty(acting) and acting["jenis"] == "PLH_KEPALA_SEKOLAH"
    # An acting duty is the duty table's, not the PTK's own tugas tambahan.
    ptk, _ = map_record(MAPPINGS["dapodik.getGtk"], _gtk(ptk_induk="1", jabatan_ptk_id_str="PLH Kepala Sekolah"))
    assert ptk["tugas_tambahan"] is None


@pytest.mark.parametrize("label", ["-", "Wakil Kepala Sekolah", "Kepala Perpustakaan"])
def test_other_duties_are_no_leaders_duty(label: str) -> None:
    row, problems = _duty(_gtk(ptk_induk="0", jabatan_ptk_id_str=label))
    assert problems == [] and not is_duty(row)


def test_an_unmappable_duty_value_is_sys_02_naming_the_field() -> None:
    row, problems = _duty(_gtk(ptk_induk="0", jabatan_ptk_id_str="Pjs Kepala Sekolah"))
    assert row["jenis"] is None and len(problems) == 1 and problems[0].startswith("jabatan_ptk_id_str: ")
    row, problems = _duty(
        _gtk(ptk_induk="0", jabatan_ptk_id_str="PLT Kepala Sekolah", tanggal_surat_tugas="31-02-2026")
    )
    assert is_duty(row) and problems == ["tanggal_surat_tugas: tanggal tidak ada di kalender"]
    found, _ = map_record(MAPPINGS["dapodik.getGtk-tugas"], _gtk(jabatan_ptk_id_str="Pjs Kepala Sekolah"))
    assert found["ptk_id"] == "ptk-1"

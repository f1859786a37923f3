"""Files as SIASN and Dapodik export them, built from a snapshot: the builders of the tests of
files as people have them (issue 19, item 6)."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from selaras.domain.results import CheckResult
from selaras.domain.snapshot import TABLES, Snapshot
from selaras.sources.writer import write_snapshot

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


def siasn_unor(s: Snapshot) -> pl.DataFrame:
    """``siasn_unor`` as SIASN's ``ref-unor`` rows, with the NPSN of the matching of units to
    schools under the contract's name (SIASN does not hold it)."""
    u = s["siasn_unor"]
    return pl.DataFrame(
        {
            "Id": u["unor_id"],
            "DiatasanId": u["parent_unor_id"],
            "NamaUnor": u["nama"],
            "NamaJabatan": pl.repeat("Kepala", u.height, eager=True),
            "InstansiId": u["instansi_id"],
            "Aktif": u["aktif"].replace_strict({True: "true", False: "false"}, return_dtype=pl.String),
            "npsn": u["npsn"],
        }
    )


def dapodik_export(s: Snapshot) -> pl.DataFrame:
    """``dapodik_ptk`` as the labels of the Dapodik application's GTK export (with a PTK ID)."""
    p = s["dapodik_ptk"]
    return pl.DataFrame(
        {
            "No": pl.int_range(1, p.height + 1, eager=True).cast(pl.String),
            "PTK ID": p["ptk_id"],
            "Nama": p["nama"],
            "NIK": p["nik"],
            "NUPTK": p["nuptk"],
            "NIP": p["nip"],
            "Jenis PTK": p["jenis_ptk"],
            "Tugas Tambahan": p["tugas_tambahan"],
            "NPSN": p["npsn"],
        }
    )

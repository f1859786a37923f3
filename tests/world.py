"""A tiny, fully consistent instansi for rule tests: one dinas, one school, a principal and
two teachers, every one SIAP. Tests change one fact and look at what the check says."""

from __future__ import annotations

import copy
import json
from typing import Any

from selaras.domain.results import CheckResult
from selaras.domain.snapshot import Snapshot

TAHUN = 2026
KS = "198001012005011001"  # kepala sekolah
G1 = "198502022010012002"  # guru
G2 = "199003032015011003"  # guru
KADIS = "197001012000011001"  # kepala dinas, the principal's superior
NPSN = "10000001"
NPSN2 = "10000002"

Rows = dict[str, list[dict[str, Any]]]


def base_rows() -> Rows:
    """Rows of a clean world, as plain dicts (mutate freely: each call is a new copy)."""

    def pegawai(nip: str, nik: str, nama: str, unor: str, jabatan: str, jenis: str) -> dict[str, Any]:
        return {
            "nip": nip,
            "nik": nik,
            "nama": nama,
            "instansi_id": "I1",
            "unor_id": unor,
            "jenis_asn": "PNS",
            "status": "AKTIF",
            "jabatan_nama": jabatan,
            "jabatan_jenis": jenis,
        }

    def skp(
        sid: str,
        ptk: str,
        atasan: str,
        npsn: str = NPSN,
        awal: str = "2026-01-01",
        akhir: str = "2026-12-31",
        status: str = "DISEPAKATI",
    ) -> dict[str, Any]:
        return {
            "pmm_skp_id": sid,
            "ptk_id": ptk,
            "npsn": npsn,
            "periode_awal": awal,
            "periode_akhir": akhir,
            "status": status,
            "atasan_nip": atasan,
            "diperbarui": "2026-02-01T08:00:00",
        }

    rows: Rows = {
        "instansi": [{"instansi_id": "I1", "nama": "Pemerintah Kabupaten Bima"}],
        "siasn_unor": [
            {
                "unor_id": "U-DINAS",
                "instansi_id": "I1",
                "nama": "Dinas Pendidikan",
                "parent_unor_id": None,
                "npsn": None,
                "aktif": True,
            },
            {
                "unor_id": "U-SD1",
                "instansi_id": "I1",
                "nama": "SD Negeri 1 Bima",
                "parent_unor_id": "U-DINAS",
                "npsn": NPSN,
                "aktif": True,
            },
            {
                "unor_id": "U-SD2",
                "instansi_id": "I1",
                "nama": "SD Negeri 2 Bima",
                "parent_unor_id": "U-DINAS",
                "npsn": NPSN2,
                "aktif": True,
            },
        ],
        "siasn_pegawai": [
            pegawai(KADIS, "5206010101700001", "Drs. Kadis", "U-DINAS", "Kepala Dinas Pendidikan", "STRUKTURAL"),
            pegawai(KS, "5206010101800001", "Siti Aminah, S.Pd.", "U-SD1", "Guru Ahli Madya", "FUNGSIONAL"),
            pegawai(G1, "5206010202850002", "Budi Santoso, S.Pd.", "U-SD1", "Guru Ahli Muda", "FUNGSIONAL"),
            pegawai(G2, "5206010303900003", "Ani Lestari, S.Pd.", "U-SD1", "Guru Ahli Pertama", "FUNGSIONAL"),
        ],
        "dapodik_sekolah": [
            {"npsn": NPSN, "nama": "SD Negeri 1 Bima", "instansi_id": "I1"},
            {"npsn": NPSN2, "nama": "SD Negeri 2 Bima", "instansi_id": "I1"},
        ],
        "dapodik_ptk": [
            {
                "ptk_id": "PTK-KS",
                "nik": "5206010101800001",
                "nuptk": None,
                "nama": "Siti Aminah",
                "nip": KS,
                "jenis_ptk": "Guru Kelas",
                "tugas_tambahan": "Kepala Sekolah",
                "npsn": NPSN,
            },
            {
                "ptk_id": "PTK-G1",
                "nik": "5206010202850002",
                "nuptk": None,
                "nama": "Budi Santoso",
                "nip": G1,
                "jenis_ptk": "Guru Kelas",
                "tugas_tambahan": None,
                "npsn": NPSN,
            },
            {
                "ptk_id": "PTK-G2",
                "nik": "5206010303900003",
                "nuptk": None,
                "nama": "Ani Lestari",
                "nip": G2,
                "jenis_ptk": "Guru Mapel",
                "tugas_tambahan": None,
                "npsn": NPSN,
            },
        ],
        "pmm_skp": [skp("S-KS", "PTK-KS", KADIS), skp("S-G1", "PTK-G1", KS), skp("S-G2", "PTK-G2", KS)],
        "pmm_rhk": [
            {
                "pmm_rhk_id": "R-KS-1",
                "pmm_skp_id": "S-KS",
                "uraian": "Meningkatnya mutu pembelajaran",
                "jenis": "UTAMA",
                "induk_pmm_rhk_id": None,
            },
            {
                "pmm_rhk_id": "R-KS-2",
                "pmm_skp_id": "S-KS",
                "uraian": "Meningkatnya budaya literasi",
                "jenis": "UTAMA",
                "induk_pmm_rhk_id": None,
            },
            {
                "pmm_rhk_id": "R-G1-1",
                "pmm_skp_id": "S-G1",
                "uraian": "Pembelajaran berdiferensiasi",
                "jenis": "UTAMA",
                "induk_pmm_rhk_id": "R-KS-1",
            },
            {
                "pmm_rhk_id": "R-G1-2",
                "pmm_skp_id": "S-G1",
                "uraian": "Pojok baca kelas",
                "jenis": "TAMBAHAN",
                "induk_pmm_rhk_id": "R-KS-2",
            },
            {
                "pmm_rhk_id": "R-G2-1",
                "pmm_skp_id": "S-G2",
                "uraian": "Asesmen formatif",
                "jenis": "UTAMA",
                "induk_pmm_rhk_id": "R-KS-1",
            },
        ],
        "pmm_penilaian": [
            {
                "pmm_skp_id": sid,
                "tipe_periodik": "TRIWULANAN",
                "angka_periodik": 1,
                "hasil_kerja": "SESUAI",
                "perilaku": "SESUAI",
                "predikat": "BAIK",
            }
            for sid in ("S-KS", "S-G1", "S-G2")
        ],
        "ekinerja_unor": [
            {"unor_id": "U-DINAS", "aktif": True, "atasan_nip": KADIS},
            {"unor_id": "U-SD1", "aktif": True, "atasan_nip": KS},
            {"unor_id": "U-SD2", "aktif": True, "atasan_nip": None},
        ],
        "ekinerja_periode": [
            {
                "periode_id": "P-2026",
                "instansi_id": "I1",
                "nama": "Tahunan 2026",
                "jenis": "TAHUNAN",
                "awal": "2026-01-01",
                "akhir": "2026-12-31",
                "tipe_periodik": None,
                "angka_periodik": None,
            },
            *[
                {
                    "periode_id": f"P-2026-TW{n}",
                    "instansi_id": "I1",
                    "nama": f"Triwulan {n}",
                    "jenis": "PERIODIK",
                    "awal": f"2026-{3 * n - 2:02d}-01",
                    "akhir": ["2026-03-31", "2026-06-30", "2026-09-30", "2026-12-31"][n - 1],
                    "tipe_periodik": "TRIWULANAN",
                    "angka_periodik": n,
                }
                for n in (1, 2, 3, 4)
            ],
        ],
        "ekinerja_skp": [],
        "ekinerja_rhk": [],
        "ekinerja_penilaian": [],
    }
    return copy.deepcopy(rows)


def snapshot(rows: Rows | None = None) -> Snapshot:
    """The snapshot of ``rows`` (default: the clean world)."""
    return Snapshot.from_rows(rows if rows is not None else base_rows())


def row(rows: Rows, table: str, **match: Any) -> dict[str, Any]:
    """The one row of ``table`` whose columns equal ``match`` (to change it in place)."""
    found = [r for r in rows[table] if all(r.get(k) == v for k, v in match.items())]
    assert len(found) == 1, f"{table} {match}: {len(found)} rows"
    return found[0]


def manual_skp(skp_id: str, nip: str, unor_id: str, atasan: str | None, periode: str = "P-2026") -> dict[str, Any]:
    """An e-Kinerja SKP made by hand (sumber MANUAL), as an ekinerja_skp row."""
    return {
        "skp_id": skp_id,
        "nip": nip,
        "periode_id": periode,
        "unor_id": unor_id,
        "atasan_nip": atasan,
        "sumber": "MANUAL",
        "pmm_skp_id": None,
    }


def synced_rows() -> Rows:
    """The clean world after everyone's SKP was synced (e-Kinerja filled by the sync itself)."""
    from selaras.domain.sync import sync

    after, _ = sync(snapshot(), TAHUN)
    rows = base_rows()
    for name in ("ekinerja_skp", "ekinerja_rhk"):
        rows[name] = after[name].to_dicts()
    return rows


# --- reading a check result -----------------------------------------------------------


def codes(result: CheckResult, nip: str) -> list[str]:
    """The codes of one pegawai, in the reported order."""
    return result.errors.filter(result.errors["nip"] == nip)["code"].to_list()


def error(result: CheckResult, nip: str, code: str) -> dict[str, Any]:
    """The one error ``code`` of ``nip``, with its detail parsed."""
    found = result.errors.filter((result.errors["nip"] == nip) & (result.errors["code"] == code))
    assert found.height == 1, f"{code} for {nip}: {found.height} rows"
    out = found.row(0, named=True)
    out["detail"] = json.loads(out["detail"])
    return out


def status(result: CheckResult, nip: str) -> str:
    """The status of one pegawai."""
    return result.pegawai.filter(result.pegawai["nip"] == nip)["status"].item()


# --- the year's end (flow TAHUNAN, annual.md) ---------------------------------------------

JENJANG_PEGAWAI = {KS: "AHLI_MADYA", G1: "AHLI_MUDA", G2: "AHLI_PERTAMA"}


def rated(ptk_id: str, predikat: str, penilai: str | None = KS) -> dict[str, Any]:
    """A pmm_predikat row: the annual rating of PTK ``ptk_id`` set by ``penilai``."""
    return {"ptk_id": ptk_id, "tahun": TAHUN, "predikat": predikat, "penilai_nip": penilai, "ditetapkan": "2026-12-20"}


def tahunan_rows() -> Rows:
    """The synced world at the year's end: the school's PKO BAIK, every rating set, jenjang known."""
    rows = synced_rows()
    rows["pmm_predikat_organisasi"] = [
        {"npsn": NPSN, "tahun": TAHUN, "predikat": "BAIK", "ditetapkan_oleh_nip": None, "ditetapkan": "2026-12-01"}
    ]
    rows["pmm_predikat"] = [
        rated("PTK-KS", "BAIK", None),
        rated("PTK-G1", "SANGAT_BAIK"),
        rated("PTK-G2", "BAIK"),
    ]
    rows["siasn_jabatan"] = [
        {"nip": nip, "jenjang": j, "golongan": None, "tmt_jabatan": "2020-01-01", "tmt_golongan": "2022-04-01"}
        for nip, j in JENJANG_PEGAWAI.items()
    ]
    rows["siasn_angka_kredit"] = []
    rows["ekinerja_predikat"] = []
    return rows

"""The word lists and fixed tables the generator draws from (names, places, degrees, jenjang,
subjects, RHK texts, jabatan, ratings)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from importlib import resources
from typing import Any

# Names, places, degrees, subjects and RHK texts live in data/words.json (package data), so
# that they are edited as data; their order is part of what a seed generates.

_WORDS: dict[str, Any] = json.loads((resources.files("selaras.simulation") / "data" / "words.json").read_text("utf-8"))


def _weighted(pairs: Sequence[Sequence[Any]]) -> tuple[tuple[str, float], ...]:
    return tuple((str(text), float(weight)) for text, weight in pairs)


PROVINSI: tuple[str, ...] = tuple(_WORDS["provinsi"])
KOTA: tuple[str, ...] = tuple(_WORDS["kota"])
KABUPATEN: tuple[str, ...] = tuple(_WORDS["kabupaten"])
NAMA_DEPAN_L: tuple[str, ...] = tuple(_WORDS["nama_depan_l"])
NAMA_DEPAN_P: tuple[str, ...] = tuple(_WORDS["nama_depan_p"])
NAMA_BELAKANG: tuple[str, ...] = tuple(_WORDS["nama_belakang"])
GURU_GELAR = _weighted(_WORDS["gelar_guru"])
KEPALA_GELAR = _weighted(_WORDS["gelar_kepala"])
DINAS_GELAR = _weighted(_WORDS["gelar_dinas"])

JENJANG_KABKOTA = (("TK", 6.0), ("SD", 68.0), ("SMP", 26.0))
JENJANG_PROV = (("SMA", 48.0), ("SMK", 40.0), ("SLB", 12.0))
JENJANG_BOBOT = {"TK": 0.35, "SD": 0.9, "SMP": 1.5, "SMA": 1.9, "SMK": 2.1, "SLB": 0.9}

JENIS_GURU: dict[str, Sequence[tuple[str, float]]] = {k: _weighted(v) for k, v in _WORDS["jenis_guru"].items()}
MAPEL: dict[str, tuple[str, ...]] = {k: tuple(v) for k, v in _WORDS["mapel"].items()}
RHK_KEPALA_UTAMA: tuple[str, ...] = tuple(_WORDS["rhk_kepala_utama"])
RHK_KEPALA_TAMBAHAN: tuple[str, ...] = tuple(_WORDS["rhk_kepala_tambahan"])
RHK_GURU_TAMBAHAN: tuple[str, ...] = tuple(_WORDS["rhk_guru_tambahan"])
RHK_GURU_TEMPLATE: tuple[str, ...] = tuple(_WORDS["rhk_guru_template"])
RHK_MANUAL: tuple[str, ...] = tuple(_WORDS["rhk_manual"])
BULAN: tuple[str, ...] = tuple(_WORDS["bulan"])

EKSPEKTASI = ("DIATAS", "SESUAI", "DIBAWAH")
# Permenpan RB 6/2022 matrix: predikat from hasil kerja (rows) and perilaku (columns).
PREDIKAT_MATRIX = (
    "SANGAT_BAIK",
    "BAIK",
    "KURANG",
    "BAIK",
    "BAIK",
    "KURANG",
    "BUTUH_PERBAIKAN",
    "BUTUH_PERBAIKAN",
    "SANGAT_KURANG",
)
ROMAWI = ("I", "II", "III", "IV", "V")


JABATAN: tuple[tuple[str, str], ...] = (
    ("Guru Ahli Pertama", "FUNGSIONAL"),  # 0
    ("Guru Ahli Muda", "FUNGSIONAL"),  # 1
    ("Guru Ahli Madya", "FUNGSIONAL"),  # 2
    ("Guru Ahli Utama", "FUNGSIONAL"),  # 3
    ("Guru Terampil", "FUNGSIONAL"),  # 4
    ("Guru Mahir", "FUNGSIONAL"),  # 5
    ("Guru Penyelia", "FUNGSIONAL"),  # 6
    ("Kepala Dinas Pendidikan", "STRUKTURAL"),  # 7
    ("Sekretaris Dinas", "STRUKTURAL"),  # 8
    ("Kepala Bidang Pembinaan Sekolah", "STRUKTURAL"),  # 9
    ("Pengawas Sekolah Ahli Madya", "FUNGSIONAL"),  # 10
    ("Pengadministrasi Perkantoran", "PELAKSANA"),  # 11
    ("Pustakawan Ahli Pertama", "FUNGSIONAL"),  # 12
    ("Guru Ahli Pertama", "PELAKSANA"),  # 13
    ("Penata Layanan Operasional", "PELAKSANA"),  # 14
)
JABATAN_05 = ((11, 30.0), (12, 25.0), (13, 25.0), (14, 20.0))
STATUS_09 = (("PENSIUN", 35.0), ("CLTN", 20.0), ("BERHENTI", 10.0), ("MENINGGAL", 5.0), ("HONORER", 30.0))

"""Situational sentences live in the catalogue as templates with named fields: each fills with
its fields, and the worklists, the digest and the cards say exactly what they said before."""

from __future__ import annotations

from string import Formatter

import pytest
from rich.console import Console
from world import G1, KS, TAHUN, row, snapshot, synced_rows

from selaras.catalogue import sentences
from selaras.catalogue.codes import Aktor
from selaras.domain.blockers import ATASAN, ATASAN_TERTAHAN, RHK_PMM
from selaras.domain.eskalasi import TINGKAT_LABEL, BarisDigest, Kebijakan, Tingkat, digest, umur_label
from selaras.domain.rules import check
from selaras.views import CardNames, _who, error_cards, rejected_panel

ALL = [(group, key, text) for group, table in sentences.TEMPLATES.items() for key, text in table.items()]


@pytest.mark.parametrize(("group", "key", "text"), ALL, ids=[f"{g}.{k}" for g, k, _ in ALL])
def test_every_template_fills_with_its_named_fields(group: str, key: str, text: str) -> None:
    fields = [name for _, name, _, _ in Formatter().parse(text) if name is not None]
    assert all(f.isidentifier() for f in fields), f"{group}.{key}: fields are named, never positional"
    filled = text.format(**{f: f"<{f}>" for f in fields})
    assert "{" not in filled and "}" not in filled
    for f in fields:
        assert f"<{f}>" in filled


def test_every_group_is_listed_once() -> None:
    groups = [v for k, v in vars(sentences).items() if k.isupper() and isinstance(v, dict) and k != "TEMPLATES"]
    assert {id(g) for g in groups} == {id(g) for g in sentences.TEMPLATES.values()}


def _label(code: str, kind: str, key: str, own: str | None = None) -> str:
    from selaras.web.screens.worklist import _label as label

    return label(
        code,
        kind,
        key,
        [("199", "Budi")],
        own,
        {"K1": "Siti"},
        {"U1": "SD Negeri 4"},
        {"N1": "SDN 1"},
        {"I1": "Kab. Bima"},
    )


def test_worklist_items_say_what_they_said() -> None:
    assert _label("PMM-11", ATASAN, "K1") == (
        "SKP kepala sekolah Siti (NIP K1) belum ada di e-Kinerja; sinkronnya sudah siap dan akan membebaskan guru"
        " di bawah"
    )
    assert _label("PMM-13", ATASAN, "K1", own="K1") == (
        "SKP Anda di e-Kinerja belum memuat RHK yang diacu guru; sinkronnya sudah siap"
    )
    assert _label("PMM-11", ATASAN_TERTAHAN, "K2") == (
        "Guru menunggu SKP kepala sekolah, tetapi SKP kepala sekolah K2 (NIP K2) sendiri masih berkendala:"
        " selesaikan itu dulu, lalu sinkron"
    )
    assert _label("PMM-13", RHK_PMM, "199", own="199") == (
        "RHK Anda belum terkait ke RHK kepala sekolah di PMM (perbaikan di PMM)"
    )
    assert _label("PMM-12", "unor", "U1") == "Atasan unit SD Negeri 4 (U1) di e-Kinerja berbeda dengan PMM"
    assert _label("PMM-05", "unor", "U2") == "Unit U2 (U2) tidak aktif atau tidak terdaftar"
    assert _label("TAH-04", "sekolah", "N1") == (
        "Sebaran predikat guru di SDN 1 (NPSN N1) tidak sesuai predikat organisasi"
    )
    assert _label("TAH-03", "sekolah-skp", "N1") == "Predikat tahunan guru di SDN 1 belum ditetapkan"
    assert _label("PER-01", "instansi", "I1") == "Pengaturan periode instansi Kab. Bima"
    assert _label("PMM-01", "pegawai", "199") == "Budi (NIP 199)"
    assert _label("PMM-01", "pegawai", "199", own="199") == "SKP Anda sendiri"


def test_the_digest_says_what_it_said() -> None:
    rows = [BarisDigest("A", 3, 2, True), BarisDigest("B", 7, 5, False, 1), BarisDigest("C", 0, 1, False, 2)]
    assert digest("Bu Rina", rows) == (
        "Ringkasan harian: 3 kendala terbuka, 1 baru",
        "Yth. Bu Rina,\n\nKendala yang menunggu tindakan Anda, yang terlama di atas:\n"
        "- B: menunggu sejak 7 hari kerja, menahan 5 guru [dieskalasi ke Admin Instansi]\n"
        "- A: menunggu sejak 3 hari kerja, menahan 2 guru (baru)\n"
        "- C: muncul hari ini, menahan 1 guru [dieskalasi ke Kepala instansi dan Admin Nasional]",
    )
    assert digest("Bu Rina", [BarisDigest("A", 1, 1, False)])[0] == "Ringkasan harian: 1 kendala terbuka"
    assert umur_label(-1) == "muncul hari ini"
    assert TINGKAT_LABEL[Tingkat.PIMPINAN] == "Kepala instansi dan Admin Nasional"
    with pytest.raises(ValueError, match="^ambang eskalasi harus paling sedikit 1 hari kerja$"):
        Kebijakan(0, 1)


def test_the_cards_name_who_acts_as_before() -> None:
    names = CardNames(sekolah={"N1": "SDN 1"}, instansi={"I1": "Kab"}, kepala={"N1": ("K1", "Bu K")})
    p = {"npsn": "N1", "instansi_id": "I1", "nama": "X", "nip": "9"}
    atasan = {"ekinerja": {"atasan_nip": "A1", "atasan_nama": "Pak A"}}
    assert _who(Aktor.KEPALA_SEKOLAH, "PMM-11", atasan, p, names) == "Pak A (NIP A1), kepala sekolah"
    assert _who(Aktor.KEPALA_SEKOLAH, "PMM-01", {}, p, names) == "Bu K (NIP K1), kepala sekolah SDN 1"
    assert _who(Aktor.KEPALA_SEKOLAH, "PMM-01", {}, {"npsn": "N2"}, names) == "Kepala sekolah NPSN N2"
    assert _who(Aktor.OPERATOR_SEKOLAH, "PMM-01", {}, {}, names) == "Operator sekolah sekolahnya"
    assert _who(Aktor.DINAS_PENDIDIKAN, "PMM-01", {}, {}, names) == "Dinas Pendidikan instansinya"
    assert _who(Aktor.PEGAWAI, "PMM-01", {}, p, names) == "X (pegawai ini)"


def test_a_card_says_its_sentences_as_before() -> None:
    rows = synced_rows()
    rows["pmm_rhk"].append(
        {"pmm_rhk_id": "R-KS-3", "pmm_skp_id": "S-KS", "uraian": "Numerasi", "jenis": "UTAMA", "induk_pmm_rhk_id": None}
    )
    row(rows, "pmm_rhk", pmm_rhk_id="R-G1-1")["induk_pmm_rhk_id"] = "R-KS-3"
    s = snapshot(rows)
    console = Console(width=300, record=True)
    for card in error_cards(check(s, TAHUN), G1, CardNames.of(s)):
        console.print(card)
    text = console.export_text()
    assert "Judul: pesan yang tampil di e-Kinerja" in text
    assert f"Akan selesai sendiri: sinkron Siti Aminah, S.Pd. (NIP {KS}) siap dijalankan; Selaras mencoba" in text
    assert "Langkah:" in text and "(bertindak: Kepala Sekolah" in text
    assert "RHK guru: Pembelajaran berdiferensiasi (R-G1-1); induk: Numerasi" in text
    assert "SKP PMM: S-G1" in text


def test_the_rejected_rows_card_counts_the_rest() -> None:
    class Problem:
        file = "x:siasn_pegawai.csv"

        def __str__(self) -> str:
            return "baris 2"

    console = Console(width=300, record=True)
    console.print(rejected_panel([Problem() for _ in range(1012)]))
    text = console.export_text()
    assert "Yang harus bertindak: Sistem, dilaporkan ke pemilik sumber: SIASN" in text
    assert "... dan 1.002 lagi (lihat laporan CSV)" in text


def test_the_data_texts_say_what_they_said() -> None:
    from datetime import date

    from selaras.domain.harikerja import Kalender
    from selaras.domain.overlap import tahunan_overlaps
    from selaras.domain.snapshot import FORMAT_TEXT, Kind

    old = {"periode_id": "P-2026", "jenis": "TAHUNAN", "awal": "2026-01-01", "akhir": "2026-12-31"}
    new = {"periode_id": "P-X", "jenis": "TAHUNAN", "awal": date(2026, 12, 31), "akhir": date(2027, 12, 30)}
    assert tahunan_overlaps([old], new) == [
        "Periode TAHUNAN P-X (31-12-2026 s.d. 30-12-2027) bertumpang tanggal dengan "
        "periode TAHUNAN P-2026 (01-01-2026 s.d. 31-12-2026)."
    ]
    assert FORMAT_TEXT[Kind.NIP] == "NIP harus 18 digit angka"
    assert FORMAT_TEXT[Kind.DECIMAL] == "nilai harus angka dengan titik desimal (misalnya 12.5)"
    assert Kind.TEXT not in FORMAT_TEXT
    kalender = Kalender.dengan([date(2026, 12, 16)])
    assert (kalender.libur(date(2026, 12, 19)), kalender.libur(date(2026, 12, 16))) == ("akhir pekan", "libur instansi")

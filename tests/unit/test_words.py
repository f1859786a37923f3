"""Words people read: Indonesian numbers, dates and times in the instansi's zone, labels."""

from __future__ import annotations

from datetime import UTC, date, datetime

from selaras.catalogue import dates, words


def test_numbers_and_percentages_the_indonesian_way() -> None:
    assert words.angka(1096) == "1.096"
    assert words.angka(2_030_000) == "2.030.000"
    assert words.angka(0) == "0"
    assert words.angka(3.25, 2) == "3,25"
    assert words.persen(85.8) == "85,8%"
    assert words.persen(1234.5) == "1.234,5%"


def test_times_in_each_zone_with_the_zone_named() -> None:
    t = datetime(2026, 12, 1, 17, 30, tzinfo=UTC)
    assert dates.waktu_singkat(t) == "02-12-2026 00.30 WIB"
    assert dates.waktu_singkat(t, "WITA") == "02-12-2026 01.30 WITA"
    assert dates.waktu(t, "WIT") == "2 Desember 2026 02.30 WIT"
    assert dates.waktu_singkat(t.replace(tzinfo=None), "WIB") == "02-12-2026 00.30 WIB"  # naive = UTC
    assert dates.waktu_singkat(t, "XYZ").endswith("WIB")
    assert dates.tanggal(date(2026, 3, 9)) == "9 Maret 2026"
    assert dates.tanggal_singkat("2026-03-09") == "09-03-2026"


def test_labels_never_give_back_a_raw_token() -> None:
    assert words.label(words.STATUS, "GAGAL") == "Gagal"
    assert words.label(words.AKSI, "UBAH_ATASAN_UNOR") == "Ubah atasan unit kerja"
    assert words.label(words.FLOW, "skp") == "Sinkron PMM (SKP)"
    assert words.label(words.AKSI, "AKSI_BARU_LAIN") == "aksi baru lain"
    assert words.nilai("TIDAK_AKTIF") == "tidak aktif"
    assert words.nilai(False) == "Tidak" and words.ya_tidak(True) == "Ya"
    assert words.nilai(1096) == "1.096"


def test_rhk_by_their_text_and_readable_audit_values() -> None:
    rhk = {"pmm_rhk_id": "R1000001070", "uraian": "Menyusun modul ajar", "induk_pmm_rhk_id": None}
    assert words.item_text(rhk) == "“Menyusun modul ajar”"
    assert "R1000001070" not in words.item_text(rhk)
    assert words.item_text({"pmm_rhk_id": "R1"}) == "ID RHK PMM R1"
    text = words.rincian({"flow": "skp", "status": "GAGAL", "semua": True, "jumlah": 1096})
    assert text == "Alur: Sinkron PMM (SKP); Status: Gagal; Semua pegawai: Ya; Jumlah pegawai: 1.096"


def test_who_made_a_log_row() -> None:
    assert words.pelaku("job:vm:22419:4e320a") == "Sistem (antrean)"
    assert words.pelaku("cli:budi") == "Baris perintah (budi)"
    assert words.pelaku("admin-I1", {"admin-I1": "Admin BKPSDM Bima"}) == "Admin BKPSDM Bima"


def test_every_audited_action_has_a_label() -> None:
    """The audit page names each action in words: every action a use case writes has its label."""
    import re
    from pathlib import Path

    from selaras.catalogue.words import AKSI

    src = Path(__file__).resolve().parents[2] / "src" / "selaras" / "usecases"
    found: set[str] = set()
    for path in src.glob("*.py"):
        text = path.read_text(encoding="utf-8")
        found |= set(re.findall(r'aksi\s*=\s*"([A-Z_]+)"', text))
        found |= set(re.findall(r'_audit\(\s*\w+,\s*\w+,\s*"([A-Z_]+)"', text))
        for pair in re.findall(r'"([A-Z_]+)" if \w+ else "([A-Z_]+)"', text):
            found |= set(pair)
    assert len(found) > 10, found
    assert not found - set(AKSI), f"audit actions without a label: {sorted(found - set(AKSI))}"

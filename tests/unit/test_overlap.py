"""TAHUNAN periods of one instansi may not share days."""

from __future__ import annotations

from datetime import date

from selaras.domain.overlap import tahunan_overlaps

EXISTING = [
    {"periode_id": "P-2026", "jenis": "TAHUNAN", "awal": "2026-01-01", "akhir": "2026-12-31"},
    {"periode_id": "P-TW1", "jenis": "PERIODIK", "awal": "2026-01-01", "akhir": "2026-03-31"},
]


def _row(pid: str, jenis: str, awal: date, akhir: date) -> dict[str, object]:
    return {"periode_id": pid, "jenis": jenis, "awal": awal, "akhir": akhir}


def test_overlapping_tahunan_is_named_with_both_periods() -> None:
    got = tahunan_overlaps(EXISTING, _row("P-X", "TAHUNAN", date(2026, 12, 31), date(2027, 12, 30)))
    assert len(got) == 1 and "P-X" in got[0] and "P-2026" in got[0] and "31-12-2026" in got[0]


def test_adjacent_replaced_and_periodic_periods_do_not_overlap() -> None:
    assert tahunan_overlaps(EXISTING, _row("P-2027", "TAHUNAN", date(2027, 1, 1), date(2027, 12, 31))) == []
    assert tahunan_overlaps(EXISTING, _row("P-2026", "TAHUNAN", date(2026, 2, 1), date(2026, 12, 31))) == []
    assert tahunan_overlaps(EXISTING, _row("P-TW2", "PERIODIK", date(2026, 4, 1), date(2026, 6, 30))) == []

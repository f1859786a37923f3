"""Working days as Indonesia counts them: weekends off, national public holidays and collective
leave (cuti bersama) from the ``holidays`` library (country ID), plus the dates an instansi adds
itself. Ages of blockers, escalation thresholds and the forecast's remaining days are all
counted in these days, on the instansi's own local date (WIB, WITA or WIT). Pure: the calendar
is computed, nothing is read.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache

import holidays

from selaras.catalogue.words import zona as zona_of


def tanggal_lokal(waktu: datetime, zona: str = "WIB") -> date:
    """The local date of a moment in the instansi's zone (a naive time is UTC)."""
    if waktu.tzinfo is None:
        waktu = waktu.replace(tzinfo=UTC)
    return waktu.astimezone(zona_of(zona)).date()


@lru_cache(maxsize=64)
def libur_nasional(tahun: int) -> dict[date, str]:
    """National public holidays and cuti bersama of a year: date -> name."""
    cal = holidays.country_holidays("ID", years=tahun, categories=_categories(), language="id")
    return {d: str(n) for d, n in sorted(cal.items())}


def _categories() -> tuple[str, ...]:
    # Collective leave is the GOVERNMENT category of the library's Indonesian calendar.
    supported = holidays.country_holidays("ID").supported_categories
    return tuple(c for c in ("public", "government") if c in supported)


@dataclass(frozen=True)
class Kalender:
    """The working days of one instansi: weekdays that are neither a national holiday nor a
    date the instansi added (``tambahan``)."""

    tambahan: frozenset[date] = field(default_factory=frozenset)

    @classmethod
    def dengan(cls, tambahan: Iterable[date] = ()) -> Kalender:
        """The calendar with the instansi's own extra days off."""
        return cls(frozenset(tambahan))

    def libur(self, d: date) -> str | None:
        """Why ``d`` is not a working day (None: it is one)."""
        if d.weekday() >= 5:
            return "akhir pekan"
        if d in self.tambahan:
            return "libur instansi"
        return libur_nasional(d.year).get(d)

    def hari_kerja(self, d: date) -> bool:
        """Whether ``d`` is a working day."""
        return self.libur(d) is None

    def antara(self, awal: date, akhir: date) -> int:
        """Working days after ``awal`` up to and including ``akhir`` (0 when ``akhir <= awal``):
        an item first seen on Monday is 1 working day old on Tuesday."""
        if akhir <= awal:
            return 0
        n, d = 0, awal
        while d < akhir:
            d += timedelta(days=1)
            if self.hari_kerja(d):
                n += 1
        return n

    def tambah(self, awal: date, n: int) -> date:
        """The date ``n`` working days after ``awal``."""
        d, left = awal, n
        while left > 0:
            d += timedelta(days=1)
            if self.hari_kerja(d):
                left -= 1
        return d

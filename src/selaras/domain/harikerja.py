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

from selaras.catalogue.dates import AKHIR_PEKAN, LIBUR_INSTANSI
from selaras.catalogue.dates import zona as zona_of


def tanggal_lokal(waktu: datetime, zona: str = "WIB") -> date:
    """The local date of a moment in the instansi's zone (a naive time is UTC)."""
    if waktu.tzinfo is None:
        waktu = waktu.replace(tzinfo=UTC)
    return waktu.astimezone(zona_of(zona)).date()


BASE_TAHUN = 2020
"""Origin of the working-day ordinal (any year works; differences do not depend on it)."""


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
            return AKHIR_PEKAN
        if d in self.tambahan:
            return LIBUR_INSTANSI
        return libur_nasional(d.year).get(d)

    def hari_kerja(self, d: date) -> bool:
        """Whether ``d`` is a working day."""
        return self.libur(d) is None

    def antara(self, awal: date, akhir: date) -> int:
        """Working days after ``awal`` up to and including ``akhir`` (0 when ``akhir <= awal``):
        an item first seen on Monday is 1 working day old on Tuesday."""
        if akhir <= awal:
            return 0
        return self.urutan(akhir) - self.urutan(awal)

    def urutan(self, d: date) -> int:
        """The working-day ordinal of ``d``: working days from 1 January of ``BASE_TAHUN`` up
        to and including ``d`` (differences of two are working days between them)."""
        return self._before(d.year) + self._cum(d.year)[d.timetuple().tm_yday - 1]

    @lru_cache(maxsize=256)  # noqa: B019 - few calendars, each kept for the process anyway
    def _cum(self, tahun: int) -> tuple[int, ...]:
        out, n, d = [], 0, date(tahun, 1, 1)
        while d.year == tahun:
            n += self.hari_kerja(d)
            out.append(n)
            d += timedelta(days=1)
        return tuple(out)

    @lru_cache(maxsize=256)  # noqa: B019 - as above
    def _before(self, tahun: int) -> int:
        if tahun <= BASE_TAHUN:
            return -sum(self._cum(y)[-1] for y in range(tahun, BASE_TAHUN))
        return self._before(tahun - 1) + self._cum(tahun - 1)[-1]

    def tambah(self, awal: date, n: int) -> date:
        """The date ``n`` working days after ``awal``."""
        d, left = awal, n
        while left > 0:
            d += timedelta(days=1)
            if self.hari_kerja(d):
                left -= 1
        return d

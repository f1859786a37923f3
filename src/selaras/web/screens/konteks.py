"""What every request needs: the store, the job engine, the year, the deadline, the zone."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import date

from selaras.jobs.runtime import Dispatcher
from selaras.store import reads
from selaras.store.database import Store

TAHUN_TTL = 30.0
"""Seconds the year shown is kept before the log is asked again (it changes once a year)."""


@dataclass
class Konteks:
    """What every request needs: the store, the job engine, the year and the deadline."""

    store: Store
    runner: Dispatcher
    tahun_tetap: int | None = None
    tenggat_tetap: date | None = None
    _tahun: tuple[int, float] | None = field(default=None, repr=False, compare=False)

    def tahun(self) -> int:
        """The year shown: fixed at start, else the latest year logged, else this year."""
        if self.tahun_tetap is not None:
            return self.tahun_tetap
        now = time.monotonic()
        if self._tahun is not None and now - self._tahun[1] < TAHUN_TTL:
            return self._tahun[0]
        found = reads.latest_tahun(self.store) or date.today().year
        self._tahun = (found, now)
        return found

    def tenggat(self, tahun: int) -> date:
        """The deadline the progress is measured against (default: the year's last day)."""
        return self.tenggat_tetap or date(tahun, 12, 31)

    def zona(self, instansi_id: str | None) -> str:
        """The time zone the instansi reads its times in (WIB, WITA or WIT)."""
        return reads.zona_of(self.store, instansi_id)

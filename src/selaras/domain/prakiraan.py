"""The forecast: from a daily history of TERSINKRON counts, the share expected by the deadline,
with an interval.

The model is a random walk with drift on working days: each working day adds a number of newly
synced pegawai drawn around a constant rate. The rate is the mean gain per working day of the
history, its spread the standard deviation of those gains. ``h`` working days ahead the count
is expected at ``x + h * rate``, with variance ``h * s^2`` (the days to come) plus
``h^2 * s^2 / n`` (the rate itself is only estimated from ``n`` gains); the interval is that
mean plus or minus ``z`` standard deviations (``z = 1.96``: about 95 %), clipped to what can
happen (no fewer than today, no more than all). Pure.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from selaras.domain.harikerja import Kalender

Z_95 = 1.96


@dataclass(frozen=True)
class Titik:
    """One day of the history: how many pegawai were TERSINKRON out of how many."""

    tanggal: date
    tersinkron: int
    total: int


@dataclass(frozen=True)
class Prakiraan:
    """The forecast of one school or instansi at the deadline."""

    total: int
    tersinkron: int
    perkiraan: float
    bawah: float
    atas: float
    laju: float
    hari_kerja_sisa: int
    pengamatan: int

    @property
    def persen(self) -> float:
        """The share expected by the deadline (0..100)."""
        return 100.0 * self.perkiraan / self.total if self.total else 100.0

    @property
    def persen_bawah(self) -> float:
        """The interval's lower end as a share (0..100)."""
        return 100.0 * self.bawah / self.total if self.total else 100.0

    @property
    def persen_atas(self) -> float:
        """The interval's upper end as a share (0..100)."""
        return 100.0 * self.atas / self.total if self.total else 100.0

    @property
    def guru_terancam(self) -> int:
        """Teachers expected not synced by the deadline: what is at stake."""
        return max(self.total - math.floor(self.perkiraan), 0)

    @property
    def berisiko(self) -> bool:
        """Whether the expected count falls short of everyone by the deadline."""
        return self.guru_terancam > 0


def prakirakan(riwayat: Sequence[Titik], tenggat: date, kalender: Kalender, *, z: float = Z_95) -> Prakiraan | None:
    """The forecast at ``tenggat`` from ``riwayat`` (any order; None when empty).

    Gains between observations further apart than one working day are spread over the working
    days between them. With fewer than two observations the rate is unknown: the expectation
    stays at today's count and the interval spans everything still possible.
    """
    if not riwayat:
        return None
    hist = sorted(riwayat, key=lambda t: t.tanggal)
    last = hist[-1]
    total, x = last.total, float(last.tersinkron)
    h = kalender.antara(last.tanggal, tenggat)
    gains: list[float] = []
    for a, b in zip(hist, hist[1:], strict=False):
        days = kalender.antara(a.tanggal, b.tanggal)
        if days > 0:
            per_day = (b.tersinkron - a.tersinkron) / days
            gains.extend([per_day] * days)
    n = len(gains)
    if n < 2:
        return Prakiraan(total, last.tersinkron, x, x, float(max(total, last.tersinkron)), 0.0, h, len(hist))
    rate = sum(gains) / n
    s = math.sqrt(sum((g - rate) ** 2 for g in gains) / (n - 1))
    mean = x + h * rate
    sd = math.sqrt(h * s * s + (h * h) * s * s / n)
    hi_cap = float(max(total, last.tersinkron))
    clip = lambda v: min(max(v, x), hi_cap)  # noqa: E731 - three uses, one line
    return Prakiraan(total, last.tersinkron, clip(mean), clip(mean - z * sd), clip(mean + z * sd), rate, h, len(hist))


def berisiko_urut(prakiraan: dict[str, Prakiraan]) -> list[tuple[str, Prakiraan]]:
    """Those at risk, most teachers at stake first (then the lowest expected share)."""
    risky = [(k, p) for k, p in prakiraan.items() if p.berisiko]
    return sorted(risky, key=lambda kp: (-kp[1].guru_terancam, kp[1].persen, kp[0]))

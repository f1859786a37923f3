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
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

import polars as pl

from selaras.domain.harikerja import Kalender

Z_95 = 1.96
JENDELA_HARI = 56
"""Calendar days of history a forecast reads (eight weeks): the pace of late, not of January."""


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
    sd: float = 0.0
    """The standard deviation of the count at the deadline, before clipping."""

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
    days between them. With fewer than two gains the rate is unknown: the expectation stays at
    today's count and the interval spans everything still possible.
    """
    if not riwayat:
        return None
    hist = sorted(riwayat, key=lambda t: t.tanggal)
    last = hist[-1]
    h = kalender.antara(last.tanggal, tenggat)
    gains: list[float] = []
    for a, b in zip(hist, hist[1:], strict=False):
        days = kalender.antara(a.tanggal, b.tanggal)
        if days > 0:
            gains.extend([(b.tersinkron - a.tersinkron) / days] * days)
    n = len(gains)
    rate = sum(gains) / n if n else 0.0
    ss = sum((g - rate) ** 2 for g in gains)
    return _dari(last.total, last.tersinkron, h, n, rate, ss, len(hist), z)


def _dari(total: int, now: int, h: int, n: int, rate: float, ss: float, pengamatan: int, z: float) -> Prakiraan:
    """The forecast from ``n`` daily gains of mean ``rate`` and sum of squared deviations
    ``ss``, ``h`` working days ahead of ``now`` (the one formula of both entry points)."""
    x, cap = float(now), float(max(total, now))
    if n < 2:
        # The rate is unknown: everything still possible, as wide as a uniform spread.
        return Prakiraan(total, now, x, x, cap, 0.0, h, pengamatan, (cap - x) / (2 * z))
    s2 = ss / (n - 1)
    mean = x + h * rate
    sd = math.sqrt(h * s2 + h * h * s2 / n)

    def clip(v: float) -> float:
        return min(max(v, x), cap)

    return Prakiraan(total, now, clip(mean), clip(mean - z * sd), clip(mean + z * sd), rate, h, pengamatan, sd)


def gabung(bagian: Iterable[Prakiraan], *, z: float = Z_95) -> Prakiraan | None:
    """The forecast of a whole from its parts (an instansi from its schools, the nation from its
    instansi): expectations add up, and so do variances (parts progress independently). A
    school that stalls holds its share back however fast the others go."""
    parts = list(bagian)
    if not parts:
        return None
    total = sum(p.total for p in parts)
    now = sum(p.tersinkron for p in parts)
    mean = sum(p.perkiraan for p in parts)
    sd = math.sqrt(sum(p.sd**2 for p in parts))
    lo, hi = float(now), float(sum(max(p.total, p.tersinkron) for p in parts))
    return Prakiraan(
        total,
        now,
        mean,
        max(mean - z * sd, lo),
        min(mean + z * sd, hi),
        sum(p.laju for p in parts),
        max(p.hari_kerja_sisa for p in parts),
        max(p.pengamatan for p in parts),
        sd,
    )


def prakirakan_semua(
    riwayat: pl.DataFrame, tenggat: date, kalender: Kalender, *, z: float = Z_95
) -> dict[str, Prakiraan]:
    """:func:`prakirakan` of many at once: ``riwayat`` has ``kunci, tanggal, total,
    tersinkron`` (a school or an instansi per ``kunci``); the same answers, in columns."""
    if riwayat.is_empty():
        return {}
    ordinal = {d: kalender.urutan(d) for d in riwayat["tanggal"].unique().to_list()}
    end = kalender.urutan(tenggat)
    df = (
        riwayat.sort("kunci", "tanggal")
        .with_columns(pl.col("tanggal").replace_strict(ordinal, return_dtype=pl.Int64).alias("hk"))
        .with_columns(
            pl.col("tersinkron").diff().over("kunci").alias("dx"),
            pl.col("hk").diff().over("kunci").alias("dw"),
        )
    )
    steps = (
        df.filter(pl.col("dw") > 0)
        .with_columns((pl.col("dx") / pl.col("dw")).alias("per"))
        .group_by("kunci")
        .agg(pl.col("dw").sum().alias("n"), pl.col("dx").sum().alias("sx"), pl.col("per"), pl.col("dw").alias("w"))
    )
    last = df.group_by("kunci").agg(
        pl.col("total").last(), pl.col("tersinkron").last(), pl.col("hk").last(), pl.len().alias("pengamatan")
    )
    gains = {r["kunci"]: r for r in steps.iter_rows(named=True)}
    out: dict[str, Prakiraan] = {}
    for r in last.iter_rows(named=True):
        g = gains.get(r["kunci"])
        n, rate, ss = 0, 0.0, 0.0
        if g is not None and g["n"]:
            n = int(g["n"])
            rate = g["sx"] / n
            ss = sum(w * (p - rate) ** 2 for p, w in zip(g["per"], g["w"], strict=True))
        h = max(end - r["hk"], 0)
        out[str(r["kunci"])] = _dari(int(r["total"]), int(r["tersinkron"]), h, n, rate, ss, int(r["pengamatan"]), z)
    return out


def berisiko_urut(prakiraan: dict[str, Prakiraan]) -> list[tuple[str, Prakiraan]]:
    """Those at risk, most teachers at stake first (then the lowest expected share)."""
    risky = [(k, p) for k, p in prakiraan.items() if p.berisiko]
    return sorted(risky, key=lambda kp: (-kp[1].guru_terancam, kp[1].persen, kp[0]))

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


# ------------------------------------------------------------ schools: the pace per teacher

PRIOR_HARI_GURU = 20.0
"""How many teacher-working-days of a school's own history weigh as much as the pace of its
instansi: a school with little history is forecast mostly at its instansi's pace, one with
much history at its own."""


def _peluang(
    total: int, now: int, h: int, gain: float, exposure: float, p0: float | None, pengamatan: int, z: float
) -> Prakiraan:
    """The forecast of one school from its teachers' pace: each teacher not yet synced syncs
    on a working day with probability ``p``, estimated as synced per teacher-working-day
    unsynced (``gain / exposure``), drawn toward the instansi's ``p0`` by ``PRIOR_HARI_GURU``.
    By the deadline each of the ``R`` left has synced with probability ``q = 1 - (1-p)^h``: the
    count is ``now + R q`` with the binomial variance ``R q (1-q)`` plus ``R^2`` times the
    variance of ``q`` (``p`` is only estimated). Without any pace (no history here nor in the
    instansi) everything still possible is the interval."""
    x, cap = float(now), float(max(total, now))
    left = cap - x
    if p0 is None and exposure <= 0:
        return Prakiraan(total, now, x, x, cap, 0.0, h, pengamatan, left / (2 * z))
    prior = p0 if p0 is not None else gain / exposure
    weight = exposure + PRIOR_HARI_GURU
    p = min(max((gain + PRIOR_HARI_GURU * prior) / weight, 0.0), 1.0)
    q = 1.0 - (1.0 - p) ** h
    var_p = p * (1.0 - p) / weight
    dq = h * (1.0 - p) ** max(h - 1, 0)
    var = left * q * (1.0 - q) + left * left * dq * dq * var_p
    mean = x + left * q
    sd = math.sqrt(var)

    def clip(v: float) -> float:
        return min(max(v, x), cap)

    return Prakiraan(total, now, mean, clip(mean - z * sd), clip(mean + z * sd), p * left, h, pengamatan, sd)


def prakirakan_sekolah_semua(
    riwayat: pl.DataFrame, tenggat: date, kalender: Kalender, *, z: float = Z_95
) -> dict[tuple[str, str], Prakiraan]:
    """The forecast of many schools at once from their daily counts: ``riwayat`` has
    ``kelompok`` (the instansi whose pace a school is drawn toward), ``kunci`` (the school),
    ``tanggal``, ``total``, ``tersinkron``; the last day of each school is its count now.
    Keys are ``(kelompok, kunci)``."""
    if riwayat.is_empty():
        return {}
    ordinal = {d: kalender.urutan(d) for d in riwayat["tanggal"].unique().to_list()}
    end = kalender.urutan(tenggat)
    df = (
        riwayat.sort("kelompok", "kunci", "tanggal")
        .with_columns(pl.col("tanggal").replace_strict(ordinal, return_dtype=pl.Int64).alias("hk"))
        .with_columns(
            pl.col("tersinkron").diff().over("kelompok", "kunci").alias("dx"),
            pl.col("hk").diff().over("kelompok", "kunci").alias("dw"),
            (pl.col("total") - pl.col("tersinkron")).clip(0).shift(1).over("kelompok", "kunci").alias("sisa"),
        )
    )
    steps = (
        df.filter(pl.col("dw") > 0)
        .group_by("kelompok", "kunci")
        .agg(
            pl.col("dx").clip(0).sum().cast(pl.Float64).alias("gain"),
            (pl.col("sisa") * pl.col("dw")).sum().cast(pl.Float64).alias("exposure"),
        )
    )
    pace = steps.group_by("kelompok").agg(pl.col("gain").sum(), pl.col("exposure").sum())
    p0 = {r["kelompok"]: r["gain"] / r["exposure"] for r in pace.iter_rows(named=True) if r["exposure"] > 0}
    own = {(r["kelompok"], r["kunci"]): (r["gain"], r["exposure"]) for r in steps.iter_rows(named=True)}
    last = df.group_by("kelompok", "kunci").agg(
        pl.col("total").last(), pl.col("tersinkron").last(), pl.col("hk").last(), pl.len().alias("pengamatan")
    )
    out: dict[tuple[str, str], Prakiraan] = {}
    for r in last.iter_rows(named=True):
        key = (str(r["kelompok"]), str(r["kunci"]))
        gain, exposure = own.get(key, (0.0, 0.0))
        h = max(end - r["hk"], 0)
        out[key] = _peluang(
            int(r["total"]), int(r["tersinkron"]), h, gain, exposure, p0.get(r["kelompok"]), int(r["pengamatan"]), z
        )
    return out

"""Weeks of history for ``selaras demo`` (issue 23): the first check some weeks ago, a share of
the pegawai syncing on each working day since, and each evening the round the server runs
(the daily summary, the escalation policy, the digests). So a fresh demo shows what takes
weeks to see: blocker ages and escalations, the digest, the trend and the forecast."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from selaras.domain.harikerja import Kalender, tanggal_lokal
from selaras.domain.results import Flow
from selaras.store import riwayat
from selaras.store.database import Store
from selaras.usecases import eskalasi
from selaras.usecases.sync import check_store, sync_store

HARI_KERJA = 20
"""Working days of history (four weeks)."""
BAGIAN_PER_HARI = 0.03
"""The share of pegawai who press the sync button on a working day of the history."""
PELAKU = "demo"
WIB = timedelta(hours=7)


@dataclass(frozen=True)
class Riwayat:
    """What the history holds."""

    mulai: date
    hari: int
    sinkron: int
    eskalasi: int
    digest: int


def _at(day: date, hour: int) -> datetime:
    """``hour`` o'clock WIB of ``day``, in UTC."""
    return datetime.combine(day, time(hour), UTC) - WIB


def buat_riwayat(
    store: Store,
    tahun: int,
    nips: list[str],
    *,
    hari: int = HARI_KERJA,
    tetap: frozenset[str] = frozenset(),
    sekarang: datetime | None = None,
    seed: int = 7,
    told: Callable[[str], None] | None = None,
) -> Riwayat:
    """Log ``hari`` working days of history before today: the first check on the first day,
    then each working day a sync of a random share of ``nips`` (principals before their
    teachers, as every sync) but those of ``tetap`` (left for today), and each evening the
    daily summary, the escalation policy and the digests. Runs are logged now and moved back
    to their day (``store.riwayat``)."""
    now = (sekarang or datetime.now(UTC)).astimezone(UTC)
    kal = Kalender()
    today = tanggal_lokal(now, "WIB")
    first, left = today, hari
    while left > 0:
        first -= timedelta(days=1)
        left -= kal.hari_kerja(first)
    rng = random.Random(seed)
    known = sorted(set(nips) - tetap)
    synced = steps = digests = 0
    day = first
    while day < today:
        if kal.hari_kerja(day):
            if told:
                told(f"riwayat {day:%d-%m-%Y}")
            before = riwayat.newest_ids(store)
            if day == first:
                check_store(store, flow=Flow.SKP, tahun=tahun, pelaku=PELAKU)
            else:
                pick = rng.sample(known, max(1, int(len(known) * BAGIAN_PER_HARI)))
                synced += len(pick)
                sync_store(store, flow=Flow.SKP, tahun=tahun, pelaku=PELAKU, nips=pick)
            riwayat.move_back(store, before, _at(day, 10))
            eskalasi.tulis_ringkasan(store, sekarang=_at(day, 17))
            steps += eskalasi.jalankan(store, sekarang=_at(day, 17)).hitung("eskalasi")
            digests += len(eskalasi.kirim_digest(store, sekarang=_at(day, 18)).terkirim)
        day += timedelta(days=1)
    return Riwayat(first, hari, synced, steps, digests)

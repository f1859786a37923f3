"""Working days, the escalation policy and the forecast (issue 12): pure domain, no store."""

from __future__ import annotations

import math
import random
from datetime import UTC, date, datetime, timedelta

import pytest

from selaras.domain.eskalasi import (
    KE_ADMIN_BAKU,
    KE_PIMPINAN_BAKU,
    BarisDigest,
    Kebijakan,
    Tingkat,
    digest,
    langkah_jatuh_tempo,
    umur_label,
)
from selaras.domain.harikerja import Kalender, libur_nasional, tanggal_lokal
from selaras.domain.prakiraan import Titik, berisiko_urut, prakirakan

# ------------------------------------------------------------------------- working days


def test_national_calendar_has_public_holidays_and_cuti_bersama() -> None:
    days = libur_nasional(2026)
    assert date(2026, 8, 17) in days  # Hari Kemerdekaan
    assert date(2026, 12, 25) in days  # Natal
    assert date(2026, 12, 24) in days and "Cuti Bersama" in days[date(2026, 12, 24)]
    assert date(2026, 12, 23) not in days


def test_working_days_skip_weekends_holidays_and_the_instansi_own_days() -> None:
    kal = Kalender.dengan([date(2026, 12, 16)])
    assert kal.libur(date(2026, 12, 19)) == "akhir pekan"
    assert kal.libur(date(2026, 12, 16)) == "libur instansi"
    assert kal.libur(date(2026, 12, 25))
    assert kal.hari_kerja(date(2026, 12, 17))
    # Mon 14 -> Thu 31: 15 16* 17 18 | 21 22 23 24* 25* | 28 29 30 31 -> 10 working days
    assert kal.antara(date(2026, 12, 14), date(2026, 12, 31)) == 10
    assert Kalender().antara(date(2026, 12, 14), date(2026, 12, 31)) == 11
    assert kal.antara(date(2026, 12, 14), date(2026, 12, 14)) == 0
    assert kal.antara(date(2026, 12, 18), date(2026, 12, 13)) == 0
    assert kal.tambah(date(2026, 12, 14), 3) == date(2026, 12, 18)
    assert kal.tambah(date(2026, 12, 23), 1) == date(2026, 12, 28)


def test_local_date_follows_the_instansi_zone() -> None:
    t = datetime(2026, 12, 14, 16, 30, tzinfo=UTC)  # 23:30 WIB, 00:30 WITA next day
    assert tanggal_lokal(t, "WIB") == date(2026, 12, 14)
    assert tanggal_lokal(t, "WITA") == date(2026, 12, 15)
    assert tanggal_lokal(t, "WIT") == date(2026, 12, 15)


# ------------------------------------------------------------------------------ policy


def test_defaults_are_documented_values() -> None:
    k = Kebijakan()
    assert (k.ke_admin, k.ke_pimpinan) == (KE_ADMIN_BAKU, KE_PIMPINAN_BAKU) == (5, 10)
    with pytest.raises(ValueError):
        Kebijakan(ke_admin=0)


@pytest.mark.parametrize("pihak", ["pegawai:1", "operator:2", "dinas:I1"])
def test_a_party_item_goes_to_the_admin_then_the_head_each_once(pihak: str) -> None:
    k = Kebijakan(ke_admin=3, ke_pimpinan=6)
    assert langkah_jatuh_tempo(pihak, 2, [], k) == []
    assert langkah_jatuh_tempo(pihak, 3, [], k) == [Tingkat.ADMIN]
    assert langkah_jatuh_tempo(pihak, 4, [Tingkat.ADMIN], k) == []
    assert langkah_jatuh_tempo(pihak, 6, [Tingkat.ADMIN], k) == [Tingkat.PIMPINAN]
    assert langkah_jatuh_tempo(pihak, 9, [Tingkat.ADMIN, Tingkat.PIMPINAN], k) == []
    # A run that missed days takes both steps at once, in order.
    assert langkah_jatuh_tempo(pihak, 7, [], k) == [Tingkat.ADMIN, Tingkat.PIMPINAN]


def test_an_admin_item_goes_straight_to_the_head() -> None:
    k = Kebijakan(ke_admin=3, ke_pimpinan=6)
    assert langkah_jatuh_tempo("admin:I1", 5, [], k) == []
    assert langkah_jatuh_tempo("admin:I1", 6, [], k) == [Tingkat.PIMPINAN]


def test_digest_lists_oldest_first_with_teachers_and_what_is_new() -> None:
    judul, isi = digest(
        "Bu Ani",
        [
            BarisDigest("PMM-11: SKP kepala sekolah Budi", 2, 30, True),
            BarisDigest("PMM-12: unit SDN 1", 12, 4, False, 1),
        ],
    )
    assert judul == "Ringkasan harian: 2 kendala terbuka, 1 baru"
    lines = isi.splitlines()
    assert (
        lines[3] == "- PMM-12: unit SDN 1: menunggu sejak 12 hari kerja, menahan 4 guru [dieskalasi ke Admin Instansi]"
    )
    assert lines[4] == "- PMM-11: SKP kepala sekolah Budi: menunggu sejak 2 hari kerja, menahan 30 guru (baru)"
    assert umur_label(0) == "muncul hari ini"


# ---------------------------------------------------------------------------- forecast


def _history(rate: float, sd: float, days: int, total: int, rng: random.Random, kal: Kalender) -> list[Titik]:
    d, x, out = date(2026, 9, 1), 0.0, []
    while len(out) < days:
        if kal.hari_kerja(d):
            x += max(rng.gauss(rate, sd), 0.0) if out else 0.0
            out.append(Titik(d, min(round(x), total), total))
        d += timedelta(days=1)
    return out


def test_a_steady_rate_is_forecast_exactly() -> None:
    kal = Kalender()
    hist = [Titik(kal.tambah(date(2026, 11, 2), i), 10 * i, 10_000) for i in range(20)]
    p = prakirakan(hist, date(2026, 12, 31), kal)
    assert p is not None
    h = kal.antara(hist[-1].tanggal, date(2026, 12, 31))
    assert p.laju == pytest.approx(10.0)
    assert p.perkiraan == pytest.approx(190 + 10 * h)
    assert p.bawah == p.atas == pytest.approx(p.perkiraan)  # no spread, no uncertainty
    assert p.berisiko and p.guru_terancam == 10_000 - math.floor(p.perkiraan)


def test_the_forecast_of_a_known_rate_lands_within_its_interval() -> None:
    """Histories drawn from a known rate: the true count at the deadline (drawn from the same
    process) falls within the stated 95 % interval about as often as stated, and the rate is
    recovered."""
    kal = Kalender()
    rng = random.Random(12)
    deadline = date(2026, 12, 31)
    inside, trials, rates = 0, 300, []
    for _ in range(trials):
        hist = _history(rate=40.0, sd=12.0, days=30, total=100_000, rng=rng, kal=kal)
        p = prakirakan(hist, deadline, kal)
        assert p is not None
        rates.append(p.laju)
        truth = float(hist[-1].tersinkron)
        for _ in range(p.hari_kerja_sisa):
            truth += max(rng.gauss(40.0, 12.0), 0.0)
        inside += p.bawah <= truth <= p.atas
    assert 0.90 <= inside / trials <= 0.995
    assert sum(rates) / trials == pytest.approx(40.0, abs=1.0)


def test_the_forecast_is_capped_and_a_single_day_spans_everything_possible() -> None:
    kal = Kalender()
    one = prakirakan([Titik(date(2026, 12, 1), 40, 100)], date(2026, 12, 31), kal)
    assert one is not None and (one.perkiraan, one.bawah, one.atas) == (40, 40, 100)
    fast = [Titik(kal.tambah(date(2026, 12, 1), i), 30 * i, 100) for i in range(3)]
    p = prakirakan(fast, date(2026, 12, 31), kal)
    assert p is not None and p.atas == p.perkiraan == 100 and not p.berisiko
    assert prakirakan([], date(2026, 12, 31), kal) is None


def test_at_risk_ranked_by_teachers_at_stake() -> None:
    kal = Kalender()
    d0, d1 = date(2026, 12, 1), date(2026, 12, 2)
    ps = {
        "A": prakirakan([Titik(d0, 0, 10), Titik(d1, 0, 10)], date(2026, 12, 3), kal),
        "B": prakirakan([Titik(d0, 0, 50), Titik(d1, 0, 50)], date(2026, 12, 3), kal),
        "C": prakirakan([Titik(d0, 5, 5), Titik(d1, 5, 5)], date(2026, 12, 3), kal),
    }
    ranked = berisiko_urut({k: v for k, v in ps.items() if v is not None})
    assert [k for k, _ in ranked] == ["B", "A"]


def test_many_at_once_gives_the_same_forecasts_as_one_by_one() -> None:
    import polars as pl

    from selaras.domain.prakiraan import prakirakan_semua

    kal = Kalender.dengan([date(2026, 11, 11)])
    rng = random.Random(3)
    rows, hists = [], {}
    for k in range(25):
        d, x, hist = date(2026, 10, 1), 0, []
        for _ in range(rng.randint(1, 40)):
            d += timedelta(days=rng.choice([1, 1, 1, 2, 3]))  # weekends, gaps, change-only days
            x += rng.randint(0, 9)
            hist.append(Titik(d, x, 400))
            rows.append({"kunci": f"S{k:02d}", "tanggal": d, "total": 400, "tersinkron": x})
        hists[f"S{k:02d}"] = hist
    many = prakirakan_semua(pl.DataFrame(rows), date(2026, 12, 31), kal)
    assert set(many) == set(hists)
    for k, hist in hists.items():
        one = prakirakan(hist, date(2026, 12, 31), kal)
        assert one is not None
        got = many[k]
        assert (got.total, got.tersinkron, got.hari_kerja_sisa, got.pengamatan) == (
            one.total,
            one.tersinkron,
            one.hari_kerja_sisa,
            one.pengamatan,
        )
        for a, b in ((got.perkiraan, one.perkiraan), (got.bawah, one.bawah), (got.atas, one.atas)):
            assert a == pytest.approx(b), k


def test_a_whole_is_the_sum_of_its_parts_and_a_stalled_part_holds_it_back() -> None:
    from selaras.domain.prakiraan import gabung

    kal = Kalender()
    days = [kal.tambah(date(2026, 11, 2), i) for i in range(10)]
    fast = prakirakan([Titik(d, min(10 * i, 100), 100) for i, d in enumerate(days)], date(2026, 12, 31), kal)
    stalled = prakirakan([Titik(d, 0, 100) for d in days], date(2026, 12, 31), kal)
    noisy = prakirakan([Titik(d, i * 3 + (i % 3), 300) for i, d in enumerate(days)], date(2026, 12, 31), kal)
    assert fast is not None and stalled is not None and noisy is not None
    whole = gabung([fast, stalled, noisy])
    assert whole is not None
    assert (whole.total, whole.tersinkron) == (500, fast.tersinkron + noisy.tersinkron)
    assert fast.perkiraan == 100 and stalled.perkiraan == 0
    assert whole.perkiraan == pytest.approx(100 + 0 + noisy.perkiraan)
    assert whole.persen < 100 and whole.berisiko
    assert whole.bawah <= whole.perkiraan <= whole.atas
    assert whole.atas - whole.bawah == pytest.approx(2 * 1.96 * noisy.sd)  # only the noisy part is uncertain
    assert gabung([]) is None


def test_a_schools_pace_per_teacher_lands_within_its_interval() -> None:
    """Schools whose teachers each sync with a known daily chance: the true count at the
    deadline falls within the stated interval about as often as stated, and a school with
    history gets an interval narrower than everything still possible."""
    import polars as pl

    from selaras.domain.prakiraan import prakirakan_sekolah_semua

    kal = Kalender()
    rng = random.Random(8)
    start, deadline = date(2026, 10, 1), date(2026, 11, 30)
    days: list[date] = []
    d = start
    while len(days) < 20:
        if kal.hari_kerja(d):
            days.append(d)
        d += timedelta(days=1)
    ahead = kal.antara(days[-1], deadline)
    inside = trials = narrower = 0
    for trial in range(40):
        rows, left_now = [], {}
        for k in range(10):
            total, synced = 30, 0
            for day in days:
                if day != days[0]:
                    synced += sum(rng.random() < 0.02 for _ in range(total - synced))
                rows.append(
                    {"kelompok": "I", "kunci": f"S{trial}-{k}", "tanggal": day, "total": total, "tersinkron": synced}
                )
            left_now[f"S{trial}-{k}"] = (total, synced)
        got = prakirakan_sekolah_semua(pl.DataFrame(rows), deadline, kal)
        for (_, key), p in got.items():
            total, synced = left_now[key]
            truth = synced + sum(rng.random() < 1 - 0.98**ahead for _ in range(total - synced))
            inside += p.bawah - 0.5 <= truth <= p.atas + 0.5
            narrower += p.atas - p.bawah < total - synced
            trials += 1
    assert 0.88 <= inside / trials <= 1.0
    assert narrower == trials
